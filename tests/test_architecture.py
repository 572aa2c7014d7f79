"""The rules of docs/ARCHITECTURE.md, checked on the source: who may import whom.

Every import counts, at module level or inside a function: a cycle hidden in a
function is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "git_claude_sync"

# A part may import only the parts listed for it (and itself).  Low layers
# first: nothing may reach up.
ALLOWED: dict[str, set[str]] = {
    "records": set(),
    "errors": set(),
    "ui.report": set(),
    "machine": {"errors", "git"},  # lock.py sweeps git's scratch indexes
    "crypto": {"errors", "machine"},
    "claude": {"errors", "machine"},
    "git": {"errors"},
    # search reads the sync repo through git and crypto; the engine calls it after a sync.
    "search": {"errors", "machine", "crypto", "claude", "git"},
    # The engine cleans a few linked files itself (engine/clean_here.py), by the clean
    # filter's own rule: filters/clean.py is a pure function of the codec and the Claude
    # file rules, below both the engine and the filter process.
    "filters.clean": {"errors", "crypto", "claude"},
    # It also serves the filter to its own git commands (filters/served_in_cli.py).
    "engine": {"errors", "ui.report", "machine", "crypto", "claude", "git", "search"}
    | {"filters.clean", "filters.served_in_cli"},
    "filters": {"errors", "crypto", "claude", "git", "filters.clean"},
    # The filter process's loop, served inside the CLI to its own git commands.
    "filters.served_in_cli": {"git", "filters", "machine"},
    "remote": {"errors", "machine", "crypto", "git"},
    "ui": {"errors", "ui.report", "machine", "crypto", "engine", "search"},
    "commands": {"errors", "ui", "ui.report", "machine", "crypto", "claude", "git", "engine"}
    | {"remote", "search"},
    # The web page: a second front-end beside the command line, calling the same
    # command functions (restore, conflict resolution), the engine and search.
    "web": {"errors", "ui", "ui.report", "machine", "crypto", "claude", "git", "engine"}
    | {"commands", "search"},
    "cli": {"errors", "commands", "ui", "remote", "web"},
    # The process's entry: the command lines run most, without click; the rest to cli.
    # A push or a pull begins find's listing of linked folders before the engine loads
    # (engine/linked_listing.py): the one engine module it names.
    "entry": {"errors", "ui.report", "commands", "remote", "cli", "machine", "engine"},
    "__main__": {"entry"},
}

#: Parts every part may import: records.py is @dataclass without the dataclasses module.
EVERYWHERE = {"records"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    if rel.parts[0] == "filters":  # installed as git_claude_sync.filters
        rel = Path(PACKAGE, *rel.parts)
    return ".".join(rel.parts).removesuffix(".__init__")


def sources() -> dict[str, Path]:
    files = [*(ROOT / PACKAGE).rglob("*.py"), *(ROOT / "filters").rglob("*.py")]
    return {module_name(path): path for path in files}


def imports(path: Path, modules: dict[str, Path]) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield full if full in modules else node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE):
                    yield alias.name


def part_of(module: str) -> str:
    """The part a module belongs to: its folder, or for top-level modules its name."""
    rest = module.removeprefix(PACKAGE).lstrip(".")
    if rest in ("ui.report", "filters.clean", "filters.served_in_cli"):
        return rest
    return rest.split(".", 1)[0] if rest else ""


def graph() -> dict[str, set[str]]:
    modules = sources()
    return {
        name: {target for target in imports(path, modules) if target != name}
        for name, path in modules.items()
    }


def test_no_part_imports_a_higher_one() -> None:
    wrong = []
    for module, targets in graph().items():
        part = part_of(module)
        for target in targets:
            other = part_of(target)
            if other and other != part and other not in ALLOWED.get(part, set()) | EVERYWHERE:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_commands_never_import_each_other() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        if part_of(module) == "commands"
        for target in targets
        if part_of(target) == "commands" and target != f"{PACKAGE}.commands"
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_only_git_py_spawns_git() -> None:
    """Every git process goes through git.py's named operations."""
    offenders = []
    for module, path in sources().items():
        if module == f"{PACKAGE}.git":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ('["git"', "'git',", '"git",'):
            if needle in text:
                offenders.append(f"{module}: {needle}")
        if ".run([" in text or ".out([" in text:
            offenders.append(f"{module}: a hand-written git command line")
    assert not offenders, "\n".join(offenders)


def test_pygit2_only_in_the_git_boundary_and_its_filter() -> None:
    """pygit2 lives behind git.py; filters/libgit2.py is the pygit2 filter plug-in itself."""
    allowed = {f"{PACKAGE}.git", f"{PACKAGE}.filters.libgit2"}
    users = {
        module
        for module, path in sources().items()
        if "import pygit2" in path.read_text(encoding="utf-8")
    }
    assert users <= allowed, sorted(users - allowed)


def test_module_names_are_unique() -> None:
    names: dict[str, list[str]] = {}
    for module in sources():
        leaf = module.rsplit(".", 1)[-1]
        if leaf not in {PACKAGE, "__main__"}:
            names.setdefault(leaf, []).append(module)
    twins = {leaf: mods for leaf, mods in names.items() if len(mods) > 1 and leaf != "__init__"}
    # Packages are named like their folder; a module of that name elsewhere is a twin.
    assert not twins, twins


def test_every_package_is_installed() -> None:
    """A folder missing from pyproject's package list is left out of a normal (non-editable)
    install: the tool would then fail on a user's machine while editable test runs pass."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    present = {
        module_name(init.parent / "x.py").rsplit(".", 1)[0]
        for init in sources().values()
        if init.name == "__init__.py"
    }
    assert present == listed, (
        f"missing: {sorted(present - listed)}, stale: {sorted(listed - present)}"
    )
