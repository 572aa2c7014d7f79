"""Peak memory of push and pull of one large file, against the targets of issue 9.

    .venv/bin/python bench/memory.py                  # a ~300 MiB session
    .venv/bin/python bench/memory.py --size-mb 1024   # 1 GiB
    .venv/bin/python bench/memory.py --kind random    # incompressible bytes, new then changed
    .venv/bin/python bench/memory.py --git-host       # through a git host (hidden layout)
    .venv/bin/python bench/memory.py --s3             # through a bucket (SeaweedFS here)
    .venv/bin/python bench/memory.py --gcs            # through a bucket (fake-gcs-server)
    .venv/bin/python bench/memory.py --kind random --path projects/-p/s.jsonl  # deltas tried

Two fake machines (a HOME each) share A's default bare remote.  A writes one
file of ``--size-mb`` and pushes it; B pulls it; then both append different
lines to it and push, so B's push merges the session from both sides, and A's
pull takes the merge; last, A appends again and B pulls that.  Each
step is the real CLI in a fresh interpreter, measured two ways:

- ``largest``: peak RSS of the largest process (``ru_maxrss`` of children:
  our CLI, the filter process, git itself);
- ``together``: the peak of the sum of RSS over the whole process tree,
  sampled every 20 ms from /proc (Linux; a lower bound between samples).

Targets: a file that did not conflict, at most its size + 100 MB; a merged
session, at most twice its size + 100 MB (both on ``together``).  A pull holds
a large file's plaintext nowhere whole (engine/incoming.py), and a session
changed on both sides is merged a piece at a time (claude/session_stream.py).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

BIN_DIR = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
MB = 1_000_000
MIB = 1 << 20

# Run in a new interpreter: ru_maxrss of children then counts this run's processes only.
_MEASURE = r"""
import json, os, resource, subprocess, sys, time
proc = subprocess.Popen(sys.argv[1:])
peak = 0
def tree_rss(root):
    children, ppid_of = {}, {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(name))
                ppid_of[int(name)] = ppid
            except (OSError, ValueError, IndexError):
                pass
    total, todo, here, command = 0, [root], [], {}
    for pid in todo:
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as f:
                rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                words = [w.decode(errors="replace") for w in f.read().split(b"\0") if w]
        except (OSError, ValueError):
            continue
        command[pid] = words
        if words == command.get(ppid_of.get(pid)):
            continue  # forked, not yet exec'd: its pages are its parent's, counted once
        total += rss
        # "git cat-file blob", "python -m git_claude_sync.filters.process", "git-claude-sync
        # pull": options and the values of git's -c left out
        plain = [w for i, w in enumerate(words) if not w.startswith("-") and words[i - 1] != "-c"]
        name = " ".join(w.rsplit("/", 1)[-1] for w in (words[:1] + plain[1:3]))
        by_name[name] = max(by_name.get(name, 0), rss)
        here.append((name, rss))
    return total, here
by_name = {}
at_peak = []
sampling = os.path.isdir("/proc/self")
while proc.poll() is None:
    if sampling:
        total, here = tree_rss(proc.pid)
        if total > peak:  # who was alive at the peak, not each one's own peak
            peak, at_peak = total, here
    time.sleep(0.02)
largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
if sys.platform == "darwin":
    largest //= 1024  # bytes there, KiB on Linux
top = sorted(by_name.items(), key=lambda item: -item[1])[:2]
at_peak.sort(key=lambda item: -item[1])
print(json.dumps({"rc": proc.returncode, "largest": largest, "together": peak or None,
                  "top": [[name[:40], rss] for name, rss in top],
                  "at_peak": [[name[:40], rss] for name, rss in at_peak]}))
