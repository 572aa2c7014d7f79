"""git.py's named operations against real repositories."""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path
from typing import cast

import pytest

from git_claude_sync import git as git_module
from git_claude_sync.git import (
    LOCAL_REF,
    REMOTE_REF,
    STREAM_ABOVE,
    Git,
    GitError,
    IndexBlobs,
    StoredBlob,
    init_bare,
)
from tests.machines import git_plain


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Git, Git]:
    """Two clones of one bare remote, as plain repositories with a work tree each."""
    remote = tmp_path / "remote.git"
    init_bare(remote)
    clones = []
    for name in ("one", "two"):
        git_dir, work = tmp_path / f"{name}.git", tmp_path / name
        work.mkdir()
        init_bare(git_dir)
        git = Git(git_dir, work)
        git.add_remote(str(remote))
        clones.append(git)
    return clones[0], clones[1]


def commit_file(git: Git, name: bytes, data: bytes, parent: str | None) -> str:
    blob = git.store_blob(data)
    tree = git.tree_with(git.tree_of(parent) if parent else None, {name: ("100644", blob)})
    return git.commit_tree(tree, [parent] if parent else [], f"add {name.decode()}")


def test_push_branch_says_moved_instead_of_failing(repos: tuple[Git, Git]) -> None:
    one, two = repos
    first = commit_file(one, b"a", b"1\n", None)
    assert one.push_branch(first)
    other = commit_file(two, b"b", b"2\n", None)  # not based on the remote's tip
    assert two.push_branch(other) is False
    assert two.fetch_branch() == first
    assert two.rev(REMOTE_REF) == first


def test_a_remote_on_this_disk_with_nothing_new_is_not_fetched_again(
    repos: tuple[Git, Git],
) -> None:
    """Its branch, read in place, is the one last fetched: no fetch runs (FETCH_HEAD stays
    as it was); once another clone pushed, the fetch runs and brings the new tip."""
    one, two = repos
    assert two.fetch_branch() is None  # an empty remote: nothing to fetch either
    assert not (two.git_dir / "FETCH_HEAD").exists()
    first = commit_file(one, b"a", b"1\n", None)
    assert one.push_branch(first)
    assert two.fetch_branch() == first
    fetch_head = two.git_dir / "FETCH_HEAD"
    os.utime(fetch_head, (1, 1))
    assert two.fetch_branch() == first
    assert fetch_head.stat().st_mtime == 1
    second = commit_file(one, b"b", b"2\n", first)
    assert one.push_branch(second)
    assert two.fetch_branch() == second
    assert fetch_head.stat().st_mtime > 1


def test_fetch_of_an_empty_remote_is_none(repos: tuple[Git, Git]) -> None:
    one, _two = repos
    assert one.fetch_branch() is None


def test_a_missing_remote_fails_with_its_name(tmp_path: Path) -> None:
    git_dir = tmp_path / "x.git"
    init_bare(git_dir)
    git = Git(git_dir, tmp_path)
    git.add_remote(str(tmp_path / "nowhere.git"))
    with pytest.raises(GitError, match="nowhere.git"):
        git.fetch_branch()


def test_update_ref_refuses_when_the_ref_moved(repos: tuple[Git, Git]) -> None:
    one, _two = repos
    first = commit_file(one, b"a", b"1\n", None)
    second = commit_file(one, b"b", b"2\n", first)
    one.update_ref(LOCAL_REF, first, create=True)
    with pytest.raises(GitError):
        one.update_ref(LOCAL_REF, second, create=True)  # it exists now
    with pytest.raises(GitError):
        one.update_ref(LOCAL_REF, second, old=second)  # it is not at second
    one.update_ref(LOCAL_REF, second, old=first)
    assert one.rev(LOCAL_REF) == second


def test_temp_index_is_removed_even_on_failure(repos: tuple[Git, Git]) -> None:
    one, _two = repos
    with pytest.raises(RuntimeError), one.temp_index("test") as temp:
        assert temp.index_file is not None
        temp.read_tree(None)
        assert temp.index_file.exists()
        raise RuntimeError
    assert not list(one.git_dir.glob("index.temp-*"))


def test_a_scratch_copy_of_the_index_keeps_gits_racy_check(repos: tuple[Git, Git]) -> None:
    """A file changed in the second the index was written, to the same size, is clean by
    its stat: git reads it again only because its entry is not older than the index.  The
    copy status stages in (steps.preview) was written anew, so that check was lost and
    status said "To push: nothing" for such a change (seen once in a full run)."""
    one, _two = repos
    work, index = one.work_tree, one.git_dir / "index"
    git_plain("--git-dir", str(one.git_dir), "config", "core.trustctime", "false")
    second = int(time.time()) - 100
    (work / "f").write_bytes(b"one\n")
    os.utime(work / "f", (second, second))
    one.add_all()  # the entry: that second, 4 bytes
    stale = one.index_entries()[b"f"][1]
    (work / "f").write_bytes(b"two\n")  # same size, same inode, same second:
    os.utime(work / "f", (second, second))
    os.utime(index, (second, second))  # ... as the index was written
    with one.temp_index("test", copy_index=True) as temp:
        temp.add_all()
        staged = temp.index_entries()[b"f"][1]
    assert staged != stale
    assert staged == one.store_blob(b"two\n")


