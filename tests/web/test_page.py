"""``git claude-sync ui`` in a real headless Chromium, over two real machines.

Every figure comes from real syncs: the machines push and pull through the
CLI, and the page reads what they recorded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from git_claude_sync.engine.conflict_copies import NEEDS_A_PERSON
from tests.machines import Machine, carry_metrics_next
from tests.web.conftest import Page, start_ui, stop_ui

SESSION = "03eb5929-52b3-4b13-ada3-b93ae35806b8"
FOLDER = "-experiments-ideas"


@pytest.fixture
def synced(pair: tuple[Machine, Machine], corpus: Path) -> tuple[Machine, Machine]:
    """A's sessions on both machines, syncs recorded both ways, a conflict waiting on B."""
    a, b = pair
    shutil.copytree(corpus / "projects" / FOLDER, a.claude / "projects" / FOLDER)
    a.write("CLAUDE.md", b"# notes\nuse tabs\n")
    a.run("push")
    b.run("pull")
    b.write("projects/-b-work/11111111-2222-3333-4444-555555555555.jsonl",
            b'{"type":"user","sessionId":"11111111-2222-3333-4444-555555555555",'
            b'"timestamp":"2026-01-02T03:04:05Z","cwd":"/b/work",'
            b'"message":{"role":"user","content":"hello from b"}}\n')  # fmt: skip
    b.run("push")
    a.run("pull")
    a.write("CLAUDE.md", b"# notes\nuse spaces (a)\n")
    carry_metrics_next(a)  # (a commit carries them at most every 15 minutes)
    a.run("push")  # carries A's records of the syncs above
    b.write("CLAUDE.md", b"# notes\nuse tabs, width 8 (b)\n")
    assert b.run("pull", check=False).returncode == NEEDS_A_PERSON
    return a, b


@pytest.fixture
def page(synced: tuple[Machine, Machine]) -> Iterator[Page]:
    running = start_ui(synced[1])
    try:
        yield running
    finally:
        stop_ui(running)


def _shot(tab: Any, screenshots: Path | None, name: str) -> None:
    if screenshots is not None:
        tab.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_every_page_in_a_browser(
    synced: tuple[Machine, Machine], page: Page, browser: Any, screenshots: Path | None
) -> None:
    a, b = synced
    tab = browser.new_page()
    requested: list[str] = []
    tab.on("request", lambda r: requested.append(r.url))
    tab.goto(page.url)
    # The secret leaves the address bar for a cookie.
    assert tab.url == f"{page.base}/sessions"
    rows = tab.locator("#sessions tr.session")
    assert rows.count() >= 3
    _shot(tab, screenshots, "sessions")

    # Filters: one project.
    tab.select_option("#search select[name=project]", "-b-work")
    tab.click("#search button[type=submit]")
    assert rows.count() == 1 and "hello from b" in rows.first.inner_text()
    tab.select_option("#search select[name=project]", "")

    # Search: a word only in a prompt inside the transcript, not in any title.
    tab.fill("#search input[name=q]", "clmail")
    tab.click("#search button[type=submit]")
    assert rows.count() == 1
    assert tab.locator(".snippet mark").first.inner_text().lower() == "clmail"
    _shot(tab, screenshots, "search")

    # The transcript: prompts, replies, tool calls and results; thinking folded.
    rows.first.locator("a").click()
    assert SESSION in tab.url
    assert tab.locator(".entry.prompt").count() >= 3
    assert tab.locator(".entry.reply").count() >= 1
    thinking = tab.locator(".entry.thinking details")
    assert thinking.count() >= 1 and thinking.first.get_attribute("open") is None
    assert not thinking.first.locator("pre").is_visible()
    assert "claude --resume " + SESSION in tab.locator("#resume").input_value()
    _shot(tab, screenshots, "transcript")

    # Restore through the engine: the session deleted here comes back.
    (b.claude / "projects" / FOLDER / f"{SESSION}.jsonl").unlink()
    tab.click("#restore button[type=submit]")
    assert "Restored" in tab.locator("#message").inner_text()
    assert (b.claude / "projects" / FOLDER / f"{SESSION}.jsonl").read_bytes() == (
        a.claude / "projects" / FOLDER / f"{SESSION}.jsonl"
    ).read_bytes()

    # Sync: plots drawn from the syncs recorded above, on both machines.
    tab.goto(f"{page.base}/sync")
    durations = tab.locator("#chart-1 circle.point")
    assert durations.count() >= 4
    values = [float(v) for v in durations.evaluate_all("els => els.map(e => e.dataset.value)")]
    assert all(v > 0 for v in values)
    series = tab.locator("#chart-1 g.series").evaluate_all("els => els.map(e => e.dataset.series)")
    names = {s.rsplit(" ", 1)[0] for s in series}
    assert len(names) == 2, series  # both machines' records
    assert tab.locator("#chart-2 circle.point").count() >= 1  # bytes sent
    assert tab.locator("#chart-3 circle.point").count() >= 1  # bytes received
    delays = tab.locator("#chart-4 circle.point")
    assert delays.count() >= 1  # propagation delay, one machine to the other
    travels = tab.locator("#chart-4 g.series").evaluate_all("els => els.map(e => e.dataset.series)")
    # Each delay names where the commit was made and where it was applied.
    assert travels and all(
        t.split(" → ")[0] in names and t.split(" → ")[1] in names for t in travels
    )
    assert len(set(travels)) == 2, travels  # both ways
    _shot(tab, screenshots, "sync")

    # Machines: both, with the same key fingerprint and a version.
    tab.goto(f"{page.base}/machines")
    machines = tab.locator("#machines tr.machine")
    assert machines.count() == 2
    assert "not this machine's key" not in tab.locator("#machines").inner_text()
    _shot(tab, screenshots, "machines")

    # Conflicts: the three versions side by side, an edited merge saved.
    tab.goto(f"{page.base}/conflicts")
    tab.locator("#conflicts a").first.click()
    assert "use spaces (a)" in tab.locator("#theirs").inner_text()
    assert "width 8 (b)" in tab.locator("#ours").inner_text()
    assert tab.locator("#base pre").inner_text().strip() == "# notes\nuse tabs"  # before both
    _shot(tab, screenshots, "conflict")
    tab.fill("#edited", "# notes\nmerged in the page\n")
    tab.click("#resolve button[value=edited]")
    assert "Resolved" in tab.locator("#message").inner_text()
    assert tab.locator("#no-conflicts").count() == 1
    assert (b.claude / "CLAUDE.md").read_bytes() == b"# notes\nmerged in the page\n"
    assert not list(b.claude.glob("CLAUDE.sync-conflict-*"))
    # Offline: every script, style and font came from the page's own server.
    assert requested and all(url.startswith(page.base + "/") for url in requested), requested
    assert any(url.endswith("/static/app.js") for url in requested)

    b.run("push")
    a.run("pull")
    assert (a.claude / "CLAUDE.md").read_bytes() == b"# notes\nmerged in the page\n"
    assert not list(a.claude.glob("CLAUDE.sync-conflict-*"))
