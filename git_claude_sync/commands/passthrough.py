"""``git claude-sync git ARGS``: plain git on the sync repo.

The repo's textconv driver shows plaintext in ``git log -p`` and ``git diff``;
``git show REV:PATH`` gets ``--textconv`` added (git shows a blob as stored
otherwise, i.e. ciphertext) unless ``--no-textconv`` is given.  What git stores
stays ciphertext.  A blob named by its id alone has no path, so no textconv:
``git cat-file --textconv REV:PATH`` reads one too.

Commits git makes here carry no sealed state: once git is done, they are
sealed (engine/sealed_state.after_plain_git, docs/spec/state.md), so other
machines accept them; commits it brought from the remote are checked instead.
"""

from __future__ import annotations

from git_claude_sync.engine import sealed_state
from git_claude_sync.engine.sync_repo import open_repo


def with_textconv(args: list[str]) -> list[str]:
    if args[:1] == ["show"] and not {"--textconv", "--no-textconv"} & set(args):
        return ["show", "--textconv", *args[1:]]
    return args


def run(args: list[str]) -> int:
    repo = open_repo()
    before = repo.git.rev("HEAD")
    code = repo.git.passthrough(with_textconv(args))
    sealed_state.after_plain_git(repo, before)
    return code
