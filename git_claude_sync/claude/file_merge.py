"""Three-way merge of one file's plaintext, in memory, by the kind of file it is.

``merge_file(path, base, ours, theirs)`` never writes anything and never puts
file content in ``MergeResult.reason``.  ``path`` is the repository path
(relative to the Claude directory, ``/``-separated bytes); ``base`` is ``None``
when both sides added the file.

Rules common to every kind, applied first: equal sides give ours; a side equal
to the base gives the other side.  Then a side holding a NUL byte makes the
file binary: a conflict.  Otherwise, by path:

Session transcripts (``projects/**/*.jsonl``, and any other ``*.jsonl`` but
``history.jsonl``): a union of lines by identity.  A line's identity is its
``uuid`` when it parses as a JSON object with a string ``uuid``, else its exact
bytes; the k-th occurrence of an identity in a side is a distinct line, so a
side's own repeats are kept.  The result does not depend on the base (sessions
only grow: a line one side removed is kept if the other side still has it), nor
on which side is ours (see *ordering*), so two machines merging the same pair
write the same bytes and converge.

*Ordering.*  The two sides' complete lines are first put in a canonical order
(the smaller line list is "A"), so nothing below depends on which one is ours.
The longest common subsequence of identities (``difflib.SequenceMatcher`` on
everything after the common prefix) is kept in place; between two kept runs,
the lines only A has and the lines only B has each stay together as a block, in
their own order, and the two blocks are ordered by the ``timestamp`` of the
first line in the block that has one (a block with none sorts first), then by
the block's bytes.  Timestamps thus only choose which of two concurrent tails
comes first (the one that started earlier); lines of one side are never
reordered.  A line both sides hold under one identity but with different bytes
(never seen in Claude Code's own files) takes the side that differs from the
base, else the greater bytes, and is counted in ``reason``.

*Torn last line.*  A side not ending in ``\\n`` ends with a torn line (a write in
progress).  Ours' torn line is kept, unchanged, as the last line of the result:
it is the local write still going on, and the caller must not push it.  A torn
line from theirs is dropped (it should never have been pushed; ``reason`` says
so).  This is the one place the result depends on which side is ours.

``history.jsonl``: the union of lines by exact bytes, duplicates dropped,
sorted by the numeric ``timestamp`` field, then bytes.  A line without one
(unparseable, or no number) sorts just after the line before it in its side.
Torn last lines as for sessions.

``*.json``: a structural three-way merge by key, recursive through objects;
any other value (lists included) is compared whole.  A key set to different
values on both sides, or changed on one side and deleted on the other, is a
conflict.  A result equal to one side is that side's exact bytes; otherwise it
is ``json.dumps(indent=2, ensure_ascii=False)`` plus a newline, keys in ours'
order then theirs' new keys.  A side that is not valid JSON: merged as text.

Other text: diff3 on lines (split after ``\\n``).  Edits to different regions
merge; overlapping different edits are a conflict, with ``marked`` holding the
file with git-style ``--diff3`` conflict markers for an editor.

On any conflict ``data`` is ours, unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from difflib import SequenceMatcher
from typing import Any

from git_claude_sync.records import dataclass

SESSION = "session"
HISTORY = "history"
JSON = "json"
TEXT = "text"
BINARY = "binary"

MARKER_LABELS = ("local", "base", "remote")


@dataclass(frozen=True)
class MergeResult:
    data: bytes  # the merged content; ours when ``conflict``
    conflict: bool
    kind: str = TEXT
    reason: str = ""  # for logs and prompts: never contains file content
    marked: bytes | None = None  # text with conflict markers, for an editor


def kind_of(path: bytes) -> str:
    """The merge rule for a repository path (``/``-separated bytes)."""
    name = path.rsplit(b"/", 1)[-1]
    if path == b"history.jsonl":
        return HISTORY
    if name.endswith(b".jsonl"):
        return SESSION
    if name.endswith(b".json"):
        return JSON
    return TEXT


def merge_file(path: bytes, base: bytes | None, ours: bytes, theirs: bytes) -> MergeResult:
    """Merge one file three-way; ``base`` is ``None`` when both sides added it."""
    kind = kind_of(path)
    if ours == theirs:
        return MergeResult(ours, False, kind, "same on both sides")
    if base is not None and base == ours:
        return MergeResult(theirs, False, kind, "changed on their side only")
    if base is not None and base == theirs:
        return MergeResult(ours, False, kind, "changed on our side only")
    if b"\0" in ours or b"\0" in theirs or (base is not None and b"\0" in base):
        return MergeResult(ours, True, BINARY, "binary file changed on both sides")
    if kind == SESSION:
        return merge_session(base, ours, theirs)
    if kind == HISTORY:
        return merge_history(base, ours, theirs)
    if kind == JSON:
        return merge_json(base, ours, theirs)
    return merge_text(base, ours, theirs)


# --- lines ------------------------------------------------------------------


def split_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete lines (each ending in ``\\n``) and the torn rest (``b""`` if none)."""
    end = data.rfind(b"\n") + 1
    lines = [piece + b"\n" for piece in data[: end - 1].split(b"\n")] if end else []
    return lines, data[end:]


