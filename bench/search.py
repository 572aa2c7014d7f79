"""Search index: a warm query against grep -r, and the index update after a push.

Builds the benchmark tree of bench.py (same generator, same seed), sets up
git-claude-sync on it, builds the search index, then measures:

1. a warm query (the index's pages in the page cache, the process running: as
   the web UI or a second query sees it) against ``grep -r -i -F`` over the same
   plaintext (the ``projects/`` folder, in the page cache too) -- target: >= 50x
   faster; the whole CLI (``git claude-sync search WORD``, a new Python each
   time) is printed beside it;
2. the index update after one appended message (~2 KB) against the push that
   sends it -- target: < 10% of the push.  Measured apart: the push runs with
   the index moved aside (its hook then does nothing), then the update the hook
   would have run is timed in a fresh interpreter (imports included).  A last
   round checks the hook itself: a push with the index present, and the new
   text found without any further update.

    .venv/bin/python bench/search.py                # 200 MiB
    .venv/bin/python bench/search.py --size-mb 20   # quick
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table import box, scratch, size  # noqa: E402

import bench  # noqa: E402  (the tree generator and helpers)

ROUNDS = 3
REPEATS = 7

# What the hook does after a push, in a process that has what a push has loaded (the
# engine, the repo and key open); the search modules are imported inside the timer.
UPDATE_PROBE = """
import time
from git_claude_sync.commands import push
from git_claude_sync.crypto import keyfile
from git_claude_sync.engine.sync_repo import git_for
from git_claude_sync.machine.paths import current
layout = current()
git, key = git_for(layout), keyfile.load(layout.key_file)
start = time.perf_counter()
from git_claude_sync.search import index
from git_claude_sync.search.source import source_for
stats = index.update_from(source_for(layout, git, key))
print(time.perf_counter() - start, stats.files, stats.bytes, stats.entries)
"""

FOUND_PROBE = """
import sys
from git_claude_sync.search import index, database
from git_claude_sync.machine.paths import current
db = database.open_index(current().search_index_file)
print(len(db.execute("SELECT rowid FROM entry_text WHERE entry_text MATCH ?", (sys.argv[1],))
          .fetchall()))
"""

QUERY_PROBE = """
import json, statistics, sys, time
from git_claude_sync.search import index
words, repeats = json.loads(sys.argv[1]), int(sys.argv[2])
out = {}
for word in words:
    hits = index.query(word, limit=20)  # warm-up: opens the pages once
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        hits = index.query(word, limit=20)
        times.append(time.perf_counter() - start)
    out[word] = [statistics.median(times), len(hits)]
