"""Three-way merge of two trees, file by file, on blob ids.

A file changed on one side only takes that side; a file deleted on one side
and changed on the other keeps the change (nothing is lost).  A file changed
differently on both sides is a conflict here; merging contents is a separate
layer that can take conflicts and resolve them.
"""

from __future__ import annotations

from git_claude_sync.records import dataclass, field

Entry = tuple[str, str]  # (mode, blob id)
Tree = dict[bytes, Entry]


@dataclass
class TreeMerge:
    result: Tree
    conflicts: list[bytes] = field(default_factory=list)


def merge_trees(base: Tree, ours: Tree, theirs: Tree) -> TreeMerge:
    """Merge on file identity; on conflict the result keeps ``ours`` for that path."""
    result: Tree = {}
    conflicts: list[bytes] = []
    for path in sorted(set(base) | set(ours) | set(theirs)):
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if o == t:
            chosen = o
        elif b == o:
            chosen = t  # changed or deleted there only
        elif b == t:
            chosen = o  # changed or deleted here only
        elif o is None:
            chosen = t  # deleted here, changed there: the change stays
        elif t is None:
            chosen = o  # changed here, deleted there: the change stays
        else:
            conflicts.append(path)
            chosen = o
        if chosen is not None:
            result[path] = chosen
    return TreeMerge(result=result, conflicts=conflicts)
