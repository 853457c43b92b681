"""Write the synthesis section of docs/validation.md and docs/figures/synthesis_fig10.png: the Pareto fronts of
the paper's six Fig. 10 / Table 3 targets against the front routes the paper's text names.

    python scripts/validate_synthesis.py [--preset demo] [--workers 2] [--cache FILE]

Each target (the paper's space group in our paper-preset space, else the first ordering of its composition)
is relaxed with the reference and precursor phases of its space (`ipscreen analyze synthesis`), and its
routes at 1000 K are compared with the paper's: is the paper's precursor set on our front, and where does
our calculation put it (competing phases, barrier)?
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from doc_sections import replace_section  # scripts/doc_sections.py (beside this script)

# The paper's targets (Fig. 10) and the front routes its text names (Results, synthesis pathways):
# precursor set, competing phases, barrier (a.u.). Δ2, Δ10 and Δ11 are named without their full precursor sets.
PAPER = {
    ("Pm-3m", "Li3OCl"): [("Δ1", ("Li2O2", "LiCl"), 2, 3.72)],
    ("I4/mmm", "Li4OBr2"): [("Δ3", ("Li2O", "LiBr"), 0, 44.2e3), ("Δ4", ("C", "Li2O2", "LiBr"), 2, 1.22)],
    ("P4/nmm", "Li8O2Cl3Br"): [("Δ5", ("Li2CO3", "LiBr", "LiCl"), 2, 12.06),
                               ("Δ6", ("Li2O", "LiBr", "LiC12", "LiClO4"), 3, 0.30)],
    ("I4/mmm", "Li7O2FBr2"): [("Δ7", ("Li2CO3", "LiBr", "LiF"), 1, 16.31), ("Δ8", ("C", "Li2O2", "LiBr", "LiF"), 2, 0.84)],
    ("Fm-3m", "Li6OSeI2"): [("Δ9", ("Li2CO3", "Li2Se", "LiC12", "LiIO3"), 0, 0.11)],
    ("Cmcm", "Li12O3SeClBr3"): [],
}


def _one(args: tuple) -> tuple:
    key, structure_dict, preset = args
    from ipscreen.campaign.config import from_preset
    from ipscreen.commands.analyze import synthesis_of
    from ipscreen.energy.threads import limit_threads
    from ipscreen.structure_io import structure_from_dict

    limit_threads()
    config = from_preset(preset)
    start = time.time()
    routes = synthesis_of(structure_from_dict(structure_dict), config, config.stage_settings("synthesis"))
    return key, routes, time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("validate_synthesis_cache.json"))
    parser.add_argument("--out", default="docs/validation.md")
    parser.add_argument("--figure", default="docs/figures/synthesis_fig10.png")
    args = parser.parse_args()

    from pymatgen.core import Composition

    from ipscreen.campaign.config import from_preset
    from ipscreen.report.figures import synthesis_fronts
    from ipscreen.space import enumerate_space
    from ipscreen.structure_io import structure_to_dict

    space = enumerate_space(from_preset("paper").space)
    chosen, notes = {}, {}
    for sg, formula in PAPER:
        matches = [c for c in space if Composition(c.row()["reduced_formula"]).reduced_composition
                   == Composition(formula).reduced_composition]
        if not matches:
            notes[(sg, formula)] = "composition not in our paper-preset space"
            continue
        c = next((m for m in matches if m.row()["space_group"] == sg), matches[0])
        if c.row()["space_group"] != sg:
            notes[(sg, formula)] = f"our space has no {sg} ordering: {c.row()['space_group']} used"
        chosen[f"{sg} {formula}"] = c
    cache = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    todo = [(k, structure_to_dict(c.structure), args.preset) for k, c in chosen.items() if k not in cache]
    with ProcessPoolExecutor(args.workers) as pool:
        for key, routes, seconds in pool.map(_one, todo):
            cache[key] = {"routes": routes, "seconds": seconds}
            args.cache.write_text(json.dumps(cache))
            print(f"{key}: {len(routes)} routes, {seconds / 60:.1f} min", flush=True)

    settings = from_preset(args.preset).stage_settings("synthesis")
    lines = ["## Synthesis routes (Fig. 10, Table 3)", "",
             f"Made by `python scripts/validate_synthesis.py --preset {args.preset}`: each target relaxed with the "
             f"reference and precursor phases of its space, routes at {settings.temperature_k:.0f} K in air at 1 atm "
             f"(partial pressures {settings.pressures_atm} atm, piro's; `ipscreen analyze synthesis`); barrier in eV "
             "(the paper's a.u.), "
             "q_sim from piro's scaler (docs/similarity.md), q_epi from pymatgen's SubstrateAnalyzer.", "",
             "| target | routes | our front: competing phases, barrier, reaction | the paper's front routes: ours "
             "(competing, barrier) vs paper's | a paper route on our front |", "| --- | --- | --- | --- | --- |"]
    hits = 0
    for (sg, formula), paper in PAPER.items():
        key = f"{sg} {formula}"
        if key not in cache:
            lines.append(f"| {key} | – | {notes.get((sg, formula), 'not computed')} | | |")
            continue
        routes = cache[key]["routes"]
        front = sorted((r for r in routes if r["pareto"]), key=lambda r: r["competing_phases"])
        ours = "<br>".join(f"{r['competing_phases']}, {r['nucleation_barrier']:.3g}: {r['reaction']}" for r in front)
        cells, on_front = [], False
        for label, precursors, n, b in paper:
            match = [r for r in routes if tuple(sorted(r["precursors"])) == tuple(sorted(precursors))]
            if not match:
                missing = [p for p in precursors if p not in {q for r in routes for q in r["precursors"]}]
                why = f"not a route here (no {', '.join(missing)})" if missing else "not a balanced route here"
                cells.append(f"{label} {' + '.join(precursors)}: {why}; paper ({n}, {b:g})")
                continue
            r = match[0]
            barrier = "inf" if r["nucleation_barrier"] is None else f"{r['nucleation_barrier']:.3g}"
            cells.append(f"{label} {' + '.join(precursors)}: ({r['competing_phases']}, {barrier}) vs ({n}, {b:g})"
                         + (" **front**" if r["pareto"] else ""))
            on_front = on_front or r["pareto"]
        hits += on_front
        note = f" ({notes[(sg, formula)]})" if (sg, formula) in notes else ""
        lines.append(f"| {key}{note} | {len(routes)} | {ours} | {'<br>'.join(cells) or 'none named'} | "
                     f"{'yes' if on_front else 'no'} |")
    named = sum(bool(p) for p in PAPER.values())
    lines += ["", f"A front route the paper names is on our front for {hits} of the {named} targets whose routes the "
              f"text names. Computing the six took {sum(c['seconds'] for c in cache.values()) / 60:.0f} worker-minutes "
              "(relaxations and lattice matching).", "",
              f"![Fig. 10 for the paper's targets]({Path(args.figure).relative_to(Path(args.out).parent)})"]
    synthesis_fronts([(k, cache[k]["routes"]) for k in chosen if k in cache], args.figure)
    replace_section(Path(args.out), "synthesis", "\n".join(lines))
    print(f"wrote {args.out} and {args.figure}")


if __name__ == "__main__":
    main()
