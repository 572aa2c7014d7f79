"""Machines prepared once and copied: the suite's cheapest way to a synced pair.

Building a pair (init, first push, a join) starts the CLI, git and the filter process a few
dozen times: about a second of CPU and two of wall time.  Over a hundred tests start from
that same state, so each worker builds it once and every test gets a copy of the homes.

A machine's state names its home by absolute path in a few text files (the sync repo's
config: work tree, the filter commands' key and git dir, the remote's URL; FETCH_HEAD);
those are rewritten to the copy's home.  Binary files (git's index and objects) hold no
such path and are copied as they are, but the index's stat data names the template's
files (their inode and change time, which a copy cannot keep): ``_restat`` points it at
the copies, so that the copy's index is as fresh as the template's was and a command that
only reads the tree leaves it as it found it (tests/engine/test_sealed_state.py looks).

Project folders copy this way only when their names do not embed the home: Claude Code
names a folder after the absolute path it ran in (``-tmp-...-a-src-api``), and the mapping
state (map.json, link-stats.json) records those names, so a copy would be re-mapped on its
first sync.  Folders named after a path elsewhere (``-home-a-src-api``, ``-p``: what most
tests write) hold nothing of the home, so ``copy_homes`` refuses only the encoded home,
in a file's name or its text.  The copy keeps the template's timestamps (state.json, sync
metrics, commit dates): a test sees machines that synced a little earlier.

``PreparedPairs`` extends the same to a module's own starting state (the pair after a few
pushes and pulls): built once per worker by a function of the two machines, then copied.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.machines import Machine

Build = Callable[[Machine, Machine], None]


def _encoded(path: Path) -> bytes:
    """``path`` as Claude Code encodes it in a project folder's name."""
    return re.sub(rb"[^A-Za-z0-9]", b"-", os.fsencode(path))


def copy_homes(template: Path, dest: Path) -> None:
    """Copy every home under ``template`` into ``dest``, with their paths moved along:
    in text files and link targets, and as Claude Code encodes them in folder names."""
    old, new = os.fsencode(template) + b"/", os.fsencode(dest) + b"/"
    old_name, new_name = _encoded(template) + b"-", _encoded(dest) + b"-"
    fingerprints = {home.name: _fingerprint(home) for home in template.iterdir()}
    shutil.copytree(template, dest, symlinks=True, dirs_exist_ok=True)
    renames = []
    for root, dirs, names in os.walk(dest):
        if "objects" in dirs and os.path.basename(root).endswith(".git"):
            dirs.remove("objects")
        renames += [Path(root) / n for n in [*names, *dirs] if old_name in os.fsencode(n)]
        for name in [*names, *dirs]:  # a link to a folder is listed with the folders
            path = Path(root) / name
            if path.is_dir() and not path.is_symlink():
                continue
            if path.is_symlink():
                target = os.fsencode(os.readlink(path))
                if target.startswith(old) or old_name in target:
                    path.unlink()
                    os.symlink(_moved(target, old, new, old_name, new_name), path)
                continue
            data = path.read_bytes()
            if b"\0" in data:  # binary (an index, a database): it must not name the home
                assert old not in data and old_name not in data, f"{path}: names the home"
                continue
            if old in data or old_name in data:
                path.write_bytes(_moved(data, old, new, old_name, new_name))
    for path in sorted(renames, key=lambda p: -len(p.parts)):  # deepest first
        moved = _moved(os.fsencode(path.name), b"\0", b"\0", old_name, new_name)
        path.rename(path.parent / os.fsdecode(moved))
    for home in dest.iterdir():
        index = home / ".claude-sync" / "repo.git" / "index"
        if index.exists():
            _restat(index, home / ".claude")
        applied = fingerprints[home.name]
        if applied is not None:
            map_file = home / ".claude-sync" / "map.json"
            text = map_file.read_text()
            map_file.write_text(text.replace(applied, _fingerprint(home, check=False) or ""))


def _moved(data: bytes, old: bytes, new: bytes, old_name: bytes, new_name: bytes) -> bytes:
    """``data`` with the template's home replaced, as a path and as a folder name; a
    folder name Claude Code would shorten (over 200) names its path by a hash: refused."""
    for name in re.findall(re.escape(old_name) + rb"[A-Za-z0-9-]*", data):
        assert len(name.replace(old_name, new_name)) <= 200, f"{name!r}: too long to move"
    return data.replace(old, new).replace(old_name, new_name)


def _fingerprint(home: Path, *, check: bool = True) -> str | None:
    """What map.json records of the mapping it applied, which names the home: recomputed
    here for the copy's home (checked first against the template's record)."""
    from git_claude_sync.claude.project_folders import Mapping, Rule

    map_file = home / ".claude-sync" / "map.json"
    if not map_file.exists():
        return None
    state = json.loads(map_file.read_text())
    rules = [Rule(rule["from"], rule["to"]) for rule in state.get("rules", [])]
    real = os.path.realpath(home)
    mapping = Mapping(home=str(home), rules=rules, real_home=real if real != str(home) else None)
    if check:
        assert state.get("applied") == mapping.fingerprint(), f"{map_file}: not recomputed"
    return mapping.fingerprint()


def _restat(index: Path, work_tree: Path) -> None:
    """Give the index entries the change time, device and inode of the copied files
    (read with the product's own index reader, git.index_entries: versions 2 and 3);
    entries without stat data stay without."""
    from git_claude_sync.git import index_entries

    data = bytearray(index.read_bytes())
    found = index_entries(bytes(data))
    assert found is not None, f"{index}: not an index version 2 or 3"
    entries, hash_len = found
    for name, offset, _oid in entries:
        stat = struct.unpack(">10I", data[offset : offset + 40])
        if any(stat[:6]):
            info = (work_tree / os.fsdecode(name)).lstat()
            if stat[2:4] == (int(info.st_mtime), info.st_mtime_ns % 10**9):
                fresh = (int(info.st_ctime), info.st_ctime_ns % 10**9, *stat[2:4])
                fresh += (info.st_dev & 0xFFFFFFFF, info.st_ino & 0xFFFFFFFF)
                data[offset : offset + 24] = struct.pack(">6I", *fresh)
    algorithm = hashlib.sha1 if hash_len == 20 else hashlib.sha256
    data[-hash_len:] = algorithm(bytes(data[:-hash_len])).digest()
    index.write_bytes(bytes(data))


class PreparedPairs:
    """A module's starting states of the synced pair, each built once per worker."""

    def __init__(self, factory: pytest.TempPathFactory, pair_template: Path) -> None:
        self._factory = factory
        self._pair = pair_template
        self._built: dict[Build, Path] = {}

    def copy(self, build: Build, a: Machine, b: Machine) -> tuple[Machine, Machine]:
        """Homes ``a`` and ``b`` as the pair after ``build(a, b)`` left them."""
        assert a.home.parent == b.home.parent and (a.home.name, b.home.name) == ("a", "b")
        template = self._built.get(build)
        if template is None:
            template = self._factory.mktemp("prepared")
            copy_homes(self._pair, template)
            build(Machine(template / "a"), Machine(template / "b"))
            self._built[build] = template
        copy_homes(template, a.home.parent)
        return a, b
