"""The campaign report (`ipscreen report`, and the end of `ipscreen run`): what the store holds, in the
paper's order, as one self-contained page, `report.html` in the campaign folder.

Each section redraws its figures from the stored results under the campaign's current settings (the
same files the stages write), so the report can be rewritten at any time, also for a partial campaign:
a section whose stage has not run says so and how to run it. Settings that differ from the paper
preset are listed in each section, so demo-grade numbers are marked as such.
"""

from __future__ import annotations

import csv
import functools
import json
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

from ipscreen.campaign.config import Config, from_preset
from ipscreen.campaign.context import versions
from ipscreen.campaign.stages import BY_NAME, REGISTRY, stage_hash
from ipscreen.campaign.store import Store
from ipscreen.campaign.table import compound_table
from ipscreen.errors import StoreError
from ipscreen.report.html import Figure, Link, Markup, Section, Table, data_uri, render

REPORT_FILE = "report.html"
N_ARRHENIUS = 6  # Arrhenius panels shown (the lowest activation energies first)

# The seed paper (Jalem, Tateyama, Takada, Jang): compounds screened and those with E_d < 0.1 eV/atom
# (section "High-throughput screening"), and the MOBO Pareto set of Table 2.
PAPER_SPACE = 10173
PAPER_METASTABLE = 1501
PAPER_TABLE2 = 25


def write_report(config: Config, store: Store, path: Path | str | None = None) -> Path:
    """Write the report of the campaign in `store.folder` (default `report.html` there); its path."""
    rows = compound_table(config, store)
    present = {(stage, h) for stage, h, _status, _n in store.result_counts()}
    sections = [
        _space(config, store, rows),
        _stability(config, store, rows, present),
        _synthesizability(config, store, rows, present),
        _mobo(config, store, rows, present),
        _conductivity(config, store, rows, present),
        _window(config, store, present),
        _interfaces(config, store, present),
        _synthesis(config, store, present),
        _provenance(config, store),
    ]
    description = config.raw.get("description") or ""
    subtitle = [f"campaign {store.folder.resolve()} · preset {config.preset}" + (f": {description}" if description
                                                                                  else ""),
                f"{len(rows):,} compounds · energy backend {config.energy.backend} {config.energy.model} · written "
                f"{time.strftime('%Y-%m-%d %H:%M', time.localtime())}"]
    return render("ipscreen report: Li-rich inverse-perovskite solid electrolytes", subtitle, sections,
                  path or store.folder / REPORT_FILE)


# --- helpers ------------------------------------------------------------------------------------------------------

def _has(config: Config, stage: str, present: set[tuple[str, str]]) -> bool:
    """Whether `stage` has results under the current settings (`present`: the store's (stage, hash) pairs)."""
    return (stage, stage_hash(config, stage)) in present


def _not_run(stage: str, folder: Path, extra: str = "") -> str:
    return (f"Not run yet with these settings{extra}: `ipscreen run --campaign {folder} --stages {stage}` "
            "computes it, then `ipscreen report` rewrites this page.")


def _section_of(config: Config, store: Store, present: set, stage: str, title: str, run: str | None = None,
                extra: str = "") -> Section:
    """The section of `stage`: empty, or saying how to run it (`run`: the stages to name) when it has no results."""
    section = Section(stage, title)
    if not _has(config, stage, present):
        section.missing = _not_run(run or stage, store.folder, extra)
    return section


def _flat(value, prefix: str = "") -> dict:
    if is_dataclass(value):
        value = asdict(value)
    elif hasattr(value, "to_dict"):
        value = value.to_dict()
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: value}


@functools.cache
def _paper() -> Config:
    return from_preset("paper")


