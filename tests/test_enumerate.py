"""Orderings and element decorations, checked against an independent brute force."""

import itertools
import subprocess
import sys
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from ipscreen.space.enumerate import REFERENCE_A, compound_id, decorate, enumerate_orderings
from ipscreen.space.parents import get_parent
from ipscreen.space.settings import SpaceSettings

ALL_FRACTIONS = frozenset(Fraction(k, m) for m in range(1, 13) for k in range(m + 1))
LABEL_SPECIES = {"Li": "Li", "X0": "O", "X1": "S", "Z0": "Cl", "Z1": "Br"}


def _hnfs(n):
    for a in range(1, n + 1):
        if n % a:
            continue
        for c in range(1, n // a + 1):
            if (n // a) % c:
                continue
            f = n // a // c
            for b in range(c):
                for d in range(f):
                    for e in range(f):
                        yield np.array([[a, 0, 0], [b, c, 0], [d, e, f]])


def _brute_force_structures(parent_name, n):
    """Every binary X/Z labelling of every supercell of size n (no symmetry reduction)."""
    from pymatgen.core import Lattice, Structure

    lattice, frac, roles = get_parent(parent_name).cell(REFERENCE_A)
    out = []
    for h in _hnfs(n):
        sup = h.T @ lattice  # Hart-Forcade: the columns of H are the supercell vectors
        inv = np.linalg.inv(sup)
        sites = []
        for f, role in zip(frac, roles):
            seen = []
            for t in itertools.product(range(n), repeat=3):
                p = np.round(((f + t) @ lattice @ inv) % 1.0, 6) % 1.0
                if not any(np.allclose(p, q) for q in seen):
                    seen.append(p)
            sites += [(role, p) for p in seen]
        free = [i for i, (r, _) in enumerate(sites) if r != "Li"]
        for bits in itertools.product((0, 1), repeat=len(free)):
            labels = {i: sites[i][0] + str(b) for i, b in zip(free, bits)}
            species = [LABEL_SPECIES[labels.get(i, "Li")] for i in range(len(sites))]
            n_x = [species[i] for i in free if sites[i][0] == "X"]
            n_z = [species[i] for i in free if sites[i][0] == "Z"]
            if all(s == "S" for s in n_x) or all(s == "Br" for s in n_z):
                continue  # same rule as ipscreen: a pure sublattice only in its first label
            out.append(Structure(Lattice(sup), species, [p for _, p in sites]))
    return out


def _distinct(structures):
    from pymatgen.analysis.structure_matcher import StructureMatcher

    matcher = StructureMatcher(ltol=0.05, stol=0.05, angle_tol=1, primitive_cell=True, scale=False)
    return len(matcher.group_structures(structures))


@pytest.mark.parametrize("parent_name, max_size", [("ninf", 3), ("n1", 2), ("n2", 1)])
def test_ordering_counts_match_brute_force(parent_name, max_size):
    """Number of symmetry-distinct orderings per cell size = brute force modulo symmetry.

    Brute force: all labellings of all supercells (Hermite normal forms), grouped by
    pymatgen's StructureMatcher on primitive cells; the count of size n is the number of
    distinct structures of sizes <= n minus that of sizes <= n - 1.
    """
    cumulative, previous = [], 0
    pool = []
    for n in range(1, max_size + 1):
        pool += _brute_force_structures(parent_name, n)
        total = _distinct(pool)
        expected = total - previous
        previous = total
        got = len(enumerate_orderings(parent_name, n, "both", ALL_FRACTIONS))
        cumulative.append((n, got, expected))
    assert all(got == expected for _, got, expected in cumulative), cumulative


def test_orderings_are_distinct_and_have_right_fractions():
    orderings = enumerate_orderings("ninf", 4, "both", ALL_FRACTIONS)
    keys = {(o.supercell, o.roles) for o in orderings}
    assert len(keys) == len(orderings)
    for o in orderings:
        assert o.roles.count("Li") == 12
        assert sum(r[0] == "X" for r in o.roles) == 4
        assert o.fraction("X1") < 1 and o.fraction("Z1") < 1


def test_ratio_and_alloy_filters():
    half = frozenset({Fraction(0), Fraction(1, 2), Fraction(1)})
    for o in enumerate_orderings("ninf", 4, "both", half):
        assert o.fraction("X1") in half and o.fraction("Z1") in half
    one = enumerate_orderings("n1", 2, "one", ALL_FRACTIONS)
    assert one and all(not (0 < o.fraction("X1") < 1 and 0 < o.fraction("Z1") < 1) for o in one)
    both = enumerate_orderings("n1", 2, "both", ALL_FRACTIONS)
    assert len(both) > len(one)
    only_z = enumerate_orderings("n1", 2, "z", ALL_FRACTIONS)
    assert all(o.fraction("X1") == 0 for o in only_z)
    # a pure sublattice is periodic in the primitive cell, so size 2 holds only mixed ones
    assert {o.fraction("Z1") for o in only_z} == {Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)}


def test_element_assignment():
    x_elements, z_elements = ("O", "S", "Se"), ("Cl", "Br")
    orderings = enumerate_orderings("n1", 2, "one", ALL_FRACTIONS)
    x_mixed = next(o for o in orderings if o.fraction("X1") == Fraction(1, 2))
    compounds = list(decorate(x_mixed, x_elements, z_elements))
    assert len(compounds) == 3 * 2  # 3 X pairs x 2 pure Z elements
    for c in compounds:
        counts = Counter(c.species)
        assert counts["Li"] == 8
        assert counts[c.x_elements[0]] == counts[c.x_elements[1]] == 1
        assert c.x_fraction == 0.5 and c.z_fraction == 1.0
        # first label -> element earlier in the group; positions untouched
        for role, el in zip(x_mixed.roles, c.species):
            if role == "X0":
                assert el == c.x_elements[0]
            if role == "X1":
                assert el == c.x_elements[1]
    size1 = enumerate_orderings("n1", 1, "one", ALL_FRACTIONS)
    pure = next(o for o in size1 if o.fraction("X1") == 0 and o.fraction("Z1") == 0)
    assert len(list(decorate(pure, x_elements, z_elements))) == 3 * 2
    c = next(c for c in decorate(pure, ("O",), ("Cl",)))
    assert (c.formula, c.reduced_formula) == ("Li4OCl2", "Li4OCl2")


def test_formula_and_structure_agree(demo_space):
    from pymatgen.core import Composition

    for c in demo_space:
        s = c.structure
        assert Composition(c.formula) == s.composition
        assert Composition(c.reduced_formula) == s.composition.reduced_composition
        assert len(s) == c.n_atoms == c.size * get_parent(c.parent).n_sites
        primitive = get_parent(c.parent).structure("O", "Cl", a=c.lattice_constant)
        assert s.lattice.volume == pytest.approx(c.size * primitive.lattice.volume)


def test_space_groups_of_known_orderings(demo_space):
    by_formula = {}
    for c in demo_space:
        by_formula.setdefault(c.reduced_formula, set()).add(c.space_group)
    assert by_formula["Li3OCl"] == {"Pm-3m"}
    assert by_formula["Li4OCl2"] == {"I4/mmm"}
    assert by_formula["Li7O2Cl3"] == {"I4/mmm"}
    # rock-salt ordering of Cl/Br on the Z sublattice: the Fm-3m double perovskite
    assert "Fm-3m" in by_formula["Li6O2ClBr"]


def test_ids_stable_across_runs_and_processes(demo_space):
    ids = [c.id for c in demo_space]
    assert len(set(ids)) == len(ids)
    code = ("from ipscreen.campaign.config import from_preset; from ipscreen.space import enumerate_space;"
            "print('\\n'.join(c.id for c in enumerate_space(from_preset('demo').space)))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""}).stdout.split()
    assert other == ids
    for c in demo_space[:20]:  # the id is a function of parent, supercell and site species only
        assert c.id == compound_id(c.parent, _supercell_of(c), c.species)


def _supercell_of(compound):
    lattice = get_parent(compound.parent).cell(compound.lattice_constant)[0]
    return tuple(map(tuple, np.rint(compound.lattice @ np.linalg.inv(lattice)).astype(int).tolist()))


def test_settings_validation_roundtrip():
    s = SpaceSettings.from_dict({"x_elements": ["S", "O"], "z_elements": ["I"], "ratios": ["0.33:0.67", "1:0"],
                                 "parents": {"n1": {"sizes": [2, 1], "alloy": "x"}}})
    assert s.x_elements == ("O", "S")  # canonical group order
    assert s.ratios == ("1:0", "0.67:0.33")
    assert s.fractions == {Fraction(0), Fraction(1), Fraction(1, 3), Fraction(2, 3)}
    assert SpaceSettings.from_dict(s.to_dict()) == s
    assert s.to_dict() == SpaceSettings.from_dict(s.to_dict()).to_dict()  # canonical: what the space hash reads
