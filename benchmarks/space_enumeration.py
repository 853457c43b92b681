"""Benchmark: enumerate the whole paper space (SPEC.md section 1) on this machine.

Prints the wall time of `enumerate_space` for a preset and, as the baseline run in
the same process, the obvious per-compound alternative: the same enumeration followed
by a pymatgen SpacegroupAnalyzer call on every decorated structure (ipscreen instead
runs spglib once per ordering, since the space group does not depend on which
elements decorate it). The baseline also checks that both give the same space groups.

    python benchmarks/space_enumeration.py [--preset paper] [--baseline-sample N]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--baseline-sample", type=int, default=0,
                        help="analyse only every k-th compound in the baseline (0: all)")
    args = parser.parse_args()

    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    from ipscreen.campaign.config import from_preset
    from ipscreen.space import enumerate_space

    settings = from_preset(args.preset).space
    t0 = time.perf_counter()
    compounds = enumerate_space(settings)
    t_ipscreen = time.perf_counter() - t0

    step = max(1, args.baseline_sample)
    sample = compounds[::step]
    t0 = time.perf_counter()
    mismatches = 0
    for c in sample:
        symbol = SpacegroupAnalyzer(c.structure, symprec=1e-3).get_space_group_symbol()
        mismatches += symbol != c.space_group
    t_symmetry = (time.perf_counter() - t0) * step  # extrapolated to the whole space
    t_baseline = t_ipscreen + t_symmetry

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"preset {args.preset}: {len(compounds):,} compounds")
    print(f"ipscreen enumerate_space:              {t_ipscreen:8.2f} s")
    print(f"baseline (+ SpacegroupAnalyzer each):  {t_baseline:8.2f} s"
          + (f"  (extrapolated from 1/{step})" if step > 1 else ""))
    print(f"speed-up vs baseline:                  {t_baseline / t_ipscreen:8.1f}x")
    print(f"space-group mismatches in baseline sample: {mismatches} of {len(sample):,}")


if __name__ == "__main__":
    main()
