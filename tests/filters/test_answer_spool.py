"""The filter process's answer spool: the same bytes back, in memory or rolled to a file."""

from __future__ import annotations

import io
from pathlib import Path

from git_claude_sync.filters.answer_spool import Spool


def test_a_spool_gives_back_what_it_was_given_across_its_roll_to_disk(tmp_path: Path) -> None:
    parts = [bytes([n]) * 700 for n in range(10)]
    with Spool(2000, str(tmp_path)) as spool:
        for part in parts:
            spool.write(part)
        assert not isinstance(spool._file, io.BytesIO)  # over 2000 bytes: a file
        spool.seek(0)
        assert spool.read(100) == parts[0][:100]
        assert spool.read() == b"".join(parts)[100:]
        spool.seek(0)
        spool.truncate()  # the filter's "keep the stored blob instead": emptied, reused
        spool.write(b"kept")
        spool.seek(0)
        assert spool.read() == b"kept"
    assert list(tmp_path.iterdir()) == []  # unlinked: nothing left beside the repo


def test_a_small_answer_stays_in_memory() -> None:
    with Spool(2000, None) as spool:
        spool.write(b"x" * 2000)
        assert isinstance(spool._file, io.BytesIO)
        spool.seek(0)
        assert spool.read() == b"x" * 2000
