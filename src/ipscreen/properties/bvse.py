"""Bond-valence site-energy (BVSE) Li+ migration barrier: a fast tier (1-10 s) before MD.

Method: bvlain (Lain class; the BVSE model of Adams and co-workers as in softBV, Chen,
Wong & Adams, Acta Cryst. B 75, 18 (2019): Morse-type bond-valence attraction to the
anions plus screened Coulomb repulsion from the cations, softBV parameters) evaluates
the site energy of a Li+ probe on a grid over the cell with the Li sublattice removed;
the percolation barrier for 1-, 2- and 3-D migration is the lowest energy (above the
grid minimum) at which iso-surface regions connect across the periodic cell in that many
directions. Units: eV. Layered Li4OCl2 (n = 1): 0.44 eV in 2-D, 0.77 eV in 3-D (the
paper's high inter-slab barrier).

The grid is laid over the cell setting with the fewest grid points (given, Niggli-reduced
or conventional). Oxidation states: the inverse-perovskite chemistry is assigned directly
(Li +1, O/S/Se/Te -2, F/Cl/Br/I -1) when the cell is charge neutral with them; otherwise
pymatgen's BVAnalyzer (inside bvlain) guesses them; failure -> PropertyError.

`bvse_barrier_ev` is the barrier for the dimensionality the MD analysis uses (SPEC.md
§4: 3 for cubic n = inf inverse perovskites, 2 for the layered n = 1, 2 ones; see
`ipscreen.space.dimensionality.infer_dimensionality`, as the conductivity oracle), or `dimensionality` if given.
BVSE barriers are systematically different from DFT/MD activation energies (they ignore
relaxation and defect formation); use them to rank, not as E_a. For Li3OCl (a = 3.91 Å)
this gives 0.50 eV (0.2 Å grid), vs. DFT vacancy-migration E_a 0.31-0.37 eV (Emly et al.
Chem. Mater. 25, 4663 (2013)).
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np

from ipscreen.errors import InputError, PropertyError
from ipscreen.space.dimensionality import infer_dimensionality
from ipscreen.space.settings import OXIDATION_STATES
from ipscreen.structure_io import check_structure


@dataclass(frozen=True)
class BVSESettings:
    mobile_ion: str = "Li1+"
    resolution_angstrom: float = 0.2  # grid spacing (bvlain default; 0.1 changes Li3OCl's barrier by ~0.03 eV)
    r_cut_angstrom: float = 10.0  # probe-framework interaction cutoff (bvlain default)
    energy_cutoff_ev: float = 5.0  # no percolation below this above the minimum -> barrier None
    dimensionality: int = 0  # 0: from the structure (as the conductivity oracle), or 1, 2, 3

    def validate(self) -> None:
        if not 0.05 <= self.resolution_angstrom <= 1.0:
            raise InputError("bvse resolution_angstrom must be in [0.05, 1] Å")
        if self.r_cut_angstrom <= 0 or self.energy_cutoff_ev <= 0:
            raise InputError("bvse r_cut_angstrom and energy_cutoff_ev must be > 0")
        if self.dimensionality not in (0, 1, 2, 3):
            raise InputError("bvse dimensionality must be 0 (auto), 1, 2 or 3")
        if not self.mobile_ion.startswith("Li"):
            raise InputError("bvse mobile_ion must be a Li ion, e.g. 'Li1+'")


def _decorate(structure):
    """Structure with oxidation states from OXIDATION_STATES if they make it neutral, else None."""
    symbols = {el.symbol for el in structure.composition.elements}
    if not symbols <= OXIDATION_STATES.keys():
        return None
    decorated = structure.copy()
    decorated.add_oxidation_state_by_element({s: OXIDATION_STATES[s] for s in symbols})
    return decorated if abs(decorated.charge) < 1e-8 else None


def _grid_cell(structure):
    """The setting of `structure` with the fewest grid points (bvlain's grid is a x b x c / resolution³,
    so a skewed primitive cell, e.g. body-centred I4/mmm, costs several times its conventional cell)."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    candidates = [structure, structure.get_reduced_structure()]
    try:
        candidates.append(SpacegroupAnalyzer(structure, symprec=0.01).get_conventional_standard_structure())
    except Exception:  # spglib failure: keep the other settings
        pass
    return min(candidates, key=lambda s: float(np.prod(s.lattice.abc)))


def calc(structure, settings: BVSESettings = BVSESettings()) -> dict:
    """BVSE Li+ percolation barriers (eV) of a pymatgen Structure."""
    import bvlain
    from bvlain import Lain

    check_structure(structure)
    settings.validate()
    structure = structure.copy()
    structure.remove_oxidation_states()
    if "Li" not in {el.symbol for el in structure.composition.elements}:
        raise PropertyError("no Li in the structure: no Li+ migration barrier")
    cell = _grid_cell(structure)
    decorated = _decorate(cell)
    lain = Lain(verbose=False)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            lain.read_structure(decorated if decorated is not None else cell, oxi_check=decorated is None)
            lain.bvse_distribution(mobile_ion=settings.mobile_ion, r_cut=settings.r_cut_angstrom,
                                   resolution=settings.resolution_angstrom)
            barriers = lain.percolation_barriers(encut=settings.energy_cutoff_ev)
    except Exception as exc:  # bvlain raises KeyError/ValueError/... for missing parameters or oxidation states
        raise PropertyError(f"bvlain failed: {type(exc).__name__}: {exc}") from None
    values = {d: (float(barriers[f"E_{d}D"]) if math.isfinite(barriers[f"E_{d}D"]) else None) for d in (1, 2, 3)}
    dim, source = ((settings.dimensionality, "given") if settings.dimensionality
                   else infer_dimensionality(structure))
    return {
        "bvse_barrier_ev": values[dim],
        "bvse_barrier_1d_ev": values[1],
        "bvse_barrier_2d_ev": values[2],
        "bvse_barrier_3d_ev": values[3],
        "bvse_dimensionality": dim,
        "bvse_dimensionality_source": source,
        "method": {"code": "bvlain", "version": getattr(bvlain, "__version__", "unknown"),
                   "oxidation_states": "fixed (Li+, X2-, Z-)" if decorated is not None else "BVAnalyzer",
                   "settings": asdict(settings)},
    }
