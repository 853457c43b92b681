"""Benchmark: relaxation cost per compound and E_d, a candidate setting against today's default.

Both relax the same compounds (evenly spread over the demo space) and the reference phases of their
chemical systems, in this process, one after the other, with the campaign's driver (`relax_many`, 8
structures per model call); E_d of every compound is then computed from each set of relaxations
(MP2020, the campaign's hull code). Printed: force calls and CPU-seconds per relaxed compound for
each, their ratios, the E_d difference between the two (MAE and max), and the projected wall time of
the paper space on this machine. The last line is for scripts:
`cpu_seconds_ratio=X ed_mae_ev_per_atom=Y ed_max_ev_per_atom=Z`.

    python benchmarks/relax_throughput.py [--n 100] [--optimizer CellAwareBFGS] [--fmax 0.05] [--compile 1]
        [--fire-dt 0.2] [--bfgs-alpha 8]
        [--handover-fmax 0.15] [--baseline-fmax 0.01] [--reference-fmax 0.01] [--device cuda] [--batch-size 8]
    (about 15 minutes on one core; 25 with --reference-fmax)

With `--reference-fmax F` both settings' ends are also finished with FIRE to fmax F, and each setting's E_d is
compared with the E_d from the lowest energy any of them reached: how far each stops from a minimum, which a
comparison of the two with each other cannot tell.

With `--device cuda` the candidate runs on the GPU (the baseline stays today's CPU default); its
wall-seconds per structure and the projected paper-space time per GPU are printed too (raise
`--batch-size` there: a merged graph of 8 small cells does not fill a GPU).

Baseline: FIRE + FrechetCellFilter at fmax 0.05 eV/Å with the eager model, the default until issue 14.
Candidate: the paper preset's optimiser, FIRE time step, BFGS starting Hessian, handover force and `[energy]
compile` at the baseline's fmax, unless given. A compiled model compiles on its first call, once per process
(per Dask worker): that time is printed apart and not in the per-compound figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")

BASELINE = {"optimizer": "FIRE", "fmax": 0.05, "compile": False}


class Counted:
    """Wraps a backend's batch evaluator, counting structures evaluated (force calls)."""

    def __init__(self, evaluate):
        self.evaluate, self.calls = evaluate, 0

    def __call__(self, atoms_list):
        self.calls += len(atoms_list)
        return self.evaluate(atoms_list)


def _relax_all(backend, atoms, settings, batch_size: int) -> tuple[list, int, float, float]:
    """Results, force calls, CPU-seconds and wall-seconds of relaxing `atoms`."""
    from ipscreen.energy.relax import relax_many

    counter = Counted(backend.evaluate_batch)
    backend.evaluate_batch = counter
    t0, w0 = time.process_time(), time.perf_counter()
    try:
        results = relax_many(atoms, backend, settings, batch_size=batch_size)
    finally:
        backend.evaluate_batch = counter.evaluate
    return results, counter.calls, time.process_time() - t0, time.perf_counter() - w0


def _e_d(ids, compounds: set, refs: set, results) -> dict[str, float]:
    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.thermo.hull import Phase, stabilities

    phases = [Phase(i, AseAtomsAdaptor.get_structure(r.atoms), r.energy_ev) for i, r in zip(ids, results) if r.ok]
    out = stabilities([p for p in phases if p.id in compounds], [p for p in phases if p.id in refs])
    return {k: v.e_above_hull_ev_per_atom for k, v in out.items() if not isinstance(v, str)}


