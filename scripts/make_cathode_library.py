"""Write src/ipscreen/data/cathode_phases.json: the cathodes and the competing phases of their unions
with the Li-X-Z systems (X = O, S, Se, Te; Z = F, Cl, Br, I), for the interfaces stage.

    python scripts/make_cathode_library.py PATH/TO/shared/data

PATH is the curated reference data (reference_phases/: MP entries of Li-Co-Ni-O, Li-Fe-P-O and
C-Cl-Li-Mn-O with MP2020 energies, the matcalc MP/Alexandria binaries and the elements; see its
README for sources and licences). ipscreen never reads it at run time: this script stores each
phase as crystallographic facts (lattice in Å, species, fractional coordinates) with its MP id and
citation. Which phases, and why:

- **MP entries** (the three entry files): the phases on MP's hull of their file (`HULL_TOL`), with at
  most `MAX_SITES` sites, without carbon, and the cathodes' own polymorphs (`CATHODE_POLYMORPHS`,
  R-3m LiNiO2 and Pmmn LiMnO2 lie 13-15 meV/atom above MP's hull). Near-hull phases are left out: the
  three files hold 186 Li-Co-Ni-O phases within 30 meV/atom, mostly delithiated layered
  intermediates (Li7(NiO2)8, ...), 5,190 sites in all at 20 meV/atom, for reactions they do not change.
  Elements and binaries of the Li-X-Z elements alone are in the base library
  (thermo/references.py) and are skipped here; their ternaries (LiClO4) are kept.
- **TM binaries** of matcalc's sets (TM = Ni, Mn, Co, Fe, and P) with O, S, Se, Te, F, Cl, Br, I or
  another TM: every polymorph of at most `MAX_BINARY_SITES` sites (no MP energies there: the campaign's
  hull picks the lowest).
- **By ion substitution** (pymatgen `Structure.replace_species`) of a shipped structure, for phases
  the reference data lacks that decide reactions (sulfates and selenates, TM halides and fluorides,
  NiS2, γ-Li3PS4, the perchlorate analogues): the template, its MP id and the species map are stored
  with the phase. They are starting structures in a plausible structure type (olivine for Li2SO4,
  CrVO4-type for MSO4, rutile for MF2, CdCl2-type for CoCl2): every one is relaxed by the campaign,
  and a wrong type only leaves the phase above its true hull energy (reactions toward it are then
  underestimated, never invented).
- **NMC811** (LiNi10/12Mn1/12Co1/12O2, the paper's composition): orderings of one Mn and one Co in a
  2x2x1 hexagonal supercell of layered R-3m LiNiO2 (12 TM sites, 48 atoms), one per distinct Mn-Co
  distance; the campaign relaxes all, and its hull keeps the lowest.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

BASE = {"Li", "O", "S", "Se", "Te", "F", "Cl", "Br", "I"}
TM = {"Ni", "Mn", "Co", "Fe", "P"}
HULL_TOL = 1e-6  # eV/atom above MP's hull of the entry file: its stable phases only
MAX_SITES = 64
MAX_BINARY_SITES = 24
ENTRY_FILES = ("li_co_ni_o_mp_entries.json.gz", "li_fe_p_o_mp_entries.json.gz", "c_cl_li_mn_o_mp_entries.json.gz")
OUT = Path(__file__).resolve().parents[1] / "src" / "ipscreen" / "data" / "cathode_phases.json"
MP = "Materials Project (CC BY 4.0): A. Jain et al., APL Mater. 1, 011002 (2013)"
CITATIONS = {
    "li_co_ni_o_mp_entries.json.gz": f"{MP}; MP API entries via janosh/matterviz (MIT)",
    "li_fe_p_o_mp_entries.json.gz": f"{MP}; MP API entries via janosh/matterviz (MIT)",
    "c_cl_li_mn_o_mp_entries.json.gz": f"{MP}, v2021.05.13; entries via GENESIS-EFRC/y2mn2o7-selectivity",
    "materials_project": f"{MP}; structure from matcalc's MP binary benchmark set (materialsvirtuallab/matcalc, "
                         "BSD-3-Clause)",
    "alexandria": "Alexandria (CC BY 4.0): J. Schmidt et al., Adv. Mater. 35, 2210788 (2023); structure from "
                  "matcalc's Alexandria binary phonon set (materialsvirtuallab/matcalc, BSD-3-Clause)",
    "elements": f"{MP}; ground state of MP's 2023-02-07 elemental references (via matcalc)",
}

# formula: (template MP id, species map, structure type and why).
SUBSTITUTIONS = {
    "Li2SO4": ("mp-19017", {"Fe": "Li", "P": "S"}, "olivine-type from LiFePO4 (tetrahedral SO4; the real "
               "beta-Li2SO4 is monoclinic P2_1/c, Alcock et al., Acta Cryst. B29, 360 (1973))"),
    "Li2SeO4": ("mp-19017", {"Fe": "Li", "P": "Se"}, "olivine-type from LiFePO4 (tetrahedral SeO4; the real "
                "Li2SeO4 is phenakite-type R-3)"),
    "NiSO4": ("mp-25303", {"Fe": "Ni", "P": "S"}, "CrVO4-type from Cmcm FePO4 (the structure of NiSO4, "
              "CoSO4, FeSO4)"),
    "CoSO4": ("mp-25303", {"Fe": "Co", "P": "S"}, "CrVO4-type from Cmcm FePO4"),
    "MnSO4": ("mp-25303", {"Fe": "Mn", "P": "S"}, "CrVO4-type from Cmcm FePO4"),
    "FeSO4": ("mp-25303", {"P": "S"}, "CrVO4-type from Cmcm FePO4"),
    "NiSeO4": ("mp-25303", {"Fe": "Ni", "P": "Se"}, "CrVO4-type from Cmcm FePO4"),
    "CoSeO4": ("mp-25303", {"Fe": "Co", "P": "Se"}, "CrVO4-type from Cmcm FePO4"),
    "MnSeO4": ("mp-25303", {"Fe": "Mn", "P": "Se"}, "CrVO4-type from Cmcm FePO4"),
    "FeSeO4": ("mp-25303", {"P": "Se"}, "CrVO4-type from Cmcm FePO4"),
    "Li3PS4": ("mp-13725", {"O": "S"}, "gamma-Li3PS4 from gamma-Li3PO4 (Pmn2_1; the same structure type, "
               "Homma et al., Solid State Ionics 182, 53 (2011))"),
    "CoCl2": ("mp-27396", {"Ni": "Co"}, "CdCl2-type from NiCl2 (R-3m, the structure of CoCl2)"),
    "CoBr2": ("mp-27637", {"Ni": "Co"}, "from NiBr2 (R-3m)"),
    "CoI2": ("mp-27638", {"Ni": "Co"}, "from NiI2 (R-3m; CoI2 is CdI2-type P-3m1)"),
    "NiF2": ("mp-2237", {"Te": "Ni", "O": "F"}, "rutile-type from TeO2 (P4_2/mnm, the structure of NiF2)"),
    "CoF2": ("mp-2237", {"Te": "Co", "O": "F"}, "rutile-type from TeO2 (P4_2/mnm)"),
    "MnF2": ("mp-2237", {"Te": "Mn", "O": "F"}, "rutile-type from TeO2 (P4_2/mnm)"),
    "FeF2": ("mp-2237", {"Te": "Fe", "O": "F"}, "rutile-type from TeO2 (P4_2/mnm)"),
    "NiS2": ("mp-2070", {"Co": "Ni"}, "pyrite-type from CoS2 (Pa-3, the structure of NiS2)"),
    "LiBrO4": ("mp-30301", {"Cl": "Br"}, "from LiClO4 (Pnma)"),
    "LiIO4": ("mp-30301", {"Cl": "I"}, "from LiClO4 (Pnma)"),
}

CATHODES = {  # name: (composition, what the paper calls it)
    "NMC811": ("Li12Ni10MnCoO24", "LiNi0.8Mn0.1Co0.1O2 as the paper's 12-TM cell LiNi10/12Mn1/12Co1/12O2"),
    "LiNiO2": ("LiNiO2", "layered LiNiO2"),
    "LiCoO2": ("LiCoO2", "layered LiCoO2 (R-3m)"),
    "LiMnO2": ("LiMnO2", "LiMnO2"),
    "LiFePO4": ("LiFePO4", "olivine LiFePO4"),
}
NMC_TEMPLATE = "mp-25411"  # R-3m LiNiO2
CATHODE_POLYMORPHS = ("mp-22526", "mp-25411", "mp-754656", "mp-18767", "mp-19017")  # LiCoO2, LiNiO2, LiMnO2 x2, LiFePO4


def _elements(formula: str) -> set[str]:
    return set(re.findall(r"[A-Z][a-z]?", formula))


def _as_data(structure) -> dict:
    return {"lattice": [[round(x, 6) for x in row] for row in structure.lattice.matrix.tolist()],
            "species": [site.specie.symbol for site in structure],
            "frac_coords": [[round(x % 1.0, 6) for x in site.frac_coords] for site in structure]}


def _entry_phases(data: Path) -> tuple[list, dict]:
    """[(record, file name)] chosen from the entry files, and every record by source id."""
    by_id, chosen = {}, []
    for name in ENTRY_FILES:
        for r in json.load(gzip.open(data / "reference_phases" / name)):
            by_id.setdefault(r["source_id"], (r, name))
            els = _elements(r["formula"])
            if r["source_id"] in CATHODE_POLYMORPHS:
                chosen.append((r, name))
            elif (r.get("mp_energy_per_atom_corrected") is not None and "C" not in els
                  and not (els <= BASE and len(els) < 3)
                  and int(r["nsites"]) <= MAX_SITES and float(r["mp_e_above_hull"]) <= HULL_TOL):
                chosen.append((r, name))
    return chosen, by_id


def _nmc_orderings(template, Structure):
    """One Mn and one Co on the 12 Ni sites of a 2x2x1 hexagonal supercell of R-3m LiNiO2, one ordering per
    distinct Mn-Co distance (Å, rounded to 0.01)."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    conventional = SpacegroupAnalyzer(template, symprec=0.1).get_conventional_standard_structure()
    cell = conventional * (2, 2, 1)
    ni = [i for i, site in enumerate(cell) if site.specie.symbol == "Ni"]
    if len(ni) != 12:
        raise ValueError(f"expected 12 Ni sites, got {len(ni)}")
    seen = {}
    for j in ni[1:]:
        d = round(cell.get_distance(ni[0], j), 2)
        seen.setdefault(d, j)
    out = []
    for d, j in sorted(seen.items()):
        s = cell.copy()
        s.replace(ni[0], "Mn")
        s.replace(j, "Co")
        out.append((d, s))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the curated reference data folder (holds reference_phases/)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from pymatgen.core import Structure

    phases: list[dict] = []
    ids: set[str] = set()

    def add(formula, source_id, space_group, source, structure, method, **extra):
        pid = f"ref:{formula}:{source_id}"
        if pid in ids:
            return
        ids.add(pid)
        phases.append({"id": pid, "formula": formula, "space_group": space_group, "method": method,
                       "source": source, **extra, "structure": _as_data(structure)})

    for r in json.load(gzip.open(args.data / "reference_phases" / "elements.json.gz")):
        if r["formula"] in TM and any(x.startswith("mp_ground_state") for x in r.get("roles") or []):
            add(r["formula"], r["source_id"], r["spacegroup"], f"{r['source_id']}; {CITATIONS['elements']}",
                Structure.from_dict(r["structure"]), "mp")
    chosen, by_id = _entry_phases(args.data)
    for r, name in sorted(chosen, key=lambda c: (c[0]["formula"], c[0]["source_id"])):
        add(r["formula"], r["source_id"], r["spacegroup"], f"{r['source_id']}; {CITATIONS[name]}",
            Structure.from_dict(r["structure"]), "mp")
    binaries = json.load(gzip.open(args.data / "reference_phases" / "binaries.json.gz"))
    for r in sorted(binaries, key=lambda r: (r["formula"], r["source_id"])):
        els = _elements(r["formula"])
        if els & TM and els <= BASE | TM and int(r["nsites"]) <= MAX_BINARY_SITES:
            add(r["formula"], r["source_id"], r["spacegroup"], f"{r['source_id']} ({r['source']}); "
                f"{CITATIONS[r['source']]}", Structure.from_dict(r["structure"]), "mp")
    by_binary = {r["source_id"]: r for r in binaries}
    for formula, (template_id, mapping, why) in SUBSTITUTIONS.items():
        r = by_binary.get(template_id) or by_id[template_id][0]
        s = Structure.from_dict(r["structure"])
        s.replace_species(mapping)
        if s.composition.reduced_formula != formula:
            raise ValueError(f"{template_id} with {mapping} gave {s.composition.reduced_formula}, not {formula}")
        add(formula, f"sub-{template_id}", r["spacegroup"],
            f"ion substitution {mapping} of {r['formula']} {template_id} ({MP}): {why}", s, "substitution",
            template=template_id, species_map=mapping)
    template = Structure.from_dict(by_id[NMC_TEMPLATE][0]["structure"])
    for n, (distance, s) in enumerate(_nmc_orderings(template, Structure)):
        add("Li12Ni10MnCoO24", f"nmc811-{n}", "P1", f"NMC811 ordering {n}: one Mn and one Co {distance:.2f} Å apart "
            f"on the 12 Ni sites of a 2x2x1 hexagonal supercell of R-3m LiNiO2 {NMC_TEMPLATE} ({MP})", s, "ordering",
            template=NMC_TEMPLATE, mn_co_distance_angstrom=distance)

    out = {"_source": "Cathodes and the competing phases of their unions with the Li-X-Z systems: Materials Project "
                      "and Alexandria structures (PBE(+U) cells of their sources) and phases built from them by ion "
                      "substitution or ordering, as starting structures; the campaign relaxes every one with its "
                      "own backend. Made by scripts/make_cathode_library.py (its docstring gives the rules).",
           "_licence": "Materials Project and Alexandria data: CC BY 4.0 (cite as given per phase)",
           "_missing": "Not in the reference data and not built: Co9S8, TM oxyhalides, Li-TM halides (Li2MCl4), "
                       "Li-TM sulfides, the Li-Ni-Mn-O mixed oxides, tellurites/tellurates, LiIO3/LiBrO3.",
           "cathodes": {k: {"composition": c, "description": d} for k, (c, d) in CATHODES.items()},
           "phases": phases}
    args.out.write_text(json.dumps(out, indent=None, separators=(",", ":")).replace('{"id"', '\n{"id"') + "\n")
    sites = sum(len(p["structure"]["species"]) for p in phases)
    print(f"{len(phases)} phases, {sites} sites -> {args.out}")
    for p in phases:
        print(f"  {p['id']:34s} {p['space_group']:10s} {len(p['structure']['species']):3d} {p['method']}")


if __name__ == "__main__":
    main()
