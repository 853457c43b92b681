"""Tolerance factor t_G,ip (paper eq. 24) with Shannon radii."""

import math

import pytest

from ipscreen.errors import InputError
from ipscreen.space.radii import shannon_radius
from ipscreen.space.tolerance import tolerance_factor

# Shannon, Acta Cryst. A32, 751 (1976), CN VI: Li+ 0.76, O2- 1.40, Cl- 1.81, Br- 1.96 Å
R_LI, R_O, R_CL, R_BR = 0.76, 1.40, 1.81, 1.96


def test_radii_are_shannon_cn6():
    assert shannon_radius("Li") == pytest.approx(R_LI)
    assert shannon_radius("O") == pytest.approx(R_O)
    assert shannon_radius("Cl") == pytest.approx(R_CL)


def test_li3ocl_by_hand():
    by_hand = (R_LI + R_CL) / math.sqrt(2 * (R_O + R_CL))  # = 2.57 / sqrt(6.42) = 1.0143
    assert tolerance_factor({"O": 1.0}, {"Cl": 1.0}) == pytest.approx(by_hand, abs=1e-12)
    assert by_hand == pytest.approx(1.0143, abs=1e-4)


def test_mixed_site_uses_occupancy_weights():
    r_z = 0.5 * R_CL + 0.5 * R_BR
    by_hand = (R_LI + r_z) / math.sqrt(2 * (R_O + r_z))
    assert tolerance_factor({"O": 1.0}, {"Cl": 0.5, "Br": 0.5}) == pytest.approx(by_hand, abs=1e-12)


def test_unknown_ion():
    with pytest.raises(InputError, match="no ionic radius"):
        shannon_radius("N")
