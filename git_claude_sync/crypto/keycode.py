"""Key codes: the repository key wrapped with a passphrase, as one copy-pasteable line.

``git claude-sync key export`` prints ``csk1-<base64url>``; ``init --key-code``
and ``key use --key-code`` take it back.  The passphrase goes through scrypt
(memory-hard, random salt), the key is sealed with AES-256-GCM under the
result.  Specification: ``docs/spec/keycode.md``.

A short checksum lets a code damaged in copying ("check it was copied whole")
be told apart from a wrong passphrase (GCM authentication fails).
"""

from __future__ import annotations

import base64
import hashlib
import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from git_claude_sync.crypto.codec import KEY_LEN
from git_claude_sync.errors import FatalError

PREFIX = "csk1-"
LOG2_N = 17  # scrypt N = 2^17, r = 8, p = 1: 128 MiB and about 0.35 s here
MIN_LOG2_N, MAX_LOG2_N = 15, 20  # what a reader accepts (at most 1 GiB of memory)
SCRYPT_R, SCRYPT_P = 8, 1
SALT_LEN = 16
NONCE_LEN = 12
CHECK_LEN = 4
MIN_PASSPHRASE = 8
_BODY_LEN = 1 + SALT_LEN + NONCE_LEN + KEY_LEN + 16  # log2(N), salt, nonce, sealed key


class WrongPassphrase(FatalError):
    """The key code is intact but the passphrase does not open it."""


def _kek(passphrase: str, salt: bytes, log2_n: int) -> bytes:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kdf = Scrypt(salt=salt, length=32, n=2**log2_n, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(secret)


def _check(body: bytes) -> bytes:
    return hashlib.sha256(PREFIX.encode() + body).digest()[:CHECK_LEN]


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise FatalError(
            f"the passphrase must be at least {MIN_PASSPHRASE} characters "
            "(anyone holding the code can try passphrases offline)"
        )


def wrap(raw_key: bytes, passphrase: str, *, log2_n: int = LOG2_N) -> str:
    """The key code for ``raw_key`` under ``passphrase`` (fresh random salt and nonce)."""
    return wrap_with(
        raw_key, passphrase, log2_n=log2_n, salt=os.urandom(SALT_LEN), nonce=os.urandom(NONCE_LEN)
    )


def wrap_with(raw_key: bytes, passphrase: str, *, log2_n: int, salt: bytes, nonce: bytes) -> str:
    """``wrap`` with the salt and nonce given: for test vectors only.

    A salt and nonce must never be used twice; ``wrap`` draws fresh ones.
    """
    if len(raw_key) != KEY_LEN:
        raise ValueError("a key is exactly 32 bytes")
    if len(salt) != SALT_LEN or len(nonce) != NONCE_LEN:
        raise ValueError(f"the salt is {SALT_LEN} bytes and the nonce {NONCE_LEN}")
    check_passphrase(passphrase)
    head = bytes([log2_n]) + salt
    sealed = AESGCM(_kek(passphrase, salt, log2_n)).encrypt(nonce, raw_key, PREFIX.encode() + head)
    body = head + nonce + sealed
    text = base64.urlsafe_b64encode(body + _check(body)).decode("ascii").rstrip("=")
    return PREFIX + text


def parse(code: str) -> bytes:
    """The code's binary body, checked for damage but not opened."""
    text = "".join(code.split())  # a code wrapped by a mail client or terminal
    if not text.startswith(PREFIX):
        raise FatalError(f"not a git-claude-sync key code (it starts with '{PREFIX}')")
    encoded = text[len(PREFIX) :]
    try:
        data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        raise FatalError("the key code is damaged (check it was copied whole)") from None
    body, check = data[:-CHECK_LEN], data[-CHECK_LEN:]
    if len(body) != _BODY_LEN or _check(body) != check:
        raise FatalError("the key code is damaged (check it was copied whole)")
    if not MIN_LOG2_N <= body[0] <= MAX_LOG2_N:
        raise FatalError(f"the key code asks for unsupported scrypt cost 2^{body[0]}")
    return body


def unwrap(code: str, passphrase: str) -> bytes:
    """The raw key inside ``code``; ``WrongPassphrase`` if it does not open."""
    body = parse(code)
    log2_n = body[0]
    salt = body[1 : 1 + SALT_LEN]
    nonce = body[1 + SALT_LEN : 1 + SALT_LEN + NONCE_LEN]
    sealed = body[1 + SALT_LEN + NONCE_LEN :]
    try:
        return AESGCM(_kek(passphrase, salt, log2_n)).decrypt(
            nonce, sealed, PREFIX.encode() + body[: 1 + SALT_LEN]
        )
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase for this key code; nothing was changed") from None
