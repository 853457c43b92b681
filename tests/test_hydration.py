"""Hydration energy E_h (Li+/H+ exchange with water): supercells, placements, mass balance,
MP2020 bookkeeping, and one real SevenNet-0 calculation on Li3OCl."""

import numpy as np
import pytest
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from ipscreen.errors import InputError, PropertyError
from ipscreen.properties import hydration as h
from ipscreen.space.enumerate import format_formula
from ipscreen.space.parents import PARENTS


def li3ocl(a=3.91):
    return Structure.from_spacegroup("Pm-3m", Lattice.cubic(a), ["O", "Cl", "Li"], [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]])


def li6oscl2():
    """Mixed-X derivative: Li3OCl doubled along a, one O -> S."""
    s = li3ocl().make_supercell([2, 1, 1], in_place=False)
    s.replace(next(i for i, site in enumerate(s) if site.specie.symbol == "O"), "S")
    return s


def test_supercell_widths():
    sc, matrix = h.supercell_for(li3ocl(), 10.0)
    assert round(abs(np.linalg.det(matrix))) == 27 and len(sc) == 135  # the paper's Li81X27Z27
    assert sc.composition == Composition("Li81O27Cl27")
    assert np.allclose(h.plane_spacings(sc.lattice), 3 * 3.91)
    assert len(h.supercell_for(li3ocl(), 7.5)[0]) == 40  # 2x2x2
    sc, matrix = h.supercell_for(li3ocl(), 9.0)  # fcc-shaped 16-fold cell beats 3x3x3
    assert len(sc) == 80 and np.allclose(h.plane_spacings(sc.lattice), 4 * 3.91 / np.sqrt(3))
    assert np.linalg.det(sc.lattice.matrix) > 0
    for parent in PARENTS.values():  # tetragonal I4/mmm parents: body-centred primitive cells
        host = parent.structure("O", "Br")
        for length in (7.5, 10.0):
            sc, _ = h.supercell_for(host, length)
            assert min(h.plane_spacings(sc.lattice)) >= length
            assert sc.composition.reduced_composition == host.composition.reduced_composition
            diagonal = len(host) * int(np.prod(np.ceil(length / h.plane_spacings(host.lattice))))
            assert len(sc) <= diagonal


def test_plane_spacings_of_a_skewed_cell():
    lattice = Lattice.from_parameters(5, 5, 5, 60, 60, 60)  # fcc primitive cell: widths a*sqrt(2/3)
    assert np.allclose(h.plane_spacings(lattice), 5 * np.sqrt(2 / 3))


def test_placements_differ_and_are_seeded():
    sc, _ = h.supercell_for(li3ocl(), 10.0)
    placements = h.h_placements(sc, 10, seed=3, displacement=0.25)
    assert len(placements) == 10
    assert len({p.li_index for p in placements}) == 10  # 81 Li: no site reused
    h_positions = []
    for p in placements:
        comp = p.structure.composition
        assert comp["H"] == 1 and comp["Li"] == 80 and len(p.structure) == len(sc)
        assert p.structure[p.li_index].specie.symbol == "H"
        shift = p.structure[p.li_index].coords - sc[p.li_index].coords
        assert np.linalg.norm(shift) == pytest.approx(0.25, abs=1e-6)
        h_positions.append(p.structure[p.li_index].coords)
    for i in range(10):
        for j in range(i):
            assert np.linalg.norm(h_positions[i] - h_positions[j]) > 0.05
    again = h.h_placements(sc, 10, seed=3, displacement=0.25)
    assert [p.li_index for p in again] == [p.li_index for p in placements]
    assert all(np.allclose(a.structure.cart_coords, b.structure.cart_coords) for a, b in zip(again, placements))
    other = h.h_placements(sc, 10, seed=4, displacement=0.25)
    assert not all(np.allclose(a.structure.cart_coords, b.structure.cart_coords) for a, b in zip(other, placements))


