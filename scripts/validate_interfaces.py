"""Write the interfaces section of docs/validation.md and docs/figures/interfaces_table2.png (Fig. 7b):
the paper's Table 2 compounds against the five cathodes, and the cathode library's hull and reaction
energies from our backend against the Materials Project's.

    python scripts/validate_interfaces.py PATH/TO/shared/data [--preset demo] [--cache FILE] [--workers 2]

1. Every Table 2 compound of our space (its composition and space group; the first ordering of the
   composition where our space lacks the space group), the Li-X-Z reference phases and the whole cathode
   library are relaxed with the preset's backend (cached in --cache: a rerun relaxes nothing), and each
   compound's mutual reaction energy with NMC811, LiNiO2, LiCoO2, LiMnO2 and LiFePO4 computed as the
   interfaces stage does (thermo/interfaces.py).
2. For the three systems whose MP2020 energies the reference data carries (Li-Co-Ni-O, Li-Fe-P-O,
   Cl-Li-Mn-O), the library's phases of each system get E_above_hull from our energies and from MP's
   (same phases, same hull construction): MAE, and which MP-stable phases we call stable (recall) and
   which we call stable that MP does not (precision). The reaction energies of the cathodes with Li2O,
   LiCl and Li3OCl, where MP has every phase, are computed both ways; Li3OBr, Li2S and LiI lack MP
   energies in the reference data, so only ours are given.
PATH is only read here (MP energies); the package never reads it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from doc_sections import replace_section  # scripts/doc_sections.py (beside this script)

CATHODES = ("NMC811", "LiNiO2", "LiCoO2", "LiMnO2", "LiFePO4")
ENTRY_FILES = {"Li-Co-Ni-O": "li_co_ni_o_mp_entries.json.gz", "Li-Fe-P-O": "li_fe_p_o_mp_entries.json.gz",
               "Cl-Li-Mn-O": "c_cl_li_mn_o_mp_entries.json.gz"}
PAPER_NMC811 = {"Pm Li12OS3Cl2Br2": -0.270, "P4/mmm Li9O3ClBr2": -0.007}  # eV/atom, paper text (Fig. 7a)
SIMPLE = {"Li2O": "Li2O", "LiCl": "LiCl", "Li3OCl": None, "Li3OBr": None, "Li2S": "Li2S", "LiI": "LiI"}


def _relax(chunk: dict) -> dict:
    from ipscreen.campaign.tasks import relax_chunk_task
    from ipscreen.energy.threads import limit_threads

    limit_threads()
    return relax_chunk_task(chunk)["results"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--cache", type=Path, default=Path("validate_interfaces_cache.json"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--committee", default="chgnet", help="second backend for the spread ('' for none)")
    parser.add_argument("--out", default="docs/validation.md")
    parser.add_argument("--figure", default="docs/figures/interfaces_table2.png")
    args = parser.parse_args()

    from importlib import resources

    from pymatgen.analysis.phase_diagram import PhaseDiagram
    from pymatgen.core import Composition, Lattice, Structure
    from pymatgen.entries.computed_entries import ComputedEntry

    from ipscreen.campaign.config import from_preset
    from ipscreen.report.figures import interface_heatmap
    from ipscreen.space import enumerate_space
    from ipscreen.structure_io import structure_from_dict, structure_to_dict
    from ipscreen.thermo.hull import Phase, computed_entries
    from ipscreen.thermo.interfaces import InterfaceHulls, reaction
    from ipscreen.thermo.references import all_cathode_phases, all_reference_phases, cathode_composition

    config = from_preset(args.preset)
    start = time.time()
    text = (resources.files("ipscreen.data") / "paper_table2.csv").read_text().splitlines()
    table2 = list(csv.DictReader([line for line in text if not line.startswith("#")]))
    space = enumerate_space(from_preset("paper").space)
    by_formula: dict = {}
    for c in space:
        by_formula.setdefault(Composition(c.row()["reduced_formula"]).reduced_composition, []).append(c)
    compounds = {}
    for row in table2:
        matches = by_formula.get(Composition(row["composition"]).reduced_composition, [])
        if not matches:
            print(f"not in our space: {row['space_group']} {row['composition']}")
            continue
        c = next((m for m in matches if m.row()["space_group"] == row["space_group"]), matches[0])
        compounds[f"{row['space_group']} {row['composition']}"] = c

    structures = {p.id: structure_to_dict(p.structure) for p in all_reference_phases() + all_cathode_phases()}
    structures.update({c.id: structure_to_dict(c.structure) for c in compounds.values()})
    li3ox = {"Li3OCl": "Cl", "Li3OBr": "Br"}
    for name, z in li3ox.items():  # the Pm-3m cells of the validation's simple electrolytes
        s = Structure.from_spacegroup("Pm-3m", Lattice.cubic(3.91 if z == "Cl" else 4.02), ["O", z, "Li"],
                                      [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]])
        structures[f"simple:{name}"] = structure_to_dict(s)
    def relax_all(structures: dict, energy, path: Path) -> dict:
        cache = json.loads(path.read_text()) if path.exists() else {}
        todo = sorted((sid for sid in structures if sid not in cache), key=lambda sid: len(structures[sid]["species"]))
        print(f"{len(structures)} structures, {len(todo)} to relax with {energy.backend}", flush=True)
        common = {"energy": asdict(energy), "relax": asdict(config.relax)}
        chunks = [{"structures": {sid: structures[sid] for sid in todo[i::4 * args.workers]}, **common}
                  for i in range(min(len(todo), 4 * args.workers))]
        with ProcessPoolExecutor(args.workers) as pool:
            for result in pool.map(_relax, chunks):
                cache.update(result)
                path.write_text(json.dumps(cache))
                print(f"  {len(cache)} relaxed ({(time.time() - start) / 60:.1f} min)", flush=True)
        return cache

    cache = relax_all(structures, config.energy, args.cache)

    def hulls_of(cache: dict, mp2020: bool):
        phases = [Phase(sid, structure_from_dict(r["structure"]), r["energy_ev"]) for sid, r in cache.items()
                  if r["status"] != "failed" and sid in structures]
        entries = computed_entries(phases, mp2020)
        library = [e for e in entries if not e.entry_id.startswith("simple:")]
        return entries, library, InterfaceHulls([e for e in library if not e.entry_id.startswith(("n1-", "n2-", "ninf-"))])

    entries, library, hulls = hulls_of(cache, config.energy.corrections)
    own = {e.entry_id: e for e in entries}
    second, cache2 = None, {}
    if args.committee:
        from ipscreen.campaign.settings import CommitteeSettings

        energy2 = CommitteeSettings(args.committee).energy()
        cache2 = relax_all({sid: r["structure"] for sid, r in cache.items() if r["status"] != "failed"}, energy2,
                           args.cache.with_name(args.cache.stem + f"_{args.committee}.json"))
        second = hulls_of(cache2, energy2.corrections)[2]
    cathodes = {name: cathode_composition(name) for name in CATHODES}

    # 1. Table 2 x cathodes
    lines = ["## Interfaces with cathodes (Fig. 7)", "",
             f"Made by `python scripts/validate_interfaces.py DATA --preset {args.preset}` ({config.energy.backend} "
             f"{config.energy.model}, MP2020 {'on' if config.energy.corrections else 'off'}): the Table 2 compounds "
             "of our space, the Li-X-Z reference phases and the cathode library "
             f"({len(all_cathode_phases())} phases, data/cathode_phases.json) relaxed; mutual reaction energy "
             "(eq. 25, hull energies of both reactants), its minimum over x, in meV/atom (`ipscreen analyze "
             "interface`). The compounds' own energies do not enter (hull energies): a metastable compound reacts "
             "as its equilibrium phases do.", "",
             "| compound | " + " | ".join(CATHODES) + " | products with NMC811 |",
             "| --- | " + " | ".join("---" for _ in CATHODES) + " | --- |"]
    labels, matrix, rows = [], [], {}
    for label, c in compounds.items():
        comp = own[c.id].composition.reduced_composition if c.id in own else None
        if comp is None:
            lines.append(f"| {label} | relaxation failed |")
            continue
        r = hulls.reactions(comp, cathodes)
        rows[label] = r
        labels.append(label)
        matrix.append([r[n]["reaction_energy_ev_per_atom"] for n in CATHODES])
        lines.append(f"| {label} | " + " | ".join(f"{1000 * r[n]['reaction_energy_ev_per_atom']:.0f}" for n in CATHODES)
                     + f" | {' + '.join(r['NMC811']['products']) or 'no reaction'} |")
        print(lines[-1], flush=True)
    Path(args.figure).parent.mkdir(parents=True, exist_ok=True)
    interface_heatmap(labels, list(CATHODES), matrix, args.figure)

    def chalcogen(label: str) -> bool:
        return any(el in Composition(label.split()[1]) for el in ("S", "Se", "Te"))

    nmc = {label: r["NMC811"]["reaction_energy_ev_per_atom"] for label, r in rows.items()}
    heavy = [v for k, v in nmc.items() if chalcogen(k)]
    oxide = [v for k, v in nmc.items() if not chalcogen(k)]
    ni_gt_mn = sum(r["LiNiO2"]["reaction_energy_ev_per_atom"] < r["LiMnO2"]["reaction_energy_ev_per_atom"] - 1e-6
                   for r in rows.values())
    inert = sum(r["LiNiO2"]["reaction_energy_ev_per_atom"] == r["LiMnO2"]["reaction_energy_ev_per_atom"] == 0
                for r in rows.values())
    lines += ["", f"![Fig. 7b for the Table 2 compounds]({Path(args.figure).relative_to(Path(args.out).parent)})", ""]
    for label, paper in PAPER_NMC811.items():
        if label in nmc:
            lines.append(f"- {label} with NMC811: {1000 * nmc[label]:.0f} meV/atom (paper {1000 * paper:.0f}).")
    if heavy and oxide:
        lines.append(f"- NMC811, mean over S/Se/Te-bearing compounds {1000 * sum(heavy) / len(heavy):.0f} meV/atom "
                     f"({len(heavy)}), over O-only compounds {1000 * sum(oxide) / len(oxide):.0f} ({len(oxide)}); "
                     f"most reactive O-only {1000 * min(oxide):.0f}, least reactive S/Se/Te {1000 * max(heavy):.0f}.")
    lines.append(f"- LiNiO2 reacts more strongly than LiMnO2 with {ni_gt_mn} of {len(rows)} compounds; {inert} react "
                 "with neither.")

    spread_all, changed_all = [], 0
    if second is not None:
        from ipscreen.thermo.interfaces import REACTS

        lines += ["", f"With {args.committee} as the second backend (`[committee]`; relaxed from the first backend's "
                  "structures): per cathode the mean and largest |difference| over the Table 2 compounds, and the "
                  f"calls that change (one backend below -{1000 * REACTS:.0f} meV/atom, the other not).", "",
                  f"| cathode | mean spread (meV/atom) | largest | calls that change | {args.committee}: NMC811 checks |",
                  "| --- | --- | --- | --- | --- |"]
        other = {label: second.reactions(own[compounds[label].id].composition.reduced_composition, cathodes)
                 for label in rows}
        checks = "; ".join(f"{k} {1000 * other[k]['NMC811']['reaction_energy_ev_per_atom']:.0f}"
                           for k in PAPER_NMC811 if k in other)
        for n, name in enumerate(CATHODES):
            spreads = [abs(rows[k][name]["reaction_energy_ev_per_atom"] - other[k][name]["reaction_energy_ev_per_atom"])
                       for k in rows]
            changed = [k for k in rows if (rows[k][name]["reaction_energy_ev_per_atom"] < -REACTS)
                       != (other[k][name]["reaction_energy_ev_per_atom"] < -REACTS)]
            spread_all += spreads
            changed_all += len(changed)
            lines.append(f"| {name} | {1000 * sum(spreads) / len(spreads):.0f} | {1000 * max(spreads):.0f} | "
                         f"{len(changed)} of {len(rows)}{': ' + ', '.join(changed[:4]) if changed else ''} | "
                         f"{checks if n == 0 else ''} |")
            print(lines[-1], flush=True)

    # 2. against MP
    lines += ["", "### The cathode library against the Materials Project", "",
              "Per system: the library's phases with an MP2020 energy in the reference data (by MP id), "
              "E_above_hull from our relaxed energies and from MP's over the same phases; stable: within 1 meV/atom "
              "of the hull.", "",
              "| system | phases | E_hull MAE (meV/atom) | MP-stable we call stable | we call stable, MP not | "
              "largest differences (meV/atom, ours - MP) |", "| --- | --- | --- | --- | --- | --- |"]
    mp_entries_all, maes, both_ways = {}, [], []
    for system, name in ENTRY_FILES.items():
        records = json.load(gzip.open(args.data / "reference_phases" / name))
        mp = {r["source_id"]: r for r in records if r.get("mp_energy_per_atom_corrected") is not None}
        mp_entries_all[system] = mp
        elements = set(system.split("-"))
        ours, theirs = [], []
        for e in library:
            sid = e.entry_id.split(":")[-1]
            if sid in mp and {el.symbol for el in e.composition.elements} <= elements:
                ours.append(e)
                theirs.append(ComputedEntry(e.composition, mp[sid]["mp_energy_per_atom_corrected"] * e.composition.num_atoms,
                                            entry_id=e.entry_id))
        for el in sorted(elements):  # elements from the base library: MP's by formula
            ref = next((e for e in library if e.entry_id.startswith("ref:") and e.composition.reduced_formula
                        in (el, f"{el}2") and len(e.composition.elements) == 1 and e.entry_id.count(":") == 1), None)
            pure = [r for r in mp.values() if {x.symbol for x in Composition(r["formula"]).elements} == {el}]
            rec = min(pure, key=lambda r: r["mp_energy_per_atom_corrected"], default=None)
            if ref is not None and rec is not None and ref.entry_id not in {e.entry_id for e in ours}:
                ours.append(ref)
                theirs.append(ComputedEntry(ref.composition, rec["mp_energy_per_atom_corrected"] * ref.composition.num_atoms,
                                            entry_id=ref.entry_id))
        pd_ours, pd_mp = PhaseDiagram(ours), PhaseDiagram(theirs)
        maes.append(None)
        diffs = []
        for a, b in zip(ours, theirs):
            ea, eb = pd_ours.get_e_above_hull(a), pd_mp.get_e_above_hull(b)
            diffs.append((a.entry_id, ea, eb))
        mae = sum(abs(a - b) for _i, a, b in diffs) / len(diffs)
        maes[-1] = mae
        mp_stable = {i for i, _a, b in diffs if b < 1e-3}
        our_stable = {i for i, a, _b in diffs if a < 1e-3}
        worst = sorted(diffs, key=lambda d: -abs(d[1] - d[2]))[:3]
        lines.append(f"| {system} | {len(diffs)} | {1000 * mae:.0f} | {len(mp_stable & our_stable)} of {len(mp_stable)} | "
                     f"{len(our_stable - mp_stable)} of {len(our_stable)} | "
                     + ", ".join(f"{i.split(':')[1]} {1000 * (a - b):+.0f}" for i, a, b in worst) + " |")
        print(lines[-1], flush=True)

    lines += ["", "Reaction energies (meV/atom, minimum over x) of simple electrolytes with the cathodes, ours and, "
              "where the reference data has MP energies for every phase of the union system, MP's (its entry file's "
              "phases, MP2020):", "", "| electrolyte | " + " | ".join(CATHODES) + " |",
              "| --- | " + " | ".join("---" for _ in CATHODES) + " |"]
    mp_systems = {"LiCoO2": "Li-Co-Ni-O", "LiNiO2": "Li-Co-Ni-O", "LiFePO4": "Li-Fe-P-O", "LiMnO2": "Cl-Li-Mn-O"}
    for name in SIMPLE:
        sid = f"simple:{name}" if name in li3ox else f"ref:{name}"
        if sid not in own:
            continue
        comp = own[sid].composition.reduced_composition
        cells = []
        for cathode in CATHODES:
            mine = hulls.reactions(comp, {cathode: cathodes[cathode]})[cathode]["reaction_energy_ev_per_atom"]
            cell = f"{1000 * mine:.0f}"
            system = mp_systems.get(cathode)
            if system and {el.symbol for el in comp.elements} <= set(system.split("-")):
                mp = mp_entries_all[system]
                mp_pd = PhaseDiagram([ComputedEntry(Composition(r["formula"]), r["mp_energy_per_atom_corrected"]
                                                    * Composition(r["formula"]).num_atoms, entry_id=i)
                                      for i, r in mp.items()])
                theirs = reaction(mp_pd, comp, cathodes[cathode])["reaction_energy_ev_per_atom"]
                cell += f" (MP {1000 * theirs:.0f})"
                both_ways.append(abs(mine - theirs))
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    meaning = (f"What the numbers mean for the interface energies: on the library's MP systems our hull lies "
               f"within {1000 * max(maes):.0f} meV/atom (MAE) of MP's and the reaction energies that both can compute "
               f"agree within {1000 * max(both_ways, default=0):.0f} meV/atom")
    if spread_all:
        mean = sum(spread_all) / len(spread_all)
        meaning += (f"; the second backend moves the Table 2 x cathode energies by {1000 * mean:.0f} "
                    f"meV/atom on average ({1000 * max(spread_all):.0f} at most) and changes {changed_all} of "
                    f"{len(spread_all)} reacts-or-not calls")
    meaning += (". So whether a compound reacts with a cathode, and the order of the cathodes (LiNiO2, NMC811, LiCoO2 "
                "reactive with S/Se/Te compounds, LiMnO2 not), are calls to trust; differences of a few tens of meV/atom "
                "between two compounds with the same cathode are not. The sulfides' energies are bounds in magnitude: "
                "phases missing from the library that take elements from both sides (Li-TM sulfides and halides, TM "
                "oxysulfates, Co9S8) can only make those reactions more negative, which may be where the paper's "
                "larger value for Pm Li12OS3Cl2Br2 comes from. LiFePO4 reacts with every compound here, also with Li2O "
                "alone (as it does with MP's energies), so its numbers largely describe the Li2O that the oxide-bearing "
                "compounds decompose to.")
    lines += ["", meaning]

    def cpu_minutes(cache: dict) -> float:
        return sum(r.get("elapsed_s", 0) for r in cache.values()) / 60

    timing = f"relaxing the {len(structures)} structures took {cpu_minutes(cache):.0f} worker-minutes with " \
             f"{config.energy.backend}"
    if args.committee:
        timing += f" and {cpu_minutes(cache2):.0f} with {args.committee}"
    lines += ["", f"Measured: {timing} (sum of each structure's share of its chunk's wall time, one thread per "
              f"worker); this run {(time.time() - start) / 60:.0f} min with {args.workers} workers and the cache."]
    replace_section(Path(args.out), "interfaces", "\n".join(lines))
    print(f"wrote {args.out} and {args.figure}")


if __name__ == "__main__":
    main()
