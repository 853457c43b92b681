"""Electrochemical window: Li grand-potential phase stability of a compound against voltage.

At a voltage V vs Li/Li+ the Li chemical potential is mu_Li = mu_Li(metal) - eV. Following
the Li uptake of the compound's composition as mu_Li falls (pymatgen's
`PhaseDiagram.get_element_profile`, the grand-potential construction of Richards et al.,
Chem. Mater. 28, 266 (2016), used by the paper for Fig. 6) gives, for each voltage range,
the phases in equilibrium and the Li taken up (+) or given off (-) per formula unit. The
window is the range with no Li exchange: its lower end is the reduction limit (0 V when the
compound's decomposition products are stable against Li metal) and its upper end the
oxidation limit. A metastable compound (E_d > 0) has a window too: the range in which its
decomposition involves no Li exchange, as in the paper.
"""

from __future__ import annotations

from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition, Element

from ipscreen.records import StageInput, StageOutput
from ipscreen.thermo.hull import computed_entries, relaxed_phase
from ipscreen.thermo.references import references_of

LI = Element("Li")
TOL = 1e-6  # Li per formula unit below which a step is no Li exchange


def profile(diagram: PhaseDiagram, composition: Composition) -> list[dict]:
    """Voltage ranges (V vs Li/Li+, low to high) of `composition` in the hull `diagram`: each
    {"v_min", "v_max" (None above the last step), "li_per_formula_unit" (Li taken up from
    the compound, + when reduced), "products" (pymatgen reduced formulas, Li-rich first)}."""
    mu_li0 = diagram.el_refs[LI].energy_per_atom
    steps = diagram.get_element_profile(LI, composition)  # mu_Li from Li metal downwards
    out = []
    for n, step in enumerate(steps):
        v_low = -(step["chempot"] - mu_li0)
        v_high = -(steps[n + 1]["chempot"] - mu_li0) if n + 1 < len(steps) else None
        products = [e.composition.reduced_formula for e in
                    sorted(step["entries"], key=lambda e: -e.composition.get_atomic_fraction(LI))]
        out.append({"v_min": max(0.0, round(float(v_low), 6)),
                    "v_max": None if v_high is None else round(float(v_high), 6),
                    "li_per_formula_unit": round(float(step["evolution"]), 6),
                    "products": list(dict.fromkeys(products))})
    return [r for r in out if r["v_max"] is None or r["v_max"] > 0]


def window(diagram: PhaseDiagram, composition: Composition) -> dict:
    """Reduction and oxidation limits (V vs Li/Li+) and the products on either side, in the hull
    `diagram` of the composition's chemical system (Li included)."""
    ranges = profile(diagram, composition)
    stable = [r for r in ranges if abs(r["li_per_formula_unit"]) < TOL]
    if not stable:  # decomposes with Li exchange at every voltage: a zero-width window
        raise ValueError(f"{composition.reduced_formula}: no voltage range without Li exchange")
    inside = stable[0]
    below = [r for r in ranges if r["v_max"] is not None and r["v_max"] <= inside["v_min"] + TOL]
    above = [r for r in ranges if r["v_min"] >= (inside["v_max"] or 0) - TOL and r is not inside]
    return {"reduction_limit_v": inside["v_min"], "oxidation_limit_v": inside["v_max"],
            "window_products": inside["products"],
            "reduction_products": below[-1]["products"] if below else inside["products"],
            "oxidation_products": above[0]["products"] if above else inside["products"],
            "profile": ranges}


def _windows(relaxed: dict, compounds: list[dict], ids: list[str], mp2020: bool) -> dict:
    """{id: window dict or the reason it has none} from relaxed results ({subject: stored result})."""
    refs = [p for p in (relaxed_phase(relaxed, ref.id) for ref in references_of(compounds)) if p]
    phases = [p for p in (relaxed_phase(relaxed, r["id"]) for r in compounds) if p]
    entries = computed_entries(refs + phases, mp2020)
    by_id = {e.entry_id: e for e in entries}
    diagrams: dict[frozenset, PhaseDiagram] = {}  # one hull per chemical system, shared by its compounds
    out: dict = {}
    for cid in ids:
        if cid not in by_id:
            out[cid] = "no relaxed structure"
            continue
        comp = by_id[cid].composition
        system = frozenset(comp.elements)
        if system not in diagrams:
            diagrams[system] = PhaseDiagram([e for e in entries if set(e.composition.elements) <= system])
        try:
            out[cid] = window(diagrams[system], comp.reduced_composition)
        except ValueError as exc:
            out[cid] = str(exc)
    return out


def with_committee(w: dict, other, backend: str) -> dict:
    """The window `w` with the second backend's (`other`: a window dict, or why it has none): its limits,
    `oxidation_limit_spread_v` (|difference|, None where either has no upper limit) and `window_uncertain`
    (the two disagree on the products at either limit or on the reduction limit)."""
    if not isinstance(other, dict):
        return {**w, "committee": {"backend": backend, "reason": other}, "oxidation_limit_spread_v": None,
                "window_uncertain": None}
    a, b = w["oxidation_limit_v"], other["oxidation_limit_v"]
    uncertain = (sorted(w["reduction_products"]) != sorted(other["reduction_products"])
                 or sorted(w["oxidation_products"]) != sorted(other["oxidation_products"])
                 or abs(w["reduction_limit_v"] - other["reduction_limit_v"]) > 0.01 or (a is None) != (b is None))
    keep = ("reduction_limit_v", "oxidation_limit_v", "reduction_products", "oxidation_products")
    return {**w, "committee": {"backend": backend, **{k: other[k] for k in keep}},
            "oxidation_limit_spread_v": None if a is None or b is None else round(abs(a - b), 6),
            "window_uncertain": bool(uncertain)}


def run(inp: StageInput) -> StageOutput:
    """The window of every compound asked for (`inp.ids`; default: all), from the relaxed compounds
    and reference phases of its chemical system (MP2020 corrections as for E_d); with a second backend
    (`inp.committee`), also its window and the spread between the two."""
    ids = inp.ids if inp.ids is not None else [r["id"] for r in inp.compounds]
    first = _windows(inp.inputs["relax"], inp.compounds, ids, inp.energy.corrections)
    second = None
    if inp.committee is not None:
        second = _windows(inp.inputs.get("committee") or {}, inp.compounds, ids, inp.committee.corrections)
    rows = []
    for cid in ids:
        w = first[cid]
        if not isinstance(w, dict):
            rows.append((cid, "failed", None, w))
            continue
        if second is not None:
            w = with_committee(w, second[cid], f"{inp.committee.backend} {inp.committee.model}")
        rows.append((cid, "done", w, ""))
    limits = [r[2]["oxidation_limit_v"] for r in rows if r[1] == "done" and r[2]["oxidation_limit_v"] is not None]
    message = f"{sum(r[1] == 'done' for r in rows)} of {len(rows)} compounds" + (
        f"; oxidation limits {min(limits):.2f}-{max(limits):.2f} V" if limits else "")
    if second is not None:
        flagged = sum(bool(r[2].get("window_uncertain")) for r in rows if r[1] == "done")
        message += f"; {flagged} uncertain between {inp.energy.backend} and {inp.committee.backend}"
    return StageOutput(rows, {"compounds": len(rows), "message": message})
