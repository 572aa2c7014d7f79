"""CPU of one clean/smudge filter process, as git starts it for a ``git add`` (issue 8).

    .venv/bin/python bench/filter_cpu.py [--adds 20]

git starts the filter process once for every git command that filters (and for every
index it writes in the same second as a file it lists: its racy check cleans that file
again), so its start-up is paid hundreds of times by the test suite and at every push.
This makes a sync repo with ``git claude-sync init`` in a temporary HOME, then ``--adds``
times appends a line to a session and runs ``git add`` of it, with the filter process
started under a small waiter that reports the user+system CPU of the process and of
what it waited for (its ``git cat-file``s).  Prints the minimum and median.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys

from table import scratch

from bench import clean_env, compile_package, run

# Runs the filter command it is given and appends "wall user+sys" (seconds) to a file.
WAITER = """
import os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.spawnvp(os.P_NOWAIT, argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(out, "a") as f:
    f.write(f"{time.perf_counter() - start} {usage.ru_utime + usage.ru_stime}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adds", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    compile_package()
    with scratch("filter-cpu-", args.keep) as tmp:
        home = tmp / "home"
        session = home / ".claude" / "projects" / "-tmp-x" / "s.jsonl"
        session.parent.mkdir(parents=True)
        session.write_text('{"n":0}\n')
        env = clean_env(home)
        run("git claude-sync init -q", env, home)
        git_dir = home / ".claude-sync" / "repo.git"
        git = ["git", f"--git-dir={git_dir}"]
        process = run([*git, "config", "filter.claude-sync.process"], env, home).stdout.strip()
        times = tmp / "times"
        waited = shlex.join([sys.executable, "-c", WAITER, str(times)]) + " " + process
        for n in range(1, args.adds + 1):
            with session.open("a") as f:
                f.write(f'{{"n":{n},"pad":"{"x" * 200}"}}\n')
            subprocess.run(
                [*git, "-c", f"filter.claude-sync.process={waited}", "add", "projects"],
                env=env, cwd=home / ".claude", check=True,
            )  # fmt: skip
        rows = [line.split() for line in times.read_text().splitlines()]
    wall = sorted(float(w) for w, _ in rows)
    cpu = sorted(float(c) for _, c in rows)
    print(f"filter processes: {len(rows)} (one per git add of {args.adds})")
    print(
        f"CPU (user+sys, with its cat-files): min {cpu[0] * 1000:.1f} ms, "
        f"median {statistics.median(cpu) * 1000:.1f} ms"
    )
    print(f"wall: min {wall[0] * 1000:.1f} ms, median {statistics.median(wall) * 1000:.1f} ms")
    print(f"(python -c pass here: {_pass_cpu() * 1000:.1f} ms CPU, min of 10)")
    return 0


def _pass_cpu() -> float:
    best = float("inf")
    for _ in range(10):
        pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, "-c", "pass"])
        _, _, usage = os.wait4(pid, 0)
        best = min(best, usage.ru_utime + usage.ru_stime)
    return best


if __name__ == "__main__":
    sys.exit(main())
