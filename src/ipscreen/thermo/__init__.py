"""Thermodynamics: competing reference phases and the convex hull (E_d)."""
