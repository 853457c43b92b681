"""Tests of the MOBO benchmark on the shipped table (data/mobo_benchmark.npz)."""

from __future__ import annotations

import numpy as np
import pytest

from ipscreen.mobo.benchmark import metrics, problems, run_benchmark, synthetic_objectives


@pytest.fixture(scope="module")
def probs():
    return problems()


def test_problems_load_with_consistent_shapes(probs):
    assert set(probs) == {"ip-cheap-properties", "synthetic"}
    for p in probs.values():
        n, d = p.X.shape
        assert n >= 600 and p.Y.shape == (n, 3)
        assert np.all(np.isfinite(p.X)) and np.all(np.isfinite(p.Y))
        assert sorted(i for cols in p.dims.values() for i in cols) == list(range(d))
        assert p.scaling.n_objectives == 3
        assert np.all(p.scaling.apply(p.Y) > np.asarray(p.scaling.reference))  # every point counts
        assert 0 < len(p.pareto) < n
    assert np.array_equal(probs["synthetic"].X, probs["ip-cheap-properties"].X)


def test_synthetic_is_deterministic_standardised_and_conflicting(probs):
    p = probs["synthetic"]
    again = synthetic_objectives(p.X, p.dims)
    assert np.array_equal(again, p.Y)
    assert np.allclose(p.Y.mean(0), 0.0, atol=1e-9) and np.allclose(p.Y.std(0), 1.0)
    corr = np.corrcoef(p.Y.T)[np.triu_indices(3, 1)]
    assert np.all(corr < 0)


def test_metrics_bounds_full_pool_and_monotone(probs):
    rng = np.random.default_rng(1)
    for p in probs.values():
        n = len(p.X)
        order = rng.permutation(n)
        budgets = (10, 50, 200, n)
        m = metrics(p, order, budgets)
        hv = [m["hv_fraction"][str(b)] for b in budgets]
        rec = [m["pareto_recall"][str(b)] for b in budgets]
        assert all(0.0 <= v <= 1.0 + 1e-12 for v in hv + rec)
        assert hv == sorted(hv) and rec == sorted(rec)
        assert hv[-1] == pytest.approx(1.0) and rec[-1] == 1.0
        # the true Pareto set alone has the whole hypervolume
        front = metrics(p, p.pareto, (len(p.pareto),))
        assert front["hv_fraction"][str(len(p.pareto))] == pytest.approx(1.0)
        assert front["pareto_recall"][str(len(p.pareto))] == 1.0


def test_run_benchmark_layout_and_determinism(probs):
    small = {"ip-cheap-properties": probs["ip-cheap-properties"]}
    kwargs = dict(strategies=("uhvi", "random"), seeds=range(2), budgets=(10, 20))
    first = run_benchmark(small, **kwargs)
    second = run_benchmark(small, **kwargs)
    block = first["problems"]["ip-cheap-properties"]
    assert set(block) == {"uhvi", "random"}
    for _strategy, entry in block.items():
        for key in ("hv_fraction", "pareto_recall", "enhancement_factor"):
            assert set(entry[key]) == {"10", "20"}
        assert all(0 <= v <= 1 for v in entry["hv_fraction"].values())
    # identical initial design: after 10 evaluations every strategy has the same set
    assert block["uhvi"]["hv_fraction"]["10"] == block["random"]["hv_fraction"]["10"]
    assert block["uhvi"]["enhancement_factor"]["10"] == pytest.approx(1.0)
    assert all(v == pytest.approx(1.0) for v in block["random"]["enhancement_factor"].values())

    def strip(r):
        return {name: {s: {k: v for k, v in e.items() if k != "seconds"} for s, e in b.items()}
                for name, b in r["problems"].items()}

    assert strip(first) == strip(second)


def test_benchmark_cli_prints_the_issue_layout():
    import json

    from conftest import run_cli

    out = run_cli("mobo", "benchmark", "--json", "--seeds", "2", "--strategies", "uhvi,random",
                  "--problems", "ip-cheap-properties", "--budgets", "10,20")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    per_strategy = result["problems"]["ip-cheap-properties"]
    assert set(per_strategy) == {"uhvi", "random"}
    for m in per_strategy.values():
        for key in ("hv_fraction", "pareto_recall", "enhancement_factor"):
            assert set(m[key]) == {"10", "20"}
        assert 0 < m["hv_fraction"]["10"] <= m["hv_fraction"]["20"] <= 1
    assert per_strategy["random"]["enhancement_factor"]["20"] == pytest.approx(1.0)
    bad = run_cli("mobo", "benchmark", "--problems", "nope")
    assert bad.returncode == 2 and "unknown problem" in bad.stderr
