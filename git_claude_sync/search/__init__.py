"""Full-text search over every session the sync repo knows (``git claude-sync search``).

The API (``git_claude_sync.search.index``; the web UI builds on it):

    Hit(session_id, project, machine, time, role, snippet, path,
        cwd=None, present_locally=True, in_head=True, current=True)
    SessionInfo(session_id, project, machine, first_time, last_time, title, messages, path,
                present_locally, cwd=None, in_head=True)
    query(text, *, project=None, machine=None, since=None, role=None, all_versions=False,
          limit=50, layout=None, notice=None) -> list[Hit]        # best match first
    sessions(*, project=None, machine=None, limit=200, layout=None, notice=None)
          -> list[SessionInfo]                                     # latest activity first
    update(*, layout=None, notice=None) -> Stats      # incremental, up to the repo's HEAD
    rebuild(*, layout=None, notice=None) -> Stats

* ``project`` is the canonical project folder under ``projects/`` (the name the
  sync repo uses on every machine); ``cwd`` the directory the session ran in.
* ``snippet`` is plain text; each match sits between ``\\x02`` and ``\\x03``
  (``index.MATCH_START``, ``index.MATCH_END``).  Times are aware datetimes, UTC.
* ``machine``: for a hit, the machine whose commit brought the text as this index
  saw it arrive (after a rebuild: the machine that last changed the transcript);
  for a session, the one that last changed it.  Learned from commits by
  ``machine_name.machine_of`` only.
* ``in_head=False``: deleted everywhere (``push --prune``), found in history;
  ``current=False``: text only an earlier (rewritten) version held (``all_versions``).
* ``Stats(files, bytes, entries)``: transcripts read, bytes read, pieces of text added.
* Connections stay open per process and thread; the API is safe to call from
  several threads (each gets its own).
* ``query`` and ``sessions`` build an index never built; they do not look for
  new commits: call ``update()`` first.  ``layout`` picks another tool home
  (default: this process's); ``notice`` receives the one line said when an
  unusable index is rebuilt (default: stderr).
* Errors the user can act on are ``FatalError`` (an empty query, an unknown
  role, a machine not set up, a Python whose SQLite lacks FTS5).

The layer: above ``git``, ``crypto``, ``claude`` and ``machine``, below ``engine``
(whose transaction calls ``hook.after_sync`` once a push or pull succeeded).
The index holds plaintext: see ``database.py``.
"""
