"""Git-facing entry points of the codec (installed as ``git_claude_sync.filters``).

* ``process``: git's long-running filter process (clean/smudge for the git CLI).
* ``libgit2``: the same codec as an in-process ``pygit2.Filter``, because libgit2
  never runs external filter drivers and would otherwise store plaintext.
* ``textconv``: decrypts a blob for ``git log -p`` / ``git show``.
"""
