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
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ipscreen.campaign.settings import ClusterSettings, EnergySettings, RelaxStageSettings, StabilitySettings
from ipscreen.errors import InputError
from ipscreen.space.settings import SpaceSettings

CAMPAIGN_FILE = "campaign.toml"
TOP_LEVEL_KEYS = {"preset", "description", "space", "energy", "relax", "stability", "cluster", "mobo"}
PROPERTY_TABLES = ("synthesizability", "band_gap", "hydration", "conductivity", "bvse")


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
    """A validated campaign configuration."""

    preset: str
    space: SpaceSettings
    energy: EnergySettings
    relax: RelaxStageSettings
    stability: StabilitySettings
    cluster: ClusterSettings
    raw: dict = field(repr=False)

    def property_settings(self, name: str):
        """Validated settings of property oracle `name` (table [name]; defaults where absent)."""
        from ipscreen.properties.registry import oracle

        o = oracle(name)
        return o.settings(self.raw.get(o.name))

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        unknown = set(data) - TOP_LEVEL_KEYS - set(PROPERTY_TABLES)
        if unknown:
            raise InputError(f"unknown key(s) in campaign file: {', '.join(sorted(unknown))}")
        preset = data.get("preset", "demo")
        if not isinstance(preset, str):
            raise InputError("'preset' must be a preset name such as \"demo\"")
        merged = merge(load_preset(preset), {k: v for k, v in data.items() if k != "preset"})
        merged["preset"] = preset
        config = cls(
            preset=preset,
            space=SpaceSettings.from_dict(merged.get("space", {})),
            energy=EnergySettings.from_table(merged.get("energy")),
            relax=RelaxStageSettings.from_table(merged.get("relax")),
            stability=StabilitySettings.from_table(merged.get("stability")),
            cluster=ClusterSettings.from_table(merged.get("cluster")),
            raw=merged,
        )
        for name in PROPERTY_TABLES:  # bad property settings fail here, before anything is written
            if name in merged:
                config.property_settings(name)
        if "mobo" in merged:
            from ipscreen.campaign.mobo_stage import MoboSettings

            MoboSettings.from_table(merged["mobo"])
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
