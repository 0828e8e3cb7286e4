"""Candidate sites: table validation, OSM buildings / land use, square and hex grids."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from siting.errors import InputError, SitingError
from siting.planning.candidates import (
    COMMERCIAL_BUILDINGS,
    candidates_from_osm,
    grid_candidates,
    validate_candidates,
)


def test_validate_reports_bad_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "c.csv"
    f.write_text(
        "id,lon,lat,capacity,fixed,region\n"
        "a,108.6,21.9,100,no,钦南区\n"
        "b,abc,21.9,,,\n"
        "a,108.7,21.9,,,\n"
        ",108.7,21.9,,,\n"
        "e,108.7,95,,,\n"
        "f,108.7,21.8,-3,,\n"
        "g,108.8,21.8,,maybe,\n"
        "h,108.8,21.7,50,yes,灵山县\n"
    )
    good, bad = validate_candidates(f)
    assert list(good["id"]) == ["a", "h"]
    assert list(good["fixed"]) == [False, True] and list(good["region"]) == ["钦南区", "灵山县"]
    assert good.crs.to_epsg() == 4326 and good.geometry.x.iloc[1] == pytest.approx(108.8)
    assert list(bad["row"]) == [2, 3, 4, 5, 6, 7]
    assert dict(zip(bad["row"], bad["field"])) == {2: "lon", 3: "id", 4: "id", 5: "lat", 6: "capacity", 7: "fixed"}
    (tmp_path / "x.csv").write_text("id,lon\n1,2\n")
    with pytest.raises(InputError, match="lat"):
        validate_candidates(tmp_path / "x.csv")


def _square_utm(epsg: int, x0: float, y0: float, side: float) -> Polygon:
    t = Transformer.from_crs(epsg, 4326, always_xy=True)
    xs, ys = t.transform([x0, x0 + side, x0 + side, x0], [y0, y0, y0 + side, y0 + side])
    return Polygon(zip(xs, ys))


def test_square_grid() -> None:
    # a 1 km square in UTM 49N (Qinzhou): a 250 m grid has 4 x 4 points, 250 m apart
    poly = _square_utm(32649, 700_000, 2_430_000, 1000)
    g = grid_candidates(poly, 250)
    assert len(g) == 16 and g.crs.to_epsg() == 4326
    xy = np.column_stack(Transformer.from_crs(4326, 32649, always_xy=True).transform(g.geometry.x, g.geometry.y))
    d, _ = cKDTree(xy).query(xy, k=2)
    assert np.allclose(d[:, 1], 250, atol=0.5)


def test_hex_grid() -> None:
    poly = _square_utm(32649, 700_000, 2_430_000, 2000)
    g = grid_candidates(poly, 200, kind="hex")
    xy = np.column_stack(Transformer.from_crs(4326, 32649, always_xy=True).transform(g.geometry.x, g.geometry.y))
    d, _ = cKDTree(xy).query(xy, k=7)
    inner = (xy[:, 0] > 700_400) & (xy[:, 0] < 701_600) & (xy[:, 1] > 2_430_400) & (xy[:, 1] < 2_431_600)
    # interior points have six neighbours at exactly the spacing
    assert inner.sum() > 20 and np.allclose(d[inner, 1:], 200, atol=0.5)
    # density of a hex grid: one point per (sqrt(3)/2) * s^2
    assert len(g) == pytest.approx(2000**2 / (np.sqrt(3) / 2 * 200**2), rel=0.06)
    with pytest.raises(SitingError, match="spacing"):
        grid_candidates(poly, 5000)


def test_osm_candidates_monaco(monaco_pbf) -> None:  # type: ignore[no-untyped-def]
    import osmium

    c = candidates_from_osm(monaco_pbf, min_area_m2=0)
    assert set(c["kind"]) <= {"public", "commercial", "vacant"} and len(c) > 0
    assert c.geometry.x.between(7.40, 7.45).all() and c.geometry.y.between(43.72, 43.76).all()
    # independent count of commercial building ways with pyosmium
    n = 0
    for obj in osmium.FileProcessor(str(monaco_pbf), osmium.osm.WAY):
        if obj.tags.get("building") in COMMERCIAL_BUILDINGS and obj.is_closed():
            n += 1
    got = (c["kind"] == "commercial") & c["id"].str.match(r"osm:w")
    assert got.sum() == pytest.approx(n, abs=max(2, 0.05 * n))


def test_near_mask_straight_and_road(monaco_walk) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import networkx as nx

    from siting.coords import haversine_m
    from siting.planning.candidates import near_mask
    from siting.routing.snap import snap

    net = monaco_walk
    rng = np.random.default_rng(3)
    idx = rng.choice(len(net.lon), 43, replace=False)
    cand = gpd.GeoDataFrame(geometry=gpd.points_from_xy(net.lon[idx[:40]], net.lat[idx[:40]]), crs=4326)
    hosp = gpd.GeoDataFrame(geometry=gpd.points_from_xy(net.lon[idx[40:]], net.lat[idx[40:]]), crs=4326)
    straight = near_mask(cand, hosp, 600)
    hv = haversine_m(cand.geometry.x.to_numpy()[:, None], cand.geometry.y.to_numpy()[:, None],
                     hosp.geometry.x.to_numpy()[None], hosp.geometry.y.to_numpy()[None]).min(axis=1)
    clear = np.abs(hv - 600) > 3  # UTM vs great circle differ by centimetres, not metres
    assert (straight[clear] == (hv[clear] <= 600)).all() and 0 < straight.sum() < 40
    road = near_mask(cand, hosp, 600, network=net)
    g = net.to_networkx().reverse(copy=False)
    hn = snap(net, hosp.geometry.x, hosp.geometry.y)["node"].to_numpy()
    dist = nx.multi_source_dijkstra_path_length(g, {int(n) for n in hn}, weight="length")
    cn = snap(net, cand.geometry.x, cand.geometry.y)["node"].to_numpy()
    expect = np.array([dist.get(int(n), np.inf) <= 600 for n in cn])
    assert (road == expect).all()
    # a road path is never shorter than the straight line
    assert not (road & (hv > 601)).any() and road.sum() > 0


def test_candidate_source_defaults_and_errors() -> None:
    from siting.planning.candidates import candidate_source

    assert candidate_source(None, "c.csv") == "table" and candidate_source(None, None) == "grid"
    assert candidate_source("osm", None) == "osm"
    with pytest.raises(SitingError, match="unknown candidate source 'lidar'"):
        candidate_source("lidar", None)
    with pytest.raises(SitingError, match="--candidates C.csv"):
        candidate_source("table", None)


def test_osm_candidate_table_monaco(monaco_pbf, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from siting.planning.candidates import osm_candidate_table

    every = candidates_from_osm(monaco_pbf)
    t = osm_candidate_table(monaco_pbf)
    # One candidate per site (a building both public and commercial keeps its first kind), and its
    # source says why it is one.
    assert t["id"].is_unique and len(t) == every["id"].nunique()
    assert set(t["source"]) <= {"osm public", "osm vacant", "osm commercial"}
    first = every.drop_duplicates("id").set_index("id")["kind"]
    assert (t.set_index("id")["source"] == "osm " + first.loc[t["id"]]).all()
    public = osm_candidate_table(monaco_pbf, ("public",))
    assert set(public["source"]) == {"osm public"} and len(public) == (every["kind"] == "public").sum()
    with pytest.raises(SitingError, match="unknown OSM candidate kind"):
        osm_candidate_table(monaco_pbf, ("parks",))
    with pytest.raises(InputError, match="OSM file for candidate sites not found"):
        osm_candidate_table(tmp_path / "missing.osm.pbf")
