"""`ipscreen analyze window FILE`: the electrochemical window of one structure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ipscreen.commands.console import err_console, progress_bar
from ipscreen.commands.property import _config, read_structure

analyze_app = typer.Typer(help="Analyses of one structure against the reference phases of its chemical system.",
                          no_args_is_help=True)


def relaxed_system(structure, config, progress=None) -> list:
    """The structure (id "target") and the reference phases of its elements, relaxed with the
    configuration's backend and thresholds, as hull Phases; InputError if an element has no
    reference phases, PropertyError if the structure's relaxation fails."""
    from dataclasses import asdict

    from ipscreen.campaign.tasks import relax_chunk_task
    from ipscreen.errors import PropertyError
    from ipscreen.structure_io import structure_from_dict, structure_to_dict
    from ipscreen.thermo.hull import Phase
    from ipscreen.thermo.references import reference_phases

    elements = {el.symbol for el in structure.composition.elements}
    structures = {p.id: structure_to_dict(p.structure) for p in reference_phases(elements)}
    structures["target"] = structure_to_dict(structure)
    payload = {"structures": structures, "energy": asdict(config.energy), "relax": asdict(config.relax)}
    if progress:
        progress(f"relaxing {len(structures)} structures", 0, 1)
    results = relax_chunk_task(payload)["results"]
    if results["target"]["status"] == "failed":
        raise PropertyError(f"relaxation failed: {results['target']['reason']}")
    return [Phase(sid, structure_from_dict(r["structure"]), r["energy_ev"]) for sid, r in results.items()
            if r["status"] != "failed"]


def window_of(structure, config, progress=None) -> dict:
    """Electrochemical window (thermo/electrochem.window) of one structure, relaxed with its references."""
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    from ipscreen.errors import InputError
    from ipscreen.thermo.electrochem import window
    from ipscreen.thermo.hull import computed_entries

    if "Li" not in {el.symbol for el in structure.composition.elements}:
        raise InputError("the electrochemical window vs Li/Li+ needs a Li compound")
    entries = computed_entries(relaxed_system(structure, config, progress), config.energy.corrections)
    target = next(e for e in entries if e.entry_id == "target")
    try:
        return window(PhaseDiagram(entries), target.composition.reduced_composition)
    except ValueError as exc:
        raise InputError(str(exc)) from None


@analyze_app.command("window")
def window_cmd(
    structure: Path = typer.Argument(..., help="Structure file (CIF, POSCAR, extxyz...); relaxed first."),
    preset: Optional[str] = typer.Option(None, "--preset", "-p", help="Settings of this preset (default demo)."),
    campaign: Optional[Path] = typer.Option(None, "--campaign", "-c", help="Settings of this campaign."),
    as_json: bool = typer.Option(False, "--json", help="Print every value as JSON."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the Li uptake profile (Fig. 6) here."),
) -> None:
    """Electrochemical window vs Li/Li+ (V): reduction and oxidation limits, the products on either side
    and every voltage range (Li grand-potential phase diagram of the relaxed structure and the relaxed
    reference phases of its elements)."""
    from ipscreen.energy.threads import limit_threads

    limit_threads()
    config = _config(preset, campaign)
    s = read_structure(structure)
    with progress_bar("window") as update:
        out = window_of(s, config, progress=update)
    if plot:
        from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

        from ipscreen.report.figures import window_profiles

        sg = SpacegroupAnalyzer(s, symprec=0.1).get_space_group_symbol()
        err_console().print(f"figure: {window_profiles([(s.composition.reduced_formula, sg, out)], plot)}")
    if as_json:
        typer.echo(json.dumps(out, indent=1))
        return
    hi = "none" if out["oxidation_limit_v"] is None else f"{out['oxidation_limit_v']:.2f} V"
    typer.echo(f"reduction_limit_v: {out['reduction_limit_v']:.2f}")
    typer.echo(f"oxidation_limit_v: {hi}")
    typer.echo(f"reduction_products: {' + '.join(out['reduction_products'])}")
    typer.echo(f"oxidation_products: {' + '.join(out['oxidation_products'])}")