def test_update_index_adds_and_removes_odd_names(repos: tuple[Git, Git]) -> None:
    one, _two = repos
    odd = b"dir/with space\tand tab"
    blob = one.store_blob(b"x")
    tree = one.tree_with(None, {odd: ("100644", blob), b"gone": ("100644", blob)})
    tree = one.tree_with(tree, {b"gone": None})
    assert one.ls_tree(tree) == {odd: ("100644", blob)}


def test_log_lists_changes_per_commit(repos: tuple[Git, Git]) -> None:
    one, _two = repos
    first = commit_file(one, b"a", b"1\n", None)
    second = commit_file(one, b"b", b"2\n", first)
    entries = one.log(second)
    assert [e.commit for e in entries] == [second, first]
    assert [path for _old, _new, path in entries[0].changes] == [b"b"]
    assert entries[0].parents == [first]
    sizes = one.blob_sizes(new for e in entries for _old, new, _path in e.changes)
    assert sorted(sizes.values()) == [2, 2]


def test_store_blob_stores_bytes_exactly(repos: tuple[Git, Git]) -> None:
    one, _two = repos
    data = bytes(range(256)) * 3
    oid = one.store_blob(data)
    assert git_plain("--git-dir", str(one.git_dir), "cat-file", "blob", oid) == data
    assert one.store_blobs([data]) == [oid]


def test_store_blob_writes_a_large_blob_whole_and_fails_as_one_line(
    repos: tuple[Git, Git], tmp_path: Path
) -> None:
    # store_blob writes git's stdin itself (not through run's input): MBs arrive whole,
    # and a git that stops before reading them still ends in a GitError, not a broken pipe.
    one, _two = repos
    data = os.urandom(3 << 20)
    oid = one.store_blob(data)
    assert git_plain("--git-dir", str(one.git_dir), "cat-file", "blob", oid) == data
    gone = Git(tmp_path / "gone.git", tmp_path)
    with pytest.raises(GitError, match="hash-object failed: .*not a git repository"):
        gone.store_blob(data)


def test_answers_kept_for_a_run_are_never_stale(repos: tuple[Git, Git]) -> None:
    """rev, index_entries and config_get answer again without git, but any git command that
    may change refs, the index or config (here or through a temp_index copy) forgets them."""
    one, two = repos
    assert one.rev("HEAD") is None and one.rev("HEAD") is None
    first = commit_file(one, b"a", b"1\n", None)  # read-only commands and object writes
    one.update_ref("HEAD", first)
    assert one.rev("HEAD") == first
    assert one.index_entries() == {}
    one.read_tree(first)
    entries = one.index_entries()
    assert list(entries) == [b"a"]
    entries.clear()  # a caller's copy: the kept answer stays whole
    assert list(one.index_entries()) == [b"a"]
    with one.temp_index("t") as scratch:
        second = commit_file(scratch, b"b", b"2\n", first)
        scratch.update_ref("HEAD", second)
    assert one.rev("HEAD") == second
    assert one.config_get("claude-sync.test") is None
    one.config_set("claude-sync.test", "x")
    assert one.config_get("claude-sync.test") == "x"
    # The remote-tracking ref, moved by a fetch (talk, not run).
    assert one.push_branch(second)
    assert two.rev(REMOTE_REF) is None
    assert two.fetch_branch() == second
    assert two.rev(REMOTE_REF) == second


def test_a_push_with_its_own_compression_keeps_what_any_push_keeps(repos: tuple[Git, Git]) -> None:
    """``git -c pack.compression=1 push`` is a push: it leaves the index and config, as
    every push does (it was taken for an unknown command, and the index of a large tree
    listed again after every small push)."""
    one, _two = repos
    first = commit_file(one, b"a", b"1\n", None)
    one.read_tree(first)
    assert list(one.index_entries()) == [b"a"]
    assert one.config_get("claude-sync.test") is None
    one.update_ref("HEAD", first)
    assert one.rev("HEAD") == first
    assert one.push_branch(first, compression=1)
    assert ("ls-files", None) in one.reads
    assert any(key[0] == "config" for key in one.reads)
    assert ("rev", "HEAD") in one.reads  # a push moves only remote-tracking refs
    assert list(one.index_entries()) == [b"a"]


