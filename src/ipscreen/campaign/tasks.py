"""Worker-side task functions: plain, picklable, no store access.

Each returns a dict that the driver stores. A worker keeps its loaded energy backend
between tasks (loading SevenNet takes seconds).
"""

from __future__ import annotations

import time

from ipscreen.structure_io import structure_from_dict, structure_to_dict

_BACKENDS: dict = {}


def backend_for(energy: dict):
    """The worker's cached backend for an EnergySettings dict."""
    from ipscreen.energy.backends import load_backend

    key = (energy["backend"], energy["model"])
    if key not in _BACKENDS:
        _BACKENDS[key] = load_backend(energy["backend"], energy["model"])
    return _BACKENDS[key]


def _relax_settings(r: dict):
    from ipscreen.energy.relax import RelaxSettings

    return RelaxSettings(fmax=r["fmax"], max_steps=r["max_steps"], optimizer=r["optimizer"], symmetry=r["symmetry"],
                         rattle=r.get("rattle", 0.0))


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
    results = relax_many(atoms, backend, _relax_settings(payload["relax"]), payload["relax"].get("batch_size", 8))
    share = (time.perf_counter() - start) / max(1, len(ids))
    return {"results": {sid: _result_dict(r, backend, share) for sid, r in zip(ids, results)}}


def property_task(payload: dict) -> dict:
    """One property oracle on one relaxed structure.

    payload {"oracle", "settings" (its table), "energy", "structure", "workdir", "seed"}
    -> {"status": "done"|"failed", "reason", "data"}. A structure the oracle cannot handle
    is a stored failure with the oracle's reason, never a crash of the campaign.
    """
    from ipscreen.errors import IpscreenError
    from ipscreen.properties.registry import oracle

    start = time.perf_counter()
    o = oracle(payload["oracle"])
    try:
        settings = o.settings(payload["settings"])
        backend = backend_for(payload["energy"]) if o.needs_backend else None
        data = o.calc(structure_from_dict(payload["structure"]), settings, backend=backend,
                      workdir=payload.get("workdir"), seed=payload.get("seed", 0))
        o.write_figure(data, payload.get("workdir"))
    except IpscreenError as exc:
        return {"status": "failed", "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - an oracle crash is stored as that compound's failure
        return {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    data["elapsed_s"] = round(time.perf_counter() - start, 3)
    if backend is not None:
        data["backend"] = backend.info.as_dict()
    return {"status": "done", "reason": "", "data": data}
