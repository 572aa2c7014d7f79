"""Test hooks for the remote helper, loaded by Python at startup (``sitecustomize``)
in the processes of a test that puts this folder on PYTHONPATH
(tests/remote/injection.py, ``injecting``, documents the settings).

Inert unless one of its variables is set.  It patches the product's seams as the
product imports them, so a process that never imports a module (the CLI, git's
filters) keeps it untouched:

* ``git_claude_sync.remote.urls.open_store``: ``file:///DIR`` opens
  tests/remote/local_store.py's ``LocalStore``;
* ``git_claude_sync.remote.store.Store.upload_body`` and ``upload_file``: the stream
  an upload sends (of bytes, or of a pack's file) kills the process halfway through;
* ``git_claude_sync.remote.gcs.GCSStore.resumable_chunk``: small chunks, so that the
  kill falls between chunks already sent (for an object over 8 MiB: a smaller one,
  Google's client reads whole and sends in one request);
* ``git_claude_sync.remote.transfer.Remote.swap_manifest`` (a push's step 4, its
  pack stored): pause, or kill, before it;
* ``git_claude_sync.engine.history_rewrite.Rewriter`` (``key rotate
  --rewrite-history``): pause once the history is copied, before it is sent; or
  kill while copying it (at the second commit);
* ``git_claude_sync.engine.rotation._switch`` (a rotation, its push landed): kill
  before the machine switches keys;
* ``git_claude_sync.machine.files.WriteBatch`` (a pull's files, written beside their
  names): kill before any is renamed into place, or after the first one is.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

FILE_URLS = os.environ.get("CLAUDE_SYNC_TEST_FILE_URLS")
PAUSE = os.environ.get("CLAUDE_SYNC_TEST_PAUSE")
FAULT = os.environ.get("CLAUDE_SYNC_TEST_FAULT")
FAULT_LOG = os.environ.get("CLAUDE_SYNC_TEST_FAULT_LOG")
PAUSE_REWRITE = os.environ.get("CLAUDE_SYNC_TEST_PAUSE_REWRITE")
KILL_MID_UPLOAD = "kill-mid-upload"
KILL_BEFORE_MANIFEST = "kill-before-manifest"
KILL_MID_REWRITE = "kill-mid-rewrite"
KILL_BEFORE_SWITCH = "kill-before-switch"
KILL_BEFORE_PLACING = "kill-before-placing"
KILL_MID_PLACING = "kill-mid-placing"
LOCAL_STORE = Path(__file__).resolve().parents[1] / "local_store.py"


def _kill(*details: object) -> None:
    if FAULT_LOG:
        with open(FAULT_LOG, "a") as log:
            log.write(" ".join(str(d) for d in (FAULT, *details)) + "\n")
    os.kill(os.getpid(), signal.SIGKILL)


# -- the patches ---------------------------------------------------------------------


def _patch_urls(urls: ModuleType) -> None:
    original = urls.open_store

    def open_store(url: str) -> Any:
        text = url.removeprefix("claude-sync::")
        if not text.startswith("file:///"):
            return original(url)
        spec = importlib.util.spec_from_file_location("claude_sync_test_local_store", LOCAL_STORE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.LocalStore(Path(text.removeprefix("file://")))

    urls.open_store = open_store


class _KillingBody(io.BytesIO):
    """Kills the process once half of the data is read on the pass that sends it: the
    ``send_pass``-th after as many rewinds (botocore reads a body once to sign it over
    plain http, then rewinds and sends it)."""

    def __init__(self, data: bytes, send_pass: int) -> None:
        super().__init__(data)
        self._size = len(data)
        self._rewinds = 0
        self._read = 0
        self._send_pass = send_pass

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0 and self._read:
            self._rewinds += 1
            self._read = 0
        return super().seek(offset, whence)

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self._read += len(chunk)
        if self._rewinds >= self._send_pass and self._read * 2 >= self._size:
            _kill(self._read, self._size)
        return chunk


def _patch_store(store: ModuleType) -> None:
    def upload_body(self: Any, data: bytes) -> io.BytesIO:
        endpoint = getattr(self, "endpoint", None)  # S3Store's; plain http: signed first
        plain_http = isinstance(endpoint, str) and endpoint.startswith("http://")
        return _KillingBody(data, send_pass=1 if plain_http else 0)

    def upload_file(self: Any, handle: Any) -> io.BytesIO:
        return upload_body(self, handle.read())  # test packs are small: read whole here

    store.Store.upload_body = upload_body
    store.Store.upload_file = upload_file


def _patch_gcs(gcs: ModuleType) -> None:
    gcs.GCSStore.resumable_chunk = 256 * 1024  # the smallest chunk GCS takes


def _wait_at(gate: Path) -> None:
    (gate / f"waiting.{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not (gate / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _patch_transfer(transfer: ModuleType) -> None:
    original = transfer.Remote.swap_manifest

    def swap_manifest(self: Any, *args: Any, **kwargs: Any) -> Any:
        if FAULT == KILL_BEFORE_MANIFEST:
            _kill()
        if PAUSE:
            _wait_at(Path(PAUSE))
        return original(self, *args, **kwargs)

    transfer.Remote.swap_manifest = swap_manifest


def _patch_history_rewrite(history_rewrite: ModuleType) -> None:
    rewriter = history_rewrite.Rewriter
    rewrite, rewrite_commit = rewriter.rewrite, rewriter.rewrite_commit
    calls = {"rewrite": 0, "commit": 0}

    def patched_rewrite(self: Any, *args: Any, **kwargs: Any) -> Any:
        copy = rewrite(self, *args, **kwargs)
        calls["rewrite"] += 1
        if PAUSE_REWRITE and calls["rewrite"] == 1:
            _wait_at(Path(PAUSE_REWRITE))
        return copy

    def patched_commit(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["commit"] += 1
        if FAULT == KILL_MID_REWRITE and calls["commit"] == 2:
            _kill()
        return rewrite_commit(self, *args, **kwargs)

    history_rewrite.Rewriter.rewrite = patched_rewrite
    history_rewrite.Rewriter.rewrite_commit = patched_commit


def _patch_rotation(rotation: ModuleType) -> None:
    def switch(*_args: Any) -> None:
        _kill()

    rotation._switch = switch


def _patch_files(files: ModuleType) -> None:
    place = files.WriteBatch._place
    placed = [0]

    def patched_place(self: Any, tmp: Path, path: Path) -> None:
        if FAULT == KILL_BEFORE_PLACING or placed[0] == 1:
            _kill(path.name)
        place(self, tmp, path)
        placed[0] += 1

    files.WriteBatch._place = patched_place


# -- applying a patch when the product imports its module ----------------------------------


class _Patching(importlib.abc.Loader):
    """The module's own loader, then the patch."""

    def __init__(self, loader: importlib.abc.Loader, patch: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name: str) -> Any:  # get_source, resource readers…
        return getattr(self._loader, name)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    def __init__(self, patches: dict[str, Callable[[ModuleType], None]]) -> None:
        self._patches = patches

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        patch = self._patches.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Patching(spec.loader, patch)
                return spec
        return None


def _install() -> None:
    patches: dict[str, Callable[[ModuleType], None]] = {}
    if FILE_URLS:
        patches["git_claude_sync.remote.urls"] = _patch_urls
    if FAULT == KILL_MID_UPLOAD:
        patches["git_claude_sync.remote.store"] = _patch_store
        patches["git_claude_sync.remote.gcs"] = _patch_gcs
    if FAULT == KILL_BEFORE_MANIFEST or PAUSE:
        patches["git_claude_sync.remote.transfer"] = _patch_transfer
    if FAULT == KILL_MID_REWRITE or PAUSE_REWRITE:
        patches["git_claude_sync.engine.history_rewrite"] = _patch_history_rewrite
    if FAULT == KILL_BEFORE_SWITCH:
        patches["git_claude_sync.engine.rotation"] = _patch_rotation
    if FAULT in (KILL_BEFORE_PLACING, KILL_MID_PLACING):
        patches["git_claude_sync.machine.files"] = _patch_files
    if patches:
        sys.meta_path.insert(0, _PatchOnImport(patches))


_install()
