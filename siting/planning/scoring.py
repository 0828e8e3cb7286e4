"""Score candidate sites: what each one would add on its own, next to the existing facilities.

For every valid row of a candidate table (``id,lon,lat`` and optional ``type``,
``owner_kind``, ``capacity``, ``name``) :func:`score_candidates` reports

- ``gain``: the target group (60+ for elderly care, 0-3 for childcare) within T
  minutes of the candidate and of no existing facility of its kind (the marginal
  coverage gain), and ``covered``, everyone of the group within T of it;
- the distance to the nearest counted (general) hospital, straight line and by road;
- rule compliance: the pack's hospital-proximity rule (Qinzhou A4, 5 km) for the
  candidates it applies to, judged as the rules engine judges it;
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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.errors import SitingError
from siting.planning.place import (
    DEFAULT_SNAP_TOLERANCE_M,
    KINDS,
    counted_hospitals,
    existing_of,
    group_weights,
    hospital_distances,
    kind_of,
    load_context,
    rule_applies,
    snapped_demand,
    with_distance,
)
from siting.routing.access import access_legs_s, demand_site_times

if TYPE_CHECKING:
    from siting.inputs.scenario import Scenario
    from siting.network import RoadNetwork

COLUMNS = [
    "rank", "id", "name", "type", "lon", "lat", "group", "minutes", "gain", "covered", "share_gain",
    "mean_min_before", "mean_min_after", "mean_min_change", "p90_min_before", "p90_min_after", "p90_min_change",
    "sfca_change", "hospital_straight_km", "hospital_network_km", "nearest_hospital", "a4_applies", "a4_status",
    "a4_judged_on", "compliant", "snap_m",
]


def _skip(skipped: list[dict[str, Any]], source: str, row: int, cid: str, field: str, reason: str) -> None:
    skipped.append({"file": source, "row": int(row), "id": cid, "field": field, "reason": reason})


def read_candidate_rows(candidates: str | Path | pd.DataFrame, crs: str = "wgs84",
                        default_type: str = "elderly") -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Valid candidate rows (``row`` = 1-based data row kept) and the skipped ones with file, row, field, reason."""
    from siting.io import read_table
    from siting.planning.candidates import validate_candidates

    skipped: list[dict[str, Any]] = []
    if isinstance(candidates, pd.DataFrame):
        source = str(candidates.attrs.get("source", "candidates"))
        raw = candidates.reset_index(drop=True).astype(str)
        import tempfile

        from siting.io import write_csv

        with tempfile.TemporaryDirectory() as tmp:
            path = write_csv(Path(tmp) / "candidates.csv", raw)
            good, bad = validate_candidates(path, crs=crs)
    else:
        source = str(candidates)
        raw = read_table(Path(candidates), "candidate file")
        good, bad = validate_candidates(candidates, crs=crs)
    for r in bad.to_dict(orient="records"):
        _skip(skipped, source, r["row"], r["id"], r["field"], r["problem"])
    bad_rows = set(bad["row"].astype(int))
    kept = np.array([i + 1 for i in range(len(raw)) if i + 1 not in bad_rows], dtype=int)
    out = pd.DataFrame({"row": kept, "id": good["id"].astype(str).to_numpy(),
                        "lon": good.geometry.x.to_numpy(), "lat": good.geometry.y.to_numpy()})
    for col in ("name", "type", "owner", "owner_kind", "capacity"):
        if col == "capacity" and "capacity" in good.columns:
            out[col] = good["capacity"].to_numpy(float)
        elif col in raw.columns:
            out[col] = raw[col].iloc[kept - 1].astype(str).str.strip().to_numpy()
        else:
            out[col] = np.nan if col == "capacity" else ""
    out["type"] = out["type"].str.lower().replace("", default_type)
    unknown = ~out["type"].isin(list(KINDS))
    for i in np.flatnonzero(unknown.to_numpy()):
        _skip(skipped, source, out["row"].iloc[i], out["id"].iloc[i], "type",
              f"unknown type '{out['type'].iloc[i]}': use one of {', '.join(KINDS)}")
    out = out[~unknown.to_numpy()].reset_index(drop=True)
    out.attrs["source"] = source
    return out, skipped


