"""Object storage over S3: SeaweedFS on 127.0.0.1, credentials and conditional writes enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.remote import cases
from tests.remote.backends import Backend
from tests.remote.servers import READ_ONLY_KEY, READ_ONLY_SECRET, _free_port


def test_round_trip_through_the_cli_and_plain_git(s3_backend: Backend, tmp_path: Path) -> None:
    cases.round_trip(s3_backend, tmp_path)


def test_a_file_above_the_big_file_threshold_round_trips(
    s3_backend: Backend, tmp_path: Path
) -> None:
    a, b = s3_backend.machine(tmp_path / "a"), s3_backend.machine(tmp_path / "b")
    cases.large_file_round_trip(a, b, s3_backend.init_args())


def test_incremental_push_uploads_kilobytes(s3_backend: Backend, tmp_path: Path) -> None:
    cases.incremental_push(s3_backend, tmp_path)


def test_concurrent_pushes_both_survive(
    s3_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.concurrent_push(s3_backend, tmp_path, monkeypatch)


def test_push_killed_mid_upload_then_a_good_one(
    s3_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.killed_push(s3_backend, tmp_path, monkeypatch)


def test_packs_are_consolidated_and_garbage_collected(
    s3_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.consolidation(s3_backend, tmp_path, monkeypatch)


def test_bad_credentials(s3_backend: Backend, tmp_path: Path) -> None:
    cases.refused(
        s3_backend,
        tmp_path,
        s3_backend.init_args(),
        "credentials were refused",
        AWS_SECRET_ACCESS_KEY="wrong",
    )


def test_no_credentials(s3_backend: Backend, tmp_path: Path) -> None:
    cases.refused(
        s3_backend,
        tmp_path,
        s3_backend.init_args(),
        "no AWS credentials",
        AWS_ACCESS_KEY_ID="<unset>",
        AWS_SECRET_ACCESS_KEY="<unset>",
    )


def test_missing_bucket(s3_backend: Backend, tmp_path: Path) -> None:
    cases.refused(
        s3_backend, tmp_path, s3_backend.init_args("no-such-bucket-here"), "does not exist"
    )


def test_no_permission_to_write(s3_backend: Backend, tmp_path: Path) -> None:
    cases.refused(
        s3_backend,
        tmp_path,
        s3_backend.init_args(),
        "no permission",
        AWS_ACCESS_KEY_ID=READ_ONLY_KEY,
        AWS_SECRET_ACCESS_KEY=READ_ONLY_SECRET,
    )


def test_endpoint_unreachable(s3_backend: Backend, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{_free_port()}"
    args = ["--s3", f"s3://{s3_backend.bucket}/x", "--endpoint", closed]
    cases.refused(s3_backend, tmp_path, args, "cannot reach")


def test_joining_with_the_wrong_key(s3_backend: Backend, tmp_path: Path) -> None:
    cases.wrong_key(s3_backend, tmp_path)
