"""One Gaussian-process surrogate per objective with the paper's six-term additive kernel.

Paper eqs. 7-19: a GP with RBF kernel k = s^2 exp(-|x - x'|^2 / 2 l^2) (eq. 8), Gaussian
noise (eq. 9), hyperparameters by marginal-likelihood maximisation, and f decomposed
over the descriptor groups (eq. 13) with the sub-kernels (eqs. 14-19)

    k = s1 k_EN + s2 k_VR + s3 k_PF + s4 k_EN k_VR + s5 k_EN k_PF + s6 k_VR k_PF,

each k_G an isotropic RBF on that group's kernel-PCA latent variables (active_dims).
The product terms are "derived from" the primary ones (paper), so each group has one
lengthscale shared by its primary and product terms; every term has its own
amplitude s_F (a ScaleKernel). 3 lengthscales + 6 amplitudes + constant mean + noise.

Implementation: targets z-scored (mean, sample std); constant mean; Gaussian noise
variance >= 1e-6 (standardised units); no priors, i.e. type-II maximum likelihood as in
the paper. The exact negative log marginal likelihood and its analytic gradient are written
directly in numpy (float64, Cholesky) and minimised by scipy L-BFGS-B over log-hyperparameters from
deterministic starts (lengthscale = median pairwise distance of the group's training
inputs; a second start at twice that, the better optimum kept): ~10x faster than
fitting the same model through GPyTorch's lazy tensors. `Model.gp` builds the
equivalent BoTorch SingleTaskGP (GPyTorch kernel from `additive_kernel`,
Standardize outcome transform) for BoTorch acquisitions; its posterior equals
`Model.predict`. The caller passes log10(conductivity) for the conductivity objective.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ipscreen.errors import InputError
from ipscreen.mobo.descriptors import GROUPS

TERMS = (("EN",), ("VR",), ("PF",), ("EN", "VR"), ("EN", "PF"), ("VR", "PF"))


def additive_kernel(dims: dict[str, list[int]]):
    """The six-term additive kernel (gpytorch AdditiveKernel of six ScaleKernels, in
    TERMS order). `kernel.base` maps group -> its shared RBFKernel."""
    import torch
    from gpytorch.kernels import AdditiveKernel, ProductKernel, RBFKernel, ScaleKernel

    missing = [g for g in GROUPS if g not in dims or len(dims[g]) == 0]
    if missing:
        raise InputError(f"additive_kernel: no dims for group(s) {', '.join(missing)}")
    base = {
        g: RBFKernel(active_dims=torch.tensor(dims[g], dtype=torch.long)).to(torch.float64)
        for g in GROUPS
    }
    parts = []
    for term in TERMS:
        inner = base[term[0]] if len(term) == 1 else ProductKernel(*(base[g] for g in term))
        parts.append(ScaleKernel(inner).to(torch.float64))
    kernel = AdditiveKernel(*parts)
    kernel.base = base  # plain attribute: the modules are already registered via parts
    return kernel


def _sqdist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def _median_distance(X: np.ndarray) -> float:
    if len(X) < 2:
        return 1.0
    d = np.sqrt(_sqdist(X, X)[np.triu_indices(len(X), 1)])
    d = d[d > 1e-12]
    return float(np.median(d)) if d.size else 1.0


def _combine(K_g: dict, scales):
    """sum_F s_F prod_{g in F} K_g (numpy or torch)."""
    K = 0.0
    for s, term in zip(scales, TERMS):
        prod = K_g[term[0]]
        for g in term[1:]:
            prod = prod * K_g[g]
        K = K + float(s) * prod
    return K


def _kernel_matrix(D: dict[str, np.ndarray], lengthscale, scales) -> np.ndarray:
    """sum_F s_F prod_{g in F} exp(-D_g / 2 l_g^2), from squared distances D_g."""
    return _combine({g: np.exp(-0.5 * D[g] / lengthscale[j] ** 2) for j, g in enumerate(GROUPS)}, scales)


@dataclass
class Model:
    """A fitted GP for one objective. Hyperparameters (standardised target units):
    lengthscale (3, GROUPS order), scales (6, TERMS order), noise, mean."""

    X: np.ndarray
    y: np.ndarray
    dims: dict[str, list[int]]
    lengthscale: np.ndarray
    scales: np.ndarray
    noise: float
    mean: float
    y_mean: float
    y_std: float
    nll: float
    _cache: tuple | None = field(default=None, repr=False)
    _gp: object = field(default=None, repr=False)

    def _dist(self, A: np.ndarray, B: np.ndarray) -> dict[str, np.ndarray]:
        return {g: _sqdist(A[:, self.dims[g]], B[:, self.dims[g]]) for g in GROUPS}

    def predict(self, Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent objective (eqs. 11-12, no
        noise term) in the original units of y, for the rows of Xc."""
        from scipy.linalg import cho_solve, cholesky, solve_triangular

        Xc = np.asarray(Xc, dtype=np.float64)
        if Xc.ndim != 2 or len(Xc) == 0:
            return np.zeros(len(Xc)), np.zeros(len(Xc))
        if self._cache is None:
            K = _kernel_matrix(self._dist(self.X, self.X), self.lengthscale, self.scales)
            L = cholesky(K + self.noise * np.eye(len(K)), lower=True)
            r = (self.y - self.y_mean) / self.y_std - self.mean
            self._cache = (L, cho_solve((L, True), r))
        L, alpha = self._cache
        Ks = _kernel_matrix(self._dist(Xc, self.X), self.lengthscale, self.scales)
        mu = self.mean + Ks @ alpha
        V = solve_triangular(L, Ks.T, lower=True)
        var = np.maximum(self.scales.sum() - (V * V).sum(0), 0.0)  # k(x, x) = sum of scales
        return self.y_mean + self.y_std * mu, self.y_std * np.sqrt(var)

    def hyperparameters(self) -> dict[str, float]:
        """Fitted hyperparameters in standardised target units (for logging)."""
        out = {f"lengthscale_{g}": float(v) for g, v in zip(GROUPS, self.lengthscale)}
        out.update({"scale_" + "*".join(t): float(v) for t, v in zip(TERMS, self.scales)})
        out.update(noise=float(self.noise), mean=float(self.mean), neg_log_ml_per_point=self.nll)
        return out

    @property
    def gp(self):
        """The same model as a BoTorch SingleTaskGP (built on first use, eval mode)."""
        if self._gp is None:
            import torch
            from botorch.models import SingleTaskGP
            from botorch.models.transforms.outcome import Standardize
            from gpytorch.constraints import GreaterThan
            from gpytorch.likelihoods import GaussianLikelihood

            kernel = additive_kernel(self.dims)
            for g, ls in zip(GROUPS, self.lengthscale):
                kernel.base[g].lengthscale = float(ls)
            for part, s in zip(kernel.kernels, self.scales):
                part.outputscale = float(s)
            likelihood = GaussianLikelihood(noise_constraint=GreaterThan(1e-7)).to(torch.float64)
            likelihood.noise = float(self.noise)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gp = SingleTaskGP(
                    torch.as_tensor(self.X),
                    torch.as_tensor(self.y).unsqueeze(-1),
                    likelihood=likelihood,
                    covar_module=kernel,
                    outcome_transform=Standardize(m=1),
                )
            gp.mean_module.constant = float(self.mean)
            gp.eval()
            self._gp = gp
        return self._gp


def _neg_log_ml(theta, D, r):
    """Exact negative log marginal likelihood per point and its analytic gradient with
    respect to theta = (log l (3), log s (6), log noise, mean):
    d/dθ = 0.5 tr((K^-1 - a a^T) dK/dθ) / n with a = K^-1 (r - c)."""
    from scipy.linalg import cho_factor, cho_solve

    n = len(r)
    ls, sc, noise, c = np.exp(theta[0:3]), np.exp(theta[3:9]), np.exp(theta[9]), theta[10]
    K_g = {g: np.exp(-0.5 * D[g] / ls[j] ** 2) for j, g in enumerate(GROUPS)}
    P = []
    for term in TERMS:
        prod = K_g[term[0]]
        for g in term[1:]:
            prod = prod * K_g[g]
        P.append(prod)
    K = sum(s * p for s, p in zip(sc, P))
    K[np.diag_indices(n)] += noise
    try:
        cf = cho_factor(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    res = r - c
    a = cho_solve(cf, res, check_finite=False)
    nll = (0.5 * res @ a + np.log(np.diag(cf[0])).sum()) / n + 0.5 * np.log(2 * np.pi)
    W = cho_solve(cf, np.eye(n), check_finite=False) - np.outer(a, a)
    grad = np.zeros_like(theta)
    WP = [(W * p).sum() for p in P]
    for f, s in enumerate(sc):
        grad[3 + f] = 0.5 * s * WP[f]
    for j, g in enumerate(GROUPS):
        dK = sum(s * p for s, p, t in zip(sc, P, TERMS) if g in t) * (D[g] / ls[j] ** 2)
        grad[j] = 0.5 * (W * dK).sum()
    grad[9] = 0.5 * noise * np.trace(W)
    grad[10] = -a.sum()
    return float(nll), grad / n


def fit(X: np.ndarray, y: np.ndarray, dims: dict[str, list[int]], seed: int = 0) -> Model:
    """Fit one GP to (X, y) by exact marginal-likelihood maximisation. Deterministic:
    the starts are fixed, so `seed` is only kept for a uniform interface."""
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if X.ndim != 2 or len(X) != len(y) or len(y) < 2:
        raise InputError("gp.fit needs X (n, d) and y (n,) with n >= 2")
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(X)):
        raise InputError("gp.fit: X and y must be finite")
    missing = [g for g in GROUPS if g not in dims or len(dims[g]) == 0]
    if missing:
        raise InputError(f"gp.fit: no dims for group(s) {', '.join(missing)}")
    dims = {g: list(dims[g]) for g in GROUPS}
    y_mean, y_std = float(y.mean()), float(y.std(ddof=1))
    if not y_std > 1e-8:
        y_std = 1.0
    r = (y - y_mean) / y_std
    D = {g: _sqdist(X[:, dims[g]], X[:, dims[g]]) for g in GROUPS}
    med = np.array([max(_median_distance(X[:, dims[g]]), 1e-3) for g in GROUPS])
    log_scales = np.log([0.5 if len(t) == 1 else 0.2 for t in TERMS])
    bounds = (
        [(np.log(m) - np.log(1e3), np.log(m) + np.log(1e3)) for m in med]
        + [(np.log(1e-6), np.log(1e2))] * 6
        + [(np.log(1e-6), np.log(10.0))]
        + [(-5.0, 5.0)]
    )
    best = None
    for factor in (1.0, 2.0):
        theta0 = np.concatenate([np.log(med * factor), log_scales, [np.log(1e-2)], [0.0]])
        res = minimize(
            _neg_log_ml, theta0, args=(D, r), jac=True, method="L-BFGS-B", bounds=bounds,
            options={"maxiter": 200},
        )
        if best is None or res.fun < best.fun:
            best = res
    th = best.x
    return Model(
        X=X, y=y, dims=dims, lengthscale=np.exp(th[0:3]), scales=np.exp(th[3:9]),
        noise=float(np.exp(th[9])), mean=float(th[10]), y_mean=y_mean, y_std=y_std,
        nll=float(best.fun),
    )


def botorch_model(models: list[Model]):
    """The fitted GPs as one BoTorch model with independent outputs (for BoTorch
    acquisition functions). Its posterior is the exact GP posterior of each Model in
    original units, computed from the cached Cholesky factors with broadcast matrix
    products, once per distinct input row: GPyTorch's ExactGP re-evaluates the training
    block for every candidate batch, which made qLogNEHVI over 1,500 candidates take
    minutes. Meant for discrete candidate sets (no gradients through torch.unique)."""
    import torch
    from botorch.models.model import Model as BoTorchModel
    from botorch.posteriors.gpytorch import GPyTorchPosterior
    from gpytorch.distributions import MultitaskMultivariateNormal, MultivariateNormal

    for m in models:
        m.predict(m.X[:1])  # fills the Cholesky cache

    class _IndependentGPs(BoTorchModel):
        def __init__(self):
            super().__init__()
            self._parts = []
            for m in models:
                L, alpha = m._cache
                self._parts.append(
                    dict(
                        Xtr=torch.as_tensor(m.X),
                        L=torch.as_tensor(L),
                        alpha=torch.as_tensor(alpha),
                        idx={g: torch.as_tensor(m.dims[g], dtype=torch.long) for g in GROUPS},
                        ls=m.lengthscale, scales=m.scales, mean=m.mean,
                        y_mean=m.y_mean, y_std=m.y_std,
                    )
                )

        @property
        def num_outputs(self) -> int:
            return len(models)

        @property
        def batch_shape(self) -> torch.Size:
            return torch.Size([])

        @staticmethod
        def _k(p, A, B):
            K_g = {}
            for j, g in enumerate(GROUPS):
                a, b = A[..., p["idx"][g]], B[..., p["idx"][g]]
                d = (a * a).sum(-1, keepdim=True) + (b * b).sum(-1).unsqueeze(-2)
                d = (d - 2.0 * a @ b.transpose(-1, -2)).clamp_min(0.0)
                K_g[g] = torch.exp(-0.5 * d / float(p["ls"][j]) ** 2)
            return _combine(K_g, p["scales"])

        def posterior(
            self, X, output_indices=None, observation_noise=False, posterior_transform=None, **kwargs
        ):
            X = X.to(torch.float64)
            idx = range(len(models)) if output_indices is None else output_indices
            mvns = []
            # qLogNEHVI asks for the joint posterior of (baseline, candidate) for every
            # candidate: the cross-covariances are computed once per distinct row.
            # The joint covariance of the distinct rows is built once (U x U) and
            # gathered per batch, unless U is too large for that.
            flat = X.reshape(-1, X.shape[-1])
            uniq, inverse = torch.unique(flat, dim=0, return_inverse=True)
            inv = inverse.reshape(X.shape[:-1])  # (..., q)
            for i in idx:
                p = self._parts[i]
                Ks_u = self._k(p, uniq, p["Xtr"])  # (U, n)
                Vt_u = torch.linalg.solve_triangular(p["L"], Ks_u.T, upper=False).T  # (U, n)
                mean = (p["mean"] + Ks_u @ p["alpha"])[inv]
                if len(uniq) <= 4000:
                    cov_u = self._k(p, uniq, uniq) - Vt_u @ Vt_u.T
                    cov = cov_u[inv.unsqueeze(-1), inv.unsqueeze(-2)]
                else:
                    Vt = Vt_u[inv]  # (..., q, n)
                    cov = self._k(p, X, X) - Vt @ Vt.transpose(-1, -2)
                cov = 0.5 * (cov + cov.transpose(-1, -2))
                cov = cov + 1e-9 * torch.eye(cov.shape[-1], dtype=cov.dtype)
                s = p["y_std"]
                mvns.append(MultivariateNormal(p["y_mean"] + s * mean, (s * s) * cov))
            mvn = mvns[0] if len(mvns) == 1 else MultitaskMultivariateNormal.from_independent_mvns(mvns)
            post = GPyTorchPosterior(mvn)
            return posterior_transform(post) if posterior_transform is not None else post

    return _IndependentGPs()
