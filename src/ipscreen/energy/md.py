"""Molecular dynamics with an ML potential for Li+ transport (SPEC.md §4, f3 = Λ).

What is here (the analysis of the trajectories is in `ipscreen.properties.conductivity`):

- Defect models (paper: "Li dumbbell (interstitial) and vacancy-driven mechanism", after
  Emly, Kioupakis & Van der Ven, Chem. Mater. 25, 4663 (2013)) built in a supercell:
  `vacancy_model` removes one Li; `interstitial_model` turns one Li site into a split
  interstitial (dumbbell): two Li placed symmetrically ±`half_length` (1.0 Å) about the
  site along the direction that leaves them the most room (largest minimum distance to
  every other atom, over ~200 directions). Which Li site hosts the defect is drawn with
  the seed. As in the paper's AIMD, the extra or missing Li is not charge-compensated:
  the ML potential has no explicit charges, so the cell simply holds one Li atom more or
  less (in DFT terms Li + e- or a hole in the valence band).
- `run_md`: seeded Maxwell-Boltzmann velocities (at 2 T, see below), NPT equilibration,
  then NVT production, positions recorded every `sample_every` steps, unwrapped
  (minimum-image increments of the fractional coordinates between frames, so a
  wrapping calculator cannot break them).
  * NPT: Berendsen (ASE `Inhomogeneous_NPTBerendsen`: the three cell axes scale
    independently, angles fixed, so a tetragonal c/a can relax). Chosen for
    equilibration because it approaches the target T and P monotonically within
    ~taup without barostat oscillations, which matters for short runs; it does not
    sample the NPT ensemble exactly, so only the mean cell of the second half of the
    equilibration is kept (positions rescaled into it) for the NVT run. Our subclass
    rescales the cell from the stress of the previous force call, so each step costs one
    force call (ASE's class recomputes forces after rescaling: two calls per step).
    The paper used Nosé-Hoover/Hoover NPT; only the equilibrated volume carries over.
  * NVT: Bussi stochastic velocity rescaling (ASE `Bussi`, Bussi, Donadio & Parrinello,
    J. Chem. Phys. 126, 014101 (2007)): canonical, global (it rescales the total kinetic
    energy, so it perturbs single-particle dynamics and hence diffusion far less than
    Langevin friction) and ergodic for small cells, where Nosé-Hoover (the paper's
    choice) can be not; seeded through its `rng`.
- Blow-up detection every frame: non-finite energy or positions, atoms closer than
  0.7 Å, potential energy rising or falling by more than 1 eV/atom from the first frame,
  or the kinetic temperature above 3 T + 1000 K. A blow-up raises `MDBlowUp` (a
  PropertyError) with the reason.
- `write_trajectory` / `read_trajectory`: compressed NumPy archives (.npz, deflate) of
  all frames (float32 Cartesian unwrapped positions, cells, times, phase 0 = NPT /
  1 = NVT, temperatures, potential energies, atomic numbers); never the database.

Units: Å, fs, K, eV. Timestep: the paper's 1 fs is the default; 2 fs is safe for Li
at <= 1200 K (Li moves ~0.04 Å per 2 fs step at 1200 K, and Li/O vibrations have
periods ~70-100 fs, i.e. >30 steps) and is common in AIMD of Li conductors.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ipscreen.energy.relax import MIN_ENERGY_PER_ATOM
from ipscreen.errors import InputError, PropertyError
from ipscreen.structure_io import MIN_DISTANCE, min_distance

MECHANISMS = ("interstitial", "vacancy")
DUMBBELL_HALF_LENGTH = 1.0  # Å: the two Li of the dumbbell sit 2.0 Å apart, centred on the host site
MAX_ENERGY_CHANGE = 1.0  # eV/atom: larger drift of the potential energy from the first frame is a blow-up


class MDBlowUp(PropertyError):
    """The MD run became unphysical (energy exploded, atoms overlapped, temperature ran away)."""


# ---------------------------------------------------------------------------------------------
# defect models (supercells: ipscreen.energy.supercell)
# ---------------------------------------------------------------------------------------------
def _fibonacci_directions(n: int = 200) -> np.ndarray:
    """n unit vectors spread evenly over the sphere (deterministic)."""
    k = np.arange(n) + 0.5
    polar = np.arccos(1 - 2 * k / n)
    azimuth = math.pi * (1 + 5**0.5) * k
    return np.stack([np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)], axis=1)


def _li_indices(atoms) -> np.ndarray:
    idx = np.array([i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Li"], dtype=int)
    if idx.size == 0:
        raise PropertyError("no Li in the structure: Li+ conductivity is undefined")
    return idx


def vacancy_model(atoms, rng: np.random.Generator):
    """A copy of `atoms` with one Li (drawn with `rng`) removed, and {"vacancy_site_index": i}."""
    li = _li_indices(atoms)
    site = int(rng.choice(li))
    defect = atoms.copy()
    del defect[site]
    return defect, {"vacancy_site_index": site}


def _min_distance_to(atoms, points: np.ndarray, exclude: int) -> np.ndarray:
    """For each point (k, 3), the shortest periodic distance to any atom but `exclude`."""
    from ase.geometry import get_distances

    others = np.delete(atoms.get_positions(), exclude, axis=0)
    _, dist = get_distances(points, others, cell=atoms.cell, pbc=atoms.pbc)
    return dist.min(axis=1)


def interstitial_model(atoms, rng: np.random.Generator, half_length: float = DUMBBELL_HALF_LENGTH):
    """A copy of `atoms` with a Li split interstitial (dumbbell) on one Li site drawn with `rng`.

    The host Li moves to site + half_length * u and a new Li is placed at site - half_length * u,
    u being the direction (of ~200) that maximises the smaller of the two atoms' nearest distances.
    Returns (atoms, {"dumbbell_site_index", "dumbbell_axis", "dumbbell_min_distance_angstrom"}).
    """
    li = _li_indices(atoms)
    site = int(rng.choice(li))
    centre = atoms.positions[site]
    best_u, best_d = None, -1.0
    for u in _fibonacci_directions():
        if u @ np.array([1.0, 1.0, 1.0]) < 0:  # u and -u give the same dumbbell
            continue
        pts = np.array([centre + half_length * u, centre - half_length * u])
        d = float(_min_distance_to(atoms, pts, site).min())
        if d > best_d + 1e-9:
            best_u, best_d = u, d
    best_d = min(best_d, 2 * half_length)  # the dumbbell's own Li-Li distance
    defect = atoms.copy()
    defect.positions[site] = centre + half_length * best_u
    defect.append("Li")
    defect.positions[-1] = centre - half_length * best_u
    defect.wrap()
    return defect, {"dumbbell_site_index": site, "dumbbell_axis": [round(float(x), 4) for x in best_u],
                    "dumbbell_min_distance_angstrom": round(best_d, 4)}


def defect_model(atoms, mechanism: str, rng: np.random.Generator):
    """(atoms with the defect, info dict) for mechanism "interstitial" or "vacancy"."""
    if mechanism == "interstitial":
        return interstitial_model(atoms, rng)
    if mechanism == "vacancy":
        return vacancy_model(atoms, rng)
    raise InputError(f"unknown Li defect mechanism {mechanism!r} (known: {', '.join(MECHANISMS)})")


# ---------------------------------------------------------------------------------------------
# dynamics
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MDProtocol:
    """One NPT + NVT run. Times in fs/ps, temperatures in K."""

    temperature_k: float
    timestep_fs: float = 1.0
    equilibration_ps: float = 10.0  # NPT (paper: 10 ps)
    production_ps: float = 50.0  # NVT (paper: 50 ps)
    sample_every: int = 10  # steps between recorded frames
    npt_taut_fs: float = 100.0  # Berendsen thermostat time constant
    npt_taup_fs: float = 1000.0  # Berendsen barostat time constant
    bulk_modulus_gpa: float = 50.0  # sets the Berendsen barostat rate only (Li3OCl: ~50-60 GPa, DFT)
    pressure_gpa: float = 0.0
    nvt_taut_fs: float = 100.0  # Bussi thermostat time constant
    check_every_ps: float = 0.0  # production interval between stop_check calls (0: never)

    @property
    def equilibration_steps(self) -> int:
        return int(round(self.equilibration_ps * 1000 / self.timestep_fs))

    @property
    def production_steps(self) -> int:
        return int(round(self.production_ps * 1000 / self.timestep_fs))


@dataclass
class MDRun:
    """Frames of one run. Production arrays hold only the NVT frames (the first is the NVT start)."""

    temperature_k: float
    numbers: np.ndarray
    cell: np.ndarray  # NVT cell (Å)
    times_fs: np.ndarray  # production frame times from the NVT start
    positions: np.ndarray  # (frames, atoms, 3) unwrapped Cartesian, Å, production only
    temperatures_k: np.ndarray  # kinetic temperature per production frame
    energies_ev: np.ndarray  # potential energy per production frame
    n_steps: int  # MD steps done (NPT + NVT)
    production_steps: int
    wall_s: float
    stopped_early: bool = False
    npt_volume_a3: float = math.nan  # mean volume of the second half of the NPT run
    all_frames: dict = field(default_factory=dict, repr=False)  # every frame, for write_trajectory

    @property
    def steps_per_second(self) -> float:
        return self.n_steps / self.wall_s if self.wall_s > 0 else math.nan


def _berendsen_npt(atoms, protocol: MDProtocol):
    from ase import units
    from ase.md.nptberendsen import Inhomogeneous_NPTBerendsen

    class OneCallBerendsen(Inhomogeneous_NPTBerendsen):
        """Berendsen NPT with one force call per step: the cell is rescaled from the stress of
        the previous call after the drift, just before the new forces are computed."""

        def step(self, forces=None):
            atoms = self.atoms
            self.scale_velocities()
            if forces is None:
                forces = atoms.get_forces(md=True)
            stress = atoms.get_stress(include_ideal_gas=True)  # same model call as the forces
            p = atoms.get_momenta() + 0.5 * self.dt * forces
            if self.fix_com:
                p -= p.sum(axis=0) / len(p)
            atoms.set_positions(atoms.get_positions() + self.dt * p / atoms.get_masses()[:, None])
            atoms.set_momenta(p)
            rate = self.dt * self.compressibility / self.taup / 3.0
            scale = [1.0 - rate * (self.pressure + stress[i]) * atoms.pbc[i] * self.mask[i] for i in range(3)]
            atoms.set_cell(np.asarray(atoms.get_cell()) * np.array(scale)[:, None], scale_atoms=True)
            forces = atoms.get_forces(md=True)
            atoms.set_momenta(atoms.get_momenta() + 0.5 * self.dt * forces)
            return forces

    return OneCallBerendsen(atoms, protocol.timestep_fs * units.fs, temperature_K=protocol.temperature_k,
                            pressure_au=protocol.pressure_gpa * units.GPa,
                            taut=protocol.npt_taut_fs * units.fs, taup=protocol.npt_taup_fs * units.fs,
                            compressibility_au=1.0 / (protocol.bulk_modulus_gpa * units.GPa))


def _bussi_nvt(atoms, protocol: MDProtocol, rng):
    from ase import units
    from ase.md.bussi import Bussi

    return Bussi(atoms, protocol.timestep_fs * units.fs, temperature_K=protocol.temperature_k,
                 taut=protocol.nvt_taut_fs * units.fs, rng=rng)


class _Recorder:
    """Unwrapped frames and blow-up checks."""

    def __init__(self, atoms, temperature_k: float):
        self.atoms = atoms
        self.target = temperature_k
        self.n = len(atoms)
        self.frac_prev = atoms.get_scaled_positions(wrap=False)
        self.frac_unwrapped = self.frac_prev.copy()
        self.e0 = None
        self.frames: dict[str, list] = {k: [] for k in ("positions", "cells", "times_fs", "phase", "temperatures_k",
                                                         "energies_ev")}

    def record(self, time_fs: float, phase: int) -> None:
        atoms = self.atoms
        energy = float(atoms.get_potential_energy())
        temperature = float(atoms.get_temperature())
        frac = atoms.get_scaled_positions(wrap=False)
        if not (math.isfinite(energy) and np.isfinite(frac).all() and math.isfinite(temperature)):
            raise MDBlowUp(f"non-finite energy or positions at t = {time_fs / 1000:.3f} ps")
        step = frac - self.frac_prev
        self.frac_unwrapped += step - np.round(step)
        self.frac_prev = frac
        cell = np.asarray(atoms.get_cell())
        self.frames["positions"].append(self.frac_unwrapped @ cell)
        self.frames["cells"].append(cell.copy())
        self.frames["times_fs"].append(time_fs)
        self.frames["phase"].append(phase)
        self.frames["temperatures_k"].append(temperature)
        self.frames["energies_ev"].append(energy)
        self._check(energy, temperature, time_fs)

    def _check(self, energy: float, temperature: float, time_fs: float) -> None:
        where = f"at t = {time_fs / 1000:.3f} ps of the {self.target:g} K run"
        per_atom = energy / self.n
        if self.e0 is None:
            self.e0 = per_atom
        if per_atom < MIN_ENERGY_PER_ATOM or abs(per_atom - self.e0) > MAX_ENERGY_CHANGE:
            raise MDBlowUp(f"potential energy went from {self.e0:.2f} to {per_atom:.2f} eV/atom {where}")
        if temperature > 3 * self.target + 1000:
            raise MDBlowUp(f"temperature ran away to {temperature:.0f} K {where}")
        d = min_distance(self.atoms)
        if d < MIN_DISTANCE:
            raise MDBlowUp(f"atoms {d:.2f} Å apart {where} (minimum {MIN_DISTANCE} Å)")

    def arrays(self, start: int = 0) -> dict:
        return {k: np.asarray(v[start:]) for k, v in self.frames.items()}


def run_md(atoms, calculator, protocol: MDProtocol, *, seed: int | np.random.SeedSequence = 0,
           stop_check=None) -> MDRun:
    """NPT equilibration then NVT production of a copy of `atoms` (ase.Atoms) with `calculator`.

    `stop_check(times_fs, positions)` (production frames so far) is called every
    `protocol.check_every_ps` of production; returning True ends the production early.
    Raises MDBlowUp (a PropertyError) when the run becomes unphysical.
    """
    from ase.md.velocitydistribution import Stationary, thermalize_momenta

    rng = np.random.default_rng(seed)
    atoms = atoms.copy()
    d = min_distance(atoms)
    if d < MIN_DISTANCE:
        raise MDBlowUp(f"atoms {d:.2f} Å apart in the starting structure (minimum {MIN_DISTANCE} Å)")
    atoms.calc = calculator
    # Velocities at 2 T: started from the 0 K structure, equipartition halves the kinetic
    # temperature within ~50 fs (harmonic solid), so the run sits at T from the start.
    thermalize_momenta(atoms, 2 * protocol.temperature_k, rng=rng)
    Stationary(atoms)
    rec = _Recorder(atoms, protocol.temperature_k)
    every = max(1, int(protocol.sample_every))
    t0 = time.perf_counter()
    n_steps = 0
    try:
        # NPT equilibration
        rec.record(0.0, 0)
        npt_cells = []
        n_eq = protocol.equilibration_steps
        if n_eq > 0:
            dyn = _berendsen_npt(atoms, protocol)
            for step in range(1, n_eq + 1):
                dyn.run(1)
                n_steps += 1
                if step % every == 0 or step == n_eq:
                    rec.record(step * protocol.timestep_fs, 0)
                    if step > n_eq // 2:
                        npt_cells.append(np.asarray(atoms.get_cell()))
            if npt_cells:  # NVT in the mean cell of the second half of the equilibration
                atoms.set_cell(np.mean(npt_cells, axis=0), scale_atoms=True)
        npt_volume = float(abs(np.linalg.det(atoms.get_cell())))
        # NVT production
        start = len(rec.frames["times_fs"])
        t_start = n_eq * protocol.timestep_fs
        rec.record(t_start, 1)
        dyn = _bussi_nvt(atoms, protocol, rng)
        n_prod = protocol.production_steps
        check = int(round(protocol.check_every_ps * 1000 / protocol.timestep_fs)) if protocol.check_every_ps else 0
        stopped = False
        done = 0
        for step in range(1, n_prod + 1):
            dyn.run(1)
            n_steps += 1
            done = step
            if step % every == 0:  # frames stay equally spaced (the MSD analysis needs it)
                rec.record(t_start + step * protocol.timestep_fs, 1)
                if stop_check is not None and check and step % check < every and step < n_prod:
                    frames = rec.arrays(start)  # equally spaced frames so far
                    if stop_check(frames["times_fs"] - t_start, frames["positions"]):
                        stopped = True
                        break
    except MDBlowUp:
        raise
    except (RuntimeError, ValueError, FloatingPointError) as exc:
        raise MDBlowUp(f"calculator error in the {protocol.temperature_k:g} K run: {exc}") from None
    wall = time.perf_counter() - t0
    prod = rec.arrays(start)
    return MDRun(temperature_k=protocol.temperature_k, numbers=atoms.numbers.copy(), cell=np.asarray(atoms.get_cell()),
                 times_fs=prod["times_fs"] - t_start, positions=prod["positions"],
                 temperatures_k=prod["temperatures_k"], energies_ev=prod["energies_ev"], n_steps=n_steps,
                 production_steps=done, wall_s=wall, stopped_early=stopped, npt_volume_a3=npt_volume,
                 all_frames=rec.arrays())


# ---------------------------------------------------------------------------------------------
# trajectories
# ---------------------------------------------------------------------------------------------
def write_trajectory(path, run: MDRun, **metadata) -> None:
    """Every frame of `run` as a compressed .npz (float32 positions); metadata as 0-d arrays."""
    f = run.all_frames
    np.savez_compressed(path, numbers=run.numbers, positions=f["positions"].astype(np.float32),
                        cells=f["cells"].astype(np.float32), times_fs=f["times_fs"], phase=f["phase"].astype(np.int8),
                        temperatures_k=f["temperatures_k"].astype(np.float32), energies_ev=f["energies_ev"],
                        target_temperature_k=run.temperature_k,
                        **{k: np.asarray(v) for k, v in metadata.items()})


def read_trajectory(path) -> dict:
    """The arrays of a trajectory written by `write_trajectory` (positions unwrapped, Å)."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def trajectory_atoms(path, phase: int | None = 1) -> list:
    """The frames of a trajectory file as ase.Atoms (phase 1 = NVT production, 0 = NPT, None = all)."""
    from ase import Atoms

    t = read_trajectory(path)
    keep = np.ones(len(t["times_fs"]), bool) if phase is None else t["phase"] == phase
    return [Atoms(numbers=t["numbers"], positions=p, cell=c, pbc=True)
            for p, c in zip(t["positions"][keep], t["cells"][keep])]
