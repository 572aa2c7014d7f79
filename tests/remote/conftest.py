"""Fixtures for the object storage tests: real servers on 127.0.0.1 and a fresh bucket
on them for each test; a directory as the bucket for plain git."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from git_claude_sync.crypto import keyfile
from tests.machines import BIN_DIR
from tests.remote.backends import Backend, new_bucket_name
from tests.remote.injection import injecting
from tests.remote.servers import FakeGCS, SeaweedFS, aws_env


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def fake_gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGCS]:
    server = FakeGCS().start(tmp_path_factory.mktemp("fake-gcs"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_backend(seaweed: SeaweedFS) -> Backend:
    name = new_bucket_name("s3")
    seaweed.client().create_bucket(Bucket=name)
    return Backend("s3", aws_env(), name, seaweed)


@pytest.fixture
def gcs_backend(fake_gcs: FakeGCS) -> Backend:
    name = new_bucket_name("gcs")
    fake_gcs.client().create_bucket(name)
    return Backend("gcs", fake_gcs.env(), name, fake_gcs)


# -- plain git over a directory (plain_git.py) ----------------------------------------------


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Plain git's environment: a key, our helper on PATH, ``file://`` URLs opened by it."""
    key = tmp_path / "key"
    keyfile.generate(key)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CLAUDE_"))}
    base.update(
        HOME=str(tmp_path),
        PATH=BIN_DIR + os.pathsep + base.get("PATH", ""),
        CLAUDE_SYNC_KEY_FILE=str(key),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@t",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@t",
        **injecting(file_urls=True),
    )
    return base


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    path = tmp_path / "bucket"
    path.mkdir()
    return path
