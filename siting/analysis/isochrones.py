"""Isochrones: the streets reachable from each facility within T minutes, as polygons.

The polygon follows the reachable streets: every edge segment reached within
the threshold is buffered, including the reachable part of edges the threshold
cuts (interpolated from the reached end or ends). The facility's access leg
(from its location to the node it snapped to) is drawn too, so a facility always
sits inside its own circle.

Nesting holds by construction: the 10-minute polygon is the union of the
5-minute polygon and the buffered 5-10 minute band, and so on. Holes smaller
than ``fill_holes_m2`` (blocks enclosed by reached streets) are filled; the
quality figure ``quality = network_area_m2 / area_m2`` tells how much of each
polygon is buffered reachable street (1.0: nothing swept in).

Building polygons, not the route search, is the cost. The work is vectorised
with shapely 2: reached pieces are merged into polylines per facility
(``line_merge``), buffered as one array, and unioned per facility.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from siting.errors import SitingError
from siting.routing.engine import reach
from siting.units import DEFAULT_SNAP_TOLERANCE_M, parse_minutes, walk_speed_ms

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.network import RoadNetwork

DEFAULT_MINUTES: tuple[float, ...] = (5.0, 10.0, 15.0)
#: Half-width of the street buffer in metres (the width a street "serves" on each side).
DEFAULT_BUFFER_M = 25.0
#: Holes up to this area (m²) are filled: blocks whose surrounding streets are all reached.
DEFAULT_FILL_HOLES_M2 = 20_000.0
_QUAD_SEGS = 3
_CHUNK = 64
_SIMPLIFY_M = 2.0


def _segments(net: RoadNetwork, reverse: bool) -> dict[str, np.ndarray]:
    """Undirected segment id, the side each edge's search anchor is on, and edges by anchor (cached)."""
    key = ("isochrone_segments", reverse)
    if key in net.cache:
        return net.cache[key]
    u = net.u.astype(np.int64)
    v = net.v.astype(np.int64)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pairs, seg = np.unique(lo * net.n_nodes + hi, return_inverse=True)
    # Forward searches leave edges from u; reverse searches (resident -> facility) arrive at v.
    anchor = v if reverse else u
    order = np.argsort(anchor, kind="stable")
    ptr = np.zeros(net.n_nodes + 1, dtype=np.int64)
    np.add.at(ptr, anchor + 1, 1)
    np.cumsum(ptr, out=ptr)
    out = {
        "seg": seg.astype(np.int64),
        "side": (anchor != lo).astype(np.int64),  # 0: the anchor is the segment's low end
        "lo": pairs // net.n_nodes,
        "hi": pairs % net.n_nodes,
        "order": order,
        "ptr": ptr,
    }
    net.cache[key] = out
    return out


def reached_segments(
    net: RoadNetwork, nodes: np.ndarray, cutoff_s: float, reverse: bool = False
) -> pd.DataFrame:
    """Per facility and undirected segment, the cost and time from each reached end.

    Returns
    -------
    pandas.DataFrame
        Columns ``source`` (position in ``nodes``), ``seg`` (undirected segment),
        ``c_lo``/``t_lo`` (cost at the segment's low-index end and the time to
        cross from it; ``inf`` when not reached from that end) and ``c_hi``/``t_hi``.
    """
    s = _segments(net, reverse)
    r = reach(net, nodes, cutoff_s, weight="time", reverse=reverse, threads=1)
    node = r["node"].to_numpy(np.int64)
    counts = s["ptr"][node + 1] - s["ptr"][node]
    rows = np.repeat(np.arange(len(node)), counts)
    starts = np.repeat(s["ptr"][node] - np.cumsum(counts) + counts, counts)
    edge = s["order"][starts + np.arange(len(rows))]
    source = r["source"].to_numpy(np.int64)[rows]
    cost = r["cost"].to_numpy(float)[rows]
    time = net.time_s[edge]
    n_seg = int(s["lo"].shape[0])
    key2 = (source * n_seg + s["seg"][edge]) * 2 + s["side"][edge]
    # Parallel edges: keep the cheapest arrival, then the quickest crossing.
    pick = np.lexsort((time, cost, key2))
    key2, cost, time = key2[pick], cost[pick], time[pick]
    first = np.ones(len(key2), dtype=bool)
    first[1:] = key2[1:] != key2[:-1]
    key2, cost, time = key2[first], cost[first], time[first]
    keys, inverse = np.unique(key2 >> 1, return_inverse=True)
    side = key2 & 1
    c = np.full((len(keys), 2), np.inf)
    t = np.full((len(keys), 2), np.inf)
    c[inverse, side] = cost
    t[inverse, side] = time
    return pd.DataFrame(
        {
            "source": keys // n_seg,
            "seg": keys % n_seg,
            "c_lo": c[:, 0],
            "t_lo": t[:, 0],
            "c_hi": c[:, 1],
            "t_hi": t[:, 1],
        }
    )


