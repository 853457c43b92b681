"""Exact hypervolume and Pareto dominance, for MAXIMISATION of every objective.

The paper computed hypervolumes with PyGMO (its ref. 62), which minimises; here moocore's
exact algorithms (HV3D+ for 3 objectives, O(n log n)) with `maximise=True`, which is
the same as negating the points and the reference point.
"""

from __future__ import annotations

import numpy as np


def _as_points(Y) -> np.ndarray:
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y.reshape(1, -1) if Y.size else Y.reshape(0, 0)
    return Y


def hypervolume(Y, ref) -> float:
    """Volume of objective space dominated by the rows of Y and bounded below by `ref`
    (maximisation). Rows that do not strictly exceed `ref` in every objective add
    nothing; an empty set has volume 0."""
    import moocore

    Y = _as_points(Y)
    ref = np.asarray(ref, dtype=float).reshape(-1)
    if Y.size == 0:
        return 0.0
    if Y.shape[1] != ref.size:
        raise ValueError(f"points have {Y.shape[1]} objectives, reference point {ref.size}")
    Y = Y[np.all(np.isfinite(Y), axis=1) & np.all(Y > ref, axis=1)]
    if len(Y) == 0:
        return 0.0
    return float(moocore.hypervolume(Y, ref=ref, maximise=True))


def dominated_by(P, Q) -> np.ndarray:
    """Boolean (len(P),): row i of P is weakly dominated by some row of Q
    (q >= p in every objective, maximisation)."""
    P, Q = _as_points(P), _as_points(Q)
    if len(P) == 0 or Q.size == 0:
        return np.zeros(len(P), dtype=bool)
    return np.any(np.all(Q[None, :, :] >= P[:, None, :], axis=2), axis=1)


def pareto_mask(Y) -> np.ndarray:
    """Boolean (n,): the non-dominated rows of Y (maximisation). A row is dominated when
    another row is >= in every objective and > in at least one; equal rows are all kept.
    Rows with a NaN are never non-dominated."""
    Y = _as_points(Y)
    n = len(Y)
    if n == 0:
        return np.zeros(0, dtype=bool)
    finite = np.all(np.isfinite(Y), axis=1)
    mask = finite.copy()
    F = Y[finite]
    ge = np.all(F[None, :, :] >= F[:, None, :], axis=2)  # [i, j]: row j >= row i
    gt = np.any(F[None, :, :] > F[:, None, :], axis=2)  # [i, j]: row j > row i somewhere
    mask[finite] = ~np.any(ge & gt, axis=1)
    return mask
