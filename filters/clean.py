"""What the clean step stores for a file: complete lines, and stable ciphertext.

Complete lines: Claude Code appends to transcripts and ``history.jsonl`` a line
at a time; a file read mid-write (or after a crash) ends in a torn line with
no newline.  Only whole lines are stored, so a torn line never reaches other
machines; it stays in the local file and is stored once it is complete.

Machine-independent history: ``history.jsonl`` is stored with each line's
``project`` in canonical form (``claude/history_paths.py``); smudge gives it
back as this machine's path.

Stable ciphertext: encryption is deterministic for one codec and one zstd build, but another
machine may compress the same plaintext to other bytes (a newer libzstd, a
future format version).  If cleaning re-encrypted every file git re-reads,
two such machines would re-upload the same file to each other forever.  So
before encrypting, the clean step looks at the blob the index already holds
for the path: if it decrypts to exactly the bytes being cleaned, those stored
bytes are the answer.

Same lines, another order: a pull adds the other machines' lines to a session
or ``history.jsonl`` by appending them in place (machine/files.append_lines),
never by rewriting a file Claude Code may be writing, so a file can hold the
stored lines in another order than the stored blob.  For append-only files a
permutation of the stored lines is the stored blob too: the order on disk is
this machine's, and git does not see a change that would send it back and forth.
"""

from __future__ import annotations

from git_claude_sync.claude import history_paths
from git_claude_sync.claude.file_kinds import complete_part, is_append_only, same_lines
from git_claude_sync.claude.project_folders import Mapping
from git_claude_sync.crypto.codec import Key, looks_encrypted
from git_claude_sync.errors import CodecError


def clean(
    key: Key, path: bytes, content: bytes, previous: bytes | None, mapping: Mapping | None = None
) -> bytes:
    content = complete_part(path, content)
    if mapping is not None and history_paths.is_history(path):
        content = history_paths.to_canonical(content, mapping)
    if previous is not None and looks_encrypted(previous):
        try:
            stored = key.decrypt(path, previous)
        except CodecError:
            stored = None
        if stored == content or (
            stored is not None and is_append_only(path) and same_lines(stored, content)
        ):
            return previous
    return key.encrypt(path, content)
