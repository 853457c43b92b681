"""Symmetry-distinct anion orderings of the parents and their element decorations.

Orderings come from Hart-Forcade derivative-structure enumeration (icet's
``enumerate_structures``) on a two-label X sublattice and a two-label Z sublattice
(Li sites are spectators). Labels are then replaced by elements of the site's own
group: a mixed sublattice takes an unordered element pair (first label -> element
earlier in the group), a pure one a single element. Because the labelling is
symmetry-distinct and the label -> element map is one-to-one, every compound is
produced exactly once; a pure sublattice is kept only in its first-label form so
that "all A" and "all B" do not both become the same compound.

The space group depends only on the labelling (the decoration is one-to-one and the
positions are ideal), so spglib runs once per ordering.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce
from typing import Callable, Iterator

import numpy as np

from ipscreen.space.parents import Parent, get_parent, lattice_constant
from ipscreen.space.settings import X_GROUP, Z_GROUP, ParentSettings, SpaceSettings
from ipscreen.space.tolerance import tolerance_factor
from ipscreen.structure_io import compact

REFERENCE_A = 4.0  # Å; geometry handed to icet/spglib (symmetry does not depend on a)
SYMPREC = 1e-3  # Å, spglib tolerance on the ideal geometry
SUBLATTICE_RANK = {"L": 0, "X": 1, "Z": 2}  # site order: Li, X, Z; then by position
# Placeholder chemical symbols that carry the labels through icet.
_PLACEHOLDER = {"Li": "Li", "X0": "O", "X1": "S", "Z0": "Cl", "Z1": "Br"}
_ROLE_OF = {v: k for k, v in _PLACEHOLDER.items()}
_SPGLIB_NUMBER = {"Li": 3, "X0": 8, "X1": 16, "Z0": 17, "Z1": 35}


@dataclass(frozen=True)
class Ordering:
    """One symmetry-distinct labelling of a parent supercell (no elements yet)."""

    parent: str
    size: int  # formula units in the cell
    supercell: tuple  # 3x3 integer matrix: cell = supercell @ primitive cell
    lattice: np.ndarray = field(repr=False)  # rows, in units of the pseudo-cubic a
    frac_coords: np.ndarray = field(repr=False)
    roles: tuple[str, ...] = field(repr=False)  # "Li", "X0", "X1", "Z0", "Z1"
    space_group: str = ""
    space_group_number: int = 0

    def fraction(self, label: str) -> Fraction:
        """Fraction of its sublattice held by `label` ("X1" or "Z1")."""
        site = label[0]
        n_site = sum(1 for r in self.roles if r[0] == site)
        return Fraction(self.roles.count(label), n_site)


@dataclass(frozen=True)
class Compound:
    """An in-silico compound: a decorated ordering with its starting structure.

    Lengths in Å; `x_fraction`/`z_fraction` are the site fractions of the first
    element listed in `x_elements`/`z_elements` (1.0 for a pure sublattice).
    """

    id: str
    parent: str
    formula: str
    reduced_formula: str
    space_group: str
    space_group_number: int
    x_elements: tuple[str, ...]
    z_elements: tuple[str, ...]
    x_fraction: float
    z_fraction: float
    size: int
    n_atoms: int
    tolerance_factor: float
    lattice_constant: float
    lattice: np.ndarray = field(repr=False)  # rows, Å
    species: tuple[str, ...] = field(repr=False)
    frac_coords: np.ndarray = field(repr=False)

    ROW_FIELDS = (
        "id", "formula", "reduced_formula", "space_group", "space_group_number", "parent",
        "x_elements", "z_elements", "x_fraction", "z_fraction", "size", "n_atoms",
        "tolerance_factor", "lattice_constant",
    )

    def row(self) -> dict:
        """Flat, JSON-friendly summary (no structure)."""
        out = {name: getattr(self, name) for name in self.ROW_FIELDS}
        out["x_elements"] = ",".join(self.x_elements)
        out["z_elements"] = ",".join(self.z_elements)
        out["tolerance_factor"] = round(self.tolerance_factor, 6)
        out["lattice_constant"] = round(self.lattice_constant, 4)
        out["x_fraction"] = round(self.x_fraction, 4)
        out["z_fraction"] = round(self.z_fraction, 4)
        return out

    @property
    def structure(self):
        """Starting pymatgen Structure (ideal positions, lattice from Shannon radii)."""
        from pymatgen.core import Lattice, Structure

        return Structure(Lattice(self.lattice), list(self.species), self.frac_coords)

    def structure_dict(self) -> dict:
        """Compact serialisable form: lattice (Å), species, fractional coordinates."""
        return compact(self.lattice, self.species, self.frac_coords)


def _spacegroup(lattice: np.ndarray, frac: np.ndarray, roles) -> tuple[str, int]:
    import spglib

    numbers = [_SPGLIB_NUMBER[r] for r in roles]
    text = spglib.get_spacegroup((lattice * REFERENCE_A, frac, numbers), symprec=SYMPREC)
    symbol, number = text.split(" (")
    return symbol, int(number.rstrip(")"))


def _site_choices(parent: Parent, alloy: str) -> list[list[str]]:
    x_labels = ["X0"] if alloy in ("z", "none") else ["X0", "X1"]
    z_labels = ["Z0"] if alloy in ("x", "none") else ["Z0", "Z1"]
    out = []
    for role, _ in parent.sites:
        labels = {"Li": ["Li"], "X": x_labels, "Z": z_labels}[role]
        out.append([_PLACEHOLDER[lab] for lab in labels])
    return out


def enumerate_orderings(parent_name: str, size: int, alloy: str, fractions: frozenset[Fraction]) -> list[Ordering]:
    """Symmetry-distinct labellings of one parent supercell size for the given ratios and alloy mode."""
    from ase import Atoms
    from icet.tools import enumerate_structures

    parent = get_parent(parent_name)
    lattice, frac, roles = parent.cell(REFERENCE_A)
    atoms = Atoms([_PLACEHOLDER["X0" if r == "X" else "Z0" if r == "Z" else "Li"] for r in roles],
                  scaled_positions=frac, cell=lattice, pbc=True)
    inv_prim = np.linalg.inv(lattice)
    orderings = []
    for sup in enumerate_structures(atoms, [size], _site_choices(parent, alloy)):
        labels = tuple(_ROLE_OF[s] for s in sup.get_chemical_symbols())
        sup_frac = sup.get_scaled_positions(wrap=True)
        sup_frac[np.isclose(sup_frac, 1.0, atol=1e-8)] = 0.0
        order = sorted(range(len(labels)), key=lambda i: (SUBLATTICE_RANK[labels[i][0]], *np.round(sup_frac[i], 6)))
        ordering = Ordering(
            parent=parent_name,
            size=size,
            supercell=tuple(map(tuple, np.rint(sup.cell[:] @ inv_prim).astype(int).tolist())),
            lattice=np.asarray(sup.cell[:]) / REFERENCE_A,
            frac_coords=sup_frac[order],
            roles=tuple(labels[i] for i in order),
        )
        fx, fz = ordering.fraction("X1"), ordering.fraction("Z1")
        if fx == 1 or fz == 1:  # pure second label: its first-label twin is the same compound
            continue
        if not all(f in fractions and 1 - f in fractions for f in (fx, fz)):
            continue
        if not ParentSettings.may_mix(alloy, 0 < fx < 1, 0 < fz < 1):
            continue
        symbol, number = _spacegroup(ordering.lattice, ordering.frac_coords, ordering.roles)
        orderings.append(dataclasses.replace(ordering, space_group=symbol, space_group_number=number))
    return orderings


FORMULA_ORDER = ("Li", "H", *X_GROUP, *Z_GROUP)


def format_formula(counts) -> str:
    """Formula in the paper's order, e.g. Li6O2ClBr: Li, H (hydrated cells), X (O, S, Se, Te), Z (F, Cl,
    Br, I), then other elements alphabetically; counts of 1 omitted. `counts`: {symbol: n} or a Composition.

    Ours, not pymatgen's (Composition.formula / reduced_formula order by electronegativity: Li3ClO):
    compound formulas, decomposition and hydration-reaction strings are stored and compared in this order."""
    if hasattr(counts, "get_el_amt_dict"):
        counts = counts.get_el_amt_dict()
    rank = {el: i for i, el in enumerate(FORMULA_ORDER)}
    present = sorted((el for el, n in counts.items() if abs(n) > 1e-8), key=lambda el: (rank.get(el, len(rank)), el))
    return "".join(el if abs(counts[el] - 1) < 1e-8 else el + _number(counts[el]) for el in present)


def _number(n) -> str:
    """135 -> '135', 81.0 -> '81', 0.5 -> '0.5'."""
    return str(int(n)) if float(n).is_integer() else f"{n:g}"


def compound_id(parent: str, supercell, species) -> str:
    """Stable id: parent + 12 hex digits of a hash of the supercell matrix and site species."""
    key = f"{parent}|{supercell}|{','.join(species)}"
    return f"{parent}-{hashlib.blake2b(key.encode(), digest_size=6).hexdigest()}"


def decorate(ordering: Ordering, x_elements, z_elements) -> Iterator[Compound]:
    """Every element assignment of `ordering` using the given X and Z elements."""
    fx, fz = ordering.fraction("X1"), ordering.fraction("Z1")
    x_choices = list(itertools.combinations(x_elements, 2)) if 0 < fx < 1 else [(el,) for el in x_elements]
    z_choices = list(itertools.combinations(z_elements, 2)) if 0 < fz < 1 else [(el,) for el in z_elements]
    n_x = sum(1 for r in ordering.roles if r[0] == "X")
    n_z = sum(1 for r in ordering.roles if r[0] == "Z")
    for xs, zs in itertools.product(x_choices, z_choices):
        mapping = {"Li": "Li", "X0": xs[0], "X1": xs[-1], "Z0": zs[0], "Z1": zs[-1]}
        species = tuple(mapping[r] for r in ordering.roles)
        counts: dict[str, int] = {}
        for el in species:
            counts[el] = counts.get(el, 0) + 1
        divisor = reduce(math.gcd, counts.values())
        x_frac = {el: counts[el] / n_x for el in xs}
        z_frac = {el: counts[el] / n_z for el in zs}
        a = lattice_constant(x_frac, z_frac)
        yield Compound(
            id=compound_id(ordering.parent, ordering.supercell, species),
            parent=ordering.parent,
            formula=format_formula(counts),
            reduced_formula=format_formula({k: v // divisor for k, v in counts.items()}),
            space_group=ordering.space_group,
            space_group_number=ordering.space_group_number,
            x_elements=xs,
            z_elements=zs,
            x_fraction=x_frac[xs[0]],
            z_fraction=z_frac[zs[0]],
            size=ordering.size,
            n_atoms=len(species),
            tolerance_factor=tolerance_factor(x_frac, z_frac),
            lattice_constant=a,
            lattice=ordering.lattice * a,
            species=species,
            frac_coords=ordering.frac_coords,
        )


def enumerate_space(settings: SpaceSettings, progress: Callable[[str, int, int], None] | None = None) -> list[Compound]:
    """All compounds of the space, in a stable order (parent, size, id).

    `progress(parent, done, total)` is called after each parent/size block.
    """
    fractions = settings.fractions
    compounds: dict[str, Compound] = {}
    blocks = [(name, size, p.mode(size)) for name, p in settings.parents for size in p.sizes]
    for i, (name, size, mode) in enumerate(blocks):
        for ordering in enumerate_orderings(name, size, mode, fractions):
            for c in decorate(ordering, settings.x_elements, settings.z_elements):
                if c.id in compounds:
                    raise RuntimeError(f"compound id collision for {c.id} ({c.formula})")
                compounds[c.id] = c
        if progress is not None:
            progress(f"{name} x{size}", i + 1, len(blocks))
    order = {name: k for k, (name, _) in enumerate(settings.parents)}
    return sorted(compounds.values(), key=lambda c: (order[c.parent], c.size, c.id))
