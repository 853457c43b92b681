"""Solid-state synthesis routes (Aykol, Montoya, Hummelshøj, JACS 2021)."""
