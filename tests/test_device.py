"""[energy] device: auto / cpu / cuda, on a machine with or without a GPU (the CUDA check is exercised by making
torch report no GPU, so the error path runs everywhere)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor

from ipscreen.campaign.config import Config, from_preset
from ipscreen.campaign.stages import stage_hash
from ipscreen.energy.device import check_device, resolve_device
from ipscreen.errors import InputError


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


def test_device_names():
    for name in ("auto", "cpu", "cuda", "cuda:1"):
        assert check_device(name) == name
    for bad in ("gpu", "CUDA", "cuda:x", "", 1):
        with pytest.raises(InputError, match="device"):
            check_device(bad)


def test_auto_is_cuda_only_where_torch_sees_one(no_gpu):
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"


def test_cuda_without_gpu_is_a_one_line_error(no_gpu):
    with pytest.raises(InputError) as err:
        resolve_device("cuda")
    message = str(err.value)
    assert "\n" not in message and "no CUDA device" in message and '"auto"' in message


def test_cuda_accepted_in_the_campaign_file_and_checked_when_the_campaign_runs(tmp_path, no_gpu):
    from ipscreen.campaign.runner import run

    config = Config.from_dict({"preset": "demo", "energy": {"device": "cuda"}})
    assert config.energy.device == "cuda"
    with pytest.raises(InputError, match="sees no CUDA device"):
        run(tmp_path / "c", preset="demo", stages=["space", "relax"], overrides={"energy": {"device": "cuda"}})
    with pytest.raises(InputError, match="device"):
        Config.from_dict({"preset": "demo", "energy": {"device": "gpu"}})


def test_device_is_not_in_any_settings_hash():
    """Speed only: a campaign run on a GPU and resumed on a CPU keeps its results."""
    base = from_preset("demo")
    on_cpu = Config.from_dict({"preset": "demo", "energy": {"device": "cpu"}})
    for stage in ("relax", "stability", "window", "interfaces", "synthesis"):
        assert stage_hash(base, stage) == stage_hash(on_cpu, stage)


def test_backend_on_cpu_batch_matches_calculator():
    from ipscreen.energy.backends import load_backend

    backend = load_backend("sevenn", device="cpu")
    assert backend.device == "cpu" and backend.evaluate_batch.device == "cpu"
    atoms = AseAtomsAdaptor.get_atoms(Structure(Lattice.cubic(3.91), ["O", "Cl", "Li", "Li", "Li"],
                                                [[.5, .5, .5], [0, 0, 0], [.5, .5, 0], [.5, 0, .5], [0, .5, .5]]))
    batch = backend.evaluate_batch([atoms])[0]
    atoms.calc = backend.calculator
    assert batch["energy"] == pytest.approx(atoms.get_potential_energy(), abs=1e-4)
    np.testing.assert_allclose(batch["forces"], atoms.get_forces(), atol=1e-4)
