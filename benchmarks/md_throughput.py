"""Benchmark: MD steps per second per core of the conductivity oracle's calculator, compiled against eager.

The conductivity oracle (properties/conductivity.py) runs ASE molecular dynamics with the backend's
calculator on a supercell of at least `supercell_min_length_angstrom` (demo: 7.5 Å; Li3OCl: 2x2x2,
40 atoms, plus the interstitial). This runs the same velocity-Verlet NVT (Langevin, 2 fs, 700 K) on
that Li3OCl supercell with the eager SevenNet-0 calculator (the baseline, today's) and with the
`[energy] compile = true` one, in this process, one after the other, from the same start. The
compile itself (first call, once per worker process) is timed apart.

Then the oracle's replicas (`run_md`, Bussi NVT, one per temperature 700-1200 K, eager model): one after
another (today's) against advanced together with one batched model call per step
(`[conductivity] batch_replicas`, energy/lockstep_md.py), steps per CPU-second and per wall-second.

    python benchmarks/md_throughput.py [--steps 200] [--replicas 5] [--backend sevenn] [--device cpu]
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


def _replicas(backend, atoms, steps: int, n: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(CPU-s, wall-s) of n NVT replicas of `steps` steps: one after another, then in lockstep."""
    from ipscreen.energy.lockstep_md import run_md_lockstep
    from ipscreen.energy.md import MDProtocol, run_md

    temps = [700.0 + 500.0 * k / max(1, n - 1) for k in range(n)]
    replicas = [(atoms, MDProtocol(temperature_k=t, timestep_fs=2.0, equilibration_ps=0.0,
                                   production_ps=steps * 2.0 / 1000, sample_every=10), [0, k], None)
                for k, t in enumerate(temps)]
    c0, w0 = time.process_time(), time.perf_counter()
    for a, p, seed, _ in replicas:
        run_md(a, backend.calculator, p, seed=seed)
    c1, w1 = time.process_time(), time.perf_counter()
    runs, _calls = run_md_lockstep(replicas, backend.evaluate_batch)
    c2, w2 = time.process_time(), time.perf_counter()
    assert all(not isinstance(r, str) for r in runs), runs
    return (c1 - c0, w1 - w0), (c2 - c1, w2 - w1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sevenn")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--replicas", type=int, default=5, help="replicas advanced together (0: skip that part)")
    parser.add_argument("--device", default="cpu", help="where the model runs: cpu, cuda, auto")
    args = parser.parse_args()

    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.energy.backends import load_backend
    from ipscreen.space.parents import PARENTS

    atoms = AseAtomsAdaptor.get_atoms(PARENTS["ninf"].structure("O", "Cl") * (2, 2, 2))
    eager = load_backend(args.backend, device=args.device)
    compiled = load_backend(args.backend, device=args.device, compile=True)
    probe = atoms.copy()
    probe.calc = compiled.calculator
    t0 = time.process_time()
    probe.get_forces()
    compile_seconds = time.process_time() - t0

    t_eager, e_eager = _run(eager.calculator, atoms, args.steps)
    t_compiled, e_compiled = _run(compiled.calculator, atoms, args.steps)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, 1 thread, {eager.device}; backend {eager.info.backend} "
          f"{eager.info.model}; Li3OCl 2x2x2 ({len(atoms)} atoms), Langevin 2 fs, 700 K, {args.steps} steps")
    print(f"eager (today's)   : {args.steps / t_eager:6.2f} steps per CPU-second")
    print(f"compiled          : {args.steps / t_compiled:6.2f} steps per CPU-second "
          f"(compiling once per process: {compile_seconds:.0f} CPU-s)")
    print(f"speed-up          : {t_eager / t_compiled:.2f}x; final energies {e_eager:.4f} / {e_compiled:.4f} eV "
          "(same start and noise; trajectories drift apart at float32 round-off)")
    line = f"md_steps_per_cpu_second_ratio={t_eager / t_compiled:.3f}"
    if args.replicas:
        (c_seq, w_seq), (c_lock, w_lock) = _replicas(eager, atoms, args.steps, args.replicas)
        total = args.replicas * args.steps
        print(f"{args.replicas} replicas, {args.steps} NVT steps each, eager model on {eager.device}:")
        print(f"  one after another (today's): {total / c_seq:6.2f} steps per CPU-second, {total / w_seq:6.2f} per "
              "wall-second")
        print(f"  lockstep, one batched call  : {total / c_lock:6.2f} steps per CPU-second, {total / w_lock:6.2f} per "
              f"wall-second ({c_seq / c_lock:.2f}x CPU, {w_seq / w_lock:.2f}x wall)")
        line += f" lockstep_cpu_ratio={c_seq / c_lock:.3f} lockstep_wall_ratio={w_seq / w_lock:.3f}"
    print(line)


if __name__ == "__main__":
    main()
