"""The built-in batch job kinds, and the per-worker network cache they share.

Each kind is a plain function ``func(params) -> dict`` registered with
:func:`siting.batch.register_kind`. Networks are the heavy shared input: a
worker keeps the networks it has built in :data:`_NETWORKS`, keyed by source
file, its bytes' hash and the build parameters, so consecutive jobs on the
same network reuse it; :func:`siting.network.load_network` also keeps built
graphs on disk, so another worker on the same machine loads rather than
rebuilds.

Kinds
-----
``network``
    Build a network and report its size.
``access``
    Facilities on a network: per facility, how many network nodes reach it
    within the time limit; overall, the share of nodes within the limit of
    their nearest facility.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from siting.batch import register_kind
from siting.errors import InputError

MODES = ("walk", "bike", "drive")

# ----------------------------------------------------------------------------------------------
# Shared networks (one cache per worker process)

_NETWORKS: OrderedDict[Hashable, Any] = OrderedDict()
_MAX_NETWORKS = int(os.environ.get("SITING_BATCH_NETWORKS", "4"))  # memory bound per worker

NETWORK_PARAMS: dict[str, Any] = {"mode": "walk", "walk_kmh": None, "bike_kmh": None}


def network_spec(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The hashable identity of the network a job needs: (source, size, mtime, mode, speeds)."""
    source = str(params["network"])
    try:
        st = os.stat(source)
        stamp: tuple[int, int] = (st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = (-1, -1)
    return (source, *stamp, params.get("mode", "walk"), params.get("walk_kmh"), params.get("bike_kmh"))


def warm_network(spec: tuple[Any, ...]) -> Any:
    """The network for ``spec``, from this worker's cache or built (and cached on disk)."""
    if spec in _NETWORKS:
        _NETWORKS.move_to_end(spec)
        return _NETWORKS[spec]
    from siting.network import load_network
    from siting.speeds import SpeedProfile

    source, _, _, mode, walk_kmh, bike_kmh = spec
    speeds = {}
    if walk_kmh is not None:
        speeds["walk_kmh"] = float(walk_kmh)
    if bike_kmh is not None:
        speeds["bike_kmh"] = float(bike_kmh)
    net = load_network(source, mode, SpeedProfile(**speeds))
    _NETWORKS[spec] = net
    while len(_NETWORKS) > max(1, _MAX_NETWORKS):
        _NETWORKS.popitem(last=False)
    return net


def get_network(params: Mapping[str, Any]) -> Any:
    """The network of a job's parameters (``network``, ``mode``, ``walk_kmh``, ``bike_kmh``)."""
    return warm_network(network_spec(params))


def _networks(params: dict[str, Any]) -> list[Hashable]:
    return [network_spec(params)]


def _check_network(params: dict[str, Any]) -> None:
    if params.get("mode") not in MODES:
        raise ValueError(f"mode '{params.get('mode')}' is not one of {', '.join(MODES)}")
    for key in ("walk_kmh", "bike_kmh"):
        value = params.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value <= 0):
            raise ValueError(f"{key} must be a positive number of km/h, not {value!r}")


def network_facts(net: Any) -> dict[str, Any]:
    """Size of a network, without anything that depends on where or when it was built."""
    return {
        "mode": net.mode,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "length_km": float(net.length_m.sum()) / 1000.0,
        "crs": net.crs,
    }


# ----------------------------------------------------------------------------------------------
# Facilities


def read_job_points(value: Any, crs: str = "wgs84", what: str = "facilities") -> pd.DataFrame:
    """Points given as a CSV path (``id,lon,lat``) or inline as a list of ``{id, lon, lat}``."""
    from siting.coords import to_wgs84
    from siting.io import read_points

    if isinstance(value, str):
        return read_points(value, crs=crs, what=f"{what} file")
    if not isinstance(value, list) or not value:
        raise InputError(f"'{what}' must be a CSV path or a non-empty list of {{id, lon, lat}}", field=what)
    rows = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InputError(f"each entry must be a mapping {{id, lon, lat}}, not {item!r}", field=f"{what}[{i}]")
        for key in ("lon", "lat"):
            v = item.get(key)
            if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v):
                raise InputError(f"'{key}' must be a number, not {v!r}", field=f"{what}[{i}].{key}")
        if abs(item["lat"]) > 90 or abs(item["lon"]) > 180:
            raise InputError("coordinates are outside lon -180..180, lat -90..90", field=f"{what}[{i}]")
        rows.append({"id": str(item.get("id", i + 1)), "lon": float(item["lon"]), "lat": float(item["lat"])})
    frame = pd.DataFrame(rows)
    dup = frame["id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"id '{frame['id'].iloc[i]}' appears more than once", field=f"{what}[{i}].id")
    lon, lat = to_wgs84(frame["lon"].to_numpy(), frame["lat"].to_numpy(), crs)
    frame["lon"], frame["lat"] = lon, lat
    return frame


def _check_access(params: dict[str, Any]) -> None:
    _check_network(params)
    minutes = params.get("minutes")
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes <= 0:
        raise ValueError(f"minutes must be a positive number, not {minutes!r}")
    if params.get("direction") not in ("to_facility", "from_facility"):
        raise ValueError(f"direction must be to_facility or from_facility, not {params.get('direction')!r}")
    facilities = params.get("facilities")
    if not isinstance(facilities, str | list):
        raise ValueError("facilities must be a CSV path or a list of {id, lon, lat}")


# ----------------------------------------------------------------------------------------------
# Kinds


@register_kind(
    "network",
    required=("network",),
    optional=NETWORK_PARAMS,
    paths=("network",),
    slug=("network", "mode"),
    networks=_networks,
    check=_check_network,
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


@register_kind(
    "access",
    required=("network", "facilities", "minutes"),
    optional={**NETWORK_PARAMS, "crs": "wgs84", "snap_tolerance_m": 250.0, "direction": "to_facility"},
    paths=("network", "facilities"),
    slug=("network", "mode", "minutes"),
    networks=_networks,
    check=_check_access,
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
    from siting.engine import nearest, reach
    from siting.snap import snap

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
