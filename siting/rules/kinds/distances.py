"""Distance distributions and catchments: how far each origin is from the nearest target, the
origins beyond a chosen limit, and the catchment of each target (A7 elderly-care institutions next
to medical facilities, A9 childcare next to a maternal-and-child or community health centre, A18
elderly-care sites within reach of an emergency station, A25 towns within reach of a township home
for the aged).

Origins are the facilities the rule applies to, or the points of the units of a level (towns,
villages); targets are filtered from the hospitals, facilities and projects. Straight-line
distances are great-circle distances; road distances and minutes need the scenario's network.
An origin is beyond the limit only when no target that may count (attribute or category
unknown, or without coordinates) could be nearer, and an origin without coordinates is never
judged (docs/VERDICTS.md).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from siting.inputs.attributes import list_state
from siting.rules.context import CheckInputs, filter_masks
from siting.rules.kinds.capacity import judge_bounds
from siting.rules.kinds.presence import unit_points
from siting.rules.kinds.proximity import facility_labels, nearest_network, nearest_straight
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule
from siting.rules.unknowns import absent_sources, bounded_share, ids_where, located_rows, states_count


def target_table(ctx: CheckInputs, p: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """The targets with ``sure`` (they count for certain) and the sources the rule reads but lacks."""
    applies: dict[str, Any] = {"type": p["target_types"]}
    if p["target_categories"]:
        applies["category"] = p["target_categories"]
    if p["target_name_matches"]:
        applies["name_matches"] = p["target_name_matches"]
    rows = ctx.subjects({"from": p["target_from"]})
    sure, maybe = filter_masks(rows, applies)
    if "category" in applies:  # a category only assumed may or may not be the one asked for
        assumed = rows["category_assumed"].fillna(False).astype(bool).to_numpy()
        maybe, sure = maybe | (sure & assumed), sure & ~assumed
    out = rows[sure | maybe].assign(sure=sure[sure | maybe]).reset_index(drop=True)
    if p["target_attribute"] and p["target_matches"]:
        pattern = re.compile(p["target_matches"])
        cells = out[p["target_attribute"]] if p["target_attribute"] in out.columns else pd.Series([""] * len(out))
        states = [list_state(c, pattern) for c in cells]
        keep = np.array([s is not False for s in states], dtype=bool)
        out = out.assign(sure=out["sure"].to_numpy(bool) & np.array([s is True for s in states], dtype=bool))[keep]
    return out.reset_index(drop=True), absent_sources(p["target_from"], ctx)


def origin_table(ctx: CheckInputs, rule: Rule) -> tuple[pd.DataFrame, str]:
    """The origins with ``meant`` (surely meant) and, for unit origins, ``population`` where the census gives it."""
    p = rule.params
    if p["origins"] == "facilities":
        if not ctx.have_subject_data(rule.applies_to):
            return pd.DataFrame(), "no facility data: pass --facilities F.csv (or projects in the scenario)"
        sure, maybe = ctx.subjects(rule.applies_to), ctx.undetermined(rule.applies_to)
        return pd.concat([sure.assign(meant=True), maybe.assign(meant=False)], ignore_index=True), ""
    units = unit_points(ctx, p["origins"])
    if len(units) == 0:
        return units, f"no {p['origins']} units: give the scenario a units table (units.table)"
    if p["unit_name_matches"]:
        units = units[units["name"].str.contains(p["unit_name_matches"], regex=True)].reset_index(drop=True)
    pops = ctx.population_by(p["origins"])
    by_code = dict(zip(pops["code"].astype(str), pops["value"])) if "code" in pops.columns else {}
    return units.assign(id=units["code"], meant=True, population=units["code"].map(by_code)), ""


def distance_distribution(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Each origin's distance to the nearest target; at least ``min_share`` within ``max_km`` (or ``max_minutes``)."""
    p = rule.params
    limit = p["max_minutes"] if p["max_minutes"] is not None else p["max_km"]
    if limit is None:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", "the rule sets neither max_km nor max_minutes",
                          params=dict(p))
    origins, why = origin_table(ctx, rule)
    if why:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", why, params=dict(p))
    targets, absent = target_table(ctx, p)
    use_net = p["max_minutes"] is not None or (p["distance"] == "network" and ctx.has_network())
    if use_net and not ctx.has_network():
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", ctx.network_reason(), params=dict(p))
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    unit = "minutes" if p["max_minutes"] is not None else "km"
    measured = _measure(ctx, origins, targets, p, use_net, res)
    states = _states(measured, located_rows(origins), targets, unit, limit, bool(absent))
    measured["within"] = pd.Series(states, dtype=object).map({True: "yes", False: "no"}).fillna("unknown")
    res.details = measured
    meant = origins["meant"].to_numpy(bool)
    low, high = bounded_share(states[meant], states[~meant])
    d = measured[unit].to_numpy(float)
    finite = d[np.isfinite(d)]
    res.figures.update({"origins": int(meant.sum()), "within": states_count(states[meant])[0],
                        "beyond": states_count(states[meant])[1], "undetermined": states_count(states[meant])[2],
                        f"max_{unit}": limit, f"median_{unit}": float(np.median(finite)) if len(finite) else np.nan,
                        f"p90_{unit}": float(np.percentile(finite, 90)) if len(finite) else np.nan,
                        "min_share": p["min_share"], "share_low": low, "share_high": high, "targets": int(targets["sure"].sum())})
    if not meant.any():
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", "no origin matches the rule",
                          figures=res.figures, params=dict(p), details=res.details)
    res.status = judge_bounds(low, high, p["min_share"])
    res.figures["share"] = low if res.status == "pass" else high
    res.tables["catchments"] = catchments(measured, targets, unit)
    _distance_verdict(res, origins, measured, states, meant, absent, limit, unit)
    return res


