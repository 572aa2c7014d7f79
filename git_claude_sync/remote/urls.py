"""Remote URLs for object storage, and the checks ``init`` makes before using one.

    claude-sync::s3://BUCKET[/PREFIX][?endpoint=URL&region=R]   S3 and S3-compatible
    claude-sync::gs://BUCKET[/PREFIX]                           Google Cloud Storage
    claude-sync::git+URL                                        a git host, names hidden
                                                                (URL: anything git takes)

git hands the helper everything after ``claude-sync::``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from git_claude_sync.crypto.codec import Key
from git_claude_sync.errors import FatalError
from git_claude_sync.git import BRANCH, HIDDEN_PREFIX, Limits, remote_refs, scrub
from git_claude_sync.machine import config
from git_claude_sync.machine.paths import current
from git_claude_sync.remote.store import Store, check_conditional_writes

HELPER_PREFIX = "claude-sync::"
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,221}[A-Za-z0-9]$")


@dataclass(frozen=True)
class Location:
    scheme: str  # "s3" or "gs"
    bucket: str = ""
    prefix: str = ""
    endpoint: str | None = None
    region: str | None = None


def is_object_storage(url: str) -> bool:
    return url.startswith(HELPER_PREFIX)


def hidden(target: str) -> str:
    """The hidden layout's URL for a git repository ``target`` (a URL or path git takes)."""
    return HIDDEN_PREFIX + target


def git_target(url: str) -> str | None:
    """The git repository a hidden-layout URL names (with or without ``claude-sync::``,
    which git strips before it runs the helper); None for any other URL."""
    text = url.removeprefix(HELPER_PREFIX)
    if not text.startswith("git+"):
        return None
    target = text.removeprefix("git+")
    if not target or target.startswith("-"):  # never an option to git
        raise FatalError(f"{url}: name a git repository after git+ (ssh://, https://, a path)")
    return target


def parse(url: str) -> Location:
    text = url.removeprefix(HELPER_PREFIX)
    parts = urlsplit(text)
    if parts.scheme not in ("s3", "gs"):
        raise FatalError(f"{url}: unknown object storage (use s3://BUCKET, gs://BUCKET or git+URL)")
    bucket = parts.netloc
    if not _BUCKET.match(bucket):
        raise FatalError(f"{url}: {bucket!r} is not a valid bucket name")
    prefix = "/".join(piece for piece in parts.path.split("/") if piece)
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - ({"endpoint", "region"} if parts.scheme == "s3" else set())
    if unknown:
        raise FatalError(f"{url}: unknown option {sorted(unknown)[0]!r}")
    endpoint = query.get("endpoint", [None])[-1] or None
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise FatalError(f"{url}: the endpoint must be an http:// or https:// URL")
    return Location(
        parts.scheme,
        bucket=bucket,
        prefix=prefix,
        endpoint=endpoint.rstrip("/") if endpoint else None,
        region=query.get("region", [None])[-1] or None,
    )


#: The optional dependencies (pyproject's extras) of each kind of bucket.
EXTRAS = {
    "gs": ("gcs", "Google Cloud Storage", ("google",)),
    "s3": ("s3", "S3", ("boto3", "botocore")),
}


def _missing_extra(scheme: str, err: ImportError) -> FatalError | None:
    """The one line for a bucket whose SDK is not installed (None: another import failed)."""
    extra, name, modules = EXTRAS["gs" if scheme == "gs" else "s3"]
    if (err.name or "").split(".")[0] not in modules:
        return None
    return FatalError(
        f"{name} remotes need the [{extra}] extra, not installed here "
        f"(no module {err.name}): pipx install 'git-claude-sync[{extra}]' "
        f"(or pip/uv the same; ./install.sh installs every extra)"
    )


def open_store(url: str) -> Store:
    target = git_target(url)
    if target is not None:
        from git_claude_sync.remote.git_store import GitStore

        return GitStore(target, config.load(current().config_file).network)
    where = parse(url)
    try:
        if where.scheme == "gs":
            from git_claude_sync.remote.gcs import GCSStore

            return GCSStore(where.bucket, where.prefix)
        from git_claude_sync.remote.s3 import S3Store
    except ImportError as err:
        refused = _missing_extra(where.scheme, err)
        if refused is None:
            raise
        raise refused from None
    return S3Store(where.bucket, where.prefix, endpoint=where.endpoint, region=where.region)


