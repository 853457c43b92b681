"""Interfacial reactivity with cathodes (eq. 25, Fig. 7) from real SevenNet-0 energies of the cathode library."""

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition, Lattice, Structure

from ipscreen.errors import InputError
from ipscreen.thermo.interfaces import InterfaceSettings, reaction
from ipscreen.thermo.references import all_cathode_phases, cathode_composition, cathode_phases

FIXTURE = Path(__file__).parent / "fixtures" / "campaign_v0"  # relaxed Li-O-Cl-Br phases (SevenNet-0)


def _by_hand(diagram: PhaseDiagram, electrolyte: Composition, cathode: Composition, x: float) -> float:
    """Eq. 25 at mixing ratio x (the cathode's atomic fraction) from hull energies per atom."""
    e, c = electrolyte.fractional_composition, cathode.fractional_composition
    return (diagram.get_hull_energy_per_atom(c * x + e * (1 - x)) - x * diagram.get_hull_energy_per_atom(c)
            - (1 - x) * diagram.get_hull_energy_per_atom(e))


def test_cathode_library_holds_the_cathodes_and_their_sources():
    """Every cathode's composition has a phase in the library; NMC811 has orderings of its 48-atom cell;
    every phase names its source; substituted phases have the formula they claim."""
    formulas = {p.structure.composition.reduced_composition for p in all_cathode_phases()}
    for name in ("NMC811", "LiNiO2", "LiCoO2", "LiMnO2", "LiFePO4"):
        assert cathode_composition(name).reduced_composition in formulas
    nmc = [p for p in all_cathode_phases() if "nmc811" in p.id]
    assert len(nmc) >= 2 and all(len(p.structure) == 48 for p in nmc)
    assert all(p.source for p in all_cathode_phases())
    li2so4 = next(p for p in all_cathode_phases() if p.formula == "Li2SO4")
    assert li2so4.structure.composition.reduced_formula == "Li2SO4" and "substitution" in li2so4.source
    assert {p.formula for p in cathode_phases({"Li", "Co", "O"})} >= {"LiCoO2", "Co3O4", "CoO", "Co"}


def test_settings_reject_an_unknown_cathode_and_energy():
    with pytest.raises(InputError, match="Xq"):
        InterfaceSettings(cathodes=["LiXqO2"]).validate()
    with pytest.raises(InputError, match="reactant_energy"):
        InterfaceSettings(reactant_energy="dft").validate()
    InterfaceSettings(cathodes=["LiNi0.5Mn0.5O2"]).validate()  # a formula of library elements is fine


def test_interfaces_stage_on_the_pool(tmp_path):
    """cathode_phases relaxes the LiCoO2 side of the Li-O-Cl-Br campaign, interfaces reacts every metastable
    compound with it: stored rows, the table's columns, Figs. 7a/7b and interfaces.csv; eq. 25 by hand at every
    kink from the stored energies; a rerun computes nothing. Oxyhalides and LiCoO2 do not react (paper:
    O-bearing ip SEs above -10 meV/atom with LiCoO2)."""
    from ipscreen.campaign.runner import run
    from ipscreen.thermo.hull import computed_entries, relaxed_phase

    folder = tmp_path / "c"
    shutil.copytree(FIXTURE, folder)
    with open(folder / "campaign.toml", "a") as fh:
        fh.write('\n[interfaces]\ncathodes = ["LiCoO2"]\n')
    summary = run(folder, stages=["interfaces"])
    assert summary["cathode_phases"]["status"] == {"converged": summary["cathode_phases"]["total"]}
    assert summary["interfaces"]["computed"] == 5
    for name in ("interfaces_vs_x.png", "interfaces_heatmap.png"):
        assert (folder / name).read_bytes()[:4] == b"\x89PNG"
    rows = list(csv.DictReader(open(folder / "interfaces.csv")))
    assert len(rows) == 5 and all(float(r["LiCoO2_ev_per_atom"]) > -0.01 for r in rows)
    header = (folder / "table.csv").read_text().splitlines()[0]
    assert "interface_reaction_ev_per_atom" in header and "interface_cathode" in header

    results = run(folder, stages=["interfaces"])
    assert results["interfaces"]["computed"] == 0 and results["cathode_phases"]["computed"] == 0

    conn = sqlite3.connect(folder / "ipscreen.sqlite")
    relaxed = {sid: {"status": status, "data": json.loads(d)} for sid, status, d in conn.execute(
        "SELECT compound_id, status, data FROM results WHERE stage IN ('relax', 'cathode_phases')")}
    done = {cid: json.loads(d) for cid, d in conn.execute(
        "SELECT compound_id, data FROM results WHERE stage = 'interfaces' AND status = 'done'")}
    formulas = dict(conn.execute("SELECT id, reduced_formula FROM compounds"))
    conn.close()
    phases = [p for p in (relaxed_phase(relaxed, sid) for sid in relaxed) if p is not None]
    entries = [e for e in computed_entries(phases, mp2020=True)
               if {el.symbol for el in e.composition.elements} <= {"Li", "O", "Cl", "Br", "Co"}]
    diagram = PhaseDiagram(entries)
    assert len(done) == 5
    for cid, d in done.items():
        r = d["reactions"]["LiCoO2"]
        assert d["interface_cathode"] == "LiCoO2" and r["reaction_energy_ev_per_atom"] <= 0
        assert r["curve"][0][0] == 0 and r["curve"][-1][0] == 1
        for x, e in r["curve"]:
            assert e == pytest.approx(_by_hand(diagram, Composition(formulas[cid]), Composition("LiCoO2"), x), abs=1e-5)


