"""Write the property section of docs/validation.md: E_g, E_h, E_a / Λ(400 K) and the BVSE
barrier of Table 2 compounds computed by ipscreen's oracles, next to the paper's values.

For every Table 2 row (composition + space group) found in the `extended` space, the
smallest ordering is relaxed with the energy backend of the preset (SevenNet-0 by
default) and each oracle runs on it with the preset's settings (default: demo, so
the table says what a laptop gets; `--preset paper` on a cluster). Conductivity MD is
the expensive one: it runs on the `--md` smallest compounds only (`--hydration` likewise).

    python scripts/validate_properties.py [--preset demo] [--max-atoms 20] [--md 2] [--hydration 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import platform
import time
from dataclasses import asdict
from pathlib import Path

from doc_sections import replace_section  # scripts/doc_sections.py (beside this script)


def _targets(max_atoms: int):
    """(Table 2 row, smallest compound of that composition + space group) pairs."""
    from ipscreen.campaign.config import from_preset
    from ipscreen.data import paper_table2
    from ipscreen.space import enumerate_space

    by_key: dict = {}
    for c in enumerate_space(from_preset("extended").space):
        key = (c.reduced_formula, c.space_group)
        if c.n_atoms <= max_atoms and (key not in by_key or c.n_atoms < by_key[key].n_atoms):
            by_key[key] = c
    seen, out = set(), []
    for row in paper_table2():
        key = (row["composition"], row["space_group"])
        if key in by_key and key not in seen:
            seen.add(key)
            out.append((row, by_key[key]))
    return out


def _fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def _pm(out: dict, key: str, spec: str) -> str:
    value, err = out.get(key), out.get(f"{key}_stderr")
    if value is None:
        return "-"
    return f"{_fmt(value, spec)} ± {_fmt(err, spec)}" if err is not None else _fmt(value, spec)


def _times(out: dict, key: str) -> str:
    """Λ ×/÷ 10^σ (σ of log10 Λ): the 1σ interval of a log-normal estimate."""
    value, sigma = out.get(key), out.get(key.replace("_s_per_cm", "_log10_stderr"))
    if value is None:
        return "-"
    if sigma is None:
        return f"{value:.1e}"
    factor = 10**sigma
    return f"{value:.1e} ×/÷ {factor:.2g}" if factor < 10 else f"{value:.1e} ×/÷ {factor:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--max-atoms", type=int, default=20, help="largest cell taken from Table 2")
    parser.add_argument("--md", type=int, default=2, help="conductivity MD on this many smallest compounds")
    parser.add_argument("--hydration", type=int, default=100, help="hydration on this many smallest compounds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="docs/validation.md")
    parser.add_argument("--cache", default="out/validate_properties.json",
                        help="JSON of finished relaxations and oracle results (reused when the settings match)")
    args = parser.parse_args()

    from ipscreen.campaign.config import from_preset
    from ipscreen.campaign.executor import Executor
    from ipscreen.campaign.settings import ClusterSettings, RelaxStageSettings, settings_hash
    from ipscreen.campaign.stages import oracle
    from ipscreen.campaign.tasks import compound_payload, compound_task, relax_chunk_task

    config = from_preset(args.preset)
    cache_path = Path(args.cache)
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}

    def save_cache() -> None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        cache_path.write_text(json.dumps(cache))

    targets = _targets(args.max_atoms)
    structures = {c.id: c.structure_dict() for _, c in targets}
    relax = RelaxStageSettings(fmax=0.02, max_steps=600, batch_size=4)
    relaxed: dict = {}
    start = time.time()
    order = sorted(structures, key=lambda k: len(structures[k]["species"]))
    chunks = {order[i]: {"structures": {k: structures[k] for k in order[i:i + 4]}, "energy": asdict(config.energy),
                         "relax": asdict(relax)} for i in range(0, len(order), 4)}
    cluster = ClusterSettings(executor="local", n_workers=args.workers)
    oracles = ["band_gap", "hydration", "bvse", "conductivity"]
    limited = {"conductivity": set(order[:args.md]), "hydration": set(order[:args.hydration])}
    results: dict = {}
    relax_key = settings_hash(asdict(config.energy), asdict(relax))
    relaxed.update({cid: r for cid, r in cache.get(f"relax:{relax_key}", {}).items() if cid in structures})
    chunks = {k: c for k, c in chunks.items() if any(sid not in relaxed for sid in c["structures"])}

    def on_relaxed(key, result) -> None:
        relaxed.update(result["results"])
        cache.setdefault(f"relax:{relax_key}", {}).update(result["results"])
        save_cache()

    def oracle_key(name: str) -> str:
        return f"{name}:{settings_hash(asdict(config.property_settings(name)), asdict(config.energy), relax_key)}"

    def on_result(key, result) -> None:
        results[key] = result
        name, cid = key.split(":", 1)
        cache.setdefault(oracle_key(name), {})[cid] = result
        save_cache()

    for name in oracles:
        results.update({f"{name}:{cid}": r for cid, r in cache.get(oracle_key(name), {}).items()
                        if r["status"] != "failed"})  # failures are tried again
    with Executor(cluster) as ex:
        if chunks:
            ex.run("relax", relax_chunk_task, chunks, on_relaxed)
        payloads = {}
        for cid in order:
            if relaxed[cid]["status"] == "failed":
                continue
            for name in oracles:
                if (name in limited and cid not in limited[name]) or f"{name}:{cid}" in results:
                    continue
                payloads[f"{name}:{cid}"] = compound_payload(
                    oracle(name), config.property_settings(name), asdict(config.energy), relaxed[cid]["structure"],
                    None, 0)
        ex.run("properties", compound_task, payloads, on_result,
               progress=lambda name, done, total: print(f"\r{name}: {done}/{total}", end="", flush=True))
    print()
    wall = time.time() - start

    def value(name, cid) -> dict:
        r = results.get(f"{name}:{cid}")
        if r is None:
            return {}
        return r["data"] if r["status"] == "done" else {"failed": r["reason"]}

    done = [r for r in results.values() if r["status"] == "done"]
    oracle_s = sum(r["data"].get("elapsed_s", 0.0) for r in done)
    lines = [
        "## Property oracles against the paper (Table 2)",
        "",
        f"Generated by `scripts/validate_properties.py --preset {args.preset} --max-atoms {args.max_atoms} --md "
        f"{args.md} --hydration {args.hydration}` on {datetime.date.today().isoformat()} ({platform.machine()}, "
        f"{args.workers} worker processes; {len(done)} oracle results, {oracle_s / 60:.0f} min of task time, this run "
        f"{wall / 60:.0f} min, the rest from its cache). Structures: the smallest "
        f"ordering of each Table 2 row with at most {args.max_atoms} atoms, relaxed with {config.energy.backend} "
        f"{config.energy.model} (fmax 0.02 eV/Å). Settings: the `{args.preset}` preset "
        + ("(short MD: E_a and Λ are indicative only). " if args.preset == "demo" else ". ")
        + "Paper: PBE (VASP) gaps, hydration free energies and AIMD conductivities.",
        "",
        "| composition | space group | atoms | E_g paper | E_g here (eV) | E_h paper | E_h here (kJ/mol) "
        "| Λ(400 K) paper | Λ(400 K) here (S/cm) | E_a here (eV) | BVSE barrier (eV) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    gap_err, sign_ok, n_h = [], 0, 0
    for row, c in sorted(targets, key=lambda t: t[1].n_atoms):
        g, h, b, k = (value(n, c.id) for n in ("band_gap", "hydration", "bvse", "conductivity"))
        if "band_gap_ev" in g:
            gap_err.append(g["band_gap_ev"] - float(row["band_gap_ev"]))
        if "hydration_kj_per_mol" in h:
            n_h += 1
            sign_ok += (h["hydration_kj_per_mol"] > 0) == (float(row["hydration_kj_per_mol"]) > 0)
        lines.append(
            f"| {row['composition']} | {row['space_group']} | {c.n_atoms} | {row['band_gap_ev']} | "
            f"{_fmt(g.get('band_gap_ev'), '.2f') if 'failed' not in g else 'failed'} | {row['hydration_kj_per_mol']} | "
            f"{_fmt(h.get('hydration_kj_per_mol'), '.1f') if 'failed' not in h else 'failed'} | "
            f"{row['conductivity_400k_s_per_cm']} | {_times(k, 'conductivity_400k_s_per_cm')} | "
            f"{_pm(k, 'activation_energy_ev', '.2f')} | {_fmt(b.get('bvse_barrier_ev'), '.2f')} |")
    failures = [f"{key}: {r['reason']}" for key, r in results.items() if r["status"] == "failed"]
    lines += [""]
    if gap_err:
        mae = sum(abs(e) for e in gap_err) / len(gap_err)
        lines.append(f"Band gap: MAE {mae:.2f} eV over {len(gap_err)} compounds, mean signed error "
                     f"{sum(gap_err) / len(gap_err):+.2f} eV (same functional, PBE; differences come from the ML-relaxed "
                     "geometry, PAW setups, k-points and the paper's DOS-based gap).")
    if n_h:
        lines.append(f"Hydration: the sign agrees with the paper for {sign_ok} of {n_h} compounds.")
    if failures:
        lines += ["", "Failures:", ""] + [f"- {f}" for f in failures]
    replace_section(Path(args.out), "properties", "\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