def _bucket_path(value: str, scheme: str, option: str) -> str:
    text = value.strip()
    for accepted in (f"{scheme}://", "s3://") if scheme == "r2" else (f"{scheme}://",):
        text = text.removeprefix(accepted)
    if "://" in text or not text.strip("/"):
        example = "BUCKET[/PREFIX]" if scheme == "r2" else f"{scheme}://BUCKET[/PREFIX]"
        raise FatalError(f"{option} takes {example}, not {value!r}")
    return text.strip("/")


def build(
    *,
    s3: str | None = None,
    r2: str | None = None,
    account_id: str | None = None,
    gcs: str | None = None,
    endpoint: str | None = None,
    region: str | None = None,
) -> str:
    """The ``claude-sync::`` URL for ``init``'s --s3 / --r2 / --gcs options."""
    chosen = [name for name, value in (("--s3", s3), ("--r2", r2), ("--gcs", gcs)) if value]
    if len(chosen) != 1:
        raise FatalError("give one of --s3, --r2 or --gcs")
    if account_id and not r2:
        raise FatalError("--account-id goes with --r2")
    if (endpoint or region) and not s3:
        raise FatalError("--endpoint and --region go with --s3")
    if s3:
        target = "s3://" + _bucket_path(s3, "s3", "--s3")
    elif r2:
        if not account_id or not re.fullmatch(r"[A-Za-z0-9]+", account_id):
            raise FatalError("--r2 needs --account-id ID (your Cloudflare account id)")
        target = "s3://" + _bucket_path(r2, "r2", "--r2")
        endpoint = f"https://{account_id}.r2.cloudflarestorage.com"
        region = "auto"
    else:
        assert gcs is not None
        target = "gs://" + _bucket_path(gcs, "gs", "--gcs")
    query = {k: v for k, v in (("endpoint", endpoint), ("region", region)) if v}
    url = HELPER_PREFIX + target + (f"?{urlencode(query, safe=':/')}" if query else "")
    parse(url)  # the same checks the helper will make
    return url


def preflight(url: str) -> None:
    """Before ``init`` changes anything: the bucket is there, readable, writable, and
    enforces conditional writes.  Leaves no object behind."""
    store = open_store(url)
    store.check_access()
    check_conditional_writes(store)


@dataclass(frozen=True)
class Layout:
    url: str  # the remote URL to use
    note: str | None = None  # one line init prints about the choice, if any
    start_hidden: bool = False  # an empty repository: mark it hidden (start_hidden below)


def choose_layout(target: str, *, transparent: bool, joining: bool, limits: Limits) -> Layout:
    """The URL ``init --git TARGET`` uses: the layout the repository holds; for an empty
    one, hidden (unless --transparent) on a first machine, transparent on a joining one.

    A first machine marks an empty repository hidden at once (``start_hidden``), so an
    empty repository seen by a joining machine is one whose first machine is transparent
    (the default local remote, or --transparent) and has not pushed yet.
    """
    from git_claude_sync.remote.git_store import ref_for
    from git_claude_sync.remote.transfer import MANIFEST_NAME

    refs = remote_refs(target, limits)
    if ref_for(MANIFEST_NAME) in refs:
        if transparent:
            raise FatalError(
                f"{scrub(target)} holds the hidden layout (names encrypted); "
                "init without --transparent; nothing was changed"
            )
        return Layout(hidden(target))
    if transparent:
        return Layout(target)
    if f"refs/heads/{BRANCH}" in refs or joining:
        return Layout(
            target,
            "  The remote keeps the transparent layout (the host sees file names and "
            "history); 'git claude-sync remote hide' hides them.",
        )
    return Layout(hidden(target), start_hidden=True)


def start_hidden(url: str, key: Key) -> Callable[[], None]:
    """Write an empty manifest to the empty repository at hidden ``url``: from now on it
    holds the hidden layout, for every machine that joins.  Returns how to undo it (for
    an init that fails later)."""
    from git_claude_sync.remote.transfer import MANIFEST_NAME, Manifest, Remote

    store = open_store(url)
    if Remote(store, lambda: key).swap_manifest(Manifest(), None, {}, [], None) is not None:
        return lambda: None  # another machine did it first: theirs stays
    return lambda: store.delete(MANIFEST_NAME)
