"""Synthesis routes of relaxed targets: one structure (`analyse`) and the campaign step (`run`).

A target's chemical space is its elements plus the added ones (C, O); the phases of that space are
the Li-X-Z reference phases, the precursor library and the campaign's relaxed compounds (the
competing phases among them), all with the campaign's backend energies and MP2020 corrections
(as for E_d), taken to free energies at the synthesis temperature (synthesis/thermo.py).
"""

from __future__ import annotations

import functools

from ipscreen.errors import InputError
from ipscreen.records import StageInput, StageOutput, elements_of
from ipscreen.synthesis.routes import RELEASABLE, SynthesisSettings, routes_for
from ipscreen.thermo.hull import computed_entries, relaxed_phase
from ipscreen.thermo.references import all_precursor_phases, reference_phases


def analyse(target_id: str, entries: list, structures: dict, settings: SynthesisSettings,
            q_cache: dict | None = None, energy_error: float | None = None) -> list[dict]:
    """Routes of one target from MP2020-corrected relaxed entries (the target, the reference and precursor phases
    and any other phase that may compete) and their structures by id. `q_cache` ({"precursor id|target id":
    [q_epi, q_sim]}) is read and filled: lattice matching costs seconds per pair."""
    from ipscreen.synthesis.nucleation import q_epi, surface_vectors
    from ipscreen.synthesis.precursors import choose, precursor_formulas, simple_enough
    from ipscreen.synthesis.similarity import q_sim
    from ipscreen.synthesis.thermo import gas_species, species_at

    species = species_at(entries, settings.temperature_k)
    if target_id not in species:
        raise InputError(f"{target_id}: no relaxed energy for the target")
    gases = gas_species(settings.temperature_k, settings.pressures_atm)
    species.update(gases)
    formulas = precursor_formulas(settings.classes, settings.exclude)
    target = species[target_id]
    solids = [s for s in choose(species, formulas) if not s.gas and s.id != target_id
              and simple_enough(s.formula, target.formula, settings.simple_precursors)]
    usable_gases = [g for g in gases.values() if g.formula in formulas or g.formula in RELEASABLE]
    cache = q_cache if q_cache is not None else {}
    @functools.cache
    def target_surfaces() -> list:  # built once for all its precursors, and only when one is not in `q_cache`
        return surface_vectors(structures[target_id])

    def q_of(pid: str) -> tuple[float, float | None]:
        key = f"{pid}|{target_id}"
        if key not in cache:
            cache[key] = [q_epi(structures[pid], structures[target_id], target_surfaces()),
                          q_sim(structures[pid], structures[target_id])]
        return cache[key][0], cache[key][1]

    candidates = [s for s in species.values() if not s.gas]
    return routes_for(species[target_id], species, solids + usable_gases, candidates, settings, q_of, energy_error)


def space_of(elements: set[str], settings: SynthesisSettings) -> set[str]:
    """The chemical space of a target: its elements and the added ones."""
    return set(elements) | set(settings.add_elements)


def library_phases(space: set[str]) -> list:
    """Reference and precursor-library phases (ReferencePhase) whose elements lie in `space`."""
    return reference_phases(space, strict=False) + [p for p in all_precursor_phases() if p.elements <= space]


def summary(routes: list[dict]) -> dict:
    """The stored result of one target: every route and the columns (the front route with fewest competing phases)."""
    front = sorted((r for r in routes if r["pareto"]), key=lambda r: (r["competing_phases"], r["nucleation_barrier"]))
    best = front[0] if front else None
    return {"synthesis_front_routes": len(front), "synthesis_route": best["reaction"] if best else None,
            "synthesis_competing_phases": best["competing_phases"] if best else None,
            "synthesis_barrier": best["nucleation_barrier"] if best else None, "routes": routes}


def target_routes(job: dict) -> dict:
    """One target's routes (a task: runs on a campaign worker): {"status": "done", "data": summary} or failed.
    `job`: {"target": id, "phases": [Phase] of its space, "corrections": MP2020 flag, "settings": SynthesisSettings}."""
    phases = job["phases"]
    try:
        entries = computed_entries(phases, job["corrections"])
        routes = analyse(job["target"], entries, {p.id: p.structure for p in phases}, job["settings"])
    except (ValueError, InputError) as exc:
        return {"status": "failed", "reason": str(exc)}
    return {"status": "done", "data": summary(routes)}


def run(inp: StageInput) -> StageOutput:
    """Routes of every compound asked for (`inp.ids`; default: all) from the relaxed phases of its space; the
    targets are independent tasks, run on the campaign's workers (`inp.map`)."""
    settings: SynthesisSettings = inp.settings
    relaxed, library = inp.inputs["relax"], inp.inputs["precursor_phases"]
    ids = inp.ids if inp.ids is not None else [r["id"] for r in inp.compounds]
    rows_by_id = {r["id"]: r for r in inp.compounds}
    failed, jobs, unrelaxed = {}, {}, set()
    for cid in ids:
        space = space_of(elements_of(rows_by_id[cid]), settings)
        library_of_space = library_phases(space)
        phases = [relaxed_phase(library if p.id in library else relaxed, p.id) for p in library_of_space]
        unrelaxed |= {p.formula for p, r in zip(library_of_space, phases) if r is None}
        phases += [relaxed_phase(relaxed, r["id"]) for r in inp.compounds if elements_of(r) <= space]
        phases = [p for p in phases if p is not None]
        if cid not in {p.id for p in phases}:
            failed[cid] = "no relaxed structure"
            continue
        jobs[cid] = {"target": cid, "phases": phases, "corrections": inp.energy.corrections, "settings": settings}
    results = inp.map("synthesis", target_routes, jobs) if inp.map else {k: target_routes(j) for k, j in jobs.items()}
    rows = []
    for cid in ids:
        r = results.get(cid) or {"status": "failed", "reason": failed.get(cid, "not computed")}
        rows.append((cid, r["status"], r.get("data"), r.get("reason", "")))
    done = [r for r in rows if r[1] == "done"]
    n_routes = sum(len(r[2]["routes"]) for r in done)
    n_front = sum(r[2]["synthesis_front_routes"] for r in done)
    message = f"{len(done)} of {len(rows)} targets; {n_routes} routes, {n_front} on the Pareto fronts at " \
              f"{settings.temperature_k:.0f} K"
    if unrelaxed:  # a store older than the reference library: those phases neither compete nor serve as precursors
        message += f"; without {len(unrelaxed)} library phases not relaxed in this campaign " \
                   f"({', '.join(sorted(unrelaxed))}: run the relax stage)"
    return StageOutput(rows, {"targets": len(rows), "message": message})
