"""The carried metrics document, version 2 (engine/metrics_doc.py): lines appended."""

from __future__ import annotations

import json

from git_claude_sync.engine import metrics_doc

HEAD = {"id": "0123456789abcdef", "machine": "laptop", "key": "aaaa-bbbb", "version": "1.0"}


def record(at: float) -> dict[str, object]:
    return {"at": at, "kind": "push", "seconds": 0.5, "sent": 10, "received": 0,
            "sent_commits": ["c" * 40], "applied": []}  # fmt: skip


def extend(previous: bytes | None, news: list[dict[str, object]], **header: str) -> bytes:
    records = news  # what the machine keeps: only the news matter unless written afresh
    return metrics_doc.extend(
        previous, {**HEAD, **header, "carried": 1.0}, news, records, keep_records=3, oldest=0.0
    )


def test_a_carry_appends_its_records_to_the_text_carried_last() -> None:
    first = extend(None, [record(1)])
    assert first.count(b"\n") == 2 and b"carried" not in first  # header and one record
    second = extend(first, [record(2), record(3)])
    assert second.startswith(first)
    doc = metrics_doc.parse(second)
    assert doc is not None and [r["at"] for r in doc["records"]] == [1, 2, 3]
    assert {k: doc[k] for k in metrics_doc.HEADER} == HEAD


def test_a_changed_header_is_a_line_that_replaces_it() -> None:
    first = extend(None, [record(1)])
    second = extend(first, [record(2)], version="1.1")
    assert second.startswith(first)
    doc = metrics_doc.parse(second)
    assert doc is not None and doc["version"] == "1.1" and len(doc["records"]) == 2


def test_twice_the_records_kept_is_written_afresh_from_those_kept() -> None:
    text = extend(None, [record(1)])
    for at in range(2, 7):
        text = extend(text, [record(at)])
    assert len(metrics_doc.parse(text)["records"]) == 6  # type: ignore[index]
    fresh = extend(text, [record(7)])  # 7 > 2 * 3: the machine's kept records only
    assert not fresh.startswith(text)
    assert [r["at"] for r in metrics_doc.parse(fresh)["records"]] == [7]  # type: ignore[index]


def test_version_1_still_reads_and_is_replaced_by_version_2() -> None:
    v1 = json.dumps({**HEAD, "records": [record(1)]}).encode() + b"\n"
    doc = metrics_doc.parse(v1)
    assert doc is not None and doc["machine"] == "laptop" and len(doc["records"]) == 1
    after = extend(v1, [record(2)])
    assert not after.startswith(v1)
    assert [r["at"] for r in metrics_doc.parse(after)["records"]] == [2]  # type: ignore[index]


def test_another_machines_text_or_a_broken_one_is_never_extended() -> None:
    other = extend(None, [record(1)], id="fedcba9876543210")
    assert not extend(other, [record(2)]).startswith(other)
    assert metrics_doc.parse(b"not json\n") is None
    assert metrics_doc.parse(b'{"at": 1}\n') is None  # no header


def test_records_already_carried_are_not_appended_again() -> None:
    """The carry was committed but the machine's note of it lost (a crash): no duplicate."""
    first = extend(None, [record(1), record(2)])
    again = extend(first, [record(2), record(3)])
    assert [r["at"] for r in metrics_doc.parse(again)["records"]] == [1, 2, 3]  # type: ignore[index]
