"""Write src/ipscreen/data/mp_reference_phases.json: the competing binaries of the Li-X-Z systems
(X = O, S, Se, Te; Z = F, Cl, Br, I) without Li, from Materials Project and Alexandria structures.

    python scripts/make_reference_library.py PATH/TO/shared/data

PATH is the curated reference data (its reference_phases/binaries.json.gz, from matcalc's MP and
Alexandria benchmark sets; see its README for sources and licences). ipscreen never reads it at
run time: this script stores each phase as crystallographic facts (lattice in Å, species,
fractional coordinates) with its MP id and citation. The Li binaries (Li2X, LiZ, Li2O2) stay the
experimental prototypes of data/binary_references.json, and the elements the MP ground states of
data/elemental_references.json; every phase is relaxed by the campaign with its own backend.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

ELEMENTS = {"Li", "O", "S", "Se", "Te", "F", "Cl", "Br", "I"}
OUT = Path(__file__).resolve().parents[1] / "src" / "ipscreen" / "data" / "mp_reference_phases.json"
CITATIONS = {
    "materials_project": "Materials Project (CC BY 4.0): A. Jain et al., APL Mater. 1, 011002 (2013); structure from "
                         "matcalc's MP binary benchmark set (materialsvirtuallab/matcalc, BSD-3-Clause)",
    "alexandria": "Alexandria (CC BY 4.0): J. Schmidt et al., Adv. Mater. 35, 2210788 (2023); structure from matcalc's "
                  "Alexandria binary phonon set (materialsvirtuallab/matcalc, BSD-3-Clause)",
}


def _elements(formula: str) -> set[str]:
    return set(re.findall(r"[A-Z][a-z]?", formula))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the curated reference data folder (holds reference_phases/)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from pymatgen.core import Structure

    records = json.load(gzip.open(args.data / "reference_phases" / "binaries.json.gz"))
    phases = []
    for r in sorted(records, key=lambda r: (r["formula"], r["source_id"])):
        if not _elements(r["formula"]) <= ELEMENTS or "Li" in _elements(r["formula"]):
            continue
        s = Structure.from_dict(r["structure"])
        phases.append({
            "id": f"ref:{r['formula']}:{r['source_id']}",
            "formula": r["formula"],
            "space_group": r["spacegroup"],
            "source": f"{r['source_id']} ({r['source']}); {CITATIONS[r['source']]}",
            "structure": {"lattice": [[round(x, 6) for x in row] for row in s.lattice.matrix.tolist()],
                          "species": [site.specie.symbol for site in s],
                          "frac_coords": [[round(x % 1.0, 6) for x in site.frac_coords] for site in s]},
        })
    out = {"_source": "Competing binaries of the Li-X-Z systems without Li (X-Z, X-O, Z-O, X-X', Z-Z'), every "
                      "polymorph in matcalc's MP (elasticity, Jan 2025) and Alexandria (phonon) binary benchmark sets; "
                      "PBE(+U) relaxed cells of their sources, as starting structures. Made by "
                      "scripts/make_reference_library.py.",
           "_licence": "Materials Project and Alexandria data: CC BY 4.0 (cite as given per phase)",
           "phases": phases}
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(phases)} phases -> {args.out}")


if __name__ == "__main__":
    main()
