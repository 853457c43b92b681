"""Solid-state reactions to a target: balancing from precursor sets, and the competing phases of a route.

Enumeration as in piro (Aykol et al., JACS 143, 9244 (2021)): the chemical space is the target's
elements plus the added ones (C and O: carbon sources, O2, CO2); every set of as many precursors as
that space has elements is solved as a square linear system in per-atom compositions; a set is a
route when every coefficient is positive except those of gases that may be released (O2, CO2, CO),
so the target is the only solid product; O2 is the only gas that may also be taken up. Coefficients
below `ZERO` drop out, so routes have fewer precursors than the space has elements too.

A competing phase of a route (piro's "flexible competition", the paper's "{binary}, {binary,
ternary}, ..." for ternary, quaternary, ... targets) is a phase of at least two elements, all of them
the target's and the route's, other than the target itself, that the same precursors can form by a
reaction with negative free energy (releasing the same gases where needed). Its most negative such
reaction is found by a linear programme over the precursors and gases (scipy's HiGHS): the phase can
form if that minimum is below zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from pymatgen.core import Composition

from ipscreen.synthesis.thermo import Species

ZERO = 1e-4  # coefficient (atoms per atom of target) below which a precursor is not part of a route
MAX_COEFFICIENT = 100.0  # |coefficient| above which a balance is numerically meaningless
CONSUMABLE = {"O2"}  # the only gas a route may take up (the paper's O2 gas precursor)


@dataclass
class Route:
    """A balanced reaction to one formula unit of the target: {species id: formula units} of reactants and of
    released gases, its free energy (eV per atom of target) and the derived quantities filled in later."""

    reactants: dict[str, float]
    released: dict[str, float]
    dg_ev_per_atom: float
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        return tuple(sorted(self.reactants))


def _vector(comp: Composition, elements: list[str]) -> np.ndarray:
    frac = comp.fractional_composition
    return np.array([frac[el] for el in elements], dtype=float)


def balance(target: Species, members: list[Species], elements: list[str], releasable: set[str]) -> Route | None:
    """The reaction from `members` (as many as `elements`) to one formula unit of the target, or None when the
    set does not balance with positive reactant coefficients (gases in `releasable` may come out)."""
    matrix = np.array([_vector(Composition(m.formula), elements) for m in members]).T
    try:
        x = np.linalg.solve(matrix, _vector(Composition(target.formula), elements))  # atoms per atom of target
    except np.linalg.LinAlgError:
        return None
    if np.any(np.abs(x) > MAX_COEFFICIENT) or not np.allclose(matrix @ x, _vector(Composition(target.formula),
                                                                                      elements), atol=1e-8):
        return None
    reactants, released = {}, {}
    for m, xi in zip(members, x):
        if abs(xi) < ZERO:
            continue
        units = xi * target.atoms / m.atoms  # formula units per formula unit of target
        if xi > 0:
            if m.gas and m.formula not in CONSUMABLE:
                return None  # CO2, CO: given off, never taken up
            reactants[m.id] = units
        elif m.gas and m.formula in releasable:
            released[m.id] = -units
        else:
            return None
    if not reactants or all(_species(members, r).gas for r in reactants):
        return None
    energy = target.dg_ev - sum(n * _species(members, r).dg_ev for r, n in reactants.items()) + sum(
        n * _species(members, g).dg_ev for g, n in released.items())
    return Route(reactants, released, energy / target.atoms)


def _species(members: list[Species], sid: str) -> Species:
    return next(m for m in members if m.id == sid)


def enumerate_routes(target: Species, precursors: list[Species], elements: list[str],
                     releasable: set[str]) -> list[Route]:
    """Every distinct route to `target` from `precursors` (solids and gases whose elements lie in `elements`): each
    set of len(elements) members solved in turn; of the routes with the same reactants (e.g. releasing CO2 or CO)
    the one with the lowest free energy; most negative reaction free energy first."""
    allowed = set(elements)
    usable = sorted((p for p in precursors if {el.symbol for el in Composition(p.formula).elements} <= allowed),
                    key=lambda p: (p.formula, p.id))
    routes: dict[tuple, Route] = {}
    for members in combinations(usable, len(elements)):
        route = balance(target, list(members), elements, releasable)
        if route is not None and (route.key not in routes or route.dg_ev_per_atom < routes[route.key].dg_ev_per_atom):
            routes[route.key] = route  # one route per reactant set: the gases released with the lowest ΔG
    return sorted(routes.values(), key=lambda r: (r.dg_ev_per_atom, r.key))


def formation_minimum(phase: Species, consumed: list[Species], released: list[Species], elements: list[str]) -> float | None:
    """The most negative free energy (eV per atom of `phase`) of a reaction forming `phase` from any non-negative
    amounts of `consumed` while giving off any of `released` (gases); None if no balanced reaction exists."""
    from scipy.optimize import linprog

    columns = [_vector(Composition(r.formula), elements) for r in consumed]
    columns += [-_vector(Composition(g.formula), elements) for g in released]
    costs = [r.dg_ev_per_atom for r in consumed] + [-g.dg_ev_per_atom for g in released]
    result = linprog(costs, A_eq=np.array(columns).T, b_eq=_vector(Composition(phase.formula), elements),
                     bounds=[(0, MAX_COEFFICIENT)] * len(costs), method="highs")
    if not result.success:
        return None
    return phase.dg_ev_per_atom - float(result.fun)


def competing_phases(route: Route, target: Species, species: dict[str, Species], candidates: list[Species],
                     elements: list[str]) -> list[tuple[str, float]]:
    """[(species id, eV/atom)] of the candidates that the route's precursors can form with negative free energy,
    giving off the route's gases (those it releases, and O2 where it consumes O2), most negative first."""
    consumed = [species[r] for r in route.reactants]
    released = [species[g] for g in route.released] + [species[r] for r in route.reactants if species[r].gas]
    available = set().union(*({el.symbol for el in Composition(r.formula).elements} for r in consumed))
    target_elements = {el.symbol for el in Composition(target.formula).elements}
    out = []
    for c in candidates:
        els = {el.symbol for el in Composition(c.formula).elements}
        if c.id == target.id or c.gas or len(els) < 2 or not els <= target_elements or not els <= available:
            continue
        dg = formation_minimum(c, consumed, released, elements)
        if dg is not None and dg < -1e-9:
            out.append((c.id, dg))
    return sorted(out, key=lambda item: (item[1], item[0]))
