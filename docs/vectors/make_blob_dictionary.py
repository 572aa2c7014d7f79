"""Make docs/spec/blob-dictionary-1.bin, the zstd dictionary of blob encoding 2 (docs/spec/blob.md).

    python docs/vectors/make_blob_dictionary.py /work/shared/corpus docs/spec/blob-dictionary-1.bin

Reads only the structure of Claude Code's transcripts: each JSON line of
``<corpus>/projects/**/*.jsonl`` (files in sorted order, lines in file order) becomes a
*skeleton*: the same object with every number 0, every string "" except the value of a
key in ``STRUCTURAL`` that looks like an enum (``ENUM``), every list cut to its first two
items, and every key that is not an identifier (``KEY``) dropped with its value.  No text,
id, path, cwd, branch, time or count of any transcript survives that.  The dictionary is
the most frequent skeletons that lines of at least ``MIN_FILES`` transcripts share, one a
line, the most frequent last (zstd copies from nearby bytes most cheaply), as many as fit in
``SIZE`` bytes.  No randomness: the same corpus gives the same bytes (the spec records the
corpus it was made from).

Never imports git_claude_sync (as make_vectors.py): the dictionary is a constant of the
format, the package ships a copy, and tests check the two are the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

SIZE = 8 * 1024
MIN_FILES = 3
# Keys whose values are Claude Code's own vocabulary (message kinds, roles, model and tool
# versions, stop reasons), not the user's: kept when they look like an enum.
STRUCTURAL = frozenset(
    {
        "type",
        "role",
        "model",
        "version",
        "userType",
        "media_type",
        "stop_reason",
        "subtype",
        "level",
        "permissionMode",
        "operation",
        "service_tier",
    }
)
ENUM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}\Z")
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}\Z")


def skeleton(value: object, key: str | None = None) -> object:
    """``value`` with nothing of its content left but structure and enum values."""
    if isinstance(value, dict):
        return {k: skeleton(v, k) for k, v in value.items() if KEY.match(k)}
    if isinstance(value, list):
        return [skeleton(v, key) for v in value[:2]]
    if isinstance(value, str):
        return value if key in STRUCTURAL and ENUM.match(value) else ""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return 0
    raise TypeError(type(value))


def transcripts(corpus: Path) -> list[Path]:
    return sorted((corpus / "projects").rglob("*.jsonl"))


def skeletons(paths: list[Path]) -> Counter[bytes]:
    """How many lines have each skeleton, counting only skeletons that lines of at least
    ``MIN_FILES`` transcripts share: nothing peculiar to one session."""
    counts: Counter[bytes] = Counter()
    files: dict[bytes, set[Path]] = {}
    for path in paths:
        for line in path.read_bytes().splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                text = json.dumps(skeleton(obj), separators=(",", ":"), ensure_ascii=False)
                counts[text.encode()] += 1
                files.setdefault(text.encode(), set()).add(path)
    return Counter({text: n for text, n in counts.items() if len(files[text]) >= MIN_FILES})


def dictionary(counts: Counter[bytes], size: int = SIZE) -> bytes:
    """The most frequent skeletons that fit in ``size`` bytes, one a line, most frequent last
    (ties: the one seen first is later)."""
    chosen: list[bytes] = []
    used = 0
    for text, _count in counts.most_common():
        if used + len(text) + 1 > size:
            continue
        chosen.append(text)
        used += len(text) + 1
    return b"".join(text + b"\n" for text in reversed(chosen))


def main() -> int:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    data = dictionary(skeletons(transcripts(corpus)))
    out.write_bytes(data)
    print(f"{out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
