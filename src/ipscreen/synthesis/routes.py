"""Synthesis routes of one target: enumeration, nucleation barrier, competing phases, Pareto front and
the front's sensitivity to the energy error (paper Fig. 10, Table 3; Aykol, Montoya, Hummelshøj,
JACS 143, 9244 (2021)).

The Pareto front minimises (number of competing phases, nucleation barrier), as piro does: routes
sorted by competing phases, then barrier; one route per competing-phase count, kept when its
barrier is strictly below that of every front route with fewer competing phases; infinite barriers
(ΔG >= 0) are never on it.

Sensitivity: the barrier goes as 1/ΔG². Each route also gets the barrier with ΔG moved by -δ and +δ
(`energy_error_ev_per_atom`, default the order of the ML potential's E_d error against PBE in
docs/validation.md; the second backend's spread where the campaign has one), and is flagged when its
place on the front (on it or not) differs at either end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from pymatgen.core import Composition

from ipscreen.errors import InputError
from ipscreen.synthesis.nucleation import barrier
from ipscreen.synthesis.reactions import Route, competing_phases, enumerate_routes
from ipscreen.synthesis.thermo import GASES, Species

COMPETITION_RULES = ("paper", "piro", "open")  # synthesis/reactions.competing_phases
RELEASABLE = {"O2", "CO2", "CO"}  # gases a route may give off (piro's GAS_RELEASE without H2O, N2)


@dataclass
class SynthesisSettings:
    """[synthesis]: conditions (K, atm), surface energy (J/m²), the activation constant (eV), the elements added to
    the target's (carbon sources, O2), the precursor classes used, the excluded formulas, how much simpler than the
    target a precursor must be, the energy error (eV/atom) for the sensitivity of the barriers, and the
    competing-phase rule."""

    temperature_k: float = 1000.0  # the paper's 1000 K
    # partial pressures (atm) of the gases in air at 1 atm, piro's DEFAULT_GAS_PRESSURES (O2 0.2095, CO2 0.000394737;
    # others 1 atm): a carbonate route releasing CO2 into air, as the paper's Li2CO3 routes (Table 3) need
    pressures_atm: dict = field(default_factory=lambda: {"O2": 0.2095, "CO2": 0.000394737})
    gamma_j_per_m2: float = 2.0  # piro's default
    transport_constant_ev: float = 10.0  # piro's default
    add_elements: list[str] = field(default_factory=lambda: ["C", "O"])
    classes: list[str] = field(default_factory=lambda: ["binaries", "carbon", "elements", "oxyhalogen", "gases"])
    exclude: list[str] = field(default_factory=lambda: ["SeO2", "CCl4", "SeBr4"])  # the paper's toxic reactants
    # piro's `simple_precursors` (SynthesisRoutes): solid precursors have at most (the target's number of elements
    # - simple_precursors) elements, carbon counted; 0: no limit. 1 (default) is the rule every precursor on every
    # front route of the paper's Table 3 obeys: binaries only for its ternary targets (no Li2CO3 and no LiClO4 on the
    # Li3OCl and Li4OBr2 fronts), ternaries too for its quaternary ones (Li2CO3, LiClO4, LiIO3).
    simple_precursors: int = 1
    energy_error_ev_per_atom: float = 0.01
    # which phases compete (synthesis/reactions.py): "paper" (default: the paper's Fig. 10 rule, phases of the
    # precursors' elements with fewer elements than the target, in the open atmosphere), "piro" (piro's flexible
    # competition: phases of the target's elements, the route's own gases) or "open" (as "paper", any number of
    # elements)
    competition: str = "paper"

    def validate(self) -> None:
        from ipscreen.synthesis.precursors import precursor_classes

        if not 300 <= self.temperature_k <= 2000:
            raise InputError(f"[synthesis] temperature_k = {self.temperature_k}: the free-energy tables cover 300-2000 K")
        if set(self.pressures_atm) - set(GASES) or not all(isinstance(v, (int, float)) and v > 0
                                                            for v in self.pressures_atm.values()):
            raise InputError(f"[synthesis] pressures_atm: positive partial pressures (atm) of {', '.join(GASES)}")
        if self.competition not in COMPETITION_RULES:
            raise InputError(f"[synthesis] competition = {self.competition!r}: one of {', '.join(COMPETITION_RULES)}")
        if not isinstance(self.simple_precursors, int) or self.simple_precursors < 0:
            raise InputError(f"[synthesis] simple_precursors = {self.simple_precursors!r}: an integer >= 0 (0: no limit)")
        if self.gamma_j_per_m2 <= 0 or self.energy_error_ev_per_atom < 0:
            raise InputError("[synthesis] gamma_j_per_m2 must be > 0 and energy_error_ev_per_atom >= 0")
        unknown = set(self.classes) - set(precursor_classes())
        if unknown:
            raise InputError(f"[synthesis] unknown precursor classes {sorted(unknown)} (known: "
                             f"{', '.join(precursor_classes())})")


def reaction_text(route: Route, target: Species, species: dict[str, Species]) -> str:
    """'2 Li2O2 + 2 LiCl -> 2 Li3OCl + O2'-style text per formula unit of target (coefficients as in the paper)."""
    def term(n: float, formula: str) -> str:
        return formula if abs(n - 1) < 1e-6 else f"{n:.3g} {formula}"

    left = " + ".join(term(n, species[r].formula) for r, n in sorted(route.reactants.items()))
    right = " + ".join([target.formula] + [term(n, species[g].formula) for g, n in sorted(route.released.items())])
    return f"{left} -> {right}"


def pareto_front(points: list[tuple[int, float]]) -> list[int]:
    """Indices of the front of (competing phases, barrier), both minimised; infinite barriers excluded."""
    order = sorted((i for i, (_n, b) in enumerate(points) if math.isfinite(b)), key=lambda i: (points[i], i))
    front, best = [], math.inf
    for i in order:
        n, b = points[i]
        if front and points[front[-1]][0] == n:
            continue  # one route per competing-phase count: the lowest barrier
        if b < best:
            front.append(i)
            best = b
    return front


def routes_for(target: Species, species: dict[str, Species], precursors: list[Species], candidates: list[Species],
               settings: SynthesisSettings, q_of: Callable[[str], tuple[float, float | None]],
               energy_error: float | None = None) -> list[dict]:
    """Every route to `target` with its barrier, competing phases and place on the Pareto front.

    species: every Species by id (precursors, gases, candidates, target); precursors: the solids and gases to
    combine; candidates: the phases that may compete; q_of(precursor id) -> (q_epi, q_sim or None) of that solid
    against the target. energy_error: δ for the sensitivity (default the settings')."""
    if target.volume is None:
        raise InputError(f"{target.formula}: a gas cannot be a synthesis target")
    delta = settings.energy_error_ev_per_atom if energy_error is None else energy_error
    elements = sorted({el.symbol for el in Composition(target.formula).elements} | set(settings.add_elements))
    routes = enumerate_routes(target, precursors, elements, RELEASABLE)
    density = target.atoms / target.volume  # atoms per Å³
    out = []
    for route in routes:
        solids = [r for r in route.reactants if not species[r].gas]
        qs = [q_of(r) for r in solids]
        q_epi = min(q[0] for q in qs)
        sims = [q[1] for q in qs if q[1] is not None]
        q_sim = min(sims) if sims else 1.0  # no precursor with features: piro's fallback
        b = [barrier(route.dg_ev_per_atom + d, density, q_sim, q_epi, settings.gamma_j_per_m2,
                     settings.transport_constant_ev)["barrier"] for d in (0.0, -delta, delta)]
        competing = competing_phases(route, target, species, candidates, elements, settings.competition)
        out.append({"reaction": reaction_text(route, target, species),
                    "precursors": sorted(species[r].formula for r in route.reactants),
                    "released_gases": sorted(species[g].formula for g in route.released),
                    "reaction_energy_ev_per_atom": round(route.dg_ev_per_atom, 6),
                    "reaction_energy_ev_per_a3": round(route.dg_ev_per_atom * density, 8),  # ΔG_v of eq. 27
                    "nucleation_barrier": b[0], "barrier_range": [b[1], b[2]], "q_epi": round(q_epi, 6),
                    "q_sim": round(q_sim, 6), "competing_phases": len(competing),
                    "competing": [species[c].formula for c, _dg in competing]})
    fronts = [set(pareto_front([(r["competing_phases"], r["nucleation_barrier"] if k == 0 else r["barrier_range"][k - 1])
                                for r in out])) for k in range(3)]
    for i, r in enumerate(out):
        r["pareto"] = i in fronts[0]
        r["front_depends_on_energy"] = len({i in f for f in fronts}) > 1
        r["nucleation_barrier"] = _finite(r["nucleation_barrier"])
        r["barrier_range"] = [_finite(x) for x in r["barrier_range"]]
    return out


def _finite(x: float) -> float | None:
    """A barrier for JSON: None for infinity (ΔG >= 0: no nucleation)."""
    return None if not math.isfinite(x) else round(x, 6)