def _reference(backend, runs: dict, ids, compounds: set, refs: set, settings, batch_size: int) -> dict:
    """E_d from the lowest energy each structure reached: both settings' ends and a FIRE finish from each (a finish
    that ran out of steps still reached its energy, so it counts as converged here)."""
    best = [None] * len(ids)
    calls = 0
    for run in runs.values():
        ends = [(i, r) for i, r in enumerate(run["results"]) if r.ok]
        finished, n_calls, _cpu, _wall = _relax_all(backend, [r.atoms for _i, r in ends], settings, batch_size)
        calls += n_calls
        for (i, end), fin in zip(ends, finished):
            for r in (end, fin):
                if r.status != "failed" and (best[i] is None or r.energy_ev < best[i].energy_ev):
                    best[i] = r
    results = [replace(r, status="converged") if r is not None else runs["baseline"]["results"][i]
               for i, r in enumerate(best)]
    return {"e_d": _e_d(ids, compounds, refs, results), "finish_calls": calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sevenn")
    parser.add_argument("--n", type=int, default=100, help="compounds from the demo space (evenly spread)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--optimizer", default=None, help="candidate optimiser (default: the paper preset's)")
    parser.add_argument("--fmax", type=float, default=None, help="candidate fmax, eV/Å (default: the baseline's)")
    parser.add_argument("--baseline-fmax", type=float, default=BASELINE["fmax"], help="the baseline's fmax, eV/Å "
                        "(default 0.05, the demo preset's; the paper preset relaxes to 0.01)")
    parser.add_argument("--compile", type=int, default=None, help="candidate: 1 to compile the model, 0 not "
                        "(default: the paper preset's)")
    parser.add_argument("--max-steps", type=int, default=250)
    parser.add_argument("--rattle", type=float, default=0.0, help="[relax] rattle (Å) for both settings: saddle "
                        "points left the same seeded way by both (default 0, as today's default)")
    parser.add_argument("--symmetry", action="store_true", help="[relax] symmetry = true for both: each keeps its "
                        "starting symmetry, so both end at the same stationary point")
    parser.add_argument("--reference-fmax", type=float, default=None, help="also finish both settings' ends with "
                        "FIRE to this fmax (eV/Å) and compare each E_d with the lowest energy either reached: how "
                        "far each stops from a converged minimum")
    parser.add_argument("--fire-dt", type=float, default=None, help="the candidate's FIRE time step (ASE units; "
                        "default: the paper preset's)")
    parser.add_argument("--bfgs-alpha", type=float, default=None, help="the candidate's CellAwareBFGS starting "
                        "Hessian for the atoms (eV/Å²; default: the paper preset's)")
    parser.add_argument("--handover-fmax", type=float, default=None, help="the candidate's FIRE+CellAwareBFGS "
                        "handover force (eV/Å; default: the paper preset's)")
    parser.add_argument("--device", default="cpu", help="the candidate's device: cpu, cuda, cuda:N, auto")
    parser.add_argument("--candidate-batch-size", type=int, default=None, help="the candidate's relax_many batch "
                        "(default: --batch-size)")
    args = parser.parse_args()

    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.campaign.config import from_preset
    from ipscreen.energy.backends import load_backend
    from ipscreen.energy.device import resolve_device
    from ipscreen.energy.relax import RelaxSettings
    from ipscreen.space import enumerate_space
    from ipscreen.thermo.references import references_of

    demo_config, paper_config = from_preset("demo"), from_preset("paper")
    baseline = {**BASELINE, "fmax": args.baseline_fmax}
    candidate = {"optimizer": args.optimizer or paper_config.relax.optimizer, "fmax": args.fmax or baseline["fmax"],
                 "compile": bool(paper_config.energy.compile if args.compile is None else args.compile),
                 "fire_dt": args.fire_dt or paper_config.relax.fire_dt,
                 "bfgs_alpha": args.bfgs_alpha or paper_config.relax.bfgs_alpha,
                 "handover_fmax": args.handover_fmax or paper_config.relax.handover_fmax}
    backend = load_backend(args.backend, device="cpu")  # the baseline's
    device = resolve_device(args.device)
    demo = enumerate_space(demo_config.space)
    step = max(1, len(demo) // args.n)
    chosen = demo[::step][: args.n]
    refs = references_of([c.row() for c in chosen])
    ids = [c.id for c in chosen] + [r.id for r in refs]
    atoms = [AseAtomsAdaptor.get_atoms(c.structure) for c in chosen] + [AseAtomsAdaptor.get_atoms(r.structure)
                                                                         for r in refs]
    compile_seconds = None
    candidate_backend = (backend if device == "cpu" and not candidate["compile"]
                         else load_backend(args.backend, device=device, compile=candidate["compile"]))
    if candidate["compile"]:
        t0 = time.process_time()
        candidate_backend.evaluate_batch(atoms[:1])  # compiles (once per process)
        compile_seconds = time.process_time() - t0
    runs = {}
    for name, setting, run_backend, batch in (("baseline", baseline, backend, args.batch_size),
                                              ("candidate", candidate, candidate_backend,
                                               args.candidate_batch_size or args.batch_size)):
        settings = RelaxSettings(fmax=setting["fmax"], max_steps=args.max_steps, optimizer=setting["optimizer"],
                                 rattle=args.rattle, symmetry=args.symmetry,
                                 fire_dt=setting.get("fire_dt", RelaxSettings.fire_dt),
                                 bfgs_alpha=setting.get("bfgs_alpha", RelaxSettings.bfgs_alpha),
                                 handover_fmax=setting.get("handover_fmax", RelaxSettings.handover_fmax))
        results, calls, cpu, wall = _relax_all(run_backend, atoms, settings, batch)
        runs[name] = {"results": results, "calls": calls, "cpu": cpu, "wall": wall,
                      "e_d": _e_d(ids, {c.id for c in chosen}, {r.id for r in refs}, results),
                      "failed": sum(not r.ok for r in results), "setting": setting}

    n = len(atoms)
    base, cand = runs["baseline"], runs["candidate"]
    reference = None
    if args.reference_fmax:
        reference = _reference(candidate_backend, runs, ids, {c.id for c in chosen}, {r.id for r in refs},
                               RelaxSettings(fmax=args.reference_fmax, max_steps=2 * args.max_steps, optimizer="FIRE"),
                               args.candidate_batch_size or args.batch_size)
    common = sorted(set(base["e_d"]) & set(cand["e_d"]))
    diffs = [abs(base["e_d"][k] - cand["e_d"][k]) for k in common]
    mae, worst = sum(diffs) / max(1, len(diffs)), max(diffs, default=float("nan"))
    paper = enumerate_space(from_preset("paper").space)
    atoms_per_structure = sum(map(len, atoms)) / n
    paper_seconds = cand["cpu"] / n / atoms_per_structure * sum(c.n_atoms for c in paper)
    cores = os.cpu_count() or 1

    print(f"machine: {platform.machine()}, {cores} cores, 1 thread per process; backend {backend.info.backend} "
          f"{backend.info.model}")
    print(f"{len(chosen)} demo compounds + {len(refs)} reference phases ({min(map(len, atoms))}-{max(map(len, atoms))} "
          f"atoms), relax_many batch {args.batch_size}" + (f", rattle {args.rattle} Å for both" if args.rattle else "")
          + (", symmetry kept by both" if args.symmetry else ""))
    for name, run in runs.items():
        s = run["setting"]
        where = "cpu" if name == "baseline" else device
        print(f"{name:9s} {s['optimizer']:>13s} fmax {s['fmax']:.3f} {'compiled' if s['compile'] else 'eager   '} "
              f"on {where}: {run['calls'] / n:6.1f} force calls, {run['cpu'] / n:5.2f} CPU-s and "
              f"{run['wall'] / n:5.2f} wall-s per structure, {run['failed']} not converged or failed")
    if compile_seconds is not None:
        print(f"compiling the model (first call, once per process; faster with a warm torch inductor cache): "
              f"{compile_seconds:.0f} CPU-s")
    print(f"ratio baseline/candidate: force calls {base['calls'] / cand['calls']:.2f}x, CPU-seconds "
          f"{base['cpu'] / cand['cpu']:.2f}x")
    print(f"E_d, candidate vs baseline, {len(common)} compounds: MAE {1000 * mae:.2f} meV/atom, max {1000 * worst:.2f}")
    formulas = {c.id: f"{c.space_group} {c.reduced_formula}" for c in chosen}
    if reference is not None:
        print(f"E_d against the lowest energy reached by a FIRE finish to fmax {args.reference_fmax} from either end "
              f"({reference['finish_calls'] / n:.1f} force calls per structure):")
        for name in runs:
            errors = {k: runs[name]["e_d"][k] - reference["e_d"][k] for k in common if k in reference["e_d"]}
            above = sorted((k for k in errors if errors[k] > 0.010), key=lambda k: -errors[k])
            print(f"  {name:9s}: MAE {1000 * sum(map(abs, errors.values())) / max(1, len(errors)):.2f} meV/atom, max "
                  f"{1000 * max(map(abs, errors.values()), default=float('nan')):.2f}, {len(above)} beyond 10 meV/atom"
                  + "".join(f"; {formulas[k]} +{1000 * errors[k]:.1f}" for k in above))
    for k in sorted(common, key=lambda k: -abs(base["e_d"][k] - cand["e_d"][k])):
        if abs(base["e_d"][k] - cand["e_d"][k]) > 0.010:
            print(f"  > 10 meV/atom: {formulas[k]} ({k}): E_d {1000 * base['e_d'][k]:.1f} (baseline) vs "
                  f"{1000 * cand['e_d'][k]:.1f} meV/atom")
    if device == "cpu":
        print(f"projected paper space ({len(paper):,} compounds) with the candidate at this fmax: "
              f"{paper_seconds / 3600 / cores:.1f} h on {cores} cores ({paper_seconds / 3600:.0f} core-hours)")
    else:
        gpu_seconds = cand["wall"] / n / atoms_per_structure * sum(c.n_atoms for c in paper)
        print(f"projected paper space on one GPU ({device}, batch {args.candidate_batch_size or args.batch_size}): "
              f"{gpu_seconds / 3600:.1f} h wall")
    print(f"cpu_seconds_ratio={base['cpu'] / cand['cpu']:.3f} ed_mae_ev_per_atom={mae:.5f} ed_max_ev_per_atom={worst:.5f}")


if __name__ == "__main__":
    main()
