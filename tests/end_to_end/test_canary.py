"""What leaves the machine names no host, user or home (issue 10, docs/THREAT_MODEL.md).

Two machines sync (a first push, a merge of both sides' changes), then every byte
the bare remote holds as git objects -- blob, tree entry names, commit messages and
identities -- and its refs and files are searched for each machine's host name,
machine name, user name and home path.
"""

from __future__ import annotations

import getpass
import re
import socket
from pathlib import Path

from tests.machines import Machine, all_objects, git_plain


def _project_folder(home: Path, rest: str) -> str:
    """Claude Code's folder name for a working directory under ``home``."""
    return re.sub(r"[^A-Za-z0-9]", "-", str(home.resolve() / rest))


def _everything(bare: Path) -> bytes:
    refs = git_plain("--git-dir", str(bare), "for-each-ref", "--format=%(refname) %(objectname)")
    files = b"".join(
        p.read_bytes() for p in bare.rglob("*") if p.is_file() and "hooks" not in p.parts
    )
    log = git_plain("--git-dir", str(bare), "log", "--all", "--format=%an %ae %cn %ce %ad %B")
    return all_objects(bare) + refs + files + log


def two_homes_merged(a: Machine, b: Machine, init_a: list[str], init_b: list[str]) -> None:
    """Each machine writes a session in a project folder named after its own home (A also
    settings.json and CLAUDE.md), both push, B's push is a merge, A pulls it."""
    line = b'{"type":"user","cwd":"%s","message":{"content":"hi"}}\n'
    a_folder = _project_folder(a.home, "src/demo")
    a.write(f"projects/{a_folder}/s1.jsonl", line % str(a.home / "src/demo").encode())
    a.write("settings.json", b'{"model": "opus"}\n')
    a.run("init", *init_a)
    a.run("push")
    b.run("init", *init_b)
    b_folder = _project_folder(b.home, "src/demo")
    b.write(f"projects/{b_folder}/s2.jsonl", line % str(b.home / "src/demo").encode())
    a.write("CLAUDE.md", b"# rules\n")
    a.run("push")
    b.run("push")  # a merge
    a.run("pull")


def revealing_names(machines: tuple[Machine, ...]) -> set[str]:
    """What a remote must never hold: host and user names, the machines' names, their
    homes and the project folder names made of them (shorter than 4: turn up anywhere)."""
    names = {socket.gethostname(), socket.gethostname().split(".")[0], getpass.getuser()}
    for m in machines:
        config = (m.tool_home / "config.toml").read_text()
        names.add(re.search(r"^machine = '([^']*)'", config, re.M).group(1))  # type: ignore[union-attr]
        names |= {str(m.home), str(m.home.resolve()), _project_folder(m.home, "")}
    return {n for n in names if len(n) >= 4}


def test_the_remote_holds_no_host_user_or_home_name(machine_a: Machine, machine_b: Machine) -> None:
    a, b = machine_a, machine_b
    two_homes_merged(a, b, [], ["--git", str(a.default_remote), "--key", str(a.key_file)])

    held = _everything(a.default_remote)
    assert b"Claude-Sync-State: " in held  # the search does see commit messages
    for name in sorted(revealing_names((a, b))):
        assert name.encode() not in held, f"the remote holds {name!r}"
