"""``history.jsonl`` across machines: the ``project`` of each line, machine-independent.

Claude Code's up-arrow history shows the lines whose ``project`` is the
current directory's absolute path, so a line written on a Mac
(``/Users/alice/code/api``) would never come up on a Linux box
(``/home/alice/code/api``).  The repo stores ``project`` in its canonical form
(``~/code/api``, docs/MAPPING.md) and each machine reads it as its own path.

Both directions change a line only when the other direction gives the line
back (``to_local(to_canonical(x)) == x`` for this machine's lines, and the
reverse for stored ones), so the clean filter is deterministic and a checked
out file cleans to the very blob it came from.  Only the ``project`` value
changes, byte for byte everything else stays; a line that is not JSON, has no
string ``project`` or holds the key more than once is left as it is.  (A
JSON string cannot hold an unescaped ``"project":``, so a match is a key.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from git_claude_sync.claude import file_kinds

# The mapping (project_folders, and the machine's paths under it) and json are loaded only
# where a history.jsonl is translated: the filter process imports this module to tell that
# file from the others, and started ~10 ms later with them (issue 8).
if TYPE_CHECKING:
    from git_claude_sync.claude.project_folders import Mapping
    from git_claude_sync.machine.paths import Layout

HISTORY_PATH = b"history.jsonl"
# The key with its JSON string value, then the rest of its line: the whole content is split
# at once, in C, and a second key on a line lies in that rest (``\s`` less the newline, which
# a line cannot hold; nor can the value).
_PROJECT = re.compile(rb'("project"[ \t\r\v\f]*:[ \t\r\v\f]*"[^"\\\n]*(?:\\.[^"\\\n]*)*")([^\n]*)')
_Move = Callable[[str], str]
#: A content larger than this is translated a block of lines at a time.
_BLOCK = 1 << 16


def is_history(path: bytes) -> bool:
    return path == HISTORY_PATH


def _encode(value: str) -> bytes:
    import json  # only for a history.jsonl being translated (see the note on imports)

    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _move(token: bytes, there: _Move, back: _Move) -> bytes | None:
    """The translated JSON string for ``token``, or None to leave it."""
    import json

    try:
        value = json.loads(token)
    except ValueError:
        return None
    if not isinstance(value, str) or _encode(value) != token:
        return None  # written with other escapes: could not be given back byte for byte
    moved = there(value)
    if moved == value or back(moved) != value:
        return None
    return _encode(moved)


def _translate(
    content: bytes, there: _Move, back: _Move, known: dict[bytes, bytes | None] | None = None
) -> bytes:
    """``content`` with each line's ``project`` moved; ``known``: the moves found so far."""
    if b'"project"' not in content:
        return content
    known = {} if known is None else known
    # [text, key and value, rest of its line, text, ...]: one pass in C, where a loop over the
    # lines took ~100 ms for a 7 MB history.jsonl (25k lines), cleaned on every push.
    parts = _PROJECT.split(content)
    found = parts[1::3]
    here = set(found)
    for match in here.difference(known):
        known[match] = _move_match(match, there, back)
    moving = {match: moved for match in here if (moved := known[match]) is not None}
    if not moving:
        return content
    parts[1::3] = map(moving.get, found, found)
    if content.count(b'"project"') != len(found):
        # Each key found begins a "project" of its own, and so would a second key on its
        # line (in its rest), none overlapping; count finds the most that do not overlap, so
        # only with more "project"s than keys can a line hold two (rare; the rule leaves
        # that line alone).
        for i, rest in enumerate(parts[2::3]):
            if b'"project"' in rest and _PROJECT.search(rest):
                parts[3 * i + 1] = found[i]
    return b"".join(parts)


def _move_match(match: bytes, there: _Move, back: _Move) -> bytes | None:
    """``match`` (key, colon, value) with the value translated, or None to leave it."""
    value = match.index(b'"', len(b'"project"'))
    moved = _move(match[value:], there, back)
    return None if moved is None else match[:value] + moved


def to_canonical(content: bytes, mapping: Mapping) -> bytes:
    """This machine's ``history.jsonl`` as stored: projects relative to home (or a rule)."""
    return _translate_whole(content, mapping.canonical_path, mapping.local_path)


def to_local(content: bytes, mapping: Mapping) -> bytes:
    """A stored ``history.jsonl`` as this machine's Claude Code reads it."""
    return _translate_whole(content, mapping.local_path, mapping.canonical_path)


def _translate_whole(content: bytes, there: _Move, back: _Move) -> bytes:
    """``_translate`` of ``content``, a block of lines at a time if it is large (see
    _whole_lines): ~40 ms cold for the bench's 7 MB history.jsonl instead of ~50."""
    if len(content) <= _BLOCK or b'"project"' not in content:
        return _translate(content, there, back)
    known: dict[bytes, bytes | None] = {}
    blocks = (content[start : start + _BLOCK] for start in range(0, len(content), _BLOCK))
    return b"".join(_translate(lines, there, back, known) for lines in _whole_lines(blocks))


def to_canonical_parts(parts: Iterable[bytes], mapping: Mapping) -> Iterator[bytes]:
    """``to_canonical`` of the content ``parts`` make up, a few lines at a time."""
    known: dict[bytes, bytes | None] = {}
    for lines in _whole_lines(parts):
        yield _translate(lines, mapping.canonical_path, mapping.local_path, known)


def to_local_parts(parts: Iterable[bytes], mapping: Mapping) -> Iterator[bytes]:
    """``to_local`` of the content ``parts`` make up, a few lines at a time."""
    known: dict[bytes, bytes | None] = {}
    for lines in _whole_lines(parts):
        yield _translate(lines, mapping.local_path, mapping.canonical_path, known)


def _whole_lines(parts: Iterable[bytes]) -> Iterator[bytes]:
    """``parts`` joined or cut to end at line ends, any rest last.  The rule is per line, so
    these translate to the same bytes as the whole, without the 7 MB buffers of fresh pages
    a whole history.jsonl cost (five in a clean; a page fault took ~4 us on the bench's VM)."""
    return file_kinds.line_ended(parts, rest=True)


def mapping_beside(git_dir: Path) -> Mapping:
    """This machine's mapping, for the filters (which know only the sync repo's git dir)."""
    from git_claude_sync.claude import project_folders
    from git_claude_sync.machine.paths import Layout

    return project_folders.load(Layout.of_git_dir(git_dir))


def stored_as_local(path: bytes, plaintext: bytes, layout: Layout) -> bytes:
    """A stored file as this machine's Claude Code reads it (only history.jsonl changes)."""
    if not is_history(path):
        return plaintext
    from git_claude_sync.claude import project_folders

    return to_local(plaintext, project_folders.load(layout))


def local_as_stored(path: bytes, plaintext: bytes, layout: Layout) -> bytes:
    """A file as it is stored (history.jsonl stored before this: read as if it were)."""
    if not is_history(path):
        return plaintext
    from git_claude_sync.claude import project_folders

    return to_canonical(plaintext, project_folders.load(layout))
