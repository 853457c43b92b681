"""MOBO benchmark: strategies on fully known three-objective problems over a real pool.

Two problems over the same pool and descriptors (data/mobo_benchmark.npz, made by
scripts/make_mobo_benchmark.py; provenance in data/mobo_benchmark.json):

- "ip-cheap-properties": real properties of ~1,000 paper-space compounds on their starting
  geometries: -(BVSE Li+ barrier) / eV, free-volume fraction, -(Ewald energy) / (eV/atom).
- "synthetic": three smooth functions of the reduced descriptors X, each a draw from a GP
  prior with the additive kernel's primary terms (sum over EN, VR, PF of an RBF on that
  group's columns, lengthscale = SYNTHETIC_LENGTHSCALE x the group's median pairwise distance)
  by random Fourier features (SYNTHETIC_FEATURES per group, numpy default_rng(SYNTHETIC_SEED)),
  z-scored over the pool and mixed to a pairwise correlation of SYNTHETIC_CORRELATION so
  that the objectives conflict.

Every objective is maximised; the scaling is the identity and the reference point lies
REFERENCE_MARGIN x (range) below each objective's minimum over the pool, so every compound
adds hypervolume. Metrics after b evaluations (initial design included), per seed:

    hv_fraction   = HV(first b evaluated) / HV(whole pool)       (the true front's hypervolume)
    pareto_recall = |true Pareto set ∩ first b evaluated| / |true Pareto set|

Reported as means over seeds (with "_std", the sample standard deviation), and the
enhancement factor of Liang et al., npj Comput. Mater. 7, 188 (2021): EF(b) =
mean metric(strategy) / mean metric(random) at the same b ("enhancement_factor" for
hv_fraction, "enhancement_factor_recall" for pareto_recall; null where random's mean is 0).
The initial design depends only on the seed (loop.initial_design), so it is the same for
every strategy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from ipscreen.errors import InputError
from ipscreen.mobo.acquisition import STRATEGIES, Scaling
from ipscreen.mobo.hypervolume import hypervolume, pareto_mask

DATA_FILE = "mobo_benchmark.npz"
REFERENCE_MARGIN = 0.05  # reference point: minimum - 5 % of the range, per objective
SYNTHETIC_SEED = 20211188  # npj Comput. Mater. 7, 188 (2021)
SYNTHETIC_FEATURES = 256  # random Fourier features per group and objective
SYNTHETIC_LENGTHSCALE = 1.0  # x median pairwise distance of the group's columns (median heuristic)
SYNTHETIC_CORRELATION = -0.2  # pairwise correlation of the three synthetic objectives
MC_SAMPLES = 16  # qlognehvi Sobol QMC samples in the benchmark


@dataclass(frozen=True)
class Problem:
    """A fully known benchmark problem: pool descriptors X (N, d) with kernel groups `dims`,
    objectives Y (N, k) to maximise (model space = scaled space here) and the scaling
    (weights, reference point) the hypervolume uses."""

    name: str
    X: np.ndarray
    dims: dict[str, list[int]]
    Y: np.ndarray
    scaling: Scaling
    description: str

    @property
    def pareto(self) -> np.ndarray:
        """Indices of the true Pareto set of the pool."""
        return np.flatnonzero(pareto_mask(self.scaling.apply(self.Y)))

    @property
    def true_hypervolume(self) -> float:
        return hypervolume(self.scaling.apply(self.Y), self.scaling.reference)


@lru_cache(maxsize=1)
def _table() -> dict[str, np.ndarray]:
    with resources.as_file(resources.files("ipscreen.data") / DATA_FILE) as path, np.load(path) as npz:
        return {key: npz[key] for key in npz.files}


def identity_scaling(Y: np.ndarray, margin: float = REFERENCE_MARGIN) -> Scaling:
    """Unit weights, no log10, reference = column minimum - margin x column range."""
    Y = np.asarray(Y, dtype=float)
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    ref = lo - margin * np.where(hi > lo, hi - lo, 1.0)
    k = Y.shape[1]
    return Scaling(weights=(1.0,) * k, reference=tuple(float(r) for r in ref), log10=(False,) * k)


def synthetic_objectives(
    X: np.ndarray,
    dims: dict[str, list[int]],
    n_objectives: int = 3,
    seed: int = SYNTHETIC_SEED,
    n_features: int = SYNTHETIC_FEATURES,
    lengthscale: float = SYNTHETIC_LENGTHSCALE,
    correlation: float = SYNTHETIC_CORRELATION,
) -> np.ndarray:
    """(N, n_objectives) smooth conflicting test functions of X (see the module docstring).

    Random Fourier features: f(x) = sqrt(2/D) sum_j w_j cos(omega_j . x + b_j) with
    omega_j ~ N(0, l^-2 I), b_j ~ U(0, 2 pi), w_j ~ N(0, 1) is a draw from the GP prior with
    RBF kernel exp(-|x - x'|^2 / 2 l^2) as D -> infinity."""
    X = np.asarray(X, dtype=float)
    if not -1.0 / (n_objectives - 1) < correlation < 1.0:
        raise InputError("synthetic correlation must lie in (-1/(k-1), 1)")
    rng = np.random.default_rng(seed)
    F = np.zeros((len(X), n_objectives))
    for g in sorted(dims):
        Xg = X[:, dims[g]]
        d2 = (Xg * Xg).sum(1)[:, None] + (Xg * Xg).sum(1)[None, :] - 2.0 * Xg @ Xg.T
        dist = np.sqrt(np.maximum(d2[np.triu_indices(len(Xg), 1)], 0.0))
        ell = lengthscale * float(np.median(dist[dist > 1e-12]))
        for k in range(n_objectives):
            omega = rng.normal(0.0, 1.0 / ell, size=(Xg.shape[1], n_features))
            b = rng.uniform(0.0, 2.0 * np.pi, size=n_features)
            w = rng.normal(size=n_features)
            F[:, k] += np.sqrt(2.0 / n_features) * np.cos(Xg @ omega + b) @ w
    F = (F - F.mean(0)) / F.std(0)
    C = np.full((n_objectives, n_objectives), correlation) + (1.0 - correlation) * np.eye(n_objectives)
    F = F @ np.linalg.cholesky(C).T  # rows of the result have correlation matrix ~ C
    return (F - F.mean(0)) / F.std(0)


@lru_cache(maxsize=1)
def _synthetic() -> np.ndarray:
    t = _table()
    return synthetic_objectives(t["X"].astype(np.float64), _dims(t))


def _dims(t: dict) -> dict[str, list[int]]:
    return {str(g): [int(i) for i in row] for g, row in zip(t["groups"], t["dims"])}


def problems() -> dict[str, Problem]:
    """The benchmark problems by name: "ip-cheap-properties" and "synthetic"."""
    return _problems()


def _problems() -> dict[str, Problem]:
    t = _table()
    X = t["X"].astype(np.float64)
    dims = _dims(t)
    Y_real = np.asarray(t["Y"], dtype=float)
    Y_syn = _synthetic().copy()
    n = len(X)
    return {
        "ip-cheap-properties": Problem(
            "ip-cheap-properties", X, dims, Y_real, identity_scaling(Y_real),
            f"{n} paper-space compounds (starting geometries): maximise -BVSE Li+ barrier (eV), "
            "free-volume fraction (Shannon radii), -Ewald energy (eV/atom)",
        ),
        "synthetic": Problem(
            "synthetic", X, dims, Y_syn, identity_scaling(Y_syn),
            f"three GP-prior draws (random Fourier features, seed {SYNTHETIC_SEED}) on the same {n} "
            f"compounds' descriptors, pairwise correlation {SYNTHETIC_CORRELATION}",
        ),
    }


def metrics(problem: Problem, order: Sequence[int], budgets: Iterable[int]) -> dict[str, dict[str, float]]:
    """hv_fraction and pareto_recall of the first b pool indices of `order`, for each budget b."""
    S = problem.scaling.apply(problem.Y)
    ref = problem.scaling.reference
    hv_true = hypervolume(S, ref)
    pareto = set(problem.pareto.tolist())
    order = [int(i) for i in order]
    out: dict[str, dict[str, float]] = {"hv_fraction": {}, "pareto_recall": {}}
    for b in budgets:
        first = order[: int(b)]
        out["hv_fraction"][str(b)] = hypervolume(S[first], ref) / hv_true if first else 0.0
        out["pareto_recall"][str(b)] = len(pareto.intersection(first)) / len(pareto)
    return out


def run_order(
    problem: Problem,
    strategy: str,
    seed: int,
    max_evaluations: int,
    initial_size: int = 10,
    batch_size: int = 10,
    mc_samples: int = MC_SAMPLES,
) -> list[int]:
    """Pool indices in evaluation order of one MOBO run (loop.run_loop, no plateau stop)."""
    from ipscreen.mobo.loop import LoopSettings, run_loop

    settings = LoopSettings(
        strategy=strategy, initial_size=initial_size, batch_size=batch_size, patience=0,
        max_evaluations=max_evaluations, max_iterations=max_evaluations, seed=seed, mc_samples=mc_samples,
    )
    result = run_loop(problem.X, problem.dims, lambda idx: problem.Y[idx], settings, scaling=problem.scaling)
    return result.order


def _ratio(a: float, b: float) -> float | None:
    return float(a / b) if b > 0 else None


def run_benchmark(
    problems: dict[str, Problem] | None = None,
    strategies: Sequence[str] = ("uhvi", "qlognehvi", "random"),
    seeds: Iterable[int] = range(10),
    budgets: Sequence[int] = (20, 50, 100),
    initial_size: int = 10,
    batch_size: int = 10,
    mc_samples: int = MC_SAMPLES,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Run every strategy on every problem for every seed up to max(budgets) evaluations.

    Returns {"problems": {name: {strategy: {"hv_fraction": {b: mean}, "hv_fraction_std": ...,
    "hv_fraction_seeds": {b: [per seed]}, "pareto_recall": ..., "pareto_recall_std": ...,
    "pareto_recall_seeds": ..., "enhancement_factor": {b: EF of hv_fraction},
    "enhancement_factor_recall": ..., "seconds": total wall time (s)}}}, "metadata": {...}}.
    `progress(label, done, total)` is called after each run (label: problem, strategy, seed, seconds)."""
    problems = _problems() if problems is None else problems
    seeds = [int(s) for s in seeds]
    budgets = sorted(int(b) for b in budgets)
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown or not seeds or not budgets or budgets[0] < 1:
        raise InputError("run_benchmark: known strategies, at least one seed and positive budgets needed")
    out: dict = {"problems": {}}
    done, total = 0, len(problems) * len(strategies) * len(seeds)
    meta: dict = {
        "strategies": list(strategies), "seeds": seeds, "budgets": budgets, "initial_size": initial_size,
        "batch_size": batch_size, "mc_samples_qlognehvi": mc_samples, "problems": {},
        "enhancement_factor": "mean metric(strategy) / mean metric(random) at the same number of evaluations "
        "(Liang et al., npj Comput. Mater. 7, 188 (2021)); enhancement_factor: hv_fraction, "
        "enhancement_factor_recall: pareto_recall",
    }
    for name, problem in problems.items():
        meta["problems"][name] = {
            "description": problem.description, "pool_size": int(len(problem.X)),
            "pareto_set_size": int(len(problem.pareto)), "reference": list(problem.scaling.reference),
        }
        block: dict = {}
        for strategy in strategies:
            per_seed = {"hv_fraction": [], "pareto_recall": []}
            t0 = time.perf_counter()
            for seed in seeds:
                t1 = time.perf_counter()
                order = run_order(problem, strategy, seed, budgets[-1], initial_size, batch_size, mc_samples)
                m = metrics(problem, order, budgets)
                for key in per_seed:
                    per_seed[key].append([m[key][str(b)] for b in budgets])
                done += 1
                if progress is not None:
                    progress(f"{name} {strategy} seed {seed} ({time.perf_counter() - t1:.1f} s)", done, total)
            entry: dict = {}
            for key, rows in per_seed.items():
                A = np.asarray(rows)
                entry[key] = {str(b): float(v) for b, v in zip(budgets, A.mean(0))}
                std = A.std(0, ddof=1) if len(seeds) > 1 else np.zeros(len(budgets))
                entry[key + "_std"] = {str(b): float(v) for b, v in zip(budgets, std)}
                entry[key + "_seeds"] = {str(b): [float(v) for v in A[:, j]] for j, b in enumerate(budgets)}
            entry["seconds"] = time.perf_counter() - t0
            block[strategy] = entry
        for entry in block.values():
            for key, ef in (("hv_fraction", "enhancement_factor"), ("pareto_recall", "enhancement_factor_recall")):
                base = block.get("random", {}).get(key)
                entry[ef] = {b: (_ratio(v, base[b]) if base else None) for b, v in entry[key].items()}
        out["problems"][name] = block
    out["metadata"] = meta
    return out
