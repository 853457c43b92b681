"""A toy compound stage and a toy whole-campaign stage, declared here only, run through the
real runner on a real (tiny) campaign store: results stored, a rerun computes nothing, an
interrupted run resumes."""

from dataclasses import dataclass, replace

import pytest

from conftest import TINY_CAMPAIGN
from ipscreen.campaign.runner import open_campaign, plan, run
from ipscreen.campaign.stage import Stage
from ipscreen.campaign.stages import DEFAULT, REGISTRY, ordered, stage_hash
from ipscreen.campaign.store import Store
from ipscreen.errors import InputError, StoreError
from ipscreen.records import StageOutput

CALLS: list[str] = []


@dataclass(frozen=True)
class DensitySettings:
    scale: float = 1.0


def density(structure, settings: DensitySettings, *, seed: int = 0) -> dict:
    """Toy compound calc: mass density (g/cm^3) of the structure it is given."""
    CALLS.append(structure.composition.reduced_formula)
    if len(CALLS) == 3 and INTERRUPT:
        raise KeyboardInterrupt  # an interruption in the middle of the stage
    return {"toy_density_g_per_cm3": settings.scale * float(structure.density), "toy_seed": seed}


def densest(inp) -> StageOutput:
    """Toy whole-campaign step: rank every compound by the toy density."""
    values = {cid: r["data"]["toy_density_g_per_cm3"] for cid, r in inp.inputs["toy_density"].items()
              if r["status"] == "done"}
    order = sorted(values, key=values.get, reverse=True)
    rows = [(cid, "done", {"toy_rank": order.index(cid) + 1}, "") for cid in order]
    return StageOutput(rows, {"ranked": len(rows)})


INTERRUPT = False
TOYS = (
    Stage("toy_density", "compound", "toy: density", function=density, inputs=("relax",), pool=(),
          settings=DensitySettings, columns=("toy_density_g_per_cm3",)),
    Stage("toy_rank", "campaign", "toy: rank", function=densest, inputs=("toy_density",), columns=("toy_rank",)),
)


@pytest.fixture
def campaign(tmp_path):
    """A tiny campaign whose `relax` results are the starting structures (no model needed for toys)."""
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "campaign.toml").write_text(TINY_CAMPAIGN)
    run(folder, stages=["space"])
    from ipscreen.campaign.runner import open_campaign

    config, store = open_campaign(folder)
    with store:
        h = stage_hash(config, "relax")
        ids = [r["id"] for r in store.compound_rows()]
        rows = [(cid, "converged", {"structure": s, "energy_ev_per_atom": -1.0}, "")
                for cid, s in store.structures(ids).items()]
        store.write_results("relax", h, rows)
    return folder, ids


def _toy_rows(folder):
    with Store(folder) as store:
        return {stage: n for stage, _h, _s, n in store.result_counts() if stage.startswith("toy")}


def test_toy_stages_run_store_and_rerun_nothing(campaign):
    folder, ids = campaign
    registry = REGISTRY + TOYS
    CALLS.clear()
    with pytest.raises(StoreError, match="no toy_density results"):  # its input must have run first
        run(folder, stages=["toy_rank"], registry=registry)
    summary = run(folder, stages=["toy_density", "toy_rank"], ids=ids, registry=registry)
    assert summary["toy_density"]["computed"] == len(ids) == len(CALLS) == 5
    assert summary["toy_rank"]["ranked"] == summary["toy_rank"]["computed"] == 5
    assert _toy_rows(folder) == {"toy_density": 5, "toy_rank": 5}
    CALLS.clear()
    again = run(folder, stages=["toy_density", "toy_rank"], ids=ids, registry=registry)
    assert again["toy_density"]["computed"] == 0 and CALLS == []
    assert again["toy_rank"]["computed"] == 0  # complete with these settings: not run again
    with Store(folder) as store:  # the same input result written again is no change: nothing reruns
        h = stage_hash(open_campaign(folder)[0], "toy_density", registry)
        same = store.results("toy_density", h)[ids[1]]
        store.write_results("toy_density", h, [(ids[1], same["status"], same["data"], same["reason"])])
    assert run(folder, stages=["toy_rank"], registry=registry)["toy_rank"]["computed"] == 0
    with pytest.raises(InputError, match="unknown compound"):  # ids are checked for every kind of stage
        run(folder, stages=["toy_rank"], ids=["ninf-000000000000"], registry=registry)
    with Store(folder) as store:  # an input value changes: the campaign step reruns
        changed = dict(same["data"], toy_density_g_per_cm3=100.0)
        store.write_results("toy_density", h, [(ids[1], "done", changed, "")])
    rerun = run(folder, stages=["toy_rank"], registry=registry)
    assert rerun["toy_rank"]["computed"] == 5
    with Store(folder) as store:
        assert store.results("toy_rank", stage_hash(open_campaign(folder)[0], "toy_rank", registry))[ids[1]][
            "data"] == {"toy_rank": 1}
        store.conn.execute("DELETE FROM results WHERE stage = 'toy_density' AND compound_id = ?", (ids[1],))
        store.conn.commit()
    with pytest.raises(StoreError, match="1 compound"):  # an input result is missing: it must be computed first
        run(folder, stages=["toy_rank"], registry=registry)
    CALLS.clear()
    third = run(folder, stages=["toy_density", "toy_rank"], ids=ids, registry=registry)
    assert third["toy_density"]["computed"] == len(CALLS) == 1 and third["toy_rank"]["computed"] == 5


