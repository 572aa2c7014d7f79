"""The blob format: deterministic, chunked, compressed AES-256-GCM.

This module is the whole crypto core; ``docs/spec/blob.md`` is its specification
and ``docs/vectors/`` holds test vectors it must reproduce.  Nothing else in the
program touches a cipher.

Why each choice (details in docs/spec/blob.md):

* Deterministic: git compares the cleaned worktree file with the stored blob.
  A randomized cipher would make every file look modified after every commit.
  The nonce is therefore synthetic: a MAC of the chunk and everything it is
  bound to, so equal inputs give equal bytes and different inputs (w.h.p.)
  different nonces.
* Chunked (at most 64 KiB of plaintext per chunk) and append-only (format 2):
  ``seal_onto`` keeps the previous blob's chunks verbatim while they are a
  prefix of the new content and seals only the new bytes after them, so the new
  blob is the old one with its 33-byte finaliser replaced by new chunks and a
  new finaliser; git's delta against the old blob then costs the appended
  ciphertext, not a re-encrypted tail.
* Chained: each chunk's associated data holds the tag of the chunk before it
  and its index; an empty finaliser chunk, the only one sealed as final, closes
  the chain, so truncation, reordering and splicing chunks from other files or
  other versions all fail authentication.  Format 1 blobs (the last data chunk
  was the final one) still open.
* Compressed a piece at a time (zstd), a piece under 16 KiB with D1, the format's fixed
  public dictionary of Claude Code's JSON structure (``blob_dictionary``): an appended line
  costs about a quarter less, and a chunk's size still depends on its own piece alone.
* Bound to the path through a tag in the header, so a blob moved to another
  path is detected where the path is known (filters, merge), while display-only
  callers that do not know the path (textconv) can still authenticate content.
"""

from __future__ import annotations

import hmac
import io
import itertools
import struct
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from git_claude_sync.crypto import blob_dictionary
from git_claude_sync.errors import CodecError, NewerFormat, NotEncrypted, Tampered, WrongKey
from git_claude_sync.records import dataclass

if TYPE_CHECKING:
    import zstandard
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# zstandard (and the platform module it imports) is imported where a chunk is first
# compressed or decompressed, as the AEAD is: status, key checks and the launcher's
# hand-offs load the codec for its key and header functions and never need it (~2 ms).

MAGIC = b"\x00GCSYNC\x00"
VERSION = 2  # what this codec writes
READS = (1, 2)  # what it opens: format 1 blobs stay readable (and stored as they are)
KEY_ID_LEN = 8
PATH_TAG_LEN = 16
HEADER_LEN = len(MAGIC) + 1 + KEY_ID_LEN + PATH_TAG_LEN  # 33
CHUNK_SIZE = 64 * 1024
NONCE_LEN = 12
TAG_LEN = 16
KEY_LEN = 32

_RAW = 0
_ZSTD = 1
_ZSTD_D1 = 2  # zstd with the format's dictionary D1 (blob_dictionary)
# Pieces shorter than this are compressed with D1 (docs/spec/blob.md, "Payload"): an appended
# line, a small file.  Above it D1 saves under 1% and costs zstd up to 3x the time.
D1_BELOW = 16 * 1024
_ZSTD_LEVEL = blob_dictionary.LEVEL
_LEN = struct.Struct(">I")
_AD_TAIL = struct.Struct(">QB")
_FINALISER = bytes([_RAW])  # the finaliser's payload: raw, empty
FINALISER_LEN = _LEN.size + NONCE_LEN + len(_FINALISER) + TAG_LEN  # 33 bytes at a blob's end
# A run of more than this many non-full chunks at the end of the reused prefix is re-sealed
# with the new bytes (docs/spec/blob.md, "Appending", step 2): rare, as it re-sends the run.
MAX_SMALL_RUN = 128


def _hkdf(key: bytes, label: str, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869), no salt, in the standard library: deriving the key id (all
    that status needs) then costs no import of cryptography's native module."""
    info = f"git-claude-sync v1 {label}".encode()
    prk = hmac.digest(bytes(32), key, "sha256")
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        out, counter = out + block, counter + 1
    return out[:length]


def _invalid_tag() -> type[Exception]:
    from cryptography.exceptions import InvalidTag

    return InvalidTag


