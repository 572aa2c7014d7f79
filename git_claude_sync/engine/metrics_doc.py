"""The carried metrics document's text (docs/spec/sync-metrics.md, version 2): lines appended.

Version 1 was one JSON object holding every record: each carry changed its end, so the
whole document (300 records: ~55 KB, ~18 KB sealed) was encrypted afresh and sent with
every push, twenty times what the appended session itself cost.  Version 2 is JSON
Lines: a header line (``id``, ``machine``, ``key``, ``version``; a later one replaces it)
and one line per record.  A carry appends its new records (and a header line if the
header changed) to the text carried last, and the blob is sealed onto the last one
(``Key.seal_onto``): only the new lines travel, as for an appended session.  Once the text
holds twice ``KEEP_RECORDS`` records, or a record older than ``KEEP_DAYS`` plus
``SLACK_DAYS``, it is written afresh from the records kept here.  Version 1 documents
still read.
"""

from __future__ import annotations

import json
from typing import Any

HEADER = ("id", "machine", "key", "version")
SLACK_DAYS = 30


def parse(text: bytes) -> dict[str, Any] | None:
    """A document (either version) as ``{"id", "machine", "key", "version", "records"}``."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None  # several lines: version 2
    if isinstance(whole, dict):
        if "records" in whole:  # version 1
            return whole
        whole = None  # version 2 with a header line only
    doc: dict[str, Any] = {"records": []}
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            return None
        if not isinstance(item, dict):
            return None
        if "id" in item:
            doc.update((k, item[k]) for k in HEADER if k in item)
        else:
            doc["records"].append(item)
    return doc if isinstance(doc.get("id"), str) else None


def extend(
    previous: bytes | None,
    header: dict[str, Any],
    news: list[dict[str, Any]],
    records: list[dict[str, Any]],
    *,
    keep_records: int,
    oldest: float,
) -> bytes:
    """The text to carry: ``previous`` (the text carried last) with ``news`` appended, or,
    when it is not a version 2 document of this header's id or is due for trimming, every
    one of ``records`` afresh.  ``oldest``: when a record is too old to keep."""
    head = {k: header[k] for k in HEADER if k in header}
    old = parse(previous) if previous is not None and _is_version_2(previous) else None
    if (
        old is None
        or previous is None
        or old.get("id") != head.get("id")
        or len(old["records"]) + len(news) > 2 * keep_records
        or any(float(r.get("at", 0)) < oldest - SLACK_DAYS * 86400 for r in old["records"][:1])
    ):
        return _lines([head, *records])
    # Records already in the text (their carry was committed, the machine's note of it
    # lost to a crash) are not appended twice: records are in time order.
    last = max((float(r.get("at", 0)) for r in old["records"]), default=float("-inf"))
    news = [r for r in news if float(r.get("at", 0)) > last]
    changed = {k: head[k] for k in HEADER if k in head and old.get(k) != head[k]}
    extra = [{"id": head["id"], **changed}] if changed else []
    return previous + _lines([*extra, *news])


def _is_version_2(text: bytes) -> bool:
    """Lines, each ending in a newline, the first a header (version 1 holds ``records``)."""
    first = text.split(b"\n", 1)[0]
    try:
        head = json.loads(first)
    except ValueError:
        return False
    return text.endswith(b"\n") and isinstance(head, dict) and "records" not in head


def _lines(items: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(item, separators=(",", ":")).encode() + b"\n" for item in items)
