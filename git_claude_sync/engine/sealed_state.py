"""Sealed states: making the tool's commits, verifying the remote's, remembering the newest.

docs/spec/state.md is the specification.  Every commit this tool makes goes
through ``make`` (crypto/state_seal.py seals it).  After each fetch, and
before anything is planned or written, ``verify_incoming`` checks the whole
new history the remote serves: each new commit opens under our key and is
exactly the commit its state describes, its counter is one above its
parents', the tip is under the current key, and the tip descends from the
newest state this machine has seen there (remembered in
``~/.claude-sync/seen-state.json``).  Anything else is refused, naming the
commit and what it would change, and the remote-tracking ref goes back to
the last state that passed, so nothing else acts on it.

History made before sealing (an older git-claude-sync) is accepted as it was:
an unsealed commit passes only while none of its parents is sealed, so the
first sealed commit starts the chain and nothing unsealed follows it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from git_claude_sync.crypto import codec, keyring, state_seal
from git_claude_sync.crypto.codec import Key
from git_claude_sync.crypto.keyring import Keyring
from git_claude_sync.crypto.state_seal import State
from git_claude_sync.engine.remote_key import RemoteKeyMoved
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.errors import CodecError, FatalError, WrongKey
from git_claude_sync.git import LOCAL_REF, REMOTE_REF, Git, LogEntry
from git_claude_sync.machine import files
from git_claude_sync.machine.paths import Layout
from git_claude_sync.records import dataclass
from git_claude_sync.ui.report import show_path

SUBJECT_PREFIX = "claude-sync: "
OVERRIDE = "git claude-sync pull --accept-rollback"


class StateRefused(FatalError):
    """The remote serves a state this machine must not accept."""


@dataclass(frozen=True)
class Seen:
    commit: str
    counter: int


# -- making ------------------------------------------------------------------------


def make(repo: SyncRepo, tree: str, parents: list[str], what: str, key: Key | None = None) -> str:
    """Seal and store a commit of ``tree`` after ``parents``; its id.

    ``what`` is the subject after the prefix ("1 added, 0 changed, 0 deleted",
    "merge"...); it names no machine: the machine is inside the seal.
    """
    keys = _keys(repo, key)
    counter = state_seal.next_counter([_counter(repo.git, keys, p) for p in parents])
    state = State(
        tree=tree,
        parents=tuple(parents),
        counter=counter,
        machine=repo.config.machine,
        time=repo.git.now(),
        subject=SUBJECT_PREFIX + what,
    )
    return repo.git.store_commit(state_seal.make_commit(key or repo.key, state))


def _keys(repo: SyncRepo, extra: Key | None = None) -> Keyring:
    ring = keyring.keyring_for(repo.layout.key_file, repo.key)
    if extra is None or ring.knows(extra.key_id):
        return ring
    return Keyring(extra, [repo.key, *keyring.load_retired(repo.layout.key_file)])


def _counter(git: Git, keys: Keyring, commit: str) -> int:
    """The counter of a commit already in this repository (0: made before sealing)."""
    sealed = state_seal.open_commit(keys, git.read_blobs([commit])[commit])
    return sealed.state.counter if sealed else 0


# Commits made before sealing name their machine in the author: "git-claude-sync (NAME)".
_LEGACY_AUTHOR = r"\((.+)\)$"  # compiled at first use: old commits only (issue 14)
_keyrings: dict[Path, Keyring] = {}


def machine_of(git: Git, entry: LogEntry) -> str:
    """The machine that made a commit, for display: the one its seal names (older
    commits: their author's), printable whatever it holds."""
    if entry.seal:
        key_file = Layout.of_git_dir(git.git_dir).key_file
        if key_file not in _keyrings:
            _keyrings[key_file] = keyring.keyring_for(key_file)
        try:
            name = state_seal.open_logged(_keyrings[key_file], *entry.sealed()).machine
            return show_path(name.encode("utf-8", "surrogateescape"))
        except CodecError:
            return "?"
    match = re.search(_LEGACY_AUTHOR, entry.author)
    return show_path((match.group(1) if match else entry.author or "?").encode())


@dataclass(frozen=True)
class MachineState:
    machine: str
    counter: int
    time: int


def last_states(repo: SyncRepo, limit: int = 300) -> list[MachineState]:
    """The newest state each machine made in this machine's history (its last
    ``limit`` commits), newest first: how a person notices a machine withheld from.

    Display only: names printable, seals opened without checking their commits."""
    git = repo.git
    head = git.rev("HEAD")
    if head is None:
        return []
    keys = _keys(repo)
    found: dict[str, MachineState] = {}
    for entry in git.log(head, limit=limit):
        if not entry.seal:
            continue
        try:
            state = state_seal.open_logged(keys, *entry.sealed())
        except CodecError:
            continue
        name = show_path(state.machine.encode("utf-8", "surrogateescape"))
        if name not in found:
            found[name] = MachineState(name, state.counter, state.time)
    return sorted(found.values(), key=lambda m: -m.counter)


# -- remembering ---------------------------------------------------------------------


def load_seen(layout: Layout) -> Seen | None:
    records = files.read_records(
        layout.seen_state_file, lambda item: Seen(str(item["commit"]), int(item["counter"]))
    )
    return records[-1] if records else None


def remember(repo: SyncRepo, commit: str, key: Key | None = None) -> None:
    """Record ``commit`` (verified, or made and sent here under ``key``) as the newest
    state seen."""
    seen = load_seen(repo.layout)
    if seen is not None and seen.commit == commit:
        return  # a no-change fetch: spare the fsync
    counter = _counter(repo.git, _keys(repo, key), commit)
    text = f'[{{"commit": "{commit}", "counter": {counter}}}]\n'
    files.atomic_write(repo.layout.seen_state_file, text.encode())


def forget(layout: Layout) -> None:
    """The deliberate override: accept whatever the remote serves next (still verified)."""
    layout.seen_state_file.unlink(missing_ok=True)
    _keep_manifest_floors(layout.seen_manifests_file)


def _keep_manifest_floors(path: Path) -> None:
    """Forget the bucket manifests seen, but not how far their serials went (the record
    of remote/freshness.py: digest "" checks nothing, ``floor`` lifts the next serial
    written), so a machine that saw no rollback never meets a serial reused."""
    records = files.read_records(path, dict)
    if not records:
        return
    kept = [
        {
            "url": str(r["url"]),
            "serial": 0,
            "digest": "",
            "floor": max(int(r["serial"]), int(r.get("floor", 0))),
        }
        for r in records
    ]
    files.atomic_write(path, (json.dumps(kept, indent=1, sort_keys=True) + "\n").encode())


# -- verifying -------------------------------------------------------------------------


def verify_incoming(repo: SyncRepo, remote_tip: str | None) -> None:
    """Refuse the remote's state unless it is sealed, in order, and not behind what was seen."""
    seen = load_seen(repo.layout)
    try:
        _check_freshness(repo, seen, remote_tip)
        if remote_tip is not None:
            known = [c for c in (repo.git.rev("HEAD"), seen.commit if seen else None) if c]
            _check_new(repo, repo.git.new_commits(remote_tip, known), remote_tip)
    except RemoteKeyMoved:
        raise  # not tampering: the remote is under a key this machine lacks (status says so)
    except FatalError:
        # The remote-tracking ref goes back to what last passed: nothing acts on the rest.
        if seen is not None and repo.git.rev(seen.commit) is not None:
            repo.git.update_ref(REMOTE_REF, seen.commit)
        else:
            repo.git.delete_ref(REMOTE_REF)
        raise


def _check_freshness(repo: SyncRepo, seen: Seen | None, remote_tip: str | None) -> None:
    if seen is None or remote_tip == seen.commit:
        return
    git = repo.git
    was = f"this machine has seen state {seen.counter} (commit {seen.commit[:12]})"
    tail = (
        "; nothing was changed. A host rolling back or replacing history can hide other "
        f"machines' work; if it was deliberate (a restored backup, a re-created remote): {OVERRIDE}"
    )
    if remote_tip is None:
        raise StateRefused(f"the remote's branch is gone, but {was}" + tail)
    if git.rev(seen.commit) is not None and git.is_ancestor(seen.commit, remote_tip):
        return
    # History rewritten under a new key (key rotate --rewrite-history elsewhere): the
    # machine is told to follow with key use, whose pull forgets the state seen.
    moved = _key_moved(repo, _keys(repo), git.read_blobs([remote_tip])[remote_tip])
    if moved is not None:
        raise moved
    served = _describe(repo, remote_tip)
    if git.rev(seen.commit) is not None and git.is_ancestor(remote_tip, seen.commit):
        raise StateRefused(
            f"the remote went back to an older state: it serves {served}, but {was}" + tail
        )
    raise StateRefused(
        f"the remote's history was replaced: it serves {served}, which does not follow the "
        f"newest state {was[len('this machine has seen ') :]} this machine has seen (force-pushed "
        "or unrelated history)" + tail
    )


def machine_named(repo: SyncRepo, commit: str) -> str | None:
    """The machine a commit of this repo's seal names (None: unsealed, or unreadable here)."""
    try:
        sealed = state_seal.open_commit(_keys(repo), repo.git.read_blobs([commit])[commit])
    except (CodecError, FatalError, KeyError):
        return None
    return sealed.state.machine if sealed else None


def _describe(repo: SyncRepo, commit: str) -> str:
    try:
        sealed = state_seal.open_commit(_keys(repo), repo.git.read_blobs([commit])[commit])
    except CodecError:
        sealed = None
    return (
        f"state {sealed.state.counter} (commit {commit[:12]})"
        if sealed
        else f"commit {commit[:12]}"
    )


def _check_new(repo: SyncRepo, new: list[str], tip: str) -> None:
    """Every commit new to this machine is one a key holder sealed, in order."""
    if not new:
        return
    git, keys = repo.git, _keys(repo)
    raws = git.read_blobs(new)
    # None: sealed under a key this machine never had (history from before a rotation,
    # on a machine that joined with the new key alone).  Such a commit is not checked
    # by itself: the tip, sealed under the current key, names it through the commit ids
    # of its parents, so it is exactly the history a key holder accepted.
    counters: dict[str, int | None] = {}
    for commit in new:  # parents first
        raw = raws[commit]
        parents = _parents(raw)
        for parent in parents:
            if parent not in counters:
                counters[parent] = _counter(git, keys, parent)
        try:
            sealed = state_seal.open_commit(keys, raw)
        except WrongKey:
            moved = _key_moved(repo, keys, raw)
            if moved is None:
                raise _refuse(repo, commit, parents, "its state seal does not open") from None
            if commit == tip:
                raise moved from None
            counters[commit] = None
            continue
        except CodecError as err:
            raise _refuse(repo, commit, parents, f"its state seal is invalid ({err})") from None
        parent_counters = [counters[p] for p in parents]
        expected = state_seal.next_counter([c for c in parent_counters if c is not None])
        if sealed is not None and None in parent_counters:
            expected = max(expected, sealed.state.counter)  # above a history it cannot read
        if sealed is None:
            if expected > 1:
                raise _refuse(
                    repo, commit, parents,
                    "it is not sealed (made with plain git, by an older git-claude-sync, or by "
                    "someone without the key)",
                )  # fmt: skip
            counters[commit] = 0
            continue
        if sealed.state.counter != expected:
            raise _refuse(
                repo, commit, parents,
                f"its counter is {sealed.state.counter}, not {expected} (commits dropped, "
                "reordered or replayed)",
            )  # fmt: skip
        if commit == tip and sealed.key_id != repo.key.key_id:
            raise _refuse(repo, commit, parents, "it is sealed with a retired key")
        counters[commit] = sealed.state.counter


def _key_moved(repo: SyncRepo, keys: Keyring, raw: bytes) -> RemoteKeyMoved | None:
    """The error for a commit sealed under a key this machine lacks (a rotation made
    elsewhere: ``key use``, not tampering), or None if it names a key known here."""
    key_id = state_seal.seal_key_id(raw)
    if key_id is None or keys.knows(key_id):
        return None
    return RemoteKeyMoved(
        f"the remote moved to key {codec.format_fingerprint(key_id)} (this machine uses "
        f"{repo.key.fingerprint}); nothing was changed; " + keyring.adopt_hint(repo.layout, key_id)
    )


def _parents(raw: bytes) -> list[str]:
    head = raw.split(b"\n\n", 1)[0]
    return [line[7:].decode() for line in head.split(b"\n") if line.startswith(b"parent ")]


def _refuse(repo: SyncRepo, commit: str, parents: list[str], why: str) -> StateRefused:
    changes = _what_changes(repo.git, commit, parents[0] if parents else None)
    return StateRefused(
        f"refusing the remote's state: commit {commit[:12]} {changes}, but {why}; "
        "nothing was changed"
    )


def _what_changes(git: Git, commit: str, parent: str | None) -> str:
    """What ``commit`` does to its first parent's files, in a few names (sanitised)."""
    try:
        new = git.ls_tree(commit)
        old = git.ls_tree(parent) if parent else {}
    except FatalError:
        return "holds a tree that cannot be read"
    said = []
    for path in sorted(set(old) | set(new)):
        if path not in new:
            said.append(f"deletes {show_path(path)}")
        elif path not in old:
            said.append(f"adds {show_path(path)}")
        elif old[path][0] != new[path][0]:
            said.append(f"changes the mode of {show_path(path)} to {new[path][0]}")
        elif old[path][1] != new[path][1]:
            said.append(f"changes {show_path(path)}")
    if not said:
        return "changes no file"
    more = f" and {len(said) - 5} more" if len(said) > 5 else ""
    return ", ".join(said[:5]) + more


# -- commits made here with plain git ---------------------------------------------------


def after_plain_git(repo: SyncRepo, before: str | None) -> None:
    """After ``git claude-sync git ARGS``: seal the commits that command made here.

    A commit git made on this machine (``commit``, ``merge``, ``rebase``...) becomes a
    sealed commit of the same tree, in the same order, with a subject that quotes
    nothing of its message.  Commits it brought from the remote (a plain ``fetch``
    then ``merge``) are not this machine's: they are checked as a pull would, and
    never sealed here, so plain git cannot launder the remote's commits.
    """
    git = repo.git
    head = git.rev("HEAD")
    if head is None or head == before:
        return
    seen = load_seen(repo.layout)
    base = [c for c in (before, seen.commit if seen else None) if c]
    remote = git.rev(REMOTE_REF)
    local = git.new_commits(head, [*base, remote] if remote else base)
    foreign = [c for c in git.new_commits(head, base) if c not in set(local)]
    if foreign and seen is not None:
        try:
            _check_new(repo, foreign, "")
        except StateRefused as err:
            raise StateRefused(
                f"{err} (merged with plain git: undo it with "
                f"'git claude-sync git reset --hard {before[:12] if before else 'HEAD~'}')"
            ) from None
    if not local:
        return
    keys = _keys(repo)
    raws = git.read_blobs(local)
    made: dict[str, str] = {}
    for commit in local:  # parents first
        raw = raws[commit]
        parents = _parents(raw)
        rebased = [made.get(p, p) for p in parents]
        try:
            sealed = state_seal.open_commit(keys, raw)
        except CodecError:
            sealed = None
        if sealed is not None and rebased == parents:
            made[commit] = commit
            continue
        what = "merge made with git" if len(parents) > 1 else "commit made with git"
        made[commit] = make(repo, _tree(raw), rebased, what)
    if made[head] != head:
        git.update_ref(LOCAL_REF, made[head], head)


def _tree(raw: bytes) -> str:
    return raw.split(b"\n", 1)[0].removeprefix(b"tree ").decode()


# -- what leaves -----------------------------------------------------------------------


def verify_outgoing(repo: SyncRepo, tip: str, remote_tip: str | None, key: Key) -> None:
    """Refuse to send a commit made by plain git on top of sealed history."""
    keys = _keys(repo, key)
    new = repo.git.new_commits(tip, [remote_tip] if remote_tip else [])
    raws = repo.git.read_blobs(new)
    sealed_ids: set[str] = set()
    for commit in new:
        try:
            sealed = state_seal.open_commit(keys, raws[commit])
        except CodecError as err:
            raise FatalError(
                f"refusing to push: commit {commit[:12]} has a bad seal ({err})"
            ) from None
        if sealed is not None:
            sealed_ids.add(commit)
            continue
        parents = _parents(raws[commit])
        if any(p in sealed_ids or _counter(repo.git, keys, p) for p in parents):
            raise FatalError(
                f"refusing to push: commit {commit[:12]} is not sealed, so other machines "
                "would refuse it; undo it with "
                f"'git claude-sync git reset --soft {parents[0][:12]}' and push again"
            )
