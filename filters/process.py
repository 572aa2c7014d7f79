"""git's long-running filter process (``filter.claude-sync.process``).

One process serves every file of a git command, as git's protocol v2 allows:
git measured 364 s with one process per file against 5 s with one in all for
12,000 files.  Spec: the "Long Running Filter Process" section of
``gitattributes(5)``.

A file that fails (wrong key, tampered ciphertext) gets ``status=error`` and a
one-line reason on stderr naming the path; with ``filter.claude-sync.required``
git then refuses to store or check out that file instead of passing it through.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, TextIO, cast

from git_claude_sync.filters import clean, pktline
from git_claude_sync.filters.answer_spool import Spool

from git_claude_sync.claude import history_paths
from git_claude_sync.crypto import keyfile
from git_claude_sync.crypto.codec import Key, Stored, StoredBytes
from git_claude_sync.errors import FatalError
from git_claude_sync.git import IndexBlobs, StoredBlob

if TYPE_CHECKING:
    from git_claude_sync.claude.project_folders import Mapping  # only for history.jsonl
    from git_claude_sync.crypto.keyring import Keyring  # only for a smudge


def _report(path: bytes, err: Exception, errors: TextIO) -> None:
    name = path.decode("utf-8", "backslashreplace")
    errors.write(f"git-claude-sync: {name}: {err}\n")
    errors.flush()


def handshake(stdin: BinaryIO, stdout: BinaryIO) -> None:
    welcome = pktline.read_text_list(stdin)
    if b"git-filter-client" not in welcome or b"version=2" not in welcome:
        raise pktline.ProtocolError("git did not offer filter protocol version 2")
    pktline.write_text_list(stdout, [b"git-filter-server", b"version=2"])
    stdout.flush()  # git waits for this answer before it offers capabilities
    offered = pktline.read_text_list(stdin)
    wanted = [cap for cap in (b"capability=clean", b"capability=smudge") if cap in offered]
    pktline.write_text_list(stdout, wanted)
    stdout.flush()


class Progress:
    """A running count on stderr for long first pushes (git add has no progress of its own)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.files = 0
        self.bytes = 0
        self.shown_at = 0.0

    def counted(self, content: Iterable[bytes]) -> Iterator[bytes]:
        """``content`` passed through, counted as one file."""
        self.files += 1
        for part in content:
            self.bytes += len(part)
            now = time.monotonic()
            if self.enabled and now - self.shown_at > 0.2:
                self.shown_at = now
                self._show()
            yield part

    def _show(self) -> None:
        sys.stderr.write(f"\rEncrypting: {self.files} files, {self.bytes / 1e6:.1f} MB")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.files:
            self._show()
            sys.stderr.write(", done.\n")
            sys.stderr.flush()


# Up to this much of a file's result is held in memory; beyond, in an unlinked temporary file.
SPOOL_IN_MEMORY = 8 << 20


