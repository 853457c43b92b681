"""One input-structure check for every property oracle: unphysical structures are rejected with
one line (an InputError) before any calculation starts."""

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.core.periodic_table import DummySpecies

from ipscreen.errors import InputError, PropertyError
from ipscreen.properties import band_gap, bvse, conductivity, hydration, synthesizability
from ipscreen.space.parents import get_parent
from ipscreen.structure_io import MIN_DISTANCE, check_structure

GAP = 0.04  # Å between the two atoms moved onto each other

ORACLES = {m.__name__.rsplit(".", 1)[-1]: m.calc for m in (band_gap, hydration, conductivity, bvse, synthesizability)}


def li3ocl() -> Structure:
    return get_parent("ninf").structure("O", "Cl")


def overlapping() -> Structure:
    """Li3OCl (5 atoms) with one Li moved to GAP Å from the O."""
    s = li3ocl()
    o = next(i for i, site in enumerate(s) if site.specie.symbol == "O")
    li = next(i for i, site in enumerate(s) if site.specie.symbol == "Li")
    s.replace(li, "Li", coords=s[o].coords + [GAP, 0.0, 0.0], coords_are_cartesian=True)
    return s


def message(structure) -> str:
    with pytest.raises(InputError) as err:
        check_structure(structure)
    return str(err.value)


def test_sane_li3ocl_passes():
    s = li3ocl()
    assert len(s) == 5
    check_structure(s)
    check_structure(s * (2, 2, 2))


def test_overlapping_atoms_message():
    text = message(overlapping())
    assert f"atoms {GAP:.2f} Å apart (minimum {MIN_DISTANCE} Å)" in text and "\n" not in text


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_every_oracle_rejects_overlapping_atoms_with_the_same_message(name):
    with pytest.raises(InputError) as err:
        ORACLES[name](overlapping())
    assert str(err.value) == message(overlapping())
    assert isinstance(err.value, PropertyError)  # the oracles' contract: campaigns store it as the reason


def test_other_unphysical_structures():
    assert "no atoms" in message(Structure(Lattice.cubic(4.0), [], []))
    one = Structure(Lattice.cubic(0.95 * MIN_DISTANCE), ["Li"], [[0, 0, 0]])  # the atom nearly on its own image
    assert "apart" in message(one)
    flat = Structure(Lattice([[4, 0, 0], [0, 4, 0], [0, 0, 1e-3]]), ["Li", "Cl"], [[0, 0, 0], [0.5, 0.5, 0]])
    assert "degenerate lattice" in message(flat)
    nan = li3ocl()
    nan.lattice = Lattice(np.where(np.eye(3) > 0, np.nan, 0.0))
    assert "non-finite" in message(nan)
    dummy = Structure(Lattice.cubic(4.0), [DummySpecies("X"), "Li"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert "dummy species X" in message(dummy)
    disordered = Structure(Lattice.cubic(4.0), [{"Cl": 0.5, "Br": 0.5}, "Li"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert "partial occupancies" in message(disordered)
