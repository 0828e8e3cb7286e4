"""Tests for the bundled data in data/ and the loaders in siting.inputs.bundled."""

from __future__ import annotations

import json
import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from siting.coords import gcj02_to_wgs84
from siting.errors import SitingError
from siting.inputs.bundled import (
    data_dir,
    data_path,
    load_baselines,
    load_boundaries,
    load_census,
    load_planned_projects,
    load_units,
)
from siting.inputs.facilities import OWNER_KINDS

CITIES = ("qinzhou", "jingdezhen")
ADCODE_COLUMNS = [
    "code", "parent", "name", "level", "rank", "adcode", "post_code", "area_code", "ur_code",
    "municipality", "virtual", "dummy", "longitude", "latitude", "center_wkb", "province", "city",
    "county", "town", "village",
]  # fmt: skip
COUNTIES = {
    "qinzhou": {"450702": "钦南区", "450703": "钦北区", "450721": "灵山县", "450722": "浦北县"},
    "jingdezhen": {"360202": "昌江区", "360203": "珠山区", "360222": "浮梁县", "360281": "乐平市"},
}


def _raw(*parts: str) -> pd.DataFrame:
    return pd.read_csv(data_path(*parts), dtype=str, keep_default_na=False)


def _norm(text: str) -> str:
    # the seed texts have stray spaces from PDF wrapping and mixed full/half-width punctuation
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _source_line(source: str) -> str:
    """Text of 'NNN Lnn' (or '... data/plans/sources/<file> Lnn') in data/plans/sources."""
    docs = load_baselines()["documents"]
    m = re.search(r"(?:sources/(\S+)|^(\d{3})) L(\d+)$", source)
    assert m, f"unparsable source {source!r}"
    name = m.group(1) or docs[m.group(2)]["file"]
    lines = data_path("plans", "sources", name).read_text(encoding="utf-8").split("\n")
    return lines[int(m.group(3)) - 1]


# ------------------------------------------------------------------ administrative units


@pytest.mark.parametrize("city", CITIES)
def test_units_keep_original_columns_and_convert_every_point(city):
    raw = _raw("china", f"units_{city}.csv")
    assert list(raw.columns) == ADCODE_COLUMNS + ["lon_wgs84", "lat_wgs84"]
    has = raw["longitude"] != ""
    assert ((raw["lon_wgs84"] != "") == has).all() and ((raw["lat_wgs84"] != "") == has).all()
    glon, glat = raw.loc[has, "longitude"].astype(float), raw.loc[has, "latitude"].astype(float)
    wlon, wlat = gcj02_to_wgs84(glon.to_numpy(), glat.to_numpy())
    # stored with 6 decimals
    assert np.abs(raw.loc[has, "lon_wgs84"].astype(float).to_numpy() - wlon).max() <= 5.01e-7
    assert np.abs(raw.loc[has, "lat_wgs84"].astype(float).to_numpy() - wlat).max() <= 5.01e-7
    # the conversion really moved the points (≈0.5 km), and the original columns are untouched:
    # the WKB point column still encodes the GCJ-02 longitude/latitude
    assert np.abs(raw.loc[has, "lon_wgs84"].astype(float) - glon).min() > 0.003
    pts = shapely.from_wkb(raw.loc[has, "center_wkb"].to_numpy())
    assert np.abs(shapely.get_x(pts) - glon.to_numpy()).max() < 1e-6
    assert np.abs(shapely.get_y(pts) - glat.to_numpy()).max() < 1e-6


def test_unit_counts_and_town_coordinate_share():
    q, j = load_units("qinzhou"), load_units("jingdezhen")
    assert len(q) == 1119 and len(j) == 813
    towns = pd.concat([q, j])
    towns = towns[towns["level"] == "town"]
    assert len(towns) == 134
    share = towns["lon_wgs84"].notna().mean()
    assert share == pytest.approx(111 / 134)  # ≈83 %, as the shared README says
    for city, counties in COUNTIES.items():
        u = load_units(city)
        seats = u[u["level"] == "county"]
        assert dict(zip(seats["adcode"], seats["name"])) == counties
        assert seats.geometry.notna().all()
        assert u["code"].str.len().eq(12).all()
        assert (seats["area_code"] == ("0777" if city == "qinzhou" else "0798")).all()  # leading zero kept


