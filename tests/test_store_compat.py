"""A store written before the stage registry (tests/fixtures/campaign_v0, see its README)
opens with today's code: same table, nothing recomputed, its space hash migrated; a run adds
only the reference phases the library gained since."""

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "campaign_v0"


@pytest.fixture
def old_campaign(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(FIXTURE, folder)
    return folder


def _rows(text: str) -> dict:
    return {r["id"]: r for r in csv.DictReader(io.StringIO(text))}


def _results(folder):
    conn = sqlite3.connect(folder / "ipscreen.sqlite")
    rows = conn.execute("SELECT compound_id, stage, settings_hash, created_at FROM results").fetchall()
    conn.close()
    return sorted(rows)


def test_old_store_gives_the_same_table_without_recomputing(old_campaign):
    before = _results(old_campaign)
    out = run_cli("table", "--campaign", old_campaign)
    assert out.returncode == 0, out.stderr
    table, expected = _rows(out.stdout), _rows((FIXTURE / "table_expected.csv").read_text())
    assert set(table) == set(expected) and len(table) == 5
    for cid, row in expected.items():
        assert set(row) == set(table[cid])  # same columns (their order follows the pipeline now)
        for key, value in row.items():
            assert table[cid][key] == value, (cid, key)
    # a plain run of the default stages recomputes nothing: it relaxes only the reference phases the
    # library gained since (Br2O, BrCl, Cl2O) and redoes E_d, whose input they are, with the same values
    out = run_cli("run", "--campaign", old_campaign)
    assert out.returncode == 0, out.stderr
    assert "already built" in out.stderr and "3 computed now" in out.stderr
    assert out.stderr.count("0 computed now") == 2  # synthesizability and bvse
    after = _results(old_campaign)
    kept = {(cid, stage, h): t for cid, stage, h, t in before if stage != "stability"}
    assert all(kept[(cid, stage, h)] == t for cid, stage, h, t in after if (cid, stage, h) in kept)
    new = sorted(cid for cid, stage, _h, _t in after if (cid, stage, _h) not in kept and stage != "stability")
    assert new == ["ref:Br2O:mp-28460", "ref:BrCl:mp-864928", "ref:Cl2O:mp-29537"]
    rerun = _rows(run_cli("table", "--campaign", old_campaign).stdout)
    for cid, row in expected.items():
        assert float(rerun[cid]["e_above_hull_ev_per_atom"]) == pytest.approx(
            float(row["e_above_hull_ev_per_atom"]), abs=1e-9)
        assert set(rerun[cid]["decomposition"].split(" + ")) == set(row["decomposition"].split(" + "))
    # the stored MOBO run is found under today's hash: its Pareto set is read, not recomputed
    pareto = run_cli("mobo", "pareto", "--campaign", old_campaign, "--json")
    assert pareto.returncode == 0, pareto.stderr
    assert {r["id"] for r in json.loads(pareto.stdout)} == {
        r["id"] for r in csv.DictReader(io.StringIO((FIXTURE / "table_expected.csv").read_text()))
        if r["band_gap_ev"]}


def test_old_space_hash_is_migrated_once(old_campaign):
    from ipscreen.campaign.migrations import migrate
    from ipscreen.campaign.runner import open_campaign
    from ipscreen.campaign.stages import stage_hash

    conn = sqlite3.connect(old_campaign / "ipscreen.sqlite")
    old = conn.execute("SELECT settings_hash FROM stages WHERE stage = 'space'").fetchone()[0]
    conn.close()
    config, store = open_campaign(old_campaign)
    with store:
        new = stage_hash(config, "space")
        assert new != old and store.is_complete("space", new) and not store.is_complete("space", old)
        record = json.loads(store.conn.execute(
            "SELECT value FROM meta WHERE key = 'migration:space-hash-v2'").fetchone()[0])
        assert (record["from"], record["to"]) == (old, new)
        assert migrate(config, store) == []  # nothing left to migrate
