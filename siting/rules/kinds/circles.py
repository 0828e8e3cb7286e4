"""Service-circle rules (A1, A2, A3 and the GB 50180-2018 life circles): the share of the
target population that reaches a facility within so many minutes (or metres) on foot.

The travel-time work is done by :mod:`siting.analysis.coverage`; this module only turns its
answer into a verdict. Without a road network, or without demand points, the rule
is ``not_evaluable`` and says which input is missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.errors import SitingError
from siting.rules.context import CheckInputs
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule
from siting.rules.unknowns import ids_where, located_rows, undetermined_note
from siting.units import MODES

#: Demand indicator names in packs -> the coverage engine's target groups.
GROUPS = {"population": "all", "pop_60plus": "60+", "pop_0_3": "0-3"}


def service_coverage(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Share of the demand within ``minutes`` (and ``max_distance_m``) of a matching facility."""
    p = rule.params
    figures = {"minutes": p["minutes"], "max_distance_m": p["max_distance_m"], "min_share": p["min_share"]}
    if p["population_band"]:
        figures["population_band"] = "–".join(f"{v:,.0f}" for v in p["population_band"])
    if not ctx.has_network():
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", ctx.network_reason(), figures=figures, params=dict(p))
    if not ctx.have_subject_data(rule.applies_to):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no facility data: pass --facilities F.csv", figures=figures, params=dict(p))
    subjects, maybe = ctx.subjects(rule.applies_to), ctx.undetermined(rule.applies_to)
    located = subjects[located_rows(subjects)].reset_index(drop=True)
    if len(located) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no located facility matches applies_to {rule.applies_to}", figures=figures, params=dict(p))
    group = GROUPS.get(p["demand"], p["demand"])
    mode = p["mode"] or ctx.network_mode
    net = ctx.network(mode)
    demand, why = ctx.demand_points(net)
    if demand is None:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", why, figures=figures, params=dict(p))
    demand, area_note = central_demand(demand, ctx, p["area"], figures)
    if len(demand) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no demand point lies in the central urban area ({ctx.central_label})",
                          figures=figures, params=dict(p))
    try:
        result = _coverage(net, demand, located, group, float(p["minutes"]))
    except SitingError as exc:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", f"coverage cannot be computed: {exc}",
                          figures=figures, params=dict(p))
    row = result.summary.iloc[-1]
    share = float(row["share"])
    figures.update({"group": result.group, "mode": mode, "facilities": len(located),
                    "population": float(row["population"]), "covered": float(row["covered"]), "share": share,
                    "median_minutes": result.distribution.get("median"), "p90_minutes": result.distribution.get("p90")})
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", figures=figures, params=dict(p))
    res.notes += [f"coverage: {w}" for w in result.warnings]
    res.notes += [area_note] if area_note else []
    if p["max_distance_m"] is not None and mode == "walk":
        from siting.units import walk_speed_ms

        metres = walk_speed_ms(net) * 60.0 * float(p["minutes"])
        res.notes.append(f"judged on walking time: {p['minutes']:g} min at {walk_speed_ms(net) * 3.6:g} km/h is "
                         f"{metres:,.0f} m (the standard's figure: {p['max_distance_m']:g} m)")
    if not np.isfinite(share):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", "the demand has no population",
                          figures=figures, params=dict(p))
    res.details = result.per_unit
    if share < p["min_share"] - 1e-9:
        res.status = "fail"
        res.violations.append({"unit": "central urban area" if figures.get("area") == "central" else "study area",
                               "group": result.group, "share": round(share, 4),
                               "min_share": p["min_share"], "uncovered": round(float(row["uncovered"]), 1)})
        worst = result.equity.get("worst_units") or []
        for w in worst:
            if w.get("share") is not None and w["share"] < p["min_share"]:
                res.violations.append({"unit": w["unit"], "group": result.group, "share": w["share"],
                                       "min_share": p["min_share"], "uncovered": None})
    _unmeasured(res, subjects, maybe, net, demand, located, group, float(p["minutes"]), p["min_share"])
    return res


