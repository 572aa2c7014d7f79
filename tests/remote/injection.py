"""Test hooks in the processes a test starts, the remote helper among them.

``injecting(...)`` is extra environment that puts inject/ on PYTHONPATH, so every
Python process of the command loads inject/sitecustomize.py at startup, with the
settings given; that file patches the product's seams as the product imports them.
The product holds no test code: no fault points, no pauses, no directory store.
"""

from __future__ import annotations

import os
from pathlib import Path

INJECT_DIR = Path(__file__).resolve().parent / "inject"

# Read by inject/sitecustomize.py (which imports nothing from the tests).
FILE_URLS = "CLAUDE_SYNC_TEST_FILE_URLS"
PAUSE = "CLAUDE_SYNC_TEST_PAUSE"
FAULT = "CLAUDE_SYNC_TEST_FAULT"
FAULT_LOG = "CLAUDE_SYNC_TEST_FAULT_LOG"

PAUSE_REWRITE = "CLAUDE_SYNC_TEST_PAUSE_REWRITE"

KILL_MID_UPLOAD = "kill-mid-upload"
KILL_BEFORE_MANIFEST = "kill-before-manifest"
KILL_MID_REWRITE = "kill-mid-rewrite"
KILL_BEFORE_SWITCH = "kill-before-switch"
KILL_BEFORE_PLACING = "kill-before-placing"
KILL_MID_PLACING = "kill-mid-placing"


def injecting(
    *,
    file_urls: bool = False,
    pause: Path | None = None,
    pause_rewrite: Path | None = None,
    fault: str | None = None,
    fault_log: Path | None = None,
) -> dict[str, str]:
    """Environment to add to a command's:

    * ``file_urls``: ``claude-sync::file:///DIR`` is the directory DIR as a bucket
      (local_store.LocalStore).
    * ``pause``: a push, its pack stored, creates ``pause/waiting.<pid>`` and waits (at
      most a minute) for ``pause/go`` before it swaps the manifest.
    * ``pause_rewrite``: ``key rotate --rewrite-history``, its history copied, creates
      ``pause_rewrite/waiting.<pid>`` and waits for ``pause_rewrite/go`` before sending.
    * ``fault``: the process SIGKILLs itself: ``KILL_MID_UPLOAD`` halfway through
      sending a pack, ``KILL_BEFORE_MANIFEST`` with its pack stored and the manifest
      not swapped, ``KILL_MID_REWRITE`` while copying the history (at its second
      commit), ``KILL_BEFORE_SWITCH`` once a rotation's push landed, before the
      machine switches keys, ``KILL_BEFORE_PLACING`` / ``KILL_MID_PLACING`` with a pull's
      files written beside their names, before the first is renamed into place / after
      it; first appending ``POINT`` (and for an upload ``BYTES_READ
      BYTES_TOTAL``) as a line to ``fault_log``, if given.
    """
    path = [str(INJECT_DIR)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {"PYTHONPATH": os.pathsep.join(path)}
    if file_urls:
        env[FILE_URLS] = "1"
    if pause is not None:
        env[PAUSE] = str(pause)
    if pause_rewrite is not None:
        env[PAUSE_REWRITE] = str(pause_rewrite)
    if fault is not None:
        env[FAULT] = fault
    if fault_log is not None:
        env[FAULT_LOG] = str(fault_log)
    return env
