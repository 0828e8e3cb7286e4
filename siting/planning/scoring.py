"""Score candidate sites: what each one would add on its own, next to the existing facilities.

For every valid row of a candidate table (``id,lon,lat`` and optional ``type``,
``owner_kind``, ``capacity``, ``name``) :func:`score_candidates` reports

- ``gain``: the target group (60+ for elderly care, 0-3 for childcare) within T
  minutes of the candidate and of no existing facility of its kind (the marginal
  coverage gain), and ``covered``, everyone of the group within T of it;
- the distance to the nearest counted (general) hospital, straight line and by road;
- rule compliance: the pack's hospital-proximity rule (Qinzhou A4, 5 km) for the
  candidates it applies to, judged as the rules engine judges it (``hospital_rule``
  names it; ``hospital_rule_applies``, ``hospital_rule_status``, ``hospital_rule_judged_on``);
- accessibility change: the group's population-weighted mean and p90 travel time
  to the nearest facility of its kind, before and after adding the candidate, and,
  when every facility states a capacity, the mean 2SFCA change;
- ``rank``: compliant candidates first (fail last), then by gain, then by mean
  travel-time saving, then by id (the order is total, so the output is deterministic).

Bad rows (missing or non-numeric coordinates, an unknown type, a point outside the
study area or the network) are listed in ``frame.attrs['skipped']`` with file, row,
field and reason, and left out; they never stop the run. What could not be
evaluated (no network, no demand, no hospitals) is null and named in
``frame.attrs['not_evaluated']``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from siting.analysis.coverage import weighted_quantile
from siting.errors import SitingError
from siting.io import json_safe
from siting.planning.candidates import read_candidate_rows, skipped_row
from siting.planning.context import SiteContext, load_context
from siting.planning.hospitals import (
    DISTANCE_COLUMNS,
    counted_hospitals,
    hospital_distances,
    rule_applies,
    verdicts_by_distance,
    with_distance,
)
from siting.planning.kinds import existing_of, group_weights, kind_of
from siting.planning.regions import study_area_polygon
from siting.routing.access import access_legs_s, demand_site_times
from siting.routing.engine import nearest
from siting.routing.snap import snap
from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.inputs.scenario import Scenario
    from siting.network import RoadNetwork
    from siting.rules.rule import Rule

COLUMNS = [
    "rank", "id", "name", "type", "lon", "lat", "group", "minutes", "gain", "covered", "share_gain",
    "mean_min_before", "mean_min_after", "mean_min_change", "p90_min_before", "p90_min_after", "p90_min_change",
    "sfca_change", "hospital_straight_km", "hospital_network_km", "nearest_hospital", "hospital_rule",
    "hospital_rule_applies", "hospital_rule_status", "hospital_rule_judged_on", "compliant", "snap_m",
]
#: The columns :func:`accessibility_columns` fills.
ACCESS_COLUMNS = ["group", "gain", "covered", "share_gain", "mean_min_before", "mean_min_after", "mean_min_change",
                  "p90_min_before", "p90_min_after", "p90_min_change", "sfca_change"]


def score_candidates(
    scenario: str | Path | Scenario,
    candidates: str | Path | pd.DataFrame,
    network: RoadNetwork | None = None,
    *,
    osm: str | Path | None = None,
    hospitals: str | Path | None = None,
    facilities: str | Path | None = None,
    minutes: float | None = None,
    distance: str | None = None,
    default_type: str = "elderly",
) -> pd.DataFrame:
    """Score every candidate of a table against a scenario; one row per valid candidate, ranked.

    Parameters
    ----------
    scenario
        Scenario path or :class:`~siting.inputs.scenario.Scenario` (facilities, hospitals, demand,
        rule pack, network, minutes).
    candidates
        A CSV path (``id,lon,lat`` and optional ``type,name,owner_kind,capacity``) or a DataFrame
        with those columns.
    network
        A built network (for travel and hospital distances); default: the scenario's (or ``osm``).
    minutes
        Threshold T (default: the scenario's ``minutes``).
    distance
        Judge the hospital rule on 'straight_line' or 'network' (default: the rule's own).
    default_type
        Type of rows without one.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, sorted by rank; ``attrs['skipped']`` (file, row, id, field,
        reason), ``attrs['not_evaluated']`` and ``attrs['settings']``.
    """
    site = load_context(scenario, osm=osm, hospitals=hospitals, facilities=facilities, network=network)
    sc, inputs = site.scenario, site.inputs
    rule = with_distance(site.rule, distance)
    T = float(minutes if minutes is not None else sc.minutes)
    if T <= 0:
        raise SitingError(f"minutes must be positive, got {T:g}")
    rows, skipped = read_candidate_rows(candidates, sc.crs, default_type)
    source = rows.attrs["source"]
    net, road = site.network(), site.hospital_network()
    rows, snap_m, node, dropped = _placeable(rows, site, net)
    skipped = sorted(skipped + dropped, key=lambda r: (r["row"], r["field"]))
    not_evaluated = list(site.notes)

    # ---- hospitals and the proximity rule
    hosp = counted_hospitals(rule, inputs)
    distances = hospital_distances(rows["lon"].to_numpy(), rows["lat"].to_numpy(), hosp, road)
    applies, note = _rule_applies(rule, rows)
    not_evaluated += note
    verdicts, notes = verdicts_by_distance(rule, applies, distances, hosp, road)
    not_evaluated += notes

    # ---- coverage and accessibility
    access, notes = _accessibility_or_why(rows, node, site, net, T)
    not_evaluated += notes

    out = pd.concat([rows[["id", "name", "type", "lon", "lat"]].assign(minutes=T), access, distances[DISTANCE_COLUMNS],
                     verdicts], axis=1)
    out["snap_m"] = snap_m
    out["compliant"] = pd.array([None if s == "not_evaluable" else s != "fail" for s in out["hospital_rule_status"]],
                                dtype="boolean")
    out = _ranked(out)[COLUMNS]
    out.attrs["skipped"] = skipped
    out.attrs["not_evaluated"] = list(dict.fromkeys(not_evaluated))
    out.attrs["settings"] = {"scenario": sc.name, "minutes": T, "mode": sc.network.mode if net is not None else None,
                             "hospital_mode": inputs.hospital_mode if road is not None else None,
                             "rule": None if rule is None else rule.id,
                             "distance": None if rule is None else rule.params.get("distance"),
                             "max_km": None if rule is None else rule.params.get("max_km"),
                             "hospitals_counted": int(len(hosp)), "candidates_file": source}
    return out


def _placeable(rows: pd.DataFrame, site: SiteContext,
               net: RoadNetwork | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """(rows kept, their snap distance, their node, rows dropped): inside the study area, near the network."""
    source = rows.attrs["source"]
    dropped: list[dict[str, Any]] = []
    keep = np.ones(len(rows), dtype=bool)
    area = study_area_polygon(site)
    if area is not None and len(rows):
        inside = shapely.contains_xy(area, rows["lon"].to_numpy(), rows["lat"].to_numpy())
        dropped += [skipped_row(source, rows["row"].iloc[i], rows["id"].iloc[i], "lon,lat", "outside the study area")
                    for i in np.flatnonzero(~inside)]
        keep &= inside
    snap_m = np.full(len(rows), np.nan)
    node = np.full(len(rows), -1, dtype=np.int64)
    if net is not None and len(rows):
        s = snap(net, rows["lon"].to_numpy(), rows["lat"].to_numpy(), DEFAULT_SNAP_TOLERANCE_M)
        snap_m, node = s["snap_m"].to_numpy(float), s["node"].to_numpy(np.int64)
        off = s["beyond_tolerance"].to_numpy(bool) & keep
        for i in np.flatnonzero(off):
            what = ("outside the network's extent" if s["outside_extent"].iloc[i]
                    else f"no road within {DEFAULT_SNAP_TOLERANCE_M:g} m")
            dropped.append(skipped_row(source, rows["row"].iloc[i], rows["id"].iloc[i], "lon,lat", what))
        keep &= ~off
    return rows[keep].reset_index(drop=True), snap_m[keep], node[keep], dropped


def _rule_applies(rule: Rule | None, rows: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Candidates the hospital rule applies to; one without ``owner_kind`` counts as government-provided."""
    applies = rule_applies(rule, rows.assign(owner_kind=rows["owner_kind"].replace("", "government")))
    if rule is not None and (rows["owner_kind"] == "").any() and applies.any():
        return applies, [f"{rule.id}: candidates without owner_kind are treated as government-provided "
                         "(the rule then applies to them)"]
    return applies, []


def _ranked(out: pd.DataFrame) -> pd.DataFrame:
    """Rank: compliance (pass/not applicable, then not evaluable, then fail), gain, time saved, id."""
    comp = out["compliant"]
    tier = np.where(comp.isna(), 1, np.where(comp.fillna(False).to_numpy(bool), 0, 2))
    gain = out["gain"].to_numpy(float)
    saved = -out["mean_min_change"].to_numpy(float)
    order = np.lexsort((out["id"].to_numpy(str), -np.nan_to_num(saved, nan=-np.inf),
                        -np.nan_to_num(gain, nan=-np.inf), tier))
    out = out.iloc[order].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def _accessibility_or_why(rows: pd.DataFrame, node: np.ndarray, site: SiteContext, net: RoadNetwork | None,
                          T: float) -> tuple[pd.DataFrame, list[str]]:
    """:func:`accessibility_columns` when there are a network and demand, else NaN figures and the reason."""
    empty = pd.DataFrame({"group": [kind_of(t)[0] for t in rows["type"]]}, index=rows.index)
    for col in ACCESS_COLUMNS[1:]:
        empty[col] = np.nan
    if net is None:
        return empty, [f"coverage gain and accessibility change: {site.inputs.network_reason()}"]
    points, why = site.snapped_demand(net)
    if points is None:
        return empty, [f"coverage gain and accessibility change: {why}"]
    if len(rows) == 0:
        return empty, []
    return accessibility_columns(rows, node, net, points, site, T)


def accessibility_columns(rows: pd.DataFrame, node: np.ndarray, net: RoadNetwork, points: gpd.GeoDataFrame,
                          site: SiteContext, T: float) -> tuple[pd.DataFrame, list[str]]:
    """The :data:`ACCESS_COLUMNS` of each candidate (``type``, ``capacity``; snapped to ``node``), and notes.

    Candidates are measured per target group, next to the existing facilities of the first
    candidate's kind; ``group`` is the group actually counted.
    """
    out = pd.DataFrame({"group": [kind_of(t)[0] for t in rows["type"]]}, index=rows.index)
    notes: list[str] = []
    parts = []
    leg = access_legs_s(net, points)
    for group in sorted(set(out["group"])):
        idx = np.flatnonzero((out["group"] == group).to_numpy())
        _, types, cap_col = kind_of(rows["type"].iloc[idx[0]])
        w, used, note = group_weights(points, group)
        notes += [note] if note else []
        existing = existing_of(site.inputs, types)
        caps = pd.to_numeric(existing.get(cap_col, pd.Series(dtype=float)), errors="coerce").to_numpy(float) \
            if len(existing) else np.zeros(0)
        sfca_ok = len(existing) == 0 or bool(len(caps) and np.isfinite(caps).all())
        if not sfca_ok:
            notes.append(f"2SFCA change for {used}: existing facilities lack '{cap_col}'")
        figures = _group_figures(net, points, leg, w, existing, caps if sfca_ok else None, node[idx],
                                 rows["capacity"].to_numpy(float)[idx], T)
        parts.append(figures.set_axis(rows.index[idx]).assign(group=used))
    return pd.concat(parts).reindex(rows.index)[ACCESS_COLUMNS], notes


def _group_figures(net: RoadNetwork, points: gpd.GeoDataFrame, leg: np.ndarray, w: np.ndarray,
                   existing: pd.DataFrame, caps: np.ndarray | None, nodes: np.ndarray, capacity: np.ndarray,
                   T: float) -> pd.DataFrame:
    """Gain, covered, travel times and 2SFCA change (when ``caps`` is given) of candidates at ``nodes``, one group."""
    pnode = points["node"].to_numpy(np.int64)
    enode = snap(net, existing["lon"].to_numpy(float), existing["lat"].to_numpy(float),
                 DEFAULT_SNAP_TOLERANCE_M)["node"].to_numpy().astype(np.int64) if len(existing) else np.zeros(0, np.int64)
    if len(existing):
        cost, _ = nearest(net, enode, weight="time", reverse=True)
        before = cost[pnode] + leg
    else:
        before = np.full(len(points), np.inf)
    covered_before = before <= T * 60.0
    # Only a point whose trip gets shorter matters: search each candidate as far as the worst current
    # trip, and at least to T so that ``covered`` counts everyone within T of the candidate.
    finite = before[np.isfinite(before)]
    limit = max(float(finite.max()), T * 60.0) if len(finite) == len(before) and len(finite) else np.inf
    pairs = demand_site_times(net, nodes, pnode, leg, limit)
    t, src, pt = pairs["time_s"].to_numpy(float), pairs["site"].to_numpy(np.int64), pairs["point"].to_numpy(np.int64)
    mean_b, p90_b = _mean_p90(before, w)
    total = float(w.sum())
    sfca_before = np.nan
    if caps is not None and np.isfinite(capacity).any():
        sfca_before = _mean_sfca(net, points, leg, w, enode, caps, T) if len(enode) else 0.0
    records = []
    for pos in range(len(nodes)):
        tj = np.full(len(points), np.inf)
        np.minimum.at(tj, pt[src == pos], t[src == pos])
        inside = tj <= T * 60.0
        gain = float(w[inside & ~covered_before].sum())
        mean_a, p90_a = _mean_p90(np.minimum(before, tj), w)
        sfca = np.nan
        if caps is not None and np.isfinite(capacity[pos]):
            sfca = _mean_sfca(net, points, leg, w, np.append(enode, nodes[pos]).astype(np.int64),
                              np.append(caps, capacity[pos]), T) - sfca_before
        records.append({
            "gain": gain, "covered": float(w[inside].sum()), "share_gain": gain / total if total > 0 else np.nan,
            "mean_min_before": mean_b, "mean_min_after": mean_a,
            "mean_min_change": mean_a - mean_b if np.isfinite(mean_a) and np.isfinite(mean_b) else np.nan,
            "p90_min_before": p90_b, "p90_min_after": p90_a,
            "p90_min_change": p90_a - p90_b if np.isfinite(p90_a) and np.isfinite(p90_b) else np.nan,
            "sfca_change": sfca})
    return pd.DataFrame(records)


def _mean_p90(time_s: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Population-weighted mean (over reachable points) and p90 (inf when beyond reach) in minutes."""
    ok = np.isfinite(time_s)
    mean = float(np.average(time_s[ok] / 60.0, weights=w[ok])) if ok.any() and w[ok].sum() > 0 else np.nan
    return mean, weighted_quantile(time_s / 60.0, w, 0.9)


def _mean_sfca(net: RoadNetwork, points: gpd.GeoDataFrame, leg: np.ndarray, w: np.ndarray, nodes: np.ndarray,
               capacity: np.ndarray, T: float) -> float:
    """Population-weighted mean 2SFCA access (capacity per 1,000 within T) of sites at ``nodes``."""
    pairs = demand_site_times(net, nodes, points["node"], leg, T * 60.0)
    j, i = pairs["site"].to_numpy(), pairs["point"].to_numpy()
    demand = np.bincount(j, weights=w[i], minlength=len(nodes))
    ratio = np.where(demand > 0, capacity / np.where(demand > 0, demand, 1.0), 0.0)
    access = np.bincount(i, weights=ratio[j], minlength=len(w)) * 1000.0
    return float(np.average(access, weights=w)) if w.sum() > 0 else np.nan


def score_json(frame: pd.DataFrame) -> dict[str, Any]:
    """The JSON document of ``siting score``: settings, candidates (ranked), skipped rows, not evaluated."""
    records = frame.replace([np.inf, -np.inf], np.nan).astype(object).where(frame.notna(), None)
    return json_safe({"settings": frame.attrs.get("settings", {}),
                      "candidates": records.to_dict(orient="records"),
                      "skipped": frame.attrs.get("skipped", []),
                      "not_evaluated": frame.attrs.get("not_evaluated", [])})
