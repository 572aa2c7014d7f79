"""A pulled session keeps its last activity as mtime, and staging does not see it as changed."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from git_claude_sync.claude.project_folders import encode
from tests.machines import Machine, launcher_state

WEEK_AGO = datetime(2026, 1, 10, 9, 30, tzinfo=UTC).timestamp()
COMMITTED = datetime(2026, 1, 12, 8, 0, tzinfo=UTC).timestamp()


def _line(uuid: str, stamp: float | None) -> bytes:
    obj: dict[str, object] = {"type": "user", "uuid": uuid}
    if stamp is not None:
        iso = datetime.fromtimestamp(stamp, UTC).isoformat(timespec="milliseconds")
        obj["timestamp"] = iso.replace("+00:00", "Z")
    return json.dumps(obj).encode() + b"\n"


def test_pulled_sessions_get_their_last_activity_as_mtime(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    session = "projects/-opt-work-api/1111.jsonl"
    content = _line("u1", WEEK_AGO - 3600) + _line("u2", WEEK_AGO) + _line("u3", None)
    a.write(session, content)
    a.write("projects/-opt-work-api/1111/tool-results/out.txt", b"tool output\n")
    # A project under the home directory: a mapped folder (docs/MAPPING.md).
    home_session = f"projects/{encode(str(a.home / 'code'))}/2222.jsonl"
    a.write(home_session, _line("h1", WEEK_AGO - 60))
    # Its commit time stands in where no line has a timestamp.
    date = f"@{int(COMMITTED)} +0000"
    a.run("push", GIT_COMMITTER_DATE=date, GIT_AUTHOR_DATE=date)

    b.run("pull")
    pulled = b.claude / session
    assert pulled.read_bytes() == content
    assert abs(pulled.stat().st_mtime - WEEK_AGO) < 0.01
    mapped = b.claude / f"projects/{encode(str(b.home / 'code'))}/2222.jsonl"
    assert abs(mapped.stat().st_mtime - (WEEK_AGO - 60)) < 0.01
    tool = b.claude / "projects/-opt-work-api/1111/tool-results/out.txt"
    assert abs(tool.stat().st_mtime - COMMITTED) < 0.01

    # git's stat cache holds the new times: nothing looks modified, nothing is pushed.
    before = b.git("rev-parse", "HEAD").stdout
    b.run("push")
    assert b.git("rev-parse", "HEAD").stdout == before
    assert b.git("--work-tree", str(b.claude), "diff-files", "--name-only").stdout == b""
    assert launcher_state(b) == ""
    assert "nothing" in b.run("status", check=False).stdout.split("To push", 1)[1].splitlines()[0]
    assert abs(pulled.stat().st_mtime - WEEK_AGO) < 0.01
    assert abs(mapped.stat().st_mtime - (WEEK_AGO - 60)) < 0.01


def test_a_session_dated_ahead_of_this_clock_is_dated_no_later_than_the_pull(
    pair: tuple[Machine, Machine],
) -> None:
    """Another machine's clock ahead (or a line that says so): the session is dated when
    the pull began writing, not months ahead, where git would take it for racily clean
    until then and read it again through the filter at every refresh."""
    a, b = pair
    session = "projects/-opt-work-api/3333.jsonl"
    a.write(session, _line("f1", time.time() + 200 * 86400))
    a.run("push")
    before = time.time()
    b.run("pull")
    assert before - 1 <= (b.claude / session).stat().st_mtime <= time.time()
