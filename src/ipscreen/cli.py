"""The `ipscreen` command line. Thin: parse, call one function, print.

Heavy libraries are imported inside the commands, so `ipscreen --help` is instant.
Every IpscreenError ends the command with one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from ipscreen.commands.analyze import analyze_app
from ipscreen.commands.console import err_console, progress_bar
from ipscreen.commands.mobo import mobo_app
from ipscreen.commands.property import property_app
from ipscreen.commands.synthesizability import synthesizability_app

app = typer.Typer(help="Screen Li-rich inverse-perovskite solid electrolytes.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
space_app = typer.Typer(help="The chemical space: enumerate, list, count, export, plot.", no_args_is_help=True)
app.add_typer(space_app, name="space")
app.add_typer(property_app, name="property")
app.add_typer(synthesizability_app, name="synthesizability")
app.add_typer(mobo_app, name="mobo")
app.add_typer(analyze_app, name="analyze")

PresetOpt = typer.Option(None, "--preset", "-p", help="Embedded preset: demo, paper or extended.")
CampaignOpt = typer.Option(None, "--campaign", "-c", help="Campaign folder (campaign.toml + store).")


class TableFormat(str, Enum):
    csv = "csv"
    json = "json"


class StructureFormat(str, Enum):
    cif = "cif"
    extxyz = "extxyz"


_err_console = err_console
_progress = progress_bar


def _view(preset: Optional[str], campaign: Optional[Path]):
    from ipscreen.campaign.runner import space_view

    if preset is None and campaign is None:
        preset = "demo"
    with _progress("enumerating") as update:
        return space_view(preset=preset, campaign=campaign, progress=update)


def _filter_formula(rows: list[dict], formula: Optional[str]) -> list[dict]:
    if not formula:
        return rows
    from pymatgen.core import Composition

    from ipscreen.errors import InputError
    from ipscreen.space.settings import X_GROUP, Z_GROUP

    try:
        target = Composition(formula).fractional_composition
        if target.num_atoms == 0:
            raise ValueError("empty")
    except Exception:
        raise InputError(f"bad formula {formula!r}: write it like Li3OCl or Li6O2ClBr") from None
    foreign = sorted(el.symbol for el in target.elements if el.symbol not in ("Li", *X_GROUP, *Z_GROUP))
    if foreign:
        raise InputError(f"bad formula {formula!r}: {', '.join(foreign)} is not in the space (Li, {', '.join(X_GROUP)}, "
                         f"{', '.join(Z_GROUP)})")
    cache: dict[str, bool] = {}
    out = []
    for r in rows:
        f = r["reduced_formula"]
        if f not in cache:
            cache[f] = Composition(f).fractional_composition.almost_equals(target, rtol=0, atol=1e-4)
        if cache[f]:
            out.append(r)
    return out


def _stages_help() -> str:
    from ipscreen.campaign.stages import REGISTRY

    default = ",".join(st.name for st in REGISTRY if st.default)
    rest = ", ".join(st.name for st in REGISTRY if not st.default)
    return (f"Comma-separated stages (default: the campaign's [run] stages, else {default}); on request: {rest}. "
            "Compound stages run on the pool (E_d and L_s filters) or --ids; `ipscreen stages` lists the pipeline.")


@app.command()
def run(
    campaign: Optional[Path] = CampaignOpt,
    preset: Optional[str] = PresetOpt,
    stages: Optional[str] = typer.Option(None, help=_stages_help()),
    ids: Optional[str] = typer.Option(None, help="Comma-separated compound ids for the stages that run per compound "
                                                 "(the oracles, window); default: each stage's pool."),
    scheduler: Optional[str] = typer.Option(None, help="Address of a running Dask scheduler, tcp://HOST:PORT."),
    workers: Optional[int] = typer.Option(None, help="Worker processes of the local Dask cluster (default: cores)."),
    serial: bool = typer.Option(False, "--serial", help="Run tasks in this process, without Dask."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html in the campaign folder at the end."),
) -> None:
    """Run the screening campaign (default: the demo preset in campaigns/<preset>); resumes where it stopped."""
    from ipscreen.campaign.runner import cluster_overrides
    from ipscreen.campaign.runner import run as run_campaign

    folder = campaign or Path("campaigns") / (preset or "demo")
    with _progress("campaign") as update:
        summary = run_campaign(folder, preset=preset, stages=stages.split(",") if stages else None, progress=update,
                               overrides=cluster_overrides(scheduler, workers, serial),
                               ids=ids.split(",") if ids else None, report=report)
    console = _err_console()
    for name, s in summary.items():
        if isinstance(s, dict):
            console.print(f"{name}: {s.get('message', 'done')}")
    if "report" in summary:
        console.print(f"report: {summary['report']}")


@app.command("report")
def report_cmd(
    campaign: Path = typer.Option(Path("campaigns/demo"), "--campaign", "-c", help="Campaign folder."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the page (default: "
                                                                   "CAMPAIGN/report.html)."),
) -> None:
    """Write the campaign's report: one self-contained HTML page in the paper's order (figures embedded, the
    3-D Pareto front interactive, no network needed), from what the store holds now (partial campaigns too)."""
    from ipscreen.campaign.report import write_report
    from ipscreen.campaign.runner import open_existing

    config, store = open_existing(campaign)
    with store:
        path = write_report(config, store, out)
    print(path)


@app.command("stages")
def stages_cmd(as_json: bool = typer.Option(False, "--json", help="Print the pipeline as JSON.")) -> None:
    """The pipeline as declared: each stage's kind, inputs, settings table, columns, and whether a plain
    `ipscreen run` includes it."""
    import json

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ipscreen.campaign.stages import REGISTRY

    if as_json:
        typer.echo(json.dumps([st.as_dict() for st in REGISTRY], indent=1))
        return
    table = Table(title="ipscreen pipeline (dependency order)")
    for col in ("stage", "kind", "inputs", "table", "columns", "run"):
        table.add_column(col)
    for st in REGISTRY:
        table.add_row(st.name, st.kind, ", ".join(st.reads), escape(f"[{st.table}]") if st.table else "",
                      ", ".join(st.columns), "default" if st.default else "on request")
    Console().print(table)


@app.command()
def status(campaign: Path = typer.Option(..., "--campaign", "-c", help="Campaign folder.")) -> None:
    """Progress of each stage of a campaign, in pipeline order (works while a run is going); `now` marks
    the results of the campaign's present settings (others were made with earlier settings)."""
    import datetime

    from rich.console import Console
    from rich.table import Table

    from ipscreen.campaign.stages import NAMES, stage_hash
    from ipscreen.campaign.store import Store

    Store(campaign, create=False).close()  # one-line error if there is no store
    current: dict = {}
    if (campaign / "campaign.toml").exists():  # an old store is migrated on open, so its hashes read as current
        from ipscreen.campaign.runner import open_campaign

        config, store = open_campaign(campaign)
        store.close()
        current = {n: stage_hash(config, n) for n in NAMES}
    with Store(campaign, create=False) as store:
        n_compounds = store.count()
        table = Table(title=f"campaign {campaign}: {n_compounds:,} compounds")
        for col in ("stage", "settings", "now", "results", "completed", "ipscreen"):
            table.add_column(col)
        completed = {(r["stage"], r["settings_hash"]): r for r in store.stage_runs()}
        counts: dict = {}
        for stage, h, st, n in store.result_counts():
            counts.setdefault((stage, h), []).append(f"{n:,} {st}")
        keys = list(completed) + [k for k in counts if k not in completed]
        rank = {n: i for i, n in enumerate(NAMES)}
        keys.sort(key=lambda k: (rank.get(k[0], len(rank)), k[1] != current.get(k[0]), k[1]))
        for key in keys:
            run = completed.get(key)
            when = (datetime.datetime.fromtimestamp(run["completed_at"]).isoformat(timespec="seconds") if run
                    else "running")
            results = ", ".join(counts.get(key, [])) or (f"{run['n_records']:,} compounds" if run else "")
            now = "✓" if current.get(key[0]) == key[1] else ""
            table.add_row(key[0], key[1], now, results, when, run["versions"].get("ipscreen", "?") if run else "")
        Console().print(table)


