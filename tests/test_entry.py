"""git_claude_sync/entry.py: the command lines it takes mean what cli.py makes of them, and
the commands run most start without the imports they do not use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from git_claude_sync import cli, entry

#: Never needed to print a version, and not by push/pull/status before they do their work
#: (pygit2 ~140 ms, the bucket clients more; click ~20 ms, which entry.py is for; zstandard
#: and tomllib ~2 and ~4 ms, loaded where a chunk is (de)compressed or config.toml read).
HEAVY = ("click", "pygit2", "botocore", "boto3", "google", "cryptography", "zstandard", "tomllib")


def _click_params(argv: list[str]) -> dict[str, object]:
    """What cli.py's command makes of ``argv``: its parameters that are set."""
    command = cli.cli.commands[argv[0]]
    with command.make_context(argv[0], argv[1:], parent=click.Context(cli.cli)) as ctx:
        return {name: value for name, value in ctx.params.items() if value}


def _entry_params(argv: list[str]) -> dict[str, object]:
    parsed = entry.parse(argv)
    assert parsed is not None, argv
    _, given, values = parsed
    params: dict[str, object] = {name: True for name in given - {"ours", "theirs"}}
    for policy in given & {"ours", "theirs"}:
        params["policy"] = policy
    params.update({name: value for name, value in values.items() if value})
    if "key_file" in values:
        params["key_file"] = Path(values["key_file"])  # click.Path(path_type=Path)
    return params


@pytest.mark.parametrize(
    "argv",
    [[name] for name in entry.FLAGS]
    + [[name, flag] for name, flags in entry.FLAGS.items() for flag in flags]
    + [["push", "-q", "--all", "--prune", "--ours"], ["pull", "-v", "-n", "--theirs"]]
    + [["status", "--json", "--no-fetch"], ["push", "-q", "--quiet"]]
    + [["init", "--git", "/srv/sync.git", "--key", "k", "-q"], ["init", "--key", "x/key"]]
    + [["init", "-v", "--git", "s3://bucket/prefix"]]
    + [["hook"], ["hook", "session-end"], ["hook", "turn-runner"], ["hook", ""]],
)
def test_a_command_line_taken_here_means_what_cli_py_makes_of_it(argv: list[str]) -> None:
    assert _entry_params(argv) == _click_params(argv)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["push", "-h"],
        ["push", "-qn"],  # click's combined short flags: its parser alone
        ["push", "-q", "-v"],  # refused by cli.py, in its words
        ["pull", "--ours", "--theirs"],
        ["push", "--"],
        ["push", "--quiet=1"],
        ["status", "extra"],
        ["init", "--transparent", "--git", "u"],
        ["init", "--git=u"],
        ["init", "--git"],
        ["init", "--git", ""],
        ["init", "--git", "-q"],
        ["init", "--git", "u", "--git", "v"],
        ["init", "--key-code", "c"],
        ["init", "--key", "."],  # a folder: click.Path says what is wrong
        ["push", "--git", "u"],
        ["hook", "-h"],
        ["hook", "session-end", "extra"],
        ["PUSH"],
    ],
)
def test_anything_else_goes_to_cli_py(argv: list[str]) -> None:
    assert entry.parse(argv) is None


def _options(command: str) -> dict[str, click.Option]:
    """The options cli.py declares for ``command``, by each of their spellings."""
    return {
        opt: param
        for param in cli.cli.commands[command].params
        if isinstance(param, click.Option)
        for opt in param.opts
    }


def test_every_option_with_a_value_taken_here_is_one_of_the_command() -> None:
    for name, options in entry.VALUES.items():
        params = _options(name)
        for option, dest in options.items():
            assert option in params and not params[option].is_flag, (name, option)
            assert params[option].name == dest and params[option].nargs == 1


def test_every_flag_taken_here_is_a_flag_of_the_command() -> None:
    for name, flags in entry.FLAGS.items():
        options = _options(name)
        for flag in flags:
            assert flag in options and options[flag].is_flag, (name, flag)


def test_completion_is_left_to_click() -> None:
    assert entry.COMPLETE_VAR == cli.COMPLETE_VAR


def _imported(*args: str) -> set[str]:
    """The modules a fresh interpreter imports running ``python -X importtime ARGS``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def _heavy(names: set[str]) -> set[str]:
    return {name for name in names if name.split(".")[0] in HEAVY}


def test_version_imports_nothing_heavy() -> None:
    names = _imported("-m", "git_claude_sync", "--version")
    assert "git_claude_sync.entry" in names
    assert not _heavy(names)


def test_the_commands_run_most_import_nothing_heavy_before_their_work() -> None:
    # The codec imports cryptography's AEAD when it first seals or opens, not before.
    names = [*entry.FLAGS, "claude_hook"]
    modules = ", ".join(f"git_claude_sync.commands.{name}" for name in names)
    names = _imported("-c", f"import git_claude_sync.entry, {modules}")
    assert "git_claude_sync.commands.push" in names
    assert not _heavy(names)


def test_push_pull_status_and_the_hook_import_no_dataclasses() -> None:
    # dataclasses brings inspect, ast, dis and tokenize (~8 ms of every start): the package's
    # records are built by git_claude_sync/records.py instead (issue 14).
    names = ["push", "pull", "status", "claude_hook"]
    modules = ", ".join(f"git_claude_sync.commands.{name}" for name in names)
    names = _imported("-c", f"import git_claude_sync.entry, {modules}")
    assert "git_claude_sync.commands.claude_hook" in names
    assert not names & {"dataclasses", "inspect", "ast"}
