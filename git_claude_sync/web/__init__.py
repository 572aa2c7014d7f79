"""``git claude-sync ui``: a local web page over the sync repo (docs/ARCHITECTURE.md).

A second front-end beside the command line: it calls the same engine and the
same command functions (restore, conflict resolution) the terminal does.
Its libraries (starlette, uvicorn, jinja2) are imported only here.
"""
