"""Where the test suite's CPU goes, by kind of process (issue 8).

    .venv/bin/python bench/suite_cpu.py tests/remote/test_s3.py -n 0
    .venv/bin/python bench/suite_cpu.py            # the whole suite, as pyproject runs it

Runs pytest with the arguments given and prints, for every kind of Python process the
run started (the CLI by subcommand, the remote helper by kind of remote, the filter
process, the merge driver, textconv, pytest and its workers), how many ran and their
user and system CPU; then the run's whole CPU (every process waited for: git, the
servers, Claude Code), so that what is not Python shows as the difference.

Each Python process reports itself at exit from a hook that site loads at startup: a
``.pth`` file put in the venv's site-packages for the run and removed after it (a
``sitecustomize`` on PYTHONPATH would not do: the fault-injection tests put their own
first).  A process killed by a signal (the fault tests kill some) reports nothing.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import sysconfig
import tempfile
from collections import defaultdict
from pathlib import Path

LOG_ENV = "SUITE_CPU_LOG"  # not CLAUDE_*: tests/machines.py drops those
HOOK = "zz_claude_sync_bench_cpu"

# Appends "kind<TAB>detail<TAB>user<TAB>system" at exit; inert unless LOG_ENV is set.
HOOK_SOURCE = f'''
import os, sys
if os.environ.get("{LOG_ENV}"):
    import atexit, resource
    def _report():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        argv = sys.argv or ["?"]
        detail = " ".join(argv[1:3]).replace("\\t", " ").replace("\\n", " ")
        line = "%s\\t%s\\t%.3f\\t%.3f\\n" % (
            os.path.basename(argv[0] or "?"), detail, usage.ru_utime, usage.ru_stime
        )
        try:
            with open(os.environ["{LOG_ENV}"], "a") as log:
                log.write(line)
        except OSError:
            pass
    atexit.register(_report)
'''


def kind(name: str, detail: str) -> str:
    if name == "git-claude-sync":
        return f"CLI {detail.split(' ')[0]}"
    if name == "git-remote-claude-sync":
        for scheme in ("s3://", "gs://", "git+", "file://"):
            if scheme in detail:
                return f"remote helper {scheme.rstrip(':/+')}"
        return "remote helper (other)"
    if name in ("process.py", "merge_driver.py", "textconv.py", "clean.py"):
        return f"filters/{name}"
    if name in ("-c", "__main__.py"):
        return "pytest (controller, workers) and python -c"
    return name


def main() -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    module, pth = site / f"{HOOK}.py", site / f"{HOOK}.pth"
    with tempfile.TemporaryDirectory(prefix="suite-cpu-") as scratch:
        log = Path(scratch) / "cpu.log"
        module.write_text(HOOK_SOURCE)
        pth.write_text(f"import {HOOK}\n")
        try:
            env = {**os.environ, LOG_ENV: str(log)}
            returncode = subprocess.run(
                [sys.executable, "-m", "pytest", *sys.argv[1:]], env=env
            ).returncode
        finally:
            pth.unlink(missing_ok=True)
            module.unlink(missing_ok=True)
        lines = log.read_text().splitlines() if log.exists() else []
    whole = resource.getrusage(resource.RUSAGE_CHILDREN)
    count: dict[str, int] = defaultdict(int)
    user: dict[str, float] = defaultdict(float)
    system: dict[str, float] = defaultdict(float)
    for line in lines:
        name, detail, u, s = line.split("\t")
        key = kind(name, detail)
        count[key] += 1
        user[key] += float(u)
        system[key] += float(s)
    print(f"\n{'kind of process':<44} {'runs':>6} {'user s':>8} {'sys s':>8} {'each ms':>8}")
    for key in sorted(count, key=lambda k: -(user[k] + system[k])):
        each = (user[key] + system[key]) / count[key] * 1000
        print(f"{key:<44} {count[key]:>6} {user[key]:>8.1f} {system[key]:>8.1f} {each:>8.0f}")
    python = sum(user.values()) + sum(system.values())
    total = whole.ru_utime + whole.ru_stime
    print(f"{'Python processes':<44} {sum(count.values()):>6} {python:>17.1f}")
    print(f"{'everything else (git, servers, Claude Code)':<44} {'':>6} {total - python:>17.1f}")
    print(f"{'the whole run':<44} {'':>6} {whole.ru_utime:>8.1f} {whole.ru_stime:>8.1f}")
    return returncode


if __name__ == "__main__":
    sys.exit(main())
