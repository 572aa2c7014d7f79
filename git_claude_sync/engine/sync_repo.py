"""The sync repo: a git dir in the tool's home whose work tree is the Claude directory.

``open_repo`` checks that this machine is set up and holds the right key, then
(re)writes the repo's git configuration so that its filters point at this
installation: a moved virtualenv or a new Python never leaves git without its
``required`` filter.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from git_claude_sync.claude import project_folders, selection
from git_claude_sync.claude.file_kinds import APPEND_ONLY_PATTERNS
from git_claude_sync.crypto import keyfile, keyring
from git_claude_sync.crypto.codec import Key
from git_claude_sync.engine import delta_budget
from git_claude_sync.errors import FatalError
from git_claude_sync.filters.served_in_cli import ServedFilter
from git_claude_sync.git import (
    BARE_SETTINGS,
    BRANCH,
    REMOTE,
    SMALL_PACK_WINDOWS,
    Git,
    GitError,
    configure_bare,
    init_bare,
)
from git_claude_sync.machine import config
from git_claude_sync.machine.config import Config
from git_claude_sync.machine.files import write_if_changed
from git_claude_sync.machine.paths import Layout, current
from git_claude_sync.records import dataclass, replace

if TYPE_CHECKING:
    pass

WORKTREE_CONFIG = "claude-sync.worktree"  # the Claude directory recorded at init
KEYID_CONFIG = "claude-sync.keyid"  # the key this repo uses (finishes a killed switch)
DRIVER = "claude-sync"  # the filter, diff and merge driver name

# Deltas only where they pay (issue 9): git's search for one holds 3-5x a blob, and over
# ciphertext finds one only where a version keeps the last one's chunks, which is what an
# append to a session or history.jsonl does (docs/spec/blob.md, "Appending").  Any other
# file, whatever its size, is stored whole.  The local remote init made gets these too:
# its upload-pack and gc run pack-objects with its own attributes.
# The carried metrics document (engine/sync_metrics.PREFIX) is sealed onto its last blob
# too (engine/metrics_doc.py): stored whole, each push re-sent all of it.
# Trees must stay deltas: git looks the attribute up for a tree by its path too, and a
# project folder's tree (~70 bytes a session) went whole with every push, 4-25 KB for a
# 2 KB append.  A pattern cannot tell a folder from a file, so what is not a delta is
# what has a dot in its name (a folder here has none: Claude Code's project and session
# folders, todos/, agents/...); a file without one may be a delta, paying the search
# only up to core.bigFileThreshold.
METRICS_PATTERN = "/.claude-sync/metrics/*.json"
DELTA_ATTRIBUTES = "* delta\n*.* -delta\n" + "".join(
    f"{pattern} delta\n" for pattern in (*APPEND_ONLY_PATTERNS, METRICS_PATTERN)
)

# Every path: our filter (required: a missing filter fails instead of storing
# plaintext), our textconv for readable diffs, our merge driver (the same
# merge as pull, on decrypted content), never end-of-line conversion.
ATTRIBUTES = f"* filter={DRIVER} diff={DRIVER} merge={DRIVER} -text\n" + DELTA_ATTRIBUTES


@dataclass(frozen=True)
class SyncRepo:
    layout: Layout
    git: Git
    key: Key
    config: Config

    @property
    def claude_dir(self) -> Path:
        return self.layout.claude_dir


def is_initialised(layout: Layout) -> bool:
    return layout.initialised()


def git_for(layout: Layout) -> Git:
    return Git(git_dir=layout.git_dir, work_tree=layout.claude_dir)


def _python_command(module: str, *args: str) -> str:
    return " ".join(shlex.quote(part) for part in (sys.executable, "-m", module, *args))


def git_settings(layout: Layout, key: Key, machine: str) -> dict[str, str]:
    """The sync repo's git configuration, derived, never edited by hand."""
    return {
        "core.bare": "false",
        "core.worktree": str(layout.claude_dir),
        "core.autocrlf": "false",
        "core.quotePath": "false",
        # Ciphertext does not compress: spare git the effort (core.looseCompression: in
        # BARE_SETTINGS below).
        "core.compression": "0",
        "pack.compression": "0",
        # Ciphertext of two files, or of two unrelated versions, never deltas; an appended
        # version deltas against the previous one (docs/spec/blob.md, "Appending"), which
        # git's sort puts right beside it.  A window of 1 keeps that delta (a 2 KB append
        # sends ~2 KB) and spares the first push the default 10-wide search, which over
        # ciphertext finds nothing and was most of its pack time (pack.window, in
        # BARE_SETTINGS below: the local remote gets it too).
        # A stored blob above git.BIG_FILE_THRESHOLD is never a delta, and git streams it
        # rather than holding it (issue 9); the same in the local remote (configure).
        **BARE_SETTINGS,
        f"filter.{DRIVER}.process": _python_command(
            "git_claude_sync.filters.process",
            *("--key", str(layout.key_file), "--git-dir", str(layout.git_dir)),
        ),
        f"filter.{DRIVER}.required": "true",
        f"diff.{DRIVER}.textconv": _python_command(
            "git_claude_sync.filters.textconv", "--key", str(layout.key_file)
        ),
        f"merge.{DRIVER}.name": "git-claude-sync: merge decrypted content by kind of file",
        f"merge.{DRIVER}.driver": _python_command(
            "git_claude_sync.filters.merge_driver", "--key", str(layout.key_file)
        )
        + " %O %A %B %P",
        # Nothing the remote sends is trusted.
        "transfer.fsckObjects": "true",
        # What leaves the machine names neither host nor user (docs/spec/state.md):
        # the tool seals its commits itself, and this is all plain git would write.
        "user.name": "claude-sync",
        "user.email": "claude-sync@invalid",
        KEYID_CONFIG: key.fingerprint,
        "init.defaultBranch": BRANCH,
        # An upstream lets `git status --branch` tell what is unpushed (bin/git-claude-sync).
        f"branch.{BRANCH}.remote": "origin",
        f"branch.{BRANCH}.merge": f"refs/heads/{BRANCH}",
    }


