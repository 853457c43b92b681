"""Structural and chemical similarity q_sim of a precursor to a target (Aykol, Montoya, Hummelshøj,
J. Am. Chem. Soc. 143, 9244 (2021); reference code TRI-AMDD/piro, Apache-2.0, `piro/utils.py::similarity`).

Both structures get piro's 273-feature fingerprint: the matminer (0.8.0) featurizers
SiteStatsFingerprint "CoordinationNumber_ward-prb-2017" and "LocalPropertyDifference_ward-prb-2017",
StructuralHeterogeneity, ChemicalOrdering, MaximumPackingEfficiency and, on the composition,
Stoichiometry, ElementProperty "magpie", ValenceOrbital(frac) and IonProperty(fast=True). Columns are
ordered by sorted() of their matminer labels and standardized with piro's StandardScaler; d is the
Euclidean distance of the two standardized vectors and q_sim the empirical CDF of d over random pairs of
15000 OQMD ICSD structures, at 1 % resolution: 0 = as alike as the closest pairs, 1 = as different as the
farthest. It is a dissimilarity, used as such by the nucleation-barrier model.

matminer itself does not import with the pinned stack (it needs pkg_resources, pymatgen's removed
`_pt_data` and scipy's removed `sph_harm`), so the featurizers are re-implemented here on pymatgen's
VoronoiNN (weight = face area, the tessellation of current pymatgen) and the Magpie element tables of
matminer 0.8.0, which ship with the scaler in ipscreen/data/piro_similarity.json (see
scripts/make_similarity_data.py). On 20 structures (1-56 sites) every column agrees with matminer 0.8.0
(run on the same pymatgen) to 1e-13 relative; docs/similarity.md shows the column check against piro's
means. A featurizer that fails on a structure (a disordered site, an element past Z = 103, a Voronoi
error) gives NaN for its columns, as matminer's ignore_errors does; such a precursor has no q_sim
(piro's -1), returned here as None.
"""

from __future__ import annotations

import functools
import itertools
import json
import warnings
from importlib import resources

import numpy as np

N_FEATURES = 273
MAGPIE_PROPERTIES = ("Number", "MendeleevNumber", "AtomicWeight", "MeltingT", "Column", "Row", "CovalentRadius",
                     "Electronegativity", "NsValence", "NpValence", "NdValence", "NfValence", "NValence", "NsUnfilled",
                     "NpUnfilled", "NdUnfilled", "NfUnfilled", "NUnfilled", "GSvolume_pa", "GSbandgap", "GSmagmom",
                     "SpaceGroupNumber")
STATS = ("minimum", "maximum", "range", "mean", "avg_dev")  # SiteStatsFingerprint / StructuralHeterogeneity stats
P_NORMS = (0, 2, 3, 5, 7, 10)
ORBITALS = ("s", "p", "d", "f")
SHELLS = (1, 2, 3)


def featurizer_labels() -> list[str]:
    """The 273 matminer 0.8.0 column labels in piro's featurizer order (before sorting)."""
    labels = [f"{s} CN_VoronoiNN" for s in STATS]
    labels += ["mean absolute deviation in relative bond length", "max relative bond length", "min relative bond length"]
    labels += [f"{s} neighbor distance variation" for s in STATS]
    labels += ["mean absolute deviation in relative cell size"]
    labels += [f"mean ordering parameter shell {n}" for n in SHELLS]
    labels += ["max packing efficiency"]
    labels += [f"{s} local difference in {p}" for p in MAGPIE_PROPERTIES for s in STATS]
    labels += [f"{p}-norm" for p in P_NORMS]
    labels += [f"MagpieData {s} {p}" for p in MAGPIE_PROPERTIES for s in (*STATS, "mode")]
    labels += [f"frac {o} valence electrons" for o in ORBITALS]
    labels += ["compound possible", "max ionic char", "avg ionic char"]
    return labels


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    """piro's scaler (mean, scale in feature units), distance quantiles (standardized units) and the Magpie
    tables (row per property, column Z; NaN where missing), loaded once from ipscreen/data/piro_similarity.json."""
    raw = json.loads((resources.files("ipscreen.data") / "piro_similarity.json").read_text(encoding="utf-8"))
    names = raw["feature_names"]
    labels = featurizer_labels()
    if sorted(labels) != names or len(names) != N_FEATURES:
        raise RuntimeError("piro_similarity.json: feature names do not match the featurizer labels")
    position = {label: i for i, label in enumerate(labels)}
    magpie = np.full((len(MAGPIE_PROPERTIES), raw["magpie"]["z_max"] + 1), np.nan)
    for row, prop in enumerate(MAGPIE_PROPERTIES):
        magpie[row, 1:] = [np.nan if v is None else v for v in raw["magpie"]["properties"][prop]]
    return {"names": names, "order": np.array([position[n] for n in names]),
            "mean": np.array(raw["mean"], dtype=float), "scale": np.array(raw["scale"], dtype=float),
            "quantiles": np.array(raw["quantiles"], dtype=float),
            "probabilities": np.array(raw["probabilities"], dtype=float), "magpie": magpie}


