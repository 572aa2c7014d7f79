"""The one error type for expected failures.

Anything raised as ``FatalError`` reaches the user as a single line on stderr and
a non-zero exit; anything else is a bug and gets a traceback.  Messages must
never contain file contents: only paths, counts, fingerprints and advice.
"""

from __future__ import annotations

# C0, DEL and C1 controls (U+009B is a CSI to some terminals).  ui/report.py keeps
# the same table for names: it imports nothing, this module imports nothing either.
_CONTROL = {i: f"\\x{i:02x}" for i in [*range(0x20), *range(0x7F, 0xA0)]} | {
    0x0A: "\\n",
    0x09: "\\t",
}


def printable(text: str) -> str:
    """A message that may quote the remote (git's stderr, a name): printed with every
    control character escaped, so no escape sequence reaches the terminal."""
    return text.translate(_CONTROL)


class FatalError(Exception):
    """An expected failure, reported as one line (``str(err)``)."""

    exit_code = 1


def failure_line(err: FatalError | OSError) -> tuple[str, int]:
    """The one line (and exit code) a command ends with on an expected failure, or on a
    file that is not what it should be (a folder where a file belongs, no permission): a
    case nobody foresaw, but still one line naming the file.  cli.py and entry.py print it."""
    if isinstance(err, FatalError):
        # An error may quote the remote: no escape sequence reaches the terminal.
        return f"git-claude-sync: {printable(str(err))}", err.exit_code
    where = f"{err.filename}: " if err.filename else ""
    return f"git-claude-sync: {printable(f'{where}{err.strerror or err}')}", 1


class CodecError(FatalError):
    """A blob could not be decrypted: not ours, wrong key, or tampered."""


class NotEncrypted(CodecError):
    """The bytes do not start with the git-claude-sync header."""


class WrongKey(CodecError):
    """The blob was sealed with a key whose id differs from ours."""


class Tampered(CodecError):
    """Authentication failed: the ciphertext was changed, cut, reordered or moved."""


class NewerFormat(CodecError):
    """An authentic blob uses a part of the format this version does not know: upgrade."""
