"""Tests for siting.osm.features, cross-checked against osmnx on the real Monaco extract."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import pytest

from siting.errors import InputError
from siting.inputs.bundled import data_path
from siting.inputs.facilities import read_facilities as read_facility_csv
from siting.osm.features import (
    RESIDENTIAL_BUILDINGS,
    facilities_table,
    facility_types,
    hospital_category,
    read_buildings,
    read_buildings_and_landuse,
    read_facilities,
    read_landuse,
    write_facilities_csv,
)

MONACO = data_path("osm", "monaco.osm.pbf")


@pytest.fixture(scope="module")
def monaco_xml(tmp_path_factory):
    """The Monaco PBF written out as OSM XML by pyosmium (an independent second format)."""
    path = tmp_path_factory.mktemp("osm") / "monaco.osm"
    writer = osmium.SimpleWriter(str(path))
    try:
        for obj in osmium.FileProcessor(str(MONACO)):
            writer.add(obj)
    finally:
        writer.close()
    return path


@pytest.fixture(scope="module")
def osmnx_features(monaco_xml):
    """osmnx's own reading of the same data (pure-Python XML parser, its own polygon rules)."""
    tags = {"building": True, "landuse": True, "amenity": ["hospital"], "healthcare": ["hospital"]}
    frame = ox.features_from_xml(monaco_xml, tags=tags)
    frame.index = [("n" if t == "node" else "w" if t == "way" else "r") + str(i) for t, i in frame.index]
    return frame


@pytest.fixture(scope="module")
def monaco_facilities():
    return read_facilities(MONACO)


@pytest.fixture(scope="module")
def monaco_buildings():
    return read_buildings(MONACO)


# ------------------------------------------------------------------ tag rules


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "hospital"}, ["hospital"]),
        ({"healthcare": "hospital", "name": "Princess Grace"}, ["hospital"]),
        ({"amenity": "clinic"}, ["clinic"]),
        ({"amenity": "doctors", "healthcare": "doctor"}, ["clinic"]),
        ({"healthcare": "centre"}, ["clinic"]),
        ({"amenity": "nursing_home"}, ["elderly"]),
        ({"amenity": "social_facility", "social_facility": "group_home", "social_facility:for": "senior"}, ["elderly"]),
        ({"amenity": "social_facility", "social_facility:for": "homeless"}, []),
        ({"amenity": "hospital", "name": "Centre de Gérontologie Clinique"}, ["hospital", "elderly"]),
        ({"amenity": "hospital", "name": "钦州市老年病医院"}, ["hospital", "elderly"]),
        ({"amenity": "clinic", "healthcare:speciality": "geriatrics"}, ["clinic", "elderly"]),
        ({"amenity": "childcare"}, ["childcare"]),
        ({"amenity": "kindergarten", "name": "crèche"}, ["childcare"]),
        ({"amenity": "pharmacy", "healthcare": "pharmacy"}, []),
        ({"building": "yes"}, []),
    ],
)
def test_facility_types(tags, expected):
    assert facility_types(tags) == expected


@pytest.mark.parametrize(
    ("tags", "category", "speciality"),
    [
        ({"name": "Centre hospitalier Princesse Grace"}, "general", ""),
        ({}, "general", ""),  # nothing to go by: assumed general (see the last element)
        ({"name": "Centre Cardio Thoracique de Monaco"}, "specialist", "cardiology"),
        ({"name": "Centre de Gérontologie Clinique Rainier III"}, "specialist", "geriatrics"),
        ({"name": "X", "healthcare:speciality": "psychiatry"}, "specialist", "psychiatry"),
        ({"name": "钦州市中医医院"}, "tcm", ""),
        ({"name": "钦州市妇幼保健院"}, "maternity", ""),
        ({"name": "那丽镇卫生院"}, "primary", ""),
        ({"name": "北京京城皮肤病医院"}, "specialist", "dermatology"),
        ({"name": "X", "healthcare:speciality": "general"}, "general", ""),
        ({"name": "北京京城皮肤病医院", "healthcare:speciality": "general"}, "specialist", "dermatology"),
        ({"name": "Farmacy des Anglais"}, "specialist", "pharmacy"),
    ],
)
def test_hospital_category(tags, category, speciality):
    got = hospital_category(tags)
    assert got[:2] == (category, speciality)
    assert bool(got[2]) == (speciality == "pharmacy")  # only the mis-tagged pharmacy gets a note
    assert got[4] == (tags in ({}, ))  # assumed only when neither tags nor name say anything


