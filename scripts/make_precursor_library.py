"""Write src/ipscreen/data/precursor_phases.json: the synthesis precursors of the paper (Results, "Analysis on
solid-state synthesis pathways") that the Li-X-Z reference library lacks, and the precursor classes.

    python scripts/make_precursor_library.py PATH/TO/shared/data

PATH is the curated reference data (its reference_phases/c_cl_li_mn_o_mp_entries.json.gz and
elements.json.gz; README there for sources and licences). ipscreen never reads it at run time: this
script stores each phase as crystallographic facts with its MP id and citation. The binaries, elements
and Li2O2 of the paper's list are in the base library (data/elemental_references.json,
binary_references.json, mp_reference_phases.json: I2O5 there); the carbon sources, the chlorine
oxides (ClO2, Cl2O7 and the paper's "ClO3", Table 3) and the perchlorate are added here. LiIO3 and
Br2O3 are in neither the reference data nor a shipped structure type, so they are left out (the file's `_missing`).
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "ipscreen" / "data" / "precursor_phases.json"
MP = "Materials Project (CC BY 4.0): A. Jain et al., APL Mater. 1, 011002 (2013)"
PHASES = {  # MP id: why
    "mp-3054": "Li2CO3 (C2/c), carbon source",
    "mp-48": "graphite (P6_3/mmc), carbon source",
    "mp-1021323": "LiC12 (P6/mmm), carbon source",
    "mp-1001581": "LiC6 (P6/mmm), Li-C competing phase",
    "mp-30301": "LiClO4 (Pnma), oxy-halogen precursor",
    "mp-23207": "ClO2 (Pbca), oxy-halogen precursor",
    "mp-31050": "Cl2O7 (C2/c), oxy-halogen precursor",
    # the paper's "ClO3" (Table 3, Li3OCl and Li12O3SeClBr3 routes) is MP's ClO3 entry, on its hull: solid
    # dichlorine hexoxide, [ClO2]+[ClO4]- in the crystal
    "mp-22869": "ClO3 (Cc; solid Cl2O6), oxy-halogen precursor of the paper's Table 3",
}
# The paper's reactant classes (Results, synthesis pathways; Fig. 10 and Table 3), as reduced formulas.
PRECURSORS = {
    "binaries": ["Li2O", "LiCl", "LiBr", "LiI", "LiF", "Li2O2", "Li2S", "Li2Se", "Li2Te"],
    "carbon": ["Li2CO3", "C", "LiC12"],
    "elements": ["Li", "I2", "S", "Se", "Te"],
    "oxyhalogen": ["LiClO4", "LiIO3", "Br2O3", "I2O5", "ClO2", "Cl2O7", "ClO3"],  # ClO3: Table 3
    "gases": ["O2"],
}
TOXIC = ["SeO2", "CCl4", "SeBr4"]  # the paper's "reactants with known extreme toxicity", excluded by default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the curated reference data folder (holds reference_phases/)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from pymatgen.core import Structure

    records = {}
    for name in ("c_cl_li_mn_o_mp_entries.json.gz", "elements.json.gz"):
        for r in json.load(gzip.open(args.data / "reference_phases" / name)):
            records.setdefault(r["source_id"], (r, name))
    phases = []
    for mp_id, why in PHASES.items():
        r, name = records[mp_id]
        s = Structure.from_dict(r["structure"])
        phases.append({
            "id": f"ref:{r['formula']}:{mp_id}", "formula": r["formula"], "space_group": r["spacegroup"],
            "source": f"{mp_id}; {MP}; {why}; structure via {r['source_file'].split('@')[0]} ({name})",
            "structure": {"lattice": [[round(x, 6) for x in row] for row in s.lattice.matrix.tolist()],
                          "species": [site.specie.symbol for site in s],
                          "frac_coords": [[round(x % 1.0, 6) for x in site.frac_coords] for site in s]}})
    out = {"_source": "Synthesis precursors that the Li-X-Z reference library lacks (Materials Project structures, "
                      "PBE cells of their sources, as starting structures; relaxed by the campaign). Made by "
                      "scripts/make_precursor_library.py.",
           "_licence": "Materials Project data: CC BY 4.0",
           "_missing": "LiIO3 and Br2O3 (paper's oxy-halogen precursors): in neither the reference data nor a "
                       "shipped structure type.",
           "precursors": PRECURSORS,
           "precursors_source": "Jalem et al. (the seed paper), Results, 'Analysis on solid-state synthesis pathways': "
                                "binaries, carbon sources, elements, oxy-halogen precursors and O2 gas at 1000 K, 1 atm",
           "toxic": TOXIC,
           "phases": phases}
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(phases)} phases -> {args.out}")


if __name__ == "__main__":
    main()