def differences(config: Config, stage: str) -> list[str]:
    """`key value (paper preset: value)` for each setting of `stage` that differs from the paper preset's."""
    if BY_NAME[stage].table is None or config.preset == "paper":
        return []
    ours, paper = _flat(config.stage_settings(stage)), _flat(_paper().stage_settings(stage))
    if stage == "mobo":  # objectives by name, not their full declarations
        ours["objectives"] = [o["name"] for o in ours.pop("objectives")]
        paper["objectives"] = [o["name"] for o in paper.pop("objectives")]
    out = [f"{k} {_short(ours[k])} (paper preset: {_short(paper.get(k))})" for k in sorted(ours)
           if ours[k] != paper.get(k) and not k.startswith("parents")]
    if any(k.startswith("parents") and ours[k] != paper.get(k) for k in ours):
        out.append("parents' cell sizes and alloying (a slice of the paper's orderings)")
    return out


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _grade(config: Config, *stages: str) -> list[str]:
    diffs = [d for s in stages for d in differences(config, s)]
    if not diffs:
        return []
    return [f"Settings that differ from the paper preset ({config.preset} preset; numbers are "
            f"{'demo' if config.preset == 'demo' else 'campaign'}-grade): " + "; ".join(diffs) + "."]


def _formula(formula: str) -> Markup:
    from pymatgen.util.string import htmlify

    return Markup(htmlify(formula))


def _cif_link(store: Store, relaxed: dict, cid: str) -> Link | None:
    """A download link to the relaxed structure of `cid` as CIF (a data URI: the page stays one file)."""
    from pymatgen.io.cif import CifWriter

    from ipscreen.structure_io import structure_from_dict

    data = (relaxed.get(cid) or {}).get("data") or {}
    if "structure" not in data:
        return None
    text = str(CifWriter(structure_from_dict(data["structure"])))
    return Link("CIF", data_uri(text.encode(), "chemical/x-cif"), download=f"{cid}.cif")


# --- sections, in the paper's order -------------------------------------------------------------------------------

def _space(config: Config, store: Store, rows: list[dict]) -> Section:
    from ipscreen.report.figures import PARENT_STYLE, tolerance_histogram

    section = Section("space", "Chemical space")
    if not rows:
        section.missing = _not_run("space", store.folder)
        return section
    counts = {p: sum(r["parent"] == p for r in rows) for p in PARENT_STYLE}
    space = config.space
    section.paragraphs.append(
        f"{len(rows):,} compounds (paper: {PAPER_SPACE:,}) from X = {', '.join(space.x_elements)} and "
        f"Z = {', '.join(space.z_elements)}: " + ", ".join(f"{n:,} {p}" for p, n in counts.items()) + ".")
    section.notes += _grade(config, "space")
    png = tolerance_histogram(rows, store.folder / "space_tolerance.png")
    section.figures.append(Figure("Goldschmidt-type tolerance factor t_G,ip (eq. 24) per parent structure.", png))
    return section


def _stability(config: Config, store: Store, rows: list[dict], present: set) -> Section:
    from ipscreen.campaign.table import write_stability_outputs

    section = _section_of(config, store, present, "stability", "Relaxation and stability: E_d (Fig. 3)",
                          "relax,stability")
    if section.missing:
        return section
    files = write_stability_outputs(config, store, rows)
    threshold = config.stability.threshold
    done = [r for r in rows if r["e_above_hull_ev_per_atom"] is not None]
    meta = sum(r["e_above_hull_ev_per_atom"] < threshold for r in done)
    failed = sum(r["status"] == "failed" for r in rows)
    section.paragraphs.append(
        f"{meta:,} of {len(done):,} compounds have E_d < {threshold} eV/atom above the convex hull of the relaxed "
        f"compounds and reference phases (paper: {PAPER_METASTABLE:,} of {PAPER_SPACE:,}); {failed:,} relaxations "
        f"failed. Backend {config.energy.backend} {config.energy.model}, optimiser {config.relax.optimizer}, "
        f"fmax {config.relax.fmax} eV/Å.")
    section.notes += _grade(config, "relax", "stability")
    section.figures += [Figure("Fig. 3a: E_d against the tolerance factor, the E_d threshold dashed.", files["fig3a"]),
                        Figure("Fig. 3b: lowest E_d over the weighted X and Z radii.", files["fig3b"])]
    return section


