"""Road networks as travel-time graphs, built from OpenStreetMap.

A :class:`RoadNetwork` is a directed graph stored in flat numpy arrays: fast to
build, to cache and to search with compiled code. ``net.to_networkx()`` gives
the same graph as a networkx ``MultiDiGraph`` for cross-checks and interop.

Which ways each mode uses follows osmnx's network types (``walk``, ``bike``,
``drive``): walking uses footways, paths and steps in both directions;
cycling and driving respect one-ways. See :mod:`siting.speeds` for speeds.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components

from siting.coords import haversine_m, utm_epsg
from siting.errors import InputError, SitingError
from siting.io import atomic_path
from siting.osm import OsmWays, is_osm_file, read_highways
from siting.speeds import SpeedProfile, speed_kmh

MODES: tuple[str, ...] = ("walk", "bike", "drive")
Weight = Literal["time", "length"]
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


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is one of walk, bike, drive; else raise a clear error."""
    if mode not in MODES:
        raise SitingError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
    return mode


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


@dataclass
class RoadNetwork:
    """A directed travel-time graph in flat arrays.

    Attributes
    ----------
    mode
        'walk', 'bike' or 'drive'.
    node_osmid, lon, lat, x, y
        Per node: OSM id, WGS84 position, metric position in ``crs``.
    u, v, length_m, time_s, highway, way_id
        Per directed edge: endpoints (node indices), length in metres, travel
        time in seconds, highway class, OSM way id.
    crs
        The metric CRS of ``x``/``y`` (a UTM zone, e.g. 'EPSG:32632').
    info
        Provenance and build figures: source, sha256, parameters,
        ``dropped_nodes``, ``dropped_edges``, OSM timestamp.
    """

    mode: str
    node_osmid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    highway: np.ndarray
    way_id: np.ndarray
    crs: str
    info: dict[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    """Derived arrays (search structures) kept for reuse; never saved."""

    @property
    def n_nodes(self) -> int:
        return int(self.lon.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.u.shape[0])

    def weights(self, weight: Weight) -> np.ndarray:
        """Edge costs: seconds for 'time', metres for 'length'."""
        if weight == "time":
            return self.time_s
        if weight == "length":
            return self.length_m
        raise SitingError(f"unknown weight '{weight}': use 'time' or 'length'")

    def csr(self, weight: Weight = "time") -> sp.csr_array:
        """Adjacency matrix with edge costs (parallel edges keep the cheapest)."""
        self.weights(weight)  # a clear error for an unknown weight
        return self._csr_cache[weight][0]

    def edge_order(self, weight: Weight = "time") -> np.ndarray:
        """Edge index behind each stored entry of :meth:`csr` (for the other weight)."""
        self.weights(weight)
        return self._csr_cache[weight][1]

    @cached_property
    def _csr_cache(self) -> dict[str, tuple[sp.csr_array, np.ndarray]]:
        out = {}
        for weight in ("time", "length"):
            w = self.weights(weight)  # type: ignore[arg-type]
            order = np.lexsort((w, self.v, self.u))
            u, v = self.u[order], self.v[order]
            first = np.ones(len(order), dtype=bool)
            first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
            keep = order[first]
            # csgraph treats stored zeros as missing edges: keep coincident nodes connected.
            data = np.maximum(w[keep], 1e-9)
            indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
            np.add.at(indptr, self.u[keep] + 1, 1)
            np.cumsum(indptr, out=indptr)
            mat = sp.csr_array((data, self.v[keep].astype(np.int32), indptr), shape=(self.n_nodes, self.n_nodes))
            out[weight] = (mat, keep)
        return out

    def summary(self) -> dict[str, Any]:
        """Size and provenance, for ``--json`` output."""
        return {
            "mode": self.mode,
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "dropped_nodes": int(self.info.get("dropped_nodes", 0)),
            "dropped_edges": int(self.info.get("dropped_edges", 0)),
            "length_km": round(float(self.length_m.sum()) / 1000.0, 3),
            "crs": self.crs,
            "bbox": [float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max())]
            if self.n_nodes
            else None,
            **{k: self.info[k] for k in ("source", "sha256", "osm_timestamp", "speeds", "cached") if k in self.info},
        }

    def to_networkx(self) -> nx.MultiDiGraph:
        """The same graph for networkx/osmnx: nodes are indices, with x=lon, y=lat."""
        g = nx.MultiDiGraph(crs="epsg:4326", mode=self.mode)
        g.add_nodes_from(
            (i, {"x": float(self.lon[i]), "y": float(self.lat[i]), "osmid": int(self.node_osmid[i])})
            for i in range(self.n_nodes)
        )
        g.add_edges_from(
            (
                int(self.u[e]),
                int(self.v[e]),
                {
                    "length": float(self.length_m[e]),
                    "travel_time": float(self.time_s[e]),
                    "highway": str(self.highway[e]),
                    "osmid": int(self.way_id[e]),
                },
            )
            for e in range(self.n_edges)
        )
        return g

    def edges_frame(self) -> Any:
        """Edges as a GeoDataFrame of straight segments (EPSG:4326)."""
        import geopandas as gpd
        import shapely

        coords = np.stack(
            [np.column_stack([self.lon[self.u], self.lat[self.u]]), np.column_stack([self.lon[self.v], self.lat[self.v]])],
            axis=1,
        )
        return gpd.GeoDataFrame(
            {
                "u": self.u,
                "v": self.v,
                "length_m": self.length_m,
                "time_s": self.time_s,
                "highway": self.highway,
                "way_id": self.way_id,
            },
            geometry=shapely.linestrings(coords),
            crs="EPSG:4326",
        )

    def nodes_frame(self) -> Any:
        """Nodes as a GeoDataFrame of points (EPSG:4326)."""
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {"osmid": self.node_osmid, "x_m": self.x, "y_m": self.y},
            geometry=gpd.points_from_xy(self.lon, self.lat),
            crs="EPSG:4326",
        )


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
    """Build the ``mode`` network from highway ways read by :func:`siting.osm.read_highways`."""
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