register(
    "service_coverage",
    {
        "minutes": Param("number", doc="travel-time threshold"),
        "mode": Param("str?", None, choices=MODES, doc="travel mode (null: the scenario's)"),
        "max_distance_m": Param("number?", None, doc="also a distance threshold along the network (GB 50180 circles)"),
        "min_share": Param("number", doc="share of the demand that must be covered, 0-1"),
        "demand": Param("str", "population", doc="demand indicator, e.g. pop_60plus"),
        "population_band": Param("list[number]?", None, doc="population band of the circle (reported, not judged)"),
        "area": Param("str", "whole", ("whole", "central"),
                      doc="whose demand counts: the whole study area, or only the central urban area (中心城区) "
                          "given by the scenario's study_area.central"),
    },
    needs=("network", "demand"),
)(service_coverage)


def _coverage(net: Any, demand: Any, sites: pd.DataFrame, group: str, minutes: float) -> Any:
    """Coverage of ``group`` within ``minutes`` of ``sites`` (one facility 'type' for everything the rule applies to)."""
    from siting.analysis.coverage import coverage

    return coverage(net, demand, sites.assign(type="rule_target"), "rule_target", group, [minutes])


def _unmeasured(res: RuleResult, subjects: pd.DataFrame, maybe: pd.DataFrame, net: Any, demand: Any,
                located: pd.DataFrame, group: str, minutes: float, min_share: float) -> None:
    """List the facilities coverage could not count (no coordinates; may or may not be meant).

    They could only add coverage: a pass stands; a fail stands only if it still fails with
    every located one of them added and none is without coordinates; else not_evaluable.
    """
    unplaced = ~located_rows(subjects)
    maybe_unplaced = ~located_rows(maybe)
    notes = []
    if unplaced.any():
        notes.append(f"{int(unplaced.sum())} facilit(ies) have no coordinates and were not counted "
                     f"({ids_where(subjects, unplaced)})")
    if len(maybe):
        notes.append(undetermined_note(maybe))
    if res.status != "fail" or not notes:
        res.notes += notes
        return
    if unplaced.any() or maybe_unplaced.any():
        res.status, res.reason = "not_evaluable", "; ".join(notes) + ": they could close the gap"
    else:
        sites = pd.concat([located, maybe], ignore_index=True)
        upper = float(_coverage(net, demand, sites, group, minutes).summary.iloc[-1]["share"])
        res.figures["share_high"] = upper
        if upper >= min_share - 1e-9:
            res.status, res.reason = "not_evaluable", "; ".join(notes) + f": with them the share could reach {upper:.1%}"
        else:
            res.notes += notes + [f"fails even with them ({upper:.1%})"]
    if res.status == "not_evaluable":
        res.violations = []


def central_demand(demand: Any, ctx: CheckInputs, area: str, figures: dict[str, Any]) -> tuple[Any, str]:
    """The demand points a rule counts, and a note saying which area that is.

    With ``area: central`` and a central urban area in the scenario, only the points inside it;
    without one, all points, and the note says the rule was computed over the whole study area.
    """
    if area != "central":
        return demand, ""
    if ctx.central is None:
        figures["area"] = "whole"
        return demand, ("computed over the whole study area: the rule asks for the central urban area (中心城区), "
                        "and the scenario gives none (study_area.central: a boundary file or unit names)")
    import geopandas as gpd

    inside = gpd.sjoin(gpd.GeoDataFrame(geometry=demand.geometry.to_crs(4326), crs=4326), ctx.central,
                       predicate="within", how="inner").index.unique()
    kept = demand.loc[demand.index.isin(inside)].reset_index(drop=True)
    figures.update({"area": "central", "central_area": ctx.central_label,
                    "demand_points_outside": int(len(demand) - len(kept))})
    return kept, (f"only demand in the central urban area ({ctx.central_label}) counts: "
                  f"{len(kept):,} of {len(demand):,} demand points")
