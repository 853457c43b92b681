"""The CLI as a user runs it: outputs, files, and one-line errors with exit code 2."""

import csv
import io
import json

import pytest

from conftest import run_cli

COLUMNS = ["id", "formula", "reduced_formula", "space_group", "parent", "x_fraction", "z_fraction", "n_atoms",
           "tolerance_factor"]


def test_list_csv_and_json():
    out = run_cli("space", "list", "--preset", "demo", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert set(COLUMNS) <= set(rows[0])
    assert {r["parent"] for r in rows} == {"ninf", "n1", "n2"}
    li3ocl = [r for r in rows if r["reduced_formula"] == "Li3OCl"]
    assert len(li3ocl) == 1 and li3ocl[0]["space_group"] == "Pm-3m" and li3ocl[0]["n_atoms"] == "5"
    js = json.loads(run_cli("space", "list", "--preset", "demo", "--format", "json").stdout)
    assert [r["id"] for r in js] == [r["id"] for r in rows]


def test_list_formula_filter():
    out = run_cli("space", "list", "--preset", "demo", "--formula", "Li3OCl0.5Br0.5")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows and {r["reduced_formula"] for r in rows} == {"Li6O2ClBr"}


def test_stats_json():
    out = run_cli("space", "stats", "--preset", "demo", "--json")
    stats = json.loads(out.stdout)
    assert sum(stats["per_parent"].values()) == stats["total"]
    assert sum(stats["per_x_ratio"].values()) == stats["total"]
    assert "0.5:0.5" in stats["per_z_ratio"] and "0.67:0.33" in stats["per_z_ratio"]


def test_export_cif_and_extxyz(tmp_path):
    from ase.io import read
    from pymatgen.core import Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    rows = list(csv.DictReader(io.StringIO(run_cli("space", "list", "--preset", "demo").stdout)))
    pick = [r for r in rows if r["reduced_formula"] in ("Li6O2ClBr", "Li7O2Cl3")]
    ids = ",".join(r["id"] for r in pick)
    out = run_cli("space", "export", "--preset", "demo", "--ids", ids, "--format", "cif", "--out", tmp_path / "cif")
    assert out.returncode == 0, out.stderr
    for r in pick:
        s = Structure.from_file(tmp_path / "cif" / f"{r['id']}.cif")
        assert len(s) == int(r["n_atoms"])
        assert SpacegroupAnalyzer(s, symprec=1e-3).get_space_group_symbol() == r["space_group"]
    out = run_cli("space", "export", "--preset", "demo", "--formula", "Li3OCl", "--format", "extxyz",
                  "--out", tmp_path / "xyz")
    frames = read(tmp_path / "xyz" / "structures.extxyz", index=":")
    assert len(frames) == 1 and frames[0].get_chemical_formula() == "ClLi3O"
    assert frames[0].info["space_group"] == "Pm-3m"


def test_plot(tmp_path):
    out = run_cli("space", "plot", "--preset", "demo", "--out", tmp_path / "t.png")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"


def _one_line_error(out, pattern):
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("ipscreen: error:") and pattern in lines[0], lines[0]


@pytest.mark.parametrize(
    "space_table, pattern",
    [
        ('x_elements = ["O", "Xq"]', "unknown element 'Xq'"),
        ('x_elements = ["O", "Cl"]', "cannot occupy the X site"),
        ('ratios = ["1:0", "0.6:0.4"]', "outside the allowed set"),
        ('ratios = ["half"]', "malformed ratio"),
    ],
)
def test_bad_campaign_settings(tmp_path, space_table, pattern):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "campaign.toml").write_text(f'preset = "demo"\n[space]\n{space_table}\n')
    _one_line_error(run_cli("run", "--campaign", folder), pattern)
    assert not (folder / "ipscreen.sqlite").exists()


def test_malformed_campaign_file(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "campaign.toml").write_text('preset = "demo\n[space\n')
    _one_line_error(run_cli("space", "build", "--campaign", folder), "malformed campaign file")
    assert not (folder / "ipscreen.sqlite").exists()


def test_unknown_preset_leaves_nothing(tmp_path):
    _one_line_error(run_cli("run", "--preset", "nope", "--campaign", tmp_path / "c"), "unknown preset 'nope'")
    assert not (tmp_path / "c").exists()
    _one_line_error(run_cli("space", "list", "--preset", "nope"), "unknown preset")


def test_bad_formula_and_unknown_id(tmp_path):
    _one_line_error(run_cli("space", "list", "--preset", "demo", "--formula", "Li3O(Cl"), "bad formula")
    _one_line_error(run_cli("space", "list", "--preset", "demo", "--formula", "Li3NCl"), "N is not in the space")
    _one_line_error(run_cli("space", "export", "--preset", "demo", "--ids", "ninf-000000000000", "--out", tmp_path),
                    "unknown compound id")


def test_status_and_missing_campaign(tmp_path):
    _one_line_error(run_cli("status", "--campaign", tmp_path / "none"), "no campaign store")
    assert run_cli("run", "--campaign", tmp_path / "c", "--stages", "space").returncode == 0
    out = run_cli("status", "--campaign", tmp_path / "c")
    assert out.returncode == 0 and "space" in out.stdout


def test_progress_is_plain_lines_without_a_terminal(tmp_path):
    """In a log (stderr not a terminal) a run longer than the quiet period reports its progress as timestamped
    lines, not silence (the extended space, 18,840 compounds, with IPSCREEN_PROGRESS_QUIET_S = 0, since how long it
    takes depends on the machine: a few seconds); a quick one prints none (the demo space, default 3 s)."""
    import os
    import re
    import subprocess
    import sys

    def lines(preset: str, env: dict) -> list[str]:
        proc = subprocess.run([sys.executable, "-m", "ipscreen.cli", "run", "--preset", preset, "--stages", "space",
                               "--campaign", str(tmp_path / preset)], capture_output=True, text=True, timeout=300,
                              env={**os.environ, **env})
        assert proc.returncode == 0, proc.stderr
        return [line for line in proc.stderr.splitlines()
                if re.fullmatch(r"\d\d:\d\d:\d\d campaign: .+ \d+/\d+", line)]

    long_run = lines("extended", {"IPSCREEN_PROGRESS_QUIET_S": "0"})
    assert len(long_run) > 1 and re.search(r" (\d+)/\1$", long_run[-1])  # the last chunk, done/total equal
    assert lines("demo", {}) == []
