"""Binned structure descriptors for the MOBO surrogate: three groups per compound.

The paper (Jalem et al., Table 1 / "Machine learning methods", after its ref. 53:
Jalem et al., Sci. Technol. Adv. Mater. 19, 231 (2018)) describes each compound by
three descriptor groups, "encoded by binning approach, essentially converting the
compound information into histogram vectors":

- EN, atom electronegativity: the histogram of the Pauling electronegativity of the
  atoms (fraction of atoms per 0.1 bin), followed by the histogram of the signed
  electronegativity difference EN(neighbour) - EN(centre) over every atom's Voronoi
  neighbours, each face weighted by its share of the cell's surface area.
- VR, atom-centred Voronoi features, separately for Li-centred and for other
  (anion-centred) cells: histograms of the cell volume, of the effective coordination
  number (sum of face solid angles / largest solid angle) and of the
  neighbour distance (area-weighted).
- PF, partial radial distribution functions: for each unordered pair of the fixed
  element set, the pair-distance histogram from 1 to 8 Å in 0.2 Å bins, normalised by
  the shell volume and the total number density (so g_ab -> 2 c_a c_b, g_aa -> c_a^2 at
  large r, with c the atom fractions).

All bins are fixed in advance, so every compound has the same vector lengths
(EN 110, VR 244, PF 45 x 35 = 1575). Only the element set ELEMENTS (Li, the chalcogens
and the halogens of the paper's chemical space) is accepted.

Computed with pymatgen (VoronoiNN tessellation, neighbour lists) rather than
matminer, whose 0.8 release cannot be imported without `pkg_resources`; the
quantities are the ones matminer's VoronoiFingerprint and
PartialRadialDistributionFunction compute.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from itertools import combinations_with_replacement

import numpy as np
from pymatgen.core import Element, Structure

from ipscreen.errors import InputError
from ipscreen.space.settings import X_GROUP, Z_GROUP

GROUPS = ("EN", "VR", "PF")
ELEMENTS = ("Li", *X_GROUP, *Z_GROUP)

# Bin edges (fixed, so vectors have the same length for every compound). Pauling values
# have two decimals, so EN edges sit at x.x25/x.x75 where no value or difference falls;
# ECN edges sit at quarter-integers so symmetric integer coordinations are not split.
EN_ATOM_EDGES = np.round(np.arange(0.475, 4.475 + 1e-9, 0.1), 10)  # Pauling units, 40 bins
EN_DIFF_EDGES = np.round(np.arange(-3.525, 3.475 + 1e-9, 0.1), 10)  # Pauling units, 70 bins
VR_VOLUME_EDGES = np.arange(0.0, 80.0 + 1e-9, 2.0)  # Å^3 per Voronoi cell, 40 bins
VR_ECN_EDGES = np.arange(-0.25, 15.75 + 1e-9, 0.5)  # effective coordination number, 32 bins
VR_DIST_EDGES = np.round(np.arange(1.5, 6.5 + 1e-9, 0.1), 10)  # Å, 50 bins
PF_EDGES = np.round(np.arange(1.0, 8.0 + 1e-9, 0.2), 10)  # Å, 35 bins
PAIRS = tuple(combinations_with_replacement(range(len(ELEMENTS)), 2))  # 45 pairs

VORONOI_CUTOFF = 8.0  # Å; retried at 12 and 16 Å when the cells do not fill the unit cell


def _hist(values, edges, weights=None) -> np.ndarray:
    values = np.clip(np.asarray(values, float), edges[0], edges[-1] - 1e-9)
    h, _ = np.histogram(values, bins=edges, weights=weights)
    return h.astype(float)


def _check(structure: Structure) -> list[int]:
    if not structure.is_ordered:
        raise InputError("descriptors need an ordered structure (no partial occupancies)")
    symbols = [site.specie.symbol for site in structure]
    unknown = sorted(set(symbols) - set(ELEMENTS))
    if unknown:
        raise InputError(f"descriptors: element(s) {', '.join(unknown)} not in {', '.join(ELEMENTS)}")
    return [ELEMENTS.index(s) for s in symbols]


def _voronoi(structure: Structure) -> list[dict]:
    from pymatgen.analysis.local_env import VoronoiNN

    for cutoff in (VORONOI_CUTOFF, 12.0, 16.0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                cells = VoronoiNN(cutoff=cutoff, compute_adj_neighbors=False).get_all_voronoi_polyhedra(
                    structure
                )
            except ValueError:  # pymatgen: "No Voronoi neighbors found for site - try increasing cutoff"
                continue
        filled = sum(f["volume"] for cell in cells for f in cell.values())
        if abs(filled - structure.volume) < 1e-3 * structure.volume:
            return cells
    raise InputError("descriptors: Voronoi cells do not fill the unit cell (degenerate structure)")


def _en_vr(structure: Structure, kinds: list[int]) -> tuple[np.ndarray, np.ndarray]:
    en_of = {e: Element(e).X for e in ELEMENTS}  # Pauling electronegativity
    en = np.array([en_of[ELEMENTS[k]] for k in kinds])
    n = len(structure)
    cells = _voronoi(structure)
    diffs, diff_w = [], []
    per_class = {True: ([], [], [], []), False: ([], [], [], [])}  # is_li -> vol, ecn, dist, w
    for i, cell in enumerate(cells):
        faces = list(cell.values())
        area = np.array([f["area"] for f in faces])
        w = area / area.sum()
        en_nbr = np.array([en_of[f["site"].specie.symbol] for f in faces])
        diffs.extend(en_nbr - en[i])
        diff_w.extend(w / n)
        solid = np.array([f["solid_angle"] for f in faces])
        vol, ecn, dist, dw = per_class[kinds[i] == 0]
        vol.append(sum(f["volume"] for f in faces))
        ecn.append(solid.sum() / solid.max())
        dist.extend(2.0 * np.array([f["face_dist"] for f in faces]))
        dw.append(w)
    en_vec = np.concatenate(
        [_hist(en, EN_ATOM_EDGES) / n, _hist(diffs, EN_DIFF_EDGES, np.array(diff_w))]
    )
    parts = []
    for is_li in (True, False):
        vol, ecn, dist, dw = per_class[is_li]
        m = max(len(vol), 1)
        weights = np.concatenate(dw) / m if dw else None
        parts += [
            _hist(vol, VR_VOLUME_EDGES) / m,
            _hist(ecn, VR_ECN_EDGES) / m,
            _hist(dist, VR_DIST_EDGES, weights) if dw else np.zeros(len(VR_DIST_EDGES) - 1),
        ]
    return en_vec, np.concatenate(parts)


def _pf(structure: Structure, kinds: list[int]) -> np.ndarray:
    kinds_a = np.asarray(kinds)
    n = len(structure)
    rho = n / structure.volume
    centre, nbr, _, dist = structure.get_neighbor_list(PF_EDGES[-1])
    a, b = kinds_a[centre], kinds_a[nbr]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pair_id = {p: k for k, p in enumerate(PAIRS)}
    ids = np.array([pair_id[(x, y)] for x, y in zip(lo, hi)], dtype=int)
    nb = len(PF_EDGES) - 1
    keep = dist >= PF_EDGES[0]
    bin_idx = np.clip(np.searchsorted(PF_EDGES, dist[keep], side="right") - 1, 0, nb - 1)
    counts = np.zeros((len(PAIRS), nb))
    np.add.at(counts, (ids[keep], bin_idx), 1.0)
    r_lo, r_hi = PF_EDGES[:-1], PF_EDGES[1:]
    shell = 4.0 / 3.0 * np.pi * (r_hi**3 - r_lo**3)
    return (counts / (n * shell * rho)).ravel()


def descriptors(structure: Structure) -> dict[str, np.ndarray]:
    """The three binned descriptor groups of one compound: {"EN", "VR", "PF"} -> 1-D arrays
    of fixed lengths (110, 244, 1575)."""
    kinds = _check(structure)
    structure = _wrapped(structure)
    en, vr = _en_vr(structure, kinds)
    return {"EN": en, "VR": vr, "PF": _pf(structure, kinds)}


def _wrapped(structure: Structure) -> Structure:
    """The structure with fractional coordinates in [0, 1): pymatgen's VoronoiNN finds no
    neighbours for a site at -1e-9 (as relaxed cells have), 'No Voronoi neighbors found'."""
    frac = np.mod(structure.frac_coords, 1.0)
    frac[frac > 1.0 - 1e-8] = 0.0
    return Structure(structure.lattice, structure.species, frac)


def descriptor_lengths() -> dict[str, int]:
    n_en = (len(EN_ATOM_EDGES) - 1) + (len(EN_DIFF_EDGES) - 1)
    n_vr = 2 * ((len(VR_VOLUME_EDGES) - 1) + (len(VR_ECN_EDGES) - 1) + (len(VR_DIST_EDGES) - 1))
    return {"EN": n_en, "VR": n_vr, "PF": len(PAIRS) * (len(PF_EDGES) - 1)}


def descriptor_matrix(
    structures: Sequence[Structure],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Stack descriptors(s) for every structure: {group: array (n_structures, length)}.
    `progress(done, total)` is called after each compound."""
    rows = {g: [] for g in GROUPS}
    total = len(structures)
    for k, structure in enumerate(structures):
        d = descriptors(structure)
        for g in GROUPS:
            rows[g].append(d[g])
        if progress is not None:
            progress(k + 1, total)
    lengths = descriptor_lengths()
    return {g: (np.vstack(rows[g]) if rows[g] else np.zeros((0, lengths[g]))) for g in GROUPS}
