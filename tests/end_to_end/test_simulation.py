"""A seeded random simulation of several machines sharing one Claude directory.

Three or more fake homes sync through one bare remote while random steps run:
lines appended to sessions (sometimes torn mid-line for a while, the rest
written later through the descriptor that was held open meanwhile), new sessions,
one session resumed on two machines, ``settings.json`` edited (own keys, and
now and then one shared key on two machines: a conflict), ``history.jsonl``
appended to, commands and todos created, edited and deleted, sessions deleted,
single pushes and pulls, and pushes from several machines at once.  And the
faults of issue 9: a command turned into a link to a file outside the Claude
directory (a dotfile manager's), a skill cloned with git (a nested repository,
sometimes without a commit), a Claude directory emptied (its push must be
refused, its pull brings everything back) and a transport that hangs (the run
stops within its stall limit and leaves the lock free).

After every full sync round (every machine pushes, then every machine pulls,
until all sit on the remote's tip) the checks are, against the synced state
(the decrypted tree all machines now share):

- every session or history line ever written is in it; no line was invented
  or doubled, each machine's own lines keep their order, ``history.jsonl`` is
  ordered by timestamp; no file ends in a torn line;
- every machine holds exactly those bytes, and no temporary file; the one
  exception is a session a machine deleted (Claude Code's clean-up is not
  synced, see kept.py): it stays in the synced state and on the other
  machines, absent only where deleted, until another machine changes it;
- ``settings.json`` is valid JSON holding every key a machine set, unless a
  run reported a conflict on it (then the local side stayed and the remote one
  is stored: ``git claude-sync conflicts`` lists it);
- a file deleted on one machine and written on no other is gone everywhere;
- a linked file is still a link, its content synced through it; nothing of a
  nested repository's ``.git`` is synced.

The default suite runs a short simulation with a fresh seed; ``--sim-steps N``
and ``--sim-seed S`` run a longer one or replay a failure (the seed is printed
and named in every failure message).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from git_claude_sync.filters.clean import is_append_only, same_lines

from git_claude_sync.engine.conflict_copies import original_of
from tests.fleet import (
    fsck,
    full_sync,
    head_files,
    make_fleet,
    popen,
    temp_files,
    torn_files,
)
from tests.machines import Machine, git_plain

DEFAULT_STEPS = 40
STALL_LIMIT = "1"  # seconds a hung transport is given (CLAUDE_SYNC_STALL_TIMEOUT)
HUNG_RUN_BOUND = 30  # seconds a run against it may take in all
MACHINES = 3
ROUND_AT_LEAST_EVERY = 12
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = ["read", "the", "file", "run", "tests", "fix", "why", "fails", "—", "naïve", "日本", "🙂"]

Key = tuple[str, ...]


class Simulation:
    def __init__(self, machines: list[Machine], rng: random.Random) -> None:
        self.machines = machines
        self.remote = machines[0].default_remote
        self.rng = rng
        self.clock = 0
        self.counter = 0
        self.rounds = 0
        self.log: list[str] = []
        # Append-only files (sessions, history.jsonl): every complete line ever
        # written; the lines that must be present; each machine's own lines in order.
        self.written: dict[str, set[bytes]] = defaultdict(set)
        self.required: dict[str, set[bytes]] = defaultdict(set)
        self.own_order: dict[tuple[int, str], list[bytes]] = defaultdict(list)
        self.torn: dict[tuple[int, str], tuple[bytes, bytes]] = {}  # (rest, whole line)
        self.held: dict[tuple[int, str], int] = {}  # the descriptor a torn line is written by
        # Other files: every content ever written.
        self.versions: dict[str, set[bytes]] = defaultdict(set)
        self.versions["settings.json"].add(b'{"model": "opus"}\n')
        self.expected_settings: dict[Key, object] = {}
        self.settings_conflicts: list[int] = []  # machines that reported one
        self.events: dict[str, list[tuple[str, int]]] = defaultdict(list)  # this round
        self.stats: Counter[str] = Counter()
        # Sessions deleted on a machine: kept in the repo and on the other machines
        # (kept.py); they come back if someone else changes them.  path -> content.
        self.kept: dict[int, dict[str, bytes]] = defaultdict(dict)
        # Files a machine turned into a link to a file outside its Claude directory.
        self.linked: set[tuple[int, str]] = set()

    # -- helpers ---------------------------------------------------------------

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def text(self) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randrange(1, 12)))

    def session_line(self, i: int) -> bytes:
        stamp = (EPOCH + timedelta(seconds=self.tick())).isoformat().replace("+00:00", "Z")
        record = {
            "uuid": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "timestamp": stamp,
            "type": self.rng.choice(["user", "assistant"]),
            "machine": f"m{i}",
            "message": {"content": self.text()},
        }
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def history_line(self, i: int) -> bytes:
        record = {
            "display": self.text(),
            "pastedContents": {},
            "timestamp": 1767225600000 + self.tick() * 1000,
            "project": f"/home/u/p{i}",
        }
        return json.dumps(record, ensure_ascii=False).encode() + b"\n"

    def local(self, i: int, pattern: str) -> list[str]:
        claude = self.machines[i].claude
        return sorted(
            str(p.relative_to(claude))
            for p in claude.glob(pattern)
            if p.is_file() and ".sync-conflict-" not in p.name  # copies wait for a person
        )

    def sessions(self, i: int) -> list[str]:
        return [p for p in self.local(i, "projects/**/*.jsonl")]

    def others(self, i: int) -> list[str]:
        return (
            self.local(i, "commands/*.md")
            + self.local(i, "todos/*.json")
            + self.local(i, "skills/*/SKILL.md")
        )

    def here(self, i: int) -> dict[bytes, bytes]:
        """Machine ``i``'s files as the sync sees them: through its dotfile links, and
        without the ``.git`` of a nested repository."""
        claude = self.machines[i].claude
        here = {p: d for p, d in self.machines[i].files().items() if b".git/" not in p}
        for k, path in sorted(self.linked):
            if k == i and (claude / path).is_file():
                here[path.encode()] = (claude / path).read_bytes()
        return here

    def finish_torn(self, i: int, path: str) -> None:
        pending = self.torn.pop((i, path), None)
        if pending is not None:
            rest, whole = pending
            # The writer held its descriptor open across whatever ran meanwhile
            # (pulls that added lines, folders that moved), as Claude Code may.
            fd = self.held.pop((i, path))
            try:
                os.write(fd, rest)
            finally:
                os.close(fd)
            self.record_line(i, path, whole)

    def record_line(self, i: int, path: str, line: bytes) -> None:
        self.written[path].add(line)
        self.required[path].add(line)
        self.own_order[(i, path)].append(line)
        self.events[path].append(("write", i))

    def append(self, i: int, path: str, lines: list[bytes], tear: bool = False) -> None:
        self.finish_torn(i, path)
        target = self.machines[i].claude / path
        target.parent.mkdir(parents=True, exist_ok=True)
        complete, torn = lines, b""
        if tear:
            complete, last = lines[:-1], lines[-1]
            cut = self.rng.randrange(1, len(last) - 1)
            torn = last[:cut]
            self.torn[(i, path)] = (last[cut:], last)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, b"".join(complete) + torn)
        finally:
            if tear:
                self.held[(i, path)] = fd  # the rest of the line comes through it, later
            else:
                os.close(fd)
        for line in complete:
            self.record_line(i, path, line)

    def write_other(self, i: int, path: str, data: bytes) -> None:
        self.machines[i].write(path, data)
        self.versions[path].add(data)
        self.events[path].append(("write", i))

    def note(self, i: int, stderr: str) -> None:
        if "settings.json changed on both machines" in stderr:
            self.settings_conflicts.append(i)
        self.stats["conflicts stored"] += stderr.count("changed on both machines")

    # -- steps -----------------------------------------------------------------

    def step_append(self, i: int) -> str:
        sessions = self.sessions(i)
        if not sessions:
            return self.step_new_session(i)
        path = self.rng.choice(sessions)
        lines = [self.session_line(i) for _ in range(self.rng.randrange(1, 4))]
        self.append(i, path, lines, tear=self.rng.random() < 0.2)
        return f"m{i} appends {len(lines)} to {path}"

    def step_new_session(self, i: int) -> str:
        self.counter += 1
        project = f"projects/-home-u-p{self.rng.randrange(3)}"
        session = uuid.UUID(int=self.rng.getrandbits(128))
        path = f"{project}/{session}.jsonl"
        if self.rng.random() < 0.25:
            path = f"{project}/{session}/subagents/agent-{self.counter}.jsonl"
        self.append(i, path, [self.session_line(i) for _ in range(self.rng.randrange(1, 3))])
        return f"m{i} starts {path}"

    def step_resume(self, i: int) -> str:
        j = self.rng.choice([k for k in range(len(self.machines)) if k != i])
        shared = sorted(set(self.sessions(i)) & set(self.sessions(j)))
        if not shared:
            return self.step_append(i)
        path = self.rng.choice(shared)
        for k in (i, j):
            lines = [self.session_line(k) for _ in range(self.rng.randrange(1, 3))]
            self.append(k, path, lines, tear=self.rng.random() < 0.1)
        return f"m{i} and m{j} both append to {path}"

    def step_settings(self, i: int) -> str:
        target = self.machines[i].claude / "settings.json"
        current = json.loads(target.read_bytes())  # always valid JSON
        assert isinstance(current, dict), current
        roll = self.rng.random()
        if roll < 0.2:
            current["model"] = self.rng.choice(["opus", "sonnet", "haiku", "opus[1m]"])
            what = "model"
        elif roll < 0.45:
            value = self.rng.randrange(1000)
            current.setdefault("env", {})[f"M{i}"] = str(value)
            self.expected_settings[("env", f"M{i}")] = str(value)
            what = f"env.M{i}"
        else:
            name = f"m{i}_k{self.rng.randrange(4)}"
            value = self.rng.randrange(1000)
            current[name] = value
            self.expected_settings[(name,)] = value
            what = name
        self.write_other(i, "settings.json", json.dumps(current, indent=2).encode() + b"\n")
        return f"m{i} sets {what} in settings.json"

    def step_clash(self, i: int) -> str:
        """Two machines change the same thing differently: a conflict once they meet."""
        j = self.rng.choice([k for k in range(len(self.machines)) if k != i])
        shared = sorted(set(self.local(i, "commands/*.md")) & set(self.local(j, "commands/*.md")))
        if shared and self.rng.random() < 0.4:
            path = self.rng.choice(shared)
            for k in (i, j):
                data = (self.machines[k].claude / path).read_bytes()
                self.write_other(k, path, data + f"edited on m{k} at {self.tick()}\n".encode())
            return f"m{i} and m{j} both edit {path}"
        for k, model in zip((i, j), self.rng.sample(["opus", "sonnet", "haiku"], 2), strict=True):
            target = self.machines[k].claude / "settings.json"
            current = json.loads(target.read_bytes())
            current["model"] = model
            self.write_other(k, "settings.json", json.dumps(current, indent=2).encode() + b"\n")
        return f"m{i} and m{j} both set model in settings.json"

    def step_history(self, i: int) -> str:
        self.append(i, "history.jsonl", [self.history_line(i)], tear=self.rng.random() < 0.1)
        return f"m{i} appends to history.jsonl"

    def step_other(self, i: int) -> str:
        existing = self.others(i)
        if existing and self.rng.random() < 0.5:
            path = self.rng.choice(existing)
            data = (self.machines[i].claude / path).read_bytes()
            if path.endswith(".json"):
                todos = json.loads(data) + [{"content": self.text(), "status": "pending"}]
                new = json.dumps(todos, indent=2, ensure_ascii=False).encode()
            else:
                new = data + f"edited on m{i} at {self.tick()}\n".encode()
            self.write_other(i, path, new)
            return f"m{i} edits {path}"
        self.counter += 1
        if self.rng.random() < 0.5:
            path = f"commands/c{self.counter}.md"
            data = f"# command {self.counter}\n{self.text()}\n".encode()
        else:
            path = f"todos/t{self.counter}.json"
            data = json.dumps([{"content": self.text(), "status": "pending"}]).encode()
        self.write_other(i, path, data)
        return f"m{i} creates {path}"

    def step_delete(self, i: int) -> str:
        if self.rng.random() < 0.3:
            # As Claude Code's clean-up does: an old session, nothing unsynced in it.
            committed = head_files(self.machines[i])
            candidates = [
                p
                for p in self.sessions(i)
                if (i, p) not in self.torn
                and committed.get(p.encode()) == (self.machines[i].claude / p).read_bytes()
            ]
            if candidates:
                path = self.rng.choice(candidates)
                self.kept[i][path] = committed[path.encode()]
                (self.machines[i].claude / path).unlink()
                return f"m{i} deletes session {path} (kept on the remote)"
        candidates = self.others(i)
        if not candidates:
            return self.step_other(i)
        path = self.rng.choice(candidates)
        (self.machines[i].claude / path).unlink()
        self.events[path].append(("delete", i))
        return f"m{i} deletes {path}"

    def step_link(self, i: int) -> str:
        """A dotfile manager takes over a command: the file moves out, a link stays."""
        claude = self.machines[i].claude
        candidates = [p for p in self.local(i, "commands/*.md") if not (claude / p).is_symlink()]
        if not candidates:
            return self.step_other(i)
        path = self.rng.choice(candidates)
        dotfiles = self.machines[i].home / "dotfiles"
        dotfiles.mkdir(exist_ok=True)
        outside = dotfiles / path.replace("/", "_")
        os.replace(claude / path, outside)
        os.symlink(outside, claude / path)
        self.linked.add((i, path))
        return f"m{i} links {path} to {outside.name} in a dotfiles folder"

    def step_skill(self, i: int) -> str:
        """A skill cloned with git: a nested repository, its files synced, never its .git."""
        self.counter += 1
        folder = f"skills/s{self.counter}"
        self.write_other(
            i, f"{folder}/SKILL.md", f"# skill {self.counter}\n{self.text()}\n".encode()
        )
        where = self.machines[i].claude / folder
        git_plain("init", "-q", str(where))
        if self.rng.random() < 0.7:  # else a repository without a commit yet
            git_plain("-C", str(where), "add", "-A")
            git_plain(
                "-C", str(where), "-c", "user.name=s", "-c", "user.email=s@x",
                "commit", "-qm", "skill",
            )  # fmt: skip
        return f"m{i} clones skill {folder}"

    def step_empty(self, i: int) -> str:
        """The Claude directory emptied (a reinstall): the push refuses, the pull restores."""
        for k, path in sorted(self.torn):
            if k == i:
                self.finish_torn(i, path)
        self.sync(i, "push")  # what was written here is synced: the emptying loses nothing
        claude = self.machines[i].claude
        shutil.rmtree(claude)
        claude.mkdir()
        self.linked = {(k, p) for k, p in self.linked if k != i}
        proc = self.machines[i].run("push", check=False)
        assert proc.returncode == 1 and "refusing to delete" in proc.stderr, (
            f"m{i} pushed an emptied Claude directory: {proc}"
        )
        self.sync(i, "pull")  # brings every synced file back, sessions deleted here too
        self.kept[i].clear()
        return f"m{i} empties its Claude directory (push refused, pull restored)"

    def step_hung(self, i: int) -> str:
        """A transport that never answers: the run stops on its own and frees the lock."""
        machine = self.machines[i]
        ssh = machine.home.parent / "hanging-ssh"
        if not ssh.exists():
            ssh.write_text("#!/bin/sh\nexec sleep 3600\n")
            ssh.chmod(0o755)
        url = machine.git("remote", "get-url", "origin").stdout.decode().strip()
        command = self.rng.choice(["push", "pull"])
        if command == "push":  # something to send: a push with nothing answers at once
            # A whole line: a torn one is held back by the clean step, and the push then had
            # nothing to send 1 time in 10 (seed 1332308702, 40 steps).  The tear's draw is
            # still made, so that a seed whose line here was not torn replays as before.
            line = self.history_line(i)
            self.rng.random()
            self.append(i, "history.jsonl", [line])
        machine.git("remote", "set-url", "origin", "ssh://git.example/claude.git")
        started = time.monotonic()
        try:
            proc = machine.run(
                command,
                check=False,
                GIT_SSH_COMMAND=str(ssh),
                CLAUDE_SYNC_STALL_TIMEOUT=STALL_LIMIT,
            )
        finally:
            machine.git("remote", "set-url", "origin", url)
        took = time.monotonic() - started
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc
        assert took < HUNG_RUN_BOUND, f"m{i} {command} against a hung transport took {took:.0f} s"
        started = time.monotonic()
        self.sync(i, command)  # the lock is free: no wait for the hung run
        assert time.monotonic() - started < HUNG_RUN_BOUND
        return f"m{i} {command} against a hung transport (stopped in {took:.1f} s)"

    def sync(self, i: int, command: str) -> None:
        proc = self.machines[i].run(command, check=False)
        # 3: done, but conflict copies wait for a person (conflict_copies.py).
        assert proc.returncode in (0, 3), f"m{i} {command} exited {proc.returncode}: {proc}"
        self.note(i, proc.stderr)

    def step_push(self, i: int) -> str:
        self.sync(i, "push")
        return f"m{i} push"

    def step_pull(self, i: int) -> str:
        self.sync(i, "pull")
        return f"m{i} pull"

    def step_concurrent_push(self, i: int) -> str:
        if self.rng.random() < 0.25:  # two hooks at once on one machine: they queue
            runs = [(i, "push"), (i, self.rng.choice(["push", "pull"]))]
        else:
            count = self.rng.randrange(2, len(self.machines) + 1)
            runs = [(k, "push") for k in sorted(self.rng.sample(range(len(self.machines)), count))]
        procs = [(k, command, popen(self.machines[k], command)) for k, command in runs]
        for k, command, proc in procs:
            out, err = proc.communicate(timeout=120)
            stderr = err.decode("utf-8", "replace")
            assert proc.returncode in (0, 3), (
                f"m{k} {command} exited {proc.returncode}: {stderr}{out!r}"
            )
            assert "index.lock" not in stderr, stderr
            self.note(k, stderr)
        return "at once: " + ", ".join(f"m{k} {command}" for k, command in runs)

    STEPS = (
        ("append", 22),
        ("new_session", 6),
        ("resume", 9),
        ("settings", 8),
        ("clash", 4),
        ("history", 7),
        ("other", 8),
        ("delete", 5),
        ("push", 12),
        ("pull", 12),
        ("concurrent_push", 6),
        ("link", 2),
        ("skill", 2),
        ("empty", 1),
        ("hung", 1),
        ("round", 4),
    )

    def run(self, steps: int) -> None:
        names = [name for name, _ in self.STEPS]
        weights = [weight for _, weight in self.STEPS]
        since_round = 0
        for number in range(steps):
            name = self.rng.choices(names, weights)[0]
            if name == "round" or since_round >= ROUND_AT_LEAST_EVERY:
                self.full_round(number)
                since_round = 0
                continue
            i = self.rng.randrange(len(self.machines))
            self.log.append(f"{number}: {getattr(self, f'step_{name}')(i)}")
            self.stats[name] += 1
            since_round += 1
        self.full_round(steps)
        for machine in self.machines:
            fsck(machine.tool_home / "repo.git")
        fsck(self.remote)

    # -- the checks --------------------------------------------------------------

    def full_round(self, number: int) -> None:
        for i, path in sorted(self.torn):
            self.finish_torn(i, path)
        for i, stderr in enumerate(full_sync(self.machines, self.remote)):
            self.note(i % len(self.machines), stderr)
        self.rounds += 1
        self.log.append(f"{number}: full sync round {self.rounds}")
        self.check()
        self.events.clear()

    def check(self) -> None:
        files = head_files(self.machines[0])  # all machines sit on this commit
        assert not [p for p in files if b".git/" in p], "a nested repository's .git was synced"
        for i, path in sorted(self.linked):
            link = self.machines[i].claude / path
            if os.path.lexists(link):
                assert link.is_symlink(), f"m{i}'s link {path} was replaced by a file"
            else:
                self.linked.discard((i, path))  # deleted here or by a pull: gone with it
        for i, machine in enumerate(self.machines):
            assert not temp_files(machine), f"temp files left: {temp_files(machine)}"
            here = self.here(i)
            # Sessions and history.jsonl only grow in place (machine/files.append_lines):
            # the same lines, maybe in this machine's order.
            differ = sorted(
                p
                for p in here
                if here[p] != files.get(p)
                and not (is_append_only(p) and same_lines(here[p], files.get(p, b"")))
            )
            assert not differ, f"m{i} differs from the synced state in {differ}"
            for path in sorted(set(files) - set(here)):
                kept = self.kept[i].get(path.decode())
                assert kept is not None, f"{path!r} is missing on m{i}"
                assert kept == files[path], f"{path!r} changed elsewhere but stays deleted on m{i}"
            for path in [p for p in self.kept[i] if p.encode() in here]:
                assert self.kept[i].pop(path) != files[path.encode()], (
                    f"{path} deleted on m{i} came back unchanged"
                )
        assert not torn_files(files), torn_files(files)

        known = set(self.written) | set(self.versions)
        for path in [p for p in files if original_of(p) is not None]:
            # A conflict copy holds a version someone wrote of the file it belongs to.
            original = original_of(path)
            assert original is not None
            if original != b"settings.json":
                assert files[path] in self.versions[original.decode()], f"{path!r}: unknown"
            known.add(path.decode())
        unknown = sorted(p for p in files if p.decode() not in known)
        assert not unknown, f"files nobody wrote: {unknown}"

        for path in sorted(set(self.written)):
            self.check_lines(path, files.get(path.encode()))
        for i in range(len(self.machines)):
            here = self.here(i)
            for path in sorted(set(self.written)):
                if path.encode() in here:
                    self.check_lines(path, here[path.encode()])
        for path, versions in sorted(self.versions.items()):
            data = files.get(path.encode())
            if data is not None and path != "settings.json":
                assert data in versions, f"{path} holds content nobody wrote: {data!r}"
        for path, events in sorted(self.events.items()):
            if events[-1][0] == "delete":
                deleter = events[-1][1]
                if all(k == deleter for kind, k in events if kind == "write"):
                    assert path.encode() not in files, f"{path} deleted on m{deleter} came back"
        self.check_settings(files[b"settings.json"])

    def check_lines(self, path: str, data: bytes | None) -> None:
        required = self.required[path]
        if data is None:
            assert not required, f"{path} is gone, with {len(required)} lines never deleted"
            return
        lines = data.splitlines(keepends=True)
        assert len(lines) == len(set(lines)), f"{path} holds a line twice"
        invented = [line for line in lines if line not in self.written[path]]
        assert not invented, f"{path} holds lines nobody wrote: {invented[:3]}"
        missing = required - set(lines)
        assert not missing, f"{path} lost {len(missing)} line(s): {sorted(missing)[:3]}"
        position = {line: n for n, line in enumerate(lines)}
        for k in range(len(self.machines)):
            mine = [
                position[line] for line in self.own_order.get((k, path), []) if line in position
            ]
            assert mine == sorted(mine), f"{path}: m{k}'s lines are out of order"
        # history.jsonl: merges order it by timestamp, but a pull only appends to
        # the file on disk (machine/files.append_lines), so lines from other
        # machines stand in the order they arrived; each machine's own keep theirs.

    def check_settings(self, data: bytes) -> None:
        settings = json.loads(data)
        assert isinstance(settings, dict), settings
        if self.settings_conflicts:
            for i in sorted(set(self.settings_conflicts)):
                listing = self.machines[i].run("conflicts").stdout
                assert "settings.json" in listing, listing
            self.log.append(f"settings.json conflict on m{self.settings_conflicts}")
            self.settings_conflicts.clear()
            # The local side stayed: what a machine set on the remote side may be gone.
            self.expected_settings = {
                key: found[0] for key in self.expected_settings if (found := _get(settings, key))
            }
        for key, value in self.expected_settings.items():
            assert _get(settings, key) == (value,), f"settings.json: {key} is not {value!r}"


def _get(obj: object, key: Key) -> tuple[object, ...]:
    for part in key:
        if not isinstance(obj, dict) or part not in obj:
            return ()
        obj = obj[part]
    return (obj,)


def test_random_machines_never_lose_a_line_and_converge(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    steps = request.config.getoption("--sim-steps") or DEFAULT_STEPS
    seed = request.config.getoption("--sim-seed")
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    print(f"simulation seed {seed}, {steps} steps (replay: --sim-seed {seed} --sim-steps {steps})")
    machines = make_fleet(tmp_path, MACHINES)
    sim = Simulation(machines, random.Random(seed))
    started = time.monotonic()
    try:
        sim.run(steps)
    except AssertionError as err:
        recent = "\n".join(sim.log[-25:])
        raise AssertionError(
            f"simulation failed with seed {seed} ({steps} steps; replay with "
            f"--sim-seed {seed} --sim-steps {steps}):\n{err}\nlast steps:\n{recent}"
        ) from err
    print(f"{sim.rounds} full sync rounds in {time.monotonic() - started:.1f} s")
    print(", ".join(f"{name}: {count}" for name, count in sorted(sim.stats.items())))
