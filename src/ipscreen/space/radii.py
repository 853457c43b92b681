"""Shannon ionic radii (Å) of the ions in the inverse-perovskite space.

Source: R. D. Shannon, Acta Cryst. A32, 751 (1976), as tabulated in pymatgen's
periodic table data.

Coordination numbers: every ion is taken at CN = VI.
- Li+ is six-coordinated in an inverse perovskite (2 X + 4 Z neighbours in Li3XZ).
- X2- sits at the centre of an XLi6 octahedron: CN = VI.
- Z- (the A-site halide) has 12 Li neighbours in the cubic parent, but Shannon
  tabulates Cl-, Br- and I- only for CN = VI (and F- at most VI), so VI is the only
  coordination available for all four halides; using it for every anion keeps
  the radii of one sublattice mutually consistent.
"""

from __future__ import annotations

from functools import lru_cache

from ipscreen.errors import InputError
from ipscreen.space.settings import OXIDATION_STATES

COORDINATION = "VI"


@lru_cache(maxsize=None)
def shannon_radius(element: str) -> float:
    """Shannon ionic radius (Å) of `element` in its inverse-perovskite oxidation state, CN VI."""
    from pymatgen.core import Species

    if element not in OXIDATION_STATES:
        raise InputError(f"no ionic radius for element {element!r} (known: {', '.join(OXIDATION_STATES)})")
    return float(Species(element, OXIDATION_STATES[element]).get_shannon_radius(COORDINATION, spin="", radius_type="ionic"))


def weighted_radius(fractions: dict[str, float]) -> float:
    """Site-occupancy weighted mean radius (Å), e.g. {"Cl": 0.5, "Br": 0.5}."""
    return sum(w * shannon_radius(el) for el, w in fractions.items())
