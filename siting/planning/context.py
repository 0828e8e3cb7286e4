"""What placing and scoring read from a scenario, gathered once: its inputs, networks and hospital rule.

:func:`load_context` reads the scenario's check inputs (facilities, hospitals,
projects, boundaries, demand; :class:`~siting.rules.context.CheckInputs`), keeps a
network built by the caller next to them, and picks the rule pack's
hospital-proximity rule (Qinzhou A4), which both the placement's eligibility mask
and the scores judge sites by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from siting.errors import SitingError
from siting.inputs.projects import read_projects
from siting.inputs.scenario import Scenario, load_scenario
from siting.rules import inputs_from_scenario, load_pack
from siting.rules.pack import apply_overrides
from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.network import RoadNetwork
    from siting.rules.context import CheckInputs
    from siting.rules.pack import Pack
    from siting.rules.rule import Rule


@dataclass
class SiteContext:
    """The scenario, its check inputs (facilities, hospitals, networks, demand) and its hospital-proximity rule.

    ``travel`` is a network passed in by the caller (it takes precedence over the
    scenario's mode); ``snapped`` caches the demand snapped to each network.
    """

    scenario: Scenario
    inputs: CheckInputs
    pack: Pack | None
    rule: Rule | None
    notes: list[str] = field(default_factory=list)
    travel: RoadNetwork | None = None
    snapped: dict[tuple[str, str, int], tuple[gpd.GeoDataFrame | None, str]] = field(default_factory=dict)

    def network(self) -> RoadNetwork | None:
        """The travel network (the one passed in, else the scenario's mode), or None without one."""
        return self.travel if self.travel is not None else self.inputs.network()

    def hospital_network(self) -> RoadNetwork | None:
        """The network used for road distances to hospitals (``network.hospital_mode``), or None."""
        return self.inputs.network(self.inputs.hospital_mode)

    def snapped_demand(self, net: RoadNetwork) -> tuple[gpd.GeoDataFrame | None, str]:
        """The scenario's demand points snapped to ``net`` (built once per network); (None, reason) without."""
        from siting.analysis.demand import snap_demand

        key = (net.mode, str(net.info.get("sha256", "")), int(net.n_nodes))
        if key not in self.snapped:
            points, why = self.inputs.demand_points(net)
            self.snapped[key] = (None, why) if points is None else (
                snap_demand(net, points, DEFAULT_SNAP_TOLERANCE_M), "")
        return self.snapped[key]


def load_context(scenario: str | Path | Scenario, *, osm: str | Path | None = None,
                 hospitals: str | Path | None = None, facilities: str | Path | None = None,
                 network: RoadNetwork | None = None) -> SiteContext:
    """Read a scenario's inputs once (keyword arguments override the scenario's files).

    ``network`` (an already built :class:`~siting.network.RoadNetwork`) is the travel
    network and takes precedence over ``osm``. Road distances to hospitals keep the
    scenario's ``network.hospital_mode``: the passed network when it is of that mode,
    else one built in that mode from the passed network's source file (or, failing
    that, the scenario's source); only when neither file exists is the passed network
    used for them too, with a note.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    inputs = inputs_from_scenario(sc, osm=osm, hospitals=hospitals, facilities=facilities)
    notes = [] if network is None else _hold_network(inputs, network)
    pack, rule, rule_notes = hospital_rule_of(sc)
    return SiteContext(sc, inputs, pack, rule, notes + rule_notes, travel=network)


def _hold_network(inputs: CheckInputs, network: RoadNetwork) -> list[str]:
    """Keep ``network`` in ``inputs.networks`` under its own mode; return a note when it must stand in for hospitals."""
    # Under its own mode only: a walk network must not stand in for the drive network that hospital
    # distances are judged on, unless there is no file to build that one from.
    inputs.networks[network.mode] = network
    source = network.info.get("source")
    if source and Path(str(source)).is_file():
        inputs.network_source = Path(str(source))
    if inputs.hospital_mode in inputs.networks or inputs.has_network_source():
        return []
    inputs.networks[inputs.hospital_mode] = network
    return [f"the given {network.mode} network has no source file to build the {inputs.hospital_mode} "
            f"network from: road distances to hospitals are measured on the {network.mode} network"]


def hospital_rule_of(scenario: Scenario) -> tuple[Pack | None, Rule | None, list[str]]:
    """(pack, its hospital-proximity rule, notes): the scenario's rule pack (with overrides) and its first such rule."""
    if not scenario.rules:
        return None, None, ["the scenario names no rule pack: no hospital-proximity rule, no eligibility mask"]
    pack = load_pack(scenario.rules)
    if scenario.overrides and scenario.path is not None:
        pack = apply_overrides(pack, scenario.overrides, scenario.path)
    rule = next((r for r in pack.rules if r.kind == "hospital_proximity"), None)
    if rule is None:
        return pack, None, [f"the rule pack {pack.name} has no hospital-proximity rule: no eligibility mask"]
    return pack, rule, []


def scenario_projects(site: SiteContext) -> pd.DataFrame:
    """The projects to place: ``place.projects`` (a path or inline list) or the scenario's ``projects``."""
    sc = site.scenario
    spec = sc.place.projects
    if spec is not None:
        frame = read_projects(spec, crs=sc.crs, extra_types=tuple(sc.facility_types), where=sc.path)
    elif site.inputs.projects is not None:
        frame = site.inputs.projects.copy()
    else:
        raise SitingError(f"the scenario {sc.path or sc.name} has no projects to place: set 'projects: FILE' "
                          "or 'place: {projects: [...]}'")
    return frame.reset_index(drop=True)
