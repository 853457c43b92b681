"""Matplotlib figures (PNG/SVG, Agg backend: no screen needed)."""

from __future__ import annotations

import math
from pathlib import Path

PARENT_STYLE = {  # parent -> (label, colour)
    "ninf": ("Li$_3$XZ (n = ∞)", "#1f77b4"),
    "n1": ("Li$_4$XZ$_2$ (n = 1)", "#d62728"),
    "n2": ("Li$_7$X$_2$Z$_3$ (n = 2)", "#2ca02c"),
}


def tolerance_histogram(rows: list[dict], path: Path | str, title: str = "") -> Path:
    """Distribution of t_G,ip (eq. 24) per parent; one step histogram each, counts on y."""
    import numpy as np

    plt = _pyplot()
    values = [r["tolerance_factor"] for r in rows]
    if not values:
        raise ValueError("no compounds to plot")
    bins = np.linspace(min(values) - 1e-3, max(values) + 1e-3, 41)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=150)
    for parent, (label, colour) in PARENT_STYLE.items():
        t = [r["tolerance_factor"] for r in rows if r["parent"] == parent]
        if t:
            ax.hist(t, bins=bins, histtype="stepfilled", alpha=0.25, color=colour)
            ax.hist(t, bins=bins, histtype="step", lw=1.5, color=colour, label=f"{label}: {len(t):,}")
    ax.set_xlabel(r"tolerance factor $t_{G,ip}$ (eq. 24, Shannon radii CN VI)")
    ax.set_ylabel("compounds")
    ax.set_title(title or f"{len(values):,} inverse-perovskite compounds")
    ax.legend(frameon=False)
    return _save(fig, path)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def ed_vs_tolerance(rows: list[dict], path: Path | str, threshold: float = 0.1) -> Path:
    """Fig. 3a: E_d (eV/atom) vs t_G,ip per parent, with the E_d filter line."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=150)
    done = [r for r in rows if r.get("e_above_hull_ev_per_atom") is not None]
    for parent, (label, colour) in PARENT_STYLE.items():
        pts = [r for r in done if r["parent"] == parent]
        if pts:
            ax.scatter([r["tolerance_factor"] for r in pts], [r["e_above_hull_ev_per_atom"] for r in pts],
                       s=12, alpha=0.7, color=colour, label=f"{label}: {len(pts):,}", edgecolors="none")
    ax.axhline(threshold, color="k", ls="--", lw=1)
    n_meta = sum(1 for r in done if r["e_above_hull_ev_per_atom"] < threshold)
    top = max([threshold] + [r["e_above_hull_ev_per_atom"] for r in done])
    ax.set_ylim(-0.03 * top, 1.25 * top)
    ax.text(0.99, threshold, f" E$_d$ < {threshold} eV/atom: {n_meta:,} of {len(done):,}",
            transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=8)
    ax.set_xlabel(r"tolerance factor $t_{G,ip}$ (eq. 24)")
    ax.set_ylabel(r"$E_d$ (eV/atom above hull)")
    ax.set_title("Thermodynamic stability vs tolerance factor")
    ax.legend(frameon=True, framealpha=0.9, fontsize=8, loc="upper right", bbox_to_anchor=(1.0, 0.92))
    return _save(fig, path)


def ed_contour(rows: list[dict], path: Path | str) -> Path:
    """Fig. 3b: lowest E_d over the weighted X and Z radii (Å), one point per (r_X,w, r_Z,w)."""
    import numpy as np

    from ipscreen.space.radii import weighted_radius

    plt = _pyplot()
    best: dict[str, tuple[float, float, float]] = {}
    for r in rows:
        e = r.get("e_above_hull_ev_per_atom")
        if e is None:
            continue
        xs, zs = r["x_elements"].split(","), r["z_elements"].split(",")
        fx, fz = float(r["x_fraction"]), float(r["z_fraction"])
        rx = weighted_radius(dict(zip(xs, [fx, 1 - fx])) if len(xs) == 2 else {xs[0]: 1.0})
        rz = weighted_radius(dict(zip(zs, [fz, 1 - fz])) if len(zs) == 2 else {zs[0]: 1.0})
        key = f"{rx:.4f},{rz:.4f}"  # compositions with the same weighted radii share a point
        if key not in best or e < best[key][2]:
            best[key] = (rx, rz, e)
    fig, ax = plt.subplots(figsize=(6.0, 4.8), dpi=150)
    if best:
        x, y, z = (np.array(v) for v in zip(*best.values()))
        can_contour = len(best) >= 4 and np.ptp(x) > 0 and np.ptp(y) > 0
        if can_contour:
            try:
                filled = ax.tricontourf(x, y, z, levels=12, cmap="viridis")
                lines = ax.tricontour(x, y, z, levels=6, colors="k", linewidths=0.5)
                ax.clabel(lines, fontsize=6, fmt="%.2f")
                fig.colorbar(filled, ax=ax, label=r"lowest $E_d$ (eV/atom)")
            except (ValueError, RuntimeError):  # degenerate triangulation (collinear points)
                can_contour = False
        points = ax.scatter(x, y, c=z, cmap="viridis", s=14, edgecolors="k", linewidths=0.3)
        if not can_contour:
            fig.colorbar(points, ax=ax, label=r"lowest $E_d$ (eV/atom)")
    ax.set_xlabel(r"$r_{X,w} = \sum w_X r_X$ (Å)")
    ax.set_ylabel(r"$r_{Z,w} = \sum w_Z r_Z$ (Å)")
    ax.set_title(f"Lowest E$_d$ per weighted-radius point ({len(best):,} points)")
    return _save(fig, path)


# Jalem, Tateyama, Takada, Jang, "Multi-objective solid electrolyte design of tetragonal and cubic
# inverse-perovskites ..." (the seed paper), Fig. 9a and its text: compounds per region of 10,173
PAPER_REGIONS = {"total": 10173, 1: 1413, 2: 4825, 3: 88, 4: 3835}


def ls_regions(rows: list[dict], ed_threshold: float = 0.1, ls_threshold: float = 0.5) -> dict:
    """Fig. 9a's regions: 1 (L_s > t_L, E_d < t_E), 2 (L_s > t_L, E_d >= t_E), 3 (L_s <= t_L, E_d < t_E),
    4 (L_s <= t_L, E_d >= t_E), counted over rows with both values; "total" is their number."""
    counts = {"total": 0, 1: 0, 2: 0, 3: 0, 4: 0}
    for r in rows:
        ed, ls = r.get("e_above_hull_ev_per_atom"), r.get("synthesizability")
        if ed is None or ls is None or ls == "":
            continue
        ed, ls = float(ed), float(ls)
        counts["total"] += 1
        counts[(1 if ed < ed_threshold else 2) if ls > ls_threshold else (3 if ed < ed_threshold else 4)] += 1
    return counts


def ls_vs_ed(rows: list[dict], path: Path | str, ed_threshold: float = 0.1, ls_threshold: float = 0.5) -> Path:
    """Fig. 9a: synthesis likelihood L_s against E_d (eV/atom) per parent, the two thresholds and the four regions
    with their counts (ours, and the paper's share of 10,173 in brackets)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.6), dpi=150)
    done = [r for r in rows if r.get("e_above_hull_ev_per_atom") is not None
            and r.get("synthesizability") not in (None, "")]
    for parent, (label, colour) in PARENT_STYLE.items():
        pts = [r for r in done if r["parent"] == parent]
        if pts:
            ax.scatter([float(r["e_above_hull_ev_per_atom"]) for r in pts], [float(r["synthesizability"]) for r in pts],
                       s=12, alpha=0.7, color=colour, label=f"{label}: {len(pts):,}", edgecolors="none")
    ax.axvline(ed_threshold, color="k", ls="--", lw=1)
    ax.axhline(ls_threshold, color="k", ls="--", lw=1)
    counts = ls_regions(done, ed_threshold, ls_threshold)
    right = max([2.5 * ed_threshold] + [float(r["e_above_hull_ev_per_atom"]) for r in done]) * 1.05
    ax.set_xlim(-0.02 * right, right)
    ax.set_ylim(0, 1)
    places = {1: (0.01, 0.99, "left", "top"), 2: (0.99, 0.99, "right", "top"),
              3: (0.01, 0.01, "left", "bottom"), 4: (0.99, 0.01, "right", "bottom")}
    for region, (x, y, ha, va) in places.items():
        share = 100 * PAPER_REGIONS[region] / PAPER_REGIONS["total"]
        ax.text(x, y, f"({region}) {counts[region]:,} (paper {share:.1f}%)", transform=ax.transAxes, ha=ha, va=va,
                fontsize=8, bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
    ax.set_xlabel(r"$E_d$ (eV/atom above hull)")
    ax.set_ylabel(r"synthesis likelihood $L_s$")
    ax.set_title(f"Synthesis likelihood vs stability ({counts['total']:,} compounds)", fontsize=10)
    if done:
        ax.legend(frameon=True, framealpha=0.9, fontsize=7, loc="center right")
    return _save(fig, path)


def _save(fig, path: Path | str) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def pretty_formula(formula: str) -> str:
    """Li6O2ClBr -> Li$_{6}$O$_{2}$ClBr (matplotlib mathtext subscripts)."""
    from pymatgen.util.string import latexify

    return latexify(formula)


def plottable(rows: list[dict], objectives: list[dict]) -> tuple[list[dict], int]:
    """Rows with a finite value for every objective (and > 0 where log10), and how many were dropped."""
    kept = []
    for r in rows:
        values = [(r.get(o["name"]), o.get("log10")) for o in objectives]
        if all(v is not None and math.isfinite(v) and (v > 0 or not log) for v, log in values):
            kept.append(r)
    return kept, len(rows) - len(kept)


def mobo_progress(best_rows: list[dict], objectives: list[dict], path: Path | str) -> Path:
    """Fig. 5a: best value so far of each objective per MOBO iteration (0 = initial design), one panel each.

    `best_rows`: {"iteration", "n_evaluated", <objective name>: best so far or None}; `objectives`:
    {"name", "label" (with unit), "direction" ("max"/"min"), "log10"}. Compounds evaluated go in the title.
    """
    from matplotlib.ticker import MaxNLocator

    if not objectives:
        raise ValueError("no objectives to plot")
    if not best_rows:
        raise ValueError("no MOBO iterations to plot")
    plt = _pyplot()
    steps = sorted(best_rows, key=lambda r: r["iteration"])
    fig, axes = plt.subplots(1, len(objectives), figsize=(3.3 * len(objectives), 3.3), dpi=150, squeeze=False)
    for ax, obj in zip(axes[0], objectives):
        pts = [(r["iteration"], r[obj["name"]]) for r in steps if r.get(obj["name"]) is not None
               and (r[obj["name"]] > 0 or not obj.get("log10"))]
        if pts:
            ax.plot(*zip(*pts), "o-", ms=4, lw=1.2, color="#1f77b4")
        if obj.get("log10"):
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("MOBO iteration")
        ax.set_ylabel(obj["label"])
        ax.set_title(f"best so far ({'max' if obj.get('direction', 'max') == 'max' else 'min'}imised)", fontsize=9)
        ax.grid(alpha=0.3, lw=0.5)
    first, last = steps[0], steps[-1]
    fig.suptitle(f"MOBO progress: {first['n_evaluated']:,} initial → {last['n_evaluated']:,} compounds evaluated "
                 f"in {last['iteration'] - first['iteration']:,} iterations", fontsize=10)
    return _save(fig, path)


def pareto_3d(rows: list[dict], objectives: list[dict], path: Path | str, label_pareto: bool = True) -> Path:
    """Fig. 5b: all evaluated compounds in objective space; Pareto-optimal ones coloured by parent and labelled.

    Exactly three objectives ({"name", "label", "log10", ...}); log10 objectives are plotted as log10 values
    (mplot3d has no log scale). Rows missing a value (or <= 0 on a log axis) are skipped and counted in the title.
    """
    import numpy as np

    if len(objectives) != 3:
        raise ValueError(f"a 3-D Pareto plot needs exactly 3 objectives, got {len(objectives)}")
    kept, skipped = plottable(rows, objectives)
    plt = _pyplot()

    def coords(pts: list[dict]) -> list[np.ndarray]:
        return [np.log10([r[o["name"]] for r in pts]) if o.get("log10") else np.array([r[o["name"]] for r in pts])
                for o in objectives]

    fig = plt.figure(figsize=(7.0, 6.0), dpi=150)
    ax = fig.add_subplot(projection="3d")
    dominated = [r for r in kept if not r.get("pareto")]
    if dominated:
        ax.scatter(*coords(dominated), s=6, color="0.6", alpha=0.5, depthshade=False,
                   label=f"dominated: {len(dominated):,}")
    front = [r for r in kept if r.get("pareto")]
    for parent in dict.fromkeys([*PARENT_STYLE, *(r["parent"] for r in front)]):
        pts = [r for r in front if r["parent"] == parent]
        if not pts:
            continue
        label, colour = PARENT_STYLE.get(parent, (parent, "k"))
        xyz = coords(pts)
        ax.scatter(*xyz, s=28, color=colour, edgecolors="k", linewidths=0.4, depthshade=False,
                   label=f"Pareto, {label}: {len(pts):,}")
        if label_pareto:
            for r, x, y, z in zip(pts, *xyz):
                ax.text(x, y, z, " " + pretty_formula(r["formula"]), fontsize=6, color=colour)
    setters = (ax.set_xlabel, ax.set_ylabel, ax.set_zlabel)
    for set_label, o in zip(setters, objectives):
        set_label(f"log$_{{10}}$ {o['label']}" if o.get("log10") else o["label"], fontsize=8)
    title = f"{len(kept):,} compounds, {len(front):,} Pareto-optimal"
    if skipped:
        title += f" ({skipped:,} without all objectives skipped)"
    ax.set_title(title, fontsize=9)
    if kept:
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    return _save(fig, path)


MECHANISM_COLOUR = {"interstitial": "#d62728", "vacancy": "#1f77b4"}


def arrhenius(result: dict, path: Path | str) -> Path:
    """Arrhenius plot of a conductivity result (`ipscreen.properties.conductivity.calc`): D (cm²/s, log)
    vs 1000/T per mechanism, with the fitted line extrapolated to the target temperature (400 K) and
    its 1σ band. Filled markers: runs in the diffusive regime; open: not (few hops, sub-diffusive);
    crosses: runs left out of the fit (failed or framework melted). A `bvse_barrier_ev` in `result` (the
    bvse stage's value of the same compound) is printed beside the fitted E_a for comparison."""
    import numpy as np

    from ipscreen.properties.conductivity import K_B_EV as k_b  # the constant of the fit

    target = float(result.get("method", {}).get("settings", {}).get("target_temperature_k", 400.0))
    mechanisms = [m for m in MECHANISM_COLOUR if f"{m}_status" in result]
    if not mechanisms:
        raise ValueError("not a conductivity result: no per-mechanism runs")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4.2), dpi=150)
    temps = [float(t) for t in result.get("temperatures_k", [])]
    for mech in mechanisms:
        colour = MECHANISM_COLOUR[mech]
        fitted = dict(zip(result.get(f"{mech}_arrhenius_temperatures_k") or [],
                          zip(result.get(f"{mech}_arrhenius_diffusivities_cm2_per_s") or [],
                              result.get(f"{mech}_arrhenius_diffusivity_stderrs_cm2_per_s") or [])))
        for t, status, d, diffusive in zip(temps, result[f"{mech}_status"], result[f"{mech}_diffusivity_cm2_per_s"],
                                           result[f"{mech}_diffusive"]):
            if t in fitted:  # 1σ of ln D: D ×/÷ (1 + σ_D/D)
                d_fit, err = fitted[t]
                ax.errorbar([1000 / t], [d_fit], yerr=[[d_fit - d_fit / (1 + err / d_fit)], [err]], fmt="o",
                            color=colour, mfc=colour if diffusive else "white", ms=6, capsize=3)
            elif status == "ok" and d:
                ax.plot(1000 / t, d, "x", color=colour, ms=6)
        ea = result.get(f"{mech}_activation_energy_ev")
        d_target = result.get(f"{mech}_diffusivity_400k_cm2_per_s")
        if ea is None or not d_target:
            continue
        sigma = result[f"{mech}_conductivity_400k_log10_stderr"] * math.log(10)
        x = np.linspace(1000 / max(temps + [target]) * 0.97, 1000 / target * 1.03, 50)
        line = d_target * np.exp(-ea / k_b * (x / 1000 - 1 / target))
        ax.plot(x, line, "-", color=colour, lw=1.2,
                label=f"{mech}: $E_a$ = {ea:.2f} ± {result[f'{mech}_activation_energy_ev_stderr']:.2f} eV")
        ax.errorbar([1000 / target], [d_target], yerr=[[d_target * (1 - math.exp(-sigma))],
                                                        [d_target * (math.exp(sigma) - 1)]],
                    fmt="s", color=colour, mfc="white", capsize=3, ms=5)
    ax.axvline(1000 / target, color="0.6", lw=0.8, ls=":")
    note = ("filled: diffusive run; open: few hops (D from n + ½ hops)\n×: left out (melted); "
            f"□: {target:g} K extrapolation")
    if result.get("bvse_barrier_ev") is not None:
        note += f"\nBVSE barrier (static): {float(result['bvse_barrier_ev']):.2f} eV"
    ax.text(0.99, 0.99, note, transform=ax.transAxes, ha="right", va="top", fontsize=7, color="0.3")
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("Li diffusivity D (cm$^2$/s)")
    title = "Arrhenius fit of the MD diffusivities"
    if result.get("indicative"):
        title += " (indicative: short MD)"
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, lw=0.5, which="both")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower left")
    return _save(fig, path)


