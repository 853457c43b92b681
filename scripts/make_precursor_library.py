"""Write src/ipscreen/data/precursor_phases.json: the synthesis precursors of the paper (Results, "Analysis on
solid-state synthesis pathways") that the Li-X-Z reference library lacks, and the precursor classes.

    python scripts/make_precursor_library.py PATH/TO/shared/data

PATH is the curated reference data (its reference_phases/c_cl_li_mn_o_mp_entries.json.gz and
elements.json.gz; README there for sources and licences). ipscreen never reads it at run time: this
script stores each phase as crystallographic facts with its MP id and citation. The binaries, elements
and Li2O2 of the paper's list are in the base library (data/elemental_references.json,
binary_references.json, mp_reference_phases.json: I2O5 there); the carbon sources, the chlorine
oxides (ClO2, Cl2O7 and the paper's "ClO3", Table 3) and the perchlorate are added here, and alpha-LiIO3
built from its structure report (BUILT). Br2O3 is in neither the reference data nor a structure report we
could build it from, so it is left out (the file's `_missing`).
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
# Precursors of the paper that neither MP data set here holds, built from the structure report. alpha-LiIO3:
# W. H. Zachariasen and F. A. Barta, Phys. Rev. 37, 1626 (1931): hexagonal, a = 5.469 Å, c = 5.155 Å, hexagonal
# close packing of O (6 O at (u,u,0), (0,-u,0), (-u,0,0), (-u,-u,1/2), (0,u,1/2), (u,0,1/2), u = 1/3) with Li at
# (0,0,1/4), (0,0,3/4) and I at (1/3,2/3,1/4), (2/3,1/3,3/4), both in O octahedra. The refined structure is P6_3
# (Rosenzweig and Morosin, Acta Cryst. 20, 758 (1966)): I moves along c towards three O, an IO3 pyramid. I is
# started 0.03 c off the octahedron centre (P6_3) and the campaign's relaxation finds the pyramid
# (tests/test_synthesis.py::test_liio3_relaxes_to_the_iodate_pyramid).
LIIO3_SHIFT = 0.03  # fraction of c: I off the octahedron centre, so the relaxation is not held by symmetry
BUILT = {
    "LiIO3": {
        "space_group": "P6_3",
        "source": "alpha-LiIO3: W. H. Zachariasen and F. A. Barta, Phys. Rev. 37, 1626 (1931) (a = 5.469 Å, c = 5.155 Å, "
                  "idealised O close packing); I shifted 0.03 c towards the IO3 pyramid of the refined P6_3 structure "
                  "(Rosenzweig and Morosin, Acta Cryst. 20, 758 (1966)); relaxed by the campaign",
        "lattice": ("hexagonal", 5.469, 5.155),
        "sites": [("Li", (0, 0, 0.25)), ("Li", (0, 0, 0.75)), ("I", (1 / 3, 2 / 3, 0.25 + LIIO3_SHIFT)),
                  ("I", (2 / 3, 1 / 3, 0.75 + LIIO3_SHIFT))]
                 + [("O", xyz) for xyz in ((1 / 3, 1 / 3, 0), (0, -1 / 3, 0), (-1 / 3, 0, 0), (-1 / 3, -1 / 3, 0.5),
                                           (0, 1 / 3, 0.5), (1 / 3, 0, 0.5))],
    },
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
    from pymatgen.core import Lattice

    for formula, built in BUILT.items():
        _kind, a, c = built["lattice"]
        s = Structure(Lattice.hexagonal(a, c), [el for el, _ in built["sites"]], [xyz for _, xyz in built["sites"]])
        phases.append({
            "id": f"ref:{formula}:zachariasen1931", "formula": formula, "space_group": built["space_group"],
            "source": built["source"],
            "structure": {"lattice": [[round(x, 6) for x in row] for row in s.lattice.matrix.tolist()],
                          "species": [site.specie.symbol for site in s],
                          "frac_coords": [[round(x % 1.0, 6) for x in site.frac_coords] for site in s]}})
    out = {"_source": "Synthesis precursors that the Li-X-Z reference library lacks (Materials Project structures, "
                      "PBE cells of their sources, and LiIO3 built from its structure report, as starting structures; "
                      "relaxed by the campaign). Made by scripts/make_precursor_library.py.",
           "_licence": "Materials Project data: CC BY 4.0; LiIO3: crystallographic facts of its structure report",
           "_missing": "Br2O3 (a paper oxy-halogen precursor): in neither the reference data nor a structure "
                       "report we could build it from.",
           "precursors": PRECURSORS,
           "precursors_source": "Jalem et al. (the seed paper), Results, 'Analysis on solid-state synthesis pathways': "
                                "binaries, carbon sources, elements, oxy-halogen precursors and O2 gas at 1000 K, 1 atm",
           "toxic": TOXIC,
           "phases": phases}
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(phases)} phases -> {args.out}")


if __name__ == "__main__":
    main()
