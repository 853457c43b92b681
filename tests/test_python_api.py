"""docs/python.md runs as written: every ```python block, in order, in one namespace, in an empty folder."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[1] / "docs" / "python.md"


def test_python_md_examples_run(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for n, block in enumerate(blocks):
        exec(compile(block, f"{DOC.name} block {n + 1}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "E_g = " in printed and "BVSE Li+ migration barrier" in printed
    assert (tmp_path / "campaigns" / "tiny" / "report.html").stat().st_size > 100_000
    assert (tmp_path / "campaigns" / "tiny" / "best.cif").read_text().startswith("# generated using pymatgen")


def test_campaign_api_errors_are_one_line(tmp_path):
    import ipscreen
    from ipscreen.errors import IpscreenError

    with pytest.raises(IpscreenError, match="no campaign store"):
        ipscreen.Campaign(tmp_path / "none").table()
    assert not (tmp_path / "none").exists()
    with pytest.raises(IpscreenError, match="unknown property"):
        ipscreen.compute("colour", None)