def serve(
    key_path: Path,
    stdin: BinaryIO,
    stdout: BinaryIO,
    git_dir: Path | None = None,
    *,
    index_file: Path | None = None,
    errors: TextIO | None = None,
) -> None:
    """Answer git's clean and smudge requests until it closes the pipe.

    Memory stays at a few chunks whatever the file's size: content is sealed or
    opened a packet at a time, and the result waits in a spool file, since git
    reads the answer only once it has sent the whole request.  ``index_file`` is the
    index git works on (default: ``GIT_INDEX_FILE``, else the repo's); a file that
    fails is named on ``errors`` (default: stderr), as git's own messages are.
    """
    errors = errors or sys.stderr
    handshake(stdin, stdout)
    index = IndexBlobs(git_dir, index_file) if git_dir is not None else None
    key: Key | None = None
    history: Keyring | None = None
    progress = Progress(bool(os.environ.get("GIT_CLAUDE_SYNC_PROGRESS")))
    spool_dir = str(git_dir) if git_dir is not None else None  # ciphertext: kept beside the repo
    mappings: list[Mapping | None] = []

    def mapping() -> Mapping | None:
        """This machine's project mapping (history.jsonl), read once; None without a repo."""
        if not mappings:
            here = history_paths.mapping_beside(git_dir) if git_dir is not None else None
            mappings.append(here)
        return mappings[0]

    while True:
        try:
            headers = pktline.read_text_list(stdin)
        except EOFError:
            progress.done()
            if index is not None:
                index.close()  # its cat-file processes end with their stdin
            return
        meta = dict(h.split(b"=", 1) for h in headers if b"=" in h)
        command = meta.get(b"command", b"")
        path = meta.get(b"pathname", b"")
        content = pktline.iter_content(stdin)
        with Spool(SPOOL_IN_MEMORY, spool_dir) as spooled:
            spool = cast(BinaryIO, spooled)  # clean_into only writes, seeks and reads it
            try:
                if key is None:
                    key = keyfile.load(key_path)
                if command == b"clean":
                    previous = index.stored(path) if index is not None else None
                    translate = mapping() if history_paths.is_history(path) else None
                    try:
                        kept = clean.clean_into(
                            key, path, progress.counted(content), previous, spool, translate
                        )
                        if kept is not None:
                            spool.seek(0)
                            spool.truncate()
                            _copy(kept, spool)
                    finally:
                        if isinstance(previous, StoredBlob):
                            previous.close()  # its readers may have stopped part-way
                    pieces: Iterator[bytes] = _read_chunks(spool)
                elif command == b"smudge":
                    # Smudge serves checkouts and diffs of history, which may predate a
                    # key rotation: retired keys open it.  (The sync engine writes the
                    # Claude directory itself, with the current key only.)
                    if history is None:
                        from git_claude_sync.crypto import keyring  # most runs only clean

                        history = keyring.keyring_for(key_path, key)
                    for part in content:
                        spool.write(part)
                    spool.seek(0)
                    pieces = (piece for piece, _record in history.open(path, spool))
                    here = mapping() if history_paths.is_history(path) else None
                    if here is not None:  # its paths made this machine's, a few lines at a time
                        pieces = history_paths.to_local_parts(pieces, here)
                else:
                    raise FatalError(f"unknown filter command {command.decode(errors='replace')}")
                first = next(pieces, b"")  # a smudge fails here on a bad header or first chunk
            except FatalError as err:
                _drain(content)  # git reads the answer only once it sent everything
                _report(path, err, errors)
                pktline.write_text_list(stdout, [b"status=error"])
                stdout.flush()
                continue
            pktline.write_text_list(stdout, [b"status=success"])
            try:
                pktline.write_content_parts(stdout, itertools.chain([first], pieces))
            except FatalError as err:  # a later chunk failed: git drops what it got
                _report(path, err, errors)
                pktline.write_flush(stdout)
                pktline.write_text_list(stdout, [b"status=error"])
                stdout.flush()
                continue
            pktline.write_flush(stdout)  # end of the content
            pktline.write_flush(stdout)  # empty status list: "success" stands
            stdout.flush()


def _copy(blob: bytes | Stored, out: IO[bytes]) -> None:
    """``blob`` written to ``out`` a block at a time."""
    read = StoredBytes(blob).reader() if isinstance(blob, bytes) else blob.reader()
    while block := read(1 << 20):
        out.write(block)


def _read_chunks(spool: IO[bytes]) -> Iterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(pktline.MAX_DATA):
        yield chunk


def _drain(content: Iterator[bytes]) -> None:
    for _ in content:
        pass


USAGE = "usage: git-claude-sync-filter --key KEY [--git-dir GIT_DIR]"


def _options(argv: list[str]) -> dict[str, str]:
    """``--key`` and ``--git-dir`` (``--name value`` or ``--name=value``), as git's
    config gives them.  Not argparse: it (with the shutil it asks the terminal's width
    of) was ~4 ms of a start git pays once per command that filters (issue 8)."""
    options: dict[str, str] = {}
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if name not in ("--key", "--git-dir"):
            raise ValueError(f"unrecognized argument: {arg}")
        if not eq:
            value = next(args, "")
        if not value:
            raise ValueError(f"{name} needs a value")
        options[name] = value
    if "--key" not in options:
        raise ValueError("--key is required")
    return options


def main(argv: list[str] | None = None) -> int:
    try:
        options = _options(sys.argv[1:] if argv is None else argv)
    except ValueError as err:
        sys.stderr.write(f"{USAGE}\ngit-claude-sync-filter: error: {err}\n")
        return 2
    git_dir = Path(options["--git-dir"]) if "--git-dir" in options else None
    try:
        serve(Path(options["--key"]), sys.stdin.buffer, sys.stdout.buffer, git_dir)
    except (pktline.ProtocolError, EOFError) as err:
        sys.stderr.write(f"git-claude-sync: filter protocol error: {err}\n")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C reaches git's children too: leave quietly
        sys.exit(130)
