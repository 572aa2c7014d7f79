"""Google Cloud Storage, natively, with the user's application-default credentials.

No HMAC interoperability keys: ``google.auth.default()`` finds credentials
(``gcloud auth application-default login``, ``GOOGLE_APPLICATION_CREDENTIALS``,
a workload's service account).  ``STORAGE_EMULATOR_HOST`` points the client at
an emulator, as everywhere in Google's libraries.  The manifest is swapped with
generation preconditions (``ifGenerationMatch``; 0 means "does not exist yet").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from google.api_core import exceptions as gx
from google.auth import exceptions as gauth
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from git_claude_sync.remote import spool
from git_claude_sync.remote.store import ObjectInfo, Store, StoreError

_RETRY = DEFAULT_RETRY.with_timeout(30.0)


class GCSStore(Store):
    # Large packs go up in chunks of this size (a multiple of 256 KiB), as a resumable
    # upload: an interrupted one is never visible and expires by itself.
    resumable_chunk = 8 * 1024 * 1024

    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket_name = bucket
        self.prefix = prefix
        self.url = f"gs://{bucket}/{prefix}" if prefix else f"gs://{bucket}"
        try:
            self.client = storage.Client(project=None)
        except gauth.DefaultCredentialsError as err:
            raise StoreError(
                f"no usable Google credentials for {self.url}: run 'gcloud auth "
                "application-default login' or set GOOGLE_APPLICATION_CREDENTIALS "
                f"({_first_line(err)})"
            ) from None
        self.bucket = self.client.bucket(bucket)

    def _blob(self, name: str) -> storage.Blob:
        return self.bucket.blob(f"{self.prefix}/{name}" if self.prefix else name)

    def _error(self, err: Exception, doing: str) -> StoreError:
        if isinstance(err, gauth.RefreshError):
            return StoreError(
                f"the Google credentials were refused for {self.url}: {_first_line(err)}; "
                "run 'gcloud auth application-default login'"
            )
        if isinstance(err, gauth.GoogleAuthError):
            return StoreError(f"Google credentials for {self.url}: {_first_line(err)}")
        if isinstance(err, gx.Unauthorized):
            return StoreError(f"the Google credentials were refused for {self.url} (401)")
        if isinstance(err, gx.Forbidden):
            return StoreError(f"no permission to {doing} in {self.url} (403)")
        if isinstance(err, gx.NotFound):
            return StoreError(f"bucket {self.bucket_name!r} does not exist ({self.url})")
        if isinstance(err, (requests.ConnectionError, requests.Timeout, gx.RetryError)):
            return StoreError(f"cannot reach Google Cloud Storage ({self.url}): {_first_line(err)}")
        if isinstance(err, gx.GoogleAPICallError):
            return StoreError(f"{self.url}: {doing} failed: {err.code} {err.message}")
        return StoreError(f"{self.url}: {doing} failed: {err.__class__.__name__}")

    _ERRORS: tuple[type[Exception], ...] = (
        gauth.GoogleAuthError,
        gx.GoogleAPIError,
        requests.RequestException,
    )

    def get(self, name: str) -> tuple[bytes, str] | None:
        blob = self._blob(name)
        try:
            data = blob.download_as_bytes(retry=_RETRY)
        except gx.NotFound:
            return None
        except self._ERRORS as err:
            raise self._error(err, "read objects") from None
        return data, str(blob.generation)

    def put(self, name: str, data: bytes) -> None:
        blob = self._blob(name)
        if len(data) > self.resumable_chunk:
            blob.chunk_size = self.resumable_chunk
        try:
            blob.upload_from_file(
                self.upload_body(data), size=len(data), retry=_RETRY, checksum=None
            )
        except self._ERRORS as err:
            raise self._error(err, "write objects") from None

    def put_file(self, name: str, path: Path) -> None:
        blob = self._blob(name)
        size = path.stat().st_size
        if size > self.resumable_chunk:
            blob.chunk_size = self.resumable_chunk  # the client then reads a chunk at a time
        try:
            with open(path, "rb") as handle:
                blob.upload_from_file(
                    self.upload_file(handle), size=size, retry=_RETRY, checksum=None
                )
        except self._ERRORS as err:
            raise self._error(err, "write objects") from None

    def get_file(self, name: str, path: Path) -> str | None:
        blob = self._blob(name)
        try:
            with spool.create(path) as out:
                blob.download_to_file(out, retry=_RETRY)
        except gx.NotFound:
            return None
        except self._ERRORS as err:
            raise self._error(err, "read objects") from None
        return str(blob.generation)

    def put_if_match(self, name: str, data: bytes, version: str | None) -> str | None:
        blob = self._blob(name)
        try:
            blob.upload_from_string(data, if_generation_match=int(version or 0))
        except gx.PreconditionFailed:
            return None
        except self._ERRORS as err:
            raise self._error(err, "make conditional writes") from None
        return str(blob.generation)

    def list(self) -> list[ObjectInfo]:
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        try:
            for blob in self.client.list_blobs(
                self.bucket, prefix=start, delimiter="/", retry=_RETRY
            ):
                updated: Any = blob.updated
                found.append(
                    ObjectInfo(blob.name[len(start) :], int(blob.size or 0), updated.timestamp())
                )
        except self._ERRORS as err:
            raise self._error(err, "list objects") from None
        return found

    def delete(self, name: str) -> None:
        try:
            self._blob(name).delete(retry=_RETRY)
        except gx.NotFound:
            return
        except self._ERRORS as err:
            raise self._error(err, "delete objects") from None


def _first_line(err: Exception) -> str:
    first = err.args[0] if err.args else None
    text = (first if isinstance(first, str) else str(err)).strip()
    return text.splitlines()[0] if text else err.__class__.__name__
