"""f3 = Λ: bulk Li+ conductivity at 400 K from ML-potential MD (SPEC.md §4; paper "Methods").

Protocol (paper): Li-interstitial (dumbbell) and Li-vacancy defect models, each run at
700, 800, 900, 1000 and 1200 K: 10 ps NPT equilibration then 50 ps NVT production, 1 fs
step (MD engine: `ipscreen.energy.md`, which also explains the thermostat choices and
the uncompensated defect charge, as in the paper's AIMD).

Analysis, per run (production frames only):
- MSD(τ) = <|r(t+τ) - r(t)|²>, averaged over every Li and every time origin (paper eq. 4),
  after removing the drift of the framework (non-Li atoms) centre, as pymatgen's
  DiffusionAnalyzer does (our FFT evaluation gives its `msd`; see the tests).
- D from the slope of MSD(τ) over the fit window [msd_fit_start_ps, τ_max] with pymatgen's
  weighted fit (`get_diffusivity_from_msd`, smoothed="max", weights 1/τ; τ_max as its
  `min_obs` rule: N_Li * n_frames / min_obs frames). pymatgen divides the slope by 6
  (d = 3 hard-coded); we use the paper's eq. 5, D = slope / (2 d), i.e. D = D_pmg * 3 / d,
  with d = 2 for the tetragonal n = 1, 2 parents and d = 3 for the cubic n = ∞ parents (the
  total 3-D MSD over 2d, as the paper). d is taken from the composition (n = ∞ <=> as many
  X as Z anions), else from the lattice (cubic -> 3, else 2), or given.
- Uncertainty of D: the fit-residual error of correlated MSD points is far too small
  (`diffusivity_fit_stderr_cm2_per_s`), so `diffusivity_cm2_per_s_stderr` uses the
  empirical relation of He, Zhu, Epstein & Mo, npj Comput. Mater. 4, 18 (2018):
  σ_D / D = 3.43 / sqrt(N_hops) + 0.04, where N_hops = N_Li * 6 D_3d * t_production / a²
  (total squared Li displacement in units of the Li-Li hop distance a, the shortest
  Li-Li distance of the host), combined in quadrature with the fit error.
- Diffusive regime: log-log slope of MSD vs τ over the fit window within
  `diffusive_slope_tol` of 1, N_hops >= `min_hops`, some Li displaced by more than a
  (from its start), and the framework not melted (framework MSD at τ_max below
  `melt_msd_a2`).

Arrhenius, per mechanism: weighted least squares of ln D vs 1/T over the diffusive runs
(if fewer than two are diffusive: over every completed run whose framework did not melt;
flagged), σ(ln D) = ln(1 + σ_D/D). Each run enters with D from n + ½ hop-equivalents
(Jeffreys prior of a Poisson count; `arrhenius_inputs`): a short run that saw no hop is an
upper-limit-like point with σ(ln D) = 1.8, not a failure, which matters for short demo runs
and for poor conductors at the lowest temperatures; for n >= 20 hops D moves by < 3 %;
parameter covariance (AᵀWA)⁻¹ scaled by max(1, χ²/(n-2)) (the larger of the propagated
and the scatter-based error). E_a = -k_B * slope. ln D(400 K) and its variance from the
covariance; Λ by Nernst-Einstein (paper eq. 6, ρ = number density of Li in the defect cell,
z = 1; pymatgen `get_conversion_factor`), at 400 K with the volume of the input (relaxed,
0 K) defect cell. `conductivity_400k_s_per_cm_stderr` = Λ σ(ln Λ) (first order);
`conductivity_400k_log10_stderr` = σ(ln Λ) / ln 10 is the better summary: the 1σ interval
is Λ ×/÷ 10^σ.

Headline: the paper's Table 2 gives one Λ per compound and notes that the interstitial
mechanism "generally results in a relatively higher conductivity"; both mechanisms are
reported and the headline is the one with the higher Λ(400 K).

Literature for Li3OCl: E_a (vacancy) 0.31-0.37 eV (DFT: Emly et al. Chem. Mater. 25, 4663
(2013), the paper's ref. 47; Zhang et al. 2013); dumbbell interstitial lower, ~0.15-0.2 eV;
the paper's Λ(400 K) for Li3OCl is 4.8e-2 S/cm (Table 2).

Cost: one force call per MD step; SevenNet-0 on one CPU core ~1 s per step for the 41-atom
Li3OCl 2x2x2 cell (CHGNet ~0.6 s). The paper protocol is 60,000 steps per run and 10 runs
per compound (clusters/GPUs). Short runs (`indicative` in the result) see few Li hops
(He et al.'s relation then gives σ_D/D > 1): their E_a and Λ are indicative only.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import constants

from ipscreen.energy.md import (
    MECHANISMS,
    MDBlowUp,
    MDProtocol,
    defect_model,
    run_md,
    write_trajectory,
)
from ipscreen.energy.supercell import supercell_repeat
from ipscreen.errors import InputError, PropertyError
from ipscreen.space.dimensionality import infer_dimensionality
from ipscreen.structure_io import check_structure

K_B_EV = constants.k / constants.e  # Boltzmann constant, eV/K
PAPER_PRODUCTION_PS = 50.0


@dataclass(frozen=True)
class ConductivitySettings:
    """Defaults: the paper's protocol (SPEC.md §4); times in ps/fs, temperatures in K."""

    temperatures: list = field(default_factory=lambda: [700.0, 800.0, 900.0, 1000.0, 1200.0])  # K
    timestep_fs: float = 1.0
    equilibration_ps: float = 10.0  # NPT
    production_ps: float = 50.0  # NVT
    supercell_min_length_angstrom: float = 10.0  # Å, perpendicular width (paper: not stated; its E_h cells use 10 Å)
    supercell_repeat: list = field(default_factory=list)  # e.g. [2, 2, 2]; overrides the min length when given
    mechanisms: list = field(default_factory=lambda: ["interstitial", "vacancy"])
    sample_every: int = 10  # MD steps between recorded frames
    npt_taut_fs: float = 100.0  # Berendsen thermostat time constant (NPT)
    npt_taup_fs: float = 1000.0  # Berendsen barostat time constant
    bulk_modulus_gpa: float = 50.0  # barostat rate only
    nvt_taut_fs: float = 100.0  # Bussi thermostat time constant (NVT)
    msd_fit_start_ps: float = 1.0  # start of the MSD fit window (pymatgen's default lag start)
    msd_min_obs: int = 30  # pymatgen's min_obs: fit up to N_Li * n_frames / min_obs frames of lag
    dimensionality: int = 0  # 0: from the structure (n = inf / cubic -> 3, else 2); or 1, 2, 3
    target_temperature_k: float = 400.0
    diffusive_slope_tol: float = 0.3  # |d log MSD / d log t - 1| allowed in the fit window
    min_hops: float = 5.0  # N_hops below this: not diffusive
    melt_msd_a2: float = 1.0  # Å²: framework MSD at the longest fit lag above this = melted
    converge_tol: float = 0.0  # stop a run once 3 successive D estimates agree within this (relative); 0: off
    converge_every_ps: float = 5.0  # production time between those estimates
    workers: int = 1  # processes running replicas (1 torch thread each)
    # advance a process's replicas together, one batched model call per MD step (energy/lockstep_md.py):
    # true, false, or "auto" (on when the backend runs on a GPU and has a batched path)
    batch_replicas: bool | str = "auto"

    def physics(self) -> dict:
        """The settings that change results (hashed): all but batch_replicas, which says where replicas run."""
        return {k: v for k, v in asdict(self).items() if k != "batch_replicas"}

    def validate(self) -> None:
        temps = list(self.temperatures)
        if len(temps) < 2 or any(not (0 < float(t) <= 1e4) for t in temps) or len(set(temps)) != len(temps):
            raise InputError("conductivity temperatures must be >= 2 distinct values in (0, 10000] K")
        if not 0 < self.timestep_fs <= 5:
            raise InputError("conductivity timestep_fs must be in (0, 5] fs")
        if self.equilibration_ps < 0 or self.production_ps <= 0:
            raise InputError("conductivity equilibration_ps must be >= 0 and production_ps > 0")
        if not 0 <= self.msd_fit_start_ps < self.production_ps:
            raise InputError("conductivity msd_fit_start_ps must be in [0, production_ps)")
        if self.sample_every < 1 or self.production_ps * 1000 / self.timestep_fs / self.sample_every < 10:
            raise InputError("conductivity production must hold >= 10 frames (production_ps / timestep / sample_every)")
        mechs = list(self.mechanisms)
        if not mechs or len(set(mechs)) != len(mechs) or any(m not in MECHANISMS for m in mechs):
            raise InputError(f"conductivity mechanisms must be distinct values of {', '.join(MECHANISMS)}")
        rep = list(self.supercell_repeat)
        if rep and (len(rep) != 3 or any(int(r) != r or r < 1 for r in rep)):
            raise InputError("conductivity supercell_repeat must be [] or three positive integers")
        if self.supercell_min_length_angstrom < 0:
            raise InputError("conductivity supercell_min_length_angstrom must be >= 0")
        if self.dimensionality not in (0, 1, 2, 3):
            raise InputError("conductivity dimensionality must be 0 (auto), 1, 2 or 3")
        if min(self.npt_taut_fs, self.npt_taup_fs, self.nvt_taut_fs, self.bulk_modulus_gpa) <= 0:
            raise InputError("conductivity thermostat/barostat constants and bulk modulus must be > 0")
        if self.target_temperature_k <= 0 or self.msd_min_obs < 1 or self.min_hops < 0 or self.melt_msd_a2 <= 0:
            raise InputError("conductivity target_temperature_k, msd_min_obs, min_hops, melt_msd_a2 out of range")
        if self.diffusive_slope_tol < 0 or self.converge_tol < 0 or self.converge_every_ps <= 0:
            raise InputError("conductivity diffusive_slope_tol, converge_tol >= 0 and converge_every_ps > 0 needed")
        if self.workers < 1:
            raise InputError("conductivity workers must be >= 1")
        if self.batch_replicas not in (True, False, "auto"):
            raise InputError(f"conductivity batch_replicas = {self.batch_replicas!r}: true, false or \"auto\"")