register(
    "distance_distribution",
    {
        "origins": Param("str", "facilities", ("facilities", "town", "village"),
                         doc="from the facilities the rule applies to, or from the points of the towns or villages"),
        "unit_name_matches": Param("str?", None, doc="unit origins: only units whose name matches"),
        "target_types": Param("list[str]", ["hospital", "clinic"], doc="facility types of the targets"),
        "target_from": Param("list[str]", ["hospitals", "facilities", "projects"],
                             doc="where targets come from; a source not given leaves origins beyond the others undecided"),
        "target_categories": Param("list[str]?", None, doc="hospital categories of the targets (maternity, primary, ...)"),
        "target_name_matches": Param("str?", None, doc="regex on the targets' names (敬老院, 急救)"),
        "target_attribute": Param("str?", None, doc="list column a target must list `target_matches` in"),
        "target_matches": Param("str?", None, doc="regex for target_attribute"),
        "max_km": Param("number?", None, doc="the chosen limit in km (the plans state none)"),
        "max_minutes": Param("number?", None, doc="or a limit in minutes on the network (needs the road network)"),
        "mode": Param("str?", None, ("walk", "bike", "drive"), doc="network mode (null: the scenario's hospital_mode)"),
        "distance": Param("str", "straight_line", ("straight_line", "network"), doc="which km judges the rule"),
        "min_share": Param("number", 1.0, doc="share of the origins that must be within the limit, 0-1"),
    },
)(distance_distribution)


def _measure(ctx: CheckInputs, origins: pd.DataFrame, targets: pd.DataFrame, p: dict[str, Any], use_net: bool,
             res: RuleResult) -> pd.DataFrame:
    """Per origin: nearest sure target (name, km, minutes) and the km/minutes to the nearest uncertain one."""
    n = len(origins)
    out = pd.DataFrame({"id": origins["id"].astype(str), "name": origins["name"].astype(str),
                        "applies": np.where(origins["meant"].to_numpy(bool), "yes", "unknown"),
                        "nearest": [""] * n, "km": np.nan, "minutes": np.nan, "uncertain_km": np.nan,
                        "uncertain_minutes": np.nan})
    if "population" in origins.columns:
        out["population"] = pd.to_numeric(origins["population"], errors="coerce").to_numpy(float)
    here = located_rows(origins)
    located_t = targets[located_rows(targets)] if len(targets) else targets
    for sure, prefix in ((True, ""), (False, "uncertain_")):
        t = located_t[located_t["sure"].to_numpy(bool) == sure] if len(located_t) else located_t
        if not len(t) or not here.any():
            continue
        lon, lat = origins["lon"].to_numpy(float)[here], origins["lat"].to_numpy(float)[here]
        tlon, tlat = t["lon"].to_numpy(float), t["lat"].to_numpy(float)
        km, which = nearest_straight(lon, lat, tlon, tlat)
        out.loc[here, prefix + "km"] = km / 1000.0
        if use_net:
            net = ctx.network(p["mode"] or ctx.hospital_mode)
            nn = nearest_network(net, lon, lat, tlon, tlat, weight="time" if p["max_minutes"] is not None else "length")
            which = nn["which"].to_numpy()
            ok = which >= 0
            out.loc[here, prefix + "km"] = np.where(ok, nn["length_m"].to_numpy() / 1000.0, np.inf)
            out.loc[here, prefix + "minutes"] = np.where(ok, nn["time_s"].to_numpy() / 60.0, np.inf)
        if sure:
            names = facility_labels(t)
            out.loc[here, "nearest"] = [str(names[w]) if w >= 0 else "" for w in which]
            out.loc[here, "nearest_id"] = [str(t["id"].iloc[w]) if w >= 0 else "" for w in which]
    res.notes.append(f"distances on the {p['mode'] or ctx.hospital_mode} network" if use_net else
                     "straight-line distances" + ("" if ctx.has_network() else f" ({ctx.network_reason()})"))
    return out


