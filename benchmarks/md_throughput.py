"""Benchmark: MD steps per second per core of the conductivity oracle's calculator, compiled against eager.

The conductivity oracle (properties/conductivity.py) runs ASE molecular dynamics with the backend's
calculator on a supercell of at least `supercell_min_length_angstrom` (demo: 7.5 Å; Li3OCl: 2x2x2,
40 atoms, plus the interstitial). This runs the same velocity-Verlet NVT (Langevin, 2 fs, 700 K) on
that Li3OCl supercell with the eager SevenNet-0 calculator (the baseline, today's) and with the
`[energy] compile = true` one, in this process, one after the other, from the same start. The
compile itself (first call, once per worker process) is timed apart.

    python benchmarks/md_throughput.py [--steps 200] [--backend sevenn]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")


def _run(calculator, atoms, steps: int) -> tuple[float, float]:
    """CPU-seconds for `steps` Langevin steps and the final potential energy (eV)."""
    import numpy as np
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    atoms = atoms.copy()
    atoms.calc = calculator
    MaxwellBoltzmannDistribution(atoms, temperature_K=700, rng=np.random.default_rng(0))
    dyn = Langevin(atoms, 2 * units.fs, temperature_K=700, friction=0.01, rng=np.random.default_rng(1))
    atoms.get_forces()
    t0 = time.process_time()
    dyn.run(steps)
    return time.process_time() - t0, float(atoms.get_potential_energy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sevenn")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.energy.backends import load_backend
    from ipscreen.space.parents import PARENTS

    atoms = AseAtomsAdaptor.get_atoms(PARENTS["ninf"].structure("O", "Cl") * (2, 2, 2))
    eager = load_backend(args.backend, device="cpu")
    compiled = load_backend(args.backend, device="cpu", compile=True)
    probe = atoms.copy()
    probe.calc = compiled.calculator
    t0 = time.process_time()
    probe.get_forces()
    compile_seconds = time.process_time() - t0

    t_eager, e_eager = _run(eager.calculator, atoms, args.steps)
    t_compiled, e_compiled = _run(compiled.calculator, atoms, args.steps)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, 1 thread; backend {eager.info.backend} "
          f"{eager.info.model}; Li3OCl 2x2x2 ({len(atoms)} atoms), Langevin 2 fs, 700 K, {args.steps} steps")
    print(f"eager (today's)   : {args.steps / t_eager:6.2f} steps per CPU-second")
    print(f"compiled          : {args.steps / t_compiled:6.2f} steps per CPU-second "
          f"(compiling once per process: {compile_seconds:.0f} CPU-s)")
    print(f"speed-up          : {t_eager / t_compiled:.2f}x; final energies {e_eager:.4f} / {e_compiled:.4f} eV "
          "(same start and noise; trajectories drift apart at float32 round-off)")
    print(f"md_steps_per_cpu_second_ratio={t_eager / t_compiled:.3f}")


if __name__ == "__main__":
    main()
