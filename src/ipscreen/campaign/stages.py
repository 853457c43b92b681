"""The pipeline: every campaign stage, declared once (see campaign/stage.py for the fields).

Everything that lists stages (the runner's order, `ipscreen run --stages`, `ipscreen
stages`, `ipscreen status`, the `ipscreen property` commands, the campaign file's
tables, the table's columns, MOBO objectives) is derived from REGISTRY. To add a stage,
write its module and add one declaration here (docs/architecture.md).

Settings hashes: `stage_hash` is the one function. A stage's hash covers its own
settings and the versions that change its numbers (`Stage.identity`) and the hashes of
its `inputs`. The space never enters a hash: compound ids are digests of their starting
structures, so a result is keyed by what it was computed from.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Iterable

from ipscreen.campaign.settings import settings_hash
from ipscreen.campaign.stage import Stage
from ipscreen.errors import InputError

DESCRIPTOR_VERSION = "EN110-VR244-PF1575-v2"  # bump when mobo/descriptors.py changes its vectors
WINDOW_VERSION = "grand-potential-v1"  # bump when thermo/electrochem.py changes its numbers
INTERFACE_VERSION = "mutual-reaction-v1"  # bump when thermo/interfaces.py changes its numbers
SYNTHESIS_VERSION = "cnt-routes-v4"  # bump when synthesis/ changes its numbers


def _relax_identity(config, settings, hash_of) -> list:
    return [config.energy.physics(), config.energy.package_version(), settings.physics()]


def _stability_identity(config, settings, hash_of) -> list:
    return [asdict(settings), {"mp2020": config.energy.corrections}]


def _oracle_identity(stage_table: str, backend: bool):
    def identity(config, settings, hash_of) -> list:
        # what changes results: a settings class's physics() where it leaves out how the work runs
        physics = settings.physics() if hasattr(settings, "physics") else asdict(settings)
        return [stage_table, physics] + ([config.energy.physics()] if backend else [])

    return identity


def _window_identity(config, settings, hash_of) -> list:
    return [{"mp2020": config.energy.corrections}, WINDOW_VERSION] + _committee_part(config)


def _library_identity(library: str):
    """Hash parts of a stage relaxing a phase library: the relax stage's backend and settings, and the library."""
    def identity(config, settings, hash_of) -> list:
        return [config.energy.physics(), config.energy.package_version(), config.relax.physics(), library]

    return identity


def _interfaces_identity(config, settings, hash_of) -> list:
    return [asdict(settings), {"mp2020": config.energy.corrections}, INTERFACE_VERSION] + _committee_part(config)


def _synthesis_identity(config, settings, hash_of) -> list:
    return [asdict(settings), {"mp2020": config.energy.corrections}, SYNTHESIS_VERSION]


def _committee_part(config) -> list:
    """The second backend's settings, in the hash of the stages that read it (nothing without one, so the
    window's hash is the one it had before [committee] existed)."""
    energy = config.stage_settings("committee").energy()
    return [{"committee": energy.physics()}] if energy else []


def _committee_identity(config, settings, hash_of) -> list:
    energy = settings.energy()
    if energy is None:
        return ["none"]
    return [energy.physics(), energy.package_version(), config.relax.physics(), "committee"]


def _descriptors_identity(config, settings, hash_of) -> list:
    return [DESCRIPTOR_VERSION]


def _mobo_identity(config, settings, hash_of) -> list:
    stages = sorted({o.stage for o in settings.objectives})
    return [settings.to_dict(), {s: hash_of(s) for s in stages}, DESCRIPTOR_VERSION]


def _oracle(name: str, table: str, module: str, settings: str, summary: str, columns: tuple, *, pool: tuple,
            backend: bool = False, default: bool = False, after: tuple = (), figures: tuple = (), help: str = "",
            command: str | None = None, filter_key: str | None = None, pool_all: bool = False) -> Stage:
    """A property oracle: a compound stage on the relaxed structures (module's `calc`)."""
    return Stage(name, "compound", summary, function=f"{module}:calc", inputs=("relax",), pool=pool, after=after,
                 table=table, settings=f"{module}:{settings}", columns=columns, figures=figures, default=default,
                 backend=backend, command=command or table.replace("_", "-"), filter_key=filter_key, pool_all=pool_all,
                 identity=_oracle_identity(table, backend), help=help or summary)


CHEAP_POOL = ("stability",)  # metastable compounds
POOL = ("stability", "synthesizability")  # ... and, where L_s was computed, synthesizable ones

