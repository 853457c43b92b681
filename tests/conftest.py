"""Shared fixtures: small real inputs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def run_cli(*args: str, cwd=None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `ipscreen ARGS` in a fresh interpreter (exit codes and stderr as a user sees them)."""
    return subprocess.run([sys.executable, "-m", "ipscreen.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


@pytest.fixture(scope="session")
def paper_space():
    from ipscreen.campaign.config import from_preset
    from ipscreen.space import enumerate_space

    return enumerate_space(from_preset("paper").space)


@pytest.fixture(scope="session")
def demo_space():
    from ipscreen.campaign.config import from_preset
    from ipscreen.space import enumerate_space

    return enumerate_space(from_preset("demo").space)
