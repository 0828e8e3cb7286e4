"""Distance rules: A4 (elderly-care land near a general hospital) and A5 (on-site clinic, or the
nearest medical institution as partner).

Straight-line distances are great-circle distances (:func:`siting.coords.haversine_m`).
Road distances, when a network is given, are shortest paths on the scenario's
``hospital_mode`` network (drive by default) between the snapped points, plus
the two snapping legs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.coords import haversine_m
from siting.rules.context import CheckInputs
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule

SNAP_TOLERANCE_M = 500.0


def nearest_straight(lon: np.ndarray, lat: np.ndarray, tlon: np.ndarray, tlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the great-circle distance (m) to the nearest target and that target's position."""
    if len(tlon) == 0:
        return np.full(len(lon), np.inf), np.full(len(lon), -1, dtype=np.int64)
    d = haversine_m(lon[:, None], lat[:, None], tlon[None, :], tlat[None, :])
    which = np.argmin(d, axis=1)
    return d[np.arange(len(lon)), which], which.astype(np.int64)


def nearest_network(net: Any, lon: np.ndarray, lat: np.ndarray, tlon: np.ndarray, tlat: np.ndarray,
                    weight: str = "length") -> pd.DataFrame:
    """Nearest target of each point along the network, minimising ``weight`` ('length' or 'time').

    Returns a frame with ``which`` (target position, -1 when unreachable), ``length_m``
    (path + both snapping legs), ``time_s`` (path only), ``snap_m`` and ``target_snap_m``.
    """
    from siting.routing.engine import nearest_target
    from siting.routing.snap import snap

    s = snap(net, lon, lat, SNAP_TOLERANCE_M)
    t = snap(net, tlon, tlat, SNAP_TOLERANCE_M)
    best = nearest_target(net, s["node"].to_numpy(), t["node"].to_numpy(), np.inf, weight=weight)  # type: ignore[arg-type]
    out = pd.DataFrame({"which": -1, "length_m": np.inf, "time_s": np.inf,
                        "snap_m": s["snap_m"].to_numpy(dtype=float), "target_snap_m": np.nan}, index=range(len(lon)))
    if len(best):
        o = best["origin"].to_numpy()
        d = best["destination"].to_numpy()
        tsnap = t["snap_m"].to_numpy(dtype=float)[d]
        out.loc[o, "which"] = d
        out.loc[o, "time_s"] = best["time_s"].to_numpy()
        out.loc[o, "length_m"] = best["length_m"].to_numpy() + out.loc[o, "snap_m"].to_numpy() + tsnap
        out.loc[o, "target_snap_m"] = tsnap
    return out


def facility_labels(frame: pd.DataFrame) -> np.ndarray:
    """Names, falling back to the id for unnamed facilities."""
    names = frame["name"].astype(str).str.strip()
    return np.where(names == "", frame["id"].astype(str), names).astype(object)