def _fraction(cost: np.ndarray, time: np.ndarray, limit: float) -> np.ndarray:
    """Share of a segment reachable from one end within ``limit``; -1 where that end is not reached."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(time > 0, (limit - cost) / time, 1.0)
    return np.where(cost <= limit, np.clip(f, 0.0, 1.0), -1.0)


def band_pieces(
    c_lo: np.ndarray, t_lo: np.ndarray, c_hi: np.ndarray, t_hi: np.ndarray, previous: float, limit: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intervals of each segment newly reached between ``previous`` and ``limit``.

    Positions run from 0 (low end) to 1 (high end). A segment is covered within T
    by ``[0, f_lo(T)]`` and ``[1 - f_hi(T), 1]``; the band is what ``limit`` adds to
    ``previous``. Use ``previous = -inf`` for the first threshold.

    Returns
    -------
    (row, start, end)
        Row into the inputs and the interval, one entry per piece.
    """
    f_lo, f_hi = _fraction(c_lo, t_lo, limit), _fraction(c_hi, t_hi, limit)
    g_lo, g_hi = _fraction(c_lo, t_lo, previous), _fraction(c_hi, t_hi, previous)
    full_now = f_lo + f_hi >= 1.0
    full_before = g_lo + g_hi >= 1.0
    g0 = np.maximum(g_lo, 0.0)
    g1 = np.maximum(g_hi, 0.0)
    idx = np.arange(len(c_lo))
    # Whole remaining gap closed in this band: one piece between the old ends.
    mid = full_now & ~full_before
    # Otherwise up to two pieces grow from the ends.
    grow_lo = ~full_now & (f_lo >= 0) & (f_lo > g_lo)
    grow_hi = ~full_now & (f_hi >= 0) & (f_hi > g_hi)
    # A first reach of an end counts even when the piece is a point (start == end).
    row = np.concatenate([idx[mid], idx[grow_lo], idx[grow_hi]])
    start = np.concatenate([g0[mid], g0[grow_lo], 1.0 - f_hi[grow_hi]])
    end = np.concatenate([1.0 - g1[mid], f_lo[grow_lo], 1.0 - g1[grow_hi]])
    return row, start, end


def _fill_holes(polys: np.ndarray, max_area: float) -> np.ndarray:
    """Fill interior rings up to ``max_area`` m² of each (multi)polygon."""
    if max_area <= 0:
        return polys
    out = polys.copy()
    for i, geom in enumerate(polys):
        if geom is None or shapely.get_num_interior_rings(geom) == 0 and geom.geom_type == "Polygon":
            continue
        parts = shapely.get_parts(geom)
        rebuilt = []
        changed = False
        for part in parts:
            holes = [ring for ring in part.interiors if shapely.area(shapely.polygons(ring)) > max_area]
            if len(holes) != len(part.interiors):
                changed = True
            rebuilt.append(shapely.Polygon(part.exterior, holes))
        if changed:
            out[i] = shapely.union_all(rebuilt) if len(rebuilt) > 1 else rebuilt[0]
    return out


