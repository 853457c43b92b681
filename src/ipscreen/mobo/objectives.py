"""MOBO objectives: which stored value each objective reads and how it is scaled.

An objective names a campaign stage and the key of its stored result, whether it is
maximised or minimised, whether the GP models its log10, and its weight and reference
(nadir) in the scaled space where the hypervolume is computed (acquisition.Scaling):

    model value   y = ±value      (or ±log10 value),   + for "max", - for "min"
    scaled value  s = weight * y  (or weight * 10**y)

The paper's three (eqs. 21-23): band gap E_g (eV), hydration energy E_h (kJ/mol) / 100,
10 x Li+ conductivity Λ(400 K) (S/cm, GP on log10 Λ), nadir (0, -10, 0). Built-in extras
give cheaper stand-ins and lets a campaign swap objectives by name
(``objectives = ["band_gap", "hydration", "bvse"]``) or define its own in
``[mobo.objective.NAME]`` tables with the same fields.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ipscreen.errors import InputError
from ipscreen.mobo.acquisition import Scaling


@dataclass(frozen=True)
class Objective:
    name: str
    stage: str  # campaign stage whose result holds the value
    key: str  # key of the value in that result
    label: str  # axis label with unit
    direction: str = "max"  # "max" or "min"
    log10: bool = False  # GP on log10(value) (value must be > 0)
    weight: float = 1.0  # scaled = weight * model value (linear value for log10 objectives)
    reference: float = 0.0  # nadir in the scaled space

    def validate(self) -> None:
        """Field checks; that `stage` is a campaign stage is checked where the pipeline is known
        (campaign/mobo_stage.py)."""
        if not self.stage:
            raise InputError(f"objective {self.name}: stage is empty")
        if self.direction not in ("max", "min"):
            raise InputError(f"objective {self.name}: direction must be 'max' or 'min'")
        if not self.weight > 0:
            raise InputError(f"objective {self.name}: weight must be > 0")
        if not self.key:
            raise InputError(f"objective {self.name}: key is empty")

    def to_model(self, value) -> float:
        """Model-space value (maximised); NaN for a missing or unusable value."""
        if value is None or isinstance(value, bool):
            return math.nan
        try:
            v = float(value)
        except (TypeError, ValueError):
            return math.nan
        if not math.isfinite(v):
            return math.nan
        if self.log10:
            if v <= 0:
                return math.nan
            v = math.log10(v)
        return v if self.direction == "max" else -v

    def from_model(self, y: float) -> float:
        """The physical value of a model-space value."""
        v = y if self.direction == "max" else -y
        return 10.0**v if self.log10 else v

    def as_dict(self) -> dict:
        return asdict(self)


BUILTIN = {
    o.name: o
    for o in (
        # paper eqs. 21-23; nadir (0, -10, 0): E_g >= 0, E_h >= -1000 kJ/mol, Λ >= 0
        Objective("band_gap", "gap", "band_gap_ev", "E_g (eV)", weight=1.0, reference=0.0),
        Objective("hydration", "hydration", "hydration_kj_per_mol", "E_h (kJ/mol)", weight=0.01, reference=-10.0),
        Objective("conductivity", "conductivity", "conductivity_400k_s_per_cm", "Λ(400 K) (S/cm)", log10=True,
                  weight=10.0, reference=0.0),
        # cheaper stand-ins (ours): BVSE barrier for Λ, L_s and E_d; references bound the physical range
        Objective("bvse", "bvse", "bvse_barrier_ev", "BVSE barrier (eV)", direction="min", weight=1.0,
                  reference=-5.0),
        Objective("synthesizability", "synthesizability", "synthesizability", "L_s", weight=1.0, reference=0.0),
        Objective("stability", "stability", "e_above_hull_ev_per_atom", "E_d (eV/atom)", direction="min",
                  weight=10.0, reference=-2.0),
    )
}
PAPER_OBJECTIVES = ("band_gap", "hydration", "conductivity")


def objectives_from_table(names, custom: dict | None = None) -> list[Objective]:
    """Objectives by name: built-ins, or `custom` {name: {stage, key, ...}} from [mobo.objective.NAME]."""
    custom = custom or {}
    if not isinstance(names, (list, tuple)) or not names:
        raise InputError("mobo objectives must be a non-empty list of names")
    out = []
    for name in names:
        if name in custom:
            table = dict(custom[name])
            unknown = set(table) - {"stage", "key", "label", "direction", "log10", "weight", "reference"}
            if unknown:
                raise InputError(f"objective {name}: unknown key(s) {', '.join(sorted(unknown))}")
            if "stage" not in table or "key" not in table:
                raise InputError(f"objective {name}: needs 'stage' and 'key'")
            obj = Objective(name=name, label=table.pop("label", name), **table)
        elif name in BUILTIN:
            obj = BUILTIN[name]
        else:
            raise InputError(f"unknown objective {name!r} (built-in: {', '.join(BUILTIN)}; or define "
                             f"[mobo.objective.{name}])")
        obj.validate()
        out.append(obj)
    if len({o.name for o in out}) != len(out) or len({o.key for o in out}) != len(out):
        raise InputError("mobo objectives must not repeat (names and stored keys)")
    return out


def scaling_for(objectives: list[Objective]) -> Scaling:
    """The hypervolume scaling of these objectives (PAPER_SCALING for the paper's three)."""
    return Scaling(weights=tuple(o.weight for o in objectives), reference=tuple(o.reference for o in objectives),
                   log10=tuple(o.log10 for o in objectives))
