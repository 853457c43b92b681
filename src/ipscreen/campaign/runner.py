"""The campaign runner: opens a campaign folder and runs its stages in order.

Stages never call each other; the runner reads their inputs from the store and
writes their outputs back. Stages: ``space`` -> ``relax`` -> ``stability`` ->
``synthesizability`` -> ``bvse`` (the default run), then the expensive property
oracles ``gap``, ``hydration``, ``conductivity``, run on request (``--stages``) on the
pool or on given ids (see campaign/property_stage.py), and ``mobo``, the optimisation
loop that calls them batch by batch (campaign/mobo_stage.py).
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from ipscreen.campaign.config import CAMPAIGN_FILE, Config, from_preset, read_campaign_file, write_campaign_file
from ipscreen.campaign.settings import settings_hash
from ipscreen.campaign.store import COMPOUND_COLUMNS, Store
from ipscreen.errors import InputError, StoreError

STAGES = ("space", "relax", "stability", "synthesizability", "bvse", "gap", "hydration", "conductivity", "mobo")
DEFAULT_STAGES = ("space", "relax", "stability", "synthesizability", "bvse")
PROPERTY_STAGES = STAGES[3:8]
Progress = Callable[[str, int, int], None]


def versions() -> dict:
    """Versions of ipscreen and of the tools whose output is stored."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("ipscreen", "icet", "spglib", "pymatgen", "ase", "sevenn", "torch"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def relax_hash(config: Config) -> str:
    """Settings hash of the relax stage: backend, its package version and the thresholds."""
    return settings_hash(asdict(config.energy), config.energy.package_version(), config.relax.physics())


def stability_hash(config: Config) -> str:
    return settings_hash(relax_hash(config), asdict(config.stability), {"mp2020": config.energy.corrections})


def open_campaign(folder: Path | str, preset: str | None = None) -> tuple[Config, Store]:
    """Read (or create, from `preset`, default "demo") the campaign in `folder`.

    The configuration is validated before anything is written, so bad input leaves
    no folder, file or store behind.
    """
    folder = Path(folder)
    campaign_file = folder / CAMPAIGN_FILE
    if campaign_file.exists():
        config = read_campaign_file(campaign_file)
        if preset is not None and preset != config.preset:
            raise InputError(
                f"{campaign_file} uses preset {config.preset!r}, not {preset!r}: drop --preset or use another folder"
            )
    else:
        if folder.exists() and not folder.is_dir():
            raise InputError(f"campaign path {folder} exists and is not a folder")
        config = from_preset(preset or "demo")
        folder.mkdir(parents=True, exist_ok=True)
        write_campaign_file(campaign_file, config.preset)
    return config, Store(folder)


def build_space(config: Config, store: Store, progress: Progress | None = None) -> bool:
    """Enumerate the space into the store unless this campaign already has it; True if work was done."""
    from ipscreen.space import enumerate_space

    h = config.space.settings_hash()
    if store.is_complete("space", h):
        return False
    compounds = enumerate_space(config.space, progress=progress)
    store.write_space(compounds, config.space.to_dict(), h, versions())
    return True


def space_elements(store: Store) -> set[str]:
    rows = store.compound_rows()
    return {"Li"} | {el for r in rows for el in (r["x_elements"] + "," + r["z_elements"]).split(",")}


def run_relax(config: Config, store: Store, executor_factory, progress: Progress | None = None) -> dict:
    """Relax every compound and every reference phase of its chemical systems (resumable).

    Structures go to the workers in chunks of `relax.batch_size` of similar size; each
    finished chunk is committed at once.
    """
    from ipscreen.campaign.tasks import relax_chunk_task
    from ipscreen.structure_io import structure_to_dict
    from ipscreen.thermo.references import reference_phases

    h = relax_hash(config)
    rows = store.compound_rows()
    refs = reference_phases(space_elements(store))
    done = store.done_ids("relax", h)
    structures = {p.id: structure_to_dict(p.structure) for p in refs if p.id not in done}
    structures.update(store.structures([r["id"] for r in rows if r["id"] not in done]))
    order = sorted(structures, key=lambda sid: (len(structures[sid]["species"]), sid))
    size = config.relax.batch_size
    common = {"energy": asdict(config.energy), "relax": asdict(config.relax)}
    payloads = {}
    for start in range(0, len(order), size):
        ids = order[start:start + size]
        payloads[ids[0]] = {"structures": {sid: structures[sid] for sid in ids}, **common}

    def on_result(key: str, result: dict) -> None:
        if "results" not in result:  # the whole chunk failed (e.g. its worker kept dying)
            result = {"results": {sid: dict(result) for sid in payloads[key]["structures"]}}
        rows = []
        for sid, r in result["results"].items():
            data = dict(r)
            status, reason = data.pop("status"), data.pop("reason", "")
            rows.append((sid, status, data, reason))
        store.write_results("relax", h, rows)  # one transaction per finished chunk

    if payloads:
        with executor_factory(config.cluster) as executor:
            executor.run("relax", relax_chunk_task, payloads, on_result,
                         progress=_per_structure(progress, payloads) if progress else None)
    n = len(rows) + len(refs)
    store.mark_complete("relax", h, {"energy": asdict(config.energy), "relax": config.relax.physics(),
                                     "references": [p.id for p in refs]}, versions(), n)
    counts: dict[str, int] = {}
    for r in store.results("relax", h).values():
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"computed": len(structures), "total": n, "status": counts}


