"""remote/urls.py: the helper URLs init's options make, and the ones refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_claude_sync.commands.init import _remote_url
from git_claude_sync.errors import FatalError
from git_claude_sync.machine.paths import current
from git_claude_sync.remote import urls


def test_init_options_map_to_helper_urls() -> None:
    assert urls.build(s3="s3://bkt/some/prefix/") == "claude-sync::s3://bkt/some/prefix"
    assert (
        urls.build(s3="s3://bkt", endpoint="http://127.0.0.1:9000", region="eu-west-3")
        == "claude-sync::s3://bkt?endpoint=http://127.0.0.1:9000&region=eu-west-3"
    )
    assert (
        urls.build(r2="bkt/claude", account_id="abc123")
        == "claude-sync::s3://bkt/claude?endpoint=https://abc123.r2.cloudflarestorage.com"
        "&region=auto"
    )
    assert urls.build(gcs="gs://bkt/x") == "claude-sync::gs://bkt/x"
    where = urls.parse("claude-sync::s3://bkt/a/b?endpoint=http://h:1/&region=r")
    assert (where.bucket, where.prefix) == ("bkt", "a/b")
    assert (where.endpoint, where.region) == ("http://h:1", "r")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"s3": "s3://a", "gcs": "gs://b"}, "one of"),
        ({"r2": "bkt"}, "--account-id"),
        ({"gcs": "gs://bkt", "endpoint": "http://x"}, "go with --s3"),
        ({"s3": "gs://bkt"}, "s3://BUCKET"),
        ({"s3": "s3://a b"}, "not a valid bucket"),
        ({"s3": "s3://bkt", "endpoint": "ftp://x"}, "http"),
    ],
)
def test_bad_init_options_are_refused(options: dict[str, str], message: str) -> None:
    with pytest.raises(FatalError, match=message):
        urls.build(**options)


def test_init_keeps_helper_urls_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for url in ("claude-sync::s3://bkt/p?endpoint=http://127.0.0.1:1", "claude-sync::gs://bkt"):
        assert _remote_url(current(), url) == url


def test_a_directory_is_no_bucket(tmp_path: Path) -> None:
    """``file://`` exists only in the tests' helper (inject/sitecustomize.py)."""
    with pytest.raises(FatalError, match="unknown object storage"):
        urls.open_store(f"claude-sync::file://{tmp_path}")
