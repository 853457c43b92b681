"""Energy backends: an ASE calculator chosen by name, with its model and version.

Backends (none downloads anything at run time):

- ``sevenn`` (default, MIT): SevenNet models whose weights ship inside the
  ``sevenn`` wheel: ``7net-0`` (default), ``7net-l3i5``; or a local checkpoint path.
  Predicts raw PBE(+U-free) energies, eV.
- ``chgnet`` (BSD-3): CHGNet ``0.3.0`` (bundled in the chgnet wheel) or a local
  model file. Predicts MP2020-corrected energies (campaigns set ``mp2020 = false``);
  about 1.5x faster than SevenNet-0 here.
- ``mace``: a MACE model from a local file, ``model = "/path/to/model.model"``
  (needs ``pip install mace-torch``; nothing is downloaded).
- ``module:factory``: any ASE calculator, e.g. ``mypkg.calcs:make_calc``; called as
  ``factory(**options)``.

The named backends run on ``device`` ("auto": a CUDA GPU when torch sees one; energy/device.py).

Every result stored by ipscreen carries `BackendInfo` (name, model, version) and
the settings hash of the stage that used it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import logging
import os
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from ipscreen.energy.threads import limit_threads
from ipscreen.errors import InputError

DEFAULT_BACKEND = "sevenn"
DEFAULT_MODEL = "7net-0"
# SevenNet pretrained models bundled in the sevenn wheel -> attribute of sevenn._const
SEVENNET_BUNDLED = {"7net-0": "SEVENNET_0_11Jul2024", "7net-l3i5": "SEVENNET_l3i5"}


def mp2020_by_default(backend_name: str) -> bool:
    """Whether MP2020 corrections apply to `backend_name`'s energies unless a setting says otherwise:
    yes, except for backends that predict MP2020-corrected energies (CHGNet)."""
    spec = BACKENDS.get(backend_name)
    return spec.mp2020 if spec else True


def backend_package(backend_name: str) -> str:
    """The distribution whose version is part of the relax stage's hash for `backend_name`."""
    spec = BACKENDS.get(backend_name)
    return spec.package if spec else backend_name.split(".")[0].split(":")[0]