"""


def session_bytes(size: int, who: str, start: int = 0, incompressible: int = 0) -> bytes:
    """JSONL lines like Claude Code's, ``size`` bytes or a little more; with
    ``incompressible`` (percent), that much of each line is base64 of random bytes (pasted
    images: 43 gives about the ~3.1x the corpus's transcripts shrink by when sealed)."""
    lines = []
    total = 0
    n = start
    lorem = ("lorem ipsum dolor sit amet " * 40).strip()
    filler = lorem
    # Random bytes whose base64 is ``incompressible`` percent of the line (all of it: 2 KB).
    pct = min(incompressible, 100)
    raw = 1500 if pct == 100 else len(lorem) * pct // (100 - pct) * 3 // 4
    while total < size:
        n += 1
        if pct:
            image = base64.b64encode(os.urandom(raw)).decode()
            filler = image if pct == 100 else f"{image} {lorem}"
        line = (
            json.dumps(
                {
                    "uuid": str(uuid.UUID(int=(zlib.crc32(who.encode()) & 0xFFFF) << 64 | n)),
                    "type": "assistant",
                    "timestamp": f"2026-01-01T00:00:{n % 60:02d}.{n:06d}Z",
                    "message": {"role": "assistant", "content": f"{who} {n} {filler}"},
                }
            ).encode()
            + b"\n"
        )
        lines.append(line)
        total += len(line)
    return b"".join(lines)


class Machine:
    def __init__(self, home: Path, extra: dict[str, str] | None = None) -> None:
        self.home = home
        self.extra = extra or {}
        home.mkdir(parents=True)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CLAUDE_"))}
        env["HOME"] = str(self.home)
        env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
        env.update(self.extra)
        return env

    def run(self, *args: str) -> dict[str, Any]:
        quiet = ("--quiet",) if args[0] in ("push", "pull") else ()
        proc = subprocess.run(
            [sys.executable, "-c", _MEASURE, "git", "claude-sync", *args, *quiet],
            env=self.env(),
            cwd=self.home,
            capture_output=True,
            text=True,
        )
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        if result["rc"] != 0:
            raise SystemExit(f"git claude-sync {' '.join(args)} failed: {proc.stderr.strip()}")
        return result


def show(step: str, measured: dict[str, Any], target: int) -> bool:
    together = measured["together"] or measured["largest"] or 0
    largest = measured["largest"] or 0
    met = together <= target
    print(
        f"{step:<34} largest {largest / MB:8.0f} MB   together {together / MB:8.0f} MB   "
        f"target {target / MB:6.0f} MB   {'met' if met else 'MISSED'}"
    )
    # Which processes peaked (sampled): ours, or git's own.
    peaks = "; ".join(f"{name} {rss / MB:.0f} MB" for name, rss in measured.get("top") or [])
    if peaks:
        print(f"{'':<34} largest sampled: {peaks}")
    # The sum's breakdown at its peak: what to cut (processes under 5 MB left out).
    alive = measured.get("at_peak") or []
    if alive:
        parts = "; ".join(f"{name} {rss / MB:.0f}" for name, rss in alive if rss >= 5 * MB)
        print(f"{'':<34} at the peak (MB): {parts}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=300, help="file size in MiB (300)")
    parser.add_argument("--kind", choices=("session", "random"), default="session")
    parser.add_argument(
        "--git-host",
        action="store_true",
        help="sync through a plain bare repository as a git host (the hidden layout, "
        "remote/git_store.py) instead of A's default remote",
    )
    parser.add_argument(
        "--s3",
        action="store_true",
        help="sync through an S3 bucket (SeaweedFS on 127.0.0.1, as the tests; the server "
        "is not counted)",
    )
    parser.add_argument(
        "--gcs",
        action="store_true",
        help="sync through a GCS bucket (fake-gcs-server on 127.0.0.1, as the tests; the "
        "server is not counted)",
    )
    parser.add_argument(
        "--incompressible",
        type=int,
        default=0,
        metavar="PCT",
        help="for a session: this percent of each line is base64 of random bytes (0; 43 seals "
        "to ~1/3 like the corpus's transcripts, 100 like pasted images)",
    )
    parser.add_argument(
        "--path",
        help="where in the Claude directory the file goes (default: a session, or "
        "agents/big.bin for --kind random)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    size = args.size_mb * MIB
    rel = args.path or (
        "projects/-home-u-big/big-session.jsonl" if args.kind == "session" else "agents/big.bin"
    )

    root = Path(tempfile.mkdtemp(prefix="gcs-memory-"))
    server: Any = None
    try:
        extra: dict[str, str] = {}
        bucket: list[str] = []
        sys.path.insert(0, str(ROOT))
        if args.s3:
            from tests.remote.servers import SeaweedFS, aws_env

            server = SeaweedFS(root / "seaweedfs").start()
            server.client().create_bucket(Bucket="memory")
            extra = aws_env()
            bucket = ["--s3", "s3://memory/sync", "--endpoint", server.endpoint]
        elif args.gcs:
            from tests.remote.servers import FakeGCS

            server = FakeGCS().start(root / "fake-gcs")
            server.client().create_bucket("memory")
            extra = server.env()
            bucket = ["--gcs", "gs://memory/sync"]
        a, b = Machine(root / "a", extra), Machine(root / "b", extra)
        if server is not None:
            a.run("init", *bucket)
            b.run("init", *bucket, "--key", str(a.home / ".claude-sync" / "key"))
        elif args.git_host:  # a host on this disk: its receive-pack and upload-pack count too
            remote = root / "host.git"
            subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
            a.run("init", "--git", str(remote))
        else:
            a.run("init")
            remote = a.home / ".claude-sync" / "remote.git"
        if server is None:
            b.run("init", "--git", str(remote), "--key", str(a.home / ".claude-sync" / "key"))
        target_file = a.home / ".claude" / rel
        target_file.parent.mkdir(parents=True, exist_ok=True)
        if args.kind == "session":
            target_file.write_bytes(session_bytes(size, "a", incompressible=args.incompressible))
        else:
            with open(target_file, "wb") as out:
                for _ in range(0, size, 16 * MIB):
                    out.write(os.urandom(min(16 * MIB, size)))
                out.truncate(size)
                # At a session's path only complete lines travel (the rest may be a line
                # Claude Code is still writing): end with one.
                out.seek(size - 1)
                out.write(b"\n")
        real = target_file.stat().st_size
        print(f"{args.kind} of {real / MB:.0f} MB ({rel}); git-claude-sync in {root}")
        ok = True
        started = time.monotonic()
        ok &= show("push (new file)", a.run("push"), real + 100 * MB)
        stored = subprocess.run(
            ["git", f"--git-dir={a.home / '.claude-sync' / 'repo.git'}", "cat-file", "-s",
             f"HEAD:{rel}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        print(f"{'':<34} stored blob {int(stored.stdout) / MIB:.1f} MiB")
        ok &= show("pull (new file)", b.run("pull"), real + 100 * MB)
        pulled = b.home / ".claude" / rel
        assert pulled.stat().st_size == real, "the pulled file differs in size"
        if args.kind == "random":  # changed whole: the old and the new version
            with open(target_file, "r+b") as out:
                for offset in range(0, real, 16 * MIB):
                    out.write(os.urandom(min(16 * MIB, real - offset)))
                out.seek(real - 1)
                out.write(b"\n")
            ok &= show("push (changed file)", a.run("push"), real + 100 * MB)
            ok &= show("pull (changed file)", b.run("pull"), real + 100 * MB)
            if rel.startswith("projects/") and rel.endswith(".jsonl"):
                # A session only grows where it is pulled: the new lines join the old.
                theirs = set(pulled.read_bytes().splitlines())
                assert theirs >= set(target_file.read_bytes().splitlines()), "lines missing"
            else:
                assert pulled.read_bytes() == target_file.read_bytes(), "the pulled file differs"
        if args.kind == "session":
            with open(target_file, "ab") as out:
                out.write(session_bytes(200_000, "a-more", 10**7))
            with open(pulled, "ab") as out:
                out.write(session_bytes(200_000, "b-more", 2 * 10**7))
            ok &= show("push (appended, no conflict)", a.run("push"), real + 100 * MB)
            ok &= show("push (merged session)", b.run("push"), 2 * real + 100 * MB)
            ok &= show("pull (merged session)", a.run("pull"), 2 * real + 100 * MB)
            with open(target_file, "ab") as out:
                out.write(session_bytes(200_000, "a-again", 3 * 10**7))
            a.run("push")
            ok &= show("pull (appended, no conflict)", b.run("pull"), real + 100 * MB)
            mine, theirs = target_file.read_bytes(), pulled.read_bytes()
            # A pull adds lines in place (never rewriting a live session): same lines, any order.
            assert sorted(mine.splitlines()) == sorted(theirs.splitlines()), "machines disagree"
        print(f"all steps in {time.monotonic() - started:.0f} s; {'all met' if ok else 'missed'}")
        return 0 if ok else 1
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
