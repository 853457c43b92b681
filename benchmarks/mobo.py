"""Benchmark: MOBO strategies on known three-objective problems, and the cost of one iteration.

(a) uhvi, qlognehvi and random on the shipped real-property table and the synthetic problem
(ipscreen.mobo.benchmark): hypervolume fraction of the true front, recall of the true Pareto
set and the enhancement factor over random after 20/50/100 evaluations, means ± std over seeds.
(b) One MOBO iteration as in a campaign: fit three GPs on 200 evaluated compounds and score
1,500 candidates with uhvi, timed against the GP fit alone and against the random strategy in
this process. The shipped pool has ~1,000 compounds, so it is tiled to 1,700 rows (200
evaluated + 1,500 candidates) with the repeated rows perturbed by 1 % of each column's std.

    python benchmarks/mobo.py [--seeds 10] [--strategies uhvi qlognehvi random] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_key, "1")


def _table(result: dict) -> str:
    lines = ["| problem | strategy | evaluations | hv_fraction | pareto_recall | EF (hv) | EF (recall) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, block in result["problems"].items():
        for strategy, e in block.items():
            for b in e["hv_fraction"]:
                ef, efr = e["enhancement_factor"][b], e["enhancement_factor_recall"][b]
                lines.append(
                    f"| {name} | {strategy} | {b} | {e['hv_fraction'][b]:.3f} ± {e['hv_fraction_std'][b]:.3f} | "
                    f"{e['pareto_recall'][b]:.3f} ± {e['pareto_recall_std'][b]:.3f} | "
                    f"{'-' if ef is None else f'{ef:.2f}'} | {'-' if efr is None else f'{efr:.2f}'} |"
                )
    return "\n".join(lines)


def _iteration_timing(n_observed: int, n_candidates: int, repeats: int, with_qlognehvi: bool) -> None:
    import numpy as np

    from ipscreen.mobo.acquisition import _fit_models, propose
    from ipscreen.mobo.benchmark import problems

    p = problems()["ip-cheap-properties"]
    rng = np.random.default_rng(0)
    n_total = n_observed + n_candidates
    extra = rng.choice(len(p.X), size=max(n_total - len(p.X), 0))
    X = np.vstack([p.X, p.X[extra] + 0.01 * p.X.std(0) * rng.standard_normal((len(extra), p.X.shape[1]))])
    Y = np.vstack([p.Y, p.Y[extra]])
    observed = [int(i) for i in rng.choice(len(X), size=n_observed, replace=False)]

    def best_of(fn) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    t_fit = best_of(lambda: _fit_models(X[observed], Y[observed], p.dims, 0))
    t_random = best_of(lambda: propose("random", X, observed, Y[observed], p.dims, z=10, seed=0, scaling=p.scaling))
    info: dict = {}
    t_uhvi = best_of(lambda: propose("uhvi", X, observed, Y[observed], p.dims, z=10, seed=0, scaling=p.scaling,
                                     info=info))
    print(f"\none MOBO iteration: 3 GPs on {n_observed} points, {len(X) - n_observed} candidates "
          f"(pool of {len(p.X)} tiled to {len(X)}), best of {repeats}")
    print(f"GP fit alone (3 objectives) : {t_fit:8.2f} s")
    print(f"random strategy             : {t_random:8.4f} s")
    print(f"uhvi (fit + score + select) : {t_uhvi:8.2f} s  ({info.get('n_positive', 0)} candidates with uHVI > 0)")
    print(f"ratio uhvi / GP fit alone   : {t_uhvi / t_fit:8.2f}x  (scoring adds {t_uhvi - t_fit:.2f} s)")
    print(f"ratio uhvi / random         : {t_uhvi / t_random:8.0f}x")
    if with_qlognehvi:
        t0 = time.perf_counter()
        propose("qlognehvi", X, observed, Y[observed], p.dims, z=10, seed=0, scaling=p.scaling, mc_samples=16)
        t_q = time.perf_counter() - t0
        print(f"qlognehvi (16 MC samples)   : {t_q:8.2f} s  ({t_q / t_uhvi:.1f}x uhvi)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--strategies", nargs="+", default=["uhvi", "qlognehvi", "random"])
    parser.add_argument("--problems", nargs="+", default=None, help="default: all")
    parser.add_argument("--budgets", nargs="+", type=int, default=[20, 50, 100])
    parser.add_argument("--mc-samples", type=int, default=None, help="qlognehvi QMC samples (default: benchmark's)")
    parser.add_argument("--json", default=None, help="also write the result JSON to this file")
    parser.add_argument("--skip-benchmark", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--timing-repeats", type=int, default=3)
    parser.add_argument("--timing-qlognehvi", action="store_true", help="also time one qlognehvi iteration")
    args = parser.parse_args()

    from ipscreen.mobo import benchmark

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, 1 thread")
    if not args.skip_benchmark:
        chosen = benchmark.problems()
        if args.problems:
            chosen = {k: v for k, v in chosen.items() if k in args.problems}
        kwargs = {} if args.mc_samples is None else {"mc_samples": args.mc_samples}
        t0 = time.perf_counter()
        result = benchmark.run_benchmark(
            chosen, strategies=tuple(args.strategies), seeds=range(args.seeds), budgets=tuple(args.budgets),
            progress=lambda label, done, total: print(f"  [{done}/{total}] {label}", flush=True),
            **kwargs,
        )
        wall = time.perf_counter() - t0
        result["metadata"]["wall_seconds"] = wall
        print()
        print(_table(result))
        print()
        for name, block in result["problems"].items():
            meta = result["metadata"]["problems"][name]
            print(f"{name}: pool {meta['pool_size']}, true Pareto set {meta['pareto_set_size']}; seconds per run: "
                  + ", ".join(f"{s} {e['seconds'] / args.seeds:.1f}" for s, e in block.items()))
        print(f"benchmark wall time: {wall / 60:.1f} min")
        print(json.dumps(result))
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(result, fh, indent=2)
    if not args.skip_timing:
        _iteration_timing(200, 1500, args.timing_repeats, args.timing_qlognehvi)


if __name__ == "__main__":
    main()
