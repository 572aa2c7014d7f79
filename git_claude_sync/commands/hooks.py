"""Claude Code hook commands: install, uninstall, and the hook entry point."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
