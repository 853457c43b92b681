"""`ipscreen property ...` as a user runs it: values with units, JSON keys, one-line errors."""

from __future__ import annotations

import json

from pymatgen.core import Lattice, Structure

from conftest import run_cli


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


def test_overlapping_atoms_are_refused_by_every_command(tmp_path):
    """A CIF with two atoms 0.04 Å apart: every command that reads a structure ends with the same one
    line and exit 2 (it ended in a LinAlgError traceback in GPAW before)."""
    from ipscreen.campaign.stages import oracles

    s = Structure.from_spacegroup("Pm-3m", Lattice.cubic(3.91), ["O", "Cl", "Li"],
                                  [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]])
    s.append("Li", [0.5 + 0.04 / 3.91, 0.5, 0.5])
    path = tmp_path / "overlap.cif"
    s.to(filename=str(path))
    commands = [("property", o.command, path) for o in oracles()] + [("synthesizability", "score", path),
                                                                      ("analyze", "window", path)]
    messages = set()
    for args in commands:
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "0.04 Å apart" in lines[0], (args, r.stderr)
        messages.add(lines[0])
    assert len(messages) == 1
