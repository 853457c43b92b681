"""`ipscreen analyze window|interface FILE`: the electrochemical window of one structure, and its
reaction energy with cathodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ipscreen.commands.console import err_console, progress_bar
from ipscreen.commands.property import _config, read_structure

analyze_app = typer.Typer(help="Analyses of one structure against the reference phases of its chemical system.",
                          no_args_is_help=True)


def relaxed_system(structure, config, progress=None, cathode_elements: frozenset = frozenset()) -> list:
    """The structure (id "target") and the reference phases of its elements, relaxed with the
    configuration's backend and thresholds, as hull Phases; with `cathode_elements`, also the
    cathode-library phases of the union of both. InputError if an element has no reference
    phases, PropertyError if the structure's relaxation fails."""
    from ipscreen.thermo.references import cathode_phases, reference_phases

    elements = {el.symbol for el in structure.composition.elements}
    phases = reference_phases(elements | cathode_elements, strict=not cathode_elements)
    if cathode_elements:
        phases += cathode_phases(elements | cathode_elements)
    return relaxed_with(structure, phases, config, progress)


def relaxed_with(structure, phases: list, config, progress=None) -> list:
    """The structure (id "target") and library `phases` (ReferencePhase) relaxed together with the configuration's
    backend and thresholds, as hull Phases; PropertyError if the structure's relaxation fails."""
    from dataclasses import asdict

    from ipscreen.campaign.tasks import relax_chunk_task
    from ipscreen.errors import PropertyError
    from ipscreen.structure_io import structure_from_dict, structure_to_dict
    from ipscreen.thermo.hull import Phase

    structures = {p.id: structure_to_dict(p.structure) for p in phases}
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


def interfaces_of(structure, config, cathodes: list[str], own: bool = False, progress=None) -> list[dict]:
    """Reaction energy of one structure with each cathode (thermo/interfaces.reaction), everything relaxed."""
    from ipscreen.errors import InputError
    from ipscreen.thermo.hull import computed_entries
    from ipscreen.thermo.interfaces import InterfaceHulls
    from ipscreen.thermo.references import cathode_composition

    comps = {name: cathode_composition(name) for name in cathodes}
    if "Li" not in {el.symbol for el in structure.composition.elements}:
        raise InputError("interfaces are computed for Li electrolytes")
    cathode_elements = frozenset({"Li"} | {el.symbol for c in comps.values() for el in c.elements})
    entries = computed_entries(relaxed_system(structure, config, progress, cathode_elements),
                               config.energy.corrections)
    target = next(e for e in entries if e.entry_id == "target")
    try:
        reactions = InterfaceHulls(entries).reactions(target.composition.reduced_composition, comps, own)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return [{"cathode": name, **{k: v for k, v in r.items() if k != "curve"}, "curve": r["curve"]}
            for name, r in reactions.items()]


@analyze_app.command("interface")
def interface_cmd(
    structure: Path = typer.Argument(..., help="Structure file (CIF, POSCAR, extxyz...); relaxed first."),
    cathode: str = typer.Option("all", "--cathode", help="A cathode of the library (NMC811, LiNiO2, LiCoO2, "
                                "LiMnO2, LiFePO4), a formula, or 'all' (the settings' cathodes)."),
    preset: Optional[str] = typer.Option(None, "--preset", "-p", help="Settings of this preset (default demo)."),
    campaign: Optional[Path] = typer.Option(None, "--campaign", "-c", help="Settings of this campaign."),
    as_json: bool = typer.Option(False, "--json", help="Print every value as JSON."),
) -> None:
    """Reaction energy with cathodes (eV/atom of mixture, eq. 25): the minimum over the mixing ratio x,
    its x and products (hull of the relaxed structure, its reference phases and the cathode library)."""
    from ipscreen.energy.threads import limit_threads

    limit_threads()
    config = _config(preset, campaign)
    settings = config.stage_settings("interfaces")
    names = list(settings.cathodes) if cathode == "all" else [cathode]
    s = read_structure(structure)
    with progress_bar("interfaces") as update:
        out = interfaces_of(s, config, names, settings.reactant_energy == "own", progress=update)
    if as_json:
        public = [{k: v for k, v in r.items() if k != "curve"} | {"curve": r["curve"]} for r in out]
        typer.echo(json.dumps(public if cathode == "all" else public[0], indent=1))
        return
    for r in out:
        if r["mixing_ratio"] is None:
            typer.echo(f"{r['cathode']}: no reaction (0 meV/atom at every mixing ratio)")
        else:
            typer.echo(f"{r['cathode']}: {1000 * r['reaction_energy_ev_per_atom']:.0f} meV/atom at x = "
                       f"{r['mixing_ratio']:.3f} -> {' + '.join(r['products'])}")


def synthesis_of(structure, config, settings, progress=None, variants: list | None = None) -> list[dict]:
    """Synthesis routes (synthesis/analysis.analyse) of one structure, relaxed with the phases of its space; with
    `variants` (more SynthesisSettings), a list of route lists, one per settings, from the same relaxation."""
    from ipscreen.synthesis.analysis import analyse, library_phases, space_of
    from ipscreen.thermo.hull import computed_entries

    space = space_of({el.symbol for el in structure.composition.elements}, settings)
    phases = relaxed_with(structure, library_phases(space), config, progress)
    if progress:
        progress("routes (lattice matching of each precursor)", 0, 1)
    entries = computed_entries(phases, config.energy.corrections)
    structures = {p.id: p.structure for p in phases}
    cache: dict = {}  # lattice matching and similarity of each precursor, shared by the variants
    runs = [analyse("target", entries, structures, s, cache) for s in [settings, *(variants or [])]]
    return runs if variants else runs[0]


@analyze_app.command("synthesis")
def synthesis_cmd(
    structure: Path = typer.Argument(..., help="Structure file (CIF, POSCAR, extxyz...); relaxed first."),
    temperature: Optional[float] = typer.Option(None, "--temperature", "-T", help="K (default: the settings', 1000)."),
    preset: Optional[str] = typer.Option(None, "--preset", "-p", help="Settings of this preset (default demo)."),
    campaign: Optional[Path] = typer.Option(None, "--campaign", "-c", help="Settings of this campaign."),
    as_json: bool = typer.Option(False, "--json", help="Print every route as JSON."),
) -> None:
    """Solid-state synthesis routes (paper Fig. 10, Table 3): every balanced reaction from the paper's precursors
    with its free energy (eV/atom), nucleation barrier (eV) and competing phases, and the Pareto front."""
    from dataclasses import replace

    from ipscreen.energy.threads import limit_threads

    limit_threads()
    config = _config(preset, campaign)
    settings = config.stage_settings("synthesis")
    if temperature is not None:
        settings = replace(settings, temperature_k=temperature)
        settings.validate()
    s = read_structure(structure)
    with progress_bar("synthesis") as update:
        routes = synthesis_of(s, config, settings, progress=update)
    if as_json:
        typer.echo(json.dumps({"temperature_k": settings.temperature_k, "routes": routes}, indent=1))
        return
    front = sorted((r for r in routes if r["pareto"]), key=lambda r: r["competing_phases"])
    typer.echo(f"{len(routes)} routes at {settings.temperature_k:.0f} K; Pareto front (competing phases, barrier eV):")
    for n, r in enumerate(front, 1):
        flag = " (depends on the energy error)" if r["front_depends_on_energy"] else ""
        typer.echo(f"  Δ{n}: {r['reaction']}  [{r['competing_phases']}, {r['nucleation_barrier']:.3g}]{flag}")