def _area(site: Any) -> Any:
    """The study-area polygon (study_area boundaries, its adcode feature or the city row), or None."""
    sa = site.scenario.study_area
    if sa.boundaries is None or not sa.boundaries.exists():
        return None
    b = gpd.read_file(sa.boundaries).to_crs(4326)
    if sa.adcode and "adcode" in b.columns:
        hit = b[b["adcode"].astype(str) == str(sa.adcode)]
        if len(hit):
            b = hit
    geom = b.geometry.union_all()
    return geom if sa.buffer_m <= 0 else geom.buffer(0)  # buffer_m is applied by the fetcher, not here


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
    sc, ctx = site.scenario, site.inputs
    rule = with_distance(site.rule, distance)
    T = float(minutes if minutes is not None else sc.minutes)
    if T <= 0:
        raise SitingError(f"minutes must be positive, got {T:g}")
    rows, skipped = read_candidate_rows(candidates, sc.crs, default_type)
    source = rows.attrs["source"]
    not_evaluated = list(site.notes)
    net = site.network()
    road = site.hospital_network()

    # outside the area: the study-area polygon, else the network (beyond the snap tolerance)
    area = _area(site)
    keep = np.ones(len(rows), dtype=bool)
    if area is not None and len(rows):
        inside = shapely.contains_xy(area, rows["lon"].to_numpy(), rows["lat"].to_numpy())
        for i in np.flatnonzero(~inside):
            _skip(skipped, source, rows["row"].iloc[i], rows["id"].iloc[i], "lon,lat", "outside the study area")
        keep &= inside
    snap_m = np.full(len(rows), np.nan)
    node = np.full(len(rows), -1, dtype=np.int64)
    if net is not None and len(rows):
        from siting.routing.snap import snap

        s = snap(net, rows["lon"].to_numpy(), rows["lat"].to_numpy(), DEFAULT_SNAP_TOLERANCE_M)
        snap_m, node = s["snap_m"].to_numpy(float), s["node"].to_numpy(np.int64)
        off = s["beyond_tolerance"].to_numpy(bool) & keep
        for i in np.flatnonzero(off):
            what = "outside the network's extent" if s["outside_extent"].iloc[i] else f"no road within {DEFAULT_SNAP_TOLERANCE_M:g} m"
            _skip(skipped, source, rows["row"].iloc[i], rows["id"].iloc[i], "lon,lat", what)
        keep &= ~off
    rows, snap_m, node = rows[keep].reset_index(drop=True), snap_m[keep], node[keep]
    skipped.sort(key=lambda r: (r["row"], r["field"]))

    out = pd.DataFrame({"id": rows["id"], "name": rows["name"], "type": rows["type"],
                        "lon": rows["lon"], "lat": rows["lat"], "minutes": T, "snap_m": snap_m})
    out["group"] = [kind_of(t)[0] for t in rows["type"]]
    for col in COLUMNS:
        if col not in out.columns:
            out[col] = np.nan

    # ---- hospitals and the proximity rule
    hosp = counted_hospitals(rule, ctx)
    if len(rows) and len(hosp):
        d = hospital_distances(rows["lon"].to_numpy(), rows["lat"].to_numpy(), hosp, road)
        for col in d.columns:
            out[col] = d[col].to_numpy()
    else:
        out["nearest_hospital"] = ""
    if rule is None:
        out["a4_applies"] = False
    else:
        probe = rows.assign(owner_kind=rows["owner_kind"].replace("", "government"))
        out["a4_applies"] = rule_applies(rule, probe)
        if (rows["owner_kind"] == "").any() and out["a4_applies"].any():
            not_evaluated.append(f"{rule.id}: candidates without owner_kind are treated as government-provided "
                                 "(the rule then applies to them)")
    out["a4_status"] = np.where(out["a4_applies"].astype(bool), "not_evaluable", "not_applicable")
    out["a4_judged_on"] = ""
    if rule is not None and out["a4_applies"].astype(bool).any():
        if len(hosp) == 0:
            not_evaluated.append(f"{rule.id}: no located general hospital; pass --hospitals H.csv")
        else:
            use_road = rule.params.get("distance") == "network" and road is not None
            if rule.params.get("distance") == "network" and road is None:
                not_evaluated.append(f"{rule.id}: road distance needs a network; judged on straight line")
            col = "hospital_network_km" if use_road else "hospital_straight_km"
            ok = out[col].to_numpy(float) <= float(rule.params["max_km"]) + 1e-9
            app = out["a4_applies"].to_numpy(bool)
            out.loc[app, "a4_status"] = np.where(ok[app], "pass", "fail")
            out.loc[app, "a4_judged_on"] = col.replace("hospital_", "").replace("_km", "")
    out["compliant"] = pd.array([None if s == "not_evaluable" else s != "fail" for s in out["a4_status"]],
                                dtype="boolean")

    # ---- coverage and accessibility
    if net is None:
        not_evaluated.append(f"coverage gain and accessibility change: {ctx.network_reason()}")
    else:
        points, why = snapped_demand(site, net)
        if points is None:
            not_evaluated.append(f"coverage gain and accessibility change: {why}")
        elif len(rows):
            notes = _accessibility(out, rows, node, net, points, site, T)
            not_evaluated += notes

    # ---- rank: compliance (pass/not applicable, then not evaluable, then fail), gain, time saved, id
    comp = out["compliant"]
    tier = np.where(comp.isna(), 1, np.where(comp.fillna(False).to_numpy(bool), 0, 2))
    gain = out["gain"].to_numpy(float)
    saved = -out["mean_min_change"].to_numpy(float)
    order = np.lexsort((out["id"].to_numpy(str), -np.nan_to_num(saved, nan=-np.inf),
                        -np.nan_to_num(gain, nan=-np.inf), tier))
    out = out.iloc[order].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out = out[COLUMNS]
    out.attrs["skipped"] = skipped
    out.attrs["not_evaluated"] = list(dict.fromkeys(not_evaluated))
    out.attrs["settings"] = {"scenario": sc.name, "minutes": T, "mode": sc.network.mode if net is not None else None,
                             "hospital_mode": ctx.hospital_mode if road is not None else None,
                             "rule": None if rule is None else rule.id,
                             "distance": None if rule is None else rule.params.get("distance"),
                             "max_km": None if rule is None else rule.params.get("max_km"),
                             "hospitals_counted": int(len(hosp)), "candidates_file": source}
    return out