def test_an_index_listing_kept_through_index_updates_is_what_git_lists(
    repos: tuple[Git, Git],
) -> None:
    """update_index and set_assume_unchanged keep the listing they changed (a large tree's
    index is not listed again after each): it must be, entry for entry and mark for mark,
    what ls-files then says, also where git drops entries (a file where a folder was)."""
    one, _two = repos
    blob, other = one.store_blob(b"1\n"), one.store_blob(b"2\n")
    one.update_index({p: ("100644", blob) for p in (b"a", b"d/e", b"d/f", b"m", b"z")})
    steps: list[tuple[str, object]] = [
        ("update", {b"a": ("100755", other)}),  # replaced in place
        ("mark", [b"a", b"d/e", b"z"]),
        ("update", {b"b": ("100644", blob), b"z": None}),  # a new entry, one gone
        ("update", {b"d/e": ("100644", other)}),  # a marked entry replaced: unmarked
        ("unmark", [b"a"]),
        ("update", {b"d": ("100644", blob)}),  # a file over a folder: git drops d/e, d/f
        ("update", {b"m/n": ("100644", blob)}),  # under a file: git drops m
        ("update", {b"x/y": ("100644", blob), b"x": ("100644", other)}),
        ("update", {b"q": None}),  # not there: nothing changes
        ("hidden", {b"h/m.json": ("100644", blob), b"b": ("100644", other)}),
        # set and marked in one process (stage_links): replaced, new, over a folder
        ("update+mark", ({b"a": ("100644", blob), b"k/l": ("100644", other)}, [b"a", b"k/l"])),
        ("update+mark", ({b"k": ("100644", blob)}, [b"k", b"b"])),
        ("update+mark", ({b"x/y/z": ("100755", blob)}, [b"x/y/z", b"d"])),
        ("update+mark", ({b"-o": ("100644", blob)}, [b"-o"])),  # not an option: stdin
        ("update+mark", ({b"a": None, b"c": ("100644", blob)}, [b"c"])),  # and a removal
    ]
    for kind, arg in steps:
        one.index_entries()  # the listing is held before each change
        one.assume_unchanged_paths()  # and what is asked of its marks, kept beside it
        if kind == "update":
            one.update_index(cast("dict[bytes, tuple[str, str] | None]", arg))
        elif kind == "update+mark":
            changes, marks = cast("tuple[dict[bytes, tuple[str, str] | None], list[bytes]]", arg)
            one.update_index(changes, assume_unchanged=marks)
        elif kind == "hidden":
            one.update_index_hidden(cast("dict[bytes, tuple[str, str]]", arg))
        else:
            one.set_assume_unchanged(cast("list[bytes]", arg), kind == "mark")
        fresh = Git(one.git_dir, one.work_tree)._index_listing()
        assert one._index_listing() == fresh, (kind, arg)
        entries = Git(one.git_dir, one.work_tree).index_entries()
        assert list(one.index_entries().items()) == list(entries.items()), (kind, arg)
        listed = Git(one.git_dir, one.work_tree)
        assert one.assume_unchanged_listed() == listed.assume_unchanged_listed(), (kind, arg)
        assert one.skip_worktree_paths(b"h") == listed.skip_worktree_paths(b"h"), (kind, arg)
        assert one.index_paths() == list(entries), (kind, arg)
        assert sorted(listed.assume_unchanged_listed()) == listed.assume_unchanged_listed()


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_the_index_read_here_lists_what_ls_files_lists(tmp_path: Path, object_format: str) -> None:
    """``_index_listing`` reads the index file itself: entry for entry, tag for tag, what
    ``git ls-files -s -v`` says, marks, stages, modes and long names included; a split
    index is left to git."""
    work = tmp_path / "work"
    work.mkdir()
    git_plain("init", "-q", f"--object-format={object_format}", str(work))
    git = Git(work / ".git", work)
    blob = git.store_blob(b"1\n")
    long = b"d/" + b"n" * 5000  # past the 12 bits of length an entry's flags hold
    # ... and about them: 0xFFF in the flags means "this long or longer"
    edges = [b"f/" + b"n" * (length - 2) for length in (0xFFE, 0xFFF, 0x1000)]
    paths = [b"a", b"b/x", b"c", b"e", b"link", b"sub", b"u", b"w", long, *edges]
    git.update_index({p: ("100644", blob) for p in paths})
    git.update_index({b"e": ("100755", blob), b"link": ("120000", blob)})
    git.update_index({b"sub": ("160000", blob)})  # any id: a gitlink's commit is not here
    git.set_assume_unchanged([b"a", b"c"], True)
    git.set_skip_worktree([b"b/x", b"c"], True)
    unmerged = f"0 {'0' * len(blob)}\tu\n"  # stage 0 out, then three stages in
    unmerged += "".join(f"100644 {blob} {stage}\tu\n" for stage in (1, 2, 3))
    git_plain("update-index", "--index-info", cwd=work, input=unmerged.encode())
    (work / "new").write_bytes(b"")
    git_plain("add", "-N", "new", cwd=work)  # intent to add

    def listed() -> list[tuple[bytes, bytes, str, str]]:
        out = git_plain("ls-files", "-s", "-v", "-z", cwd=work)
        return git_module._parse_listing(out)

    want = listed()
    tags = {path: tag for tag, path, _mode, _oid in want}
    assert tags[b"a"] == b"h" and tags[b"b/x"] == b"S" and tags[b"c"] == b"s"
    assert tags[b"u"] == b"M" and sum(1 for entry in want if entry[1] == b"u") == 3
    assert tags[b"new"] == b"H" and tags[long] == b"H"
    index = (work / ".git" / "index").read_bytes()
    assert index[4:8] == b"\0\0\0\3"  # extended flags (skip-worktree, intent to add)
    assert git_module._listing_of_index(index) == want
    assert Git(git.git_dir, work)._index_listing() == want
    read = Git(git.git_dir, work)  # the marks' answers, from one pass over the listing
    assert read.held_index_modes(["120000"]) is None  # nothing listed yet: not asked
    assert read.index_paths() == list(dict.fromkeys(path for _t, path, _m, _o in want))
    assert read.held_index_modes(["120000", "160000"]) == {b"link": "120000", b"sub": "160000"}
    assert read.skip_worktree_paths(b"b") == {b"b/x"}  # c is skip-worktree too, but "s"
    assert read.assume_unchanged_listed() == [b"a", b"c"]
    git_plain("update-index", "--index-version", "4", cwd=work)  # compressed paths: git's
    assert git_module._listing_of_index((work / ".git" / "index").read_bytes()) is None
    assert Git(git.git_dir, work)._index_listing() == listed() == want
    git_plain("update-index", "--index-version", "3", cwd=work)
    git_plain("update-index", "--split-index", cwd=work)
    git_plain("update-index", "--no-assume-unchanged", "a", cwd=work)
    assert git_module._listing_of_index((work / ".git" / "index").read_bytes()) is None
    assert Git(git.git_dir, work)._index_listing() == listed()


