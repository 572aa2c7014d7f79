"""D1, the zstd dictionary of blob encoding 2 (docs/spec/blob.md, "Payload").

A constant of the format: the skeletons of Claude Code's JSON lines (keys and enum values
such as ``"type":"assistant"``, nothing of any transcript's content), made by
``docs/vectors/make_blob_dictionary.py`` and shipped beside this module as the same bytes
as ``docs/spec/blob-dictionary-1.bin``.  A short piece (an appended line, a small file)
compressed alone has little to copy from; with D1 its keys cost almost nothing.  Because D1
is the same for every piece, a chunk's size still depends on its own piece only.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from git_claude_sync.errors import FatalError

if TYPE_CHECKING:
    import zstandard  # imported by d1(), as by the codec: only where a piece is compressed

FILE = Path(__file__).with_name("blob-dictionary-1.bin")
_REINSTALL = "the installed package is damaged, reinstall git-claude-sync"
LEVEL = 3  # the codec's zstd level, which the precomputed tables are for
SHA256 = "d9ab65f31cc83bc22a55de2a65943c1dd5f2ba45526706a6744270fb5ddce227"


@functools.cache
def d1() -> zstandard.ZstdCompressionDict:
    """D1 as a raw-content dictionary, read (and checked against the spec's digest) once."""
    try:
        data = FILE.read_bytes()
    except OSError as err:
        raise FatalError(f"cannot read {FILE.name} ({err.strerror}): {_REINSTALL}") from None
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise FatalError(f"{FILE.name} is not the format's D1: {_REINSTALL}")
    import zstandard

    d1 = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    # Its tables built once for the codec's level: each blob's compressor then refers to
    # them, where loading D1 again would cost ~0.1 ms a file (the same frames either way).
    d1.precompute_compress(level=LEVEL)
    return d1
