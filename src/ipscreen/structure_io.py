"""The compact structure form stored in campaigns: lattice rows (Å), species, fractional coordinates."""

from __future__ import annotations


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
