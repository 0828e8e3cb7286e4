"""Demand points: conservation, floor-area weighting, fallbacks, rasters and bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from siting.analysis.demand import (
    MONACO_CENSUS_2016,
    QINZHOU_SHARE_60PLUS,
    allocate,
    demand_from_census,
    demand_from_raster,
    extent_unit,
    group_column,
    join_census,
    read_census_table,
    read_demand_table,
    snap_demand,
)
from siting.errors import InputError, SitingError

M = 1 / 111_319.49  # degrees per metre on the equator


def square(x: float, y: float, size: float) -> shapely.Polygon:
    """A square of ``size`` metres with its south-west corner at (x, y) metres from (9°E, 0°N)."""
    return shapely.box(9 + x * M, y * M, 9 + (x + size) * M, (y + size) * M)


def test_allocate_largest_remainder():
    assert allocate(10, np.array([1, 1, 1])).tolist() == [4, 3, 3]
    # 3.5, 1.75, 1.75: floors 3, 1, 1 and the two largest remainders (0.75) get the 2 left.
    assert allocate(7, np.array([0.5, 0.25, 0.25])).tolist() == [3, 2, 2]
    parts = allocate(1234567, np.random.default_rng(0).random(997))
    assert parts.sum() == 1234567 and (parts == np.floor(parts)).all()
    frac = allocate(10.5, np.array([1.0, 2.0]))
    assert frac.sum() == 10.5


def test_group_columns():
    assert group_column("60+") == "pop_60plus" and group_column("0-3") == "pop_0_3" and group_column("all") == "population"
    with pytest.raises(SitingError, match="unknown target group"):
        group_column("teens")


def test_floor_area_weighting_and_conservation():
    units = gpd.GeoDataFrame({"name": ["a", "b"], "pop": [50, 101]},
                             geometry=[square(0, 0, 1000), square(1000, 0, 1000)], crs=4326)
    buildings = gpd.GeoDataFrame(
        {"id": ["w1", "w2", "w3", "w4"], "residential": [True, True, False, True], "levels": [2, np.nan, 10, 1]},
        geometry=[square(100, 100, 10), square(300, 300, 10), square(500, 500, 50), square(1200, 100, 20)], crs=4326,
    )
    d = demand_from_census(units, "pop", buildings, unit_column="name", shares={"60+": QINZHOU_SHARE_60PLUS})
    a = d[d["unit"] == "a"].set_index("feature_id")
    # 100 m² x 2 levels against 100 m² x 3 default levels: 2:3 of 50 people; w3 is not residential.
    assert a.loc["w1", "population"] == 20 and a.loc["w2", "population"] == 30
    assert "w3" not in a.index
    assert d.groupby("unit")["population"].sum().to_dict() == {"a": 50, "b": 101}
    assert d["pop_60plus"].sum() == pytest.approx(151 * 0.1577)
    assert set(d["source"]) == {"building"}


def test_a_home_in_overlapping_units_goes_to_the_first():
    # Units a (0-1000 m) and b (500-1500 m) overlap; w2 lies in both, w1 only in a, w3 only in b.
    units = gpd.GeoDataFrame({"name": ["a", "b"], "pop": [30, 20]},
                             geometry=[square(0, 0, 1000), square(500, 0, 1000)], crs=4326)
    buildings = gpd.GeoDataFrame({"id": ["w1", "w2", "w3"], "residential": True, "levels": [1, 1, 1]},
                                 geometry=[square(100, 100, 10), square(700, 100, 10), square(1200, 100, 10)],
                                 crs=4326)
    d = demand_from_census(units, "pop", buildings, unit_column="name")
    assert d[["unit", "feature_id", "population"]].values.tolist() == [["a", "w1", 15], ["a", "w2", 15], ["b", "w3", 20]]
    # and in the other order of the units, w2 goes to b
    d = demand_from_census(units.iloc[::-1], "pop", buildings, unit_column="name")
    assert d[["unit", "feature_id"]].values.tolist() == [["b", "w2"], ["b", "w3"], ["a", "w1"]]


def test_fallbacks_landuse_then_grid():
    units = gpd.GeoDataFrame({"name": ["lu", "empty"], "pop": [1000, 333]},
                             geometry=[square(0, 0, 1000), square(2000, 0, 600)], crs=4326)
    landuse = gpd.GeoDataFrame({"landuse": ["residential", "industrial"]},
                               geometry=[square(0, 0, 400), square(2000, 0, 600)], crs=4326)
    d = demand_from_census(units, "pop", None, landuse, unit_column="name", hex_m=100)
    lu, grid = d[d["unit"] == "lu"], d[d["unit"] == "empty"]
    assert set(lu["source"]) == {"landuse"} and set(grid["source"]) == {"grid"}
    assert lu["population"].sum() == 1000 and grid["population"].sum() == 333
    # Land-use points stay inside the residential area; grid weights add up to the unit's area.
    inside = gpd.GeoSeries([square(0, 0, 400)], crs=4326).to_crs(32632).iloc[0]
    assert shapely.covers(inside.buffer(1e-6), lu.to_crs(32632).geometry.to_numpy()).all()
    area = gpd.GeoSeries([square(2000, 0, 600)], crs=4326).to_crs(32632).area.iloc[0]
    assert grid["weight"].sum() == pytest.approx(area, rel=1e-6)


def test_per_unit_shares():
    units = gpd.GeoDataFrame({"name": ["a", "b"], "pop": [100, 200], "s60": [0.1, 0.25]},
                             geometry=[square(0, 0, 300), square(1000, 0, 300)], crs=4326)
    d = demand_from_census(units, "pop", unit_column="name", shares={"60+": "s60", "0-3": 0.03})
    by = d.groupby("unit")[["pop_60plus", "pop_0_3"]].sum()
    assert by.loc["a", "pop_60plus"] == pytest.approx(10) and by.loc["b", "pop_60plus"] == pytest.approx(50)
    assert by["pop_0_3"].sum() == pytest.approx(9)


def test_bad_census_input(tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("name,population\na,10\nb,-3\n")
    with pytest.raises(InputError, match=r"row 2.*population"):
        read_census_table(csv, "name")
    csv.write_text("name,population\na,10\nb,\n")
    with pytest.raises(InputError, match=r"row 2.*missing"):
        read_census_table(csv, "name")
    csv.write_text("name,population\na,10\nc,4\n")
    table = read_census_table(csv, "name")
    bounds = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[square(0, 0, 10), square(20, 0, 10)], crs=4326)
    with pytest.raises(InputError) as err:
        join_census(bounds, table, "name", path=csv)
    assert "without a boundary: c" in str(err.value) and "without a census row: b" in str(err.value)
    units = gpd.GeoDataFrame({"name": ["a"], "pop": [np.nan]}, geometry=[square(0, 0, 10)], crs=4326)
    with pytest.raises(InputError, match="missing"):
        demand_from_census(units, "pop", unit_column="name")


def test_raster_other_crs_conserved(tmp_path):
    import rasterio
    from affine import Affine
    from pyproj import Transformer

    values = np.array([[1.5, 0, 2], [-9999, 4, 8.25]], dtype="float32")
    path = tmp_path / "pop.tif"
    # Web Mercator cells of 100 m near Monaco; -9999 is nodata.
    transform = Affine(100, 0, 826_000, 0, -100, 5_425_000)
    with rasterio.open(path, "w", driver="GTiff", width=3, height=2, count=1, dtype="float32",
                       crs="EPSG:3857", transform=transform, nodata=-9999) as ds:
        ds.write(values, 1)
    d = demand_from_raster(path)
    assert d["population"].sum() == pytest.approx(1.5 + 2 + 4 + 8.25)
    assert len(d) == 4
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(826_050, 5_424_950)
    first = d.iloc[0]
    assert first["lon"] == pytest.approx(lon) and first["lat"] == pytest.approx(lat)
    values[0, 1] = -2
    bad = tmp_path / "bad.tif"
    with rasterio.open(bad, "w", driver="GTiff", width=3, height=2, count=1, dtype="float32",
                       crs="EPSG:3857", transform=transform, nodata=-9999) as ds:
        ds.write(values, 1)
    with pytest.raises(InputError, match="negative population"):
        demand_from_raster(bad)
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(nocrs, "w", driver="GTiff", width=3, height=2, count=1, dtype="float32",
                       transform=transform) as ds:
        ds.write(np.abs(values), 1)
    with pytest.raises(InputError, match="no coordinate reference system"):
        demand_from_raster(nocrs)


def test_demand_table(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("id,lon,lat,population\np1,7.42,43.73,10\np2,7.43,43.74,-1\n")
    with pytest.raises(InputError, match=r"row 2.*population"):
        read_demand_table(csv)
    csv.write_text("id,lon,lat,population,pop_60plus\np1,7.42,43.73,10,3\np2,7.43,43.74,5,1\n")
    d = read_demand_table(csv)
    assert d["population"].sum() == 15 and d["pop_60plus"].sum() == 4


def test_monaco_census_over_buildings(monaco_pbf, monaco_walk):
    from siting.osm.features import read_buildings, read_landuse

    unit = extent_unit(monaco_walk, "Monaco", MONACO_CENSUS_2016)
    d = demand_from_census(unit, "population", read_buildings(monaco_pbf), read_landuse(monaco_pbf),
                           unit_column="unit")
    assert d["population"].sum() == 37_308
    assert set(d["source"]) == {"building"} and len(d) > 500
    snapped = snap_demand(monaco_walk, d)
    assert len(snapped) == len(d) and snapped["snap_m"].notna().all()
    assert snapped["snap_m"].median() < 50
