"""Synthesis likelihood: the substitution scorer on known and hypothetical antiperovskites,
the PU-bagging scorer trained on real structures, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from conftest import run_cli
from ipscreen.errors import InputError, PropertyError
from ipscreen.properties.synthesizability import (
    SynthesizabilitySettings,
    calc,
    features,
    load_model,
    pu_likelihood,
    save_model,
    train_pu,
)


def cubic(x: str, z: str, a: float = 3.91) -> Structure:
    return Structure.from_spacegroup("Pm-3m", Lattice.cubic(a), [x, z, "Li"], [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]])


def test_seed_compounds_score_one_and_substitutions_score_less():
    assert calc(cubic("O", "Cl"))["synthesizability"] == pytest.approx(1.0)
    assert calc(cubic("O", "Br"))["synthesizability_seed"] == "Li3OBr"
    li3scl = calc(cubic("S", "Cl"))
    assert 0 < li3scl["synthesizability"] < 0.5
    assert li3scl["synthesizable"] is False


def test_mixed_site_lies_between_its_end_members():
    mixed = cubic("O", "Cl").copy()
    mixed.make_supercell([1, 1, 2])
    mixed.replace(mixed.indices_from_symbol("Cl")[0], "I")  # Li6O2ClI = Li3OCl0.5I0.5
    ends = [calc(cubic("O", z))["synthesizability"] for z in ("Cl", "I")]
    assert min(ends) < calc(mixed)["synthesizability"] < max(ends)


def test_tellurium_is_outside_the_table_and_says_so():
    out = calc(cubic("Te", "Cl", 4.3))
    assert out["synthesizability"] < 0.01
    assert "Te2-" in out["synthesizability_note"]


def test_structures_outside_the_space_are_rejected():
    with pytest.raises(PropertyError, match="no Li"):
        calc(Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [.5, .5, .5]]))
    with pytest.raises(PropertyError, match="Na"):
        calc(Structure(Lattice.cubic(4.0), ["Li", "Na", "O", "Cl"], [[0, 0, 0], [.5, .5, .5], [0, .5, .5], [.5, 0, 0]]))
    with pytest.raises(InputError, match="scorer"):
        calc(cubic("O", "Cl"), SynthesizabilitySettings(scorer="cgcnn"))


@pytest.fixture(scope="module")
def training_set(demo_space):
    """Positives: synthesized phases (the shipped reference structures, Li3OCl, Li3OBr);
    unlabeled: the hypothetical compounds of the demo space."""
    from ipscreen.thermo.references import reference_phases

    positives = [p.structure for p in reference_phases({"Li", "O", "S", "Cl", "Br", "I"})]
    positives += [cubic("O", "Cl"), cubic("O", "Br", 4.02)]
    unlabeled = [c.structure for c in demo_space[::3]]
    return positives + unlabeled, np.array([True] * len(positives) + [False] * len(unlabeled))


def test_pu_bagging_is_deterministic_and_separates_positives(training_set, tmp_path):
    structures, positive = training_set
    model = train_pu(structures, positive, n_bags=12, seed=3)
    again = train_pu(structures, positive, n_bags=12, seed=3)
    probe = cubic("S", "I", 4.4)
    assert pu_likelihood(probe, model) == pu_likelihood(probe, again)
    scores = np.array([pu_likelihood(s, model) for s in structures])
    assert scores[positive].mean() > 0.9  # every bag trains on all positives
    oob = np.array(model["oob_unlabeled_scores"])
    assert np.nanmean(oob) < scores[positive].mean()
    path = tmp_path / "model.pkl"
    save_model(model, path)
    out = calc(probe, SynthesizabilitySettings(scorer="pu", model=str(path)))
    assert out["synthesizability"] == pytest.approx(pu_likelihood(probe, load_model(str(path.resolve()))))
    assert out["synthesizability_scorer"] == "pu"


def test_features_have_fixed_length():
    assert features(cubic("O", "Cl")).shape == features(cubic("Se", "I", 4.5)).shape


def test_cli_train_score_and_bad_entries(training_set, tmp_path):
    structures, positive = training_set
    entries = tmp_path / "entries.json"
    entries.write_text(json.dumps([{"structure": s.as_dict(), "synthesized": bool(p)}
                                   for s, p in zip(structures[:30], positive[:30])]))
    model = tmp_path / "m.pkl"
    r = run_cli("synthesizability", "train", "--entries", entries, "--out", model, "--bags", "5")
    assert r.returncode == 0, r.stderr
    cif = tmp_path / "Li3OCl.cif"
    cubic("O", "Cl").to(filename=str(cif))
    r = run_cli("synthesizability", "score", cif, "--model", model, "--json")
    assert r.returncode == 0, r.stderr
    assert 0 <= json.loads(r.stdout)[0]["synthesizability"] <= 1
    r = run_cli("property", "synthesizability", cif, "--json")
    assert json.loads(r.stdout)["synthesizability"] == pytest.approx(1.0)
    entries.write_text("[{\"structure\": 5}]")
    r = run_cli("synthesizability", "train", "--entries", entries)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "entry 0" in r.stderr
