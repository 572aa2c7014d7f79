"""``git claude-sync status``: what push and pull would move, and the state of things.

Its exit code is meant for scripts (README, ``status -h``, docs/spec/json-output.md):

* 0: in sync: nothing to push or pull, nothing needs a person;
* 1: changes to push or to pull (a ``push`` or ``pull`` settles them);
* 3: conflicts: files changed on both sides, or stored by a pull without a terminal;
* 4: needs attention: remote unreachable, remote under another key, the last hook
  run failed, hooks that cannot find git-claude-sync, or status itself failed.

The most severe applies.  (2 is click's usage error, as everywhere.)
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from git_claude_sync.claude import selection, settings_hooks
from git_claude_sync.crypto import keyring
from git_claude_sync.crypto.codec import format_fingerprint
from git_claude_sync.crypto.keyring import adopt_hint
from git_claude_sync.engine import (
    conflict_copies,
    conflict_store,
    outlook,
    remote_key,
    remote_view,
    sealed_state,
)
from git_claude_sync.engine.outlook import Outlook
from git_claude_sync.engine.sync_repo import SyncRepo, open_repo
from git_claude_sync.errors import FatalError
from git_claude_sync.git import REMOTE_REF
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.machine.paths import Layout
from git_claude_sync.records import dataclass, field
from git_claude_sync.ui import jsonout
from git_claude_sync.ui.report import Report, colour_wanted, echo, paint, plural, show_path

IN_SYNC, CHANGES, CONFLICTS, ATTENTION = 0, 1, 3, 4
STATES = {IN_SYNC: "in-sync", CHANGES: "changes", CONFLICTS: "conflicts", ATTENTION: "attention"}

_MAX_LISTED = 20


def _ago(moment: float | None) -> str:
    if moment is None:
        return "never"
    seconds = max(0, int(time.time() - moment))
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = seconds // size
            label = f"{amount} {unit}{'s' if unit == 'day' and amount > 1 else ''}"
            return f"{when} ({label} ago)"
    return f"{when} (just now)"


@dataclass
class Status:
    """Everything status knows, before it is printed as text or JSON."""

    claude_dir: str
    sync_repo: str
    key_fingerprint: str
    key_file: str
    remote_url: str
    fetched: bool | None  # None: not tried (--no-fetch)
    fetch_error: str | None
    last_fetch: float | None
    last_push: float | None
    last_pull: float | None
    remote_key: str | None  # fingerprint of the key the remote's files are under
    to_push: list[bytes]
    to_pull: list[bytes]
    both: list[bytes]  # changed on both sides since the last sync
    unmergeable: list[bytes]  # of those, what the merge by kind cannot settle
    stored: list[bytes]  # files with a conflict waiting for a person
    copies: list[tuple[bytes, bytes]]  # (conflict copy, its file), synced to every machine
    synced: list[str]
    not_synced: list[str]
    skipped: list[bytes]
    held_back: list[tuple[bytes, str]]  # files Claude Code would skip: last good version synced
    mass_deletion: list[bytes]  # deletions push refuses (an emptied Claude directory)
    settings: str
    hooks: list[str]
    stale_hooks: list[str]  # ours, but written by an older version
    hook_tool: str | None  # the git-claude-sync the hooks run, even from a desktop
    hook_log: str
    hook_failure: str | None
    color_ui: str | None = None  # git's color.ui, for the text output
    # The newest state each machine made, as this machine knows (docs/spec/state.md).
    machines: list[sealed_state.MachineState] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)

    @property
    def code(self) -> int:
        if self.attention:
            return ATTENTION
        if self.unmergeable or self.stored:
            return CONFLICTS
        if self.to_push or self.to_pull:
            return CHANGES
        return IN_SYNC


def _unmergeable(repo: SyncRepo, preview: Outlook) -> list[bytes]:
    """Files changed on both sides that pull's merge by kind would have to ask about."""
    if not preview.conflicts:
        return []
    from git_claude_sync.claude import file_merge  # only now: status starts without it

    found = []
    keys = keyring.keyring_for(repo.layout.key_file, repo.key)
    for path in preview.conflicts:
        ours, theirs, base = (
            tree.get(path) for tree in (preview.ours, preview.theirs, preview.base)
        )
        if ours is None or theirs is None:
            continue  # deleted on one side, changed on the other: the changed file is kept
        oids = [entry[1] for entry in (ours, theirs, base) if entry is not None]
        blobs = repo.git.read_blobs(oids)
        try:
            plain = [keys.decrypt(path, blobs[oid]) for oid in oids]
        except FatalError:
            found.append(path)  # pull stops on it too
            continue
        merged = file_merge.merge_file(path, plain[2] if base else None, plain[0], plain[1])
        if merged.conflict:
            found.append(path)
    return found


def _staged(repo: SyncRepo, remote_tip: str | None) -> Outlook:
    """The outlook from staging in a scratch index (steps.preview): anything may have changed."""
    from git_claude_sync.engine import steps  # only now: the whole engine, a third of start-up

    return steps.preview(repo, Report(0), remote_tip)


