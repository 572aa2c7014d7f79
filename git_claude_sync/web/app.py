"""The page's routes: sessions, a transcript, sync, conflicts, machines.

Each handler asks the engine (or the command functions the terminal uses:
``restore.restore``, ``conflicts.open_case``/``settle``) and renders a template.
An expected failure (``FatalError``) is shown as its one line, never a trace.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from git_claude_sync.claude import file_merge
from git_claude_sync.commands import conflicts, restore
from git_claude_sync.crypto import keyring
from git_claude_sync.engine import (
    conflict_copies,
    conflict_store,
    sealed_state,
    session_history,
    sync_metrics,
)
from git_claude_sync.engine.session_history import Session, show_size
from git_claude_sync.engine.steps import both_name
from git_claude_sync.engine.sync_repo import SyncRepo
from git_claude_sync.errors import FatalError
from git_claude_sync.machine import files
from git_claude_sync.machine.lock import sync_lock
from git_claude_sync.search import index
from git_claude_sync.ui.report import show_path
from git_claude_sync.web import conflict_base, sync_figures, transcript
from git_claude_sync.web.guard import form_token_ok

HERE = Path(__file__).resolve().parent
LISTED = 2000  # sessions listed at most
HITS = 500  # matches asked of the index at most (grouped by session)


@dataclass(frozen=True)
class Row:
    info: index.SessionInfo
    state: str  # "local", "kept" (deleted here, in the repo), "history" (deleted everywhere)
    hits: list[index.Hit]

    @property
    def snippet(self) -> list[tuple[str, bool]]:
        """The best match's text, in pieces: (text, is a match)."""
        if not self.hits:
            return []
        pieces: list[tuple[str, bool]] = []
        for i, part in enumerate(self.hits[0].snippet.split(index.MATCH_START)):
            if i == 0:
                pieces.append((part, False))
                continue
            matched, _, rest = part.partition(index.MATCH_END)
            pieces += [(matched, True), (rest, False)]
        return [p for p in pieces if p[0]]


def _state(info: index.SessionInfo) -> str:
    if info.present_locally:
        return "local"
    return "kept" if info.in_head else "history"


def _when(moment: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment)) if moment else "–"


