"""Where things live.  Every location derives from ``HOME`` and ``CLAUDE_CONFIG_DIR``
at call time, so tests (and people) can run several "machines" on one box.

Every file under the tool's home (``~/.claude-sync``) is named here and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

from git_claude_sync.records import dataclass

# Set by a key rotation's push (engine/steps.send) to the new key's file: the
# bucket remote helper then moves the bucket to that key (remote/rekey.py).
NEXT_KEY_FILE_ENV = "CLAUDE_SYNC_NEXT_KEY_FILE"


@dataclass(frozen=True)
class Layout:
    home: Path  # the tool's home, ~/.claude-sync
    claude_dir: Path  # the work tree: $CLAUDE_CONFIG_DIR or ~/.claude

    @staticmethod
    def of_git_dir(git_dir: Path) -> Layout:
        """The tool's home around a sync repo (its Claude directory unknown here)."""
        return Layout(home=git_dir.parent, claude_dir=Path())

    @property
    def git_dir(self) -> Path:
        return self.home / "repo.git"

    def initialised(self) -> bool:
        """Whether init made the sync repo here (it has a HEAD)."""
        return (self.git_dir / "HEAD").is_file()

    @property
    def key_file(self) -> Path:
        return self.home / "key"

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    @property
    def default_remote(self) -> Path:
        return self.home / "remote.git"

    @property
    def log_file(self) -> Path:
        return self.home / "sync.log"

    @property
    def state_file(self) -> Path:
        return self.home / "state.json"

    @property
    def lock_file(self) -> Path:
        return self.home / "sync.lock"

    @property
    def pending_key_file(self) -> Path:
        """A rotation's new key, written before it is pushed."""
        return self.home / "key.next"

    @property
    def old_keys_dir(self) -> Path:
        return old_keys_dir(self.key_file)

    @property
    def conflicts_file(self) -> Path:
        """Conflicts kept for later (engine/conflict_store.py)."""
        return self.home / "conflicts.json"

    @property
    def map_file(self) -> Path:
        """This machine's project folder rules (claude/project_folders.py)."""
        return self.home / "map.json"

    @property
    def turn_file(self) -> Path:
        """Touched by the per-turn hook; its mtime is the last turn's end (commands/install.py)."""
        return self.home / "turn.stamp"

    @property
    def turn_runner_file(self) -> Path:
        """The pid of the detached runner that pushes once turns go quiet."""
        return self.home / "turn-runner.pid"

    @property
    def sessions_cache_file(self) -> Path:
        """Summaries of session blobs already decrypted (engine/session_history.py)."""
        return self.home / "sessions-cache.json"

    @property
    def conflicts_waiting_file(self) -> Path:
        """Exists while conflict copies wait for a person (engine/conflict_copies.py; bin/)."""
        return self.home / "conflicts-waiting"

    @property
    def deferred_lines_file(self) -> Path:
        """Lines a pull could not append yet (engine/deferred_lines.py)."""
        return self.home / "deferred-lines.json"

    @property
    def linked_roots_file(self) -> Path:
        """Linked folders and files staged through their link, for the launcher."""
        return self.home / "linked-roots"

    @property
    def metrics_file(self) -> Path:
        """This machine's push and pull measures, carried in the repo (engine/sync_metrics.py)."""
        return self.home / "sync-metrics.json"

    @property
    def search_dir(self) -> Path:
        """The search index's folder (mode 0700): the database and SQLite's journal beside it."""
        return self.home / "search"

    @property
    def search_index_file(self) -> Path:
        """The full-text index of every synced session (search/database.py): plaintext, 0600."""
        return self.search_dir / "index.sqlite3"

    @property
    def up_to_date_file(self) -> Path:
        """Empty; dated by the launcher when a pull found nothing new (bin/, commands/status)."""
        return self.home / "up-to-date"

    @property
    def link_stats_file(self) -> Path:
        """Blob ids of files read through symlinks, by their stat (engine/odd_paths.py)."""
        return self.home / "link-stats"

    @property
    def link_stats_json_file(self) -> Path:
        """``link_stats_file`` as an older version wrote it: read once, then removed."""
        return self.home / "link-stats.json"

    @property
    def seen_state_file(self) -> Path:
        """The newest sealed state this machine has seen on the remote (engine/sealed_state.py)."""
        return self.home / "seen-state.json"

    @property
    def no_delta_file(self) -> Path:
        """Synced files whose delta search would take more memory than a sync may (one
        repo path a line; engine/delta_budget.py): git's attributes give them ``-delta``."""
        return self.home / "no-delta"

    @property
    def seen_manifests_file(self) -> Path:
        """The newest bucket manifest seen, per remote URL (remote/freshness.py)."""
        return self.home / "seen-manifests.json"


def old_keys_dir(key_file: Path) -> Path:
    """Retired keys, beside the key file (the filters know only the key file's path)."""
    return key_file.parent / "old-keys"


def user_home() -> Path:
    home = os.environ.get("HOME")
    return Path(home) if home else Path.home()


def current() -> Layout:
    """The layout for this process's environment."""
    home = user_home()
    tool_home = os.environ.get("CLAUDE_SYNC_HOME")
    claude = os.environ.get("CLAUDE_CONFIG_DIR")
    return Layout(
        home=Path(tool_home) if tool_home else home / ".claude-sync",
        claude_dir=Path(claude) if claude else home / ".claude",
    )
