"""Bytes uploaded and time per incremental push to S3: git-claude-sync beside AWS's git-remote-s3.

Starts SeaweedFS on 127.0.0.1 (the same server as the tests), builds a Claude
directory of generated transcripts, syncs it with ``git claude-sync`` over
``--s3``, then appends about 2 KB to one session and pushes, several times.
After each of our pushes, the very same sync repository is pushed with plain
``git push`` to two more buckets: one through our helper (``claude-sync::s3://``,
no CLI around it) and one through AWS's ``git-remote-s3`` (``s3://``), if that
package is installed (``pip install git-remote-s3``, or the ``bench`` extra).

Bytes uploaded are measured on the server side: the sizes of the objects that
are new or rewritten after the push.

    .venv/bin/python bench/remote_s3.py [--size-mb 20] [--pushes 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.remote.cases import session_bytes  # noqa: E402
from tests.remote.servers import SeaweedFS, aws_env  # noqa: E402

BIN = str(Path(sys.executable).parent)


def snapshot(server: SeaweedFS, bucket: str) -> dict[str, tuple[int, str]]:
    client = server.client()
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = (int(item["Size"]), item["ETag"])
    return found


def uploaded(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> int:
    return sum(size for name, (size, etag) in after.items() if before.get(name) != (size, etag))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20.0, help="size of the Claude directory")
    parser.add_argument("--pushes", type=int, default=5, help="incremental pushes to measure")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-remote-s3-"))
    server = SeaweedFS(work / "seaweedfs").start()
    try:
        run(server, work, args.size_mb, args.pushes)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(server: SeaweedFS, work: Path, size_mb: float, pushes: int) -> None:
    home = work / "home"
    claude = home / ".claude"
    aws_config = work / "aws-config"
    # git-remote-s3 takes the endpoint from the environment (AWS_ENDPOINT_URL) and the
    # addressing style from the shared config, as any boto3 program does.
    aws_config.write_text(
        "[default]\nregion = us-east-1\nrequest_checksum_calculation = when_required\n"
        "response_checksum_validation = when_required\ns3 =\n    addressing_style = path\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CLAUDE_"))}
    env.update(aws_env())
    env.update(
        HOME=str(home),
        PATH=BIN + os.pathsep + env.get("PATH", ""),
        AWS_CONFIG_FILE=str(aws_config),
        AWS_ENDPOINT_URL=server.endpoint,
        CLAUDE_SYNC_KEY_FILE=str(home / ".claude-sync" / "key"),
    )
    for bucket in ("ours-cli", "ours-git", "theirs"):
        server.client().create_bucket(Bucket=bucket)

    # A Claude directory: sessions of 100 KB to 5 MB, the largest one gets the appends.
    rng = random.Random(5)
    total, index = 0, 0
    target = int(size_mb * 1024 * 1024)
    big = claude / "projects" / "-home-bench-project" / "main-session.jsonl"
    big.parent.mkdir(parents=True)
    big.write_bytes(session_bytes(min(5 * 1024 * 1024, target), seed=1))
    total += big.stat().st_size
    while total < target:
        index += 1
        path = claude / "projects" / f"-home-bench-p{index % 7}" / f"s{index}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(session_bytes(rng.randrange(100_000, 2_000_000), seed=100 + index))
        total += path.stat().st_size
    print(
        f"Claude directory: {total / 1e6:.1f} MB in {index + 1} sessions; server SeaweedFS "
        f"{server.endpoint}"
    )

    def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(list(argv), env=env, cwd=home, capture_output=True)
        if check and proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr.decode(errors='replace')}")
        return proc

    sh("git", "claude-sync", "init", "--s3", "s3://ours-cli/sync", "--endpoint", server.endpoint)
    git_dir = str(home / ".claude-sync" / "repo.git")
    ours_url = f"claude-sync::s3://ours-git/sync?endpoint={server.endpoint}"
    sh("git", "--git-dir", git_dir, "remote", "add", "ours-git", ours_url)
    theirs = shutil.which("git-remote-s3", path=env["PATH"])
    if theirs:
        sh("git", "--git-dir", git_dir, "remote", "add", "theirs", "s3://theirs/sync")
    else:
        why = "git-remote-s3 is not installed (pip install git-remote-s3, or the 'bench' extra)"
        print(f"AWS git-remote-s3: not measured: {why}")

    columns = [("git claude-sync push (CLI)", "ours-cli", None)]
    columns.append(("git push, claude-sync:: helper", "ours-git", "ours-git"))
    if theirs:
        columns.append(("git push, AWS git-remote-s3", "theirs", "theirs"))
    rows: list[tuple[str, list[tuple[int, float]]]] = []

    for step in range(pushes + 1):
        if step:
            with open(big, "ab") as handle:
                handle.write(session_bytes(2048, seed=1000 + step))
        cells = []
        for _label, bucket, remote in columns:
            before = snapshot(server, bucket)
            start = time.perf_counter()
            if remote is None:
                sh("git", "claude-sync", "push", "-q")
            else:
                proc = sh("git", "--git-dir", git_dir, "push", "-q", remote, "main", check=False)
                if proc.returncode != 0:
                    print(f"{remote}: push failed: {proc.stderr.decode(errors='replace')[-500:]}")
            seconds = time.perf_counter() - start
            cells.append((uploaded(before, snapshot(server, bucket)), seconds))
        rows.append(("first push" if step == 0 else f"+2 KB #{step}", cells))

    print()
    header = f"{'':14}" + "".join(f"{label:>38}" for label, _b, _r in columns)
    print(header)
    for name, cells in rows:
        print(f"{name:14}" + "".join(f"{_bytes(b):>24} {s:9.2f} s   " for b, s in cells))
    incremental = rows[1:]
    if incremental:
        print()
        for i, (label, _b, _r) in enumerate(columns):
            avg_bytes = sum(cells[i][0] for _n, cells in incremental) / len(incremental)
            avg_time = sum(cells[i][1] for _n, cells in incremental) / len(incremental)
            print(f"mean per incremental push, {label}: {_bytes(int(avg_bytes))}, {avg_time:.2f} s")


def _bytes(count: int) -> str:
    if count < 10_000:
        return f"{count} B"
    if count < 10_000_000:
        return f"{count / 1000:.1f} KB"
    return f"{count / 1e6:.1f} MB"


if __name__ == "__main__":
    main()
