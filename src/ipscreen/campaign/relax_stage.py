"""The relax stage's driver: every compound and every reference phase of its chemical
systems, in chunks of similar size through the executor (batched model calls)."""

from __future__ import annotations

from dataclasses import asdict

from ipscreen.campaign.context import Progress, StageRun
from ipscreen.campaign.tasks import relax_chunk_task
from ipscreen.structure_io import structure_to_dict
from ipscreen.thermo.references import references_of


def run(run: StageRun) -> dict:
    """Relax what is not relaxed yet with these settings (resumable); each finished chunk is
    committed at once. Chunks hold `relax.batch_size` structures of similar size."""
    config, store, settings = run.config, run.store, run.settings
    h = run.hash
    rows = store.compound_rows()
    refs = references_of(rows)
    done = store.done_ids("relax", h)
    structures = {p.id: structure_to_dict(p.structure) for p in refs if p.id not in done}
    structures.update(store.structures([r["id"] for r in rows if r["id"] not in done]))
    order = sorted(structures, key=lambda sid: (len(structures[sid]["species"]), sid))
    size = settings.batch_size
    common = {"energy": asdict(config.energy), "relax": asdict(settings)}
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
        store.write_results("relax", h, out)  # one transaction per finished chunk

    if payloads:
        with run.executor_factory(config.cluster) as executor:
            executor.run("relax", relax_chunk_task, payloads, on_result,
                         progress=_per_structure(run.progress, payloads) if run.progress else None)
    n = len(rows) + len(refs)
    run.complete(n, extra={"energy": asdict(config.energy), "relax": settings.physics(),
                           "references": [p.id for p in refs]})
    counts: dict[str, int] = {}
    for r in store.results("relax", h).values():
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    done = ", ".join(f"{counts[k]} {k}" for k in sorted(counts))
    return {"computed": len(structures), "total": n, "status": counts,
            "message": f"{n:,} structures (compounds + reference phases), {len(structures):,} computed now; {done}"}


def _per_structure(progress: Progress, payloads: dict) -> Progress:
    """Report chunk progress as structures done."""
    sizes = [len(p["structures"]) for p in payloads.values()]
    total = sum(sizes)

    def update(name: str, done_chunks: int, _total_chunks: int) -> None:
        progress(f"{name} ({total} structures)", int(round(total * done_chunks / max(1, len(sizes)))), total)

    return update
