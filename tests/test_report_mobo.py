"""MOBO figures (Fig. 5a progress, Fig. 5b Pareto front: PNG and interactive HTML) on small realistic inputs."""

from __future__ import annotations

import re

import pytest

from ipscreen.report.figures import mobo_progress, pareto_3d, plottable, pretty_formula
from ipscreen.report.interactive import pareto_html

PNG = b"\x89PNG\r\n\x1a\n"

OBJECTIVES = [
    {"name": "band_gap_ev", "label": "$E_g$ (eV)", "direction": "max", "log10": False},
    {"name": "hydration_kj_per_mol", "label": "$E_h$ (kJ/mol)", "direction": "max", "log10": False},
    {"name": "conductivity_400k_s_per_cm", "label": r"$\Lambda_{400\,K}$ (S/cm)", "direction": "max", "log10": True},
]

# (id, formula, parent, pareto, E_g eV, E_h kJ/mol, Λ(400 K) S/cm)
_DATA = [
    ("ninf-0a1b2c3d4e5f", "Li3OCl", "ninf", True, 5.1, -12.0, 3.1e-4),
    ("ninf-1b2c3d4e5f6a", "Li3OBr", "ninf", False, 4.2, -20.5, 1.2e-4),
    ("ninf-2c3d4e5f6a7b", "Li6O2ClBr", "ninf", True, 4.6, -15.1, 8.7e-4),
    ("ninf-3d4e5f6a7b8c", "Li3SI", "ninf", False, 2.9, -35.0, 2.0e-5),
    ("n1-4e5f6a7b8c9d", "Li4OCl2", "n1", True, 5.6, -8.4, 5.0e-5),
    ("n1-5f6a7b8c9d0e", "Li4OBr2", "n1", False, 4.4, -18.2, 9.0e-6),
    ("n1-6a7b8c9d0e1f", "Li8O2Cl3Br", "n1", False, 4.9, -10.3, 4.4e-5),
    ("n2-7b8c9d0e1f2a", "Li7O2Cl3", "n2", True, 5.3, -5.2, 2.2e-4),
    ("n2-8c9d0e1f2a3b", "Li7O2Br3", "n2", False, 4.3, -16.0, 7.5e-5),
    ("n2-9d0e1f2a3b4c", "Li7OSCl3", "n2", False, 3.4, -25.7, 3.3e-5),
    ("n2-0e1f2a3b4c5d", "Li14O4Cl5Br", "n2", False, None, -7.7, 1.0e-4),
    ("ninf-af0e1f2a3b4c", "Li3OI", "ninf", False, 3.8, None, None),
]
ROWS = [dict(zip(("id", "formula", "parent", "pareto", *(o["name"] for o in OBJECTIVES)), d)) for d in _DATA]

BEST = [{"iteration": i, "n_evaluated": 8 + 2 * i, "band_gap_ev": g, "hydration_kj_per_mol": h,
         "conductivity_400k_s_per_cm": c}
        for i, (g, h, c) in enumerate([(5.1, -12.0, 1.2e-4), (5.1, -8.4, 3.1e-4), (5.3, -5.2, 3.1e-4),
                                       (5.6, -5.2, 8.7e-4), (5.6, -5.2, 8.7e-4)])]


def test_plottable_skips_missing_values():
    kept, skipped = plottable(ROWS, OBJECTIVES)
    assert skipped == 2 and len(kept) == 10
    assert plottable([{**ROWS[0], "conductivity_400k_s_per_cm": 0.0}], OBJECTIVES) == ([], 1)  # no log of 0
    assert pretty_formula("Li7O2Cl3") == "Li$_{7}$O$_{2}$Cl$_{3}$"


@pytest.mark.parametrize("objectives", [OBJECTIVES, OBJECTIVES[2:]], ids=["three", "one"])
def test_mobo_progress(tmp_path, objectives):
    rows = [*BEST, {"iteration": 5, "n_evaluated": 18, **{o["name"]: None for o in OBJECTIVES}}]  # None: gap
    out = mobo_progress(rows[::-1], objectives, tmp_path / "fig5a" / "progress.png")
    assert out.read_bytes().startswith(PNG) and out.stat().st_size > 5000


def test_mobo_progress_rejects_empty(tmp_path):
    with pytest.raises(ValueError):
        mobo_progress(BEST, [], tmp_path / "x.png")
    with pytest.raises(ValueError):
        mobo_progress([], OBJECTIVES, tmp_path / "x.png")


@pytest.mark.parametrize("label", [True, False])
def test_pareto_3d(tmp_path, label):
    out = pareto_3d(ROWS, OBJECTIVES, tmp_path / "pareto.png", label_pareto=label)
    assert out.read_bytes().startswith(PNG) and out.stat().st_size > 5000


def test_pareto_html(tmp_path):
    out = pareto_html(ROWS, OBJECTIVES, tmp_path / "pareto.html", title="test front")
    html = out.read_text(encoding="utf-8")
    assert "plotly" in html and "test front" in html
    assert not re.search(r"<script[^>]*\ssrc=", html)  # plotly.js embedded, no CDN: works offline
    for row in ROWS[:10]:
        assert row["formula"] in html
    assert "Li14O4Cl5Br" not in html and "Li3OI" not in html  # rows with a None value are skipped
    assert '"type":"log"' in html.replace(" ", "")


@pytest.mark.parametrize("n", [2, 4])
def test_3d_plots_need_three_objectives(tmp_path, n):
    objectives = (OBJECTIVES * 2)[:n]
    with pytest.raises(ValueError, match="exactly 3"):
        pareto_3d(ROWS, objectives, tmp_path / "x.png")
    with pytest.raises(ValueError, match="exactly 3"):
        pareto_html(ROWS, objectives, tmp_path / "x.html")
    assert not list(tmp_path.iterdir())


def test_pareto_all_skipped_still_draws(tmp_path):
    rows = [{**r, "band_gap_ev": None} for r in ROWS]
    assert pareto_3d(rows, OBJECTIVES, tmp_path / "empty.png").read_bytes().startswith(PNG)
    assert "plotly" in pareto_html(rows, OBJECTIVES, tmp_path / "empty.html").read_text(encoding="utf-8")