def _group_union(geoms: np.ndarray, group: np.ndarray, n: int, base: np.ndarray) -> np.ndarray:
    """Per group k: the union of ``base[k]`` and the geometries with ``group == k``."""
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(n + 1))
    out = np.empty(n, dtype=object)
    for k in range(n):
        part = geoms[order[bounds[k] : bounds[k + 1]]]
        if base[k] is not None:
            part = np.append(part, base[k])
        out[k] = shapely.union_all(part) if len(part) else shapely.Polygon()
    return out


def _chunk_polygons(
    net: RoadNetwork,
    nodes: np.ndarray,
    legs: np.ndarray,
    minutes: list[float],
    reverse: bool,
    buffer_m: float,
    fill_holes_m2: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polygons (metric CRS), network areas and reached segment counts for one chunk of facilities."""
    n = len(nodes)
    limits = [m * 60.0 for m in minutes]
    segs = reached_segments(net, nodes, limits[-1], reverse)
    s = _segments(net, reverse)
    lo, hi = s["lo"][segs["seg"].to_numpy()], s["hi"][segs["seg"].to_numpy()]
    # Access legs: from the snapped node (cost 0) to the facility location, at walking speed.
    speed = walk_speed_ms(net)
    x0 = np.concatenate([net.x[lo], net.x[nodes]])
    y0 = np.concatenate([net.y[lo], net.y[nodes]])
    x1 = np.concatenate([net.x[hi], legs[:, 0]])
    y1 = np.concatenate([net.y[hi], legs[:, 1]])
    leg_len = np.hypot(legs[:, 0] - net.x[nodes], legs[:, 1] - net.y[nodes])
    source = np.concatenate([segs["source"].to_numpy(np.int64), np.arange(n)])
    c_lo = np.concatenate([segs["c_lo"].to_numpy(), np.zeros(n)])
    t_lo = np.concatenate([segs["t_lo"].to_numpy(), leg_len / speed])
    c_hi = np.concatenate([segs["c_hi"].to_numpy(), np.full(n, np.inf)])
    t_hi = np.concatenate([segs["t_hi"].to_numpy(), np.full(n, np.inf)])
    n_seg = np.bincount(segs["source"].to_numpy(np.int64), minlength=n)
    polys = np.empty((n, len(limits)), dtype=object)
    net_area = np.zeros((n, len(limits)))
    network = np.full(n, None, dtype=object)
    filled = np.full(n, None, dtype=object)
    previous = -np.inf
    for k, limit in enumerate(limits):
        row, a, b = band_pieces(c_lo, t_lo, c_hi, t_hi, previous, limit)
        order = np.argsort(source[row], kind="stable")
        row, a, b = row[order], a[order], b[order]
        dx, dy = x1[row] - x0[row], y1[row] - y0[row]
        coords = np.stack(
            [np.column_stack([x0[row] + a * dx, y0[row] + a * dy]), np.column_stack([x0[row] + b * dx, y0[row] + b * dy])],
            axis=1,
        )
        lines = shapely.linestrings(coords)
        group = source[row]
        # Merge touching pieces into polylines first: far fewer round caps to buffer and union.
        has = np.bincount(group, minlength=n) > 0
        present = np.flatnonzero(has)
        merged = shapely.line_merge(shapely.multilinestrings(lines, indices=np.searchsorted(present, group)))
        parts, pidx = shapely.get_parts(merged, return_index=True)
        # Dense OSM vertices add nothing to a 25 m buffer but cost in the union.
        parts = shapely.simplify(parts, _SIMPLIFY_M)
        buffers = shapely.buffer(parts, buffer_m, quad_segs=_QUAD_SEGS)
        network = _group_union(buffers, present[pidx], n, network)
        net_area[:, k] = shapely.area(network)
        holes_filled = _fill_holes(network, fill_holes_m2)
        # Union with the previous polygon: nesting by construction.
        filled = np.array(
            [h if f is None else shapely.union(f, h) for f, h in zip(filled, holes_filled)], dtype=object
        )
        polys[:, k] = filled
        previous = limit
    return polys, net_area, n_seg


_JOB: dict[str, Any] = {}


def _run_forked(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    net, nodes, locations, mins, reverse, buffer_m, fill_holes_m2 = _JOB["args"]
    return _chunk_polygons(net, nodes[idx], locations[idx], mins, reverse, buffer_m, fill_holes_m2)


def isochrone_polygons(
    net: RoadNetwork,
    nodes: np.ndarray,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    *,
    locations: np.ndarray | None = None,
    reverse: bool = True,
    buffer_m: float = DEFAULT_BUFFER_M,
    fill_holes_m2: float = DEFAULT_FILL_HOLES_M2,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nested isochrone polygons in the network's metric CRS.

    Parameters
    ----------
    net
        The network.
    nodes
        Facility node indices.
    minutes
        Thresholds (sorted ascending inside).
    locations
        Facility positions (x, y) in ``net.crs``, one row per node; the access leg
        from each node to its location is drawn. Default: the nodes themselves.
    reverse
        True (default): time from the streets *to* the facility (what residents
        travel); False: from the facility outward. Identical on walk networks.
    buffer_m
        Street buffer half-width in metres.
    fill_holes_m2
        Fill holes up to this area (0 keeps every hole).
    threads
        Workers (default: the machine's cores); forked processes where the
        platform allows, since GEOS overlays do not run in parallel in threads.

    Returns
    -------
    (polygons, network_area_m2, reached_segments)
        ``polygons[i, k]`` for facility ``i`` and threshold ``k`` (ascending), the
        area of the buffered reachable network alone, and the number of street
        segments reached within the largest threshold.
    """
    mins = parse_minutes(list(minutes))
    nodes = np.asarray(nodes, dtype=np.int64)
    if locations is None:
        locations = np.column_stack([net.x[nodes], net.y[nodes]])
    n = len(nodes)
    if n == 0:
        return np.empty((0, len(mins)), dtype=object), np.zeros((0, len(mins))), np.zeros(0, dtype=np.int64)
    chunks = np.array_split(np.arange(n), max(1, -(-n // _CHUNK)))

    def run(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _chunk_polygons(net, nodes[idx], locations[idx], mins, reverse, buffer_m, fill_holes_m2)

    workers = max(1, threads or os.cpu_count() or 1)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    if workers == 1 or len(chunks) == 1:
        parts = [run(c) for c in chunks]
    elif "fork" in mp.get_all_start_methods():
        # GEOS overlay work holds the GIL in practice: use processes. Forked
        # workers inherit the job through a module global instead of pickling the network.
        _JOB["args"] = (net, nodes, locations, mins, reverse, buffer_m, fill_holes_m2)
        try:
            with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=mp.get_context("fork")) as procs:
                parts = list(procs.map(_run_forked, chunks))
        finally:
            _JOB.clear()
    else:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(run, chunks))
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def isochrones(
    net: RoadNetwork,
    facilities: pd.DataFrame,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    *,
    rings: bool = False,
    reverse: bool = True,
    buffer_m: float = DEFAULT_BUFFER_M,
    fill_holes_m2: float = DEFAULT_FILL_HOLES_M2,
    tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    threads: int | None = None,
) -> gpd.GeoDataFrame:
    """Isochrone polygons per facility and threshold, as a GeoDataFrame in WGS84.

    Parameters
    ----------
    net
        The network (any mode; thresholds are travel time in minutes).
    facilities
        Table with ``id``, ``lon``, ``lat`` (WGS84) and optionally ``type``, ``name``.
    minutes
        Thresholds, e.g. ``(5, 10, 15)``.
    rings
        False (default): disks (0-15 min); True: rings between consecutive
        thresholds (10-15 min).
    reverse, buffer_m, fill_holes_m2, threads
        See :func:`isochrone_polygons`.
    tolerance_m
        Snap tolerance; facilities farther from the network are kept and flagged
        in ``beyond_tolerance``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per facility and threshold: ``facility_id``, ``type``, ``name``,
        ``minutes``, ``min_minutes`` (0 for disks, the previous threshold for
        rings), ``area_m2`` (of the feature: disk or ring), ``network_area_m2``
        and ``quality`` (buffered reachable network area / area, both of the
        disk), ``snap_m``,
        ``beyond_tolerance``, ``reached_segments`` and the geometry (EPSG:4326).
    """
    import geopandas as gpd

    from siting.routing.snap import require_located, snap, to_network_crs

    mins = parse_minutes(list(minutes))
    require_located(facilities, "facility")
    lon = facilities["lon"].to_numpy(float)
    lat = facilities["lat"].to_numpy(float)
    snapped = snap(net, lon, lat, tolerance_m)
    x, y = to_network_crs(net, lon, lat)
    nodes = snapped["node"].to_numpy(np.int64)
    polys, net_area, n_seg = isochrone_polygons(
        net, nodes, mins, locations=np.column_stack([x, y]), reverse=reverse, buffer_m=buffer_m,
        fill_holes_m2=fill_holes_m2, threads=threads,
    )
    n, k = polys.shape
    area = shapely.area(polys) if polys.size else np.zeros((n, k))
    geoms = polys.copy()
    if rings and k > 1:
        geoms[:, 1:] = shapely.difference(polys[:, 1:], polys[:, :-1])
    lower = np.array([0.0] + mins[:-1]) if rings else np.zeros(k)
    ids = facilities["id"].astype(str).to_numpy()

    def col(name: str) -> np.ndarray:
        if name in facilities.columns:
            return np.repeat(facilities[name].astype(str).to_numpy(), k)
        return np.full(n * k, "", dtype=object)

    with np.errstate(divide="ignore", invalid="ignore"):
        quality = np.where(area > 0, net_area / area, np.nan)
    frame = gpd.GeoDataFrame(
        {
            "facility_id": np.repeat(ids, k),
            "type": col("type"),
            "name": col("name"),
            "minutes": np.tile(np.asarray(mins, dtype=float), n),
            "min_minutes": np.tile(lower, n),
            "area_m2": np.round(shapely.area(geoms).ravel() if geoms.size else area.ravel(), 1),
            "network_area_m2": np.round(net_area.ravel(), 1),
            "quality": np.round(quality.ravel(), 4),
            "snap_m": np.repeat(np.round(snapped["snap_m"].to_numpy(float), 1), k),
            "beyond_tolerance": np.repeat(snapped["beyond_tolerance"].to_numpy(bool), k),
            "reached_segments": np.repeat(n_seg, k),
        },
        geometry=geoms.ravel(),
        crs=net.crs,
    )
    frame = frame.to_crs(4326)
    frame.attrs["rings"] = bool(rings)
    return frame


def union_by_type(iso: gpd.GeoDataFrame, net_crs: str | None = None) -> gpd.GeoDataFrame:
    """Union of the isochrone disks per facility type and threshold.

    Parameters
    ----------
    iso
        Output of :func:`isochrones` with disks (``rings=False``).
    net_crs
        Metric CRS for the areas (default: the UTM zone of the data).

    Returns
    -------
    geopandas.GeoDataFrame
        ``type``, ``minutes``, ``facilities`` (count), ``area_m2`` and the geometry (EPSG:4326).
    """
    import geopandas as gpd

    from siting.coords import utm_epsg

    if iso.attrs.get("rings"):
        raise SitingError("union_by_type needs disks: build the isochrones without rings")
    if iso.empty:
        return gpd.GeoDataFrame({"type": [], "minutes": [], "facilities": [], "area_m2": []}, geometry=[], crs=4326)
    if net_crs is None:
        x0, y0, x1, y1 = iso.total_bounds
        net_crs = f"EPSG:{utm_epsg((x0 + x1) / 2, (y0 + y1) / 2)}"
    metric = iso.to_crs(net_crs)
    rows: list[dict[str, Any]] = []
    geoms = []
    for (kind, mins), group in metric.groupby(["type", "minutes"], sort=True):
        geom = shapely.union_all(group.geometry.to_numpy())
        rows.append({"type": kind, "minutes": float(mins), "facilities": int(group["facility_id"].nunique()),
                     "area_m2": round(float(geom.area), 1)})
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=net_crs).to_crs(4326)