def _states(measured: pd.DataFrame, here: np.ndarray, targets: pd.DataFrame, unit: str, limit: float,
            open_ended: bool) -> np.ndarray:
    """Per origin: True (within), False (surely beyond), None (no coordinates, or a target that may
    count could be within: uncertain and nearer, or without coordinates, or a whole source missing)."""
    d = measured[unit].to_numpy(float)
    u = measured["uncertain_" + unit].to_numpy(float)
    unplaced_targets = bool(len(targets)) and not located_rows(targets).all()
    states = np.full(len(measured), None, dtype=object)
    for i in range(len(measured)):
        if d[i] <= limit + 1e-9:
            states[i] = True
        elif here[i] and not open_ended and not unplaced_targets and not (u[i] <= limit + 1e-9):
            states[i] = False
    return states


def catchments(measured: pd.DataFrame, targets: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Per counted target: the origins nearest to it, how many, their population and the farthest."""
    if "nearest_id" not in measured.columns:
        return pd.DataFrame(columns=["target", "origins", "population", f"farthest_{unit}"])
    rows = []
    for tid, group in measured[measured["nearest_id"].fillna("") != ""].groupby("nearest_id", sort=False):
        pop = group["population"] if "population" in group.columns else pd.Series(dtype=float)
        rows.append({"target": group["nearest"].iloc[0], "target_id": tid, "origins": len(group),
                     "population": float(pop.sum()) if len(pop) and pop.notna().any() else np.nan,
                     "population_unknown": int(pop.isna().sum()) if len(pop) else len(group),
                     f"farthest_{unit}": float(group[unit].max()),
                     "members": ", ".join(group["name"].astype(str).head(20))})
    return pd.DataFrame(rows)


def _distance_verdict(res: RuleResult, origins: pd.DataFrame, measured: pd.DataFrame, states: np.ndarray,
                      meant: np.ndarray, absent: list[str], limit: float, unit: str) -> None:
    beyond = meant & np.array([s is False for s in states], dtype=bool)
    for i in np.flatnonzero(beyond):
        res.violations.append({"id": measured["id"].iloc[i], "name": measured["name"].iloc[i],
                               unit: round(float(measured[unit].iloc[i]), 3), "nearest": measured["nearest"].iloc[i],
                               "problem": f"farther than {limit:g} {unit}"})
    open_rows = np.array([s is None for s in states], dtype=bool)
    problems = []
    unplaced = open_rows & ~located_rows(origins)
    if unplaced.any():
        problems.append(f"{int(unplaced.sum())} origin(s) have no coordinates ({ids_where(measured, unplaced)})")
    near = open_rows & ~unplaced
    if near.any():
        problems.append(f"{int(near.sum())} origin(s) beyond the counted targets, but a target that may count could be "
                        f"within {limit:g} {unit} ({ids_where(measured, near)}): give the targets' coordinates and attributes")
    if (~meant).any():
        problems.append(f"{int((~meant).sum())} origin(s) may or may not be meant ({ids_where(measured, ~meant)})")
    problems += [f"no {s} file: its targets are unknown" for s in absent]
    if res.status == "not_evaluable":
        res.violations = []
        res.reason = "; ".join(problems) + f"; the share within {limit:g} {unit} lies between " \
            f"{res.figures['share_low']:.1%} and {res.figures['share_high']:.1%}"
    elif problems:
        res.notes.append(("passes" if res.status == "pass" else "fails") + " whatever the unknowns: " + "; ".join(problems))
