"""Presence per administrative unit: the city and every county (or town) has at least ``min_count``
facilities that have what the rule asks (A17 an infectious-disease hospital or ward, B22 a BSL-2
laboratory, B9 guidance centres in the city and half the counties, B6 inclusive demonstration
childcare centres in every central-city district, A29 childcare in the port zone).

A facility is placed in a unit by its ``county``/``unit``/``town`` column or by its point in the
unit's polygon (:func:`siting.rules.kinds.units.assign_units`). One that cannot be placed could
be in any unit, and one whose attributes are unknown may or may not count: a unit is judged only
when no such facility could change it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.rules.context import CheckInputs
from siting.rules.kinds.attributes import (
    QUALIFY_PARAMS,
    meant_rows,
    missing_source_reason,
    qualify_states,
    requirement,
)
from siting.rules.kinds.capacity import judge_bounds
from siting.rules.kinds.units import assign_units, units_at
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule
from siting.rules.unknowns import absent_sources, ids_where, listing


def unit_points(ctx: CheckInputs, level: str) -> pd.DataFrame:
    """code, name, lon, lat of the units of ``level``: the units table's WGS84 points, else polygon points."""
    if ctx.units is not None and (ctx.units["level"] == level).any():
        u = ctx.units[ctx.units["level"] == level]
        lon = pd.to_numeric(u["lon_wgs84"], errors="coerce") if "lon_wgs84" in u.columns else np.nan
        lat = pd.to_numeric(u["lat_wgs84"], errors="coerce") if "lat_wgs84" in u.columns else np.nan
        return pd.DataFrame({"code": u["code"].astype(str).to_numpy(), "name": u["name"].astype(str).to_numpy(),
                             "lon": np.asarray(lon, dtype=float), "lat": np.asarray(lat, dtype=float)})
    b = ctx.unit_boundaries
    if b is not None and "level" in b.columns and (b["level"] == level).any():
        b = b[b["level"] == level]
        pts = b.geometry.representative_point()
        code = b["adcode"].astype(str) if "adcode" in b.columns else b["name"].astype(str)
        return pd.DataFrame({"code": code.to_numpy(), "name": b["name"].astype(str).to_numpy(),
                             "lon": pts.x.to_numpy(float), "lat": pts.y.to_numpy(float)})
    return pd.DataFrame(columns=["code", "name", "lon", "lat"])


def central_units(ctx: CheckInputs, units: pd.DataFrame, level: str) -> pd.DataFrame:
    """The units whose point lies in the central urban area (study_area.central)."""
    import geopandas as gpd

    pts = unit_points(ctx, level)
    pts = pts[np.isfinite(pts["lon"].to_numpy(float)) & np.isfinite(pts["lat"].to_numpy(float))]
    frame = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["lon"], pts["lat"]), crs=4326)
    inside = gpd.sjoin(frame, ctx.central, predicate="within", how="inner")
    codes = set(inside["code"].astype(str))
    return units[units["code"].astype(str).isin(codes)].reset_index(drop=True)


def _candidates(ctx: CheckInputs, rule: Rule) -> pd.DataFrame:
    """Every row that may count, with ``sure`` (meant and qualifying for certain)."""
    sure, maybe = meant_rows(ctx, rule)
    rows = pd.concat([sure.assign(meant=True), maybe.assign(meant=False)], ignore_index=True)
    if not len(rows):
        return rows.assign(sure=pd.Series(dtype=bool))
    states = qualify_states(rows, rule.params)
    keep = np.array([s is not False for s in states], dtype=bool)
    rows = rows.assign(sure=np.array([s is True for s in states], dtype=bool) & rows["meant"].to_numpy(bool))
    return rows[keep].reset_index(drop=True)


def unit_states(units: pd.DataFrame, codes: np.ndarray, sure: np.ndarray, min_count: int,
                open_ended: bool) -> tuple[list[Any], int, int]:
    """Per unit True / False / None (meets ``min_count`` surely, surely not, unknown) and the
    fewest and most units that can meet it (rows without a unit could go to any one unit)."""
    placed = codes != ""
    sure_n, possible_n = [], []
    for code in units["code"].astype(str):
        here = np.array([code in str(c).split(";") for c in codes], dtype=bool)
        sure_n.append(int((here & sure).sum()))
        possible_n.append(int(here.sum()))
    pool = int((~placed).sum())
    states: list[Any] = []
    for s, q in zip(sure_n, possible_n):
        states.append(True if s >= min_count else None if open_ended or q + pool >= min_count else False)
    low = sum(v is True for v in states)
    if open_ended:
        return states, low, len(units)
    needs = sorted(max(0, min_count - q) for q, v in zip(possible_n, states) if v is not True)
    high, left = low, pool
    for need in needs:
        if need > left:
            break
        high, left = high + 1, left - need
    return states, low, high


