"""A small push is deflated, a large one is not (engine/pack_compression.py).

The sync repo's ``pack.compression`` is 0: deflating a first push's ciphertext costs
seconds and saves nothing.  An append's push is a few hundred bytes of ciphertext beside
its commit and trees, whose clear text deflates (the commit by a third).  Counted by a
``receive-pack`` that tees what it receives, the pack read object by object.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from tests.machines import Machine, count_received

SESSION = "projects/-home-u-src-app/3f0c2a8e-1b7d-4e55-9a61-0c8f2d4b7e19.jsonl"


def _commit_in_pack(received: bytes) -> tuple[int, int]:
    """(size, bytes in the pack) of the pack's commit: git writes it first."""
    pack = received[received.index(b"PACK") :]
    at = 12
    byte = pack[at]
    assert (byte >> 4) & 7 == 1, "the first object is a commit"
    size, shift = byte & 15, 4
    at += 1
    while byte & 0x80:
        byte = pack[at]
        size |= (byte & 0x7F) << shift
        shift += 7
        at += 1
    inflate = zlib.decompressobj()
    assert len(inflate.decompress(pack[at:])) == size
    return size, len(pack) - len(inflate.unused_data) - 12


def test_an_append_push_is_deflated_a_large_new_file_is_not(
    machine_a: Machine, tmp_path: Path
) -> None:
    session = machine_a.write(SESSION, b'{"type":"user","n":0}\n' * 2000)
    machine_a.run("init")
    machine_a.run("push")
    capture = count_received(machine_a, tmp_path)

    with session.open("ab") as f:
        f.write(b'{"type":"assistant","n":1}\n')
    machine_a.run("push")
    size, stored = _commit_in_pack(capture.read_bytes())
    assert stored < size * 0.85, (size, stored)

    # 1 MiB of new ciphertext: deflating it would cost ~10-80 ms here and save nothing.
    machine_a.write("agents/big.bin", os.urandom(1 << 20))
    capture.write_bytes(b"")
    machine_a.run("push")
    size, stored = _commit_in_pack(capture.read_bytes())
    assert stored > size, (size, stored)
