"""Relaxation of cell and positions with an ASE optimiser.

Two drivers with the same physics:
- `relax`: the plain one-structure ASE loop (any calculator; the baseline).
- `relax_many`: many structures advanced in lockstep, each with its own optimiser
  state (FIRE velocities or BFGS Hessian, cell filter, convergence), their forces and
  stresses computed together in one model call per step when the backend can
  evaluate a batch; converged structures drop out of the batch.

Failures are detected and returned, never raised: atoms closer than a physical
minimum before or after, a non-finite or exploding energy, an element the model
lacks, and no convergence within the step cap.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ipscreen.errors import InputError
from ipscreen.structure_io import MIN_DISTANCE, min_distance

MIN_ENERGY_PER_ATOM = -25.0  # eV/atom; PBE energies of Li-X-Z compounds lie near -3 to -5 eV/atom


@dataclass
class RelaxSettings:
    """fmax in eV/Å (force threshold; stress converged with it through the cell filter)."""

    fmax: float = 0.05
    max_steps: int = 300
    optimizer: str = "FIRE"  # one of OPTIMIZERS
    relax_cell: bool = True
    symmetry: bool = False  # keep the starting symmetry (ase FixSymmetry)
    rattle: float = 0.0  # Å: std of a seeded Gaussian displacement of every atom before relaxing (0: none)


def rattled(atoms, rattle: float, rng: np.random.Generator | None = None):
    """`atoms` with every atom displaced by N(0, rattle²) per coordinate (Å), in place; returns `atoms`.

    A structure built on high-symmetry sites can sit on a saddle point of the potential energy
    surface: its forces vanish by symmetry and an optimiser never leaves it. A small rattle lets
    the relaxation find the minimum below. Without `rng` the seed is a digest of the structure
    (species, positions to 1e-4 Å, cell), so the result does not depend on batching or order."""
    if rattle <= 0:
        return atoms
    if rng is None:
        import hashlib

        text = np.concatenate([atoms.numbers.astype(float), np.round(atoms.positions, 4).ravel(),
                               np.round(np.asarray(atoms.cell), 4).ravel()]).tobytes()
        rng = np.random.default_rng(int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little"))
    atoms.positions = atoms.positions + rng.normal(0.0, rattle, atoms.positions.shape)
    return atoms


@dataclass
class RelaxResult:
    """Outcome of one relaxation; energies in eV and eV/atom."""

    status: str  # "converged", "unconverged" or "failed"
    reason: str = ""
    energy_ev: float = math.nan
    energy_ev_per_atom: float = math.nan
    steps: int = 0
    atoms: object = field(default=None, repr=False)  # relaxed ase.Atoms (None if failed early)

    @property
    def ok(self) -> bool:
        return self.status == "converged"


def _precheck(atoms, backend) -> RelaxResult | None:
    try:
        backend.check_elements(atoms.get_chemical_symbols())
    except InputError as exc:
        return RelaxResult("failed", str(exc))
    d = min_distance(atoms)
    if d < MIN_DISTANCE:
        return RelaxResult("failed", f"atoms {d:.2f} Å apart in the starting structure (minimum {MIN_DISTANCE} Å)")
    return None


# FrechetCellFilter takes the matrix logarithm of the cell deformation; scipy warns that it "may be inaccurate"
# at errors of ~5e-13 (near-identity deformations of large cells), dozens of lines per relaxation in a log.
warnings.filterwarnings("ignore", message="logm result may be inaccurate", category=RuntimeWarning)


# ASE optimisers that take one force call per step (so `relax_many` can advance them in lockstep). FIRE2: Guénolé
# et al., Comput. Mater. Sci. 175, 109584 (2020). CellAwareBFGS: BFGS whose starting Hessian has an isotropic
# elastic block for the cell (ASE's defaults: bulk modulus 145 GPa, Poisson ratio 0.3); measured on 12 demo
# compounds (benchmarks/README.md), 10.6 force calls per relaxation against FIRE's 32.0.
OPTIMIZERS = ("FIRE", "FIRE2", "BFGS", "CellAwareBFGS")
# eV/Å²: CellAwareBFGS's starting Hessian for the atoms. On 12 demo compounds (5-14 atoms, SevenNet-0, fmax 0.05)
# it took 10.6 force calls per relaxation at 30, 12.4 at 45, 13.9 at ASE's default 70 and 16.0 at 100, every
# final energy the same within 0.1 meV/atom: these ionic cells are softer than the default assumes.
CELL_AWARE_ALPHA = 30.0


def _optimizer(atoms, settings: RelaxSettings):
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS, FIRE, FIRE2, CellAwareBFGS

    if settings.symmetry:
        from ase.constraints import FixSymmetry

        atoms.set_constraint(FixSymmetry(atoms))
    name = settings.optimizer
    if name not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")
    if name == "CellAwareBFGS" and settings.relax_cell:
        # its cell block assumes unscaled cell coordinates; it converges on forces (eV/Å) and on the stress
        # (eV/Å^3), here at the stress where FrechetCellFilter's default cell force (virial / N) reaches fmax,
        # so both optimisers stop at the same residual stress
        opt = CellAwareBFGS(FrechetCellFilter(atoms, exp_cell_factor=1.0), logfile=None, alpha=CELL_AWARE_ALPHA)
        opt.smax = settings.fmax * len(atoms) / atoms.get_volume()
    else:
        target = FrechetCellFilter(atoms) if settings.relax_cell else atoms
        opt_class = {"FIRE": FIRE, "FIRE2": FIRE2}.get(name, BFGS)
        opt = opt_class(target, logfile=None)
    opt.fmax = settings.fmax
    return opt


def _exploded(energy: float, n: int, step: int) -> RelaxResult | None:
    if not math.isfinite(energy) or energy / n < MIN_ENERGY_PER_ATOM:
        return RelaxResult("failed", f"energy exploded ({energy / n:.2f} eV/atom) at step {step}", steps=step)
    return None


def _finish(atoms, converged: bool, steps: int, settings: RelaxSettings) -> RelaxResult:
    n = len(atoms)
    energy = float(atoms.get_potential_energy())
    d = min_distance(atoms)
    atoms.calc = None
    atoms.set_constraint()
    if d < MIN_DISTANCE:
        return RelaxResult("failed", f"atoms collapsed to {d:.2f} Å apart", energy, energy / n, steps)
    if converged:
        return RelaxResult("converged", "", energy, energy / n, steps, atoms)
    return RelaxResult("unconverged", f"not converged in {settings.max_steps} steps", energy, energy / n, steps, atoms)


def relax(atoms, backend, settings: RelaxSettings | None = None) -> RelaxResult:
    """Relax a copy of `atoms` (ase.Atoms) with `backend` (ipscreen.energy.backends.Backend), one step at a time."""
    settings = settings or RelaxSettings()
    atoms = atoms.copy()
    failed = _precheck(atoms, backend)
    if failed:
        return failed
    rattled(atoms, settings.rattle)
    atoms.calc = backend.calculator
    opt = _optimizer(atoms, settings)
    converged = False
    try:
        for converged in opt.irun(fmax=settings.fmax, steps=settings.max_steps):  # noqa: B007 (last value read below)
            failed = _exploded(atoms.get_potential_energy(), len(atoms), opt.nsteps)
            if failed:
                return failed
    except (RuntimeError, ValueError, FloatingPointError) as exc:
        return RelaxResult("failed", f"calculator error at step {opt.nsteps}: {exc}", steps=opt.nsteps)
    return _finish(atoms, converged, opt.nsteps, settings)


class _BatchSlot:
    """An ASE calculator that only hands back results computed for it by a batch call."""

    implemented_properties = ("energy", "free_energy", "forces", "stress")

    def __new__(cls):
        from ase.calculators.calculator import Calculator

        class Slot(Calculator):
            implemented_properties = list(cls.implemented_properties)

            def store(self, atoms, results: dict) -> None:
                self.atoms = atoms.copy()
                self.results = {"energy": results["energy"], "free_energy": results["energy"],
                                "forces": results["forces"], "stress": results["stress"]}

            def calculate(self, atoms=None, properties=None, system_changes=None):
                raise RuntimeError("no batched result for this geometry")

        return Slot()


def relax_many(atoms_list, backend, settings: RelaxSettings | None = None, batch_size: int = 8) -> list[RelaxResult]:
    """Relax many structures in lockstep, `batch_size` of them per model call.

    Falls back to `relax` one at a time when the backend has no batch evaluator.
    """
    settings = settings or RelaxSettings()
    if backend.evaluate_batch is None or batch_size <= 1:
        return [relax(a, backend, settings) for a in atoms_list]
    results: list[RelaxResult | None] = [None] * len(atoms_list)
    states = {}
    for i, original in enumerate(atoms_list):
        atoms = original.copy()
        failed = _precheck(atoms, backend)
        if failed:
            results[i] = failed
            continue
        rattled(atoms, settings.rattle)
        atoms.calc = _BatchSlot()
        states[i] = (atoms, _optimizer(atoms, settings))
    active = sorted(states, key=lambda i: len(states[i][0]))  # similar sizes share a batch
    while active:
        for start in range(0, len(active), batch_size):
            chunk = active[start:start + batch_size]
            _evaluate(backend, [states[i][0] for i in chunk], results, chunk)
        still = []
        for i in active:
            if results[i] is not None:  # the model failed on it
                continue
            atoms, opt = states[i]
            failed = _exploded(atoms.get_potential_energy(), len(atoms), opt.nsteps)
            if failed:
                results[i] = failed
                continue
            if opt.gradient_converged(opt.optimizable.get_gradient()):
                results[i] = _finish(atoms, True, opt.nsteps, settings)
            elif opt.nsteps >= settings.max_steps:
                results[i] = _finish(atoms, False, opt.nsteps, settings)
            else:
                opt.step()
                opt.nsteps += 1
                still.append(i)
        active = still
    return results  # type: ignore[return-value]


def _evaluate(backend, atoms_list, results, indices) -> None:
    """Fill the batch slots of `atoms_list`; a failing batch is retried one structure at a time."""
    try:
        outputs = backend.evaluate_batch(atoms_list)
        for atoms, out in zip(atoms_list, outputs):
            atoms.calc.store(atoms, out)
        return
    except (RuntimeError, ValueError, FloatingPointError):
        if len(atoms_list) == 1:
            results[indices[0]] = RelaxResult("failed", "model evaluation failed")
            return
    for atoms, i in zip(atoms_list, indices):
        _evaluate(backend, [atoms], results, [i])