def window_profiles(windows: list[tuple[str, str, dict]], path: Path | str, v_max: float = 5.0) -> Path:
    """Fig. 6: Li uptake (per formula unit, + when reduced) of each compound against voltage vs Li/Li+,
    one panel per (formula, space group, window result of thermo/electrochem.window), the window
    shaded and each voltage range labelled with its products."""
    plt = _pyplot()
    n = max(1, len(windows))
    fig, axes = plt.subplots(n, 1, figsize=(6.4, 1.7 * n + 0.6), dpi=150, sharex=True, squeeze=False)
    for ax, (formula, space_group, w) in zip(axes[:, 0], windows):
        xs, ys = [], []
        for r in w["profile"]:
            hi = v_max if r["v_max"] is None else min(r["v_max"], v_max)
            if r["v_min"] >= v_max:
                continue
            xs += [r["v_min"], hi]
            ys += [r["li_per_formula_unit"]] * 2
            if hi - r["v_min"] > 0.25:
                ax.text((r["v_min"] + hi) / 2, r["li_per_formula_unit"], " + ".join(r["products"]),
                        ha="center", va="bottom", fontsize=6, color="0.25")
        ax.plot(xs, ys, "-", color="#1f77b4", lw=1.5)
        hi = w["oxidation_limit_v"] if w["oxidation_limit_v"] is not None else v_max
        ax.axvspan(w["reduction_limit_v"], min(hi, v_max), color="#2ca02c", alpha=0.15, lw=0)
        ax.set_ylabel("Li uptake\n(per f.u.)", fontsize=7)
        ax.set_title(f"{space_group} {pretty_formula(formula)}: window {w['reduction_limit_v']:.2f}-{hi:.2f} V",
                     fontsize=8, loc="left")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.grid(alpha=0.3, lw=0.5)
        pad = 0.3 * max(1.0, max((abs(y) for y in ys), default=1.0))
        ax.set_ylim(min(ys, default=0) - pad, max(ys, default=0) + pad)
    axes[-1, 0].set_xlabel("voltage vs Li/Li$^+$ (V)")
    axes[-1, 0].set_xlim(0, v_max)
    return _save(fig, path)


