"""Files that whole-campaign analysis stages write after they ran (their `Stage.outputs`)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ipscreen.campaign.config import Config
from ipscreen.campaign.stages import stage_hash
from ipscreen.campaign.store import Store
from ipscreen.report.figures import interface_curves, interface_heatmap, synthesis_fronts, window_profiles

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


def write_interface_outputs(config: Config, store: Store) -> dict[str, Path]:
    """interfaces.csv (compounds x cathodes, eV/atom), interfaces_heatmap.png (Fig. 7b) and interfaces_vs_x.png
    (Fig. 7a: every compound's reaction energy against x with the first cathode of the settings)."""
    results = store.results("interfaces", stage_hash(config, "interfaces"))
    cathodes = list(config.stage_settings("interfaces").cathodes)
    done = sorted(((cid, r["data"]) for cid, r in results.items() if r["status"] == "done"),
                  key=lambda item: (item[1]["reactions"][cathodes[0]]["reaction_energy_ev_per_atom"], item[0]))
    if not done:
        return {}
    rows = {r["id"]: r for r in store.compound_rows([cid for cid, _ in done])}
    labels = [f"{rows[cid]['space_group']} {rows[cid]['reduced_formula']}" for cid, _ in done]
    energies = [[d["reactions"][c]["reaction_energy_ev_per_atom"] for c in cathodes] for _cid, d in done]
    table = store.folder / "interfaces.csv"
    with open(table, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "formula", "space_group"] + [f"{c}_ev_per_atom" for c in cathodes]
                        + [f"{c}_mixing_ratio" for c in cathodes] + [f"{c}_products" for c in cathodes]
                        + [f"{c}_spread_ev_per_atom" for c in cathodes] + [f"{c}_uncertain" for c in cathodes])
        for (cid, d) in done:
            r = d["reactions"]
            writer.writerow([cid, rows[cid]["reduced_formula"], rows[cid]["space_group"]]
                            + [r[c]["reaction_energy_ev_per_atom"] for c in cathodes]
                            + [r[c]["mixing_ratio"] for c in cathodes]
                            + [" + ".join(r[c]["products"]) or "no reaction" for c in cathodes]
                            + [r[c].get("spread_ev_per_atom", "") for c in cathodes]
                            + [r[c].get("uncertain", "") for c in cathodes])
    curves = [(label, d["reactions"][cathodes[0]]["curve"]) for label, (_cid, d) in zip(labels, done)]
    flags = [[bool(d["reactions"][c].get("uncertain")) for c in cathodes] for _cid, d in done]
    return {"fig7a": interface_curves(curves, cathodes[0], store.folder / "interfaces_vs_x.png"),
            "fig7b": interface_heatmap(labels, cathodes, energies, store.folder / "interfaces_heatmap.png", flags),
            "interfaces": table}


N_SYNTHESIS_PANELS = 6  # the paper's Fig. 10 shows six targets


def write_synthesis_outputs(config: Config, store: Store) -> dict[str, Path]:
    """synthesis_routes.csv (Table 3: the Pareto-front routes of every target, labelled Δ1, Δ2, ...) and
    synthesis_routes.png (Fig. 10, up to six targets, fewest front routes' competing phases first)."""
    results = store.results("synthesis", stage_hash(config, "synthesis"))
    done = sorted(((cid, r["data"]) for cid, r in results.items() if r["status"] == "done"),
                  key=lambda item: (item[1]["synthesis_competing_phases"] is None,
                                    item[1]["synthesis_competing_phases"] or 0, item[0]))
    if not done:
        return {}
    rows = {r["id"]: r for r in store.compound_rows([cid for cid, _ in done])}
    table = store.folder / "synthesis_routes.csv"
    label = 0
    with open(table, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["route", "id", "formula", "space_group", "reaction", "precursors", "released_gases",
                         "reaction_energy_ev_per_atom", "nucleation_barrier_ev", "barrier_low_ev", "barrier_high_ev",
                         "competing_phases", "competing", "front_depends_on_energy"])
        for cid, d in done:
            for r in sorted((r for r in d["routes"] if r["pareto"]), key=lambda r: r["competing_phases"]):
                label += 1
                writer.writerow([f"Δ{label}", cid, rows[cid]["reduced_formula"], rows[cid]["space_group"], r["reaction"],
                                 " + ".join(r["precursors"]), " + ".join(r["released_gases"]),
                                 r["reaction_energy_ev_per_atom"], r["nucleation_barrier"], *r["barrier_range"],
                                 r["competing_phases"], " + ".join(r["competing"]), r["front_depends_on_energy"]])
    panels = [(f"{rows[cid]['space_group']} {rows[cid]['reduced_formula']}", d["routes"])
              for cid, d in done[:N_SYNTHESIS_PANELS]]
    return {"fig10": synthesis_fronts(panels, store.folder / "synthesis_routes.png"), "table3": table}
