"""Coverage scores of 15-minute service circles: who is inside, who is not, and how fair it is.

For one facility type, one target group and one or more thresholds:

- the population (of the group) within T minutes of the nearest facility, and its share,
  overall and per unit (district, town, community);
- the population-weighted travel-time distribution (median, p90);
- the uncovered demand points (the gap map);
- capacity-aware accessibility by the two-step floating catchment area method
  (2SFCA, Luo & Wang 2003), optionally with Gaussian distance decay (Dai 2010),
  using beds (elderly care) or places (childcare);
- equity: a Gini index and Lorenz curve of access across demand points, the
  shares of the 60+ and 0-3 groups beyond T, and the worst-served units.

Travel time is measured from each demand point *to* the facility (a reversed
search on directed networks): the walk from the point to its snapped node at
walking speed (``access_legs``), plus the network time from that node to the
nearest facility's node. All travel times come from one multi-source search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.analysis.demand import GROUP_COLUMNS, group_column, group_name, snap_demand
from siting.errors import InputError, SitingError
from siting.routing.access import access_legs_s, demand_site_times
from siting.routing.engine import nearest
from siting.units import DEFAULT_SNAP_TOLERANCE_M, parse_minutes

if TYPE_CHECKING:
    from siting.network import RoadNetwork

#: Capacity column used by default per facility type.
CAPACITY_COLUMNS: dict[str, str] = {"elderly": "beds", "childcare": "places"}
DECAYS: tuple[str, ...] = ("none", "gaussian")


@dataclass
class CoverageResult:
    """Coverage of one facility type for one target group.

    Attributes
    ----------
    summary
        One row per threshold: ``minutes, population, covered, share, uncovered``.
    per_unit
        One row per unit and threshold: ``unit, minutes, population, covered, share``.
    points
        The demand points with ``time_min`` (``inf`` when unreachable),
        ``facility_id`` of the nearest facility, ``covered_<T>`` flags and ``access``.
    uncovered
        Demand points beyond the largest threshold (the gap layer).
    sfca
        Per facility: ``facility_id, capacity, demand_in_catchment, ratio_per_1000``
        (None when the facilities have no capacity).
    """

    facility_type: str
    group: str
    minutes: list[float]
    mode: str
    summary: pd.DataFrame
    per_unit: pd.DataFrame
    points: gpd.GeoDataFrame
    uncovered: gpd.GeoDataFrame
    distribution: dict[str, Any]
    sfca: pd.DataFrame | None
    equity: dict[str, Any]
    facilities: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def entries(self) -> list[dict[str, Any]]:
        """``{facility_type, group, minutes, population, covered, share}`` per threshold."""
        return [
            {
                "facility_type": self.facility_type,
                "group": self.group,
                "minutes": float(r["minutes"]),
                "population": round(float(r["population"]), 1),
                "covered": round(float(r["covered"]), 1),
                "share": round(float(r["share"]), 4) if np.isfinite(float(r["share"])) else None,
            }
            for r in self.summary.to_dict("records")
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the detail lives in the frames)."""
        return {
            "facility_type": self.facility_type,
            "group": self.group,
            "mode": self.mode,
            "minutes": self.minutes,
            "facilities": int(len(self.facilities)),
            "demand_points": int(len(self.points)),
            "coverage": self.entries(),
            "travel_time_min": self.distribution,
            "uncovered_points": int(len(self.uncovered)),
            "equity": self.equity,
            "sfca": None if self.sfca is None else {
                "facilities": int(len(self.sfca)),
                "capacity": float(self.sfca["capacity"].sum()),
                "mean_access_per_1000": self.equity.get("mean_access_per_1000"),
            },
            "warnings": self.warnings,
        }


