"""Run the page: a socket on 127.0.0.1, a fresh secret, uvicorn, the browser.

The socket is bound here (not by uvicorn) so that the port is known before
the first request: the Host check and the printed address need it.  Only
127.0.0.1 is ever bound; another address is not offered.
"""

from __future__ import annotations

import secrets
import socket
import sys
import webbrowser

from git_claude_sync.engine.sync_repo import open_repo
from git_claude_sync.errors import FatalError

HOST = "127.0.0.1"


def listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as err:
        sock.close()
        raise FatalError(f"cannot listen on {HOST}:{port}: {err.strerror}") from None
    sock.listen(64)
    return sock


def serve(port: int = 0, open_browser: bool = True) -> None:
    try:
        import uvicorn

        from git_claude_sync.web.app import build
        from git_claude_sync.web.guard import Guard
    except ImportError as err:
        raise FatalError(
            f"the web page needs {err.name}: pip install 'git-claude-sync[ui]' "
            "(./install.sh installs it)"
        ) from None
    repo = open_repo()
    sock = listen(port)
    port = sock.getsockname()[1]
    secret = secrets.token_urlsafe(24)
    app = Guard(build(repo, secret), secret, port)
    url = f"http://{HOST}:{port}/?token={secret}"
    print(f"Serving the page at {url}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    sys.stdout.flush()