def create(layout: Layout, key: Key, config: Config, url: str) -> None:
    """Make the sync repo, configured as ``configure``, ``open_repo`` and ``git remote
    add`` would leave it, in one git process (``git.init_bare``): init starts ~25 fewer."""
    settings = {
        **git_settings(layout, key, config.machine),
        WORKTREE_CONFIG: str(layout.claude_dir),  # check_claude_dir's record
        f"remote.{REMOTE}.url": url,
        f"remote.{REMOTE}.fetch": f"+refs/heads/*:refs/remotes/{REMOTE}/*",
    }
    init_bare(layout.git_dir, settings)
    write_info(layout, config)


def configure(layout: Layout, key: Key, config: Config, git: Git | None = None) -> None:
    """Write git config, attributes and the exclude list if they differ."""
    git = git or git_for(layout)
    existing = git.config_list()
    settings = git_settings(layout, key, config.machine)
    info = layout.git_dir / "info"
    if _text(info / "attributes") != attributes(layout) or any(
        existing.get(name.lower()) != settings[name] for name in BARE_SETTINGS
    ):
        # Before this repo's: a run killed in between comes back here.
        _configure_own_remote(layout, existing.get(f"remote.{REMOTE}.url"))
    for name, value in settings.items():
        if existing.get(name.lower()) != value:
            git.config_set(name, value)
    write_info(layout, config)


def write_info(layout: Layout, config: Config) -> None:
    """Write git's attributes and exclude list (the project links' too) if they differ."""
    info = layout.git_dir / "info"
    info.mkdir(exist_ok=True)
    _write_if_changed(info / "attributes", attributes(layout))
    links = "".join(line + "\n" for line in project_folders.exclude_lines(layout.claude_dir))
    text = selection.exclude_file_text(config, layout.claude_dir)
    _write_if_changed(info / "exclude", text + links)


def _configure_own_remote(layout: Layout, url: str | None) -> None:
    """The local bare remote init made (~/.claude-sync/remote.git) gets ``BARE_SETTINGS``
    and ``DELTA_ATTRIBUTES`` too, once, when this repo first does: its receive-pack and
    upload-pack read its own.  Any other remote is the user's, and left as it is."""
    remote = layout.default_remote
    if url is not None and (remote / "HEAD").is_file() and _same_dir(Path(url), remote):
        configure_local_remote(remote, delta_budget.attribute_lines(layout))


def refresh_attributes(layout: Layout, git: Git) -> None:
    """The no-delta list changed (a push staged a file too large to search): the repo's
    attributes, and the local remote's, whose upload-pack packs the same blobs."""
    _write_if_changed(layout.git_dir / "info" / "attributes", attributes(layout))
    _configure_own_remote(layout, git.config_list().get(f"remote.{REMOTE}.url"))


def attributes(layout: Layout) -> str:
    """The sync repo's attributes: ours, then the files too large to search a delta for."""
    return ATTRIBUTES + delta_budget.attribute_lines(layout)


