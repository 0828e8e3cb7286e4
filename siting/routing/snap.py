"""Snapping points to the road network.

Points are matched to the nearest network node in metres (the network's UTM
zone), with the snap distance reported per point. Points farther than the
tolerance are flagged, never dropped: a facility 2 km from any road is a data
problem the user must see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pyproj import Transformer
from scipy.spatial import cKDTree

from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    from siting.network import RoadNetwork



def _tree(net: RoadNetwork) -> cKDTree:
    if "kdtree" not in net.cache:
        net.cache["kdtree"] = cKDTree(np.column_stack([net.x, net.y]))
    return net.cache["kdtree"]


def to_network_crs(net: RoadNetwork, lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 points into the network's metric CRS."""
    tr = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def extent(net: RoadNetwork) -> tuple[float, float, float, float]:
    """The network's WGS84 bounding box (west, south, east, north)."""
    return float(net.lon.min()), float(net.lat.min()), float(net.lon.max()), float(net.lat.max())


def _inside(bbox: tuple[float, float, float, float], lon: np.ndarray, lat: np.ndarray, margin: float) -> np.ndarray:
    w, s, e, n = bbox
    return (lon >= w - margin) & (lon <= e + margin) & (lat >= s - margin) & (lat <= n + margin)


def snap(
    net: RoadNetwork, lon: ArrayLike, lat: ArrayLike, tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M
) -> pd.DataFrame:
    """Nearest network node for each WGS84 point.

    Parameters
    ----------
    net
        The network.
    lon, lat
        WGS84 coordinates.
    tolerance_m
        Snap distances above this are flagged in ``beyond_tolerance``.

    Returns
    -------
    pandas.DataFrame
        One row per point, in input order: ``node`` (node index), ``snap_m``
        (metres to that node), ``beyond_tolerance``, ``outside_extent`` (the
        point lies outside the network's bounding box by more than the
        tolerance) and ``swapped`` (outside, but inside once lon and lat are
        exchanged: the columns are probably swapped).
    """
    lon_a = np.asarray(lon, dtype=float).ravel()
    lat_a = np.asarray(lat, dtype=float).ravel()
    if len(lon_a) == 0:
        return pd.DataFrame(
            {"node": np.zeros(0, np.int64), "snap_m": np.zeros(0), "beyond_tolerance": np.zeros(0, bool),
             "outside_extent": np.zeros(0, bool), "swapped": np.zeros(0, bool)}
        )
    x, y = to_network_crs(net, lon_a, lat_a)
    finite = np.isfinite(x) & np.isfinite(y)
    dist = np.full(len(lon_a), np.inf)
    node = np.zeros(len(lon_a), dtype=np.int64)
    if finite.any():
        d, i = _tree(net).query(np.column_stack([x[finite], y[finite]]))
        dist[finite] = d
        node[finite] = i
    bbox = extent(net)
    margin_deg = tolerance_m / 111_000.0
    outside = ~_inside(bbox, lon_a, lat_a, margin_deg)
    swapped = outside & _inside(bbox, lat_a, lon_a, margin_deg)
    return pd.DataFrame(
        {
            "node": node,
            "snap_m": dist,
            "beyond_tolerance": dist > tolerance_m,
            "outside_extent": outside,
            "swapped": swapped,
        }
    )


def snap_frame(
    net: RoadNetwork, points: pd.DataFrame, tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M
) -> pd.DataFrame:
    """Add the :func:`snap` columns to a table with ``lon``/``lat`` columns (a copy)."""
    snapped = snap(net, points["lon"].to_numpy(float), points["lat"].to_numpy(float), tolerance_m)
    out = points.copy()
    for col in snapped.columns:
        out[col] = snapped[col].to_numpy()
    return out


def describe_problems(snapped: pd.DataFrame, id_column: str = "id", limit: int = 5) -> list[str]:
    """Human-readable warnings for flagged points (swapped, outside, far from any road)."""
    notes = []
    ids = snapped[id_column].astype(str) if id_column in snapped else snapped.index.astype(str)
    for flag, text in (
        ("swapped", "look like lon/lat swapped (they fall in the network once exchanged)"),
        ("outside_extent", "lie outside the network's extent"),
        ("beyond_tolerance", "are farther from the road network than the snap tolerance"),
    ):
        mask = snapped[flag].to_numpy(bool)
        if flag == "outside_extent":
            mask = mask & ~snapped["swapped"].to_numpy(bool)
        if flag == "beyond_tolerance":
            mask = mask & ~snapped["outside_extent"].to_numpy(bool)
        if mask.any():
            shown = ", ".join(ids[mask].tolist()[:limit]) + (" ..." if mask.sum() > limit else "")
            notes.append(f"{int(mask.sum())} point(s) {text}: {shown}")
    return notes