@pytest.mark.parametrize("city", CITIES)
def test_boundaries_contain_their_county_seats_and_units(city):
    b = load_boundaries(city)
    assert b.crs.to_epsg() == 4326
    assert sorted(b["level"]) == ["city"] + ["county"] * 4
    counties = b[b["level"] == "county"].set_index("adcode")
    assert counties["name"].to_dict() == COUNTIES[city]
    units = load_units(city)
    located = units[units.geometry.notna()]
    for adcode, geom in counties.geometry.items():
        seat = units[(units["level"] == "county") & (units["adcode"] == adcode)].geometry.iloc[0]
        assert geom.contains(seat), adcode
        mine = located[located["adcode"] == adcode]
        assert mine.within(geom).all(), adcode
    city_geom = b[b["level"] == "city"].geometry.iloc[0]
    assert located.within(city_geom).all()
    # county polygons tile the city: their areas add up to the city's (within 0.5 %)
    utm = b.to_crs(b.estimate_utm_crs())
    assert utm[utm["level"] == "county"].area.sum() == pytest.approx(utm[utm["level"] == "city"].area.sum(), rel=5e-3)


def test_boundary_vertices_are_converted_from_gcj02():
    # First vertex of 钦南区 in the original fence (adcode fences/450702.json): 108.711178, 21.642546 (GCJ-02).
    collection = json.loads(data_path("china", "boundaries_qinzhou.geojson").read_text(encoding="utf-8"))
    feature = next(f for f in collection["features"] if f["properties"]["adcode"] == "450702")
    first = feature["geometry"]["coordinates"][0][0][0]
    lon, lat = gcj02_to_wgs84(108.711178, 21.642546)
    assert first == [round(float(lon), 6), round(float(lat), 6)]


# ------------------------------------------------------------------ census


def test_census_rows_are_sourced_and_consistent():
    c = load_census()
    assert (c["source"].str.strip() != "").all()
    quoted = c[c["quote"] != ""]
    assert len(quoted) >= 9
    for row in quoted.itertuples():
        assert _norm(row.quote) in _norm(_source_line(row.source)), row
    pop = c[(c["indicator"] == "population") & (c["year"] == "2020")].set_index("unit")["value"]
    assert pop["钦州市"] == 3302238 and pop["钦南区"] == 616949 and pop["景德镇市"] == 1619000
    # no county totals that no source gives
    assert not {"钦北区", "灵山县", "浦北县"} & set(c["unit"])
    # the quoted 60+ shares agree with counts / population
    for city, unit in (("qinzhou", "钦州市"), ("jingdezhen", "景德镇市")):
        v = c[(c["unit"] == unit) & (c["year"] == "2020")].drop_duplicates("indicator").set_index("indicator")["value"]
        assert 100 * v["pop_60plus"] / pop[unit] == pytest.approx(v["share_60plus_pct"], abs=0.01), city
    # town populations of 钦南区 fit inside its total, and each joins to a unit code
    towns = c[(c["level"] == "town") & (c["adcode"] == "450702")]
    assert len(towns) == 9 and towns["value"].sum() < pop["钦南区"]
    codes = set(load_units("qinzhou")["code"])
    assert towns["code"].isin(codes).all()


# ------------------------------------------------------------------ planned projects


def _seed_sum(name: str, column: str) -> float:
    seed = _raw("plans", "sources", name)
    return pd.to_numeric(seed[column].replace("", np.nan)).sum()


def test_planned_project_counts_and_sums_match_the_seed_tables():
    q, j = load_planned_projects("qinzhou"), load_planned_projects("jingdezhen")
    assert len(q) == 20 and len(j) == 18
    assert q["id"].is_unique and j["id"].is_unique
    # totals recomputed from the verbatim seed CSVs; EXTRACT §2.1 states 3,200 beds and 1,300 places
    assert q["beds"].sum() == _seed_sum("seed_projects_qinzhou.csv", "beds") == 3200
    assert q["places"].sum() == _seed_sum("seed_projects_qinzhou.csv", "childcare_slots") == 1300
    assert q["nursing_beds"].sum() == 90
    assert j["beds"].sum() == _seed_sum("seed_projects_jingdezhen.csv", "beds_new") == 3951
    assert j["places"].isna().all() and j["kindergarten_places"].sum() == 750


@pytest.mark.parametrize("city", CITIES)
def test_planned_projects_keep_seed_columns(city):
    raw = _raw("plans", f"{city}_projects.csv")
    seed = _raw("plans", "sources", f"seed_projects_{city}.csv")
    for col in seed.columns:
        assert (raw[col] == seed[col]).all(), col


@pytest.mark.parametrize("city", CITIES)
def test_planned_project_locations(city):
    p = load_planned_projects(city)
    assert p["location_precision"].isin(["town", "county_seat", "unknown"]).all()
    assert p["type"].isin(["elderly", "childcare", "integrated", "medical", "kindergarten"]).all()
    assert p["owner_kind"].isin(OWNER_KINDS).all()
    unknown = p["location_precision"] == "unknown"
    assert p.loc[unknown, "lon"].isna().all() and p.loc[unknown].geometry.isna().all()
    assert p.loc[~unknown, ["lon", "lat"]].notna().all().all()
    units = load_units(city)
    for row in p[~unknown].itertuples():
        if row.location_precision == "town":
            unit = units[(units["level"] == "town") & (units["name"] == row.town) & (units["adcode"] == row.county_adcode)]
        else:
            unit = units[(units["level"] == "county") & (units["adcode"] == row.county_adcode)]
        assert len(unit) == 1, row.id
        assert (row.lon, row.lat) == (unit["lon_wgs84"].iloc[0], unit["lat_wgs84"].iloc[0]), row.id
    boundaries = load_boundaries(city).set_index("adcode")
    for row in p[~unknown].itertuples():
        assert boundaries.geometry[row.county_adcode].contains(row.geometry), row.id


