"""``git claude-sync git ARGS``: plain git on the sync repo.

The repo's textconv driver shows plaintext in ``git log -p`` and ``git diff``;
``git show REV:PATH`` gets ``--textconv`` added (git shows a blob as stored
otherwise, i.e. ciphertext) unless ``--no-textconv`` is given.  What git stores
stays ciphertext.  A blob named by its id alone has no path, so no textconv:
``git cat-file --textconv REV:PATH`` reads one too.

Commands that make commits are refused: a commit git makes carries no sealed
state (docs/spec/state.md), so every other machine would refuse it.
"""

from __future__ import annotations

from git_claude_sync.engine.sync_repo import open_repo
from git_claude_sync.errors import FatalError

# git subcommands that make commits on the branch.
COMMITTING = frozenset({"commit", "merge", "cherry-pick", "revert", "rebase", "am", "pull"})
_TAKES_VALUE = frozenset({"-c", "-C", "--git-dir", "--work-tree", "--namespace"})


def with_textconv(args: list[str]) -> list[str]:
    if args[:1] == ["show"] and not {"--textconv", "--no-textconv"} & set(args):
        return ["show", "--textconv", *args[1:]]
    return args


def subcommand(args: list[str]) -> str | None:
    """The git subcommand in ``args``, past git's own options."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _TAKES_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def run(args: list[str]) -> int:
    name = subcommand(args)
    if name in COMMITTING:
        raise FatalError(
            f"'git {name}' is refused on the sync repo: its commits would not be sealed "
            "(docs/spec/state.md) and every other machine would refuse them; changes are "
            "committed by 'git claude-sync push'"
        )
    repo = open_repo()
    return repo.git.passthrough(with_textconv(args))
