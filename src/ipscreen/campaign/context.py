"""One stage run of one campaign: the stage, the configuration, the store and where tasks go.

Drivers (campaign/drivers.py and the stages with their own driver) get a StageRun; it
reads other stages' stored results under the current settings and marks the stage done
with the settings, input hashes and versions that produced it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field, is_dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Callable

from ipscreen.campaign.config import Config
from ipscreen.campaign.stage import Stage
from ipscreen.campaign.stages import REGISTRY, stage_hash
from ipscreen.campaign.store import Store

Progress = Callable[[str, int, int], None]
VERSIONED = ("ipscreen", "icet", "spglib", "pymatgen", "ase", "sevenn", "torch")


def versions() -> dict:
    """Versions of ipscreen and of the tools whose output is stored."""
    out = {}
    for pkg in VERSIONED:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def compound_seed(compound_id: str) -> int:
    """A per-compound seed that does not depend on the order of the run."""
    return int.from_bytes(hashlib.blake2b(compound_id.encode(), digest_size=4).digest(), "little")


@dataclass
class StageRun:
    stage: Stage
    config: Config
    store: Store
    executor_factory: Callable
    progress: Progress | None = None
    ids: list[str] | None = None  # compounds asked for (compound stages); None: the pool
    registry: tuple[Stage, ...] = REGISTRY
    echo: Callable | None = None  # per-iteration messages of looping stages (MOBO), for the CLI
    started: float = field(default_factory=time.time)  # when this run began (its wall time goes in the record)

    @property
    def name(self) -> str:
        return self.stage.name

    @property
    def hash(self) -> str:
        return stage_hash(self.config, self.stage.name, self.registry)

    @property
    def settings(self):
        return self.config.stage_settings(self.stage.name, self.registry)

    def hash_of(self, name: str) -> str:
        return stage_hash(self.config, name, self.registry)

    def results(self, name: str) -> dict[str, dict]:
        """Stored results of stage `name` under the current settings."""
        return self.store.results(name, self.hash_of(name))

    def for_stage(self, name: str, ids: list[str] | None = None) -> "StageRun":
        """The same campaign run, for another stage (e.g. an oracle the MOBO loop calls)."""
        stage = next(s for s in self.registry if s.name == name)
        return replace(self, stage=stage, ids=ids, started=time.time())

    def settings_record(self) -> dict:
        s = self.settings
        return asdict(s) if is_dataclass(s) else (s.to_dict() if hasattr(s, "to_dict") else {})

    def complete(self, n_records: int, summary: dict | None = None, extra: dict | None = None,
                 states: dict | None = None) -> None:
        """Mark the stage complete with its settings, inputs' hashes, versions (and summary; and the state
        of the results it read, `input_states()`, for a campaign step that is skipped when they are unchanged)."""
        record = {"settings": self.settings_record(), "inputs": {i: self.hash_of(i) for i in self.stage.inputs},
                  "wall_seconds": round(time.time() - self.started, 1), **(extra or {})}
        if states is not None:
            record["inputs_state"] = {name: state for name, (state, _newest) in states.items()}
        if summary is not None:
            record["summary"] = {k: v for k, v in summary.items() if isinstance(v, (int, float, str, bool))}
        self.store.mark_complete(self.stage.name, self.hash, record, versions(), n_records)

    def read_hash(self, name: str) -> str:
        """The settings hash under which this stage reads stage `name`: the current one, except for a later
        pool filter (e.g. mobo) with no results under it, which is read from its latest completed run (a
        MOBO run made with command-line options)."""
        h = self.hash_of(name)
        if name in self.stage.pool[1:] and not self.store.done_ids(name, h):
            return self.store.latest_hash(name) or h
        return h

    def input_states(self) -> dict:
        """{stage it reads: ([count, digest of the stored results], newest result time)}."""
        return {name: self.store.results_state(name, self.read_hash(name)) for name in self.stage.reads
                if name != "space"}

    def stored_summary(self, states: dict) -> dict | None:
        """The summary stored when this stage last completed with these settings and the results it
        read are still those it read then (None otherwise: it must run). Changed means: other stored
        contents than at completion (count and digest; the same result written again is no change),
        or, for records of older ipscreen versions that kept no state, a result written after it.
        `states`: `input_states()` now."""
        h = self.hash
        for run in self.store.stage_runs(self.stage.name):
            if run["settings_hash"] == h:
                state = run["settings"].get("inputs_state")
                if state is not None:
                    if state != {name: s for name, (s, _newest) in states.items()}:
                        return None
                elif any(t is not None and t > run["completed_at"] for _s, t in states.values()):
                    return None
                return dict(run["settings"].get("summary") or {"records": run["n_records"]})
        return None
