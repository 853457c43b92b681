"""The property oracles by name: their settings class, campaign stage and how to call them.

A preset or campaign file configures oracle NAME in the table ``[NAME]``; the campaign
stage of the same oracle is `Oracle.stage`. Oracles are imported only when used.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from dataclasses import dataclass

from ipscreen.errors import InputError


@dataclass(frozen=True)
class Oracle:
    name: str  # table name in presets, e.g. "band_gap"
    stage: str  # campaign stage, e.g. "gap"
    command: str  # `ipscreen property COMMAND`
    module: str
    settings_class: str
    needs_backend: bool  # uses the campaign's energy backend (ML potential)
    unit_keys: tuple  # headline result keys, printed by the CLI
    tiers: tuple = ()  # cheaper oracles (default settings) whose results are merged into this one's
    figure: tuple = ()  # (function in ipscreen.report.figures, file name) drawn from a result into its workdir

    def settings_type(self):
        return getattr(importlib.import_module(self.module), self.settings_class)

    def settings(self, table: dict | None = None):
        """Validated settings from a TOML table (unknown keys and wrong types: InputError)."""
        from ipscreen.campaign.settings import _from_table

        settings = _from_table(self.settings_type(), table, self.name)
        settings.validate()
        return settings

    def calc(self, structure, settings, *, backend=None, workdir=None, seed: int = 0, progress=None) -> dict:
        """Call the oracle's `calc` with the keyword arguments it takes."""
        fn = importlib.import_module(self.module).calc
        offered = {"backend": backend, "workdir": workdir, "seed": seed, "progress": progress}
        accepted = inspect.signature(fn).parameters
        out = {}
        for name in self.tiers:  # a failing cheap tier is recorded, not fatal
            tier = oracle(name)
            try:
                out.update(tier.calc(structure, tier.settings(), seed=seed))
            except Exception as exc:  # noqa: BLE001
                out[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
        tier_method = out.pop("method", None)
        result = fn(structure, settings, **{k: v for k, v in offered.items() if k in accepted})
        if tier_method is not None:
            result.setdefault("tier_methods", {})[self.tiers[0]] = tier_method
        return {**out, **result}

    def write_figure(self, result: dict, workdir) -> str | None:
        """Draw the oracle's figure of `result` into `workdir` (file name, or None when it has none).
        A figure that cannot be drawn is noted in the result (`figure_error`), never fatal."""
        if not self.figure or workdir is None:
            return None
        function, filename = self.figure
        try:
            draw = getattr(importlib.import_module("ipscreen.report.figures"), function)
            draw(result, Path(workdir) / filename)
        except Exception as exc:  # noqa: BLE001 - a plot never costs the computed value
            result["figure_error"] = f"{type(exc).__name__}: {exc}"
            return None
        result["figure_file"] = filename
        return filename


ORACLES = {o.name: o for o in (
    Oracle("band_gap", "gap", "band-gap", "ipscreen.properties.band_gap", "BandGapSettings", False,
           ("band_gap_ev", "gap_is_direct")),
    Oracle("hydration", "hydration", "hydration", "ipscreen.properties.hydration", "HydrationSettings", True,
           ("hydration_kj_per_mol",)),
    Oracle("conductivity", "conductivity", "conductivity", "ipscreen.properties.conductivity",
           "ConductivitySettings", True,
           ("activation_energy_ev", "activation_energy_ev_stderr", "conductivity_400k_s_per_cm",
            "conductivity_400k_s_per_cm_stderr", "bvse_barrier_ev"), tiers=("bvse",),
           figure=("arrhenius", "arrhenius.png")),
    Oracle("bvse", "bvse", "bvse", "ipscreen.properties.bvse", "BVSESettings", False, ("bvse_barrier_ev",)),
    Oracle("synthesizability", "synthesizability", "synthesizability", "ipscreen.properties.synthesizability",
           "SynthesizabilitySettings", False, ("synthesizability", "synthesizability_scorer")),
)}
BY_STAGE = {o.stage: o for o in ORACLES.values()}
BY_COMMAND = {o.command: o for o in ORACLES.values()}


def oracle(name: str) -> Oracle:
    """An oracle by table name, stage or command name."""
    for table in (ORACLES, BY_STAGE, BY_COMMAND):
        if name in table:
            return table[name]
    raise InputError(f"unknown property {name!r} (known: {', '.join(o.command for o in ORACLES.values())})")
