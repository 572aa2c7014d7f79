"""git's pkt-line framing (git_claude_sync.filters.pktline), over in-memory streams."""

from __future__ import annotations

import io
import random

import pytest
from git_claude_sync.filters import pktline
from git_claude_sync.filters.pktline import MAX_DATA, ProtocolError


def _stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def test_max_data_is_gits_limit() -> None:
    assert MAX_DATA == 65520 - 4  # LARGE_PACKET_MAX minus the 4-byte length


def test_packet_round_trip() -> None:
    out = io.BytesIO()
    pktline.write_packet(out, b"hello\n")
    assert out.getvalue() == b"000ahello\n"
    assert pktline.read_packet(_stream(out.getvalue())) == b"hello\n"


def test_flush() -> None:
    out = io.BytesIO()
    pktline.write_flush(out)
    assert out.getvalue() == b"0000"
    assert pktline.read_packet(_stream(b"0000")) is None


def test_empty_packet_is_not_a_flush() -> None:
    assert pktline.read_packet(_stream(b"0004")) == b""


def test_length_is_lowercase_hex_and_uppercase_is_read() -> None:
    out = io.BytesIO()
    pktline.write_packet(out, bytes(6))
    assert out.getvalue()[:4] == b"000a"
    assert pktline.read_packet(_stream(b"000A" + bytes(6))) == bytes(6)


def test_text_list_round_trip() -> None:
    items = [b"git-filter-client", b"version=2", b"", b"pathname=a b/c\xe9.jsonl"]
    out = io.BytesIO()
    pktline.write_text_list(out, items)
    assert out.getvalue() == (
        b"0016git-filter-client\n000eversion=2\n0005\n001apathname=a b/c\xe9.jsonl\n0000"
    )
    stream = _stream(out.getvalue() + b"trailing")
    assert pktline.read_text_list(stream) == items
    assert stream.read() == b"trailing"  # stops right after the flush


def test_text_list_without_newlines_is_read() -> None:
    assert pktline.read_text_list(_stream(b"0007abc0007de\n0000")) == [b"abc", b"de"]


def test_empty_text_list() -> None:
    out = io.BytesIO()
    pktline.write_text_list(out, [])
    assert out.getvalue() == b"0000"
    assert pktline.read_text_list(_stream(b"0000")) == []


def _content_round_trip(data: bytes) -> bytes:
    out = io.BytesIO()
    pktline.write_content(out, data)
    wire = out.getvalue()
    stream = _stream(wire)
    assert pktline.read_content(stream) == data
    assert stream.read() == b""
    return wire


def _packet_lengths(wire: bytes) -> list[int]:
    """Data length of every packet in ``wire``; a flush is -1."""
    lengths, pos = [], 0
    while pos < len(wire):
        n = int(wire[pos : pos + 4], 16)
        lengths.append(n - 4 if n else -1)
        pos += max(n, 4)
    return lengths


def test_empty_content_is_just_a_flush() -> None:
    assert _content_round_trip(b"") == b"0000"


def test_content_exactly_max_data_is_one_packet() -> None:
    data = bytes(range(256)) * (MAX_DATA // 256) + bytes(MAX_DATA % 256)
    assert len(data) == MAX_DATA
    wire = _content_round_trip(data)
    assert wire[:4] == b"fff0"
    assert _packet_lengths(wire) == [MAX_DATA, -1]


def test_content_one_byte_over_max_data() -> None:
    wire = _content_round_trip(b"y" * (MAX_DATA + 1))
    assert _packet_lengths(wire) == [MAX_DATA, 1, -1]


def test_content_larger_than_several_packets() -> None:
    data = random.Random(5).randbytes(3 * MAX_DATA + 12345)
    wire = _content_round_trip(data)
    assert _packet_lengths(wire) == [MAX_DATA, MAX_DATA, MAX_DATA, 12345, -1]


def test_content_random_sizes() -> None:
    rng = random.Random(11)
    sizes = [0, 1, MAX_DATA - 1, MAX_DATA, MAX_DATA + 1, 2 * MAX_DATA, 2 * MAX_DATA + 1]
    sizes += [rng.randrange(0, 4 * MAX_DATA) for _ in range(30)]
    for size in sizes:
        data = rng.randbytes(size)
        lengths = _packet_lengths(_content_round_trip(data))
        assert lengths[-1] == -1
        assert all(0 < n <= MAX_DATA for n in lengths[:-1])
        assert sum(lengths[:-1]) == size


def test_content_accepts_a_memoryview_source() -> None:
    out = io.BytesIO()
    pktline.write_content(out, bytes(memoryview(b"abc" * 30000)))
    assert pktline.read_content(_stream(out.getvalue())) == b"abc" * 30000


def test_a_whole_filter_exchange_in_one_stream() -> None:
    out = io.BytesIO()
    pktline.write_text_list(out, [b"command=smudge", b"pathname=x"])
    pktline.write_content(out, b"z" * (MAX_DATA + 10))
    pktline.write_text_list(out, [b"status=success"])
    stream = _stream(out.getvalue())
    assert pktline.read_text_list(stream) == [b"command=smudge", b"pathname=x"]
    assert pktline.read_content(stream) == b"z" * (MAX_DATA + 10)
    assert pktline.read_text_list(stream) == [b"status=success"]
    with pytest.raises(EOFError):
        pktline.read_packet(stream)


@pytest.mark.parametrize("wire", [b"", b"00", b"000"], ids=["nothing", "2-bytes", "3-bytes"])
def test_eof_before_length(wire: bytes) -> None:
    with pytest.raises(EOFError):
        pktline.read_packet(_stream(wire))


def test_eof_mid_packet() -> None:
    with pytest.raises(EOFError):
        pktline.read_packet(_stream(b"000ahel"))
    with pytest.raises(EOFError):
        pktline.read_content(_stream(b"0008abcd0008ab"))


@pytest.mark.parametrize("head", [b"zzzz", b"00g0", b"\xff\xff\xff\xff"])
def test_bad_length(head: bytes) -> None:
    with pytest.raises(ProtocolError):
        pktline.read_packet(_stream(head + b"data"))


@pytest.mark.parametrize("head", [b"0001", b"0002", b"0003"])
def test_reserved_lengths(head: bytes) -> None:
    with pytest.raises(ProtocolError):
        pktline.read_packet(_stream(head))


def test_write_packet_refuses_oversized_data() -> None:
    out = io.BytesIO()
    with pytest.raises((ValueError, ProtocolError)):
        pktline.write_packet(out, b"x" * (MAX_DATA + 1))


@pytest.mark.parametrize("head", [b"+00a", b" 00a", b"0x0a", b"0_0a"])
def test_length_must_be_four_hex_digits(head: bytes) -> None:
    with pytest.raises(ProtocolError):
        pktline.read_packet(_stream(head + b"123456"))