def test_loose_objects_checked_here_read_as_cat_file_checks_them(repos: tuple[Git, Git]) -> None:
    """A lone commit's objects, just stored loose, are told here as ``cat-file
    --batch-check`` tells them (type, size, size on disk); a packed one is left to it."""
    one, _two = repos
    commit = commit_file(one, b"a", b"some content\n" * 50, None)
    tree = one.tree_of(commit)
    blob = one.ls_tree(commit)[b"a"][1]
    oids = [commit, tree, blob]
    fmt = "--batch-check=%(objectname) %(objecttype) %(objectsize) %(objectsize:disk)"
    cat = git_plain("--git-dir", str(one.git_dir), "cat-file", fmt, input="\n".join(oids).encode())
    assert git_module._few_loose_checks(one.git_dir, oids) == cat.decode()
    one.update_ref(LOCAL_REF, commit)  # reachable: packed by repack -a
    git_plain("--git-dir", str(one.git_dir), "repack", "-adq")
    git_plain("--git-dir", str(one.git_dir), "prune-packed", "-q")  # as gc does
    assert git_module._few_loose_checks(one.git_dir, oids) is None  # packed: cat-file
    assert git_module._few_loose_checks(one.git_dir, []) is None


def test_a_kept_listing_changes_as_a_sorted_map_would() -> None:
    """``_listing_after`` and ``_marked`` find each path by bisection: against the plain
    rule (a map of the entries, sorted), over many random changes of a listing."""
    rng = random.Random(14)
    names = [b"a", b"b", b"b-c", b"b.c", b"b/c", b"b/d", b"c/e/f", b"d", b"\xff", b"x y"]
    for _ in range(300):
        held = {p: (rng.choice(b"HhS"), "100644", f"{rng.randrange(9):040x}") for p in names}
        listed = [
            (bytes([t]), p, m, o) for p, (t, m, o) in sorted(held.items()) if rng.random() < 0.6
        ]
        entries = {p: (t, m, o) for t, p, m, o in listed}
        changes = {
            p: None if rng.random() < 0.3 else ("100755", f"{rng.randrange(9):040x}")
            for p in rng.sample(names, rng.randrange(4))
        }
        after = git_module._listing_after(listed, changes)
        if after is not None:
            for path, entry in changes.items():
                if entry is None:
                    entries.pop(path, None)
                else:
                    entries[path] = (b"H", *entry)
            assert after == [(t, p, m, o) for p, (t, m, o) in sorted(entries.items())]
        marks = set(rng.sample(names, 3))
        on = rng.random() < 0.5
        want = [
            ((t.lower() if on else t.upper()) if p in marks else t, p, m, o)
            for t, p, m, o in listed
        ]
        assert git_module._marked(listed, marks, on=on) == want


def test_index_paths_with_a_fragment_agree_with_the_listing(repos: tuple[Git, Git]) -> None:
    """Without a listing held, an index file lacking the bytes has no such path (not
    listed); held or not, split or not, the answer is the listing's."""
    one, _two = repos
    assert one.index_paths_with(b".mark-") == []  # no index yet
    blob = one.store_blob(b"1\n")
    one.update_index({p: ("100644", blob) for p in (b"a", b"d/x.mark-1", b"z.mark-2")})
    for split in (False, True):
        if split:
            git_plain("--git-dir", str(one.git_dir), "update-index", "--split-index")
            one.update_index({b"e.mark-3": ("100644", blob)})  # in the split part only
            assert any(name.startswith("sharedindex.") for name in os.listdir(one.git_dir))
        want = sorted(p for p in Git(one.git_dir, one.work_tree).index_entries() if b".mark-" in p)
        one.reads.clear()
        assert one.index_paths_with(b".mark-") == want
        assert one.index_paths_with(b"nowhere") == []
        one.reads.clear()
        assert one.index_paths_with(b"z.mark-2") == [b"z.mark-2"]  # split: in the shared part
        one.index_entries()  # held
        assert one.index_paths_with(b".mark-") == want
    assert len(want) == 3 and b"e.mark-3" in want


