"""Write the electrochemical-window section of docs/validation.md: the paper's six Fig. 6
compounds, each relaxed with the reference phases of its chemical system, against the
oxidation limits the paper gives in its text.

    python scripts/validate_window.py [--preset demo] [--out docs/validation.md]

The window of a compound above the hull depends on its composition only (the hull is that
of the reference phases), so one ordering per composition is relaxed: the paper's space
group where our space has it, else the first ordering.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from doc_sections import replace_section  # scripts/doc_sections.py (beside this script)

# paper, Results (Fig. 6): space group, composition, oxidation limit (V vs Li/Li+); reduction limit 0 V
FIG6 = (("P1", "Li8Te2Br3I", 1.56), ("Cm", "Li8S2Cl3I", 2.34), ("Fm-3m", "Li6O2ClBr", 2.79),
        ("Pmm2", "Li6SSeClI", 1.89), ("Pmm2", "Li12Se3TeBrI3", 1.56), ("Fm-3m", "Li6OSeI2", 1.89))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo", help="energy backend and relaxation settings of this preset")
    parser.add_argument("--out", default="docs/validation.md")
    args = parser.parse_args()

    from ipscreen.campaign.config import from_preset
    from ipscreen.commands.analyze import window_of
    from ipscreen.energy.threads import limit_threads
    from ipscreen.space import enumerate_space

    limit_threads()
    config = from_preset(args.preset)
    space = enumerate_space(from_preset("extended").space)
    start = time.time()
    lines = ["## Electrochemical window (Fig. 6)", "",
             f"Made by `python scripts/validate_window.py --preset {args.preset}` ({config.energy.backend} "
             f"{config.energy.model}, MP2020 {'on' if config.energy.corrections else 'off'}, relax fmax "
             f"{config.relax.fmax} eV/Å). Each compound and the reference phases of its chemical system are "
             "relaxed; the window is the Li grand-potential range without Li exchange "
             "(`ipscreen analyze window`).", "",
             "| compound | paper ox. limit (V) | ours (V) | difference (V) | reduction limit (V) | "
             "products at the reduction side | at the oxidation side |", "| --- | --- | --- | --- | --- | --- | --- |"]
    diffs = []
    for sg, formula, paper in FIG6:
        matches = [c for c in space if c.row()["reduced_formula"] == formula]
        compound = next((c for c in matches if c.row()["space_group"] == sg), matches[0])
        w = window_of(compound.structure, config)
        diffs.append(w["oxidation_limit_v"] - paper)
        lines.append(f"| {compound.row()['space_group']} {formula} | {paper:.2f} | {w['oxidation_limit_v']:.2f} | "
                     f"{diffs[-1]:+.2f} | {w['reduction_limit_v']:.2f} | {' + '.join(w['reduction_products'])} | "
                     f"{' + '.join(w['oxidation_products'])} |")
        print(lines[-1], flush=True)
    mae = sum(abs(d) for d in diffs) / len(diffs)
    lines += ["", f"Oxidation limit: MAE {mae:.2f} V, mean signed error {sum(diffs) / len(diffs):+.2f} V, "
              f"{sum(abs(d) <= 0.35 for d in diffs)} of {len(diffs)} within ±0.35 V of the paper; "
              f"{(time.time() - start) / 60:.1f} min on one core. The reference library holds the elements, the "
              "Li binaries and the MP/Alexandria binaries without Li (X-Z, X-O, Z-O: TeI, SeBr, IBr, SO2, ...); "
              "oxysalts (Li2SO4, LiIO3, ...) and binaries missing from those sets (ICl, S2Cl2, SO3) are not in "
              "it yet, so an oxidation product that needs them cannot appear."]
    replace_section(Path(args.out), "window", "\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
