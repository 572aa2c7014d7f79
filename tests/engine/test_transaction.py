"""The engine's transaction, called in process on real repos (machines set up by the real CLI).

End-to-end tests drive the CLI; these call ``engine.transaction.run`` directly, the way
every command does, and look at what it returns and at the repos it leaves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import steps, transaction
from git_claude_sync.engine.sync_repo import SyncRepo, open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import LOCAL_REF, REMOTE_REF
from git_claude_sync.machine.paths import Layout
from git_claude_sync.ui.report import Report
from tests.machines import Machine, git_plain


def repo_of(machine: Machine, monkeypatch: pytest.MonkeyPatch) -> SyncRepo:
    """The machine's sync repo, opened in this process as its own commands would."""
    for name, value in machine.env().items():
        monkeypatch.setenv(name, value)
    return open_repo(Layout(home=machine.tool_home, claude_dir=machine.claude))


def quiet() -> Report:
    return Report(0)


def test_pull_applies_the_remote_and_sends_nothing(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    a.write("CLAUDE.md", b"from a\n")
    a.run("push")
    remote_before = a.git("rev-parse", "refs/remotes/origin/main").stdout
    result = transaction.run(repo_of(b, monkeypatch), quiet(), send=False, choose=None)
    assert b.claude.joinpath("CLAUDE.md").read_bytes() == b"from a\n"
    assert result.sent is None and result.integration.kind == "fast-forward"
    assert result.pulled == [b"CLAUDE.md"]
    assert a.git("rev-parse", "refs/remotes/origin/main").stdout == remote_before


def test_push_with_nothing_new_does_not_ask_the_remote(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _b = pair
    repo = repo_of(a, monkeypatch)
    result = transaction.run(repo, quiet(), send=True, choose=None)
    assert result.sent is None and result.merges == []  # no fetch at all


def test_push_merges_a_moved_remote_then_sends_one_tip(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    b.write("commands/b.md", b"b\n")
    b.run("push")
    a.write("commands/a.md", b"a\n")
    repo = repo_of(a, monkeypatch)
    result = transaction.run(repo, quiet(), send=True, choose=None)
    assert result.sent is not None
    assert result.pulled == [b"commands/b.md"]
    tip = repo.git.rev(LOCAL_REF)
    assert tip == result.sent.commit == repo.git.rev(REMOTE_REF)
    assert set(repo.git.ls_tree(tip)) >= {b"commands/a.md", b"commands/b.md"}


def diverge(a: Machine, b: Machine) -> None:
    """CLAUDE.md changed on both machines since they last agreed; A has pushed."""
    a.write("CLAUDE.md", b"one\n")
    a.run("push")
    b.run("pull")
    a.write("CLAUDE.md", b"two from a\n")
    a.run("push")
    b.write("CLAUDE.md", b"two from b\n")


def test_a_conflict_without_a_chooser_changes_nothing(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    diverge(a, b)
    repo = repo_of(b, monkeypatch)
    with pytest.raises(steps.Conflict) as raised:
        transaction.run(repo, quiet(), send=False, choose=None)
    assert raised.value.paths == [b"CLAUDE.md"]
    assert b.claude.joinpath("CLAUDE.md").read_bytes() == b"two from b\n"


def test_the_chooser_decides_and_its_decision_is_applied(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair
    diverge(a, b)
    seen: list[bytes] = []

    def take_theirs(case: steps.ConflictCase) -> steps.Decision:
        seen.append(case.path)
        assert (case.ours, case.theirs) == (b"two from b\n", b"two from a\n")
        return ("theirs", None)

    transaction.run(repo_of(b, monkeypatch), quiet(), send=True, choose=take_theirs)
    assert seen == [b"CLAUDE.md"]
    assert b.claude.joinpath("CLAUDE.md").read_bytes() == b"two from a\n"


def test_reseal_sends_the_commit_it_makes_and_verifies_it_under_its_key(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rotation's path through the transaction: a wrong key for the sealed commit is refused."""
    a, _b = pair
    a.write("CLAUDE.md", b"local change\n")
    repo = repo_of(a, monkeypatch)
    other = Key(bytes(range(32)))

    def reseal(head: str | None) -> transaction.Outgoing | None:
        assert head is not None
        # A commit whose new blob is under this repo's key, claimed to be under ``other``.
        return transaction.Outgoing(head, other, via=repo.git.rev(REMOTE_REF))

    remote_before = a.git("rev-parse", "refs/remotes/origin/main").stdout
    with pytest.raises(FatalError, match="not encrypted with this repo's key"):
        transaction.run(repo, quiet(), send=True, choose=None, reseal=reseal)
    assert a.git("rev-parse", "refs/remotes/origin/main").stdout == remote_before


def test_gives_up_when_the_remote_keeps_moving(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, b = pair
    a.write("commands/a.md", b"a\n")
    repo = repo_of(a, monkeypatch)
    attempts = []
    real_send = steps.send

    def racing_send(repo: SyncRepo, commit: str, report: Report, **options: Any) -> bool:
        attempts.append(commit)
        # Another machine lands a push between our fetch and our send, every time.
        b.write(f"commands/b{len(attempts)}.md", b"b\n")
        b.run("push")
        return real_send(repo, commit, report, **options)

    monkeypatch.setattr(steps, "send", racing_send)
    with pytest.raises(FatalError, match="kept moving"):
        transaction.run(repo, quiet(), send=True, choose=None)
    assert len(attempts) == transaction.PUSH_ATTEMPTS


def fetches(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every repo the engine fetches from here on (the real fetch runs)."""
    fetched: list[object] = []
    real_fetch = steps.fetch
    monkeypatch.setattr(steps, "fetch", lambda repo: fetched.append(repo) or real_fetch(repo))
    return fetched


def test_a_push_onto_the_remote_as_last_fetched_sends_without_fetching(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The remote is where this machine last fetched it: the push goes out under a lease on
    that tip, with no fetch, and the remote ends at the commit sent."""
    a, _b = pair
    a.write("CLAUDE.md", b"one\n")
    a.run("push")
    known = a.git("rev-parse", "refs/remotes/origin/main").stdout.decode().strip()
    a.write("CLAUDE.md", b"one\ntwo\n")
    fetched = fetches(monkeypatch)
    repo = repo_of(a, monkeypatch)
    result = transaction.run(repo, quiet(), send=True, choose=None)
    assert fetched == []
    assert result.sent is not None and result.integration.remote_tip == known
    remote = git_plain("--git-dir", str(a.default_remote), "rev-parse", "main").decode().strip()
    assert remote == result.sent.commit == repo.git.rev(REMOTE_REF) == repo.git.rev(LOCAL_REF)


def test_a_first_push_onto_a_remote_without_a_branch_sends_without_fetching(
    machine_a: Machine, machine_b: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never fetched a branch, never seen a state: the push goes out under the lease that
    the remote has no branch (a fetch would have found none); B's first push after it
    loses that lease and fetches and merges A's."""
    a, b = machine_a, machine_b
    a.run("init")
    b.run("init", "--git", str(a.default_remote), "--key", str(a.key_file))
    a.write("CLAUDE.md", b"one\n")
    fetched = fetches(monkeypatch)
    repo = repo_of(a, monkeypatch)
    result = transaction.run(repo, quiet(), send=True, choose=None)
    assert fetched == []
    assert result.sent is not None and result.integration.remote_tip is None
    remote = git_plain("--git-dir", str(a.default_remote), "rev-parse", "main").decode().strip()
    assert remote == result.sent.commit == repo.git.rev(REMOTE_REF)
    b.write("commands/b.md", b"b\n")
    b_repo = repo_of(b, monkeypatch)
    b_result = transaction.run(b_repo, quiet(), send=True, choose=None)
    assert len(fetched) == 1 and b_result.pulled == [b"CLAUDE.md"]
    assert b_result.sent is not None and b_result.integration.remote_tip == remote


def test_a_push_onto_a_remote_rolled_back_since_the_last_fetch_is_refused(
    pair: tuple[Machine, Machine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lease on the tip last fetched fails on a remote moved back to an older state:
    the fetch runs and its checks refuse the rollback; nothing is sent."""
    a, _b = pair
    for text in (b"one\n", b"one\ntwo\n"):
        a.write("CLAUDE.md", text)
        a.run("push")
    remote = ["--git-dir", str(a.default_remote)]
    git_plain(*remote, "update-ref", "refs/heads/main", "main~1")
    rolled_back = git_plain(*remote, "rev-parse", "main")
    a.write("CLAUDE.md", b"one\ntwo\nthree\n")
    with pytest.raises(FatalError, match="older state"):
        transaction.run(repo_of(a, monkeypatch), quiet(), send=True, choose=None)
    assert git_plain(*remote, "rev-parse", "main") == rolled_back
