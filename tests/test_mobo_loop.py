"""The MOBO loop: initial design, budget, stopping rule, replay after an interruption."""

import numpy as np
import pytest

from ipscreen.errors import InputError
from ipscreen.mobo.acquisition import Scaling
from ipscreen.mobo.loop import Iteration, LoopSettings, best_values, initial_design, run_loop, stalled
from ipscreen.mobo.objectives import BUILTIN, objectives_from_table, scaling_for

IDENTITY = Scaling(weights=(1.0, 1.0, 1.0), reference=(-5.0, -5.0, -5.0), log10=(False, False, False))


def _problem(n=60, seed=3):
    """A small deterministic 3-objective table over 2-D points (the oracle is a lookup)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 6))
    Y = np.column_stack([np.sin(3 * X[:, 0]) + X[:, 1], np.cos(2 * X[:, 2]) - X[:, 0], X[:, 3] * X[:, 4] - X[:, 5]])
    dims = {"EN": [0, 1], "VR": [2, 3], "PF": [4, 5]}
    return X, dims, Y


def _it(index, improved):
    return Iteration(index, [index], np.zeros((1, 3)), [0.0, 0.0, 0.0], improved)


def test_stopping_rule_counts_iterations_without_a_new_best():
    history = [_it(0, True), _it(1, True), _it(2, False), _it(3, False)]
    assert not stalled(history, 3)
    assert stalled(history + [_it(4, False)], 3)
    assert not stalled(history + [_it(4, True)], 3)
    assert not stalled(history + [_it(4, False)], 0)  # patience 0: never
    assert best_values(np.array([[1.0, np.nan], [2.0, np.nan]])) == [2.0, None]


def test_loop_stops_on_plateau_with_a_constant_oracle():
    X, dims, _ = _problem()
    seen = []

    def evaluate(batch):
        seen.extend(batch)
        return np.tile([1.0, 2.0, 3.0], (len(batch), 1))  # no batch can improve a best value

    settings = LoopSettings(strategy="random", initial_size=5, batch_size=4, patience=3, max_evaluations=100)
    result = run_loop(X, dims, evaluate, settings, IDENTITY)
    assert [len(it.batch) for it in result.iterations] == [5, 4, 4, 4]
    assert "no best value changed for 3 iterations" in result.stop_reason
    assert len(set(seen)) == len(seen) == 17


def test_loop_respects_budget_and_is_deterministic():
    X, dims, Y = _problem()
    settings = LoopSettings(strategy="uhvi", initial_size=8, batch_size=5, patience=0, max_evaluations=22, seed=7)
    a = run_loop(X, dims, lambda b: Y[b], settings, IDENTITY)
    b = run_loop(X, dims, lambda b: Y[b], settings, IDENTITY)
    assert a.order == b.order
    assert [len(it.batch) for it in a.iterations] == [8, 5, 5, 4]
    assert "budget of 22" in a.stop_reason
    assert a.iterations[0].batch == initial_design(len(X), 8, 7)
    other = run_loop(X, dims, lambda b: Y[b], LoopSettings(strategy="uhvi", initial_size=8, seed=8,
                                                              max_evaluations=8), IDENTITY)
    assert other.order != a.order[:8]


def test_replay_of_journalled_batches_gives_the_same_run():
    """What a resumed campaign does: the batches proposed before the crash are replayed, the rest proposed."""
    X, dims, Y = _problem()
    settings = LoopSettings(strategy="uhvi", initial_size=6, batch_size=4, patience=0, max_evaluations=26, seed=1)
    journal = []
    full = run_loop(X, dims, lambda b: Y[b], settings, IDENTITY, on_propose=lambda i, b, info: journal.append(b))
    assert len(journal) == len(full.iterations)
    calls = []

    def evaluate(batch):
        calls.append(list(batch))
        return Y[batch]

    resumed = run_loop(X, dims, evaluate, settings, IDENTITY, proposed=journal[:3])
    assert resumed.order == full.order
    assert [it.info.get("replayed", False) for it in resumed.iterations] == [True] * 3 + [False] * 3


def test_failed_evaluations_are_nan_and_never_repeated():
    X, dims, Y = _problem()
    Yf = Y.copy()
    Yf[::3, 1] = np.nan  # an oracle that fails on every third compound
    settings = LoopSettings(strategy="uhvi", initial_size=6, batch_size=4, patience=0, max_evaluations=18)
    result = run_loop(X, dims, lambda b: Yf[b], settings, IDENTITY)
    assert len(set(result.order)) == 18
    assert np.isnan(result.Y[:, 1]).any()


def test_settings_and_objectives_are_validated():
    with pytest.raises(InputError, match="strategy"):
        LoopSettings(strategy="ehvi").validate()
    with pytest.raises(InputError, match="batch_size"):
        LoopSettings(batch_size=0).validate()
    with pytest.raises(InputError, match="unknown objective"):
        objectives_from_table(["band_gap", "melting_point"])
    custom = objectives_from_table(["band_gap", "volume"], {"volume": {"stage": "stability", "key": "v",
                                                                       "direction": "min", "reference": -100.0}})
    assert custom[1].to_model(12.0) == -12.0 and custom[1].from_model(-12.0) == 12.0
    from ipscreen.campaign.mobo_stage import MoboSettings  # stages are known to the campaign, not to mobo/

    with pytest.raises(InputError, match="stage must be one of"):
        MoboSettings.from_table({"objectives": ["x"], "objective": {"x": {"stage": "nowhere", "key": "v"}}})
    with pytest.raises(InputError, match="stage must be one of"):  # window reads mobo: not an objective
        MoboSettings.from_table({"objectives": ["x"], "objective": {"x": {"stage": "window", "key": "oxidation_limit_v"}}})
    with pytest.raises(InputError, match="is a column of stage bvse"):
        MoboSettings.from_table({"objectives": ["x"], "objective": {"x": {"stage": "gap", "key": "bvse_barrier_ev"}}})


def test_paper_objectives_give_the_paper_scaling():
    from ipscreen.mobo.acquisition import PAPER_SCALING

    paper = objectives_from_table(["band_gap", "hydration", "conductivity"])
    assert scaling_for(paper) == PAPER_SCALING
    sigma = BUILTIN["conductivity"]
    assert sigma.to_model(1e-3) == pytest.approx(-3.0)
    assert np.isnan(sigma.to_model(0.0)) and np.isnan(sigma.to_model(None))


def test_campaign_mobo_table_is_validated_with_the_campaign_file():
    from ipscreen.campaign.config import Config, from_preset
    from ipscreen.campaign.mobo_stage import mobo_hash, mobo_settings

    with pytest.raises(InputError, match=r"unknown key\(s\) in \[mobo\]: stratgy"):
        Config.from_dict({"preset": "demo", "mobo": {"stratgy": "uhvi"}})
    with pytest.raises(InputError, match="unknown objective"):
        Config.from_dict({"preset": "demo", "mobo": {"objectives": ["band_gap", "colour"]}})
    paper = mobo_settings(from_preset("paper"))
    assert [o.name for o in paper.objectives] == ["band_gap", "hydration", "conductivity"]
    assert paper.loop.batch_size == 10 and paper.loop.patience == 3
    demo = from_preset("demo")
    # a different strategy or seed is a different run; the same settings hash the same
    assert mobo_hash(demo) == mobo_hash(demo, {"strategy": None})
    assert mobo_hash(demo) != mobo_hash(demo, {"strategy": "random"})
