"""The filter process's answer to one file, held until git has sent the whole request.

As ``tempfile.SpooledTemporaryFile``: in memory up to a size, then in an unlinked temporary
file.  ``tempfile`` (with ``shutil``, ``random`` and what they pull in) is imported only
when an answer outgrows memory: importing it cost every filter process ~6 ms at start,
for the few files over the limit (issue 8).
"""

from __future__ import annotations

import io
from typing import IO


class Spool:
    """Bytes written, then read back from the start: in memory up to ``in_memory`` bytes."""

    def __init__(self, in_memory: int, dir: str | None) -> None:
        self._limit = in_memory
        self._dir = dir
        self._file: IO[bytes] = io.BytesIO()
        self._rolled = False

    def write(self, data: bytes) -> int:
        if not self._rolled and self._file.tell() + len(data) > self._limit:
            self._roll()
        return self._file.write(data)

    def _roll(self) -> None:
        import tempfile

        disk = tempfile.TemporaryFile(dir=self._dir)  # noqa: SIM115 - closed by close()
        memory = self._file
        assert isinstance(memory, io.BytesIO)
        disk.write(memory.getbuffer())
        disk.seek(memory.tell())
        self._file, self._rolled = disk, True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def truncate(self) -> int:
        return self._file.truncate()

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
