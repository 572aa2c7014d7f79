"""``diff.claude-sync.textconv``: print a stored blob's plaintext for ``git log -p``.

git hands textconv a temporary file and not the blob's path, so the path
binding cannot be checked here; every chunk is still authenticated before a
byte is printed.  Never set ``diff.claude-sync.cachetextconv``: git would store
this output, plaintext, as notes objects.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from git_claude_sync.crypto import codec, keyring
from git_claude_sync.errors import FatalError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="git-claude-sync-textconv")
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    data = args.file.read_bytes()
    if not codec.looks_encrypted(data):
        sys.stdout.buffer.write(data)  # not ours (e.g. empty): show what is stored
        return 0
    try:
        # History may predate a key rotation: retired keys open it (display only).
        plaintext = keyring.keyring_for(args.key).decrypt(None, data)
    except FatalError as err:
        sys.stderr.write(f"git-claude-sync: {err}\n")
        return 1
    sys.stdout.buffer.write(plaintext)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C reaches git's children too: leave quietly
        sys.exit(130)
