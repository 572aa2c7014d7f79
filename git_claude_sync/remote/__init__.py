"""Object storage (S3, R2, GCS, any S3-compatible service), and plain git hosts in the
hidden layout, as an incremental, private git remote.

``git-remote-claude-sync`` (``helper.py``) speaks git's remote-helper protocol
for URLs ``claude-sync::s3://…``, ``claude-sync::gs://…``, ``claude-sync::git+URL``;
``transfer.py`` keeps the encrypted manifest and packs; ``store.py`` is the small
backend interface that ``s3.py``, ``gcs.py`` and ``git_store.py`` implement.  The
layouts are specified in docs/spec/bucket.md and docs/spec/git-host.md.
"""
