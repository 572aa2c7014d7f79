"""A git host over http on 127.0.0.1: git's own ``git http-backend`` (the CGI program
behind most self-hosted git servers) run for each request by a small WSGI server.

Pushes are allowed without authentication (``http.receivepack`` set on each
repository).  Request bodies are read whole: enough for the small pushes of a test
(git sends a body over ``http.postBuffer``, 1 MiB, chunked, which wsgiref does not
decode).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

_PASSED = ("PATH_INFO", "QUERY_STRING", "REQUEST_METHOD", "CONTENT_TYPE", "REMOTE_ADDR")


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class GitHttp:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests = 0
        self.log: list[str] = []  # "GET /repo.git/info/refs", "POST /repo.git/git-upload-pack"…
        self.pushed = 0  # bytes of request bodies to git-receive-pack: what pushes sent
        self.server = make_server(
            "127.0.0.1", 0, self._app, server_class=_Threading, handler_class=_Quiet
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{name}"

    def new_repo(self, name: str) -> Path:
        path = self.root / name
        subprocess.run(["git", "init", "--bare", "-q", str(path)], check=True)
        subprocess.run(
            ["git", "--git-dir", str(path), "config", "http.receivepack", "true"], check=True
        )
        return path

    def __enter__(self) -> GitHttp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _app(
        self, environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
    ) -> Iterable[bytes]:
        self.requests += 1
        self.log.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update({k: str(environ.get(k, "")) for k in _PASSED})
        env.update(GIT_PROJECT_ROOT=str(self.root), GIT_HTTP_EXPORT_ALL="1")
        if environ.get("HTTP_CONTENT_ENCODING"):
            env["HTTP_CONTENT_ENCODING"] = environ["HTTP_CONTENT_ENCODING"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env["CONTENT_LENGTH"] = str(len(body))
        if str(environ.get("PATH_INFO", "")).endswith("/git-receive-pack"):
            self.pushed += len(body)
        proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, out = proc.stdout.partition(b"\r\n\r\n")
        status = "200 OK"
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name, value.strip()))
        start_response(status, headers)
        return [out]
