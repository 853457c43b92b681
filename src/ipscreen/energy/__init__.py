"""Energies: ASE calculator backends (ML potentials, DFT) and relaxation."""
