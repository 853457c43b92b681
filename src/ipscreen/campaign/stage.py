"""What a campaign stage is: one declaration (think of jobflow's Makers), no behaviour.

The registry of the pipeline's stages is campaign/stages.py; the runner
(campaign/runner.py) walks it in dependency order. A declaration names its code as
"module:attribute" strings, imported only when the stage runs, so listing the
pipeline (`ipscreen stages`, CLI help) loads nothing heavy.

Two kinds:
- ``compound``: one task per compound, sent through the campaign's executor (Dask,
  SLURM, serial). `function` is ``calc(structure, settings, **offered) -> dict`` (the
  matcalc shape); `offered` holds only what its signature asks for among
  ``backend`` (the campaign's energy backend), ``workdir`` (artifacts folder), ``seed``
  (per compound, order-independent), ``progress``.
- ``campaign``: one step over the whole campaign, in the driver. `function` is
  ``run(StageInput) -> StageOutput`` (ipscreen/records.py): plain records in, records
  out; it never sees the store or the executor.
A stage whose work needs more than that (enumerating the space, relaxing in chunks,
the MOBO loop) names its own `driver` in campaign/; every other stage uses the
driver of its kind.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, Callable

from ipscreen.errors import InputError
from ipscreen.settings_table import from_table

KINDS = ("compound", "campaign")


def resolve(target):
    """The object a "module:attribute" string names (callables pass through)."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def parse_settings(cls, table: dict | None, name: str):
    """Settings of class `cls` from TOML table `[name]`: its own `from_table` or `from_dict` if it has one,
    else `settings_table.from_table`; then its `validate()` if it has one. InputError if bad."""
    if hasattr(cls, "from_table"):
        settings = cls.from_table(table)
    elif hasattr(cls, "from_dict"):
        settings = cls.from_dict(table or {})
    else:
        settings = from_table(cls, table, name)
    if hasattr(settings, "validate"):
        settings.validate()
    return settings


def _identity_default(config, settings, hash_of) -> list:
    """Own hash parts of most stages: their settings."""
    return [asdict(settings)] if is_dataclass(settings) else []


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline."""

    name: str  # stage name, e.g. "gap"
    kind: str  # "compound" or "campaign"
    summary: str  # one line for `ipscreen stages` and help
    function: Any = None  # "module:callable": calc (compound) or run (campaign); see the module docstring
    inputs: tuple[str, ...] = ()  # stages whose results it computes from: their hashes enter its hash
    pool: tuple[str, ...] = ()  # filter stages choosing its compounds when no ids are given (not hashed)
    after: tuple[str, ...] = ()  # stages run first on the same compounds, shown beside it (not hashed)
    table: str | None = None  # its campaign-file table, e.g. "band_gap" for [band_gap]
    settings: Any = None  # "module:Class" with from_table(table) or validated by settings_table.from_table
    columns: tuple[str, ...] = ()  # keys of its results that are columns of `ipscreen table` (one owner each)
    figures: tuple[str, ...] = ()  # files it draws ("report function:file name" for compound stages)
    default: bool = False  # part of a plain `ipscreen run`
    backend: bool = False  # uses the campaign's energy backend (compound stages)
    command: str | None = None  # `ipscreen property COMMAND` (compound stages with a calc)
    filter_key: str | None = None  # boolean result key that a pool filter keeps (e.g. "metastable")
    driver: Any = None  # "module:callable" of a stage with its own driver (campaign/ only)
    identity: Callable = field(default=_identity_default, repr=False)  # (config, settings, hash_of) -> own hash parts
    outputs: Any = None  # "module:callable" (config, store) -> {name: path}: files written after it ran (campaign/)
    help: str = ""  # longer help (the `ipscreen property` command text)
    per_compound: bool = True  # its results are keyed by compound (False: by reference phase, cathode_phases)
    pool_all: bool = False  # its first pool stage keeps every compound it has a result for (not only filter_key's)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"stage {self.name}: kind must be one of {KINDS}")

    @property
    def reads(self) -> tuple[str, ...]:
        """Every stage it reads, in declaration order: hashed inputs, pool filters, `after`."""
        return tuple(dict.fromkeys((*self.inputs, *self.pool, *self.after)))

    def settings_class(self):
        return resolve(self.settings) if self.settings is not None else None

    def parse_settings(self, table: dict | None):
        """Validated settings from its TOML table (unknown keys and wrong types: InputError)."""
        cls = self.settings_class()
        if cls is None:
            if table:
                raise InputError(f"stage {self.name} takes no settings table")
            return None
        return parse_settings(cls, table, self.table or self.name)

    def as_dict(self) -> dict:
        """The declaration as `ipscreen stages --json` prints it."""
        return {"name": self.name, "kind": self.kind, "inputs": list(self.reads), "hashed_inputs": list(self.inputs),
                "pool": list(self.pool), "table": self.table, "columns": list(self.columns),
                "figures": [f.split(":")[-1] for f in self.figures], "default": self.default,
                "command": self.command, "summary": self.summary}
