"""Li+ conductivity oracle: defect models, MD engine, MSD/Arrhenius arithmetic, failures."""

from __future__ import annotations

import json
import math
import zipfile

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from ipscreen.energy import md
from ipscreen.energy.supercell import supercell_repeat
from ipscreen.errors import InputError, PropertyError
from ipscreen.properties import conductivity as cond
from ipscreen.properties.conductivity import ConductivitySettings


def li3ocl(a: float = 3.91) -> Structure:
    return Structure.from_spacegroup("Pm-3m", Lattice.cubic(a), ["O", "Cl", "Li"],
                                     [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]])


@pytest.fixture(scope="module")
def backend():
    from ipscreen.energy.backends import load_backend

    return load_backend("sevenn", "7net-0")


# A few dozen 2 fs steps of a 6-atom cell (primitive Li3OCl + dumbbell): seconds per run.
TINY = dict(temperatures=[800.0, 1200.0], mechanisms=["interstitial"], timestep_fs=2.0, equilibration_ps=0.01,
            production_ps=0.02, sample_every=1, supercell_repeat=[1, 1, 1], msd_fit_start_ps=0.004, msd_min_obs=1)


# --- defect models --------------------------------------------------------------------------
def test_supercell_repeat_uses_perpendicular_widths():
    assert supercell_repeat(np.eye(3) * 3.91, 7.5) == (2, 2, 2)
    assert supercell_repeat(np.eye(3) * 3.91, 10.0) == (3, 3, 3)
    from ipscreen.space.parents import get_parent

    layered = get_parent("n1").structure("O", "Cl", a=3.9)  # body-centred primitive cell
    rep = supercell_repeat(layered.lattice.matrix, 7.5)
    big = layered * rep
    widths = big.volume / np.linalg.norm(np.cross(big.lattice.matrix[[1, 2, 0]], big.lattice.matrix[[2, 0, 1]]), axis=1)
    assert min(widths) >= 7.5


@pytest.mark.parametrize("mechanism, delta", [("interstitial", 1), ("vacancy", -1)])
def test_defect_models_change_li_by_one_without_overlaps(mechanism, delta):
    from pymatgen.io.ase import AseAtomsAdaptor

    host = AseAtomsAdaptor.get_atoms(li3ocl()).repeat((2, 2, 2))
    atoms, info = md.defect_model(host, mechanism, np.random.default_rng(3))
    symbols = atoms.get_chemical_symbols()
    assert symbols.count("Li") == 24 + delta and symbols.count("O") == 8 and symbols.count("Cl") == 8
    assert md.min_distance(atoms) > 1.8  # Å: the dumbbell Li sit 2.0 Å apart, >= 2.1 Å from anions
    again, info2 = md.defect_model(host, mechanism, np.random.default_rng(3))
    assert np.allclose(again.positions, atoms.positions) and info == info2
    if mechanism == "interstitial":
        axis = np.abs(info["dumbbell_axis"])
        # Li3OCl: the most open direction is perpendicular to the O-Li-O axis, towards the empty cube face
        assert np.isclose(axis.max(), 1.0, atol=0.1)


def test_no_li_is_a_property_error(backend):
    nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [.5, .5, .5]])
    with pytest.raises(PropertyError, match="no Li"):
        cond.calc(nacl, ConductivitySettings(**TINY), backend=backend)


# --- MSD, D and Arrhenius arithmetic on synthetic trajectories ----------------------------------
def random_walk(d_cm2_per_s: float, n_li=40, n_frames=2000, frame_fs=20.0, seed=0, dims=3):
    """Positions (frames, atoms, 3): n_li Gaussian random walkers with diffusivity D (in `dims`
    directions) plus 20 vibrating framework atoms; D in Å²/fs = 10 * D in cm²/s."""
    rng = np.random.default_rng(seed)
    step = math.sqrt(2 * d_cm2_per_s * 10 * frame_fs)
    walk = rng.normal(0, step, (n_frames, n_li, 3))
    walk[:, :, dims:] = 0
    li = np.cumsum(walk, axis=0)
    framework = rng.normal(0, 0.1, (n_frames, 20, 3))
    return np.arange(n_frames) * frame_fs, np.concatenate([li, framework], axis=1) + 10.0


