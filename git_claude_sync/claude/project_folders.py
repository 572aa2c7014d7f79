"""Project folders across machines: canonical folders, and links under local names.

Design and reasoning: ``docs/MAPPING.md``.  In short, every project lives in
one real folder under ``projects/`` named canonically (``~-code-api`` for
``~/code/api``, the same on every machine) and Claude Code finds it under the
name it expects here (``-home-alice-src-api``) through a symbolic link.  git
stores only the canonical folders; the links are excluded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from git_claude_sync.claude import file_kinds
from git_claude_sync.errors import FatalError
from git_claude_sync.machine import files
from git_claude_sync.machine.paths import Layout, user_home
from git_claude_sync.records import dataclass, field

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
# Homes in their usual forms, for a rule's FROM written as another machine's path.
_HOME_FORMS = re.compile(r"^(/Users/[^/]+|/home/[^/]+|/var/home/[^/]+|/root|/var/root)(?=/|$)")
_MAX_NAME = 200  # Claude Code shortens longer folder names, adding a hash of the path
_CWD_FILES = 40  # transcripts read per folder to learn its real path
_CWD_BYTES = 64 * 1024
_CWD = rb'"cwd"\s*:\s*("(?:[^"\\]|\\.)*")'  # compiled at first use (issue 14)


def _dashes(match: re.Match[str]) -> str:
    # Claude Code (JavaScript) replaces UTF-16 code units: a character outside the
    # Basic Multilingual Plane (an emoji) is two of them, so two dashes.
    return "--" if ord(match.group()) > 0xFFFF else "-"


def encode(path: str) -> str:
    """Claude Code's encoding of a path, unit by unit, never shortened (for prefixes)."""
    return _NOT_ALNUM.sub(_dashes, path)


def _java_hash(text: str) -> int:
    """Java's ``String.hashCode`` over UTF-16 units, as a signed 32-bit integer."""
    h = 0
    data = text.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (h * 31 + (data[i] | data[i + 1] << 8)) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return out


def folder_name(path: str) -> str:
    """The folder Claude Code files the sessions of a working directory under.

    ``path`` must be the real path (Claude Code names the folder after
    ``realpath(cwd)``).  Every UTF-16 unit outside ``[A-Za-z0-9]`` becomes ``-``;
    a name longer than 200 keeps its first 200 characters, then ``-`` and the
    base-36 absolute value of the Java-style hash of the path as it was.
    """
    return _shorten(encode(path), path)


def _shorten(name: str, path: str) -> str:
    if len(name) <= _MAX_NAME:
        return name
    return f"{name[:_MAX_NAME]}-{_base36(abs(_java_hash(path)))}"


def canonical_folder(cpath: str) -> str:
    """The folder for a canonical path: ``~/code/api`` -> ``~-code-api``.

    Shortened like Claude Code's own names when longer than 200 characters.
    """
    if cpath == "~" or cpath.startswith("~/"):
        return _shorten("~" + encode(cpath[1:]), cpath)
    return folder_name(cpath)


def home_part(folder: str, cwd: str) -> str | None:
    """For a canonical ``~`` folder and a ``cwd`` recorded in it: the home in that ``cwd``.

    The machine that wrote the ``cwd`` may have any home; the rest of the path
    is the tail of ``cwd`` that names ``folder`` (None when no tail does).
    """
    if folder == "~":
        return cwd
    if not folder.startswith("~"):
        return None
    for i, char in enumerate(cwd):
        if char == "/" and i > 0 and canonical_folder("~" + cwd[i:]) == folder:
            return cwd[:i]
    return None


def _under(path: str, root: str) -> bool:
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root if root.endswith("/") else root + "/")


def _swap(path: str, old: str, new: str) -> str:
    return new.rstrip("/") + path[len(old.rstrip("/")) :] if path != old else new


@dataclass(frozen=True)
class Rule:
    source: str  # another machine's path, canonical: "~/code" or "/opt/work"
    target: str  # this machine's path: "/home/alice/src"


