"""Settings of the chemical-space stage, validated from a campaign file's [space] table."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ipscreen.errors import InputError

X_GROUP = ("O", "S", "Se", "Te")  # chalcogenides on the X (octahedron-centre) site
Z_GROUP = ("F", "Cl", "Br", "I")  # halides on the Z (A-like) site
# formal charges (e) of the inverse-perovskite ions: Li+, X2-, Z-
OXIDATION_STATES = {"Li": 1, **dict.fromkeys(X_GROUP, -2), **dict.fromkeys(Z_GROUP, -1)}
PARENT_ORDER = ("ninf", "n1", "n2")
ALLOY_MODES = ("both", "one", "x", "z", "none")
# Sub-concentration ratios of the paper (SPEC.md section 1): 1:0, 0.75:0.25, 0.5:0.5,
# 0.67:0.33 and the reverse; 0.67 stands for 2/3.
ALLOWED_FRACTIONS = frozenset(Fraction(f) for f in ("0", "1/4", "1/3", "1/2", "2/3", "3/4", "1"))


def parse_ratio(text: str) -> tuple[Fraction, Fraction]:
    """'0.67:0.33' -> (2/3, 1/3); InputError unless it is one of the paper's ratios."""
    try:
        a_text, b_text = str(text).split(":")
        a, b = float(a_text), float(b_text)
    except ValueError:
        raise InputError(f"malformed ratio {text!r}: write it as 'A:B', e.g. '0.75:0.25'") from None
    fa = Fraction(a).limit_denominator(4)
    fb = Fraction(b).limit_denominator(4)
    ok = abs(a + b - 1.0) < 0.02 and abs(float(fa) - a) < 0.011 and abs(float(fb) - b) < 0.011
    if not ok or fa not in ALLOWED_FRACTIONS or fb not in ALLOWED_FRACTIONS or fa + fb != 1:
        raise InputError(
            f"ratio {text!r} is outside the allowed set (1:0, 0.75:0.25, 0.67:0.33, 0.5:0.5 and reverses)"
        )
    return fa, fb


def _decimal(f: Fraction) -> str:
    """2/3 -> '0.67', 1 -> '1', 1/2 -> '0.5' (the paper's notation)."""
    return f"{float(f):.2f}".rstrip("0").rstrip(".")


def _check_elements(values, group: tuple[str, ...], site: str) -> tuple[str, ...]:
    from pymatgen.core.periodic_table import Element

    if not isinstance(values, (list, tuple)) or not values:
        raise InputError(f"space.{site.lower()}_elements must be a non-empty list of element symbols")
    for el in values:
        if not isinstance(el, str) or not Element.is_valid_symbol(el):
            raise InputError(f"unknown element {el!r} in space.{site.lower()}_elements")
        if el not in group:
            raise InputError(f"element {el} cannot occupy the {site} site (allowed: {', '.join(group)})")
    if len(set(values)) != len(values):
        raise InputError(f"space.{site.lower()}_elements lists an element twice: {list(values)}")
    return tuple(el for el in group if el in values)  # canonical group order


@dataclass(frozen=True)
class ParentSettings:
    """Which supercell sizes (formula units) to enumerate and which sublattices may mix.

    alloy (per size): "both" (X and Z may both be mixed), "one" (at most one of
    them), "x" or "z" (only that one), "none" (parent compositions only).
    """

    sizes: tuple[int, ...]
    alloy: tuple[str, ...]  # one mode per size

    def mode(self, size: int) -> str:
        return self.alloy[self.sizes.index(size)]

    @staticmethod
    def may_mix(mode: str, x_mixed: bool, z_mixed: bool) -> bool:
        return {
            "both": True,
            "one": not (x_mixed and z_mixed),
            "x": not z_mixed,
            "z": not x_mixed,
            "none": not (x_mixed or z_mixed),
        }[mode]


@dataclass(frozen=True)
class SpaceSettings:
    """Validated [space] settings: elements per site, ratios and per-parent cells."""

    x_elements: tuple[str, ...]
    z_elements: tuple[str, ...]
    ratios: tuple[str, ...]
    parents: tuple[tuple[str, ParentSettings], ...]

    @property
    def fractions(self) -> frozenset[Fraction]:
        """Allowed site fractions of one element on a sublattice (both sides of every ratio)."""
        out = set()
        for r in self.ratios:
            out.update(parse_ratio(r))
        return frozenset(out)

    @classmethod
    def from_dict(cls, data: dict) -> "SpaceSettings":
        if not isinstance(data, dict):
            raise InputError("[space] must be a table")
        known = {"x_elements", "z_elements", "ratios", "parents"}
        extra = set(data) - known
        if extra:
            raise InputError(f"unknown key(s) in [space]: {', '.join(sorted(extra))} (known: {', '.join(sorted(known))})")
        missing = known - set(data)
        if missing:
            raise InputError(f"missing key(s) in [space]: {', '.join(sorted(missing))}")
        x = _check_elements(data["x_elements"], X_GROUP, "X")
        z = _check_elements(data["z_elements"], Z_GROUP, "Z")
        ratios = data["ratios"]
        if not isinstance(ratios, (list, tuple)) or not ratios:
            raise InputError("space.ratios must be a non-empty list such as ['1:0', '0.5:0.5']")
        normalised = []
        for r in ratios:
            fa, fb = parse_ratio(r)
            normalised.append(f"{_decimal(max(fa, fb))}:{_decimal(min(fa, fb))}")
        parents_in = data["parents"]
        if not isinstance(parents_in, dict) or not parents_in:
            raise InputError("[space.parents] must name at least one of: " + ", ".join(PARENT_ORDER))
        parents = []
        for name, spec in parents_in.items():
            if name not in PARENT_ORDER:
                raise InputError(f"unknown parent {name!r} in [space.parents] (known: {', '.join(PARENT_ORDER)})")
            if not isinstance(spec, dict) or set(spec) - {"sizes", "alloy"} or "sizes" not in spec:
                raise InputError(f"[space.parents.{name}] needs 'sizes' (list of formula units) and optional 'alloy'")
            sizes = spec["sizes"]
            ok = isinstance(sizes, list) and sizes and all(isinstance(s, int) and 1 <= s <= 16 for s in sizes)
            if not ok or len(set(sizes)) != len(sizes):
                raise InputError(f"space.parents.{name}.sizes must be a list of distinct integers between 1 and 16")
            alloy = spec.get("alloy", "both")
            alloy = [alloy] * len(sizes) if isinstance(alloy, str) else alloy
            if not isinstance(alloy, list) or len(alloy) != len(sizes):
                raise InputError(f"space.parents.{name}.alloy must be one mode or a list with one mode per size")
            for mode in alloy:
                if mode not in ALLOY_MODES:
                    raise InputError(f"space.parents.{name}.alloy = {mode!r} (known: {', '.join(ALLOY_MODES)})")
            pairs = sorted(zip(sizes, alloy))
            parents.append((name, ParentSettings(tuple(s for s, _ in pairs), tuple(m for _, m in pairs))))
        parents.sort(key=lambda item: PARENT_ORDER.index(item[0]))
        return cls(x, z, tuple(sorted(set(normalised), reverse=True)), tuple(parents))

    def to_dict(self) -> dict:
        return {
            "x_elements": list(self.x_elements),
            "z_elements": list(self.z_elements),
            "ratios": list(self.ratios),
            "parents": {name: {"sizes": list(p.sizes), "alloy": list(p.alloy)} for name, p in self.parents},
        }
