"""`ipscreen property ORACLE FILE`: one property of one structure, with units."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ipscreen.commands.console import err_console

property_app = typer.Typer(help="Compute one property of one structure (CIF, POSCAR, extxyz).", no_args_is_help=True)


def read_structure(path: Path):
    """A pymatgen Structure from a file; InputError with one line if it cannot be read."""
    from pymatgen.core import Structure

    from ipscreen.errors import InputError

    if not path.is_file():
        raise InputError(f"structure file not found: {path}")
    import warnings

    try:
        with warnings.catch_warnings():  # pymatgen's CIF parser warns about harmless omissions
            warnings.simplefilter("ignore")
            structure = Structure.from_file(str(path))
    except Exception as exc:  # pymatgen raises many kinds here
        raise InputError(f"cannot read a structure from {path}: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    if len(structure) == 0:
        raise InputError(f"{path} holds no atoms")
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

    from ipscreen.campaign.tasks import _relax_settings, backend_for
    from ipscreen.energy.relax import relax
    from ipscreen.errors import PropertyError

    backend = backend_for({"backend": config.energy.backend, "model": config.energy.model})
    result = relax(AseAtomsAdaptor.get_atoms(structure), backend, _relax_settings(config.relax.physics()))
    if result.status == "failed":
        raise PropertyError(f"relaxation failed: {result.reason}")
    return AseAtomsAdaptor.get_structure(result.atoms)


def compute(name: str, path: Path, preset: Optional[str], campaign: Optional[Path], relax: bool,
            workdir: Optional[Path], seed: int) -> dict:
    """Run oracle `name` on the structure in `path` with the settings of a preset or campaign."""
    from ipscreen.campaign.tasks import backend_for
    from ipscreen.commands.console import progress_bar
    from ipscreen.energy.threads import limit_threads
    from ipscreen.properties.registry import oracle

    limit_threads()
    o = oracle(name)
    config = _config(preset, campaign)
    settings = config.property_settings(o.name)
    structure = read_structure(path)
    if relax:
        structure = _relaxed(structure, config)
    backend = backend_for({"backend": config.energy.backend, "model": config.energy.model}) if o.needs_backend else None
    if workdir:
        workdir.mkdir(parents=True, exist_ok=True)
    with progress_bar(o.command) as update:
        out = o.calc(structure, settings, backend=backend, workdir=str(workdir) if workdir else None, seed=seed,
                     progress=lambda done, total: update(path.name, done, total))
    if workdir and o.write_figure(out, workdir):
        err_console().print(f"figure: {workdir / out['figure_file']}")
    out.setdefault("preset", config.preset)
    if backend is not None:
        out.setdefault("backend", backend.info.as_dict())
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


def _command(name: str):
    from ipscreen.properties.registry import oracle

    o = oracle(name)

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
        _print(compute(o.name, structure, preset, campaign, relax, workdir, seed), o.unit_keys, as_json)

    command.__doc__ = {
        "band_gap": "PBE band gap (GPAW, plane waves): band_gap_ev and whether it is direct.",
        "hydration": "Hydration free energy of Li+/H+ exchange with water, kJ/mol (positive: resists moisture).",
        "conductivity": "Li+ conductivity at 400 K (S/cm) and activation energy (eV) from ML-potential MD, "
                        "plus the BVSE migration barrier (eV).",
        "synthesizability": "Synthesis likelihood L_s (0..1) and the scorer that produced it.",
        "bvse": "Bond-valence site-energy Li+ migration barrier (eV), a cheap conductivity proxy.",
    }.get(o.name, o.name)
    property_app.command(o.command)(command)


for _name in ("band_gap", "hydration", "conductivity", "synthesizability", "bvse"):
    _command(_name)