REGISTRY: tuple[Stage, ...] = (
    Stage("space", "campaign", "enumerate the Li-rich inverse-perovskite compounds (starting structures)",
          table="space", settings="ipscreen.space.settings:SpaceSettings", default=True,
          figures=("space_tolerance.png",), driver="ipscreen.campaign.space_stage:run",
          identity=lambda config, settings, hash_of: [settings.to_dict()]),
    Stage("relax", "compound", "relax every compound and reference phase with the energy backend",
          inputs=(), after=("space",), table="relax", settings="ipscreen.campaign.settings:RelaxStageSettings",
          columns=("energy_ev_per_atom",), default=True, backend=True, driver="ipscreen.campaign.relax_stage:run",
          identity=_relax_identity),
    Stage("stability", "campaign", "E_d against the convex hull of the relaxed phases (eV/atom)",
          function="ipscreen.thermo.stability:run", inputs=("relax",), table="stability",
          settings="ipscreen.campaign.settings:StabilitySettings",
          columns=("e_above_hull_ev_per_atom", "formation_energy_ev_per_atom", "decomposition", "metastable"),
          figures=("stability_ed_vs_t.png", "stability_contour.png"), default=True, filter_key="metastable",
          outputs="ipscreen.campaign.table:write_stability_outputs",
          identity=_stability_identity),
    _oracle("synthesizability", "synthesizability", "ipscreen.properties.synthesizability",
            "SynthesizabilitySettings", "synthesis likelihood L_s (0..1) and the scorer that produced it",
            ("synthesizability", "synthesizability_scorer"), pool=CHEAP_POOL, default=True,
            filter_key="synthesizable", pool_all=True),  # every compound with an E_d, as the paper's Fig. 9a
    _oracle("bvse", "bvse", "ipscreen.properties.bvse", "BVSESettings",
            "bond-valence site-energy Li+ migration barrier (eV), a cheap conductivity proxy",
            ("bvse_barrier_ev",), pool=CHEAP_POOL, default=True),
    _oracle("gap", "band_gap", "ipscreen.properties.band_gap", "BandGapSettings",
            "PBE band gap (GPAW, plane waves): band_gap_ev and whether it is direct",
            ("band_gap_ev", "gap_is_direct"), pool=POOL),
    _oracle("hydration", "hydration", "ipscreen.properties.hydration", "HydrationSettings",
            "hydration free energy of Li+/H+ exchange with water, kJ/mol (positive: resists moisture)",
            ("hydration_kj_per_mol",), pool=POOL, backend=True),
    _oracle("conductivity", "conductivity", "ipscreen.properties.conductivity", "ConductivitySettings",
            "Li+ conductivity at 400 K (S/cm) and activation energy (eV) from ML-potential MD",
            ("activation_energy_ev", "activation_energy_ev_stderr", "conductivity_400k_s_per_cm",
             "conductivity_400k_s_per_cm_stderr"), pool=POOL, backend=True, after=("bvse",),
            figures=("ipscreen.report.figures:arrhenius:arrhenius.png",),
            help="Li+ conductivity at 400 K (S/cm) and activation energy (eV) from ML-potential MD, "
                 "plus the BVSE migration barrier (eV, the bvse stage's)."),
    Stage("descriptors", "campaign", "composition and structure descriptors of the pool (MOBO's inputs, cached)",
          inputs=("relax",), pool=POOL, driver="ipscreen.campaign.mobo_stage:run_descriptors",
          identity=_descriptors_identity),
    Stage("mobo", "campaign", "multi-objective Bayesian optimisation over the pool; objectives' stages on request",
          inputs=("relax",), pool=POOL, after=("descriptors",), table="mobo",
          settings="ipscreen.campaign.mobo_stage:MoboSettings",
          figures=("mobo_progress.png", "mobo_pareto.png", "mobo_pareto.html"), filter_key="pareto",
          driver="ipscreen.campaign.mobo_stage:run", identity=_mobo_identity),
    Stage("cathode_phases", "compound", "relax the cathode-library phases (cathodes and their competing phases) of "
          "the interfaces' chemical systems with the energy backend", inputs=(), pool=("stability", "mobo"),
          backend=True, per_compound=False, driver="ipscreen.campaign.relax_stage:run_cathode_phases",
          identity=_library_identity("cathode-library")),
    Stage("committee", "compound", "relax with a second backend ([committee]) what window and interfaces read, "
          "for the spread of their numbers", inputs=("relax",), pool=("stability", "mobo"), table="committee",
          settings="ipscreen.campaign.settings:CommitteeSettings", per_compound=False,
          driver="ipscreen.campaign.relax_stage:run_committee", identity=_committee_identity),
    Stage("window", "campaign", "electrochemical window vs Li/Li+ (V): limits and products (Fig. 6); on the "
          "MOBO Pareto set, else the metastable compounds, or --ids",
          function="ipscreen.thermo.electrochem:run", inputs=("relax",), pool=("stability", "mobo"),
          after=("committee",),
          columns=("reduction_limit_v", "oxidation_limit_v", "reduction_products", "oxidation_products",
                   "oxidation_limit_spread_v", "window_uncertain"),
          figures=("window_profiles.png",), outputs="ipscreen.campaign.outputs:write_window_outputs",
          identity=_window_identity),
    Stage("interfaces", "campaign", "reaction energy with cathodes (eV/atom, eq. 25; Fig. 7); on the MOBO Pareto set, "
          "else the metastable compounds, or --ids", function="ipscreen.thermo.interfaces:run",
          inputs=("relax", "cathode_phases"), pool=("stability", "mobo"), after=("cathode_phases", "committee"),
          table="interfaces", settings="ipscreen.thermo.interfaces:InterfaceSettings",
          columns=("interface_reaction_ev_per_atom", "interface_cathode", "interface_reaction_spread_ev_per_atom",
                   "interface_uncertain"),
          figures=("interfaces_vs_x.png", "interfaces_heatmap.png", "interfaces.csv"),
          outputs="ipscreen.campaign.outputs:write_interface_outputs", identity=_interfaces_identity),
    Stage("precursor_phases", "compound", "relax the synthesis precursors the reference library lacks (carbon "
          "sources, chlorine oxides, LiClO4) with the energy backend", inputs=(), pool=("stability", "mobo"),
          backend=True, per_compound=False, driver="ipscreen.campaign.relax_stage:run_precursor_phases",
          identity=_library_identity("precursor-library")),
    Stage("synthesis", "campaign", "solid-state synthesis routes (Fig. 10, Table 3): nucleation barrier and competing "
          "phases, Pareto front; on the MOBO Pareto set, else the metastable compounds, or --ids",
          function="ipscreen.synthesis.analysis:run", inputs=("relax", "precursor_phases"), pool=("stability", "mobo"),
          after=("precursor_phases",), table="synthesis", settings="ipscreen.synthesis.routes:SynthesisSettings",
          columns=("synthesis_route", "synthesis_competing_phases", "synthesis_barrier", "synthesis_front_routes"),
          figures=("synthesis_routes.png", "synthesis_routes.csv"),
          outputs="ipscreen.campaign.outputs:write_synthesis_outputs", identity=_synthesis_identity),
)

