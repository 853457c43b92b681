"""Supercells whose perpendicular widths (plane spacings) are all at least a minimum length, Å.

The rule "repeat each cell vector ceil(min_length / width) times" lives here once:
`supercell_repeat` applies it to the cell as given (the MD of `ipscreen.energy.md`), and
`supercell_for` to every candidate shape of a search for the supercell with fewest atoms
(hydration, `ipscreen.properties.hydration`).

Why not pymatgen's ``SupercellTransformation.from_boundary_distance`` (pymatgen 2026.10,
measured on cubic Li3OCl at a = 3.91 and 5.0 Å, the three Li-O-Br parents, an fcc primitive
and a triclinic cell, min lengths 0-15 Å): it repeats 1 + floor(L / width) times, one repeat
more than needed when L is a multiple of a width (Li3OCl a = 5.0 Å at 5, 10 and 15 Å: 2x2x2,
3x3x3 and 4x4x4 where 1x1x1, 2x2x2 and 3x3x3 suffice; the other 46 of 49 cases agree), and
its counts are int8 (they wrap above 127 repeats). With ``allow_rotation`` it tries a single
fixed skewed matrix instead of a search: 24 of 42 cases gave a different cell, mostly larger
(layered n = 1 parent at 10 Å: 252 atoms instead of 112; n = 2: 432 instead of 108), though
smaller in four cubic cases (Li3OCl a = 3.91 Å at 9 Å: 70 atoms instead of 80).
"""

from __future__ import annotations

import math

import numpy as np

# relative slack of the width test: stored cells are rounded to 1e-8 Å, so a cell built with
# width exactly L / k may come back a few 1e-9 narrower and must still count k, not k + 1
WIDTH_SLACK = 1e-6

# supercell shapes tried on each base cell by `supercell_for`: simple, face-centred and body-centred multiples
SHAPES = (np.eye(3, dtype=int), np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]]),
          np.array([[-1, 1, 1], [1, -1, 1], [1, 1, -1]]))


def plane_spacings(cell) -> np.ndarray:
    """Perpendicular widths of a cell (distance between opposite faces, Å): 1 / |reciprocal vectors|.

    `cell`: a 3x3 matrix of row vectors, an ASE Cell or a pymatgen Lattice."""
    matrix = np.asarray(getattr(cell, "matrix", cell), dtype=float)
    return 1.0 / np.linalg.norm(np.linalg.inv(matrix).T, axis=1)


def supercell_repeat(cell, min_length: float) -> tuple[int, int, int]:
    """Smallest repeats of each vector of `cell` whose perpendicular widths are >= min_length Å (at least 1)."""
    return tuple(max(1, math.ceil(min_length / w - WIDTH_SLACK)) for w in plane_spacings(cell))


def supercell_for(structure, min_length: float = 10.0):
    """(supercell, matrix): a small supercell whose perpendicular widths are all >= `min_length` Å.

    Candidates: the cell as given and its conventional standard cell, each times the
    simple, face-centred and body-centred shape matrices, Niggli-reduced, then scaled
    along each reduced vector just enough (`supercell_repeat`); the one with fewest atoms
    wins (ties: the larger minimum width). `matrix`: rows = supercell vectors in units of
    the base cell's vectors (the conventional cell's when that won). Site properties and
    oxidation states are dropped. Cubic Li3XZ (a = 3.9 Å): 3x3x3 (135 atoms) at 10 Å,
    2x2x2 (40 atoms) at 7.5 Å, the fcc-shaped 2(F) (80 atoms, widths 9.0 Å, periodic
    images 11.0 Å apart) at 9 Å.
    """
    from pymatgen.core import Lattice, Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    base = Structure(structure.lattice, [site.specie.symbol for site in structure], structure.frac_coords)
    cells = [base]
    try:
        cells.append(SpacegroupAnalyzer(base, symprec=0.01).get_conventional_standard_structure())
    except Exception:  # noqa: BLE001  (spglib failure: the cell as given remains)
        pass
    best = None
    for cell in cells:
        m = np.asarray(cell.lattice.matrix)
        for shape in SHAPES:
            reduced = Lattice(shape @ m).get_niggli_reduced_lattice()
            t = np.rint(reduced.matrix @ np.linalg.inv(m)).astype(int)
            p = np.diag(supercell_repeat(reduced, min_length)) @ t
            n_atoms = len(cell) * int(round(abs(np.linalg.det(p))))
            width = float(min(plane_spacings(Lattice(p @ m))))
            if best is None or n_atoms < best[0] or (n_atoms == best[0] and width > best[1] + 1e-6):
                best = (n_atoms, width, cell, p)
    _, _, cell, p = best
    if np.linalg.det(p) < 0:  # keep a right-handed cell
        p = -p
    return cell.make_supercell(p, in_place=False), [[int(x) for x in row] for row in p]