def _torn_note(ours_torn: bytes, theirs_torn: bytes) -> list[str]:
    notes = []
    if ours_torn:
        notes.append("kept our torn last line at the end")
    if theirs_torn and theirs_torn != ours_torn:
        notes.append("dropped a torn last line from their side")
    return notes


# --- sessions ---------------------------------------------------------------


def _parse_object(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    return value if isinstance(value, dict) else None


def _may_hold(line: bytes, key: bytes) -> bool:
    # A key can only be spelled with a \u escape otherwise: skip the parse when
    # neither the key nor any escape appears.
    return line.startswith(b"{") and (key in line or b"\\u" in line)


class _Line:
    """A session line with its identity and (lazily) its timestamp."""

    __slots__ = ("data", "key")

    def __init__(self, data: bytes, identity: tuple[str, bytes], occurrence: int) -> None:
        self.data = data
        self.key = (identity, occurrence)

    def timestamp(self) -> str | None:
        if not _may_hold(self.data, b"timestamp"):
            return None
        obj = _parse_object(self.data)
        stamp = obj.get("timestamp") if obj is not None else None
        return stamp if isinstance(stamp, str) else None


def _identity(line: bytes) -> tuple[str, bytes]:
    if _may_hold(line, b"uuid"):
        obj = _parse_object(line)
        if obj is not None:
            uuid = obj.get("uuid")
            if isinstance(uuid, str):
                return ("uuid", uuid.encode("utf-8", "surrogatepass"))
    return ("bytes", line)


def _keyed(lines: Sequence[bytes]) -> list[_Line]:
    seen: dict[tuple[str, bytes], int] = {}
    out = []
    for data in lines:
        identity = _identity(data)
        occurrence = seen.get(identity, 0)
        seen[identity] = occurrence + 1
        out.append(_Line(data, identity, occurrence))
    return out


def _block_order(block: Sequence[_Line]) -> tuple[str, bytes]:
    stamp = next((s for s in (line.timestamp() for line in block) if s is not None), "")
    return (stamp, b"".join(line.data for line in block))


def merge_session(base: bytes | None, ours: bytes, theirs: bytes) -> MergeResult:
    result = _merge_session(ours, theirs, lambda: split_lines(base or b"")[0])
    assert result is not None  # the base is known
    return result


def merge_session_rest(ours: bytes, theirs: bytes) -> MergeResult | None:
    """``merge_session`` of what two sides hold after the complete lines they share.

    The result, after those lines, is the merge of the whole sides: shared lines
    are the same bytes at the start of both, so the merge starts with them, and a
    line's occurrence number in the rest is its whole one less the same count on
    both sides.  None when a line has one identity but different bytes on the two
    sides: only the base (whole, numbered from its start) says which to keep.
    """
    return _merge_session(ours, theirs, lambda: None)


def _merge_session(
    ours: bytes, theirs: bytes, base_lines: Callable[[], Sequence[bytes] | None]
) -> MergeResult | None:
    ours_lines, ours_torn = split_lines(ours)
    theirs_lines, theirs_torn = split_lines(theirs)
    side_a, side_b = sorted((ours_lines, theirs_lines))
    a, b = _keyed(side_a), _keyed(side_b)
    base_bytes: dict[object, bytes] | None = None  # read only for a line that differs

    out: list[bytes] = []
    emitted: set[object] = set()
    differing = 0

    def emit(line: _Line) -> None:
        if line.key not in emitted:
            emitted.add(line.key)
            out.append(line.data)

    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix].key == b[prefix].key:
        prefix += 1
    matcher = SequenceMatcher(
        None, [x.key for x in a[prefix:]], [x.key for x in b[prefix:]], autojunk=False
    )
    runs = [(0, 0, prefix)]
    runs += [(i + prefix, j + prefix, n) for i, j, n in matcher.get_matching_blocks()]
    ia = ib = 0
    for i, j, n in runs:
        blocks = [blk for blk in (a[ia:i], b[ib:j]) if blk]
        for block in sorted(blocks, key=_block_order):
            for line in block:
                emit(line)
        for k in range(n):
            la, lb = a[i + k], b[j + k]
            if la.data != lb.data:
                differing += 1
                if base_bytes is None:
                    lines = base_lines()
                    if lines is None:
                        return None
                    base_bytes = {line.key: line.data for line in _keyed(lines)}
                was = base_bytes.get(la.key)
                # The side that changed it, else the greater bytes: symmetric.
                if was == la.data or (was != lb.data and lb.data > la.data):
                    la = lb
            emit(la)
        ia, ib = i + n, j + n

    data = b"".join(out) + ours_torn
    notes = _torn_note(ours_torn, theirs_torn)
    if differing:
        notes.append(f"{differing} line(s) had one identity but different bytes; kept one version")
    if data == ours:
        data = ours
    return MergeResult(data, False, SESSION, "; ".join(["union of lines", *notes]))


