"""Kohn-Sham band gap from a plane-wave PBE calculation with GPAW (SPEC.md §3).

Method: one self-consistent PBE run (GPAW, PAW setups from the ``gpaw-data`` wheel,
plane-wave mode) on a Gamma-centred Monkhorst-Pack grid; the gap is taken from the band
edges over every irreducible k-point and both spin channels: VBM = highest eigenvalue
below the Fermi level, CBM = lowest eigenvalue above it. If a band is partly occupied
(the number of states below the Fermi level changes from one k-point to another) the
structure is a metal and the gap is 0.0. The gap is direct when VBM and CBM sit at the
same k-point (and spin). Units: eV for energies, Å⁻¹ for the k-point density.

Protocol (paper, Methods): VASP PAW PBE, 520 eV cutoff, k-point resolution >= 1000
k-points per reciprocal atom, spin-polarised; E_g = CBM - VBM of the PBE DOS. Here:
GPAW PAW PBE at the same 520 eV cutoff; k-points from a density per Å⁻¹ (2.2 gives 4x4x4
for a 3.9 Å cubic cell, 2x2x2 for its 2x2x2 supercell; the paper's 1000/atom would be
6x6x6 for the 5-atom cell, which changes the Li3OCl gap by < 1 meV); spin-paired by
default (closed-shell compounds: the spin-polarised run from 1 µB/atom gives the same gap
at ~1.7x the cost). PBE gaps are systematically low (paper, ref. 81); rank, don't compare
with experiment. Paper values to compare with: Cm Li8O2Cl3Br 4.74 eV, Amm2 Li8OSCl4
4.14 eV, Cmcm Li12O3SeClBr3 3.36 eV. GPAW: Mortensen et al., J. Chem. Phys. 160, 092503
(2024).

Measured here (one core of the 2-core development machine, GPAW 26.7.0, 520 eV):
cubic Li3OCl a = 3.91 Å, 4x4x4 -> 4.727 eV indirect (VBM at M, CBM at Gamma), ~9-13 s;
Gamma only -> 5.376 eV (misses the VBM at M); its 40-atom 2x2x2 supercell at 2x2x2 ->
4.727 eV in ~70-135 s. Cubic Li3SI (a = 4.76 Å): an odd 3x3x3 grid gave 3.78 eV,
the even 4x4x4 grid 3.53 eV (direct at M), hence the even rounding in `kpoint_grid`.
"""

from __future__ import annotations

import glob
import os
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ipscreen.errors import InputError, PropertyError
from ipscreen.structure_io import check_structure

XC = "PBE"


@dataclass(frozen=True)
class BandGapSettings:
    cutoff_ev: float = 520.0  # plane-wave kinetic-energy cutoff, eV (paper: 520 eV in VASP)
    kpt_density_ang: float = 2.2  # k-points per Å⁻¹ along each reciprocal vector (|b| incl. 2π)
    smearing_ev: float = 0.01  # Fermi-Dirac width, eV
    extra_bands: int = 8  # empty bands above the occupied ones
    scf_energy_tol_ev: float = 0.0005  # SCF energy change, eV per valence electron (GPAW default)
    scf_density_tol: float = 1.0e-4  # SCF density change, electrons per valence electron
    max_scf_iterations: int = 100
    spin_polarized: bool = False  # paper: spin-polarised; same gap for these closed-shell solids

    def validate(self) -> None:
        if not 100.0 <= self.cutoff_ev <= 2000.0:
            raise InputError(f"band gap: cutoff_ev must be in [100, 2000], got {self.cutoff_ev}")
        if not 0.0 < self.kpt_density_ang <= 20.0:
            raise InputError(
                f"band gap: kpt_density_ang must be in (0, 20], got {self.kpt_density_ang}"
            )
        if not 0.0 < self.smearing_ev <= 0.5:
            raise InputError(f"band gap: smearing_ev must be in (0, 0.5], got {self.smearing_ev}")
        if self.extra_bands < 2:
            raise InputError(f"band gap: extra_bands must be >= 2, got {self.extra_bands}")
        if self.scf_energy_tol_ev <= 0 or self.scf_density_tol <= 0:
            raise InputError("band gap: SCF tolerances must be positive")
        if self.max_scf_iterations < 1:
            raise InputError(
                f"band gap: max_scf_iterations must be >= 1, got {self.max_scf_iterations}"
            )


