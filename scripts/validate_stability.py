"""Write docs/validation.md: E_d of the compounds the paper names, per energy backend, vs the paper.

For each run (by default: SevenNet-0 with FIRE, the default before issue 14; SevenNet-0 with the presets'
FIRE+CellAwareBFGS settings; CHGNet 0.3.0; SevenNet-0 from rattled starts)
this relaxes, with the same thresholds for everything:
- the compounds the paper names with an E_d (Li3OCl, Li3OBr, Li3OCl0.5Br0.5, Li7O2Br3,
  Li6OSI2) and the Table 2 rows (composition + space group; up to 3 orderings of
  each, taken from the `extended` space; the lowest E_d is reported),
- the competing phases of their chemical systems: the shipped reference phases
  (elements, Li2X, LiZ, Li2O2) and the pure-parent ternaries Li3XZ, Li4XZ2, Li7X2Z3 of
  every X-Z pair of the system,
and computes E_d with ipscreen.thermo.hull. The paper's hull also held every other
mixed compound of its space; those can only lower the hull, so E_d here is a lower
bound of what the full campaign gives.

    python scripts/validate_stability.py [--backends sevenn,sevenn:preset=paper,chgnet] [--fmax 0.01] [--workers 2]
    (the defaults write docs/validation.md's E_d table: about 50 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

NAMED = {  # composition -> paper E_d (eV/atom), Results section of the seed paper
    "Li3OCl": 0.0, "Li3OBr": 0.017, "Li6O2ClBr": 0.007, "Li7O2Br3": 0.006, "Li6OSI2": 0.052,
}
MAX_ORDERINGS = 2


def _select(space):
    from ipscreen.data import paper_table2

    by_key = defaultdict(list)
    by_formula = defaultdict(list)
    for c in space:
        by_key[(c.reduced_formula, c.space_group)].append(c)
        by_formula[c.reduced_formula].append(c)
    targets = []  # (label, paper E_d, [compounds])
    for formula, e_d in NAMED.items():
        targets.append((formula, "", e_d, sorted(by_formula[formula], key=lambda c: c.n_atoms)[:MAX_ORDERINGS]))
    for row in paper_table2():
        key = (row["composition"], row["space_group"])
        targets.append((row["composition"], row["space_group"], float(row["e_d_ev_per_atom"]),
                        sorted(by_key.get(key, []), key=lambda c: c.n_atoms)[:MAX_ORDERINGS]))
    return targets


def _parents_of(system: set[str]):
    from ipscreen.space.enumerate import format_formula
    from ipscreen.space.parents import PARENTS
    from ipscreen.space.settings import X_GROUP, Z_GROUP

    out = {}
    for x in (e for e in X_GROUP if e in system):
        for z in (e for e in Z_GROUP if e in system):
            for name, parent in PARENTS.items():
                s = parent.structure(x, z)
                counts = {el.symbol: int(n) for el, n in s.composition.items()}
                out[f"parent:{name}:{format_formula(counts)}"] = s
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sevenn,sevenn:preset=paper,chgnet,sevenn:rattle=0.05",
                        help="comma-separated runs: BACKEND[:KEY=VALUE...], each KEY a [relax] setting (e.g. "
                             "sevenn:rattle=0.05, sevenn:optimizer=FIRE+CellAwareBFGS:fire_dt=0.3) or preset=NAME "
                             "(that preset's optimiser settings); unset ones take RelaxStageSettings' defaults (FIRE)")
    parser.add_argument("--fmax", type=float, default=0.01, help="eV/Å (the paper's DFT threshold)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="docs/validation.md")
    args = parser.parse_args()

    from ipscreen.campaign.config import from_preset
    from ipscreen.campaign.executor import Executor
    from ipscreen.campaign.settings import ClusterSettings, EnergySettings, RelaxStageSettings
    from ipscreen.campaign.tasks import relax_chunk_task
    from ipscreen.space import enumerate_space
    from ipscreen.structure_io import structure_from_dict, structure_to_dict
    from ipscreen.thermo.hull import Phase, stabilities
    from ipscreen.thermo.references import reference_phases

    space = enumerate_space(from_preset("extended").space)
    targets = _select(space)
    compounds = {c.id: c for _, _, _, cs in targets for c in cs}
    system_elements = set().union(*({el.symbol for el in c.structure.composition.elements} for c in compounds.values()))
    structures = {cid: c.structure_dict() for cid, c in compounds.items()}
    for p in reference_phases(system_elements):
        structures[p.id] = structure_to_dict(p.structure)
    for cid, s in _parents_of(system_elements).items():
        structures[cid] = structure_to_dict(s)
    order = sorted(structures, key=lambda k: len(structures[k]["species"]))

    sections, summary = [], []
    for run in args.backends.split(","):
        backend, *options = run.split(":")
        options = dict(o.split("=", 1) for o in options)
        # each option is a [relax] setting: its value converted to the setting's type, the label lists what differs
        defaults = RelaxStageSettings()
        options = {k: v.lower() == "true" if isinstance(getattr(defaults, k), bool) else type(getattr(defaults, k))(v)
                   for k, v in options.items() if k != "preset"}
        if "preset" in run:  # preset=NAME: that preset's optimiser settings; fmax, steps and batches stay this script's
            preset = from_preset(run.split("preset=", 1)[1].split(":")[0]).relax
            options = {**{k: v for k, v in asdict(preset).items() if k not in ("fmax", "max_steps", "batch_size")
                          and v != getattr(defaults, k)}, **options}
        relax_settings = RelaxStageSettings(**{"fmax": args.fmax, "max_steps": 600, "batch_size": 6, **options})
        label = ", ".join([backend] + [v if k == "optimizer" else k if isinstance(v, bool) else f"{k} {v:g}"
                                       for k, v in options.items() if v != getattr(defaults, k)])
        energy = EnergySettings(backend=backend, model={"sevenn": "7net-0", "chgnet": "0.3.0"}[backend])
        common = {"energy": asdict(energy), "relax": asdict(relax_settings)}
        payloads = {order[i]: {"structures": {k: structures[k] for k in order[i:i + 6]}, **common}
                    for i in range(0, len(order), 6)}
        relaxed: dict[str, dict] = {}
        start = time.time()
        with Executor(ClusterSettings(executor="local", n_workers=args.workers)) as ex:
            ex.run("relax", relax_chunk_task, payloads, lambda k, r, relaxed=relaxed: relaxed.update(r["results"]),
                   progress=lambda name, done, total, label=label: print(f"\r{label}: {done}/{total} chunks", end="", flush=True))
        print()
        wall = time.time() - start
        ok = {k: r for k, r in relaxed.items() if r["status"] != "failed"}
        phases = {k: Phase(k, structure_from_dict(r["structure"]), r["energy_ev"]) for k, r in ok.items()}
        refs = [p for k, p in phases.items() if k not in compounds]
        comps = [p for k, p in phases.items() if k in compounds]
        e_d = stabilities(comps, refs, mp2020=energy.corrections)
        rows, errors = [], []
        for formula, group, paper, cs in targets:
            values = [(e_d[c.id].e_above_hull_ev_per_atom, e_d[c.id].decomposition, c) for c in cs
                      if c.id in e_d and not isinstance(e_d[c.id], str)]
            if not values:
                rows.append((formula, group or "(all)", paper, None, "not in the extended space" if not cs
                             else "relaxation failed", 0))
                continue
            best = min(values, key=lambda v: v[0])
            rows.append((formula, group or best[2].space_group, paper, best[0], best[1], len(values)))
            errors.append(best[0] - paper)
        mae = sum(abs(e) for e in errors) / len(errors)
        bias = sum(errors) / len(errors)
        n_above = sum(1 for e in errors if e > 0.005)
        n_below = sum(1 for e in errors if e < -0.005)
        summary.append((label, energy, len(errors), mae, bias, n_above, n_below, wall, len(relaxed)))
        lines = [f"### {label} ({energy.model})", "",
                 "| composition | space group | paper E_d | E_d here | decomposition here | orderings |",
                 "| --- | --- | ---: | ---: | --- | ---: |"]
        for formula, group, paper, ours, decomposition, n in rows:
            ours_text = f"{ours:.3f}" if ours is not None else "-"
            lines.append(f"| {formula} | {group} | {paper:.3f} | {ours_text} | {decomposition} | {n} |")
        sections.append("\n".join(lines))

    text = [
        "# Validation: decomposition energies E_d against the paper",
        "",
        f"Generated by `scripts/validate_stability.py` on {datetime.date.today().isoformat()} "
        f"({platform.machine()}, {args.workers} worker processes). E_d in eV/atom above the convex hull. "
        f"Relaxation: FIRE (or the run's optimizer) + FrechetCellFilter, fmax = {args.fmax} eV/Å, cell and positions, "
        "from the structures "
        "as built (high-symmetry sites) or, where a run says rattle, from every atom displaced at random by that "
        "standard deviation (seeded by the structure; `[relax] rattle`). Paper: PBE (VASP).",
        "",
        "Hull used here: elements, Li2X, LiZ, Li2O2 and the pure Li3XZ / Li4XZ2 / Li7X2Z3 of every X-Z pair of "
        "each system, plus the validated compounds themselves. The paper's hull also held every other mixed "
        "compound of its space, which can only lower the hull: these E_d are lower bounds of a full campaign's.",
        "For a Table 2 row with several orderings of the same space group, the lowest E_d is shown.",
        "",
        "## Summary",
        "",
        "| backend | model | compounds compared | MAE (eV/atom) | mean signed error | too high (> +5 meV) "
        "| too low (< -5 meV) | wall time |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, energy, n, mae, bias, hi, lo, wall, nrel in summary:
        text.append(f"| {backend} | {energy.model} | {n} | {mae:.3f} | {bias:+.3f} | {hi} | {lo} | "
                    f"{wall / 60:.1f} min ({nrel} relaxations) |")
    text += ["", "Which way each is wrong: a positive mean signed error means the model puts these compounds "
             "further above the hull than PBE did (too unstable); negative, too stable.", ""]
    text.append("\n\n".join(sections))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    kept = ""  # the property section written by scripts/validate_properties.py survives a rerun
    if out.exists() and "<!-- properties:begin -->" in out.read_text():
        old = out.read_text()
        kept = "\n" + old[old.index("<!-- properties:begin -->"):]
    out.write_text("\n".join(text) + "\n" + kept)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
