"""`ipscreen synthesizability train|score`: the positive-unlabeled (PU) bagging scorer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ipscreen.commands.console import err_console, progress_bar

synthesizability_app = typer.Typer(help="Train and apply the PU-learning synthesizability scorer.",
                                   no_args_is_help=True)


@synthesizability_app.command("train")
def train(
    entries: Path = typer.Option(..., "--entries", "-e", help="JSON list of {structure, synthesized|theoretical|icsd_ids}."),
    out: Path = typer.Option(Path("pu_model.pkl"), "--out", "-o", help="Model file to write."),
    bags: int = typer.Option(50, help="Number of bags (decision trees)."),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Train PU bagging on synthesized (positive) vs unlabeled entries; write the model file."""
    from ipscreen.properties.synthesizability import read_entries, save_model, train_pu

    structures, positive = read_entries(entries)
    with progress_bar("training") as update:
        model = train_pu(structures, positive, n_bags=bags, seed=seed,
                         progress=lambda d, t: update(f"{len(structures)} entries", d, t))
    model["entries"] = str(entries)
    save_model(model, out)
    oob = [s for s in model["oob_unlabeled_scores"] if s == s]
    frac = sum(s > 0.5 for s in oob) / max(1, len(oob))
    err_console().print(f"{model['n_positive']} positive, {model['n_unlabeled']} unlabeled entries, {bags} bags; "
                        f"{frac:.0%} of unlabeled entries score above 0.5 out of bag -> {out}")


@synthesizability_app.command("score")
def score(
    structures: list[Path] = typer.Argument(..., help="Structure files."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="PU model file (default: the substitution scorer)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """L_s of each structure with the PU model, or the offline substitution scorer without --model."""
    from ipscreen.commands.property import read_structure
    from ipscreen.properties.synthesizability import SynthesizabilitySettings, calc

    settings = SynthesizabilitySettings(scorer="pu", model=str(model)) if model else SynthesizabilitySettings()
    rows = []
    for path in structures:
        r = calc(read_structure(path), settings)
        rows.append({"file": str(path), "synthesizability": r["synthesizability"],
                     "synthesizable": r["synthesizable"], "synthesizability_scorer": r["synthesizability_scorer"]})
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
    else:
        for r in rows:
            typer.echo(f"{r['file']}: L_s = {r['synthesizability']:.3f} ({r['synthesizability_scorer']})")