def test_time_averaged_msd_matches_pymatgen():
    from pymatgen.analysis.diffusion.analyzer import DiffusionAnalyzer

    times, pos = random_walk(1e-5, n_li=10, n_frames=600, frame_fs=10.0)
    disp = (pos - pos[0]).transpose(1, 0, 2)
    s = Structure(Lattice.cubic(30), ["Li"] * 10 + ["O"] * 20, pos[0] / 30)
    da = DiffusionAnalyzer(s, disp, "Li", 1000, time_step=10, step_skip=1)
    ours = cond.time_averaged_msd(disp - disp[10:].mean(axis=0)[None])[:10].mean(axis=0)
    assert np.allclose(ours[(da.dt / 10).astype(int)], da.msd, rtol=1e-10)


def test_random_walk_gives_back_d_and_d2_is_three_halves_of_d3():
    times, pos = random_walk(2e-5)
    kw = dict(hop_angstrom=2.76, fit_start_ps=1.0)
    r3 = cond.msd_diffusivity(times, pos, range(40), dimensionality=3, **kw)
    assert r3["diffusivity_cm2_per_s"] == pytest.approx(2e-5, rel=0.25)  # 8 % scatter over seeds
    assert abs(r3["diffusivity_cm2_per_s"] - 2e-5) < 2 * r3["diffusivity_cm2_per_s_stderr"]
    assert r3["diffusive"] and abs(r3["msd_loglog_slope"] - 1) < 0.1 and not r3["melted"]
    r2 = cond.msd_diffusivity(times, pos, range(40), dimensionality=2, **kw)
    assert r2["diffusivity_cm2_per_s"] == pytest.approx(1.5 * r3["diffusivity_cm2_per_s"], rel=1e-12)
    # a walk confined to a plane: d = 2 gives back its in-plane D
    times, pos = random_walk(2e-5, dims=2, seed=1)
    r = cond.msd_diffusivity(times, pos, range(40), dimensionality=2, **kw)
    assert r["diffusivity_cm2_per_s"] == pytest.approx(2e-5, rel=0.25)


def test_caged_li_is_not_diffusive():
    rng = np.random.default_rng(0)
    pos = 10 + rng.normal(0, 0.3, (1000, 30, 3))  # vibrations only
    r = cond.msd_diffusivity(np.arange(1000) * 20.0, pos, range(20), dimensionality=3, hop_angstrom=2.76)
    assert not r["diffusive"] and r["li_hops"] < 5


def test_arrhenius_fit_and_400k_extrapolation():
    from pymatgen.analysis.diffusion.analyzer import fit_arrhenius, get_extrapolated_conductivity
    from pymatgen.io.ase import AseAtomsAdaptor

    temps = np.array([700, 800, 900, 1000, 1200.0])
    d = 1e-3 * np.exp(-0.30 / (cond.K_B_EV * temps))
    fit = cond.fit_arrhenius(temps, d, 0.1 * d)
    assert fit["activation_energy_ev"] == pytest.approx(0.30, abs=1e-9)
    assert fit["activation_energy_ev"] == pytest.approx(fit_arrhenius(temps, d)[0], abs=1e-9)
    ln_d, sigma = cond.extrapolate_ln_d(fit, 400.0)
    assert math.exp(ln_d) == pytest.approx(1e-3 * math.exp(-0.30 / (cond.K_B_EV * 400)), rel=1e-9)
    # σ(ln D) at 400 K > σ at the data: extrapolation widens the band
    assert sigma > cond.extrapolate_ln_d(fit, 900.0)[1] > 0
    atoms = AseAtomsAdaptor.get_atoms(li3ocl() * (2, 2, 2))
    lam = cond.nernst_einstein_factor(atoms, 400.0) * math.exp(ln_d)
    ref = get_extrapolated_conductivity(temps, d, 400.0, AseAtomsAdaptor.get_structure(atoms), "Li") / 1000
    assert lam == pytest.approx(ref, rel=1e-9)


