"""How many times one CLI command starts the remote helper (issue 8: the suite's CPU).

    .venv/bin/python bench/helper_starts.py [s3|gs|git]

Two machines on one remote (SeaweedFS or fake-gcs-server on 127.0.0.1, as the tests
run them, or a bare repository in the hidden layout) run the commands a user runs:
init, a first push, appends, a join, pulls, a push onto a moved remote, status, key
rotate. For each, the git commands that talked to the remote and how many
``git-remote-*`` processes git started (read from ``GIT_TRACE``). Every start of the
bucket helpers imports botocore or google-cloud-storage and builds a client
(~250 ms of CPU on S3, ~210 ms on GCS, ~80 ms for the git host's).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.machines import Machine  # noqa: E402
from tests.remote.backends import Backend, RemoteMachine, new_bucket_name  # noqa: E402
from tests.remote.servers import FakeGCS, SeaweedFS, aws_env  # noqa: E402

HELPER = re.compile(r"run_command: .*git-remote-(claude-sync|cs)\b")
TALKS = re.compile(r"built-in: git (fetch|push|ls-remote)\b")


def count(machine: Machine, scratch: Path, label: str, *args: str) -> None:
    trace = scratch / "trace"
    trace.unlink(missing_ok=True)
    proc = machine.run(*args, check=False, GIT_TRACE=str(trace))
    text = trace.read_text() if trace.exists() else ""
    talks = " ".join(m.group(1) for m in TALKS.finditer(text))
    failed = f"  (exit {proc.returncode})" if proc.returncode else ""
    print(f"{label:<30} {len(HELPER.findall(text)):>3}   {talks}{failed}")


def main() -> int:
    kind = sys.argv[1] if len(sys.argv) > 1 else "s3"
    scratch = Path(tempfile.mkdtemp(prefix="helper-starts-"))
    server: SeaweedFS | FakeGCS | None = None
    if kind == "s3":
        server = SeaweedFS(scratch / "seaweedfs")
        server.start()
        bucket = new_bucket_name("s3")
        server.client().create_bucket(Bucket=bucket)
        init_args = Backend("s3", aws_env(), bucket, server).init_args()
        env = aws_env()
    elif kind == "gs":
        server = FakeGCS().start(scratch / "fake-gcs")
        bucket = new_bucket_name("gcs")
        server.client().create_bucket(bucket)
        init_args = Backend("gcs", server.env(), bucket, server).init_args()
        env = server.env()
    else:
        host = scratch / "host.git"
        subprocess.run(["git", "init", "-q", "--bare", str(host)], check=True)
        init_args, env = ["--git", str(host)], {}  # the hidden layout: the git host's helper
    try:
        a, b = RemoteMachine(scratch / "a", extra=env), RemoteMachine(scratch / "b", extra=env)
        for machine in (a, b):
            machine.home.mkdir()
        session = "projects/-p/s.jsonl"
        print(f"{'command':<30} {'helper starts':>3}   git commands that talked to the remote")
        a.write(session, b'{"uuid":"1"}\n')
        count(a, scratch, "A init (first machine)", "init", *init_args)
        count(a, scratch, "A push (first)", "push")
        a.write(session, b'{"uuid":"1"}\n{"uuid":"2"}\n')
        count(a, scratch, "A push (an append)", "push")
        count(b, scratch, "B init (joins)", "init", *init_args, "--key", str(a.key_file))
        count(b, scratch, "B pull (nothing new)", "pull")
        a.write(session, b'{"uuid":"1"}\n{"uuid":"2"}\n{"uuid":"3"}\n')
        count(a, scratch, "A push (an append)", "push")
        count(b, scratch, "B pull (one new line)", "pull")
        b.write("projects/-p/t.jsonl", b'{"uuid":"9"}\n')
        count(b, scratch, "B push", "push")
        a.write("projects/-p/u.jsonl", b'{"uuid":"8"}\n')
        count(a, scratch, "A push (the remote moved)", "push")
        count(a, scratch, "A status", "status")
        count(a, scratch, "A key rotate", "key", "rotate")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
