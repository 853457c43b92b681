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
from dataclasses import dataclass, field, replace

import numpy as np

from ipscreen.errors import InputError
from ipscreen.structure_io import MIN_DISTANCE, min_distance

MIN_ENERGY_PER_ATOM = -25.0  # eV/atom; PBE energies of Li-X-Z compounds lie near -3 to -5 eV/atom
# eV/Å²: CellAwareBFGS's starting Hessian for the atoms (RelaxSettings.bfgs_alpha's default). On 12 demo compounds
# (5-14 atoms, SevenNet-0, fmax 0.05) it took 10.6 force calls per relaxation at 30, 12.4 at 45, 13.9 at ASE's
# default 70 and 16.0 at 100, every final energy the same within 0.1 meV/atom: these ionic cells are softer than the
# default assumes. After FIRE's first stage (FIRE+CellAwareBFGS) softer still pays: on 40 demo compounds at fmax 0.05
# (FIRE dt 0.3) the BFGS stage took 8.7 steps at 30, 6.6 at 15, 5.3 at 8 and 5.1 at 5; the presets take 8 with a later
# handover (benchmarks/README.md).
CELL_AWARE_ALPHA = 30.0
# eV/Å: the largest force (cell rows of the filter included) at which FIRE hands over to CellAwareBFGS
# (RelaxSettings.handover_fmax's default). On 100 demo compounds at fmax 0.05 (benchmarks/relax_throughput.py
# --reference-fmax 0.01): 19.8 force calls per structure against FIRE's 27.1, and E_d as far from the lowest minimum
# found as FIRE's (MAE 0.79 against 0.78 meV/atom); CellAwareBFGS alone took 10.1 calls but stopped on plateaus and
# shallow stationary points of soft cells that FIRE's inertia carries it past (MAE 2.33, up to 75 meV/atom above).
# With the softer BFGS start (bfgs_alpha 8) the presets hand over later, at 0.15: at 0.2 the faster BFGS stage stopped
# on a shallow stationary point of Cm Li8S2Br3I 32 meV/atom above the lowest minimum found.
FIRE_HANDOVER = 0.2


@dataclass
class RelaxSettings:
    """fmax in eV/Å (force threshold; stress converged with it through the cell filter)."""

    fmax: float = 0.05
    max_steps: int = 300
    optimizer: str = "FIRE"  # one of OPTIMIZERS
    relax_cell: bool = True
    symmetry: bool = False  # keep the starting symmetry (ase FixSymmetry)
    rattle: float = 0.0  # Å: std of a seeded Gaussian displacement of every atom before relaxing (0: none)
    fire_dt: float = 0.1  # FIRE's starting time step (ASE units; 0.1 is ASE's default, its largest stays 1.0)
    bfgs_alpha: float = CELL_AWARE_ALPHA  # eV/Å²: CellAwareBFGS's starting Hessian for the atoms
    handover_fmax: float = FIRE_HANDOVER  # eV/Å: FIRE+CellAwareBFGS's FIRE runs until the largest force is below it


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
# compounds (benchmarks/README.md), 10.6 force calls per relaxation against FIRE's 32.0. "FIRE+CellAwareBFGS":
# FIRE, then CellAwareBFGS from where the largest force falls below handover_fmax (FireThenCellAwareBFGS).
OPTIMIZERS = ("FIRE", "FIRE2", "BFGS", "CellAwareBFGS", "FIRE+CellAwareBFGS")


def _single_optimizer(atoms, settings: RelaxSettings):
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS, FIRE, FIRE2, CellAwareBFGS

    name = settings.optimizer
    if name == "CellAwareBFGS" and settings.relax_cell:
        # its cell block assumes unscaled cell coordinates; it converges on forces (eV/Å) and on the stress
        # (eV/Å^3), here at the stress where FrechetCellFilter's default cell force (virial / N) reaches fmax,
        # so both optimisers stop at the same residual stress
        opt = CellAwareBFGS(FrechetCellFilter(atoms, exp_cell_factor=1.0), logfile=None, alpha=settings.bfgs_alpha)
        opt.smax = settings.fmax * len(atoms) / atoms.get_volume()
    else:
        target = FrechetCellFilter(atoms) if settings.relax_cell else atoms
        if name == "FIRE":
            opt = FIRE(target, logfile=None, dt=settings.fire_dt)
        else:
            opt = (FIRE2 if name == "FIRE2" else BFGS)(target, logfile=None)
    opt.fmax = settings.fmax
    opt.optimizable = _GradientOncePerStep(opt.optimizable)
    return opt


