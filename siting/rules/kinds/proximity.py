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
from siting.rules.unknowns import ids_where, listing, located_rows, settle

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


def _no_subjects(rule: Rule, ctx: CheckInputs, what: str) -> RuleResult | None:
    if not ctx.have_subject_data(rule.applies_to):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no {what} data: pass --facilities F.csv (or projects in the scenario)")
    return None


def subjects_and_undetermined(ctx: CheckInputs, applies_to: dict[str, Any]) -> pd.DataFrame:
    """The rows a rule applies to, then those it may apply to; ``applies`` says which ('yes' or 'unknown: <field>')."""
    sure, maybe = ctx.subjects(applies_to), ctx.undetermined(applies_to)
    frame = pd.concat([sure.assign(applies="yes"), maybe.assign(applies="unknown: " + maybe["unknown"].astype(str))],
                      ignore_index=True)
    return frame.drop(columns="unknown") if "unknown" in frame.columns else frame


def hospital_sets(params: dict[str, Any], hospitals: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(counted, uncertain, notes): the located hospitals a proximity rule counts, and those it may count.

    A hospital is *uncertain* when it would count if a missing value were known: it has no
    coordinates, no level (with ``hospital_min_level``) or no category (with ``assume_general``
    false); ``why`` says which. Notes say what was assumed or left out.
    """
    notes: list[str] = []
    assumed = hospitals["category_assumed"].astype(bool).to_numpy()
    cat_ok = hospitals["category"].isin(params.get("hospital_category", ["general"])).to_numpy()
    cat_unknown = np.zeros(len(hospitals), dtype=bool)
    if params.get("assume_general", True):
        if assumed.any():
            notes.append(f"{int(assumed.sum())} hospital(s) had no category; assumed general (综合性医院)")
    else:
        cat_ok, cat_unknown = cat_ok & ~assumed, assumed
    level = hospitals["level"].to_numpy(float)
    level_ok, level_unknown = np.ones(len(hospitals), dtype=bool), np.zeros(len(hospitals), dtype=bool)
    if params.get("hospital_min_level") is not None:
        level_ok, level_unknown = level >= params["hospital_min_level"], np.isnan(level)
    located = located_rows(hospitals)
    sure = cat_ok & level_ok & located
    maybe = (cat_ok | cat_unknown) & (level_ok | level_unknown) & ~sure
    why = [", ".join(w for w, flag in (("no coordinates", not loc), ("category unknown", cu), ("level unknown", lu)) if flag)
           for loc, cu, lu in zip(located, cat_unknown, level_unknown & ~level_ok)]
    uncertain = hospitals[maybe].assign(why=np.asarray(why, dtype=object)[maybe]).reset_index(drop=True)
    if len(uncertain):
        notes.append(f"{len(uncertain)} hospital(s) may count but were not measured to: "
                     + listing(f"{i} ({w})" for i, w in zip(uncertain["id"], uncertain["why"])))
    return hospitals[sure].reset_index(drop=True), uncertain, notes


def _distances(ctx: CheckInputs, subjects: pd.DataFrame, targets: pd.DataFrame, on_network: bool,
               res: RuleResult | None) -> pd.DataFrame:
    """Straight-line (and, with a network, road) km from each located subject to the nearest target."""
    n = len(subjects)
    out = pd.DataFrame({"straight_km": np.full(n, np.nan), "nearest_hospital": [""] * n,
                        "nearest_hospital_category": [""] * n, "nearest_hospital_reason": [""] * n, "network_km": np.nan})
    located = located_rows(subjects)
    if not located.any() or len(targets) == 0:
        return out
    lon, lat = subjects["lon"].to_numpy(float)[located], subjects["lat"].to_numpy(float)[located]
    tlon, tlat = targets["lon"].to_numpy(float), targets["lat"].to_numpy(float)
    names = facility_labels(targets)
    d, which = nearest_straight(lon, lat, tlon, tlat)
    out.loc[located, "straight_km"] = d / 1000.0
    out.loc[located, "nearest_hospital"] = [str(names[w]) for w in which]
    for column, values in nearest_category(targets, which).items():
        out.loc[located, column] = values
    if on_network:
        net = ctx.network(ctx.hospital_mode)
        nn = nearest_network(net, lon, lat, tlon, tlat, weight="length")
        ok = nn["which"].to_numpy() >= 0
        out.loc[located, "network_km"] = np.where(ok, nn["length_m"].to_numpy() / 1000.0, np.inf)
        out.loc[located, "nearest_hospital_network"] = [str(names[w]) if w >= 0 else "" for w in nn["which"]]
        out.loc[located, "snap_m"] = nn["snap_m"].to_numpy()
        far = int((nn["snap_m"].to_numpy() > SNAP_TOLERANCE_M).sum())
        if far and res is not None:
            res.notes.append(f"{far} facility(ies) lie more than {SNAP_TOLERANCE_M:g} m from the nearest road; check their coordinates")
    return out


def _site_status(details: pd.DataFrame, column: str, max_km: float, uncertain: pd.DataFrame,
                 uncertain_km: pd.DataFrame | None) -> tuple[np.ndarray, list[str]]:
    """Per site: True (within), False (beyond) or None (not decidable), and why it is not decidable."""
    judged = details[column].to_numpy(float)
    located = ~np.isnan(details["straight_km"].to_numpy(float)) | ~np.isnan(judged)
    within = judged <= max_km + 1e-9
    unplaced_hospital = bool(len(uncertain)) and not located_rows(uncertain).all()
    near_uncertain = np.zeros(len(details), dtype=bool) if uncertain_km is None else \
        uncertain_km[column].to_numpy(float) <= max_km + 1e-9
    status = np.full(len(details), False, dtype=object)
    status[near_uncertain | unplaced_hospital | ~located] = None
    status[within] = True
    why = ["no coordinates" if not loc else "a hospital that may count is nearer than the limit or has no coordinates"
           if s is None else "" for loc, s in zip(located, status)]
    return status, why


def hospital_proximity(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Every facility in ``applies_to`` must lie within ``max_km`` of a counted hospital.

    Hospitals that may count but cannot be measured to (no coordinates, no level, no category
    when none is assumed) and sites the rule may or may not mean (owner not stated) are listed;
    a site is judged beyond the limit only when no such hospital could be within it.
    """
    p = rule.params
    missing = _no_subjects(rule, ctx, "facility")
    if missing:
        return missing
    hospitals = ctx.all_hospitals()
    if len(hospitals) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no hospitals: pass --hospitals H.csv or add type=hospital rows to the facility file")
    subjects = subjects_and_undetermined(ctx, rule.applies_to)
    sure = (subjects["applies"] == "yes").to_numpy()
    counted, uncertain, notes = hospital_sets(p, hospitals)
    tables = {"hospitals": hospital_table(hospitals, p)}
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", notes=notes, params=dict(p), tables=tables)
    res.figures.update({"facilities_checked": int(sure.sum()), "hospitals_counted": len(counted),
                        "hospitals_assumed_general": int(hospitals["category_assumed"].astype(bool).sum())
                        if p["assume_general"] else 0, "max_km": p["max_km"]})
    if len(uncertain):
        res.figures["hospitals_uncertain"] = len(uncertain)
    if not sure.any():
        maybe = "" if not len(subjects) else f"; {len(subjects)} may ({ids_where(subjects, ~sure)}: {subjects['applies'].iloc[0]})"
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no facility matches applies_to {rule.applies_to} in {ctx.subject_sources(rule.applies_to)}{maybe}",
                          figures=res.figures, notes=res.notes, params=dict(p), tables=tables)
    if len(counted) == 0:
        what = "located " if len(uncertain) else ""
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no {what}hospital of category {', '.join(p['hospital_category'])} among {len(hospitals)} hospital(s)",
                          figures=res.figures, notes=res.notes, params=dict(p), tables=tables)
    details = _judged_details(rule, ctx, subjects, counted, uncertain, res)
    res.details = details
    within = details["within"]
    undecided = within.isna().to_numpy()
    beyond = (within == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712 -- nullable boolean
    judged = details["network_km" if res.figures["judged_on"] == "network" else "straight_km"].to_numpy(float)
    res.figures.update({"within": int((sure & (within == True).fillna(False).to_numpy(dtype=bool)).sum()),  # noqa: E712
                        "beyond": int((sure & beyond).sum()), "not_located": int((sure & ~located_rows(subjects)).sum()),
                        "max_distance_km": float(np.nanmax(judged[sure])) if (sure & ~np.isnan(judged)).any() else float("nan")})
    for i in np.flatnonzero(sure & beyond):
        row = details.iloc[i]
        res.violations.append({
            "id": row["id"], "name": row["name"], "straight_km": round(float(row["straight_km"]), 3),
            "network_km": None if pd.isna(row["network_km"]) else round(float(row["network_km"]), 3),
            "nearest_hospital": row["nearest_hospital"], "nearest_hospital_category": row["nearest_hospital_category"],
            "owner_kind": row["owner_kind"], "location_precision": row["location_precision"],
        })
    _proximity_verdict(res, subjects, sure, undecided, beyond, p["max_km"])
    if res.status == "pass" and p["distance"] == "network" and res.figures["judged_on"] == "straight":
        # A road is never shorter than the straight line: beyond it fails by road too, within it proves nothing.
        res.status = "not_evaluable"
        res.reason = (f"road distance unavailable: {res.figures['within']} site(s) within {p['max_km']} km in a straight "
                      "line may be farther by road; give a road network (siting fetch-osm, or --osm FILE)")
    return res


register(
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
)(hospital_proximity)


def _judged_details(rule: Rule, ctx: CheckInputs, subjects: pd.DataFrame, counted: pd.DataFrame,
                    uncertain: pd.DataFrame, res: RuleResult) -> pd.DataFrame:
    """Per site: distances to the nearest counted hospital (straight and road), ``within`` and why undecided."""
    p = rule.params
    net_ok = bool(ctx.has_network() and ctx.network(ctx.hospital_mode) is not None and located_rows(subjects).any())
    if net_ok:
        res.notes.append(f"road distance on the {ctx.hospital_mode} network, including the snapping legs")
    elif ctx.has_network() and located_rows(subjects).any():
        res.notes.append(f"road distance missing: no {ctx.hospital_mode} network")
    elif ctx.has_network():
        res.notes.append("road distance missing: no facility has coordinates")
    else:
        res.notes.append(f"road distance missing ({ctx.network_reason()}); judged on straight-line distance")
    dist = _distances(ctx, subjects, counted, net_ok, res)
    details = pd.concat([subjects[["id", "name", "type", "owner_kind", "origin", "location_precision", "applies"]],
                         dist], axis=1)
    on_network = p["distance"] == "network" and net_ok
    if p["distance"] == "network" and not net_ok:
        res.notes.append("the pack asks for network distance, which is unavailable; straight-line distance judged instead")
    res.figures["judged_on"] = "network" if on_network else "straight"
    column = "network_km" if on_network else "straight_km"
    measurable = uncertain[located_rows(uncertain)].reset_index(drop=True)
    near = _distances(ctx, subjects, measurable, on_network, None) if len(measurable) else None
    status, why = _site_status(details, column, p["max_km"], uncertain, near)
    details["within"] = pd.array(list(status), dtype="boolean")
    details["undecided"] = why
    precise = subjects["location_precision"].isin(["county_seat", "town", "unknown"]).to_numpy() & located_rows(subjects)
    if precise.any():
        res.notes.append(f"{int(precise.sum())} facility location(s) are approximate (county seat or town centre)")
    return details


def _proximity_verdict(res: RuleResult, subjects: pd.DataFrame, sure: np.ndarray, undecided: np.ndarray,
                       beyond: np.ndarray, max_km: float) -> None:
    """fail on a site surely meant and surely beyond; else not_evaluable while any site could be; else pass."""
    unplaced = sure & ~located_rows(subjects)
    open_sure = sure & undecided & ~unplaced
    open_maybe = ~sure & (undecided | beyond)
    problems = []
    if unplaced.any():
        problems.append(f"{int(unplaced.sum())} of {int(sure.sum())} facilities have no coordinates ({ids_where(subjects, unplaced)})")
    if open_sure.any():
        problems.append(f"{int(open_sure.sum())} facility(ies) are beyond the counted hospitals but a hospital that may "
                        f"count could be within {max_km} km ({ids_where(subjects, open_sure)}): give its coordinates, "
                        "level and category")
    if open_maybe.any():
        items = [f"{i} ({a.removeprefix('unknown: ')} unknown)" for i, a in
                 zip(subjects["id"][open_maybe], subjects["applies"][open_maybe])]
        problems.append(f"{int(open_maybe.sum())} site(s) the rule may apply to are not within {max_km} km of a counted "
                        f"hospital ({listing(items)}): state their owner_kind (or the field named) to judge them")
    within_maybe = ~sure & ~undecided & ~beyond
    if within_maybe.any():
        res.notes.append(f"{int(within_maybe.sum())} site(s) the rule may apply to are within {max_km} km anyway "
                         f"({ids_where(subjects, within_maybe)})")
    settle(res, problems, failed=bool(res.violations))
    if not res.violations and problems and unplaced.any() and len(problems) == 1:
        res.reason += f"; the others are within {max_km} km"


def clinic_partner(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """≥ min_beds: has_clinic must be yes. Below: name the nearest medical institution, with distance and time.

    An institution whose beds are unknown is judged both ways (large and small): it is settled
    only when both agree. Medical institutions without coordinates are listed; while one
    exists, no partner is judged too far.
    """
    p = rule.params
    missing = _no_subjects(rule, ctx, "facility")
    if missing:
        return missing
    subjects = subjects_and_undetermined(ctx, rule.applies_to)
    sure = (subjects["applies"] == "yes").to_numpy()
    if not sure.any():
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no facility matches applies_to {rule.applies_to}", params=dict(p))
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    medical = ctx.medical(p["partner_types"])
    unplaced_medical = medical[~located_rows(medical)]
    medical = medical[located_rows(medical)].reset_index(drop=True)
    details = _partners(ctx, subjects, medical, p["min_beds"], res)
    if len(unplaced_medical):
        res.notes.append(f"{len(unplaced_medical)} medical institution(s) have no coordinates and were not measured to "
                         f"({ids_where(unplaced_medical, np.ones(len(unplaced_medical), bool))})")
    outcome, problem = _clinic_outcomes(p, subjects, details, has_medical=len(medical) > 0,
                                        unplaced_medical=len(unplaced_medical) > 0)
    details["outcome"] = outcome
    res.details = details
    beds = subjects["beds"].to_numpy(float)
    for i in np.flatnonzero(sure & (outcome == "violation")):
        res.violations.append({"id": subjects["id"].iloc[i], "name": subjects["name"].iloc[i], "beds": beds[i],
                               "problem": problem[i], "suggested_partner": details["partner"].iloc[i]})
    large = beds >= p["min_beds"]
    res.figures.update({
        "institutions": int(sure.sum()), f"with_{p['min_beds']:g}_beds_or_more": int((sure & large).sum()),
        "below_threshold": int((sure & (beds < p["min_beds"])).sum()), "beds_unknown": int((sure & np.isnan(beds)).sum()),
        "large_without_clinic": int((sure & large & (subjects["has_clinic"] == False).fillna(False).to_numpy(bool)).sum()),  # noqa: E712
        "large_clinic_unknown": int((sure & large & subjects["has_clinic"].isna().to_numpy()).sum()),
        "medical_institutions": len(medical),
    })
    problems = _clinic_problems(p, subjects, sure, outcome, has_medical=len(medical) > 0)
    settled = sure & np.isnan(beds) & (outcome != "unknown")
    if settled.any():
        res.notes.append(f"beds unknown for {int(settled.sum())} institution(s) ({ids_where(subjects, settled)}), "
                         f"judged as ≥{p['min_beds']:g} beds and as fewer: the same either way")
    settle(res, problems, failed=bool(res.violations))
    return res


register(
    "clinic_partner",
    {
        "min_beds": Param("number", doc="institutions with at least this many beds need an on-site clinic or nursing station"),
        "partner_types": Param("list[str]", ["hospital", "clinic"], doc="facility types that can be the partner"),
        "max_partner_km": Param("number?", None, doc="flag smaller institutions with no partner within this distance"),
    },
    needs=("facilities",),
)(clinic_partner)


def _partners(ctx: CheckInputs, subjects: pd.DataFrame, medical: pd.DataFrame, min_beds: float,
              res: RuleResult) -> pd.DataFrame:
    """Per institution: beds, has_clinic and the nearest medical institution (straight line, or quickest by road)."""
    beds = subjects["beds"].to_numpy(float)
    needs = pd.array([None if np.isnan(b) else bool(b >= min_beds) for b in beds], dtype="boolean")
    details = pd.DataFrame({"id": subjects["id"], "name": subjects["name"], "applies": subjects["applies"], "beds": beds,
                            "has_clinic": subjects["has_clinic"], "needs_clinic": needs})
    located = located_rows(subjects)
    lon, lat = subjects["lon"].to_numpy(float), subjects["lat"].to_numpy(float)
    straight, which = np.full(len(subjects), np.nan), np.full(len(subjects), -1, dtype=np.int64)
    if len(medical) and located.any():
        straight[located], which[located] = nearest_straight(lon[located], lat[located],
                                                             medical["lon"].to_numpy(float), medical["lat"].to_numpy(float))
    names = facility_labels(medical) if len(medical) else np.array([], dtype=object)
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
    return details


def _clinic_outcomes(p: dict[str, Any], subjects: pd.DataFrame, details: pd.DataFrame, *, has_medical: bool,
                     unplaced_medical: bool) -> tuple[np.ndarray, list[str]]:
    """Per institution: 'ok', 'violation' or 'unknown' (judged as large and as small when beds are unknown)."""
    clinic = subjects["has_clinic"]
    as_large = np.where(clinic.isna().to_numpy(), "unknown",
                        np.where(clinic.fillna(False).to_numpy(dtype=bool), "ok", "violation"))
    found = details["partner"].astype(str).to_numpy() != ""
    as_small = np.where(found, "ok", "unknown")
    if p["max_partner_km"] is not None:
        km = details["partner_network_km"].to_numpy(float)
        km = np.where(np.isnan(km), details["partner_straight_km"].to_numpy(float), km)
        far = found & ~(km <= p["max_partner_km"] + 1e-9)
        as_small = np.where(far, "unknown" if unplaced_medical else "violation", as_small)
        if not has_medical:
            as_small = np.full(len(subjects), "unknown")
    beds = subjects["beds"].to_numpy(float)
    outcome = np.where(beds >= p["min_beds"], as_large, np.where(beds < p["min_beds"], as_small,
                       np.where(as_large == as_small, as_large, "unknown")))
    problem = [f"≥{p['min_beds']:g} beds without an on-site clinic or nursing station" if b >= p["min_beds"]
               else f"no medical institution within {p['max_partner_km']:g} km" if p["max_partner_km"] is not None else ""
               for b in beds]
    return outcome.astype(object), problem


def _clinic_problems(p: dict[str, Any], subjects: pd.DataFrame, sure: np.ndarray, outcome: np.ndarray, *,
                     has_medical: bool) -> list[str]:
    """Why institutions are not settled: beds, has_clinic or a partner unknown; rows the rule may mean."""
    beds = subjects["beds"].to_numpy(float)
    open_ = sure & (outcome == "unknown")
    no_beds = open_ & np.isnan(beds)
    clinic_unknown = open_ & (beds >= p["min_beds"]) & subjects["has_clinic"].isna().to_numpy()
    no_partner = open_ & (beds < p["min_beds"])
    problems = []
    if no_beds.any():
        problems.append(f"beds unknown for {int(no_beds.sum())} institution(s) ({ids_where(subjects, no_beds)})")
    if clinic_unknown.any():
        problems.append(f"has_clinic unknown for {int(clinic_unknown.sum())} institution(s) with ≥{p['min_beds']:g} beds "
                        f"({ids_where(subjects, clinic_unknown)}): add a has_clinic column")
    if no_partner.any():
        problems.append(f"no partner found for {int(no_partner.sum())} smaller institution(s)"
                        + (" (no medical institutions: pass --hospitals H.csv)" if not has_medical else
                           " (no coordinates, or a medical institution without coordinates could be nearer)"))
    maybe = ~sure & (outcome != "ok")
    if maybe.any():
        items = [f"{i} ({a.removeprefix('unknown: ')} unknown)" for i, a in
                 zip(subjects["id"][maybe], subjects["applies"][maybe])]
        problems.append(f"{int(maybe.sum())} institution(s) the rule may apply to are not settled ({listing(items)}): "
                        "state their owner_kind (or the field named)")
    return problems