def test_placements_visit_inequivalent_li_first():
    host = PARENTS["n1"].structure("O", "Cl")  # Li4OCl2: Li on 4c (in the XLi6 layer) and 4e (apical)
    sc, _ = h.supercell_for(host, 7.5)
    orbits = h.li_orbits(sc)
    assert len(orbits) == 2
    placements = h.h_placements(sc, 4, seed=0)
    orbit_of = {i: k for k, orbit in enumerate(orbits) for i in orbit}
    assert [orbit_of[p.li_index] for p in placements] == [0, 1, 0, 1]


def test_mass_balance():
    sc, _ = h.supercell_for(li3ocl(), 10.0)
    placement = h.h_placements(sc, 1)[0]
    assert h.reaction_balance(sc, placement.structure) == "Li81O27Cl27 + H2O -> Li80HO27Cl27 + LiOH"
    mixed, _ = h.supercell_for(li6oscl2(), 10.0)
    reaction = h.reaction_balance(mixed, h.h_placements(mixed, 1)[0].structure)
    assert reaction == f"{format_formula(mixed.composition)} + H2O -> Li{int(mixed.composition['Li']) - 1}H" \
                       f"O{int(mixed.composition['O'])}S{int(mixed.composition['S'])}" \
                       f"Cl{int(mixed.composition['Cl'])} + LiOH"
    with pytest.raises(ValueError, match="unbalanced"):
        h.reaction_balance(sc, sc)  # no Li removed, no H added
    with pytest.raises(ValueError, match="unbalanced"):
        h.reaction_balance(Composition("Li3OCl"), Composition("Li2HOBr"))


def test_mp2020_correction_cancels_in_the_reaction():
    comp = h.mp2020_correction_ev
    for host in (li3ocl(), li6oscl2()):
        sc, _ = h.supercell_for(host, 10.0)
        hydrated = h.h_placements(sc, 1)[0].structure
        net = comp(hydrated) + comp(h.lioh_structure()) / 2 - comp(sc) - comp(h.ice_structure()) / 4
        assert net == pytest.approx(0.0, abs=1e-9)
    sc, _ = h.supercell_for(li3ocl(), 10.0)  # 135 sites: the halide correction must not be dropped
    assert comp(sc) == pytest.approx(27 * (-0.687) + 27 * (-0.614))
    assert comp(h.lioh_structure()) == pytest.approx(2 * -0.687)  # hydroxide O: oxide correction


def test_reference_structures():
    lioh = h.lioh_structure()
    assert lioh.composition == Composition("Li2O2H2")
    assert SpacegroupAnalyzer(lioh, symprec=0.01).get_space_group_symbol() == "P4/nmm"
    ice = h.ice_structure()
    assert ice.composition == Composition("H8O4")
    assert SpacegroupAnalyzer(ice, symprec=0.01).get_space_group_symbol() == "Cmc2_1"
    d = ice.distance_matrix
    for i, site in enumerate(ice):  # ice rules: every O holds two H at 1.00 Å
        if site.specie.symbol == "O":
            assert sum(1 for j, other in enumerate(ice) if other.specie.symbol == "H" and d[i, j] < 1.1) == 2
    assert h.entropy_term_ev(298.15) * h.EV_TO_KJ_PER_MOL == pytest.approx(298.15 * 69.95e-3)


def test_settings_validate():
    h.HydrationSettings().validate()
    for bad in ({"min_length": 0.5}, {"n_placements": 0}, {"h_displacement": -0.1}, {"fmax": 0.0},
                {"temperature": -1.0}, {"optimizer": "CG"}, {"max_steps": 0}, {"host_rattle": -0.01}):
        with pytest.raises(InputError):
            h.HydrationSettings(**bad).validate()
    assert h.HydrationSettings().corrections("sevenn") and not h.HydrationSettings().corrections("chgnet")
    assert h.HydrationSettings(mp2020=False).corrections("sevenn") is False


def test_no_li_is_a_property_error():
    nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [.5, .5, .5]])
    with pytest.raises(PropertyError, match="no Li"):
        h.calc(nacl)


@pytest.fixture(scope="module")
def backend():
    from ipscreen.energy.backends import load_backend

    return load_backend()


