"""Executors: serial and a real Dask LocalCluster give the same results; task errors become data."""

import math

import pytest

from ipscreen.campaign.executor import Executor, jobqueue_cluster
from ipscreen.campaign.settings import ClusterSettings
from ipscreen.errors import InputError


def _square_root(payload):
    if payload["x"] < 0:
        raise ValueError("negative")
    return {"status": "done", "value": math.sqrt(payload["x"])}


def _worker_environment(_payload):
    import os

    return {"status": "done", "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_")}}


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_results_and_failures(executor):
    payloads = {f"k{i}": {"x": x} for i, x in enumerate([4.0, 9.0, -1.0, 2.25])}
    got, seen = {}, []
    with Executor(ClusterSettings(executor=executor, n_workers=2)) as ex:
        ex.run("sqrt", _square_root, payloads, lambda k, r: got.__setitem__(k, r),
               progress=lambda name, done, total: seen.append((done, total)))
    assert got["k0"]["value"] == 2.0 and got["k1"]["value"] == 3.0 and got["k3"]["value"] == 1.5
    assert got["k2"]["status"] == "failed" and "negative" in got["k2"]["reason"]
    assert seen[-1] == (4, 4)


def test_local_workers_run_single_threaded_without_malloc_trim():
    got = {}
    with Executor(ClusterSettings(executor="local", n_workers=1)) as ex:
        ex.run("env", _worker_environment, {"a": {}}, lambda k, r: got.__setitem__(k, r))
    assert got["a"]["env"] == {"OMP_NUM_THREADS": "1", "MALLOC_TRIM_THRESHOLD_": None}


def _cube(x):
    return x**3


def _nested_pool(_payload):
    """What the conductivity oracle does with `[conductivity] workers` > 1: a process pool inside a task."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return {"status": "done", "cubes": list(pool.map(_cube, [1, 2, 3]))}


def test_local_workers_may_start_processes():
    got = {}
    with Executor(ClusterSettings(executor="local", n_workers=1)) as ex:
        ex.run("nested", _nested_pool, {"a": {}}, lambda k, r: got.__setitem__(k, r))
    assert got["a"].get("cubes") == [1, 8, 27], got["a"].get("reason")


def test_slurm_job_script():
    cluster = jobqueue_cluster(ClusterSettings(executor="slurm", cores=4, queue="short", account="proj"))
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH -p short" in script and "#SBATCH -A proj" in script
    assert "export OMP_NUM_THREADS=1" in script and "MALLOC_TRIM_THRESHOLD_: null" in script
    assert "daemon: false" in script
    assert "--nworkers 4" in script and "--nthreads 1" in script


def test_unreachable_scheduler():
    with pytest.raises(InputError, match="cannot reach Dask scheduler"):
        with Executor(ClusterSettings(executor="scheduler", scheduler="tcp://127.0.0.1:9", connect_timeout_s=3)):
            pass
