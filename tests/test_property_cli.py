"""`ipscreen property ...` as a user runs it: values with units, JSON keys, one-line errors."""

from __future__ import annotations

import json

import pytest
from pymatgen.core import Lattice, Structure

from conftest import run_cli


@pytest.fixture(scope="module")
def li3ocl_cif(tmp_path_factory):
    path = tmp_path_factory.mktemp("cif") / "Li3OCl.cif"
    Structure.from_spacegroup("Pm-3m", Lattice.cubic(3.91), ["O", "Cl", "Li"],
                              [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]]).to(filename=str(path))
    return path


def test_band_gap_json(li3ocl_cif):
    r = run_cli("property", "band-gap", li3ocl_cif, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert 4.6 <= out["band_gap_ev"] <= 4.8
    assert out["gap_is_direct"] is False
    assert out["method"]["code"] == "gpaw"


def test_bad_inputs_give_one_line(li3ocl_cif, tmp_path):
    bad = tmp_path / "bad.cif"
    bad.write_text("not a cif\n")
    for args in (("property", "band-gap", tmp_path / "missing.cif"), ("property", "band-gap", bad),
                 ("property", "band-gap", li3ocl_cif, "--preset", "nope"),
                 ("property", "viscosity", li3ocl_cif)):
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 or "No such command" in r.stderr, r.stderr
