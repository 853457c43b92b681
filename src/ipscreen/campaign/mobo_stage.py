"""The MOBO stage: the optimisation loop of mobo/loop.py run on a campaign.

Pool: the compounds that pass the filters (E_d below the threshold and, where the
synthesizability stage ran, L_s above it; drivers.pool_ids). Descriptors of
their relaxed structures are computed once and cached in the store (stage
``descriptors``), reduced by kernel PCA over the pool. Each batch's oracle calls go
through the oracles' compound stages (the same Dask executor, one stored result per compound),
so an interrupted MOBO run resumes at the last finished evaluation: every proposed
batch is journalled in the store (stage ``mobo``, subjects ``iter:NNN``) before its
evaluation starts and replayed on the next run; evaluations already stored are not
repeated. The run's settings, objectives, model versions and stop reason are stored
with it (``mobo`` subject ``run``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from ipscreen.campaign.config import Config
from ipscreen.campaign.context import StageRun, versions
from ipscreen.campaign.drivers import pool_ids, run_compound
from ipscreen.campaign.stages import BY_NAME, DESCRIPTOR_VERSION, REGISTRY, column_owners, stage_hash
from ipscreen.campaign.store import Store
from ipscreen.campaign.table import compound_table, write_rows
from ipscreen.errors import InputError, StoreError
from ipscreen.mobo.descriptors import GROUPS, descriptors
from ipscreen.mobo.hypervolume import pareto_mask
from ipscreen.mobo.loop import LoopSettings, run_loop
from ipscreen.mobo.objectives import PAPER_OBJECTIVES, Objective, objectives_from_table, scaling_for
from ipscreen.mobo.reduce import reduce
from ipscreen.report.figures import mobo_progress, pareto_3d
from ipscreen.report.interactive import pareto_html
from ipscreen.structure_io import structure_from_dict

MOBO_KEYS = {f.name for f in fields(LoopSettings)} | {"objectives", "objective", "n_components"}


@dataclass(frozen=True)
class MoboSettings:
    loop: LoopSettings
    objectives: tuple[Objective, ...]
    n_components: int = 30  # kernel-PCA latent variables per descriptor group (paper: 30)

    @classmethod
    def from_table(cls, table: dict | None) -> "MoboSettings":
        table = dict(table or {})
        unknown = set(table) - MOBO_KEYS
        if unknown:
            raise InputError(f"unknown key(s) in [mobo]: {', '.join(sorted(unknown))}")
        names = table.pop("objectives", list(PAPER_OBJECTIVES))
        custom = table.pop("objective", {})
        n_components = int(table.pop("n_components", 30))
        if n_components < 1:
            raise InputError("mobo n_components must be >= 1")
        try:
            loop = LoopSettings(**table)
        except TypeError as exc:
            raise InputError(f"bad [mobo] table: {exc}") from None
        loop.validate()
        objectives = tuple(objectives_from_table(names, custom))
        owners = column_owners()
        allowed = objective_stages()
        for o in objectives:
            if o.stage not in allowed:
                raise InputError(f"objective {o.name}: stage must be one of {', '.join(allowed)}")
        for o in objectives:
            if owners.get(o.key, o.stage) != o.stage:
                raise InputError(f"objective {o.name}: {o.key} is a column of stage {owners[o.key]}, not {o.stage}")
        return cls(loop, objectives, n_components)

    def to_dict(self) -> dict:
        return {"loop": asdict(self.loop), "objectives": [o.as_dict() for o in self.objectives],
                "n_components": self.n_components}


def objective_stages() -> list[str]:
    """Stages an objective may read: declared before mobo, with columns, and either an oracle (run on
    each batch) or a whole-campaign step (read as stored, e.g. stability). Not relax (no oracle)."""
    before = REGISTRY[:[s.name for s in REGISTRY].index("mobo")]
    return [s.name for s in before if s.columns and (s.kind == "campaign" or s.function)]


def with_overrides(config: Config, overrides: dict | None) -> Config:
    """The configuration with command-line overrides of its [mobo] table (None values ignored)."""
    table = {k: v for k, v in (overrides or {}).items() if v is not None}
    return config.with_overrides({"mobo": table}) if table else config


def mobo_settings(config: Config, overrides: dict | None = None) -> MoboSettings:
    return with_overrides(config, overrides).stage_settings("mobo")


def mobo_hash(config: Config, overrides: dict | None = None) -> str:
    """Hash of a MOBO run: its settings and the settings of every stage its values come from."""
    return stage_hash(with_overrides(config, overrides), "mobo")


# --- descriptors ---------------------------------------------------------------------


def _sparse(v: np.ndarray) -> dict:
    nz = np.flatnonzero(v)
    return {"n": int(len(v)), "i": nz.tolist(), "v": [round(float(x), 8) for x in v[nz]]}


def _dense(d: dict) -> np.ndarray:
    out = np.zeros(d["n"])
    out[d["i"]] = d["v"]
    return out


def run_descriptors(run: StageRun) -> dict:
    """The descriptors stage's driver: descriptors of the pool (or `run.ids`), cached."""
    ids = run.ids if run.ids is not None else pool_ids(run)
    before = len(run.store.done_ids("descriptors", run.hash))
    ok, _ = pool_descriptors(run, ids)
    computed = len(run.store.done_ids("descriptors", run.hash)) - before
    return {"compounds": len(ids), "computed": computed, "status": {"done": len(ok), "failed": len(ids) - len(ok)},
            "message": f"{len(ids):,} compounds, {computed:,} computed now; {len(ok)} done, {len(ids) - len(ok)} failed"}


