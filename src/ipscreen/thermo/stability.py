"""The stability stage: E_d of every relaxed compound against the relaxed reference
phases and the other compounds of the campaign (a whole-campaign step: the hull needs
every phase at once)."""

from __future__ import annotations

from ipscreen.records import StageInput, StageOutput
from ipscreen.thermo.hull import relaxed_phase, stabilities
from ipscreen.thermo.references import references_of


def run(inp: StageInput) -> StageOutput:
    """E_d (eV/atom), formation energy (eV/atom), decomposition and the metastable flag
    (E_d below `settings.threshold`) of every compound; a compound whose relaxation failed
    is a failed row with that reason. MP2020 corrections as `energy.corrections`."""
    relaxed = inp.inputs["relax"]

    refs = [p for p in (relaxed_phase(relaxed, ref.id) for ref in references_of(inp.compounds)) if p]
    compounds = [p for p in (relaxed_phase(relaxed, r["id"]) for r in inp.compounds) if p]
    results = stabilities(compounds, refs, mp2020=inp.energy.corrections)
    rows = []
    for r in inp.compounds:
        cid = r["id"]
        relax_status = relaxed[cid]["status"]
        if relax_status == "failed":
            rows.append((cid, "failed", None, f"relaxation failed: {relaxed[cid]['reason']}"))
            continue
        st = results[cid]
        if isinstance(st, str):
            rows.append((cid, "failed", None, st))
            continue
        rows.append((cid, "done", {
            "e_above_hull_ev_per_atom": st.e_above_hull_ev_per_atom,
            "formation_energy_ev_per_atom": st.formation_energy_ev_per_atom,
            "decomposition": st.decomposition,
            "metastable": st.e_above_hull_ev_per_atom < inp.settings.threshold,
            "relax_status": relax_status,
        }, ""))
    n_meta = sum(1 for _, status, data, _ in rows if status == "done" and data["metastable"])
    n_failed = sum(1 for _, status, _, _ in rows if status == "failed")
    return StageOutput(rows, {"compounds": len(rows), "metastable": n_meta, "failed": n_failed,
                              "message": f"{n_meta:,} of {len(rows):,} compounds with E_d below the threshold "
                                         f"({n_failed} failed)"})
