#!/usr/bin/env bash
# Install git-claude-sync.
#
#   ./install.sh          into a private virtualenv (~/.local/share/git-claude-sync, or
#                         $GIT_CLAUDE_SYNC_PREFIX) with `git-claude-sync` linked into ~/.local/bin,
#                         so `git claude-sync` works wherever that is on PATH.
#   ./install.sh --dev    into ./.venv, editable, with the test tools (what CI runs),
#                         the pinned Claude Code the tests drive (tests/claude_code/VERSION),
#                         and as root with apt the shells the completion tests run (zsh, fish)
#                         and the Chromium the web page's tests drive.
#   ./install.sh --uninstall   removes what ./install.sh installed; keeps ~/.claude-sync
#                         (your key) and Claude Code's hooks ('git claude-sync uninstall').
#
# Besides the command, it installs the man page (`git claude-sync --help` opens it) in
# ~/.local/share/man/man1 and bash and fish completion in their user folders.
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-python3}
die() { echo "install.sh: $*" >&2; exit 1; }

command -v git >/dev/null || die "git is not installed"
command -v "$python" >/dev/null || die "$python is not installed (set PYTHON=...)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11 or newer is needed"
git_version=$(git --version | sed 's/[^0-9.]*\([0-9][0-9.]*\).*/\1/')
printf '2.28\n%s\n' "$git_version" | sort -V -C || die "git 2.28 or newer is needed (found $git_version)"

pip_quiet=(--quiet --disable-pip-version-check)

# The real Claude Code for the tests (tests/claude_code/): the version pinned in
# tests/claude_code/VERSION, from the npm registry, into .venv/claude-code/; node and
# npm (and tmux, for the /resume picker) from apt when missing.
install_claude_code() {
    local version dir=.venv/claude-code missing=()
    version=$(tr -d '[:space:]' <tests/claude_code/VERSION)
    if [[ "$("$dir/node_modules/.bin/claude" --version 2>/dev/null)" == "$version "* ]]; then
        return 0
    fi
    command -v npm >/dev/null || missing+=(nodejs npm)
    command -v tmux >/dev/null || missing+=(tmux)
    if ((${#missing[@]})); then
        command -v apt-get >/dev/null || die "install ${missing[*]} (needed by the tests)"
        local sudo=()
        [[ $(id -u) -eq 0 ]] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
        "@anthropic-ai/claude-code@$version"
    if [[ "$("$dir/node_modules/.bin/claude" --version 2>/dev/null)" != "$version "* ]]; then
        # npm may skip the package's postinstall, which puts the native binary in place.
        (cd "$dir/node_modules/@anthropic-ai/claude-code" && node install.cjs)
    fi
    [[ "$("$dir/node_modules/.bin/claude" --version 2>/dev/null)" == "$version "* ]] ||
        die "Claude Code $version did not install into $dir"
    echo "Installed Claude Code $version into $(pwd)/$dir"
}
prefix=${GIT_CLAUDE_SYNC_PREFIX:-$HOME/.local/share/git-claude-sync}
bin_dir=$HOME/.local/bin
man_page=$HOME/.local/share/man/man1/git-claude-sync.1
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
bash_completion=$data_home/bash-completion/completions/git-claude-sync
fish_completion=${XDG_CONFIG_HOME:-$HOME/.config}/fish/conf.d/git-claude-sync.fish

if [[ "${1:-}" == "--uninstall" ]]; then
    if [[ -f "$bin_dir/git-claude-sync" ]] && grep -q "git-claude-sync launcher" "$bin_dir/git-claude-sync"; then
        rm -f "$bin_dir/git-claude-sync"
    fi
    [[ -L "$bin_dir/git-remote-claude-sync" ]] && rm -f "$bin_dir/git-remote-claude-sync"
    rm -f "$man_page" "$bash_completion" "$fish_completion"
    rm -rf "$prefix/venv"
    rmdir "$prefix" 2>/dev/null || true
    echo "Uninstalled git-claude-sync. Kept ~/.claude-sync (the key and sync repo); remove it yourself"
    echo "if you are done syncing. Hooks still in settings.json do nothing without the command."
    exit 0
fi

if [[ "${1:-}" == "--dev" ]]; then
    [[ -x .venv/bin/python ]] || "$python" -m venv .venv
    # Claude Code (npm, ~2 s on a clean clone) installs while pip does (~17 s): the two
    # share nothing but .venv, which exists by now.
    install_claude_code &
    claude_code=$!
    .venv/bin/python -m pip install "${pip_quiet[@]}" -e '.[test,s3,gcs,ui]'
    wait "$claude_code" || exit 1 # install_claude_code said why
    # An editable install carries no data files: man finds .venv/share/man beside .venv/bin.
    mkdir -p .venv/share/man/man1
    cp docs/man/git-claude-sync.1 .venv/share/man/man1/
    # The completion tests run the real shells; as root with apt they are cheap to add.
    missing=()
    for shell in zsh fish; do command -v "$shell" >/dev/null || missing+=("$shell"); done
    if [[ ${#missing[@]} -gt 0 && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 &&
                apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } ||
            echo "install.sh: could not install ${missing[*]}; their completion tests will skip" >&2
    fi
    # The web page's tests drive Debian's Chromium through Playwright (never a browser
    # Playwright downloads); without root or sudo they skip, naming the package.
    if ! command -v chromium >/dev/null && command -v apt-get >/dev/null; then
        sudo=()
        [[ $(id -u) -eq 0 ]] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null && sudo=(sudo); }
        if [[ $(id -u) -eq 0 || ${#sudo[@]} -gt 0 ]]; then
            { DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null 2>&1 ||
                { "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 &&
                    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null 2>&1; }; } ||
                echo "install.sh: could not install chromium; the web page's browser tests will skip" >&2
        else
            echo "install.sh: chromium is missing (apt-get install chromium); the web page's browser tests will skip" >&2
        fi
    fi
    echo "Installed for development in $(pwd)/.venv"
    exit 0
fi
[[ $# -eq 0 ]] || die "usage: ./install.sh [--dev | --uninstall]"

[[ -x "$prefix/venv/bin/python" ]] || "$python" -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install "${pip_quiet[@]}" --upgrade '.[s3,gcs,ui]'
mkdir -p "$bin_dir"
# The launcher answers a no-change push and a pull with nothing new itself and hands all else
# to the Python CLI.
rm -f "$bin_dir/git-claude-sync"
sed "s|@REAL@|$prefix/venv/bin/git-claude-sync|" bin/git-claude-sync >"$bin_dir/git-claude-sync"
chmod 755 "$bin_dir/git-claude-sync"
# git finds the helper for claude-sync:: (object storage) remotes on PATH.
ln -sf "$prefix/venv/bin/git-remote-claude-sync" "$bin_dir/git-remote-claude-sync"
# `git claude-sync --help` is `git help claude-sync`: man finds ~/.local/share/man from ~/.local/bin.
mkdir -p "$(dirname "$man_page")" "$(dirname "$bash_completion")" "$(dirname "$fish_completion")"
"$bin_dir/git-claude-sync" manpage >"$man_page"
"$bin_dir/git-claude-sync" completion bash >"$bash_completion"
"$bin_dir/git-claude-sync" completion fish >"$fish_completion"
echo "Installed git-claude-sync $("$bin_dir/git-claude-sync" --version | awk '{print $NF}') to $bin_dir/git-claude-sync"
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "Add $bin_dir to your PATH (e.g. in ~/.profile) so that 'git claude-sync' is found." ;;
esac
