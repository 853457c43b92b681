"""Property oracles (SPEC.md §3-4): band gap (GPAW PBE), hydration energy, Li+
conductivity (ML-potential MD + BVSE), synthesis likelihood.

Each module offers a frozen settings dataclass and ``calc(structure, settings, ...) -> dict``
whose keys carry their units; a structure the oracle cannot handle raises
:class:`ipscreen.errors.PropertyError` with the reason.
"""
