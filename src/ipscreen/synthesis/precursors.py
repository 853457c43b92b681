"""The paper's synthesis precursors (binaries, carbon sources, elements, oxy-halogen precursors, O2 gas;
data/precursor_phases.json) and which of the relaxed phases stand for them."""

from __future__ import annotations

from pymatgen.core import Composition

from ipscreen.synthesis.thermo import Species
from ipscreen.thermo.references import precursor_classes as _classes


def precursor_classes() -> list[str]:
    return list(_classes())


def precursor_formulas(classes: list[str], exclude: list[str]) -> set[str]:
    """Reduced formulas of the precursors of `classes`, without those in `exclude` (toxic reactants)."""
    table = _classes()
    banned = {Composition(f).reduced_formula for f in exclude}
    return {Composition(f).reduced_formula for c in classes for f in table[c]} - banned


def simple_enough(formula: str, target_formula: str, simple_precursors: int) -> bool:
    """piro's `simple_precursors` rule: `formula` has at most (elements of the target - simple_precursors) elements
    (carbon counted); always true for simple_precursors = 0."""
    if not simple_precursors:
        return True
    return len(Composition(formula).elements) <= len(Composition(target_formula).elements) - simple_precursors


def choose(species: dict[str, Species], formulas: set[str]) -> list[Species]:
    """One Species per precursor formula present: the polymorph lowest in free energy per atom."""
    best: dict[str, Species] = {}
    for s in species.values():
        if s.formula in formulas and (s.formula not in best or s.dg_ev_per_atom < best[s.formula].dg_ev_per_atom):
            best[s.formula] = s
    return sorted(best.values(), key=lambda s: (s.formula, s.id))
