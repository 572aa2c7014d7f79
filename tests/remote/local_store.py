"""A directory as a bucket, for the tests of the protocol logic that need no server.

Used in the test process, and in the remote helper git runs for
``claude-sync::file:///DIR`` remotes when inject/sitecustomize.py is loaded with
file URLs on (``injection.injecting(file_urls=True)``): the product itself knows
only s3:// and gs://.  Compare-and-swap holds on one machine only.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import shutil
from pathlib import Path
from typing import BinaryIO

from git_claude_sync.remote.store import ObjectInfo, Store, StoreError


class LocalStore(Store):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = f"file://{root}"

    def _path(self, name: str) -> Path:
        return self.root / name

    def check_access(self) -> None:
        if not self.root.is_dir():
            raise StoreError(f"{self.url}: the directory does not exist")

    def get(self, name: str) -> tuple[bytes, str] | None:
        try:
            data = self._path(name).read_bytes()
        except FileNotFoundError:
            return None
        return data, hashlib.sha256(data).hexdigest()

    def _write(self, name: str, body: BinaryIO) -> None:
        tmp = self.root / f".tmp-{name}-{os.getpid()}"
        with open(tmp, "wb") as handle:
            shutil.copyfileobj(body, handle, 64 * 1024)
        tmp.replace(self._path(name))

    def put(self, name: str, data: bytes) -> None:
        self.check_access()
        self._write(name, self.upload_body(data))

    def put_if_match(self, name: str, data: bytes, version: str | None) -> str | None:
        self.check_access()
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.get(name)
            if (current[1] if current else None) != version:
                return None
            self._write(name, io.BytesIO(data))
        return hashlib.sha256(data).hexdigest()

    def list(self) -> list[ObjectInfo]:
        self.check_access()
        found = []
        for entry in os.scandir(self.root):
            if entry.is_file() and not entry.name.startswith("."):
                st = entry.stat()
                found.append(ObjectInfo(entry.name, st.st_size, st.st_mtime))
        return found

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
