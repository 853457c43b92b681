"""The Python API, for notebooks and scripts: a campaign folder as an object, and one property of one structure.

    import ipscreen

    campaign = ipscreen.Campaign("campaigns/demo")      # a folder; created from a preset on first run
    campaign.run()                                      # its pipeline ([run] stages), resumable
    df = campaign.table()                               # pandas DataFrame, one row per compound
    front = campaign.pareto()                           # the MOBO Pareto set (Table 2 layout)
    s = campaign.structure(front.id[0])                 # relaxed pymatgen Structure

    ipscreen.compute("bvse", s)                         # {"bvse_barrier_ev": ..., ...}

The command line (`ipscreen run`, `ipscreen table`, `ipscreen property`) calls the same functions.
"""

from __future__ import annotations

from pathlib import Path

from ipscreen.errors import InputError


class Campaign:
    """A campaign folder (campaign.toml + store). `preset` is used only when the folder is new."""

    def __init__(self, folder: Path | str, preset: str | None = None):
        self.folder = Path(folder)
        self.preset = preset

    def __repr__(self) -> str:
        return f"Campaign({str(self.folder)!r})"

    def _open(self):
        from ipscreen.campaign.runner import open_existing

        return open_existing(self.folder)

    def run(self, stages: list[str] | str | None = None, ids: list[str] | None = None, workers: int | None = None,
            serial: bool = False, report: bool = True) -> dict:
        """Run (or resume) `stages` (default: the campaign's pipeline) on their pools or on `ids`; with `report`,
        rewrite report.html at the end. Runs in `workers` local processes (default: one per core), or in this
        process with `serial`. A summary per stage."""
        from ipscreen.campaign.runner import cluster_overrides, run

        return run(self.folder, preset=self.preset, stages=[stages] if isinstance(stages, str) else stages, ids=ids,
                   overrides=cluster_overrides(workers=workers, serial=serial), report=report)

    def table(self):
        """The campaign table as a pandas DataFrame: space columns, then each stage's columns (eV/atom, eV, kJ/mol,
        S/cm as their names say) and the status through relaxation and stability."""
        import pandas as pd

        from ipscreen.campaign.table import compound_table

        config, store = self._open()
        with store:
            return pd.DataFrame(compound_table(config, store))

    def pareto(self):
        """The MOBO Pareto set as a pandas DataFrame (the Table 2 layout of mobo_pareto.csv); StoreError if the
        campaign has no MOBO iteration yet."""
        import pandas as pd

        from ipscreen.campaign.mobo_stage import mobo_rows

        config, store = self._open()
        with store:
            rows, _ = mobo_rows(config, store)
        return pd.DataFrame([r for r in rows if r["pareto"]])

    def structure(self, compound_id: str, relaxed: bool = True):
        """The pymatgen Structure of a compound: relaxed with the campaign's settings (InputError if it is not
        relaxed yet), or its starting structure with `relaxed=False`."""
        from ipscreen.campaign.stages import stage_hash
        from ipscreen.structure_io import structure_from_dict

        config, store = self._open()
        with store:
            if compound_id not in {r["id"] for r in store.compound_rows([compound_id])}:
                raise InputError(f"unknown compound id {compound_id!r} in {self.folder}")
            if not relaxed:
                return structure_from_dict(store.structures([compound_id])[compound_id])
            result = store.results("relax", stage_hash(config, "relax"), [compound_id]).get(compound_id)
        if not result or "structure" not in (result.get("data") or {}):
            raise InputError(f"{compound_id} is not relaxed with this campaign's settings yet (relaxed=False gives "
                             "its starting structure)")
        return structure_from_dict(result["data"]["structure"])

    def report(self, path: Path | str | None = None) -> Path:
        """Write report.html (or `path`) from what the store holds now; its path."""
        from ipscreen.campaign.report import write_report

        config, store = self._open()
        with store:
            return write_report(config, store, path)


def compute(name: str, structure, preset: str = "demo", relax: bool = False, seed: int = 0,
            workdir: Path | str | None = None, **settings) -> dict:
    """One property of one structure (pymatgen Structure or ASE Atoms): `name` is an oracle (band_gap, hydration,
    conductivity, bvse, synthesizability; `ipscreen stages` lists them) computed with the settings of `preset`,
    any of them overridden by keyword (e.g. `cutoff_ev=400` for band_gap). With `relax`, the structure is relaxed
    first with the preset's energy backend. A dict of values with units in their keys, as the stage stores them."""
    from ipscreen.campaign.config import from_preset
    from ipscreen.campaign.stages import oracle
    from ipscreen.commands.property import compute_structure

    stage = oracle(name)
    config = from_preset(preset)
    if settings:
        config = config.with_overrides({stage.table: settings})
    if not hasattr(structure, "lattice"):  # ASE Atoms
        from pymatgen.io.ase import AseAtomsAdaptor

        structure = AseAtomsAdaptor.get_structure(structure)
    from ipscreen.structure_io import check_structure

    check_structure(structure)
    return compute_structure(stage.name, structure, config, relax, Path(workdir) if workdir else None, seed,
                             label=structure.composition.reduced_formula)
