"""Validated settings of the energy, relaxation, stability and cluster tables of a campaign."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version

from ipscreen.energy.backends import backend_package, mp2020_by_default
from ipscreen.energy.relax import OPTIMIZERS, RelaxSettings
from ipscreen.errors import InputError
from ipscreen.settings_table import from_table as _from_table


def settings_hash(*parts) -> str:
    """Short hash of JSON-serialisable settings."""
    text = json.dumps([p if isinstance(p, (dict, list, str)) else asdict(p) for p in parts], sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


@dataclass(frozen=True)
class EnergySettings:
    """Energy backend: name (sevenn | chgnet | mace | module:factory), model, and whether
    MP2020 corrections are applied to its energies (default: yes, except for CHGNet,
    which already predicts MP2020-corrected energies)."""

    backend: str = "sevenn"
    model: str = "7net-0"
    mp2020: bool | None = None
    device: str = "auto"  # auto | cpu | cuda | cuda:N (energy/device.py): speed only, not in any hash
    compile: bool = False  # SevenNet through torch.compile (energy/backends.CompiledModel): speed only, not hashed

    @classmethod
    def from_table(cls, table, name: str = "energy"):
        from ipscreen.energy.device import check_device

        s = _from_table(cls, table, name)
        if s.mp2020 is not None and not isinstance(s.mp2020, bool):
            raise InputError(f"[{name}] mp2020 must be true or false, not {s.mp2020!r}")
        check_device(s.device)
        if not isinstance(s.compile, bool):
            raise InputError(f"[{name}] compile must be true or false, not {s.compile!r}")
        return s

    def physics(self) -> dict:
        """The settings that change energies (all but `device` and `compile`): what settings hashes cover."""
        d = asdict(self)
        d.pop("device")
        d.pop("compile")
        return d

    @property
    def corrections(self) -> bool:
        """Apply MaterialsProject2020Compatibility to this backend's energies?"""
        return self.mp2020 if self.mp2020 is not None else mp2020_by_default(self.backend)

    def package_version(self) -> str:
        """Version of the package that provides the backend (part of every settings hash)."""
        try:
            return version(backend_package(self.backend))
        except PackageNotFoundError:
            return "unknown"


@dataclass(frozen=True)
class CommitteeSettings(EnergySettings):
    """[committee]: a second energy backend (e.g. "chgnet" next to SevenNet-0) that relaxes, from the first
    backend's relaxed structures, the compounds and phases the window and interfaces stages use, so each of
    their numbers carries the spread between the two. Empty backend: no second backend (the default)."""

    backend: str = ""
    model: str = ""

    @classmethod
    def from_table(cls, table, name: str = "committee"):
        return super().from_table(table, name)

    def energy(self) -> EnergySettings | None:
        """The second backend's energy settings (its default model), None when there is none."""
        if not self.backend:
            return None
        from ipscreen.energy.backends import BACKENDS

        spec = BACKENDS.get(self.backend)
        model = self.model or (spec.default_model if spec else "")
        return EnergySettings(self.backend, model, self.mp2020)