def _synthesizability(config: Config, store: Store, rows: list[dict], present: set) -> Section:
    from ipscreen.report.figures import PAPER_REGIONS, ls_regions, ls_vs_ed

    section = _section_of(config, store, present, "synthesizability", "Synthesis likelihood L_s against E_d (Fig. 9a)")
    if section.missing:
        return section
    settings = config.stage_settings("synthesizability")
    e_t, l_t = config.stability.threshold, settings.threshold
    png = ls_vs_ed(rows, store.folder / "synthesizability_ls_vs_ed.png", e_t, l_t)
    counts = ls_regions(rows, e_t, l_t)
    total = max(counts["total"], 1)
    names = {1: f"L_s > {l_t}, E_d < {e_t}", 2: f"L_s > {l_t}, E_d ≥ {e_t}", 3: f"L_s ≤ {l_t}, E_d < {e_t}",
             4: f"L_s ≤ {l_t}, E_d ≥ {e_t}"}
    section.paragraphs.append(
        f"L_s from the {settings.scorer} scorer for {counts['total']:,} compounds; the four regions of the paper's "
        f"Fig. 9a with their counts next to the paper's ({PAPER_REGIONS['total']:,} compounds, PU-learning "
        "crystal-likeness score).")
    if settings.scorer != "pu":
        section.notes.append(f"L_s here is the {settings.scorer} scorer's, not the paper's PU classifier "
                             "(set [synthesizability] scorer = \"pu\" with a model file for it).")
    section.figures.append(Figure("Fig. 9a: L_s against E_d; thresholds dashed; regions (1)-(4) with their counts.",
                                  png))
    section.tables.append(Table(
        ["region", "criteria", "compounds", "share", "paper", "paper share"],
        [[str(k), names[k], counts[k], f"{100 * counts[k] / total:.1f}%", PAPER_REGIONS[k],
          f"{100 * PAPER_REGIONS[k] / PAPER_REGIONS['total']:.1f}%"] for k in (1, 2, 3, 4)],
        "Fig. 9a regions"))
    return section


def _mobo(config: Config, store: Store, table: list[dict], present: set) -> Section:
    from ipscreen.campaign.mobo_stage import mobo_rows, objective_column, write_mobo_outputs
    from ipscreen.report.interactive import pareto_figure

    section = _section_of(config, store, present, "mobo",
                          "Multi-objective Bayesian optimisation and its Pareto set (Fig. 5, Table 2)")
    if section.missing:
        return section
    settings = config.stage_settings("mobo")
    try:
        rows, best = mobo_rows(config, store, table)
    except StoreError as exc:  # a run stopped before its first iteration: say so rather than fail the page
        section.missing = f"No finished MOBO iteration yet ({exc})."
        return section
    files = write_mobo_outputs(config, store, rows=(rows, best))
    objectives = [o.as_dict() | {"name": objective_column(o)} for o in settings.objectives]
    front = [r for r in rows if r["pareto"]]
    section.paragraphs.append(
        f"Objectives: {', '.join(o['label'] + (' (min)' if o['direction'] == 'min' else ' (max)') for o in objectives)}"
        f"; strategy {settings.loop.strategy}; {len(rows):,} compounds evaluated, {len(front):,} non-dominated "
        f"(the paper's Table 2 lists {PAPER_TABLE2}).")
    section.notes += _grade(config, "mobo", *dict.fromkeys(o.stage for o in settings.objectives
                                                         if BY_NAME[o.stage].table))
    section.figures.append(Figure("Fig. 5a: best value of each objective per iteration.", files["fig5a"]))
    if len(objectives) == 3:
        section.figures.append(Figure("Fig. 5b: the evaluated compounds in objective space (drag to rotate); "
                                      "Pareto-optimal ones coloured by parent.",
                                      plotly=pareto_figure(rows, objectives).update_layout(height=640)))
    relaxed = store.results("relax", stage_hash(config, "relax"), [r["id"] for r in front])
    shown = [o for o in objectives if o["name"] not in ("e_above_hull_ev_per_atom", "synthesizability")]
    columns = ["id", "formula", "space group", "parent", "E_d (eV/atom)", "L_s"] + [o["label"] for o in shown]
    section.tables.append(Table(columns + ["structure"], [
        [r["id"], _formula(r["formula"]), r["space_group"], r["parent"], r["e_above_hull_ev_per_atom"],
         r.get("synthesizability")] + [r[o["name"]] for o in shown] + [_cif_link(store, relaxed, r["id"])]
        for r in front], "Table 2: the Pareto set (relaxed structures as CIF)"))
    return section


