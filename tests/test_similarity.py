"""q_sim, piro's precursor-target similarity (Aykol et al., JACS 143, 9244 (2021)), on small real structures."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from ipscreen.synthesis import similarity as sim


def _rocksalt(anion: str, a: float) -> Structure:
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["Li", anion], [[0, 0, 0], [0.5, 0.5, 0.5]])


@pytest.fixture(scope="module")
def phases() -> dict[str, Structure]:
    """Experimental prototypes (lattice constants in Å)."""
    return {
        "Li2O": Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.61), ["Li", "O"], [[0.25] * 3, [0, 0, 0]]),
        "LiCl": _rocksalt("Cl", 5.13),
        "LiBr": _rocksalt("Br", 5.50),
        "Li3OCl": Structure.from_spacegroup("Pm-3m", Lattice.cubic(3.91), ["Li", "O", "Cl"],
                                            [[0.5, 0, 0], [0.5, 0.5, 0.5], [0, 0, 0]]),
        "Li": Structure(Lattice.cubic(3.44), ["Li"], [[0, 0, 0]]),  # bcc metal: the clearly different one
    }


@pytest.fixture(scope="module")
def fingerprints(phases) -> dict[str, np.ndarray]:
    return {name: sim.features(s) for name, s in phases.items()}


def test_labels_match_the_shipped_scaler():
    names = sim.feature_names()
    assert len(names) == sim.N_FEATURES == 273 and names == sorted(sim.featurizer_labels())
    raw = json.loads((resources.files("ipscreen.data") / "piro_similarity.json").read_text(encoding="utf-8"))
    assert len(raw["mean"]) == len(raw["scale"]) == 273 and len(raw["quantiles"]) == len(raw["probabilities"]) == 101
    assert "TRI-AMDD/piro" in raw["_source"] and "Apache-2.0" in raw["_licence"] and "9244" in raw["_source"]
    assert raw["quantiles"][0] == 0 and raw["probabilities"][-1] == 1.0


def test_features_are_finite_and_columns_mean_what_they_say(fingerprints):
    for x in fingerprints.values():
        assert x.shape == (273,) and np.all(np.isfinite(x))
    col = {n: j for j, n in enumerate(sim.feature_names())}
    li2o, licl, li3ocl = fingerprints["Li2O"], fingerprints["LiCl"], fingerprints["Li3OCl"]
    assert li2o[col["0-norm"]] == 2 and li3ocl[col["0-norm"]] == 3
    assert li2o[col["MagpieData mean Number"]] == pytest.approx((2 * 3 + 8) / 3)
    assert li2o[col["frac s valence electrons"]] == pytest.approx(0.5)  # Li 2s1, O 2s2 2p4
    assert li3ocl[col["compound possible"]] == 1.0
    assert licl[col["mean CN_VoronoiNN"]] == pytest.approx(6.0)  # rock salt: cubic Voronoi cells
    assert np.all(np.abs(sim.standardize(li3ocl)) < 5)  # O(1) against piro's OQMD means and spreads


def test_li3ocl_matches_matminer_0_8_0(fingerprints):
    """Values matminer 0.8.0 (piro's pin) gives for Pm-3m Li3OCl, a = 3.91 Å, on the same pymatgen."""
    col = {n: j for j, n in enumerate(sim.feature_names())}
    expected = {"mean CN_VoronoiNN": 10.635290039756345, "avg_dev CN_VoronoiNN": 1.8541160159025374,
                "max relative bond length": 1.1166715772118425, "avg_dev neighbor distance variation": 0.05875571996519182,
                "mean absolute deviation in relative cell size": 0.15, "mean ordering parameter shell 1": 0.6630248055313831,
                "mean ordering parameter shell 2": 0.435340134789492, "mean ordering parameter shell 3": 0.23488879143944394,
                "max packing efficiency": 0.44691951022241466, "mean local difference in GSvolume_pa": 5.976964871907333,
                "avg_dev local difference in MendeleevNumber": 16.05110700087021, "MagpieData mode GSvolume_pa": 16.5933333333,
                "3-norm": 0.6144633651371695, "max ionic char": 0.7797297329475583, "avg ionic char": 0.17776795463331949}
    got = {name: fingerprints["Li3OCl"][col[name]] for name in expected}
    assert got == pytest.approx(expected, rel=1e-9)


def test_q_sim_range_self_and_ranking(phases, fingerprints):
    assert sim.q_sim(phases["Li3OCl"], phases["Li3OCl"]) == 0.0
    supercell = phases["Li3OCl"] * (2, 2, 1)
    assert sim.q_sim(supercell, phases["Li3OCl"]) == 0.0  # intensive fingerprint
    q = {name: sim.q_sim_from_features(x, fingerprints["Li3OCl"]) for name, x in fingerprints.items()}
    assert all(0.0 <= v <= 1.0 for v in q.values())
    assert max(q["LiCl"], q["Li2O"]) < 0.2 < 0.9 < q["Li"]  # the binaries it is made from vs a metal
    assert q["LiCl"] < q["LiBr"]  # same halide closer than the larger one
    assert sim.q_sim_many([phases["LiCl"], phases["Li2O"]], phases["Li3OCl"]) == [q["LiCl"], q["Li2O"]]


def test_disordered_precursor_has_no_q_sim(phases):
    mixed = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.3), [{"Li": 0.5, "Na": 0.5}, "Cl"], [[0, 0, 0], [0.5] * 3])
    x = sim.features(mixed)
    assert np.isnan(x).sum() == 113 and np.isfinite(x[sim.feature_names().index("0-norm")])  # local-env featurizers fail
    assert sim.q_sim(mixed, phases["Li3OCl"]) is None


