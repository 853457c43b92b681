"""Competing reference phases of the Li-X-Z(-X'-Z') chemical systems.

- Elements (Li, O, S, Se, Te, F, Cl, Br, I, H): Materials Project ground-state
  structures as shipped by matcalc (``data/elemental_references.json``, sources there).
- Binaries Li2X (antifluorite), LiZ (rock salt) and Li2O2 (P6_3/mmc): prototypes with
  experimental lattice constants (``data/binary_references.json``, one citation each).
- The binaries without Li (X-Z, X-O, Z-O: SO2, TeO2, SeBr, IBr, TeI4, I2O5, ...): every
  polymorph of matcalc's Materials Project and Alexandria binary sets, PBE cells with their
  MP ids (``data/mp_reference_phases.json``, made by scripts/make_reference_library.py).
  They decide the oxidation side of the electrochemical window and can lower the hull.

All of them are starting structures: the campaign relaxes them with the same energy
backend as the compounds, so systematic errors of the model cancel in E_d.

The cathode library (``data/cathode_phases.json``, made by scripts/make_cathode_library.py,
rules and sources there) holds the cathodes (NMC811, LiNiO2, LiCoO2, LiMnO2, LiFePO4) and
the competing phases of their unions with the Li-X-Z systems: MP-stable phases of
Li-{Co,Ni,Mn,Fe,P}-O, TM chalcogenides and halides, and phases built by ion substitution
(sulfates, selenates, TM fluorides, ...) or ordering (NMC811 in a LiNiO2 supercell). Only
the interfaces stage uses them (`cathode_phases`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable

from ipscreen.errors import InputError
from ipscreen.records import elements_of
from ipscreen.structure_io import structure_from_dict


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
    """Primitive cell of a prototype from its Wyckoff positions (no space-group expansion)."""
    from pymatgen.core import Composition, Lattice, Structure

    comp = Composition(entry["formula"])
    kind = entry["prototype"]
    anion = next((el.symbol for el in comp.elements if el.symbol != "Li"), "O")
    if kind in ("antifluorite", "rocksalt"):  # fcc primitive vectors, cartesian positions in units of a
        a = entry["a"]
        lattice = Lattice([[0, a / 2, a / 2], [a / 2, 0, a / 2], [a / 2, a / 2, 0]])
        if kind == "antifluorite":  # Li2X: X 4a (0,0,0), Li 8c (1/4,1/4,1/4) and (3/4,3/4,3/4)
            species, cart = [anion, "Li", "Li"], [[0, 0, 0], [a / 4] * 3, [3 * a / 4] * 3]
        else:  # LiZ: Li 4a (0,0,0), Z 4b (1/2,1/2,1/2)
            species, cart = ["Li", anion], [[0, 0, 0], [a / 2] * 3]
        s = Structure(lattice, species, cart, coords_are_cartesian=True)
    elif kind == "li2o2":  # P6_3/mmc: Li 2a, Li 2c, O 4f (peroxide pairs along c)
        z = entry["z_O"]
        frac = [[0, 0, 0], [0, 0, 0.5], [1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75],
                [1 / 3, 2 / 3, z], [2 / 3, 1 / 3, z + 0.5], [2 / 3, 1 / 3, -z], [1 / 3, 2 / 3, 0.5 - z]]
        s = Structure(Lattice.hexagonal(entry["a"], entry["c"]), ["Li"] * 4 + ["O"] * 4, frac)
    else:
        raise ValueError(f"unknown prototype {kind!r}")
    if s.composition.reduced_composition != comp.reduced_composition:
        raise ValueError(f"prototype {kind} gave {s.composition} for {entry['formula']}")
    return s


@lru_cache(maxsize=1)
def all_reference_phases() -> tuple[ReferencePhase, ...]:
    """Every shipped reference phase, elements first."""
    phases = []
    elements = _load("elemental_references.json")
    for el, data in elements["elements"].items():
        phases.append(ReferencePhase(f"ref:{el}", el, elements["_source"], structure_from_dict(data["structure"])))
    for entry in _load("binary_references.json")["phases"]:
        phases.append(ReferencePhase(f"ref:{entry['formula']}", entry["formula"], entry["source"], _prototype(entry)))
    for entry in _load("mp_reference_phases.json")["phases"]:
        phases.append(ReferencePhase(entry["id"], entry["formula"], entry["source"],
                                     structure_from_dict(entry["structure"])))
    return tuple(phases)


@lru_cache(maxsize=1)
def _cathode_data() -> dict:
    return _load("cathode_phases.json")


@lru_cache(maxsize=1)
def all_cathode_phases() -> tuple[ReferencePhase, ...]:
    """Every phase of the cathode library (cathodes and their competing phases)."""
    return tuple(ReferencePhase(e["id"], e["formula"], e["source"], structure_from_dict(e["structure"]))
                 for e in _cathode_data()["phases"])


def cathodes() -> dict[str, str]:
    """{cathode name: composition} of the library's cathodes, e.g. {"NMC811": "Li12Ni10MnCoO24", ...}."""
    return {name: c["composition"] for name, c in _cathode_data()["cathodes"].items()}


