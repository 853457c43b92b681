"""Descriptor reduction: each group (EN, VR, PF) to k latent variables by kernel PCA.

Paper ("Machine learning methods", refs. 57-59): "projecting each of the grouped
descriptor vectors (EN, VR, PF) down to 30 latent variables by kernel PCA"
(Schölkopf et al., Neural Comput. 10, 1299 (1998)). Here: scikit-learn KernelPCA with
an RBF kernel (gamma = 1 / number of non-constant columns) on standardised columns
(constant columns dropped), fitted on the whole candidate pool (unsupervised, so the
pool's own geometry sets the projection). k = min(n_components, n - 1).
"""

from __future__ import annotations

import numpy as np

from ipscreen.errors import InputError
from ipscreen.mobo.descriptors import GROUPS


def reduce(
    groups: dict[str, np.ndarray], n_components: int = 30, seed: int = 0
) -> tuple[np.ndarray, dict[str, list[int]]]:
    """Kernel PCA of each group in GROUPS order.

    Returns X (n, 3k), the groups' latent variables side by side, and dims
    {group: column indices of X} for the GP's active_dims."""
    from sklearn.decomposition import KernelPCA

    if n_components < 1:
        raise InputError("n_components must be >= 1")
    missing = [g for g in GROUPS if g not in groups]
    if missing:
        raise InputError(f"reduce: descriptor group(s) {', '.join(missing)} missing")
    n = len(groups[GROUPS[0]])
    if n < 2 or any(len(groups[g]) != n for g in GROUPS):
        raise InputError("reduce needs at least 2 compounds and equal row counts per group")
    k = min(n_components, n - 1)
    blocks, dims = [], {}
    for j, g in enumerate(GROUPS):
        A = np.asarray(groups[g], dtype=float)
        std = A.std(axis=0)
        keep = std > 1e-12
        Z = np.zeros((n, 1)) if not keep.any() else (A[:, keep] - A[:, keep].mean(0)) / std[keep]
        kpca = KernelPCA(
            n_components=k,
            kernel="rbf",
            gamma=1.0 / Z.shape[1],
            eigen_solver="dense",
            random_state=seed,
        )
        L = kpca.fit_transform(Z)
        if L.shape[1] < k:  # sklearn drops nothing with n_components set; guard anyway
            L = np.hstack([L, np.zeros((n, k - L.shape[1]))])
        blocks.append(L)
        dims[g] = list(range(j * k, (j + 1) * k))
    return np.hstack(blocks), dims
