"""Matplotlib figures (PNG/SVG, Agg backend: no screen needed)."""

from __future__ import annotations

from pathlib import Path

PARENT_STYLE = {  # parent -> (label, colour)
    "ninf": ("Li$_3$XZ (n = ∞)", "#1f77b4"),
    "n1": ("Li$_4$XZ$_2$ (n = 1)", "#d62728"),
    "n2": ("Li$_7$X$_2$Z$_3$ (n = 2)", "#2ca02c"),
}


def tolerance_histogram(rows: list[dict], path: Path | str, title: str = "") -> Path:
    """Distribution of t_G,ip (eq. 24) per parent; one step histogram each, counts on y."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

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
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
