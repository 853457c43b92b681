"""A whole-campaign stage's tasks (StageInput.map) are kept as they finish: a rerun after a kill computes only the
rest (campaign/drivers.map_tasks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pymatgen.core import Lattice, Structure

from ipscreen.campaign.config import from_preset
from ipscreen.campaign.context import StageRun
from ipscreen.campaign.drivers import map_tasks, payload_digest
from ipscreen.campaign.runner import default_executor
from ipscreen.campaign.stages import REGISTRY
from ipscreen.campaign.store import Store
from ipscreen.thermo.hull import Phase


class Killed(BaseException):
    """Stands for the process being killed mid-stage (not an Exception: the executor does not catch it)."""


def lattice_volume(payload: dict) -> dict:
    """A real small task: the volume (Å³) of a phase's cell; logs each call, and 'dies' at the phase named in the
    file `die_at` beside the log, when there is one (outside the payload, so the rerun's payloads are the same)."""
    log = Path(payload["log"])
    log.write_text(log.read_text() + payload["phase"].id + "\n" if log.exists() else payload["phase"].id + "\n")
    die_at = log.parent / "die_at"
    if die_at.exists() and die_at.read_text() == payload["phase"].id:
        raise Killed
    return {"status": "done", "data": {"volume_a3": payload["phase"].structure.volume}}


def li3ocl(a: float) -> Structure:
    return Structure.from_spacegroup("Pm-3m", Lattice.cubic(a), ["O", "Cl", "Li"], [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]])


@pytest.fixture
def run(tmp_path):
    config = from_preset("demo").with_overrides({"cluster": {"executor": "serial"}})
    stage = next(s for s in REGISTRY if s.name == "synthesis")
    with Store(tmp_path / "campaign") as store:
        yield StageRun(stage, config, store, default_executor)


def payloads(tmp_path, a=3.91) -> dict:
    return {f"t{k}": {"phase": Phase(f"t{k}", li3ocl(a + 0.1 * k), -20.0), "log": str(tmp_path / "calls.log")}
            for k in range(4)}


def calls(tmp_path) -> list[str]:
    return (tmp_path / "calls.log").read_text().split()


def test_a_killed_stage_computes_only_the_unfinished_tasks_again(run, tmp_path):
    (tmp_path / "die_at").write_text("t2")
    with pytest.raises(Killed):
        map_tasks(run, "synthesis", lattice_volume, payloads(tmp_path))
    assert calls(tmp_path) == ["t0", "t1", "t2"]
    kept = run.store.task_results("synthesis", run.hash)
    assert sorted(kept) == ["t0", "t1"]
    (tmp_path / "calls.log").unlink()
    (tmp_path / "die_at").unlink()
    results = map_tasks(run, "synthesis", lattice_volume, payloads(tmp_path))  # the rerun
    assert calls(tmp_path) == ["t2", "t3"]  # t0 and t1 were kept
    assert results["t0"]["data"]["volume_a3"] == pytest.approx(3.91 ** 3)
    assert results["t3"]["data"]["volume_a3"] == pytest.approx(4.21 ** 3)
    json.dumps(results)


def test_a_changed_payload_is_computed_again(run, tmp_path):
    map_tasks(run, "synthesis", lattice_volume, payloads(tmp_path))
    (tmp_path / "calls.log").unlink()
    results = map_tasks(run, "synthesis", lattice_volume, payloads(tmp_path, a=3.95))  # other structures
    assert calls(tmp_path) == ["t0", "t1", "t2", "t3"]
    assert results["t0"]["data"]["volume_a3"] == pytest.approx(3.95 ** 3)


def test_payload_digest_follows_the_structure_not_the_object():
    p, q = Phase("x", li3ocl(3.91), -20.0), Phase("x", li3ocl(3.91), -20.0)
    assert payload_digest(lattice_volume, {"phase": p}) == payload_digest(lattice_volume, {"phase": q})
    assert payload_digest(lattice_volume, {"phase": p}) != payload_digest(lattice_volume, {"phase": Phase("x", li3ocl(
        3.91), -20.001)})
    assert payload_digest(lattice_volume, {"phase": p}) != payload_digest(payloads, {"phase": p})