@dataclass(frozen=True)
class Header:
    version: int
    key_id: bytes
    path_tag: bytes


def parse_header(blob: bytes) -> Header:
    """Read the header, or raise ``NotEncrypted`` if ``blob`` is not ours."""
    if len(blob) < HEADER_LEN or not blob.startswith(MAGIC):
        raise NotEncrypted("not in git-claude-sync format")
    version = blob[len(MAGIC)]
    start = len(MAGIC) + 1
    key_id = blob[start : start + KEY_ID_LEN]
    path_tag = blob[start + KEY_ID_LEN : HEADER_LEN]
    return Header(version, key_id, path_tag)


def looks_encrypted(blob: bytes) -> bool:
    """True if ``blob`` starts with our magic and a version this codec reads."""
    return blob.startswith(MAGIC) and len(blob) >= HEADER_LEN and blob[len(MAGIC)] in READS


def format_fingerprint(key_id: bytes) -> str:
    text = key_id.hex()
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


class Stored(Protocol):
    """A stored blob read as a stream: a large one (hundreds of MB) is never held whole.

    ``reader`` starts a new read from the first byte each time it is called.
    """

    @property
    def size(self) -> int: ...

    def reader(self) -> Callable[[int], bytes]: ...


class StoredBytes:
    """A blob already in memory, as a ``Stored``."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    @property
    def size(self) -> int:
        return len(self.blob)

    def reader(self) -> Callable[[int], bytes]:
        return io.BytesIO(self.blob).read


def as_stored(previous: bytes | Stored | None) -> Stored | None:
    """``previous`` as a ``Stored`` (bytes are wrapped), or None."""
    return StoredBytes(previous) if isinstance(previous, bytes) else previous


class Key:
    """The repository key and the subkeys derived from it (HKDF-SHA256)."""

    def __init__(self, raw: bytes) -> None:
        if len(raw) != KEY_LEN:
            raise ValueError("a key is exactly 32 bytes")
        self._aead_key = _hkdf(raw, "aes-256-gcm key")
        self._cipher: AESGCM | None = None
        self._nonce_key = _hkdf(raw, "synthetic nonce key")
        self._path_key = _hkdf(raw, "path tag key")
        self.key_id = _hkdf(raw, "key id", KEY_ID_LEN)

    @property
    def _aead(self) -> AESGCM:
        """The cipher, made on first use (cryptography is imported only then)."""
        if self._cipher is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._cipher = AESGCM(self._aead_key)
        return self._cipher

    @property
    def fingerprint(self) -> str:
        """Short, shareable id of the key: equal on two machines iff the keys are."""
        return format_fingerprint(self.key_id)

    def path_tag(self, path: bytes) -> bytes:
        return hmac.digest(self._path_key, path, "sha256")[:PATH_TAG_LEN]

    def header(self, path: bytes) -> bytes:
        return MAGIC + bytes([VERSION]) + self.key_id + self.path_tag(path)

    def encrypt(self, path: bytes, plaintext: bytes) -> bytes:
        """Seal ``plaintext`` stored at repository path ``path`` (bytes, '/'-separated)."""
        return b"".join(self.seal(path, _pieces_of(plaintext)))

    def seal_detached(self, ad: bytes, plaintext: bytes) -> bytes:
        """``nonce || ciphertext || tag`` of a few bytes bound to ``ad`` (a commit's sealed
        state, docs/spec/state.md version 2), the nonce synthetic as a chunk's.  ``ad`` never
        starts with ``MAGIC``, so no nonce here is ever computed from a chunk's input."""
        if ad.startswith(MAGIC):
            raise ValueError("associated data that could be a chunk's")
        nonce = hmac.digest(self._nonce_key, ad + plaintext, "sha256")[:NONCE_LEN]
        return nonce + self._aead.encrypt(nonce, plaintext, ad)

    def open_detached(self, ad: bytes, sealed: bytes) -> bytes:
        """The plaintext of ``seal_detached(ad, ...)``; ``Tampered`` unless it is exactly that."""
        nonce, body = sealed[:NONCE_LEN], sealed[NONCE_LEN:]
        if len(body) < TAG_LEN or ad.startswith(MAGIC):
            raise Tampered("a sealed state too short")
        try:
            plaintext: bytes = self._aead.decrypt(nonce, body, ad)
        except _invalid_tag():
            raise Tampered("authentication failed") from None
        expected = hmac.digest(self._nonce_key, ad + plaintext, "sha256")[:NONCE_LEN]
        if not hmac.compare_digest(nonce, expected):
            raise Tampered("nonce does not match its state")
        return plaintext

    def key_with_id(self, key_id: bytes) -> Key | None:
        """This key if ``key_id`` is its id (as ``Keyring.key_with_id``)."""
        return self if key_id == self.key_id else None

    def seal(self, path: bytes, pieces: Iterable[tuple[bytes, bool]]) -> Iterator[bytes]:
        """The sealed blob, streamed: the header, one chunk per non-empty piece, the finaliser.

        ``pieces`` are (plaintext, final) pairs as ``chunked`` cuts them: each at
        most ``CHUNK_SIZE`` long; the flag is not needed by format 2 (the
        finaliser closes the chain) and is accepted for the callers' convenience.
        """
        header = self.header(path)
        yield header
        chain = _Chain(self, header)
        for piece, _final in pieces:
            if piece:
                yield chain.seal(piece)
        yield chain.finish()

    def seal_onto(
        self, path: bytes, stream: Iterable[bytes], previous: bytes | Stored | None
    ) -> Generator[bytes, None, bool]:
        """The sealed blob of ``stream``, keeping ``previous``'s chunks while they fit.

        The chunks of ``previous`` (a format 2 blob for this path under this
        key) whose plaintext is a prefix of the stream are yielded verbatim; the
        bytes after them are sealed as new chunks, then a new finaliser.  A
        stream equal to ``previous``'s plaintext gives ``previous`` itself.  If
        that prefix ends in more than ``MAX_SMALL_RUN`` non-full chunks and bytes
        follow, that run is sealed again together with them (compaction).  Any
        other ``previous`` (none, format 1, another path or key, damaged) is
        ignored: the stream is sealed afresh, as ``seal`` does.  ``previous`` is
        read a chunk at a time, in step with the stream.

        Returns (the generator's value) True if every data chunk of ``previous`` was kept
        and its finaliser authenticated: the blob is then ``previous`` up to its finaliser,
        and maybe more, without reading either again to compare (filters/clean.py).
        """
        header = self.header(path)
        yield header
        chain = _Chain(self, header)
        incoming = iter(stream)
        buffer = bytearray()

        def fill(size: int) -> bool:
            """True once ``buffer`` holds ``size`` bytes (False: the stream ended first)."""
            while len(buffer) < size:
                part = next(incoming, None)
                if part is None:
                    return False
                buffer.extend(part)
            return True

        run: list[tuple[bytes, bytes]] = []  # non-full chunks kept, not yet yielded
        kept_all = False
        for piece, record in self._reusable(path, header, previous):
            if not piece:  # the finaliser: every chunk before it matched
                kept_all = True
                break
            if not fill(len(piece)) or not buffer.startswith(piece):
                break
            del buffer[: len(piece)]
            if len(piece) < CHUNK_SIZE:
                run.append((piece, record))
                continue
            for _piece, kept in run:
                yield chain.adopt(kept)
            run = []
            yield chain.adopt(record)
        if len(run) > MAX_SMALL_RUN and fill(1):
            buffer[:0] = b"".join(piece for piece, _record in run)
            kept_all = False
        else:
            for _piece, kept in run:
                yield chain.adopt(kept)
        for piece, _final in chunked(itertools.chain([bytes(buffer)], incoming)):
            if piece:
                yield chain.seal(piece)
        yield chain.finish()
        return kept_all

    def _reusable(
        self, path: bytes, header: bytes, previous: bytes | Stored | None
    ) -> Iterator[tuple[bytes, bytes]]:
        """(plaintext, record) of ``previous``'s chunks while they authenticate, if it is
        a format 2 blob with ``header``: each chunk is checked before it is offered, and
        one that fails ends the offer; the finaliser, offered last with an empty plaintext,
        proves every chunk before it and that nothing follows."""
        source = as_stored(previous)
        if source is None:
            return
        read = source.reader()
        first = read(len(header))
        if first != header:
            return
        pending = [first]

        def replayed(size: int) -> bytes:
            # ``open`` asks for the header first (HEADER_LEN bytes): it was read already.
            return pending.pop() if pending else read(size)

        try:
            yield from self.open(path, replayed)
        except CodecError:
            return

    def decrypt(self, path: bytes | None, blob: bytes) -> bytes:
        """Open a sealed blob; every chunk is authenticated before anything is returned.

        ``path`` is the repository path the blob is stored at; ``None`` skips only
        the path binding (for display, where git does not tell the path).
        """
        return b"".join(piece for piece, _record in self.open(path, io.BytesIO(blob).read))

    def open(
        self, path: bytes | None, read: Callable[[int], bytes]
    ) -> Iterator[tuple[bytes, bytes]]:
        """(plaintext piece, stored record) of each chunk of the blob ``read`` returns, in turn.

        Each piece is authenticated before it is yielded, but only the end of the
        iteration proves the blob whole: a caller that writes pieces as they come
        must be ready to throw them away if a later one raises.
        """
        header_bytes = read(HEADER_LEN)
        header = parse_header(header_bytes)
        if header.version not in READS:
            raise NotEncrypted(f"unsupported format version {header.version}")
        if header.key_id != self.key_id:
            raise WrongKey(
                f"encrypted with key {format_fingerprint(header.key_id)}, "
                f"but this machine's key is {self.fingerprint}"
            )
        if path is not None and not hmac.compare_digest(header.path_tag, self.path_tag(path)):
            raise Tampered("ciphertext belongs to another path (moved or swapped)")
        decompressors = _Decompressors()
        prev_tag = bytes(TAG_LEN)
        index = 0
        prefix = read(_LEN.size)
        while True:
            if len(prefix) < _LEN.size:
                raise Tampered("ciphertext is truncated")
            (length,) = _LEN.unpack(prefix)
            if length < NONCE_LEN + TAG_LEN + 1:
                raise Tampered("ciphertext is truncated or malformed")
            record = read(length)
            if len(record) < length:
                raise Tampered("ciphertext is truncated or malformed")
            nonce, sealed = record[:NONCE_LEN], record[NONCE_LEN:]
            following = read(_LEN.size)  # nothing after this record: it is the final one
            final = not following
            ad = header_bytes + _AD_TAIL.pack(index, final) + prev_tag
            try:
                payload = self._aead.decrypt(nonce, sealed, ad)
            except _invalid_tag():
                raise Tampered("authentication failed (tampered, truncated or reordered)") from None
            expected_nonce = hmac.digest(self._nonce_key, ad + payload, "sha256")[:NONCE_LEN]
            if not hmac.compare_digest(nonce, expected_nonce):
                raise Tampered("nonce does not match its chunk")
            piece = _decompress(decompressors, payload)
            if header.version == 1:
                if not final and len(piece) != CHUNK_SIZE:
                    raise Tampered("a chunk before the last is not full")
            elif final and payload != _FINALISER:
                raise Tampered("the finaliser holds data")
            elif not final and not piece:
                raise Tampered("an empty chunk before the finaliser")
            yield piece, prefix + record
            prev_tag = sealed[-TAG_LEN:]
            index += 1
            if final:
                return
            prefix = following


