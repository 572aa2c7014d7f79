from __future__ import annotations

from datetime import UTC, datetime

from git_claude_sync.claude.activity import activity_line, is_session_file, last_activity


def test_last_activity_is_the_last_timestamped_line() -> None:
    content = (
        b'{"timestamp":"2025-11-17T23:50:06.046Z","uuid":"a"}\n'
        b'{"timestamp":"2025-11-18T01:00:00.500Z","uuid":"b"}\n'
        b'{"type":"summary","summary":"no time"}\n'
        b"not json\n"
    )
    expected = datetime(2025, 11, 18, 1, 0, 0, 500000, tzinfo=UTC).timestamp()
    assert last_activity(content) == expected
    assert last_activity(content + b'{"timestamp":"2025-11-19') == expected  # torn line


def test_the_activity_line_alone_gives_the_same_answer() -> None:
    """A pull keeps only this line of a file it writes without holding (engine/incoming)."""
    content = (
        b'{"timestamp":"2025-11-17T23:50:06.046Z","uuid":"a"}\n'
        b'{"timestamp":"2025-11-18T01:00:00.500Z","uuid":"b"}\n'
        b'{"type":"summary","summary":"no time"}\n'
    )
    line = activity_line(content)
    assert line == b'{"timestamp":"2025-11-18T01:00:00.500Z","uuid":"b"}'
    assert last_activity(line) == last_activity(content)
    assert activity_line(b'{"type":"summary"}\n') == b""


def test_no_timestamp_no_activity() -> None:
    assert last_activity(b"") is None
    assert last_activity(b'{"timestamp":"yesterday"}\n{"timestamp":1700000000000}\n') is None
    assert last_activity(b'{"timestamp":"2025-11-18T01:00:00"}\n') is None  # no zone: unsure


def test_session_files_are_those_under_projects() -> None:
    assert is_session_file(b"projects/-x/1.jsonl")
    assert is_session_file(b"projects/-x/1/tool-results/a.txt")
    assert not is_session_file(b"history.jsonl")
