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
from ipscreen.records import StageInput, StageOutput
from ipscreen.thermo.hull import computed_entries, pretty_formula, relaxed_phase
from ipscreen.thermo.references import all_cathode_phases, cathode_composition, references_of

DEFAULT_CATHODES = ("NMC811", "LiNiO2", "LiCoO2", "LiMnO2", "LiFePO4")  # the paper's Fig. 7b
REACTANT_ENERGIES = ("hull", "own")
NO_REACTION = 1e-6  # eV/atom: a minimum above -NO_REACTION is no reaction (numerical zero of the hull)


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
    products = sorted({pretty_formula(c) for c in rxn.products})
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


def run(inp: StageInput) -> StageOutput:
    """The reaction of every compound asked for (`inp.ids`; default: all) with each cathode of the settings,
    from the relaxed compounds, Li-X-Z reference phases (relax stage) and cathode library (cathode_phases)."""
    settings: InterfaceSettings = inp.settings
    relaxed, library = inp.inputs["relax"], inp.inputs["cathode_phases"]
    ids = inp.ids if inp.ids is not None else [r["id"] for r in inp.compounds]
    cathodes = {name: cathode_composition(name) for name in settings.cathodes}

    by_id = {r["id"]: r for r in inp.compounds}
    wanted = {el for cid in ids if cid in by_id for el in (by_id[cid]["x_elements"] + "," +
                                                              by_id[cid]["z_elements"]).split(",")}
    wanted |= {"Li"} | {el.symbol for c in cathodes.values() for el in c.elements}
    phases = [relaxed_phase(relaxed, ref.id) for ref in references_of(inp.compounds)]
    phases += [relaxed_phase(library, p.id) for p in all_cathode_phases()]
    phases += [relaxed_phase(relaxed, r["id"]) for r in inp.compounds  # compounds of the systems asked about
               if set((r["x_elements"] + "," + r["z_elements"]).split(",")) <= wanted]
    entries = computed_entries([p for p in phases if p is not None and
                                {el.symbol for el in p.structure.composition.elements} <= wanted],
                               inp.energy.corrections)
    own = {e.entry_id: e for e in entries}
    hulls = InterfaceHulls(entries)
    rows = []
    for cid in ids:
        if cid not in own:
            rows.append((cid, "failed", None, "no relaxed structure"))
            continue
        try:
            reactions = hulls.reactions(own[cid].composition.reduced_composition, cathodes,
                                        settings.reactant_energy == "own")
        except ValueError as exc:  # e.g. an element's reference phase failed to relax: no hull
            rows.append((cid, "failed", None, str(exc)))
            continue
        rows.append((cid, "done", summarize(reactions), ""))
    energies = [r[2]["interface_reaction_ev_per_atom"] for r in rows if r[1] == "done"]
    message = f"{len(energies)} of {len(rows)} compounds x {len(cathodes)} cathodes" + (
        f"; strongest reaction {1000 * min(energies):.0f} meV/atom" if energies else "")
    return StageOutput(rows, {"compounds": len(rows), "message": message})