def kpoint_grid(atoms, density_ang: float) -> list[int]:
    """Gamma-centred Monkhorst-Pack size from a density in points per Å⁻¹.

    n_i = ceil(density * |b_i|) with |b_i| including the 2π (ASE's convention), rounded up
    to an even number when above 1 so that the zone-boundary points (0.5) are on the grid:
    the VBM of these anti-perovskites sits at M = (½, ½, 0) and an odd grid misses it
    (cubic Li3SI, a = 4.76 Å: 3x3x3 gives 3.78 eV, 4x4x4 3.53 eV).
    1 along non-periodic directions."""
    from ase.calculators.calculator import kptdensity2monkhorstpack

    sizes = kptdensity2monkhorstpack(atoms, density_ang, even=False)
    return [int(n) + int(n) % 2 if n > 1 else int(n) for n in sizes]


def band_edges(eig_skn: np.ndarray, fermi_level: float) -> dict:
    """Band edges from eigenvalues [spin, k, band] (eV) and the Fermi level (eV).

    Returns gap_ev (0.0 for a metal), is_metal, vbm_ev/cbm_ev, the (spin, k) of each edge
    and the smallest direct gap. Raises PropertyError when there is no empty band."""
    eig_skn = np.asarray(eig_skn, dtype=float)
    nocc_sk = (eig_skn < fermi_level).sum(axis=2)
    nbands = eig_skn.shape[2]
    if (nocc_sk == nbands).any():
        raise PropertyError("band gap: no empty band above the Fermi level; raise extra_bands")
    is_metal = bool((nocc_sk != nocc_sk[:, :1]).any())
    if is_metal or (nocc_sk == 0).all():
        return {"gap_ev": 0.0, "is_metal": True, "vbm_ev": fermi_level, "cbm_ev": fermi_level,
                "vbm_sk": None, "cbm_sk": None, "direct_gap_ev": 0.0}
    vbm, cbm, vbm_sk, cbm_sk, direct = -np.inf, np.inf, None, None, np.inf
    for s in range(eig_skn.shape[0]):
        n = int(nocc_sk[s, 0])
        top = eig_skn[s, :, n - 1] if n > 0 else np.full(eig_skn.shape[1], -np.inf)
        bottom = eig_skn[s, :, n]
        if top.max() > vbm:
            vbm, vbm_sk = float(top.max()), (s, int(top.argmax()))
        if bottom.min() < cbm:
            cbm, cbm_sk = float(bottom.min()), (s, int(bottom.argmin()))
        direct = min(direct, float((bottom - top).min()))
    return {"gap_ev": max(cbm - vbm, 0.0), "is_metal": False, "vbm_ev": vbm, "cbm_ev": cbm,
            "vbm_sk": vbm_sk, "cbm_sk": cbm_sk, "direct_gap_ev": direct}


def _kpoint(ibz_kc: np.ndarray, sk: tuple[int, int] | None) -> list[float] | None:
    """Fractional reciprocal coordinates of the IBZ k-point of a band edge (None for a metal)."""
    return None if sk is None else [round(float(x), 4) for x in ibz_kc[sk[1]]]


def _check_setups(symbols) -> None:
    """PropertyError naming the elements that have no PBE PAW setup on GPAW's setup path."""
    import gpaw

    missing = sorted({
        s for s in symbols
        if not any(glob.glob(os.path.join(str(p), f"{s}.{XC}*")) for p in gpaw.setup_paths)
    })
    if missing:
        raise PropertyError(f"band gap: no {XC} PAW setup for {', '.join(missing)} in gpaw-data")


