"""f2 = E_h: free energy of the Li+/H+ exchange with water (SPEC.md §4), kJ/mol.

Reaction, per reaction as written (one Li -> H exchange in a supercell of the host):

    Li_aX_bZ_c + H2O(l) -> Li_(a-1)H X_bZ_c + LiOH(s)      e.g. Li81O27Cl27 + H2O -> Li80HO27Cl27 + LiOH

    E_h = dG = dH - T dS,   dH = E(hydrated) + E(LiOH) - E(host supercell) - E(H2O),
                            -T dS = +T S°(H2O, l)   (only the liquid carries entropy)

E_h > 0 (endothermic) means the compound resists moisture. 1 eV = 96.485 kJ/mol.

Protocol (paper: supercell edges >= 10 Å, 10 random Li -> H placements relaxed, the
lowest energy used):

- supercell: the smallest supercell of the host whose three perpendicular widths
  (plane spacings) are all >= `min_length` (cubic Li3OCl, a = 3.9 Å: 3x3x3 =
  Li81O27Cl27 at 10 Å), found by searching all supercell matrices (`supercell_for`).
- placements: `n_placements` Li sites replaced by H, chosen with
  ``numpy.random.default_rng(seed)``, cycling through the symmetry-inequivalent Li
  orbits of the host first (spglib), never reusing a Li site while unused ones are
  left; each H is also displaced by `h_displacement` Å in a random direction, so that
  placements on equivalent sites differ and the H can leave the (force-free, by
  symmetry) Li site to form the OH- ion.
- every placement and the host supercell are relaxed with the same backend and
  settings (ASE BFGS, positions only by default, `relax_cell = false`: the host's cell
  is kept, appropriate for one dilute defect); the lowest energy of any placement that
  did not fail is used (an unconverged one still bounds its minimum from above;
  `best_converged` says whether the winner converged).
- the host supercell starts with its atoms displaced at random (`host_rattle`, Å,
  seeded), as the placements are by their H: a symmetric host can sit on a saddle point
  that only a symmetry-broken start leaves (SevenNet-0, 40-48-atom cells: Li6O2FCl 2.10 eV
  and Li7O2FBr2 1.38 eV below the unrattled relaxation, Li3OCl 0.005 eV); a saddle-point
  host against freely relaxed hydrated cells made E_h 130-200 kJ/mol too negative.
- LiOH and H2O are relaxed (cell and positions) with the same backend, once per
  backend and process (`reference_energies`).

Water. The paper "added the entropy to the DFT energy of compounds that are liquid or
gaseous at room temperature, as in the Materials Project scheme with pymatgen"; this
is pymatgen's ``MaterialsProjectAqueousCompatibility`` (Persson et al., Phys. Rev. B
85, 235438 (2012)): the free energy of liquid water is the (MP2020-corrected) DFT
energy of the lowest-energy solid H2O minus T S°(H2O, l). We do exactly that with the
backend: G(H2O) = E(ice XI, relaxed) - T S°, S°(H2O, l, 298.15 K) = 69.95 J/(mol K)
(CODATA key values; NIST WebBook), T S° = 0.2162 eV = 20.86 kJ/mol at 298.15 K. The
scheme's other step (fitting the H2 energy so that dGf(H2O, l) = -237.13 kJ/mol =
-2.4583 eV) does not enter: neither H2 nor O2 takes part in the reaction. No zero-point
energies (as in MP and the paper); the solids' entropies are neglected. `temperature`
scales T S° with the 298.15 K entropy, so it is meaningful only near room temperature.
An isolated H2O molecule is not used: universal potentials are trained on crystals,
and the molecule would need the experimental vaporisation enthalpy on top.

Measured (SevenNet-0, Li3OCl relaxed with it, a = 3.906 Å; paper, PBE: -22.43 kJ/mol):
paper settings (3x3x3 = 135 atoms, 10 placements) -18.6 kJ/mol (dH -39.5), ~35 min on one
free core (93 min on the shared 2-core machine); 2x2x2 (40 atoms, `min_length` 7.5) -6.9;
fcc-shaped 80-atom cell (`min_length` 9) -12.6: small cells are not converged in size.
CHGNet 0.3.0, 2x2x2: -30.7. The relaxed OH- either points at the Li vacancy (reached in
30-50 BFGS steps) or, in some placements, turns towards a Li4 face (0.15 eV lower in the
80-atom cell; a slow relaxation, converged after 486 steps, whose energy is within 20 meV
of its minimum after 300), so more placements give lower (more negative) E_h.

MP2020 corrections (`mp2020`; default: on, except for CHGNet, which predicts
MP2020-corrected energies, as ``EnergySettings.corrections``). The oxide correction
(-0.687 eV per O) applies to every O of an oxide, hydroxide (pymatgen maps "hydroxide"
to "oxide") and of H2O; H in OH- and H2O is H+ and gets no (hydride) correction; the
X and Z anion corrections apply to the same atoms on both sides. So the reaction keeps
every corrected species' count (the O of H2O becomes the O of LiOH) and the net
correction is zero by construction; it is still computed with pymatgen, with explicit
oxidation states (pymatgen's guess fails beyond 20 sites and would then drop the
halide correction of the supercells), and reported as ``mp2020_correction_ev``.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy import constants

from ipscreen.energy.backends import mp2020_by_default
from ipscreen.energy.supercell import plane_spacings, supercell_for
from ipscreen.errors import InputError, PropertyError
from ipscreen.space.enumerate import format_formula
from ipscreen.space.settings import OXIDATION_STATES
from ipscreen.structure_io import check_structure

EV_TO_KJ_PER_MOL = constants.e * constants.N_A / constants.kilo  # 1 eV per particle in kJ/mol (CODATA 2018)
ION_CHARGES = {**OXIDATION_STATES, "H": 1}  # the space's ions and the exchanged proton, H+
REFERENCE_FMAX = 0.01  # eV/Å: LiOH and ice are small cells, relaxed tightly once per backend
REFERENCE_MAX_STEPS = 1000  # BFGS needed 9-27 steps with SevenNet-0 and CHGNet (FIRE: 29-842)


@dataclass(frozen=True)
class HydrationSettings:
    """Li+/H+ exchange free energy. Defaults: the paper's protocol (10 Å, 10 placements)."""

    min_length: float = 10.0  # Å, minimum perpendicular width of the supercell (paper: 10)
    n_placements: int = 10  # random Li -> H substitutions relaxed (paper: 10)
    h_displacement: float = 0.25  # Å, random displacement of the H off the Li site
    host_rattle: float = 0.05  # Å, std of the random displacement of the host supercell's atoms before relaxing
    fmax: float = 0.05  # eV/Å, force threshold of the supercell relaxations
    max_steps: int = 300  # step cap per supercell relaxation
    relax_cell: bool = False  # also relax the supercell's cell (host and placements alike)
    optimizer: str = "BFGS"  # BFGS | FIRE (ASE); BFGS needs about half the steps of FIRE here
    temperature: float = 298.15  # K, of the -T dS term (paper: 298 K)
    mp2020: bool | None = None  # MP2020 corrections; None: on, except for CHGNet
    batch_size: int = 1  # structures per model call in relax_many (speed only; batches of 40+ atom cells were slower)

    def validate(self) -> None:
        if not 3.0 <= self.min_length <= 30.0:
            raise InputError(f"[hydration] min_length must lie in [3, 30] Å, not {self.min_length}")
        if not 1 <= self.n_placements <= 1000:
            raise InputError(f"[hydration] n_placements must lie in [1, 1000], not {self.n_placements}")
        if not 0.0 <= self.h_displacement <= 1.0:
            raise InputError(f"[hydration] h_displacement must lie in [0, 1] Å, not {self.h_displacement}")
        if not 0.0 <= self.host_rattle <= 0.5:
            raise InputError(f"[hydration] host_rattle must lie in [0, 0.5] Å, not {self.host_rattle}")
        if not 0.0 < self.fmax <= 1.0:
            raise InputError(f"[hydration] fmax must lie in (0, 1] eV/Å, not {self.fmax}")
        if self.max_steps < 1:
            raise InputError(f"[hydration] max_steps must be >= 1, not {self.max_steps}")
        if not 0.0 < self.temperature <= 1000.0:
            raise InputError(f"[hydration] temperature must lie in (0, 1000] K, not {self.temperature}")
        if self.optimizer not in ("BFGS", "FIRE"):
            raise InputError(f"[hydration] optimizer must be BFGS or FIRE, not {self.optimizer!r}")
        if self.mp2020 is not None and not isinstance(self.mp2020, bool):
            raise InputError(f"[hydration] mp2020 must be true or false, not {self.mp2020!r}")
        if self.batch_size < 1:
            raise InputError(f"[hydration] batch_size must be >= 1, not {self.batch_size}")

    def corrections(self, backend_name: str) -> bool:
        """Apply MP2020 corrections to this backend's energies?"""
        return self.mp2020 if self.mp2020 is not None else mp2020_by_default(backend_name)


