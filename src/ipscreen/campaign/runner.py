"""The campaign runner: opens a campaign folder and walks the stage registry.

Stages never call each other; the runner reads their inputs from the store and
writes their outputs back. A plain run walks the default stages (campaign/stages.py:
space, relax, stability, synthesizability, bvse); the others run on request
(``--stages``), on the pool or on given ids. `ipscreen stages` prints the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ipscreen.campaign.config import CAMPAIGN_FILE, Config, from_preset, read_campaign_file, write_campaign_file
from ipscreen.campaign.context import Progress, StageRun
from ipscreen.campaign.drivers import run_campaign, run_compound
from ipscreen.campaign.executor import Executor
from ipscreen.campaign.migrations import migrate
from ipscreen.campaign.stage import Stage, resolve
from ipscreen.campaign.stages import REGISTRY, ordered
from ipscreen.campaign.store import Store
from ipscreen.campaign.table import compound_table, write_rows
from ipscreen.errors import InputError, StoreError
from ipscreen.space import enumerate_space
from ipscreen.structure_io import structure_from_dict


def open_campaign(folder: Path | str, preset: str | None = None) -> tuple[Config, Store]:
    """Read (or create, from `preset`, default "demo") the campaign in `folder`; stores written by
    older versions are migrated on open (campaign/migrations.py).

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
    store = Store(folder)
    migrate(config, store)
    return config, store


def open_existing(folder: Path | str) -> tuple[Config, Store]:
    """An existing campaign (StoreError in one line if `folder` holds none; nothing is created)."""
    Store(folder, create=False).close()
    return open_campaign(folder)


def cluster_overrides(scheduler: str | None = None, workers: int | None = None, serial: bool = False) -> dict | None:
    """The [cluster] override of a command's --scheduler / --serial / --workers options (first given wins), or None."""
    if scheduler:
        return {"cluster": {"executor": "scheduler", "scheduler": scheduler}}
    if serial:
        return {"cluster": {"executor": "serial"}}
    if workers:
        return {"cluster": {"executor": "local", "n_workers": workers}}
    return None


def default_executor(settings):
    return Executor(settings)


def driver(stage: Stage) -> Callable[[StageRun], dict]:
    """The function that runs a stage: its own driver, or the generic one of its kind."""
    if stage.driver is not None:
        return resolve(stage.driver)
    return run_compound if stage.kind == "compound" else run_campaign


def plan(names: list[str], registry: tuple[Stage, ...] = REGISTRY) -> list[Stage]:
    """The stages to run for `names`, in dependency order, with the `after` stages they need
    (e.g. conductivity brings bvse, mobo its descriptors)."""
    by_name = {s.name: s for s in registry}
    wanted: list[str] = []

    def add(name: str) -> None:
        if name in by_name:
            for dep in by_name[name].after:
                if dep != "space" and dep not in wanted:
                    add(dep)
        if name not in wanted:
            wanted.append(name)

    ordered(names, registry)  # unknown names fail here, with the list of known ones
    for n in names:
        add(n)
    return ordered(wanted, registry)


def run(folder: Path | str, preset: str | None = None, stages: list[str] | None = None,
        progress: Progress | None = None, executor_factory=None, overrides: dict | None = None,
        ids: list[str] | None = None, registry: tuple[Stage, ...] = REGISTRY, echo=None, report: bool = False) -> dict:
    """Run `stages` (default: the campaign's pipeline, [run] stages or the registry's default stages) of the
    campaign in `folder`, in dependency order; compound stages run on `ids` if given, else on their pool. With
    `report`, write report.html at the end. A summary per stage."""
    if stages:
        plan(list(stages), registry)  # unknown names fail before anything is written
    config, store = open_campaign(folder, preset)
    if overrides:
        config = config.with_overrides(overrides)
    names = list(stages or (config.pipeline if registry is REGISTRY else [s.name for s in registry if s.default]))
    steps = plan(names, registry)
    if any(s.backend for s in steps):
        from ipscreen.energy.device import resolve_device

        resolve_device(config.energy.device)  # "cuda" without a GPU: one line now, not a failure per compound
    summary: dict = {"campaign": str(folder), "preset": config.preset}
    with store:
        for stage in steps:
            if stage.name != "space" and store.count() == 0:
                raise StoreError(f"campaign {folder} has no space yet: run the space stage first")
            step = StageRun(stage, config, store, executor_factory or default_executor, progress, ids, registry,
                            echo)
            summary[stage.name] = driver(stage)(step)
            if stage.outputs is not None:
                files = resolve(stage.outputs)(config, store)
                summary[stage.name].update(files)
                if files:
                    summary[stage.name]["message"] += "; " + ", ".join(map(str, files.values()))
        if any(s.columns and s.name != "relax" for s in steps):
            write_rows(compound_table(config, store, registry), store.folder / "table.csv", "csv")
        if report:
            from ipscreen.campaign.report import write_report

            summary["report"] = str(write_report(config, store))
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
        store = Store(campaign, create=False)
        rows = store.compound_rows()
        if not rows:
            raise InputError(f"campaign {campaign} has no space yet: run `ipscreen space build --campaign {campaign}`")

        def from_store(cid: str):
            return structure_from_dict(store.structures([cid])[cid])

        return SpaceView(rows, from_store)
    compounds = {c.id: c for c in enumerate_space(from_preset(preset).space, progress=progress)}

    def from_memory(cid: str):
        if cid not in compounds:
            raise InputError(f"unknown compound id {cid!r} in preset {preset!r}")
        return compounds[cid].structure

    return SpaceView([c.row() for c in compounds.values()], from_memory)
