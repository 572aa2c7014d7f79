"""``git claude-sync completion bash|zsh|fish``: shell completion scripts.

click's own scripts register the program name, and ours has a space in it
(``git claude-sync``), which no shell can complete.  These scripts instead
plug into each shell's git completion, which hands ``git claude-sync ...`` to
a function named after the external command (bash: ``_git_claude_sync``,
loaded by git's completion from bash-completion's user folder; zsh:
``_git-claude-sync``; fish: completions of ``git-claude-sync``), and they also
complete ``git-claude-sync ...`` typed directly.  The candidates come from
click itself (``_GIT_CLAUDE_SYNC_COMPLETE``), so they follow the command tree.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from git_claude_sync.errors import FatalError
from git_claude_sync.machine.files import atomic_write

VAR = "_GIT_CLAUDE_SYNC_COMPLETE"

BASH = r"""# git-claude-sync completion for bash: `git claude-sync ...` (through git's
# completion, which calls _git_claude_sync) and `git-claude-sync ...`.
__git_claude_sync_reply() {  # $1: index of the word to complete; then the words
    local cword=$1 IFS=$'\n' line
    shift
    COMPREPLY=()
    for line in $(COMP_WORDS="$*" COMP_CWORD=$cword @VAR@=bash_complete \
        git-claude-sync 2>/dev/null); do
        case ${line%%,*} in
            plain) COMPREPLY+=("${line#*,}") ;;
            dir) compopt -o dirnames 2>/dev/null; COMPREPLY=(); return ;;
            file) compopt -o default 2>/dev/null; COMPREPLY=(); return ;;
        esac
    done
}
_git_claude_sync() {  # git's completion sets words, cword and __git_cmd_idx
    local at=${__git_cmd_idx:-1}
    __git_claude_sync_reply $((cword - at)) "${words[@]:at}"
}
__git_claude_sync_direct() {
    __git_claude_sync_reply "$COMP_CWORD" "${COMP_WORDS[@]}"
}
complete -o nosort -F __git_claude_sync_direct git-claude-sync 2>/dev/null ||
    complete -F __git_claude_sync_direct git-claude-sync
"""

ZSH = r"""#compdef git-claude-sync
# git-claude-sync completion for zsh: `git claude-sync ...` (git's _git calls
# _git-claude-sync) and `git-claude-sync ...`.  Either eval it from ~/.zshrc
# after compinit, or put it in a folder of $fpath as _git-claude-sync.
__git_claude_sync_zsh() {
    local -a lines described plain
    local i kind value help
    lines=("${(@f)$(COMP_WORDS="${words[*]}" COMP_CWORD=$((CURRENT - 1)) \
        @VAR@=zsh_complete git-claude-sync 2>/dev/null)}")
    for ((i = 1; i + 2 <= ${#lines}; i += 3)); do
        kind=${lines[i]} value=${lines[i + 1]} help=${lines[i + 2]}
        case $kind in
            dir) _path_files -/; return ;;
            file) _path_files -f; return ;;
            plain)
                if [[ $help == _ ]]; then plain+=("$value")
                else described+=("${value//:/\\:}:$help"); fi ;;
        esac
    done
    (( ${#described} )) && _describe -t values 'git claude-sync' described
    (( ${#plain} )) && compadd -U -a plain
    return 0
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    __git_claude_sync_zsh "$@"
else
    _git-claude-sync() { __git_claude_sync_zsh "$@" }
    compdef _git-claude-sync git-claude-sync
fi
"""

FISH = r"""# git-claude-sync completion for fish: `git claude-sync ...` and `git-claude-sync ...`.
# (fish 3.6's git completion asks `git-git-claude-sync`: so this file answers for git too,
# and is installed in conf.d, read at start-up, rather than completions/, read on demand.)
function __git_claude_sync_fish
    set -l line (commandline -cp |
        string replace -r -- '^\s*git\s+(.*\s)?claude-sync\b' 'git-claude-sync')
    set -l response (env @VAR@=fish_complete COMP_WORDS="$line" COMP_CWORD=(commandline -t) \
        git-claude-sync 2>/dev/null)
    for completion in $response
        set -l metadata (string split "," -- $completion)
        switch $metadata[1]
            case dir
                __fish_complete_directories (commandline -t)
            case file
                __fish_complete_path (commandline -t)
            case plain
                echo (string join "," -- $metadata[2..])
        end
    end
end
complete -c git-claude-sync -f -a '(__git_claude_sync_fish)'
complete -c git -n '__fish_seen_subcommand_from claude-sync' -f -a '(__git_claude_sync_fish)'
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


def script(shell: str) -> str:
    return SCRIPTS[shell].replace("@VAR@", VAR)


def install_path(shell: str) -> Path:
    """Where each shell looks for a user's completion without any set-up (zsh: see --help)."""
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return {
        "bash": data / "bash-completion" / "completions" / "git-claude-sync",
        "zsh": data / "zsh" / "site-functions" / "_git-claude-sync",
        "fish": config / "fish" / "conf.d" / "git-claude-sync.fish",
    }[shell]


def run(shell: str, install: bool) -> None:
    text = script(shell)
    if not install:
        click.echo(text, nl=False)
        return
    path = install_path(shell)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text.encode(), 0o644)
    except OSError as err:
        raise FatalError(f"cannot write {path}: {err.strerror or err}") from None
    click.echo(f"Installed {shell} completion in {path}")
    if shell == "zsh":
        click.echo(
            f"  zsh reads it once ~/.zshrc has, before compinit: fpath+=({path.parent})",
        )
    else:
        click.echo("  New shells complete 'git claude-sync <TAB>'.")
