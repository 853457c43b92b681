"""Tests of the MOBO core: descriptors, kernel PCA, GP, hypervolume, acquisition."""

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from ipscreen.errors import InputError
from ipscreen.mobo.acquisition import PAPER_SCALING, Scaling, propose, select_batch, uhvi
from ipscreen.mobo.descriptors import descriptor_lengths, descriptor_matrix, descriptors
from ipscreen.mobo.gp import TERMS, additive_kernel, botorch_model, fit
from ipscreen.mobo.hypervolume import hypervolume, pareto_mask
from ipscreen.mobo.reduce import reduce

IDENTITY = Scaling(weights=(1.0, 1.0, 1.0), reference=(0.0, 0.0, 0.0), log10=(False, False, False))


@pytest.fixture(scope="module")
def li3ocl():
    return Structure.from_spacegroup(
        "Pm-3m", Lattice.cubic(3.91), ["O", "Cl", "Li"], [[0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0.5, 0]]
    )


@pytest.fixture(scope="module")
def li6o2clbr(li3ocl):
    """Li3OCl doubled along a, one Cl -> Br, lattice at the Vegard mean of Li3OCl (3.91 Å)
    and Li3OBr (4.02 Å) as a relaxed cell would have: Voronoi cells are pure geometry."""
    s = li3ocl.copy()
    s.make_supercell([2, 1, 1])
    s.replace([i for i, site in enumerate(s) if site.specie.symbol == "Cl"][0], "Br")
    s.scale_lattice(s.volume * (3.965 / 3.91) ** 3)
    return s


def _dims(k):
    return {"EN": list(range(k)), "VR": list(range(k, 2 * k)), "PF": list(range(2 * k, 3 * k))}


# --- hypervolume --------------------------------------------------------------------


def test_hypervolume_2d_staircase():
    front = [[1, 3], [2, 2], [3, 1]]
    assert hypervolume(front, [0, 0]) == pytest.approx(6.0)
    # a dominated point and a point outside the reference box add nothing
    assert hypervolume(front + [[1, 1], [-1, 5]], [0, 0]) == pytest.approx(6.0)
    assert hypervolume(np.zeros((0, 2)), [0, 0]) == 0.0


def test_hypervolume_3d_inclusion_exclusion():
    assert hypervolume([[1, 1, 1]], [0, 0, 0]) == pytest.approx(1.0)
    assert hypervolume([[2, 1, 1], [1, 2, 1]], [0, 0, 0]) == pytest.approx(3.0)
    # 2 + 2 + 2 - 1 - 1 - 1 + 1
    assert hypervolume([[2, 1, 1], [1, 2, 1], [1, 1, 2]], [0, 0, 0]) == pytest.approx(4.0)
    # the paper's reference point (0, -10, 0)
    assert hypervolume([[1.0, -9.0, 2.0]], [0.0, -10.0, 0.0]) == pytest.approx(2.0)


def test_pareto_mask_hand_example():
    Y = [[1, 2], [2, 1], [1, 1], [2, 1], [0, 3], [np.nan, 5]]
    assert pareto_mask(Y).tolist() == [True, True, False, True, True, False]


# --- acquisition -----------------------------------------------------------------------


def test_uhvi_zero_when_dominated_positive_otherwise():
    Y_obs = np.array([[1.0, 1.0, 1.0]])
    mean = np.array([[0.5, 0.5, 0.5], [2.0, 1.0, 1.0], [0.5, 0.5, 0.5]])
    std = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    scores = uhvi(mean, std, Y_obs, scaling=IDENTITY)
    assert scores[0] == 0.0
    assert scores[1] == pytest.approx(1.0)  # 2*1*1 - 1
    assert scores[2] == pytest.approx(1.5**3 - 1.0)  # optimistic g = mu + sigma


def test_paper_scaling_and_uhvi_in_paper_units():
    # eqs. 21-23 in maximisation form: (E_g, E_h / 100, 10 * Lambda), Lambda from log10
    assert PAPER_SCALING.apply([[4.0, -50.0, -3.0]]) == pytest.approx(np.array([[4.0, -0.5, 0.01]]))
    Y_obs = np.array([[4.7, -33.0, -3.0], [3.4, -87.0, np.log10(0.78)]])
    dominated = [[3.0, -90.0, -4.0]]
    better_gap = [[5.0, -33.0, -3.0]]
    s = uhvi(np.array(dominated + better_gap), np.zeros((2, 3)), Y_obs)
    assert s[0] == 0.0 and s[1] > 0.0


def test_select_batch_top_z_with_ties_and_exclusions():
    scores = np.array([0.0, 3.0, 1.0, 3.0, 0.0, np.nan])
    assert select_batch(scores, 3, exclude=[3]) == [1, 2, 0]
    assert select_batch(scores, 3, secondary=[5, 0, 0, 0, -1, 0]) == [1, 3, 2]
    assert select_batch(scores, 6, secondary=[5, 0, 0, 0, -1, 0])[3:] == [4, 0, 5]


# --- GP -------------------------------------------------------------------------------


def test_additive_kernel_is_the_sum_of_its_six_parts():
    import torch

    rng = np.random.default_rng(3)
    X = rng.normal(size=(9, 6))
    dims = _dims(2)
    kernel = additive_kernel(dims)
    ls = {"EN": 0.7, "VR": 1.3, "PF": 2.1}
    for g, v in ls.items():
        kernel.base[g].lengthscale = v
    scales = [0.3, 0.5, 0.7, 0.11, 0.13, 0.17]
    for part, s in zip(kernel.kernels, scales):
        part.outputscale = s
    # read back: GPyTorch stores them through a softplus, not bit-exact
    ls = {g: kernel.base[g].lengthscale.item() for g in ls}
    scales = [part.outputscale.item() for part in kernel.kernels]
    Xt = torch.as_tensor(X)
    with torch.no_grad():
        K = kernel(Xt).to_dense().numpy()
        parts = [part(Xt).to_dense().numpy() for part in kernel.kernels]
    assert len(parts) == 6
    np.testing.assert_allclose(K, sum(parts), rtol=1e-12, atol=1e-12)

    def rbf(g):  # eq. 8 with unit amplitude, on the group's columns only
        A = X[:, dims[g]]
        d2 = ((A[:, None, :] - A[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * ls[g] ** 2))

    for part, s, term in zip(parts, scales, TERMS):
        expected = s * np.prod([rbf(g) for g in term], axis=0)
        np.testing.assert_allclose(part, expected, rtol=1e-10, atol=1e-12)


def _smooth(X):
    return np.sin(X[:, 0]) + 0.5 * X[:, 2] - np.cos(X[:, 5]) + 0.3 * X[:, 1] * X[:, 3]


def test_gp_fit_interpolates_and_matches_botorch_posterior():
    import torch

    rng = np.random.default_rng(0)
    X = rng.uniform(-1.5, 1.5, size=(60, 6))
    y = 10.0 + 3.0 * _smooth(X)  # non-standardised units on purpose
    model = fit(X, y, _dims(2), seed=0)
    mean, std = model.predict(X)
    rmse = np.sqrt(np.mean((mean - y) ** 2))
    assert rmse < 0.05 * y.std()  # far better than predicting the mean
    Xt = rng.uniform(-1.5, 1.5, size=(40, 6))
    mt, st = model.predict(Xt)
    yt = 10.0 + 3.0 * _smooth(Xt)
    assert np.sqrt(np.mean((mt - yt) ** 2)) < 0.3 * yt.std()
    assert np.all(st >= 0) and st.mean() > std.mean()  # less certain away from the data
    # the same model through GPyTorch/BoTorch, and through the fast BoTorch view
    with torch.no_grad():
        post = model.gp.posterior(torch.as_tensor(Xt))
        np.testing.assert_allclose(post.mean.squeeze(-1).numpy(), mt, rtol=1e-6, atol=1e-6 * y.std())
        np.testing.assert_allclose(post.variance.sqrt().squeeze(-1).numpy(), st, rtol=1e-4, atol=1e-4)
        fast = botorch_model([model]).posterior(torch.as_tensor(Xt).unsqueeze(-2))
        np.testing.assert_allclose(fast.mean.reshape(-1).numpy(), mt, rtol=1e-9, atol=1e-9)
        # joint posteriors of (shared baseline rows + one candidate), as qLogNEHVI asks
        base = torch.as_tensor(X[:5]).expand(4, 5, 6)
        Xb = torch.cat([base, torch.as_tensor(Xt[:4]).unsqueeze(-2)], dim=-2)  # (4, 6, 6)
        ref_cov = model.gp.posterior(Xb).mvn.covariance_matrix.numpy()
        got_cov = botorch_model([model]).posterior(Xb).mvn.covariance_matrix.numpy()
        np.testing.assert_allclose(got_cov, ref_cov, rtol=1e-4, atol=1e-6 * y.var())
    # deterministic
    again = fit(X, y, _dims(2), seed=0)
    assert np.array_equal(again.predict(Xt)[0], mt)


# --- descriptors and reduction ------------------------------------------------------------


def test_descriptor_lengths_fixed_values_differ(li3ocl, li6o2clbr):
    a, b = descriptors(li3ocl), descriptors(li6o2clbr)
    lengths = descriptor_lengths()
    for g in ("EN", "VR", "PF"):
        assert a[g].shape == b[g].shape == (lengths[g],)
        assert np.all(np.isfinite(a[g])) and np.all(a[g] >= 0)
        assert not np.allclose(a[g], b[g]), g
    # histograms are per atom: a supercell of the same compound has the same descriptors
    sc = li3ocl.copy()
    sc.make_supercell([1, 2, 1])
    c = descriptors(sc)
    for g in ("EN", "VR", "PF"):
        np.testing.assert_allclose(c[g], a[g], atol=1e-9)
    # Li3OCl: atom-EN histogram 3/5 Li, 1/5 O, 1/5 Cl
    assert sorted(np.round(a["EN"][:40][a["EN"][:40] > 0], 6)) == [0.2, 0.2, 0.6]


def test_descriptors_of_a_relaxed_cell_with_sites_just_outside_the_cell(li6o2clbr):
    """Relaxed cells store coordinates such as -1e-9; pymatgen's Voronoi finds no neighbours for
    such a site unless the coordinates are wrapped first."""
    frac = li6o2clbr.frac_coords.copy()
    frac[frac == 0.0] = -1e-9
    shifted = Structure(li6o2clbr.lattice, li6o2clbr.species, frac, coords_are_cartesian=False)
    a, b = descriptors(shifted), descriptors(li6o2clbr)
    for g in ("EN", "VR", "PF"):
        np.testing.assert_allclose(a[g], b[g], atol=1e-6)


def test_descriptors_reject_foreign_elements(li3ocl):
    s = li3ocl.copy()
    s.replace(0, "Na")
    with pytest.raises(InputError, match="Na"):
        descriptors(s)


def test_descriptor_matrix_and_kernel_pca_shapes(li3ocl, li6o2clbr):
    calls = []
    groups = descriptor_matrix([li3ocl, li6o2clbr], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 2), (2, 2)]
    assert groups["PF"].shape == (2, descriptor_lengths()["PF"])
    rng = np.random.default_rng(0)
    pool = {g: rng.random((45, n)) for g, n in descriptor_lengths().items()}
    X, dims = reduce(pool, n_components=30)
    assert X.shape == (45, 90)
    assert dims["VR"] == list(range(30, 60))
    X_small, dims_small = reduce({g: v[:12] for g, v in pool.items()})
    assert X_small.shape == (12, 33) and dims_small["PF"] == list(range(22, 33))
    assert np.array_equal(reduce(pool)[0], X)


# --- propose --------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["uhvi", "qlognehvi", "random"])
def test_propose_returns_distinct_unobserved_and_is_deterministic(strategy):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 12))
    Y = np.column_stack(
        [3.5 + np.sin(X[:, 0]), -50 + 30 * np.cos(X[:, 4]), -3 + np.tanh(X[:, 8]) + 0.3 * X[:, 1]]
    )
    observed = list(range(0, 60, 4))
    exclude = [1, 2]
    kwargs = dict(z=5, seed=7, exclude=exclude, mc_samples=16)
    info = {}
    picks = propose(strategy, X, observed, Y[observed], _dims(4), info=info, **kwargs)
    assert len(picks) == 5 == len(set(picks))
    assert not set(picks) & (set(observed) | set(exclude))
    assert all(0 <= i < 60 for i in picks)
    assert propose(strategy, X, observed, Y[observed], _dims(4), **kwargs) == picks
    assert info["strategy"] == strategy and info["seconds"] >= 0


def test_propose_rejects_bad_input():
    X = np.zeros((5, 3))
    with pytest.raises(InputError, match="strategy"):
        propose("ehvi", X, [0], [[1, 2, 3]], _dims(1), z=2)
    with pytest.raises(InputError, match="duplicates"):
        propose("random", X, [0, 0], [[1, 2, 3]] * 2, _dims(1), z=2)
