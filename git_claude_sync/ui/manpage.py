"""The man page, generated from the click command tree that ``--help`` prints.

``git claude-sync --help`` is turned by git into ``git help claude-sync``,
which opens ``man git-claude-sync``: so the page must exist, and say what
``-h`` says.  One page holds every command (as git-lfs's or restic's overview
pages do), built from the same help texts, options and usage lines as
``-h``; nothing is written twice.  The output depends only on the command tree
(no date, no version), so the copy committed in ``docs/man/`` and shipped in
the wheel can be checked against it by a test.
"""

from __future__ import annotations

import click

NAME = "git-claude-sync"


def _escape(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line[:1] in (".", "'") else line for line in text.split("\n"))


def _paragraphs(text: str) -> list[str]:
    """roff for click's help text: blank-line paragraphs; a ``\\b`` block kept as written."""
    out: list[str] = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if lines[0].strip() == "\b":
            body = [line[2:] if line.startswith("  ") else line for line in lines[1:]]
            out.append(".PP\n.RS 2\n.nf\n" + _escape("\n".join(body)) + "\n.fi\n.RE")
        else:
            joined = " ".join(line.strip() for line in lines if line.strip())
            if joined:
                out.append(".PP\n" + _escape(joined))
    return out


def _options(command: click.Command, ctx: click.Context, top: bool = False) -> list[str]:
    out: list[str] = []
    help_option = None if top else command.get_help_option(ctx)
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        # -h/--help is on every command (listed once); arguments are named in the usage line.
        if record is None or param is help_option or isinstance(param, click.Argument):
            continue
        names, help_text = record
        out.append(".TP\n.B " + _escape(names) + "\n" + _escape(help_text or ""))
    return out


def _usage(command: click.Command, ctx: click.Context) -> str:
    pieces = " ".join(command.collect_usage_pieces(ctx))
    return ".PP\n.B " + _escape(ctx.command_path) + ("\n" + _escape(pieces) if pieces else "")


def _commands(group: click.Group, ctx: click.Context) -> list[str]:
    out: list[str] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = click.Context(command, info_name=name, parent=ctx)
        root = ctx.find_root().info_name or ""
        out.append(f'.SS "{_escape(sub.command_path.removeprefix(root).strip())}"')
        out.append(_usage(command, sub))
        out.extend(_paragraphs(command.help or ""))
        out.extend(_options(command, sub))
        if isinstance(command, click.Group):
            out.extend(_commands(command, sub))
    return out


def render(cli: click.Group, prog: str = "git claude-sync", tail: str = "") -> str:
    """The whole page in roff (man(7) macros).  ``tail``: extra roff sections at the end."""
    ctx = click.Context(cli, info_name=prog, **cli.context_settings)
    help_text = cli.help or ""
    summary = help_text.strip().split("\n\n", 1)[0].strip().rstrip(".")
    lines = [
        f'.TH {NAME.upper()} 1 "" "{NAME}" "Git Manual"',
        ".SH NAME",
        f"{_escape(NAME)} \\- {_escape(summary[0].lower() + summary[1:])}",
        ".SH SYNOPSIS",
        _usage(cli, ctx),
        ".SH DESCRIPTION",
        *_paragraphs(help_text.strip().split("\n\n", 1)[1] if "\n\n" in help_text else ""),
        ".SH OPTIONS",
        *_options(cli, ctx, top=True),
        ".SH COMMANDS",
        *_commands(cli, ctx),
    ]
    if cli.epilog:
        lines += [".SH FILES", *_paragraphs(cli.epilog)]
    text = "\n".join(lines) + "\n"
    return text + tail if tail else text