def select_facilities(facilities: pd.DataFrame, facility_type: str) -> pd.DataFrame:
    """Rows of one type; a clear error listing the types present when there are none."""
    if "type" not in facilities.columns:
        raise InputError("the facilities have no 'type' column", path=facilities.attrs.get("source"))
    types = facilities["type"].astype(str).str.strip().str.lower()
    chosen = facilities[types == facility_type.strip().lower()]
    if chosen.empty:
        counts = types.value_counts()
        found = ", ".join(f"{t} ({n})" for t, n in counts.items()) or "none"
        raise InputError(
            f"no facilities of type '{facility_type}'; types in the file: {found}",
            path=facilities.attrs.get("source"), field="type",
            hint="Pick one of the types present, or add rows of this type",
        )
    return chosen.reset_index(drop=True)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches ``q`` of the total (inf allowed)."""
    w = np.asarray(weights, float)
    if len(values) == 0 or w.sum() <= 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(w[order])
    i = int(np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1]))
    return float(np.asarray(values, float)[order][min(i, len(values) - 1)])


def lorenz(values: np.ndarray, weights: np.ndarray, n_points: int = 21) -> tuple[float, list[list[float]]]:
    """Population-weighted Gini index and Lorenz curve of ``values``.

    Returns
    -------
    (gini, curve)
        ``gini`` in 0..1 (NaN when the total is 0); ``curve`` is ``n_points``
        pairs ``[population share, access share]`` from [0, 0] to [1, 1].
    """
    x = np.asarray(values, float)
    w = np.asarray(weights, float)
    keep = w > 0
    x, w = x[keep], w[keep]
    total = float((x * w).sum())
    if len(x) == 0 or total <= 0:
        return float("nan"), []
    order = np.argsort(x, kind="stable")
    cx = np.concatenate([[0.0], np.cumsum(w[order]) / w.sum()])
    cy = np.concatenate([[0.0], np.cumsum((x * w)[order]) / total])
    gini = float(1.0 - np.sum(np.diff(cx) * (cy[1:] + cy[:-1])))
    grid = np.linspace(0.0, 1.0, n_points)
    curve = [[round(float(p), 4), round(float(a), 4)] for p, a in zip(grid, np.interp(grid, cx, cy))]
    return gini, curve


def decay_weights(time_s: np.ndarray, limit_s: float, decay: str) -> np.ndarray:
    """Catchment weights: 1 inside the limit ('none'), or Gaussian decay falling to 0 at the limit."""
    t = np.asarray(time_s, float)
    inside = t <= limit_s
    if decay == "none":
        return inside.astype(float)
    if decay == "gaussian":
        edge = np.exp(-0.5)
        w = (np.exp(-0.5 * (t / limit_s) ** 2) - edge) / (1.0 - edge)
        return np.where(inside, w, 0.0)
    raise SitingError(f"unknown decay '{decay}': use {', '.join(DECAYS)}")


def _capacity(chosen: pd.DataFrame, facility_type: str, column: str | None) -> tuple[np.ndarray | None, str | None, str | None]:
    column = column or CAPACITY_COLUMNS.get(facility_type.strip().lower())
    if column is None:
        return None, None, None  # a type without a default capacity (e.g. hospitals): no 2SFCA
    if column not in chosen.columns:
        return None, column, f"no capacity column '{column}' for '{facility_type}': 2SFCA skipped"
    values = pd.to_numeric(chosen[column], errors="coerce").to_numpy(float)
    if np.isnan(values).all():
        return None, column, f"no facility of type '{facility_type}' states '{column}': 2SFCA skipped"
    missing = np.isnan(values)
    if missing.any():
        # Coverage itself does not need capacities: report the gap instead of failing.
        ids = ", ".join(chosen["id"].astype(str)[missing].tolist()[:10])
        return None, column, (
            f"'{column}' is missing for {int(missing.sum())} of {len(values)} '{facility_type}' facilities "
            f"({ids}): 2SFCA skipped; give every facility a capacity to compute it"
        )
    if (values < 0).any():
        raise InputError(f"negative '{column}'", path=chosen.attrs.get("source"), field=column)
    return values, column, None


def coverage(
    net: RoadNetwork,
    demand: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    facility_type: str,
    group: str = "all",
    minutes: Sequence[float] = (15.0,),
    *,
    capacity_column: str | None = None,
    decay: str = "none",
    access_legs: bool = True,
    tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    worst_units: int = 5,
    threads: int | None = None,
) -> CoverageResult:
    """Coverage of ``group`` by facilities of ``facility_type`` within each of ``minutes``.

    Parameters
    ----------
    net
        The network (its mode sets the travel mode).
    demand
        Demand points (:mod:`siting.analysis.demand`), with ``population`` and the group
        column; snapped here when they have no ``node`` column.
    facilities
        Facility table (:func:`siting.inputs.facilities.read_facilities`): ``id``, ``type``,
        ``lon``, ``lat`` and capacity columns.
    facility_type
        E.g. 'elderly', 'childcare', 'hospital'.
    group
        'all', '60+' or '0-3'.
    minutes
        Thresholds in minutes.
    capacity_column
        Capacity for 2SFCA (default 'beds' for elderly, 'places' for childcare).
    decay
        2SFCA catchment weighting: 'none' or 'gaussian'.
    access_legs
        Add the walk from each demand point to its snapped node.
    tolerance_m
        Snap tolerance (far points are flagged in the warnings, never dropped).
    worst_units
        How many worst-served units to list.
    threads
        Worker threads of the catchment search (default: every core).
    """
    mins = parse_minutes(list(minutes))
    gname = group_name(group)
    gcol = group_column(group)
    if gcol not in demand.columns:
        where = f"{demand.attrs['source']}: " if demand.attrs.get("source") else ""
        raise SitingError(
            f"{where}the demand has no column for group {gname} ('{gcol}'): give the group's share "
            "(e.g. --share-60plus 0.1577) or a demand file with that column"
        )
    if decay not in DECAYS:
        raise SitingError(f"unknown decay '{decay}': use {', '.join(DECAYS)}")
    chosen, points, warnings = _snapped(net, demand, facilities, facility_type, tolerance_m)
    pop = _group_population(points, gcol)
    leg_s = access_legs_s(net, points, access_legs)
    fac_nodes = chosen["node"].to_numpy(np.int64)
    cost, which = nearest(net, fac_nodes, weight="time", reverse=True)
    node = points["node"].to_numpy(np.int64)
    time_s = cost[node] + leg_s
    nearest_pos = which[node]
    points["time_min"] = time_s / 60.0
    ids = chosen["id"].astype(str).to_numpy()
    points["facility_id"] = np.where(nearest_pos >= 0, ids[np.maximum(nearest_pos, 0)], "")
    for m in mins:
        points[f"covered_{m:g}"] = time_s <= m * 60.0
    summary = _summary(pop, time_s, mins)
    per_unit = _per_unit(points, pop, time_s, mins)

    # Catchments of the largest threshold, for 2SFCA and the opportunity count.
    limit = mins[-1] * 60.0
    pairs = demand_site_times(net, fac_nodes, node, leg_s, limit, threads=threads)
    capacity, cap_col, note = _capacity(chosen, facility_type, capacity_column)
    if note:
        warnings.append(note)
    access, sfca = _accessibility(pairs, decay_weights(pairs["time_s"].to_numpy(), limit, decay), pop, capacity, ids)
    points["access"] = access
    measure = (f"2SFCA {cap_col} per 1,000 {gname} (decay {decay})" if capacity is not None
               else f"facilities within {mins[-1]:g} min (decay {decay})")
    equity = _equity(points, pop, time_s, mins, per_unit, measure, worst_units)
    if capacity is not None:
        equity["mean_access_per_1000"] = _num(float(np.average(points["access"], weights=pop)) if pop.sum() > 0 else float("nan"))
    return CoverageResult(
        facility_type=facility_type, group=gname, minutes=mins, mode=net.mode, summary=summary,
        per_unit=per_unit, points=points, uncovered=points[time_s > limit].copy(),
        distribution=_distribution(time_s, pop), sfca=sfca, equity=equity, facilities=chosen, warnings=warnings,
    )


def _snapped(net: RoadNetwork, demand: gpd.GeoDataFrame, facilities: pd.DataFrame, facility_type: str,
             tolerance_m: float) -> tuple[pd.DataFrame, gpd.GeoDataFrame, list[str]]:
    """The facilities of the type and the demand points, snapped (far points flagged in the warnings)."""
    from siting.routing.snap import describe_problems, require_located, snap, unlocated

    chosen = select_facilities(facilities, facility_type)
    chosen.attrs.update(facilities.attrs)
    warnings: list[str] = []
    nowhere = unlocated(chosen["lon"].to_numpy(float), chosen["lat"].to_numpy(float))
    if nowhere.all():
        require_located(chosen, f"facility of type '{facility_type}'")
    if nowhere.any():
        # A facility without coordinates covers nobody we can measure: left out, and said so.
        ids = chosen["id"].astype(str)[nowhere].tolist()
        warnings.append(f"facilities: {len(ids)} without coordinates not counted: {', '.join(ids[:10])}"
                        + (" ..." if len(ids) > 10 else ""))
        chosen = chosen[~nowhere].reset_index(drop=True)
        chosen.attrs.update(facilities.attrs)
    fsnap = snap(net, chosen["lon"].to_numpy(float), chosen["lat"].to_numpy(float), tolerance_m)
    chosen = chosen.assign(node=fsnap["node"].to_numpy(), snap_m=fsnap["snap_m"].to_numpy())
    warnings += [f"facilities: {w}" for w in describe_problems(pd.concat([chosen[["id"]], fsnap], axis=1))]
    snapped_already = "node" in demand.columns and "snap_m" in demand.columns
    points = (demand if snapped_already else snap_demand(net, demand, tolerance_m)).copy()
    if (points["node"].to_numpy() < 0).any():
        named = points.assign(id=points["demand_id"]) if "demand_id" in points.columns else points
        named.attrs["source"] = demand.attrs.get("source")
        require_located(named, "demand point", "id")
    if "swapped" in points.columns:
        warnings += [f"demand points: {w}" for w in describe_problems(
            points.assign(id=points["demand_id"]) if "demand_id" in points.columns else points)]
    return chosen, points, warnings


def _group_population(points: pd.DataFrame, column: str) -> np.ndarray:
    """The group's population per point; a missing or negative value is a located error."""
    pop = points[column].to_numpy(float)
    if (~np.isfinite(pop)).any() or (pop < 0).any():
        bad = int(np.flatnonzero(~np.isfinite(pop) | (pop < 0))[0])
        raise InputError(f"demand point {bad + 1} has a missing or negative '{column}' ({pop[bad]!r})",
                         row=bad + 1, field=column)
    return pop


def _summary(pop: np.ndarray, time_s: np.ndarray, mins: list[float]) -> pd.DataFrame:
    """Population, covered, share and uncovered per threshold."""
    rows = []
    for m in mins:
        covered = time_s <= m * 60.0
        total, inside = float(pop.sum()), float(pop[covered].sum())
        rows.append({"minutes": m, "population": total, "covered": inside,
                     "share": inside / total if total > 0 else float("nan"), "uncovered": total - inside})
    return pd.DataFrame(rows)


def _distribution(time_s: np.ndarray, pop: np.ndarray) -> dict[str, Any]:
    """Population-weighted travel-time median, p90 and mean (minutes), and who cannot reach any facility."""
    finite = np.isfinite(time_s)
    return {
        "median": _num(weighted_quantile(time_s / 60.0, pop, 0.5)),
        "p90": _num(weighted_quantile(time_s / 60.0, pop, 0.9)),
        "mean_reachable": _num(float(np.average(time_s[finite] / 60.0, weights=pop[finite]))
                               if pop[finite].sum() > 0 else float("nan")),
        "unreachable_population": float(pop[~finite].sum()),
    }


def _accessibility(pairs: pd.DataFrame, w: np.ndarray, pop: np.ndarray, capacity: np.ndarray | None,
                   ids: np.ndarray) -> tuple[np.ndarray, pd.DataFrame | None]:
    """Access per demand point: 2SFCA capacity per 1,000 with capacities, else the (decayed) count of
    facilities within the catchment; and the per-facility 2SFCA table."""
    j = pairs["site"].to_numpy(np.int64)
    i = pairs["point"].to_numpy(np.int64)
    if capacity is None:
        return np.bincount(i, weights=w, minlength=len(pop)), None
    demand_j = np.bincount(j, weights=w * pop[i], minlength=len(ids))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand_j > 0, capacity / demand_j, 0.0)
    access = np.bincount(i, weights=w * ratio[j], minlength=len(pop))
    sfca = pd.DataFrame({"facility_id": ids, "capacity": capacity, "demand_in_catchment": demand_j,
                         "ratio_per_1000": ratio * 1000.0})
    return access * 1000.0, sfca