# --- history.jsonl ----------------------------------------------------------


def _history_keys(lines: Sequence[bytes]) -> Iterator[tuple[float, int, bytes]]:
    previous = float("-inf")
    for line in lines:
        obj = _parse_object(line) if _may_hold(line, b"timestamp") else None
        stamp = obj.get("timestamp") if obj is not None else None
        if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and stamp == stamp:
            previous = float(stamp)
            yield (previous, 0, line)
        else:
            yield (previous, 1, line)  # just after the line before it


def merge_history(base: bytes | None, ours: bytes, theirs: bytes) -> MergeResult:
    ours_lines, ours_torn = split_lines(ours)
    theirs_lines, theirs_torn = split_lines(theirs)
    best: dict[bytes, tuple[float, int, bytes]] = {}
    for key in (*_history_keys(ours_lines), *_history_keys(theirs_lines)):
        known = best.get(key[2])
        if known is None or key < known:
            best[key[2]] = key
    data = b"".join(key[2] for key in sorted(best.values())) + ours_torn
    if data == ours:
        data = ours
    notes = _torn_note(ours_torn, theirs_torn)
    return MergeResult(data, False, HISTORY, "; ".join(["union ordered by timestamp", *notes]))


# --- JSON -------------------------------------------------------------------


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _same(x: Any, y: Any) -> bool:
    """JSON equality: types must match (``true`` is not ``1``, ``1`` is not ``1.0``)."""
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y, strict=True))
    return bool(x == y) or (x != x and y != y)  # NaN equals NaN here


def _merge_value(base: Any, ours: Any, theirs: Any, conflicts: list[int]) -> Any:
    if _same(ours, theirs):
        return ours
    if _same(base, ours):
        return theirs
    if _same(base, theirs):
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if base is MISSING:
            base = {}
        if isinstance(base, dict):
            return _merge_object(base, ours, theirs, conflicts)
    conflicts[0] += 1
    return ours


def _merge_object(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any], conflicts: list[int]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    # Keys gone from both sides stay gone: only ours' keys, then theirs' new ones.
    for key in [*ours, *(k for k in theirs if k not in ours)]:
        value = _merge_value(
            base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING), conflicts
        )
        if value is not MISSING:
            result[key] = value
    return result


