"""Relaxation of cell and positions with an ASE optimiser (one structure at a time).

Failures are detected and returned, never raised: atoms closer than a physical
minimum before or after, a non-finite or exploding energy, an element the model
lacks, and no convergence within the step cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ipscreen.errors import InputError

MIN_DISTANCE = 0.7  # Å; shorter interatomic distances are unphysical for these ions (H-H in H2 is 0.74 Å)
MIN_ENERGY_PER_ATOM = -25.0  # eV/atom; PBE energies of Li-X-Z compounds lie near -3 to -5 eV/atom


@dataclass
class RelaxSettings:
    """fmax in eV/Å (force threshold; stress converged with it through the cell filter)."""

    fmax: float = 0.05
    max_steps: int = 300
    optimizer: str = "FIRE"  # FIRE | BFGS
    relax_cell: bool = True
    symmetry: bool = False  # keep the starting symmetry (ase FixSymmetry)


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


def min_distance(atoms) -> float:
    """Shortest interatomic distance (Å) under periodic boundary conditions."""
    if len(atoms) < 2:
        cell_lengths = atoms.cell.lengths()
        return float(min(cell_lengths)) if atoms.pbc.all() else math.inf
    d = atoms.get_all_distances(mic=True)
    d[np.diag_indices_from(d)] = math.inf
    return float(d.min())


def relax(atoms, backend, settings: RelaxSettings | None = None) -> RelaxResult:
    """Relax a copy of `atoms` (ase.Atoms) with `backend` (ipscreen.energy.backends.Backend)."""
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS, FIRE

    settings = settings or RelaxSettings()
    atoms = atoms.copy()
    try:
        backend.check_elements(atoms.get_chemical_symbols())
    except InputError as exc:
        return RelaxResult("failed", str(exc))
    d = min_distance(atoms)
    if d < MIN_DISTANCE:
        return RelaxResult("failed", f"atoms {d:.2f} Å apart in the starting structure (minimum {MIN_DISTANCE} Å)")
    atoms.calc = backend.calculator
    if settings.symmetry:
        from ase.constraints import FixSymmetry

        atoms.set_constraint(FixSymmetry(atoms))
    target = FrechetCellFilter(atoms) if settings.relax_cell else atoms
    opt_class = {"FIRE": FIRE, "BFGS": BFGS}.get(settings.optimizer)
    if opt_class is None:
        raise InputError(f"unknown optimizer {settings.optimizer!r} (known: FIRE, BFGS)")
    opt = opt_class(target, logfile=None)
    n = len(atoms)
    try:
        for _ in opt.irun(fmax=settings.fmax, steps=settings.max_steps):
            e = atoms.get_potential_energy()
            if not math.isfinite(e) or e / n < MIN_ENERGY_PER_ATOM:
                return RelaxResult("failed", f"energy exploded ({e / n:.2f} eV/atom) at step {opt.nsteps}",
                                   steps=opt.nsteps)
    except (RuntimeError, ValueError, FloatingPointError) as exc:
        return RelaxResult("failed", f"calculator error at step {opt.nsteps}: {exc}", steps=opt.nsteps)
    energy = float(atoms.get_potential_energy())
    d = min_distance(atoms)
    if d < MIN_DISTANCE:
        return RelaxResult("failed", f"atoms collapsed to {d:.2f} Å apart", energy, energy / n, opt.nsteps)
    forces_ok = opt.converged() if hasattr(opt, "converged") else True
    atoms.calc = None
    atoms.set_constraint()
    status = "converged" if forces_ok and opt.nsteps < settings.max_steps else "unconverged"
    reason = "" if status == "converged" else f"not converged in {settings.max_steps} steps"
    return RelaxResult(status, reason, energy, energy / n, opt.nsteps, atoms)