def feature_names() -> list[str]:
    """The 273 column labels in the sorted order of features() and of piro's scaler."""
    return list(_data()["names"])


# --- statistics (matminer's PropertyStats) ---------------------------------------------------------------------

def _stat(values, stat: str, weights=None) -> float:
    """One of matminer's PropertyStats of `values` (optional weights); minimum/maximum/range are NaN if any value is."""
    x = np.asarray(values, dtype=float)
    if stat in ("minimum", "maximum", "range"):
        if np.isnan(x).any():
            return float("nan")
        return float({"minimum": x.min(), "maximum": x.max(), "range": x.max() - x.min()}[stat])
    mean = np.average(x, weights=weights)
    if stat == "mean":
        return float(mean)
    if stat == "avg_dev":
        return float(np.average(np.abs(x - mean), weights=weights))
    if stat == "mode":  # the smallest of the values with the largest weight
        w = np.asarray(weights, dtype=float)
        return float(x[np.isclose(w, w.max())].min())
    raise ValueError(f"unknown statistic {stat!r}")


def _magpie(elements, prop: str) -> np.ndarray:
    """Magpie property `prop` (its own units: K, pm, Pauling, Å^3/atom, eV, counts) of each element or species."""
    return _data()["magpie"][MAGPIE_PROPERTIES.index(prop), [getattr(e, "element", e).Z for e in elements]]


# --- structure featurizers (Voronoi tessellation weighted by face area) ------------------------------------------

def _voronoi(structure) -> list[list[dict]]:
    """pymatgen VoronoiNN neighbours of every site: weight = face area / largest face area, with poly_info
    (face_dist = half the bond length, in Å; volume = the face's pyramid volume, in Å^3)."""
    from pymatgen.analysis.local_env import VoronoiNN

    return VoronoiNN(weight="area", extra_nn_info=True).get_all_nn_info(structure)


def _coordination(nns) -> list[float]:
    """Statistics over sites of the effective coordination number (sum w)^2 / sum w^2 (dimensionless)."""
    cn = [np.sum(w) ** 2 / np.sum(np.square(w)) for w in ([n["weight"] for n in nn] for nn in nns)]
    return [_stat(cn, s) for s in STATS]


def _heterogeneity(nns) -> list[float]:
    """StructuralHeterogeneity: spread of the mean bond lengths, of the bond lengths around each site, and of the
    Voronoi cell volumes, all relative (dimensionless)."""
    mean_bond, bond_var = np.zeros(len(nns)), np.zeros(len(nns))
    for i, nn in enumerate(nns):
        w = [n["weight"] for n in nn]
        lengths = [2 * n["poly_info"]["face_dist"] for n in nn]
        mean_bond[i] = _stat(lengths, "mean", w)
        bond_var[i] = _stat(lengths, "avg_dev", w) / mean_bond[i]
    mean_bond /= mean_bond.mean()
    volumes = [sum(n["poly_info"]["volume"] for n in nn) for nn in nns]
    return [_stat(mean_bond, "avg_dev"), float(mean_bond.max()), float(mean_bond.min()),
            *(_stat(bond_var, s) for s in STATS), _stat(volumes, "avg_dev") / float(np.mean(volumes))]


def _shell(neighbours, site: int, shell: int, previous: frozenset, image: tuple) -> dict:
    """{(site index, image): weight} of the `shell`-th neighbour shell of `site` (pymatgen's _get_nn_shell_info):
    non-backtracking paths through the neighbour network, weight = product of the face weights along the path."""
    previous = previous | {(site, image)}
    steps = [(j, tuple(a + b for a, b in zip(im, image)), w) for j, im, w in neighbours[site]]
    steps = [s for s in steps if (s[0], s[1]) not in previous]
    if shell == 1:
        return {(j, im): w for j, im, w in steps}
    out: dict = {}
    for j, im, w in steps:
        for key, w_next in _shell(neighbours, j, shell - 1, previous, im).items():
            out[key] = out.get(key, 0.0) + w * w_next
    return out