# ---------------------------------------------------------------------------------------------
# MSD, D and Arrhenius arithmetic
# ---------------------------------------------------------------------------------------------
def time_averaged_msd(displacements: np.ndarray) -> np.ndarray:
    """Per-particle MSD at every lag, averaged over all time origins (FFT), from (particles, frames, 3) Å.

    msd[p, k] = mean_t |x(t + k) - x(t)|² over t = 0 .. N-1-k.
    """
    x = np.asarray(displacements, dtype=float)
    n = x.shape[1]
    sq = (x**2).sum(axis=2)
    cum = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(sq, axis=1)], axis=1)
    lags = np.arange(n)
    counts = n - lags
    s1 = (cum[:, n - lags] - cum[:, :1]) + (cum[:, n:n + 1] - cum[:, lags])  # sum x(t)^2 + sum x(t+k)^2
    f = np.fft.rfft(x, n=2 * n, axis=1)
    acf = np.fft.irfft(f * np.conj(f), n=2 * n, axis=1)[:, :n, :].sum(axis=2)
    return np.maximum((s1 - 2 * acf) / counts, 0.0)


def he_relative_error(n_hops: float) -> float:
    """σ_D / D from the number of Li hops (He, Zhu, Epstein, Mo, npj Comput. Mater. 4, 18 (2018))."""
    return 3.43 / math.sqrt(n_hops) + 0.04 if n_hops > 0 else 1e3


