"""Stores written by older versions of ipscreen, brought up to date when a campaign opens.

Each migration re-keys stored work whose settings hash was computed by an older formula
to the hash of today's formula, for the campaign's own configuration, so nothing that
was computed is recomputed. Every applied migration is recorded in the store's `meta`
table (key ``migration:NAME``).

- ``space-hash-v2`` (issue 11): the space stage's hash was its own blake2b of the space
  settings' JSON; it is now `stages.stage_hash` like every other stage's.
"""

from __future__ import annotations

import hashlib
import json
import time

from ipscreen.campaign.config import Config
from ipscreen.campaign.stages import stage_hash
from ipscreen.campaign.store import Store


def _legacy_space_hash(config: Config) -> str:
    text = json.dumps(config.space.to_dict(), sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


MIGRATIONS = {"space-hash-v2": ("space", _legacy_space_hash)}


def migrate(config: Config, store: Store) -> list[str]:
    """Apply the migrations this store needs; the names of those applied now."""
    applied = []
    for name, (stage, legacy) in MIGRATIONS.items():
        old, new = legacy(config), stage_hash(config, stage)
        if old == new or not store.is_complete(stage, old) or store.is_complete(stage, new):
            continue
        with store.conn:
            store.conn.execute("UPDATE stages SET settings_hash = ? WHERE stage = ? AND settings_hash = ?",
                               (new, stage, old))
            store.conn.execute("UPDATE results SET settings_hash = ? WHERE stage = ? AND settings_hash = ?",
                               (new, stage, old))
            store.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                               (f"migration:{name}", json.dumps({"from": old, "to": new, "at": time.time()})))
        applied.append(name)
    return applied
