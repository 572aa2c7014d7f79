"""git-claude-sync: Claude Code's directory, synced through git, end-to-end encrypted."""
