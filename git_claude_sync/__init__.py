"""git-claude-sync: Claude Code's directory, synced through git, end-to-end encrypted."""

#: The one place the version is written: pyproject.toml reads it from here (dynamic), so
#: --version needs no importlib.metadata (20-35 ms of start-up).
__version__ = "0.1.0"
