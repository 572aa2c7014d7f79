"""Who may talk to the page: this user's browser, through the URL the command printed.

The server listens on 127.0.0.1 only, but any local process and any web page
the browser has open can reach 127.0.0.1.  So, on every request:

- the Host header must name this server (``127.0.0.1:PORT`` or
  ``localhost:PORT``): a DNS-rebinding page arrives under its own name;
- the per-run secret must come along: in the URL once (the page then sets a
  ``SameSite=Strict`` cookie and drops it from the address bar), then in the
  cookie; another site's requests never carry it;
- a request that changes anything (POST) must come from the page itself: no
  ``Origin`` of another site, no ``Sec-Fetch-Site: cross-site``, and the
  secret again in the form (checked by the handler, ``form_token_ok``).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "claude_sync_ui"
SAFE_METHODS = {"GET", "HEAD"}
# The page's own headers: nothing loads from elsewhere, nothing frames it, the
# address (with the secret, on the first load) is never sent to another site.
# (Not "no-referrer": the browser would then send "Origin: null" with the page's
# own forms, which cannot be told from a sandboxed foreign frame.)
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


def same(given: str | None, secret: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), secret.encode())


class Guard:
    """ASGI middleware: refuses every request that is not this user's page."""

    def __init__(self, app: App, secret: str, port: int) -> None:
        self.app = app
        self.secret = secret
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        why = self.refusal(scope, headers)
        if why is not None:
            await _plain(send, 403, f"refused: {why}\n")
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query and scope["method"] in SAFE_METHODS:
            # The first load: keep the secret in a cookie, take it out of the address bar.
            rest = {k: v for k, v in query.items() if k != "token"}
            target = scope["path"] + (f"?{urlencode(rest, doseq=True)}" if rest else "")
            cookie = f"{COOKIE}={self.secret}; Path=/; HttpOnly; SameSite=Strict"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", target.encode("latin-1")),
                        (b"set-cookie", cookie.encode("latin-1")),
                        *SECURITY_HEADERS,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def refusal(self, scope: Scope, headers: dict[str, str]) -> str | None:
        if headers.get("host") not in self.hosts:
            return "unknown host"
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie is no cookie
            cookies = SimpleCookie()
        morsel = cookies.get(COOKIE)
        token = query.get("token", [None])[0]
        if not same(morsel.value if morsel else None, self.secret) and not same(token, self.secret):
            return "missing or wrong token (open the address 'git claude-sync ui' printed)"
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and origin not in self.origins:
                return "cross-site request"
            if headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
                return "cross-site request"
        return None


def form_token_ok(form: dict[str, list[str]], secret: str) -> bool:
    return same(form.get("token", [None])[0], secret)


async def _plain(send: Send, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})
