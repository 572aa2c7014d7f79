"""What git.py keeps of git's answers about objects named by id (ls_tree, is_ancestor):
the same answers as asking git again, never an error's, never shared with a caller."""

from __future__ import annotations

from pathlib import Path

from git_claude_sync.git import Git, init_bare


def repo(path: Path) -> Git:
    init_bare(path / "r.git")
    (path / "w").mkdir()
    return Git(path / "r.git", path / "w")


def commit(git: Git, name: bytes, data: bytes, parent: str | None) -> str:
    tree = git.tree_with(
        git.tree_of(parent) if parent else None, {name: ("100644", git.store_blob(data))}
    )
    return git.commit_tree(tree, [parent] if parent else [], "c")


def test_a_listing_kept_is_the_callers_own_copy(tmp_path: Path) -> None:
    git = repo(tmp_path)
    first = commit(git, b"a", b"1\n", None)
    listed = git.ls_tree(first)
    listed[b"b"] = ("100644", "0" * 40)
    assert git.ls_tree(first) == {b"a": listed[b"a"]}
    assert git.ls_tree(first) is not git.ls_tree(first)


def test_an_ancestry_git_could_not_answer_is_asked_again(tmp_path: Path) -> None:
    """A commit not in this repository yet (a fetch brings it later) is no answer."""
    here, there = repo(tmp_path / "here"), repo(tmp_path / "there")
    first = commit(here, b"a", b"1\n", None)
    assert here.is_ancestor(first, first) is True  # itself
    second = commit(there, b"b", b"2\n", None)
    assert here.is_ancestor(second, second) is False  # unknown here: git fails
    (there.git_dir / "objects").rename(tmp_path / "moved")
    here_objects = here.git_dir / "objects" / "info"
    here_objects.mkdir(parents=True, exist_ok=True)
    (here_objects / "alternates").write_text(f"{tmp_path / 'moved'}\n")
    assert here.is_ancestor(second, second) is True
    assert here.is_ancestor(first, second) is False
    third = commit(here, b"c", b"3\n", first)
    assert here.is_ancestor(first, third) is True
    assert here.is_ancestor(third, first) is False


def test_a_range_from_a_tip_to_itself_is_empty(tmp_path: Path) -> None:
    git = repo(tmp_path)
    first = commit(git, b"a", b"1\n", None)
    second = commit(git, b"b", b"2\n", first)
    assert git.commits_between(second, [second], 20) == []
    assert git.disk_usage(second, [first, second]) == 0
    assert [c for c, _ in git.commits_between(second, [first], 20)] == [second]
    assert git.disk_usage(second, [first]) > 0
