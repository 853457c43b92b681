"""Write src/ipscreen/data/piro_similarity.json: the numbers behind the precursor-target similarity q_sim of
ipscreen.synthesis.similarity (Aykol, Montoya, Hummelshøj, J. Am. Chem. Soc. 143, 9244 (2021); TRI-AMDD/piro).

    python scripts/make_similarity_data.py PATH/TO/shared/data --magpie PATH/TO/matminer-0.8.0-py3-none-any.whl

PATH is the curated reference data: its synthesis/piro_similarity_scaler.json holds piro's StandardScaler
(mean_, scale_ of the 273 matminer features, in the sorted column order piro feeds it), the feature names and
the 101 quantiles of the standardized pairwise distance (see its synthesis/NOTES.md). ipscreen never reads it at
run time: this script copies the numbers, unchanged, with their citation.

--magpie is the Magpie element-property tables that matminer's MagpieData reads (the 22 properties of the
"magpie" preset, Z = 1..103): a matminer 0.8.0 wheel (the version piro pins; `pip download --no-deps
matminer==0.8.0`) or its matminer/utils/data_files/magpie_elementdata folder. matminer 0.8.0 does not import with
the pinned stack (pkg_resources, pymatgen's _pt_data and scipy's sph_harm are gone), so ipscreen ships the tables
themselves; entries matminer reads as NaN ("Missing") are stored as null.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "ipscreen" / "data" / "piro_similarity.json"
TABLES = "matminer/utils/data_files/magpie_elementdata"
MAGPIE_PROPERTIES = ("Number", "MendeleevNumber", "AtomicWeight", "MeltingT", "Column", "Row", "CovalentRadius",
                     "Electronegativity", "NsValence", "NpValence", "NdValence", "NfValence", "NValence", "NsUnfilled",
                     "NpUnfilled", "NdUnfilled", "NfUnfilled", "NUnfilled", "GSvolume_pa", "GSbandgap", "GSmagmom",
                     "SpaceGroupNumber")
Z_MAX = 103  # matminer 0.8.0 reads rows Z = 1..len(pymatgen's periodic table of its day) = 103
PIRO = ("TRI-AMDD/piro (Apache-2.0), commit {commit}: piro/files/scaler2.pickle (sklearn StandardScaler fitted to 15000 "
        "OQMD ICSD-derived structures), piro/files/quantiles.pickle and piro/utils.py::similarity; method: M. Aykol, "
        "J. H. Montoya, J. Hummelshøj, J. Am. Chem. Soc. 143, 9244 (2021). Copied unchanged from the curated "
        "synthesis/piro_similarity_scaler.json by scripts/make_similarity_data.py.")
MAGPIE = ("Magpie element-property tables as shipped in matminer 0.8.0 (hackingmaterials/matminer, modified BSD licence, "
          "(c) 2015 The Regents of the University of California, LBNL), {path}/<property>.table, rows Z = 1..103 "
          "(source sha256 {sha}); data: L. Ward, A. Agrawal, A. Choudhary, C. Wolverton, npj Comput. Mater. 2, 16028 "
          "(2016); units as in the Magpie README (K, pm, Pauling, Å^3/atom, eV, Bohr magneton, counts).")


def _read_tables(source: Path) -> tuple[dict[str, str], str]:
    """The raw text of each <property>.table, from a matminer wheel or a magpie_elementdata folder, and its sha256."""
    if source.is_dir():
        texts = {p: (source / f"{p}.table").read_text() for p in MAGPIE_PROPERTIES}
        sha = hashlib.sha256("".join(texts[p] for p in MAGPIE_PROPERTIES).encode()).hexdigest()
        return texts, f"of the concatenated tables {sha[:16]}"
    with zipfile.ZipFile(source) as whl:
        texts = {p: whl.read(f"{TABLES}/{p}.table").decode() for p in MAGPIE_PROPERTIES}
    return texts, f"of {source.name} {hashlib.sha256(source.read_bytes()).hexdigest()[:16]}"


def _parse_table(text: str) -> list[float | None]:
    """Rows Z = 1..103 as matminer 0.8.0's MagpieData parses them: float(line), None where that fails ("Missing")."""
    lines = text.splitlines()
    values: list[float | None] = []
    for z in range(1, Z_MAX + 1):
        try:
            values.append(float(lines[z - 1]))
        except (ValueError, IndexError):
            values.append(None)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the curated reference data folder (holds synthesis/)")
    parser.add_argument("--magpie", type=Path, required=True,
                        help="matminer-0.8.0 wheel, or its matminer/utils/data_files/magpie_elementdata folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    src = json.loads((args.data / "synthesis" / "piro_similarity_scaler.json").read_text())
    scaler, quantiles = src["scaler"], src["quantiles"]
    commit = src["source_files"][0].split("@")[1].split(":")[0]
    names = src["feature_names"]
    n = scaler["n_features_in_"]
    if not (len(names) == len(scaler["mean_"]) == len(scaler["scale_"]) == n == 273) or names != sorted(names):
        raise SystemExit("piro_similarity_scaler.json: expected 273 sorted feature names, means and scales")
    if not len(quantiles["values"]) == len(quantiles["probabilities"]) == 101:
        raise SystemExit("piro_similarity_scaler.json: expected 101 quantiles")
    texts, sha = _read_tables(args.magpie)

    out = {
        "_source": PIRO.format(commit=commit),
        "_licence": "piro: Apache-2.0 (TRI-AMDD/piro); Magpie tables: matminer's modified BSD licence (see magpie._source)",
        "transform": "z[j] = (x[j] - mean[j]) / scale[j]; d = ||z_precursor - z_target||_2; "
                     "q_sim = probabilities[argmin_k |quantiles[k] - d|]",
        "n_samples_seen": scaler["n_samples_seen_"],
        "feature_names": names,
        "mean": scaler["mean_"],
        "scale": scaler["scale_"],
        "quantiles": quantiles["values"],
        "probabilities": quantiles["probabilities"],
        "magpie": {
            "_source": MAGPIE.format(path=TABLES, sha=sha),
            "_licence": "matminer: modified BSD licence (LBNL); Magpie: cite Ward et al. (2016)",
            "z_max": Z_MAX,
            "properties": {p: _parse_table(texts[p]) for p in MAGPIE_PROPERTIES},
        },
    }
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(names)} features, {len(out['quantiles'])} quantiles, {len(MAGPIE_PROPERTIES)} Magpie properties -> {args.out}")


if __name__ == "__main__":
    main()
