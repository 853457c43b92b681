"""Synthesis likelihood L_s (0..1; > 0.5 read as "synthesizable"), two pluggable scorers.

``substitution`` (default, offline, no training): the data-mined ionic-substitution
probabilities of Hautier et al., Inorg. Chem. 50, 656 (2011) (the ICSD-mined lambda
table ships with pymatgen). L_s is the likelihood of reaching the compound from the
most similar experimentally synthesized antiperovskite A3XZ (seeds in
``data/known_antiperovskites.json``, each with its publication): per site (A, X, Z)
the conditional substitution probability p(new | seed) relative to keeping the seed's
ion, p(seed | seed); mixed sites use the fraction-weighted geometric mean; the three
sites multiply; capped at 1. A seed itself scores 1. Te2- is absent from the
Hautier table, so Te compounds get the table's "never observed" weight (alpha = -5)
and score low: a limitation of the data, reported in ``synthesizability_note``.

``pu``: the paper's scheme (Jang et al., J. Am. Chem. Soc. 142, 18836 (2020)):
positive-unlabeled bagging (Mordelet & Vert, Pattern Recognit. Lett. 37, 201 (2014)).
Positives are synthesized structures (ICSD-tagged), the rest unlabeled; each bag
trains a decision tree on all positives against an equal-size random draw of
unlabeled entries; L_s is the mean predicted positive probability over bags
(out-of-bag for training entries). Jang et al. used a crystal-graph network; here
each structure is a fixed vector of composition statistics and simple structure
descriptors (see `features`), so a model trains in seconds on a laptop. Train with
``ipscreen synthesizability train --entries FILE``.
"""

from __future__ import annotations

import json
import math
import pickle
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ipscreen.errors import InputError, PropertyError
from ipscreen.space.settings import X_GROUP, Z_GROUP
from ipscreen.structure_io import check_structure

SCORERS = ("substitution", "pu")
PU_MODEL_FORMAT = "ipscreen-pu-bagging-1"


@dataclass(frozen=True)
class SynthesizabilitySettings:
    """scorer: "substitution" (offline default) or "pu" (needs `model`, a file from
    `ipscreen synthesizability train`); threshold: L_s above which a compound counts
    as synthesizable (paper: 0.5)."""

    scorer: str = "substitution"
    model: str = ""
    threshold: float = 0.5

    def validate(self) -> None:
        if self.scorer not in SCORERS:
            raise InputError(f"[synthesizability] scorer = {self.scorer!r} (known: {', '.join(SCORERS)})")
        if self.scorer == "pu" and not self.model:
            raise InputError("[synthesizability] scorer = 'pu' needs model = 'PATH' (from `ipscreen synthesizability train`)")
        if not 0 < self.threshold < 1:
            raise InputError(f"[synthesizability] threshold must lie in (0, 1), not {self.threshold}")


# --- substitution scorer ---------------------------------------------------------------

@lru_cache(maxsize=1)
def seeds() -> list[dict]:
    """The synthesized antiperovskites (species on the A, X, Z sites, source)."""
    return json.loads((resources.files("ipscreen.data") / "known_antiperovskites.json").read_text())["seeds"]


@lru_cache(maxsize=1)
def _table():
    from pymatgen.analysis.structure_prediction.substitution_probability import SubstitutionProbability

    return SubstitutionProbability()


@lru_cache(maxsize=1)
def _table_species() -> frozenset[str]:
    return frozenset(str(s) for s in _table().species)


def _log_cond(new: str, fixed: str) -> float:
    """ln p(new | fixed) from the Hautier table (never-observed pairs get its alpha)."""
    table = _table()
    return table.get_lambda(new, fixed) - math.log(table.get_px(fixed))


