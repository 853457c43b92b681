"""Interfacial reactivity of a solid electrolyte with cathodes (paper eq. 25, Fig. 7).

The mutual reaction energy at mixing ratio x (atomic fraction of the cathode, as in the paper) is

    dE(x) = E_pd[x c_c + (1 - x) c_e] - x E[c_c] - (1 - x) E[c_e]     (eV/atom of mixture)

with E_pd the convex-hull energy of the mixture in the union of the two chemical systems
(pymatgen's `InterfacialReactivity`, the method of Richards et al., Chem. Mater. 28, 266
(2016) and Zhu, He, Mo, ACS Appl. Mater. Interfaces 7, 23685 (2015), which the paper follows).
The reaction energy reported is the minimum over x (<= 0), with its x and products.

Reactant energies (`reactant_energy`): "hull" (default) takes E[c] on the hull, so a
metastable electrolyte's own decomposition is not counted, only the reaction of its
equilibrium phases with the cathode's; "own" takes each reactant's lowest relaxed entry
(E_d then adds to the driving force).

Energies: every phase relaxed with the campaign's backend (compounds, the Li-X-Z reference
phases and the cathode library, thermo/references.py), MP2020-corrected as for E_d, with
the TM oxides and fluorides marked GGA+U (thermo/hull.run_parameters).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pymatgen.analysis.interface_reactions import InterfacialReactivity
from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition

from ipscreen.errors import InputError
from ipscreen.records import StageInput, StageOutput, elements_of
from ipscreen.thermo.hull import computed_entries, relaxed_phase
from ipscreen.thermo.references import all_cathode_phases, cathode_composition, references_of

DEFAULT_CATHODES = ("NMC811", "LiNiO2", "LiCoO2", "LiMnO2", "LiFePO4")  # the paper's Fig. 7b
REACTANT_ENERGIES = ("hull", "own")
NO_REACTION = 1e-6  # eV/atom: a minimum above -NO_REACTION is no reaction (numerical zero of the hull)
# eV/atom: "reacts" for the two-backend check; the paper calls reactions above -10 meV/atom low reactivity
# (O-bearing ip SEs with LiCoO2, Fig. 7b text)
REACTS = 0.010


@dataclass
class InterfaceSettings:
    """[interfaces]: the cathodes (library names or formulas) and how reactant energies are taken."""

    cathodes: list[str] = field(default_factory=lambda: list(DEFAULT_CATHODES))
    reactant_energy: str = "hull"

    def validate(self) -> None:
        if not self.cathodes:
            raise InputError("[interfaces] cathodes: name at least one cathode")
        for name in self.cathodes:
            cathode_composition(name)
        if self.reactant_energy not in REACTANT_ENERGIES:
            raise InputError(f"[interfaces] reactant_energy must be one of {', '.join(REACTANT_ENERGIES)}")


def reaction(diagram: PhaseDiagram, electrolyte: Composition, cathode: Composition, own: bool = False) -> dict:
    """The most negative mutual reaction energy of `electrolyte` with `cathode` in `diagram` (whose elements
    cover both): {"reaction_energy_ev_per_atom" (<= 0, per atom of mixture), "mixing_ratio" (atomic
    fraction of the cathode at the minimum), "products" (formulas), "reaction" (balanced, as text),
    "curve" ([[x, eV/atom], ...] at every kink, x from 0 to 1)}; with no reaction at any x: 0.0, None,
    [] and "no reaction"."""
    ir = InterfacialReactivity(cathode, electrolyte, diagram, norm=True, use_hull_energy=not own)  # x: of c1
    kinks = sorted((float(x), float(e), rxn) for _i, x, e, rxn, _kj in ir.get_kinks())
    curve = [[round(kx, 6), round(ke, 6)] for kx, ke, _r in kinks]
    x, e, rxn = min(kinks, key=lambda k: (round(k[1], 9), k[0]))
    if e > -NO_REACTION:  # no mixing ratio reacts: the two are in equilibrium
        return {"reaction_energy_ev_per_atom": 0.0, "mixing_ratio": None, "products": [], "reaction": "no reaction",
                "curve": curve}
    products = sorted({c.reduced_formula for c in rxn.products})  # pymatgen's: Li2SO4, not a Li-X-Z ordering
    return {"reaction_energy_ev_per_atom": round(e, 6), "mixing_ratio": round(x, 6), "products": products,
            "reaction": str(rxn), "curve": curve}


class InterfaceHulls:
    """Hulls of the unions of chemical systems, built once each from MP2020-corrected entries."""

    def __init__(self, entries: list):
        self.entries = entries
        self._diagrams: dict[frozenset, PhaseDiagram] = {}

    def diagram(self, elements: frozenset) -> PhaseDiagram:
        if elements not in self._diagrams:
            members = [e for e in self.entries if {el.symbol for el in e.composition.elements} <= elements]
            self._diagrams[elements] = PhaseDiagram(members)
        return self._diagrams[elements]

    def reactions(self, electrolyte: Composition, cathodes: dict[str, Composition], own: bool = False) -> dict:
        """{cathode name: reaction(...)} of one electrolyte composition with each cathode."""
        out = {}
        for name, comp in cathodes.items():
            system = frozenset(el.symbol for el in (electrolyte + comp).elements)
            out[name] = reaction(self.diagram(system), electrolyte, comp, own)
        return out


def summarize(reactions: dict) -> dict:
    """The stored result of one compound: every cathode's reaction, and the most reactive cathode."""
    worst = min(reactions, key=lambda n: (reactions[n]["reaction_energy_ev_per_atom"], n))
    return {"interface_reaction_ev_per_atom": reactions[worst]["reaction_energy_ev_per_atom"],
            "interface_cathode": worst, "reactions": reactions}