def _conductivity(config: Config, store: Store, rows: list[dict], present: set) -> Section:
    from ipscreen.report.figures import arrhenius

    section = _section_of(config, store, present, "conductivity", "Li+ conductivity from ML-potential MD (Arrhenius)",
                          extra=" (the demo's MOBO uses the BVSE barrier instead)")
    if section.missing:
        return section
    results = store.results("conductivity", stage_hash(config, "conductivity"))
    bvse = store.results("bvse", stage_hash(config, "bvse"))
    done = sorted(((cid, r["data"]) for cid, r in results.items() if r["status"] == "done"),
                  key=lambda item: (item[1].get("activation_energy_ev") is None, item[1].get("activation_energy_ev"),
                                    item[0]))
    by_id = {r["id"]: r for r in rows}
    section.paragraphs.append(f"{len(done):,} compounds with MD conductivity; the {min(N_ARRHENIUS, len(done))} "
                              "with the lowest activation energy are shown.")
    section.notes += _grade(config, "conductivity")
    for cid, data in done[:N_ARRHENIUS]:
        extra = {"bvse_barrier_ev": (bvse.get(cid, {}).get("data") or {}).get("bvse_barrier_ev")}
        png = arrhenius({**data, **extra}, store.folder / "arrhenius" / f"{cid}.png")
        section.figures.append(Figure(f"{by_id[cid]['space_group']} {by_id[cid]['reduced_formula']} ({cid})", png))
    section.tables.append(Table(["id", "formula", "E_a (eV)", "Λ(400 K) (S/cm)"], [
        [cid, _formula(by_id[cid]["reduced_formula"]), d.get("activation_energy_ev"),
         d.get("conductivity_400k_s_per_cm")] for cid, d in done]))
    return section


def _window(config: Config, store: Store, present: set) -> Section:
    from ipscreen.campaign.outputs import write_window_outputs

    section = _section_of(config, store, present, "window", "Electrochemical window (Fig. 6)")
    if section.missing:
        return section
    files = write_window_outputs(config, store)
    results = store.results("window", stage_hash(config, "window"))
    done = {cid: r["data"] for cid, r in results.items() if r["status"] == "done"}
    names = {r["id"]: r for r in store.compound_rows(list(done))}
    section.paragraphs.append(f"Li grand-potential phase stability of {len(done):,} compounds against Li/Li+; "
                              "reduction and oxidation limits with the phases each side decomposes to.")
    if "fig6" in files:
        section.figures.append(Figure("Fig. 6: Li uptake against voltage; the window shaded.", files["fig6"]))
    section.tables.append(Table(
        ["id", "formula", "space group", "reduction limit (V)", "oxidation limit (V)", "reduced to", "oxidised to"],
        [[cid, _formula(names[cid]["reduced_formula"]), names[cid]["space_group"], w["reduction_limit_v"],
          w["oxidation_limit_v"], " + ".join(w["reduction_products"]), " + ".join(w["oxidation_products"])]
         for cid, w in sorted(done.items())]))
    return section


