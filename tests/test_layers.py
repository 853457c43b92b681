"""The package's shape: lint-imports and ruff pass, no import cycles (imports inside
functions included), and stages reach each other only through the runner."""

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from ipscreen.campaign.stages import REGISTRY, column_owners

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("ipscreen", cache_dir=None)


def test_import_layers_are_kept():
    out = subprocess.run([BIN / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]


def test_ruff_is_clean():
    out = subprocess.run([BIN / "ruff", "check", "src", "tests", "benchmarks", "scripts"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]


def test_no_module_imports_itself_through_others(graph):
    cycles = []
    for importer in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(importer):
            chain = graph.find_shortest_chain(importer=imported, imported=importer)
            if chain:
                cycles.append(" -> ".join((importer, *chain)))
    assert not cycles, "\n".join(cycles)


def _module(target) -> str:
    return target.partition(":")[0] if isinstance(target, str) else target.__module__


def test_stage_code_never_imports_another_stage(graph):
    """A stage's own module (calc or run) reaches another stage's only through the runner."""
    modules = {s.name: _module(s.function) for s in REGISTRY if s.function}
    for a, ma in modules.items():
        for b, mb in modules.items():
            if ma != mb:
                assert graph.find_shortest_chain(importer=ma, imported=mb) is None, f"stage {a} imports stage {b}"


def test_declared_code_lives_below_the_campaign_or_in_it():
    """Stage functions live in the science layers (or campaign/ for drivers): never in the CLI."""
    for s in REGISTRY:
        for target in (s.function, s.driver, s.settings, s.outputs):
            if isinstance(target, str):
                assert not target.startswith(("ipscreen.cli", "ipscreen.commands")), (s.name, target)


def test_every_column_has_one_owner():
    owners = column_owners()
    assert owners["bvse_barrier_ev"] == "bvse" and owners["e_above_hull_ev_per_atom"] == "stability"
    assert len(owners) == sum(len(s.columns) for s in REGISTRY)