def test_a_stored_blob_streams_the_same_bytes_loose_and_packed(repos: tuple[Git, Git]) -> None:
    # The clean filter reads a large stored blob through StoredBlob, never whole (issue 9):
    # a loose object inflated here, a packed one from git cat-file.
    one, _two = repos
    data = os.urandom(3 << 20) + b"\0 blob 12\0" + b"x" * 70000
    first = commit_file(one, b"big", data, None)
    blob = StoredBlob(one.git_dir, one.store_blob(data), len(data))

    def read_all(sizes: list[int]) -> bytes:
        read, parts = blob.reader(), []
        for size in sizes:
            parts.append(read(size))
        while part := read(1 << 20):
            parts.append(part)
        return b"".join(parts)

    assert read_all([33, 4, 65536]) == data  # loose
    one.update_ref(LOCAL_REF, first, None)
    git_plain("--git-dir", str(one.git_dir), "repack", "-adq")
    git_plain("--git-dir", str(one.git_dir), "prune")
    assert not (one.git_dir / "objects" / blob.oid[:2] / blob.oid[2:]).exists()
    assert read_all([33, 4, 65536]) == data  # packed
    half = blob.reader()
    assert half(10) == data[:10]
    blob.close()  # a reader stopped part-way is ended, not left blocked on its pipe


def test_a_new_reader_of_a_stored_blob_ends_the_git_of_the_last(repos: tuple[Git, Git]) -> None:
    # The clean filter reads a packed previous blob up to three times, one after another
    # (its chunks, its header, then its plaintext to compare); a reader left part-way
    # kept its git cat-file alive until close, holding a delta's base and result (~2x the
    # blob): two at once were the peak of pulling an append (issue 9, bench/memory.py).
    one, _two = repos
    data = os.urandom(3 << 20)
    first = commit_file(one, b"big", data, None)
    one.update_ref(LOCAL_REF, first, None)
    git_plain("--git-dir", str(one.git_dir), "repack", "-adq")
    git_plain("--git-dir", str(one.git_dir), "prune")
    packed = git_plain("hash-object", "--stdin", input=data).decode().strip()  # id only
    blob = StoredBlob(one.git_dir, packed, len(data))
    header = blob.reader()(10)  # left part-way, as clean_into's header check does
    assert header == data[:10]
    read = blob.reader()
    assert sum(proc.poll() is None for proc in blob._procs) == 1
    assert b"".join(iter(lambda: read(1 << 20), b"")) == data
    blob.close()


