"""PBE band gap with GPAW on small real cells (about 16 s of CPU on one core).

GPAW is built by `make install`; without it these tests fail (they do not skip)."""

import json

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor

from ipscreen.errors import InputError, PropertyError
from ipscreen.properties.band_gap import (
    BandGapSettings,
    band_edges,
    calc,
    kpoint_grid,
)


def li3xz(x="O", z="Cl", a=3.91):
    """Cubic Pm-3m anti-perovskite Li3XZ, 5 atoms."""
    return Structure.from_spacegroup(
        "Pm-3m", Lattice.cubic(a), [x, z, "Li"], [[0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0.5, 0]]
    )


@pytest.fixture(scope="module")
def li3ocl():
    return calc(li3xz(), BandGapSettings())


def test_li3ocl_gap_is_indirect_m_to_gamma(li3ocl):
    # GPAW 26.7.0, 520 eV, 4x4x4: 4.727 eV, VBM at M, CBM at Gamma
    assert 4.6 <= li3ocl["band_gap_ev"] <= 4.8
    assert li3ocl["gap_is_direct"] is False and li3ocl["is_metal"] is False
    assert li3ocl["vbm_kpoint_frac"] == [0.5, 0.5, 0.0]
    assert li3ocl["cbm_kpoint_frac"] == [0.0, 0.0, 0.0]
    assert li3ocl["direct_gap_ev"] > li3ocl["band_gap_ev"]
    assert li3ocl["vbm_ev"] < li3ocl["fermi_level_ev"] < li3ocl["cbm_ev"]
    assert li3ocl["band_gap_ev"] == pytest.approx(li3ocl["cbm_ev"] - li3ocl["vbm_ev"], abs=2e-4)
    assert li3ocl["kpts"] == [4, 4, 4] and li3ocl["n_atoms"] == 5
    method = li3ocl["method"]
    assert (method["code"], method["xc"], method["cutoff_ev"]) == ("gpaw", "PBE", 520.0)
    json.dumps(li3ocl)  # flat, JSON-serialisable


def test_gap_uses_all_kpoints_not_only_gamma(li3ocl, tmp_path):
    calls = []
    gamma = calc(li3xz(), BandGapSettings(kpt_density_ang=0.2), workdir=tmp_path,
                 progress=lambda done, total: calls.append((done, total)))
    assert gamma["kpts"] == [1, 1, 1] and gamma["gap_is_direct"] is True
    # the VBM at M is missed at Gamma only: ~5.38 eV instead of ~4.73 eV
    assert gamma["band_gap_ev"] > li3ocl["band_gap_ev"] + 0.4
    assert (tmp_path / "gpaw_band_gap.txt").stat().st_size > 0
    assert calls[-1] == (100, 100) and len(calls) == gamma["scf_iterations"] + 1


def test_metal_has_zero_gap():
    bcc_li = Structure(Lattice([[-1.72, 1.72, 1.72], [1.72, -1.72, 1.72], [1.72, 1.72, -1.72]]),
                       ["Li"], [[0, 0, 0]])
    out = calc(bcc_li, BandGapSettings(cutoff_ev=300))
    assert out["band_gap_ev"] == 0.0 and out["is_metal"] is True
    assert out["gap_is_direct"] is False


def test_unconverged_scf_is_a_property_error():
    with pytest.raises(PropertyError, match="SCF not converged in 2 iterations"):
        calc(li3xz(), BandGapSettings(kpt_density_ang=0.2, max_scf_iterations=2))


def test_element_without_setup_and_empty_structure_are_property_errors():
    with pytest.raises(PropertyError, match="no PBE PAW setup for Po"):
        calc(li3xz("O", "Po"), BandGapSettings())
    with pytest.raises(PropertyError, match="no atoms"):
        calc(Structure(Lattice.cubic(4.0), [], []), BandGapSettings())


def test_band_edges_over_k_and_spin():
    # spin 0: VBM at k=1; spin 1: CBM at k=0 -> indirect, gap across spins and k-points
    eig = np.array([[[-1.0, 2.0], [-0.5, 2.5]], [[-2.0, 1.0], [-1.5, 3.0]]])
    edges = band_edges(eig, fermi_level=0.0)
    assert edges["gap_ev"] == pytest.approx(1.5) and edges["is_metal"] is False
    assert edges["vbm_sk"] == (0, 1) and edges["cbm_sk"] == (1, 0)
    assert edges["direct_gap_ev"] == pytest.approx(3.0)  # min over (spin, k) of CBM(k) - VBM(k)
    # band 0 crosses the Fermi level between the k-points: metal
    metal = band_edges(np.array([[[-1.0, 2.0], [0.5, 2.5]]]), fermi_level=0.0)
    assert metal["gap_ev"] == 0.0 and metal["is_metal"] is True
    with pytest.raises(PropertyError, match="no empty band"):
        band_edges(np.array([[[-1.0, -0.5]]]), fermi_level=0.0)


def test_kpoint_grid_default_density():
    def grid(s):
        return kpoint_grid(AseAtomsAdaptor.get_atoms(s), BandGapSettings().kpt_density_ang)
    assert grid(li3xz(a=3.91)) == [4, 4, 4]
    assert grid(li3xz(a=3.91) * 2) == [2, 2, 2]
    assert grid(li3xz("S", "I", a=4.76)) == [4, 4, 4]  # even: keeps M on the grid
    assert grid(Structure(Lattice.tetragonal(3.9, 13.0), ["Li"], [[0, 0, 0]])) == [4, 4, 2]


@pytest.mark.parametrize("bad", [{"cutoff_ev": 50}, {"kpt_density_ang": 0}, {"smearing_ev": -0.1},
                                 {"extra_bands": 1}, {"max_scf_iterations": 0}])
def test_bad_settings_are_input_errors(bad):
    with pytest.raises(InputError):
        BandGapSettings(**bad).validate()
