"""Building a :class:`~siting.network.graph.RoadNetwork` from OpenStreetMap ways or a networkx graph.

Which ways each mode uses follows osmnx's network types (``walk``, ``bike``,
``drive``): walking uses footways, paths and steps in both directions;
cycling and driving respect one-ways. See :mod:`siting.network.speeds` for speeds.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components

from siting.coords import haversine_m, utm_epsg
from siting.errors import InputError, SitingError
from siting.network.graph import RoadNetwork, check_mode
from siting.network.speeds import SpeedProfile, speed_kmh
from siting.osm.reader import OsmWays

BUILDER_VERSION = 1  # bump when the graph a given input produces changes

# Highway values each mode never uses (osmnx's network-type filters, as exact values).
_EXCLUDED: dict[str, frozenset[str]] = {
    "walk": frozenset(
        "abandoned bus_guideway construction cycleway motorway motorway_link no planned platform "
        "proposed raceway razed".split()
    ),
    "bike": frozenset(
        "abandoned bus_guideway construction corridor elevator escalator footway motorway motorway_link "
        "no planned platform proposed raceway razed steps".split()
    ),
    "drive": frozenset(
        "abandoned bridleway bus_guideway construction corridor cycleway elevator escalator footway no "
        "path pedestrian planned platform proposed raceway razed service steps track".split()
    ),
}
_MODE_ACCESS_KEYS = {"walk": ("foot",), "bike": ("bicycle",), "drive": ("motor_vehicle", "motorcar")}
_YES = {"yes", "true", "1"}



def way_allowed(mode: str, tags: dict[str, str]) -> bool:
    """Whether ``mode`` may use a way with these tags."""
    highway = tags.get("highway", "")
    if not highway or highway in _EXCLUDED[mode] or tags.get("area") == "yes":
        return False
    mode_tags = [tags.get(k) for k in _MODE_ACCESS_KEYS[mode]]
    if any(v == "no" for v in mode_tags):
        return False
    if tags.get("access") in ("private", "no") and not any(v in ("yes", "designated", "permissive") for v in mode_tags):
        return False
    if tags.get("service") == "private":
        return False
    if mode == "drive" and tags.get("service") in ("alley", "driveway", "emergency_access", "parking", "parking_aisle"):
        return False
    return True


def way_direction(mode: str, tags: dict[str, str]) -> int:
    """0 for both directions, 1 for the way's direction only, -1 for against it."""
    if mode == "walk":
        return 0
    if mode == "bike" and (tags.get("oneway:bicycle") == "no" or str(tags.get("cycleway", "")).startswith("opposite")):
        return 0
    oneway = tags.get("oneway")
    if oneway in _YES:
        return 1
    if oneway in ("-1", "reverse"):
        return -1
    if oneway is None and tags.get("junction") in ("roundabout", "circular"):
        return 1
    return 0

# ----------------------------------------------------------------------------------------------
# Building


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    if len(lon) == 0:
        return lon.copy(), lat.copy(), "EPSG:4326"
    epsg = utm_epsg(float(np.median(lon)), float(np.median(lat)))
    tr = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), f"EPSG:{epsg}"


