"""Re-encrypting a whole history under a new key (``key rotate --rewrite-history``).

Every commit reachable from a tip is copied, oldest first, with each blob
re-encrypted under the new key for its path (plaintext stays in memory), its
parents replaced by their copies, and author, committer, dates and message
kept.  The copy's message ends with a ``Rewritten-from: <old id>`` line (a
sealed commit's copy is sealed anew under the new key, with the same counter,
machine and time, and its one-line subject ends so instead): a machine that
follows (``key use``) finds there the copy of the last commit it shares with
the remote, and replays only its own commits on top
(docs/spec/rotation.md, "Rewriting history").

A ``Rewriter`` remembers what it copied, so rewriting again after the remote
moved (another machine pushed under the old key meanwhile) copies only the
new commits.  ``rewrite_commit`` is the one place a commit is rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from git_claude_sync.crypto import codec, state_seal
from git_claude_sync.crypto.codec import Key
from git_claude_sync.crypto.keyring import Keyring
from git_claude_sync.errors import FatalError
from git_claude_sync.git import Git

TRAILER = b"Rewritten-from: "


@dataclass
class Rewriter:
    git: Git
    old_keys: Keyring  # opens every blob of the history (current and retired keys)
    new_key: Key
    commits: dict[str, str] = field(default_factory=dict)  # old commit -> its copy
    blobs: dict[tuple[bytes, str], str] = field(default_factory=dict)  # (path, old) -> new

    def rewrite(self, tip: str) -> str:
        """The copy of ``tip``, copying every commit behind it not copied yet."""
        todo = [(c, ps) for c, ps in self.git.commits_oldest_first(tip) if c not in self.commits]
        raw = self.git.read_blobs(c for c, _ in todo)  # cat-file --batch reads commits too
        for commit, parents in todo:
            self.commits[commit] = self.rewrite_commit(commit, parents, raw[commit])
        return self.commits[tip]

    def rewrite_commit(self, commit: str, parents: list[str], raw: bytes) -> str:
        """One commit's copy: its tree re-encrypted, its parents' copies, its message
        marked with where it came from."""
        tree = self._rewrite_tree(commit)
        sealed = state_seal.open_commit(self.old_keys, raw)
        if sealed is not None:
            return self._reseal(commit, sealed.state, tree, parents)
        header, _, message = raw.partition(b"\n\n")
        lines = [b"tree " + tree.encode()]
        lines += [b"parent " + self.commits[p].encode() for p in parents]
        lines += [
            line for line in header.split(b"\n") if not line.startswith((b"tree ", b"parent "))
        ]
        kept = [line for line in message.rstrip(b"\n").split(b"\n") if not line.startswith(TRAILER)]
        body = b"\n".join(kept).rstrip(b"\n")
        message = body + b"\n\n" + TRAILER + commit.encode() + b"\n"
        return self.git.store_commit(b"\n".join(lines) + b"\n\n" + message)

    def _reseal(self, commit: str, state: state_seal.State, tree: str, parents: list[str]) -> str:
        """A sealed commit's copy, sealed under the new key with the same counter, machine
        and time (docs/spec/state.md): the subject, the one free line a seal carries, ends
        with where it came from."""
        subject = state.subject.split(" " + TRAILER.decode())[0]
        copy = state_seal.State(
            tree=tree,
            parents=tuple(self.commits[p] for p in parents),
            counter=state.counter,
            machine=state.machine,
            time=state.time,
            subject=f"{subject} {TRAILER.decode()}{commit}",
        )
        return self.git.store_commit(state_seal.make_commit(self.new_key, copy))

    def _rewrite_tree(self, commit: str) -> str:
        entries = self.git.ls_tree(commit)
        todo: dict[str, list[bytes]] = {}
        for path, (_mode, oid) in entries.items():
            if (path, oid) not in self.blobs:
                todo.setdefault(oid, []).append(path)
        for oid, data in self.git.iter_blobs(todo):
            paths = todo[oid]
            if not codec.looks_encrypted(data):  # never ours to open (e.g. .gitattributes)
                for path in paths:
                    self.blobs[path, oid] = oid
                continue
            new_ids = self.git.store_blobs(self._reencrypt(path, data) for path in paths)
            for path, new_id in zip(paths, new_ids, strict=True):
                self.blobs[path, oid] = new_id
        changes: dict[bytes, tuple[str, str] | None] = {
            path: (mode, self.blobs[path, oid]) for path, (mode, oid) in entries.items()
        }
        return self.git.tree_with(None, changes)

    def _reencrypt(self, path: bytes, data: bytes) -> bytes:
        key_id = codec.parse_header(data).key_id
        if not self.old_keys.knows(key_id):
            raise FatalError(
                f"history holds files under key {codec.format_fingerprint(key_id)}, which this "
                "machine does not have (put it in old-keys/, or rewrite on a machine that has it); "
                "nothing was changed"
            )
        return self.new_key.encrypt(path, self.old_keys.decrypt(path, data))


def copies_named_in(git: Git, tip: str) -> dict[str, str]:
    """Old commit -> its copy, from the ``Rewritten-from`` lines of ``tip``'s history."""
    found = {}
    commits = [c for c, _ in git.commits_oldest_first(tip)]
    for commit, raw in git.iter_blobs(commits):
        _header, _, message = raw.partition(b"\n\n")
        for line in message.split(b"\n"):
            # A trailer of its own, or the end of a sealed copy's subject.
            at = line.find(TRAILER)
            if at == 0 or (at > 0 and line[at - 1 : at] == b" "):
                found[line[at + len(TRAILER) :].split()[0].decode()] = commit
    return found
