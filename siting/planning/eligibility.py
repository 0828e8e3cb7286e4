"""The candidate sites a project may take: inside its region, within the hospital rule, near a road.

:func:`project_candidates` lays the candidates of one project (the region's table or
grid, plus the plan's stated point) and marks each one ``eligible`` or says why not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.planning.hospitals import beyond_limit
from siting.planning.regions import Region, region_candidates
from siting.routing.snap import snap
from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    from siting.network import RoadNetwork
    from siting.rules.rule import Rule

#: Columns of a candidate set (``node`` only with a network).
CANDIDATE_COLUMNS = ["project", "cid", "source", "lon", "lat", "eligible", "why_not", "node"]


def project_candidates(k: int, region: Region, stated: tuple[float, float], table: gpd.GeoDataFrame | None, *,
                       grid_m: float | None, max_candidates: int, rule: Rule | None, hospitals: pd.DataFrame,
                       road: RoadNetwork | None, net: RoadNetwork | None) -> pd.DataFrame:
    """The candidates of project ``k`` (the :data:`CANDIDATE_COLUMNS`), empty when its region has no area.

    Parameters
    ----------
    k
        The project's row number (the ``project`` column).
    region, stated
        The project's region and stated point (NaN when the plan gives none). The stated point
        is a candidate ('stated') when it lies in the region, or always for a town's disk.
    table, grid_m, max_candidates
        The candidate table, or the grid settings (:func:`~siting.planning.regions.region_candidates`).
    rule, hospitals, road
        The hospital rule when it applies to this project (else None), the hospitals it counts and
        the road network it may be judged on: candidates beyond its limit are not eligible.
    net
        The travel network: candidates are snapped to it (``node``); beyond the snap tolerance they
        are not eligible.
    """
    if region.geometry is None or region.geometry.is_empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    cands = region_candidates(region.geometry, table, grid_m, max_candidates)
    slon, slat = stated
    if np.isfinite(slon) and np.isfinite(slat) and (region.geometry.contains(shapely.Point(slon, slat))
                                                    or region.kind == "town"):
        point = gpd.GeoDataFrame({"cid": ["stated"], "source": ["stated point"]},
                                 geometry=[shapely.Point(slon, slat)], crs=4326)
        cands = pd.concat([point, cands], ignore_index=True)
    c = pd.DataFrame({"project": k, "cid": cands["cid"].to_numpy(), "source": cands["source"].to_numpy(),
                      "lon": cands.geometry.x.to_numpy(), "lat": cands.geometry.y.to_numpy()})
    c["eligible"] = True
    c["why_not"] = ""
    if rule is not None and len(hospitals):
        far = beyond_limit(rule, c["lon"].to_numpy(), c["lat"].to_numpy(), hospitals, road)
        c.loc[far, "eligible"] = False
        c.loc[far, "why_not"] = f"beyond {rule.params['max_km']:g} km of a general hospital"
    if net is not None:
        s = snap(net, c["lon"].to_numpy(), c["lat"].to_numpy(), DEFAULT_SNAP_TOLERANCE_M)
        c["node"] = s["node"].to_numpy()
        off = s["beyond_tolerance"].to_numpy(bool)
        c.loc[off & c["eligible"], "why_not"] = f"no road within {DEFAULT_SNAP_TOLERANCE_M:g} m"
        c.loc[off, "eligible"] = False
    return c
