"""Campaign configuration: an embedded preset plus the overrides of `campaign.toml`.

A campaign file names its preset and overrides any table of it, e.g.::

    preset = "paper"

    [space]
    x_elements = ["O", "S"]

Tables are merged key by key (nested tables recursively; lists replace), except
``[space.parents]``, which a campaign file replaces as a whole: the parents it
lists are the campaign's parents.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import tomllib

from ipscreen.campaign.settings import ClusterSettings, EnergySettings
from ipscreen.campaign.stages import DEFAULT, REGISTRY, TABLES, oracle, ordered
from ipscreen.errors import InputError

CAMPAIGN_FILE = "campaign.toml"
# tables of the whole campaign; every stage's own table comes from the stage registry
TOP_LEVEL_KEYS = {"preset", "description", "energy", "cluster", "run"} | set(TABLES)
RUN_KEYS = {"stages"}  # [run]: what a plain `ipscreen run` walks


def preset_names() -> list[str]:
    """Names of the presets shipped with ipscreen."""
    folder = resources.files("ipscreen.data") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_preset(name: str) -> dict:
    """The raw table of the embedded preset `name`."""
    if name not in preset_names():
        raise InputError(f"unknown preset {name!r} (known: {', '.join(preset_names())})")
    text = (resources.files("ipscreen.data") / "presets" / f"{name}.toml").read_text()
    return tomllib.loads(text)


REPLACED_TABLES = {("space", "parents")}


def merge(base: dict, override: dict, _path: tuple = ()) -> dict:
    """Recursive merge of two TOML tables; `override` wins, lists (and REPLACED_TABLES) are replaced."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        path = (*_path, key)
        if isinstance(value, dict) and isinstance(out.get(key), dict) and path not in REPLACED_TABLES:
            out[key] = merge(out[key], value, path)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class Config:
    """A validated campaign configuration: the energy backend, where tasks run, and the
    settings of every stage (from its table in the registry; defaults where absent)."""

    preset: str
    energy: EnergySettings
    cluster: ClusterSettings
    raw: dict = field(repr=False)
    _stages: dict = field(default_factory=dict, repr=False, compare=False)

    def stage_settings(self, name: str, registry=REGISTRY):
        """Validated settings of stage `name` (None for a stage without a table)."""
        key = (name, id(registry))
        if key not in self._stages:
            stage = next((s for s in registry if s.name == name), None)
            if stage is None:
                raise InputError(f"unknown stage {name!r}")
            self._stages[key] = stage.parse_settings(self.raw.get(stage.table) if stage.table else None)
        return self._stages[key]

    def property_settings(self, name: str):
        """Settings of a property oracle by stage, table or command name."""
        return self.stage_settings(oracle(name).name)

    @property
    def space(self):
        return self.stage_settings("space")

    @property
    def relax(self):
        return self.stage_settings("relax")

    @property
    def stability(self):
        return self.stage_settings("stability")

    @property
    def pipeline(self) -> list[str]:
        """The stages a plain `ipscreen run` walks: [run] stages, else the registry's default ones."""
        return list(self.raw.get("run", {}).get("stages") or DEFAULT)

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        unknown = set(data) - TOP_LEVEL_KEYS
        if unknown:
            raise InputError(f"unknown key(s) in campaign file: {', '.join(sorted(unknown))}")
        preset = data.get("preset", "demo")
        if not isinstance(preset, str):
            raise InputError("'preset' must be a preset name such as \"demo\"")
        merged = merge(load_preset(preset), {k: v for k, v in data.items() if k != "preset"})
        merged["preset"] = preset
        config = cls(preset=preset, energy=EnergySettings.from_table(merged.get("energy")),
                     cluster=ClusterSettings.from_table(merged.get("cluster")), raw=merged)
        run = merged.get("run", {})
        if not isinstance(run, dict) or set(run) - RUN_KEYS:
            raise InputError(f"[run] takes only: {', '.join(sorted(RUN_KEYS))}")
        if "stages" in run:
            if not isinstance(run["stages"], list) or not all(isinstance(n, str) for n in run["stages"]):
                raise InputError("[run] stages must be a list of stage names")
            ordered(run["stages"])  # unknown names: one line listing the known ones
        for stage in REGISTRY:  # every table is validated here, before anything is written
            if stage.table:
                config.stage_settings(stage.name)
        return config

    def with_overrides(self, table: dict) -> "Config":
        """This configuration with some tables overridden (e.g. {"cluster": {"executor": "serial"}})."""
        return Config.from_dict(merge({k: v for k, v in self.raw.items() if k != "description"}, table))


def from_preset(name: str) -> Config:
    """Configuration of an embedded preset with no overrides."""
    return Config.from_dict({"preset": name})


def read_campaign_file(path: Path) -> Config:
    """Parse and validate a campaign.toml (InputError with the reason if malformed)."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"campaign file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"malformed campaign file {path}: {exc}") from None
    return Config.from_dict(data)


def write_campaign_file(path: Path, preset: str) -> None:
    """Write a minimal campaign.toml naming `preset` (overrides can be added by hand)."""
    Path(path).write_text(
        f'# ipscreen campaign: the preset\'s settings apply; add tables to override them.\npreset = "{preset}"\n'
    )
