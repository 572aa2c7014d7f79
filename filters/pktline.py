"""git's pkt-line framing (``gitprotocol-common``): 4 hex digits of length, then data.

``0000`` is a flush packet.  A packet carries at most 65516 bytes of data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

MAX_DATA = 65516
FLUSH = b"0000"
_HEX4 = re.compile(rb"[0-9a-fA-F]{4}")


class ProtocolError(Exception):
    pass


def read_packet(stream: BinaryIO) -> bytes | None:
    """One packet's data, or ``None`` for a flush packet."""
    head = stream.read(4)
    if len(head) < 4:
        raise EOFError("git closed the filter pipe")
    if not _HEX4.fullmatch(head):
        raise ProtocolError(f"bad pkt-line length {head!r}")
    length = int(head, 16)
    if length == 0:
        return None
    if length < 4:
        raise ProtocolError(f"reserved pkt-line length {length}")
    data = stream.read(length - 4)
    if len(data) != length - 4:
        raise EOFError("git closed the filter pipe mid-packet")
    return data


def read_text_list(stream: BinaryIO) -> list[bytes]:
    """Packets up to the next flush, each without its trailing newline."""
    items = []
    while (packet := read_packet(stream)) is not None:
        items.append(packet[:-1] if packet.endswith(b"\n") else packet)
    return items


def read_content(stream: BinaryIO) -> bytes:
    """Binary packets up to the next flush, joined."""
    return b"".join(iter_content(stream))


def iter_content(stream: BinaryIO) -> Iterator[bytes]:
    """Binary packets up to the next flush, one at a time."""
    while (packet := read_packet(stream)) is not None:
        yield packet


def write_packet(stream: BinaryIO, data: bytes) -> None:
    if len(data) > MAX_DATA:
        raise ProtocolError(f"a packet carries at most {MAX_DATA} bytes, not {len(data)}")
    stream.write(b"%04x" % (len(data) + 4) + data)


def write_flush(stream: BinaryIO) -> None:
    stream.write(FLUSH)


def write_text_list(stream: BinaryIO, items: list[bytes]) -> None:
    for item in items:
        write_packet(stream, item + b"\n")
    write_flush(stream)


def write_content(stream: BinaryIO, data: bytes) -> None:
    write_content_parts(stream, [data])
    write_flush(stream)


def write_content_parts(stream: BinaryIO, parts: Iterable[bytes]) -> None:
    """Byte strings of any size as data packets (no flush: the caller ends the content)."""
    for data in parts:
        view = memoryview(data)
        for start in range(0, len(data), MAX_DATA):
            write_packet(stream, bytes(view[start : start + MAX_DATA]))
