"""Write structures of the space to CIF or extended-XYZ files."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ipscreen.errors import InputError


def export_structures(rows: list[dict], structure_of: Callable[[str], object], out: Path | str,
                      fmt: str = "cif") -> list[Path]:
    """CIF: one `<id>.cif` per compound; extxyz: one `structures.extxyz` with id, formula and
    space group in each frame's info. Returns the paths written."""
    out = Path(out)
    if fmt not in ("cif", "extxyz"):
        raise InputError(f"unknown structure format {fmt!r} (known: cif, extxyz)")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "cif":
        from pymatgen.io.cif import CifWriter

        paths = []
        for r in rows:
            path = out / f"{r['id']}.cif"
            CifWriter(structure_of(r["id"])).write_file(path)
            paths.append(path)
        return paths
    from ase.io import write
    from pymatgen.io.ase import AseAtomsAdaptor

    frames = []
    for r in rows:
        atoms = AseAtomsAdaptor.get_atoms(structure_of(r["id"]))
        atoms.info.update({"id": r["id"], "formula": r["formula"], "space_group": r["space_group"],
                           "parent": r["parent"]})
        frames.append(atoms)
    path = out / "structures.extxyz"
    write(path, frames, format="extxyz")
    return [path]
