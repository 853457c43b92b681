"""The campaign table: one row per compound, the columns of every stage that owns some
(Stage.columns), and the files made from it (table.csv, Fig. 3a/3b)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ipscreen.campaign.config import Config
from ipscreen.campaign.stages import REGISTRY, stage_hash
from ipscreen.campaign.store import COMPOUND_COLUMNS, Store
from ipscreen.errors import InputError
from ipscreen.report.figures import ed_contour, ed_vs_tolerance

SPACE_COLUMNS = ("id", "formula", "reduced_formula", "space_group", "parent", "x_elements", "z_elements",
                 "x_fraction", "z_fraction", "n_atoms", "tolerance_factor")
ALWAYS = ("relax", "stability")  # their columns are present (blank) before they ran; status follows them


def compound_table(config: Config, store: Store, registry=REGISTRY) -> list[dict]:
    """One row per compound: space columns, then each stage's columns in pipeline order (relax and
    stability always, the others where they have results), and `status`/`reason` through relax
    and stability ("pending", "relaxed", "converged", "failed", ...)."""
    present = {stage for stage, _h, _status, _n in store.result_counts()}
    stages = [s for s in registry if s.columns and (s.name in ALWAYS or s.name in present)]
    results = {s.name: store.results(s.name, stage_hash(config, s.name, registry)) for s in stages}
    relaxed, stable = results.get("relax", {}), results.get("stability", {})
    table = []
    for r in store.compound_rows():
        cid = r["id"]
        row = {c: r[c] for c in SPACE_COLUMNS}
        for s in stages:
            data = results[s.name].get(cid, {}).get("data") or {}
            row.update({c: _cell(data.get(c)) for c in s.columns})
            if s.name == "stability":
                rel, st = relaxed.get(cid, {}), stable.get(cid, {})
                status = st.get("status") or (rel.get("status") and "relaxed") or "pending"
                row["status"] = rel["status"] if status == "done" else status
                row["reason"] = st.get("reason") or rel.get("reason") or ""
        table.append(row)
    return table


def _cell(value):
    """A table cell: lists (e.g. decomposition products) as "A + B"."""
    return " + ".join(map(str, value)) if isinstance(value, list) else value


def write_stability_outputs(config: Config, store: Store, rows: list[dict] | None = None) -> dict[str, Path]:
    """table.csv, stability_ed_vs_t.png (Fig. 3a) and stability_contour.png (Fig. 3b) (`rows`: the campaign table
    if the caller has it)."""
    rows = rows if rows is not None else compound_table(config, store)
    table = store.folder / "table.csv"
    write_rows(rows, table, "csv")
    fig_a = ed_vs_tolerance(rows, store.folder / "stability_ed_vs_t.png", config.stability.threshold)
    fig_b = ed_contour(rows, store.folder / "stability_contour.png")
    return {"table": table, "fig3a": fig_a, "fig3b": fig_b}


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