def hospital_table(hospitals: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    """Every hospital with its category, level, the reason for its category, and whether the rule counts it.

    ``why_not`` says why an excluded hospital does not count (its category, an unknown category
    the pack does not assume general, its level, or missing coordinates).
    """
    rows = []
    for h in hospitals.to_dict("records"):
        category, level, assumed = str(h.get("category", "")), float(h.get("level", np.nan)), bool(h.get("category_assumed"))
        why = ""
        if assumed and not p["assume_general"]:
            why = "category unknown, and the pack counts only classified hospitals (assume_general: false)"
        elif category not in p["hospital_category"]:
            why = f"category {category} does not count (hospital_category: {', '.join(p['hospital_category'])})"
        elif p["hospital_min_level"] is not None and np.isnan(level):
            why = f"level unknown (level ≥ {p['hospital_min_level']} required)"
        elif p["hospital_min_level"] is not None and level < p["hospital_min_level"]:
            why = f"level {level:g} below {p['hospital_min_level']}"
        elif pd.isna(h.get("lon")) or pd.isna(h.get("lat")):
            why = "no coordinates"
        rows.append({"id": h.get("id"), "name": h.get("name"), "category": category,
                     "category_assumed": assumed, "category_reason": h.get("category_reason", "") or "",
                     "level": level, "counted": why == "", "why_not": why, "origin": h.get("origin", "")})
    return pd.DataFrame(rows, columns=["id", "name", "category", "category_assumed", "category_reason", "level",
                                       "counted", "why_not", "origin"])


def nearest_category(counted: pd.DataFrame, which: np.ndarray) -> dict[str, list[Any]]:
    """Columns naming the category and its reason of each subject's nearest counted hospital."""
    cats = counted["category"].astype(str).to_numpy()
    reasons = (counted["category_reason"] if "category_reason" in counted.columns
               else pd.Series([""] * len(counted))).fillna("").astype(str).to_numpy()
    return {"nearest_hospital_category": [cats[w] if w >= 0 else "" for w in which],
            "nearest_hospital_reason": [reasons[w] if w >= 0 else "" for w in which]}


def _located(frame: pd.DataFrame) -> np.ndarray:
    return ~(frame["lon"].astype(float).isna() | frame["lat"].astype(float).isna()).to_numpy()


def _no_subjects(rule: Rule, ctx: CheckInputs, what: str) -> RuleResult | None:
    if not ctx.have_subject_data(rule.applies_to):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no {what} data: pass --facilities F.csv (or projects in the scenario)")
    return None


@register(
    "hospital_proximity",
    {
        "max_km": Param("number", doc="largest allowed distance to a counted hospital, km"),
        "distance": Param("str", "straight_line", ("straight_line", "network"),
                          "which distance judges the rule; both are always reported when a network is given"),
        "hospital_category": Param("list[str]", ["general"], doc="hospital categories that count"),
        "hospital_min_level": Param("int?", None, doc="lowest hospital level that counts (1-3); null: any"),
        "assume_general": Param("bool", True, doc="count hospitals without a category as general (and say so)"),
    },
    needs=("facilities", "hospitals"),
)
def hospital_proximity(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Every facility in ``applies_to`` must lie within ``max_km`` of a counted hospital."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    missing = _no_subjects(rule, ctx, "facility")
    if missing:
        return missing
    subjects = ctx.subjects(rule.applies_to)
    res.tables["hospitals"] = hospital_table(hospitals := ctx.all_hospitals(), p)
    if len(hospitals) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no hospitals: pass --hospitals H.csv or add type=hospital rows to the facility file")
    if not p["assume_general"]:
        hospitals = hospitals[~hospitals["category_assumed"].astype(bool)]
    assumed = int(hospitals["category_assumed"].astype(bool).sum())
    counted = hospitals[hospitals["category"].isin(p["hospital_category"])]
    if p["hospital_min_level"] is not None:
        unknown_level = int(counted["level"].isna().sum())
        counted = counted[counted["level"] >= p["hospital_min_level"]]
        if unknown_level:
            res.notes.append(f"{unknown_level} hospital(s) have no level and were not counted (level ≥ {p['hospital_min_level']} required)")
    counted = counted.reset_index(drop=True)
    if assumed:
        res.notes.append(f"{assumed} hospital(s) had no category; assumed general (综合性医院)")
    res.figures.update({"facilities_checked": len(subjects), "hospitals_counted": len(counted),
                        "hospitals_assumed_general": assumed, "max_km": p["max_km"]})
    if len(subjects) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no facility matches applies_to {rule.applies_to} in {ctx.subject_sources(rule.applies_to)}",
                          figures=res.figures, notes=res.notes, params=dict(p), tables=res.tables)
    if len(counted) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no hospital of category {', '.join(p['hospital_category'])} among {len(hospitals)} hospital(s)",
                          figures=res.figures, notes=res.notes, params=dict(p), tables=res.tables)
    located = _located(subjects)
    lon, lat = subjects["lon"].to_numpy(float), subjects["lat"].to_numpy(float)
    straight = np.full(len(subjects), np.nan)
    which_s = np.full(len(subjects), -1, dtype=np.int64)
    if located.any():
        straight[located], which_s[located] = nearest_straight(lon[located], lat[located],
                                                                counted["lon"].to_numpy(float), counted["lat"].to_numpy(float))
    names = facility_labels(counted)
    details = pd.DataFrame({
        "id": subjects["id"], "name": subjects["name"], "type": subjects["type"], "owner_kind": subjects["owner_kind"],
        "origin": subjects["origin"], "location_precision": subjects["location_precision"],
        "straight_km": straight / 1000.0,
        "nearest_hospital": [names[w] if w >= 0 else "" for w in which_s], **nearest_category(counted, which_s),
    })
    net = ctx.network(ctx.hospital_mode) if ctx.has_network() else None
    if net is not None and located.any():
        nn = nearest_network(net, lon[located], lat[located], counted["lon"].to_numpy(float),
                             counted["lat"].to_numpy(float), weight="length")
        road = np.full(len(subjects), np.nan)
        road[located] = np.where(nn["which"].to_numpy() >= 0, nn["length_m"].to_numpy() / 1000.0, np.inf)
        details["network_km"] = road
        wn = np.full(len(subjects), -1)
        wn[located] = nn["which"].to_numpy()
        details["nearest_hospital_network"] = [names[w] if w >= 0 else "" for w in wn]
        snap_m = np.full(len(subjects), np.nan)
        snap_m[located] = nn["snap_m"].to_numpy()
        details["snap_m"] = snap_m
        res.notes.append(f"road distance on the {ctx.hospital_mode} network, including the snapping legs")
        far = int((snap_m > SNAP_TOLERANCE_M).sum())
        if far:
            res.notes.append(f"{far} facility(ies) lie more than {SNAP_TOLERANCE_M:g} m from the nearest road; check their coordinates")
    else:
        details["network_km"] = np.nan
        if ctx.has_network():
            res.notes.append("road distance missing: no facility has coordinates")
        else:
            res.notes.append(f"road distance missing ({ctx.network_reason()}); judged on straight-line distance")
    judge_col = "network_km" if (p["distance"] == "network" and net is not None) else "straight_km"
    if p["distance"] == "network" and net is None:
        res.notes.append("the pack asks for network distance, which is unavailable; straight-line distance judged instead")
    res.figures["judged_on"] = judge_col.replace("_km", "")
    judged = details[judge_col].to_numpy(float)
    beyond = located & (judged > p["max_km"] + 1e-9)
    details["within"] = pd.array([(not b) if ok else None for ok, b in zip(located, beyond)], dtype="boolean")
    res.details = details
    res.figures.update({
        "within": int((located & ~beyond).sum()),
        "beyond": int(beyond.sum()),
        "not_located": int((~located).sum()),
        "max_distance_km": float(np.nanmax(judged)) if located.any() else float("nan"),
    })
    for i in np.flatnonzero(beyond):
        row = details.iloc[i]
        res.violations.append({
            "id": row["id"], "name": row["name"], "straight_km": round(float(row["straight_km"]), 3),
            "network_km": None if pd.isna(row["network_km"]) else round(float(row["network_km"]), 3),
            "nearest_hospital": row["nearest_hospital"], "nearest_hospital_category": row["nearest_hospital_category"], "owner_kind": row["owner_kind"],
            "location_precision": row["location_precision"],
        })
    precise = subjects["location_precision"].isin(["county_seat", "town", "unknown"]).to_numpy() & located
    if precise.any():
        res.notes.append(f"{int(precise.sum())} facility location(s) are approximate (county seat or town centre)")
    if res.violations:
        res.status = "fail"
    elif (~located).any():
        ids = ", ".join(subjects.loc[~located, "id"].astype(str))
        res.status = "not_evaluable"
        res.reason = f"{int((~located).sum())} of {len(subjects)} facilities have no coordinates ({ids}); the others are within {p['max_km']} km"
    return res


