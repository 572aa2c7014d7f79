"""The searchable text of a transcript's lines: who said it (prompt, reply, tool) and when.

A transcript (``projects/<folder>/<id>.jsonl``) only grows, a line at a time;
the last line may be torn by a crash.  ``read_from`` turns the complete lines
from a byte offset on into entries and says where it stopped, so an index can
come back for what is appended later without reading the start again.

What counts (see /work/shared/corpus and RESEARCH.md):

* ``user`` lines: text typed by a person (``prompt``), or ``tool_result``
  blocks (``tool``: the output a tool gave back);
* ``assistant`` lines: ``text`` and ``thinking`` blocks (``reply``),
  ``tool_use`` blocks (``tool``: the tool's name and its input);
* everything else (summaries, snapshots, system and queue lines, images,
  base64 documents) has no text worth finding.
"""

from __future__ import annotations

import datetime as dt
import json

from git_claude_sync.records import dataclass

ROLES = ("prompt", "reply", "tool")

#: Longer texts (a tool result holding a whole file) are cut: an index of
#: sessions, not of every file a session read.
MAX_TEXT = 64 * 1024
TITLE_LEN = 72


@dataclass(frozen=True)
class Entry:
    role: str  # "prompt" | "reply" | "tool"
    text: str
    time: float | None  # epoch seconds of the line's timestamp
    offset: int  # where the line starts in the file


@dataclass
class Read:
    entries: list[Entry]
    end: int  # just past the last complete line read
    session_id: str | None = None
    cwd: str | None = None
    title: str | None = None  # the first prompt a person typed, shortened
    messages: int = 0  # user and assistant lines (tool results included)
    first_time: float | None = None
    last_time: float | None = None


def read_from(data: bytes, start: int = 0) -> Read:
    """Entries of the complete lines of ``data`` from ``start`` (a line boundary) on."""
    end = data.rfind(b"\n") + 1
    result = Read([], max(end, start))
    if end <= start:
        return Read([], start)
    position = start
    for raw in data[start:end].split(b"\n"):
        offset, position = position, position + len(raw) + 1
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict):
            _take(line, offset, result)
    return result


def _take(line: dict[str, object], offset: int, result: Read) -> None:
    if result.session_id is None and isinstance(line.get("sessionId"), str):
        result.session_id = storable(str(line["sessionId"]))
    if result.cwd is None and isinstance(line.get("cwd"), str):
        result.cwd = storable(str(line["cwd"]))
    kind = line.get("type")
    if kind not in ("user", "assistant"):
        return
    moment = parse_time(line.get("timestamp"))
    if moment is not None:
        result.first_time = moment if result.first_time is None else min(result.first_time, moment)
        result.last_time = moment if result.last_time is None else max(result.last_time, moment)
    message = line.get("message")
    if not isinstance(message, dict):
        return
    result.messages += 1
    texts: dict[str, list[str]] = {}
    for role, text in _blocks(kind, message.get("content")):
        if text.strip():
            texts.setdefault(role, []).append(text)
    for role, parts in texts.items():
        text = storable("\n".join(parts)[:MAX_TEXT])
        result.entries.append(Entry(role, text, moment, offset))
        if role == "prompt" and result.title is None and not line.get("isMeta"):
            result.title = title_of(text)


def _blocks(kind: object, content: object) -> list[tuple[str, str]]:
    said = "prompt" if kind == "user" else "reply"
    if isinstance(content, str):
        return [(said, content)]
    if not isinstance(content, list):
        return []
    found = []
    for block in content:
        if not isinstance(block, dict):
            continue
        part = block.get("type")
        if part == "text" and isinstance(block.get("text"), str):
            found.append((said, str(block["text"])))
        elif part == "thinking" and isinstance(block.get("thinking"), str):
            found.append(("reply", str(block["thinking"])))
        elif part == "tool_use":
            found.append(("tool", f"{block.get('name', '')} {_plain(block.get('input'))}"))
        elif part == "tool_result":
            found.append(("tool", _plain(block.get("content"))))
    return found


def _plain(value: object) -> str:
    """Text of a tool's input or result: strings as they are, text blocks joined, no images."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_plain(v) for v in value if not _is_binary(v))
    if isinstance(value, dict):
        if value.get("type") == "text" and isinstance(value.get("text"), str):
            return str(value["text"])
        if _is_binary(value):
            return ""
        return "\n".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return "" if value is None else json.dumps(value)


def _is_binary(value: object) -> bool:
    return isinstance(value, dict) and value.get("type") in ("image", "document")


def storable(text: str) -> str:
    """``text`` as valid Unicode: JSON's ``\\ud83d`` escapes can leave half an emoji (a lone
    surrogate) that no UTF-8 encoder -- SQLite's included -- accepts."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def title_of(prompt: str) -> str | None:
    """A prompt as a title: one line, at most TITLE_LEN characters; None for markup."""
    if prompt.lstrip().startswith(("<", "[Request interrupted", "Caveat:")):
        return None
    text = " ".join(prompt.split())
    return text if len(text) <= TITLE_LEN else text[: TITLE_LEN - 1] + "…"


def parse_time(value: object) -> float | None:
    """Epoch seconds from a transcript's ISO timestamp (or epoch milliseconds)."""
    if isinstance(value, (int, float)):
        return value / 1000 if value > 1e11 else float(value)
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()
