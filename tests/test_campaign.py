"""Campaign runs: resume after SIGKILL, a real Dask cluster losing a worker, failures as data."""

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import TINY_CAMPAIGN
from ipscreen.campaign.runner import open_campaign, run
from ipscreen.campaign.stages import stage_hash
from ipscreen.campaign.store import Store

pytestmark = pytest.mark.slow

N_COMPOUNDS = 5  # Li3OCl, Li3OBr and three Li6O2ClBr orderings
N_REFERENCES = 11  # Li, O, Cl, Br, Li2O, LiCl, LiBr, Li2O2 and the MP binaries Br2O, BrCl, Cl2O


def _campaign(path):
    path.mkdir(parents=True)
    (path / "campaign.toml").write_text(TINY_CAMPAIGN)
    return path


def _table(folder):
    with open(folder / "table.csv") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def _relax_rows(folder):
    conn = sqlite3.connect(folder / "ipscreen.sqlite")
    rows = conn.execute("SELECT compound_id, created_at, data FROM results WHERE stage = 'relax'").fetchall()
    conn.close()
    return rows


def _wait_for_results(folder, n, proc, timeout=300):
    start = time.time()
    while time.time() - start < timeout:
        if (folder / "ipscreen.sqlite").exists():
            try:
                if len(_relax_rows(folder)) >= n:
                    return
            except sqlite3.OperationalError:
                pass
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.2)
    raise TimeoutError


@pytest.fixture(scope="module")
def uninterrupted_folder(tmp_path_factory):
    folder = _campaign(tmp_path_factory.mktemp("ref") / "c")
    summary = run(folder)
    assert summary["relax"]["total"] == N_COMPOUNDS + N_REFERENCES
    return folder


@pytest.fixture(scope="module")
def uninterrupted(uninterrupted_folder):
    return _table(uninterrupted_folder)


