"""Small data shipped with ipscreen, each file with its source in its header."""

from __future__ import annotations

import csv
from importlib import resources


def read_table(name: str) -> list[dict]:
    """Rows of a shipped CSV file (lines starting with '#' are its provenance header)."""
    text = (resources.files("ipscreen.data") / name).read_text()
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


def paper_table2() -> list[dict]:
    """Table 2 of the seed paper: composition, space_group, parent and the DFT values."""
    return read_table("paper_table2.csv")