def _campaign_table(campaign: Path):
    """(config, one row per compound) of an existing campaign."""
    from ipscreen.campaign.runner import open_campaign
    from ipscreen.campaign.table import compound_table
    from ipscreen.errors import InputError

    if not (campaign / "campaign.toml").exists():
        raise InputError(f"no campaign in {campaign} (campaign.toml missing)")
    config, store = open_campaign(campaign)
    with store:
        return config, compound_table(config, store)


@app.command("table")
def table_cmd(
    campaign: Path = typer.Option(..., "--campaign", "-c", help="Campaign folder."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, json or parquet."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (default: stdout; required for parquet)."),
) -> None:
    """One row per compound: id, formula, space group, parent, t_G,ip, energy, E_d, decomposition, status."""
    from ipscreen.campaign.table import write_rows
    from ipscreen.errors import InputError

    _config, rows = _campaign_table(campaign)
    if fmt == "parquet":
        if out is None:
            raise InputError("--format parquet needs --out FILE")
        import pandas as pd

        pd.DataFrame(rows).to_parquet(out, index=False)
    else:
        write_rows(rows, out if out else sys.stdout, fmt)
    if out:
        _err_console().print(f"{len(rows):,} compounds -> {out}")


plot_app = typer.Typer(help="Figures of a campaign.", no_args_is_help=True)
app.add_typer(plot_app, name="plot")


