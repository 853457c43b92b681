"""Benchmark: relaxation throughput, batched lockstep vs the one-at-a-time ASE loop.

Both drivers relax the same structures (a slice of the demo space) with the same
model and thresholds in this process, one after the other; the script prints
structures/hour for each, the ratio, the largest energy difference between the two
(they follow the same optimiser path), and a projection of the wall time for the
whole paper space on this machine from the measured time per atom-step.

    python benchmarks/relax_throughput.py [--backend sevenn] [--n 24] [--batch-size 8] [--fmax 0.05]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sevenn")
    parser.add_argument("--n", type=int, default=24, help="structures from the demo space (evenly spread)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--fmax", type=float, default=0.05, help="eV/Å (demo preset: 0.05)")
    parser.add_argument("--max-steps", type=int, default=250)
    args = parser.parse_args()

    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.campaign.config import from_preset
    from ipscreen.energy.backends import load_backend
    from ipscreen.energy.relax import RelaxSettings, relax, relax_many
    from ipscreen.space import enumerate_space

    backend = load_backend(args.backend)
    demo = enumerate_space(from_preset("demo").space)
    step = max(1, len(demo) // args.n)
    atoms = [AseAtomsAdaptor.get_atoms(c.structure) for c in demo[::step][: args.n]]
    settings = RelaxSettings(fmax=args.fmax, max_steps=args.max_steps)

    t0 = time.perf_counter()
    single = [relax(a, backend, settings) for a in atoms]
    t_single = time.perf_counter() - t0
    t0 = time.perf_counter()
    batched = relax_many(atoms, backend, settings, batch_size=args.batch_size)
    t_batched = time.perf_counter() - t0

    n = len(atoms)
    de = max(abs(a.energy_ev_per_atom - b.energy_ev_per_atom) for a, b in zip(single, batched))
    atom_steps = sum(len(a) * (r.steps + 1) for a, r in zip(atoms, batched))
    per_atom_step = t_batched / atom_steps

    paper = enumerate_space(from_preset("paper").space)
    mean_steps = sum(r.steps + 1 for r in batched) / n  # at this fmax; the paper preset's 0.01 needs more
    paper_atom_steps = sum(c.n_atoms for c in paper) * mean_steps
    cores = os.cpu_count() or 1

    print(f"machine: {platform.machine()}, {cores} cores; backend {backend.info.backend} {backend.info.model}")
    print(f"{n} demo structures ({min(map(len, atoms))}-{max(map(len, atoms))} atoms), fmax {args.fmax} eV/Å")
    print(f"one-at-a-time ASE loop : {t_single:7.1f} s  {3600 * n / t_single:8.0f} structures/hour (1 core)")
    print(f"batched (batch {args.batch_size:>2})     : {t_batched:7.1f} s  {3600 * n / t_batched:8.0f} structures/hour"
          " (1 core)")
    print(f"speed-up               : {t_single / t_batched:7.2f}x")
    print(f"max |dE| between the two: {de:.1e} eV/atom; steps equal: "
          f"{sum(a.steps == b.steps for a, b in zip(single, batched))}/{n}")
    print(f"time per atom-step (batched): {1000 * per_atom_step:.1f} ms")
    print(f"projected paper space ({len(paper):,} compounds, {mean_steps:.0f} steps each at this fmax): "
          f"{paper_atom_steps * per_atom_step / 3600 / cores:.1f} h on {cores} cores "
          f"({paper_atom_steps * per_atom_step / 3600:.0f} core-hours)")


if __name__ == "__main__":
    main()
