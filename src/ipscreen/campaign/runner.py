"""The campaign runner: opens a campaign folder and runs its stages in order.

Stages never call each other; the runner reads their inputs from the store and
writes their outputs back. Today's stages: ``space``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ipscreen.campaign.config import CAMPAIGN_FILE, Config, from_preset, read_campaign_file, write_campaign_file
from ipscreen.campaign.store import COMPOUND_COLUMNS, Store
from ipscreen.errors import InputError

STAGES = ("space",)
Progress = Callable[[str, int, int], None]


def versions() -> dict:
    """Versions of ipscreen and of the tools whose output is stored."""
    from importlib.metadata import version

    return {pkg: version(pkg) for pkg in ("ipscreen", "icet", "spglib", "pymatgen")}


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

    settings_hash = config.space.settings_hash()
    if store.is_complete("space", settings_hash):
        return False
    compounds = enumerate_space(config.space, progress=progress)
    store.write_space(compounds, config.space.to_dict(), settings_hash, versions())
    return True


def write_space_outputs(store: Store) -> dict[str, Path]:
    """space.csv and space_tolerance.png in the campaign folder."""
    from ipscreen.report.figures import tolerance_histogram

    rows = store.compound_rows()
    table = store.folder / "space.csv"
    write_rows(rows, table, "csv")
    plot = tolerance_histogram(rows, store.folder / "space_tolerance.png")
    return {"table": table, "plot": plot}


def run(folder: Path | str, preset: str | None = None, stages: list[str] | None = None,
        progress: Progress | None = None) -> dict:
    """Run `stages` (default: all) of the campaign in `folder`; returns a summary per stage."""
    stages = list(stages or STAGES)
    for s in stages:
        if s not in STAGES:
            raise InputError(f"unknown stage {s!r} (known: {', '.join(STAGES)})")
    config, store = open_campaign(folder, preset)
    summary: dict = {"campaign": str(folder), "preset": config.preset}
    with store:
        if "space" in stages:
            did_work = build_space(config, store, progress)
            summary["space"] = {"built": did_work, "compounds": store.count(), **write_space_outputs(store)}
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
        from pymatgen.core import Lattice, Structure

        store = Store(campaign, create=False)
        rows = store.compound_rows()
        if not rows:
            raise InputError(f"campaign {campaign} has no space yet: run `ipscreen space build --campaign {campaign}`")

        def from_store(cid: str):
            d = store.structures([cid])[cid]
            return Structure(Lattice(d["lattice"]), d["species"], d["frac_coords"])

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