@dataclass
class Mapping:
    home: str
    rules: list[Rule] = field(default_factory=list)
    # The home with links resolved, when it differs (/home -> /var/home): Claude Code
    # names folders after the real path of the working directory.
    real_home: str | None = None
    known_homes: set[str] = field(default_factory=set)  # other machines' homes seen in sessions
    witnesses: dict[str, str] = field(default_factory=dict)  # folder -> a cwd that names it

    # -- paths -----------------------------------------------------------------

    def canonical_path(self, real: str) -> str:
        """The machine-independent path for a directory of this machine."""
        for rule in sorted(self.rules, key=lambda r: -len(r.target)):
            if _under(real, rule.target):
                return _swap(real, rule.target, rule.source)
        for home in (self.home, self.real_home):
            if home is not None and _under(real, home):
                return "~" + real[len(home.rstrip("/")) :]
        return real

    def resolved(self, path: str) -> str:
        """A path of this machine as Claude Code sees it (the home's links resolved)."""
        if self.real_home is not None and _under(path, self.home):
            return _swap(path, self.home, self.real_home)
        return path

    def local_folder(self, cpath: str) -> str:
        """The folder Claude Code uses here for the project at a canonical path."""
        return folder_name(self.resolved(self.local_path(cpath)))

    def local_path(self, cpath: str) -> str:
        """The directory of this machine for a canonical path."""
        for rule in sorted(self.rules, key=lambda r: -len(r.source)):
            if _under(cpath, rule.source):
                return _swap(cpath, rule.source, rule.target)
        if cpath == "~" or cpath.startswith("~/"):
            return self.home.rstrip("/") + cpath[1:]
        return cpath

    def canonical_source(self, path: str) -> str:
        """A rule's FROM, written as another machine's path, in canonical form."""
        path = path.rstrip("/") or "/"
        if path == "~" or path.startswith("~/"):
            return path
        for home in sorted(self.known_homes | {self.home}, key=len, reverse=True):
            if _under(path, home):
                return "~" + path[len(home.rstrip("/")) :]
        match = _HOME_FORMS.match(path)
        if match:
            return "~" + path[match.end() :]
        return path

    # -- folders ---------------------------------------------------------------

    def canonical_of_local(self, folder: str, cwds: Iterable[str]) -> str:
        """Where a folder Claude Code made here belongs in the repo."""
        if folder.startswith("~"):
            return folder
        witness = self.witness(folder, cwds)
        if witness is not None:
            return canonical_folder(self.canonical_path(witness))
        if len(folder) > _MAX_NAME:
            return folder  # shortened: only a session's cwd can tell its path
        # No session tells the real path: decide on the encoded name.
        for rule in sorted(self.rules, key=lambda r: -len(r.target)):
            prefix = encode(rule.target.rstrip("/"))
            if folder == prefix or folder.startswith(prefix + "-"):
                return canonical_folder(rule.source) + folder[len(prefix) :]
        for home in (self.real_home, self.home):
            if home is None:
                continue
            prefix = encode(home.rstrip("/"))
            if folder == prefix or folder.startswith(prefix + "-"):
                return "~" + folder[len(prefix) :]
        return folder

    def witness(self, folder: str, cwds: Iterable[str]) -> str | None:
        """A ``cwd`` that tells the real path of ``folder`` (kept for the next runs)."""
        known = self.witnesses.get(folder)
        if known is not None:
            return known
        for cwd in cwds:
            if folder.startswith("~"):
                ok = home_part(folder, cwd) is not None
            else:
                ok = folder_name(cwd) == folder
            if ok:
                self.witnesses[folder] = cwd
                return cwd
        return None

    def canonical_path_of_folder(self, folder: str, cwds: Iterable[str]) -> str | None:
        """The canonical path a canonical folder stands for, read from its sessions' ``cwd``.

        For ``~-…`` folders the tail of a matching ``cwd`` is the real rest of the
        path, whichever machine (and home) wrote it (``home_part``).
        """
        for cwd in cwds:
            if folder.startswith("~"):
                home = home_part(folder, cwd)
                if home is not None:
                    return "~" + cwd[len(home) :]
            elif folder_name(cwd) == folder:
                canonical = self.canonical_path(cwd)
                if canonical == cwd:
                    canonical = self.canonical_source(cwd)  # another machine's home
                return canonical
        return None

    def local_of_canonical(self, folder: str, cwds: Iterable[str]) -> str:
        """The name Claude Code gives here to the project of a canonical folder."""
        witness = self.witness(folder, cwds)
        cpath = self.canonical_path_of_folder(folder, [witness]) if witness else None
        if cpath is not None:
            return self.local_folder(cpath)
        if len(folder) > _MAX_NAME:
            return folder  # shortened: only a session's cwd can tell its path
        for rule in sorted(self.rules, key=lambda r: -len(r.source)):
            prefix = canonical_folder(rule.source)
            if folder == prefix or folder.startswith(prefix + "-"):
                return encode(rule.target.rstrip("/")) + folder[len(prefix) :]
        if folder.startswith("~"):
            local = encode((self.real_home or self.home).rstrip("/")) + folder[1:]
            return local if len(local) <= _MAX_NAME else folder  # its hash needs the path
        return folder

    def fingerprint(self) -> str:
        text = json.dumps([self.home, sorted((r.source, r.target) for r in self.rules)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- this machine's rules --------------------------------------------------------


def _read_state(layout: Layout) -> dict[str, object]:
    try:
        data = json.loads(layout.map_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        raise FatalError(f"{layout.map_file} is not valid JSON") from None
    return data if isinstance(data, dict) else {}


def _write_state(layout: Layout, state: dict[str, object]) -> None:
    text = json.dumps(state, indent=2, sort_keys=True) + "\n"
    files.atomic_write(layout.map_file, text.encode())


def applied_fingerprint(layout: Layout) -> object:
    """The fingerprint of the rules the Claude directory was last arranged for."""
    return _read_state(layout).get("applied")


def load(layout: Layout) -> Mapping:
    state = _read_state(layout)
    rules = []
    listed = state.get("rules")
    for item in listed if isinstance(listed, list) else []:
        if (
            isinstance(item, dict)
            and isinstance(item.get("from"), str)
            and (isinstance(item.get("to"), str))
        ):
            rules.append(Rule(item["from"], item["to"]))
    home = str(user_home()).rstrip("/") or "/"
    real_home = os.path.realpath(home)
    seen = state.get("witnesses")
    witnesses = (
        {k: v for k, v in seen.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(seen, dict)
        else {}
    )
    return Mapping(
        home=home,
        rules=rules,
        witnesses=witnesses,
        real_home=real_home if real_home != home else None,
    )


def save_rules(layout: Layout, rules: list[Rule]) -> None:
    state = _read_state(layout)
    state["rules"] = [{"from": r.source, "to": r.target} for r in rules]
    _write_state(layout, state)


# -- reading the filesystem -----------------------------------------------------------


def cwds_in_file(path: Path, limit: int = _CWD_BYTES) -> list[str]:
    """The working directories a transcript records in its first 64 KiB.

    Found by pattern, not by parsing lines: a first line can be megabytes long
    (pasted images), and ``"cwd"`` comes early in every line that has it.
    """
    return list(dict.fromkeys(_cwds_read(path, limit)))


def first_cwd(path: Path, limit: int = _CWD_BYTES) -> str | None:
    """``cwds_in_file(path)[0]`` without decoding the others (a join asks this of
    every pulled transcript: all of their lines' cwds were 0.2-0.4 s of it)."""
    return next(_cwds_read(path, limit), None)


def _cwds_read(path: Path, limit: int) -> Iterator[str]:
    """Each ``"cwd"`` of the file's first ``limit`` bytes, decoded as it is reached."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit)
    except OSError:
        return
    for match in re.finditer(_CWD, data):
        try:
            cwd = json.loads(match.group(1))
        except ValueError:
            continue
        if isinstance(cwd, str):
            yield cwd


def cwds_in(folder: Path) -> list[str]:
    """Working directories recorded by the transcripts of a folder (a few files suffice)."""
    found: dict[str, None] = {}
    try:
        names = sorted(p for p in folder.iterdir() if p.name.endswith(".jsonl"))
    except OSError:
        return []
    with_cwd = 0
    for path in names[:_CWD_FILES]:
        cwds = cwds_in_file(path)
        for cwd in cwds:
            found.setdefault(cwd, None)
        with_cwd += bool(cwds)
        if with_cwd >= 3:
            break
    return list(found)


def links(projects: Path) -> dict[str, str]:
    """Our links in ``projects/``: canonical name -> this machine's folder it shows (a
    name beside it).  Asked at every sync, by a listing and one readlink per link."""
    found = {}
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(projects) as it:
        for entry in it:
            if entry.is_symlink():
                try:
                    target = os.readlink(entry.path)
                except OSError:
                    continue
                if "/" not in target and target not in ("", ".", ".."):
                    found[entry.name] = target
    return found


def exclude_lines(claude_dir: Path) -> list[str]:
    """``info/exclude`` lines for mapped projects: the canonical link (staged through
    as the files it shows, odd_paths.py) and the local folder (reached through it)."""
    pairs = sorted(links(claude_dir / "projects").items())
    if not pairs:
        return []
    lines = ["# mapped project folders: canonical links and the folders they show (MAPPING.md)"]
    for canonical, local in pairs:
        lines += ["/projects/" + _escape(canonical), "/projects/" + _escape(local) + "/"]
    return lines


def _escape(name: str) -> str:
    return re.sub(r"([\\*?\[\]!# ])", r"\\\1", name)


# -- moving files ---------------------------------------------------------------------


def _merge_file(source: Path, target: Path) -> None:
    """Bring ``source`` into ``target`` (both exist): nothing either holds is lost.

    A session in ``target`` may be held open by Claude Code: it only gets the
    lines it lacks appended in place (as a pull writes, machine/files.append_lines),
    never a new inode; if it ends in a line being written, ``source`` stays
    beside it as ``.moved``.
    """
    old, new = source.read_bytes(), target.read_bytes()
    # Every file here is under projects/: sessions (and their subagents) are .jsonl.
    if old != new and file_kinds.is_append_only(b"projects/" + os.fsencode(target.name)):
        done = files.append_lines(target, old)
        if done is None:  # gone meanwhile
            files.replace_file(target, old)
        elif not done:
            files.replace_file(target.with_name(target.name + ".moved"), old)
    elif old != new:
        if new.startswith(old):
            pass
        elif old.startswith(new):
            files.replace_file(target, old)
        else:
            from git_claude_sync.claude import file_merge  # here: status starts without it

            merged = file_merge.merge_file(os.fsencode(target.name), None, new, old)
            if merged.conflict:
                files.replace_file(target.with_name(target.name + ".moved"), old)
            else:
                files.replace_file(target, merged.data)
    source.unlink()


def move_tree(source: Path, target: Path) -> int:
    """Move everything under ``source`` into ``target`` (each file one rename); count."""
    moved = 0
    for entry in sorted(source.iterdir()):
        dest = target / entry.name
        if entry.is_dir() and not entry.is_symlink():
            if not dest.exists():
                target.mkdir(parents=True, exist_ok=True)
                os.rename(entry, dest)
                moved += 1
                continue
            moved += move_tree(entry, dest)
            with contextlib.suppress(OSError):
                entry.rmdir()
        elif dest.exists():
            _merge_file(entry, dest)
            moved += 1
        else:
            target.mkdir(parents=True, exist_ok=True)
            os.rename(entry, dest)
            moved += 1
    return moved


def _replace_by_link(folder: Path, target_name: str) -> bool:
    """Turn an (emptied) real folder into a link to its canonical sibling."""
    for _attempt in range(5):
        with contextlib.suppress(FileNotFoundError):
            move_tree(folder, folder.with_name(target_name))  # an append that landed meanwhile
        try:
            if folder.exists() and not folder.is_symlink():
                folder.rmdir()
            _make_link(folder, target_name)
            return True
        except OSError:
            continue
    return False


def _make_link(at: Path, target_name: str) -> None:
    tmp = at.with_name(f".{at.name}.{os.getpid()}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(target_name, tmp)
    os.replace(tmp, at)  # replaces a link, never a real folder (that raises)


# -- arranging ------------------------------------------------------------------------


@dataclass
class Arranged:
    moved: list[tuple[str, str]] = field(default_factory=list)  # (from folder, to folder)
    linked: dict[str, str] = field(default_factory=dict)  # local name -> canonical
    unreachable: dict[str, str] = field(default_factory=dict)  # canonical -> why
    rehomed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.moved or self.rehomed)


def _supported(projects: Path) -> bool:
    probe = projects / f".claude-sync-link-probe.{os.getpid()}"
    try:
        os.symlink("x", probe)
    except (OSError, NotImplementedError):
        return False
    probe.unlink()
    return True


class _Lazy:
    """The cwds of a folder, read only if asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __iter__(self) -> Iterator[str]:
        return iter(cwds_in(self.folder))


class _LazyFile:
    """The cwds of one transcript, read only if asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[str]:
        return iter(cwds_in_file(self.path))


def learn_homes(mapping: Mapping, projects: Path) -> None:
    """Other machines' homes, from the cwd of sessions in canonical ``~`` folders."""
    with contextlib.suppress(FileNotFoundError):
        for entry in projects.iterdir():
            name = entry.name
            if not name.startswith("~") or not entry.is_dir():  # a link to its folder, or real
                continue
            witness = mapping.witness(name, _Lazy(entry))
            if witness is not None:
                home = home_part(name, witness)
                if home:
                    mapping.known_homes.add(home)


def _real_folders(projects: Path) -> list[str]:
    with os.scandir(projects) as it:  # no stat per entry where the type is known
        return sorted(
            e.name for e in it if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
        )


def arrange(
    layout: Layout,
    mapping: Mapping | None = None,
    foreign: Callable[[], set[bytes]] | None = None,
    dry_run: bool = False,
) -> Arranged:
    """Real folders under the names Claude Code computes here; canonical names as links.

    Claude Code only lists real directories (its picker with git worktrees, the
    all-projects view), so each project's files live in a real folder under this
    machine's name for it, and the canonical name the repo uses is a link to that
    folder: the engine stages and writes through the link (odd_paths.py).  A
    canonical folder that is real (pulled new, or the older layout where the
    link went the other way) moves into the local folder and becomes the link.

    ``foreign``: gives the repository paths of sessions first committed by another
    machine, asked after a change of mapping only if needed (see ``rehome``);
    ``None`` skips that.
    ``dry_run``: only work out the links (for ``map --list``), change nothing.
    """
    done = Arranged()
    projects = layout.claude_dir / "projects"
    if not projects.is_dir() or (not dry_run and not _supported(projects)):
        return done
    mapping = mapping or load(layout)
    known = dict(mapping.witnesses)
    previous = links(projects)

    # 0. After a change of mapping, sessions go where the new rules put them.
    state = _read_state(layout)
    rules_changed = state.get("applied") != mapping.fingerprint()
    if not dry_run and foreign is not None and rules_changed:
        done.rehomed = rehome(mapping, projects, foreign, previous)
        state["applied"] = mapping.fingerprint()
        _write_state(layout, state)

    # 1. Which real folder is which project: canonical name -> local name.
    wanted: dict[str, str] = {}
    reals = _real_folders(projects)
    linked_to = {local: canonical for canonical, local in previous.items()}
    for name in reals:
        cwds = _Lazy(projects / name)
        linked = linked_to.get(name)
        if (
            linked is not None
            and not rules_changed
            and mapping.local_of_canonical(linked, cwds) == name
        ):
            # Linked already under the same rules: the link names the project (a
            # folder's name does not always tell its canonical folder back).
            canonical, local = linked, name
        else:
            canonical = mapping.canonical_of_local(name, cwds)
            if canonical == name:  # named canonically: pulled, or the older layout
                local = mapping.local_of_canonical(name, cwds)
            elif mapping.local_of_canonical(canonical, cwds) == name:  # made here
                local = name
            else:
                continue
        if local == canonical:
            continue
        if wanted.get(canonical, local) != local:
            done.unreachable[canonical] = f"{local} and {wanted[canonical]} both claim it"
            continue
        wanted[canonical] = local
    shown = {local: canonical for canonical, local in wanted.items()}
    if dry_run:
        done.linked = shown
        return done

    # 2. Move canonical folders' files into their local folder; the name becomes a link.
    real = set(reals)
    arranged = previous if not rules_changed else None  # as found, if nothing changes
    for canonical, local in sorted(wanted.items()):
        if arranged is not None and previous.get(canonical) == local and local in real:
            done.linked[local] = canonical  # linked already (a syscall each saved, ×85)
            continue
        arranged = None
        source, target = projects / canonical, projects / local
        if target.is_symlink():
            target.unlink()  # the older layout's link, local name -> canonical folder
        if source.is_dir() and not source.is_symlink():
            if not target.exists():
                os.rename(source, target)
                _make_link(source, local)
            else:
                move_tree(source, target)
                _replace_by_link(source, local)
            done.moved.append((canonical, local))
        elif not source.is_symlink() or os.readlink(source) != local:
            before = previous.get(canonical)
            if before is not None and before not in shown and (projects / before).is_dir():
                # The project's folder here changed (a rule): what is left follows it.
                if not target.exists():
                    os.rename(projects / before, target)
                else:
                    move_tree(projects / before, target)
                    with contextlib.suppress(OSError):
                        (projects / before).rmdir()
                done.moved.append((before, local))
            target.mkdir(exist_ok=True)
            with contextlib.suppress(OSError):
                _make_link(source, local)
        done.linked[local] = canonical

    # 3. Links whose folder is gone (Claude Code's clean-up removes emptied folders):
    #    the folder comes back empty, so the link shows the deletions (kept, kept.py).
    for canonical, local in (arranged if arranged is not None else links(projects)).items():
        if canonical in wanted:
            continue
        if local in shown:  # the folder shows another canonical name now (a rule changed)
            (projects / canonical).unlink(missing_ok=True)
            continue
        target = projects / local
        if target.is_dir():
            done.linked[local] = canonical
        elif canonical.startswith("~") or mapping.canonical_of_local(local, []) == canonical:
            target.mkdir(exist_ok=True)
            done.linked[local] = canonical
        else:
            (projects / canonical).unlink(missing_ok=True)  # not a mapped project any more

    if mapping.witnesses != known:
        state = _read_state(layout)
        present = set(_real_folders(projects)) | set(reals) | set(wanted)
        state["witnesses"] = {k: v for k, v in mapping.witnesses.items() if k in present}
        _write_state(layout, state)
    return done


def _session_parts(folder: Path, sid: str) -> list[Path]:
    """The files and folders of one session in a folder (transcript last)."""
    parts: list[Path] = []
    if (folder / sid).is_dir():
        parts.append(folder / sid)
    for agent in sorted(folder.glob("agent-*.jsonl")):
        with contextlib.suppress(OSError), open(agent, "rb") as handle:
            if f'"sessionId":"{sid}"'.encode() in handle.read(4096).replace(b": ", b":"):
                parts.append(agent)
    parts.append(folder / f"{sid}.jsonl")
    return parts


def rehome(
    mapping: Mapping,
    projects: Path,
    foreign: Callable[[], set[bytes]],
    previous: dict[str, str],
) -> int:
    """Move each session to the folder the current rules give it; a count.

    A session first committed by another machine belongs to the canonical folder
    it came in; one made here, to the canonical folder of the directory it was
    started in.  ``previous``: the canonical links before the change.  ``foreign``
    (the sync's history read whole) is asked only of a session started under a
    path of this machine: on a join, none is, and the history is not read.
    """
    canonical_of = {local: canonical for canonical, local in previous.items()}
    known_foreign: list[set[bytes]] = []

    def is_foreign(repo_path: bytes) -> bool:
        if not known_foreign:
            known_foreign.append(foreign())
        return repo_path in known_foreign[0]

    moved = 0
    for folder in sorted(p for p in projects.iterdir() if p.is_dir() and not p.is_symlink()):
        canonical_before = canonical_of.get(folder.name, folder.name)
        for transcript in sorted(folder.glob("*.jsonl")):
            if transcript.name.startswith("agent-"):
                continue
            sid = transcript.name[: -len(".jsonl")]
            repo_path = os.fsencode(f"projects/{canonical_before}/{transcript.name}")
            first = first_cwd(transcript)
            own = first is not None and mapping.canonical_path(first) != first  # a path of ours
            if not own or is_foreign(repo_path):
                if canonical_before == folder.name:
                    continue  # not a mapped folder: nothing says where else it belongs
                target = mapping.local_of_canonical(canonical_before, _LazyFile(transcript))
            else:
                assert first is not None
                canonical = canonical_folder(mapping.canonical_path(first))
                target = mapping.local_of_canonical(canonical, _LazyFile(transcript))
            dest = projects / target
            if target == folder.name or (dest.exists() and dest.resolve() == folder.resolve()):
                continue
            if dest.is_symlink():
                dest.unlink()  # the older layout's link: the folder is real from now on
            dest.mkdir(exist_ok=True)
            for part in _session_parts(folder, sid):
                if part.is_dir():
                    move_tree(part, dest / part.name)
                    with contextlib.suppress(OSError):
                        part.rmdir()
                elif (dest / part.name).exists():
                    _merge_file(part, dest / part.name)
                else:
                    os.rename(part, dest / part.name)
            moved += 1
        with contextlib.suppress(OSError):
            folder.rmdir()
    return moved