def site_fractions(structure) -> dict[str, dict[str, float]]:
    """{"A": {"Li+": 1}, "X": {"O2-": f, ...}, "Z": {...}}: ions on each antiperovskite site."""
    counts = structure.composition.element_composition.get_el_amt_dict()
    unknown = set(counts) - {"Li", *X_GROUP, *Z_GROUP}
    if "Li" not in counts:
        raise PropertyError(f"{structure.composition.reduced_formula} has no Li")
    if unknown:
        raise PropertyError(f"{structure.composition.reduced_formula}: {', '.join(sorted(unknown))} "
                            "is not an ion of the Li-X-Z antiperovskite space")
    sites = {"A": {"Li+": 1.0}}
    for site, group, charge in (("X", X_GROUP, "2-"), ("Z", Z_GROUP, "-")):
        total = sum(counts.get(el, 0) for el in group)
        if total == 0:
            raise PropertyError(f"{structure.composition.reduced_formula} has no {site}-site anion")
        sites[site] = {f"{el}{charge}": counts[el] / total for el in group if counts.get(el)}
    return sites


def substitution_likelihood(structure) -> dict:
    """L_s from the best seed; the seed and the per-seed scores."""
    sites = site_fractions(structure)
    scores = {}
    for seed in seeds():
        log_p = 0.0
        for site, ions in sites.items():
            fixed = seed[site]
            log_p += sum(f * (_log_cond(ion, fixed) - _log_cond(fixed, fixed)) for ion, f in ions.items())
        scores[seed["formula"]] = min(1.0, math.exp(log_p))
    best = max(scores, key=scores.get)
    out = {"synthesizability": scores[best], "synthesizability_seed": best,
           "synthesizability_seed_scores": scores}
    missing = sorted(ion for ions in sites.values() for ion in ions if ion not in _table_species())
    if missing:
        out["synthesizability_note"] = f"{', '.join(missing)} not in the Hautier et al. (2011) table: scored as never observed"
    return out


# --- PU-bagging scorer -----------------------------------------------------------------

ELEMENT_PROPERTIES = ("X", "row", "group", "mendeleev_no", "atomic_radius", "atomic_mass")
CRYSTAL_SYSTEMS = ("triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic")


