"""Fixtures for the object storage tests: real servers on 127.0.0.1, a fresh bucket each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.remote.backends import Backend, new_bucket_name
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
