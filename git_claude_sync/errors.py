"""The one error type for expected failures.

Anything raised as ``FatalError`` reaches the user as a single line on stderr and
a non-zero exit; anything else is a bug and gets a traceback.  Messages must
never contain file contents: only paths, counts, fingerprints and advice.
"""

from __future__ import annotations


class FatalError(Exception):
    """An expected failure, reported as one line (``str(err)``)."""

    exit_code = 1


class CodecError(FatalError):
    """A blob could not be decrypted: not ours, wrong key, or tampered."""


class NotEncrypted(CodecError):
    """The bytes do not start with the git-claude-sync header."""


class WrongKey(CodecError):
    """The blob was sealed with a key whose id differs from ours."""


class Tampered(CodecError):
    """Authentication failed: the ciphertext was changed, cut, reordered or moved."""
