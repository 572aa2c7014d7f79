"""find's listing of linked folders (engine/linked_listing.py) against the Python walk
(engine/odd_paths.py) it stands in for: the same files, the same signatures, and no
answer at all wherever the walk would skip something and say why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from git_claude_sync.engine import link_stats, linked_listing, odd_paths
from git_claude_sync.git import Git

ROOT = b"projects/~-app"


def _machine(tmp_path: Path) -> tuple[Git, Path, Path]:
    """A Claude directory whose ``projects/~-app`` links to the folder it shows."""
    claude = tmp_path / ".claude"
    shown = claude / "projects" / "-home-me-app"
    shown.mkdir(parents=True)
    (claude / "projects" / "~-app").symlink_to("-home-me-app")
    home = tmp_path / ".claude-sync"
    (home / "repo.git").mkdir(parents=True)
    return Git(git_dir=home / "repo.git", work_tree=claude), claude, shown


def _walked(git: Git, claude: Path) -> dict[bytes, bytes]:
    walk = odd_paths._walk(git, claude, follow=True)
    walk.elsewhere = {ROOT, b"projects/-home-me-app"}
    seen: dict[bytes, bytes] = {}

    def readable(path: bytes, st: os.stat_result) -> bool:  # the stat the walk took
        seen[path] = linked_listing.signature(st)
        return False

    walk.readable = readable
    walk.visit(ROOT)
    assert not walk.skipped
    return {path: seen[path] for path in walk.files}


def _listed(git: Git, claude: Path) -> dict[bytes, bytes] | None:
    (git.git_dir.parent / "linked-roots").write_bytes(ROOT + b"\n")
    early = linked_listing.start(claude, git.git_dir.parent)
    assert early is not None
    try:
        return early.take(claude)
    finally:
        early.close()


def test_find_lists_the_files_the_walk_finds_with_the_same_signatures(tmp_path: Path) -> None:
    git, claude, shown = _machine(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "deep").mkdir(parents=True)
    (elsewhere / "deep" / "note.md").write_text("through a link inside")
    (shown / "s1.jsonl").write_bytes(b'{"a":1}\n')
    (shown / "s1" / "subagents").mkdir(parents=True)
    (shown / "s1" / "subagents" / "agent-1.jsonl").write_bytes(b"{}\n")
    (shown / "odd name\nwith a newline and spaces.jsonl").write_bytes(b"x\n")
    (shown / "run.sh").write_text("#!/bin/sh\n")
    (shown / "run.sh").chmod(0o750)
    (shown / "secret").write_text("mode 600")
    (shown / "secret").chmod(0o600)
    (shown / ".credentials.json").write_text("never synced")
    (shown / "s2.jsonl.claude-sync-tmp").write_text("our own temporary file")
    (shown / ".git").mkdir()
    (shown / ".git" / "HEAD").write_text("a nested repository's own")
    (shown / "linked").symlink_to(elsewhere)
    (shown / "file-link.md").symlink_to(elsewhere / "deep" / "note.md")
    os.mkfifo(shown / "a-fifo")  # nothing to sync, and no reason to refuse the rest
    walked = _walked(git, claude)
    assert b"projects/~-app/linked/deep/note.md" in walked
    assert b"projects/~-app/.credentials.json" not in walked
    assert _listed(git, claude) == walked
    assert link_stats.mode_of(walked[b"projects/~-app/run.sh"]) == "100755"
    assert link_stats.mode_of(walked[b"projects/~-app/secret"]) == "100644"


@pytest.mark.parametrize("odd", ["dangling", "holder", "loop", "tool home"])
def test_anything_the_walk_would_skip_and_name_gives_no_answer(tmp_path: Path, odd: str) -> None:
    """The walk then stages those roots itself, and warns about what it skipped."""
    git, claude, shown = _machine(tmp_path)
    (shown / "s1.jsonl").write_bytes(b"{}\n")
    target = {
        "dangling": tmp_path / "gone",
        "holder": tmp_path,  # a link to a folder holding the Claude directory
        "loop": shown / "loop",
        "tool home": git.git_dir.parent,
    }[odd]
    (shown / "loop").symlink_to(target)
    assert _listed(git, claude) is None


def test_a_find_that_prints_times_otherwise_is_not_believed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git, claude, shown = _machine(tmp_path)
    (shown / "s1.jsonl").write_bytes(b"{}\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    # Whole seconds only, as another find might print %T@: every file would look changed.
    (fake / "find").write_text(
        "#!/bin/sh\n"
        f"cd {claude} && stat -c '%n' projects/~-app/s1.jsonl >/dev/null &&"
        " printf './projects/~-app/s1.jsonl\\0%s %s %s %s %s %s\\0'"
        " $(stat -L -c '%s %Y.0000000000 %Z.0000000000 %i %d %a' projects/~-app/s1.jsonl)\n"
    )
    (fake / "find").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert _listed(git, claude) is None


def test_what_a_command_began_is_claimed_only_while_the_index_is_unchanged(
    tmp_path: Path,
) -> None:
    """Begun before the sync lock was taken: another sync may have run meanwhile (written
    files and the index), and then find's listing is older than the index."""
    from git_claude_sync.machine.paths import Layout

    git, claude, shown = _machine(tmp_path)
    (shown / "s1.jsonl").write_bytes(b"{}\n")
    layout = Layout(home=git.git_dir.parent, claude_dir=claude)
    layout.linked_roots_file.write_bytes(ROOT + b"\n")
    index = git.git_dir / "index"
    index.write_bytes(b"an index")
    linked_listing.begin(layout)
    early = linked_listing.claim(claude, layout.home)
    assert early is not None and early.take(claude) == _walked(git, claude)
    assert linked_listing.claim(claude, layout.home) is None  # claimed once
    linked_listing.begin(layout)
    assert linked_listing.claim(tmp_path / "another", layout.home) is None
    linked_listing.begin(layout)
    index.write_bytes(b"another sync's index")  # atomic in git: a new inode, too
    assert linked_listing.claim(claude, layout.home) is None
