"""Where CellAwareBFGS and FIRE end on the compounds whose E_d differ most (benchmarks/README.md, relax_throughput).

Each compound (demo-space ids) is relaxed one at a time with FIRE and with CellAwareBFGS at fmax 0.05 eV/Å, then
CellAwareBFGS's end is relaxed on to fmax 0.01 with each optimiser, and once more with CellAwareBFGS after a 0.01 Å
seeded rattle. Energies in eV/atom (SevenNet-0), one thread. About 2 minutes.

    python benchmarks/relax_endpoints.py [ID ...]
"""

from __future__ import annotations

import argparse
import os

for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")

DEFAULT_IDS = ["n1-7cb594b9caa5", "n1-881cf7b998a6"]  # Cm Li8S2Cl3Br, C2/m Li4SClBr: the two largest differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", default=DEFAULT_IDS)
    args = parser.parse_args()

    import numpy as np
    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.campaign.config import from_preset
    from ipscreen.energy.backends import load_backend
    from ipscreen.energy.relax import RelaxSettings, rattled, relax
    from ipscreen.energy.threads import limit_threads
    from ipscreen.space import enumerate_space

    limit_threads()
    space = {c.id: c for c in enumerate_space(from_preset("demo").space)}
    backend = load_backend("sevenn")

    def run(atoms, optimizer: str, fmax: float):
        r = relax(atoms.copy(), backend, RelaxSettings(fmax=fmax, max_steps=500, optimizer=optimizer))
        return r, r.energy_ev / len(atoms)

    print("compound | FIRE 0.05 | CellAwareBFGS 0.05 | from its end: CellAwareBFGS 0.01 | FIRE 0.01 | "
          "rattle 0.01 + CellAwareBFGS 0.05")
    for cid in args.ids:
        c = space[cid]
        atoms = AseAtomsAdaptor.get_atoms(c.structure)
        fire, e_fire = run(atoms, "FIRE", 0.05)
        bfgs, e_bfgs = run(atoms, "CellAwareBFGS", 0.05)
        end = bfgs.atoms
        _, e_on_bfgs = run(end, "CellAwareBFGS", 0.01)
        _, e_on_fire = run(end, "FIRE", 0.01)
        _, e_rattled = run(rattled(end.copy(), 0.01, np.random.default_rng(0)), "CellAwareBFGS", 0.05)
        sg = {k: AseAtomsAdaptor.get_structure(r.atoms).get_space_group_info(0.1)[0] for k, r in
              (("fire", fire), ("bfgs", bfgs))}
        print(f"{c.space_group} {c.reduced_formula} ({cid}) | {e_fire:.4f} ({sg['fire']}) | {e_bfgs:.4f} "
              f"({sg['bfgs']}) | {e_on_bfgs:.4f} | {e_on_fire:.4f} | {e_rattled:.4f}")


if __name__ == "__main__":
    main()
