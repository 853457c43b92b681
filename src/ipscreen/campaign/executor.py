"""Where tasks run: in-process ("serial") or on Dask (LocalCluster, a running scheduler,
or a SLURM/PBS cluster through dask-jobqueue).

The driver submits tasks and receives results one by one as they finish; only the
driver writes the store. A worker that dies has its tasks rescheduled by Dask.
"""

from __future__ import annotations

import logging
import os
from typing import Callable

from ipscreen.campaign.settings import ClusterSettings
from ipscreen.energy.threads import THREAD_VARIABLES, limit_threads
from ipscreen.errors import InputError

# Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which made every
# SevenNet force call here 2x slower (half the time in the kernel: with the variable
# set, glibc stops adapting its mmap threshold and maps/unmaps torch's buffers on
# every call; any explicit value did the same). Workers get the thread variables and
# no MALLOC_TRIM_THRESHOLD_ (None unsets it in dask's config).
WORKER_ENVIRON = {**THREAD_VARIABLES, "MALLOC_TRIM_THRESHOLD_": None}
# The same for jobqueue workers on other nodes: a dask config file written by the job.
_JOB_DASK_CONFIG = [
    'export DASK_CONFIG="${TMPDIR:-/tmp}/ipscreen-dask-$$"',
    'mkdir -p "$DASK_CONFIG"',
    "printf 'distributed:\\n  nanny:\\n    pre-spawn-environ:\\n      MALLOC_TRIM_THRESHOLD_: null\\n"
    "  worker:\\n    daemon: false\\n' "
    '> "$DASK_CONFIG/ipscreen.yaml"',
]

OnResult = Callable[[str, dict], None]
Progress = Callable[[str, int, int], None]


class Executor:
    """Runs `fn(payload)` for many payloads; use as a context manager."""

    def __init__(self, settings: ClusterSettings):
        self.settings = settings
        self.client = None
        self.cluster = None

    # lifecycle -------------------------------------------------------------
    def __enter__(self) -> "Executor":
        for key, value in THREAD_VARIABLES.items():  # inherited by LocalCluster workers
            os.environ.setdefault(key, value)
        s = self.settings
        if s.executor == "serial":
            limit_threads()
            return self
        import dask
        from distributed import Client, LocalCluster

        dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENVIRON),  # see WORKER_ENVIRON
                         # non-daemonic workers may start processes: the conductivity oracle runs its
                         # MD replicas in `[conductivity] workers` processes
                         "distributed.worker.daemon": False})
        if s.executor == "local":
            n = s.n_workers or os.cpu_count() or 1
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        elif s.executor == "scheduler":
            try:
                self.client = Client(s.scheduler, timeout=f"{s.connect_timeout_s}s")
            except OSError as exc:
                raise InputError(f"cannot reach Dask scheduler {s.scheduler}: {exc}") from None
        else:
            self.cluster = jobqueue_cluster(s)
            self.cluster.scale(jobs=s.jobs)
            self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    @property
    def description(self) -> str:
        if self.client is None:
            return "serial (in-process)"
        n = len(self.client.scheduler_info().get("workers", {}))
        return f"dask {self.settings.executor}: {n} worker(s)"

    # running ---------------------------------------------------------------
    def run(self, name: str, fn, payloads: dict[str, dict], on_result: OnResult,
            progress: Progress | None = None) -> None:
        """Run fn on every payload; on_result(key, result) in the driver as each finishes.

        A task that raises gives {"status": "failed", "reason": ...}; nothing is lost
        when the driver dies, since every result is handed over at once.
        """
        total = len(payloads)
        if progress:
            progress(name, 0, total)
        if self.client is None:
            for done, (key, payload) in enumerate(payloads.items(), 1):
                try:
                    result = fn(payload)
                except Exception as exc:  # noqa: BLE001 - a task failure is data, not a crash
                    result = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
                on_result(key, result)
                if progress:
                    progress(name, done, total)
            return
        from distributed import as_completed

        futures = {self.client.submit(fn, payload, key=f"{name}-{key}", pure=False): key
                   for key, payload in payloads.items()}
        for done, (future, result) in enumerate(as_completed(futures, with_results=True, raise_errors=False), 1):
            if future.status != "finished":  # the task raised (or its workers kept dying)
                exc = future.exception()
                result = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
            on_result(futures[future], result)
            future.release()
            if progress:
                progress(name, done, total)


def jobqueue_cluster(s: ClusterSettings):
    """A dask-jobqueue SLURMCluster/PBSCluster, one single-threaded worker process per core."""
    try:
        import dask_jobqueue
    except ImportError:
        raise InputError("[cluster] executor = slurm/pbs needs dask-jobqueue: pip install dask-jobqueue") from None
    cls = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}[s.executor]
    prologue = [f"export {k}={v}" for k, v in THREAD_VARIABLES.items()] + _JOB_DASK_CONFIG
    kwargs = dict(cores=s.cores, processes=s.cores, memory=s.memory, walltime=s.walltime,
                  job_script_prologue=prologue)
    if s.queue:
        kwargs["queue"] = s.queue
    if s.account:
        kwargs["account"] = s.account
    return cls(**kwargs)