def _equity(points: pd.DataFrame, pop: np.ndarray, time_s: np.ndarray, mins: list[float], per_unit: pd.DataFrame,
            measure: str, worst_units: int) -> dict[str, Any]:
    """Gini and Lorenz curve of access, each group's share beyond each threshold, the worst-served units."""
    gini, curve = lorenz(points["access"].to_numpy(float), pop)
    beyond = {}
    for g, col in GROUP_COLUMNS.items():
        if col in points.columns:
            gp = points[col].to_numpy(float)
            beyond[g] = {f"{m:g}": _num(float(gp[time_s > m * 60.0].sum() / gp.sum()) if gp.sum() > 0 else float("nan"))
                         for m in mins}
    last = per_unit[per_unit["minutes"] == mins[-1]] if len(per_unit) else per_unit
    worst = last[last["population"] > 0].sort_values(["share", "population"], ascending=[True, False]).head(worst_units)
    return {
        "measure": measure,
        "gini": _num(gini),
        "lorenz": curve,
        "share_beyond": beyond,
        "worst_units": [{"unit": r["unit"], "population": round(float(r["population"]), 1),
                         "share": _num(float(r["share"]))} for r in worst.to_dict("records")],
    }


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def _per_unit(points: pd.DataFrame, pop: np.ndarray, time_s: np.ndarray, mins: list[float]) -> pd.DataFrame:
    units = points["unit"].astype(str).to_numpy() if "unit" in points.columns else np.array([""])
    if (units == "").all():
        return pd.DataFrame(columns=["unit", "minutes", "population", "covered", "share"])
    frames = []
    for m in mins:
        covered = np.where(time_s <= m * 60.0, pop, 0.0)
        f = pd.DataFrame({"unit": units, "population": pop, "covered": covered}).groupby("unit", sort=True).sum()
        f["share"] = np.where(f["population"] > 0, f["covered"] / f["population"].where(f["population"] > 0, 1), np.nan)
        f.insert(0, "minutes", m)
        frames.append(f.reset_index())
    return pd.concat(frames, ignore_index=True)


