"""BVSE Li+ migration barriers (bvlain) on real structures."""

from __future__ import annotations

import pytest
from pymatgen.core import Lattice, Structure

from ipscreen.errors import InputError, PropertyError
from ipscreen.properties import bvse


def li3ocl(a: float = 3.91) -> Structure:
    return Structure.from_spacegroup("Pm-3m", Lattice.cubic(a), ["O", "Cl", "Li"],
                                     [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]])


def test_li3ocl_barrier_is_physical():
    r = bvse.calc(li3ocl())
    # BVSE of Li3OCl: 0.50 eV here; DFT vacancy migration 0.31-0.37 eV (Emly et al. 2013)
    assert 0.2 < r["bvse_barrier_ev"] < 1.0
    assert r["bvse_dimensionality"] == 3
    assert r["bvse_barrier_ev"] == r["bvse_barrier_3d_ev"]
    assert r["bvse_barrier_1d_ev"] <= r["bvse_barrier_2d_ev"] <= r["bvse_barrier_3d_ev"]
    assert r["method"]["code"] == "bvlain"


def test_compressed_lattice_raises_the_barrier():
    """A smaller cell squeezes the Li bottlenecks: the barrier must go up."""
    assert bvse.calc(li3ocl(3.75))["bvse_barrier_ev"] > bvse.calc(li3ocl(3.91))["bvse_barrier_ev"]


def test_layered_parent_uses_2d_barrier():
    from ipscreen.space.parents import get_parent

    r = bvse.calc(get_parent("n1").structure("O", "Cl"))
    assert r["bvse_dimensionality"] == 2
    assert r["bvse_barrier_ev"] == r["bvse_barrier_2d_ev"]
    assert 0.0 < r["bvse_barrier_2d_ev"] < 1.5
    assert r["bvse_barrier_3d_ev"] is None or r["bvse_barrier_3d_ev"] >= r["bvse_barrier_2d_ev"]


def test_no_li_is_a_property_error():
    nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [.5, .5, .5]])
    with pytest.raises(PropertyError, match="no Li"):
        bvse.calc(nacl)


def test_unknown_oxidation_states_are_a_property_error():
    """Li metal has no anion: bvlain cannot build the site-energy landscape."""
    li = Structure(Lattice.cubic(3.44), ["Li", "Li"], [[0, 0, 0], [.5, .5, .5]])
    with pytest.raises(PropertyError):
        bvse.calc(li)


def test_bad_settings():
    with pytest.raises(InputError):
        bvse.calc(li3ocl(), bvse.BVSESettings(resolution_angstrom=0.0))