@dataclass
class Placement:
    """One hydrated supercell: the Li index replaced by H (H keeps that index) and its displacement (Å)."""

    li_index: int
    displacement: tuple
    structure: object  # pymatgen Structure


# --- data --------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads((resources.files("ipscreen.data") / "hydration_references.json").read_text())


def entropy_term_ev(temperature: float = 298.15) -> float:
    """-T dS of the reaction = +T S°(H2O, l), eV (S° at 298.15 K)."""
    s = _data()["thermochemistry"]["S_H2O_liquid_J_per_mol_K"]
    return temperature * s / (constants.e * constants.N_A)  # J/mol -> eV per reaction


def lioh_structure():
    """Tetragonal LiOH (P4/nmm, 6 atoms), starting structure (see hydration_references.json)."""
    from pymatgen.core import Lattice, Structure

    d = _data()["LiOH"]
    zo, zh = d["z_O"], d["z_H"]
    return Structure(Lattice.tetragonal(d["a"], d["c"]), ["Li", "Li", "O", "O", "H", "H"],
                     [[0, 0, 0], [0.5, 0.5, 0], [0, 0.5, zo], [0.5, 0, -zo], [0, 0.5, zh], [0.5, 0, -zh]])


def ice_structure():
    """Ice XI (Cmc2_1; primitive cell of 4 H2O), starting structure."""
    from pymatgen.core import Lattice, Structure

    d = _data()["H2O"]
    return Structure(Lattice.hexagonal(d["a"], d["c"]), d["species"], d["frac_coords"])