BY_NAME = {s.name: s for s in REGISTRY}
NAMES = tuple(BY_NAME)
DEFAULT = tuple(s.name for s in REGISTRY if s.default)
TABLES = {s.table: s for s in REGISTRY if s.table}


def stage(name: str) -> Stage:
    """A stage by name (InputError listing the known ones)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise InputError(f"unknown stage {name!r} (known: {', '.join(NAMES)})") from None


def oracles() -> list[Stage]:
    """Compound stages with a `calc` (the property oracles), pipeline order."""
    return [s for s in REGISTRY if s.kind == "compound" and s.function]


def oracle(name: str) -> Stage:
    """A property oracle by stage name, table name or command."""
    for s in oracles():
        if name in (s.name, s.table, s.command):
            return s
    raise InputError(f"unknown property {name!r} (known: {', '.join(s.command for s in oracles())})")


def ordered(names: Iterable[str], registry: tuple[Stage, ...] = REGISTRY) -> list[Stage]:
    """The named stages in dependency order (declaration order breaks ties); InputError for unknown
    names or a declaration that reads a stage declared after it."""
    names = list(names)
    by_name = {s.name: s for s in registry}
    for n in names:
        if n not in by_name:
            raise InputError(f"unknown stage {n!r} (known: {', '.join(by_name)})")
    position = {s.name: i for i, s in enumerate(registry)}
    for s in registry:
        for r in s.reads:
            if r not in position or position[r] >= position[s.name]:
                raise InputError(f"stage {s.name} reads {r!r}, which is not declared before it")
    wanted = set(names)
    return [s for s in registry if s.name in wanted]


def stage_hash(config, name: str, registry: tuple[Stage, ...] = REGISTRY) -> str:
    """Settings hash of stage `name` in this configuration: its inputs' hashes, then its own
    settings and the versions that change its numbers (`Stage.identity`)."""
    by_name = {s.name: s for s in registry}
    cache: dict[str, str] = {}

    def hash_of(n: str) -> str:
        if n not in cache:
            s = by_name[n]
            own = s.identity(config, config.stage_settings(n, registry), hash_of)
            cache[n] = settings_hash(*[hash_of(i) for i in s.inputs], *own)
        return cache[n]

    if name not in by_name:
        raise InputError(f"unknown stage {name!r} (known: {', '.join(by_name)})")
    return hash_of(name)


def column_owners(registry: tuple[Stage, ...] = REGISTRY) -> dict[str, str]:
    """{table column: the one stage that owns it}; ValueError if two stages claim one."""
    owners: dict[str, str] = {}
    for s in registry:
        for c in s.columns:
            if c in owners:
                raise ValueError(f"column {c!r} claimed by stages {owners[c]} and {s.name}")
            owners[c] = s.name
    return owners
