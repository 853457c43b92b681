"""One thread per process for torch and BLAS; parallelism comes from worker processes.

Measured on the 2-core development machine: oversubscribed threads made the same
relaxation 10-25x slower. Call `limit_threads()` in every worker before importing
torch-based models.
"""

from __future__ import annotations

import os

THREAD_VARIABLES = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
}


def limit_threads() -> None:
    """Set the thread variables (if unset) and torch's intra/inter-op threads to 1."""
    for key, value in THREAD_VARIABLES.items():
        os.environ.setdefault(key, value)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass
