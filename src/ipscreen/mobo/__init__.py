"""Multi-objective Bayesian optimisation core (paper Table 1, eqs. 7-23).

Import from the modules (no re-exports here: `reduce` and `hypervolume` are both a
module and a function of that name):

- descriptors: descriptors(structure), descriptor_matrix(structures) - EN, VR, PF histograms
- reduce: reduce(groups, n_components=30) - kernel PCA per group -> X, dims
- gp: fit(X, y, dims) -> Model (.predict), additive_kernel(dims), botorch_model(models)
- hypervolume: hypervolume(Y, ref), pareto_mask(Y) - maximisation
- acquisition: uhvi(...), select_batch(...), propose(strategy, ...), PAPER_SCALING

Pure functions on arrays and pymatgen Structures; no store, CLI or executor.
"""
