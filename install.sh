#!/usr/bin/env bash
# Install git-claude-sync.
#
#   ./install.sh          into a private virtualenv (~/.local/share/git-claude-sync, or
#                         $GIT_CLAUDE_SYNC_PREFIX) with `git-claude-sync` linked into ~/.local/bin,
#                         so `git claude-sync` works wherever that is on PATH.
#   ./install.sh --dev    into ./.venv, editable, with the test tools (what CI runs).
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

if [[ "${1:-}" == "--dev" ]]; then
    [[ -x .venv/bin/python ]] || "$python" -m venv .venv
    .venv/bin/python -m pip install "${pip_quiet[@]}" -e '.[test]'
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
