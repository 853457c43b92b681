"""Worker-side task functions: plain, picklable, no store access.

Each returns a dict that the driver stores. A worker keeps its loaded energy backend
between tasks (loading SevenNet takes seconds).
"""

from __future__ import annotations

import importlib
import inspect
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

from ipscreen.campaign.stage import parse_settings, resolve
from ipscreen.errors import IpscreenError
from ipscreen.structure_io import structure_from_dict, structure_to_dict

_BACKENDS: dict = {}


def backend_for(energy: dict):
    """The worker's cached backend for an EnergySettings dict."""
    from ipscreen.energy.backends import load_backend

    key = (energy["backend"], energy["model"], energy.get("device", "auto"), energy.get("compile", False))
    if key not in _BACKENDS:
        _BACKENDS[key] = load_backend(energy["backend"], energy["model"], device=key[2], compile=key[3])
    return _BACKENDS[key]


def relax_settings(r: dict):
    from dataclasses import fields

    from ipscreen.energy.relax import RelaxSettings

    # the stage's settings (asdict of RelaxStageSettings) hold RelaxSettings' fields and scheduling ones (batch_size)
    return RelaxSettings(**{f.name: r[f.name] for f in fields(RelaxSettings) if f.name in r})


def _result_dict(result, backend, elapsed: float) -> dict:
    from pymatgen.io.ase import AseAtomsAdaptor

    out = {"status": result.status, "reason": result.reason, "steps": result.steps,
           "elapsed_s": round(elapsed, 3), "backend": backend.info.as_dict()}
    if result.atoms is not None and result.status != "failed":
        out.update(energy_ev=result.energy_ev, energy_ev_per_atom=result.energy_ev_per_atom,
                   structure=structure_to_dict(AseAtomsAdaptor.get_structure(result.atoms)))
    return out


def relax_chunk_task(payload: dict) -> dict:
    """Relax a chunk of structures together (batched model calls where the backend allows).

    payload {"structures": {id: compact dict}, "energy", "relax"} -> {"results": {id: result}};
    `elapsed_s` of each result is the chunk's wall time shared out per structure.
    """
    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.energy.relax import relax_many

    start = time.perf_counter()
    try:
        backend = backend_for(payload["energy"])
    except Exception as exc:  # a backend that cannot load fails every task with the same reason
        return {"results": {sid: {"status": "failed", "reason": f"energy backend: {exc}"}
                            for sid in payload["structures"]}}
    ids = list(payload["structures"])
    atoms = [AseAtomsAdaptor.get_atoms(structure_from_dict(payload["structures"][sid])) for sid in ids]
    results = relax_many(atoms, backend, relax_settings(payload["relax"]), payload["relax"].get("batch_size", 8))
    share = (time.perf_counter() - start) / max(1, len(ids))
    return {"results": {sid: _result_dict(r, backend, share) for sid, r in zip(ids, results)}}


def calc_offered(function, structure, settings, **offered) -> dict:
    """Call a stage's `calc(structure, settings, ...)` with those of `offered` (backend, workdir,
    seed, progress) that its signature takes."""
    fn = resolve(function)
    accepted = inspect.signature(fn).parameters
    return fn(structure, settings, **{k: v for k, v in offered.items() if k in accepted})


def draw_figures(figures: tuple, result: dict, workdir, context: dict | None = None) -> list[str]:
    """Draw a compound stage's figures ("module:function:file name") of `result` into `workdir`;
    `context` holds the values of its `after` stages for the same compound (e.g. the BVSE barrier
    beside the MD E_a), shown, never stored in `result`. A figure that cannot be drawn is noted in
    the result (`figure_error`), never fatal."""
    drawn = []
    if workdir is None:
        return drawn
    for spec in figures:
        module, function, filename = spec.split(":")
        try:
            getattr(importlib.import_module(module), function)({**(context or {}), **result}, Path(workdir) / filename)
        except Exception as exc:  # noqa: BLE001 - a plot never costs the computed value
            result["figure_error"] = f"{type(exc).__name__}: {exc}"
            continue
        result["figure_file"] = filename
        drawn.append(filename)
    return drawn


def stage_settings(payload: dict):
    """The stage's settings object rebuilt from the payload's table (as the campaign file's)."""
    return parse_settings(resolve(payload["settings_class"]), payload["settings"], payload["table"])


def compound_payload(stage, settings, energy: dict | None, structure: dict, workdir: str | None, seed: int,
                     context: dict | None = None) -> dict:
    """The payload of `compound_task` for one compound: `stage` (a Stage), its settings object, the
    energy settings as a dict (sent only to stages that use the backend), compact structure, and the
    stored values of its `after` stages for its figures."""
    return {"stage": stage.name, "function": stage.function, "settings_class": stage.settings,
            "settings": asdict(settings) if is_dataclass(settings) else {}, "table": stage.table or stage.name,
            "energy": energy if stage.backend else None, "figures": stage.figures, "structure": structure,
            "workdir": workdir, "seed": seed, "context": context or {}}


def compound_task(payload: dict) -> dict:
    """One compound stage's calc on one relaxed structure.

    payload {"stage", "function", "settings_class", "settings" (its table), "table", "energy" (None if the
    stage needs no backend), "structure", "workdir", "seed", "figures"}
    -> {"status": "done"|"failed", "reason", "data"}. A structure the calc cannot handle is a
    stored failure with its reason, never a crash of the campaign.
    """
    start = time.perf_counter()
    backend = None
    try:
        settings = stage_settings(payload)
        backend = backend_for(payload["energy"]) if payload.get("energy") else None
        data = calc_offered(payload["function"], structure_from_dict(payload["structure"]), settings,
                            backend=backend, workdir=payload.get("workdir"), seed=payload.get("seed", 0))
        draw_figures(payload.get("figures", ()), data, payload.get("workdir"), payload.get("context"))
    except IpscreenError as exc:
        return {"status": "failed", "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a crash is stored as that compound's failure
        return {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    data["elapsed_s"] = round(time.perf_counter() - start, 3)
    if backend is not None:
        data["backend"] = backend.info.as_dict()
    return {"status": "done", "reason": "", "data": data}
