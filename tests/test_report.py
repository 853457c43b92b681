"""`ipscreen report` on a partial campaign (the fixture store: screening and a 3-evaluation MOBO run, no analyses):
one self-contained page, every section in the paper's order, the stages not run saying how to run them."""

import re
import shutil
from pathlib import Path

from conftest import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "campaign_v0"
ORDER = ["space", "stability", "synthesizability", "mobo", "conductivity", "window", "interfaces", "synthesis",
         "provenance"]


def _section(page: str, key: str) -> str:
    return page.split(f"<section id='{key}'")[1].split("</section>")[0]


def test_report_of_a_partial_campaign(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(FIXTURE, folder)
    out = run_cli("report", "--campaign", folder)
    assert out.returncode == 0, out.stderr
    page_path = Path(out.stdout.strip())
    assert page_path == folder / "report.html"
    page = page_path.read_text()
    assert re.findall(r"<section id='(\w+)'", page) == ORDER
    for key in ("conductivity", "window", "interfaces", "synthesis"):
        assert f"--stages {key}" in _section(page, key) and "Not run yet" in _section(page, key)
    mobo = _section(page, "mobo")
    assert "Fig. 5a" in mobo and "Table 2" in mobo and mobo.count("download='") >= 1  # CIF of each Pareto compound
    assert "plotly" in mobo and "<script" in page.split("</head>")[0]  # the 3-D front, plotly.js inlined
    regions = _section(page, "synthesizability")
    assert "1,413" in regions and "4,825" in regions and "3,835" in regions  # Fig. 9a's counts beside ours
    provenance = _section(page, "provenance")
    for stage in ("space", "relax", "stability", "synthesizability", "bvse", "gap", "mobo"):
        assert f"<td>{stage}</td>" in provenance
    assert "sevenn" in provenance and "wall time" in provenance
    assert not re.search(r"src=['\"]https?://", page)  # nothing to fetch (plotly.js holds attribution links only)
    # settings that differ from the paper preset are named, e.g. the demo slice's relaxation threshold
    assert "fmax 0.05 (paper preset: 0.01)" in _section(page, "stability")


def test_report_of_no_campaign_is_one_line(tmp_path):
    out = run_cli("report", "--campaign", tmp_path / "none")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "no campaign store" in out.stderr
    assert not (tmp_path / "none").exists()


def test_report_shows_arrhenius_figures_where_conductivity_ran(tmp_path):
    """A (very short, indicative) MD conductivity run on Li3OCl: its section has the Arrhenius figure and the table."""
    from ipscreen.campaign.report import write_report
    from ipscreen.campaign.runner import open_existing, run

    folder = tmp_path / "c"
    shutil.copytree(FIXTURE, folder)
    with open(folder / "campaign.toml", "a") as fh:
        fh.write('\n[conductivity]\ntemperatures = [800.0, 1200.0]\nmechanisms = ["interstitial"]\ntimestep_fs = 2.0\n'
                 'equilibration_ps = 0.01\nproduction_ps = 0.02\nsample_every = 1\nsupercell_repeat = [1, 1, 1]\n'
                 'msd_fit_start_ps = 0.004\nmsd_min_obs = 1\nworkers = 1\n')
    li3ocl = "ninf-65b7e739f0ae"
    summary = run(folder, stages=["conductivity"], ids=[li3ocl])
    assert summary["conductivity"]["computed"] == 1
    config, store = open_existing(folder)
    with store:
        page = write_report(config, store).read_text()
    section = _section(page, "conductivity")
    assert "Not run yet" not in section and "Pm-3m Li3OCl" in section and section.count("<img") == 1
    assert (folder / "arrhenius" / f"{li3ocl}.png").read_bytes()[:4] == b"\x89PNG"
