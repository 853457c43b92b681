"""The two generic drivers: a compound stage through the executor, a whole-campaign stage
in the driver process. Every stage without a driver of its own runs through one of them.
"""

from __future__ import annotations

from dataclasses import asdict

from ipscreen.campaign.context import StageRun, compound_seed
from ipscreen.campaign.stage import resolve
from ipscreen.campaign.tasks import compound_payload, compound_task
from ipscreen.errors import InputError, StoreError
from ipscreen.records import StageInput, StageOutput


def pool_ids(run: StageRun) -> list[str]:
    """Compounds that pass the stage's pool filters, sorted: the first filter must have results
    (e.g. stability: E_d below the threshold); later ones apply where they have results (e.g.
    synthesizability: L_s above its threshold)."""
    ids: list[str] | None = None
    for n, name in enumerate(run.stage.pool):
        results = run.store.results(name, run.read_hash(name))
        if not results:
            if n == 0:
                raise StoreError(f"no {name} results with these settings: run the {name} stage first (or give --ids)")
            continue
        key = next(s for s in run.registry if s.name == name).filter_key
        keep = {cid for cid, r in results.items() if r["status"] == "done"
                and ((n == 0 and run.stage.pool_all) or (r["data"] or {}).get(key))}
        if ids is not None and not any(cid in results for cid in ids):
            continue  # this filter has results, but none for compounds (e.g. a MOBO run stored before it had)
        ids = sorted(keep) if ids is None else [cid for cid in ids if cid in keep]
    return ids or []


def check_ids(run: StageRun, ids: list[str]) -> None:
    """InputError naming the ids that are not compounds of this campaign."""
    known = {r["id"] for r in run.store.compound_rows()}
    unknown = [cid for cid in ids if cid not in known]
    if unknown:
        raise InputError(f"unknown compound id(s) in this campaign: {', '.join(unknown[:5])}")


def committee_energy(run: StageRun):
    """Energy settings of the campaign's second backend ([committee]) if the stage reads its results, else None."""
    if "committee" not in run.stage.reads:
        return None
    return run.config.stage_settings("committee", run.registry).energy()


def run_compound(run: StageRun) -> dict:
    """Run a compound stage's `calc` on `run.ids` (default: its pool) from their relaxed
    structures, one task per compound through the executor, each result committed as it
    arrives; compounds already done with these settings are skipped (resumable)."""
    stage, config, store = run.stage, run.config, run.store
    h = run.hash
    ids = run.ids if run.ids is not None else pool_ids(run)
    check_ids(run, ids)
    relaxed = store.results("relax", run.hash_of("relax"), ids)
    done = store.done_ids(stage.name, h)
    todo = [cid for cid in ids if cid not in done]
    no_structure = [cid for cid in todo if relaxed.get(cid, {}).get("status") in (None, "failed")]
    if no_structure:
        store.write_results(stage.name, h, [(cid, "failed", None, "no relaxed structure") for cid in no_structure])
    artifacts = store.folder / "artifacts" / stage.name
    beside = {name: store.results(name, run.hash_of(name), ids) for name in stage.after if name != "space"}

    def context(cid: str) -> dict:  # the `after` stages' columns of this compound, for its figures
        out = {}
        for name, results in beside.items():
            columns = next(s for s in run.registry if s.name == name).columns
            data = results.get(cid, {}).get("data") or {}
            out.update({c: data[c] for c in columns if c in data})
        return out

    payloads = {cid: compound_payload(stage, run.settings, asdict(config.energy), relaxed[cid]["data"]["structure"],
                                      str(artifacts / cid), compound_seed(cid), context(cid))
                for cid in todo if cid not in no_structure}

    def on_result(cid: str, result: dict) -> None:
        store.write_results(stage.name, h, [(cid, result["status"], result.get("data"), result.get("reason", ""))])

    if payloads:
        with run.executor_factory(config.cluster) as executor:
            executor.run(stage.name, compound_task, payloads, on_result, progress=run.progress)
    results = store.results(stage.name, h)
    counts: dict[str, int] = {}
    for cid in ids:
        status = results.get(cid, {}).get("status", "pending")
        counts[status] = counts.get(status, 0) + 1
    done = ", ".join(f"{counts[k]} {k}" for k in sorted(counts))
    if payloads or not store.is_complete(stage.name, h):  # a run that computed nothing keeps the first record
        run.complete(len(results))
    return {"compounds": len(ids), "computed": len(payloads), "status": counts,
            "message": f"{len(ids):,} compounds, {len(payloads):,} computed now; {done}"}


