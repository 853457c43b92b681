"""Settings dataclasses read from TOML tables: unknown keys and wrong types are one-line errors.

The bottom layer: every package (campaign, properties, mobo, ...) validates its
tables with `from_table`.
"""

from __future__ import annotations

from dataclasses import fields

from ipscreen.errors import InputError


def from_table(cls, table: dict | None, name: str):
    """An instance of dataclass `cls` from TOML table `[name]` (defaults where absent).

    Unknown keys and values of the wrong type raise InputError naming the table; ints are
    accepted for float fields.
    """
    table = table or {}
    if not isinstance(table, dict):
        raise InputError(f"[{name}] must be a table")
    known = {f.name for f in fields(cls)}
    unknown = set(table) - known
    if unknown:
        raise InputError(f"unknown key(s) in [{name}]: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    defaults = cls()
    annotations = {f.name: str(f.type) for f in fields(cls)}
    for key, value in table.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # an int is a fine float
        union = [t.strip() for t in annotations[key].split("|")]  # e.g. "bool | str": either is fine
        if len(union) > 1 and type(value).__name__ in union:
            continue
        if getattr(defaults, key) is not None and not isinstance(value, expected):
            kind = " or ".join(union) if len(union) > 1 else expected.__name__
            raise InputError(f"[{name}] {key} must be a {kind}, not {value!r}")
    # the values as written (an int stays an int): they are hashed, and stored hashes must not move
    return cls(**table)
