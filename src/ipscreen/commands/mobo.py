"""`ipscreen mobo run|pareto|benchmark`: the multi-objective Bayesian optimisation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ipscreen.commands.console import err_console, progress_bar

mobo_app = typer.Typer(help="Multi-objective Bayesian optimisation over the filtered pool.", no_args_is_help=True)

CampaignOpt = typer.Option(Path("campaigns/demo"), "--campaign", "-c", help="Campaign folder.")
StrategyOpt = typer.Option(None, help="uhvi (paper), qlognehvi (BoTorch) or random; default: the campaign's [mobo].")
BudgetOpt = typer.Option(None, "--budget", help="Maximum oracle evaluations, initial design included.")
SeedOpt = typer.Option(None, help="Seed of the initial design and of the strategies.")


def _overrides(strategy, budget, seed) -> dict:
    return {"strategy": strategy, "max_evaluations": budget, "seed": seed}


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-2 or abs(value) >= 1e4 else f"{value:.3f}"
    return str(value)


@mobo_app.command("run")
def run_cmd(
    campaign: Path = CampaignOpt,
    strategy: Optional[str] = StrategyOpt,
    budget: Optional[int] = BudgetOpt,
    seed: Optional[int] = SeedOpt,
    serial: bool = typer.Option(False, "--serial", help="Run the oracles in this process, without Dask."),
    workers: Optional[int] = typer.Option(None, help="Worker processes of the local Dask cluster."),
) -> None:
    """Run (or resume) the MOBO loop: initial design, batches of oracle calls, stop on a plateau of every
    objective's best value or on the budget; writes mobo_*.csv and Fig. 5a/5b into the campaign folder."""
    from ipscreen.campaign.runner import cluster_overrides
    from ipscreen.campaign.runner import run as run_campaign
    from ipscreen.campaign.store import Store

    Store(campaign, create=False).close()  # one-line error, and no folder left behind, if there is no campaign
    overrides: dict = {"mobo": {k: v for k, v in _overrides(strategy, budget, seed).items() if v is not None}}
    overrides.update(cluster_overrides(workers=workers, serial=serial) or {})
    console = err_console()

    def echo(index: int, ids: list[str], best: dict) -> None:
        what = "initial design" if index == 0 else f"iteration {index}"
        console.print(f"{what}: {len(ids)} compounds; best " + ", ".join(f"{k} {_fmt(v)}" for k, v in best.items()))

    with progress_bar("mobo") as update:
        summary = run_campaign(campaign, stages=["mobo"], progress=update, overrides=overrides, echo=echo)["mobo"]
    console.print(f"mobo: {summary['evaluations']} evaluations of a pool of {summary['pool_size']}, "
                  f"{summary['iterations']} iterations ({summary['stop_reason']}); {summary['n_pareto']} "
                  f"non-dominated -> {summary['pareto_table']}, {summary['fig5a']}"
                  + (f", {summary['fig5b']}, {summary['fig5b_html']}" if "fig5b" in summary else ""))


@mobo_app.command("pareto")
def pareto_cmd(
    campaign: Path = CampaignOpt,
    strategy: Optional[str] = StrategyOpt,
    budget: Optional[int] = BudgetOpt,
    seed: Optional[int] = SeedOpt,
    as_json: bool = typer.Option(False, "--json", help="JSON rows on stdout."),
    everything: bool = typer.Option(False, "--all", help="Every evaluated compound, not only the Pareto set."),
) -> None:
    """The non-dominated compounds of the campaign's MOBO run (Table 2 layout)."""
    from rich.console import Console
    from rich.table import Table

    from ipscreen.campaign.mobo_stage import mobo_rows, objective_column, with_overrides
    from ipscreen.campaign.runner import open_campaign
    from ipscreen.campaign.store import Store

    Store(campaign, create=False).close()  # one-line error if there is no campaign
    config, store = open_campaign(campaign)
    config = with_overrides(config, _overrides(strategy, budget, seed))
    settings = config.stage_settings("mobo")
    with store:
        rows, _ = mobo_rows(config, store)
    rows = rows if everything else [r for r in rows if r["pareto"]]
    if as_json:
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    names = [objective_column(o) for o in settings.objectives]
    columns = ["formula", "space_group", "parent", *(c for c in ("e_above_hull_ev_per_atom", "synthesizability")
                                                      if c not in names), *names, "iteration"]
    headers = {"e_above_hull_ev_per_atom": "E_d eV/atom", "synthesizability": "L_s", "space_group": "SG"}
    headers.update({objective_column(o): o.label for o in settings.objectives})
    table = Table(title=f"{len(rows)} {'evaluated' if everything else 'non-dominated'} compounds ({campaign})")
    for c in columns:
        table.add_column(headers.get(c, c))
    for r in rows:
        table.add_row(*(_fmt(r.get(c)) for c in columns))
    Console().print(table)


@mobo_app.command("benchmark")
def benchmark_cmd(
    as_json: bool = typer.Option(False, "--json", help="The metrics as JSON on stdout."),
    seeds: int = typer.Option(10, help="Seeds per strategy (initial designs shared across strategies)."),
    strategies: str = typer.Option("uhvi,qlognehvi,random", help="Comma-separated strategies."),
    problems: Optional[str] = typer.Option(None, help="Comma-separated problem names (default: all)."),
    budgets: str = typer.Option("20,50,100", help="Evaluation counts at which the metrics are taken."),
) -> None:
    """Compare strategies on the shipped fully known problems: hypervolume fraction of the true front,
    Pareto-set recall and enhancement factor over random after each budget (means over seeds)."""
    from ipscreen.errors import InputError
    from ipscreen.mobo.benchmark import problems as all_problems
    from ipscreen.mobo.benchmark import run_benchmark

    known = all_problems()
    names = problems.split(",") if problems else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"unknown problem(s) {', '.join(unknown)} (known: {', '.join(known)})")
    try:
        budget_list = tuple(int(b) for b in budgets.split(","))
    except ValueError:
        raise InputError(f"--budgets must be comma-separated integers, not {budgets!r}") from None
    with progress_bar("benchmark") as update:
        result = run_benchmark({n: known[n] for n in names}, strategies=tuple(strategies.split(",")),
                               seeds=range(seeds), budgets=budget_list, progress=update)
    if as_json:
        json.dump(result, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    from rich.console import Console
    from rich.table import Table

    for name, per_strategy in result["problems"].items():
        table = Table(title=f"{name}: means over {seeds} seeds")
        table.add_column("strategy")
        for b in budget_list:
            table.add_column(f"HV frac @{b}")
        for b in budget_list:
            table.add_column(f"recall @{b}")
        for b in budget_list:
            table.add_column(f"EF @{b}")
        for strategy, m in per_strategy.items():
            table.add_row(strategy, *(_fmt(m["hv_fraction"][str(b)]) for b in budget_list),
                          *(_fmt(m["pareto_recall"][str(b)]) for b in budget_list),
                          *(_fmt(m["enhancement_factor"][str(b)]) for b in budget_list))
        Console().print(table)
