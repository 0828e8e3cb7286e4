"""The ``network`` and ``access`` kinds: a network's size, and who reaches a set of facilities in time.

``network``
    Build a network and report its size.
``access``
    Facilities on a network: per facility, how many network nodes reach it
    within the time limit; overall, the share of nodes within the limit of
    their nearest facility.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.batch.caches import get_network
from siting.batch.kinds.common import (
    NETWORK_PARAMS,
    check_minutes,
    check_network,
    job_network,
    network_facts,
    read_job_points,
)
from siting.batch.registry import register_kind
from siting.units import DEFAULT_SNAP_TOLERANCE_M


@register_kind(
    "network",
    required=("network",),
    optional=NETWORK_PARAMS,
    paths=("network",),
    slug=("network", "mode"),
    networks=job_network,
    check=check_network,
)
def network_job(params: dict[str, Any]) -> dict[str, Any]:
    """Build a network and report its size and road lengths by highway class."""
    net = get_network(params)
    by_class = pd.Series(net.length_m).groupby(np.asarray(net.highway, dtype=str)).sum() / 1000.0
    return {
        "network": network_facts(net),
        "length_km_by_highway": {str(k): float(v) for k, v in by_class.sort_index().items()},
        "dropped_nodes": int(net.info.get("dropped_nodes", 0)),
        "dropped_edges": int(net.info.get("dropped_edges", 0)),
    }


def check_access(params: dict[str, Any]) -> None:
    check_network(params)
    check_minutes(params)
    if params.get("direction") not in ("to_facility", "from_facility"):
        raise ValueError(f"direction must be to_facility or from_facility, not {params.get('direction')!r}")
    facilities = params.get("facilities")
    if not isinstance(facilities, str | list):
        raise ValueError("facilities must be a CSV path or a list of {id, lon, lat}")


@register_kind(
    "access",
    required=("network", "facilities", "minutes"),
    optional={**NETWORK_PARAMS, "crs": "wgs84", "snap_tolerance_m": DEFAULT_SNAP_TOLERANCE_M, "direction": "to_facility"},
    paths=("network", "facilities"),
    slug=("network", "mode", "minutes"),
    networks=job_network,
    check=check_access,
)
def access_job(params: dict[str, Any]) -> dict[str, Any]:
    """Travel-time access to facilities within ``minutes`` on a network.

    Per facility: its snapped node, snap distance and the number of network
    nodes within the limit of it. Overall: the nodes within the limit of their
    nearest facility, their share of all nodes, and the median and 90th
    percentile time to the nearest facility over the nodes that reach one.
    ``direction`` 'to_facility' (default) measures the trip from each node to
    the facility, which differs from the reverse trip on one-way streets.
    """
    from siting.routing.engine import nearest, reach
    from siting.routing.snap import snap

    net = get_network(params)
    points = read_job_points(params["facilities"], crs=str(params["crs"]))
    snapped = snap(net, points["lon"].to_numpy(), points["lat"].to_numpy(), float(params["snap_tolerance_m"]))
    nodes = snapped["node"].to_numpy(np.int64)
    cutoff = float(params["minutes"]) * 60.0
    reverse = params["direction"] == "to_facility"
    # One worker thread: the batch already runs one job per core.
    reached = reach(net, nodes, cutoff, weight="time", reverse=reverse, threads=1)
    counts = np.bincount(reached["source"].to_numpy(np.int64), minlength=len(nodes))
    cost, _ = nearest(net, nodes, weight="time", reverse=reverse)
    finite = cost[np.isfinite(cost)]
    within = int((cost <= cutoff).sum())
    facilities = [
        {
            "id": str(fid),
            "node": int(node),
            "node_osmid": int(net.node_osmid[node]),
            "snap_m": float(snap_m),
            "beyond_tolerance": bool(beyond),
            "reached_nodes": int(count),
        }
        for fid, node, snap_m, beyond, count in zip(
            points["id"], nodes, snapped["snap_m"], snapped["beyond_tolerance"], counts
        )
    ]
    return {
        "network": network_facts(net),
        "cutoff_s": cutoff,
        "facilities": facilities,
        "facilities_beyond_tolerance": int(snapped["beyond_tolerance"].sum()),
        "nodes_within": within,
        "share_within": within / net.n_nodes if net.n_nodes else 0.0,
        "nearest_time_s": {
            "median": float(np.median(finite)) if len(finite) else None,
            "p90": float(np.percentile(finite, 90)) if len(finite) else None,
        },
    }