# The local remote's own git (upload-pack's pack-objects above all, and receive-pack, gc)
# reads its packs through small windows (git.SMALL_PACK_WINDOWS): git's default held a
# pulled 157 MB file's whole pack beside ours; so did a blob read from a kept pack (issue
# 9).  Set with BARE_SETTINGS: a remote made before gets them when a new one of those
# first reaches this repo.
LOCAL_REMOTE_SETTINGS = SMALL_PACK_WINDOWS


def create_local_remote(remote: Path) -> None:
    """The local bare remote init makes, configured as ``configure_local_remote`` would."""
    init_bare(remote, LOCAL_REMOTE_SETTINGS)
    with contextlib.suppress(OSError):
        _write_if_changed(remote / "info" / "attributes", DELTA_ATTRIBUTES)


def configure_local_remote(remote: Path, no_delta: str = "") -> None:
    """Give the local bare remote init made what our repositories hold (init, and above)."""
    # Only memory is at stake: a remote that cannot take it (read-only) still syncs.
    with contextlib.suppress(GitError, OSError):
        configure_bare(remote, LOCAL_REMOTE_SETTINGS)
        _write_if_changed(remote / "info" / "attributes", DELTA_ATTRIBUTES + no_delta)


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _write_if_changed(path: Path, text: str) -> None:
    write_if_changed(path, text.encode(), mode=0o644)


def _same_dir(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def check_claude_dir(layout: Layout, git: Git) -> None:
    """Refuse a Claude directory other than the one this repo was initialised for.

    Switching it silently (a shell without the ``CLAUDE_CONFIG_DIR`` used at init,
    next to an empty ``~/.claude``) would make every synced file look deleted.
    The directory is recorded at init (repos made before: their last work tree).
    """
    recorded = git.config_get(WORKTREE_CONFIG) or git.config_get("core.worktree")
    if recorded is None:
        git.config_set(WORKTREE_CONFIG, str(layout.claude_dir))
        return
    if not _same_dir(Path(recorded), layout.claude_dir):
        how = (
            "CLAUDE_CONFIG_DIR is set to it"
            if os.environ.get("CLAUDE_CONFIG_DIR")
            else "CLAUDE_CONFIG_DIR is not set"
        )
        raise FatalError(
            f"this sync repo syncs the Claude directory {recorded}, but this run's is "
            f"{layout.claude_dir} ({how}); nothing was changed. Run with "
            f"CLAUDE_CONFIG_DIR={recorded}, or to sync {layout.claude_dir} from now on: "
            "git claude-sync init --switch-claude-dir"
        )
    if git.config_get(WORKTREE_CONFIG) is None:
        git.config_set(WORKTREE_CONFIG, recorded)


def switch_claude_dir(layout: Layout) -> str | None:
    """Make this run's Claude directory the recorded one; returns the one before."""
    git = git_for(layout)
    before = git.config_get(WORKTREE_CONFIG) or git.config_get("core.worktree")
    layout.claude_dir.mkdir(parents=True, exist_ok=True)
    git.config_set(WORKTREE_CONFIG, str(layout.claude_dir))
    return before


def open_repo(layout: Layout | None = None) -> SyncRepo:
    """The set-up sync repo of this machine, checked and configured."""
    layout = layout or current()
    if not is_initialised(layout):
        raise FatalError(f"not initialised ({layout.git_dir} missing): run 'git claude-sync init'")
    key = keyfile.load(layout.key_file)
    git = git_for(layout)
    git.config_list()  # one git process answers the questions below (Git.config_get)
    check_claude_dir(layout, git)
    # A Claude directory removed after init comes back empty: pull restores
    # its files, push refuses to delete them everywhere (steps.guard_deletions).
    layout.claude_dir.mkdir(parents=True, exist_ok=True)
    recorded = git.config_get(KEYID_CONFIG)
    if recorded and recorded != key.fingerprint and keyring.finish_switch(layout, recorded):
        key = keyfile.load(layout.key_file)  # a key rotation or 'key use' died half-way
    if recorded and recorded != key.fingerprint:
        raise FatalError(
            f"wrong key: this sync repo uses key {recorded}, but {layout.key_file} "
            f"holds key {key.fingerprint}"
        )
    settings = config.load(layout.config_file)
    layout.claude_dir.mkdir(parents=True, exist_ok=True)
    configure(layout, key, settings, git)
    # The CLI's own git commands get the filter from this process, not a process each.
    served = ServedFilter(layout.key_file, layout.git_dir, DRIVER)
    git = replace(git, limits=settings.network, filter_here=served)
    return SyncRepo(layout=layout, git=git, key=key, config=settings)
