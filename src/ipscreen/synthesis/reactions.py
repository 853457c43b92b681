"""Solid-state reactions to a target: balancing from precursor sets, and the competing phases of a route.

Enumeration as in piro (Aykol et al., JACS 143, 9244 (2021)): the chemical space is the target's
elements plus the added ones (C and O: carbon sources, O2, CO2); every set of as many precursors as
that space has elements is solved as a square linear system in per-atom compositions; a set is a
route when every coefficient is positive except those of gases that may be released (O2, CO2, CO),
so the target is the only solid product; O2 is the only gas that may also be taken up. Coefficients
below `ZERO` drop out, so routes have fewer precursors than the space has elements too.

A competing phase of a route (the paper's "compounds which form using the same precursor sets as the
target") is a solid of at least two elements, other than the target, that the route's precursors can
form with negative free energy. Its free energy of formation is that of its most negative elementary
reaction: a balance of linearly independent members, unique for those members as piro's are. Which
phases and gases take part is the `rule`:

- "paper" (default): the paper's rule. Its Fig. 10 caption searched the competing phases of ternary, quaternary
  and quinary targets among "{binary}, {binary, ternary}, and {binary, ternary, quaternary} phases": phases with
  fewer elements than the target, of any of the precursors' elements, carbon included (the paper's counts rise
  with a carbon source: Li3OCl Δ1 2 -> Δ2 3, Li4OBr2 Δ3 0 -> Δ4 2), in the open atmosphere its routes run in
  (piro's air at 1 atm: O2, CO2, CO given off, O2 from the air taken up), so metallic Li oxidises.
- "piro": piro's "flexible competition" as its code does it: phases of the target's elements of any number of
  elements from two up (other orderings of the target's composition and other campaign compounds of the same
  system compete too), the route's own gases moving either way.
- "open": as "paper" with any number of elements, so ternary carbonates and perchlorates compete with a ternary
  target (Li2CO3 from C + Li2O2; LiClO4 -> LiCl + 2 O2 at 1000 K), and so do other orderings of its composition.

docs/validation.md compares the three with the paper's Table 3 counts and fronts.
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
OPEN_GASES = {"O2", "CO2", "CO"}  # the atmosphere's gases a competing reaction may give off


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
    """The most negative free energy (eV per atom of `phase`) of an elementary reaction forming `phase` from some of
    `consumed` while giving off some of `released` (gases); None if no balanced reaction exists.

    Elementary: the members used are linearly independent, so the reaction is the unique balance of its members
    (piro's reactions are of this kind) and never a sum of a reaction to the phase and an unrelated one. A
    linear programme over all amounts would add such sums (burning a carbon source in the same O2 it releases
    drives any phase "downhill"), or, minimising the reactants' free energy, report the least favourable way
    instead of the most. Members holding an element that neither the phase nor a released gas can take are
    left out first; what remains is a few to a few hundred 4-6 column least-squares solves."""
    target = _vector(Composition(phase.formula), elements)
    allowed = {el.symbol for el in Composition(phase.formula).elements}
    allowed |= {el.symbol for g in released for el in Composition(g.formula).elements}
    members = [(_vector(Composition(r.formula), elements), r.dg_ev_per_atom) for r in consumed
               if {el.symbol for el in Composition(r.formula).elements} <= allowed]
    members += [(-_vector(Composition(g.formula), elements), -g.dg_ev_per_atom) for g in released]
    best = None
    for k in range(1, min(len(members), len(elements)) + 1):
        for subset in combinations(members, k):
            matrix = np.array([m[0] for m in subset]).T
            x, _res, rank, _sv = np.linalg.lstsq(matrix, target, rcond=None)
            if rank < k or np.any(x < ZERO) or np.any(x > MAX_COEFFICIENT) or not np.allclose(matrix @ x, target,
                                                                                             atol=1e-8):
                continue
            dg = phase.dg_ev_per_atom - float(np.dot([m[1] for m in subset], x))
            best = dg if best is None else min(best, dg)
    return best


def competing_phases(route: Route, target: Species, species: dict[str, Species], candidates: list[Species],
                     elements: list[str], rule: str = "paper") -> list[tuple[str, float]]:
    """[(species id, eV/atom)] of the candidates that the route's precursors can form with negative free energy,
    most negative first. rule "open": in the open atmosphere (gases in `species`: O2, CO2, CO given off, O2 taken
    up), any phase of the precursors' elements; "paper": those with fewer elements than the target; "piro": piro's
    flexible competition (phases of the target's elements, the route's own gases moving either way)."""
    target_elements = {el.symbol for el in Composition(target.formula).elements}
    if rule == "piro":
        gases = [species[g] for g in route.released] + [species[r] for r in route.reactants if species[r].gas]
        consumed = [species[r] for r in route.reactants if not species[r].gas] + gases
        released = gases
        allowed = target_elements
    else:
        gases = [g for g in species.values() if g.gas and g.formula in OPEN_GASES]
        consumed = [species[r] for r in route.reactants if not species[r].gas]
        consumed += [g for g in gases if g.formula in CONSUMABLE]
        released = gases
        allowed = set(elements)
    available = set().union(*({el.symbol for el in Composition(r.formula).elements} for r in consumed))
    out = []
    for c in candidates:
        els = {el.symbol for el in Composition(c.formula).elements}
        if c.id == target.id or c.gas or len(els) < 2 or not els <= available or not els <= allowed:
            continue
        if rule == "paper" and len(els) >= len(target_elements):
            continue
        dg = formation_minimum(c, consumed, released, elements)
        if dg is not None and dg < -1e-9:
            out.append((c.id, dg))
    return sorted(out, key=lambda item: (item[1], item[0]))
