"""Snapping points to the road network.

Points are matched to the nearest network node in metres (the network's UTM
zone), with the snap distance reported per point. Points farther than the
tolerance are flagged, never dropped: a facility 2 km from any road is a data
problem the user must see. A point without coordinates (NaN) snaps to no node:
its ``node`` is -1, which the travel-time engine refuses, so it is never
computed with as if it stood somewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pyproj import Transformer
from scipy.spatial import cKDTree

from siting.errors import InputError
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
        One row per point, in input order: ``node`` (node index; -1 for a point
        without coordinates), ``snap_m`` (metres to that node; infinite without
        coordinates), ``beyond_tolerance``, ``outside_extent`` (the
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
    node = np.full(len(lon_a), -1, dtype=np.int64)
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


def unlocated(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where a point has no usable coordinates (NaN or infinite)."""
    lon_a, lat_a = np.asarray(lon, dtype=float).ravel(), np.asarray(lat, dtype=float).ravel()
    return ~(np.isfinite(lon_a) & np.isfinite(lat_a))


def require_located(points: pd.DataFrame, what: str = "point", id_column: str = "id") -> None:
    """Raise an :class:`InputError` naming the first row of ``points`` without coordinates.

    The error names ``points.attrs['source']`` (the file) when known, the 1-based row and the id.
    """
    bad = unlocated(points["lon"].to_numpy(float), points["lat"].to_numpy(float))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        name = f" '{points[id_column].iloc[i]}'" if id_column in points.columns else ""
        raise InputError(f"{what}{name} has no coordinates ({int(bad.sum())} of {len(points)} without)",
                         path=points.attrs.get("source"), row=i + 1, field="lon",
                         hint="Give lon and lat on every row, or leave the row out")


def describe_problems(snapped: pd.DataFrame, id_column: str = "id", limit: int = 5) -> list[str]:
    """Human-readable warnings for flagged points (no coordinates, swapped, outside, far from any road)."""
    notes = []
    ids = snapped[id_column].astype(str) if id_column in snapped else snapped.index.astype(str)
    nowhere = snapped["node"].to_numpy() < 0 if "node" in snapped else np.zeros(len(snapped), dtype=bool)
    if nowhere.any():
        shown = ", ".join(ids[nowhere].tolist()[:limit]) + (" ..." if nowhere.sum() > limit else "")
        notes.append(f"{int(nowhere.sum())} point(s) have no coordinates: {shown}")
    for flag, text in (
        ("swapped", "look like lon/lat swapped (they fall in the network once exchanged)"),
        ("outside_extent", "lie outside the network's extent"),
        ("beyond_tolerance", "are farther from the road network than the snap tolerance"),
    ):
        mask = snapped[flag].to_numpy(bool) & ~nowhere
        if flag == "outside_extent":
            mask = mask & ~snapped["swapped"].to_numpy(bool)
        if flag == "beyond_tolerance":
            mask = mask & ~snapped["outside_extent"].to_numpy(bool)
        if mask.any():
            shown = ", ".join(ids[mask].tolist()[:limit]) + (" ..." if mask.sum() > limit else "")
            notes.append(f"{int(mask.sum())} point(s) {text}: {shown}")
    return notes