def test_table_and_plot_commands(uninterrupted_folder, tmp_path):
    from conftest import run_cli

    folder = uninterrupted_folder
    out = run_cli("table", "--campaign", folder, "--format", "parquet", "--out", tmp_path / "t.parquet")
    assert out.returncode == 0, out.stderr
    import pandas as pd

    frame = pd.read_parquet(tmp_path / "t.parquet")
    assert {"id", "reduced_formula", "space_group", "parent", "tolerance_factor", "energy_ev_per_atom",
            "e_above_hull_ev_per_atom", "decomposition", "status"} <= set(frame.columns)
    assert len(frame) == N_COMPOUNDS and frame["e_above_hull_ev_per_atom"].notna().all()
    out = run_cli("plot", "stability", "--campaign", folder, "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    for name in ("stability_ed_vs_t.png", "stability_contour.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    status = run_cli("status", "--campaign", folder)
    assert "relax" in status.stdout and f"{N_COMPOUNDS + N_REFERENCES} converged" in status.stdout


def test_property_stages(uninterrupted_folder, uninterrupted):
    """The default run scored L_s and BVSE on the metastable compounds; the band gap runs on
    the ids asked for, is stored with its settings and is not recomputed on a rerun."""
    folder = uninterrupted_folder
    li3ocl = next(cid for cid, r in uninterrupted.items() if r["reduced_formula"] == "Li3OCl")
    assert float(uninterrupted[li3ocl]["synthesizability"]) == pytest.approx(1.0)
    assert 0.1 < float(uninterrupted[li3ocl]["bvse_barrier_ev"]) < 1.5
    summary = run(folder, stages=["gap"], ids=[li3ocl])
    assert {k: summary["gap"][k] for k in ("compounds", "computed", "status")} == {
        "compounds": 1, "computed": 1, "status": {"done": 1}}
    assert 4.5 < float(_table(folder)[li3ocl]["band_gap_ev"]) < 4.9
    assert run(folder, stages=["gap"], ids=[li3ocl])["gap"]["computed"] == 0
    from ipscreen.errors import InputError

    with pytest.raises(InputError, match="unknown compound"):
        run(folder, stages=["gap"], ids=["ninf-000000000000"])


def _same_numbers(table, reference):
    assert set(table) == set(reference)
    for cid, row in table.items():
        assert row["status"] == reference[cid]["status"] == "converged"
        assert float(row["energy_ev_per_atom"]) == pytest.approx(float(reference[cid]["energy_ev_per_atom"]), abs=1e-5)
        assert float(row["e_above_hull_ev_per_atom"]) == pytest.approx(
            float(reference[cid]["e_above_hull_ev_per_atom"]), abs=1e-5)
        assert row["decomposition"] == reference[cid]["decomposition"]


def test_uninterrupted_run_outputs(uninterrupted):
    assert len(uninterrupted) == N_COMPOUNDS
    li3ocl = next(r for r in uninterrupted.values() if r["reduced_formula"] == "Li3OCl")
    assert li3ocl["decomposition"] == "Li2O + LiCl"


def test_stability_is_the_reaction_energy_of_the_stored_relaxations(uninterrupted_folder, uninterrupted):
    """E_d of Li3OCl and Li3OBr in the table equals (E(Li3OX) - E(Li2O) - E(LiX)) / 5 from the relaxed
    energies in the store (MP2020's anion corrections cancel in these reactions), unclamped."""
    conn = sqlite3.connect(uninterrupted_folder / "ipscreen.sqlite")
    relaxed = {cid: json.loads(d) for cid, d in
               conn.execute("SELECT compound_id, data FROM results WHERE stage = 'relax'").fetchall()}
    conn.close()

    def per_fu(data, atoms_per_fu):
        return data["energy_ev_per_atom"] * atoms_per_fu

    for cid, row in uninterrupted.items():
        if row["reduced_formula"] not in ("Li3OCl", "Li3OBr"):
            continue
        halide = "Li" + row["reduced_formula"][4:]
        by_hand = (per_fu(relaxed[cid], 5) - per_fu(relaxed["ref:Li2O"], 3) - per_fu(relaxed[f"ref:{halide}"], 2)) / 5
        assert by_hand > 0 and float(row["e_above_hull_ev_per_atom"]) == pytest.approx(by_hand, abs=1e-6)
        assert row["decomposition"] == f"Li2O + {halide}"


def test_sigkill_mid_stage_then_resume(tmp_path, uninterrupted):
    folder = _campaign(tmp_path / "c")
    cmd = [sys.executable, "-m", "ipscreen.cli", "run", "--campaign", str(folder)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_results(folder, 4, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = {cid: created for cid, created, _ in _relax_rows(folder)}
    assert 4 <= len(before) < N_COMPOUNDS + N_REFERENCES
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    after = _relax_rows(folder)
    ids = [cid for cid, _, _ in after]
    assert len(ids) == len(set(ids)) == N_COMPOUNDS + N_REFERENCES  # every structure exactly once
    for cid, created, _ in after:  # what was finished before the kill was not redone
        if cid in before:
            assert created == before[cid]
    _same_numbers(_table(folder), uninterrupted)


def test_dask_cluster_survives_a_killed_worker(tmp_path, uninterrupted):
    folder = _campaign(tmp_path / "c")
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([os.path.join(bindir, "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(300):
            if sched_file.exists() and sched_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        workers = [subprocess.Popen([os.path.join(bindir, "dask"), "worker", address, "--nthreads", "1",
                                     "--no-nanny", "--no-dashboard", "--death-timeout", "60"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        procs += workers
        driver = subprocess.Popen([sys.executable, "-m", "ipscreen.cli", "run", "--campaign", str(folder),
                                   "--scheduler", address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(driver)
        _wait_for_results(folder, 2, driver)
        workers[0].send_signal(signal.SIGKILL)
        out, err = driver.communicate(timeout=900)
        assert driver.returncode == 0, err
        assert f"relax: {N_COMPOUNDS + N_REFERENCES} structures" in err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    ids = [cid for cid, _, _ in _relax_rows(folder)]
    assert len(ids) == len(set(ids)) == N_COMPOUNDS + N_REFERENCES
    _same_numbers(_table(folder), uninterrupted)


def test_bad_structures_are_stored_as_failed(tmp_path):
    from ase.data import chemical_symbols

    from ipscreen.energy.backends import load_backend

    folder = _campaign(tmp_path / "c")
    run(folder, stages=["space"])
    known = load_backend().elements
    lacking = next(el for el in chemical_symbols[1:] if el not in known)
    with Store(folder) as store:
        rows = store.compound_rows()
        overlap, foreign = rows[0]["id"], rows[1]["id"]
        s = store.structures([overlap, foreign])
        s[overlap]["frac_coords"][1] = [c + 0.01 for c in s[overlap]["frac_coords"][0]]
        s[foreign]["species"][0] = lacking
        with store.conn:
            for cid, d in s.items():
                store.conn.execute("UPDATE compounds SET structure = ? WHERE id = ?", (json.dumps(d), cid))
    summary = run(folder)
    assert summary["stability"]["failed"] == 2
    table = _table(folder)
    assert table[overlap]["status"] == "failed" and "apart" in table[overlap]["reason"]
    assert table[foreign]["status"] == "failed" and lacking in table[foreign]["reason"]
    others = [r for cid, r in table.items() if cid not in (overlap, foreign)]
    assert others and all(r["status"] == "converged" and r["e_above_hull_ev_per_atom"] for r in others)
    config, store = open_campaign(folder)
    with store:
        assert len(store.results("stability", stage_hash(config, "stability"))) == N_COMPOUNDS


MOBO_TABLE = """
[mobo]   # real oracles: the PBE band gap (GPAW), the BVSE barrier and E_d; every compound of the tiny pool
objectives = ["band_gap", "bvse", "stability"]
initial_size = 2
batch_size = 1
patience = 0
max_evaluations = 5
"""


def _mobo_rows(folder):
    conn = sqlite3.connect(folder / "ipscreen.sqlite")
    rows = conn.execute("SELECT compound_id, status, data, created_at FROM results WHERE stage = 'mobo'").fetchall()
    gaps = dict(conn.execute("SELECT compound_id, created_at FROM results WHERE stage = 'gap'").fetchall())
    conn.close()
    its = {cid: (status, json.loads(data)) for cid, status, data, _ in rows if cid.startswith("iter:")}
    return its, gaps


def test_mobo_run_resumes_after_sigkill_with_identical_batches(tmp_path, uninterrupted_folder):
    """A MOBO campaign killed during a batch's oracle calls resumes at the last finished evaluation:
    the journalled batches are replayed, no finished band gap is recomputed, and the batches equal
    those of an uninterrupted run over the same (stored) evaluations."""
    import shutil

    from conftest import run_cli

    folder = tmp_path / "killed"
    shutil.copytree(uninterrupted_folder, folder)
    with open(folder / "campaign.toml", "a") as fh:
        fh.write(MOBO_TABLE)
    cmd = [sys.executable, "-m", "ipscreen.cli", "mobo", "run", "--campaign", str(folder), "--serial"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = time.time()
        while time.time() - start < 600:
            try:
                its, _ = _mobo_rows(folder)
            except sqlite3.OperationalError:
                its = {}
            if its.get("iter:001", ("",))[0] == "done":
                break
            assert proc.poll() is None, "the MOBO run ended before it could be interrupted"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    its_before, gaps_before = _mobo_rows(folder)
    assert {"iter:000", "iter:001"} <= set(its_before) and len(its_before) < 5
    done = run_cli("mobo", "run", "--campaign", folder, "--serial")
    assert done.returncode == 0, done.stderr
    its, gaps = _mobo_rows(folder)
    assert sorted(its) == [f"iter:00{i}" for i in range(4)] and all(s == "done" for s, _ in its.values())
    batches = [its[k][1]["batch"] for k in sorted(its)]
    assert [len(b) for b in batches] == [2, 1, 1, 1] and len({c for b in batches for c in b}) == N_COMPOUNDS
    for cid, created in gaps_before.items():
        assert gaps[cid] == created  # finished oracle calls were not redone
    assert (folder / "mobo_pareto.csv").exists() and (folder / "mobo_progress.png").read_bytes()[:4] == b"\x89PNG"

    reference = tmp_path / "reference"  # the same campaign without the journal: an uninterrupted MOBO run
    shutil.copytree(folder, reference)
    conn = sqlite3.connect(reference / "ipscreen.sqlite")
    with conn:
        conn.execute("DELETE FROM results WHERE stage = 'mobo'")
    conn.close()
    again = run_cli("mobo", "run", "--campaign", reference, "--serial")
    assert again.returncode == 0, again.stderr
    its_ref, _ = _mobo_rows(reference)
    assert [its_ref[k][1]["batch"] for k in sorted(its_ref)] == batches
    pareto = run_cli("mobo", "pareto", "--campaign", folder, "--json")
    assert pareto.returncode == 0, pareto.stderr
    rows = json.loads(pareto.stdout)
    assert rows and all(r["pareto"] and 3.0 < r["band_gap_ev"] < 6.0 for r in rows)