# --- pure helpers ------------------------------------------------------------------------

def li_orbits(structure) -> list[list[int]]:
    """Indices of the Li sites grouped by symmetry equivalence (spglib), in site order."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    try:
        equivalent = SpacegroupAnalyzer(structure, symprec=0.01).get_symmetry_dataset().equivalent_atoms
    except Exception:  # noqa: BLE001  (no symmetry found: every Li on its own)
        equivalent = np.arange(len(structure))
    orbits: dict[int, list[int]] = {}
    for i, site in enumerate(structure):
        if site.specie.symbol == "Li":
            orbits.setdefault(int(equivalent[i]), []).append(i)
    return [orbits[k] for k in sorted(orbits)]


def h_placements(supercell, n: int, seed: int = 0, displacement: float = 0.25) -> list[Placement]:
    """`n` hydrated copies of `supercell`: one Li -> H each, displaced by `displacement` Å.

    Li sites cycle through the symmetry-inequivalent orbits (random site within each,
    no site reused until all are used); directions are uniform on the sphere.
    Deterministic given `seed`.
    """
    orbits = li_orbits(supercell)
    if not orbits:
        raise PropertyError("no Li in the structure: the Li+/H+ exchange is undefined")
    rng = np.random.default_rng(seed)
    unused = [list(o) for o in orbits]
    out = []
    for k in range(n):
        o = k % len(orbits)
        if not unused[o]:
            unused[o] = list(orbits[o])
        li = int(unused[o].pop(int(rng.integers(len(unused[o])))))
        direction = rng.normal(size=3)
        vector = displacement * direction / np.linalg.norm(direction)
        s = supercell.copy()
        s.replace(li, "H", coords=s[li].coords + vector, coords_are_cartesian=True)
        out.append(Placement(li, tuple(float(x) for x in vector), s))
    return out


def reaction_balance(host, hydrated) -> str:
    """The reaction string host + H2O -> hydrated + LiOH; ValueError unless both sides hold the same atoms.

    `host` and `hydrated`: pymatgen Structures or Compositions.
    """
    from pymatgen.core import Composition

    host_c = getattr(host, "composition", host)
    hyd_c = getattr(hydrated, "composition", hydrated)
    left = host_c + Composition("H2O")
    right = hyd_c + Composition("LiOH")
    elements = set(left) | set(right)
    if any(abs(left[el] - right[el]) > 1e-8 for el in elements):
        raise ValueError(f"unbalanced hydration reaction: {format_formula(left)} != {format_formula(right)}")
    return f"{format_formula(host_c)} + H2O -> {format_formula(hyd_c)} + LiOH"


def mp2020_correction_ev(structure) -> float:
    """Total MP2020 energy correction of `structure` (eV), oxidation states set explicitly."""
    from pymatgen.entries.compatibility import MaterialsProject2020Compatibility
    from pymatgen.entries.computed_entries import ComputedStructureEntry

    symbols = {site.specie.symbol for site in structure}
    entry = ComputedStructureEntry(structure, 0.0, parameters={"run_type": "GGA", "hubbards": {},
                                                               "is_hubbard": False})
    if symbols <= ION_CHARGES.keys():
        entry.data["oxidation_states"] = {el: float(ION_CHARGES[el]) for el in symbols}
    compat = MaterialsProject2020Compatibility(check_potcar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return float(sum(adj.value for adj in compat.get_adjustments(entry)))


# --- energies ----------------------------------------------------------------------------

_REFERENCE_CACHE: dict = {}


def _atoms(structure):
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_atoms(structure)


def _structure(atoms):
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_structure(atoms)


def reference_energies(backend) -> dict:
    """LiOH and H2O (ice XI) relaxed with `backend` (cell and positions): eV per formula unit.

    Cached per backend (BackendInfo.key()) within the process.
    """
    from ipscreen.energy.relax import RelaxSettings, relax_many

    key = backend.info.key()
    if key in _REFERENCE_CACHE:
        return _REFERENCE_CACHE[key]
    starts = {"LiOH": (lioh_structure(), 2), "H2O": (ice_structure(), 4)}
    settings = RelaxSettings(fmax=REFERENCE_FMAX, max_steps=REFERENCE_MAX_STEPS, optimizer="BFGS", relax_cell=True)
    results = relax_many([_atoms(s) for s, _ in starts.values()], backend, settings, batch_size=1)
    out = {}
    for (name, (_, n_fu)), r in zip(starts.items(), results):
        if r.status == "failed" or r.atoms is None:
            raise PropertyError(f"{name} reference relaxation failed: {r.reason}")
        relaxed = _structure(r.atoms)
        out[name] = {"energy_ev_per_fu": r.energy_ev / n_fu, "status": r.status, "steps": r.steps,
                     "volume_ang3_per_fu": relaxed.volume / n_fu, "structure": relaxed, "n_fu": n_fu}
    _REFERENCE_CACHE[key] = out
    return out


def _nearest(structure, index: int) -> tuple[str, float]:
    """Species and distance (Å) of the nearest neighbour of site `index`."""
    d = structure.distance_matrix[index].copy()
    d[index] = np.inf
    j = int(np.argmin(d))
    return structure[j].specie.symbol, float(d[j])


def calc(structure, settings: HydrationSettings = HydrationSettings(), *, backend=None, workdir=None,
         seed: int = 0, progress=None) -> dict:
    """E_h of `structure` (a relaxed host), kJ/mol per reaction as written; see the module docstring."""
    from ipscreen.energy.relax import RelaxSettings, rattled, relax_many
    from ipscreen.energy.threads import limit_threads

    check_structure(structure)
    settings.validate()
    limit_threads()
    symbols = {site.specie.symbol for site in structure}
    if "Li" not in symbols:
        raise PropertyError("no Li in the structure: the Li+/H+ exchange is undefined")
    if backend is None:
        from ipscreen.energy.backends import load_backend

        backend = load_backend()
    try:
        backend.check_elements(symbols | {"H", "O"})
    except InputError as exc:
        raise PropertyError(str(exc)) from None
    t0 = time.perf_counter()
    mp2020 = settings.corrections(backend.info.backend)

    supercell, matrix = supercell_for(structure, settings.min_length)
    placements = h_placements(supercell, settings.n_placements, seed, settings.h_displacement)
    reaction = {reaction_balance(supercell, p.structure) for p in placements}.pop()  # raises if unbalanced

    total = 2 + len(placements)  # references, host supercell, placements
    refs = reference_energies(backend)
    if progress:
        progress(1, total)
    relax_settings = RelaxSettings(fmax=settings.fmax, max_steps=settings.max_steps, optimizer=settings.optimizer,
                                   relax_cell=settings.relax_cell)
    host_start = rattled(_atoms(supercell), settings.host_rattle, np.random.default_rng([seed, 1]))  # own stream
    starts = [host_start] + [_atoms(p.structure) for p in placements]
    results = []
    for start in range(0, len(starts), settings.batch_size):  # chunks, so that progress can be reported
        chunk = starts[start:start + settings.batch_size]
        results += relax_many(chunk, backend, relax_settings, batch_size=settings.batch_size)
        if progress:
            progress(1 + len(results), total)
    host_result, placement_results = results[0], results[1:]
    if host_result.status == "failed":
        raise PropertyError(f"host supercell relaxation failed: {host_result.reason}")

    rows = []
    for i, (p, r) in enumerate(zip(placements, placement_results)):
        rows.append({"index": i, "li_index": p.li_index, "status": r.status, "reason": r.reason,
                     "energy_ev": None if math.isnan(r.energy_ev) else float(r.energy_ev), "steps": r.steps,
                     "displacement_ang": [round(x, 4) for x in p.displacement]})
    # an unconverged placement's energy is that of a real geometry above its (lower) minimum: it counts
    usable = [i for i, r in enumerate(placement_results) if r.status in ("converged", "unconverged")]
    if not usable:
        reasons = "; ".join(sorted({r.reason for r in placement_results}))
        raise PropertyError(f"all {len(placements)} H placements failed: {reasons}")
    best = min(usable, key=lambda i: placement_results[i].energy_ev)
    best_result = placement_results[best]
    best_structure = _structure(best_result.atoms)
    host_structure = _structure(host_result.atoms)

    e_host = host_result.energy_ev
    e_hyd = best_result.energy_ev
    e_lioh = refs["LiOH"]["energy_ev_per_fu"]
    e_h2o = refs["H2O"]["energy_ev_per_fu"]
    correction = 0.0
    if mp2020:
        lioh, ice = refs["LiOH"], refs["H2O"]
        correction = (mp2020_correction_ev(best_structure) + mp2020_correction_ev(lioh["structure"]) / lioh["n_fu"]
                      - mp2020_correction_ev(host_structure) - mp2020_correction_ev(ice["structure"]) / ice["n_fu"])
    d_h = e_hyd + e_lioh - e_host - e_h2o + correction
    minus_t_ds = entropy_term_ev(settings.temperature)
    d_g = d_h + minus_t_ds
    h_neighbour, h_distance = _nearest(best_structure, placements[best].li_index)

    if workdir is not None:
        from pathlib import Path

        path = Path(workdir)
        path.mkdir(parents=True, exist_ok=True)
        best_structure.to(filename=str(path / "hydrated_best.cif"))

    info = backend.info.as_dict()
    return {
        "hydration_kj_per_mol": d_g * EV_TO_KJ_PER_MOL,
        "hydration_enthalpy_kj_per_mol": d_h * EV_TO_KJ_PER_MOL,
        "hydration_ev": d_g,
        "entropy_term_kj_per_mol": minus_t_ds * EV_TO_KJ_PER_MOL,
        "reaction": reaction,
        "supercell_atoms": len(supercell),
        "supercell_matrix": matrix,
        "supercell_min_width_ang": float(min(plane_spacings(supercell.lattice))),
        "placements": rows,
        "best_placement": best,
        "best_converged": best_result.status == "converged",
        "n_converged": sum(r.status == "converged" for r in placement_results),
        "placement_spread_ev": float(max(placement_results[i].energy_ev for i in usable) - best_result.energy_ev),
        "h_nearest_neighbour": h_neighbour,
        "h_nearest_distance_ang": h_distance,
        "host_supercell_energy_ev": e_host,
        "host_relax_status": host_result.status,
        "hydrated_energy_ev": e_hyd,
        "lioh_energy_ev_per_fu": e_lioh,
        "h2o_energy_ev_per_fu": e_h2o,
        "h2o_free_energy_ev_per_fu": e_h2o - minus_t_ds,
        "mp2020_correction_ev": correction,
        "wall_time_s": time.perf_counter() - t0,
        "method": {
            "code": "ipscreen.properties.hydration",
            "backend": info["backend"], "model": info["model"], "version": info["version"],
            "mp2020": mp2020,
            "h2o_reference": "ice XI relaxed with the backend, minus T*S(H2O, l, 298.15 K) = 69.95 J/(mol K) "
                             "(Materials Project aqueous scheme)",
            "lioh_reference": "P4/nmm LiOH relaxed with the backend",
            "reference_relax": {"fmax_ev_per_ang": REFERENCE_FMAX, "optimizer": "BFGS", "relax_cell": True,
                                "lioh_status": refs["LiOH"]["status"], "h2o_status": refs["H2O"]["status"]},
            "settings": asdict(settings),
            "seed": seed,
        },
    }
