"""Tests for siting.routing.snap, cross-checked with geodesic distances from pyproj on the Monaco walk graph."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from siting.network import RoadNetwork
from siting.routing.snap import describe_problems, snap, snap_frame

GEOD = Geod(ellps="WGS84")


def geodesic_to_all(net: RoadNetwork, lon: float, lat: float) -> np.ndarray:
    n = net.n_nodes
    _, _, dist = GEOD.inv(np.full(n, lon), np.full(n, lat), net.lon, net.lat)
    return np.asarray(dist)


def test_snap_distance_and_nearest_node(monaco_walk: RoadNetwork) -> None:
    rng = np.random.default_rng(11)
    w, s, e, n = monaco_walk.lon.min(), monaco_walk.lat.min(), monaco_walk.lon.max(), monaco_walk.lat.max()
    lon = rng.uniform(w, e, 60)
    lat = rng.uniform(s, n, 60)
    got = snap(monaco_walk, lon, lat)
    assert list(got.columns) == ["node", "snap_m", "beyond_tolerance", "outside_extent", "swapped"]
    assert len(got) == 60
    for i in range(60):
        dist = geodesic_to_all(monaco_walk, lon[i], lat[i])
        chosen = int(got["node"].iloc[i])
        # UTM distances differ from geodesic ones by the zone's scale factor (< 0.05 % here).
        assert got["snap_m"].iloc[i] == pytest.approx(dist[chosen], rel=5e-4, abs=1e-3)
        assert dist[chosen] <= dist.min() * (1 + 5e-4) + 1e-3
    assert np.array_equal(got["beyond_tolerance"], got["snap_m"] > 250.0)
    assert not got["outside_extent"].any() and not got["swapped"].any()


def test_points_on_nodes_snap_to_them(monaco_walk: RoadNetwork) -> None:
    nodes = np.random.default_rng(5).choice(monaco_walk.n_nodes, 30, replace=False)
    got = snap(monaco_walk, monaco_walk.lon[nodes], monaco_walk.lat[nodes])
    np.testing.assert_allclose(got["snap_m"], 0.0, atol=1e-6)
    # Coincident nodes may exist; the chosen one must be at the same place.
    assert np.allclose(monaco_walk.lon[got["node"]], monaco_walk.lon[nodes])
    assert np.allclose(monaco_walk.lat[got["node"]], monaco_walk.lat[nodes])


def test_flags_and_nothing_dropped(monaco_walk: RoadNetwork) -> None:
    i = int(np.argmin(monaco_walk.lat))  # the southernmost node
    lon0, lat0 = float(monaco_walk.lon[i]), float(monaco_walk.lat[i])
    # Points due south of it, so it is their nearest node, at known geodesic distances.
    south_lon, south_lat, _ = GEOD.fwd([lon0] * 3, [lat0] * 3, [180.0] * 3, [100.0, 400.0, 3000.0])
    lon = [*south_lon, lat0, 7.4200, float("nan")]
    lat = [*south_lat, lon0, 43.7400, 43.74]
    got = snap(monaco_walk, lon, lat, tolerance_m=250.0)
    assert len(got) == 6  # every point is kept, in input order
    assert got["node"].iloc[0] == i
    assert got["snap_m"].iloc[0] == pytest.approx(100.0, rel=5e-4)
    assert got["beyond_tolerance"].tolist() == [False, True, True, True, False, True]
    # The extent is the bbox grown by the tolerance (250 m): 400 m south of its edge is outside.
    assert got["outside_extent"].tolist() == [False, True, True, True, False, True]
    assert got["swapped"].tolist() == [False, False, False, True, False, False]
    assert np.isinf(got["snap_m"].iloc[5]) and got["node"].iloc[5] == -1  # no coordinates: no node
    assert got["snap_m"].iloc[2] > 2900.0


def test_swapped_detection_through_snap_frame(monaco_walk: RoadNetwork) -> None:
    points = pd.DataFrame({"id": ["a", "b", "c"], "lon": [7.42, 43.74, 7.42], "lat": [43.74, 7.42, 43.60]})
    out = snap_frame(monaco_walk, points)
    assert out["id"].tolist() == ["a", "b", "c"] and out["lon"].tolist() == [7.42, 43.74, 7.42]
    assert out["swapped"].tolist() == [False, True, False]
    assert out["outside_extent"].tolist() == [False, True, True]


def test_describe_problems(monaco_walk: RoadNetwork) -> None:
    points = pd.DataFrame({"id": ["a", "b", "c", "d"], "lon": [7.42, 43.74, 7.42, 7.435], "lat": [43.74, 7.42, 43.60, 43.73]})
    out = snap_frame(monaco_walk, points, tolerance_m=50.0)
    # d lies in the sea inside the extent, ~600 m from any node.
    assert out["beyond_tolerance"].tolist() == [False, True, True, True]
    notes = describe_problems(out)
    # Each point is reported once, under its most telling flag.
    assert len(notes) == 3
    assert "swapped" in notes[0] and notes[0].endswith(": b")
    assert "outside" in notes[1] and notes[1].endswith(": c")
    assert "tolerance" in notes[2] and notes[2].endswith(": d")


def test_empty_input(monaco_walk: RoadNetwork) -> None:
    got = snap(monaco_walk, [], [])
    assert got.empty and "snap_m" in got.columns