# ------------------------------------------------------------------ Monaco facilities


def test_monaco_hospitals_match_osmnx(monaco_facilities, osmnx_features):
    ours = monaco_facilities[monaco_facilities["type"] == "hospital"]
    theirs = osmnx_features[
        (osmnx_features.get("amenity") == "hospital") | (osmnx_features.get("healthcare") == "hospital")
    ]
    assert len(ours) == len(theirs) == 7
    assert set(ours["id"]) == set(theirs.index)
    # a hospital drawn as a polygon gets a point inside osmnx's polygon of it
    for oid in ("w49209406", "w94252399", "w572949998"):
        point = ours.set_index("id").geometry[oid]
        assert theirs.geometry[oid].contains(point), oid
    # nodes keep their exact location
    node = ours.set_index("id").geometry["n7930513065"]
    assert node.equals_exact(theirs.geometry["n7930513065"], 1e-9)


def test_monaco_geriatric_centre_is_hospital_and_elderly(monaco_facilities):
    f = monaco_facilities.set_index("id")
    assert f.loc["w572949998", "type"] == "hospital" and f.loc["w572949998", "category"] == "specialist"
    assert f.loc["w572949998/elderly", "type"] == "elderly"
    assert bool(f.loc["w572949998/elderly", "has_clinic"]) is True
    assert f.geometry["w572949998/elderly"].equals(f.geometry["w572949998"])
    assert f.loc["w49209406", "category"] == "general"
    assert set(monaco_facilities.loc[monaco_facilities["type"] == "childcare", "id"]) == {"n4056395693", "r2236035"}
    assert monaco_facilities["id"].is_unique
    assert monaco_facilities.crs.to_epsg() == 4326


def test_pbf_and_xml_give_the_same_facilities(monaco_facilities, monaco_xml):
    from_xml = read_facilities(monaco_xml)
    pd.testing.assert_frame_equal(
        pd.DataFrame(from_xml.drop(columns="geometry")), pd.DataFrame(monaco_facilities.drop(columns="geometry"))
    )
    assert np.abs(from_xml.geometry.x - monaco_facilities.geometry.x).max() < 1e-9


def test_kotka_and_oakland():
    kotka = read_facilities(data_path("osm", "kotka_test.osm.pbf"))
    assert list(kotka["type"]) == ["childcare", "childcare"]
    assert set(kotka["amenity"]) == {"kindergarten", "childcare"}
    oakland = data_path("osm", "West-Oakland.osm.bz2")  # bzip2-compressed XML
    assert read_facilities(oakland).empty
    assert len(read_buildings(oakland)) > 0


# ------------------------------------------------------------------ buildings and land use


def test_monaco_buildings_match_osmnx(monaco_buildings, osmnx_features):
    theirs = osmnx_features[osmnx_features["building"].notna() & (osmnx_features["building"] != "no")]
    theirs = theirs[theirs.geom_type.isin(["Polygon", "MultiPolygon"])]
    assert len(monaco_buildings) == len(theirs) == 1283
    assert set(monaco_buildings["id"]) == set(theirs.index)
    ours = monaco_buildings.set_index("id")
    area = theirs.to_crs(32632).area.reindex(ours.index)
    np.testing.assert_allclose(ours["area_m2"], area, rtol=1e-9)
    assert ours["building"].equals(theirs["building"].reindex(ours.index).astype(ours["building"].dtype))
    levels = pd.to_numeric(theirs["building:levels"].reindex(ours.index), errors="coerce")
    np.testing.assert_array_equal(ours["levels"].to_numpy(), levels.to_numpy())


def test_residential_flag_matches_an_independent_spatial_join(monaco_buildings, osmnx_features):
    zones = osmnx_features[osmnx_features.get("landuse") == "residential"]
    zones = zones[zones.geom_type.isin(["Polygon", "MultiPolygon"])]
    theirs = osmnx_features[osmnx_features["building"].notna() & (osmnx_features["building"] != "no")]
    theirs = theirs[theirs.geom_type.isin(["Polygon", "MultiPolygon"])]
    yes = theirs[theirs["building"] == "yes"]
    in_zone = gpd.sjoin(
        gpd.GeoDataFrame(geometry=yes.representative_point(), crs=4326), zones[["geometry"]], predicate="within"
    ).index.unique()
    expected = set(theirs.index[theirs["building"].isin(RESIDENTIAL_BUILDINGS)]) | set(in_zone)
    assert set(monaco_buildings.loc[monaco_buildings["residential"], "id"]) == expected
    assert len(in_zone) > 0  # the landuse rule matters on this extract