def test_arrhenius_from_random_walk_trajectories():
    """Trajectories whose D follows E_a = 0.25 eV: the whole analysis gives E_a back within its error."""
    temps = [700.0, 900.0, 1200.0]
    rows = []
    for k, t in enumerate(temps):
        d_true = 1e-2 * math.exp(-0.25 / (cond.K_B_EV * t))
        times, pos = random_walk(d_true, seed=k)
        r = cond.msd_diffusivity(times, pos, range(40), dimensionality=3, hop_angstrom=2.0)
        rows.append({"temperature_k": t, "status": "ok", **r})
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(li3ocl() * (2, 2, 2))
    s = cond._mechanism_summary(ConductivitySettings(), rows, atoms)
    assert s["arrhenius_diffusive_only"] and s["arrhenius_temperatures_k"] == temps
    assert abs(s["activation_energy_ev"] - 0.25) < 3 * s["activation_energy_ev_stderr"]
    assert 0 < s["activation_energy_ev_stderr"] < 0.1
    expected = cond.nernst_einstein_factor(atoms, 400) * 1e-2 * math.exp(-0.25 / (cond.K_B_EV * 400))
    assert abs(math.log10(s["conductivity_400k_s_per_cm"] / expected)) < 3 * s["conductivity_400k_log10_stderr"]


def caged_melted_hopping_rows() -> list[dict]:
    """Per-temperature rows: 700 K caged (no hop), 1000 K melted framework, 1200 K random walk D = 1e-5 cm²/s."""
    rng = np.random.default_rng(0)
    times = np.arange(1000) * 20.0
    caged = cond.msd_diffusivity(times, 10 + rng.normal(0, 0.3, (1000, 30, 3)), range(20), dimensionality=3,
                                 hop_angstrom=2.76)
    walk_times, walk = random_walk(1e-5)
    hopping = cond.msd_diffusivity(walk_times, walk, range(40), dimensionality=3, hop_angstrom=2.76)
    melted = {**hopping, "melted": True, "diffusive": False}
    return [{"temperature_k": 700.0, "status": "ok", **caged}, {"temperature_k": 1000.0, "status": "ok", **melted},
            {"temperature_k": 1200.0, "status": "ok", **hopping}]


def test_a_run_without_hops_widens_the_fit_instead_of_failing_it():
    """One caged run (no hop) and one diffusive run: the fit uses both, the caged one as D of
    half a hop with σ(ln D) ~ 1.8, so E_a is positive with a wide error; melted runs stay out."""
    from pymatgen.io.ase import AseAtomsAdaptor

    rows = caged_melted_hopping_rows()
    caged, hopping = rows[0], rows[2]
    assert not caged["diffusive"] and caged["li_hops"] < 1 and hopping["diffusive"]
    d_caged, err_caged = cond.arrhenius_inputs(rows[0])
    assert d_caged == pytest.approx(caged["diffusivity_cm2_per_s"] + 0.5 * caged["diffusivity_per_hop_cm2_per_s"])
    assert math.log1p(err_caged / d_caged) > 1.5
    d_hop, err_hop = cond.arrhenius_inputs(rows[2])
    assert d_hop == pytest.approx(hopping["diffusivity_cm2_per_s"], rel=0.01) and err_hop < d_hop
    atoms = AseAtomsAdaptor.get_atoms(li3ocl() * (2, 2, 2))
    s = cond._mechanism_summary(ConductivitySettings(), rows, atoms)
    assert s["arrhenius_temperatures_k"] == [700.0, 1200.0] and not s["arrhenius_diffusive_only"]
    expected = cond.K_B_EV * math.log(d_hop / d_caged) / (1 / 700 - 1 / 1200)
    assert s["activation_energy_ev"] == pytest.approx(expected, rel=1e-9)
    assert s["activation_energy_ev"] > 0 and s["activation_energy_ev_stderr"] > 0.2
    assert s["conductivity_400k_log10_stderr"] > 1
    # only one solid run: no fit, and the reason says so
    s1 = cond._mechanism_summary(ConductivitySettings(), rows[1:], atoms)
    assert "conductivity_400k_s_per_cm" not in s1 and "1 melted" in s1["fit_error"]