def pool_descriptors(run: StageRun, ids: list[str]) -> tuple[list[str], dict[str, np.ndarray]]:
    """(ids with descriptors, their EN, VR, PF matrices in that order) of the relaxed structures, cached
    in the store; a compound whose descriptors fail is stored as failed with the reason and left out."""
    run = run.for_stage("descriptors", ids)
    store, progress = run.store, run.progress
    h = run.hash
    cached = store.results("descriptors", h)
    todo = [cid for cid in ids if cid not in cached]
    if todo:
        relaxed = run.results("relax")
        rows = []
        for n, cid in enumerate(todo):
            try:
                d = descriptors(structure_from_dict(relaxed[cid]["data"]["structure"]))
                rows.append((cid, "done", {g: _sparse(np.asarray(d[g])) for g in GROUPS}, ""))
            except InputError as exc:
                rows.append((cid, "failed", None, str(exc)))
            if len(rows) == 50 or n == len(todo) - 1:  # commit in chunks: an interruption keeps what was done
                store.write_results("descriptors", h, rows)
                rows = []
            if progress:
                progress("descriptors", n + 1, len(todo))
        cached = store.results("descriptors", h)
        run.complete(len(cached), extra={"version": DESCRIPTOR_VERSION})
    ok = [cid for cid in ids if cached[cid]["status"] == "done"]
    return ok, {g: np.vstack([_dense(cached[cid]["data"][g]) for cid in ok]) for g in GROUPS}


# --- the run -------------------------------------------------------------------------


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(float(x)) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    return x


def objective_values(config: Config, store: Store, objectives, ids: list[str]) -> dict[str, dict]:
    """{id: {objective name: physical value or None}} from the stored stage results."""
    results = {s: store.results(s, stage_hash(config, s)) for s in {o.stage for o in objectives}}
    out = {}
    for cid in ids:
        row = {}
        for o in objectives:
            r = results[o.stage].get(cid)
            row[o.name] = (r or {}).get("data", {}).get(o.key) if r and r["status"] == "done" else None
        out[cid] = row
    return out


def journal(store: Store, h: str) -> tuple[list[str] | None, list[dict]]:
    """(pool ids, iteration records in order) of a MOBO run stored under hash h."""
    rows = store.results("mobo", h)
    pool = rows.get("pool", {}).get("data", {}).get("ids")
    its = [rows[k]["data"] | {"status": rows[k]["status"]} for k in sorted(r for r in rows if r.startswith("iter:"))]
    return pool, its


