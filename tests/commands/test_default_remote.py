"""The default remote (a bare repository in ~/.claude-sync) as init makes it."""

from __future__ import annotations

from tests.machines import Machine, git_plain


def test_the_default_remote_stores_what_a_push_leaves_loose_undeflated(
    pair: tuple[Machine, Machine],
) -> None:
    """It receives ciphertext: deflating it again costs a push time and saves nothing."""
    a, b = pair
    bare = str(a.default_remote)
    assert git_plain("--git-dir", bare, "config", "core.looseCompression") == b"0\n"
    a.write("projects/-p/s.jsonl", b'{"type":"user","uuid":"1"}\n' * 2000)
    a.run("push")
    with (a.claude / "projects/-p/s.jsonl").open("ab") as f:
        f.write(b'{"type":"user","uuid":"2"}\n')
    a.run("push")
    b.run("pull")
    assert b.files()[b"projects/-p/s.jsonl"].endswith(b'{"type":"user","uuid":"2"}\n')
    git_plain("--git-dir", bare, "fsck", "--no-dangling")
