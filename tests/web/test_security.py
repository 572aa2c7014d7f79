"""The page answers only its own user: each way in without the secret, or from
another site, or under another name, is refused; and it listens on 127.0.0.1 only."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.machines import Machine
from tests.web.conftest import Page, start_ui, stop_ui


@pytest.fixture
def page(machine_a: Machine) -> Iterator[Page]:
    machine_a.write("settings.json", b'{"model": "opus"}\n')
    machine_a.run("init")
    machine_a.run("push")
    running = start_ui(machine_a)
    try:
        yield running
    finally:
        stop_ui(running)


def request(
    page: Page, method: str, path: str, headers: dict[str, str] | None = None, body: str = ""
) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", page.port, timeout=30)
    sent = {"Host": f"127.0.0.1:{page.port}", **(headers or {})}
    if body:
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    conn.request(method, path, body=body.encode() or None, headers=sent)
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, text, {k.lower(): v for k, v in response.getheaders()}


def cookie(page: Page) -> dict[str, str]:
    return {"Cookie": f"claude_sync_ui={page.token}"}


def test_the_token_is_needed(page: Page) -> None:
    assert request(page, "GET", "/sessions")[0] == 403
    assert request(page, "GET", "/sessions?token=wrong")[0] == 403
    assert request(page, "GET", "/sessions", {"Cookie": "claude_sync_ui=wrong"})[0] == 403
    assert request(page, "GET", "/static/style.css")[0] == 403
    # The printed address works: it trades the secret for a strict cookie.
    status, _text, headers = request(page, "GET", f"/sessions?token={page.token}")
    assert status == 303 and headers["location"] == "/sessions"
    assert "SameSite=Strict" in headers["set-cookie"] and "HttpOnly" in headers["set-cookie"]
    status, text, headers = request(page, "GET", "/sessions", cookie(page))
    assert status == 200 and "Sessions" in text
    assert "default-src 'self'" in headers["content-security-policy"]


def test_a_foreign_host_header_is_refused(page: Page) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name."""
    for host in (f"evil.example:{page.port}", "127.0.0.1", f"127.0.0.1:{page.port + 1}"):
        status, text, _ = request(page, "GET", f"/sessions?token={page.token}", {"Host": host})
        assert status == 403 and "unknown host" in text, host
    assert (
        request(page, "GET", "/sessions", {**cookie(page), "Host": f"localhost:{page.port}"})[0]
        == 200
    )


def test_cross_site_posts_are_refused(page: Page) -> None:
    form = f"token={page.token}&path=CLAUDE.md&choice=ours"
    own = f"http://127.0.0.1:{page.port}"
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": own, "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        status, text, _ = request(page, "POST", "/conflict", {**cookie(page), **headers}, form)
        assert status == 403 and "cross-site" in text, headers
    # Without the cookie (what another site's form sends), even with the form token.
    status, _text, _ = request(page, "POST", "/conflict", {"Origin": own}, form)
    assert status == 403
    # The page's own form without its token.
    status, text, _ = request(
        page, "POST", "/conflict", {**cookie(page), "Origin": own}, "path=CLAUDE.md&choice=ours"
    )
    assert status == 403 and "token" in text
    # And the same request done right reaches the handler (no such conflict: one line).
    status, text, _ = request(
        page, "POST", "/conflict", {**cookie(page), "Origin": own, "Sec-Fetch-Site": "same-origin"},
        form,
    )  # fmt: skip
    assert status == 400 and "no conflict for CLAUDE.md" in text


def _other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_it_listens_on_127_0_0_1_only(page: Page) -> None:
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(f":{page.port:04X}") and line.split()[3] == "0A"
    ]
    assert listening == [f"0100007F:{page.port:04X}"]  # 127.0.0.1, nothing else
    v6 = Path("/proc/net/tcp6")
    if v6.exists():
        assert not any(
            line.split()[1].endswith(f":{page.port:04X}") and line.split()[3] == "0A"
            for line in v6.read_text().splitlines()[1:]
        )
    other = _other_address()
    if other is not None:
        with pytest.raises(OSError), socket.create_connection((other, page.port), timeout=5):
            pass
