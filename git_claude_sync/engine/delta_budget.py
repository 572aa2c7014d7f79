"""Files whose delta search would take more memory than a sync may (issue 9).

git's search for a delta between two versions of a blob holds about five times the
blob (both versions, the index of one, the delta; measured: 113 MB for two 22.8 MB
versions, whatever ``pack.*`` says), beside our CLI and git's other processes (~52 MB:
164 MB in all for that push; 179 for an 82 MB transcript sealed to 23.8 MiB, which fits).
A sync may take a file's size plus 100 MB.  A session's ciphertext is ~3x smaller than
its text, so for most sessions the search fits up to ``core.bigFileThreshold``, where git
stops searching anyway; a session that barely compresses (pasted images, base64) does
not: a 33 MB transcript sealed to 22.8 MB took 164 MB to push an appended line, 233 MB
to push a merge.  Such a file gets ``-delta``: each change sends its blob whole (at most
the threshold), where a search would have sent the new chunks.

The list lives in ``~/.claude-sync/no-delta`` and is updated for the files a push
stages; engine/sync_repo writes it into git's attributes (the repo's and the local
remote's, whose upload-pack packs the same blobs for a pull).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from git_claude_sync.git import BIG_FILE_THRESHOLD, Git
from git_claude_sync.machine.files import atomic_write
from git_claude_sync.machine.paths import Layout

SEARCH_FACTOR = 5  # git's delta search holds ~5x the blob
OTHERS = 52 * 1000 * 1000  # alive beside it: our CLI, git push, the remote's receive-pack
ALLOWANCE = 100 * 1000 * 1000  # issue 9: a sync may take a file's size plus 100 MB
# Below this, no file's search can exceed its allowance (5B + 52 MB <= B + 100 MB).
SMALLEST = (ALLOWANCE - OTHERS) // (SEARCH_FACTOR - 1)

# Paths written into a gitattributes pattern as they are: no glob or quoting characters.
_PLAIN_PATH = re.compile(rb"[A-Za-z0-9._/@+=,-]+")


def fits(text_size: int, blob_size: int) -> bool:
    """Whether git's delta search over this blob keeps a sync within its allowance."""
    return SEARCH_FACTOR * blob_size + OTHERS <= text_size + ALLOWANCE


def listed(layout: Layout) -> list[bytes]:
    try:
        data = layout.no_delta_file.read_bytes()
    except FileNotFoundError:
        return []
    return [line for line in data.split(b"\n") if _PLAIN_PATH.fullmatch(line)]


def attribute_lines(layout: Layout) -> str:
    """The listed files as gitattributes lines (they come after, and so override, the rest)."""
    return "".join(f"/{path.decode()} -delta\n" for path in listed(layout))


def update(git: Git, layout: Layout, changes: Iterable[tuple[str, bytes]]) -> bool:
    """Update the list for the files a staging changed; whether it changed."""
    before = listed(layout)
    now = set(before)
    large: dict[bytes, int] = {}
    for kind, path in changes:
        now.discard(path)
        if kind == "D" or not _PLAIN_PATH.fullmatch(path):
            continue
        size = _text_size(layout.claude_dir, path)
        if size is not None and size > SMALLEST:
            large[path] = size
    if large:
        entries = git.index_entries()
        oids = {path: entries[path][1] for path in large if path in entries}
        sizes = git.blob_sizes(oids.values())
        for path, oid in oids.items():
            blob = sizes.get(oid)
            if blob is not None and blob < BIG_FILE_THRESHOLD and not fits(large[path], blob):
                now.add(path)
    after = sorted(now)
    if after == before:
        return False
    atomic_write(layout.no_delta_file, b"".join(p + b"\n" for p in after), durable=False)
    return True


def _text_size(claude_dir: Path, path: bytes) -> int | None:
    try:
        return os.stat(os.path.join(claude_dir, os.fsdecode(path))).st_size
    except OSError:
        return None