def features(structure) -> np.ndarray:
    """Fixed-length descriptor: fraction-weighted mean, std, min, max of six element
    properties (Pauling EN, row, group, Mendeleev number, atomic radius Å, mass amu),
    number of elements, volume per atom (Å^3), density (g/cm^3), packing of atomic
    spheres, and the crystal system (one-hot)."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    comp = structure.composition.fractional_composition
    els, fr = list(comp), np.array(list(comp.values()), dtype=float)
    out = []
    for prop in ELEMENT_PROPERTIES:
        values = np.array([float(getattr(el, prop) or 0.0) for el in els])
        mean = float(fr @ values)
        out += [mean, math.sqrt(float(fr @ (values - mean) ** 2)), values.min(), values.max()]
    vol = structure.volume / len(structure)
    radii = np.array([float(site.specie.atomic_radius or 1.0) for site in structure])
    packing = float((4 / 3 * math.pi * radii ** 3).sum() / structure.volume)
    try:
        system = SpacegroupAnalyzer(structure, symprec=0.1).get_crystal_system()
    except Exception:  # spglib can fail on a distorted cell: treat it as triclinic
        system = "triclinic"
    out += [len(els), vol, float(structure.density), packing]
    out += [1.0 if system == s else 0.0 for s in CRYSTAL_SYSTEMS]
    return np.array(out, dtype=float)


def read_entries(path: Path | str) -> tuple[list, np.ndarray]:
    """Structures and positive labels from a JSON file: a list of objects with a pymatgen
    `structure` dict and `synthesized` (bool) — or Materials Project style `theoretical`
    (bool, positive when false) or `icsd_ids` (positive when non-empty)."""
    from pymatgen.core import Structure

    path = Path(path)
    try:
        rows = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"entries file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"entries file {path} is not JSON: {exc}") from None
    if not isinstance(rows, list) or not rows:
        raise InputError(f"entries file {path} must hold a non-empty JSON list of entries")
    structures, labels = [], []
    for i, row in enumerate(rows):
        try:
            structures.append(Structure.from_dict(row["structure"]))
        except Exception as exc:
            raise InputError(f"entry {i} of {path}: no readable 'structure' ({type(exc).__name__}: {exc})") from None
        if "synthesized" in row:
            labels.append(bool(row["synthesized"]))
        elif "theoretical" in row:
            labels.append(not row["theoretical"])
        elif "icsd_ids" in row:
            labels.append(bool(row["icsd_ids"]))
        else:
            raise InputError(f"entry {i} of {path}: needs 'synthesized', 'theoretical' or 'icsd_ids'")
    return structures, np.array(labels, dtype=bool)


def train_pu(structures, positive, n_bags: int = 50, seed: int = 0, progress=None) -> dict:
    """PU bagging: a decision tree per bag on all positives vs an equal-size unlabeled draw.

    Returns a picklable model dict with the trees and the out-of-bag score of every
    unlabeled training entry (its L_s estimate)."""
    from sklearn.tree import DecisionTreeClassifier

    positive = np.asarray(positive, dtype=bool)
    n_pos, unlabeled = int(positive.sum()), np.flatnonzero(~positive)
    if n_pos < 2 or len(unlabeled) < 2:
        raise InputError(f"PU training needs >= 2 positive and >= 2 unlabeled entries (got {n_pos} and {len(unlabeled)})")
    x = np.array([features(s) for s in structures])
    rng = np.random.default_rng(seed)
    k = min(n_pos, len(unlabeled))
    trees, oob_sum, oob_n = [], np.zeros(len(x)), np.zeros(len(x))
    for b in range(n_bags):
        drawn = rng.choice(unlabeled, size=k, replace=True)
        idx = np.concatenate([np.flatnonzero(positive), drawn])
        y = np.concatenate([np.ones(n_pos), np.zeros(k)])
        tree = DecisionTreeClassifier(random_state=int(rng.integers(2**31))).fit(x[idx], y)
        trees.append(tree)
        out_of_bag = np.setdiff1d(unlabeled, drawn)
        if len(out_of_bag):
            oob_sum[out_of_bag] += tree.predict_proba(x[out_of_bag])[:, 1]
            oob_n[out_of_bag] += 1
        if progress:
            progress(b + 1, n_bags)
    oob = np.where(oob_n > 0, oob_sum / np.maximum(oob_n, 1), np.nan)
    return {"format": PU_MODEL_FORMAT, "trees": trees, "n_bags": n_bags, "seed": seed, "n_positive": n_pos,
            "n_unlabeled": len(unlabeled), "oob_unlabeled_scores": oob[unlabeled].tolist()}


def save_model(model: dict, path: Path | str) -> None:
    with open(path, "wb") as handle:
        pickle.dump(model, handle)


@lru_cache(maxsize=4)
def load_model(path: str) -> dict:
    """A model written by `save_model` (only load files you made yourself: it is a pickle)."""
    try:
        with open(path, "rb") as handle:
            model = pickle.load(handle)
    except FileNotFoundError:
        raise InputError(f"PU model file not found: {path}") from None
    except Exception as exc:
        raise InputError(f"{path} is not a PU model file: {exc}") from None
    if not isinstance(model, dict) or model.get("format") != PU_MODEL_FORMAT:
        raise InputError(f"{path} is not an ipscreen PU model ({PU_MODEL_FORMAT})")
    return model


def pu_likelihood(structure, model: dict) -> float:
    """Mean positive probability over the bags' trees."""
    x = features(structure)[None, :]
    return float(np.mean([t.predict_proba(x)[0, 1] for t in model["trees"]]))


# --- the oracle ------------------------------------------------------------------------

def calc(structure, settings: SynthesizabilitySettings = SynthesizabilitySettings()) -> dict:
    """L_s of one structure: `synthesizability` (0..1), `synthesizable` (above threshold),
    `synthesizability_scorer` and `method`."""
    check_structure(structure)
    settings.validate()
    method = {"scorer": settings.scorer, **asdict(settings)}
    if settings.scorer == "substitution":
        from importlib.metadata import version

        out = substitution_likelihood(structure)
        method.update(table="Hautier et al. 2011 (pymatgen lambda.json)", pymatgen=version("pymatgen"))
    else:
        model = load_model(str(Path(settings.model).resolve()))
        out = {"synthesizability": pu_likelihood(structure, model)}
        method.update(n_bags=model["n_bags"], n_positive=model["n_positive"], n_unlabeled=model["n_unlabeled"])
    out["synthesizable"] = out["synthesizability"] > settings.threshold
    out["synthesizability_scorer"] = settings.scorer
    out["method"] = method
    return out