def interface_curves(curves: list[tuple[str, list]], cathode: str, path: Path | str) -> Path:
    """Fig. 7a: mutual reaction energy (meV/atom) against the mixing ratio x (the cathode's fraction) with one cathode,
    one curve per compound ((label, [[x, eV/atom], ...]) from thermo/interfaces.reaction), minimum marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=150)
    cmap = plt.get_cmap("tab20")
    for n, (label, curve) in enumerate(curves):
        xs = [p[0] for p in curve]
        ys = [1000 * p[1] for p in curve]
        color = cmap(n % 20)
        ax.plot(xs, ys, "-o", ms=2.5, lw=1.2, color=color, label=label)
        k = min(range(len(ys)), key=lambda i: ys[i])
        ax.plot([xs[k]], [ys[k]], "*", ms=8, color=color)
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"x (atomic fraction of {cathode})")
    ax.set_ylabel(f"reaction energy with {cathode} (meV/atom)")
    ax.grid(alpha=0.3, lw=0.5)
    if curves:
        ax.legend(fontsize=6, ncol=2 if len(curves) > 8 else 1, loc="lower left", frameon=False)
    return _save(fig, path)


def interface_heatmap(labels: list[str], cathodes: list[str], energies: list[list], path: Path | str,
                      flags: list[list] | None = None) -> Path:
    """Fig. 7b: minimum reaction energy (meV/atom) of each compound (row) with each cathode (column); a cell
    whose `flags` entry is true (the two backends disagree on whether it reacts) is marked with "?"."""
    import numpy as np

    plt = _pyplot()
    values = np.array([[np.nan if e is None else 1000 * e for e in row] for row in energies], dtype=float)
    fig, ax = plt.subplots(figsize=(1.2 * len(cathodes) + 2.8, 0.28 * len(labels) + 1.4), dpi=150)
    low = np.nanmin(values) if np.isfinite(values).any() else -1.0
    im = ax.imshow(values, cmap="Reds_r", vmin=min(low, -1.0), vmax=0, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                mark = "?" if flags and flags[i][j] else ""
                ax.text(j, i, f"{values[i, j]:.0f}{mark}", ha="center", va="center", fontsize=6,
                        color="white" if values[i, j] < 0.6 * low else "black")
    ax.set_xticks(range(len(cathodes)), cathodes, fontsize=7, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels, fontsize=6)
    fig.colorbar(im, ax=ax, label="reaction energy (meV/atom)", shrink=0.8)
    return _save(fig, path)


def synthesis_fronts(panels: list[tuple[str, list[dict]]], path: Path | str) -> Path:
    """Fig. 10: every route of each target as (competing phases, nucleation barrier on a log axis), the Pareto
    front dashed and its routes labelled Δ1, Δ2, ... in order (labels continue across panels, as in Table 3)."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    n = max(1, len(panels))
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), dpi=150, squeeze=False)
    label = 0
    for ax, (title, routes) in zip(axes.flat, panels):
        finite = [r for r in routes if r["nucleation_barrier"] is not None]
        ax.scatter([r["competing_phases"] for r in finite], [r["nucleation_barrier"] for r in finite], s=12,
                   color="0.55", alpha=0.7, lw=0)
        front = sorted((r for r in finite if r["pareto"]), key=lambda r: r["competing_phases"])
        ax.plot([r["competing_phases"] for r in front], [r["nucleation_barrier"] for r in front], "--o", color="#d62728",
                ms=4, lw=1.2)
        for r in front:
            label += 1
            ax.annotate(f"Δ{label}", (r["competing_phases"], r["nucleation_barrier"]), textcoords="offset points",
                        xytext=(4, 4), fontsize=7, color="#d62728")
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # competing phases are counts
        space_group, _, formula = title.rpartition(" ")
        ax.set_title(f"{space_group} {pretty_formula(formula)}".strip(), fontsize=9)
        ax.set_xlabel("competing phases", fontsize=8)
        ax.set_ylabel("nucleation barrier (eV)", fontsize=8)
        ax.grid(alpha=0.3, lw=0.5)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)