def with_committee(result: dict, other, backend: str) -> dict:
    """`summarize`'s result with the second backend's reactions (`other`: {cathode: reaction}, or why there are
    none): per cathode its energy, `spread_ev_per_atom` (|difference|) and `uncertain` (one backend says it
    reacts, below -REACTS, the other not); `interface_reaction_spread_ev_per_atom` of the most reactive cathode
    and `interface_uncertain` if any cathode's call is."""
    if not isinstance(other, dict):
        return {**result, "committee": {"backend": backend, "reason": other},
                "interface_reaction_spread_ev_per_atom": None, "interface_uncertain": None}
    reactions = {}
    for name, r in result["reactions"].items():
        a, b = r["reaction_energy_ev_per_atom"], other[name]["reaction_energy_ev_per_atom"]
        reactions[name] = {**r, "committee_ev_per_atom": b, "spread_ev_per_atom": round(abs(a - b), 6),
                           "uncertain": (a < -REACTS) != (b < -REACTS)}
    return {**result, "reactions": reactions, "committee": {"backend": backend},
            "interface_reaction_spread_ev_per_atom": reactions[result["interface_cathode"]]["spread_ev_per_atom"],
            "interface_uncertain": any(r["uncertain"] for r in reactions.values())}


def _hulls(relaxed: dict, library: dict, compounds: list[dict], wanted: set, mp2020: bool) -> InterfaceHulls:
    """Hulls from the relaxed Li-X-Z references, cathode-library phases and compounds whose elements lie in
    `wanted` (relaxed and library: {subject: stored result})."""
    phases = [relaxed_phase(relaxed, ref.id) for ref in references_of(compounds)]
    phases += [relaxed_phase(library, p.id) for p in all_cathode_phases()]
    phases += [relaxed_phase(relaxed, r["id"]) for r in compounds  # compounds of the systems asked about
               if elements_of(r) <= wanted]
    return InterfaceHulls(computed_entries([p for p in phases if p is not None and
                                            {el.symbol for el in p.structure.composition.elements} <= wanted], mp2020))


def _reactions(hulls: InterfaceHulls, ids: list[str], cathodes: dict, own: bool) -> dict:
    """{id: {cathode: reaction} or the reason there is none}."""
    by_id = {e.entry_id: e for e in hulls.entries}
    out: dict = {}
    for cid in ids:
        if cid not in by_id:
            out[cid] = "no relaxed structure"
            continue
        try:
            out[cid] = hulls.reactions(by_id[cid].composition.reduced_composition, cathodes, own)
        except ValueError as exc:  # e.g. an element's reference phase failed to relax: no hull
            out[cid] = str(exc)
    return out


def run(inp: StageInput) -> StageOutput:
    """The reaction of every compound asked for (`inp.ids`; default: all) with each cathode of the settings,
    from the relaxed compounds, Li-X-Z reference phases (relax stage) and cathode library (cathode_phases);
    with a second backend (`inp.committee`), also its reactions and the spread between the two."""
    settings: InterfaceSettings = inp.settings
    ids = inp.ids if inp.ids is not None else [r["id"] for r in inp.compounds]
    cathodes = {name: cathode_composition(name) for name in settings.cathodes}
    own = settings.reactant_energy == "own"
    by_id = {r["id"]: r for r in inp.compounds}
    wanted = set().union({"Li"}, *(elements_of(by_id[cid]) for cid in ids if cid in by_id))
    wanted |= {el.symbol for c in cathodes.values() for el in c.elements}
    first = _reactions(_hulls(inp.inputs["relax"], inp.inputs["cathode_phases"], inp.compounds, wanted,
                              inp.energy.corrections), ids, cathodes, own)
    second = None
    if inp.committee is not None:
        alt = inp.inputs.get("committee") or {}
        second = _reactions(_hulls(alt, alt, inp.compounds, wanted, inp.committee.corrections), ids, cathodes, own)
    rows = []
    for cid in ids:
        if not isinstance(first[cid], dict):
            rows.append((cid, "failed", None, first[cid]))
            continue
        result = summarize(first[cid])
        if second is not None:
            result = with_committee(result, second[cid], f"{inp.committee.backend} {inp.committee.model}")
        rows.append((cid, "done", result, ""))
    energies = [r[2]["interface_reaction_ev_per_atom"] for r in rows if r[1] == "done"]
    message = f"{len(energies)} of {len(rows)} compounds x {len(cathodes)} cathodes" + (
        f"; strongest reaction {1000 * min(energies):.0f} meV/atom" if energies and min(energies) < 0 else
        "; no reactions" if energies else "")
    if second is not None:
        flagged = sum(bool(r[2].get("interface_uncertain")) for r in rows if r[1] == "done")
        message += f"; {flagged} uncertain between {inp.energy.backend} and {inp.committee.backend}"
    return StageOutput(rows, {"compounds": len(rows), "message": message})