def _key_moved(fetch_error: str | None) -> bool:
    """A bucket under a key this machine lacks fails the fetch itself, saying so."""
    return fetch_error is not None and "the remote moved to key" in fetch_error


def _last_pull(state: dict[str, float], layout: Layout) -> float | None:
    """The last pull: the Python CLI's, or the launcher's that found nothing new (bin/)."""
    times = [state["pulled"]] if "pulled" in state else []
    with contextlib.suppress(OSError):
        times.append(layout.up_to_date_file.stat().st_mtime)
    return max(times, default=None)


def _gather(fetch: bool) -> Status:
    repo = open_repo()
    layout, git = repo.layout, repo.git
    with sync_lock(layout):
        fetched: bool | None = None
        error = refused = None
        if fetch:
            try:
                remote_view.fetch(repo)
                fetched = True
            except FatalError as err:
                fetched, error = False, str(err)
        as_staged = outlook.as_staged(repo)
        if fetched:
            try:  # what pull would refuse is not shown as changes to pull
                sealed_state.verify_incoming(repo, git.rev(REMOTE_REF))
            except remote_key.RemoteKeyMoved:
                pass  # reported below, with how to get the key
            except FatalError as err:
                refused = str(err)
        state = remote_view.load_state(repo)
        remote_tip = git.rev(REMOTE_REF)
        preview = outlook.unstaged(repo, remote_tip) if as_staged else _staged(repo, remote_tip)
        remote_id = remote_key.remote_key_id(git, remote_tip) if remote_tip else None
        moved = remote_id is not None and remote_id != repo.key.key_id
        unmergeable = [] if moved else _unmergeable(repo, preview)
        copies = conflict_copies.listed(git)
        stored = [original for _copy, original in copies]
        stored += [item.path for item in conflict_store.load(git)]
    synced, local = selection.classify_top_level(layout.claude_dir, repo.config)
    settings = layout.claude_dir / "settings.json"
    status = Status(
        claude_dir=str(layout.claude_dir),
        sync_repo=str(layout.git_dir),
        key_fingerprint=repo.key.fingerprint,
        key_file=str(layout.key_file),
        remote_url=git.remote_url() or "",
        fetched=fetched,
        fetch_error=error,
        last_fetch=state.get("fetched"),
        last_push=state.get("pushed"),
        last_pull=_last_pull(state, layout),
        remote_key=format_fingerprint(remote_id) if remote_id else None,
        to_push=preview.to_push,
        to_pull=preview.to_pull,
        both=preview.conflicts,
        unmergeable=unmergeable,
        stored=stored,
        copies=copies,
        synced=synced,
        not_synced=local,
        skipped=list(preview.skipped),
        held_back=list(preview.held_back),
        mass_deletion=list(preview.mass_deletion),
        settings=str(settings),
        hooks=settings_hooks.installed(settings) if settings.exists() else [],
        stale_hooks=settings_hooks.stale(settings) if settings.exists() else [],
        hook_tool=settings_hooks.tool_for_hooks(Path.home()),
        hook_log=str(layout.log_file),
        hook_failure=settings_hooks.last_hook_failure(layout.log_file),
        color_ui=git.config_get("color.ui"),
        machines=sealed_state.last_states(repo),
    )
    if fetched is False:
        moved_away = error is not None and _key_moved(error)
        status.attention.append(error if error and moved_away else f"remote unreachable ({error})")
    if refused is not None:
        status.attention.append(f"pull would refuse the remote: {refused}")
    if moved:
        assert remote_id is not None
        status.attention.append(
            f"the remote moved to key {status.remote_key}: " + adopt_hint(layout, remote_id)
        )
    if status.hooks and status.hook_tool is None:
        status.attention.append(
            "the hooks will not find git-claude-sync when Claude Code is started from the "
            f"desktop: link it into {Path.home()}/.local/bin (git claude-sync doctor)"
        )
    if status.stale_hooks:
        status.attention.append(
            f"hooks written by an older version ({', '.join(status.stale_hooks)}): "
            "run 'git claude-sync install'"
        )
    if status.mass_deletion:
        status.attention.append(
            f"push would delete {plural(len(status.mass_deletion), 'file')} everywhere "
            f"({layout.claude_dir} lacks them): 'git claude-sync pull' restores them, "
            "'push --allow-mass-delete' deletes them"
        )
    if status.hook_failure:
        status.attention.append(f"the last hook run failed: {status.hook_failure}")
    return status