def _morton_key(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Z-order (Morton) key of points quantised to a 65536 x 65536 grid over their extent."""
    if len(lon) == 0:
        return np.zeros(0, dtype=np.uint64)

    def quantise(a: np.ndarray) -> np.ndarray:
        span = float(a.max() - a.min()) or 1.0
        return ((a - a.min()) / span * 65535).astype(np.uint64)

    def spread(a: np.ndarray) -> np.ndarray:
        a = (a | (a << np.uint64(8))) & np.uint64(0x00FF00FF)
        a = (a | (a << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        a = (a | (a << np.uint64(2))) & np.uint64(0x33333333)
        return (a | (a << np.uint64(1))) & np.uint64(0x55555555)

    return spread(quantise(lon)) | (spread(quantise(lat)) << np.uint64(1))


def from_edges(
    mode: str,
    node_osmid: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length_m: np.ndarray,
    time_s: np.ndarray,
    highway: np.ndarray,
    way_id: np.ndarray,
    info: dict[str, Any] | None = None,
    strongly_connected: bool = True,
) -> RoadNetwork:
    """Assemble a :class:`RoadNetwork`, keeping the largest strongly connected component.

    Nodes no edge touches are dropped too. ``info`` gains ``dropped_nodes`` and
    ``dropped_edges`` (what the component filter removed).
    """
    info = dict(info or {})
    n = len(lon)
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    keep_node = np.zeros(n, dtype=bool)
    keep_node[u] = True
    keep_node[v] = True
    isolated = int(n - keep_node.sum())
    if strongly_connected and len(u):
        graph = sp.csr_array((np.ones(len(u)), (u, v)), shape=(n, n))
        _, labels = connected_components(graph, directed=True, connection="strong")
        counts = np.bincount(labels[keep_node])
        keep_node &= labels == int(np.argmax(counts))
    keep_edge = keep_node[u] & keep_node[v]
    info["nodes_before"] = int(n - isolated)
    info["edges_before"] = int(len(u))
    info["dropped_nodes"] = int(n - isolated - keep_node.sum())
    info["dropped_edges"] = int(len(u) - keep_edge.sum())
    lon_all, lat_all = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    # Number kept nodes along a Z-order curve: neighbours in space sit close in
    # memory, which keeps the searches' memory access cache-friendly.
    kept = np.flatnonzero(keep_node)
    kept = kept[np.argsort(_morton_key(lon_all[kept], lat_all[kept]), kind="stable")]
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[kept] = np.arange(len(kept))
    lon_k, lat_k = lon_all[kept], lat_all[kept]
    x, y, crs = _project(lon_k, lat_k)
    return RoadNetwork(
        mode=mode,
        node_osmid=np.asarray(node_osmid, dtype=np.int64)[kept],
        lon=lon_k,
        lat=lat_k,
        x=x,
        y=y,
        u=new_index[u[keep_edge]].astype(np.int32),
        v=new_index[v[keep_edge]].astype(np.int32),
        length_m=np.asarray(length_m, dtype=np.float64)[keep_edge],
        time_s=np.asarray(time_s, dtype=np.float64)[keep_edge],
        highway=np.asarray(highway).astype(str)[keep_edge],
        way_id=np.asarray(way_id, dtype=np.int64)[keep_edge],
        crs=crs,
        info=info,
    )


def from_osm_ways(
    ways: OsmWays, mode: str, profile: SpeedProfile | None = None, strongly_connected: bool = True
) -> RoadNetwork:
    """Build the ``mode`` network from highway ways read by :func:`siting.osm.reader.read_highways`."""
    check_mode(mode)
    profile = profile or SpeedProfile()
    n_ways = len(ways.way_id)
    allowed = np.zeros(n_ways, dtype=bool)
    direction = np.zeros(n_ways, dtype=np.int8)
    speed = np.zeros(n_ways, dtype=np.float64)
    highway = np.empty(n_ways, dtype=object)
    for i, tags in enumerate(ways.tags):
        if way_allowed(mode, tags):
            allowed[i] = True
            direction[i] = way_direction(mode, tags)
            highway[i] = tags["highway"]
            speed[i] = speed_kmh(mode, tags["highway"], tags.get("maxspeed"), profile)
    counts = np.diff(ways.offsets)
    seg_way = np.repeat(np.arange(n_ways), np.maximum(counts - 1, 0))
    # Segment k of way i starts at position offsets[i] + k; a way of c nodes has c-1 segments.
    seg_start = np.arange(len(ways.refs))
    not_last = np.ones(len(ways.refs), dtype=bool)
    not_last[ways.offsets[1:] - 1] = False
    seg_start = seg_start[not_last]
    sel = allowed[seg_way]
    seg_way, seg_start = seg_way[sel], seg_start[sel]
    a, b = seg_start, seg_start + 1
    loops = ways.refs[a] == ways.refs[b]
    seg_way, a, b = seg_way[~loops], a[~loops], b[~loops]
    if len(a) == 0:
        raise InputError(
            f"no ways usable for {mode} found",
            hint="Check that the extract covers a built-up area and holds highway=* ways",
        )
    used = np.concatenate([a, b])
    osmids, first_pos, inverse = np.unique(ways.refs[used], return_index=True, return_inverse=True)
    node_lon = ways.lon[used][first_pos]
    node_lat = ways.lat[used][first_pos]
    ia, ib = inverse[: len(a)], inverse[len(a) :]
    seg_len = haversine_m(ways.lon[a], ways.lat[a], ways.lon[b], ways.lat[b])
    seg_time = seg_len / (speed[seg_way] / 3.6)
    d = direction[seg_way]
    fwd = d >= 0
    bwd = d <= 0
    u = np.concatenate([ia[fwd], ib[bwd]])
    v = np.concatenate([ib[fwd], ia[bwd]])
    net = from_edges(
        mode,
        osmids,
        node_lon,
        node_lat,
        u,
        v,
        np.concatenate([seg_len[fwd], seg_len[bwd]]),
        np.concatenate([seg_time[fwd], seg_time[bwd]]),
        np.concatenate([highway[seg_way][fwd], highway[seg_way][bwd]]),
        np.concatenate([ways.way_id[seg_way][fwd], ways.way_id[seg_way][bwd]]),
        info={"osm_timestamp": ways.timestamp, "speeds": profile.as_dict()},
        strongly_connected=strongly_connected,
    )
    return net


def _as_int(value: Any, default: int) -> int:
    """An OSM id as int (GraphML stores them as text); ``default`` when it is not one."""
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else default


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def from_networkx(
    graph: nx.Graph, mode: str, profile: SpeedProfile | None = None, strongly_connected: bool = True
) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from a networkx/osmnx graph.

    Nodes need ``x`` (longitude) and ``y`` (latitude). Edges use ``length``
    (metres; computed from the end points when missing), ``highway`` and
    ``maxspeed`` for travel times. A graph written by :meth:`RoadNetwork.to_networkx`
    for the same mode (graph attribute ``mode``) keeps its edges' ``travel_time``.
    Directed graphs keep their directions (osmnx has already applied one-ways);
    undirected graphs get both directions.
    """
    check_mode(mode)
    profile = profile or SpeedProfile()
    crs = str(graph.graph.get("crs", "epsg:4326")).lower()
    nodes = list(graph.nodes)
    if not nodes:
        raise SitingError("the graph has no nodes")
    index = {n: i for i, n in enumerate(nodes)}
    try:
        xs = np.array([float(graph.nodes[n]["x"]) for n in nodes])
        ys = np.array([float(graph.nodes[n]["y"]) for n in nodes])
    except KeyError as exc:
        raise SitingError("graph nodes need 'x' and 'y' attributes (longitude, latitude)") from exc
    if crs not in ("epsg:4326", "wgs84", "4326"):
        tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        xs, ys = (np.asarray(c, dtype=np.float64) for c in tr.transform(xs, ys))
    osmid = np.array([_as_int(graph.nodes[n].get("osmid", n), default=i) for i, n in enumerate(nodes)], dtype=np.int64)
    us, vs, lengths, times, highways, ways = [], [], [], [], [], []
    own_times = str(graph.graph.get("mode", "")) == mode
    edges = graph.edges(data=True)
    for a, b, data in edges:
        ia, ib = index[a], index[b]
        if ia == ib:
            continue
        length = data.get("length")
        length = float(length) if length is not None else float(haversine_m(xs[ia], ys[ia], xs[ib], ys[ib]))
        hw = str(_first(data.get("highway", "road")))
        if own_times and data.get("travel_time") is not None:
            t = float(data["travel_time"])
        else:
            t = length / (speed_kmh(mode, hw, _first(data.get("maxspeed")), profile) / 3.6)
        pairs = [(ia, ib)] if graph.is_directed() else [(ia, ib), (ib, ia)]
        for p, q in pairs:
            us.append(p)
            vs.append(q)
            lengths.append(length)
            times.append(t)
            highways.append(hw)
            ways.append(_as_int(_first(data.get("osmid", -1)), default=-1))
    return from_edges(
        mode, osmid, xs, ys, np.array(us), np.array(vs), np.array(lengths), np.array(times),
        np.array(highways, dtype=object), np.array(ways), info={"speeds": profile.as_dict()},
        strongly_connected=strongly_connected,
    )