def msd_diffusivity(times_fs, positions, li_indices, *, dimensionality: int, hop_angstrom: float,
                    fit_start_ps: float = 1.0, min_obs: int = 30, slope_tol: float = 0.3, min_hops: float = 5.0,
                    melt_msd_a2: float = 1.0) -> dict:
    """D (cm²/s) of Li from production frames: positions (frames, atoms, 3) unwrapped Å, equally spaced times."""
    from pymatgen.analysis.diffusion.analyzer import get_diffusivity_from_msd

    times_fs = np.asarray(times_fs, dtype=float)
    pos = np.asarray(positions, dtype=float)
    n_frames = len(times_fs)
    li = np.asarray(li_indices, dtype=int)
    framework = np.setdiff1d(np.arange(pos.shape[1]), li)
    disp = (pos - pos[0]).transpose(1, 0, 2)  # (atoms, frames, 3)
    if framework.size:
        disp = disp - disp[framework].mean(axis=0)[None]  # drift of the framework centre, as pymatgen
    frame_dt = float(times_fs[1] - times_fs[0])
    k0 = max(1, int(math.ceil(fit_start_ps * 1000 / frame_dt - 1e-9)))
    kmax = min(len(li) * n_frames // min_obs, n_frames)
    if kmax - k0 < 3:
        raise PropertyError(f"production too short for the MSD fit window ({n_frames} frames, fit from "
                            f"{fit_start_ps} ps)")
    lags = np.arange(k0, kmax, max((kmax - k0) // 200, 1))
    msd_li = time_averaged_msd(disp[li]).mean(axis=0)
    dt = lags * frame_dt
    msd = msd_li[lags]
    d3, d3_fit_std = get_diffusivity_from_msd(msd, dt, "max")  # pymatgen: slope / 6, cm²/s
    growing = d3 > 2e-15 / 60  # pymatgen clamps a non-positive slope to 1e-15 Å²/fs
    scale = 3.0 / dimensionality
    production_fs = float(times_fs[-1] - times_fs[0])
    d3_per_hop = hop_angstrom**2 / (len(li) * 6 * 10 * production_fs)  # D (cm²/s) of one hop; 1 cm²/s = 10 Å²/fs
    n_hops = d3 / d3_per_hop
    rel = he_relative_error(n_hops)
    d = d3 * scale
    stderr = math.hypot(rel * d, d3_fit_std * scale)
    positive = msd > 0
    slope = float(np.polyfit(np.log(dt[positive]), np.log(msd[positive]), 1)[0]) if positive.sum() >= 2 else math.nan
    framework_msd = float(time_averaged_msd(disp[framework]).mean(axis=0)[lags[-1]]) if framework.size else 0.0
    melted = framework_msd > melt_msd_a2
    max_li_disp = float(np.linalg.norm(disp[li], axis=2).max())  # from the first frame, drift-corrected
    diffusive = bool(growing and abs(slope - 1) <= slope_tol and n_hops >= min_hops and max_li_disp > hop_angstrom
                     and not melted)
    return {"diffusivity_cm2_per_s": float(d), "diffusivity_cm2_per_s_stderr": float(stderr),
            "diffusivity_fit_stderr_cm2_per_s": float(d3_fit_std * scale), "msd_loglog_slope": slope,
            "msd_growing": bool(growing), "li_hops": float(n_hops),
            "diffusivity_per_hop_cm2_per_s": float(d3_per_hop * scale), "max_li_displacement_angstrom": max_li_disp,
            "framework_msd_a2": framework_msd,
            "melted": bool(melted), "diffusive": diffusive,
            "msd_fit_window_ps": [float(dt[0] / 1000), float(dt[-1] / 1000)], "msd_at_window_end_a2": float(msd[-1])}


def fit_arrhenius(temperatures_k, diffusivities, stderrs=None) -> dict:
    """Weighted fit ln D = ln D0 - E_a / (k_B T). Returns E_a (eV), ln D0, their covariance (in slope/intercept
    of ln D vs 1/T: "cov"), and chi2. σ(ln D) = ln(1 + σ_D/D); unit weights when stderrs is None."""
    t = np.asarray(temperatures_k, dtype=float)
    y = np.log(np.asarray(diffusivities, dtype=float))
    if len(t) < 2:
        raise PropertyError("Arrhenius fit needs diffusivities at >= 2 temperatures")
    sigma = np.ones_like(t) if stderrs is None else np.log1p(np.asarray(stderrs, float) / np.exp(y))
    sigma = np.maximum(sigma, 1e-6)
    w = 1 / sigma**2
    a = np.stack([1 / t, np.ones_like(t)], axis=1)
    cov = np.linalg.inv(a.T @ (a * w[:, None]))
    beta = cov @ (a.T @ (w * y))
    chi2 = float((w * (y - a @ beta) ** 2).sum())
    n = len(t)
    if stderrs is None:  # unit weights: covariance from the scatter alone
        cov = cov * (chi2 / (n - 2) if n > 2 else math.nan)
    elif n > 2:
        cov = cov * max(1.0, chi2 / (n - 2))
    return {"activation_energy_ev": float(-beta[0] * K_B_EV),
            "activation_energy_ev_stderr": float(math.sqrt(cov[0, 0]) * K_B_EV),
            "slope_k": float(beta[0]), "ln_d0": float(beta[1]), "cov": cov.tolist(), "chi2": chi2}


def extrapolate_ln_d(fit: dict, temperature_k: float) -> tuple[float, float]:
    """(ln D(T), σ(ln D(T))) from an Arrhenius fit and its covariance."""
    cov = np.asarray(fit["cov"])
    x = 1.0 / temperature_k
    var = cov[0, 0] * x**2 + cov[1, 1] + 2 * cov[0, 1] * x
    return fit["slope_k"] * x + fit["ln_d0"], float(math.sqrt(max(var, 0.0)))


def nernst_einstein_factor(atoms, temperature_k: float) -> float:
    """S/cm per cm²/s for the Li of `atoms` (ase.Atoms): ρ z² F² / (R T), ρ = N_Li / V (pymatgen)."""
    from pymatgen.analysis.diffusion.analyzer import get_conversion_factor
    from pymatgen.io.ase import AseAtomsAdaptor

    return get_conversion_factor(AseAtomsAdaptor.get_structure(atoms), "Li", temperature_k) / 1000.0  # mS -> S


def li_hop_distance(atoms) -> float:
    """Shortest Li-Li distance (Å) under periodic boundary conditions."""
    li = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Li"]
    if len(li) < 2:
        return float(min(atoms.cell.lengths()))
    d = atoms[li].get_all_distances(mic=True)
    d[np.diag_indices_from(d)] = np.inf
    return float(d.min())


class ConvergenceCheck:
    """Stop a production run once 3 successive D estimates agree with the latest within `tol` (relative)."""

    def __init__(self, tol: float, li_indices, analysis_kw: dict):
        self.tol, self.li, self.kw, self.history = tol, li_indices, analysis_kw, []

    def __call__(self, times_fs, positions) -> bool:
        try:
            r = msd_diffusivity(times_fs, positions, self.li, **self.kw)
        except PropertyError:
            return False
        self.history.append(r["diffusivity_cm2_per_s"])
        last = self.history[-3:]
        return bool(len(last) == 3 and r["diffusive"] and max(abs(x - last[-1]) for x in last) <= self.tol * last[-1])


# ---------------------------------------------------------------------------------------------
# orchestration
# ---------------------------------------------------------------------------------------------
_WORKER_BACKEND = {}


def _worker_init(spec: tuple) -> None:
    from ipscreen.energy.threads import limit_threads

    limit_threads()
    _WORKER_BACKEND.clear()
    _WORKER_BACKEND["spec"] = spec


def _worker_backend():
    """This worker process's backend, loaded on first use from the spec `_worker_init` got."""
    from ipscreen.energy.backends import load_backend

    if "backend" not in _WORKER_BACKEND:
        name, model, options, device, compiled = _WORKER_BACKEND["spec"]
        _WORKER_BACKEND["backend"] = load_backend(name, model, device=device, compile=compiled, **options)
    return _WORKER_BACKEND["backend"]


def _run_replica(task: dict, calculator=None):
    """One (mechanism, temperature) run -> MDRun, or the reason it failed (str)."""
    calculator = calculator or _worker_backend().calculator
    try:
        return run_md(task["atoms"], calculator, task["protocol"], seed=task["seed"], stop_check=task["stop_check"])
    except MDBlowUp as exc:
        return str(exc)


def _protocol(settings: ConductivitySettings, temperature: float) -> MDProtocol:
    return MDProtocol(temperature_k=float(temperature), timestep_fs=settings.timestep_fs,
                      equilibration_ps=settings.equilibration_ps, production_ps=settings.production_ps,
                      sample_every=settings.sample_every, npt_taut_fs=settings.npt_taut_fs,
                      npt_taup_fs=settings.npt_taup_fs, bulk_modulus_gpa=settings.bulk_modulus_gpa,
                      nvt_taut_fs=settings.nvt_taut_fs,
                      check_every_ps=settings.converge_every_ps if settings.converge_tol > 0 else 0.0)


def arrhenius_inputs(row: dict) -> tuple[float, float]:
    """(D, σ_D) in cm²/s of one run as it enters the Arrhenius fit: D from n + ½ hop-equivalents.

    n = `li_hops` counts the run's Li displacement in hops; adding ½ hop (the Jeffreys prior of a
    Poisson count) keeps a run without hops in the fit as the weak upper-limit-like point it is
    (σ(ln D) = 1.8 at n = 0) instead of a zero; for n >= 20 it changes D by < 3 %. σ_D: He et al.
    at n + ½, with the fit error in quadrature.
    """
    n = max(float(row["li_hops"]), 0.0) + 0.5
    d = max(float(row["diffusivity_cm2_per_s"]), 0.0) + 0.5 * float(row["diffusivity_per_hop_cm2_per_s"])
    return d, math.hypot(he_relative_error(n) * d, float(row["diffusivity_fit_stderr_cm2_per_s"]))


def _mechanism_summary(settings, rows: list[dict], ref_atoms) -> dict:
    """Arrhenius fit and Λ(T_target) of one mechanism from its per-temperature rows.

    Fitted: the diffusive runs when there are >= 2, else every completed run whose framework did
    not melt (flagged `arrhenius_diffusive_only` = False): few or no hops then widen the error
    bars (see `arrhenius_inputs`) instead of leaving the compound without a value.
    """
    solid = [r for r in rows if r["status"] == "ok" and not r["melted"]]
    use = [r for r in solid if r["diffusive"]]
    all_diffusive = len(use) >= 2
    if not all_diffusive:
        use = solid
    out = {"arrhenius_temperatures_k": [r["temperature_k"] for r in use], "arrhenius_diffusive_only": all_diffusive}
    if len(use) < 2:
        melted = sum(1 for r in rows if r["status"] == "ok" and r["melted"])
        out["fit_error"] = (f"{len(use)} completed run(s) with a solid framework" +
                            (f" ({melted} melted)" if melted else "") + "; the Arrhenius fit needs 2")
        return out
    inputs = [arrhenius_inputs(r) for r in use]
    fit = fit_arrhenius([r["temperature_k"] for r in use], [d for d, _ in inputs], [e for _, e in inputs])
    ln_d, sigma = extrapolate_ln_d(fit, settings.target_temperature_k)
    lam = nernst_einstein_factor(ref_atoms, settings.target_temperature_k) * math.exp(ln_d)
    out.update({"arrhenius_diffusivities_cm2_per_s": [d for d, _ in inputs],
                "arrhenius_diffusivity_stderrs_cm2_per_s": [e for _, e in inputs],
                "activation_energy_ev": fit["activation_energy_ev"],
                "activation_energy_ev_stderr": fit["activation_energy_ev_stderr"],
                "diffusivity_400k_cm2_per_s": math.exp(ln_d),
                "conductivity_400k_s_per_cm": lam, "conductivity_400k_s_per_cm_stderr": lam * sigma,
                "conductivity_400k_log10_stderr": sigma / math.log(10), "arrhenius_chi2": fit["chi2"]})
    return out


def calc(structure, settings: ConductivitySettings = ConductivitySettings(), *, backend=None, workdir=None,
         seed: int = 0, progress=None) -> dict:
    """Li+ conductivity at 400 K (S/cm) and E_a (eV) of a relaxed pymatgen Structure by ML-potential MD.

    Runs every (mechanism, temperature) replica, in `settings.workers` processes when > 1, each process's
    replicas one after another or, with `batch_replicas`, together (one batched model call per MD step).
    Raises StructureError for an unphysical structure (`check_structure`), PropertyError when
    it has no Li, the model lacks an element, or no mechanism gives an Arrhenius fit (every
    run blew up).
    """
    from pymatgen.io.ase import AseAtomsAdaptor

    check_structure(structure)
    settings.validate()
    structure = structure.copy()
    structure.remove_oxidation_states()
    if "Li" not in {el.symbol for el in structure.composition.elements}:
        raise PropertyError("no Li in the structure: Li+ conductivity is undefined")
    if backend is None:
        from ipscreen.energy.backends import load_backend

        backend = load_backend()
    try:
        backend.check_elements([el.symbol for el in structure.composition.elements])
    except InputError as exc:
        raise PropertyError(str(exc)) from None
    dimensionality, dim_source = ((settings.dimensionality, "given") if settings.dimensionality
                                  else infer_dimensionality(structure))
    host = AseAtomsAdaptor.get_atoms(structure)
    repeat = (tuple(int(r) for r in settings.supercell_repeat) if settings.supercell_repeat
              else supercell_repeat(host.cell, settings.supercell_min_length_angstrom))
    host = host.repeat(repeat)
    hop = li_hop_distance(host)
    analysis_kw = dict(dimensionality=dimensionality, hop_angstrom=hop, fit_start_ps=settings.msd_fit_start_ps,
                       min_obs=settings.msd_min_obs, slope_tol=settings.diffusive_slope_tol,
                       min_hops=settings.min_hops, melt_msd_a2=settings.melt_msd_a2)

    tasks, defects = [], {}
    for mi, mech in enumerate(settings.mechanisms):
        atoms, info = defect_model(host, mech, np.random.default_rng([seed, mi]))
        li = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Li"]
        defects[mech] = (atoms, info, li)
        for ti, temp in enumerate(settings.temperatures):
            stop = ConvergenceCheck(settings.converge_tol, li, analysis_kw) if settings.converge_tol > 0 else None
            tasks.append({"mechanism": mech, "temperature_k": float(temp), "atoms": atoms,
                          "protocol": _protocol(settings, temp), "seed": [seed, mi, ti], "stop_check": stop})

    t0 = time.perf_counter()
    batched = _batched(settings, backend)
    runs = _run_all(tasks, backend, settings.workers, progress, batched)
    wall = time.perf_counter() - t0

    if workdir is not None:
        os.makedirs(workdir, exist_ok=True)
    result: dict = {}
    summaries = {}
    for mech in settings.mechanisms:
        atoms, info, li = defects[mech]
        rows = [_row(task, run, atoms, li, analysis_kw, workdir) for task, run in zip(tasks, runs)
                if task["mechanism"] == mech]
        summaries[mech] = _mechanism_summary(settings, rows, atoms)
        result.update(_flatten(mech, rows, summaries[mech], atoms, info))
    n_steps_total = sum(r.n_steps for r in runs if not isinstance(r, str))

    fitted = {m: s for m, s in summaries.items() if "conductivity_400k_s_per_cm" in s}
    if not fitted:
        reasons = "; ".join(f"{m}: {s.get('fit_error')}" for m, s in summaries.items())
        failures = [r for r in runs if isinstance(r, str)]
        raise PropertyError(f"no Arrhenius fit ({reasons})" + (f"; first failure: {failures[0]}" if failures else ""))
    best = max(fitted, key=lambda m: fitted[m]["conductivity_400k_s_per_cm"])
    head = fitted[best]
    production = max((r.times_fs[-1] / 1000 for r in runs if not isinstance(r, str)), default=0.0)
    indicative = production < 0.4 * PAPER_PRODUCTION_PS or len(settings.temperatures) < 3
    out = {
        "conductivity_400k_s_per_cm": head["conductivity_400k_s_per_cm"],
        "conductivity_400k_s_per_cm_stderr": head["conductivity_400k_s_per_cm_stderr"],
        "conductivity_400k_log10_stderr": head["conductivity_400k_log10_stderr"],
        "activation_energy_ev": head["activation_energy_ev"],
        "activation_energy_ev_stderr": head["activation_energy_ev_stderr"],
        "mechanism": best,
        "dimensionality": dimensionality,
        "dimensionality_source": dim_source,
        "temperatures_k": [float(t) for t in settings.temperatures],
        "supercell_repeat": list(repeat),
        "li_hop_distance_angstrom": hop,
        "n_steps": n_steps_total,
        "wall_time_s": wall,
        "steps_per_second": n_steps_total / wall if wall > 0 else math.nan,
        "indicative": bool(indicative),
        "note": ("short MD (%.3g ps NVT per temperature, %d temperatures): Λ and E_a are indicative only"
                 % (production, len(settings.temperatures))) if indicative else "",
        **result,
        "method": {
            "code": "ipscreen.energy.md (ASE) + pymatgen-analysis-diffusion",
            "backend": backend.info.as_dict(),
            "ase": _version("ase"), "pymatgen-analysis-diffusion": _version("pymatgen-analysis-diffusion"),
            "npt": "Berendsen (anisotropic, one force call per step)", "nvt": "Bussi",
            "settings": asdict(settings), "seed": seed, "replicas_batched": batched, "device": str(backend.device),
            "d_from_msd": "D = slope(MSD) / (2 d), MSD of all Li (3-D), d as 'dimensionality'",
            "stderr": "D: He et al. 2018 hop-count relation + fit error; Arrhenius: weighted LSQ covariance",
        },
    }
    return out


def _row(task: dict, run, atoms, li: list, analysis_kw: dict, workdir) -> dict:
    """Per-temperature results of one run (MDRun, or the reason it failed); writes its trajectory."""
    row = {"temperature_k": task["temperature_k"]}
    if isinstance(run, str):
        return {**row, "status": f"failed: {run}", "diffusive": False}
    row.update(n_steps=run.n_steps, production_ps=float(run.times_fs[-1] / 1000),
               mean_temperature_k=float(run.temperatures_k[1:].mean()),
               volume_a3=float(abs(np.linalg.det(run.cell))), steps_per_second=run.steps_per_second,
               stopped_early=run.stopped_early)
    try:
        row.update(msd_diffusivity(run.times_fs, run.positions, li, **analysis_kw), status="ok")
        row["conductivity_s_per_cm"] = _conductivity_at(atoms, run, row["diffusivity_cm2_per_s"])
    except PropertyError as exc:
        row.update(status=f"failed: {exc}", diffusive=False)
    if workdir is not None:
        name = f"md_{task['mechanism']}_{task['temperature_k']:g}K.npz"
        write_trajectory(os.path.join(workdir, name), run, mechanism=task["mechanism"], seed=np.asarray(task["seed"]))
        row["trajectory_file"] = name
    return row


def _conductivity_at(atoms, run, diffusivity: float) -> float:
    """Nernst-Einstein Λ (S/cm) at the run's temperature with the NVT cell volume."""
    cell_atoms = atoms.copy()
    cell_atoms.set_cell(run.cell, scale_atoms=True)
    return nernst_einstein_factor(cell_atoms, run.temperature_k) * diffusivity


def _flatten(mech: str, rows: list[dict], summary: dict, atoms, info: dict) -> dict:
    """Per-mechanism keys: scalars from the fit, per-temperature lists aligned with temperatures_k."""
    out = {f"{mech}_{k}": v for k, v in summary.items()}
    per_t = ["status", "diffusivity_cm2_per_s", "diffusivity_cm2_per_s_stderr", "diffusivity_fit_stderr_cm2_per_s",
             "conductivity_s_per_cm", "msd_loglog_slope", "msd_growing", "li_hops", "diffusivity_per_hop_cm2_per_s",
             "max_li_displacement_angstrom",
             "diffusive", "melted", "framework_msd_a2", "msd_fit_window_ps", "n_steps", "production_ps",
             "mean_temperature_k", "volume_a3", "steps_per_second", "stopped_early", "trajectory_file"]
    for key in per_t:
        out[f"{mech}_{key}"] = [_clean(r.get(key)) for r in rows]
    out[f"{mech}_num_li"] = sum(1 for s in atoms.get_chemical_symbols() if s == "Li")
    out[f"{mech}_num_atoms"] = len(atoms)
    out[f"{mech}_defect"] = info
    return out


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def _batched(settings: ConductivitySettings, backend) -> bool:
    """Whether replicas run in lockstep (batch_replicas; "auto": on a GPU, when the backend has a batched path)."""
    if settings.batch_replicas == "auto":
        return backend.evaluate_batch is not None and str(backend.device).startswith("cuda")
    if settings.batch_replicas and backend.evaluate_batch is None:
        raise InputError(f"conductivity batch_replicas = true: backend {backend.info.backend} has no batched model "
                         "call (sevenn and chgnet have one)")
    return bool(settings.batch_replicas)


def _run_group(tasks: list[dict], evaluate_batch=None) -> list:
    """Replicas advanced together, one batched model call per MD step (energy/lockstep_md.py)."""
    from ipscreen.energy.lockstep_md import run_md_lockstep

    runs, _calls = run_md_lockstep([(t["atoms"], t["protocol"], t["seed"], t["stop_check"]) for t in tasks],
                                   evaluate_batch or _worker_backend().evaluate_batch)
    return runs


def _run_all(tasks: list[dict], backend, workers: int, progress, batched: bool = False) -> list:
    """Run the replicas in this process or in `workers` spawned processes; order preserved. `batched`: each
    process advances its replicas together (one model call per step for all), else one after another.
    Inside a daemonic process (a worker of a Dask cluster not started by ipscreen), which may not
    start processes, the replicas run in this process."""
    import multiprocessing

    total = len(tasks)
    if workers <= 1 or total <= 1 or multiprocessing.current_process().daemon:
        if batched:
            runs = _run_group(tasks, backend.evaluate_batch)
            if progress:
                progress(total, total)
            return runs
        runs = []
        for k, task in enumerate(tasks):
            runs.append(_run_replica(task, backend.calculator))
            if progress:
                progress(k + 1, total)
        return runs
    from concurrent.futures import ProcessPoolExecutor, as_completed

    info = backend.info
    spec = (info.backend, info.model, dict(info.options), backend.device, backend.compiled)  # the same in each worker
    runs: list = [None] * total
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding torch threads
    n = min(workers, total)
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init, initargs=(spec,)) as pool:
        if batched:  # replicas dealt round-robin to the processes; each process runs its share in lockstep
            groups = [list(range(w, total, n)) for w in range(n)]
            futures = {pool.submit(_run_group, [tasks[k] for k in g]): g for g in groups}
        else:
            futures = {pool.submit(_run_replica, task): [k] for k, task in enumerate(tasks)}
        done = 0
        for fut in as_completed(futures):
            result = fut.result()
            for k, run in zip(futures[fut], result if batched else [result]):
                runs[k] = run
            done += len(futures[fut])
            if progress:
                progress(done, total)
    return runs