def _interfaces(config: Config, store: Store, present: set) -> Section:
    from ipscreen.campaign.outputs import write_interface_outputs

    section = _section_of(config, store, present, "interfaces", "Reactivity with cathodes (Fig. 7)")
    if section.missing:
        return section
    files = write_interface_outputs(config, store)
    cathodes = list(config.stage_settings("interfaces").cathodes)
    section.paragraphs.append(f"Most negative mutual reaction energy (eq. 25) of each compound with "
                              f"{', '.join(cathodes)} over the mixing ratio.")
    section.notes += _grade(config, "interfaces")
    if "fig7a" in files:
        section.figures += [Figure(f"Fig. 7a: reaction energy against the fraction of {cathodes[0]}.", files["fig7a"]),
                            Figure("Fig. 7b: minimum reaction energy (meV/atom), compounds × cathodes.",
                                   files["fig7b"])]
        with open(files["interfaces"]) as fh:
            table = list(csv.DictReader(fh))
        section.tables.append(Table(["id", "formula", "space group"] + [f"{c} (eV/atom)" for c in cathodes], [
            [r["id"], _formula(r["formula"]), r["space_group"]] + [_number(r[f"{c}_ev_per_atom"]) for c in cathodes]
            for r in table]))
    return section


def _synthesis(config: Config, store: Store, present: set) -> Section:
    from ipscreen.campaign.outputs import write_synthesis_outputs

    section = _section_of(config, store, present, "synthesis", "Solid-state synthesis routes (Fig. 10, Table 3)")
    if section.missing:
        return section
    files = write_synthesis_outputs(config, store)
    settings = config.stage_settings("synthesis")
    section.paragraphs.append(
        f"Reactions from the precursor library at {settings.temperature_k:g} K ranked by nucleation barrier and number "
        f"of competing phases ({settings.competition} competition rule); the Pareto-front routes of each target.")
    section.notes += _grade(config, "synthesis")
    if "fig10" in files:
        section.figures.append(Figure("Fig. 10: every route as (competing phases, nucleation barrier); front dashed.",
                                      files["fig10"]))
        with open(files["table3"]) as fh:
            table = list(csv.DictReader(fh))
        section.tables.append(Table(
            ["route", "target", "space group", "reaction", "ΔG (eV/atom)", "barrier (eV)", "competing phases",
             "rank depends on ΔG"],
            [[r["route"], _formula(r["formula"]), r["space_group"], r["reaction"],
              _number(r["reaction_energy_ev_per_atom"]), _number(r["nucleation_barrier_ev"]),
              int(r["competing_phases"]), r["front_depends_on_energy"] == "True"] for r in table],
            "Table 3: Pareto-front routes"))
    return section


def _number(text: str):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text or None


def _provenance(config: Config, store: Store) -> Section:
    section = Section("provenance", "Provenance")
    now = versions()
    section.paragraphs.append("Versions now: " + ", ".join(f"{k} {v}" for k, v in now.items()) + ".")
    runs = store.stage_runs()
    table = []
    for run in runs:
        current = run["stage"] in BY_NAME and stage_hash(config, run["stage"]) == run["settings_hash"]
        wall = run["settings"].get("wall_seconds")
        table.append([run["stage"], run["settings_hash"], "yes" if current else "no (older settings)",
                      run["n_records"], time.strftime("%Y-%m-%d %H:%M", time.localtime(run["completed_at"])),
                      wall, run["versions"].get("ipscreen"), run["versions"].get("sevenn")])
    section.tables.append(Table(["stage", "settings hash", "current settings", "records", "completed",
                                 "wall time (s)", "ipscreen", "sevenn"], table,
                                "Completed stage runs (wall time of the run that completed the stage)"))
    known = [s.name for s in REGISTRY]
    for run in sorted(runs, key=lambda r: known.index(r["stage"]) if r["stage"] in known else len(known)):
        section.details.append((f"{run['stage']} {run['settings_hash']}: settings and versions",
                                json.dumps({"settings": run["settings"], "versions": run["versions"]}, indent=1,
                                           sort_keys=True, default=str)))
    return section