def _stage(git_dir: Path, index: Path, entries: dict[bytes, str]) -> None:
    """``entries`` (path: blob id) written into the index file ``index``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    lines = b"".join(
        b"100644 " + oid.encode() + b"\t" + path + b"\0" for path, oid in entries.items()
    )
    subprocess.run(
        ["git", f"--git-dir={git_dir}", "update-index", "-z", "--index-info"],
        input=lines,
        check=True,
        env={**env, "GIT_INDEX_FILE": str(index)},
    )


def test_index_blobs_answer_the_stage_0_blob_of_a_path(
    repos: tuple[Git, Git], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clean filter builds on the blob the index holds for a path (docs/spec/blob.md,
    # "The clean step"); a name git could read otherwise ("1:x" as a stage, a newline
    # ending the request) must still be a path, or no answer, never another file's blob.
    one, _two = repos
    oids = {name: one.store_blob(b"content of " + name) for name in (b"a", b"1:x", b"d/b c")}
    _stage(one.git_dir, one.git_dir / "index", {b"x": one.store_blob(b"stage 1")} | oids)
    blobs = IndexBlobs(one.git_dir)
    for name in oids:
        assert blobs.stored(name) == b"content of " + name
        assert blobs.previous(name) == b"content of " + name
    assert blobs.stored(b"x") == b"stage 1"
    assert blobs.stored(b"missing") is None
    assert blobs.stored(b"a\nb") is None  # a newline: no previous blob (a re-encryption)
    assert blobs.stored(b"a") == b"content of a"  # and the next answer is still right
    # The index changes (a later git add): read again.
    time.sleep(0.01)
    _stage(one.git_dir, one.git_dir / "index", {b"a": one.store_blob(b"second")})
    assert blobs.stored(b"a") == b"second"
    # GIT_INDEX_FILE is the index git adds to (a scratch index).
    scratch = one.git_dir / "scratch-index"
    _stage(one.git_dir, scratch, {b"a": one.store_blob(b"scratch")})
    monkeypatch.setenv("GIT_INDEX_FILE", str(scratch))
    assert blobs.stored(b"a") == b"scratch"
    monkeypatch.setenv("GIT_INDEX_FILE", str(one.git_dir / "no-index"))
    assert blobs.stored(b"a") is None
    # Loose blobs are read in process; packed ones through cat-file --batch.
    monkeypatch.delenv("GIT_INDEX_FILE")
    second = one.store_blob(b"second")
    git_plain("--git-dir", str(one.git_dir), "repack", "-adq")  # the index's blobs too
    git_plain("--git-dir", str(one.git_dir), "prune-packed")
    assert not (one.git_dir / "objects" / second[:2] / second[2:]).exists()
    assert blobs.stored(b"a") == b"second"
    assert blobs.previous(b"1:x") == b"content of 1:x"  # the same cat-file, again
    blobs.close()


def test_index_blobs_stream_a_large_blob(repos: tuple[Git, Git]) -> None:
    one, _two = repos
    data = os.urandom(STREAM_ABOVE + 1)
    oid = one.store_blob(data)
    _stage(one.git_dir, one.git_dir / "index", {b"big": oid})
    blobs = IndexBlobs(one.git_dir)
    stored = blobs.stored(b"big")
    assert isinstance(stored, StoredBlob)
    assert (stored.oid, stored.size) == (oid, len(data))
    read = stored.reader()
    assert b"".join(iter(lambda: read(1 << 20), b"")) == data
    stored.close()
    assert blobs.previous(b"big") == data  # the pygit2 filter's whole read
    blobs.close()


def test_spooled_blobs_come_in_a_file_over_the_size_given(repos: tuple[Git, Git]) -> None:
    # A pull spools a large blob's ciphertext to a temporary file a block at a time, never
    # holding it whole (issue 9); small ones stay bytes.
    one, _two = repos
    big, small = os.urandom(3 << 20), b"small\n"
    oids = [one.store_blob(big), one.store_blob(small)]
    got = dict(one.iter_spooled_blobs(oids, 1 << 20))
    spooled = got[oids[0]]
    assert not isinstance(spooled, bytes)
    with spooled:
        assert spooled.read() == big
    assert got[oids[1]] == small
    assert dict(one.iter_blobs(oids)) == {oids[0]: big, oids[1]: small}


def test_config_answered_from_the_listed_config_is_gits_answer(repos: tuple[Git, Git]) -> None:
    one, _ = repos
    one.config_set("claude-sync.keyId", "ab-cd")
    one.config_set("branch.Main.remote", "origin")
    one.config_set("core.sshCommand", "  spaced  ")
    one.config_set("x.empty", "")
    keys = ["claude-sync.keyid", "CLAUDE-SYNC.KEYID", "branch.Main.remote", "branch.main.remote",
            "core.sshcommand", "x.empty", "remote.origin.url", "no.such"]  # fmt: skip
    asked = {key: one.config_get(key) for key in keys}
    one.config_set("y.z", "1")  # forgets every answer
    one.config_list()
    assert {key: one.config_get(key) for key in keys} == asked
    assert asked["branch.main.remote"] is None and asked["claude-sync.keyid"] == "ab-cd"


def test_a_fetch_keeps_heads_answer_and_a_commit_the_remotes(
    repos: tuple[Git, Git], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Git.reads forgets what a command may change, no more: a fetch or push moves only
    # refs/remotes/, update-ref of the branch leaves them.  A push asked HEAD and the
    # remote's tip again after each (a rev-parse each, issue 8).
    one, two = repos
    first = commit_file(one, b"a", b"1\n", None)
    assert one.push_branch(first)
    mine = commit_file(two, b"b", b"2\n", None)
    second = commit_file(two, b"c", b"3\n", mine)
    two.update_ref(LOCAL_REF, mine, None)
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))

    def asked() -> list[str]:
        lines = trace.read_text().splitlines() if trace.exists() else []
        trace.unlink(missing_ok=True)
        return [line.split("--quiet ", 1)[1] for line in lines if "rev-parse --verify" in line]

    # update-ref of the branch (HEAD's) or the remote's tip knows what they resolve to.
    assert (two.rev("HEAD"), two.rev(REMOTE_REF)) == (mine, None)
    assert asked() == [f"'{REMOTE_REF}^{{commit}}'"]
    assert two.fetch_branch() == first
    assert (two.rev("HEAD"), two.rev(REMOTE_REF)) == (mine, first)
    assert asked() == [f"'{REMOTE_REF}^{{commit}}'"]  # not HEAD: a fetch leaves it
    two.update_ref(LOCAL_REF, second, mine)
    assert (two.rev("HEAD"), two.rev(REMOTE_REF)) == (second, first)
    two.update_ref(REMOTE_REF, second, first)
    assert (two.rev("HEAD"), two.rev(REMOTE_REF)) == (second, second)
    assert asked() == []
    fresh = Git(two.git_dir, two.work_tree)  # git's own answers agree
    assert fresh.revs("HEAD", REMOTE_REF, "refs/heads/none") == [second, second, None]


def store_commit(git: Git, files: dict[bytes, bytes], parent: str, when: int) -> str:
    """A commit stored as raw bytes (``store_commit``, as the engine makes them)."""
    blobs = {name: ("100644", git.store_blob(data)) for name, data in files.items()}
    tree = git.tree_with(git.tree_of(parent), blobs)
    ident = f"a <a@x> {when} +0000"
    raw = f"tree {tree}\nparent {parent}\nauthor {ident}\ncommitter {ident}\n\nsync\n"
    return git.store_commit(raw.encode())


def test_a_push_asks_its_walk_and_loose_objects_what_git_would_answer(
    repos: tuple[Git, Git], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # verify_outgoing's walk answers the seal's commit list, the pack's size, the metrics'
    # size and commits; objects just stored are read without a cat-file (issue 14).
    one, _ = repos
    base = commit_file(one, b"a", b"1\n" * 50, None)
    git_plain("--git-dir", str(one.git_dir), "repack", "-adq")  # base's objects: packed
    tip = store_commit(one, {b"a": b"1\n" * 51, b"b": b"new\n"}, base, 1_700_000_005)

    def plain(*args: str, input: bytes | None = None) -> bytes:
        return git_plain("--git-dir", str(one.git_dir), *args, input=input)

    sent = one.objects_to_send(tip, base)
    tree = one.ls_tree(tip)
    assert sorted(sent) == sorted((tree[p][1], p) for p in (b"a", b"b"))
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert one.new_commits(tip, [base]) == [tip]
    assert one.commits_between(tip, [base], 20) == [(tip, 1_700_000_005.0)]
    assert one.is_ancestor(base, tip)
    usage = one.disk_usage(tip, [base])
    whole = one.whole_bytes_to_send(tip, base, lambda path: path == b"a")
    new_ids = [tree[b"a"][1], tree[b"b"][1], tip]
    heads = dict(one.blob_heads(new_ids, 3))
    assert not trace.exists()  # not one git process
    monkeypatch.delenv("GIT_TRACE")
    assert usage == int(plain("rev-list", "--objects", "--disk-usage", tip, f"^{base}"))
    assert whole == len(b"new\n")  # a's a delta of its blob before; b is whole
    assert heads == {oid: plain("cat-file", "-p", oid)[:3] for oid in new_ids}
    # A mix of loose and packed objects comes in the order asked, as cat-file gives it.
    old_blob = one.ls_tree(base)[b"a"][1]
    asked = [tree[b"b"][1], old_blob, tip, base]
    got = list(one.iter_blobs(asked))
    assert [oid for oid, _ in got] == asked
    for oid, data in got:
        assert data == plain("cat-file", plain("cat-file", "-t", oid).decode().strip(), oid)


def test_the_remote_ref_a_push_moved_is_not_moved_again(
    repos: tuple[Git, Git], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git push moves refs/remotes/origin/main itself; update_ref then has nothing to do.
    one, _ = repos
    first = commit_file(one, b"a", b"1\n", None)
    assert one.push_branch(first)
    second = commit_file(one, b"b", b"2\n", first)
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    one.update_ref(REMOTE_REF, first)
    assert not trace.exists()
    one.update_ref(REMOTE_REF, second)  # not where it is: moved
    assert "update-ref" in trace.read_text()
    monkeypatch.delenv("GIT_TRACE")
    assert one.rev(REMOTE_REF) == second == Git(one.git_dir, one.work_tree).rev(REMOTE_REF)


def test_a_lone_commits_objects_hold_every_object_rev_list_gives(repos: tuple[Git, Git]) -> None:
    # A commit made here on the remote's tip alone is walked by diff-tree -t, not
    # rev-list --objects (issue 14): never fewer objects verified, the same diff.
    one, _ = repos
    base = commit_file(one, b"a", b"1\n", None)
    mid = store_commit(one, {b"b": b"2\n", b"d/e/f": b"3\n", b"d/g": b"4\n"}, base, 1_700_000_001)
    # b becomes a folder, d/e/f changes, a's blob reappears at another path
    a_blob = one.ls_tree(base)[b"a"][1]
    blob = one.store_blob(b"5\n")
    tree = one.tree_with(
        one.tree_of(mid),
        {b"b": None, b"b/c": ("100644", blob), b"d/e/f": ("100644", blob),
         b"a2": ("100644", a_blob), b"sub": ("160000", "c0" * 20)},  # a gitlink: not here
    )  # fmt: skip
    ident = "a <a@x> 1700000002 +0000"
    raw = f"tree {tree}\nparent {mid}\nauthor {ident}\ncommitter {ident}\n\nsync\n"
    tip = one.store_commit(raw.encode())

    def plain(*args: str) -> bytes:
        return git_plain("--git-dir", str(one.git_dir), *args)

    sent = one.objects_to_send(tip, mid)
    listed = plain("rev-list", "--objects", "--no-object-names", tip, f"^{mid}").split()
    blobs = {o.decode() for o in listed if plain("cat-file", "-t", o.decode()) == b"blob\n"}
    assert blobs <= {oid for oid, _ in sent}
    assert sorted(sent) == sorted([(blob, b"b/c"), (blob, b"d/e/f"), (a_blob, b"a2")])
    assert one.new_commits(tip, [mid]) == [tip]
    assert one.disk_usage(tip, [mid]) >= int(
        plain("rev-list", "--objects", "--disk-usage", tip, f"^{mid}")
    )
    whole = one.whole_bytes_to_send(tip, mid, lambda path: path == b"d/e/f")
    git_module._WALKS.clear()  # git's own diff-tree and sizes, as without the walk
    assert whole == one.whole_bytes_to_send(tip, mid, lambda path: path == b"d/e/f") == 4


def test_untracked_files_listed_beside_the_index(repos: tuple[Git, Git]) -> None:
    one, _ = repos
    one.update_index({b"kept": ("100644", one.store_blob(b"1\n"))})
    (one.work_tree / "new").write_bytes(b"2\n")
    (one.work_tree / "odd\nname").write_bytes(b"3\n")
    nested = one.work_tree / "nested"
    git_plain("init", "-q", str(nested))
    listing = one.untracked_listing()
    one.set_skip_worktree([b"kept"], True)  # meanwhile: nothing of the listing changes
    assert sorted(listing.paths()) == [b"nested/", b"new", b"odd\nname"]


def test_store_blob_writes_the_object_git_would_in_this_process(
    repos: tuple[Git, Git], tmp_path: Path
) -> None:
    """The loose object an append push stores is written here (no hash-object): the id
    git gives the same bytes, a file git reads back and fsck finds sound, read-only as
    git makes it; one already there is only dated anew.  A SHA-256 repository's objects
    are git's to write."""
    one, _two = repos
    data = os.urandom(200_000) + b"\0 tail"
    expected = git_plain("hash-object", "--stdin", input=data).decode().strip()
    path = one.git_dir / "objects" / expected[:2] / expected[2:]
    assert not path.exists()
    assert one.store_blob(data) == expected
    assert git_plain("--git-dir", str(one.git_dir), "cat-file", "blob", expected) == data
    assert path.stat().st_mode & 0o777 == 0o444
    assert not [p for p in path.parent.iterdir() if p.name.startswith("tmp_obj_")]
    os.utime(path, (1, 1))
    assert one.store_blob(data) == expected
    assert path.stat().st_mtime > 1  # freshened, as git does
    git_plain("--git-dir", str(one.git_dir), "fsck", "--strict")
    sha256 = tmp_path / "sha256.git"
    git_plain("init", "-q", "--bare", "--object-format=sha256", str(sha256))
    stored = Git(sha256, tmp_path).store_blob(data)
    assert len(stored) == 64
    assert git_plain("--git-dir", str(sha256), "cat-file", "blob", stored) == data


