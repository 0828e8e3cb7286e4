"""Isochrone polygons: hand-checked small graphs, nesting, and Monaco against networkx."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.analysis.isochrones import band_pieces, isochrone_polygons, isochrones, union_by_type
from siting.network import RoadNetwork
from siting.network.build import from_edges
from siting.units import parse_minutes

M_PER_DEG = 111_319.49  # metres per degree of longitude on the equator (WGS84)


def street_graph(points: list[tuple[float, float]], pairs: list[tuple[int, int]], speed: float = 1.0) -> RoadNetwork:
    """Two-way walk network with nodes at metre offsets (east, north) near (9°E, 0°N), speed in m/s."""
    lon = 9.0 + np.array([p[0] for p in points]) / M_PER_DEG
    lat = np.array([p[1] for p in points]) / M_PER_DEG
    u = [a for a, b in pairs] + [b for a, b in pairs]
    v = [b for a, b in pairs] + [a for a, b in pairs]
    length = [float(np.hypot(points[a][0] - points[b][0], points[a][1] - points[b][1])) for a, b in zip(u, v)]
    n = len(points)
    return from_edges("walk", np.arange(n) + 100, lon, lat, np.array(u), np.array(v), np.array(length),
                      np.array(length) / speed, np.array(["footway"] * len(u)), np.arange(len(u)))


def index_of(net: RoadNetwork, k: int) -> int:
    """Node index of input point k (from_edges renumbers nodes)."""
    return int(np.flatnonzero(net.node_osmid == k + 100)[0])


def test_parse_minutes():
    assert parse_minutes("15,5,10,10") == [5.0, 10.0, 15.0]
    with pytest.raises(Exception, match="positive"):
        parse_minutes("0,5")


def test_band_pieces_by_hand():
    # One segment, 100 s long, its low end reached at 40 s and its high end at 60 s.
    c_lo, t_lo, c_hi, t_hi = (np.array([x]) for x in (40.0, 100.0, 60.0, 100.0))
    row, a, b = band_pieces(c_lo, t_lo, c_hi, t_hi, -np.inf, 80.0)
    assert sorted(zip(a.round(6), b.round(6))) == [(0.0, 0.4), (0.8, 1.0)]
    row, a, b = band_pieces(c_lo, t_lo, c_hi, t_hi, 80.0, 90.0)
    assert sorted(zip(a.round(6), b.round(6))) == [(0.4, 0.5), (0.7, 0.8)]
    # At 100 s the two growing pieces meet: one piece closes the gap.
    row, a, b = band_pieces(c_lo, t_lo, c_hi, t_hi, 90.0, 100.0)
    assert list(zip(a.round(6), b.round(6))) == [(0.5, 0.7)]
    row, a, b = band_pieces(c_lo, t_lo, c_hi, t_hi, 100.0, 200.0)
    assert len(row) == 0


def test_line_partial_edge_area_by_hand():
    # A - B - C along a straight street, 100 m apart, 1 m/s: within 150 s the walker
    # reaches B and half of B-C, so the reached street is 150 m long.
    net = street_graph([(0, 0), (100, 0), (200, 0)], [(0, 1), (1, 2)])
    a, b, c = (index_of(net, k) for k in range(3))
    polys, net_area, n_seg = isochrone_polygons(net, [a], [2.5], buffer_m=10.0, threads=1)
    ab = np.hypot(net.x[b] - net.x[a], net.y[b] - net.y[a])
    bc = np.hypot(net.x[c] - net.x[b], net.y[c] - net.y[b])
    length = ab + 0.5 * bc
    # Buffer of a segment: a 2r x L rectangle and two half 12-gons (quad_segs=3) of area 1.5 r² each.
    expected = 2 * 10.0 * length + 3 * 10.0**2
    assert polys[0, 0].area == pytest.approx(expected, rel=1e-9)
    assert net_area[0, 0] == pytest.approx(expected, rel=1e-9)
    assert n_seg[0] == 2
    # The polygon ends half-way along B-C, plus the buffer.
    x_max = polys[0, 0].bounds[2]
    assert x_max == pytest.approx(net.x[b] + 0.5 * (net.x[c] - net.x[b]) + 10.0, abs=1e-6)


def test_block_hole_filled_and_quality():
    # A 100 m square block: with a 25 m buffer the streets leave a 50 x 50 m hole in the middle.
    net = street_graph([(0, 0), (100, 0), (100, 100), (0, 100)], [(0, 1), (1, 2), (2, 3), (3, 0)])
    src = [index_of(net, 0)]
    kept, kept_area, _ = isochrone_polygons(net, src, [10], buffer_m=25.0, fill_holes_m2=0, threads=1)
    filled, net_area, _ = isochrone_polygons(net, src, [10], buffer_m=25.0, threads=1)
    hole = filled[0, 0].area - kept[0, 0].area
    xs, ys = net.x[[index_of(net, k) for k in range(4)]], net.y[[index_of(net, k) for k in range(4)]]
    side_x, side_y = xs.max() - xs.min(), ys.max() - ys.min()
    assert hole == pytest.approx((side_x - 50) * (side_y - 50), rel=1e-6)
    assert shapely.get_num_interior_rings(kept[0, 0]) == 1
    assert shapely.get_num_interior_rings(filled[0, 0]) == 0
    assert net_area[0, 0] == pytest.approx(kept[0, 0].area, rel=1e-9)


def test_access_leg_puts_facility_inside(monaco_walk):
    net = monaco_walk
    # A point 120 m north of a node, off every street: its circle must still contain it.
    i = net.n_nodes // 2
    lon, lat = float(net.lon[i]), float(net.lat[i]) + 120 / 111_000
    fac = pd.DataFrame({"id": ["x"], "lon": [lon], "lat": [lat]})
    iso = isochrones(net, fac, [5])
    assert iso.geometry.iloc[0].contains(shapely.Point(lon, lat))


@pytest.fixture(scope="module")
def monaco_iso(monaco_walk):
    rng = np.random.default_rng(7)
    nodes = rng.choice(monaco_walk.n_nodes, 6, replace=False)
    fac = pd.DataFrame({"id": [f"f{k}" for k in range(6)], "type": ["elderly"] * 3 + ["childcare"] * 3,
                        "lon": monaco_walk.lon[nodes], "lat": monaco_walk.lat[nodes]})
    return fac, nodes, isochrones(monaco_walk, fac, [5, 10, 15], threads=1)


def test_monaco_nesting_and_quality(monaco_iso):
    fac, nodes, iso = monaco_iso
    assert len(iso) == 18 and set(iso.columns) >= {"facility_id", "minutes", "quality", "area_m2", "type"}
    for _, g in iso.groupby("facility_id"):
        g = g.sort_values("minutes")
        polys = g.geometry.to_numpy()
        for small, big in zip(polys[:-1], polys[1:]):
            # Nested by construction (union with the smaller disk); only float noise may differ.
            assert shapely.difference(small, big).area < 1e-12
        assert (np.diff(g["area_m2"].to_numpy()) > 0).all()
    assert iso["quality"].to_numpy() == pytest.approx((iso["network_area_m2"] / iso["area_m2"]).to_numpy(), abs=1e-4)
    # The README's figure: Monaco's 15-minute polygons are about 96 % buffered reachable street.
    assert iso.loc[iso["minutes"] == 15, "quality"].mean() == pytest.approx(0.96, abs=0.01)


def test_monaco_network_area_holds_every_fully_reached_street(monaco_walk, monaco_iso):
    """A lower bound of ``network_area_m2`` from networkx alone: every street segment a resident can walk
    whole within T (from one end or the other: (T - d_a) + (T - d_b) >= the segment's time), buffered
    by 25 m. The polygon's own street area holds at least that much."""
    fac, nodes, iso = monaco_iso
    net = monaco_walk
    g = net.to_networkx().reverse(copy=False)
    for k in range(3):
        d = nx.single_source_dijkstra_path_length(g, int(nodes[k]), cutoff=900.0, weight="travel_time")
        da = np.array([d.get(int(a), np.inf) for a in net.u])
        db = np.array([d.get(int(b), np.inf) for b in net.v])
        whole = (900.0 - da) + (900.0 - db) >= net.time_s
        segments = shapely.linestrings(np.stack([np.column_stack([net.x[net.u[whole]], net.y[net.u[whole]]]),
                                                 np.column_stack([net.x[net.v[whole]], net.y[net.v[whole]]])], axis=1))
        lower = shapely.union_all(shapely.buffer(segments, 25.0)).area
        row = iso[(iso["facility_id"] == f"f{k}") & (iso["minutes"] == 15)].iloc[0]
        assert lower > 0.5 * row["network_area_m2"]  # most of the circle's street is reached whole
        assert row["network_area_m2"] >= lower * (1 - 1e-6)
        assert row["quality"] >= lower / row["area_m2"] - 1e-4


def test_monaco_reached_nodes_inside(monaco_walk, monaco_iso):
    # Every node networkx reaches within 10 minutes (towards the facility) lies inside the 10-minute polygon.
    fac, nodes, iso = monaco_iso
    g = monaco_walk.to_networkx().reverse(copy=False)
    metric = iso.to_crs(monaco_walk.crs)
    for k in range(2):
        dist = nx.single_source_dijkstra_path_length(g, int(nodes[k]), cutoff=600.0, weight="travel_time")
        reached = np.array(list(dist))
        poly = metric[(metric["facility_id"] == f"f{k}") & (metric["minutes"] == 10)].geometry.iloc[0]
        inside = shapely.covers(shapely.buffer(poly, 1e-6), shapely.points(monaco_walk.x[reached], monaco_walk.y[reached]))
        assert inside.all()
        # And the polygon does not sweep in far-away streets: nodes beyond 15 minutes and more than
        # 100 m from every reached node lie outside.
        far = np.setdiff1d(np.arange(monaco_walk.n_nodes), list(nx.single_source_dijkstra_path_length(
            g, int(nodes[k]), cutoff=900.0, weight="travel_time")))
        from scipy.spatial import cKDTree

        d, _ = cKDTree(np.column_stack([monaco_walk.x[reached], monaco_walk.y[reached]])).query(
            np.column_stack([monaco_walk.x[far], monaco_walk.y[far]]))
        far = far[d > 100]
        assert not shapely.covers(poly, shapely.points(monaco_walk.x[far], monaco_walk.y[far])).any()


def test_rings_and_union(monaco_walk, monaco_iso):
    fac, nodes, disks = monaco_iso
    rings = isochrones(monaco_walk, fac.iloc[:2], [5, 10, 15], rings=True, threads=1)
    r = rings[rings["facility_id"] == "f0"].to_crs(monaco_walk.crs).sort_values("minutes")
    d = disks[disks["facility_id"] == "f0"].to_crs(monaco_walk.crs).sort_values("minutes")
    assert r["min_minutes"].tolist() == [0.0, 5.0, 10.0]
    assert r.geometry.iloc[2].area == pytest.approx(d.geometry.iloc[2].area - d.geometry.iloc[1].area, rel=1e-6)
    u = union_by_type(disks)
    assert sorted(u["type"].unique()) == ["childcare", "elderly"]
    e15 = u[(u["type"] == "elderly") & (u["minutes"] == 15)]
    assert int(e15["facilities"].iloc[0]) == 3
    parts = disks[(disks["type"] == "elderly") & (disks["minutes"] == 15)].to_crs(monaco_walk.crs)
    assert e15.to_crs(monaco_walk.crs).geometry.iloc[0].area == pytest.approx(
        shapely.union_all(parts.geometry.to_numpy()).area, rel=1e-6)


def test_cli_isochrones(tmp_path, monaco_pbf, monaco_walk, capsys):
    from siting.cli import main

    i, j = 100, 5000
    csv = tmp_path / "f.csv"
    csv.write_text(
        "id,name,type,lon,lat\n"
        f"a,Home A,elderly,{monaco_walk.lon[i]},{monaco_walk.lat[i]}\n"
        f"b,Creche B,childcare,{monaco_walk.lon[j]},{monaco_walk.lat[j]}\n"
    )
    out = tmp_path / "iso.geojson"
    code = main(["isochrones", "--network", str(monaco_pbf), "--facilities", str(csv), "--minutes", "5,10",
                 "--type", "elderly", "--out", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["features"] == 2
    data = json.loads(out.read_text())
    props = [f["properties"] for f in data["features"]]
    assert {(p["facility_id"], p["minutes"]) for p in props} == {("a", 5.0), ("a", 10.0)}
    assert main(["isochrones", "--network", str(monaco_pbf), "--facilities", str(csv), "--type", "hospital",
                 "--out", str(out)]) == 2
    assert "no facilities of type 'hospital'" in capsys.readouterr().err
