"""The process's entry: the command lines run most, started without click.

click and what it brings (inspect, uuid, datetime, gettext…) cost ~20 ms of CPU at every
start: a tenth of an append push, a fifth of ``status``, most of ``--version``.  The
commands hooks, scripts and the test suite run hundreds of times (push, pull, status,
--version; init's plain and joining forms; the hook Claude Code runs after every turn)
are spelled here as the words they take, and
run with the very calls cli.py makes.  Anything else (other options, ``--opt=value``, -h, a
combined -qv, flags that exclude each other, shell completion) goes to cli.py, which parses
it all and says what is wrong: a command line means the same here as there, or is not
taken here.
"""

from __future__ import annotations

import gc
import os
import sys

from git_claude_sync import __version__
from git_claude_sync.errors import FatalError, failure_line
from git_claude_sync.ui.report import echo

#: cli.COMPLETE_VAR: set, click answers shell completion (tests check the two agree).
COMPLETE_VAR = "_GIT_CLAUDE_SYNC_COMPLETE"

_VERBOSITY = {"-q": "quiet", "--quiet": "quiet", "-v": "verbose", "--verbose": "verbose"}
_SYNC = {
    "--accept-rollback": "accept_rollback",
    "--ours": "ours",
    "--theirs": "theirs",
    "-n": "dry_run",
    "--dry-run": "dry_run",
    **_VERBOSITY,
}

#: Each command taken here, and its flags (as cli.py declares them) by what they set.
FLAGS: dict[str, dict[str, str]] = {
    "push": {
        **_SYNC,
        "--all": "renormalize",
        "--prune": "prune",
        "--allow-mass-delete": "allow_mass_delete",
    },
    "pull": _SYNC,
    "status": {"--no-fetch": "no_fetch", "--json": "as_json"},
    "init": _VERBOSITY,
}

#: The options with a value taken here (``--git URL``, not ``--git=URL``), by what they set.
VALUES: dict[str, dict[str, str]] = {"init": {"--git": "remote", "--key": "key_file"}}

#: Flags cli.py refuses together (with a usage error it words itself).
_EXCLUSIVE = ({"quiet", "verbose"}, {"ours", "theirs"})


def parse(argv: list[str]) -> tuple[str, set[str], dict[str, str]] | None:
    """The command, the flags and the values it was given, if ``argv`` is a command line
    taken here."""
    if argv[:1] == ["hook"] and len(argv) <= 2 and not argv[-1].startswith("-"):
        return "hook", set(), {"event": argv[1] if len(argv) == 2 else ""}
    if not argv or argv[0] not in FLAGS:
        return None
    flags, options = FLAGS[argv[0]], VALUES.get(argv[0], {})
    given: set[str] = set()
    values: dict[str, str] = {}
    words = iter(argv[1:])
    for word in words:
        if word in flags:
            given.add(flags[word])
            continue
        value = next(words, "")
        # A value click might read otherwise (empty, an option's look), or given twice.
        if word not in options or value[:1] in ("", "-") or options[word] in values:
            return None
        values[options[word]] = value
    if any(pair <= given for pair in _EXCLUSIVE):
        return None
    if os.path.isdir(values.get("key_file", "")):  # click.Path(dir_okay=False) refuses it
        return None
    return argv[0], given, values


def run(command: str, given: set[str], values: dict[str, str]) -> int:
    """What cli.py's command of that name does with those flags; the exit code."""
    # A sync is a short-lived process whose garbage reference counting frees: its large
    # tables (an index listing, the link stat cache: 10k entries each at 1 GiB) only
    # made the cyclic collector scan them again and again, ~200 times and ~20 ms a
    # push.  It still runs if a million objects pile up.
    gc.set_threshold(1_000_000, 10, 10)
    verbosity = 2 if "verbose" in given else 0 if "quiet" in given else 1
    policy = "ours" if "ours" in given else "theirs" if "theirs" in given else None
    if command in ("push", "pull") and "dry_run" not in given:
        from git_claude_sync.engine import linked_listing
        from git_claude_sync.machine import paths

        # find walks the linked folders on the other core while the engine is imported.
        linked_listing.begin(paths.current())
    if command == "push":
        from git_claude_sync.commands import push

        push.run(
            renormalize="renormalize" in given,
            prune="prune" in given,
            allow_mass_delete="allow_mass_delete" in given,
            accept_rollback="accept_rollback" in given,
            dry_run="dry_run" in given,
            verbosity=verbosity,
            policy=policy,
        )
        return 0
    if command == "pull":
        from git_claude_sync.commands import pull

        pull.run(
            dry_run="dry_run" in given,
            verbosity=verbosity,
            policy=policy,
            accept_rollback="accept_rollback" in given,
        )
        return 0
    if command == "hook":
        from git_claude_sync.commands import claude_hook

        return claude_hook.run(values["event"])
    if command == "init":
        return _init(values.get("remote"), values.get("key_file"), verbosity)
    from git_claude_sync.commands import status

    return status.run(fetch="no_fetch" not in given, as_json="as_json" in given)


def _init(remote: str | None, key: str | None, verbosity: int) -> int:
    """cli.init without --transparent, a bucket's options or --key-code."""
    from pathlib import Path

    from git_claude_sync.commands import init
    from git_claude_sync.remote import urls

    key_file = None if key is None else Path(key)
    init.check_joining(remote, key_file is not None)
    if remote is not None and urls.is_object_storage(remote):
        urls.preflight(remote)  # before anything changes here
    init.run(remote=remote, key_file=key_file, key_raw=None, verbosity=verbosity)
    return 0


def _guarded(command: str, given: set[str], values: dict[str, str]) -> int:
    """``run``, its failures said as cli.py's group and click's main say them."""
    try:
        return run(command, given, values)
    except (FatalError, OSError) as err:
        line, code = failure_line(err)
        echo(line, err=True)
        return code
    except KeyboardInterrupt:
        echo("\n", err=True)  # click's main says a line, then cli.main another
        return 130
    except EOFError:
        echo("\nAborted.", err=True)
        return 1
    except Exception as err:
        # A prompt or an editor (ui/prompt imports click only then) failing or aborted.
        if "click" not in sys.modules:
            raise
        import click

        if not isinstance(err, click.ClickException | click.Abort):
            raise
        from git_claude_sync import cli

        return cli.failed(err)


def main() -> None:
    argv = sys.argv[1:]
    if argv == ["--version"]:
        echo(f"git-claude-sync, version {__version__}")
        sys.exit(0)
    parsed = None if COMPLETE_VAR in os.environ else parse(argv)
    if parsed is None:
        from git_claude_sync import cli

        cli.main()
    else:
        code = _guarded(*parsed)
        # The interpreter's teardown runs a last full collection over every object the
        # run made (~10 ms after an append push at 1 GiB): frozen, they are left to the
        # exit, like the rest of the process's memory.  Files are closed where written.
        gc.freeze()
        sys.exit(code)