def test_a_tree_written_here_from_heads_is_the_one_git_writes(tmp_path: Path) -> None:
    """``write_tree`` writes an append's tree itself, from HEAD's, when the index differs
    from HEAD only in files' content: the very tree ``git write-tree`` writes, over random
    changes in nested folders with names that sort around each other; any other change,
    or a HEAD not loose here, is left to git, with the same result."""
    work = tmp_path / "work"
    work.mkdir()
    git_plain("init", "-q", str(work))
    git = Git(work / ".git", work)
    rng = random.Random(14)
    names = [b"a", b"a.b", b"a-x", b"a0", b"b", b"c d"]
    paths = sorted(
        {b"/".join(rng.choice(names) for _ in range(rng.randrange(1, 4))) for _ in range(60)}
    )
    paths = [p for p in paths if not any(q.startswith(p + b"/") for q in paths)]  # files only
    modes = {p: rng.choice(("100644", "100755")) for p in paths}
    git.update_index({p: (modes[p], git.store_blob(p)) for p in paths})
    head = git.commit_tree(git_plain("write-tree", cwd=work).decode().strip(), [], "first")
    git.update_ref("HEAD", head, None, create=True)

    def staged_and_git_writes() -> str:
        git.staged_modes()
        return git_plain("write-tree", cwd=work).decode().strip()

    for _ in range(20):
        changed = rng.sample(paths, rng.randrange(1, 6))
        git.update_index({p: (modes[p], git.store_blob(os.urandom(8))) for p in changed})
        want = staged_and_git_writes()
        assert git._tree_from_head() == want
        assert git.write_tree() == want
    git_plain("fsck", "--strict", "--no-dangling", cwd=work)

    def left_to_git(change: dict[bytes, tuple[str, str] | None]) -> None:
        git.update_index(change)
        want = staged_and_git_writes()
        assert git._tree_from_head() is None
        assert git.write_tree() == want

    left_to_git({paths[0]: None})  # deleted
    left_to_git({b"new/file": ("100644", git.store_blob(b"n"))})  # added
    left_to_git({paths[1]: ("100755" if modes[paths[1]] == "100644" else "100644",
                            git.store_blob(b"m"))})  # fmt: skip
    git_plain("read-tree", head, cwd=work)
    git_plain("gc", "-q", cwd=work)  # HEAD and its trees packed: git writes it
    left_to_git({paths[2]: (modes[paths[2]], git.store_blob(b"packed"))})
