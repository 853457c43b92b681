"""Property stages (synthesizability, gap, hydration, conductivity, bvse): one oracle
over a set of relaxed compounds, one task per compound, each result committed at once.

Which compounds: the ids given, else the pool — compounds whose E_d is below the
stability threshold (and, for the expensive oracles, whose L_s is above the
synthesizability threshold when that stage has run). Artifacts (trajectories, DFT
logs) go to ``<campaign>/artifacts/<stage>/<id>/``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from ipscreen.campaign.config import Config
from ipscreen.campaign.settings import settings_hash
from ipscreen.campaign.store import Store
from ipscreen.errors import InputError, StoreError

CHEAP_STAGES = ("synthesizability", "bvse")  # run on every metastable compound


def property_hash(config: Config, stage: str) -> str:
    """Settings hash of a property stage: the relaxed structures it reads, its settings and,
    for oracles that use the ML potential, the energy backend."""
    from ipscreen.campaign.runner import relax_hash
    from ipscreen.properties.registry import oracle

    o = oracle(stage)
    parts = [relax_hash(config), o.name, asdict(config.property_settings(o.name))]
    if o.needs_backend:
        parts.append(asdict(config.energy))
    return settings_hash(*parts)


def compound_seed(compound_id: str) -> int:
    """A per-compound seed that does not depend on the order of the run."""
    return int.from_bytes(hashlib.blake2b(compound_id.encode(), digest_size=4).digest(), "little")


def pool_ids(config: Config, store: Store, stage: str) -> list[str]:
    """Metastable compounds (E_d < threshold); for expensive stages also L_s > threshold
    where the synthesizability stage has results."""
    from ipscreen.campaign.runner import stability_hash

    stable = store.results("stability", stability_hash(config))
    if not stable:
        raise StoreError("no stability results with these settings: run the stability stage first (or give --ids)")
    ids = [cid for cid, r in stable.items() if r["status"] == "done" and r["data"]["metastable"]]
    if stage not in CHEAP_STAGES:
        synth = store.results("synthesizability", property_hash(config, "synthesizability"))
        if synth:
            ids = [cid for cid in ids if synth.get(cid, {}).get("status") == "done"
                   and synth[cid]["data"]["synthesizable"]]
    return sorted(ids)


def run_property(config: Config, store: Store, stage: str, executor_factory, ids: list[str] | None = None,
                 progress=None) -> dict:
    """Run oracle `stage` on `ids` (default: the pool) from their relaxed structures (resumable)."""
    from ipscreen.campaign.runner import relax_hash
    from ipscreen.campaign.tasks import property_task
    from ipscreen.properties.registry import oracle

    o = oracle(stage)
    settings = config.property_settings(o.name)
    h = property_hash(config, stage)
    relaxed = store.results("relax", relax_hash(config))
    known = {r["id"] for r in store.compound_rows()}
    if ids is None:
        ids = pool_ids(config, store, stage)
    unknown = [cid for cid in ids if cid not in known]
    if unknown:
        raise InputError(f"unknown compound id(s) in this campaign: {', '.join(unknown[:5])}")
    done = store.done_ids(stage, h)
    todo = [cid for cid in ids if cid not in done]
    no_structure = [cid for cid in todo if relaxed.get(cid, {}).get("status") in (None, "failed")]
    if no_structure:
        store.write_results(stage, h, [(cid, "failed", None, "no relaxed structure") for cid in no_structure])
    artifacts = store.folder / "artifacts" / o.stage
    payloads = {cid: {"oracle": o.name, "settings": asdict(settings), "energy": asdict(config.energy),
                      "structure": relaxed[cid]["data"]["structure"], "workdir": str(artifacts / cid),
                      "seed": compound_seed(cid)}
                for cid in todo if cid not in no_structure}

    def on_result(cid: str, result: dict) -> None:
        store.write_results(stage, h, [(cid, result["status"], result.get("data"), result.get("reason", ""))])

    if payloads:
        with executor_factory(config.cluster) as executor:
            executor.run(o.stage, property_task, payloads, on_result, progress=progress)
    results = store.results(stage, h)
    store.mark_complete(stage, h, {"oracle": o.name, "settings": asdict(settings), "relax_hash": relax_hash(config)},
                        _versions(), len(results))
    counts: dict[str, int] = {}
    for cid in ids:
        status = results.get(cid, {}).get("status", "pending")
        counts[status] = counts.get(status, 0) + 1
    return {"compounds": len(ids), "computed": len(payloads), "status": counts}


def _versions() -> dict:
    from ipscreen.campaign.runner import versions

    return versions()


def property_columns(config: Config, store: Store) -> dict[str, dict]:
    """{compound id: headline values of every property stage that has results}."""
    from ipscreen.properties.registry import ORACLES

    out: dict[str, dict] = {}
    present = {stage for stage, _h, _status, _n in store.result_counts()}
    for o in ORACLES.values():
        if o.stage not in present:
            continue
        results = store.results(o.stage, property_hash(config, o.stage))
        for cid, r in results.items():
            row = out.setdefault(cid, {})
            data = r.get("data") or {}
            for key in o.unit_keys:
                row[key] = data.get(key)
    return out
