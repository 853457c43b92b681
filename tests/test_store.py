"""Campaign folder and store: one build, no repeated work, nothing half-written."""

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from ipscreen.campaign.runner import open_campaign, run
from ipscreen.campaign.stages import stage_hash
from ipscreen.campaign.store import Store
from ipscreen.errors import InputError, StoreError


def test_build_once_then_no_work(tmp_path):
    folder = tmp_path / "c"
    summary = run(folder, preset="demo", stages=["space"])
    assert summary["space"]["built"] is True
    n = summary["space"]["compounds"]
    with Store(folder) as store:
        first = store.stage_runs("space")
        assert len(first) == 1 and first[0]["n_records"] == n
        assert set(first[0]["versions"]) >= {"ipscreen", "icet", "spglib", "pymatgen"}
    assert run(folder, stages=["space"])["space"]["built"] is False  # the preset is read back from campaign.toml
    with Store(folder) as store:
        assert store.stage_runs("space") == first
        assert store.count() == n
        rows = store.compound_rows()
        s = store.structures([rows[0]["id"]])[rows[0]["id"]]
        assert len(s["species"]) == rows[0]["n_atoms"]
    assert (folder / "space.csv").read_text().count("\n") == n + 1
    assert (folder / "space_tolerance.png").read_bytes()[:4] == b"\x89PNG"


def test_changed_space_settings_are_refused(tmp_path):
    folder = tmp_path / "c"
    run(folder, preset="demo", stages=["space"])
    (folder / "campaign.toml").write_text('preset = "demo"\n[space]\nz_elements = ["Cl"]\n')
    with pytest.raises(StoreError, match="other settings"):
        run(folder, stages=["space"])


def test_preset_conflict_is_refused(tmp_path):
    run(tmp_path / "c", preset="demo", stages=["space"])
    with pytest.raises(InputError, match="uses preset 'demo'"):
        open_campaign(tmp_path / "c", preset="paper")


def test_failed_write_leaves_nothing(tmp_path):
    """A write that fails part-way is rolled back: no compounds and no stage row."""
    config, store = open_campaign(tmp_path / "c", preset="demo")
    from ipscreen.space import enumerate_space

    compounds = enumerate_space(config.space)
    broken = compounds[:50] + [None] + compounds[50:]  # None fails inside the write
    with store:
        with pytest.raises(AttributeError):
            store.write_space(broken, config.space.to_dict(), stage_hash(config, "space"), {})
        assert store.count() == 0 and store.stage_runs() == []
    assert run(tmp_path / "c", stages=["space"])["space"]["built"] is True
    with Store(tmp_path / "c") as store:
        assert store.count() == len(compounds)


def test_sigkill_during_build_then_rerun(tmp_path):
    """Killing a build while it runs leaves either nothing or a complete space; a rerun completes it.
    The kill is certain: it comes once the store exists, while the process is still building."""
    folder = tmp_path / "c"
    proc = subprocess.Popen([sys.executable, "-m", "ipscreen.cli", "space", "build", "--campaign", str(folder),
                             "--preset", "paper"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = folder / "ipscreen.sqlite"
    try:
        while not db.exists():
            assert proc.poll() is None, "the build ended before it could be interrupted"
            time.sleep(0.01)
        time.sleep(1.0)  # well inside the enumeration of the paper space (several seconds)
        assert proc.poll() is None, "the build ended before it could be interrupted"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db)
    n = conn.execute("SELECT COUNT(*) FROM compounds").fetchone()[0]
    stages = conn.execute("SELECT n_records FROM stages WHERE stage = 'space'").fetchall()
    conn.close()
    assert (n == 0 and stages == []) or (stages == [(n,)])
    run(folder, stages=["space"])
    with Store(folder) as store:
        rows = store.compound_rows()
        assert len(rows) == len({r["id"] for r in rows}) == store.stage_runs("space")[0]["n_records"]
        assert abs(len(rows) - 10_173) < 1_018
