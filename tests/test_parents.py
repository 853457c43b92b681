"""Parent structures: space groups, sizes, neighbour distances, lattice constants."""

import math

import numpy as np
import pytest
import spglib

from ipscreen.errors import InputError
from ipscreen.space.parents import PARENTS, get_parent, lattice_constant


def _spacegroup(structure):
    cell = (structure.lattice.matrix, structure.frac_coords, [site.specie.Z for site in structure])
    return spglib.get_spacegroup(cell, symprec=1e-3).split(" (")[0]


@pytest.mark.parametrize(
    "name, formula, n_atoms, space_group",
    [("ninf", "Li3OCl", 5, "Pm-3m"), ("n1", "Li4OCl2", 7, "I4/mmm"), ("n2", "Li7O2Cl3", 12, "I4/mmm")],
)
def test_parent_cell_and_symmetry(name, formula, n_atoms, space_group):
    from pymatgen.core import Composition

    s = PARENTS[name].structure("O", "Cl", a=3.91)
    assert len(s) == n_atoms
    assert s.composition.reduced_composition == Composition(formula).reduced_composition
    assert _spacegroup(s) == space_group


@pytest.mark.parametrize("name", ["ninf", "n1", "n2"])
def test_neighbour_distances_are_ideal(name):
    """Every X has six Li at a/2 and every Z's nearest Li sit at a/sqrt(2)."""
    a = 3.91
    s = PARENTS[name].structure("O", "Cl", a=a)
    for _i, site in enumerate(s):
        if site.specie.symbol == "Li":
            continue
        neighbours = s.get_neighbors(site, 3.2)
        li = sorted(n.nn_distance for n in neighbours if n.specie.symbol == "Li")
        if site.specie.symbol == "O":
            assert len(li) >= 6
            assert li[:6] == pytest.approx([a / 2] * 6, abs=1e-6)
        else:
            assert li[0] == pytest.approx(a / math.sqrt(2), abs=1e-6)
        # no anion-anion contact closer than the Li-anion contacts
        others = [n.nn_distance for n in neighbours if n.specie.symbol != "Li"]
        assert all(d > a / 2 + 0.5 for d in others)


def test_tetragonal_stacking():
    """c/a = 2n + sqrt(2): the rock-salt interlayer spacing is a/sqrt(2)."""
    for name, n in (("n1", 1), ("n2", 2)):
        conv_c = np.linalg.norm(np.sum(np.array(PARENTS[name].lattice)[:2], axis=0))  # a1 + a2 = (0, 0, c)
        assert conv_c == pytest.approx(2 * n + math.sqrt(2))


def test_lattice_constant_from_radii():
    # Li3OCl: 0.5 * (2 (0.76 + 1.40) + sqrt(2) (0.76 + 1.81)) with Shannon (1976) CN VI radii
    expected = 0.5 * (2 * (0.76 + 1.40) + math.sqrt(2) * (0.76 + 1.81))
    assert lattice_constant({"O": 1.0}, {"Cl": 1.0}) == pytest.approx(expected, abs=1e-9)
    # within 2 % of the experimental 3.91 Å (Zhao & Daemen 2012)
    assert abs(expected - 3.91) / 3.91 < 0.02
    # bigger anions, bigger cells
    assert lattice_constant({"Te": 1.0}, {"I": 1.0}) > lattice_constant({"O": 1.0}, {"F": 1.0})


def test_unknown_parent():
    with pytest.raises(InputError, match="unknown parent"):
        get_parent("n3")
