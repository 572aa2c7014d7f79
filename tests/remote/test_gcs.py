"""Object storage over Google Cloud Storage: fake-gcs-server on 127.0.0.1 (generation
preconditions enforced), reached through STORAGE_EMULATOR_HOST as Google's libraries do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.remote import cases
from tests.remote.backends import Backend


def test_round_trip_through_the_cli_and_plain_git(gcs_backend: Backend, tmp_path: Path) -> None:
    cases.round_trip(gcs_backend, tmp_path)


def test_incremental_push_uploads_kilobytes(gcs_backend: Backend, tmp_path: Path) -> None:
    cases.incremental_push(gcs_backend, tmp_path)


def test_concurrent_pushes_both_survive(
    gcs_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.concurrent_push(gcs_backend, tmp_path, monkeypatch)


def test_push_killed_mid_upload_then_a_good_one(
    gcs_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.killed_push(gcs_backend, tmp_path, monkeypatch)


def test_packs_are_consolidated_and_garbage_collected(
    gcs_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.consolidation(gcs_backend, tmp_path, monkeypatch)


def test_bad_credentials(gcs_backend: Backend, tmp_path: Path) -> None:
    # The emulator checks no credentials, so this is the real client against Google's
    # endpoint with unusable application-default credentials: it fails before any request.
    garbage = tmp_path / "adc.json"
    garbage.write_text('{"type": "authorized_user", "client_id": ')
    cases.refused(
        gcs_backend,
        tmp_path,
        gcs_backend.init_args(),
        "no usable Google credentials",
        STORAGE_EMULATOR_HOST="<unset>",
        GOOGLE_APPLICATION_CREDENTIALS=str(garbage),
    )


def test_missing_bucket(gcs_backend: Backend, tmp_path: Path) -> None:
    cases.refused(
        gcs_backend, tmp_path, gcs_backend.init_args("no-such-bucket-here"), "does not exist"
    )
