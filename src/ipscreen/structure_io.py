"""Structures at ipscreen's boundary: the compact form stored in campaigns (lattice rows in Å,
species, fractional coordinates) and the one check every input structure passes (`check_structure`)."""

from __future__ import annotations

import math

import numpy as np

from ipscreen.errors import StructureError

MIN_DISTANCE = 0.7  # Å; shorter interatomic distances are unphysical for these ions (H-H in H2 is 0.74 Å)
# Å³ per atom: spheres of diameter MIN_DISTANCE need at least this much room (close packing, d³/√2)
MIN_VOLUME_PER_ATOM = MIN_DISTANCE**3 / math.sqrt(2)


def compact(lattice, species, frac_coords) -> dict:
    """JSON-friendly dict of a cell (rounded to 1e-8)."""
    return {
        "lattice": [[round(float(x), 8) for x in row] for row in lattice],
        "species": [str(s) for s in species],
        "frac_coords": [[round(float(x), 8) for x in row] for row in frac_coords],
    }


def structure_to_dict(structure) -> dict:
    """Compact dict of a pymatgen Structure."""
    return compact(structure.lattice.matrix, [site.specie.symbol for site in structure], structure.frac_coords)


def structure_from_dict(d: dict):
    """pymatgen Structure from the compact dict."""
    from pymatgen.core import Lattice, Structure

    return Structure(Lattice(d["lattice"]), d["species"], d["frac_coords"])


def min_distance(atoms) -> float:
    """Shortest distance (Å) between two atoms of `atoms` (ase.Atoms), or between an atom and its
    own periodic image (the shortest lattice vector) when all three directions are periodic."""
    from ase.geometry import minkowski_reduce

    shortest = math.inf
    if len(atoms) >= 2:
        d = atoms.get_all_distances(mic=True)
        d[np.diag_indices_from(d)] = math.inf
        shortest = float(d.min())
    if atoms.pbc.all():  # a Minkowski-reduced basis holds the shortest lattice vector
        shortest = min(shortest, float(np.linalg.norm(minkowski_reduce(atoms.cell.array)[0], axis=1).min()))
    return shortest


def check_structure(structure) -> None:
    """StructureError (an InputError) with one line unless `structure` (pymatgen Structure) is physical.

    Rejected: no atoms, partial occupancies, dummy species (no real element), a non-finite lattice or
    coordinates, a degenerate lattice (under MIN_VOLUME_PER_ATOM Å³ per atom), and two atoms (or an
    atom and its own periodic image) closer than MIN_DISTANCE Å."""
    from pymatgen.core.periodic_table import Element
    from pymatgen.io.ase import AseAtomsAdaptor

    n = len(structure)
    if n == 0:
        raise StructureError("structure has no atoms")
    if not structure.is_ordered:
        raise StructureError("structure has partial occupancies: give an ordered structure")
    dummies = sorted({getattr(sp, "symbol", str(sp)) for site in structure for sp in site.species
                      if not Element.is_valid_symbol(getattr(sp, "symbol", ""))})
    if dummies:
        raise StructureError(f"dummy species {', '.join(dummies)}: every site needs a chemical element")
    if not (np.isfinite(structure.lattice.matrix).all() and np.isfinite(structure.frac_coords).all()):
        raise StructureError("non-finite lattice vectors or atomic coordinates")
    volume = abs(float(np.linalg.det(structure.lattice.matrix))) / n
    if volume < MIN_VOLUME_PER_ATOM:
        raise StructureError(f"degenerate lattice: {volume:.2g} Å³ per atom (minimum {MIN_VOLUME_PER_ATOM:.2f} Å³)")
    closest = min_distance(AseAtomsAdaptor.get_atoms(structure))
    if closest < MIN_DISTANCE:
        raise StructureError(f"atoms {closest:.2f} Å apart (minimum {MIN_DISTANCE} Å): not a physical structure")