def joint_coverage(results: Sequence[CoverageResult], group: str = "all") -> pd.DataFrame:
    """Population within T minutes of a facility of *every* type in ``results``.

    Jingdezhen's plan asks for joint elderly-care and childcare service circles
    (EXTRACT.md A3, 004 L147); a resident counts as covered at T when the
    nearest facility of each type is within T.

    Parameters
    ----------
    results
        Coverage results computed on the same demand points (same layer, same
        order) and the same thresholds, e.g. for 'elderly' and 'childcare'.
    group
        Whose population to count: 'all', '60+' or '0-3'.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``minutes, population, covered, share, types``.
    """
    if len(results) < 2:
        raise SitingError("joint coverage needs the coverage of at least two facility types")
    first = results[0]
    ids = first.points["demand_id"].to_numpy() if "demand_id" in first.points.columns else None
    for r in results[1:]:
        same = len(r.points) == len(first.points) and (
            ids is None or np.array_equal(r.points["demand_id"].to_numpy(), ids))
        if not same or list(r.minutes) != list(first.minutes):
            raise SitingError("joint coverage needs results on the same demand points and thresholds")
    column = group_column(group)
    pop = first.points[column].to_numpy(float)
    slowest = np.max(np.column_stack([r.points["time_min"].to_numpy(float) for r in results]), axis=1)
    types = " + ".join(r.facility_type for r in results)
    rows = []
    for m in first.minutes:
        inside = float(pop[slowest <= m].sum())
        total = float(pop.sum())
        rows.append({"minutes": m, "population": total, "covered": inside,
                     "share": inside / total if total > 0 else float("nan"), "types": types})
    return pd.DataFrame(rows)


def coverage_entries(results: Sequence[CoverageResult]) -> list[dict[str, Any]]:
    """The demo's ``coverage`` list: ``{facility_type, group, minutes, population, covered, share}``."""
    return [entry for result in results for entry in result.entries()]


def write_outputs(result: CoverageResult, out_dir: str, stem: str | None = None) -> dict[str, str]:
    """Write the detail files (summary JSON, per-unit CSV, points and gap layers); return their paths."""
    from pathlib import Path

    from siting.io import write_csv, write_geodataframe, write_json

    d = Path(out_dir)
    stem = stem or f"coverage_{result.facility_type}_{result.group.replace('+', 'plus')}"
    files = {
        "summary": write_json(d / f"{stem}.json", result.to_dict()),
        "per_unit": write_csv(d / f"{stem}_units.csv", result.per_unit),
        "points": write_geodataframe(d / f"{stem}_points.geojson", _plain(result.points)),
        "gaps": write_geodataframe(d / f"{stem}_gaps.geojson", _plain(result.uncovered)),
    }
    if result.sfca is not None:
        files["sfca"] = write_csv(d / f"{stem}_2sfca.csv", result.sfca)
    return {k: str(v) for k, v in files.items()}


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop columns GeoJSON cannot hold and make infinite times null."""
    out = frame.copy()
    if "time_min" in out.columns:
        out["time_min"] = out["time_min"].replace([np.inf], np.nan)
    return out
