"""The `ipscreen` command line. Thin: parse, call one function, print.

Heavy libraries are imported inside the commands, so `ipscreen --help` is instant.
Every IpscreenError ends the command with one line on stderr and exit code 2.
"""

from __future__ import annotations

import contextlib
import sys
from enum import Enum
from pathlib import Path
from typing import Iterator, Optional

import typer

app = typer.Typer(help="Screen Li-rich inverse-perovskite solid electrolytes.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
space_app = typer.Typer(help="The chemical space: enumerate, list, count, export, plot.", no_args_is_help=True)
app.add_typer(space_app, name="space")

PresetOpt = typer.Option(None, "--preset", "-p", help="Embedded preset: demo, paper or extended.")
CampaignOpt = typer.Option(None, "--campaign", "-c", help="Campaign folder (campaign.toml + store).")


class TableFormat(str, Enum):
    csv = "csv"
    json = "json"


class StructureFormat(str, Enum):
    cif = "cif"
    extxyz = "extxyz"


def _err_console():
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def _progress(description: str) -> Iterator:
    """A Rich progress bar on stderr; yields a callback(label, done, total)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=_err_console(), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(label: str, done: int, total: int) -> None:
            bar.update(task, description=f"{description}: {label}", completed=done, total=total)

        yield update


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


@app.command()
def run(
    campaign: Optional[Path] = CampaignOpt,
    preset: Optional[str] = PresetOpt,
    stages: Optional[str] = typer.Option(None, help="Comma-separated stages to run (default: all): space."),
) -> None:
    """Run the screening campaign (default: the demo preset in campaigns/<preset>)."""
    from ipscreen.campaign.runner import run as run_campaign

    folder = campaign or Path("campaigns") / (preset or "demo")
    with _progress("space") as update:
        summary = run_campaign(folder, preset=preset, stages=stages.split(",") if stages else None, progress=update)
    console = _err_console()
    if "space" in summary:
        s = summary["space"]
        what = "built" if s["built"] else "already built"
        console.print(f"space {what}: {s['compounds']:,} compounds in {folder}")
        console.print(f"  table {s['table']}\n  plot  {s['plot']}")
        from ipscreen.campaign.store import Store
        from ipscreen.space.summary import space_stats

        with Store(folder, create=False) as store:
            _print_stats(space_stats(store.compound_rows()))


@app.command()
def status(campaign: Path = typer.Option(..., "--campaign", "-c", help="Campaign folder.")) -> None:
    """Show which stages of a campaign are done."""
    import datetime

    from rich.table import Table

    from ipscreen.campaign.store import Store

    with Store(campaign, create=False) as store:
        table = Table(title=f"campaign {campaign}")
        for col in ("stage", "settings", "records", "completed", "ipscreen"):
            table.add_column(col)
        for r in store.stage_runs():
            when = datetime.datetime.fromtimestamp(r["completed_at"]).isoformat(timespec="seconds")
            table.add_row(r["stage"], r["settings_hash"], f"{r['n_records']:,}", when, r["versions"].get("ipscreen", "?"))
        from rich.console import Console

        Console().print(table)


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
    from ipscreen.campaign.runner import build_space, open_campaign

    config, store = open_campaign(campaign, preset)
    with store, _progress("enumerating") as update:
        built = build_space(config, store, progress=update)
        n = store.count()
    typer.echo(f"{'built' if built else 'already built'}: {n:,} compounds in {store.path}")


@space_app.command("list")
def space_list(
    preset: Optional[str] = PresetOpt,
    campaign: Optional[Path] = CampaignOpt,
    fmt: TableFormat = typer.Option(TableFormat.csv, "--format", "-f", help="Output format."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    formula: Optional[str] = typer.Option(None, help="Only compounds of this composition, e.g. Li6O2ClBr."),
) -> None:
    """One row per compound: id, formula, space group, parent, site fractions, t_G,ip, ..."""
    from ipscreen.campaign.runner import write_rows

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
