"""Odd paths in the Claude directory (issue 9): each one is synced or skipped by
name, and none of them blocks a sync or loses a file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.machines import Machine, git_plain


def no_traceback(*outputs: str) -> None:
    for out in outputs:
        assert "Traceback" not in out, out


def test_a_file_name_with_a_newline_syncs_and_never_blocks_later_pushes(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write(b"commands/a\nb.md", b"two-line name\n")
    a.run("push")
    a.write("CLAUDE.md", b"later change\n")
    a.run("push")  # used to fail: "commands/a is not encrypted"
    b.run("pull")
    assert (b.claude / "commands" / "a\nb.md").read_bytes() == b"two-line name\n"
    assert (b.claude / "CLAUDE.md").read_bytes() == b"later change\n"
    # Deleted, the name still lies in history: pushes keep working.
    (a.claude / "commands" / "a\nb.md").unlink()
    a.run("push")
    a.write("CLAUDE.md", b"after the deletion\n")
    proc = a.run("push")
    no_traceback(proc.stdout, proc.stderr)
    b.run("pull")
    assert not (b.claude / "commands" / "a\nb.md").exists()
    assert (b.claude / "CLAUDE.md").read_bytes() == b"after the deletion\n"


# -- an unreadable file ----------------------------------------------------------

NOBODY = 65534


class Confined(Machine):
    """A machine whose CLI cannot read what it does not own, even run by root.

    Root reads a mode-000 file anyway; in a user namespace that maps only root,
    a file owned by another user is out of its reach.
    """

    def launcher(self) -> list[str]:
        if os.geteuid() != 0:
            return super().launcher()
        return ["unshare", "--user", "--map-root-user", *super().launcher()]


def make_unreadable(path: Path) -> None:
    path.chmod(0)
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)


def make_readable(path: Path) -> None:
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def confined_pair(pair: tuple[Machine, Machine]) -> tuple[Machine, Machine]:
    a, b = pair
    return Confined(a.home), b


def test_an_unreadable_file_is_skipped_by_name_and_syncs_once_readable(
    confined_pair: tuple[Machine, Machine],
) -> None:
    a, b = confined_pair
    make_unreadable(a.write("commands/secret.md", b"mine\n"))
    a.write("CLAUDE.md", b"the rest goes through\n")
    for command in ("push", "pull"):
        proc = a.run(command)
        no_traceback(proc.stdout, proc.stderr)
        assert "commands/secret.md" in proc.stderr and "skipped" in proc.stderr
    b.run("pull")
    assert (b.claude / "CLAUDE.md").read_bytes() == b"the rest goes through\n"
    assert not (b.claude / "commands" / "secret.md").exists()
    make_readable(a.claude / "commands" / "secret.md")
    proc = a.run("push")
    assert "skipped" not in proc.stderr
    b.run("pull")
    assert (b.claude / "commands" / "secret.md").read_bytes() == b"mine\n"


def test_a_synced_file_made_unreadable_is_not_deleted_anywhere(
    confined_pair: tuple[Machine, Machine],
) -> None:
    a, b = confined_pair
    a.write("commands/x.md", b"one\n")
    a.run("push")
    b.run("pull")
    make_unreadable(a.claude / "commands" / "x.md")
    a.write("CLAUDE.md", b"other change\n")
    proc = a.run("push")
    no_traceback(proc.stdout, proc.stderr)
    assert "commands/x.md" in proc.stderr
    b.run("pull")
    assert (b.claude / "commands" / "x.md").read_bytes() == b"one\n"
    assert (b.claude / "CLAUDE.md").read_bytes() == b"other change\n"


# -- a file on one machine, a folder of the same name on the other ----------------


def test_a_file_here_and_a_folder_there_keeps_both_and_names_them(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("commands/x", b"file on a\n")
    a.run("push")
    b.write("commands/x/y.md", b"folder on b\n")
    b.write("CLAUDE.md", b"the rest goes through\n")
    proc = b.run("push")
    no_traceback(proc.stdout, proc.stderr)
    assert "commands/x" in proc.stderr
    proc = a.run("pull")
    no_traceback(proc.stdout, proc.stderr)
    b.run("pull")
    for machine in (a, b):
        assert machine.files()[b"commands/x/y.md"] == b"folder on b\n"
        assert machine.files()[b"commands/x.remote"] == b"file on a\n"
        assert machine.files()[b"CLAUDE.md"] == b"the rest goes through\n"


def test_a_folder_here_and_a_file_there_keeps_both_and_names_them(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("commands/x/y.md", b"folder on a\n")
    a.run("push")
    b.write("commands/x", b"file on b\n")
    proc = b.run("pull")
    no_traceback(proc.stdout, proc.stderr)
    assert "commands/x" in proc.stderr
    b.run("push")
    a.run("pull")
    for machine in (a, b):
        assert machine.files()[b"commands/x"] == b"file on b\n"
        assert machine.files()[b"commands/x.remote/y.md"] == b"folder on a\n"


def test_a_file_replaced_by_a_folder_while_the_other_machine_changed_it(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    a.write("commands/x", b"one\n")
    a.run("push")
    b.run("pull")
    b.write("commands/x", b"two\n")
    b.run("push")
    (a.claude / "commands" / "x").unlink()
    a.write("commands/x/y.md", b"now a folder\n")
    proc = a.run("pull")
    no_traceback(proc.stdout, proc.stderr)
    assert "commands/x" in proc.stderr
    a.run("push")
    b.run("pull")
    for machine in (a, b):
        assert machine.files()[b"commands/x/y.md"] == b"now a folder\n"
        assert machine.files()[b"commands/x.remote"] == b"two\n"


def test_pulling_a_change_to_a_file_unreadable_here_keeps_both(
    confined_pair: tuple[Machine, Machine],
) -> None:
    a, b = confined_pair
    a.write("commands/x.md", b"one\n")
    a.run("push")
    b.run("pull")
    make_unreadable(a.claude / "commands" / "x.md")
    b.write("commands/x.md", b"two\n")
    b.write("CLAUDE.md", b"the rest goes through\n")
    b.run("push")
    proc = a.run("pull", check=False)
    assert proc.returncode == 3, proc  # b's version is a conflict copy, for every machine
    no_traceback(proc.stdout, proc.stderr)
    assert "commands/x.md" in proc.stderr
    assert (a.claude / "CLAUDE.md").read_bytes() == b"the rest goes through\n"
    assert "commands/x.md" in a.run("conflicts").stdout
    make_readable(a.claude / "commands" / "x.md")
    assert (a.claude / "commands" / "x.md").read_bytes() == b"one\n"


# -- symlinks ------------------------------------------------------------------------


def test_symlinked_entries_sync_as_their_content_both_ways(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    dotfiles = a.home / "dotfiles"
    (dotfiles / "commands").mkdir(parents=True)
    (dotfiles / "CLAUDE.md").write_bytes(b"# from dotfiles\n")
    (dotfiles / "commands" / "hello.md").write_bytes(b"hello\n")
    # A file synced before becomes a link: no deletion may reach the other machine.
    (dotfiles / "settings.json").write_bytes((a.claude / "settings.json").read_bytes())
    (a.claude / "settings.json").unlink()
    os.symlink(dotfiles / "settings.json", a.claude / "settings.json")
    os.symlink(dotfiles / "CLAUDE.md", a.claude / "CLAUDE.md")
    os.symlink("../dotfiles/commands", a.claude / "commands")
    for command in (("status",), ("push", "--dry-run"), ("pull", "--dry-run")):
        proc = a.run(*command, check=False)
        assert proc.returncode in (0, 1), proc  # status: 1, changes to push
        no_traceback(proc.stdout, proc.stderr)
    proc = a.run("push")
    assert "skipped" not in proc.stderr
    b.run("pull")
    assert b.files()[b"CLAUDE.md"] == b"# from dotfiles\n"
    assert b.files()[b"commands/hello.md"] == b"hello\n"
    assert b.files()[b"settings.json"] == b'{"model": "opus"}\n'

    b.write("CLAUDE.md", b"# changed on b\n")
    b.write("commands/hello.md", b"hello from b\n")
    b.write("commands/new.md", b"new on b\n")
    b.write("settings.json", b'{"model": "sonnet"}\n')
    b.run("push")
    for _ in range(2):  # used to fail "changed while pulling" on every pull
        proc = a.run("pull")
        no_traceback(proc.stdout, proc.stderr)
    for name in ("CLAUDE.md", "settings.json", "commands"):
        assert (a.claude / name).is_symlink(), name
    assert (dotfiles / "CLAUDE.md").read_bytes() == b"# changed on b\n"
    assert (dotfiles / "commands" / "hello.md").read_bytes() == b"hello from b\n"
    assert (dotfiles / "commands" / "new.md").read_bytes() == b"new on b\n"
    assert (dotfiles / "settings.json").read_bytes() == b'{"model": "sonnet"}\n'

    (dotfiles / "commands" / "hello.md").write_bytes(b"edited in the dotfiles repo\n")
    (dotfiles / "commands" / "new.md").unlink()
    a.run("push")
    assert "Nothing to push" in a.run("push").stdout
    b.run("pull")
    assert b.files()[b"commands/hello.md"] == b"edited in the dotfiles repo\n"
    assert b"commands/new.md" not in b.files()
    assert b.files()[b"settings.json"] == b'{"model": "sonnet"}\n'
    assert b.files()[b"CLAUDE.md"] == b"# changed on b\n"


def test_dangling_links_and_loops_are_skipped_by_name(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    (a.claude / "commands").mkdir()
    os.symlink(a.home / "nowhere.md", a.claude / "commands" / "dangling.md")
    os.symlink("loop2", a.claude / "commands" / "loop1")
    os.symlink("loop1", a.claude / "commands" / "loop2")
    real = a.home / "real-skills"
    (real / "s").mkdir(parents=True)
    (real / "s" / "SKILL.md").write_bytes(b"skill\n")
    os.symlink("..", real / "s" / "up")  # a folder link back up the tree
    os.symlink(real, a.claude / "skills")
    a.write("CLAUDE.md", b"the rest goes through\n")
    proc = a.run("push")
    no_traceback(proc.stdout, proc.stderr)
    for name in ("commands/dangling.md", "commands/loop1", "commands/loop2"):
        assert f"skipped {name}:" in proc.stderr
    b.run("pull")
    assert b.files()[b"CLAUDE.md"] == b"the rest goes through\n"
    assert b.files()[b"skills/s/SKILL.md"] == b"skill\n"
    assert not any(path.startswith(b"commands/") for path in b.files())
    # Once the link has a target, it syncs.
    (a.home / "nowhere.md").write_bytes(b"there now\n")
    a.run("push")
    b.run("pull")
    assert b.files()[b"commands/dangling.md"] == b"there now\n"


def test_links_sharing_a_folder_or_holding_the_claude_dir(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    shared = a.home / "dotfiles"
    shared.mkdir()
    (shared / "one.md").write_bytes(b"shared\n")
    os.symlink(shared, a.claude / "commands")
    os.symlink(shared, a.claude / "agents")  # the same folder twice: both sync
    os.symlink(a.home, a.claude / "rules")  # would hold the Claude dir itself (and ~/.ssh)
    proc = a.run("push")
    no_traceback(proc.stdout, proc.stderr)
    assert "skipped rules:" in proc.stderr
    b.run("pull")
    assert b.files()[b"commands/one.md"] == b"shared\n"
    assert b.files()[b"agents/one.md"] == b"shared\n"
    assert not any(path.startswith(b"rules/") for path in b.files())


def test_a_pull_into_a_folder_behind_a_dangling_link_keeps_the_remote_version(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    os.symlink(a.home / "gone", a.claude / "commands")
    b.write("commands/new.md", b"from b\n")
    b.write("CLAUDE.md", b"the rest goes through\n")
    b.run("push")
    proc = a.run("pull")
    no_traceback(proc.stdout, proc.stderr)
    assert "commands/new.md" in proc.stderr
    assert (a.claude / "CLAUDE.md").read_bytes() == b"the rest goes through\n"
    assert (a.claude / "commands").is_symlink()
    assert "commands/new.md" in a.run("conflicts").stdout
    proc = a.run("push")
    no_traceback(proc.stdout, proc.stderr)
    b.run("pull")
    assert b.files()[b"commands/new.md"] == b"from b\n"


# -- nested repositories ---------------------------------------------------------------


def test_a_cloned_skill_syncs_its_files_not_its_git_folder(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    upstream = a.home / "upstream-skill"
    upstream.mkdir()
    (upstream / "SKILL.md").write_bytes(b"# a skill\n")
    (upstream / "scripts").mkdir()
    (upstream / "scripts" / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (upstream / "scripts" / "run.sh").chmod(0o755)
    git_plain("init", "-q", cwd=upstream)
    git_plain("add", "-A", cwd=upstream)
    git_plain("-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qm", "v1", cwd=upstream)
    (a.claude / "skills").mkdir()
    git_plain("clone", "-q", str(upstream), str(a.claude / "skills" / "cloned"))
    fresh = a.claude / "skills" / "fresh"  # git init, nothing committed yet
    fresh.mkdir()
    git_plain("init", "-q", cwd=fresh)
    (fresh / "SKILL.md").write_bytes(b"# work in progress\n")
    a.write("CLAUDE.md", b"the rest goes through\n")
    proc = a.run("push")
    no_traceback(proc.stdout, proc.stderr)
    assert "skipped" not in proc.stderr
    b.run("pull")
    files = b.files()
    assert files[b"skills/cloned/SKILL.md"] == b"# a skill\n"
    assert files[b"skills/cloned/scripts/run.sh"] == b"#!/bin/sh\necho hi\n"
    assert os.access(b.claude / "skills" / "cloned" / "scripts" / "run.sh", os.X_OK)
    assert files[b"skills/fresh/SKILL.md"] == b"# work in progress\n"
    assert files[b"CLAUDE.md"] == b"the rest goes through\n"
    assert not any(b"/.git/" in path for path in files)
    tree = b.git("ls-tree", "-r", "--name-only", "-z", "HEAD").stdout.split(b"\0")
    assert not any(b".git/" in path or path.endswith(b".git") for path in tree)

    # The skill updated by git on A, edited on B: both ways, never blocked.
    (a.claude / "skills" / "cloned" / "SKILL.md").write_bytes(b"# a skill, v2\n")
    (a.claude / "skills" / "cloned" / "NEW.md").write_bytes(b"new file\n")
    a.run("push")
    b.run("pull")
    assert b.files()[b"skills/cloned/SKILL.md"] == b"# a skill, v2\n"
    assert b.files()[b"skills/cloned/NEW.md"] == b"new file\n"
    b.write("skills/fresh/SKILL.md", b"# edited on b\n")
    b.run("push")
    proc = a.run("pull")
    no_traceback(proc.stdout, proc.stderr)
    assert (fresh / "SKILL.md").read_bytes() == b"# edited on b\n"
    assert (a.claude / "skills" / "cloned" / ".git").is_dir()
    assert "Nothing to push" in a.run("push").stdout


def test_an_empty_nested_repository_never_blocks(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    empty = a.claude / "skills" / "empty"
    empty.mkdir(parents=True)
    git_plain("init", "-q", cwd=empty)
    a.write("CLAUDE.md", b"the rest goes through\n")
    for command in ("push", "pull", "status"):
        proc = a.run(command, check=False)
        assert proc.returncode in (0, 1), proc  # status: 1 when b's change waits
        no_traceback(proc.stdout, proc.stderr)
    b.run("pull")
    assert b.files()[b"CLAUDE.md"] == b"the rest goes through\n"
    (empty / "SKILL.md").write_bytes(b"now with a file\n")
    a.run("push")
    b.run("pull")
    assert b.files()[b"skills/empty/SKILL.md"] == b"now with a file\n"


def test_a_linked_file_changed_under_an_unchanged_mtime_still_syncs(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    target = a.home / "dotfiles" / "CLAUDE.md"
    target.parent.mkdir()
    target.write_bytes(b"version 1\n")
    os.utime(target, (1_000_000_000, 1_000_000_000))  # old: its stat is remembered
    os.symlink(target, a.claude / "CLAUDE.md")
    a.run("push")
    a.run("push")
    target.write_bytes(b"version 2\n")  # same size, same mtime: only ctime tells
    os.utime(target, (1_000_000_000, 1_000_000_000))
    a.run("push")
    b.run("pull")
    assert b.files()[b"CLAUDE.md"] == b"version 2\n"


def test_a_name_with_a_newline_is_shown_on_one_line(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    a.write(b"commands/a\nb.md", b"x\n")
    out = a.run("push", "--dry-run").stdout
    assert "  commands/a\\nb.md\n" in out


def test_an_unreadable_folder_is_named_and_nothing_in_it_is_deleted(
    confined_pair: tuple[Machine, Machine],
) -> None:
    a, b = confined_pair
    a.write("commands/private/x.md", b"one\n")
    a.run("push")
    b.run("pull")
    make_unreadable(a.claude / "commands" / "private")
    a.write("CLAUDE.md", b"the rest goes through\n")
    proc = a.run("push")
    no_traceback(proc.stdout, proc.stderr)
    assert "skipped commands/private:" in proc.stderr
    b.run("pull")
    assert b.files()[b"commands/private/x.md"] == b"one\n"
    assert b.files()[b"CLAUDE.md"] == b"the rest goes through\n"
    make_readable(a.claude / "commands" / "private")


def test_a_left_out_link_beside_only_kept_sessions_never_blocks(
    pair: tuple[Machine, Machine],
) -> None:
    a, _b = pair
    a.write("projects/-p/s.jsonl", b'{"uuid":"1"}\n')
    a.run("push")
    (a.claude / "projects" / "-p" / "s.jsonl").unlink()  # Claude Code's clean-up: kept
    (a.claude / "settings.json").unlink()
    a.run("push", "--allow-mass-delete")
    os.symlink(a.home / "nowhere.md", a.claude / "CLAUDE.md")  # skipped: git add leaves it
    proc = a.run("push", check=False)
    no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert "skipped CLAUDE.md:" in proc.stderr


def test_under_any_link_agrees_with_trying_each_link() -> None:
    """The prefix lookup that replaced trying every link for every index entry."""
    from git_claude_sync.engine.odd_paths import _within, under_any

    roots = {b"projects/a", b"projects/ab/c", b"CLAUDE.md", b"commands"}
    for path in (
        b"projects/a", b"projects/a/x", b"projects/ab", b"projects/ab/c/d", b"projects/abc/x",
        b"CLAUDE.md", b"CLAUDE.mdx", b"commands/x/y", b"command", b"projects", b"x/projects/a",
    ):  # fmt: skip
        assert under_any(path, roots) == any(_within(path, r) for r in roots), path


def test_the_link_stats_cache_reads_its_older_forms_and_knows_a_file_by_its_stat(
    tmp_path: Path,
) -> None:
    # marshal since the walk's rewrite (~3 ms each way at 10k files, JSON ~12 and ~15); the
    # JSON an older version wrote (one string an entry, or before that a list of seven) is
    # read as the same entries, once, and removed when the new cache is written.  Their
    # signatures (a tuple) still know the file (no file read again for a new version);
    # what is saved is the signature as find prints it, and the entry staged.
    import json
    import marshal

    from git_claude_sync.engine import link_stats, odd_paths

    file = tmp_path / "f"
    file.write_bytes(b"x")
    st = os.stat(file)
    sig = odd_paths._signature(st)
    oid = "ab" * 20
    new, older = tmp_path / "link-stats", tmp_path / "link-stats.json"
    row = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, "100644", oid]
    older.write_text(json.dumps({b"p".hex(): row}))
    as_list = link_stats.load(new, older)
    older.write_text(json.dumps({b"p".hex(): " ".join(map(str, row))}))
    as_text = link_stats.load(new, older)
    for cache in (as_list, as_text):
        assert cache.signatures == {b"p": tuple(row[:6])}
        assert cache.entries == {b"p": ("100644", oid)}
        assert not cache.exact and cache.knows(b"p", sig)
    new.write_bytes(marshal.dumps((1, {b"p": (tuple(row[:6]), oid)})))  # version 1: tuples
    assert link_stats.load(new, older).knows(b"p", sig)
    new.write_bytes(marshal.dumps((2, {b"p": (sig, oid)})))  # version 2: find's line
    v2 = link_stats.load(new, older)
    assert (v2.signatures, v2.entries, v2.exact) == ({b"p": sig}, {b"p": ("100644", oid)}, False)
    link_stats.save(new, older, {b"p": sig}, {b"p": ("100644", oid)})
    assert not older.exists()
    now = link_stats.load(new, older)
    assert now.exact and now.knows(b"p", sig) and not now.knows(b"q", sig)
    assert now.entries == {b"p": ("100644", oid)}
    file.write_bytes(b"xy")
    changed = odd_paths._signature(os.stat(file))
    assert not now.knows(b"p", changed)
    assert not as_list.knows(b"p", changed)
    os.chmod(file, 0o755)  # the mode is part of it, in both forms
    assert not link_stats.same(odd_paths._signature(os.stat(file)), changed)
    assert link_stats.mode_of(odd_paths._signature(os.stat(file))) == "100755"
    unlike = marshal.dumps((3, {b"p": sig}, {b"q": ("100644", oid)}))  # keys not the same
    for damaged in (b"\x00 damaged", marshal.dumps((3, {}, [])), marshal.dumps((9, {})), unlike):
        new.write_bytes(damaged)
        cache = link_stats.load(new, older)
        assert (cache.signatures, cache.entries, cache.exact) == ({}, {}, False)


def test_known_files_are_the_same_whether_the_index_is_as_staged_or_not() -> None:
    """``_known``'s shortcut (the index holds what the last staging wanted: only files
    whose signature moved are looked at) agrees with asking each file, over random
    caches and listings: moved, new, gone, and known files whose entry is not held."""
    import random

    from git_claude_sync.engine import link_stats
    from git_claude_sync.engine.odd_paths import _known

    rng = random.Random(14)
    for _ in range(300):
        paths = [b"projects/p/%d" % i for i in range(rng.randrange(0, 12))]
        sigs = {p: b"%d 1.0 1.0 %d 1 644" % (rng.randrange(3), i) for i, p in enumerate(paths)}
        entries = {p: ("100644", f"{rng.randrange(4):040x}") for p in paths}
        recent = {p for p in paths if rng.random() < 0.2}  # held, but not kept: too recent
        cache = link_stats.Cache(
            {p: s for p, s in sigs.items() if p not in recent},
            {p: e for p, e in entries.items() if p not in recent},
            exact=True,
        )
        listed = {p: s for p, s in sigs.items() if rng.random() < 0.8}  # some gone
        for p in listed:
            if rng.random() < 0.3:
                listed[p] = b"9 2.0 2.0 99 1 644"  # moved
        listed.update((b"projects/p/new%d" % i, b"1 1.0 1.0 7 1 644") for i in range(2))
        held = dict(entries)
        assert cache.entries.items() <= held.items()
        fast = _known(cache, listed, held, as_staged=True)
        slow = _known(cache, listed, held, as_staged=False)
        assert fast == slow


def test_outside_agrees_with_asking_each_path() -> None:
    """The runs by bisection that replaced ``under_any`` for each of 10k entries: nested
    roots, a root that is a file, names that sort between a root and its folder."""
    from git_claude_sync.engine.odd_paths import _outside, under_any

    paths = sorted(
        [b"a", b"a-x", b"a-x/1", b"a.b", b"a/1", b"a/b", b"a/b/2", b"a0", b"ab/1", b"b"]
        + [b"projects/~-a/s.jsonl", b"projects/~-a-b/s.jsonl", b"projects/~-a.c", b"z"]
    )
    for roots in (
        {b"a"}, {b"a-x"}, {b"a", b"a-x"}, {b"a", b"a/b"}, {b"a/b"}, {b"b", b"z"},
        {b"projects/~-a"}, {b"projects/~-a", b"projects/~-a-b"}, {b"projects"}, set(),
        {b"nothing/here"},
    ):  # fmt: skip
        assert _outside(paths, roots) == [p for p in paths if not under_any(p, roots)], roots