def _ordering(structure, nns) -> list[float]:
    """ChemicalOrdering: mean |Warren-Cowley-like order parameter| of neighbour shells 1-3 (dimensionless)."""
    if len(structure.composition) == 1:
        return [0.0] * len(SHELLS)
    elements, fractions = zip(*structure.composition.element_composition.fractional_composition.items())
    column = {e.symbol: k for k, e in enumerate(elements)}
    kind = [column[getattr(site.specie, "element", site.specie).symbol] for site in structure]
    neighbours = [[(n["site_index"], tuple(int(round(x)) for x in n["image"]), n["weight"]) for n in nn] for nn in nns]
    out = []
    for shell in SHELLS:
        order = np.zeros((len(structure), len(elements)))
        for i in range(len(structure)):
            for (j, _), w in _shell(neighbours, i, shell, frozenset(), (0, 0, 0)).items():
                order[i, kind[j]] += w
            order[i] = 1 - order[i] / order[i].sum() / np.array(fractions)
        out.append(float(np.abs(order).mean()))
    return out


def _packing(structure, nns) -> list[float]:
    """MaximumPackingEfficiency: volume fraction of spheres of radius = distance to the nearest Voronoi face."""
    radii = np.array([min(n["poly_info"]["face_dist"] for n in nn) for nn in nns])
    return [float(4.0 / 3.0 * np.pi * np.sum(radii ** 3) / structure.volume)]


def _local_difference(structure, nns) -> list[float]:
    """LocalPropertyDifference (ward-prb-2017): per site, the face-weighted mean |p(neighbour) - p(site)| of each
    Magpie property (its units), then statistics over sites; property-major order."""
    per_site = np.zeros((len(structure), len(MAGPIE_PROPERTIES)))
    for i, nn in enumerate(nns):
        w = np.array([n["weight"] for n in nn])
        species = [structure[i].specie] + [n["site"].specie for n in nn]
        props = np.array([_magpie(species, p) for p in MAGPIE_PROPERTIES])  # (property, [site, neighbours...])
        per_site[i] = np.abs(props[:, 1:] - props[:, :1]) @ w / w.sum()
    return [_stat(per_site[:, k], s) for k in range(len(MAGPIE_PROPERTIES)) for s in STATS]


# --- composition featurizers ---------------------------------------------------------------------------------

def _stoichiometry(composition) -> list[float]:
    """Stoichiometry: number of elements (0-norm) and the p-norms of the atomic fractions."""
    amounts = np.array(list(composition.get_el_amt_dict().values()), dtype=float)
    x = amounts / amounts.sum()
    return [float(len(x)) if p == 0 else float(np.sum(x ** p) ** (1.0 / p)) for p in P_NORMS]


def _element_property(composition) -> list[float]:
    """ElementProperty "magpie": fraction-weighted minimum/maximum/range/mean/avg_dev/mode of each Magpie property."""
    elements, amounts = zip(*composition.element_composition.items())
    return [_stat(_magpie(elements, p), s, amounts) for p in MAGPIE_PROPERTIES for s in (*STATS, "mode")]


def _valence_fraction(composition) -> list[float]:
    """ValenceOrbital(frac): share of the mean valence electrons that are s, p, d, f (dimensionless)."""
    elements, amounts = zip(*composition.element_composition.items())
    total = _stat(_magpie(elements, "NValence"), "mean", amounts)
    return [_stat(_magpie(elements, f"N{o}Valence"), "mean", amounts) / total for o in ORBITALS]


