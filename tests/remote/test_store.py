"""remote/store.py: the probe that a provider enforces conditional writes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from git_claude_sync.remote.store import ConditionalWritesUnsupported, check_conditional_writes
from tests.remote.local_store import LocalStore


class _Careless(LocalStore):
    """A provider that accepts every conditional write."""

    def put_if_match(self, name: str, data: bytes, version: str | None) -> str | None:
        self._write(name, io.BytesIO(data))
        return "v"


def test_a_provider_ignoring_preconditions_is_detected(tmp_path: Path) -> None:
    with pytest.raises(ConditionalWritesUnsupported, match="does not enforce conditional writes"):
        check_conditional_writes(_Careless(tmp_path))
    assert list(tmp_path.iterdir()) == []  # the probe is removed
    check_conditional_writes(LocalStore(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == [".lock"]