def test_arrhenius_figure_of_a_result(tmp_path):
    """The conductivity oracle's figure: drawn from the result alone; a result it cannot draw is noted."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.campaign.stages import oracle
    from ipscreen.campaign.tasks import draw_figures

    rows = caged_melted_hopping_rows()
    atoms = AseAtomsAdaptor.get_atoms(li3ocl() * (2, 2, 2))
    summary = cond._mechanism_summary(ConductivitySettings(), rows, atoms)
    result = {"temperatures_k": [r["temperature_k"] for r in rows], "indicative": True,
              **cond._flatten("interstitial", rows, summary, atoms, {})}
    figures = oracle("conductivity").figures
    assert draw_figures(figures, result, tmp_path) == ["arrhenius.png"] and result["figure_file"] == "arrhenius.png"
    # the bvse stage's barrier is shown beside the fit, never stored in the conductivity result
    assert draw_figures(figures, result, tmp_path / "c", context={"bvse_barrier_ev": 0.5}) == ["arrhenius.png"]
    assert "bvse_barrier_ev" not in result and (tmp_path / "c" / "arrhenius.png").exists()
    png = (tmp_path / "arrhenius.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    broken = {"temperatures_k": [700.0]}
    assert draw_figures(figures, broken, tmp_path / "b") == [] and "no per-mechanism runs" in broken["figure_error"]
    assert draw_figures(oracle("band_gap").figures, {}, tmp_path) == []


def test_convergence_check_stops_once_d_is_stable():
    times, pos = random_walk(2e-5, n_frames=3000)
    check = cond.ConvergenceCheck(0.05, list(range(40)), dict(dimensionality=3, hop_angstrom=2.0))
    stops = [check(times[:n], pos[:n]) for n in range(500, 3001, 250)]
    assert True in stops and not stops[0]
    assert not cond.ConvergenceCheck(0.0, list(range(40)), dict(dimensionality=3, hop_angstrom=2.0))(times, pos)


def test_dimensionality_from_structure():
    from ipscreen.space.parents import get_parent

    assert cond.infer_dimensionality(li3ocl())[0] == 3
    assert cond.infer_dimensionality(get_parent("n1").structure("O", "Cl"))[0] == 2
    assert cond.infer_dimensionality(get_parent("n2").structure("S", "Br"))[0] == 2
    li2o = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.61), ["O", "Li"], [[0, 0, 0], [.25, .25, .25]])
    assert cond.infer_dimensionality(li2o) == (3, "cubic lattice")


def test_bad_settings():
    for bad in (dict(temperatures=[900.0]), dict(mechanisms=["hopping"]), dict(supercell_repeat=[2, 2]),
                dict(dimensionality=4), dict(msd_fit_start_ps=60.0), dict(workers=0)):
        with pytest.raises(InputError):
            ConductivitySettings(**bad).validate()
    ConductivitySettings().validate()


# --- MD with the ML potential ----------------------------------------------------------------
def test_tiny_md_writes_trajectory_and_is_deterministic(backend, tmp_path):
    settings = ConductivitySettings(**TINY)
    a = cond.calc(li3ocl(), settings, backend=backend, workdir=tmp_path / "a", seed=7)
    b = cond.calc(li3ocl(), settings, backend=backend, workdir=tmp_path / "b", seed=7)
    for key in ("interstitial_diffusivity_cm2_per_s", "activation_energy_ev", "conductivity_400k_s_per_cm",
                "interstitial_mean_temperature_k"):
        assert a[key] == b[key], key
    assert a["interstitial_num_li"] == 4 and a["interstitial_num_atoms"] == 6
    assert a["n_steps"] == 2 * (5 + 10) and a["interstitial_n_steps"] == [15, 15]
    assert a["indicative"] and "indicative" in a["note"]
    assert a["mechanism"] == "interstitial" and a["dimensionality"] == 3
    json.dumps(a, allow_nan=False)  # the result goes into the store as JSON
    assert math.isfinite(a["activation_energy_ev"]) and a["conductivity_400k_s_per_cm"] > 0
    assert a["conductivity_400k_s_per_cm_stderr"] > 0 and a["conductivity_400k_log10_stderr"] > 0
    for name in a["interstitial_trajectory_file"]:
        path = tmp_path / "a" / name
        assert zipfile.is_zipfile(path)
        with zipfile.ZipFile(path) as z:
            assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in z.infolist())
        traj = md.read_trajectory(path)
        assert traj["positions"].shape == (6 + 11, 6, 3)  # NPT frames 0-5, NVT frames 0-10
        assert set(traj["phase"]) == {0, 1}
        assert np.array_equal(traj["positions"], md.read_trajectory(tmp_path / "b" / name)["positions"])
    assert len(md.trajectory_atoms(tmp_path / "a" / a["interstitial_trajectory_file"][0])) == 11
    from ipscreen.campaign.stages import oracle  # the figure of a real result
    from ipscreen.campaign.tasks import draw_figures

    assert draw_figures(oracle("conductivity").figures, a, tmp_path / "a") == ["arrhenius.png"]
    assert "figure_error" not in a
    c = cond.calc(li3ocl(), settings, backend=backend, seed=8)
    assert c["interstitial_diffusivity_cm2_per_s"] != a["interstitial_diffusivity_cm2_per_s"]


def test_overlapping_atoms_are_a_property_error(backend):
    s = li3ocl()
    s.append("Li", [0.5, 0.5, 0.5 + 0.3 / 3.91])  # 0.3 Å from O
    with pytest.raises(PropertyError, match="apart"):
        cond.calc(s, ConductivitySettings(**TINY), backend=backend)


def test_absurd_temperature_blows_up(backend):
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(li3ocl())
    protocol = md.MDProtocol(temperature_k=3e5, timestep_fs=2.0, equilibration_ps=0.0, production_ps=0.1,
                             sample_every=1)
    with pytest.raises(md.MDBlowUp) as err:
        md.run_md(atoms, backend.calculator, protocol, seed=0)
    assert isinstance(err.value, PropertyError)



@pytest.mark.slow
def test_worker_processes_give_the_serial_result(backend):
    settings = ConductivitySettings(**TINY)
    serial = cond.calc(li3ocl(), settings, backend=backend, seed=3)
    parallel = cond.calc(li3ocl(), ConductivitySettings(**{**TINY, "workers": 2}), backend=backend, seed=3)
    assert parallel["interstitial_diffusivity_cm2_per_s"] == serial["interstitial_diffusivity_cm2_per_s"]
    assert parallel["conductivity_400k_s_per_cm"] == serial["conductivity_400k_s_per_cm"]


def test_stop_check_ends_production_early(backend):
    from pymatgen.io.ase import AseAtomsAdaptor

    protocol = md.MDProtocol(temperature_k=600.0, timestep_fs=2.0, equilibration_ps=0.0, production_ps=0.1,
                             sample_every=2, check_every_ps=0.008)  # a check every 4 steps = 2 frames
    seen = []
    run = md.run_md(AseAtomsAdaptor.get_atoms(li3ocl()), backend.calculator, protocol, seed=0,
                    stop_check=lambda t, p: seen.append(len(t)) or len(t) >= 9)
    assert seen == [3, 5, 7, 9] and run.stopped_early and run.production_steps == 16
    assert np.allclose(np.diff(run.times_fs), 4.0) and run.positions.shape == (9, 5, 3)
