"""The command line: parses arguments and hands each subcommand to ``commands/``.

Nothing here knows how syncing works.  Expected failures (``FatalError``)
become one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from git_claude_sync import __version__
from git_claude_sync.errors import FatalError, failure_line

PROG = "git claude-sync"

_F = TypeVar("_F", bound=Callable[..., Any])

#: The man page's sections beyond the command tree (roff).
MAN_TAIL = """\
.SH SEE ALSO
.BR git (1),
the README and docs/ of git\\-claude\\-sync.
"""


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"git-claude-sync, version {__version__}")
        ctx.exit()


#: The commands commands/install.py defines (install, uninstall), by name: that module
#: imports the engine, so it is imported only when one of them runs or is listed, and every
#: other command, and --version, starts without it.
_INSTALL_COMMANDS = ("install", "uninstall")


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_INSTALL_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _INSTALL_COMMANDS and cmd_name not in self.commands:
            from git_claude_sync.commands import install

            for command in install.COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (FatalError, OSError) as err:
            line, code = failure_line(err)
            click.echo(line, err=True)
            ctx.exit(code)


def _verbosity(verbose: bool, quiet: bool) -> int:
    if verbose and quiet:
        raise click.UsageError("--verbose and --quiet exclude each other")
    return 2 if verbose else 0 if quiet else 1


_verbose = click.option(
    "--verbose", "-v", is_flag=True, help="Print per-phase timings and every file that failed."
)
_quiet = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")


def _choice(
    *names: str, dest: str, value: str, help: str | None = None, hidden: bool = False
) -> Callable[[_F], _F]:
    """A flag that sets ``dest`` to ``value``; two flags setting it differently are refused.

    (click's own flag_value options sharing a destination let the last one win.)
    """

    def callback(ctx: click.Context, _param: click.Parameter, given: bool) -> None:
        if not given:
            return
        chosen = ctx.meta.setdefault(f"git_claude_sync.{dest}", {})
        chosen[names[0]] = value
        if len(set(chosen.values())) > 1:
            raise click.UsageError(f"{' and '.join(sorted(chosen))} exclude each other", ctx)
        ctx.params[dest] = value

    return click.option(
        *names, is_flag=True, expose_value=False, callback=callback, help=help, hidden=hidden
    )


_ours = _choice(
    "--ours",
    dest="policy",
    value="ours",
    help="On a conflict keep this machine's version (the other stays in history).",
)
_theirs = _choice(
    "--theirs",
    dest="policy",
    value="theirs",
    help="On a conflict take the remote version (this one stays in history).",
)
_dry_run = click.option(
    "--dry-run", "-n", is_flag=True, help="Show what would happen; change nothing."
)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="The Claude directory is $CLAUDE_CONFIG_DIR, else ~/.claude; the tool's own "
    "home (sync repo, key, config, log) is ~/.claude-sync.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """Sync Claude Code's sessions and settings between machines through git.

    Every file is encrypted (AES-256-GCM) before git stores it, so the remote
    only ever sees ciphertext.  Typical use:

    \b
      git claude-sync init                  # first machine: make a key and a repo
      git claude-sync push                  # send this machine's changes
      git claude-sync init --git URL --key FILE   # another machine joins
      git claude-sync pull                  # bring the other machines' changes
      git claude-sync install               # push/pull from Claude Code hooks
    """


@cli.command()
@click.option(
    "--git",
    "remote",
    metavar="URL|PATH",
    help="Remote git repository (ssh, https, or a path). Default: a bare repo in ~/.claude-sync.",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this key (copied from a machine already syncing) instead of generating one.",
)
@click.option(
    "--key-code",
    metavar="CODE",
    help="Use the key from 'git claude-sync key export' on a machine already syncing "
    "(asks for its passphrase).",
)
@click.option(
    "--passphrase-stdin",
    is_flag=True,
    help="With --key-code: read the passphrase from stdin's first line "
    "(or set $GIT_CLAUDE_SYNC_PASSPHRASE).",
)
@click.option(
    "--s3", metavar="s3://BUCKET[/PREFIX]", help="Amazon S3, or S3-compatible with --endpoint."
)
@click.option("--endpoint", metavar="URL", help="With --s3: e.g. a MinIO, B2 or Wasabi URL.")
@click.option("--region", metavar="REGION", help="With --s3: the bucket's region.")
@click.option("--r2", metavar="BUCKET[/PREFIX]", help="Cloudflare R2 (with --account-id).")
@click.option("--account-id", metavar="ID", help="With --r2: the Cloudflare account id.")
@click.option("--gcs", metavar="gs://BUCKET[/PREFIX]", help="Google Cloud Storage.")
@click.option(
    "--transparent",
    is_flag=True,
    help="With --git, for a new repository: push the sync branch as it is (the host, and "
    "its web UI, show file names and history) instead of hiding them.",
)
@click.option(
    "--switch-claude-dir",
    is_flag=True,
    help="Already set up: sync this run's Claude directory ($CLAUDE_CONFIG_DIR, else "
    "~/.claude) from now on instead of the one recorded at init (the next pull fills it).",
)
@_verbose
@_quiet
def init(
    remote: str | None,
    key_file: Path | None,
    key_code: str | None,
    passphrase_stdin: bool,
    transparent: bool,
    switch_claude_dir: bool,
    verbose: bool,
    quiet: bool,
    **storage: str | None,
) -> None:
    """Set up syncing for this machine's Claude directory.

    The first machine runs plain 'init': it creates a 256-bit key at
    ~/.claude-sync/key (keep a copy somewhere safe: without it nothing can be
    read back) and, unless --git is given, a local bare repo as the remote.
    Another machine joins with the same --git URL and --key set to a copy of
    that key; its files and the remote's are then merged.

    With --git, a new repository gets the hidden layout: the host holds only
    encrypted packs under random ref names (claude-sync::git+URL), so no file,
    project or machine name reaches it; --transparent pushes the branch as it
    is instead.  A repository that already holds a layout keeps it.

    A bucket can be the remote instead (--s3, --r2, --gcs): credentials come from
    the provider's usual chain (environment, profiles, SSO, application-default
    credentials) and are never stored; the bucket only ever holds ciphertext.
    """
    from git_claude_sync.commands import init as command
    from git_claude_sync.remote import urls

    if switch_claude_dir:
        command.switch_claude_dir()
        return

    if any(storage.values()):
        if remote is not None:
            raise click.UsageError("--git and --s3/--r2/--gcs exclude each other")
        remote = urls.build(**storage)
    if transparent and (remote is None or urls.is_object_storage(remote)):
        raise click.UsageError("--transparent goes with --git URL")
    command.check_joining(remote, key_file is not None or key_code is not None)
    if remote is not None and urls.is_object_storage(remote):
        urls.preflight(remote)  # before anything changes here
    key_raw = None
    if key_code is not None:
        from git_claude_sync.ui import passphrase

        if key_file is not None:
            raise click.UsageError("--key and --key-code exclude each other")
        key_raw = passphrase.key_from(None, key_code, passphrase_stdin)
    command.run(
        remote=remote,
        key_file=key_file,
        key_raw=key_raw,
        verbosity=_verbosity(verbose, quiet),
        transparent=transparent,
    )


_accept_rollback = click.option(
    "--accept-rollback",
    is_flag=True,
    help="Accept a remote that went back to an older state, lost its branch or was replaced "
    "(refused otherwise: docs/spec/state.md); new commits must still be sealed.",
)


@cli.command()
@click.option(
    "--all",
    "renormalize",
    is_flag=True,
    help="Re-encrypt and check every synced file, not only those git sees as changed.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete on the remote the sessions deleted here (kept there by default).",
)
@click.option(
    "--allow-mass-delete",
    is_flag=True,
    help="Send deletions even when they are most of what is synced (refused otherwise: an "
    "emptied or reinstalled Claude directory would delete everything everywhere).",
)
@_accept_rollback
@_ours
@_theirs
@_dry_run
@_verbose
@_quiet
def push(
    renormalize: bool,
    prune: bool,
    allow_mass_delete: bool,
    accept_rollback: bool,
    dry_run: bool,
    verbose: bool,
    quiet: bool,
    policy: str | None = None,
) -> None:
    """Commit this machine's changes and send them to the remote.

    Changes from other machines are fetched and merged first (as 'pull'
    does). Nothing is sent unless every file to send is verified to be
    ciphertext. A push with nothing new makes no commit and encrypts nothing.

    Sessions deleted here (Claude Code deletes transcripts older than
    cleanupPeriodDays) stay on the remote and in 'git claude-sync sessions',
    restorable with 'git claude-sync restore'; --prune deletes them there too.
    """
    from git_claude_sync.commands import push as command

    command.run(
        renormalize=renormalize,
        prune=prune,
        allow_mass_delete=allow_mass_delete,
        accept_rollback=accept_rollback,
        dry_run=dry_run,
        verbosity=_verbosity(verbose, quiet),
        policy=policy,
    )


@cli.command()
@_accept_rollback
@_ours
@_theirs
@_dry_run
@_verbose
@_quiet
def pull(
    accept_rollback: bool, dry_run: bool, verbose: bool, quiet: bool, policy: str | None = None
) -> None:
    """Bring other machines' changes into the Claude directory.

    Every incoming file is authenticated before any is written; each is
    replaced atomically, and sessions and history.jsonl only ever get lines
    appended.  A file changed on both machines is merged by kind: sessions
    line by line (nothing lost), history.jsonl by time, JSON by key, other
    text like git does.  What cannot be merged is asked about on a terminal;
    without one (hooks) this machine's version stays and the other goes
    beside it as a conflict copy on every machine ('git claude-sync
    conflicts').  Exit code 3: done, but conflicts need a person.
    """
    from git_claude_sync.commands import pull as command

    command.run(
        dry_run=dry_run,
        verbosity=_verbosity(verbose, quiet),
        policy=policy,
        accept_rollback=accept_rollback,
    )


_json = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON document (schema: docs/spec/json-output.md).",
)


@cli.command()
@click.option(
    "--no-fetch", is_flag=True, help="Do not contact the remote; report what was last fetched."
)
@_json
def status(no_fetch: bool, as_json: bool) -> None:
    """Show what push and pull would move, the remote, the last sync and the key.

    The exit code tells a script what to do:

    \b
      0  in sync: nothing to push or pull
      1  changes to push or pull ('git claude-sync push' settles them)
      3  conflicts: changed on both sides beyond what merges by itself, or
         stored by a pull without a terminal ('git claude-sync conflicts')
      4  needs attention: remote unreachable, remote moved to another key,
         the last hook run failed, or status itself failed
    """
    from git_claude_sync.commands import status as command

    sys.exit(command.run(fetch=not no_fetch, as_json=as_json))


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    short_help="Run plain git on the sync repo (diffs in plaintext).",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def git(args: tuple[str, ...]) -> None:
    """Run plain git on the sync repo, e.g. 'git claude-sync git log -p'.

    Diffs and 'git show' (also 'git show REV:PATH') print plaintext,
    decrypted for display only; every stored object stays ciphertext.  A blob
    by id alone has no path to decrypt for: use REV:PATH, or
    'git cat-file --textconv REV:PATH'.
    """
    from git_claude_sync.commands import passthrough

    sys.exit(passthrough.run(list(args)))


@cli.group(invoke_without_command=True)
@_json
@click.pass_context
def conflicts(ctx: click.Context, as_json: bool) -> None:
    """List conflicts waiting for a person (both versions kept); resolve them.

    A pull without a terminal keeps this machine's version of a file both
    machines changed and puts the other beside it as a conflict copy
    (NAME.sync-conflict-DATE-TIME-MACHINE.EXT), synced to every machine until
    resolved.  Until then push and pull exit with code 3.
    """
    if ctx.invoked_subcommand is None:
        from git_claude_sync.commands import conflicts as command

        command.list_stored(as_json)


@conflicts.command("resolve")
@click.argument("path")
@_choice("--ours", dest="choice", value="ours", help="Keep the version in place at PATH.")
@_choice(
    "--theirs", dest="choice", value="theirs", help="Take the other version (the conflict copy)."
)
@_choice("--both", dest="choice", value="both", help="Keep both as ordinary files.")
# The first spellings, kept working: push and pull say --ours/--theirs.
@_choice("--local", dest="choice", value="ours", hidden=True)
@_choice("--remote", dest="choice", value="theirs", hidden=True)
def conflicts_resolve(path: str, choice: str | None = None) -> None:
    """Resolve the conflict for PATH (relative to the Claude directory; the file
    or its conflict copy).  The copy is removed; 'push' removes it everywhere.

    Without --ours/--theirs/--both, asks on the terminal (with a diff and an
    editor on a marked-up merge).  --ours and --theirs mean what they mean for
    push and pull.
    """
    from git_claude_sync.commands import conflicts as command

    command.resolve(path, choice)


@cli.group()
def remote() -> None:
    """Change how the remote holds what is synced.

    \b
      git claude-sync remote hide           # a git host keeps only ciphertext, no names
    """


@remote.command("hide")
@_verbose
@_quiet
def remote_hide(verbose: bool, quiet: bool) -> None:
    """Move a git remote to the hidden layout: no file, project or machine name on the host.

    Syncs first, copies the history into encrypted packs under random ref names
    of the same repository (claude-sync::git+URL), reads them back, and only
    then replaces the branch on the host by a marker (the host must allow a
    force push to it).  Safe to interrupt: run it again to finish.  Other
    machines follow on their next sync.
    """
    from git_claude_sync.commands import hide as command

    command.run(_verbosity(verbose, quiet))


@cli.group()
def key() -> None:
    """Show, export, rotate or switch the key that encrypts everything synced.

    \b
      git claude-sync key fingerprint       # compare between machines
      git claude-sync key export            # one line to paste into 'init --key-code'
      git claude-sync key rotate            # new key; current files re-encrypted and pushed
      git claude-sync key rotate --rewrite-history   # ... and the whole history too
      git claude-sync key use --key-code C  # after another machine rotated
    """


_passphrase_stdin = click.option(
    "--passphrase-stdin",
    is_flag=True,
    help="Read the passphrase from stdin's first line (or set $GIT_CLAUDE_SYNC_PASSPHRASE).",
)


@key.command("fingerprint")
@_json
def key_fingerprint(as_json: bool) -> None:
    """Print the key's fingerprint: equal on two machines exactly when their keys are."""
    from git_claude_sync.commands import key as command

    command.fingerprint(as_json)


@key.command("export")
@_passphrase_stdin
def key_export(passphrase_stdin: bool) -> None:
    """Print the key wrapped with a passphrase, as one line to copy to another machine.

    The passphrase (asked twice) goes through scrypt with a random salt; the
    key is sealed with AES-256-GCM.  Anyone with the line can try passphrases
    offline: choose a long one, and send line and passphrase by different
    channels.  The other machine runs: git claude-sync init --git URL --key-code LINE
    """
    from git_claude_sync.commands import key as command

    command.export(passphrase_stdin)


@key.command("rotate")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation on a terminal.")
@click.option(
    "--rewrite-history",
    is_flag=True,
    help="Re-encrypt every commit under the new key and replace the remote's history.",
)
@_verbose
@_quiet
def key_rotate(yes: bool, rewrite_history: bool, verbose: bool, quiet: bool) -> None:
    """Make a new key, re-encrypt the current files under it and push them.

    History already pushed stays encrypted under the old key: whoever holds
    the old key can still read everything synced up to now -- unless
    --rewrite-history, which re-encrypts every commit and replaces the
    remote's history (no other machine's commit is lost), so the old key
    opens nothing the remote serves.  The old key is kept in
    ~/.claude-sync/old-keys/ so this machine can read its own history.
    Other machines stop with a message until they run 'key use'.  On a
    terminal it asks first (--yes does not); without one it goes ahead.
    """
    from git_claude_sync.commands import key as command

    command.rotate(_verbosity(verbose, quiet), yes, rewrite_history)


@key.command("use")
@click.argument("key_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key-code", metavar="CODE", help="A line from 'git claude-sync key export'.")
@_passphrase_stdin
@_verbose
@_quiet
def key_use(
    key_file: Path | None, key_code: str | None, passphrase_stdin: bool, verbose: bool, quiet: bool
) -> None:
    """Switch to the key another machine rotated to (FILE, or --key-code), then pull.

    What this machine holds is re-encrypted under the new key; the old key is
    kept in ~/.claude-sync/old-keys/ to read history.
    """
    from git_claude_sync.commands import key as command

    command.use(key_file, key_code, passphrase_stdin, _verbosity(verbose, quiet))


@cli.command()
@click.option(
    "--project", "-p", metavar="P", help="Only sessions whose project (folder) contains P."
)
@click.option("--machine", "-m", metavar="M", help="Only sessions last written by machine M.")
@click.option(
    "--since", metavar="DATE", help="Only sessions active since DATE (2025-06-20, 3d, yesterday)."
)
@_json
def sessions(project: str | None, machine: str | None, since: str | None, as_json: bool) -> None:
    """List the sessions synced from every machine, latest activity first.

    Shows each session's id, project, last activity, size, the machine that
    wrote it last, where it is (here; on the remote only, deleted here by
    Claude Code's clean-up; or in history only, after 'push --prune') and its
    first prompt.  Read from the sync repo: run 'pull' first to see the latest.
    """
    from git_claude_sync.commands import sessions as command

    command.run(project, machine, since, as_json)


@cli.command()
@click.argument("session")
@click.option("--at", metavar="DATE", help="The state as synced at DATE (2025-06-20 14:30, 2d).")
@click.option("--force", is_flag=True, help="Write files with changes not pushed yet too.")
def restore(session: str, at: str | None, force: bool) -> None:
    """Bring back SESSION (an id, or the start of one) into the Claude directory.

    A session deleted here (Claude Code deletes transcripts older than
    cleanupPeriodDays) or everywhere comes back as last synced; with --at, the
    state it had at that time.  Only that session's files are written: a
    missing one atomically, an existing one only gains the lines it lacks,
    appended in place as a pull does (a session never loses a line); a file
    with changes not pushed yet is never touched without --force.
    """
    from git_claude_sync.commands import restore as command

    command.run(session, at, force)


@cli.command("ui")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (default: any free).")
@click.option("--no-browser", is_flag=True, help="Print the address; open no browser.")
def ui_command(port: int, no_browser: bool) -> None:
    """A local web page: sessions, sync metrics, conflicts, machines.

    Listens on 127.0.0.1 only; the address it prints (and opens) holds a
    secret made for this run, without which the page answers nothing.
    Stop it with Ctrl-C.
    """
    from git_claude_sync.web import server

    server.serve(port, open_browser=not no_browser)


@cli.command()
@click.argument("words", nargs=-1, metavar="QUERY")
@click.option(
    "--project", "-p", metavar="P", help="Only sessions whose project (folder) contains P."
)
@click.option("--machine", "-m", metavar="M", help="Only text synced by machine M.")
@click.option("--since", metavar="DATE", help="Only text since DATE (2025-06-20, 3d, yesterday).")
@click.option(
    "--role",
    type=click.Choice(["prompt", "reply", "tool"]),
    help="Only what a person typed, Claude's replies, or tool calls and their output.",
)
@click.option(
    "--all-versions",
    is_flag=True,
    help="Also text only earlier versions of a transcript held (rewritten, not appended to).",
)
@click.option("-n", "limit", type=int, default=20, show_default=True, help="Show N matches.")
@click.option("--rebuild", is_flag=True, help="Build the search index again from the sync repo.")
@_json
def search(
    words: tuple[str, ...],
    project: str | None,
    machine: str | None,
    since: str | None,
    role: str | None,
    all_versions: bool,
    limit: int,
    rebuild: bool,
    as_json: bool,
) -> None:
    """Find QUERY in every synced session: all machines and projects, and the
    sessions Claude Code deleted here (kept in the sync repo).

    Every word must occur; "quoted words" match as a phrase; word* matches
    words starting so.  Each match shows its session, project, time, machine
    and the text around it, and how to resume the session (or restore it first).

    The index is ~/.claude-sync/search/ (private: modes 0700 and 0600): it holds
    the sessions' PLAINTEXT, stays on this machine, and every push and pull
    updates it with what they changed.
    """
    from git_claude_sync.commands import find as command

    if rebuild:
        command.rebuild(then_search=bool(words))
        if not words:
            return
    if not words:
        raise click.UsageError("give a QUERY (or --rebuild)")
    command.run(
        " ".join(words),
        project=project,
        machine=machine,
        since=since,
        role=role,
        all_versions=all_versions,
        limit=limit,
        as_json=as_json,
    )


@cli.command()
@click.option("-n", "limit", type=int, default=20, show_default=True, help="Show N syncs.")
@click.option("--machine", "-m", metavar="M", help="Only syncs by machine M.")
@click.option("--since", metavar="DATE", help="Only syncs since DATE (2025-06-20, 3d, yesterday).")
@click.option("--verbose", "-v", is_flag=True, help="List the sessions of each sync by title.")
@_json
def log(limit: int, machine: str | None, since: str | None, verbose: bool, as_json: bool) -> None:
    """Show the sync history: when, which machine, which sessions, how much.

    Sizes are of what is stored (compressed and encrypted).  For every detail,
    'git claude-sync git log -p' shows the plaintext diffs.
    """
    from git_claude_sync.commands import log as command

    command.run(limit, machine, since, verbose, as_json)


@cli.command("map")
@click.argument("source", required=False, metavar="FROM")
@click.argument("target", required=False, metavar="TO")
@click.option("--list", "show", is_flag=True, help="Show the rules and the project folders.")
@click.option("--remove", metavar="PATH", help="Remove the rule for PATH (its FROM or TO).")
@click.option("--json", "as_json", is_flag=True, help="With --list: one JSON document.")
def map_command(
    source: str | None, target: str | None, show: bool, remove: str | None, as_json: bool
) -> None:
    """Resume here the sessions of a project kept elsewhere at another path.

    \b
      git claude-sync map /Users/alice/code /home/alice/src
      git claude-sync map --list
      git claude-sync map --remove /home/alice/src

    FROM is the project root as another machine has it, TO the same root on
    this machine.  Home directories need no rule: each machine maps its own
    $HOME.  Sessions are kept in one canonical folder per project and Claude
    Code finds them under its own folder name through a link; a session made
    here goes back into the other machine's folder for that project.  Rules
    belong to this machine (~/.claude-sync/map.json) and are never synced.
    See docs/MAPPING.md.
    """
    from git_claude_sync.commands import map as command

    if as_json and (remove is not None or source is not None):
        raise click.UsageError("--json goes with --list only")
    if remove is not None:
        if source is not None or show:
            raise click.UsageError("--remove takes no FROM TO and no --list")
        command.remove(remove)
    elif source is not None:
        if target is None or show:
            raise click.UsageError("give FROM and TO (or --list, or --remove PATH)")
        command.add(source, target)
    else:
        command.list_rules(as_json)


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.option("--install", is_flag=True, help="Write it where the shell finds it, and say where.")
def completion(shell: str, install: bool) -> None:
    """Print the completion script for SHELL (bash, zsh or fish), or --install it.

    \b
      git claude-sync completion bash --install   # bash-completion's user folder
      git claude-sync completion fish --install   # ~/.config/fish/completions
      eval "$(git claude-sync completion zsh)"    # in ~/.zshrc, after compinit

    'git claude-sync <TAB>' then completes through the shell's git completion,
    and 'git-claude-sync <TAB>' directly.  install.sh installs bash and fish's.
    """
    from git_claude_sync.commands import completion as command

    command.run(shell, install)


@cli.command()
@click.option(
    "--every",
    "minutes",
    type=int,
    default=15,
    show_default=True,
    metavar="MIN",
    help="Minutes between syncs.",
)
@click.option("--remove", is_flag=True, help="Stop and remove the scheduled sync.")
def schedule(minutes: int, remove: bool) -> None:
    """Sync every few minutes in the background, Claude Code running or not.

    Linux: a systemd --user timer; macOS: a launchd agent.  Each run pushes
    (fetching and merging first, so it also pulls) and logs to
    ~/.claude-sync/sync.log like the hooks; 'status' shows a failure.
    """
    from git_claude_sync.commands import schedule as command

    if remove:
        command.remove()
    else:
        command.install(minutes)


@cli.command()
def doctor() -> None:
    """Check everything that silently breaks sync, and say how to fix each.

    git and Python versions, the key file and its mode, the sync repo, the
    remote (reachable, and on this machine's key), clock skew against the
    remote, the Claude Code hooks (installed, current, and finding
    git-claude-sync even when Claude Code is started from the desktop), the
    last hook run, and free disk space.  Exits 1 if anything is wrong.
    """
    from git_claude_sync.commands import doctor as command

    sys.exit(command.run())


@cli.command(
    hidden=True,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("event", required=False, default="")
def hook(event: str) -> None:
    """Entry point for Claude Code hooks: 'session-end' pushes, 'session-start' pulls,
    'turn-end' pushes once turns have gone quiet for a few seconds.

    Reads the hook's JSON from stdin, prints nothing, starts the sync detached
    and exits 0 at once, whatever happens.  Everything it has to say goes to
    ~/.claude-sync/sync.log.  Set GIT_CLAUDE_SYNC_HOOK_FOREGROUND=1 to wait for
    the sync instead.
    """
    from git_claude_sync.commands import claude_hook as command

    sys.exit(command.run(event))


@cli.command(hidden=True)
def manpage() -> None:
    """Print the man page (roff), generated from this command tree.

    install.sh and the wheel ship it as git-claude-sync.1, which is what
    'git claude-sync --help' opens (git turns --help into 'git help claude-sync').
    """
    from git_claude_sync.ui import manpage as page

    click.echo(page.render(cli, PROG, tail=MAN_TAIL), nl=False)


#: click derives "_GIT CLAUDE_SYNC_COMPLETE" (with a space) from the program name.
COMPLETE_VAR = "_GIT_CLAUDE_SYNC_COMPLETE"


def _usage_error(err: click.UsageError) -> int:
    """click's usage error, with a hint that works: git turns '--help' into 'git help'."""
    ctx = err.ctx
    if type(err).__name__ == "NoArgsIsHelpError":  # click >= 8.2: bare group prints its help
        err.show()
        return err.exit_code
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        click.echo(f"Try '{ctx.command_path} -h' for help.\n", err=True)
    click.echo(f"Error: {err.format_message()}", err=True)
    return err.exit_code


def main() -> None:
    try:
        code = cli.main(prog_name=PROG, complete_var=COMPLETE_VAR, standalone_mode=False)
    except (click.ClickException, click.Abort, KeyboardInterrupt) as err:
        code = failed(err)
    sys.exit(code if isinstance(code, int) else 0)


def failed(err: click.ClickException | click.Abort | KeyboardInterrupt) -> int:
    """Say what click's main let through, and give the exit code (also entry.py's, for a
    prompt or an editor in a command it ran without click's main)."""
    if isinstance(err, click.UsageError):
        return _usage_error(err)
    if isinstance(err, click.ClickException):
        err.show()
        return err.exit_code
    if isinstance(err, click.Abort):
        # click turns Ctrl-C and end of input at a prompt into Abort.
        interrupted = isinstance(err.__context__, KeyboardInterrupt)
        click.echo("" if interrupted else "Aborted.", err=True)
        return 130 if interrupted else 1
    click.echo("", err=True)
    return 130
