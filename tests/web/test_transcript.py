"""A transcript as the page shows it, from the shared corpus of real sessions."""

from __future__ import annotations

from pathlib import Path

from git_claude_sync.web import charts, transcript


def test_every_kind_of_entry_from_a_real_session(corpus: Path) -> None:
    data = (
        corpus / "projects" / "-experiments-ideas" / "03eb5929-52b3-4b13-ada3-b93ae35806b8.jsonl"
    ).read_bytes()
    kinds = {e.kind for e in transcript.entries(data)}
    assert {"prompt", "reply", "thinking", "tool-call", "tool-result"} <= kinds
    calls = [e for e in transcript.entries(data) if e.kind == "tool-call"]
    assert all(e.name for e in calls)
    # A torn last line (a crash mid-write) is skipped, the rest shown.
    torn = data + b'{"type":"user","message":{"role":"user","content":"half'
    assert transcript.entries(torn) == transcript.entries(data)


def test_a_plot_puts_each_value_where_it_belongs() -> None:
    drawn = charts.chart("t", "s", {"m push": [(100.0, 1.0), (200.0, 4.0)], "m pull": []})
    (pull, push) = drawn.series
    assert not pull.points and [p.value for p in push.points] == [1.0, 4.0]
    low, high = push.points
    assert low.x < high.x and low.y > high.y  # later to the right, larger higher
    assert high.y >= charts.TOP and low.y <= drawn.bottom_y
    assert charts.chart("t", "bytes", {}).empty


def test_empty_text_blocks_show_nothing() -> None:
    line = (
        b'{"type":"assistant","message":{"role":"assistant","content":'
        b'[{"type":"text","text":"\\n\\n"},{"type":"tool_use","name":"Bash","input":{}}]}}\n'
    )
    assert [e.kind for e in transcript.entries(line)] == ["tool-call"]
