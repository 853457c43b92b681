"""Competing reference phases of the Li-X-Z(-X'-Z') chemical systems.

- Elements (Li, O, S, Se, Te, F, Cl, Br, I, H): Materials Project ground-state
  structures as shipped by matcalc (``data/elemental_references.json``, sources there).
- Binaries Li2X (antifluorite), LiZ (rock salt) and Li2O2 (P6_3/mmc): prototypes with
  experimental lattice constants (``data/binary_references.json``, one citation each).

All of them are starting structures: the campaign relaxes them with the same energy
backend as the compounds, so systematic errors of the model cancel in E_d.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable

from ipscreen.errors import InputError


@dataclass(frozen=True)
class ReferencePhase:
    """A competing phase: id ("ref:<formula>"), formula, starting structure and its source."""

    id: str
    formula: str
    source: str
    structure: object = field(repr=False, compare=False)  # pymatgen Structure

    @property
    def elements(self) -> frozenset[str]:
        return frozenset(el.symbol for el in self.structure.composition.elements)


def _load(name: str) -> dict:
    return json.loads((resources.files("ipscreen.data") / name).read_text())


def _prototype(entry: dict):
    from pymatgen.core import Composition, Lattice, Structure

    comp = Composition(entry["formula"])
    kind = entry["prototype"]
    if kind == "antifluorite":  # Li2X: X at 4a, Li at 8c
        anion = next(el.symbol for el in comp.elements if el.symbol != "Li")
        s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(entry["a"]), [anion, "Li"],
                                      [[0, 0, 0], [0.25, 0.25, 0.25]])
    elif kind == "rocksalt":  # LiZ: Li at 4a, Z at 4b
        anion = next(el.symbol for el in comp.elements if el.symbol != "Li")
        s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(entry["a"]), ["Li", anion],
                                      [[0, 0, 0], [0.5, 0.5, 0.5]])
    elif kind == "li2o2":  # Li 2a, Li 2c, O 4f (peroxide pairs along c)
        s = Structure.from_spacegroup("P6_3/mmc", Lattice.hexagonal(entry["a"], entry["c"]), ["Li", "Li", "O"],
                                      [[0, 0, 0], [1 / 3, 2 / 3, 0.25], [1 / 3, 2 / 3, entry["z_O"]]])
    else:
        raise ValueError(f"unknown prototype {kind!r}")
    s = s.get_primitive_structure()
    if s.composition.reduced_composition != comp.reduced_composition:
        raise ValueError(f"prototype {kind} gave {s.composition} for {entry['formula']}")
    return s


@lru_cache(maxsize=1)
def all_reference_phases() -> tuple[ReferencePhase, ...]:
    """Every shipped reference phase, elements first."""
    from pymatgen.core import Lattice, Structure

    phases = []
    elements = _load("elemental_references.json")
    for el, data in elements["elements"].items():
        st = data["structure"]
        structure = Structure(Lattice(st["lattice"]), st["species"], st["frac_coords"])
        phases.append(ReferencePhase(f"ref:{el}", el, elements["_source"], structure))
    for entry in _load("binary_references.json")["phases"]:
        phases.append(ReferencePhase(f"ref:{entry['formula']}", entry["formula"], entry["source"], _prototype(entry)))
    return tuple(phases)


def reference_phases(elements: Iterable[str]) -> list[ReferencePhase]:
    """The reference phases whose elements all lie in `elements` (e.g. {"Li", "O", "Cl"})."""
    wanted = set(elements)
    known = set().union(*(p.elements for p in all_reference_phases()))
    missing = wanted - known
    if missing:
        raise InputError(f"no reference phases for element(s) {', '.join(sorted(missing))}")
    return [p for p in all_reference_phases() if p.elements <= wanted]
