"""Bytes an append to one large session sends on push, beside its stored blob's size.

    .venv/bin/python bench/append_bytes.py --size-mb 100 --incompressible 43

One machine and its default remote.  A session of ``--size-mb`` (lines made as in
memory.py) is pushed; then three times a ~2 KB line is appended and pushed, through a
``receive-pack`` that counts what it receives.  Below ``core.bigFileThreshold``
(git.BIG_FILE_THRESHOLD) git sends the new version as a delta of the last (~1 KB); above
it, the whole blob again.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory import MB, MIB, Machine, session_bytes  # noqa: E402

REL = "projects/-home-u-big/big-session.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=100, help="transcript size in MiB (100)")
    parser.add_argument(
        "--incompressible",
        type=int,
        default=43,
        metavar="PCT",
        help="percent of each line that is base64 of random bytes (43)",
    )
    parser.add_argument(
        "--objects", action="store_true", help="list each object of the last push's pack"
    )
    parser.add_argument(
        "--bench-line",
        action="store_true",
        help="append bench.py's line (Claude Code's shape, ~2 KB) instead of memory.py's",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gcs-append-"))
    try:
        a = Machine(root / "a")
        a.run("init")
        session = a.home / ".claude" / REL
        session.parent.mkdir(parents=True)
        session.write_bytes(
            session_bytes(args.size_mb * MIB, "a", incompressible=args.incompressible)
        )
        a.run("push")
        git_dir = f"--git-dir={a.home / '.claude-sync' / 'repo.git'}"
        blob = subprocess.run(["git", git_dir, "cat-file", "-s", f"HEAD:{REL}"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
        capture = root / "received.bin"
        wrapper = root / "counting-receive-pack"
        wrapper.write_text(f'#!/bin/sh\ntee -a "{capture}" | git receive-pack "$@"\n')
        wrapper.chmod(0o755)
        subprocess.run(["git", git_dir, "config", "remote.origin.receivepack", str(wrapper)],
                       check=True)  # fmt: skip
        sent = []
        lines = _bench_lines() if args.bench_line else None
        for n in range(3):
            with session.open("ab") as f:
                f.write(next(lines) if lines else session_bytes(2000, f"more-{n}", 10**7 * (n + 1)))
            capture.write_bytes(b"")
            a.run("push")
            sent.append(capture.stat().st_size)
        if args.objects:
            print(pack_objects(capture.read_bytes()))
        print(
            f"session of {session.stat().st_size / MB:.0f} MB, stored blob "
            f"{int(blob) / MIB:.1f} MiB: an append of ~2 KB sent "
            + ", ".join(f"{s / 1000:.1f} KB" for s in sent)
        )
        return 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _bench_lines() -> Iterator[bytes]:
    """bench.py's appended lines, from a fixed seed: the same on every run and every branch."""
    import random

    from bench import Session, append_line

    session = Session(random.Random(1), "/home/u/big", 1.7e9)
    while True:
        yield append_line(session)


def pack_objects(received: bytes) -> str:
    """The objects in what receive-pack read (the ref lines, then a thin pack that
    index-pack cannot read alone), one a line: type, size, bytes in the pack."""
    start = received.find(b"PACK")
    if start < 0:
        return "no pack sent"
    pack = received[start:]
    count = int.from_bytes(pack[8:12], "big")
    names = {1: "commit", 2: "tree", 3: "blob", 4: "tag", 6: "ofs-delta", 7: "ref-delta"}
    lines = [f"ref commands {start} B, pack {len(pack)} B, {count} objects:"]
    at = 12
    for _ in range(count):
        begin = at
        byte = pack[at]
        kind, size, shift = (byte >> 4) & 7, byte & 15, 4
        at += 1
        while byte & 0x80:
            byte = pack[at]
            size |= (byte & 0x7F) << shift
            shift += 7
            at += 1
        if kind == 6:  # a varint offset of its base
            while pack[at] & 0x80:
                at += 1
            at += 1
        elif kind == 7:  # the base's id (20 bytes in a SHA-1 repository)
            at += 20
        inflate = zlib.decompressobj()
        inflate.decompress(pack[at:])
        at = len(pack) - len(inflate.unused_data)
        lines.append(f"  {names.get(kind, kind):<10} size {size:>6}  in pack {at - begin:>6}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
