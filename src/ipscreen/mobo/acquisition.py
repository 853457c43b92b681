"""Batch selection for the MOBO loop: uHVI (the paper's), qLogNEHVI (BoTorch) and random.

uHVI (paper eq. 20, Table 1 steps 4-6): for every unevaluated candidate m,
    uHVI_m = V(Y(d0) ∪ g_m) - V(Y(d0)),   g_m = μ_m + σ_m (per objective),
the hypervolume gained by adding the candidate's upper-confidence point to the
evaluated set. All M scores are computed once against the current evaluated set and
the top z (= 10) are taken ("sorted in decreasing order, with the top z compounds in
the ordered list being picked"): no re-scoring after each pick, as in the paper.
Candidates whose optimistic point is dominated all score 0; ties (in practice, the
zeros when fewer than z candidates can improve the front) are broken by the additive
epsilon distance of g_m to the evaluated front (how far g_m must move in every scaled
objective to become non-dominated, smaller first), then by pool index. The tie-break
is ours: the paper does not say.

Objective space (eqs. 21-23): the objectives are y = (E_g / eV, E_h / kJ mol^-1,
Λ / S cm^-1), all maximised, scaled to s = (f1, f2/100, 10 f3) and the reference point
is s = (0, -10, 0): E_g = 0, E_h = -1000 kJ/mol, Λ = 0. The paper writes the scaling with
minus signs (f -> -f1, -f2/100, -10 f3) "for convenience in the hypervolume calculation"
(PyGMO minimises) and names the nadir (0, -10, 0); read in the minimised, negated
coordinates that point would lie beyond every compound (E_h in [-158, 57] kJ/mol, paper
Fig. 5), so it bounds nothing. We therefore take (0, -10, 0) in the maximised scaled
space: the physical bounds E_g >= 0, E_h >= -1000 kJ/mol, Λ >= 0. The GPs model
log10 Λ (Scaling.log10), so μ + σ is taken in log space and mapped back to Λ before
the scaling (the 84 % upper quantile of a log-normal Λ); the hypervolume itself is in
the paper's linear 10 Λ.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ipscreen.errors import InputError
from ipscreen.mobo.hypervolume import dominated_by, hypervolume, pareto_mask

STRATEGIES = ("uhvi", "qlognehvi", "random")


@dataclass(frozen=True)
class Scaling:
    """Model space (what the GPs see) -> scaled maximisation space (what the
    hypervolume sees): s_k = weight_k * (10**y_k if log10_k else y_k)."""

    weights: tuple[float, ...] = (1.0, 0.01, 10.0)  # eqs. 21-23: E_g, E_h/100, 10 Λ
    reference: tuple[float, ...] = (0.0, -10.0, 0.0)  # paper's nadir, scaled space
    log10: tuple[bool, ...] = (False, False, True)  # model column 3 is log10 Λ

    def __post_init__(self):
        if not (len(self.weights) == len(self.reference) == len(self.log10)):
            raise InputError("Scaling: weights, reference and log10 need one entry per objective")
        if any(w <= 0 for w in self.weights):
            raise InputError("Scaling: weights must be positive")

    @property
    def n_objectives(self) -> int:
        return len(self.weights)

    def apply(self, Y) -> np.ndarray:
        Y = np.asarray(Y, dtype=float)
        Y = Y.reshape(-1, self.n_objectives)
        lin = np.where(np.asarray(self.log10), np.power(10.0, np.minimum(Y, 300.0)), Y)
        return lin * np.asarray(self.weights)

    def apply_torch(self, samples):
        import torch

        w = torch.as_tensor(self.weights, dtype=samples.dtype)
        is_log = torch.as_tensor(self.log10)
        lin = torch.where(is_log, torch.pow(10.0, samples.clamp(max=300.0)), samples)
        return lin * w


PAPER_SCALING = Scaling()


def _front(S_obs: np.ndarray, ref: np.ndarray) -> np.ndarray:
    S_obs = S_obs[np.all(np.isfinite(S_obs), axis=1) & np.all(S_obs > ref, axis=1)]
    return S_obs[pareto_mask(S_obs)] if len(S_obs) else S_obs


def uhvi(
    mean,
    std,
    Y_observed,
    scaling: Scaling = PAPER_SCALING,
    kappa: float = 1.0,
    return_gap: bool = False,
):
    """uHVI scores (eq. 20) of candidates with posterior `mean`, `std` (M, k) in model
    space against the evaluated objectives `Y_observed` (n, k) (model space; rows with a
    NaN are ignored). g = mean + kappa * std (paper: kappa = 1). Returns scores (M,) in
    scaled hypervolume units; with return_gap also the additive epsilon gap (M,)
    used as tie-break (<= 0 for a non-dominated g)."""
    mean = np.asarray(mean, dtype=float).reshape(-1, scaling.n_objectives)
    std = np.asarray(std, dtype=float).reshape(mean.shape)
    ref = np.asarray(scaling.reference, dtype=float)
    G = scaling.apply(mean + kappa * np.maximum(std, 0.0))
    front = _front(scaling.apply(Y_observed), ref)
    v0 = hypervolume(front, ref)
    scores = np.zeros(len(G))
    if len(front):
        candidates = np.flatnonzero(~dominated_by(G, front) & np.all(G > ref, axis=1))
    else:
        candidates = np.flatnonzero(np.all(G > ref, axis=1))
    for m in candidates:
        scores[m] = hypervolume(np.vstack([front, G[m]]), ref) - v0
    scores = np.maximum(scores, 0.0)
    if not return_gap:
        return scores
    if len(front):
        gap = np.max(front[None, :, :] - G[:, None, :], axis=2).min(axis=1)
    else:
        gap = np.max(ref[None, :] - G, axis=1)
    return scores, gap


def select_batch(scores, z: int, exclude: Sequence[int] = (), secondary=None) -> list[int]:
    """Indices of the z largest scores (greedy top-z, no re-scoring), skipping `exclude`;
    ties by `secondary` ascending (if given), then by index. Non-finite scores rank last."""
    scores = np.asarray(scores, dtype=float)
    s = np.where(np.isfinite(scores), scores, -np.inf)
    sec = np.zeros_like(s) if secondary is None else np.asarray(secondary, dtype=float)
    sec = np.where(np.isfinite(sec), sec, np.inf)
    order = np.lexsort((np.arange(len(s)), sec, -s))
    excluded = set(int(i) for i in exclude)
    picked = [int(i) for i in order if int(i) not in excluded]
    return picked[: max(int(z), 0)]


def _fit_models(X_obs, Y_obs, dims, seed):
    """One GP per objective, each on the rows where that objective is known."""
    from ipscreen.mobo.gp import fit

    models = []
    for k in range(Y_obs.shape[1]):
        ok = np.isfinite(Y_obs[:, k])
        models.append(fit(X_obs[ok], Y_obs[ok, k], dims, seed=seed + k))
    return models


def _qlognehvi(models, X_obs, X_cand, z, seed, scaling, mc_samples, chunk=512) -> list[int]:
    import torch
    from botorch.acquisition.multi_objective.logei import (
        qLogNoisyExpectedHypervolumeImprovement,
    )
    from botorch.acquisition.multi_objective.objective import GenericMCMultiOutputObjective
    from botorch.sampling import SobolQMCNormalSampler

    from ipscreen.mobo.gp import botorch_model

    torch.manual_seed(seed)
    Xc = torch.as_tensor(X_cand, dtype=torch.float64)
    model = botorch_model(models)
    objective = GenericMCMultiOutputObjective(lambda samples, X=None: scaling.apply_torch(samples))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acq = qLogNoisyExpectedHypervolumeImprovement(
            model=model,
            ref_point=list(scaling.reference),
            X_baseline=torch.as_tensor(X_obs, dtype=torch.float64),
            sampler=SobolQMCNormalSampler(sample_shape=torch.Size([mc_samples]), seed=seed),
            objective=objective,
            prune_baseline=True,
            cache_root=False,
        )
        picked: list[int] = []
        with torch.no_grad():
            n_picks = min(z, len(Xc))
            for _ in range(n_picks):
                values = torch.cat(
                    [acq(Xc[i : i + chunk].unsqueeze(-2)) for i in range(0, len(Xc), chunk)]
                )
                values[picked] = -torch.inf
                best = int(torch.argmax(values))  # first index among ties
                picked.append(best)
                if len(picked) < n_picks:  # (the box decompositions for the pending set are costly)
                    acq.set_X_pending(Xc[picked])
    return picked


def propose(
    strategy: str,
    X_pool,
    observed_idx: Sequence[int],
    Y_observed,
    dims: dict[str, list[int]],
    z: int = 10,
    seed: int = 0,
    *,
    exclude: Sequence[int] = (),
    scaling: Scaling = PAPER_SCALING,
    mc_samples: int = 128,
    info: dict | None = None,
) -> list[int]:
    """Pick the next batch: z distinct pool indices, none in observed_idx or exclude.

    X_pool (N, d): reduced descriptors of the whole pool; observed_idx (n,) with their
    objectives Y_observed (n, k) in model space (E_g, E_h, log10 Λ); NaN marks a value
    that could not be computed (each GP uses its known values, the front the complete
    rows). Strategies: "uhvi"
    (paper), "qlognehvi" (BoTorch qLogNoisyExpectedHypervolumeImprovement, greedy
    sequential over the discrete candidates with pending points, Sobol QMC with
    `mc_samples` samples seeded by `seed`), "random" (uniform, seeded). Deterministic
    given `seed`. `info`, if given, receives diagnostics (seconds, scores of the picks,
    GP hyperparameters)."""
    t0 = time.perf_counter()
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if z < 1:
        raise InputError("batch size z must be >= 1")
    X_pool = np.asarray(X_pool, dtype=np.float64)
    N = len(X_pool)
    observed = np.asarray(observed_idx, dtype=int).reshape(-1)
    if observed.size and (observed.min() < 0 or observed.max() >= N):
        raise InputError("observed_idx out of range of the pool")
    if len(np.unique(observed)) != len(observed):
        raise InputError("observed_idx has duplicates")
    Y = np.asarray(Y_observed, dtype=np.float64)
    if len(observed) == 0:
        Y = np.zeros((0, scaling.n_objectives))
    if Y.ndim != 2 or Y.shape != (len(observed), scaling.n_objectives):
        raise InputError(
            f"Y_observed must have one row per observed index and {scaling.n_objectives} columns"
        )
    blocked = set(observed.tolist()) | {int(i) for i in exclude}
    cand = np.array([i for i in range(N) if i not in blocked], dtype=int)
    if len(cand) == 0:
        return []
    z = min(int(z), len(cand))
    diag: dict = {"strategy": strategy, "n_observed": int(len(observed)), "n_candidates": int(len(cand))}

    known = np.isfinite(Y).sum(axis=0)  # evaluated values per objective (failures are NaN)
    if strategy == "random" or known.min() < 2:
        rng = np.random.default_rng(seed)
        picked = [int(i) for i in rng.choice(cand, size=z, replace=False)]
        if strategy != "random":
            diag["fallback"] = "random: an objective has fewer than 2 evaluated compounds"
    else:
        X_obs, Y_obs = X_pool[observed], Y
        models = _fit_models(X_obs, Y_obs, dims, seed)
        diag["hyperparameters"] = [m.hyperparameters() for m in models]
        diag["fit_seconds"] = time.perf_counter() - t0
        if strategy == "uhvi":
            preds = [m.predict(X_pool[cand]) for m in models]
            mean = np.column_stack([p[0] for p in preds])
            std = np.column_stack([p[1] for p in preds])
            scores, gap = uhvi(mean, std, Y_obs, scaling=scaling, return_gap=True)
            local = select_batch(scores, z, secondary=gap)
            picked = [int(cand[i]) for i in local]
            diag["scores"] = [float(scores[i]) for i in local]
            diag["n_positive"] = int((scores > 0).sum())
        else:
            local = _qlognehvi(models, X_obs, X_pool[cand], z, seed, scaling, mc_samples)
            picked = [int(cand[i]) for i in local]
    diag["seconds"] = time.perf_counter() - t0
    if info is not None:
        info.update(diag)
    return picked
