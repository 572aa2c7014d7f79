"""Claude Code's project folder names (``project_folders.folder_name``), as a pure function.

The same names are checked against the real client in
``tests/claude_code/test_folders.py``; the hashes below are what Claude Code's
JavaScript computes for these strings.
"""

from __future__ import annotations

import pytest

from git_claude_sync.claude.project_folders import (
    Mapping,
    _java_hash,
    canonical_folder,
    encode,
    folder_name,
    home_part,
)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/Users/alice/code/api", "-Users-alice-code-api"),
        ("/Users/a/my.app", "-Users-a-my-app"),
        ("/home/bob/my project_v2", "-home-bob-my-project-v2"),
        ("/home/bob/café", "-home-bob-caf-"),  # é: one UTF-16 unit
        ("/home/bob/🚀", "-home-bob---"),  # an emoji: two units, two dashes
        ("/home/bob/𝔸pp", "-home-bob---pp"),
        ("C:\\Users\\bob\\x", "C--Users-bob-x"),
        ("/", "-"),
    ],
)
def test_short_names_replace_each_utf16_unit(path: str, name: str) -> None:
    assert folder_name(path) == name
    assert encode(path) == name


def test_java_hash() -> None:
    assert _java_hash("") == 0
    assert _java_hash("hello") == 99162322
    assert _java_hash("Hello World") == -862545276  # wraps around to negative


def test_names_up_to_200_are_kept_whole() -> None:
    path = "/" + "x" * 199
    assert folder_name(path) == "-" + "x" * 199


def test_longer_names_keep_200_and_a_base36_hash_of_the_real_path() -> None:
    path = "/home/alice/code/" + "x" * 190
    assert len(encode(path)) == 207
    assert folder_name(path) == encode(path)[:200] + "-sw0h02"
    # The hash is of the path itself, not of its encoding: an emoji counts as two units.
    path = "/Users/alice/code/🚀/" + "long-name-" * 20
    assert folder_name(path) == encode(path)[:200] + "-mi8nr7"
    assert folder_name(path).startswith("-Users-alice-code----long-name-")


def test_a_negative_hash_gives_its_absolute_value() -> None:
    path = "/" + "y" * 250 + "z"
    assert _java_hash(path) == -1501634485
    assert folder_name(path) == "-" + "y" * 199 + "-ou18l1"


def test_home_through_a_link_in_memory() -> None:
    """HOME=/home/alice, really /var/home/alice (Fedora Silverblue and the like)."""
    here = Mapping(home="/home/alice", real_home="/var/home/alice")
    # Claude Code records and names the real path; both forms are in the home.
    assert here.canonical_path("/var/home/alice/code/api") == "~/code/api"
    assert here.canonical_path("/home/alice/code/api") == "~/code/api"
    assert here.local_folder("~/code/api") == "-var-home-alice-code-api"
    assert here.local_of_canonical("~-code-api", ["/Users/alice/code/api"]) == (
        "-var-home-alice-code-api"
    )
    assert here.canonical_of_local("-var-home-alice-code-api", []) == "~-code-api"
    # Another machine's path under /var/home counts as in its home.
    assert Mapping(home="/Users/bob").canonical_source("/var/home/bob/code") == "~/code"


def test_canonical_folders_of_other_homes_with_emoji_and_long_names() -> None:
    here = Mapping(home="/home/alice")
    rocket = "~/code/🚀"
    assert canonical_folder(rocket) == "~-code---"
    assert home_part("~-code---", "/Users/alice/code/🚀") == "/Users/alice"
    assert here.local_of_canonical("~-code---", ["/Users/alice/code/🚀"]) == "-home-alice-code---"
    long = "~/code/" + "p" * 200
    folder = canonical_folder(long)
    assert len(folder) == 200 + 1 + len(folder.rsplit("-", 1)[1])
    cwd = "/Users/alice" + long[1:]
    assert home_part(folder, cwd) == "/Users/alice"
    assert here.local_of_canonical(folder, [cwd]) == folder_name("/home/alice" + long[1:])