@register(
    "clinic_partner",
    {
        "min_beds": Param("number", doc="institutions with at least this many beds need an on-site clinic or nursing station"),
        "partner_types": Param("list[str]", ["hospital", "clinic"], doc="facility types that can be the partner"),
        "max_partner_km": Param("number?", None, doc="flag smaller institutions with no partner within this distance"),
    },
    needs=("facilities",),
)
def clinic_partner(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """≥ min_beds: has_clinic must be yes. Below: name the nearest medical institution, with distance and time."""
    p = rule.params
    missing = _no_subjects(rule, ctx, "facility")
    if missing:
        return missing
    subjects = ctx.subjects(rule.applies_to)
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    if len(subjects) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no facility matches applies_to {rule.applies_to}", params=dict(p))
    beds = subjects["beds"].to_numpy(float)
    clinic = subjects["has_clinic"]
    large = beds >= p["min_beds"]
    small = beds < p["min_beds"]
    no_beds = np.isnan(beds)
    medical = ctx.medical(p["partner_types"])
    medical = medical[_located(medical)].reset_index(drop=True)
    located = _located(subjects)
    lon, lat = subjects["lon"].to_numpy(float), subjects["lat"].to_numpy(float)
    straight = np.full(len(subjects), np.nan)
    which = np.full(len(subjects), -1, dtype=np.int64)
    if len(medical) and located.any():
        straight[located], which[located] = nearest_straight(lon[located], lat[located],
                                                             medical["lon"].to_numpy(float), medical["lat"].to_numpy(float))
    names = facility_labels(medical) if len(medical) else np.array([], dtype=object)
    details = pd.DataFrame({"id": subjects["id"], "name": subjects["name"], "beds": beds,
                            "has_clinic": clinic, "needs_clinic": pd.array([None if nb else bool(lg) for nb, lg in zip(no_beds, large)], dtype="boolean")})
    details["partner"] = [names[w] if w >= 0 else "" for w in which]
    details["partner_straight_km"] = straight / 1000.0
    details["partner_network_km"] = np.nan
    details["partner_minutes"] = np.nan
    net = ctx.network(ctx.hospital_mode) if (ctx.has_network() and len(medical)) else None
    if net is not None and located.any():
        nn = nearest_network(net, lon[located], lat[located], medical["lon"].to_numpy(float),
                             medical["lat"].to_numpy(float), weight="time")
        ok = nn["which"].to_numpy() >= 0
        idx = np.flatnonzero(located)
        details.loc[idx[ok], "partner"] = names[nn["which"].to_numpy()[ok]]
        details.loc[idx[ok], "partner_network_km"] = nn["length_m"].to_numpy()[ok] / 1000.0
        details.loc[idx[ok], "partner_minutes"] = nn["time_s"].to_numpy()[ok] / 60.0
        res.notes.append(f"partner = quickest medical institution on the {ctx.hospital_mode} network")
    else:
        res.notes.append("partner = nearest medical institution in a straight line; travel time needs a road network"
                         + ("" if ctx.has_network() else f" ({ctx.network_reason()})"))
    res.details = details
    no_clinic = large & (clinic.fillna(True) == False).to_numpy(dtype=bool)  # noqa: E712 -- nullable boolean
    clinic_unknown = large & clinic.isna().to_numpy()
    for i in np.flatnonzero(no_clinic):
        res.violations.append({"id": subjects["id"].iloc[i], "name": subjects["name"].iloc[i], "beds": beds[i],
                               "problem": f"≥{p['min_beds']:g} beds without an on-site clinic or nursing station",
                               "suggested_partner": details["partner"].iloc[i]})
    far = np.zeros(len(subjects), dtype=bool)
    if p["max_partner_km"] is not None:
        judged = np.where(np.isnan(details["partner_network_km"].to_numpy(float)), straight / 1000.0,
                          details["partner_network_km"].to_numpy(float))
        far = small & located & (np.isnan(judged) | (judged > p["max_partner_km"] + 1e-9)) & (len(medical) > 0)
        for i in np.flatnonzero(far):
            res.violations.append({"id": subjects["id"].iloc[i], "name": subjects["name"].iloc[i], "beds": beds[i],
                                   "problem": f"no medical institution within {p['max_partner_km']:g} km",
                                   "suggested_partner": details["partner"].iloc[i]})
    partner_missing = small & (which < 0)
    res.figures.update({
        "institutions": len(subjects), f"with_{p['min_beds']:g}_beds_or_more": int(large.sum()),
        "below_threshold": int(small.sum()), "beds_unknown": int(no_beds.sum()),
        "large_without_clinic": int(no_clinic.sum()), "large_clinic_unknown": int(clinic_unknown.sum()),
        "medical_institutions": len(medical),
    })
    problems = []
    if no_beds.any():
        problems.append(f"beds unknown for {int(no_beds.sum())} institution(s) ({', '.join(subjects.loc[no_beds, 'id'].astype(str))})")
    if clinic_unknown.any():
        problems.append(f"has_clinic unknown for {int(clinic_unknown.sum())} institution(s) with ≥{p['min_beds']:g} beds "
                        f"({', '.join(subjects.loc[clinic_unknown, 'id'].astype(str))}): add a has_clinic column")
    if partner_missing.any():
        problems.append("no partner found for " + str(int(partner_missing.sum())) + " smaller institution(s)"
                        + (" (no medical institutions: pass --hospitals H.csv)" if len(medical) == 0 else " (no coordinates)"))
    if res.violations:
        res.status = "fail"
        res.notes += problems
    elif problems:
        res.status = "not_evaluable"
        res.reason = "; ".join(problems)
    return res