def test_planned_project_rules_on_known_rows():
    q = load_planned_projects("qinzhou").set_index("id")
    assert q.loc["QZ-E05", "location_precision"] == "town" and q.loc["QZ-E05", "town"] == "武利镇"
    # several towns -> the county seat, with the towns kept
    assert q.loc["QZ-E12", "location_precision"] == "county_seat"
    assert q.loc["QZ-E12", "town"].split(";") == ["小董镇", "平吉镇", "大直镇", "大垌镇", "那蒙镇", "贵台镇"]
    # city-level project without a city row in adcode
    assert q.loc["QZ-E01", "location_precision"] == "unknown" and q.loc["QZ-E01", "county"] == ""
    assert q.loc["QZ-E04", "type"] == "integrated" and q.loc["QZ-E04", "owner_kind"] == "public_institution"
    assert q.loc["QZ-C05", "owner_kind"] == "state_company"
    assert q.loc["QZ-C01", "owner_kind"] == "company"
    assert q.loc["QZ-C03", "name"] == "钦南区公办普惠托育服务中心"
    assert q.loc["QZ-C03", "name_zh_000"] == "钦南区公办惠普托育服务中心"
    j = load_planned_projects("jingdezhen").set_index("id")
    assert j.loc["JDZ-05", "town"] == "高家镇;双田镇;塔前镇" and j.loc["JDZ-05", "county"] == "乐平市"
    assert j.loc["JDZ-12", "location_precision"] == "unknown"  # 昌南新区 is not an adcode unit
    assert j.loc["JDZ-03", "type"] == "medical" and j.loc["JDZ-16", "type"] == "kindergarten"


# ------------------------------------------------------------------ baselines


def _numbers(text: str) -> set[float]:
    out = set()
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s*(万)?", unicodedata.normalize("NFKC", text)):
        out.add(round(float(m.group(1)) * (10000 if m.group(2) else 1), 6))
    return out


def test_baselines_quotes_are_verbatim_and_hold_the_value():
    b = load_baselines()
    assert {"qinzhou", "jingdezhen", "guangxi", "documents"} <= set(b)
    n = 0
    for city in ("qinzhou", "jingdezhen", "guangxi"):
        for key, entry in b[city].items():
            assert {"value", "unit", "year", "kind", "source", "quote"} <= set(entry), key
            assert _norm(entry["quote"]) in _norm(_source_line(entry["source"])), (city, key)
            assert float(entry["value"]) in _numbers(entry["quote"]), (city, key)
            n += 1
    assert n >= 30
    q, j = b["qinzhou"], b["jingdezhen"]
    assert q["childcare_places_existing"]["value"] == 4613 and q["elderly_beds_target"]["value"] == 16000
    assert q["childcare_places_per_1000_target"]["value"] == 4.5 and q["nursing_bed_share_min_pct"]["value"] == 55
    assert j["elderly_beds_existing"]["value"] == 4059 and j["elderly_beds_target"]["value"] == 10500
    assert j["childcare_places_existing"]["value"] == 4036 and j["childcare_places_needed"]["value"] == 7367


# ------------------------------------------------------------------ paths and errors


def test_data_path_and_env_override(tmp_path, monkeypatch):
    assert data_path("osm", "monaco.osm.pbf") == data_path("monaco.osm.pbf")
    assert data_path("monaco_facilities.csv").parent == data_dir()
    with pytest.raises(SitingError, match="'nope.csv' not found.*SITING_DATA"):
        data_path("nope.csv")
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "baselines.yaml").write_text("qinzhou: {}\n", encoding="utf-8")
    monkeypatch.setenv("SITING_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    assert load_baselines() == {"qinzhou": {}}
    with pytest.raises(SitingError, match="not found"):
        load_units("qinzhou")


def test_unknown_city_is_a_clear_error():
    with pytest.raises(SitingError, match="unknown city 'beijing'.*qinzhou, jingdezhen"):
        load_planned_projects("beijing")
    assert isinstance(load_units("Qinzhou"), gpd.GeoDataFrame)


def test_bundled_osm_files_are_present():
    for name in ("monaco.osm.pbf", "kotka_test.osm.pbf", "West-Oakland.osm.bz2"):
        assert data_path("osm", name).stat().st_size > 10_000