def test_toy_stage_resumes_after_an_interruption(campaign):
    global INTERRUPT
    folder, ids = campaign
    registry = REGISTRY + TOYS
    CALLS.clear()
    INTERRUPT = True
    try:
        with pytest.raises(KeyboardInterrupt):
            run(folder, stages=["toy_density"], ids=ids, registry=registry)
    finally:
        INTERRUPT = False
    assert _toy_rows(folder)["toy_density"] == 2  # what finished before the interruption is stored
    CALLS.clear()
    summary = run(folder, stages=["toy_density", "toy_rank"], ids=ids, registry=registry)
    assert summary["toy_density"]["computed"] == 3 and len(CALLS) == 3
    assert summary["toy_rank"]["ranked"] == 5


def test_settings_change_the_hash_of_a_stage_and_of_the_stages_that_read_it(campaign):
    from ipscreen.campaign.runner import open_campaign

    folder, _ids = campaign
    config, store = open_campaign(folder)
    store.close()
    registry = REGISTRY + TOYS
    scaled = tuple(replace(s, settings=type("Scaled", (), {"from_table": staticmethod(
        lambda t: DensitySettings(2.0))})) if s.name == "toy_density" else s for s in registry)
    assert stage_hash(config, "toy_density", registry) != stage_hash(config, "toy_density", scaled)
    assert stage_hash(config, "toy_rank", registry) != stage_hash(config, "toy_rank", scaled)
    assert stage_hash(config, "relax", registry) == stage_hash(config, "relax", scaled)


def test_the_pipeline_is_ordered_and_complete():
    names = [s.name for s in REGISTRY]
    assert [s.name for s in ordered(reversed(names))] == names
    assert DEFAULT == ("space", "relax", "stability", "synthesizability", "bvse")
    assert [s.name for s in plan(["conductivity"])] == ["bvse", "conductivity"]
    assert [s.name for s in plan(["mobo"])] == ["descriptors", "mobo"]
    with pytest.raises(InputError, match="unknown stage 'colour'"):
        plan(["colour"])
    bad = REGISTRY + (Stage("early", "campaign", "reads a later stage", inputs=("later",)),
                      Stage("later", "campaign", "declared after its reader"))
    with pytest.raises(InputError, match="not declared before"):
        ordered(["early"], bad)


def test_stages_command_lists_every_stage_with_its_inputs():
    import json

    from conftest import run_cli

    out = run_cli("stages", "--json")
    assert out.returncode == 0, out.stderr
    stages = {s["name"]: s for s in json.loads(out.stdout)}
    assert list(stages) == [s.name for s in REGISTRY]
    assert stages["stability"]["inputs"] == ["relax"] and stages["stability"]["kind"] == "campaign"
    assert stages["conductivity"]["inputs"][-1] == "bvse" and stages["gap"]["table"] == "band_gap"
    assert {k for k, s in stages.items() if s["default"]} == set(DEFAULT)

