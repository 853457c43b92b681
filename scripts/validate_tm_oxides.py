"""Formation energies of the cathodes and TM oxides with our energy backend against the Materials
Project's (MP2020), from the MP structures of the curated reference data (first look for issue 12).

    python scripts/validate_tm_oxides.py PATH/TO/shared/data [--backends sevenn,chgnet] [--out docs/validation.md]

Each phase (the lowest-hull MP entry of its formula, and the MP ground state of each element) is
evaluated at the MP geometry and after relaxation (FIRE, fmax 0.05 eV/Å), marked GGA or GGA+U as MP
computed it (thermo/hull.run_parameters), MP2020-corrected (CHGNet: as predicted). The formation
energy is taken against the same backend's elements; MP's from the files' corrected energies.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

from doc_sections import replace_section  # scripts/doc_sections.py (beside this script)

PHASES = ("Co3O4", "CoO", "LiCoO2", "NiO", "LiNiO2", "MnO", "Mn3O4", "LiMnO2", "Fe2O3", "LiFePO4", "Li2O")
ELEMENTS = ("Li", "O2", "Co", "Ni", "Mn", "Fe", "P")
FILES = ("li_co_ni_o_mp_entries.json.gz", "c_cl_li_mn_o_mp_entries.json.gz", "li_fe_p_o_mp_entries.json.gz")


def _records(data: Path) -> tuple[dict, dict]:
    recs = [r for f in FILES for r in json.load(gzip.open(data / "reference_phases" / f))]
    best: dict = {}
    for r in recs:
        if r["formula"] in PHASES and r.get("mp_energy_per_atom_corrected") is not None:
            if r["formula"] not in best or r["mp_e_above_hull"] < best[r["formula"]]["mp_e_above_hull"]:
                best[r["formula"]] = r
    elements = {r["formula"]: r for r in json.load(gzip.open(data / "reference_phases" / "elements.json.gz"))
                if r["formula"] in ELEMENTS and any(x.startswith("mp_ground_state") for x in r.get("roles") or [])}
    return best, elements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--backends", default="sevenn,chgnet")
    parser.add_argument("--out", default="docs/validation.md")
    args = parser.parse_args()

    from pymatgen.analysis.phase_diagram import PhaseDiagram
    from pymatgen.core import Structure
    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.energy.backends import load_backend, mp2020_by_default
    from ipscreen.energy.relax import RelaxSettings, relax
    from ipscreen.energy.threads import limit_threads
    from ipscreen.thermo.hull import Phase, computed_entries

    limit_threads()
    best, elements = _records(args.data)
    mp_form = {}
    for name, r in best.items():
        comp = Structure.from_dict(r["structure"]).composition
        mp_form[name] = r["mp_energy_per_atom_corrected"] - sum(
            comp.get_atomic_fraction(el) * elements["O2" if el.symbol == "O" else el.symbol]["mp_energy_per_atom_corrected"]
            for el in comp.elements)
    columns, start = {}, time.time()
    for name in args.backends.split(","):
        backend = load_backend(name)
        single, relaxed = [], []
        for pid, r in [*elements.items(), *best.items()]:
            s = Structure.from_dict(r["structure"])
            atoms = AseAtomsAdaptor.get_atoms(s)
            atoms.calc = backend.calculator
            single.append(Phase(pid, s, float(atoms.get_potential_energy())))
            out = relax(AseAtomsAdaptor.get_atoms(s), backend, RelaxSettings(fmax=0.05, max_steps=300))
            relaxed.append(Phase(pid, AseAtomsAdaptor.get_structure(out.atoms), out.energy_ev))
        for label, phases in (("MP geometry", single), ("relaxed", relaxed)):
            entries = computed_entries(phases, mp2020_by_default(name))
            diagram = PhaseDiagram(entries)
            columns[f"{name}, {label}"] = {e.entry_id: diagram.get_form_energy_per_atom(e) for e in entries
                                           if e.entry_id in best}
    head = "| phase (MP id, space group) | MP | " + " | ".join(columns) + " |"
    lines = ["## Cathodes and TM oxides: formation energies against MP (first look)", "",
             f"Made by `python scripts/validate_tm_oxides.py DATA --backends {args.backends}` "
             f"({(time.time() - start) / 60:.1f} min). ΔH_f in eV/atom, ours minus MP in brackets; TM oxides marked "
             "GGA+U with MP's U values, MP2020 corrections (CHGNet: as predicted).", "", head,
             "|" + " --- |" * (len(columns) + 2)]
    for name in PHASES:
        if name not in best:
            continue
        r = best[name]
        cells = [f"{c[name]:+.3f} ({c[name] - mp_form[name]:+.3f})" for c in columns.values()]
        lines.append(f"| {name} ({r['source_id']}, {r['spacegroup']}) | {mp_form[name]:+.3f} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    replace_section(Path(args.out), "tm-oxides", text)


if __name__ == "__main__":
    main()
