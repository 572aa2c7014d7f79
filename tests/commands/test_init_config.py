"""init writes the sync repo's and the local remote's settings in one go (git.init_bare):
what a later run would set is already there, each name once."""

from __future__ import annotations

from tests.machines import Machine, git_plain


def local_config(git_dir: str) -> list[str]:
    out = git_plain("--git-dir", git_dir, "config", "--list", "--local", "-z")
    return [item.decode() for item in out.split(b"\0") if item]


def test_init_leaves_nothing_for_a_later_run_to_configure(
    machine_a: Machine, machine_b: Machine
) -> None:
    a, b = machine_a, machine_b
    a.run("init")
    a.write("projects/-p/s.jsonl", b'{"type":"user","uuid":"1"}\n')
    a.run("push")
    b.run("init", "--git", str(a.default_remote), "--key", str(a.key_file))
    for m in (a, b):
        repo = m.tool_home / "repo.git"
        before = (repo / "config").read_bytes()
        listed = local_config(str(repo))
        names = [item.partition("\n")[0] for item in listed]
        assert len(names) == len(set(names)), names
        assert f"claude-sync.worktree\n{m.claude}" in listed
        assert f"core.worktree\n{m.claude}" in listed
        assert f"remote.origin.url\n{a.default_remote}" in listed
        assert "remote.origin.fetch\n+refs/heads/*:refs/remotes/origin/*" in listed
        m.run("status")  # opens the repo: configures what differs (sync_repo.configure)
        assert (repo / "config").read_bytes() == before
    remote = local_config(str(a.default_remote))
    for setting in (
        "core.bare\ntrue",
        "core.bigfilethreshold\n25165824",
        "core.loosecompression\n0",
        "pack.window\n1",
        "receive.unpacklimit\n1",
        "core.packedgitwindowsize\n4194304",
        "core.packedgitlimit\n8388608",
    ):
        assert setting in remote
    assert (a.default_remote / "info" / "attributes").read_text().startswith("* delta\n")


def test_a_first_init_leaves_no_stale_conflicts_marker(machine_a: Machine) -> None:
    """Nothing pulled, nothing waits: a marker left from an earlier setup goes (the
    launcher would otherwise step aside from every no-change push)."""
    machine_a.tool_home.mkdir()
    (machine_a.tool_home / "conflicts-waiting").touch()
    machine_a.run("init")
    assert not (machine_a.tool_home / "conflicts-waiting").exists()