def _accessibility(out: pd.DataFrame, rows: pd.DataFrame, node: np.ndarray, net: RoadNetwork,
                   points: gpd.GeoDataFrame, site: Any, T: float) -> list[str]:
    """Fill gain, covered, travel-time and 2SFCA changes per candidate; return notes on what was not evaluated."""
    from siting.routing.engine import nearest
    from siting.routing.snap import snap

    notes: list[str] = []
    leg = access_legs_s(net, points)
    pnode = points["node"].to_numpy(np.int64)
    for group in sorted(set(out["group"])):
        idx = np.flatnonzero((out["group"] == group).to_numpy())
        _, types, cap_col = kind_of(out["type"].iloc[idx[0]])
        w, used, note = group_weights(points, group)
        if note:
            notes.append(note)
        out.loc[idx, "group"] = used
        total = float(w.sum())
        existing = existing_of(site.inputs, types)
        if len(existing):
            enode = snap(net, existing["lon"].to_numpy(float), existing["lat"].to_numpy(float), DEFAULT_SNAP_TOLERANCE_M)["node"].to_numpy()
            cost, _ = nearest(net, enode.astype(np.int64), weight="time", reverse=True)
            before = cost[pnode] + leg
        else:
            before = np.full(len(points), np.inf)
        covered_before = before <= T * 60.0
        # Only a point whose trip gets shorter matters: search each candidate as far as the worst current
        # trip, and at least to T so that ``covered`` counts everyone within T of the candidate.
        finite = before[np.isfinite(before)]
        limit = max(float(finite.max()), T * 60.0) if len(finite) == len(before) and len(finite) else np.inf
        pairs = demand_site_times(net, node[idx], pnode, leg, limit)
        t = pairs["time_s"].to_numpy(float)
        src = pairs["site"].to_numpy(np.int64)
        pt = pairs["point"].to_numpy(np.int64)
        mean_b, p90_b = _mean_p90(before, w)
        # 2SFCA change: needs a capacity on every existing facility and on the candidate.
        caps_e = pd.to_numeric(existing.get(cap_col, pd.Series(dtype=float)), errors="coerce").to_numpy(float) \
            if len(existing) else np.zeros(0)
        sfca_ok = len(existing) == 0 or (len(caps_e) and np.isfinite(caps_e).all())
        if not sfca_ok:
            notes.append(f"2SFCA change for {used}: existing facilities lack '{cap_col}'")
        for pos, j in enumerate(idx):
            sel = src == pos
            tj = np.full(len(points), np.inf)
            np.minimum.at(tj, pt[sel], t[sel])
            inside = tj <= T * 60.0
            out.loc[j, "covered"] = float(w[inside].sum())
            out.loc[j, "gain"] = float(w[inside & ~covered_before].sum())
            out.loc[j, "share_gain"] = float(w[inside & ~covered_before].sum()) / total if total > 0 else np.nan
            after = np.minimum(before, tj)
            mean_a, p90_a = _mean_p90(after, w)
            out.loc[j, ["mean_min_before", "mean_min_after", "p90_min_before", "p90_min_after"]] = \
                [mean_b, mean_a, p90_b, p90_a]
            out.loc[j, "mean_min_change"] = mean_a - mean_b if np.isfinite(mean_a) and np.isfinite(mean_b) else np.nan
            out.loc[j, "p90_min_change"] = p90_a - p90_b if np.isfinite(p90_a) and np.isfinite(p90_b) else np.nan
            cap = float(rows["capacity"].iloc[j]) if np.isfinite(rows["capacity"].iloc[j]) else np.nan
            if sfca_ok and np.isfinite(cap):
                out.loc[j, "sfca_change"] = _sfca_gain(net, existing, caps_e, cap, int(node[j]), points, w, T)
    return notes


