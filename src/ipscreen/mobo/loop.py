"""The MOBO loop (paper Table 1): initial design, batches, stopping rule.

    d0 = a seeded random design of `initial_size` pool compounds, evaluated;
    repeat: fit the GPs, pick a batch of `batch_size` (acquisition.propose), evaluate;
    until the best value of every objective has not changed for `patience` iterations
    (paper: 3), or `max_evaluations` / `max_iterations` is reached, or the pool is used up.

The loop knows nothing of the store or of how an evaluation runs: `evaluate(indices)`
returns the objectives of those pool compounds in model space (maximised; log10 where
the scaling says so; NaN where an oracle failed). Resumption is by replay: `proposed`
holds the batches a previous run already proposed (the caller journals each new batch
through `on_propose` *before* evaluating it), and the loop re-uses them instead of
proposing again, so a run interrupted at any point continues with identical batches;
the caller's `evaluate` returns stored values for compounds it has already computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ipscreen.errors import InputError
from ipscreen.mobo.acquisition import PAPER_SCALING, STRATEGIES, Scaling, propose


@dataclass(frozen=True)
class LoopSettings:
    """Settings of one MOBO run (table [mobo] of a campaign)."""

    strategy: str = "uhvi"  # uhvi (paper), qlognehvi (BoTorch), random
    initial_size: int = 20  # compounds in the seeded random initial design d0
    batch_size: int = 10  # z, compounds per iteration (paper: 10)
    patience: int = 3  # stop when no best value changed for this many iterations (paper: 3); 0 = never
    max_evaluations: int = 100  # budget of oracle evaluations, initial design included
    max_iterations: int = 20  # batches after the initial design
    seed: int = 0
    mc_samples: int = 32  # qlognehvi only: Sobol QMC samples

    def validate(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InputError(f"mobo strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        for name in ("initial_size", "batch_size", "max_evaluations"):
            if getattr(self, name) < 1:
                raise InputError(f"mobo {name} must be >= 1")
        if self.patience < 0 or self.max_iterations < 0:
            raise InputError("mobo patience and max_iterations must be >= 0")
        if self.mc_samples < 1:
            raise InputError("mobo mc_samples must be >= 1")


@dataclass
class Iteration:
    """One evaluated batch; index 0 is the initial design."""

    index: int
    batch: list[int]  # pool indices
    Y: np.ndarray  # (len(batch), k) model-space objectives, NaN = failed
    best: list[float | None]  # best (largest) model-space value of each objective so far
    improved: bool  # some best value changed in this iteration
    info: dict = field(default_factory=dict)


@dataclass
class LoopResult:
    iterations: list[Iteration]
    stop_reason: str

    @property
    def order(self) -> list[int]:
        """Pool indices in evaluation order."""
        return [i for it in self.iterations for i in it.batch]

    @property
    def Y(self) -> np.ndarray:
        return np.vstack([it.Y for it in self.iterations]) if self.iterations else np.zeros((0, 0))


def initial_design(n_pool: int, size: int, seed: int) -> list[int]:
    """A seeded uniform random subset of the pool (paper Table 1 step 1)."""
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(n_pool, size=min(size, n_pool), replace=False))


def best_values(Y: np.ndarray) -> list[float | None]:
    """Largest finite value per column (None where a column has none)."""
    out: list[float | None] = []
    for col in np.asarray(Y, dtype=float).T:
        ok = col[np.isfinite(col)]
        out.append(float(ok.max()) if len(ok) else None)
    return out


def stalled(iterations: Sequence[Iteration], patience: int) -> bool:
    """True when the last `patience` iterations after the initial design changed no best value."""
    if patience <= 0:
        return False
    tail = [it for it in iterations if it.index > 0][-patience:]
    return len(tail) == patience and not any(it.improved for it in tail)


def run_loop(
    X,
    dims: dict[str, list[int]],
    evaluate: Callable[[list[int]], np.ndarray],
    settings: LoopSettings = LoopSettings(),
    scaling: Scaling = PAPER_SCALING,
    proposed: Sequence[Sequence[int]] = (),
    on_propose: Callable[[int, list[int], dict], None] | None = None,
    on_iteration: Callable[[Iteration], None] | None = None,
) -> LoopResult:
    """Run (or resume) the MOBO loop over the pool X (N, d) with kernel groups `dims`.

    `proposed[i]` is the batch of iteration i from an earlier, interrupted run; it is
    re-used as is. New batches go to `on_propose(index, batch, info)` before they are
    evaluated, finished iterations to `on_iteration`. Deterministic given settings.seed."""
    settings.validate()
    X = np.asarray(X, dtype=float)
    n_pool = len(X)
    if n_pool == 0:
        raise InputError("the MOBO pool is empty")
    k = scaling.n_objectives
    iterations: list[Iteration] = []
    observed: list[int] = []
    Y_all = np.zeros((0, k))
    stop = ""
    while True:
        index = len(iterations)
        budget = settings.max_evaluations - len(observed)
        if index < len(proposed):
            batch, info = [int(i) for i in proposed[index]], {"replayed": True}
        else:
            if index > 0 and stalled(iterations, settings.patience):
                stop = f"no best value changed for {settings.patience} iterations"
            elif budget <= 0:
                stop = f"budget of {settings.max_evaluations} evaluations reached"
            elif index > settings.max_iterations:
                stop = f"{settings.max_iterations} iterations reached"
            elif len(observed) >= n_pool:
                stop = "pool exhausted"
            if stop:
                break
            info = {}
            if index == 0:
                batch = initial_design(n_pool, min(settings.initial_size, budget), settings.seed)
                info["strategy"] = "initial"
            else:
                batch = propose(settings.strategy, X, observed, Y_all, dims, z=min(settings.batch_size, budget),
                                seed=settings.seed + index, scaling=scaling, mc_samples=settings.mc_samples,
                                info=info)
            if on_propose is not None:
                on_propose(index, batch, info)
        Y = np.asarray(evaluate(batch), dtype=float).reshape(len(batch), k)
        before = best_values(Y_all) if len(Y_all) else [None] * k
        observed += batch
        Y_all = np.vstack([Y_all, Y])
        best = best_values(Y_all)
        improved = any(b is not None and (a is None or b > a) for a, b in zip(before, best))
        it = Iteration(index, batch, Y, best, improved, info)
        iterations.append(it)
        if on_iteration is not None:
            on_iteration(it)
    return LoopResult(iterations, stop)
