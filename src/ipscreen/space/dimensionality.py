"""Dimensionality of Li+ transport in an inverse perovskite, from its composition or lattice."""

from __future__ import annotations

from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ipscreen.space.settings import X_GROUP, Z_GROUP


def infer_dimensionality(structure) -> tuple[int, str]:
    """(d, how): 3 for n = inf inverse perovskites (as many X as Z anions) or cubic lattices, else 2."""
    comp = structure.composition.element_composition
    symbols = {el.symbol for el in comp}
    x, z = set(X_GROUP), set(Z_GROUP)
    if "Li" in symbols and symbols <= {"Li"} | x | z and symbols & x and symbols & z:
        n_x = sum(comp[el] for el in comp if el.symbol in X_GROUP)
        n_z = sum(comp[el] for el in comp if el.symbol in Z_GROUP)
        return (3, "n=inf inverse perovskite (X:Z = 1:1)") if abs(n_x - n_z) < 1e-6 else (
            2, "layered inverse perovskite (n = 1, 2)")
    system = SpacegroupAnalyzer(structure, symprec=0.1).get_crystal_system()
    return (3, "cubic lattice") if system == "cubic" else (2, f"{system} lattice")