def cathode_composition(name: str):
    """pymatgen Composition of a cathode: a library name (NMC811, LiCoO2, ...) or any formula whose elements
    the libraries cover (InputError otherwise)."""
    from pymatgen.core import Composition

    known = cathodes()
    try:
        comp = Composition(known.get(name, name))
    except (ValueError, KeyError) as exc:
        raise InputError(f"unknown cathode {name!r} (library: {', '.join(known)}; or give a formula)") from exc
    covered = set().union(*(p.elements for p in all_cathode_phases() + all_reference_phases()))
    missing = {el.symbol for el in comp.elements} - covered
    if missing or not comp.elements:
        raise InputError(f"cathode {name!r}: no reference phases for {', '.join(sorted(missing)) or 'it'} "
                         f"(library: {', '.join(known)})")
    return comp


def cathode_phases(elements: Iterable[str]) -> list[ReferencePhase]:
    """The cathode-library phases whose elements all lie in `elements`."""
    wanted = set(elements)
    return [p for p in all_cathode_phases() if p.elements <= wanted]


@lru_cache(maxsize=1)
def _precursor_data() -> dict:
    return _load("precursor_phases.json")


@lru_cache(maxsize=1)
def all_precursor_phases() -> tuple[ReferencePhase, ...]:
    """The synthesis precursors the base library lacks (carbon sources, chlorine oxides, LiClO4;
    data/precursor_phases.json)."""
    return tuple(ReferencePhase(e["id"], e["formula"], e["source"], structure_from_dict(e["structure"]))
                 for e in _precursor_data()["phases"])


def precursor_classes() -> dict[str, list[str]]:
    """{class: [formulas]} of the paper's synthesis precursors (binaries, carbon, elements, oxyhalogen, gases)."""
    return dict(_precursor_data()["precursors"])


def reference_phases(elements: Iterable[str], strict: bool = True) -> list[ReferencePhase]:
    """The reference phases whose elements all lie in `elements` (e.g. {"Li", "O", "Cl"}); InputError for an
    element they do not cover, unless not `strict` (the cathode library covers the others)."""
    wanted = set(elements)
    known = set().union(*(p.elements for p in all_reference_phases()))
    missing = wanted - known
    if missing and strict:
        raise InputError(f"no reference phases for element(s) {', '.join(sorted(missing))}")
    return [p for p in all_reference_phases() if p.elements <= wanted]


def references_of(compounds: list[dict]) -> list[ReferencePhase]:
    """The competing phases of the chemical systems of a space's compound rows (Li and every X and Z
    element they hold)."""
    elements = set().union({"Li"}, *(elements_of(r) for r in compounds))
    return reference_phases(elements)