# ----------------------------------------------------------------------------------------------
# Loading with a disk cache


def default_cache_dir() -> Path:
    """``$SITING_CACHE_DIR``, else ``~/.cache/siting``."""
    env = os.environ.get("SITING_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "siting"


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_key(sha256: str, mode: str, profile: SpeedProfile, strongly_connected: bool) -> str:
    """Key of a built graph: the source file's hash and every build parameter."""
    params = {
        "builder": BUILDER_VERSION,
        "mode": mode,
        "speeds": profile.as_dict(),
        "strongly_connected": strongly_connected,
    }
    return hashlib.sha256((sha256 + json.dumps(params, sort_keys=True)).encode()).hexdigest()[:32]


_ARRAYS = ("node_osmid", "lon", "lat", "x", "y", "u", "v", "length_m", "time_s", "highway", "way_id")


def save_npz(net: RoadNetwork, path: str | Path) -> Path:
    """Write the network to a compressed ``.npz`` file atomically."""
    target = Path(path)
    arrays: dict[str, Any] = {name: getattr(net, name) for name in _ARRAYS}
    arrays["highway"] = net.highway.astype(str)
    meta = {"mode": net.mode, "crs": net.crs, "info": net.info}
    with atomic_path(target, suffix=".npz") as tmp:  # np.savez adds .npz to other names
        np.savez(tmp, meta=np.array(json.dumps(meta, default=str)), **arrays)
    return target


def load_npz(path: str | Path) -> RoadNetwork:
    """Read a network written by :func:`save_npz`."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {name: z[name] for name in _ARRAYS}
    return RoadNetwork(mode=meta["mode"], crs=meta["crs"], info=meta["info"], **arrays)


def _looks_like_path(source: str) -> bool:
    return any(sep in source for sep in ("/", "\\")) or is_osm_file(source) or source.lower().endswith(
        (".graphml", ".npz")
    )


def load_network(
    source: str | Path,
    mode: str = "walk",
    profile: SpeedProfile | None = None,
    *,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    strongly_connected: bool = True,
) -> RoadNetwork:
    """Load or build the ``mode`` travel-time network from ``source``.

    Parameters
    ----------
    source
        An OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2``), a GraphML file, a
        network saved with :func:`save_npz`, or — with internet only — a place
        name ("Monaco") or a bbox "west,south,east,north" fetched through osmnx.
    mode
        'walk', 'bike' or 'drive'.
    profile
        Speeds; :class:`siting.speeds.SpeedProfile` defaults when None.
    cache
        Reuse a graph built earlier from the same file bytes and parameters
        (stored in ``cache_dir``, default :func:`default_cache_dir`).
    strongly_connected
        Keep only the largest strongly connected component (what was dropped
        is reported in ``info``).
    """
    check_mode(mode)
    profile = profile or SpeedProfile()
    text = str(source)
    path = Path(text)
    if not path.exists():
        if _looks_like_path(text):
            raise InputError("network source not found", path=path, hint="Check the path, or give a place name")
        return _load_online(text, mode, profile, strongly_connected)
    if path.is_dir():
        raise InputError("the network source is a folder, not a file", path=path)
    sha = file_sha256(path)
    key = cache_key(sha, mode, profile, strongly_connected)
    cache_file = Path(cache_dir or default_cache_dir()) / f"{key}.npz"
    if cache and cache_file.exists():
        try:
            net = load_npz(cache_file)
            net.info["cached"] = True
            net.info["source"] = str(path)
            return net
        except (OSError, ValueError, KeyError):
            cache_file.unlink(missing_ok=True)  # a damaged cache entry is rebuilt
    suffix = path.name.lower()
    if suffix.endswith(".npz"):
        net = load_npz(path)
        if net.mode != mode:
            raise InputError(f"this saved network is for mode '{net.mode}', not '{mode}'", path=path)
        return net
    if suffix.endswith(".graphml"):
        import osmnx as ox

        try:
            graph = ox.load_graphml(path)
        except Exception as exc:  # osmnx raises many kinds on a bad file
            raise InputError(f"cannot read GraphML ({exc})", path=path) from exc
        net = from_networkx(graph, mode, profile, strongly_connected)
    else:
        ways = read_highways(path)
        if len(ways.way_id) == 0:
            raise InputError(
                "the OSM file has no highway ways",
                path=path,
                hint="Use an extract that covers streets (highway=*)",
            )
        try:
            net = from_osm_ways(ways, mode, profile, strongly_connected)
        except InputError as exc:
            raise InputError(str(exc), path=path) from exc
    net.info.update({"source": str(path), "sha256": sha, "cached": False})
    if cache:
        try:
            save_npz(net, cache_file)
        except OSError:
            pass  # a read-only cache folder must not stop the analysis
    return net


def _require_host(url: str, source: str) -> None:
    """Fail at once when the Overpass host cannot be resolved (offline).

    Without this, osmnx waits 60 s for the Overpass status before its request fails.
    """
    import socket
    from urllib.parse import urlparse

    host = urlparse(url).hostname or url
    try:
        socket.getaddrinfo(host, 443)
    except OSError as exc:
        raise SitingError(
            f"could not download the network for '{source}': {host} cannot be reached ({exc}). "
            "Place names and bboxes need internet; offline, pass an OSM file (.osm.pbf, .osm, .osm.bz2) or GraphML"
        ) from exc


def _load_online(source: str, mode: str, profile: SpeedProfile, strongly_connected: bool) -> RoadNetwork:
    """Fetch a network through osmnx by bbox or place name (needs internet)."""
    import osmnx as ox

    network_type = {"walk": "walk", "bike": "bike", "drive": "drive"}[mode]
    try:
        parts = [float(p) for p in source.split(",")]
    except ValueError:
        parts = []
    _require_host(ox.settings.overpass_url, source)
    try:
        if len(parts) == 4:
            graph = ox.graph_from_bbox((parts[0], parts[1], parts[2], parts[3]), network_type=network_type, simplify=False, retain_all=True)
        else:
            graph = ox.graph_from_place(source, network_type=network_type, simplify=False, retain_all=True)
    except Exception as exc:  # network errors, geocoder misses
        raise SitingError(
            f"could not download the network for '{source}' through osmnx ({type(exc).__name__}: {exc}). "
            "Place names and bboxes need internet; offline, pass an OSM file (.osm.pbf, .osm, .osm.bz2) or GraphML"
        ) from exc
    net = from_networkx(graph, mode, profile, strongly_connected)
    net.info.update({"source": source, "cached": False})
    return net
