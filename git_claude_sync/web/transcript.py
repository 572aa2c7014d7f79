"""A session transcript (Claude Code's JSONL) as entries a page can show.

Lines in file order (docs in shared/README: order by position, never by
timestamp); one assistant reply spans several lines sharing ``message.id``,
each shown as it comes.  Kinds: prompt, reply, thinking, tool call, tool
result, and "other" (summary, system lines).  A torn last line is skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 20_000  # one block shown at most this long; the rest is cut, said so


@dataclass(frozen=True)
class Entry:
    kind: str  # "prompt", "reply", "thinking", "tool-call", "tool-result", "other"
    text: str
    time: str = ""
    name: str = ""  # the tool's name, for a call


def _cut(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT} more characters)"


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif isinstance(block, dict) and block.get("type") == "image":
                parts.append("[image]")
        return "\n".join(parts)
    return json.dumps(content, ensure_ascii=False)


def _blocks(role: str, content: Any, when: str) -> list[Entry]:
    if isinstance(content, str):
        if not content.strip():
            return []
        return [Entry("prompt" if role == "user" else "reply", _cut(content), when)]
    entries = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            text = str(block.get("text", ""))
            if text.strip():  # an empty block (a reply that only called tools) shows nothing
                entries.append(Entry("prompt" if role == "user" else "reply", _cut(text), when))
        elif kind == "thinking":
            entries.append(Entry("thinking", _cut(str(block.get("thinking", ""))), when))
        elif kind == "tool_use":
            args = json.dumps(block.get("input", {}), indent=2, ensure_ascii=False)
            entries.append(Entry("tool-call", _cut(args), when, str(block.get("name", "?"))))
        elif kind == "tool_result":
            entries.append(Entry("tool-result", _cut(_result_text(block.get("content"))), when))
        elif kind == "image":
            entries.append(Entry("prompt" if role == "user" else "reply", "[image]", when))
    return entries


def entries(data: bytes) -> list[Entry]:
    found: list[Entry] = []
    for raw in data.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # a torn last line, or not JSON at all
        if not isinstance(line, dict):
            continue
        when = str(line.get("timestamp", ""))[:19].replace("T", " ")
        kind = line.get("type")
        message = line.get("message")
        if kind in ("user", "assistant") and isinstance(message, dict):
            role = str(message.get("role", kind))
            found.extend(_blocks(role, message.get("content"), when))
        elif kind == "summary":
            found.append(Entry("other", f"Summary: {line.get('summary', '')}", when))
        elif kind == "system" and line.get("content"):
            found.append(Entry("other", _cut(str(line.get("content"))), when))
    return found


def text_of(data: bytes) -> str:
    """Everything a person could search for in a transcript, as one text."""
    return "\n".join(e.text for e in entries(data))