def _ion_property(composition) -> list[float]:
    """IonProperty(fast=True): 1.0 if a charge-neutral combination of common oxidation states exists (or the given
    oxidation states are neutral), and the max / mean pairwise ionic character 1 - exp(-(dX)^2 / 4) (Pauling X)."""
    elements, amounts = zip(*composition.element_composition.items())
    if len(elements) < 2:
        return [1.0, 0.0, 0.0]
    with warnings.catch_warnings():  # pymatgen warns for elements without a Pauling electronegativity (NaN)
        warnings.simplefilter("ignore")
        chi = [e.X for e in elements]
    if all(getattr(sp, "oxi_state", None) is not None for sp in composition):
        charges, n = zip(*((sp.oxi_state, a) for sp, a in composition.items()))
        possible = bool(np.isclose(np.dot(charges, n), 0))
    else:
        states = [e.common_oxidation_states for e in elements]
        possible = any(np.isclose(np.dot(ox, amounts), 0) for ox in itertools.product(*states))
    x = np.array(amounts) / np.sum(amounts)
    pairs = list(itertools.combinations(range(len(elements)), 2))
    ionic = [1.0 - np.exp(-0.25 * (chi[a] - chi[b]) ** 2) for a, b in pairs]
    return [float(possible), float(np.max(ionic)), float(sum(x[a] * x[b] * c for (a, b), c in zip(pairs, ionic)))]


def _guarded(n: int, function, *args) -> list[float]:
    """function(*args), or n NaNs if it fails (matminer's ignore_errors: a featurizer that fails gives NaN)."""
    try:
        with np.errstate(all="ignore"):
            values = [float(v) for v in function(*args)]
    except Exception:  # any failure of one featurizer only blanks its own columns
        return [float("nan")] * n
    return values if len(values) == n else [float("nan")] * n


def features(structure) -> np.ndarray:
    """piro's 273 features of a pymatgen Structure, in the sorted column order of feature_names(); each column in its
    own units (counts, fractions, dimensionless ratios, the Magpie units); NaN in the columns of a featurizer that
    fails on the structure. The structure is featurized in its Niggli-reduced cell: the features are those of the
    crystal, and pymatgen's VoronoiNN finds no neighbours in a strongly skewed cell (the relaxed Cm Li8O2Cl3Br cell,
    angles 106/90/106 degrees, gave NaN in every structural column), with its fractional coordinates wrapped into
    [0, 1) (to 1e-8): VoronoiNN finds no neighbours for a site at exactly 1.0, as relaxed cubic Li3OCl has."""
    from pymatgen.core import Structure

    structure = structure.get_reduced_structure()
    structure = Structure(structure.lattice, structure.species_and_occu, np.round(structure.frac_coords % 1.0, 8) % 1.0)
    try:
        nns = _voronoi(structure)
    except Exception:  # no tessellation: every structural featurizer fails (NaN), the compositional ones still run
        nns = None
    structural = [(5, _coordination, (nns,)), (9, _heterogeneity, (nns,)), (3, _ordering, (structure, nns)),
                  (1, _packing, (structure, nns)), (110, _local_difference, (structure, nns))]
    values = []
    for n, function, args in structural:
        values += _guarded(n, function, *args) if nns is not None else [float("nan")] * n
    composition = structure.composition
    for n, function in ((6, _stoichiometry), (132, _element_property), (4, _valence_fraction), (3, _ion_property)):
        values += _guarded(n, function, composition)
    return np.array(values)[_data()["order"]]


# --- q_sim -------------------------------------------------------------------------------------------------------

def standardize(x: np.ndarray) -> np.ndarray:
    """piro's StandardScaler: (x - mean) / scale, column-wise (dimensionless)."""
    return (np.asarray(x, dtype=float) - _data()["mean"]) / _data()["scale"]


def distance_level(d: float) -> float:
    """The quantile level (0.00 ... 1.00) whose distance quantile is nearest to d (standardized units)."""
    data = _data()
    return float(data["probabilities"][int(np.argmin(np.abs(data["quantiles"] - d)))])


def q_sim_from_features(x_precursor: np.ndarray, x_target: np.ndarray) -> float | None:
    """q_sim in [0, 1] of two features() vectors; None if either has a NaN or infinite column (piro's -1)."""
    if not (np.all(np.isfinite(x_precursor)) and np.all(np.isfinite(x_target))):
        return None
    return distance_level(float(np.linalg.norm(standardize(x_precursor) - standardize(x_target))))


def q_sim(precursor_structure, target_structure) -> float | None:
    """Dissimilarity q_sim in [0, 1] of a precursor to a target structure (0 = alike); None when either structure's
    features contain NaN (piro gives such a precursor -1)."""
    return q_sim_from_features(features(precursor_structure), features(target_structure))


def q_sim_many(precursors: list, target) -> list[float | None]:
    """q_sim of each precursor structure to one target structure, featurizing the target once."""
    x_target = features(target)
    return [q_sim_from_features(features(p), x_target) for p in precursors]