@pytest.mark.slow
def test_li2s_reacts_with_licoo2_by_oxygen_sulfur_exchange():
    """Li2S and LiCoO2 (the O-S exchange of the paper's ref. 72): a strongly negative minimum whose products
    take the sulfur into a sulfate or a Co sulfide; eq. 25 by hand at every kink."""
    from ipscreen.campaign.config import from_preset
    from ipscreen.commands.analyze import relaxed_system
    from ipscreen.thermo.hull import computed_entries

    config = from_preset("demo")
    li2s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.71), ["S", "Li"], [[0, 0, 0], [.25, .25, .25]])
    entries = computed_entries(relaxed_system(li2s.get_primitive_structure(), config,
                                              cathode_elements=frozenset({"Li", "Co", "O"})), mp2020=True)
    diagram = PhaseDiagram(entries)
    li2s_c, licoo2 = Composition("Li2S"), Composition("LiCoO2")
    r = reaction(diagram, li2s_c, licoo2)
    assert r["reaction_energy_ev_per_atom"] < -0.1
    assert 0 < r["mixing_ratio"] < 1
    assert "Li2SO4" in r["products"] or any(set(Composition(p).elements) == set(Composition("CoS").elements)
                                            for p in r["products"])
    for x, e in r["curve"]:
        assert e == pytest.approx(_by_hand(diagram, li2s_c, licoo2, x), abs=1e-5)
    assert r["reaction_energy_ev_per_atom"] == pytest.approx(min(e for _x, e in r["curve"]), abs=1e-6)


@pytest.mark.slow
def test_analyze_interface_command(li3ocl_cif):
    """`ipscreen analyze interface FILE --cathode LiCoO2 --json`: the issue's keys, a bad cathode is one line."""
    from conftest import run_cli

    path = li3ocl_cif
    out = run_cli("analyze", "interface", path, "--cathode", "LiCoO2", "--json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert {"cathode", "reaction_energy_ev_per_atom", "mixing_ratio", "products"} <= set(r)
    assert r["cathode"] == "LiCoO2" and -0.01 < r["reaction_energy_ev_per_atom"] <= 0
    bad = run_cli("analyze", "interface", path, "--cathode", "LiXqO2")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "Xq" in bad.stderr


def test_window_and_interfaces_carry_the_spread_of_a_second_backend(tmp_path):
    """[committee] backend = "chgnet": the committee stage relaxes, from SevenNet-0's structures, the pool
    compounds, the Li-O-Cl-Br references and the relaxed cathode phases with CHGNet; the window and the
    interfaces then carry CHGNet's numbers, their |difference| and the uncertain flags."""
    from ipscreen.campaign.runner import run

    folder = tmp_path / "c"
    shutil.copytree(FIXTURE, folder)
    with open(folder / "campaign.toml", "a") as fh:
        fh.write('\n[interfaces]\ncathodes = ["LiCoO2"]\n\n[committee]\nbackend = "chgnet"\n')
    summary = run(folder, stages=["window", "interfaces"])
    assert summary["committee"]["computed"] > 0 and "chgnet" in summary["committee"]["message"]
    conn = sqlite3.connect(folder / "ipscreen.sqlite")
    rows = {(stage, sid): json.loads(d) for stage, sid, d in conn.execute(
        "SELECT stage, compound_id, data FROM results WHERE stage IN ('relax', 'committee', 'window', 'interfaces') "
        "AND status != 'failed'")}
    conn.close()
    committee = {sid: d for (stage, sid), d in rows.items() if stage == "committee"}
    assert all(d["backend"]["backend"] == "chgnet" for d in committee.values())
    assert any(sid.startswith("ref:Co") for sid in committee) and any(sid.startswith("ninf-") for sid in committee)
    li = committee["ref:Li"]["energy_ev_per_atom"]
    assert abs(li - rows[("relax", "ref:Li")]["energy_ev_per_atom"]) > 1e-3  # another model's energy
    windows = [d for (stage, _sid), d in rows.items() if stage == "window"]
    assert len(windows) == 5
    for w in windows:
        other = w["committee"]
        assert other["backend"].startswith("chgnet") and isinstance(w["window_uncertain"], bool)
        assert w["oxidation_limit_spread_v"] == pytest.approx(abs(w["oxidation_limit_v"] - other["oxidation_limit_v"]),
                                                              abs=1e-6)
        assert 2.0 < other["oxidation_limit_v"] < 3.6  # Li2O -> Li2O2 for CHGNet too
    for (stage, _sid), d in rows.items():
        if stage == "interfaces":
            r = d["reactions"]["LiCoO2"]
            assert r["spread_ev_per_atom"] == pytest.approx(abs(r["reaction_energy_ev_per_atom"]
                                                                - r["committee_ev_per_atom"]), abs=1e-6)
            assert d["interface_uncertain"] == r["uncertain"]
    header = (folder / "table.csv").read_text().splitlines()[0]
    assert "oxidation_limit_spread_v" in header and "interface_uncertain" in header