@dataclass(frozen=True)
class BackendInfo:
    """What computed an energy: backend name, model, package version, options."""

    backend: str
    model: str
    version: str
    options: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def key(self) -> str:
        """Short hash identifying backend + model + version + options."""
        text = json.dumps(self.as_dict(), sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


@dataclass
class Backend:
    """A loaded calculator and what it can do."""

    info: BackendInfo
    calculator: object
    elements: frozenset[str] | None  # chemical symbols the model knows (None: not known)
    evaluate_batch: object = None  # callable(list[Atoms]) -> list[{"energy", "forces", "stress"}], or None
    device: str = "cpu"  # where the model runs (torch device string)
    compiled: bool = False  # the model runs through torch.compile (CompiledModel)

    def check_elements(self, symbols) -> None:
        """InputError naming the elements the model lacks, if any."""
        if self.elements is None:
            return
        missing = sorted(set(symbols) - self.elements)
        if missing:
            raise InputError(f"{self.info.backend} model {self.info.model} has no parameters for {', '.join(missing)}")


class CompiledModel:
    """A torch model run through `torch.compile` (dynamic shapes: graphs of any size share one compilation),
    falling back to the eager model for good, with one logged line, if compiling fails (no C++ compiler, an
    unsupported op). Attributes other than the call go to the eager model.

    Measured here (SevenNet-0, 8 demo cells per call, 2,508 edges, one thread): 0.41-0.48 s per call against
    0.67-0.77 s eager (1.6x), energies equal to 4e-6 eV and forces to 1e-6 eV/Å; the first call compiles, 135 s
    with an empty inductor cache and 24 s with a warm one (kept in torch's cache folder, per user)."""

    def __init__(self, model):
        self.eager = model
        self._compiled = None
        self._failed = False

    def __call__(self, data):
        if self._failed:
            return self.eager(data)
        if self._compiled is None:
            import torch

            logging.getLogger("torch._dynamo").setLevel(logging.ERROR)  # graph-break notices, one per model layer
            self._compiled = torch.compile(self.eager, dynamic=True)
        try:
            return self._compiled(data)
        except Exception as exc:  # any compiler failure: the eager model computes the same numbers, slower
            logging.getLogger("ipscreen").warning("torch.compile failed (%s: %s); running the model eagerly",
                                                  type(exc).__name__, str(exc).splitlines()[0][:200])
            self._failed = True
            return self.eager(data)

    def __getattr__(self, name):
        return getattr(self.eager, name)


def _sevennet(model: str, device: str = "cpu", compile: bool = False, **options) -> Backend:
    try:
        import sevenn
        from sevenn import _const
        from sevenn.calculator import SevenNetCalculator
    except ImportError:
        raise InputError("backend 'sevenn' needs the sevenn package: pip install sevenn") from None
    from ase.data import chemical_symbols

    if os.path.isfile(model):
        path = model
    elif model in SEVENNET_BUNDLED:
        path = getattr(_const, SEVENNET_BUNDLED[model])
        if not os.path.isfile(path):
            raise InputError(f"SevenNet model {model} is not in this sevenn installation ({path} missing)")
    else:
        raise InputError(
            f"SevenNet model {model!r} is not bundled in the sevenn wheel (bundled: {', '.join(SEVENNET_BUNDLED)}); "
            "give the path of a local checkpoint instead"
        )
    limit_threads()
    try:  # SevenNet relaxations ran 6-8x faster here without the profiling executor
        import torch

        torch._C._jit_set_profiling_executor(False)
    except (ImportError, AttributeError):
        pass
    with warnings.catch_warnings():  # "no tensor-product accelerator": expected on CPU
        warnings.filterwarnings("ignore", message=".*accelerator.*")
        calc = SevenNetCalculator(model=path, device=device, **options)
    if compile:
        calc.model = CompiledModel(calc.model)
    elements = frozenset(chemical_symbols[z] for z in calc.type_map)
    info = BackendInfo("sevenn", model if model in SEVENNET_BUNDLED else os.path.abspath(model), sevenn.__version__,
                       dict(options))
    return Backend(info, calc, elements, SevenNetBatch(path, device, compile), device, compile)


class SevenNetBatch:
    """Energies (eV), forces (eV/Å) and stresses (eV/Å^3, ASE Voigt order) of many structures
    in one SevenNet call: their graphs are merged into one torch_geometric batch.

    Measured here (2 cores, SevenNet-0, 10-14 atom cells): 0.079 s per structure in
    batches of 4-16 vs 0.098 s one at a time; larger batches got slower again. On a GPU
    the merged graph is what fills the device.
    """

    def __init__(self, checkpoint: str, device: str = "cpu", compile: bool = False):
        self.checkpoint = checkpoint
        self.device = device
        self.compile = compile
        self._model = None

    def _load(self):
        from sevenn.util import model_from_checkpoint

        model, _ = model_from_checkpoint(self.checkpoint)
        model.set_is_batch_data(True)
        model.to(self.device)
        model.eval()
        self._model = CompiledModel(model) if self.compile else model

    def __call__(self, atoms_list) -> list[dict]:
        import sevenn._keys as KEY
        from sevenn.atom_graph_data import AtomGraphData
        from sevenn.train.dataload import unlabeled_atoms_to_graph
        from torch_geometric.data import Batch

        if self._model is None:
            self._load()
        cutoff = self._model.cutoff
        graphs = [AtomGraphData.from_numpy_dict(unlabeled_atoms_to_graph(a, cutoff, with_shift=False))
                  for a in atoms_list]
        batch = Batch.from_data_list(graphs).to(self.device)
        out = self._model(batch)
        energy = out[KEY.PRED_TOTAL_ENERGY].detach().cpu().numpy().reshape(-1)
        forces = out[KEY.PRED_FORCE].detach().cpu().numpy()
        stress = -out[KEY.PRED_STRESS].detach().cpu().numpy().reshape(len(atoms_list), 6)[:, [0, 1, 2, 4, 5, 3]]
        ptr = batch.ptr.cpu().numpy()
        return [{"energy": float(energy[k]), "forces": forces[ptr[k]:ptr[k + 1]].astype(float),
                 "stress": stress[k].astype(float)} for k in range(len(atoms_list))]


CHGNET_BUNDLED = ("0.3.0", "0.2.0")


def _chgnet(model: str, device: str = "cpu", **options) -> Backend:
    try:
        import chgnet
        from chgnet.model import CHGNet
        from chgnet.model.dynamics import CHGNetCalculator
    except ImportError:
        raise InputError("backend 'chgnet' needs the chgnet package: pip install chgnet") from None
    from ase.data import chemical_symbols

    limit_threads()
    with contextlib.redirect_stdout(io.StringIO()):  # CHGNet prints its device and size
        if os.path.isfile(model):
            net = CHGNet.from_file(model, use_device=device, verbose=False)
        elif model in CHGNET_BUNDLED:
            net = CHGNet.load(model_name=model, use_device=device, verbose=False)
        else:
            raise InputError(f"CHGNet model {model!r} is not bundled in the chgnet wheel (bundled: "
                             f"{', '.join(CHGNET_BUNDLED)}); give the path of a local model file instead")
        calc = CHGNetCalculator(model=net, use_device=device, **options)
    elements = frozenset(chemical_symbols[1:95])  # CHGNet embeds Z = 1..94
    info = BackendInfo("chgnet", model if model in CHGNET_BUNDLED else os.path.abspath(model), chgnet.__version__,
                       dict(options))
    return Backend(info, calc, elements, CHGNetBatch(net), device)


class CHGNetBatch:
    """Energies (eV), forces (eV/Å), stresses (eV/Å^3, Voigt) of many structures in one CHGNet call."""

    def __init__(self, net):
        self.net = net

    def __call__(self, atoms_list) -> list[dict]:
        from ase import units
        from ase.stress import full_3x3_to_voigt_6_stress
        from pymatgen.io.ase import AseAtomsAdaptor

        structures = [AseAtomsAdaptor.get_structure(a) for a in atoms_list]
        preds = self.net.predict_structure(structures, task="efs", batch_size=len(structures))  # s in GPa
        if isinstance(preds, dict):
            preds = [preds]
        return [{"energy": float(p["e"]) * len(a), "forces": np.asarray(p["f"], dtype=float),
                 "stress": full_3x3_to_voigt_6_stress(np.asarray(p["s"], dtype=float) * units.GPa)}
                for a, p in zip(atoms_list, preds)]


def _mace(model: str, device: str = "cpu", **options) -> Backend:
    if not model or not os.path.isfile(model):
        raise InputError("backend 'mace' needs model = the path of a local MACE model file (nothing is downloaded)")
    try:
        import mace
        from mace.calculators import MACECalculator
    except ImportError:
        raise InputError("backend 'mace' needs the mace-torch package: pip install mace-torch") from None
    limit_threads()
    calc = MACECalculator(model_paths=model, device=device, default_dtype="float64", **options)
    version = getattr(mace, "__version__", "unknown")
    return Backend(BackendInfo("mace", os.path.abspath(model), str(version), dict(options)), calc, None, None, device)


def _factory(spec: str, model: str | None, **options) -> Backend:
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"cannot load calculator factory {spec!r}: {exc}") from None
    limit_threads()
    calc = factory(**({"model": model} if model else {}), **options)
    version = getattr(importlib.import_module(module_name.split(".")[0]), "__version__", "unknown")
    return Backend(BackendInfo(spec, model or "", str(version), dict(options)), calc, None)


