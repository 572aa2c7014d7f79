"""Latency of the steps a user repeats all day, against plain git in the same run (issue 14).

    .venv/bin/python bench/latency.py [--size-mb 200] [--seed 1] [--repeats 9] [--keep]

Prints, each with its target and met / missed:

- CLI start-up: ``git-claude-sync --version``, and ``status`` on a freshly initialised machine
  with an empty Claude directory, each as time over ``python -c pass`` (same interpreter):
  at most 80 ms over.
- A no-change ``push`` (through the installed launcher, as the hooks run it) against
  ``git status`` on an identical plain git copy of the same tree: at most 1.5x.  ``git status``
  on the sync repo itself is printed too (it skips the linked project folders).
- A ``pull`` with nothing new against ``git fetch`` with nothing new in that plain copy (from
  its own local bare remote, as ours fetches from the default local bare remote): at most 2x.

The tree is bench.py's generated Claude directory (seeded).  Each figure is the median of
``--repeats`` runs after one warm-up, ours and plain git's taken alternately so that other
work on the box skews both alike.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from table import Row, box, render, scratch

import bench
from bench import CORPUS, MIB, clean_env, generate, install_launcher, install_product, run


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


@dataclass
class OverRow(Row):
    """A row whose target is an amount over plain's figure (seconds), not a ratio."""

    over_at_most: float = 0.0

    @property
    def met(self) -> bool | None:
        assert self.plain is not None
        return self.ours - self.plain <= self.over_at_most

    def cells(self) -> tuple[str, str, str, str, str]:
        assert self.plain is not None
        verdict = "met" if self.met else "MISSED"
        return (
            self.step + (f" ({self.note})" if self.note else ""),
            self.show(self.ours),
            self.show(self.plain),
            f"+{(self.ours - self.plain) * 1000:.1f} ms",
            f"<= +{self.over_at_most * 1000:g} ms: {verdict}",
        )


Command = tuple[Sequence[str], dict[str, str], Path]


def _once(cmd: Command) -> float:
    argv, env, cwd = cmd
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # status says 1 for "changes"; anything else is a failure
        raise SystemExit(f"failed: {argv}\n{proc.stdout!r}\n{proc.stderr!r}")
    return took


def medians(repeats: int, *commands: Command) -> list[float]:
    """The median time of each command, run in turn ``repeats`` times after one warm-up."""
    for cmd in commands:
        _once(cmd)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeats):
        for i, cmd in enumerate(commands):
            times[i].append(_once(cmd))
    return [statistics.median(t) for t in times]


def startup_rows(tmp: Path, repeats: int) -> list[Row]:
    home = tmp / "empty"
    (home / ".claude").mkdir(parents=True)
    env = clean_env(home)
    run("git claude-sync init -q", env, home)
    python: Command = ([str(bench.BIN_DIR / "python"), "-c", "pass"], env, home)
    version: Command = (["git-claude-sync", "--version"], env, home)
    status: Command = (["git-claude-sync", "status"], env, home)
    base, ours_version, ours_status = medians(repeats, python, version, status)
    return [
        OverRow("--version vs python -c pass", ours_version, base, ms, over_at_most=0.080),
        OverRow("status, empty repo vs python -c pass", ours_status, base, ms, over_at_most=0.080),
    ]


def tree_rows(tmp: Path, size: int, seed: int, corpus: Path, repeats: int) -> list[Row]:
    sync_home, plain_home = tmp / "sync", tmp / "plain"
    step(f"generating {size / MIB:g} MiB (seed {seed}) …")
    tree = generate(sync_home / ".claude", size, seed, corpus)
    shutil.copytree(sync_home / ".claude", plain_home / "work")
    step(f"  {tree.files} files; first push and plain git's first commit …")

    env = clean_env(sync_home)
    run("git claude-sync init -q && git claude-sync push -q", env, sync_home)
    claude, tool = sync_home / ".claude", sync_home / ".claude-sync"
    sync_git_env = {**env, "GIT_DIR": str(tool / "repo.git"), "GIT_WORK_TREE": str(claude)}

    penv = clean_env(plain_home)
    work, remote = plain_home / "work", plain_home / "remote.git"
    run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], penv, plain_home)
    run(
        "git init -q -b main . && git config user.name bench && git config user.email b@x && "
        f"git remote add origin {remote} && git add -A && git commit -q -m init && "
        "git push -q -u origin main",
        penv,
        work,
    )
    step("timing …")
    push, plain_status, sync_status = medians(
        repeats,
        (["git-claude-sync", "push"], env, sync_home),
        (["git", "status", "--porcelain"], penv, work),
        (["git", "status", "--porcelain"], sync_git_env, claude),
    )
    pull, fetch = medians(
        repeats,
        (["git-claude-sync", "pull"], env, sync_home),
        (["git", "fetch", "-q", "origin"], penv, work),
    )
    label = f"{size / MIB:g} MiB, {tree.files} files"
    return [
        Row(f"no-change push vs git status ({label})", push, plain_status, ms, at_most=1.5),
        Row("  git status on the sync repo (for reference)", sync_status, plain_status, ms),
        Row(f"pull, nothing new vs git fetch, nothing new ({label})", pull, fetch, ms, at_most=2.0),
    ]


def step(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=200, help="size of the tree (MiB)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--only", choices=["startup", "tree"], help="only the start-up rows, or the tree rows"
    )
    args = parser.parse_args(argv)
    with scratch("claude-sync-latency-", args.keep) as tmp:
        install_product(tmp)  # as a user's install: byte-compiled, no editable finder (bench.py)
        install_launcher(tmp)
        rows: list[Row] = []
        parts: list[Callable[[], list[Row]]] = []
        if args.only != "tree":
            parts.append(lambda: startup_rows(tmp, args.repeats))
        if args.only != "startup":
            size = int(args.size_mb * MIB)
            parts.append(lambda: tree_rows(tmp, size, args.seed, args.corpus, args.repeats))
        for part in parts:
            rows += part()
        print(f"\nmedians of {args.repeats}; {box()} (other work on the box skews timings)\n")
        print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
