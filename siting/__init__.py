"""siting: where elderly-care and childcare facilities should go, and whether a plan meets its rules.

The everyday functions, in the order of the data's path::

    import siting

    net = siting.load_network("data/osm/monaco.osm.pbf", mode="walk")      # OSM file -> travel-time graph
    nodes = siting.snap(net, lon=[7.4197], lat=[43.7275])["node"]           # points -> network nodes
    reached = siting.reach(net, nodes.to_numpy(), cutoff=15 * 60)          # sparse travel times
    iso = siting.isochrones(net, facilities, minutes=[5, 10, 15])           # 15-minute circles
    cov = siting.coverage(net, demand, facilities, "elderly", "60+", [15])  # who is inside, who is not
    report = siting.check("scenarios/qinzhou.yaml")                         # a plan against its rules
    result = siting.MCLP.from_cost_matrix(cost, weights, cutoff=900, p=5).solve()
    placed = siting.place_projects("scenarios/monaco_demo.yaml")            # the plan's projects, placed
    scores = siting.score_candidates("scenarios/monaco_demo.yaml", "candidates.csv")
    siting.write_report("scenarios/qinzhou.yaml", "out/")                   # HTML report with its map

Names are imported on first use, so ``import siting`` stays fast. The command line is
``siting --help``; the modules are described in ``docs/ARCHITECTURE.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> (module, name in that module).
_PUBLIC: dict[str, tuple[str, str]] = {
    # network and travel times
    "RoadNetwork": ("siting.network", "RoadNetwork"),
    "load_network": ("siting.network", "load_network"),
    "reach": ("siting.routing.engine", "reach"),
    "nearest": ("siting.routing.engine", "nearest"),
    "od_matrix": ("siting.routing.engine", "od_matrix"),
    "snap": ("siting.routing.snap", "snap"),
    # inputs
    "load_scenario": ("siting.inputs.scenario", "load_scenario"),
    "read_facilities": ("siting.inputs.facilities", "read_facilities"),
    "read_projects": ("siting.inputs.projects", "read_projects"),
    # analysis
    "isochrones": ("siting.analysis.isochrones", "isochrones"),
    "build_demand": ("siting.analysis.demand", "build_demand"),
    "coverage": ("siting.analysis.coverage", "coverage"),
    # decisions
    "check": ("siting.rules", "check"),
    "LSCP": ("siting.allocation", "LSCP"),
    "MCLP": ("siting.allocation", "MCLP"),
    "PMedian": ("siting.allocation", "PMedian"),
    "PCenter": ("siting.allocation", "PCenter"),
    "CMCLP": ("siting.allocation", "CMCLP"),
    "CPMedian": ("siting.allocation", "CPMedian"),
    "CoverageTarget": ("siting.allocation", "CoverageTarget"),
    "place_projects": ("siting.planning.place", "place_projects"),
    "score_candidates": ("siting.planning.scoring", "score_candidates"),
    # outputs and orchestration
    "make_map": ("siting.maps.build", "make_map"),
    "scenario_map": ("siting.maps.scenario", "scenario_map"),
    "write_report": ("siting.reporting.report", "write_report"),
    "run_batch": ("siting.batch", "run_batch"),
}

__all__ = [
    "CMCLP", "CPMedian", "CoverageTarget", "LSCP", "MCLP", "PCenter", "PMedian", "RoadNetwork", "__version__",
    "build_demand", "check", "coverage", "isochrones", "load_network", "load_scenario", "make_map", "nearest",
    "od_matrix", "place_projects", "reach", "read_facilities", "read_projects", "run_batch", "scenario_map",
    "score_candidates", "snap", "write_report",
]

if TYPE_CHECKING:
    from siting.allocation import CMCLP, LSCP, MCLP, CoverageTarget, CPMedian, PCenter, PMedian
    from siting.analysis.coverage import coverage
    from siting.analysis.demand import build_demand
    from siting.analysis.isochrones import isochrones
    from siting.batch import run_batch
    from siting.inputs.facilities import read_facilities
    from siting.inputs.projects import read_projects
    from siting.inputs.scenario import load_scenario
    from siting.maps.build import make_map
    from siting.maps.scenario import scenario_map
    from siting.network import RoadNetwork, load_network
    from siting.planning.place import place_projects
    from siting.planning.scoring import score_candidates
    from siting.reporting.report import write_report
    from siting.routing.engine import nearest, od_matrix, reach
    from siting.routing.snap import snap
    from siting.rules import check


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        module, attr = _PUBLIC[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'siting' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
