"""Energy backend and relaxation: real SevenNet-0 calculations on tiny cells."""

import math
from dataclasses import replace

import pytest

from ipscreen.energy.backends import load_backend
from ipscreen.energy.relax import RelaxSettings, min_distance, relax
from ipscreen.errors import InputError
from ipscreen.space.parents import PARENTS

LI3OCL_A_EXP = 3.91  # Å, cubic Li3OCl (Zhao & Daemen, JACS 134, 15042 (2012))


@pytest.fixture(scope="module")
def backend():
    return load_backend()


def _atoms(structure):
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_atoms(structure)


def test_backend_info(backend):
    assert backend.info.backend == "sevenn" and backend.info.model == "7net-0"
    assert backend.info.version
    assert {"Li", "O", "S", "Se", "Te", "F", "Cl", "Br", "I", "H"} <= backend.elements
    assert backend.info.key() == load_backend().info.key()


def test_relax_li3ocl_lattice_constant(backend):
    start = PARENTS["ninf"].structure("O", "Cl")  # a from Shannon radii: 3.98 Å
    result = relax(_atoms(start), backend, RelaxSettings(fmax=0.01))
    assert result.status == "converged", result.reason
    a, b, c = result.atoms.cell.lengths()
    assert a == pytest.approx(b) == pytest.approx(c)
    assert abs(a - LI3OCL_A_EXP) / LI3OCL_A_EXP < 0.02
    assert -6.0 < result.energy_ev_per_atom < -3.0
    assert result.energy_ev == pytest.approx(5 * result.energy_ev_per_atom)


def test_overlapping_atoms_fail_with_reason(backend):
    atoms = _atoms(PARENTS["ninf"].structure("O", "Cl"))
    atoms.positions[0] = atoms.positions[1] + [0.2, 0.0, 0.0]
    assert min_distance(atoms) < 0.7
    result = relax(atoms, backend)
    assert result.status == "failed" and "apart" in result.reason
    assert math.isnan(result.energy_ev)


def test_element_missing_from_model(backend):
    from ase.data import chemical_symbols

    lacking = next(el for el in chemical_symbols[1:] if el not in backend.elements)
    atoms = _atoms(PARENTS["ninf"].structure("O", "Cl"))
    atoms[0].symbol = lacking
    result = relax(atoms, backend)
    assert result.status == "failed" and lacking in result.reason


def test_step_cap_is_reported(backend):
    result = relax(_atoms(PARENTS["n1"].structure("O", "Br")), backend, RelaxSettings(fmax=1e-4, max_steps=3))
    assert result.status == "unconverged" and "3 steps" in result.reason


def test_unknown_backend_and_model():
    with pytest.raises(InputError, match="unknown energy backend"):
        load_backend("vasp")
    with pytest.raises(InputError, match="not bundled"):
        load_backend("sevenn", model="7net-omat")
    with pytest.raises(InputError, match="cannot load calculator factory"):
        load_backend("no_such_module:make")


def test_module_factory_backend():
    backend = load_backend("ase.calculators.emt:EMT")
    assert backend.info.backend == "ase.calculators.emt:EMT" and backend.elements is None
    from ase.build import bulk

    result = relax(bulk("Cu", "fcc", a=3.7), backend, RelaxSettings(fmax=0.01))
    assert result.ok and result.atoms.cell.lengths()[0] == pytest.approx(2.56, abs=0.03)


@pytest.mark.parametrize("name", ["sevenn", "chgnet"])
def test_batch_evaluator_matches_the_calculator(name):
    """Energies (eV), forces (eV/Å) and stresses (eV/Å^3) of a batch equal one-by-one calculator calls."""
    import numpy as np

    backend = load_backend(name)
    cells = [_atoms(PARENTS[p].structure("O", z)) for p, z in (("ninf", "Cl"), ("n1", "Br"), ("n2", "I"))]
    for a in cells:
        a.rattle(0.05, seed=3)
    batch = backend.evaluate_batch(cells)
    for a, out in zip(cells, batch):
        a.calc = backend.calculator
        assert out["energy"] == pytest.approx(a.get_potential_energy(), abs=1e-4)
        assert np.abs(out["forces"] - a.get_forces()).max() < 1e-4
        assert np.abs(out["stress"] - a.get_stress()).max() < 1e-5