class _GradientOncePerStep:
    """An ASE optimizable whose gradient is computed once per geometry: ASE's optimisers ask for it again in
    `step` after the convergence check has, and a FrechetCellFilter's gradient (two matrix logarithms and nine
    Fréchet derivatives of the exponential) is ~4 ms, 11 % of a compiled relaxation's CPU time in a profile of
    40 demo compounds. Everything else is the wrapped optimizable's."""

    def __init__(self, inner):
        self._inner, self._gradient = inner, None

    def get_gradient(self):
        if self._gradient is None:
            self._gradient = self._inner.get_gradient()
        return self._gradient.copy()

    def set_x(self, x) -> None:
        self._gradient = None
        self._inner.set_x(x)

    def __getattr__(self, name):
        return getattr(self._inner, name)


class FireThenCellAwareBFGS:
    """FIRE until the largest force falls below `settings.handover_fmax` (eV/Å), then CellAwareBFGS to fmax.

    FIRE's inertia decides which basin a soft cell relaxes into, as with FIRE alone; CellAwareBFGS then
    converges inside it in fewer steps. Steps are counted over both (`nsteps`); `handover_step` is the step at
    which CellAwareBFGS took over (None while FIRE runs)."""

    def __init__(self, atoms, settings: RelaxSettings):
        self.atoms, self.settings, self.nsteps, self.handover_step = atoms, settings, 0, None
        self.stage = _single_optimizer(atoms, replace(settings, optimizer="FIRE"))

    @property
    def optimizable(self):
        return self.stage.optimizable

    def gradient_converged(self, gradient) -> bool:
        return self.stage.gradient_converged(gradient)

    def step(self) -> None:
        if self.handover_step is None:
            gradient = self.stage.optimizable.get_gradient()  # the convergence check's (_GradientOncePerStep)
            if np.sqrt((gradient.reshape(-1, 3) ** 2).sum(axis=1)).max() < self.settings.handover_fmax:
                self.stage = _single_optimizer(self.atoms, replace(self.settings, optimizer="CellAwareBFGS"))
                self.handover_step = self.nsteps
        self.stage.step()


def _optimizer(atoms, settings: RelaxSettings):
    """The optimiser of `settings` on `atoms` (cell included unless relax_cell is false); one force call per step."""
    if settings.optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {settings.optimizer!r} (known: {', '.join(OPTIMIZERS)})")
    if settings.symmetry:
        from ase.constraints import FixSymmetry

        atoms.set_constraint(FixSymmetry(atoms))
    if settings.optimizer == "FIRE+CellAwareBFGS":
        return FireThenCellAwareBFGS(atoms, settings)
    return _single_optimizer(atoms, settings)


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
    try:
        result = None
        while result is None:
            result = _advance(atoms, opt, settings)
    except (RuntimeError, ValueError, FloatingPointError) as exc:
        return RelaxResult("failed", f"calculator error at step {opt.nsteps}: {exc}", steps=opt.nsteps)
    return result


def _advance(atoms, opt, settings: RelaxSettings) -> RelaxResult | None:
    """Check `atoms` (energy and forces at hand) and take one optimiser step: the result where it ends, else None."""
    failed = _exploded(atoms.get_potential_energy(), len(atoms), opt.nsteps)
    if failed:
        return failed
    if opt.gradient_converged(opt.optimizable.get_gradient()):
        return _finish(atoms, True, opt.nsteps, settings)
    if opt.nsteps >= settings.max_steps:
        return _finish(atoms, False, opt.nsteps, settings)
    opt.step()
    opt.nsteps += 1
    return None


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
            results[i] = _advance(*states[i], settings)
            if results[i] is None:
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
