"""The space stage's driver: enumerate the campaign's space into the store, once."""

from __future__ import annotations

from pathlib import Path

from ipscreen.campaign.context import StageRun, versions
from ipscreen.campaign.store import Store
from ipscreen.campaign.table import write_rows
from ipscreen.report.figures import tolerance_histogram
from ipscreen.space import enumerate_space


def run(run: StageRun) -> dict:
    """Enumerate the space unless this campaign already has it; space.csv and the t_G,ip histogram."""
    h = run.hash
    built = not run.store.is_complete("space", h)
    if built:
        compounds = enumerate_space(run.settings, progress=run.progress)
        run.store.write_space(compounds, run.settings.to_dict(), h, versions())
    n = run.store.count()
    files = write_outputs(run.store)
    return {"built": built, "compounds": n, **files,
            "message": f"{n:,} compounds ({'built' if built else 'already built'}); {files['table']}, {files['plot']}"}


def write_outputs(store: Store) -> dict[str, Path]:
    """space.csv and space_tolerance.png in the campaign folder."""
    rows = store.compound_rows()
    table = store.folder / "space.csv"
    write_rows(rows, table, "csv")
    plot = tolerance_histogram(rows, store.folder / "space_tolerance.png")
    return {"table": table, "plot": plot}
