"""Formation free energies at temperature T (eV per formula unit), from the campaign's relaxed energies.

- Solids: pymatgen's `GibbsComputedStructureEntry` (the SISSO descriptor of Bartel et al., Nat. Commun.
  9, 4168 (2018): G(T) - H from the volume per atom and the reduced mass), on the formation enthalpies
  of our own hull (relaxed energies, MP2020 as for E_d). Elements in their standard state: 0.
- Gases that are compounds (CO2, CO, and SO2, SF6, ... where a solid entry has their formula):
  NIST-JANAF ΔG_f(T) as pymatgen ships them (the same table `GibbsComputedStructureEntry` uses).
  Gas-phase elements (O2, Cl2, ...): 0 at 1 atm.
- A gas at partial pressure p (atm) adds k_B T ln p per molecule.

This is the thermochemistry of the method of Aykol, Montoya, Hummelshøj (JACS 143, 9244 (2021)) and of
rxn-network; the paper ran it at 1000 K and 1 atm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ase import units
from pymatgen.core import Composition

K_B = units.kB  # eV/K
GASES = ("O2", "CO2", "CO")  # released (and, for O2, consumed) as gases at the paper's conditions


@dataclass(frozen=True)
class Species:
    """A phase at T: formula (reduced), ΔG_f per formula unit (eV), atoms per formula unit, volume per formula unit
    (Å^3; None for gases), whether it is a gas, and its id (the relaxed phase it comes from, or "gas:CO2")."""

    formula: str
    dg_ev: float
    atoms: float
    volume: float | None
    gas: bool
    id: str

    @property
    def dg_ev_per_atom(self) -> float:
        return self.dg_ev / self.atoms


def gas_free_energy(formula: str, temperature: float, pressure_atm: float = 1.0) -> float:
    """ΔG_f (eV per molecule) of a gas at `temperature` (K, 300-2000) and partial pressure (atm): NIST-JANAF
    through pymatgen's table for compounds, 0 for elements, plus k_B T ln p."""
    from pymatgen.analysis.compatibility.computed_entries import G_GASES

    comp = Composition(formula)
    dg = 0.0
    if not comp.is_element:
        table = G_GASES[comp.get_integer_formula_and_factor()[0]]
        temps = sorted(int(t) for t in table)
        if not temps[0] <= temperature <= temps[-1]:
            raise ValueError(f"{formula}: no gas data at {temperature} K ({temps[0]}-{temps[-1]} K)")
        dg = float(np.interp(temperature, temps, [table[str(t)] for t in temps]))
    return dg + K_B * temperature * math.log(pressure_atm)


def species_at(entries: list, temperature: float) -> dict[str, Species]:
    """{entry_id: Species} at `temperature` (K) from MP2020-corrected relaxed entries (ComputedStructureEntry) that
    include each element's references (the lowest energy per atom of an element is its reference)."""
    from pymatgen.analysis.compatibility.computed_entries import GibbsComputedStructureEntry

    mu: dict[str, tuple[float, str]] = {}  # element: (eV/atom, id of its reference)
    for e in entries:
        if e.composition.is_element:
            el = e.composition.elements[0].symbol
            if el not in mu or e.energy_per_atom < mu[el][0]:
                mu[el] = (e.energy_per_atom, e.entry_id)
    out = {}
    for e in entries:
        comp = e.composition
        formula, factor = comp.get_reduced_formula_and_factor()
        atoms = comp.num_atoms / factor
        if comp.is_element:
            if mu[comp.elements[0].symbol][1] == e.entry_id:  # the standard state: ΔG_f = 0
                out[e.entry_id] = Species(formula, 0.0, atoms, e.structure.volume / factor, False, e.entry_id)
            continue
        missing = [el.symbol for el in comp.elements if el.symbol not in mu]
        if missing:
            raise ValueError(f"{formula}: no elemental reference for {', '.join(missing)}")
        h_f = (e.energy - sum(n * mu[el.symbol][0] for el, n in comp.items())) / comp.num_atoms  # eV/atom
        g = GibbsComputedStructureEntry(e.structure, h_f, temp=temperature, entry_id=e.entry_id)
        gas = g.experimental  # a formula NIST lists as a gas (SO2, ...): its ΔG_f(T), as pymatgen does
        out[e.entry_id] = Species(formula, g.energy / factor, atoms, None if gas else e.structure.volume / factor,
                                  gas, e.entry_id)
    return out


def gas_species(temperature: float, pressures: dict[str, float] | None = None) -> dict[str, Species]:
    """{"gas:O2": Species, ...} of the released and consumed gases at `temperature` (K) and partial pressures
    (atm; 1 where not given)."""
    pressures = pressures or {}
    out = {}
    for formula in GASES:
        comp = Composition(formula)
        out[f"gas:{formula}"] = Species(formula, gas_free_energy(formula, temperature, pressures.get(formula, 1.0)),
                                        comp.num_atoms, None, True, f"gas:{formula}")
    return out
