"""Amazon S3 and S3-compatible services (Cloudflare R2, MinIO, SeaweedFS, B2, Wasabi).

Credentials come from botocore's (boto3's) standard chain only (environment, shared
config and credentials files, profiles, SSO, instance roles); nothing is
written to any config.  The manifest is swapped with S3 conditional writes:
``If-None-Match: *`` to create it, ``If-Match: <ETag>`` to replace it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from git_claude_sync.remote import spool
from git_claude_sync.remote.store import (
    ConditionalWritesUnsupported,
    ObjectInfo,
    Store,
    StoreError,
)

_T = TypeVar("_T")

_REFUSED_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
}
_BLOCK = 1 << 20  # a download is written to its file a block at a time
_CAS_LOST = {"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "412", "409"}


class S3Store(Store):
    def __init__(
        self, bucket: str, prefix: str, *, endpoint: str | None = None, region: str | None = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self.url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        options: dict[str, Any] = {
            "retries": {"max_attempts": 3, "mode": "standard"},
            "connect_timeout": 10,
            "read_timeout": 120,
        }
        if endpoint:
            # S3-compatible services: path-style addressing works on all of them, and
            # some reject the newer default checksum headers.
            options["s3"] = {"addressing_style": "path"}
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        try:
            # botocore's own session: the same credential chain and client as boto3's,
            # without importing boto3 and s3transfer (~0.08 s of CPU in every remote
            # helper process; git starts one per fetch and per push).
            session = botocore.session.get_session()
            self.client = session.create_client(
                "s3", endpoint_url=endpoint, region_name=region, config=Config(**options)
            )
        except ProfileNotFound as err:
            raise StoreError(f"{self.url}: {err}") from None
        except ValueError as err:  # a malformed endpoint URL
            raise StoreError(f"{self.url}: bad endpoint {endpoint!r}: {err}") from None

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _error(self, err: Exception, doing: str) -> StoreError:
        where = self.url + (f" at {self.endpoint}" if self.endpoint else "")
        if isinstance(err, (NoCredentialsError, PartialCredentialsError)):
            return StoreError(
                f"no AWS credentials found for {where}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run 'aws configure' / 'aws sso login'"
            )
        if isinstance(err, (EndpointConnectionError, ConnectTimeoutError)):
            how = "timed out" if isinstance(err, ConnectTimeoutError) else "connection failed"
            return StoreError(f"cannot reach {self.endpoint or 'S3'} ({self.url}): {how}")
        if isinstance(err, ReadTimeoutError):
            return StoreError(f"{where}: {doing} timed out")
        if isinstance(err, ClientError):
            info = err.response.get("Error", {})
            code = str(info.get("Code", ""))
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket":
                return StoreError(f"bucket {self.bucket!r} does not exist ({where})")
            if code in _REFUSED_CREDENTIALS:
                return StoreError(f"the credentials were refused by {where} ({code})")
            if code == "AccessDenied" or status == 403:
                return StoreError(f"no permission to {doing} in {where} ({code or 403})")
            if code == "NotImplemented" or status == 501:
                return ConditionalWritesUnsupported(
                    f"{where} does not support {doing} ({code or 501})"
                )
            return StoreError(f"{where}: {doing} failed: {code} {info.get('Message', '')}".strip())
        if isinstance(err, BotoCoreError):
            return StoreError(f"{where}: {doing} failed: {err}")
        return StoreError(f"{where}: {doing} failed: {err.__class__.__name__}")

    def _read(self, name: str, consume: Callable[[Any], _T]) -> tuple[_T, str] | None:
        """What ``consume`` makes of the object's body, and its version; None if it does not
        exist (a failure while reading the body is one line, as the request's)."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
            result = consume(response["Body"])
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "NoSuchKey":
                return None
            raise self._error(err, "read objects") from None
        except BotoCoreError as err:
            raise self._error(err, "read objects") from None
        return result, str(response["ETag"])

    def get(self, name: str) -> tuple[bytes, str] | None:
        return self._read(name, lambda body: bytes(body.read()))

    def put(self, name: str, data: bytes) -> None:
        body = self.upload_body(data)
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=body)
        except (ClientError, BotoCoreError) as err:
            raise self._error(err, "write objects") from None

    def put_file(self, name: str, path: Path) -> None:
        # One request with the open file as its body: botocore reads it a block at a
        # time (twice over plain http, to sign it), never whole.
        try:
            with open(path, "rb") as handle:
                self.client.put_object(
                    Bucket=self.bucket, Key=self._key(name), Body=self.upload_file(handle)
                )
        except (ClientError, BotoCoreError) as err:
            raise self._error(err, "write objects") from None

    def get_file(self, name: str, path: Path) -> str | None:
        def save(body: Any) -> None:
            with spool.create(path) as out:
                for block in body.iter_chunks(_BLOCK):
                    out.write(block)

        got = self._read(name, save)
        return None if got is None else got[1]

    def put_if_match(self, name: str, data: bytes, version: str | None) -> str | None:
        condition = {"IfMatch": version} if version is not None else {"IfNoneMatch": "*"}
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=self._key(name), Body=data, **condition
            )
        except ClientError as err:
            info = err.response.get("Error", {})
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if info.get("Code") in _CAS_LOST or status in (409, 412):
                return None
            raise self._error(err, "make conditional writes") from None
        except BotoCoreError as err:
            raise self._error(err, "make conditional writes") from None
        return str(response["ETag"])

    def list(self) -> list[ObjectInfo]:
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start, Delimiter="/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    found.append(
                        ObjectInfo(
                            item["Key"][len(start) :],
                            int(item["Size"]),
                            item["LastModified"].timestamp(),
                        )
                    )
        except (ClientError, BotoCoreError) as err:
            raise self._error(err, "list objects") from None
        return found

    def delete(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "NoSuchKey":
                return
            raise self._error(err, "delete objects") from None
        except BotoCoreError as err:
            raise self._error(err, "delete objects") from None
