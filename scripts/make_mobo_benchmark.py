"""Build the MOBO benchmark table: src/ipscreen/data/mobo_benchmark.npz (+ .json provenance).

A fixed, fully known three-objective problem over real candidates of the paper space, so that
strategies can be compared against the true Pareto front. Pool: the first `--n` compounds of a
seeded permutation (numpy default_rng(--seed)) of the 10,704-compound paper space for which all
three properties exist, kept in enumeration order. Every property is computed on the starting
geometry (ideal positions, lattice constant from Shannon radii; no relaxation):

- BVSE Li+ percolation barrier (eV) from ipscreen.properties.bvse (bvlain, grid 0.3 Å,
  dimensionality inferred from the parent); minimised, objective = -barrier. Compounds without a
  barrier (bvlain failure, or no percolation below 5 eV) are skipped.
- Free-volume fraction 1 - sum_i (4/3) pi r_i^3 / V with the Shannon (1976) ionic radii at CN VI
  of ipscreen.space.radii (dimensionless); maximised.
- Ewald electrostatic energy per atom (eV/atom) with formal charges Li+, X2-, Z- (pymatgen
  EwaldSummation); it depends on the anion ordering, not only on the composition. Minimised,
  objective = -energy.

Also stored: id, formula, parent per compound and the reduced descriptors (EN/VR/PF histograms ->
kernel PCA, 30 latent variables per group, fitted on this pool, float32) with their dims.

    OMP_NUM_THREADS=1 nice -n 10 python scripts/make_mobo_benchmark.py [--n 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
import warnings
from pathlib import Path

for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")

OUT = Path(__file__).resolve().parents[1] / "src" / "ipscreen" / "data"
RESOLUTION = 0.3  # Å, BVSE grid spacing
N_COMPONENTS = 30  # kernel-PCA latent variables per descriptor group
COLUMNS = ("neg_bvse_barrier", "free_volume_fraction", "neg_ewald_energy")
RAW_COLUMNS = ("bvse_barrier_ev", "free_volume_fraction", "ewald_energy_ev_per_atom")


def free_volume_fraction(structure) -> float:
    """1 - (volume of Shannon-radius spheres) / cell volume (dimensionless)."""
    import numpy as np

    from ipscreen.space.radii import shannon_radius

    spheres = sum(4.0 / 3.0 * np.pi * shannon_radius(site.specie.symbol) ** 3 for site in structure)
    return float(1.0 - spheres / structure.volume)


def ewald_energy_per_atom(structure) -> float:
    """Ewald energy (eV/atom) of point charges Li+, X2-, Z- on the sites."""
    from pymatgen.analysis.ewald import EwaldSummation

    from ipscreen.space.radii import OXIDATION_STATES

    s = structure.copy()
    s.add_oxidation_state_by_element({el.symbol: OXIDATION_STATES[el.symbol] for el in s.composition.elements})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(EwaldSummation(s).total_energy / len(s))


def properties(structure) -> tuple[float, float, float] | None:
    """(barrier eV, free-volume fraction, Ewald eV/atom), or None when there is no BVSE barrier."""
    from ipscreen.errors import PropertyError
    from ipscreen.properties.bvse import BVSESettings, calc

    try:
        barrier = calc(structure, BVSESettings(resolution_angstrom=RESOLUTION))["bvse_barrier_ev"]
    except PropertyError:
        return None
    if barrier is None:
        return None
    return float(barrier), free_volume_fraction(structure), ewald_energy_per_atom(structure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="pool size (compounds with all three properties)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the permutation of the paper space")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from importlib.metadata import version

    import numpy as np

    from ipscreen.campaign.config import from_preset
    from ipscreen.mobo.descriptors import GROUPS, descriptor_matrix
    from ipscreen.mobo.reduce import reduce
    from ipscreen.space import enumerate_space

    t_start = time.perf_counter()
    space = enumerate_space(from_preset("paper").space)
    order = np.random.default_rng(args.seed).permutation(len(space))
    chosen: dict[int, tuple] = {}
    skipped = []
    t0 = time.perf_counter()
    for tried, i in enumerate(order, 1):
        values = properties(space[int(i)].structure)
        if values is None:
            skipped.append(space[int(i)].id)
        else:
            chosen[int(i)] = values
        if tried % 50 == 0:
            print(f"{tried} tried, {len(chosen)} kept, {time.perf_counter() - t0:.0f} s", flush=True)
        if len(chosen) == args.n:
            break
    t_props = time.perf_counter() - t0
    keep = sorted(chosen)  # enumeration order
    compounds = [space[i] for i in keep]
    raw = np.array([chosen[i] for i in keep], dtype=np.float64)
    Y = np.column_stack([-raw[:, 0], raw[:, 1], -raw[:, 2]])

    t0 = time.perf_counter()
    groups = descriptor_matrix([c.structure for c in compounds])
    X, dims = reduce(groups, N_COMPONENTS, seed=0)
    t_desc = time.perf_counter() - t0

    args.out.mkdir(parents=True, exist_ok=True)
    npz = args.out / "mobo_benchmark.npz"
    np.savez_compressed(
        npz,
        id=np.array([c.id for c in compounds]),
        formula=np.array([c.formula for c in compounds]),
        parent=np.array([c.parent for c in compounds]),
        X=X.astype(np.float32),
        dims=np.array([dims[g] for g in GROUPS], dtype=np.int16),
        groups=np.array(GROUPS),
        Y=Y,
        raw=raw,
        columns=np.array(COLUMNS),
        raw_columns=np.array(RAW_COLUMNS),
    )
    provenance = {
        "file": npz.name,
        "description": "Fixed three-objective MOBO benchmark over a seeded subsample of the paper space; "
        "all properties on the starting geometries (Shannon-radius lattice constants, ideal positions).",
        "made_by": "scripts/make_mobo_benchmark.py",
        "command": f"python scripts/make_mobo_benchmark.py --n {args.n} --seed {args.seed}",
        "date": datetime.date.today().isoformat(),
        "settings": {
            "space_preset": "paper",
            "space_size": len(space),
            "pool_size": len(compounds),
            "subsample": f"first {args.n} compounds with all three properties in numpy "
            f"default_rng({args.seed}).permutation(space_size), stored in enumeration order",
            "compounds_tried": len(chosen) + len(skipped),
            "skipped_no_bvse_barrier": skipped,
            "bvse": {"resolution_angstrom": RESOLUTION, "r_cut_angstrom": 10.0, "energy_cutoff_ev": 5.0,
                     "dimensionality": "inferred (3 for n = inf, 2 for layered n = 1, 2)"},
            "ewald": "pymatgen EwaldSummation defaults, formal charges Li +1, O/S/Se/Te -2, F/Cl/Br/I -1",
            "radii": "Shannon, Acta Cryst. A32, 751 (1976), ionic radii at CN VI (ipscreen.space.radii)",
            "descriptors": f"ipscreen.mobo.descriptors (EN, VR, PF) -> ipscreen.mobo.reduce kernel PCA, "
            f"{N_COMPONENTS} components per group, seed 0, fitted on this pool",
        },
        "arrays": {
            "id": "compound id (ipscreen.space)", "formula": "cell formula", "parent": "ninf, n1 or n2",
            "X": "(N, 90) float32 reduced descriptors", "dims": "(3, 30) column indices of X per group",
            "groups": "EN, VR, PF (row order of dims)",
            "Y": "(N, 3) objectives to MAXIMISE, columns as in `columns`",
            "raw": "(N, 3) raw properties, columns as in `raw_columns`",
        },
        "columns": {
            "neg_bvse_barrier": "-(BVSE Li+ percolation barrier) / eV",
            "free_volume_fraction": "1 - sum(4/3 pi r^3)/V, dimensionless",
            "neg_ewald_energy": "-(Ewald energy per atom) / (eV/atom)",
        },
        "raw_columns": {"bvse_barrier_ev": "eV", "free_volume_fraction": "dimensionless",
                        "ewald_energy_ev_per_atom": "eV/atom"},
        "versions": {"ipscreen": version("ipscreen"), "pymatgen": version("pymatgen"),
                     "bvlain": version("bvlain"), "scikit-learn": version("scikit-learn"),
                     "numpy": np.__version__, "python": platform.python_version()},
        "seconds": {"properties": round(t_props, 1), "descriptors_and_reduction": round(t_desc, 1),
                    "total": round(time.perf_counter() - t_start, 1)},
    }
    (args.out / "mobo_benchmark.json").write_text(json.dumps(provenance, indent=2) + "\n")
    print(f"wrote {npz} ({npz.stat().st_size / 1e6:.2f} MB): {len(compounds)} compounds, "
          f"{len(skipped)} skipped, {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
