"""Files that whole-campaign analysis stages write after they ran (their `Stage.outputs`)."""

from __future__ import annotations

import math
from pathlib import Path

from ipscreen.campaign.config import Config
from ipscreen.campaign.stages import stage_hash
from ipscreen.campaign.store import Store
from ipscreen.report.figures import window_profiles

N_WINDOW_PANELS = 6  # the paper's Fig. 6 shows six compounds


def write_window_outputs(config: Config, store: Store) -> dict[str, Path]:
    """window_profiles.png (Fig. 6): the windows of up to six compounds, highest oxidation limit first
    (none: stable at every voltage, first of all)."""
    results = store.results("window", stage_hash(config, "window"))

    def upper(w: dict) -> float:
        return math.inf if w["oxidation_limit_v"] is None else w["oxidation_limit_v"]

    done = sorted(((cid, r["data"]) for cid, r in results.items() if r["status"] == "done"),
                  key=lambda item: (-upper(item[1]), item[0]))[:N_WINDOW_PANELS]
    if not done:
        return {}
    rows = {r["id"]: r for r in store.compound_rows([cid for cid, _ in done])}
    panels = [(rows[cid]["reduced_formula"], rows[cid]["space_group"], w) for cid, w in done]
    return {"fig6": window_profiles(panels, store.folder / "window_profiles.png")}
