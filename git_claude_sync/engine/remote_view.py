"""Our view of the remote (a fetch, following a moved remote's marker), and when this
machine last fetched, pushed and pulled (``state.json``, the times ``status`` shows).

Apart from ``steps`` so that ``status`` can fetch without importing the merge and
apply machinery: on an unchanged tree it needs nothing else of the engine.
"""

from __future__ import annotations

import json
import time

from git_claude_sync.engine import hidden_branch
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.machine.files import atomic_write


def fetch(repo: SyncRepo) -> str | None:
    """Update our view of the remote; returns its tip, or None if it is empty."""
    tip = hidden_branch.follow(repo.git, repo.git.fetch_branch())
    record_state(repo, "fetched")
    return tip


def load_state(repo: SyncRepo) -> dict[str, float]:
    try:
        data = json.loads(repo.layout.state_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return (
        {k: v for k, v in data.items() if isinstance(v, (int, float))}
        if isinstance(data, dict)
        else {}
    )


def record_state(repo: SyncRepo, event: str) -> None:
    state = load_state(repo)
    state[event] = time.time()
    text = json.dumps(state, indent=2, sort_keys=True) + "\n"
    atomic_write(repo.layout.state_file, text.encode(), durable=False)  # times status shows
