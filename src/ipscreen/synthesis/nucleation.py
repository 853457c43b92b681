"""Heterogeneous nucleation barrier of a target on its solid precursors (paper eqs. 26-32; Aykol,
Montoya, Hummelshøj, JACS 143, 9244 (2021), as their piro code evaluates it).

    ΔG* = 16π γ³ f(S) / (3 ΔG_v²),   f(S) = (2 - 3S + S³) / 4,   S = 1 - q_sim - q_epi  (clipped to [-1, 1])
    ΔG** = ΔG* + c q_sim    (the activation term: c = 10 eV, piro's `transport_constant`)

ΔG_v is the reaction free energy per volume of the target (eV/Å³), γ the target's surface energy
(2 J/m², piro's default). q_epi and q_sim are each the minimum over the route's solid precursors, as
piro takes them. The barrier is in eV (the paper's "a.u."); no reaction with ΔG >= 0 has a finite one.

q_epi: lattice matching of precursor (film) on target (substrate) with pymatgen's `SubstrateAnalyzer`
(Miller indices up to 2, its default ZSL tolerances, 400 Å² largest area): the smallest matching
supercell area (Å²) over all matches, divided by 1000 Å² and capped at 1 (1: no match), piro's
normalisation.
"""

from __future__ import annotations

import math

# 1 J/m² in eV/Å² from the exact SI value of e (1.602176634e-19 C, CODATA 2018); ase.units uses CODATA 2014,
# 1e-8 (relative) away
J_PER_M2_TO_EV_PER_A2 = 0.0624150907
EPITAXY_NORM_A2 = 1000.0  # Å²: piro's normalisation of the minimal matching area
MAX_MILLER = 2  # piro's film_max_miller and substrate_max_miller


def shape_factor(s: float) -> float:
    """f(S) = (2 - 3S + S³)/4 with S clipped to [-1, 1]: 0 (complete wetting) to 1 (homogeneous nucleation)."""
    s = min(1.0, max(-1.0, s))
    return (2 - 3 * s + s ** 3) / 4


def barrier(dg_ev_per_atom: float, atoms_per_a3: float, q_sim: float, q_epi: float, gamma_j_per_m2: float = 2.0,
            transport_constant_ev: float = 10.0) -> dict:
    """Nucleation barrier of one route (eq. 27 plus the activation term of eq. 31), eV: {"barrier", "g_star",
    "activation", "f", "s", "dg_v_ev_per_a3"}; barrier inf when the reaction free energy is not negative.
    `atoms_per_a3`: atoms per Å³ of the target."""
    s = 1.0 - q_sim - q_epi
    f = shape_factor(s)
    activation = transport_constant_ev * q_sim
    dg_v = dg_ev_per_atom * atoms_per_a3
    if dg_ev_per_atom >= 0:
        return {"barrier": math.inf, "g_star": math.inf, "activation": activation, "f": f, "s": s, "dg_v_ev_per_a3": dg_v}
    sigma = gamma_j_per_m2 * J_PER_M2_TO_EV_PER_A2
    g_star = 16 * math.pi * sigma ** 3 * f / (3 * dg_v ** 2)
    return {"barrier": g_star + activation, "g_star": g_star, "activation": activation, "f": f, "s": s,
            "dg_v_ev_per_a3": dg_v}


def surface_vectors(structure) -> list:
    """The reduced in-plane lattice vectors (Å) of each symmetrically distinct surface up to Miller index 2: what
    SubstrateAnalyzer matches, from the oriented unit cell of pymatgen's SlabGenerator (20 Å slab, 15 Å vacuum,
    not primitive, as SubstrateAnalyzer builds it); [] when spglib finds no symmetry (a badly distorted cell):
    no orientation to match."""
    from pymatgen.analysis.interfaces.zsl import reduce_vectors
    from pymatgen.core.surface import SlabGenerator, get_symmetrically_distinct_miller_indices
    from pymatgen.symmetry.analyzer import SymmetryUndeterminedError

    try:
        millers = sorted(get_symmetrically_distinct_miller_indices(structure, MAX_MILLER))
        return [reduce_vectors(*SlabGenerator(structure, m, 20, 15, primitive=False).oriented_unit_cell.lattice.matrix[:2])
                for m in millers]
    except SymmetryUndeterminedError:
        return []


def q_epi(precursor, target, target_vectors: list | None = None) -> float:
    """Epitaxial mismatch of a precursor (film) on the target (substrate), in [0, 1]: smallest matching area (Å²)
    over every orientation pair up to Miller index 2, / 1000 Å², capped at 1; 1 when nothing matches.
    `target_vectors`: the target's `surface_vectors`, when it is matched against many precursors.

    SubstrateAnalyzer's search (its surfaces, its default ZSL tolerances), without what the area does not need:
    each surface's vectors are built once, not once per orientation pair, only each pair's smallest match is
    taken (ZSL's `lowest`), and no SubstrateMatch objects (slabs, strain tensors) are made. The same q_epi as
    the minimum over `SubstrateAnalyzer.calculate(lowest=False)` on 12 precursors each of Pm-3m Li3OCl and Cmcm
    Li4OClBr (checked for one pair in tests/test_synthesis.py), 4-6x faster: 45 s -> 7 s and 43 s -> 12 s
    (measured 2026-12-02, one core)."""
    from pymatgen.analysis.interfaces.zsl import ZSLGenerator

    films = surface_vectors(precursor)
    substrates = target_vectors if target_vectors is not None else surface_vectors(target)
    zsl = ZSLGenerator()  # SubstrateAnalyzer's defaults
    areas = [match.match_area for film in films for substrate in substrates for match in zsl(film, substrate, True)]
    return min(1.0, min(areas) / EPITAXY_NORM_A2) if areas else 1.0