@dataclass(frozen=True)
class BackendSpec:
    """A named backend: its loader ``(model, **options) -> Backend`` (a callable, or "module:function" for
    a loader in its own module), the distribution whose version is hashed, its default model,
    whether MP2020 corrections apply to its energies by default, and whether its loader takes
    `compile` (runs its model through CompiledModel)."""

    loader: object
    package: str
    default_model: str = ""
    mp2020: bool = True
    compiles: bool = False


# The named backends; a new one is a loader (here or in its own module) plus one entry.
# `package` is what older stores were hashed with: "mace" (not its distribution "mace-torch") is kept
# so that campaigns relaxed with MACE keep their results.
BACKENDS: dict[str, BackendSpec] = {
    "sevenn": BackendSpec(_sevennet, "sevenn", DEFAULT_MODEL, compiles=True),
    "chgnet": BackendSpec(_chgnet, "chgnet", "0.3.0", mp2020=False),
    "mace": BackendSpec(_mace, "mace", ""),
}


def load_backend(name: str = DEFAULT_BACKEND, model: str | None = None, device: str = "auto", compile: bool = False,
                 **options) -> Backend:
    """The calculator backend `name` with `model` (default: SevenNet 7net-0) on `device` ("auto", "cpu", "cuda",
    "cuda:N"; energy/device.py), its model through torch.compile if `compile` and the backend `compiles`
    (CompiledModel; eager otherwise), or any ASE calculator factory named "module:factory" (which places itself)."""
    from ipscreen.energy.device import resolve_device

    device = resolve_device(device)
    spec = BACKENDS.get(name)
    if spec is not None:
        loader = spec.loader
        if isinstance(loader, str):
            module, _, attr = loader.partition(":")
            loader = getattr(importlib.import_module(module), attr)
        if spec.compiles:
            options = {**options, "compile": compile}
        return loader(model or spec.default_model, device=device, **options)
    if ":" in name:
        return _factory(name, model, **options)
    raise InputError(f"unknown energy backend {name!r} (known: {', '.join(BACKENDS)}, or module:factory for any "
                     "ASE calculator)")
