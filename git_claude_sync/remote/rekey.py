"""A push that moves a bucket to a new key (``key rotate``; docs/spec/rotation.md, "Buckets").

The manifest names packs under the manifest's own key only, so a rotation
cannot leave old packs in place: its push stores one complete (not thin) pack
of everything the new refs reach, sealed with the new key, and swaps in a
manifest under the new key that lists that pack alone.  Once the swap has
landed, every other object the tool wrote under the prefix is deleted at
once: the old packs (under the old key), and packs of pushes that lost the
race with the rotation (a machine still on the old key cannot land anything
on a manifest it can no longer open, so no live push is cut short).

A machine on the old key that reads the new manifest is told the remote moved
to another key (``Remote``'s ``moved`` message), never "garbage".
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace

from git_claude_sync.crypto.codec import Key
from git_claude_sync.errors import FatalError
from git_claude_sync.git import CallerRepo
from git_claude_sync.remote.freshness import Freshness
from git_claude_sync.remote.store import NAME, Store
from git_claude_sync.remote.transfer import (
    MANIFEST_NAME,
    Manifest,
    Pack,
    Remote,
    seal_manifest,
)


class Rekeying(Remote):
    """``Remote`` whose push writes everything under ``next_key``."""

    def __init__(
        self,
        store: Store,
        key_loader: Callable[[], Key],
        next_key: Key,
        *,
        say: Callable[[str], None] | None = None,
        moved: Callable[[bytes, str], str] | None = None,
        freshness: Freshness | None = None,
    ) -> None:
        # The manifest may already be under the new key: an earlier attempt of this
        # rotation landed its swap, and this push (after a merge) replaces it again.
        super().__init__(
            store,
            key_loader,
            say=say,
            also_open=lambda: [next_key],
            moved=moved,
            freshness=freshness,
        )
        self.next_key = next_key

    def check_manifest_key(self) -> None:
        pass  # under the old key or the new one: both are this rotation's to replace

    def _seal_manifest(self, manifest: Manifest) -> bytes:
        return seal_manifest(self.next_key, manifest)

    def _pack_key(self) -> Key:
        return self.next_key

    def upload_for(
        self, manifest: Manifest, updates: dict[str, str | None]
    ) -> tuple[list[str], Pack | None]:
        tips = sorted(set(super().proposed(manifest, updates, None).refs.values()))
        missing = CallerRepo.missing_objects(tips)
        if missing:  # another ref this repository never fetched: cannot repack it
            raise FatalError(
                f"{self.store.url}: cannot re-encrypt the remote: it holds {missing[0][:12]}, "
                "which this repository lacks; fetch it first"
            )
        # No negatives: the new manifest keeps none of the old packs.
        return [], self._upload_pack(tips, [], thin=False) if tips else None

    def proposed(
        self, manifest: Manifest, updates: dict[str, str | None], pack: Pack | None
    ) -> Manifest:
        updated = super().proposed(manifest, updates, None)
        return replace(updated, packs=[pack] if pack else [], dropped=[])

    def _maintain(self, *, had_dropped: bool) -> None:
        """Once the new manifest is in place: delete every other object of ours, now
        (in one request where the backend can; on a git host only while the manifest
        is still the one just written)."""
        manifest, version = self.current()
        keep = {MANIFEST_NAME} | manifest.pack_ids()
        try:
            self.store.delete_many(
                [
                    info.name
                    for info in self.store.list()
                    if NAME.match(info.name) and info.name not in keep
                ],
                guard=(MANIFEST_NAME, version),
            )
        except FatalError as err:  # the next rotation, or garbage collection, finishes it
            sys.stderr.write(f"git-claude-sync: warning: old packs not all deleted: {err}\n")