def _mean_p90(time_s: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Population-weighted mean (over reachable points) and p90 (inf when beyond reach) in minutes."""
    from siting.analysis.coverage import weighted_quantile

    ok = np.isfinite(time_s)
    mean = float(np.average(time_s[ok] / 60.0, weights=w[ok])) if ok.any() and w[ok].sum() > 0 else np.nan
    return mean, weighted_quantile(time_s / 60.0, w, 0.9)


def _sfca_gain(net: RoadNetwork, existing: pd.DataFrame, caps: np.ndarray, cap: float, cnode: int,
               points: gpd.GeoDataFrame, w: np.ndarray, T: float) -> float:
    """Change of the population-weighted mean 2SFCA access (capacity per 1,000) when the candidate is added."""
    from siting.routing.snap import snap

    enode = snap(net, existing["lon"].to_numpy(float), existing["lat"].to_numpy(float),
                 DEFAULT_SNAP_TOLERANCE_M)["node"].to_numpy() if len(existing) else np.zeros(0, np.int64)

    def mean_access(nodes: np.ndarray, capacity: np.ndarray) -> float:
        pairs = demand_site_times(net, nodes, points["node"], access_legs_s(net, points), T * 60.0)
        j, i = pairs["site"].to_numpy(), pairs["point"].to_numpy()
        demand = np.bincount(j, weights=w[i], minlength=len(nodes))
        ratio = np.where(demand > 0, capacity / np.where(demand > 0, demand, 1.0), 0.0)
        access = np.bincount(i, weights=ratio[j], minlength=len(w)) * 1000.0
        return float(np.average(access, weights=w)) if w.sum() > 0 else np.nan

    before = mean_access(enode.astype(np.int64), caps) if len(enode) else 0.0
    after = mean_access(np.append(enode, cnode).astype(np.int64), np.append(caps, cap))
    return after - before


def score_json(frame: pd.DataFrame) -> dict[str, Any]:
    """The JSON document of ``siting score``: settings, candidates (ranked), skipped rows, not evaluated."""
    from siting.io import json_safe

    records = frame.replace([np.inf, -np.inf], np.nan).astype(object).where(frame.notna(), None)
    return json_safe({"settings": frame.attrs.get("settings", {}),
                      "candidates": records.to_dict(orient="records"),
                      "skipped": frame.attrs.get("skipped", []),
                      "not_evaluated": frame.attrs.get("not_evaluated", [])})
