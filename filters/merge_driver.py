"""``merge.claude-sync.driver``: git's custom merge driver for encrypted blobs.

git runs ``python -m git_claude_sync.filters.merge_driver --key KEYFILE %O %A %B %P``
with three temporary files holding the stored blobs (ciphertext) of the merge
base, ours and theirs, and the path being merged.  The three are decrypted in
memory, merged by ``content_merge.merge_file`` and the result, encrypted again
for the same path, overwrites %A.  Exit 0 when the merge is clean, 1 on a
conflict (%A then holds ours, unchanged), 2 when a blob cannot be decrypted
(%A untouched).  git treats any non-zero exit as a conflict.

No plaintext is written anywhere: not to %A, not to a temporary file, not to
stderr (messages carry the path and a reason, never content).  %O is an empty
file when the sides have no common version (both added the path).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from git_claude_sync.claude.file_merge import merge_file
from git_claude_sync.crypto import keyfile
from git_claude_sync.errors import FatalError

CLEAN, CONFLICT, FAILED = 0, 1, 2


def _write(path: Path, data: bytes) -> None:
    # %A is git's own temporary file: rewrite it in place, ciphertext only.
    with open(path, "wb") as handle:
        handle.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="git-claude-sync-merge")
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("base", type=Path, help="%%O: the merge base's blob (empty if none)")
    parser.add_argument("ours", type=Path, help="%%A: our blob; receives the result")
    parser.add_argument("theirs", type=Path, help="%%B: their blob")
    parser.add_argument("path", help="%%P: the path in the repository")
    args = parser.parse_args(argv)
    path = os.fsencode(args.path)
    try:
        key = keyfile.load(args.key)
        stored = [p.read_bytes() for p in (args.base, args.ours, args.theirs)]
        base = key.decrypt(path, stored[0]) if stored[0] else None
        ours = key.decrypt(path, stored[1])
        theirs = key.decrypt(path, stored[2])
    except FatalError as err:
        sys.stderr.write(f"git-claude-sync merge: {args.path}: {err}\n")
        return FAILED
    except OSError as err:
        sys.stderr.write(f"git-claude-sync merge: {args.path}: {err.__class__.__name__}\n")
        return FAILED
    result = merge_file(path, base, ours, theirs)
    # Keep a side's stored bytes when the result is that side: no churn, no re-encryption.
    if result.data is ours:
        merged = stored[1]
    elif result.data is theirs:
        merged = stored[2]
    else:
        merged = key.encrypt(path, result.data)
    if merged != stored[1]:
        _write(args.ours, merged)
    if result.conflict:
        sys.stderr.write(
            f"git-claude-sync merge: {args.path}: conflict ({result.kind}: {result.reason}); "
            "kept our version\n"
        )
        return CONFLICT
    return CLEAN


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C reaches git's children too: leave quietly
        sys.exit(130)
