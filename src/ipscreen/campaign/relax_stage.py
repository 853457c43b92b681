"""The relax stages' drivers, in chunks of similar size through the executor (batched model
calls): `run` relaxes every compound and every reference phase of their chemical systems;
`run_cathode_phases` the cathode-library phases the interfaces stage needs (the unions of its
compounds' systems with the cathodes'), with the same backend and relaxation settings."""

from __future__ import annotations

from dataclasses import asdict

from ipscreen.campaign.context import Progress, StageRun
from ipscreen.campaign.drivers import check_ids, pool_ids
from ipscreen.campaign.tasks import relax_chunk_task
from ipscreen.records import elements_of
from ipscreen.structure_io import structure_to_dict
from ipscreen.thermo.references import all_precursor_phases, cathode_composition, cathode_phases, references_of


def run(run: StageRun) -> dict:
    """Relax what is not relaxed yet with these settings (resumable); each finished chunk is
    committed at once. Chunks hold `relax.batch_size` structures of similar size."""
    store = run.store
    rows = store.compound_rows()
    refs = references_of(rows)
    done = store.done_ids("relax", run.hash)
    structures = {p.id: structure_to_dict(p.structure) for p in refs if p.id not in done}
    structures.update(store.structures([r["id"] for r in rows if r["id"] not in done]))
    n = len(rows) + len(refs)
    counts = _relax(run, structures, n, [p.id for p in refs])
    return {"computed": len(structures), "total": n, "status": counts,
            "message": f"{n:,} structures (compounds + reference phases), {len(structures):,} computed now; "
                       f"{_counts(counts)}"}


def run_cathode_phases(run: StageRun) -> dict:
    """Relax the cathode-library phases of the unions of its compounds' chemical systems (`run.ids`, else
    its pool: the MOBO Pareto set or the metastable compounds) with the interfaces stage's cathodes."""
    cathodes = run.config.stage_settings("interfaces", run.registry).cathodes
    elements = {el.symbol for c in cathodes for el in cathode_composition(c).elements}
    elements = elements.union(*(elements_of(r) for r in run.store.compound_rows(_ids(run))))
    return _relax_library(run, cathode_phases(elements), f"cathode-library phases of {'-'.join(sorted(elements))}")


def run_precursor_phases(run: StageRun) -> dict:
    """Relax the precursor-library phases (carbon sources, chlorine oxides, LiClO4) in the synthesis spaces of its
    compounds (`run.ids`, else its pool): their elements plus the synthesis stage's added ones (C, O)."""
    added = set(run.config.stage_settings("synthesis", run.registry).add_elements)
    spaces = [elements_of(r) | added for r in run.store.compound_rows(_ids(run))]
    return _relax_library(run, [p for p in all_precursor_phases() if any(p.elements <= s for s in spaces)],
                          "precursor-library phases")


def _ids(run: StageRun) -> list[str]:
    """The compounds asked for, else the stage's pool (checked)."""
    ids = run.ids if run.ids is not None else pool_ids(run)
    check_ids(run, ids)
    return ids


def _relax_library(run: StageRun, phases: list, label: str) -> dict:
    """Relax the library `phases` (ReferencePhase) not relaxed yet under this stage's settings."""
    done = run.store.done_ids(run.stage.name, run.hash)
    structures = {p.id: structure_to_dict(p.structure) for p in phases if p.id not in done}
    counts = _relax(run, structures, len(phases), [p.id for p in phases])
    return {"computed": len(structures), "total": len(phases), "status": counts,
            "message": f"{len(phases):,} {label}, {len(structures):,} computed now; {_counts(counts)}"}


def run_committee(run: StageRun) -> dict:
    """Relax with the second backend ([committee]), from the first backend's relaxed structures, what the
    window and interfaces stages read for their compounds (`run.ids`, else their pool): the compounds, the
    compounds on the hull of their chemical systems, the reference phases of those systems and the relaxed
    cathode-library phases. Nothing without a second backend."""
    energy = run.settings.energy()
    if energy is None:
        return {"computed": 0, "message": "no second backend (set backend = \"chgnet\", for example, in the "
                                          "campaign file's committee table)"}
    ids = set(_ids(run))
    rows = run.store.compound_rows()
    systems = [elements_of(r) for r in rows if r["id"] in ids]
    stable = {cid for cid, r in run.results("stability").items()
              if r["status"] == "done" and r["data"]["e_above_hull_ev_per_atom"] <= 1e-9}
    subjects = ids | {r["id"] for r in rows if r["id"] in stable and any(elements_of(r) <= s for s in systems)}
    chosen = [r for r in rows if r["id"] in subjects]
    subjects |= {p.id for p in references_of(chosen)} if chosen else set()
    first = {**run.results("relax"), **run.results("cathode_phases")}
    subjects |= set(run.results("cathode_phases"))
    done = run.store.done_ids(run.stage.name, run.hash)
    structures = {sid: first[sid]["data"]["structure"] for sid in sorted(subjects)
                  if sid not in done and first.get(sid, {}).get("status") not in (None, "failed")}
    counts = _relax(run, structures, len(subjects), sorted(s for s in subjects if s.startswith("ref:")), energy)
    return {"computed": len(structures), "total": len(subjects), "status": counts,
            "message": f"{len(subjects):,} structures with {energy.backend} {energy.model}, {len(structures):,} "
                       f"computed now; {_counts(counts)}"}


def _counts(counts: dict) -> str:
    return ", ".join(f"{counts[k]} {k}" for k in sorted(counts))


def _relax(run: StageRun, structures: dict, n: int, references: list[str], energy=None) -> dict:
    """Relax `structures` ({id: structure dict}) with `energy` (default: the campaign's backend) through the
    executor, store each chunk as it finishes, mark the stage complete ({status: count} of everything it holds
    under these settings)."""
    config, store, settings = run.config, run.store, run.config.relax
    energy = energy or config.energy
    h = run.hash
    order = sorted(structures, key=lambda sid: (len(structures[sid]["species"]), sid))
    size = settings.batch_size
    common = {"energy": asdict(energy), "relax": asdict(settings)}
    payloads = {}
    for start in range(0, len(order), size):
        ids = order[start:start + size]
        payloads[ids[0]] = {"structures": {sid: structures[sid] for sid in ids}, **common}

    def on_result(key: str, result: dict) -> None:
        if "results" not in result:  # the whole chunk failed (e.g. its worker kept dying)
            result = {"results": {sid: dict(result) for sid in payloads[key]["structures"]}}
        out = []
        for sid, r in result["results"].items():
            data = dict(r)
            status, reason = data.pop("status"), data.pop("reason", "")
            out.append((sid, status, data, reason))
        store.write_results(run.stage.name, h, out)  # one transaction per finished chunk

    if payloads:
        with run.executor_factory(config.cluster) as executor:
            executor.run(run.stage.name, relax_chunk_task, payloads, on_result,
                         progress=_per_structure(run.progress, payloads) if run.progress else None)
    run.complete(n, extra={"energy": energy.physics(), "relax": settings.physics(), "references": references})
    counts: dict[str, int] = {}
    for r in store.results(run.stage.name, h).values():
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def _per_structure(progress: Progress, payloads: dict) -> Progress:
    """Report chunk progress as structures done."""
    sizes = [len(p["structures"]) for p in payloads.values()]
    total = sum(sizes)

    def update(name: str, done_chunks: int, _total_chunks: int) -> None:
        progress(f"{name} ({total} structures)", int(round(total * done_chunks / max(1, len(sizes)))), total)

    return update