def run(run: StageRun) -> dict:
    """The mobo stage's driver: run or resume the MOBO loop of this campaign (settings: its [mobo]
    table with any overrides already applied to `run.config`); write its outputs. A summary dict."""
    config, store = run.config, run.store
    settings = run.settings
    objectives = list(settings.objectives)
    h = run.hash
    pool, done_its = journal(store, h)
    if pool is None:  # a new run: the filtered compounds that have descriptors
        pool, groups = pool_descriptors(run, pool_ids(run))
        if len(pool) < 2:
            raise StoreError(f"the MOBO pool has {len(pool)} compound(s): it needs at least 2 (run the stability "
                             "stage; check the E_d and L_s thresholds)")
        store.write_results("mobo", h, [("pool", "done", {"ids": pool}, "")])
    else:  # a resumed run: the journalled pool
        with_descriptors, groups = pool_descriptors(run, pool)
        if with_descriptors != pool:
            raise StoreError("the stored MOBO pool has compounds without descriptors: the store was changed by hand?")
    X, dims = reduce(groups, settings.n_components, seed=settings.loop.seed)
    # the objectives' compound stages run on each batch; whole-campaign ones (E_d) are read as stored
    property_stages = [s for s in dict.fromkeys(o.stage for o in objectives) if BY_NAME[s].kind == "compound"]

    def evaluate(batch: list[int]) -> np.ndarray:
        ids = [pool[i] for i in batch]
        for stage in property_stages:
            run_compound(run.for_stage(stage, ids))
        values = objective_values(config, store, objectives, ids)
        return np.array([[o.to_model(values[cid][o.name]) for o in objectives] for cid in ids], dtype=float)

    def on_propose(index: int, batch: list[int], info: dict) -> None:
        store.write_results("mobo", h, [(f"iter:{index:03d}", "proposed",
                                         {"batch": [pool[i] for i in batch], "info": _jsonable(info)}, "")])

    def on_iteration(it) -> None:
        ids = [pool[i] for i in it.batch]
        info = it.info if not it.info.get("replayed") else next(
            (r.get("info", {}) for r in done_its if r.get("batch") == ids), {})
        best = {o.name: (None if b is None else o.from_model(b)) for o, b in zip(objectives, it.best)}
        store.write_results("mobo", h, [(f"iter:{it.index:03d}", "done", {
            "batch": ids, "info": _jsonable(info), "best": _jsonable(best), "improved": it.improved}, "")])
        if run.echo:
            run.echo(it.index, ids, best)

    index_of = {cid: i for i, cid in enumerate(pool)}
    proposed = [[index_of[cid] for cid in r["batch"]] for r in done_its]
    result = run_loop(X, dims, evaluate, settings.loop, scaling_for(objectives), proposed=proposed,
                      on_propose=on_propose, on_iteration=on_iteration)
    run_record = {"settings": settings.to_dict(), "stop_reason": result.stop_reason, "pool_size": len(pool),
                  "evaluations": len(result.order), "iterations": len(result.iterations) - 1,
                  "versions": versions(), "stage_hashes": {s: stage_hash(config, s) for s in
                                                           {o.stage for o in objectives}}}
    store.write_results("mobo", h, [("run", "done", run_record, "")])
    rows, best_rows = mobo_rows(config, store)  # each evaluated compound, flagged when non-dominated: a pool filter
    outputs = write_mobo_outputs(config, store, rows=(rows, best_rows))
    store.write_results("mobo", h, [(r["id"], "done", {"pareto": r["pareto"], "iteration": r["iteration"]}, "")
                                    for r in rows])
    run.complete(len(result.order))
    message = (f"{run_record['evaluations']} evaluations, {run_record['iterations']} iterations "
               f"({run_record['stop_reason']}); {outputs['n_pareto']} non-dominated -> {outputs['pareto_table']}")
    return {**run_record, **outputs, "settings_hash": h, "message": message}


# --- outputs -------------------------------------------------------------------------