class _Chain:
    """The state of a blob being sealed: the next chunk's index and the previous chunk's tag."""

    def __init__(self, key: Key, header: bytes) -> None:
        self._key = key
        self._header = header
        self._index = 0
        self._prev_tag = bytes(TAG_LEN)
        import zstandard

        self._compressor = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, write_checksum=False)
        self._with_d1: zstandard.ZstdCompressor | None = None

    def seal(self, piece: bytes) -> bytes:
        """A data chunk: sealed as not final, a piece under ``D1_BELOW`` compressed with D1
        (encoding 2), a longer one alone (encoding 1)."""
        if len(piece) >= D1_BELOW:
            return self._record(_compress(self._compressor, _ZSTD, piece), final=False)
        if self._with_d1 is None:
            import zstandard

            self._with_d1 = zstandard.ZstdCompressor(
                level=_ZSTD_LEVEL,
                dict_data=blob_dictionary.d1(),
                write_checksum=False,
                write_dict_id=False,
            )
        return self._record(_compress(self._with_d1, _ZSTD_D1, piece), final=False)

    def finish(self) -> bytes:
        """The finaliser: an empty raw payload, the only chunk sealed as final."""
        return self._record(_FINALISER, final=True)

    def adopt(self, record: bytes) -> bytes:
        """A chunk of the previous blob kept as it is (already sealed at this index)."""
        self._prev_tag = record[-TAG_LEN:]
        self._index += 1
        return record

    def _record(self, payload: bytes, final: bool) -> bytes:
        ad = self._header + _AD_TAIL.pack(self._index, final) + self._prev_tag
        nonce = hmac.digest(self._key._nonce_key, ad + payload, "sha256")[:NONCE_LEN]
        sealed = self._key._aead.encrypt(nonce, payload, ad)
        return self.adopt(_LEN.pack(NONCE_LEN + len(sealed)) + nonce + sealed)