def test_chgnet_relaxes_li3ocl():
    backend = load_backend("chgnet")
    assert backend.info.backend == "chgnet" and backend.info.model == "0.3.0"
    result = relax(_atoms(PARENTS["ninf"].structure("O", "Cl")), backend, RelaxSettings(fmax=0.01))
    assert result.ok and abs(result.atoms.cell.lengths()[0] - LI3OCL_A_EXP) / LI3OCL_A_EXP < 0.02


def test_relax_many_follows_the_single_structure_path(backend):
    from ipscreen.energy.relax import relax_many

    cells = [_atoms(PARENTS[p].structure("O", z)) for p, z in (("ninf", "Br"), ("n1", "Cl"), ("n2", "Cl"))]
    overlapping = cells[0].copy()
    overlapping.positions[1] = overlapping.positions[0] + 0.1
    settings = RelaxSettings(fmax=0.05, max_steps=200)
    single = [relax(a, backend, settings) for a in cells]
    batched = relax_many(cells + [overlapping], backend, settings, batch_size=2)
    assert batched[3].status == "failed" and "apart" in batched[3].reason
    for a, b in zip(single, batched):
        assert b.status == a.status == "converged" and b.steps == a.steps
        assert b.energy_ev_per_atom == pytest.approx(a.energy_ev_per_atom, abs=1e-5)


def test_mace_needs_a_local_model_file():
    with pytest.raises(InputError, match="local MACE model file"):
        load_backend("mace")
    with pytest.raises(InputError, match="not bundled"):
        load_backend("chgnet", model="0.9.9")


@pytest.mark.slow
def test_rattle_leaves_a_symmetric_saddle_point(backend, paper_space):
    """Fm-3m Li6O2FCl as built sits on a saddle point (forces vanish by symmetry): relaxed from a
    0.05 Å rattle it ends ~37 meV/atom lower (measured); batching does not change the rattle."""
    import numpy as np

    from ipscreen.energy.relax import rattled, relax_many

    compound = next(c for c in paper_space if c.reduced_formula == "Li6O2FCl" and c.space_group == "Fm-3m")
    atoms = _atoms(compound.structure)
    plain = relax(atoms, backend, RelaxSettings(fmax=0.02, max_steps=600))
    shaken = relax(atoms, backend, RelaxSettings(fmax=0.02, max_steps=600, rattle=0.05))
    assert plain.ok and shaken.ok
    assert plain.energy_ev_per_atom - shaken.energy_ev_per_atom > 0.02
    batched = relax_many([atoms, atoms.copy()], backend, RelaxSettings(fmax=0.02, max_steps=600, rattle=0.05))
    assert [r.energy_ev_per_atom for r in batched] == pytest.approx([shaken.energy_ev_per_atom] * 2, abs=1e-5)
    first, again = rattled(atoms.copy(), 0.05), rattled(atoms.copy(), 0.05)
    assert np.array_equal(first.positions, again.positions)
    assert 0.03 < (first.positions - atoms.positions).std() < 0.07
    assert np.array_equal(rattled(atoms.copy(), 0.0).positions, atoms.positions)


def test_relax_rattle_settings_and_hash():
    from ipscreen.campaign.settings import RelaxStageSettings

    assert "rattle" not in RelaxStageSettings().physics()  # campaigns made before the option keep their hash
    assert RelaxStageSettings.from_table({"rattle": 0.05}).physics()["rattle"] == 0.05
    for bad in ({"rattle": 0.5}, {"rattle": -0.1}, {"rattle": 0.05, "symmetry": True}):
        with pytest.raises(InputError, match="rattle"):
            RelaxStageSettings.from_table(bad)


@pytest.mark.parametrize("optimizer", ["CellAwareBFGS", "FIRE2", "FIRE+CellAwareBFGS"])
def test_other_optimizers_reach_fires_minimum_in_lockstep_too(backend, optimizer):
    """Li3OCl, Li4OCl2 and Li7O2Cl3 from their Shannon-radius cells: the same energies as FIRE's (1 meV/atom), no
    more steps in total, the lockstep driver on the single-structure path, and CellAwareBFGS's residual stress under
    the bound set from fmax (FrechetCellFilter's default cell force)."""
    from ipscreen.energy.relax import relax_many

    cells = [_atoms(PARENTS[p].structure("O", "Cl")) for p in ("ninf", "n1", "n2")]
    fire = [relax(a, backend, RelaxSettings(fmax=0.05)) for a in cells]
    settings = RelaxSettings(fmax=0.05, optimizer=optimizer)
    single = [relax(a, backend, settings) for a in cells]
    batched = relax_many(cells, backend, settings, batch_size=3)
    assert sum(r.steps for r in single) <= sum(r.steps for r in fire)
    for f, a, b in zip(fire, single, batched):
        assert a.status == b.status == "converged" and a.steps == b.steps
        assert a.energy_ev_per_atom == pytest.approx(f.energy_ev_per_atom, abs=1e-3)
        assert b.energy_ev_per_atom == pytest.approx(a.energy_ev_per_atom, abs=1e-5)
        if optimizer == "CellAwareBFGS":
            a.atoms.calc = backend.calculator
            assert abs(a.atoms.get_stress()).max() < 0.05 * len(a.atoms) / a.atoms.get_volume()


def test_fire_hands_over_to_cell_aware_bfgs(backend):
    """Li7O2Cl3 from its Shannon-radius cell: with the handover force at 0 eV/Å the hybrid is FIRE step for step,
    at infinity it is CellAwareBFGS; at the default it ends at FIRE's energy (1 meV/atom) in fewer steps."""
    cell = _atoms(PARENTS["n2"].structure("O", "Cl"))
    hybrid = RelaxSettings(fmax=0.05, optimizer="FIRE+CellAwareBFGS")
    fire = relax(cell, backend, RelaxSettings(fmax=0.05))
    bfgs = relax(cell, backend, RelaxSettings(fmax=0.05, optimizer="CellAwareBFGS"))
    default = relax(cell, backend, hybrid)
    assert fire.steps != bfgs.steps
    for handover, alone in ((0.0, fire), (math.inf, bfgs)):
        result = relax(cell, backend, replace(hybrid, handover_fmax=handover))
        assert result.status == "converged" and result.steps == alone.steps
        assert result.energy_ev == pytest.approx(alone.energy_ev, abs=1e-6)
    assert default.status == "converged" and default.steps < fire.steps
    assert default.energy_ev_per_atom == pytest.approx(fire.energy_ev_per_atom, abs=1e-3)


def test_fire_time_step_reaches_the_same_minima_in_fewer_steps(backend):
    """Li3OCl, Li4OCl2 and Li7O2Cl3 from their Shannon-radius cells: FIRE from a starting time step of 0.2 (the
    presets') ends at the energies of ASE's 0.1 (1 meV/atom) in fewer steps in total; the hybrid's FIRE stage takes
    the setting (handover at 0 eV/Å: FIRE at 0.2 step for step); the setting is hashed only when not ASE's 0.1."""
    from ipscreen.campaign.settings import RelaxStageSettings

    cells = [_atoms(PARENTS[p].structure("O", "Cl")) for p in ("ninf", "n1", "n2")]
    ase_default = [relax(a, backend, RelaxSettings(fmax=0.05)) for a in cells]
    longer = [relax(a, backend, RelaxSettings(fmax=0.05, fire_dt=0.2)) for a in cells]
    assert sum(r.steps for r in longer) < sum(r.steps for r in ase_default)
    for a, b in zip(ase_default, longer):
        assert b.status == "converged" and b.energy_ev_per_atom == pytest.approx(a.energy_ev_per_atom, abs=1e-3)
    hybrid = relax(cells[2], backend, RelaxSettings(fmax=0.05, optimizer="FIRE+CellAwareBFGS", fire_dt=0.2,
                                                    handover_fmax=0.0))
    assert hybrid.steps == longer[2].steps and hybrid.energy_ev == pytest.approx(longer[2].energy_ev, abs=1e-6)
    assert "fire_dt" not in RelaxStageSettings().physics()  # campaigns made before the option keep their hash
    assert RelaxStageSettings.from_table({"fire_dt": 0.2}).physics()["fire_dt"] == 0.2
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(InputError, match="fire_dt"):
            RelaxStageSettings.from_table({"fire_dt": bad})


