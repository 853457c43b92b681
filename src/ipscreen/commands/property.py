"""`ipscreen property ORACLE FILE`: one property of one structure, with units."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from ipscreen.campaign.stages import oracle, oracles
from ipscreen.commands.console import err_console

property_app = typer.Typer(help="Compute one property of one structure (CIF, POSCAR, extxyz).", no_args_is_help=True)


def read_structure(path: Path):
    """A pymatgen Structure from a file; InputError with one line if it cannot be read."""
    from pymatgen.core import Structure

    from ipscreen.errors import InputError
    from ipscreen.structure_io import check_structure

    if not path.is_file():
        raise InputError(f"structure file not found: {path}")
    import warnings

    try:
        with warnings.catch_warnings():  # pymatgen's CIF parser warns about harmless omissions
            warnings.simplefilter("ignore")
            structure = Structure.from_file(str(path))
    except Exception as exc:  # pymatgen raises many kinds here
        raise InputError(f"cannot read a structure from {path}: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    try:
        check_structure(structure)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    return structure


def _config(preset: Optional[str], campaign: Optional[Path]):
    from ipscreen.campaign.config import from_preset, read_campaign_file
    from ipscreen.errors import InputError

    if preset and campaign:
        raise InputError("give --preset or --campaign, not both")
    if campaign:
        return read_campaign_file(campaign / "campaign.toml")
    return from_preset(preset or "demo")


def _relaxed(structure, config):
    """The structure relaxed with the configuration's backend and thresholds."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.campaign.tasks import backend_for, relax_settings
    from ipscreen.energy.relax import relax
    from ipscreen.errors import PropertyError

    backend = backend_for(asdict(config.energy))
    result = relax(AseAtomsAdaptor.get_atoms(structure), backend, relax_settings(config.relax.physics()))
    if result.status == "failed":
        raise PropertyError(f"relaxation failed: {result.reason}")
    return AseAtomsAdaptor.get_structure(result.atoms)


def compute(name: str, path: Path, preset: Optional[str], campaign: Optional[Path], relax: bool,
            workdir: Optional[Path], seed: int) -> dict:
    """Run oracle `name` on the structure in `path` with the settings of a preset or campaign (see
    `compute_structure`)."""
    structure = read_structure(path)
    return compute_structure(name, structure, _config(preset, campaign), relax, workdir, seed, label=path.name)


def compute_structure(name: str, structure, config, relax: bool = False, workdir: Optional[Path] = None,
                      seed: int = 0, label: str = "structure") -> dict:
    """Run oracle `name` on a pymatgen Structure with the settings of `config`; the oracles its stage shows
    beside it (`after`, e.g. BVSE for conductivity) run first, with the same settings, and their values are
    returned with its own."""
    from ipscreen.campaign.stages import oracle
    from ipscreen.campaign.tasks import backend_for, calc_offered, draw_figures
    from ipscreen.commands.console import progress_bar
    from ipscreen.energy.threads import limit_threads

    limit_threads()
    stage = oracle(name)
    if relax:
        structure = _relaxed(structure, config)
    if workdir:
        workdir.mkdir(parents=True, exist_ok=True)
    out: dict = {}
    energy = asdict(config.energy)
    for step in [oracle(a) for a in stage.after] + [stage]:
        backend = backend_for(energy) if step.backend else None
        with progress_bar(step.command) as update:
            result = calc_offered(step.function, structure, config.stage_settings(step.name), backend=backend,
                                  workdir=str(workdir) if workdir else None, seed=seed,
                                  progress=lambda done, total: update(label, done, total))
        if workdir and step is stage and draw_figures(step.figures, result, workdir, context=dict(out)):
            err_console().print(f"figure: {workdir / result['figure_file']}")
        if backend is not None:
            result.setdefault("backend", backend.info.as_dict())
        out.update({k: v for k, v in result.items() if step is stage or k in step.columns})
    out.setdefault("preset", config.preset)
    return out


def _print(out: dict, keys: tuple, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(out, indent=1, default=str))
        return
    for key in keys:
        if key in out:
            value = out[key]
            typer.echo(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    for key, value in out.items():
        if key.endswith("note") and value:
            err_console().print(f"note: {value}")


def _command(stage):
    def command(
        structure: Path = typer.Argument(..., help="Structure file (CIF, POSCAR, extxyz...), relaxed."),
        preset: Optional[str] = typer.Option(None, "--preset", "-p", help="Settings of this preset (default demo)."),
        campaign: Optional[Path] = typer.Option(None, "--campaign", "-c", help="Settings of this campaign."),
        as_json: bool = typer.Option(False, "--json", help="Print every value as JSON."),
        relax: bool = typer.Option(False, "--relax", help="Relax first with the preset's energy backend."),
        workdir: Optional[Path] = typer.Option(
            None, "--workdir", help="Folder for artifacts (trajectories; arrhenius.png for conductivity)."),
        seed: int = typer.Option(0, help="Random seed."),
    ) -> None:
        keys = tuple(k for a in (*stage.after, stage.name) for k in oracle(a).columns)
        _print(compute(stage.name, structure, preset, campaign, relax, workdir, seed), keys, as_json)

    command.__doc__ = stage.help[:1].upper() + stage.help[1:] + ("" if stage.help.endswith(".") else ".")
    property_app.command(stage.command)(command)


for _stage in oracles():  # one command per oracle of the stage registry
    _command(_stage)
