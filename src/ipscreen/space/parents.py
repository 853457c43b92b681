"""The three parent inverse-perovskite structures Li_{3n+1} X_n Z_{n+1}.

Each parent is the anti-structure of a well-known perovskite type (SPEC.md section 1),
built here from its Wyckoff positions in the ideal geometry: every Li-X distance is
a/2 and every Li-Z distance a/sqrt(2), where a is the pseudo-cubic lattice constant.

- ``ninf``: Li3XZ, anti-perovskite, Pm-3m. X 1b (1/2,1/2,1/2), Z 1a (0,0,0),
  Li 3c (0,1/2,1/2).
- ``n1``: Li4XZ2, inverse K2NiF4, I4/mmm. X 2a (0,0,0), Li 4c (0,1/2,0),
  Li 4e (0,0,z_Li), Z 4e (0,0,z_Z) with z_Li = (a/2)/c and z_Z = 1/2 - z_Li.
- ``n2``: Li7X2Z3, inverse Sr3Ti2O7, I4/mmm. X 4e (0,0,z_X), Li 2a (0,0,0),
  Li 8g (0,1/2,z_X), Li 4e (0,0,z_Li), Z 2b (0,0,1/2) inside the bilayer and Z 4e
  (0,0,z_Z) in the rock-salt layer.

In the tetragonal parents the rock-salt (LiZ) interlayer spacing is a/sqrt(2), which
fixes c/a = n*2 + sqrt(2) (c/a = 2 + sqrt 2 for n = 1 and 4 + sqrt 2 for n = 2), so
the fractional coordinates are the same for every composition: a compound's
starting cell is the reference cell scaled by its own lattice constant.
Cells are primitive (body-centred vectors for I4/mmm): 5, 7 and 12 atoms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ipscreen.errors import InputError
from ipscreen.space.radii import shannon_radius, weighted_radius

SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True)
class Parent:
    """A parent structure in units of the pseudo-cubic lattice constant a."""

    name: str
    n: int | None  # slab thickness; None for n = infinity
    formula: str
    space_group: str
    lattice: tuple  # primitive lattice vectors (rows), units of a
    sites: tuple  # (role, cartesian position in units of a); role in {"Li", "X", "Z"}

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    def count(self, role: str) -> int:
        """Number of sites of `role` ("Li", "X" or "Z") per primitive cell (one formula unit)."""
        return sum(1 for r, _ in self.sites if r == role)

    def cell(self, a: float) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(lattice rows in Å, fractional coordinates, roles) of the primitive cell for a in Å."""
        lattice = np.array(self.lattice, dtype=float) * a
        cart = np.array([pos for _, pos in self.sites], dtype=float) * a
        frac = np.linalg.solve(lattice.T, cart.T).T % 1.0
        frac[np.isclose(frac, 1.0, atol=1e-12)] = 0.0
        return lattice, frac, [role for role, _ in self.sites]

    def structure(self, x: str = "O", z: str = "Cl", a: float | None = None):
        """pymatgen Structure of the undecorated parent with X = `x`, Z = `z` (a in Å; default from radii)."""
        from pymatgen.core import Lattice, Structure

        if a is None:
            a = lattice_constant({x: 1.0}, {z: 1.0})
        lattice, frac, roles = self.cell(a)
        species = [{"Li": "Li", "X": x, "Z": z}[r] for r in roles]
        return Structure(Lattice(lattice), species, frac)


def _body_centred(c_over_a: float) -> tuple:
    return ((-0.5, 0.5, c_over_a / 2), (0.5, -0.5, c_over_a / 2), (0.5, 0.5, -c_over_a / 2))


def _n1() -> Parent:
    c = 2.0 + SQRT2  # c / a
    z_li = 0.5  # apical Li height, in units of a (z_Li * c = a/2)
    z_z = c / 2 - z_li  # Z height: (1/2 - z_Li) c
    sites = (
        ("X", (0.0, 0.0, 0.0)),
        ("Li", (0.0, 0.5, 0.0)),
        ("Li", (0.5, 0.0, 0.0)),
        ("Li", (0.0, 0.0, z_li)),
        ("Li", (0.0, 0.0, -z_li)),
        ("Z", (0.0, 0.0, z_z)),
        ("Z", (0.0, 0.0, -z_z)),
    )
    return Parent("n1", 1, "Li4XZ2", "I4/mmm", _body_centred(c), sites)


def _n2() -> Parent:
    c = 4.0 + SQRT2
    z_x = 0.5  # X height (units of a): Li(2a)-X = a/2
    z_li = 1.0  # outer apical Li
    z_z = c / 2 - z_li  # rock-salt-layer Z
    sites = (
        ("X", (0.0, 0.0, z_x)),
        ("X", (0.0, 0.0, -z_x)),
        ("Li", (0.0, 0.0, 0.0)),
        ("Li", (0.0, 0.5, z_x)),
        ("Li", (0.5, 0.0, z_x)),
        ("Li", (0.0, 0.5, -z_x)),
        ("Li", (0.5, 0.0, -z_x)),
        ("Li", (0.0, 0.0, z_li)),
        ("Li", (0.0, 0.0, -z_li)),
        ("Z", (0.5, 0.5, 0.0)),  # 2b, equivalent to (0, 0, 1/2) by I-centring
        ("Z", (0.0, 0.0, z_z)),
        ("Z", (0.0, 0.0, -z_z)),
    )
    return Parent("n2", 2, "Li7X2Z3", "I4/mmm", _body_centred(c), sites)


def _ninf() -> Parent:
    sites = (
        ("X", (0.5, 0.5, 0.5)),
        ("Z", (0.0, 0.0, 0.0)),
        ("Li", (0.0, 0.5, 0.5)),
        ("Li", (0.5, 0.0, 0.5)),
        ("Li", (0.5, 0.5, 0.0)),
    )
    return Parent("ninf", None, "Li3XZ", "Pm-3m", ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), sites)


PARENTS: dict[str, Parent] = {p.name: p for p in (_ninf(), _n1(), _n2())}


def get_parent(name: str) -> Parent:
    """The parent called `name` ("ninf", "n1" or "n2")."""
    try:
        return PARENTS[name]
    except KeyError:
        raise InputError(f"unknown parent {name!r} (known: {', '.join(PARENTS)})") from None


def lattice_constant(x_fractions: dict[str, float], z_fractions: dict[str, float]) -> float:
    """Starting pseudo-cubic lattice constant a (Å) from Shannon radii.

    The mean of the two ideal-contact estimates: 2 (r_Li + r_X) along the Li-X-Li
    octahedral axis and sqrt(2) (r_Li + r_Z) along the Li-Z contact. For Li3OCl this
    gives 3.98 Å (experiment 3.91 Å, Zhao & Daemen, JACS 134, 15042 (2012)); the
    relaxation stage refines it.
    """
    r_li = shannon_radius("Li")
    along_x = 2.0 * (r_li + weighted_radius(x_fractions))
    along_z = SQRT2 * (r_li + weighted_radius(z_fractions))
    return 0.5 * (along_x + along_z)