def _per_structure(progress: Progress, payloads: dict) -> Progress:
    """Report chunk progress as structures done."""
    sizes = [len(p["structures"]) for p in payloads.values()]
    total = sum(sizes)

    def update(name: str, done_chunks: int, _total_chunks: int) -> None:
        progress(f"{name} ({total} structures)", int(round(total * done_chunks / max(1, len(sizes)))), total)

    return update


def run_stability(config: Config, store: Store) -> dict:
    """E_d of every relaxed compound against the relaxed references and the other compounds."""
    from ipscreen.structure_io import structure_from_dict
    from ipscreen.thermo.hull import Phase, stabilities
    from ipscreen.thermo.references import reference_phases

    rh, sh = relax_hash(config), stability_hash(config)
    relaxed = store.results("relax", rh)
    rows = store.compound_rows()
    missing = [r["id"] for r in rows if r["id"] not in relaxed]
    if missing:
        raise StoreError(f"{len(missing)} compound(s) have no relaxation with these settings: run the relax stage")

    def phase(sid: str) -> Phase | None:
        r = relaxed.get(sid)
        if r is None or r["status"] == "failed":
            return None
        return Phase(sid, structure_from_dict(r["data"]["structure"]), r["data"]["energy_ev"])

    ref_phases = [p for p in (phase(ref.id) for ref in reference_phases(space_elements(store))) if p]
    compound_phases = [p for p in (phase(r["id"]) for r in rows) if p]
    results = stabilities(compound_phases, ref_phases, mp2020=config.energy.corrections)
    out_rows = []
    for r in rows:
        cid = r["id"]
        relax_status = relaxed[cid]["status"]
        if relax_status == "failed":
            out_rows.append((cid, "failed", None, f"relaxation failed: {relaxed[cid]['reason']}"))
            continue
        st = results[cid]
        if isinstance(st, str):
            out_rows.append((cid, "failed", None, st))
            continue
        out_rows.append((cid, "done", {
            "e_above_hull_ev_per_atom": st.e_above_hull_ev_per_atom,
            "formation_energy_ev_per_atom": st.formation_energy_ev_per_atom,
            "decomposition": st.decomposition,
            "metastable": st.e_above_hull_ev_per_atom < config.stability.threshold,
            "relax_status": relax_status,
        }, ""))
    store.replace_results("stability", sh, out_rows)
    store.mark_complete("stability", sh, {"relax_hash": rh, "threshold": config.stability.threshold,
                                          "mp2020": config.energy.corrections}, versions(), len(out_rows))
    n_meta = sum(1 for _, status, data, _ in out_rows if status == "done" and data["metastable"])
    return {"compounds": len(out_rows), "metastable": n_meta,
            "failed": sum(1 for _, status, _, _ in out_rows if status == "failed")}


def compound_table(config: Config, store: Store) -> list[dict]:
    """One row per compound: space columns, relaxed energy, E_d, decomposition, status and
    the headline values of every property stage that has run (blank where not computed)."""
    from ipscreen.campaign.property_stage import property_columns

    relaxed = store.results("relax", relax_hash(config))
    stable = store.results("stability", stability_hash(config))
    properties = property_columns(config, store)
    property_keys = list(dict.fromkeys(k for values in properties.values() for k in values))
    table = []
    for r in store.compound_rows():
        rel = relaxed.get(r["id"], {})
        st = stable.get(r["id"], {})
        data = st.get("data", {})
        status = st.get("status") or (rel.get("status") and "relaxed") or "pending"
        if status == "done":
            status = rel["status"]
        table.append(row := {
            "id": r["id"], "formula": r["formula"], "reduced_formula": r["reduced_formula"],
            "space_group": r["space_group"], "parent": r["parent"], "x_elements": r["x_elements"],
            "z_elements": r["z_elements"], "x_fraction": r["x_fraction"], "z_fraction": r["z_fraction"],
            "n_atoms": r["n_atoms"], "tolerance_factor": r["tolerance_factor"],
            "energy_ev_per_atom": rel.get("data", {}).get("energy_ev_per_atom"),
            "e_above_hull_ev_per_atom": data.get("e_above_hull_ev_per_atom"),
            "formation_energy_ev_per_atom": data.get("formation_energy_ev_per_atom"),
            "decomposition": data.get("decomposition"),
            "metastable": data.get("metastable"),
            "status": status,
            "reason": st.get("reason") or rel.get("reason") or "",
        })
        row.update({key: properties.get(r["id"], {}).get(key) for key in property_keys})
    return table