def test_monaco_landuse_matches_osmnx(osmnx_features):
    lu = read_landuse(MONACO)
    theirs = osmnx_features[osmnx_features["landuse"].notna()]
    theirs = theirs[theirs.geom_type.isin(["Polygon", "MultiPolygon"])]
    ours = lu[lu["landuse"] != ""]
    assert set(ours["id"]) == set(theirs.index)
    assert (ours.set_index("id")["landuse"] == theirs["landuse"].reindex(ours["id"]).to_numpy()).all()
    cats = lu.set_index("id")["category"]
    assert cats[lu.loc[lu["landuse"] == "residential", "id"]].eq("residential").all()
    hospital_grounds = lu[(lu["landuse"] == "") & (lu["amenity"] == "hospital")]
    assert len(hospital_grounds) == 4 and hospital_grounds["category"].eq("public").all()
    assert (lu["area_m2"] > 0).all()


# ------------------------------------------------------------------ facility CSV


def test_buildings_and_landuse_in_one_pass_equal_the_two_readers(monaco_buildings):
    buildings, landuse = read_buildings_and_landuse(MONACO)
    pd.testing.assert_frame_equal(pd.DataFrame(buildings), pd.DataFrame(monaco_buildings))
    pd.testing.assert_frame_equal(pd.DataFrame(landuse), pd.DataFrame(read_landuse(MONACO)))
    assert len(buildings) > 1000 and len(landuse) > 50


def test_bundled_monaco_facilities_csv_regenerates_identically(tmp_path, monaco_facilities):
    out = tmp_path / "monaco_facilities.csv"
    write_facilities_csv(monaco_facilities, out)
    written = out.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the Chinese names
    table = facilities_table(monaco_facilities)
    assert list(table.columns) == ["id", "name", "type", "beds", "places", "owner", "has_clinic", "lon", "lat",
                                   "category", "level", "category_assumed", "category_reason", "speciality"]
    # the bundled table is the first eleven columns, byte for byte
    bundled = pd.read_csv(data_path("monaco_facilities.csv"), dtype=str, keep_default_na=False)
    again = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(again[list(bundled.columns)], bundled)
    assert again.loc[again["id"] == "w1017567711", ["category", "category_assumed", "category_reason"]].values.tolist() \
        == [["general", "yes", "assumed"]]  # unnamed and untagged: counted as general, and flagged
    # the facility reader accepts it: categories and booleans are in its vocabulary
    parsed = read_facility_csv(out)
    assert parsed["type"].value_counts().to_dict() == {"hospital": 7, "clinic": 3, "childcare": 2, "elderly": 1}
    assert int(parsed["category_assumed"].sum()) == 2


def test_facilities_command(tmp_path, capsys):
    from siting.cli import main

    out = tmp_path / "f.xlsx"
    assert main(["facilities", str(MONACO), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["by_type"] == {"childcare": 2, "clinic": 3, "elderly": 1, "hospital": 7}
    assert summary["hospitals_by_category"] == {"general": 3, "specialist": 4}
    assert summary["hospitals_assumed_general"] == 2
    back = read_facility_csv(out)
    assert len(back) == 13 and set(back["category_reason"]) >= {"assumed", "name:cardio"}
    assert main(["facilities", str(tmp_path / "missing.pbf")]) == 2
    assert "not found" in capsys.readouterr().err


# ------------------------------------------------------------------ bad input


def test_bad_files_raise_clear_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_facilities(tmp_path / "none.osm.pbf")
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_buildings(empty)
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all" * 50)
    with pytest.raises(InputError, match="corrupt.osm.pbf.*cannot read"):
        read_landuse(corrupt)
    not_osm = tmp_path / "points.csv"
    not_osm.write_text("id,lon,lat\n", encoding="utf-8")
    with pytest.raises(InputError, match="points.csv: not an OSM file.*osm.pbf"):
        read_facilities(not_osm)
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(MONACO.read_bytes()[:200_000])
    with pytest.raises(InputError, match="truncated"):
        read_facilities(truncated)