@plot_app.command("stability")
def plot_stability(
    campaign: Path = typer.Option(..., "--campaign", "-c", help="Campaign folder."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the figures (default: the campaign)."),
) -> None:
    """Fig. 3a (E_d vs t_G,ip per parent) and Fig. 3b (lowest E_d over weighted X and Z radii)."""
    from ipscreen.errors import InputError
    from ipscreen.report.figures import ed_contour, ed_vs_tolerance

    config, rows = _campaign_table(campaign)
    if not any(r["e_above_hull_ev_per_atom"] is not None for r in rows):
        raise InputError(f"campaign {campaign} has no stability results yet: ipscreen run --campaign {campaign}")
    folder = out or campaign
    a = ed_vs_tolerance(rows, folder / "stability_ed_vs_t.png", config.stability.threshold)
    b = ed_contour(rows, folder / "stability_contour.png")
    typer.echo(f"plots -> {a}, {b}")


@plot_app.command("mobo")
def plot_mobo(
    campaign: Path = typer.Option(..., "--campaign", "-c", help="Campaign folder."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for the figures (default: the campaign)."),
) -> None:
    """Fig. 5a (best value of each objective per MOBO iteration) and Fig. 5b (3-D Pareto front, PNG and an
    interactive plotly HTML), with the evaluated and non-dominated tables."""
    from ipscreen.campaign.mobo_stage import write_mobo_outputs
    from ipscreen.campaign.runner import open_campaign
    from ipscreen.campaign.store import Store

    Store(campaign, create=False).close()
    config, store = open_campaign(campaign)
    with store:
        outputs = write_mobo_outputs(config, store, folder=out)
    figures = [str(outputs[k]) for k in ("fig5a", "fig5b", "fig5b_html") if k in outputs]
    typer.echo(f"plots -> {', '.join(figures)}; tables -> {outputs['evaluated']}, {outputs['pareto_table']}")


@app.command()
def presets() -> None:
    """List the embedded presets."""
    from ipscreen.campaign.config import load_preset, preset_names

    for name in preset_names():
        typer.echo(f"{name:10s} {load_preset(name).get('description', '')}")


@space_app.command("build")
def space_build(
    campaign: Path = typer.Option(..., "--campaign", "-c", help="Campaign folder (created if missing)."),
    preset: Optional[str] = PresetOpt,
) -> None:
    """Enumerate the campaign's space into its store (no work if already built)."""
    from ipscreen.campaign.runner import run as run_campaign
    from ipscreen.campaign.store import STORE_FILE

    with _progress("enumerating") as update:
        s = run_campaign(campaign, preset=preset, stages=["space"], progress=update)["space"]
    typer.echo(f"{'built' if s['built'] else 'already built'}: {s['compounds']:,} compounds in {campaign / STORE_FILE}")


@space_app.command("list")
def space_list(
    preset: Optional[str] = PresetOpt,
    campaign: Optional[Path] = CampaignOpt,
    fmt: TableFormat = typer.Option(TableFormat.csv, "--format", "-f", help="Output format."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    formula: Optional[str] = typer.Option(None, help="Only compounds of this composition, e.g. Li6O2ClBr."),
) -> None:
    """One row per compound: id, formula, space group, parent, site fractions, t_G,ip, ..."""
    from ipscreen.campaign.table import write_rows

    rows = _filter_formula(_view(preset, campaign).rows, formula)
    write_rows(rows, out if out else sys.stdout, fmt.value)
    if out:
        _err_console().print(f"{len(rows):,} compounds -> {out}")


def _print_stats(stats: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from ipscreen.space.summary import PARENT_LABELS

    console = Console()
    t = Table(title=f"{stats['total']:,} compounds, {stats['compositions']:,} compositions")
    t.add_column("parent")
    t.add_column("compounds", justify="right")
    for p, n in stats["per_parent"].items():
        t.add_row(PARENT_LABELS.get(p, p), f"{n:,}")
    console.print(t)
    for key, title in (("per_size", "per parent and cell size (formula units)"),
                       ("per_x_ratio", "per X-site ratio"), ("per_z_ratio", "per Z-site ratio"),
                       ("per_ratio", "per (X, Z) ratio")):
        t = Table(title=title)
        t.add_column("group")
        t.add_column("compounds", justify="right")
        for k, n in stats[key].items():
            t.add_row(k, f"{n:,}")
        console.print(t)


@space_app.command("stats")
def space_stats_cmd(
    preset: Optional[str] = PresetOpt,
    campaign: Optional[Path] = CampaignOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Counts per parent, cell size and sub-concentration ratio."""
    import json

    from ipscreen.space.summary import space_stats

    stats = space_stats(_view(preset, campaign).rows)
    if as_json:
        typer.echo(json.dumps(stats, indent=1))
    else:
        _print_stats(stats)


@space_app.command("export")
def space_export(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder."),
    ids: Optional[list[str]] = typer.Option(None, "--ids", help="Compound ids (repeat or comma-separate)."),
    formula: Optional[str] = typer.Option(None, help="All compounds of this composition."),
    fmt: StructureFormat = typer.Option(StructureFormat.cif, "--format", "-f", help="cif (one file each) or extxyz (one file)."),
    preset: Optional[str] = PresetOpt,
    campaign: Optional[Path] = CampaignOpt,
) -> None:
    """Write starting structures as CIF files or one extended-XYZ file."""
    from ipscreen.errors import InputError
    from ipscreen.space.export import export_structures

    wanted = [i for item in (ids or []) for i in item.split(",") if i]
    if not wanted and not formula:
        raise InputError("name compounds with --ids ID[,ID...] or --formula F")
    view = _view(preset, campaign)
    rows = _filter_formula(view.rows, formula) if formula else []
    known = {r["id"] for r in view.rows}
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise InputError(f"unknown compound id(s): {', '.join(unknown)}")
    by_id = {r["id"]: r for r in view.rows}
    selected = [by_id[i] for i in wanted] + [r for r in rows if r["id"] not in wanted]
    paths = export_structures(selected, view.structure, out, fmt.value)
    typer.echo(f"wrote {len(selected)} structure(s) to {out} ({len(paths)} file(s))")


@space_app.command("plot")
def space_plot(
    out: Path = typer.Option(Path("space_tolerance.png"), "--out", "-o", help="Image file (.png, .svg, .pdf)."),
    preset: Optional[str] = PresetOpt,
    campaign: Optional[Path] = CampaignOpt,
) -> None:
    """Distribution of the tolerance factor t_G,ip per parent."""
    from ipscreen.report.figures import tolerance_histogram

    rows = _view(preset, campaign).rows
    typer.echo(f"plot -> {tolerance_histogram(rows, out)}")


def main() -> None:
    """Entry point: run the app, turning IpscreenError into one line and exit code 2."""
    from ipscreen.errors import IpscreenError

    try:
        app()
    except IpscreenError as exc:
        print(f"ipscreen: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("ipscreen: interrupted; finished work is kept in the store", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
