"""The long-running filter process, as git drives it: over pipes, one step at a time.

git sends its welcome and waits for the filter's before it offers capabilities
(sub-process.c), so each answer must leave the process before it reads again — with
Python's streams buffered, as they are wherever PYTHONUNBUFFERED is not set.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from git_claude_sync.filters.process import _options

from git_claude_sync.crypto import keyfile
from tests.machines import git_plain


def _packets(*lines: bytes) -> bytes:
    return b"".join(b"%04x" % (len(line) + 4) + line for line in lines) + b"0000"


def _answer(proc: subprocess.Popen[bytes], end: bytes = b"0000", timeout: float = 10.0) -> bytes:
    """What the process writes until its output ends with ``end`` (fails on a wait)."""
    assert proc.stdout is not None
    out = b""
    while not out.endswith(end):
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        assert ready, f"the filter process did not answer; it wrote {out!r} so far"
        chunk = os.read(proc.stdout.fileno(), 65536)
        assert chunk, f"the filter process closed its output after {out!r}"
        out += chunk
    return out


def test_handshake_and_clean_answer_step_by_step_with_buffered_streams(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    keyfile.generate(key_file)
    git_dir = tmp_path / "repo.git"
    git_plain("init", "--bare", "-q", str(git_dir))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "git_claude_sync.filters.process"]
        + ["--key", str(key_file), "--git-dir", str(git_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(_packets(b"git-filter-client\n", b"version=2\n"))
        proc.stdin.flush()
        assert b"git-filter-server" in _answer(proc)
        proc.stdin.write(_packets(b"capability=clean\n", b"capability=smudge\n"))
        proc.stdin.flush()
        assert b"capability=clean" in _answer(proc)
        proc.stdin.write(_packets(b"command=clean\n", b"pathname=CLAUDE.md\n"))
        proc.stdin.write(_packets(b"hello\n"))
        proc.stdin.flush()
        # The status list, the content, its flush and an empty status list: "success" stands.
        answer = _answer(proc, end=b"00000000")
        status, content = answer.split(b"0000", 1)
        assert status.endswith(b"status=success\n")
        assert b"GCSYNC" in content and b"hello" not in content  # ciphertext
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)


def test_options_as_git_config_gives_them_and_usage_errors() -> None:
    # The filter reads its two options by hand (argparse cost its start ~4 ms, issue 8).
    assert _options(["--key", "/k", "--git-dir", "/g"]) == {"--key": "/k", "--git-dir": "/g"}
    assert _options(["--key=/a=b"]) == {"--key": "/a=b"}
    for wrong in (["--git-dir", "/g"], ["--key"], ["--key", "/k", "extra"], ["--keys=/k"]):
        with pytest.raises(ValueError):
            _options(wrong)
    proc = subprocess.run(
        [sys.executable, "-m", "git_claude_sync.filters.process", "--git-dir", "/g"],
        capture_output=True,
    )
    assert proc.returncode == 2 and b"--key is required" in proc.stderr
