#!/usr/bin/env bash
# Install git-claude-sync.
#
#   ./install.sh          into a private virtualenv (~/.local/share/git-claude-sync, or
#                         $GIT_CLAUDE_SYNC_PREFIX) with `git-claude-sync` linked into ~/.local/bin,
#                         so `git claude-sync` works wherever that is on PATH.
#   ./install.sh --dev    into ./.venv, editable, with the test tools (what CI runs), and
#                         the pinned Claude Code the tests drive (tests/claude_code/VERSION).
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

if [[ "${1:-}" == "--dev" ]]; then
    [[ -x .venv/bin/python ]] || "$python" -m venv .venv
    .venv/bin/python -m pip install "${pip_quiet[@]}" -e '.[test]'
    install_claude_code
    echo "Installed for development in $(pwd)/.venv"
    exit 0
fi
[[ $# -eq 0 ]] || die "usage: ./install.sh [--dev]"

prefix=${GIT_CLAUDE_SYNC_PREFIX:-$HOME/.local/share/git-claude-sync}
bin_dir=$HOME/.local/bin
[[ -x "$prefix/venv/bin/python" ]] || "$python" -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install "${pip_quiet[@]}" --upgrade .
mkdir -p "$bin_dir"
# The launcher answers a no-change push itself and hands all else to the Python CLI.
rm -f "$bin_dir/git-claude-sync"
sed "s|@REAL@|$prefix/venv/bin/git-claude-sync|" bin/git-claude-sync >"$bin_dir/git-claude-sync"
chmod 755 "$bin_dir/git-claude-sync"
# git finds the helper for claude-sync:: (object storage) remotes on PATH.
ln -sf "$prefix/venv/bin/git-remote-claude-sync" "$bin_dir/git-remote-claude-sync"
echo "Installed git-claude-sync $("$bin_dir/git-claude-sync" --version | awk '{print $NF}') to $bin_dir/git-claude-sync"
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "Add $bin_dir to your PATH (e.g. in ~/.profile) so that 'git claude-sync' is found." ;;
esac
