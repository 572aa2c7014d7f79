"""A provider under test: a real server on 127.0.0.1, a fresh bucket on it, and machines
whose environment carries that provider's credentials.  The fixtures that make them are
in conftest.py."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from git_claude_sync.remote.store import Store
from tests.machines import Machine
from tests.remote.servers import FakeGCS, SeaweedFS

_counter = itertools.count()


@dataclass
class RemoteMachine(Machine):
    """A fake machine whose environment carries a provider's credentials."""

    extra: dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        env = super().env(**{**self.extra, **extra})
        return {k: v for k, v in env.items() if v != "<unset>"}


@dataclass
class Backend:
    kind: str  # "s3" or "gcs"
    env: dict[str, str]
    bucket: str
    server: SeaweedFS | FakeGCS
    prefix: str = "sync/claude"

    @property
    def url(self) -> str:
        if self.kind == "s3":
            assert isinstance(self.server, SeaweedFS)
            endpoint = self.server.endpoint
            return f"claude-sync::s3://{self.bucket}/{self.prefix}?endpoint={endpoint}"
        return f"claude-sync::gs://{self.bucket}/{self.prefix}"

    def init_args(self, bucket: str | None = None) -> list[str]:
        where = f"{bucket or self.bucket}/{self.prefix}"
        if self.kind == "s3":
            assert isinstance(self.server, SeaweedFS)
            return ["--s3", f"s3://{where}", "--endpoint", self.server.endpoint]
        return ["--gcs", f"gs://{where}"]

    def machine(self, home: Path, **extra: str) -> RemoteMachine:
        home.mkdir(parents=True, exist_ok=True)
        return RemoteMachine(home, extra={**self.env, **extra})

    def objects(self) -> dict[str, bytes]:
        """Every object in the bucket (all prefixes), name -> content."""
        if isinstance(self.server, SeaweedFS):
            client = self.server.client()
            found = {}
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    body = client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                    found[item["Key"]] = body
            return found
        client = self.server.client()
        return {b.name: b.download_as_bytes() for b in client.list_blobs(self.bucket)}

    def sizes(self) -> dict[str, int]:
        if isinstance(self.server, SeaweedFS):
            client = self.server.client()
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            return {i["Key"]: int(i["Size"]) for p in pages for i in p.get("Contents", [])}
        client = self.server.client()
        return {b.name: int(b.size) for b in client.list_blobs(self.bucket)}

    def store(self, monkeypatch: pytest.MonkeyPatch) -> Store:
        """This bucket through our own backend code, in the test process."""
        from git_claude_sync.remote import urls

        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        return urls.open_store(self.url)


def new_bucket_name(kind: str) -> str:
    return f"{kind}-test-{os.getpid()}-{next(_counter)}"
