"""Soak: the multi-machine random simulation for many seeded steps; prints lost lines.

    .venv/bin/python bench/soak.py                 # 1,000 steps: 4 seeds x 250
    .venv/bin/python bench/soak.py --steps 5000 --seeds 10

Each seed runs tests/end_to_end/test_simulation.py (three fake machines sharing a
Claude directory through the real CLI and a real remote: appends torn mid-line
and finished through a descriptor held open across pulls, resumed sessions,
conflicting settings, deletions, concurrent pushes, and the faults of issue 9:
commands turned into links to a dotfiles folder, skills cloned with git (nested
repositories), emptied Claude directories (push refused, pull restores) and a
hung transport (stopped within its stall limit, lock freed)), which checks after every
full sync round that every line ever written is there, once, in each machine's
order.  A seed that fails is printed with the line to replay it.  The figure
that must stay 0 is "lost or corrupted lines"; CI runs the short default
simulation with a fresh seed on every run.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/end_to_end/test_simulation.py"


def run_seed(seed: int, steps: int) -> tuple[bool, str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-n",
            "0",
            "-p",
            "no:randomly",
            TEST,
            "--sim-seed",
            str(seed),
            "--sim-steps",
            str(steps),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return proc.returncode == 0, proc.stdout + proc.stderr, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="steps in all (default 1000)")
    parser.add_argument("--seeds", type=int, default=4, help="seeds to split them over")
    parser.add_argument("--seed", type=int, help="first seed (default: random)")
    args = parser.parse_args()
    first = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    per_seed = max(1, args.steps // args.seeds)
    failed, rounds = [], 0
    print(f"soak: {args.seeds} seeds x {per_seed} steps, first seed {first}")
    for seed in range(first, first + args.seeds):
        ok, output, seconds = run_seed(seed, per_seed)
        found = re.search(r"(\d+) full sync rounds", output)
        rounds += int(found.group(1)) if found else 0
        print(f"  seed {seed}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s")
        if not ok:
            failed.append(seed)
            tail = [line for line in output.splitlines() if line.startswith("E ")][:12]
            print("\n".join("    " + line for line in tail))
            print(f"    replay: pytest {TEST} -n 0 --sim-seed {seed} --sim-steps {per_seed}")
    total = per_seed * args.seeds
    print(f"steps: {total}, full sync rounds checked: {rounds}")
    print(f"lost or corrupted lines: {'0' if not failed else 'see the failed seeds above'}")
    print(f"seeds failed: {len(failed)} of {args.seeds}  (target: 0)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
