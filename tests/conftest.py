"""Shared fixtures: small real inputs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


# The smallest real campaign: 5 compounds (Li3OCl, Li3OBr, three Li6O2ClBr orderings) and their 11
# reference phases, relaxed to fmax 0.05 eV/Å, tasks run in the driver process (serial)
TINY_SPACE = """
preset = "demo"
[space]
x_elements = ["O"]
z_elements = ["Cl", "Br"]
[space.parents.ninf]
sizes = [1, 2]
alloy = "both"
[relax]
fmax = 0.05
max_steps = 200
batch_size = 3
[cluster]
executor = "serial"
"""
# the screening stages only (the demo preset's [run] walks every stage, MOBO and the analyses included)
TINY_CAMPAIGN = TINY_SPACE + """
[run]
stages = ["space", "relax", "stability", "synthesizability", "bvse"]
"""


def run_cli(*args: str, cwd=None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `ipscreen ARGS` in a fresh interpreter (exit codes and stderr as a user sees them)."""
    return subprocess.run([sys.executable, "-m", "ipscreen.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


@pytest.fixture(scope="session")
def li3ocl_cif(tmp_path_factory):
    """A CIF of cubic Li3OCl at the experimental 3.91 Å (Zhao & Daemen, JACS 134, 15042 (2012)), as a user gives it."""
    from pymatgen.core import Lattice, Structure

    path = tmp_path_factory.mktemp("cif") / "Li3OCl.cif"
    Structure.from_spacegroup("Pm-3m", Lattice.cubic(3.91), ["O", "Cl", "Li"],
                              [[.5, .5, .5], [0, 0, 0], [.5, .5, 0]]).to(filename=str(path))
    return path


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
