"""MD replicas advanced together (energy/lockstep_md.py): the same runs as one after another, one model call per step."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor

from ipscreen.energy import md
from ipscreen.energy.lockstep_md import run_md_lockstep
from ipscreen.errors import InputError
from ipscreen.properties import conductivity as cond
from ipscreen.properties.conductivity import ConductivitySettings


def li3ocl_atoms(a: float = 3.91):
    s = Structure.from_spacegroup("Pm-3m", Lattice.cubic(a), ["O", "Cl", "Li"], [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]])
    return AseAtomsAdaptor.get_atoms(s)


@pytest.fixture(scope="module")
def backend():
    from ipscreen.energy.backends import load_backend

    return load_backend("sevenn", "7net-0")


def one_by_one(calculator):
    """A batch evaluator that evaluates each structure alone with `calculator`: the lockstep machinery with
    exactly the numbers of the unbatched calculator, so runs must equal run_md's bit for bit."""
    calls = []

    def evaluate(atoms_list):
        calls.append(len(atoms_list))
        out = []
        for a in atoms_list:
            a = a.copy()
            a.calc = calculator
            out.append({"energy": a.get_potential_energy(), "forces": a.get_forces(), "stress": a.get_stress()})
        return out

    return evaluate, calls


def protocol(temperature: float, production_ps: float = 0.02) -> md.MDProtocol:
    return md.MDProtocol(temperature_k=temperature, timestep_fs=2.0, equilibration_ps=0.01, production_ps=production_ps,
                         sample_every=1)


def test_lockstep_runs_equal_the_runs_one_after_another(backend):
    atoms = li3ocl_atoms()
    replicas = [(atoms, protocol(700.0), [0, 0], None), (atoms, protocol(1000.0, 0.04), [0, 1], None),
                (atoms, protocol(1200.0), [0, 2], None)]
    evaluate, calls = one_by_one(backend.calculator)
    runs, n_calls = run_md_lockstep(replicas, evaluate)
    for (a, p, seed, _), run in zip(replicas, runs):
        alone = md.run_md(a, backend.calculator, p, seed=seed)
        assert np.array_equal(run.positions, alone.positions) and np.array_equal(run.energies_ev, alone.energies_ev)
        assert run.n_steps == alone.n_steps
    # one model call per step for all three while they run; then the longer 1000 K run goes on alone
    short = run_md_lockstep(replicas[:1], one_by_one(backend.calculator)[0])[1]
    long = run_md_lockstep(replicas[1:2], one_by_one(backend.calculator)[0])[1]
    assert long > short and n_calls == len(calls) == long
    assert calls == [3] * short + [1] * (long - short)


def test_a_replica_that_blows_up_leaves_the_others_running(backend):
    atoms = li3ocl_atoms()
    crowded = atoms.copy()
    crowded.append("Li")
    crowded.positions[-1] = crowded.positions[0] + [0.3, 0, 0]  # 0.3 Å from O: refused before any step
    hot = md.MDProtocol(temperature_k=3e5, timestep_fs=2.0, equilibration_ps=0.0, production_ps=0.1, sample_every=1)
    runs, _ = run_md_lockstep([(atoms, protocol(800.0), 0, None), (crowded, protocol(800.0), 1, None),
                               (atoms, hot, 2, None)], backend.evaluate_batch)
    assert isinstance(runs[0], md.MDRun) and runs[0].production_steps == 10
    assert isinstance(runs[1], str) and "apart" in runs[1]
    assert isinstance(runs[2], str)  # 300,000 K: a blow-up, reported as its reason


def test_batched_model_call_gives_the_unbatched_forces(backend):
    atoms = li3ocl_atoms()
    replicas = [(atoms, protocol(t), [1, k], None) for k, t in enumerate((700.0, 900.0))]
    runs, n_calls = run_md_lockstep(replicas, backend.evaluate_batch)
    for (a, p, seed, _), run in zip(replicas, runs):
        alone = md.run_md(a, backend.calculator, p, seed=seed)
        # float32 summation in the merged graph: equal to round-off over 15 steps, not bit for bit
        assert np.allclose(run.positions, alone.positions, atol=1e-4)
        assert np.allclose(run.energies_ev, alone.energies_ev, atol=1e-3)
    assert n_calls == run_md_lockstep(replicas[:1], backend.evaluate_batch)[1]  # one call per step for both


def test_conductivity_with_batched_replicas(backend):
    tiny = dict(temperatures=[800.0, 1200.0], mechanisms=["interstitial"], timestep_fs=2.0, equilibration_ps=0.01,
                production_ps=0.02, sample_every=1, supercell_repeat=[1, 1, 1], msd_fit_start_ps=0.004, msd_min_obs=1)
    s = AseAtomsAdaptor.get_structure(li3ocl_atoms())
    auto = cond.calc(s, ConductivitySettings(**tiny), backend=backend, seed=7)
    assert auto["method"]["replicas_batched"] is (backend.device.startswith("cuda"))
    batched = cond.calc(s, ConductivitySettings(**tiny, batch_replicas=True), backend=backend, seed=7)
    assert batched["method"]["replicas_batched"] is True
    assert batched["n_steps"] == auto["n_steps"] == 2 * 15
    assert batched["interstitial_mean_temperature_k"] == pytest.approx(auto["interstitial_mean_temperature_k"], rel=1e-3)
    with pytest.raises(InputError, match="batch_replicas"):
        ConductivitySettings(**tiny, batch_replicas="yes").validate()


def test_batch_replicas_from_toml_is_a_bool_or_auto():
    from ipscreen.settings_table import from_table

    assert from_table(ConductivitySettings, {"batch_replicas": True}, "conductivity").batch_replicas is True
    assert from_table(ConductivitySettings, {}, "conductivity").batch_replicas == "auto"
    with pytest.raises(InputError, match="batch_replicas must be a bool or str"):
        from_table(ConductivitySettings, {"batch_replicas": 2}, "conductivity")


def test_batch_replicas_needs_a_batched_backend():
    from ipscreen.energy.backends import load_backend

    generic = load_backend("ase.calculators.emt:EMT")  # any ASE calculator: no batched call
    with pytest.raises(InputError, match="no batched model call"):
        cond._batched(ConductivitySettings(batch_replicas=True), generic)
    assert cond._batched(ConductivitySettings(), generic) is False


@pytest.mark.slow
def test_batched_replicas_in_worker_processes(backend):
    """Two processes, each advancing its share of the four replicas together."""
    tiny = dict(temperatures=[700.0, 800.0, 1000.0, 1200.0], mechanisms=["interstitial"], timestep_fs=2.0,
                equilibration_ps=0.01, production_ps=0.02, sample_every=1, supercell_repeat=[1, 1, 1],
                msd_fit_start_ps=0.004, msd_min_obs=1)
    s = AseAtomsAdaptor.get_structure(li3ocl_atoms())
    serial = cond.calc(s, ConductivitySettings(**tiny), backend=backend, seed=5)
    grouped = cond.calc(s, ConductivitySettings(**tiny, batch_replicas=True, workers=2), backend=backend, seed=5)
    assert grouped["method"]["replicas_batched"] is True and grouped["n_steps"] == serial["n_steps"] == 4 * 15
    assert grouped["interstitial_mean_temperature_k"] == pytest.approx(serial["interstitial_mean_temperature_k"],
                                                                        rel=1e-3)