def calc(structure, settings: BandGapSettings = BandGapSettings(), *, workdir=None,
         progress: Callable[[int, int], None] | None = None) -> dict:
    """PBE band gap of a pymatgen Structure with GPAW (serial, one thread).

    The GPAW log goes to ``workdir/gpaw_band_gap.txt`` when workdir is given.
    Raises StructureError for an unphysical structure (`check_structure`: no atoms, atoms on top
    of each other, ...), PropertyError when an element has no PAW setup or the SCF does not
    converge within settings.max_scf_iterations."""
    check_structure(structure)
    settings.validate()
    import gpaw
    from gpaw import GPAW, PW, ConvergenceError
    from gpaw.mpi import serial_comm
    from pymatgen.io.ase import AseAtomsAdaptor
    from threadpoolctl import threadpool_limits

    atoms = AseAtomsAdaptor.get_atoms(structure)
    # VASP's default start for spin-polarised runs: 1 µB on every atom (MAGMOM = NIONS*1.0)
    atoms.set_initial_magnetic_moments([1.0] * len(atoms) if settings.spin_polarized else None)
    _check_setups(atoms.get_chemical_symbols())
    kpts = kpoint_grid(atoms, settings.kpt_density_ang)
    txt = None
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        txt = str(Path(workdir) / "gpaw_band_gap.txt")
    dft = GPAW(
        mode=PW(settings.cutoff_ev),
        xc=XC,
        kpts={"size": kpts, "gamma": True},
        occupations={"name": "fermi-dirac", "width": settings.smearing_ev},
        nbands=-settings.extra_bands,
        # converge every occupied band and the lowest empty one (the CBM) at each k-point
        convergence={"energy": settings.scf_energy_tol_ev, "density": settings.scf_density_tol,
                     "bands": -(settings.extra_bands - 1)},
        maxiter=settings.max_scf_iterations,
        spinpol=settings.spin_polarized,
        txt=txt,
        communicator=serial_comm,
    )
    start = time.perf_counter()
    try:
        with threadpool_limits(limits=1), warnings.catch_warnings():
            # GPAW notes that it symmetrised the real-space grid: information, not a problem
            warnings.filterwarnings("ignore", message=r"(Initial realspace grid|Using symmetrized grid)",
                                    category=UserWarning)
            for ctx in dft.icalculate(atoms):
                if progress is not None:
                    progress(min(ctx.niter, settings.max_scf_iterations),
                             settings.max_scf_iterations)
            fermi = float(dft.get_fermi_level())
            nspins, nk = dft.get_number_of_spins(), len(dft.get_ibz_k_points())
            eig_skn = np.array([[dft.get_eigenvalues(kpt=k, spin=s) for k in range(nk)]
                                for s in range(nspins)])
    except ConvergenceError:
        raise PropertyError(
            f"band gap: SCF not converged in {settings.max_scf_iterations} iterations"
        ) from None
    elapsed = time.perf_counter() - start
    if progress is not None:
        progress(settings.max_scf_iterations, settings.max_scf_iterations)

    edges = band_edges(eig_skn, fermi)
    ibz = dft.get_ibz_k_points()
    direct = (not edges["is_metal"]) and edges["vbm_sk"] == edges["cbm_sk"]
    result = {
        "band_gap_ev": round(edges["gap_ev"], 4),
        "gap_is_direct": bool(direct),
        "direct_gap_ev": round(edges["direct_gap_ev"], 4),
        "is_metal": edges["is_metal"],
        "vbm_ev": round(edges["vbm_ev"], 4),
        "cbm_ev": round(edges["cbm_ev"], 4),
        "fermi_level_ev": round(fermi, 4),
        "vbm_kpoint_frac": _kpoint(ibz, edges["vbm_sk"]),
        "cbm_kpoint_frac": _kpoint(ibz, edges["cbm_sk"]),
        "kpts": kpts,
        "n_ibz_kpoints": int(nk),
        "n_atoms": len(atoms),
        "scf_iterations": int(dft.get_number_of_iterations()),
        "elapsed_s": round(elapsed, 2),
        "method": {
            "code": "gpaw",
            "version": gpaw.__version__,
            "xc": XC,
            "mode": "pw",
            **asdict(settings),
            "kpts": kpts,
            "gamma_centred": True,
            "smearing": f"fermi-dirac {settings.smearing_ev} eV",
        },
    }
    return result