def write_space_outputs(store: Store) -> dict[str, Path]:
    """space.csv and space_tolerance.png in the campaign folder."""
    from ipscreen.report.figures import tolerance_histogram

    rows = store.compound_rows()
    table = store.folder / "space.csv"
    write_rows(rows, table, "csv")
    plot = tolerance_histogram(rows, store.folder / "space_tolerance.png")
    return {"table": table, "plot": plot}


def write_stability_outputs(config: Config, store: Store) -> dict[str, Path]:
    """table.csv, stability_ed_vs_t.png (Fig. 3a) and stability_contour.png (Fig. 3b)."""
    from ipscreen.report.figures import ed_contour, ed_vs_tolerance

    rows = compound_table(config, store)
    table = store.folder / "table.csv"
    write_rows(rows, table, "csv")
    fig_a = ed_vs_tolerance(rows, store.folder / "stability_ed_vs_t.png", config.stability.threshold)
    fig_b = ed_contour(rows, store.folder / "stability_contour.png")
    return {"table": table, "fig3a": fig_a, "fig3b": fig_b}


def default_executor(settings):
    from ipscreen.campaign.executor import Executor

    return Executor(settings)


def run(folder: Path | str, preset: str | None = None, stages: list[str] | None = None,
        progress: Progress | None = None, executor_factory=None, overrides: dict | None = None,
        ids: list[str] | None = None) -> dict:
    """Run `stages` (default: DEFAULT_STAGES) of the campaign in `folder`, in pipeline order;
    property stages run on `ids` if given, else on the pool. A summary per stage."""
    stages = list(stages or DEFAULT_STAGES)
    for s in stages:
        if s not in STAGES:
            raise InputError(f"unknown stage {s!r} (known: {', '.join(STAGES)})")
    config, store = open_campaign(folder, preset)
    if overrides:
        config = config.with_overrides(overrides)
    summary: dict = {"campaign": str(folder), "preset": config.preset}
    with store:
        if "space" in stages:
            did_work = build_space(config, store, progress)
            summary["space"] = {"built": did_work, "compounds": store.count(), **write_space_outputs(store)}
        if store.count() == 0:
            raise StoreError(f"campaign {folder} has no space yet: run the space stage first")
        if "relax" in stages:
            summary["relax"] = run_relax(config, store, executor_factory or default_executor, progress)
        if "stability" in stages:
            summary["stability"] = run_stability(config, store)
            summary["stability"].update(write_stability_outputs(config, store))
        for stage in PROPERTY_STAGES:
            if stage in stages:
                from ipscreen.campaign.property_stage import run_property

                summary[stage] = run_property(config, store, stage, executor_factory or default_executor, ids,
                                              progress)
        if "mobo" in stages:
            from ipscreen.campaign.mobo_stage import run_mobo

            summary["mobo"] = run_mobo(config, store, executor_factory or default_executor, progress)
        if any(s in stages for s in (*PROPERTY_STAGES, "mobo")):
            write_rows(compound_table(config, store), store.folder / "table.csv", "csv")
    return summary


@dataclass
class SpaceView:
    """Rows and structures of a space, from a preset (enumerated now) or a campaign store."""

    rows: list[dict]
    _structure: Callable[[str], object]

    def structure(self, compound_id: str):
        """pymatgen Structure of one compound (starting geometry, Å)."""
        return self._structure(compound_id)


def space_view(preset: str | None = None, campaign: Path | str | None = None,
               progress: Progress | None = None) -> SpaceView:
    """The space of an embedded preset or of an existing campaign folder."""
    if (preset is None) == (campaign is None):
        raise InputError("give exactly one of --preset or --campaign")
    if campaign is not None:
        from ipscreen.structure_io import structure_from_dict

        store = Store(campaign, create=False)
        rows = store.compound_rows()
        if not rows:
            raise InputError(f"campaign {campaign} has no space yet: run `ipscreen space build --campaign {campaign}`")

        def from_store(cid: str):
            return structure_from_dict(store.structures([cid])[cid])

        return SpaceView(rows, from_store)
    from ipscreen.space import enumerate_space

    compounds = {c.id: c for c in enumerate_space(from_preset(preset).space, progress=progress)}

    def from_memory(cid: str):
        if cid not in compounds:
            raise InputError(f"unknown compound id {cid!r} in preset {preset!r}")
        return compounds[cid].structure

    return SpaceView([c.row() for c in compounds.values()], from_memory)


def write_rows(rows: list[dict], path_or_file, fmt: str = "csv") -> None:
    """Write summary rows as CSV or JSON to a path or an open text file."""
    if fmt not in ("csv", "json"):
        raise InputError(f"unknown format {fmt!r} (known: csv, json)")
    own = isinstance(path_or_file, (str, Path))
    handle = open(path_or_file, "w", newline="") if own else path_or_file
    try:
        if fmt == "json":
            json.dump(rows, handle, indent=1)
            handle.write("\n")
        else:
            columns = list(rows[0]) if rows else list(COMPOUND_COLUMNS)
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if own:
            handle.close()