def merge_json(base: bytes | None, ours: bytes, theirs: bytes) -> MergeResult:
    try:
        o, t = json.loads(ours), json.loads(theirs)
        b = json.loads(base) if base is not None else MISSING
    except ValueError:
        text = merge_text(base, ours, theirs)
        note = "not valid JSON, merged as text"
        reason = f"{note}; {text.reason}" if text.reason else note
        return MergeResult(text.data, text.conflict, TEXT, reason, text.marked)
    conflicts = [0]
    merged = _merge_value(b, o, t, conflicts)
    if conflicts[0]:
        marked = merge_text(base, ours, theirs).marked
        reason = f"{conflicts[0]} key(s) changed differently on both sides"
        return MergeResult(ours, True, JSON, reason, marked)
    if _same(merged, o):
        return MergeResult(ours, False, JSON, "merged by key")
    if _same(merged, t):
        return MergeResult(theirs, False, JSON, "merged by key")
    data = (json.dumps(merged, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return MergeResult(data, False, JSON, "merged by key")


# --- diff3 ------------------------------------------------------------------


Region = tuple[str, int, int, int, int, int, int]  # kind, base i..j, ours i..j, theirs i..j


def _sync_regions(base: list[bytes], a: list[bytes], b: list[bytes]) -> list[tuple[int, ...]]:
    """Runs of base lines kept unchanged by both sides (as in bzr's merge3)."""
    amatch = SequenceMatcher(None, base, a, autojunk=False).get_matching_blocks()
    bmatch = SequenceMatcher(None, base, b, autojunk=False).get_matching_blocks()
    ia = ib = 0
    regions: list[tuple[int, ...]] = []
    while ia < len(amatch) and ib < len(bmatch):
        abase, astart, alen = amatch[ia]
        bbase, bstart, blen = bmatch[ib]
        lo, hi = max(abase, bbase), min(abase + alen, bbase + blen)
        if lo < hi:
            asub, bsub = astart + lo - abase, bstart + lo - bbase
            regions.append((lo, hi, asub, asub + hi - lo, bsub, bsub + hi - lo))
        if abase + alen < bbase + blen:
            ia += 1
        else:
            ib += 1
    regions.append((len(base), len(base), len(a), len(a), len(b), len(b)))
    return regions


def diff3_regions(base: list[bytes], a: list[bytes], b: list[bytes]) -> list[Region]:
    """Regions ``unchanged``, ``same``, ``ours``, ``theirs`` or ``conflict``."""
    out: list[Region] = []
    iz = ia = ib = 0
    for zs, ze, as_, ae, bs, be in _sync_regions(base, a, b):
        if as_ > ia or bs > ib:
            if a[ia:as_] == b[ib:bs]:
                kind = "same"
            elif a[ia:as_] == base[iz:zs]:
                kind = "theirs"
            elif b[ib:bs] == base[iz:zs]:
                kind = "ours"
            else:
                kind = "conflict"
            out.append((kind, iz, zs, ia, as_, ib, bs))
        if ze > zs:
            out.append(("unchanged", zs, ze, as_, ae, bs, be))
        iz, ia, ib = ze, ae, be
    return out


def _block(lines: Sequence[bytes]) -> bytes:
    text = b"".join(lines)
    return text + b"\n" if text and not text.endswith(b"\n") else text


def merge_text(
    base: bytes | None,
    ours: bytes,
    theirs: bytes,
    labels: tuple[str, str, str] = MARKER_LABELS,
) -> MergeResult:
    """diff3 on lines; ``marked`` holds git-style ``--diff3`` markers on conflict."""
    zl, al, bl = _lines(base or b""), _lines(ours), _lines(theirs)
    merged: list[bytes] = []
    marked: list[bytes] = []
    conflicts = 0
    for kind, z0, z1, a0, a1, b0, b1 in diff3_regions(zl, al, bl):
        if kind == "conflict":
            conflicts += 1
            marked.append(b"<<<<<<< " + labels[0].encode() + b"\n")
            marked.append(_block(al[a0:a1]))
            marked.append(b"||||||| " + labels[1].encode() + b"\n")
            marked.append(_block(zl[z0:z1]))
            marked.append(b"=======\n")
            marked.append(_block(bl[b0:b1]))
            marked.append(b">>>>>>> " + labels[2].encode() + b"\n")
            continue
        chunk = bl[b0:b1] if kind == "theirs" else al[a0:a1]
        merged.extend(chunk)
        marked.extend(chunk)
    if conflicts:
        reason = f"{conflicts} overlapping change(s)"
        return MergeResult(ours, True, TEXT, reason, b"".join(marked))
    return MergeResult(b"".join(merged), False, TEXT, "merged lines")


def _lines(data: bytes) -> list[bytes]:
    lines, torn = split_lines(data)
    return [*lines, torn] if torn else lines
