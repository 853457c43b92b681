"""Records that whole-campaign stages read and return (no store, no executor).

A record is a subject id (compound id, or ``ref:FORMULA-...`` for a reference phase)
with a stored result ``{"status": "done" | "failed" | ..., "data": {...}, "reason": str}``;
values carry their units in their names (``e_above_hull_ev_per_atom``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Row = tuple  # (subject, status, data dict or None, reason)


def elements_of(row: dict) -> set[str]:
    """The elements of a compound summary row: Li and its X and Z elements."""
    return {"Li"} | set(row["x_elements"].split(",")) | set(row["z_elements"].split(","))


@dataclass(frozen=True)
class StageInput:
    """What a whole-campaign stage function gets."""

    settings: Any  # the stage's validated settings (None if it has no table)
    compounds: list[dict]  # summary rows of the space, enumeration order (id, formula, parent, ...)
    inputs: dict[str, dict[str, dict]]  # {input stage: {subject: stored result}} under the current settings
    energy: Any  # the campaign's energy settings (backend, model, corrections)
    folder: Path | None = None  # campaign folder, for figures
    ids: list[str] | None = None  # compounds asked for (`--ids`); None: the stage chooses (e.g. its pool)
    committee: Any = None  # energy settings of the second backend ([committee]) whose results it reads, or None
    # map(name, fn, {key: payload}) -> {key: fn(payload)}: independent tasks of the stage on the campaign's workers
    # (fn a module-level function; a task that raises gives {"status": "failed", "reason": ...}); None: run them here
    map: Any = None


@dataclass
class StageOutput:
    """What a whole-campaign stage function returns: every result row, replacing the stage's
    previous rows under the same settings, and a summary for the CLI."""

    rows: list[Row]
    summary: dict = field(default_factory=dict)