def _pieces_of(plaintext: bytes) -> Iterator[tuple[bytes, bool]]:
    """``plaintext`` cut into chunks, each with its final flag; nothing is one empty chunk."""
    last = max(0, (len(plaintext) - 1) // CHUNK_SIZE)
    for index in range(last + 1):
        yield plaintext[index * CHUNK_SIZE : (index + 1) * CHUNK_SIZE], index == last


def chunked(stream: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """A stream of byte strings of any size cut into chunks, each with its final flag.

    Holds at most a chunk and one incoming part: a chunk is known not to be the
    final one only once a byte after it has arrived.
    """
    buffer = bytearray()
    for part in stream:
        buffer += part
        while len(buffer) > CHUNK_SIZE:
            yield bytes(buffer[:CHUNK_SIZE]), False
            del buffer[:CHUNK_SIZE]  # cheap: bytearray drops its head in place
    yield bytes(buffer), True


def _compress(compressor: zstandard.ZstdCompressor, encoding: int, piece: bytes) -> bytes:
    """``encoding`` and the frame if it is strictly shorter than ``piece``, else raw."""
    packed = compressor.compress(piece) if piece else b""
    if piece and len(packed) < len(piece):
        return bytes([encoding]) + packed
    return bytes([_RAW]) + piece


class _Decompressors:
    """A blob's zstd decompressors, without and with D1, each made when first needed."""

    def __init__(self) -> None:
        self._plain: zstandard.ZstdDecompressor | None = None
        self._with_d1: zstandard.ZstdDecompressor | None = None

    def for_encoding(self, kind: int) -> zstandard.ZstdDecompressor:
        import zstandard

        if kind == _ZSTD:
            if self._plain is None:
                self._plain = zstandard.ZstdDecompressor()
            return self._plain
        if self._with_d1 is None:
            self._with_d1 = zstandard.ZstdDecompressor(dict_data=blob_dictionary.d1())
        return self._with_d1


def _decompress(decompressors: _Decompressors, payload: bytes) -> bytes:
    kind, data = payload[0], payload[1:]
    if kind == _RAW:
        if len(data) > CHUNK_SIZE:
            raise Tampered("a chunk is larger than the format allows")
        return data
    if kind in (_ZSTD, _ZSTD_D1):
        import zstandard

        decompressor = decompressors.for_encoding(kind)
        try:
            declared = zstandard.frame_content_size(data)
        except zstandard.ZstdError:
            raise Tampered("a chunk does not decompress") from None
        if declared > CHUNK_SIZE:  # refuse before allocating what the frame claims
            raise Tampered("a chunk is larger than the format allows")
        try:
            piece = decompressor.decompress(data, max_output_size=CHUNK_SIZE)
        except zstandard.ZstdError:
            raise Tampered("a chunk does not decompress") from None
        if len(piece) > CHUNK_SIZE:
            raise Tampered("a chunk is larger than the format allows")
        return piece
    # The chunk authenticated: only a key holder sealed it, so an encoding this codec does not
    # know comes from a newer git-claude-sync, not from tampering (docs/spec/blob.md, step 4).
    raise NewerFormat(
        f"chunk encoding {kind} comes from a newer git-claude-sync: "
        "upgrade git-claude-sync on this machine"
    )