print(json.dumps(out))
"""


def _words(projects: Path, rng: random.Random, count: int) -> list[str]:
    """Words people typed in the tree's prompts: rare ones and common ones."""
    found: dict[str, int] = {}
    files = sorted(projects.rglob("*.jsonl"))
    for path in rng.sample(files, min(40, len(files))):
        for raw in path.read_bytes().splitlines()[:200]:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            content = (line.get("message") or {}).get("content") if line.get("type") else None
            if line.get("type") == "user" and isinstance(content, str):
                for word in re.findall(r"\b[a-zA-Z]{7,}\b", content):
                    found[word.lower()] = found.get(word.lower(), 0) + 1
    ranked = sorted(found, key=lambda w: (found[w], w))
    rare = ranked[: max(1, len(ranked) // 10)]
    common = ranked[-max(1, len(ranked) // 10) :]
    # "error": words the tree kept in clear (re-read files, reminders) match thousands of lines.
    picked = rng.sample(rare, min(count, len(rare))) + rng.sample(common, min(1, len(common)))
    return [*picked, "error"]


def _grep_time(word: str, projects: Path, env: dict[str, str]) -> float:
    cmd = ["grep", "-r", "-i", "-F", "-c", word, str(projects)]
    bench.run(cmd, env, projects, check=False)  # warm-up: the files in the page cache
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _verdict(met: bool) -> str:
    return "target met" if met else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--corpus", type=Path, default=bench.CORPUS)
    args = parser.parse_args(argv)
    with scratch("claude-sync-search-bench-", args.keep) as tmp:
        step = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
        home = tmp / "sync"
        bench.install_launcher(tmp)
        step(f"generating {args.size_mb:g} MiB (seed {args.seed}) in {tmp} …")
        tree_bytes = int(args.size_mb * bench.MIB)
        tree = bench.generate(home / ".claude", tree_bytes, args.seed, args.corpus)
        assert tree.big_session is not None and tree.big_session_obj is not None
        env = bench.clean_env(home)
        projects = home / ".claude" / "projects"
        step("init + push …")
        bench.run("git claude-sync init -q && git claude-sync push -q", env, home)

        step("building the index …")
        build, out = bench.timed("git claude-sync search --rebuild", env, home)
        index_dir = home / ".claude-sync" / "search"
        index_size = bench.dir_bytes(index_dir)
        plain_size = bench.dir_bytes(projects)

        rng = random.Random(args.seed)
        words = _words(projects, rng, 3)
        step(f"queries: {', '.join(words)} …")
        probe = bench.run(
            [sys.executable, "-c", QUERY_PROBE, json.dumps(words), str(REPEATS)], env, home
        )
        warm = json.loads(probe.stdout)
        rows = []
        for word in words:
            grep = _grep_time(word, projects, env)
            cli = statistics.median(
                bench.timed(["git", "claude-sync", "search", "-n", "20", word], env, home)[0]
                for _ in range(3)
            )
            query, hits = warm[word]
            rows.append((word, hits, query, grep, cli))

        step("append + push, then the update …")
        pushes, updates = [], []
        for _ in range(ROUNDS):
            with tree.big_session.open("ab") as handle:
                handle.write(bench.append_line(tree.big_session_obj))
            aside = tmp / "index-aside"
            index_dir.rename(aside)
            pushes.append(bench.timed("git claude-sync push", env, home)[0])
            aside.rename(index_dir)
            probe = bench.run([sys.executable, "-c", UPDATE_PROBE], env, home)
            seconds, files, read, entries = probe.stdout.split()
            updates.append((float(seconds), int(files), int(read), int(entries)))
        # The hook itself: a push with the index present brings it up to date.
        marker = f"zqxhook{rng.randrange(10**9)}"
        with tree.big_session.open("ab") as handle:
            handle.write(
                json.dumps(
                    {
                        "type": "user",
                        "sessionId": "x",
                        "timestamp": "2026-01-02T00:00:00Z",
                        "message": {"role": "user", "content": f"find {marker} please"},
                    }
                ).encode()
                + b"\n"
            )
        hooked_push = bench.timed("git claude-sync push", env, home)[0]
        found = bench.run([sys.executable, "-c", FOUND_PROBE, marker], env, home).stdout.strip()

        print(
            f"\n{tree.files} files, {size(tree.size)} (seed {args.seed}); {box()}\n"
            f"index: built in {build:.1f} s by 'search --rebuild', {size(index_size)} "
            f"for {size(plain_size)} of transcripts ({out.strip()})\n"
        )
        print("warm query (in-process, median of 7) vs grep -r -i -F over projects/ (median of 7)")
        print(
            f"{'word':<16} {'hits':>5} {'query':>9} {'grep -r':>9} {'speed-up':>9}  "
            f"{'CLI':>7}  target >= 50x"
        )
        for word, hits, query, grep, cli in rows:
            ratio = grep / query if query else float("inf")
            print(
                f"{word:<16} {hits:>5} {query * 1000:>7.2f}ms {grep * 1000:>7.1f}ms "
                f"{ratio:>8.0f}x  {cli:>6.2f}s  {_verdict(ratio >= 50)}"
            )
        push = statistics.median(pushes)
        update = statistics.median(u[0] for u in updates)
        each = ", ".join(
            f"{u[0] * 1000:.0f} ms: {u[1]} file, {u[2]} B read, {u[3]} entries" for u in updates
        )
        share = update / push
        print(
            f"\nappend one ~2 KB message, push: median {push:.2f} s over {ROUNDS} "
            f"({', '.join(f'{p:.2f}' for p in pushes)})\n"
            f"index update after it: median {update * 1000:.0f} ms "
            f"({each})\n"
            f"update / push = {share:.1%}  (target < 10%: {_verdict(share < 0.10)})\n"
            f"push with the hook indexing: {hooked_push:.2f} s; new text found afterwards "
            f"without another update: {'yes' if found == '1' else 'NO (' + found + ')'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
