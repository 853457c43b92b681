"""Thermodynamic stability: energy above the convex hull, E_d (eV/atom), with pymatgen.

For each chemical system of the compounds asked about, one PhaseDiagram is built from
the reference phases and every compound whose elements lie in that system; E_d >= 0 by
construction (0 on the hull) and the decomposition products are reported.

Energy scale. SevenNet predicts raw PBE energies, so MaterialsProject2020Compatibility
(check_potcar=False) is applied to every entry (`mp2020=True`): its anion corrections
(oxide, peroxide, S, Se, Te, F, Cl, Br, I) cancel exactly in reactions that keep each
anion's type (Li3OCl -> Li2O + LiCl) and put O2, H2O and peroxides on MP's scale where
a reaction changes anion type. CHGNet already predicts MP2020-corrected energies, so
its entries are used as they are (`mp2020=False`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from pymatgen.entries.compatibility import MaterialsProject2020Compatibility
from pymatgen.entries.computed_entries import ComputedStructureEntry

from ipscreen.space.enumerate import format_formula
from ipscreen.space.settings import X_GROUP, Z_GROUP
from ipscreen.structure_io import structure_from_dict


def relaxed_phase(relaxed: dict, subject: str) -> Phase | None:
    """The Phase of a stored relax result {"status", "data": {"structure", "energy_ev"}} (None if missing
    or failed)."""
    r = relaxed.get(subject)
    if r is None or r["status"] == "failed":
        return None
    return Phase(subject, structure_from_dict(r["data"]["structure"]), r["data"]["energy_ev"])


def run_parameters(composition) -> dict:
    """The calculation type the bundled models learned for this composition from the Materials Project:
    GGA+U with MP's U values (eV) for the transition metals of an oxide or fluoride (MP's rule: U when the
    most electronegative element is O or F), plain GGA otherwise (every Li-X-Z phase). MP2020 corrects
    GGA+U entries only when they are marked so; it rejects a Co or Ni oxide marked GGA."""
    elements = sorted(composition.elements, key=lambda el: el.X)
    u_values = MaterialsProject2020Compatibility(check_potcar=False).u_settings.get(elements[-1].symbol, {})
    hubbards = {el.symbol: u_values[el.symbol] for el in elements if el.symbol in u_values}
    return {"run_type": "GGA+U" if hubbards else "GGA", "hubbards": hubbards, "is_hubbard": bool(hubbards)}


@dataclass
class Phase:
    """An id, a relaxed pymatgen Structure and its total energy (eV)."""

    id: str
    structure: object
    energy_ev: float


@dataclass
class Stability:
    """E_d (eV/atom), formation energy (eV/atom, from the elemental references) and products."""

    e_above_hull_ev_per_atom: float
    formation_energy_ev_per_atom: float
    decomposition: str  # e.g. "Li2O + LiCl" (on the hull: the compound's own formula)


def computed_entries(phases: list[Phase], mp2020: bool) -> list:
    """pymatgen ComputedStructureEntry objects of `phases` (MP2020-corrected if `mp2020`), each marked
    GGA or GGA+U as the Materials Project computed it (`run_parameters`)."""
    entries = [ComputedStructureEntry(p.structure, p.energy_ev, parameters=run_parameters(p.structure.composition),
                                      entry_id=p.id) for p in phases]
    if mp2020:
        compat = MaterialsProject2020Compatibility(check_potcar=False)
        with warnings.catch_warnings():  # Li2O2: oxidation states cannot be guessed; the peroxide
            warnings.simplefilter("ignore", UserWarning)  # correction is still applied (structure-based)
            processed = compat.process_entries(entries, clean=True, inplace=False, on_error="raise")
        if len(processed) != len(entries):
            dropped = {e.entry_id for e in entries} - {e.entry_id for e in processed}
            raise ValueError(f"MP2020 compatibility rejected {sorted(dropped)}")
        entries = processed
    return entries


def pretty_formula(composition) -> str:
    """Li-X-Z phases in the paper's order (format_formula: stored decomposition strings), others as pymatgen."""
    counts = {el.symbol: int(round(n)) for el, n in composition.reduced_composition.items()}
    return format_formula(counts) if set(counts) <= {"Li", *X_GROUP, *Z_GROUP} else composition.reduced_formula


def stabilities(compounds: list[Phase], references: list[Phase], mp2020: bool = True) -> dict[str, Stability | str]:
    """E_d of every compound against the references and all the other compounds.

    A compound whose chemical system has no hull (e.g. an elemental reference is
    missing because its relaxation failed) gets a string: the reason.
    """
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    entries = computed_entries(compounds + references, mp2020)
    by_id = {e.entry_id: e for e in entries}
    compound_ids = [p.id for p in compounds]
    systems: dict[frozenset, list[str]] = {}
    for cid in compound_ids:
        system = frozenset(el.symbol for el in by_id[cid].composition.elements)
        systems.setdefault(system, []).append(cid)
    out: dict[str, Stability] = {}
    for system, ids in sorted(systems.items(), key=lambda kv: sorted(kv[0])):
        members = [e for e in entries if {el.symbol for el in e.composition.elements} <= system]
        try:
            diagram = PhaseDiagram(members)
        except ValueError as exc:
            for cid in ids:
                out[cid] = f"no convex hull for {'-'.join(sorted(system))}: {exc}"
            continue
        for cid in ids:
            entry = by_id[cid]
            decomposition, e_hull = diagram.get_decomp_and_e_above_hull(entry, allow_negative=False)
            products = sorted(decomposition, key=lambda e: (-round(decomposition[e], 9), e.composition.reduced_formula))
            names = " + ".join(dict.fromkeys(pretty_formula(e.composition) for e in products))
            out[cid] = Stability(
                e_above_hull_ev_per_atom=max(0.0, float(e_hull)),
                formation_energy_ev_per_atom=float(diagram.get_form_energy_per_atom(entry)),
                decomposition=names,
            )
    return out
