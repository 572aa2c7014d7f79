"""CPU of init, a joining init, pull and key fingerprint, the CLI and all it starts.

    .venv/bin/python bench/setup_cpu.py            # this checkout, 7 rounds
    .venv/bin/python bench/setup_cpu.py --rounds 11 --venv /path/to/other/.venv

Each round makes two machines (a HOME each, in a temporary folder) on a local remote: the
first inits and pushes 3 sessions, the second joins, pulls with nothing new, pulls 3 new
sessions, asks its key's fingerprint and its status.  Prints the min and median CPU
(user + system of the command and every process it waited for: git, the filter) of each
step.  Each command starts in a new second (see ``run``).  The package should be
byte-compiled first (the tests' conftest does it): under PYTHONDONTWRITEBYTECODE each
start would compile every module again.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

STEPS = ("init", "join", "pull-nothing", "pull-3-files", "key-fingerprint", "status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--venv", type=Path, default=Path(__file__).parents[1] / ".venv")
    args = parser.parse_args()
    bin_dir = str(args.venv.resolve() / "bin")
    cpu: dict[str, list[float]] = {step: [] for step in STEPS}
    with tempfile.TemporaryDirectory(prefix="setup-cpu-") as scratch:
        for n in range(args.rounds):
            one_round(Path(scratch) / str(n), bin_dir, cpu)
    for step, values in cpu.items():
        print(f"{step:16s} min {min(values):6.1f}  median {statistics.median(values):6.1f} ms")


def one_round(where: Path, bin_dir: str, cpu: dict[str, list[float]]) -> None:
    a, b = where / "a", where / "b"
    for home in (a, b):
        (home / ".claude" / "projects" / "-p").mkdir(parents=True)

    def run(home: Path, *args: str) -> float:
        # Files written in the second of the index git wrote last are read again through
        # the clean filter by the next git add (git's racy-timestamp rule): a filter
        # process or not, by the clock.  Starting each command in a new second takes the
        # clock out of the figures.
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CLAUDE_"))}
        env.update(HOME=str(home), PATH=bin_dir + os.pathsep + env.get("PATH", ""))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(["git", "claude-sync", *args], env=env, cwd=home, check=True,
                       capture_output=True)  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return 1000 * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)

    def sessions(prefix: str) -> None:
        for i in range(3):
            line = f'{{"type":"user","uuid":"{prefix}{i}"}}\n'
            (a / ".claude" / "projects" / "-p" / f"{prefix}{i}.jsonl").write_text(line)

    sessions("s")
    cpu["init"].append(run(a, "init"))
    run(a, "push")
    remote, key = a / ".claude-sync" / "remote.git", a / ".claude-sync" / "key"
    cpu["join"].append(run(b, "init", "--git", str(remote), "--key", str(key)))
    cpu["pull-nothing"].append(run(b, "pull"))
    sessions("t")
    run(a, "push")
    cpu["pull-3-files"].append(run(b, "pull"))
    cpu["key-fingerprint"].append(run(b, "key", "fingerprint"))
    cpu["status"].append(run(b, "status"))


if __name__ == "__main__":
    main()