def test_softer_bfgs_start_after_fire_reaches_the_same_minima_in_fewer_steps(monkeypatch, backend):
    """Li4OCl2, Li7O2Cl3 and Li7S2Br3 relaxed by FIRE (dt 0.3), then CellAwareBFGS from a starting Hessian of
    8 eV/Å² for the atoms (the presets') instead of 30: fewer steps, the same energies (1 meV/atom); the cell
    filter's gradient is computed once per geometry, not again in each step; the setting is hashed only when
    not 30 and checked."""
    from ase.filters import FrechetCellFilter

    from ipscreen.campaign.settings import RelaxStageSettings

    evaluations = []
    original = FrechetCellFilter.get_forces
    monkeypatch.setattr(FrechetCellFilter, "get_forces",
                        lambda self, *a, **k: evaluations.append(1) or original(self, *a, **k))
    cells = [_atoms(PARENTS[p].structure(x, z)) for p, x, z in (("n1", "O", "Cl"), ("n2", "O", "Cl"), ("n2", "S", "Br"))]
    steps = {}
    for alpha in (30.0, 8.0):
        settings = RelaxSettings(fmax=0.05, optimizer="FIRE+CellAwareBFGS", fire_dt=0.3, bfgs_alpha=alpha)
        steps[alpha] = []
        for a in cells:
            evaluations.clear()
            r = relax(a, backend, settings)
            assert r.status == "converged"
            # one per geometry, one more where CellAwareBFGS takes over and one more in the last check
            assert len(evaluations) <= r.steps + 3
            steps[alpha].append(r)
    assert sum(r.steps for r in steps[8.0]) < sum(r.steps for r in steps[30.0])
    for a, b in zip(steps[30.0], steps[8.0]):
        assert b.steps <= a.steps and b.energy_ev_per_atom == pytest.approx(a.energy_ev_per_atom, abs=1e-3)
    for name, value, bad in (("bfgs_alpha", 8.0, (0.0, -5.0, 5000.0)), ("handover_fmax", 0.15, (-0.1, 20.0))):
        assert name not in RelaxStageSettings().physics()  # campaigns made before the option keep their hash
        assert getattr(RelaxStageSettings, name) == getattr(RelaxSettings, name)
        assert RelaxStageSettings.from_table({name: value, "optimizer": "FIRE+CellAwareBFGS"}).physics()[name] == value
        fire = RelaxStageSettings.from_table({name: value, "optimizer": "FIRE"})  # FIRE does not use it
        assert fire.physics() == RelaxStageSettings().physics()
        for x in bad:
            with pytest.raises(InputError, match=name):
                RelaxStageSettings.from_table({name: x})


def test_compiled_model_falls_back_to_eager(monkeypatch, backend):
    """A failing torch.compile (no compiler on the machine) costs one warning, not the run: the same forces."""
    import numpy as np
    import torch

    from ipscreen.energy.backends import CompiledModel

    def broken(model, **kwargs):
        def run(*args):
            raise RuntimeError("no C++ compiler found\nsecond line")
        return run

    monkeypatch.setattr(torch, "compile", broken)
    calc = load_backend(compile=True).calculator
    assert isinstance(calc.model, CompiledModel)
    atoms = _atoms(PARENTS["ninf"].structure("O", "Cl"))
    atoms.rattle(0.05, seed=1)
    atoms.calc = calc
    forces = atoms.get_forces()
    assert calc.model._failed
    reference = atoms.copy()
    reference.calc = backend.calculator
    np.testing.assert_allclose(forces, reference.get_forces(), atol=1e-5)


@pytest.mark.slow
def test_compiled_sevennet_gives_the_eager_numbers(backend):
    """torch.compile of SevenNet-0 (minutes with an empty cache): batch energies and forces equal the eager ones."""
    import numpy as np

    cells = [_atoms(PARENTS[p].structure("O", z)) for p, z in (("ninf", "Cl"), ("n1", "Br"))]
    for a in cells:
        a.rattle(0.05, seed=2)
    compiled = load_backend(compile=True, device="cpu")
    ours, eager = compiled.evaluate_batch(cells), backend.evaluate_batch(cells)
    assert not compiled.evaluate_batch._model._failed
    for x, y in zip(ours, eager):
        assert x["energy"] == pytest.approx(y["energy"], abs=1e-4)
        np.testing.assert_allclose(x["forces"], y["forces"], atol=1e-4)
