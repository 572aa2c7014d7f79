"""Object storage (S3, R2, GCS, any S3-compatible service) as an incremental, private git remote.

``git-remote-claude-sync`` (``helper.py``) speaks git's remote-helper protocol
for URLs ``claude-sync::s3://…``, ``claude-sync::gs://…``; ``transfer.py`` keeps
the bucket's encrypted manifest and packs; ``store.py`` is the small backend
interface that ``s3.py`` and ``gcs.py`` implement.  The layout on the bucket is
specified in docs/spec/bucket.md.
"""
