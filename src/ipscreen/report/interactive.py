"""Interactive plotly figures (self-contained HTML, plotly.js embedded: works offline)."""

from __future__ import annotations

import re
from pathlib import Path

from ipscreen.report.figures import PARENT_STYLE, plottable

_TEX = {r"\Lambda": "Λ", r"\sigma": "σ", r"\Delta": "Δ", r"\mathrm": "", r"\rm": "", "\\,": " "}


def _html(text: str) -> str:
    """Mathtext segments ($E_{g}$, Li$_3$) to plotly's HTML subset (<sub>, <sup>)."""

    def convert(m: re.Match) -> str:
        s = m.group(1)
        for tex, plain in _TEX.items():
            s = s.replace(tex, plain)
        s = re.sub(r"_\{([^}]*)\}|_(\S)", lambda g: f"<sub>{g.group(1) or g.group(2)}</sub>", s)
        s = re.sub(r"\^\{([^}]*)\}|\^(\S)", lambda g: f"<sup>{g.group(1) or g.group(2)}</sup>", s)
        return s.replace("{", "").replace("}", "")

    return re.sub(r"\$([^$]*)\$", convert, text)


def pareto_html(rows: list[dict], objectives: list[dict], path: Path | str, title: str = "") -> Path:
    """Fig. 5b as a rotatable 3-D scatter in a page of its own (plotly.js embedded: opens offline); see
    `pareto_figure`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pareto_figure(rows, objectives, title).write_html(path, include_plotlyjs=True, full_html=True)
    return path


def pareto_figure(rows: list[dict], objectives: list[dict], title: str = ""):
    """Fig. 5b as a plotly Figure: Pareto points coloured by parent, dominated ones grey.

    `rows`: {"id", "formula", "parent", "pareto", <objective name>: value or None}; exactly three `objectives`
    ({"name", "label" (with unit), "log10"}); log10 objectives get a log axis. Rows missing a value are skipped.
    """
    import plotly.graph_objects as go
    from pymatgen.util.string import htmlify

    if len(objectives) != 3:
        raise ValueError(f"a 3-D Pareto plot needs exactly 3 objectives, got {len(objectives)}")
    kept, skipped = plottable(rows, objectives)
    labels = [_html(o["label"]) for o in objectives]

    def trace(pts: list[dict], name: str, marker: dict, text: bool) -> go.Scatter3d:
        hover = [f"<b>{r['id']}</b><br>{r['formula']} ({r['parent']})<br>"
                 + "<br>".join(f"{lab}: {r[o['name']]:.4g}" for lab, o in zip(labels, objectives)) for r in pts]
        x, y, z = ([r[o["name"]] for r in pts] for o in objectives)
        return go.Scatter3d(x=x, y=y, z=z, name=name, marker=marker, hovertext=hover, hoverinfo="text",
                            mode="markers+text" if text else "markers",
                            text=[htmlify(r["formula"]) for r in pts] if text else None,
                            textposition="top center", textfont={"size": 10})

    fig = go.Figure()
    dominated = [r for r in kept if not r.get("pareto")]
    if dominated:
        fig.add_trace(trace(dominated, f"dominated: {len(dominated):,}",
                            {"size": 3, "color": "#9a9a9a", "opacity": 0.35}, text=False))
    front = [r for r in kept if r.get("pareto")]
    for parent in dict.fromkeys([*PARENT_STYLE, *(r["parent"] for r in front)]):
        pts = [r for r in front if r["parent"] == parent]
        if pts:
            label, colour = PARENT_STYLE.get(parent, (parent, "black"))
            fig.add_trace(trace(pts, f"Pareto, {_html(label)}: {len(pts):,}",
                                {"size": 6, "color": colour, "line": {"width": 1, "color": "black"}}, text=True))
    axes = {f"{axis}axis": {"title": {"text": lab}, "type": "log" if o.get("log10") else "linear"}
            for axis, lab, o in zip("xyz", labels, objectives)}
    heading = title or f"{len(kept):,} compounds, {len(front):,} Pareto-optimal"
    if skipped:
        heading += f" ({skipped:,} without all objectives skipped)"
    fig.update_layout(title={"text": heading}, scene=axes, legend={"itemsizing": "constant"},
                      margin={"l": 0, "r": 0, "t": 50, "b": 0}, template="plotly_white")
    return fig