def run_campaign(run: StageRun) -> dict:
    """Run a whole-campaign stage's `run(StageInput) -> StageOutput` on its inputs' stored records.

    Nothing is computed when it is complete with these settings and the results it read are
    unchanged (the stored summary is returned). Without ids its rows are replaced, in one
    transaction; with ids (`--ids`, or its pool when it declares one, e.g. the window stage on the
    Pareto set) only the ids it has no row for are computed and added, unless its inputs changed,
    which makes every row stale.
    """
    states = run.input_states()  # what it reads, once: recorded at completion, compared at the next run
    stored = run.stored_summary(states)
    ids = run.ids if run.ids is not None or not run.stage.pool else pool_ids(run)
    asked = ids
    if ids is not None:
        check_ids(run, ids)
        if not ids:  # an empty pool: nothing to compute, and nothing stored is dropped
            return {"computed": 0, "message": "no compounds in its pool (check the filters' results)"}
    if stored is not None:
        if ids is None:
            return {**stored, "computed": 0, "message": f"{_stored_message(run, stored)} (stored, nothing computed)"}
        have = run.store.done_ids(run.stage.name, run.hash)
        ids = [cid for cid in ids if cid not in have]
        if not ids:
            return {"computed": 0, "message": f"{len(asked)} compounds (stored, nothing computed)"}
    compounds = run.store.compound_rows()
    inputs = {name: run.results(name) for name in run.stage.reads}
    for name in run.stage.inputs:
        if not next(s for s in run.registry if s.name == name).per_compound:
            continue
        missing = [r["id"] for r in compounds if r["id"] not in inputs[name]]
        if missing:
            raise StoreError(f"{len(missing)} compound(s) have no {name} results with these settings: run the "
                             f"{name} stage")
    out: StageOutput = resolve(run.stage.function)(
        StageInput(run.settings, compounds, inputs, run.config.energy, run.store.folder, ids, committee_energy(run),
                   lambda name, fn, payloads: map_tasks(run, name, fn, payloads)))
    summary = {**out.summary, "computed": len(out.rows)}
    summary.setdefault("message", ", ".join(f"{k} {v}" for k, v in out.summary.items()
                                            if isinstance(v, (int, float, str))))
    with run.store.atomic():  # its rows and its completion together: a kill between them would redo the stage
        if stored is not None:  # more ids, same inputs: add their rows to the others
            run.store.write_results(run.stage.name, run.hash, out.rows)
        else:
            run.store.replace_results(run.stage.name, run.hash, out.rows)
        run.complete(len(run.store.done_ids(run.stage.name, run.hash)), summary, states=states)
        run.store.clear_task_results(run.stage.name, run.hash)
    return summary


def map_tasks(run: StageRun, name: str, fn, payloads: dict) -> dict:
    """{key: fn(payload)}: a whole-campaign stage's independent tasks on the campaign's workers (StageInput.map).

    Each finished task is kept in the store at once, with a digest of its function and payload, until the stage
    completes: after a kill, the rerun takes the kept results whose payload is unchanged and computes the rest
    (a synthesis target's routes take minutes). Failed tasks are not kept: they are tried again."""
    kept = run.store.task_results(run.stage.name, run.hash)
    digests = {key: payload_digest(fn, payload) for key, payload in payloads.items()}
    results = {key: kept[key][1] for key in payloads if key in kept and kept[key][0] == digests[key]}
    todo = {key: payload for key, payload in payloads.items() if key not in results}

    def keep(key: str, result) -> None:
        results[key] = result
        if isinstance(result, dict) and result.get("status") == "done":
            try:
                run.store.write_task_result(run.stage.name, run.hash, key, digests[key], result)
            except (TypeError, ValueError):  # not JSON: not kept, recomputed after a kill
                pass

    if todo:
        with run.executor_factory(run.config.cluster) as executor:
            executor.run(name, fn, todo, keep, progress=run.progress)
    return results


def payload_digest(fn, payload) -> str:
    """A digest of a task: its function's name and its payload (dataclasses, pymatgen objects through as_dict(),
    JSON types) in canonical JSON."""
    import hashlib
    import json
    from dataclasses import fields, is_dataclass

    def plain(obj):
        if is_dataclass(obj) and not isinstance(obj, type):
            return {"__dataclass__": type(obj).__name__, **{f.name: getattr(obj, f.name) for f in fields(obj)}}
        if hasattr(obj, "as_dict"):
            return obj.as_dict()
        if isinstance(obj, (set, frozenset, tuple)):
            return sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else list(obj)
        raise TypeError(f"cannot digest a {type(obj).__name__}")

    text = json.dumps([f"{fn.__module__}:{fn.__qualname__}", payload], default=plain, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _stored_message(run: StageRun, stored: dict) -> str:
    if "message" in stored:
        return stored["message"]
    counts: dict[str, int] = {}  # completed by an older ipscreen: count what is stored
    for r in run.results(run.stage.name).values():
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
