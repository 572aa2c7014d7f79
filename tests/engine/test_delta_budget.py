"""Files whose delta search would take more memory than a sync may get ``-delta``
(engine/delta_budget.py, issue 9).

A session that barely compresses (pasted images) just below core.bigFileThreshold: git's
search for an append's delta held ~5x its blob (a 33 MB transcript: 164 MB to push one
line, 233 MB to push a merge, against 133 / 167).  Such a file is now sent whole.
"""

from __future__ import annotations

import base64
import random
import subprocess
from pathlib import Path

from git_claude_sync.engine import delta_budget
from tests.machines import Machine

MB = 1000 * 1000
MiB = 1 << 20
SESSION = "projects/-home-u-big/s.jsonl"


def test_what_fits_follows_the_measured_search() -> None:
    # Measured (bench/memory.py): a 33 MB transcript sealed to 21.8 MiB did not fit; an
    # 82 MB one of the corpus's kind sealed to 23.8 MiB did (182 MB allowed, ~179 taken).
    assert not delta_budget.fits(33 * MB, int(21.8 * MiB))
    assert delta_budget.fits(82 * MB, int(23.8 * MiB))
    # Nothing small is ever listed, whatever it compresses to.
    assert delta_budget.fits(delta_budget.SMALLEST, delta_budget.SMALLEST)
    assert not delta_budget.fits(2 * delta_budget.SMALLEST, 2 * delta_budget.SMALLEST)


def lines_of_noise(size: int, seed: int) -> bytes:
    """A transcript that barely compresses: each line base64 of random bytes."""
    rng = random.Random(seed)
    out = bytearray()
    n = 0
    while len(out) < size:
        blob = base64.b64encode(rng.randbytes(6000)).decode()
        out += b'{"uuid":"%d","type":"user","image":"%s"}\n' % (n, blob.encode())
        n += 1
    return bytes(out)


def delta_attribute(git_dir: Path, path: str) -> str:
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", "check-attr", "delta", "--", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.rsplit(": ", 1)[1].strip()


def test_a_session_too_large_to_search_is_sent_whole_until_it_fits_again(
    pair: tuple[Machine, Machine],
) -> None:
    a, b = pair
    repo = a.tool_home / "repo.git"
    a.write(SESSION, lines_of_noise(20 * MB, 1))
    a.run("push")
    assert (a.tool_home / "no-delta").read_bytes() == SESSION.encode() + b"\n"
    # The sync repo packs it for a push, the local remote's upload-pack for a pull.
    assert delta_attribute(repo, SESSION) == "unset"
    assert delta_attribute(a.default_remote, SESSION) == "unset"
    assert delta_attribute(repo, "projects/-home-u-big/other.jsonl") == "set"
    b.run("pull")
    assert (b.claude / SESSION).read_bytes() == (a.claude / SESSION).read_bytes()

    a.write(SESSION, b'{"uuid":"small","type":"user"}\n')  # Claude Code rewrote it small
    a.run("push")
    assert (a.tool_home / "no-delta").read_bytes() == b""
    assert delta_attribute(repo, SESSION) == "set"
    assert delta_attribute(a.default_remote, SESSION) == "set"


def test_a_session_that_compresses_keeps_its_deltas(pair: tuple[Machine, Machine]) -> None:
    a, _b = pair
    line = b'{"uuid":"%d","type":"assistant","text":"' + b"the same words again " * 200 + b'"}\n'
    a.write(SESSION, b"".join(line % n for n in range(5000)))  # ~21 MB, seals far smaller
    a.run("push")
    assert not (a.tool_home / "no-delta").exists()
    assert delta_attribute(a.tool_home / "repo.git", SESSION) == "set"
