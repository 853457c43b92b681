"""Counts of a chemical space per parent, supercell size and sub-concentration ratio."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

PARENT_LABELS = {"ninf": "Li3XZ (n=inf, Pm-3m)", "n1": "Li4XZ2 (n=1, I4/mmm)", "n2": "Li7X2Z3 (n=2, I4/mmm)"}


def ratio_label(fraction: float) -> str:
    """Site fraction of the first element -> the paper's ratio notation, e.g. 0.25 -> '0.25:0.75'."""
    f = Fraction(fraction).limit_denominator(12)

    def fmt(x: Fraction) -> str:
        return f"{float(x):.2f}".rstrip("0").rstrip(".")

    return f"{fmt(f)}:{fmt(1 - f)}"


def space_stats(rows: list[dict]) -> dict:
    """{'total', 'per_parent', 'per_size', 'per_x_ratio', 'per_z_ratio', 'per_ratio', 'compositions'}."""
    return {
        "total": len(rows),
        "per_parent": dict(Counter(r["parent"] for r in rows)),
        "per_size": {f"{p} x{s}": n for (p, s), n in sorted(Counter((r["parent"], r["size"]) for r in rows).items())},
        "per_x_ratio": dict(sorted(Counter(ratio_label(r["x_fraction"]) for r in rows).items(), reverse=True)),
        "per_z_ratio": dict(sorted(Counter(ratio_label(r["z_fraction"]) for r in rows).items(), reverse=True)),
        "per_ratio": {
            f"X {x} | Z {z}": n
            for (x, z), n in sorted(
                Counter((ratio_label(r["x_fraction"]), ratio_label(r["z_fraction"])) for r in rows).items(),
                reverse=True,
            )
        },
        "compositions": len({r["reduced_formula"] for r in rows}),
    }