def test_distance_level_is_nearest_quantile():
    assert sim.distance_level(0.0) == 0.0 and sim.distance_level(1e3) == 1.0
    assert sim.distance_level(22.49) == pytest.approx(0.5)  # the median distance of piro's sample


def test_features_do_not_depend_on_the_cell_choice(phases, fingerprints):
    """A sheared cell of the same Li3OCl crystal (a + b as second vector, 45° angle; relaxed low-symmetry cells come
    out of the optimiser like this) gives the same fingerprint, not NaN: VoronoiNN alone finds no neighbours in it."""
    li3ocl = phases["Li3OCl"]
    a = li3ocl.lattice.a
    sheared = Structure(Lattice([[a, 0, 0], [a, a, 0], [0, 0, a]]), li3ocl.species, li3ocl.cart_coords,
                        coords_are_cartesian=True)
    assert sheared.lattice.angles[2] == pytest.approx(45.0)
    x = sim.features(sheared)
    assert np.all(np.isfinite(x))
    np.testing.assert_allclose(x, fingerprints["Li3OCl"], rtol=1e-9, atol=1e-9)


def test_a_site_at_fractional_coordinate_one_is_featurized(phases, fingerprints):
    """A relaxed cubic Li3OCl cell (angles 90 +- 1e-6 degrees, lengths equal to 1e-7 Å, as CellAwareBFGS leaves it)
    is Niggli-reduced to one with Li at fractional coordinates 1.0: VoronoiNN found no neighbours there, every
    structural column was NaN and q_sim fell back to 1 for every precursor (barriers ~10 eV)."""
    li3ocl = phases["Li3OCl"]
    a = li3ocl.lattice.a
    relaxed = Structure(Lattice.from_parameters(a, a + 1.3e-7, a + 1.1e-7, 89.99999941, 90.0, 90.00000029),
                        li3ocl.species, li3ocl.frac_coords)
    assert (relaxed.get_reduced_structure().frac_coords == 1.0).any()
    x = sim.features(relaxed)
    np.testing.assert_allclose(x, fingerprints["Li3OCl"], rtol=1e-6, atol=1e-6)
    assert sim.q_sim(relaxed, li3ocl) == 0.0