def test_element_missing_from_model_is_a_property_error(backend):
    from ase.data import chemical_symbols

    lacking = next(el for el in chemical_symbols[1:] if el not in backend.elements)
    host = li3ocl()
    host.replace(1, lacking)
    with pytest.raises(PropertyError, match=lacking):
        h.calc(host, backend=backend)


@pytest.mark.slow
def test_li3ocl_is_exothermic_with_sevennet(backend, tmp_path):
    """Paper (PBE): E_h(Li3OCl) = -22.43 kJ/mol. Demo-like settings: 2x2x2 cell, 2 placements."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.energy.relax import RelaxSettings, relax

    relaxed = relax(AseAtomsAdaptor.get_atoms(li3ocl()), backend, RelaxSettings(fmax=0.01))
    host = AseAtomsAdaptor.get_structure(relaxed.atoms)
    calls = []
    settings = h.HydrationSettings(min_length=7.5, n_placements=2, max_steps=150)
    out = h.calc(host, settings, backend=backend, workdir=tmp_path, progress=lambda d, n: calls.append((d, n)))
    assert out["reaction"] == "Li24O8Cl8 + H2O -> Li23HO8Cl8 + LiOH"
    assert out["hydration_kj_per_mol"] < 0  # exothermic, as in the paper
    assert out["hydration_enthalpy_kj_per_mol"] < out["hydration_kj_per_mol"]  # -T dS > 0 for consumed water
    assert out["hydration_kj_per_mol"] - out["hydration_enthalpy_kj_per_mol"] == pytest.approx(20.86, abs=0.01)
    assert -60 < out["hydration_kj_per_mol"] < 0
    assert out["h_nearest_neighbour"] == "O" and 0.9 < out["h_nearest_distance_ang"] < 1.05  # an OH- formed
    assert out["mp2020_correction_ev"] == pytest.approx(0.0, abs=1e-9) and out["method"]["mp2020"] is True
    assert len(out["placements"]) == 2 and out["n_converged"] >= 1
    best = out["placements"][out["best_placement"]]
    assert best["energy_ev"] == min(p["energy_ev"] for p in out["placements"])
    assert calls[-1] == (4, 4)
    assert (tmp_path / "hydrated_best.cif").exists()
    refs = h.reference_energies(backend)
    assert abs(refs["LiOH"]["volume_ang3_per_fu"] / 27.29 - 1) < 0.08  # expt: 3.549^2 x 4.334 / 2 Å^3
    assert refs["LiOH"]["status"] == refs["H2O"]["status"] == "converged"


@pytest.mark.slow
def test_rattled_host_leaves_the_symmetric_saddle_point(backend, paper_space):
    """Fm-3m Li6O2FCl relaxed with its symmetry kept sits on a saddle point: from a rattled start its
    40-atom supercell relaxes ~2 eV lower (measured 2.10 eV), so an unrattled host would make E_h about
    200 kJ/mol too negative against the (symmetry-broken) hydrated cells."""
    from pymatgen.io.ase import AseAtomsAdaptor

    from ipscreen.energy.relax import RelaxSettings, relax

    compound = next(c for c in paper_space if c.reduced_formula == "Li6O2FCl" and c.space_group == "Fm-3m")
    relaxed = relax(AseAtomsAdaptor.get_atoms(compound.structure), backend, RelaxSettings(fmax=0.02))
    host = AseAtomsAdaptor.get_structure(relaxed.atoms)
    runs = {rattle: h.calc(host, h.HydrationSettings(min_length=7.5, n_placements=1, host_rattle=rattle),
                           backend=backend)
            for rattle in (0.0, 0.05)}
    drop_ev = runs[0.0]["host_supercell_energy_ev"] - runs[0.05]["host_supercell_energy_ev"]
    assert drop_ev > 1.0
    gained = runs[0.05]["hydration_kj_per_mol"] - runs[0.0]["hydration_kj_per_mol"]
    assert gained == pytest.approx(drop_ev * 96.485, abs=1.0)  # the same placement, only the host changed