def presence_per_unit(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """At least ``min_count`` qualifying facilities in the city (``include_city``) and in at least
    ``min_share`` of the units (counties or towns), bounded over what is unknown."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p), figures={"requirement": requirement(p)})
    if not ctx.have_subject_data(rule.applies_to):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", missing_source_reason(rule), params=dict(p))
    rows = _candidates(ctx, rule)
    absent = absent_sources(rule.applies_to.get("from", ["facilities", "projects"]), ctx)
    verdicts, open_ = [], []
    if p["include_city"]:
        verdicts.append(_city_verdict(res, rows, p, bool(absent)))
    if p["include_units"]:
        units, why = _units(ctx, p)
        if units is None:
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", str(why), params=dict(p))
        verdict, why = _units_verdict(res, ctx, rows, units, p, bool(absent))
        verdicts.append(verdict)
        open_ += [why] if why else []
    _explain(res, rows, absent, open_)
    if "fail" in verdicts:
        res.status = "fail"
        res.notes += ["fails whatever the unknowns: " + "; ".join(open_)] if open_ else []
    elif "not_evaluable" in verdicts:
        res.status = "not_evaluable"
        res.reason = "; ".join(open_ or ["facilities could not be placed in a unit"])
    elif open_:
        res.notes.append("passes whatever the unknowns: " + "; ".join(open_))
    return res


register(
    "presence_per_unit",
    {
        **QUALIFY_PARAMS,
        "unit_level": Param("str", "county", ("county", "town"), doc="the units judged"),
        "unit_name_matches": Param("str?", None, doc="only units whose name matches (e.g. 钦州港)"),
        "area": Param("str", "whole", ("whole", "central"), doc="central: only units in the central urban area (中心城区)"),
        "include_city": Param("bool", False, doc="the city as a whole also needs min_count (市 and every 县)"),
        "include_units": Param("bool", True, doc="judge the units (false: the city as a whole only)"),
        "min_count": Param("int", 1, doc="qualifying facilities needed in each unit (and in the city)"),
        "min_share": Param("number", 1.0, doc="share of the units that must have them, 0-1 (0.5: half the counties)"),
    },
)(presence_per_unit)


def _units(ctx: CheckInputs, p: dict[str, Any]) -> tuple[pd.DataFrame | None, str]:
    units = units_at(ctx, p["unit_level"])
    if len(units) == 0:
        return None, f"no {p['unit_level']} units: give the scenario a units table (units.table)"
    if p["unit_name_matches"]:
        units = units[units["name"].astype(str).str.contains(p["unit_name_matches"], regex=True)].reset_index(drop=True)
    if p["area"] == "central":
        if ctx.central is None:
            return None, ("no central urban area (中心城区): set study_area.central in the scenario "
                          "(a boundary file or unit names)")
        units = central_units(ctx, units, p["unit_level"])
    if len(units) == 0:
        return None, "no unit matches the filter"
    return units, ""


def _city_verdict(res: RuleResult, rows: pd.DataFrame, p: dict[str, Any], open_ended: bool) -> str:
    low, high = int(rows["sure"].sum()) if len(rows) else 0, float("inf") if open_ended else float(len(rows))
    res.figures.update({"city_count": low, "min_count": p["min_count"]})
    verdict = judge_bounds(float(low), high, float(p["min_count"]))
    if verdict == "fail":
        res.violations.append({"unit": "city", "count": low, "needed": p["min_count"]})
    return verdict


def _units_verdict(res: RuleResult, ctx: CheckInputs, rows: pd.DataFrame, units: pd.DataFrame, p: dict[str, Any],
                   open_ended: bool) -> tuple[str, str]:
    codes = assign_units(ctx, rows, units_at(ctx, p["unit_level"]), p["unit_level"])[0] if len(rows) else np.zeros(0, object)
    sure = rows["sure"].to_numpy(bool) if len(rows) else np.zeros(0, bool)
    states, low, high = unit_states(units, codes, sure, p["min_count"], open_ended)
    n = len(units)
    res.figures.update({"units": n, "units_meeting": low, "units_meeting_high": high, "min_share": p["min_share"],
                        "facilities_unplaced": int((codes == "").sum())})
    res.details = units.assign(meets=pd.Series(states, dtype=object).map({True: "yes", False: "no"}).fillna("unknown"))
    verdict = judge_bounds(low / n, high / n, p["min_share"])
    if verdict == "fail":
        for u, s in zip(units.to_dict("records"), states):
            if s is not True:
                res.violations.append({"unit_code": u["code"], "unit": u["name"], "county": u.get("county", ""),
                                       "problem": f"fewer than {p['min_count']} qualifying facilities"})
    res.figures["share"] = low / n if verdict == "pass" else high / n
    if verdict != "not_evaluable":
        return verdict, ""
    unplaced = codes == ""
    where = (f"; {int(unplaced.sum())} facilit(ies) could not be placed in a unit ({ids_where(rows, unplaced)}): "
             "add a county/unit column or coordinates") if unplaced.any() else ""
    return verdict, f"{low} to {high} of {n} units could meet it{where}"


def _explain(res: RuleResult, rows: pd.DataFrame, absent: list[str], open_: list[str]) -> None:
    """Fill ``open_`` with what keeps the verdict open: rows that may count, sources not given."""
    unsure = ~rows["sure"].to_numpy(bool) if len(rows) else np.zeros(0, bool)
    if unsure.any():
        open_.insert(0, f"{int(unsure.sum())} facilit(ies) may count: attribute, level, category or owner unknown "
                     f"({ids_where(rows, unsure)})")
    open_[:0] = [f"no {source} file: its rows are unknown" for source in absent]
    counted = rows[rows["sure"].to_numpy(bool)] if len(rows) else rows
    res.notes.append("counted: " + listing(f"{i} {n}" for i, n in zip(counted["id"], counted["name"]))
                     if len(counted) else "no matching facility")
