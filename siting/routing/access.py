"""Travel times from demand points to sites: the one computation coverage, placement and scoring share.

A resident's trip to a site is the walk from home to the home's snapped network node (the
*access leg*, at the network's walking speed) plus the network time from that node to the
site's node, searched towards the site (reversed graph), which matters on one-way drive
networks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from siting.routing.engine import reach
from siting.units import walk_speed_ms

if TYPE_CHECKING:
    from siting.network import RoadNetwork


def access_legs_s(net: RoadNetwork, points: pd.DataFrame, enabled: bool = True) -> np.ndarray:
    """Seconds of each point's walk to its snapped node (``snap_m`` at walking speed); zeros when disabled."""
    if not enabled:
        return np.zeros(len(points))
    return points["snap_m"].to_numpy(float) / walk_speed_ms(net)


def demand_site_times(net: RoadNetwork, site_nodes: np.ndarray, point_nodes: np.ndarray, legs_s: np.ndarray,
                      cutoff_s: float, threads: int | None = None) -> pd.DataFrame:
    """Every (site, demand point) pair whose trip is within ``cutoff_s`` seconds.

    Parameters
    ----------
    site_nodes
        Network node of each site.
    point_nodes, legs_s
        Snapped node and access leg (seconds) of each demand point.
    cutoff_s
        Largest trip time kept (``inf`` for every reachable pair).
    threads
        Worker threads of the search (:func:`siting.routing.engine.reach`; default: every core).

    Returns
    -------
    pandas.DataFrame
        ``site`` and ``point`` (positions in the inputs) and ``time_s`` (network time towards
        the site plus the access leg), one row per pair, sorted by site, then point.
    """
    empty = pd.DataFrame({"site": np.zeros(0, np.int64), "point": np.zeros(0, np.int64), "time_s": np.zeros(0)})
    if len(site_nodes) == 0 or len(point_nodes) == 0:
        return empty
    r = reach(net, np.asarray(site_nodes, np.int64), cutoff_s, weight="time", reverse=True, threads=threads)
    pts = pd.DataFrame({"node": np.asarray(point_nodes, np.int64), "point": np.arange(len(point_nodes)),
                        "leg": np.asarray(legs_s, float)})
    m = r.merge(pts, on="node", how="inner")
    t = m["cost"].to_numpy(float) + m["leg"].to_numpy(float)
    keep = t <= cutoff_s
    out = pd.DataFrame({"site": m["source"].to_numpy(np.int64)[keep], "point": m["point"].to_numpy(np.int64)[keep],
                        "time_s": t[keep]})
    return out.sort_values(["site", "point"], kind="stable").reset_index(drop=True)
