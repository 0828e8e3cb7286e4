"""What the chosen sites achieve: coverage of each project's group before and after, and capacity per 1,000.

Coverage is measured by :func:`siting.analysis.coverage.coverage` (the same figures
``siting coverage`` reports): first with the existing facilities of the project's
kind only, then with the project added; the group figures add every project of the
group at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from siting.analysis.coverage import coverage
from siting.planning.kinds import existing_of, group_weights, kind_of
from siting.routing.access import access_legs_s, demand_site_times
from siting.routing.snap import snap
from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.network import RoadNetwork
    from siting.rules.context import CheckInputs

#: The columns of :func:`coverage_columns`.
COVERAGE_COLUMNS = ["group", "minutes", "covered_before", "covered_after", "share_before", "share_after", "gain",
                    "demand_within", "capacity_per_1000"]


def coverage_of(net: RoadNetwork, points: gpd.GeoDataFrame, sites: pd.DataFrame, group: str,
                minutes: float) -> tuple[float, float]:
    """(covered, total) of ``group`` within ``minutes`` of ``sites`` (``id``, ``lon``, ``lat``)."""
    weights, used, _ = group_weights(points, group)
    total = float(weights.sum())
    if len(sites) == 0:
        return 0.0, total
    fac = pd.DataFrame({"id": sites["id"].astype(str).to_numpy(), "type": "target",
                        "lon": sites["lon"].to_numpy(float), "lat": sites["lat"].to_numpy(float)})
    res = coverage(net, points, fac, "target", used, [float(minutes)])
    row = res.summary.iloc[-1]
    return float(row["covered"]), float(row["population"])


def demand_within(net: RoadNetwork, points: gpd.GeoDataFrame, weights: np.ndarray, lon: float, lat: float,
                  minutes: float) -> float:
    """The weight of the demand within ``minutes`` of one site."""
    node = snap(net, [lon], [lat], DEFAULT_SNAP_TOLERANCE_M)["node"].to_numpy()
    pairs = demand_site_times(net, node, points["node"], access_legs_s(net, points), minutes * 60.0)
    return float(weights[pairs["point"].to_numpy()].sum())


def coverage_columns(placed: pd.DataFrame, inputs: CheckInputs, net: RoadNetwork | None,
                     points: gpd.GeoDataFrame | None, minutes: float) -> pd.DataFrame:
    """The :data:`COVERAGE_COLUMNS` of each placed project (``id``, ``type``, ``group``, ``lon``, ``lat``, ``capacity``).

    ``group`` becomes the group actually counted ('all' when the demand has no figures for it);
    without a network or demand the figures are NaN.
    """
    out = pd.DataFrame({"group": placed["group"].to_numpy(object), "minutes": minutes}, index=placed.index)
    for col in COVERAGE_COLUMNS[2:]:
        out[col] = np.nan
    if net is None or points is None:
        return out
    # "Before" is the coverage of the facilities already serving the project's kind: childcare and
    # kindergarten serve the same group but count different existing facilities.
    before_of: dict[tuple[str, tuple[str, ...]], tuple[float, float]] = {}
    for i, r in placed.iterrows():
        group = str(r["group"])
        weights, used, _ = group_weights(points, group)
        types = kind_of(r["type"])[1]
        existing = existing_of(inputs, types)
        if (group, types) not in before_of:
            before_of[group, types] = coverage_of(net, points, existing, group, minutes)
        before, total = before_of[group, types]
        figures: dict[str, Any] = {"group": used, "covered_before": before,
                                   "share_before": before / total if total > 0 else np.nan}
        if np.isfinite(r["lon"]) and np.isfinite(r["lat"]):
            mine = pd.DataFrame({"id": [str(r["id"])], "lon": [float(r["lon"])], "lat": [float(r["lat"])]})
            after, _ = coverage_of(net, points, pd.concat([existing[["id", "lon", "lat"]], mine], ignore_index=True),
                                   group, minutes)
            within = demand_within(net, points, weights, float(r["lon"]), float(r["lat"]), minutes)
            figures.update({"covered_after": after, "share_after": after / total if total > 0 else np.nan,
                            "gain": after - before, "demand_within": within})
            if np.isfinite(r["capacity"]) and within > 0:
                figures["capacity_per_1000"] = 1000.0 * float(r["capacity"]) / within
        for col, value in figures.items():
            out.loc[i, col] = value
    return out


def group_coverage(group: dict[str, Any], placed: pd.DataFrame, inputs: CheckInputs, net: RoadNetwork,
                   points: gpd.GeoDataFrame, minutes: float) -> dict[str, Any]:
    """``coverage_after_all`` and ``share_after_all`` of a group (every placed project of it added), or {}."""
    sel = placed[placed["id"].isin(group["projects"]) & placed["lon"].notna()]
    if len(sel) == 0:
        return {}
    existing = existing_of(inputs, kind_of(sel["type"].iloc[0])[1])
    sites = pd.concat([existing[["id", "lon", "lat"]], sel[["id", "lon", "lat"]]], ignore_index=True)
    after, total = coverage_of(net, points, sites, str(group["group"]), minutes)
    return {"coverage_after_all": after, "share_after_all": after / total if total > 0 else None}