TABLE2_COLUMNS = ("id", "formula", "space_group", "parent", "e_above_hull_ev_per_atom", "synthesizability",
                  "band_gap_ev", "hydration_kj_per_mol", "conductivity_400k_s_per_cm")


def objective_column(o: Objective) -> str:
    """Column of an objective in the MOBO tables: its stored key (e.g. band_gap_ev)."""
    return o.key


def mobo_rows(config: Config, store: Store, table: list[dict] | None = None) -> tuple[list[dict], list[dict]]:
    """(evaluated rows in evaluation order with `iteration` and `pareto`, best-per-iteration rows) of the
    campaign's MOBO run with its [mobo] settings (apply overrides with `with_overrides` first). `table`: the
    campaign table if the caller has it (campaign/table.compound_table)."""
    settings = config.stage_settings("mobo")
    h = stage_hash(config, "mobo")
    _, its = journal(store, h)
    its = [r for r in its if r["status"] == "done"]
    if not its:
        raise StoreError("this campaign has no MOBO iterations with these settings: run `ipscreen mobo run`")
    objectives = list(settings.objectives)
    table = {r["id"]: r for r in (table if table is not None else compound_table(config, store))}
    order = [(n, cid) for n, r in enumerate(its) for cid in r["batch"]]
    values = objective_values(config, store, objectives, [cid for _, cid in order])
    rows = []
    for n, cid in order:
        t = table[cid]
        row = {"id": cid, "formula": t["reduced_formula"], "space_group": t["space_group"], "parent": t["parent"],
               "iteration": n, "e_above_hull_ev_per_atom": t["e_above_hull_ev_per_atom"],
               "synthesizability": t.get("synthesizability")}
        row.update({k: t.get(k) for k in TABLE2_COLUMNS if k not in row})
        row.update({objective_column(o): values[cid][o.name] for o in objectives})
        rows.append(row)
    Y = np.array([[o.to_model(r[objective_column(o)]) for o in objectives] for r in rows], dtype=float)
    complete = np.all(np.isfinite(Y), axis=1)
    mask = np.zeros(len(rows), bool)
    if complete.any():
        mask[np.flatnonzero(complete)[pareto_mask(Y[complete])]] = True
    for r, m in zip(rows, mask):
        r["pareto"] = bool(m)
    best_rows, seen = [], 0
    for n, r in enumerate(its):
        seen += len(r["batch"])
        best = r.get("best") or {}  # stored by objective name; the tables' columns are the stored keys
        best_rows.append({"iteration": n, "n_evaluated": seen, **{objective_column(o): best.get(o.name)
                                                                   for o in objectives}})
    return rows, best_rows


def write_mobo_outputs(config: Config, store: Store, folder=None, rows: tuple | None = None) -> dict:
    """mobo_evaluated.csv, mobo_pareto.csv (Table 2 layout), mobo_progress.png (Fig. 5a) and, for three
    objectives, mobo_pareto.png + mobo_pareto.html (Fig. 5b) in the campaign folder (or `folder`). `rows`:
    `mobo_rows`' result if the caller has it."""
    settings = config.stage_settings("mobo")
    folder = Path(folder or store.folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows, best_rows = rows or mobo_rows(config, store)
    objectives = [o.as_dict() | {"name": objective_column(o)} for o in settings.objectives]
    out = {"evaluated": folder / "mobo_evaluated.csv", "pareto_table": folder / "mobo_pareto.csv"}
    write_rows(rows, out["evaluated"], "csv")
    write_rows([r for r in rows if r["pareto"]], out["pareto_table"], "csv")
    out["fig5a"] = mobo_progress(best_rows, objectives, folder / "mobo_progress.png")
    if len(objectives) == 3:
        out["fig5b"] = pareto_3d(rows, objectives, folder / "mobo_pareto.png")
        out["fig5b_html"] = pareto_html(rows, objectives, folder / "mobo_pareto.html")
    out["n_pareto"] = sum(r["pareto"] for r in rows)
    return out