@dataclass(frozen=True)
class RelaxStageSettings:
    """Relaxation thresholds: fmax in eV/Å (paper: 0.01), step cap, optimiser, symmetry constraint,
    rattle (Å, default 0: the starting structure as built, as the paper's VASP relaxations), FIRE's
    starting time step (ASE units; ASE's default 0.1), CellAwareBFGS's starting Hessian for the atoms (bfgs_alpha,
    eV/Å²) and the largest force at which FIRE+CellAwareBFGS's FIRE hands over to it (handover_fmax, eV/Å).

    batch_size: structures advanced together per model call (1: the plain ASE loop).
    It changes speed, not results, so it is not part of the settings hash.
    """

    fmax: float = 0.01
    max_steps: int = 500
    optimizer: str = "FIRE"
    symmetry: bool = False
    batch_size: int = 8
    rattle: float = 0.0  # Å: seeded random displacement before relaxing, to leave symmetric saddle points
    fire_dt: float = RelaxSettings.fire_dt  # FIRE's starting time step (ASE units; ASE's default 0.1)
    bfgs_alpha: float = RelaxSettings.bfgs_alpha  # eV/Å²: CellAwareBFGS's starting Hessian for the atoms
    handover_fmax: float = RelaxSettings.handover_fmax  # eV/Å: FIRE+CellAwareBFGS's handover force

    def physics(self) -> dict:
        """The settings that change results (hashed; rattle, fire_dt, bfgs_alpha and handover_fmax only when not
        their defaults, so older campaigns keep their hash; the last two only with an optimiser that uses them)."""
        out = {"fmax": self.fmax, "max_steps": self.max_steps, "optimizer": self.optimizer, "symmetry": self.symmetry}
        if self.rattle:
            out["rattle"] = self.rattle
        used = {"fire_dt": True, "bfgs_alpha": "CellAwareBFGS" in self.optimizer,
                "handover_fmax": self.optimizer == "FIRE+CellAwareBFGS"}  # (fire_dt hashed as it always was)
        for name, matters in used.items():
            if matters and getattr(self, name) != getattr(RelaxSettings, name):
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_table(cls, table):
        s = _from_table(cls, table, "relax")
        if s.fmax <= 0 or s.max_steps < 1 or s.batch_size < 1:
            raise InputError("[relax] fmax must be > 0, max_steps >= 1 and batch_size >= 1")
        if not 0 < s.fire_dt <= 1.0:
            raise InputError(f"[relax] fire_dt = {s.fire_dt} (allowed: above 0, at most 1.0, FIRE's largest step)")
        if not 1.0 <= s.bfgs_alpha <= 1000.0:
            raise InputError(f"[relax] bfgs_alpha = {s.bfgs_alpha} eV/Å² (allowed: 1 to 1000)")
        if not 0 <= s.handover_fmax <= 10.0:
            raise InputError(f"[relax] handover_fmax = {s.handover_fmax} eV/Å (allowed: 0 to 10)")
        if not 0 <= s.rattle <= 0.3:
            raise InputError(f"[relax] rattle = {s.rattle} Å (allowed: 0 to 0.3 Å)")
        if s.symmetry and s.rattle:
            raise InputError("[relax] symmetry = true keeps the starting symmetry that rattle is meant to break")
        if s.optimizer not in OPTIMIZERS:
            raise InputError(f"[relax] optimizer = {s.optimizer!r} (known: {', '.join(OPTIMIZERS)})")
        return s


@dataclass(frozen=True)
class StabilitySettings:
    """E_d filter threshold in eV/atom (paper: 0.1)."""

    threshold: float = 0.1

    @classmethod
    def from_table(cls, table):
        return _from_table(cls, table, "stability")


@dataclass(frozen=True)
class ClusterSettings:
    """Where tasks run.

    executor: "local" (a Dask LocalCluster of `n_workers` processes, default: one per
    core), "serial" (in the driver process, no Dask), "scheduler" (a running Dask
    cluster at `scheduler`, e.g. tcp://host:8786) or "slurm"/"pbs" (dask-jobqueue
    with `jobs` jobs of `cores` cores each, `queue`, `walltime`, `memory`, `account`).
    """

    executor: str = "local"
    n_workers: int = 0  # 0: one per core
    scheduler: str = ""
    jobs: int = 1
    cores: int = 1
    memory: str = "4GB"
    queue: str = ""
    walltime: str = "01:00:00"
    account: str = ""
    connect_timeout_s: int = 30  # how long to wait for a scheduler

    @classmethod
    def from_table(cls, table):
        s = _from_table(cls, table, "cluster")
        if s.executor not in ("local", "serial", "scheduler", "slurm", "pbs"):
            raise InputError(f"[cluster] executor = {s.executor!r} (known: local, serial, scheduler, slurm, pbs)")
        if s.executor == "scheduler" and not s.scheduler:
            raise InputError("[cluster] executor = 'scheduler' needs scheduler = 'tcp://HOST:PORT'")
        return s
