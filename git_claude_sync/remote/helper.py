"""``git-remote-claude-sync``: git's remote-helper protocol over ``transfer.Remote``.

git runs ``git-remote-claude-sync <remote> <url>`` for URLs ``claude-sync::<url>``
with ``GIT_DIR`` set (see gitremote-helpers(7)), then talks over stdin/stdout:

    capabilities          -> option, fetch, push
    option NAME VALUE     -> ok | unsupported
    list [for-push]       -> "<oid> <ref>" lines, "@<ref> HEAD", blank line
    fetch <oid> <ref>...  -> (objects land in GIT_DIR) blank line
    push [+]<src>:<dst>...-> "ok <dst>" | "error <dst> <why>" per ref, blank line

Failures print one line, ``git-claude-sync: …``, on stderr (the CLI shows
exactly that line) and exit non-zero.  The key is ``$CLAUDE_SYNC_KEY_FILE`` or
the tool's key file (``~/.claude-sync/key``, honouring ``HOME``).  A key
rotation's push names the new key file in ``$CLAUDE_SYNC_NEXT_KEY_FILE``: the
push then moves the bucket to that key (remote/rekey.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import BinaryIO

from git_claude_sync.crypto import codec, keyfile, keyring
from git_claude_sync.crypto.codec import Key
from git_claude_sync.errors import FatalError, printable
from git_claude_sync.git import REMOTE_REF, CallerRepo
from git_claude_sync.machine.paths import NEXT_KEY_FILE_ENV, current
from git_claude_sync.remote import urls
from git_claude_sync.remote.freshness import Freshness
from git_claude_sync.remote.rekey import Rekeying
from git_claude_sync.remote.transfer import Remote, wrong_key

KEY_FILE_ENV = "CLAUDE_SYNC_KEY_FILE"


def load_key() -> Key:
    override = os.environ.get(KEY_FILE_ENV)
    return keyfile.load(Path(override) if override else current().key_file)


def pending_keys() -> list[Key]:
    """The key in key.next, if any: written by this machine (a rotation whose switch did not
    finish, or 'key use' about to fetch), so a manifest under it is opened, never one under
    a retired key."""
    if os.environ.get(KEY_FILE_ENV):
        return []
    try:
        return [keyfile.load(current().pending_key_file)]
    except (FatalError, OSError):
        return []


def moved(key_id: bytes, why: str) -> str:
    """The bucket is under a key this machine does not hold: a rotation elsewhere, once
    this repository has synced with the bucket; else the wrong key given to init."""
    if CallerRepo.rev_exists(REMOTE_REF) and not os.environ.get(KEY_FILE_ENV):
        layout = current()
        mine = keyfile.load(layout.key_file).fingerprint
        return (
            f"the remote moved to key {codec.format_fingerprint(key_id)} (this machine uses "
            f"{mine}); nothing was changed; {keyring.adopt_hint(layout, key_id)}"
        )
    return wrong_key(key_id, why)


class Helper:
    def __init__(self, url: str, stdin: BinaryIO, stdout: BinaryIO) -> None:
        self.url = url
        self.stdin = stdin
        self.stdout = stdout
        self.verbosity = 1
        self.progress = False
        self.dry_run = False
        self._remote: Remote | None = None
        self.cas: dict[str, str] = {}

    @property
    def remote(self) -> Remote:
        if self._remote is None:
            store = urls.open_store(self.url)
            # The newest manifest this machine has seen: an older one is refused.
            seen = Freshness(current().seen_manifests_file, self.url)
            next_file = os.environ.get(NEXT_KEY_FILE_ENV)
            if next_file:
                next_key = keyfile.load(Path(next_file))
                self._remote = Rekeying(
                    store, load_key, next_key, say=self._say, moved=moved, freshness=seen
                )
            else:
                self._remote = Remote(
                    store,
                    load_key,
                    say=self._say,
                    also_open=pending_keys,
                    moved=moved,
                    freshness=seen,
                )
        return self._remote

    def _say(self, message: str) -> None:
        if self.progress and self.verbosity >= 1 or self.verbosity > 1:
            sys.stderr.write(f"{message}\n")
            sys.stderr.flush()

    def _write(self, text: str) -> None:
        self.stdout.write(text.encode())
        self.stdout.flush()

    def _readline(self) -> str | None:
        raw = self.stdin.readline()
        if not raw:
            return None
        return raw.decode("utf-8", "surrogateescape").rstrip("\n")

    def _batch(self, first: str) -> list[str]:
        lines = [first]
        while (line := self._readline()) not in (None, ""):
            assert line is not None
            lines.append(line)
        return lines

    def run(self) -> None:
        while (line := self._readline()) is not None:
            if line == "":
                return
            if line == "capabilities":
                self._write("option\nfetch\npush\n\n")
            elif line.startswith("option "):
                self._write(self._option(line[len("option ") :]) + "\n")
            elif line in ("list", "list for-push"):
                if line == "list for-push":
                    # Before the store's client exists (issue 9: memory): see the method.
                    CallerRepo.pack_large_loose()
                self._list()
            elif line.startswith("fetch "):
                self._fetch(self._batch(line))
            elif line.startswith("push "):
                self._push(self._batch(line))
            else:
                raise FatalError(f"remote helper: unknown command {line!r} from git")

    def _option(self, text: str) -> str:
        name, _, value = text.partition(" ")
        if name == "verbosity":
            self.verbosity = int(value) if value.lstrip("-").isdigit() else 1
        elif name == "progress":
            self.progress = value == "true"
        elif name == "dry-run":
            self.dry_run = value == "true"
        elif name == "cas":  # --force-with-lease: REF:EXPECTED (empty: must not exist)
            ref, _, expected = value.partition(":")
            self.cas[ref] = expected
        elif name in ("atomic", "cloning", "followtags"):
            pass  # every push swaps the manifest once: all refs or none
        else:
            return "unsupported"
        return "ok"

    def _list(self) -> None:
        manifest, _version = self.remote.read_manifest()
        lines = [f"{oid} {ref}\n" for ref, oid in sorted(manifest.refs.items())]
        if manifest.head in manifest.refs:
            lines.append(f"@{manifest.head} HEAD\n")
        self._write("".join(lines) + "\n")

    def _fetch(self, lines: list[str]) -> None:
        wanted = [line.split()[1] for line in lines if len(line.split()) >= 2]
        self.remote.fetch(wanted)
        self._write("\n")

    def _push(self, lines: list[str]) -> None:
        specs = []
        for line in lines:
            spec = line[len("push ") :]
            force = spec.startswith("+")
            src, _, dst = spec.lstrip("+").partition(":")
            specs.append((force, src, dst))
        self.remote.expected = dict(self.cas)
        results = self.remote.push(specs, dry_run=self.dry_run)
        out = [
            f"ok {dst}\n" if error is None else f"error {dst} {error}\n" for dst, error in results
        ]
        self._write("".join(out) + "\n")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        sys.stderr.write(
            "usage: git-remote-claude-sync REMOTE URL (run by git for claude-sync:: URLs)\n"
        )
        sys.exit(2)
    try:
        Helper(args[1], sys.stdin.buffer, sys.stdout.buffer).run()
    except FatalError as err:
        sys.stderr.write(f"git-claude-sync: {printable(str(err))}\n")
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
