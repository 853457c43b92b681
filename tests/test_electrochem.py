"""Electrochemical window (Li grand-potential phase diagram, Fig. 6) from real SevenNet-0 energies."""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition

from ipscreen.structure_io import structure_from_dict
from ipscreen.thermo.electrochem import window
from ipscreen.thermo.hull import Phase, computed_entries

FIXTURE = Path(__file__).parent / "fixtures" / "campaign_v0"  # relaxed Li-O-Cl-Br phases (SevenNet-0)


@pytest.fixture(scope="module")
def li_o_cl_br():
    conn = sqlite3.connect(f"file:{FIXTURE / 'ipscreen.sqlite'}?immutable=1", uri=True)  # read, never written
    rows = conn.execute("SELECT compound_id, data FROM results WHERE stage = 'relax'").fetchall()
    conn.close()
    phases = [Phase(sid, structure_from_dict(json.loads(d)["structure"]), json.loads(d)["energy_ev"])
              for sid, d in rows]
    return {e.entry_id: e for e in computed_entries(phases, mp2020=True)}


def test_li3ocl_window_is_li2o_to_li2o2(li_o_cl_br):
    """Reduction limit 0 V (Li2O and LiCl are stable against Li); oxidation at 2 Li2O -> Li2O2 + 2 Li,
    whose voltage is computed here by hand from the corrected energies: V = -ΔG / (n e) per Li."""
    entries = [e for e in li_o_cl_br.values() if set(e.composition.elements) <= set(Composition("Li3OCl"))]
    w = window(PhaseDiagram(entries), Composition("Li3OCl"))
    e = {sid: li_o_cl_br[f"ref:{sid}"] for sid in ("Li", "Li2O", "Li2O2")}
    mu_li = e["Li"].energy_per_atom
    by_hand = (e["Li2O2"].energy_per_atom * 4 + 2 * mu_li - 2 * e["Li2O"].energy_per_atom * 3) / 2
    assert w["reduction_limit_v"] == 0.0
    assert w["oxidation_limit_v"] == pytest.approx(by_hand, abs=1e-5)
    assert 2.4 < by_hand < 3.3  # the paper's Li3OCl-type oxidation limit is 2.79 V (Li6O2ClBr)
    assert w["reduction_products"] == w["window_products"] == ["Li2O", "LiCl"]
    assert w["oxidation_products"] == ["Li2O2", "LiCl"]
    steps = w["profile"]  # Li given off grows with voltage, one step per new product set
    assert [r["li_per_formula_unit"] for r in steps] == sorted((r["li_per_formula_unit"] for r in steps), reverse=True)
    assert steps[-1]["v_max"] is None and steps[-1]["products"] == ["O2", "Cl2"]


def test_window_stage_on_the_pool_then_on_ids(tmp_path):
    """The window stage through the runner on a stored campaign: every metastable compound, columns in
    the table, Fig. 6; a rerun computes nothing."""
    from ipscreen.campaign.runner import run

    folder = tmp_path / "c"
    shutil.copytree(FIXTURE, folder)
    summary = run(folder, stages=["window"])
    assert summary["window"]["computed"] == 5
    table = (folder / "table.csv").read_text().splitlines()
    assert "oxidation_limit_v" in table[0] and "Li2O2 + LiCl" in "\n".join(table)
    assert (folder / "window_profiles.png").read_bytes()[:4] == b"\x89PNG"
    assert run(folder, stages=["window"])["window"]["computed"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("formula, paper_v, reduction_products", [
    ("Li6O2ClBr", 2.79, ["Li2O", "LiBr", "LiCl"]),
    ("Li6OSeI2", 1.89, ["Li2Se", "Li2O", "LiI"]),
])
def test_paper_fig6_compounds(formula, paper_v, reduction_products):
    """Fm-3m Li6O2ClBr and Li6OSeI2 of the paper's space, relaxed with their references (SevenNet-0,
    demo thresholds): reduction limit 0 V with the paper's products, oxidation within 0.35 V of Fig. 6."""
    from ipscreen.campaign.config import from_preset
    from ipscreen.commands.analyze import window_of
    from ipscreen.space import enumerate_space

    config = from_preset("demo")
    space = from_preset("paper").space
    compound = next(c for c in enumerate_space(space) if c.row()["reduced_formula"] == formula
                    and c.row()["space_group"] == "Fm-3m")
    w = window_of(compound.structure, config)
    assert w["reduction_limit_v"] == 0.0 and sorted(w["reduction_products"]) == sorted(reduction_products)
    assert abs(w["oxidation_limit_v"] - paper_v) <= 0.35


def test_analyze_window_command(li3ocl_cif, tmp_path):
    """`ipscreen analyze window FILE --json` relaxes Li3OCl and its references: the issue's keys."""

    from conftest import run_cli

    path = li3ocl_cif
    out = run_cli("analyze", "window", path, "--json", "--plot", tmp_path / "fig6.png")
    assert out.returncode == 0, out.stderr
    w = json.loads(out.stdout)
    assert {"reduction_limit_v", "oxidation_limit_v", "reduction_products", "oxidation_products", "profile"} <= set(w)
    assert w["reduction_limit_v"] == 0.0 and 2.4 < w["oxidation_limit_v"] < 3.3
    assert w["oxidation_products"] == ["Li2O2", "LiCl"]
    assert (tmp_path / "fig6.png").read_bytes()[:4] == b"\x89PNG"


def test_window_runs_on_the_pareto_set_of_the_latest_mobo_run(tmp_path):
    """With no MOBO run of the campaign's own [mobo] settings, the window stage takes the Pareto set of
    the latest MOBO run (here one made with --seed 1, on the stored BVSE and E_d: no oracle call)."""
    from conftest import run_cli
    from ipscreen.campaign.runner import run

    folder = tmp_path / "c"
    shutil.copytree(FIXTURE, folder)
    toml = folder / "campaign.toml"
    toml.write_text(toml.read_text().replace('objectives = ["band_gap", "bvse", "stability"]',
                                             'objectives = ["bvse", "stability"]'))
    out = run_cli("mobo", "run", "--campaign", folder, "--serial", "--seed", "1")
    assert out.returncode == 0, out.stderr
    pareto = run_cli("mobo", "pareto", "--campaign", folder, "--seed", "1", "--json")
    ids = {r["id"] for r in json.loads(pareto.stdout)}
    assert 0 < len(ids) < 5
    summary = run(folder, stages=["window"])
    assert summary["window"]["computed"] == len(ids)
    conn = sqlite3.connect(folder / "ipscreen.sqlite")
    stored = {cid for (cid,) in conn.execute("SELECT compound_id FROM results WHERE stage = 'window'")}
    conn.close()
    assert stored == ids