class Pages:
    def __init__(self, repo: SyncRepo, secret: str) -> None:
        self.repo = repo
        self.secret = secret
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(when=_when, show_path=show_path, size=show_size)

    def render(
        self, request: Request, template: str, status: int = 200, **context: object
    ) -> Response:
        context.setdefault("message", request.query_params.get("message"))
        return self.templates.TemplateResponse(
            request, template, {"token": self.secret, **context}, status_code=status
        )

    async def form(self, request: Request) -> dict[str, list[str]]:
        body = (await request.body()).decode("utf-8", "replace")
        form = parse_qs(body, keep_blank_values=True)
        if not form_token_ok(form, self.secret):
            raise PermissionError
        return form

    # -- sessions ---------------------------------------------------------------

    def _content(self, session: Session) -> bytes:
        """The transcript: the file here if there is one, else as synced (decrypted)."""
        if session.state == "local":
            data = files.read_file(files.fs_path(self.repo.claude_dir, session.path))
            if data is not None:
                return data
        keys = keyring.keyring_for(self.repo.layout.key_file, self.repo.key)
        blob = self.repo.git.read_blobs([session.oid])[session.oid]
        return keys.decrypt(session.path, blob)

    def sessions(self, request: Request) -> Response:
        """Every machine's sessions (search's index), or those matching a search."""
        params = request.query_params
        text = params.get("q", "").strip()
        project = params.get("project", "") or None
        machine = params.get("machine", "") or None
        role = params.get("role", "") or None
        state = params.get("state", "")
        every_version = params.get("versions", "") == "all"
        layout = self.repo.layout
        index.update(layout=layout)
        known = index.sessions(limit=LISTED, layout=layout)
        listed = index.sessions(project=project, machine=machine, limit=LISTED, layout=layout)
        found: dict[str, list[index.Hit]] = {}
        if text:
            hits = index.query(
                text, project=project, machine=machine, role=role,
                all_versions=every_version, limit=HITS, layout=layout,
            )  # fmt: skip
            for hit in hits:
                found.setdefault(hit.session_id, []).append(hit)
            by_id = {info.session_id: info for info in listed}
            listed = [by_id[sid] for sid in found if sid in by_id]
        rows = [
            Row(info, _state(info), found.get(info.session_id, []))
            for info in listed
            if not state or _state(info) == state
        ]
        return self.render(
            request,
            "sessions.html",
            page="sessions",
            rows=rows,
            total=len(known),
            query=text,
            project=project or "",
            machine=machine or "",
            role=role or "",
            state=state,
            versions="all" if every_version else "",
            projects=sorted({info.project for info in known}),
            machines=sorted({info.machine for info in known if info.machine}),
            roles=index.ROLES,
        )

    def _find(self, sid: str) -> Session:
        return session_history.find(session_history.list_sessions(self.repo), sid)

    def session(self, request: Request) -> Response:
        found = self._find(request.path_params["sid"])
        data = self._content(found)
        cwd = found.summary.cwd
        resume = f"claude --resume {found.sid}"
        if cwd:
            resume = f"cd {cwd} && {resume}"
        return self.render(
            request,
            "session.html",
            page="sessions",
            s=found,
            entries=transcript.entries(data),
            resume=resume,
        )

    async def restore_session(self, request: Request) -> Response:
        form = await self.form(request)
        sid = request.path_params["sid"]
        force = form.get("force", [""])[0] == "1"
        done = restore.restore(sid, None, force)
        note = (
            f"Restored {len(done.written)} file(s) of session {done.session.sid}."
            if done.written
            else f"Session {done.session.sid} is already in that state here."
        )
        return RedirectResponse(f"/session/{quote(sid)}?message={quote(note)}", status_code=303)

    # -- sync and machines ------------------------------------------------------

    def sync(self, request: Request) -> Response:
        machines = sync_metrics.read_all(self.repo)
        names = {m.id: m.machine for m in machines}
        git = self.repo.git

        def origin(commit: str) -> str | None:
            """The machine its seal names; or, made before sealing, the machine whose
            metrics file it carries (a sealed commit carries one at most every 15 minutes)."""
            sealed_by = sealed_state.machine_named(self.repo, commit)
            if sealed_by is not None:
                return sealed_by
            try:
                changed = git.changed_paths(f"{commit}^", commit)
            except FatalError:
                return None
            for path in changed:
                if sync_metrics.is_carried(path):
                    name = path[len(sync_metrics.PREFIX) :].removesuffix(b".json").decode()
                    if name in names:
                        return names[name]
            return None

        return self.render(
            request,
            "sync.html",
            page="sync",
            charts=sync_figures.figures(machines, origin),
            rows=sync_figures.rows(machines),
        )

    def machines(self, request: Request) -> Response:
        found = sync_metrics.read_all(self.repo)
        listed = [
            {
                "name": m.machine,
                "here": m.here,
                "last": max((float(r.get("at", 0)) for r in m.records), default=None),
                "key": m.key,
                "version": m.version,
                "same_key": m.key == self.repo.key.fingerprint,
            }
            for m in found
        ]
        return self.render(request, "machines.html", page="machines", machines=listed)

    # -- conflicts --------------------------------------------------------------

    def conflicts(self, request: Request) -> Response:
        copies = conflict_copies.listed(self.repo.git)
        stored = conflict_store.load(self.repo.git)
        # A copy resolved here is gone from disk but tracked until the next push.
        listed = [
            (os.fsdecode(copy), original)
            for copy, original in copies
            if files.fs_path(self.repo.claude_dir, copy).exists()
        ]
        listed += [(os.fsdecode(item.path), item.path) for item in stored]
        return self.render(request, "conflicts.html", page="conflicts", listed=listed)

    def conflict(self, request: Request) -> Response:
        name = request.query_params.get("path", "")
        case = conflicts.open_case(self.repo, name)
        base = case.base
        if base is None and case.copy is not None:
            base = conflict_base.base_of_copy(self.repo, case.path, case.copy)
        merged = file_merge.merge_file(case.path, base, case.ours, case.theirs)
        proposal = merged.marked if merged.marked is not None else merged.data

        def text(data: bytes | None) -> str | None:
            return None if data is None else data.decode("utf-8", "replace")

        return self.render(
            request,
            "conflict.html",
            page="conflicts",
            name=name,
            case=case,
            base=text(base),
            ours=text(case.ours),
            theirs=text(case.theirs),
            proposal=text(proposal),
            both=show_path(both_name(case.path)),
        )

    async def resolve(self, request: Request) -> Response:
        form = await self.form(request)
        name = form.get("path", [""])[0]
        choice = form.get("choice", [""])[0]
        if choice not in ("ours", "theirs", "both", "edited"):
            raise FatalError(f"unknown choice {choice!r}")
        edited = form.get("edited", [""])[0].replace("\r\n", "\n").encode()
        with sync_lock(self.repo.layout):
            case = conflicts.open_case(self.repo, name)
            conflicts.settle(self.repo, case, choice, edited if choice == "edited" else None)
        note = f"Resolved {show_path(case.path)}; the next push sends the result."
        return RedirectResponse(f"/conflicts?message={quote(note)}", status_code=303)


def build(repo: SyncRepo, secret: str) -> Starlette:
    pages = Pages(repo, secret)

    async def failed(request: Request, exc: Exception) -> Response:
        if isinstance(exc, PermissionError):
            return HTMLResponse("refused: the form lacks this page's token\n", status_code=403)
        return pages.render(request, "error.html", status=400, page="", error=str(exc))

    routes = [
        Route("/", lambda request: RedirectResponse("/sessions", status_code=303)),
        Route("/sessions", pages.sessions),
        Route("/session/{sid}", pages.session),
        Route("/session/{sid}/restore", pages.restore_session, methods=["POST"]),
        Route("/sync", pages.sync),
        Route("/machines", pages.machines),
        Route("/conflicts", pages.conflicts),
        Route("/conflict", pages.conflict),
        Route("/conflict", pages.resolve, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(
        routes=routes, exception_handlers={FatalError: failed, PermissionError: failed}
    )