def _as_json(s: Status) -> dict[str, Any]:
    paths = jsonout.path
    return {
        "state": STATES[s.code],
        "exit_code": s.code,
        "claude_dir": s.claude_dir,
        "sync_repo": s.sync_repo,
        "key": {"fingerprint": s.key_fingerprint, "file": s.key_file},
        "remote": {
            "url": s.remote_url,
            "reachable": s.fetched,
            "error": s.fetch_error,
            "last_fetch": jsonout.when(s.last_fetch),
            "key_fingerprint": s.remote_key,
        },
        "last_push": jsonout.when(s.last_push),
        "last_pull": jsonout.when(s.last_pull),
        "machines": [
            {"machine": m.machine, "state": m.counter, "at": jsonout.when(m.time)}
            for m in s.machines
        ],
        "to_push": [paths(p) for p in s.to_push],
        "to_pull": [paths(p) for p in s.to_pull],
        "changed_on_both": [paths(p) for p in s.both],
        "conflicts": [paths(p) for p in s.unmergeable],
        "stored_conflicts": [paths(p) for p in s.stored],
        "conflict_copies": [{"path": paths(o), "copy": paths(c)} for c, o in s.copies],
        "synced": s.synced,
        "not_synced": s.not_synced,
        "skipped": [paths(p) for p in s.skipped],
        "held_back": [{"path": paths(p), "why": why} for p, why in s.held_back],
        "mass_deletion": [paths(p) for p in s.mass_deletion],
        "hooks": {
            "settings": s.settings,
            "installed": s.hooks,
            "stale": s.stale_hooks,
            "tool": s.hook_tool,
            "log": s.hook_log,
            "last_failure": s.hook_failure,
        },
        "attention": s.attention,
    }


def _row(label: str, value: str) -> None:
    # color=True: keep what paint() put in (only when colour_wanted); echo strips it otherwise.
    echo(f"{label:<18}{value}", color=True)


def _listing(paths: list[bytes]) -> None:
    for path in paths[:_MAX_LISTED]:
        echo(f"    {show_path(path)}")
    if len(paths) > _MAX_LISTED:
        echo(f"    … and {len(paths) - _MAX_LISTED} more")


def _as_text(s: Status) -> None:
    _row("Claude directory", s.claude_dir)
    _row("Sync repo", s.sync_repo)
    _row("Key", f"{s.key_fingerprint}  ({s.key_file})")
    if s.fetched:
        note = "fetched just now"
    else:
        last = f"last fetched {_ago(s.last_fetch)}"
        note = f"unreachable ({s.fetch_error}); {last}" if s.fetched is False else last
        if _key_moved(s.fetch_error):
            note = f"under another key; {last}"
    _row("Remote", f"{s.remote_url}  [{note}]")
    _row("Last push", _ago(s.last_push))
    _row("Last pull", _ago(s.last_pull))
    if s.machines:
        seen = "; ".join(f"{m.machine} {_ago(m.time)} (state {m.counter})" for m in s.machines)
        _row("Machines' last", seen)
    _row("To push", plural(len(s.to_push), "file") if s.to_push else "nothing")
    if s.mass_deletion:
        _row("Refused", f"push would delete {plural(len(s.mass_deletion), 'file')} everywhere")
    _listing(s.to_push)
    _row("To pull", plural(len(s.to_pull), "file") if s.to_pull else "nothing")
    _listing(s.to_pull)
    if s.both:
        settled = len(s.both) - len(s.unmergeable)
        how = f"{settled} merge by themselves" if settled else ""
        if s.unmergeable:
            asks = f"{len(s.unmergeable)} need a decision (pull asks, or stores them)"
            how = f"{how}; {asks}" if how else asks
        _row("Changed on both", f"{plural(len(s.both), 'file')} ({how})")
        _listing(s.unmergeable or s.both)
    _row(
        "Conflicts",
        f"{plural(len(s.stored), 'file')} need a person ('git claude-sync conflicts')"
        if s.stored
        else "none",
    )
    for copy, original in s.copies[:_MAX_LISTED]:
        echo(f"    {show_path(original)}: the other version is in {show_path(copy)}")
    others = [p for p in s.stored if p not in {o for _c, o in s.copies}]
    _listing(others)
    for path, why in s.held_back:
        _row("Held back", f"{show_path(path)}: Claude Code would skip it ({why})")
        echo(f"{'':<18}the last good version stays synced; fix the file to sync it again")
    _row("Synced", " ".join(s.synced) or "nothing yet")
    _row("Not synced", " ".join(s.not_synced) or "nothing")
    for path in s.skipped:
        echo(f"    skipped {show_path(path)} (symlink or nested repository)")
    _row(
        "Hooks",
        ", ".join(s.hooks) + f" in {s.settings}"
        if s.hooks
        else "not installed (git claude-sync install)",
    )
    _row(
        "Hook log",
        s.hook_log + (f"\n{'':<18}last run failed: {s.hook_failure}" if s.hook_failure else ""),
    )
    wanted = colour_wanted(s.color_ui)
    for item in s.attention:
        _row("Needs attention", paint(item, "red", wanted))
    colour = {IN_SYNC: "green", CHANGES: "yellow"}.get(s.code, "red")
    _row("State", paint(STATES[s.code], colour, wanted))


def run(*, fetch: bool = True, as_json: bool = False) -> int:
    """Print the status; returns the exit code (see the module's docstring)."""
    try:
        status = _gather(fetch)
    except FatalError as err:
        if as_json:
            jsonout.emit("status", state="attention", exit_code=ATTENTION, error=str(err))
        err.exit_code = ATTENTION
        raise
    if as_json:
        jsonout.emit("status", **_as_json(status))
    else:
        _as_text(status)
    return status.code
