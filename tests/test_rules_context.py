"""What a rule may read (siting/rules/context.py) and how it names what it does not know
(siting/rules/unknowns.py): planted tables, every expected value written out by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import yaml
from conftest import ladder, write_osm_xml

from siting.errors import InputError
from siting.inputs.scenario import DemandSpec, load_scenario
from siting.rules.context import (
    SUBJECT_COLUMNS,
    CheckInputs,
    central_area,
    filter_frame,
    filter_masks,
    gather_inputs,
    inputs_from_scenario,
    several_years,
    subject_table,
    unknown_fields,
)
from siting.rules.unknowns import absent_sources, ids_where, listing, located_rows, undetermined_note

# ---- unknowns ----------------------------------------------------------------------------------


def test_listing_names_ten_then_counts_the_rest() -> None:
    assert listing(["a", "b", "c"], limit=3) == "a, b, c"
    assert listing(["a", "b", "c"], limit=2) == "a, b and 1 more"
    assert listing([]) == ""
    ids = [f"s{i}" for i in range(12)]
    assert listing(ids[:10]) == "s0, s1, s2, s3, s4, s5, s6, s7, s8, s9"
    assert listing(ids) == "s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 and 2 more"
    assert listing([1, 2.5]) == "1, 2.5"


def test_ids_where_lists_the_masked_rows() -> None:
    frame = pd.DataFrame({"id": [7, 8, 9, 10]})
    assert ids_where(frame, [True, False, True, True]) == "7, 9, 10"
    assert ids_where(frame, np.array([1, 0, 1, 1])) == "7, 9, 10"  # any truthy mask
    assert ids_where(frame, [True, True, True, False], limit=2) == "7, 8 and 1 more"
    many = pd.DataFrame({"id": range(12)})
    assert ids_where(many, np.ones(12, bool)) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more"


def test_undetermined_note_names_each_row_and_its_unknown_field() -> None:
    maybe = pd.DataFrame({"id": ["p1", 2], "unknown": ["owner_kind", "owner_kind, name"]})
    assert undetermined_note(maybe) == (
        "2 row(s) may or may not be meant by the rule, a filtered field being unknown: p1 (owner_kind unknown), "
        "2 (owner_kind, name unknown); state it (e.g. an owner_kind column) to judge them")
    twelve = pd.DataFrame({"id": [f"p{i}" for i in range(12)], "unknown": "tier"})
    assert "p9 (tier unknown) and 2 more; state it" in undetermined_note(twelve)
    assert "p0 (tier unknown) and 11 more; state it" in undetermined_note(twelve, limit=1)


def test_absent_sources() -> None:
    ctx = CheckInputs(facilities=pd.DataFrame({"id": []}))
    assert absent_sources(["facilities", "projects"], ctx) == ["projects"]
    assert absent_sources(["projects", "facilities"], CheckInputs()) == ["projects", "facilities"]
    assert absent_sources([], CheckInputs()) == []


def test_a_row_is_located_only_with_both_coordinates() -> None:
    frame = pd.DataFrame({"lon": [1.0, np.nan, 1.0, np.inf, 1.0], "lat": [2.0, 2.0, np.nan, 2.0, 2.0]})
    assert located_rows(frame).tolist() == [True, False, False, False, True]
    # Text and nullable columns (a frame built by hand in a notebook): blanks and words are unknown.
    text = pd.DataFrame({"lon": ["1.5", "", "x", "2", "1"], "lat": ["2", "3", "4", None, "y"]})
    assert located_rows(text).tolist() == [True, False, False, False, False]
    nullable = pd.DataFrame({"lon": pd.array([1.0, None], dtype="Float64"), "lat": pd.array([None, 2.0], dtype="Float64")})
    assert located_rows(nullable).tolist() == [False, False]
    only_lat = pd.DataFrame({"lon": pd.array([None, 1.0], dtype="Float64"), "lat": pd.array([1.0, 1.0], dtype="Float64")})
    assert located_rows(only_lat).tolist() == [False, True]


# ---- the network ---------------------------------------------------------------------------------

def test_network_reason_says_what_to_do(tmp_path: Path) -> None:
    assert CheckInputs().network_reason() == "no road network: pass --osm FILE (or set network.source in the scenario)"
    assert CheckInputs(network_source=Path("x.pbf")).network_reason() == "no road network: x.pbf not found; pass --osm FILE"
    assert CheckInputs(network_source=Path("x.pbf"), scenario_path=Path("s.yaml")).network_reason() == (
        "no road network: x.pbf not found; run `siting fetch-osm --scenario s.yaml` or pass --osm FILE")


def test_has_network_from_a_held_network_or_an_existing_file(tmp_path: Path) -> None:
    assert not CheckInputs().has_network() and not CheckInputs().has_network_source()
    missing = CheckInputs(network_source=tmp_path / "none.pbf")
    assert not missing.has_network() and not missing.has_network_source() and missing.network() is None
    held = CheckInputs(networks={"walk": "W", "drive": "D"})
    assert held.has_network() and not held.has_network_source()
    assert held.network() == "W" and held.network("drive") == "D"
    assert CheckInputs(network_mode="drive", networks={"drive": "D"}).network() == "D"
    assert CheckInputs(networks={"drive": "D"}).network("walk") is None  # no source to build walk from
    (tmp_path / "x.osm").write_text("<osm/>", encoding="utf-8")
    assert CheckInputs(network_source=tmp_path / "x.osm").has_network_source()


def test_network_is_built_once_from_the_source_at_the_scenario_speeds(tmp_path: Path) -> None:
    osm = write_osm_xml(tmp_path / "two.osm", {1: (9.0, 0.0), 2: (9.001, 0.0)},
                        [(10, [1, 2], {"highway": "residential"})])
    ctx = CheckInputs(network_source=osm, walk_kmh=4.5, bike_kmh=15.0)
    walk = ctx.network()
    assert walk.mode == "walk" and ctx.network("walk") is walk and ctx.networks == {"walk": walk}
    assert walk.info["speeds"]["walk_kmh"] == 4.5 and walk.info["speeds"]["bike_kmh"] == 15.0
    # 0.001 degree of longitude on the equator is 111.3 m: at 4.5 km/h (1.25 m/s), 89.1 s.
    assert walk.time_s == pytest.approx(walk.length_m / 1.25) and walk.length_m[0] == pytest.approx(111.3, abs=0.5)
    assert ctx.network("bike").info["speeds"]["bike_kmh"] == 15.0 and set(ctx.networks) == {"walk", "bike"}
    assert CheckInputs(network_source=osm).network("bike").info["speeds"]["bike_kmh"] != 15.0


# ---- demand --------------------------------------------------------------------------------------

def square(x: float, y: float, size: float = 0.01) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


def boundaries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["City", "A区", "B区"], "adcode": ["100", "101", "102"],
                             "level": ["city", "county", "county"]},
                            geometry=[square(9.0, 0.0, 0.02), square(9.0, 0.0), square(9.01, 0.0)], crs=4326)


def census() -> pd.DataFrame:
    return pd.DataFrame({"unit": ["City", "A区", "B区", "A区"], "adcode": [100, "101", "102", "101"],
                         "level": ["city", "county", "county", "county"], "indicator": "population",
                         "value": [900.0, 300.0, 600.0, 250.0], "year": ["2020", "2020", "2020", "2010"],
                         "code": ["c0", "c1", "c2", "c1"], "source": "census"})


def test_census_units_join_the_boundaries_of_a_level_to_their_population() -> None:
    ctx = CheckInputs(unit_boundaries=boundaries(), population=census(), population_year=2020)
    units, why = ctx.census_units("county")
    assert why == "" and list(units["unit"]) == ["A区", "B区"] and list(units["population"]) == [300.0, 600.0]
    assert units.crs.to_epsg() == 4326 and units.geometry.iloc[1].equals(square(9.01, 0.0))
    city, _ = ctx.census_units("city")
    assert list(city["population"]) == [900.0]  # the adcode matches as text
    assert ctx.census_units("county", 2010)[1] == "no census population for B区: set demand in the scenario"
    assert ctx.census_units("town")[1] == "no town boundaries with a census population: set demand in the scenario"
    no_level = CheckInputs(unit_boundaries=boundaries().drop(columns="level").iloc[[1]], population=census(),
                           population_year=2020)
    assert list(no_level.census_units("county")[0]["population"]) == [300.0]  # no level column: every polygon
    no_adcode = CheckInputs(unit_boundaries=boundaries().drop(columns="adcode"), population=census())
    assert no_adcode.census_units("city")[1] == "no city boundaries with a census population: set demand in the scenario"
    no_people = CheckInputs(unit_boundaries=boundaries(), population=census().iloc[:0])
    assert no_people.census_units("city")[0] is None


def test_demand_points_from_the_census_are_built_once() -> None:
    ctx = CheckInputs(unit_boundaries=boundaries(), population=census(), population_year=2020,
                      demand=DemandSpec(level="county"))
    points, why = ctx.demand_points(None)
    assert why == "" and points["population"].sum() == pytest.approx(900.0)
    assert points.groupby("unit")["population"].sum().to_dict() == pytest.approx({"A区": 300.0, "B区": 600.0})
    assert ctx.demand_layer is not None and ctx.demand_points(None)[0] is points
    missing = CheckInputs(unit_boundaries=boundaries(), population=census(), demand=DemandSpec(level="county", year=2010))
    assert missing.demand_points(None) == (None, "no census population for B区: set demand in the scenario")


def test_demand_points_from_the_scenario_demand_or_a_reason(tmp_path: Path) -> None:
    assert CheckInputs().demand_points(None) == (
        None, "no demand: set demand in the scenario (file, population, or unit boundaries with a census)")
    assert CheckInputs(unit_boundaries=boundaries()).demand_points(None)[0] is None
    assert CheckInputs(population=census()).demand_points(None)[0] is None
    (tmp_path / "d.csv").write_text("lon,lat,population\n9.0,0.0,10\n9.001,0.0,30\n", encoding="utf-8")
    points, why = CheckInputs(demand=DemandSpec(file=tmp_path / "d.csv")).demand_points(None)
    assert why == "" and list(points["population"]) == [10.0, 30.0]
    total, _ = CheckInputs(demand=DemandSpec(population=500.0)).demand_points(ladder())
    assert total["population"].sum() == pytest.approx(500.0)
    by_units = DemandSpec(units=tmp_path / "u.geojson", census=tmp_path / "c.csv", unit_key="name")
    boundaries().iloc[1:].to_file(tmp_path / "u.geojson")
    pd.DataFrame({"name": ["A区", "B区"], "population": [300, 600]}).to_csv(tmp_path / "c.csv", index=False)
    points, _ = CheckInputs(demand=by_units).demand_points(None)
    assert points.groupby("unit")["population"].sum().to_dict() == pytest.approx({"A区": 300.0, "B区": 600.0})


# ---- subjects ------------------------------------------------------------------------------------

def homes() -> pd.DataFrame:
    return pd.DataFrame({"id": ["f1", "f2", "f3", "f4", "f5"], "name": ["甲中心", "", "乙院", None, "丙中心"],
                         "type": ["elderly", "elderly", "childcare", "elderly", np.nan],
                         "owner_kind": ["government", "unknown", "government", np.nan, ""],
                         "tier": ["county", "", "village", "township", "county"], "category": ["", "x", "", "", ""]})


def test_subjects_and_the_rows_a_filter_may_mean() -> None:
    ctx = CheckInputs(facilities=homes(), projects=pd.DataFrame({"id": ["p1"], "name": ["丁中心"], "type": ["elderly"],
                                                                 "owner_kind": ["government"]}))
    applies = {"type": ["Elderly"], "owner_kind": ["government"]}  # filter values are case-insensitive
    assert list(ctx.subjects(applies)["id"]) == ["f1", "p1"]
    assert list(ctx.subjects(applies)["origin"]) == ["facilities", "projects"]
    maybe = ctx.undetermined(applies)
    assert list(maybe["id"]) == ["f2", "f4"] and list(maybe["unknown"]) == ["owner_kind", "owner_kind"]
    named = {"type": ["elderly"], "name_matches": "中心"}
    assert list(ctx.subjects(named)["id"]) == ["f1", "p1"]
    assert list(ctx.undetermined(named)["id"]) == ["f2", "f4"] and list(ctx.undetermined(named)["unknown"]) == ["name"] * 2
    both = {"owner_kind": ["government"], "name_matches": "中心", "tier": ["county"]}
    assert list(ctx.undetermined(both)["id"]) == ["f2", "f5", "p1"]
    assert list(ctx.undetermined(both)["unknown"]) == ["owner_kind, tier, name", "owner_kind", "tier"]
    tiered = {"tier": ["county"], "category": ["x"]}
    assert ctx.subjects(tiered).empty and list(ctx.undetermined(tiered)["id"]) == ["f1", "f2", "f5", "p1"]
    assert list(ctx.undetermined(tiered)["unknown"]) == ["category", "tier", "category", "category, tier"]
    only_projects = {"from": ["projects"], "type": ["elderly"]}
    assert list(ctx.subjects(only_projects)["id"]) == ["p1"] and ctx.undetermined(only_projects).empty
    assert list(ctx.subjects()["id"]) == ["f1", "f2", "f3", "f4", "f5", "p1"]  # no filter: every row
    assert list(ctx.subjects({"type": ["hospital"]}).columns[:len(SUBJECT_COLUMNS)]) == SUBJECT_COLUMNS


def test_filter_masks_and_unknown_fields() -> None:
    frame = subject_table(homes())
    sure, maybe = filter_masks(frame, {"type": ["elderly"], "owner_kind": ["government"]})
    assert sure.tolist() == [True, False, False, False, False] and maybe.tolist() == [False, True, False, True, False]
    assert list(filter_frame(frame, {"type": ["childcare"]})["id"]) == ["f3"]
    assert unknown_fields(frame, {"owner_kind": ["government"], "name_matches": "中心"}) == [
        "", "owner_kind, name", "", "owner_kind, name", "owner_kind"]
    # The type is never unknown: a row without one is simply not of the type.
    assert filter_masks(frame, {"type": ["elderly"]})[1].tolist() == [False] * 5


def test_have_subject_data_and_their_sources() -> None:
    both = CheckInputs(facilities=homes(), projects=homes())
    assert both.have_subject_data() and both.subject_sources() == "facilities + projects"
    assert both.subject_sources({"from": ["projects"]}) == "projects"
    only_f = CheckInputs(facilities=homes())
    assert only_f.have_subject_data({"from": ["facilities"]}) and not only_f.have_subject_data({"from": ["projects"]})
    assert only_f.subject_sources() == "facilities"
    only_p = CheckInputs(projects=homes())
    assert only_p.have_subject_data() and not only_p.have_subject_data({"from": ["facilities"]})
    assert CheckInputs().subject_sources() == "none" and not CheckInputs().have_subject_data()
    assert list(CheckInputs().subjects().columns) == SUBJECT_COLUMNS and CheckInputs().subjects().empty


def test_subject_table_fills_every_column() -> None:
    out = subject_table(pd.DataFrame({"id": ["a"], "extra": [1], "beds": [3.0]}))
    assert list(out.columns) == SUBJECT_COLUMNS + ["extra"]
    row = out.iloc[0]
    assert row["beds"] == 3.0 and np.isnan(row["places"]) and np.isnan(row["lat"]) and np.isnan(row["level"])
    assert out["has_clinic"].dtype == "boolean" and pd.isna(row["has_clinic"])
    assert row["category_assumed"] is False or row["category_assumed"] == False  # noqa: E712
    assert out["category_assumed"].dtype == bool
    assert row["owner_kind"] == "" and row["tier"] == "" and row["name"] == "" and row["origin"] == ""


def test_hospitals_from_both_files_once_each() -> None:
    hospitals = pd.DataFrame({"id": ["h1", "c1"], "name": ["人民医院", "诊所"], "type": ["hospital", "clinic"]})
    facilities = pd.DataFrame({"id": ["h1", "h2", "e1", "c2"], "name": ["dup", "中医院", "养老院", "卫生室"],
                               "type": ["hospital", "hospital", "elderly", "clinic"]})
    ctx = CheckInputs(hospitals=hospitals, facilities=facilities)
    all_h = ctx.all_hospitals()
    assert list(all_h["id"]) == ["h1", "h2"] and list(all_h["origin"]) == ["hospitals", "facilities"]
    assert list(all_h["name"]) == ["人民医院", "中医院"]
    assert list(CheckInputs(facilities=facilities).all_hospitals()["id"]) == ["h1", "h2"]
    assert list(CheckInputs(hospitals=hospitals).all_hospitals()["origin"]) == ["hospitals"]
    assert CheckInputs().all_hospitals().empty and list(CheckInputs().all_hospitals().columns) == SUBJECT_COLUMNS
    medical = ctx.medical(["hospital", "clinic"])
    assert list(medical["id"]) == ["h1", "c1", "h2", "c2"]
    assert list(medical["origin"]) == ["hospitals", "hospitals", "facilities", "facilities"]
    assert list(ctx.medical(["clinic"])["id"]) == ["c1", "c2"]
    assert list(CheckInputs(facilities=facilities).medical(["clinic"])["id"]) == ["c2"]
    assert CheckInputs().medical(["clinic"]).empty and list(CheckInputs().medical([]).columns) == SUBJECT_COLUMNS


# ---- figures -------------------------------------------------------------------------------------

def test_baseline_by_key() -> None:
    ctx = CheckInputs(baselines={"beds": {"value": 120, "source": "000 L1"}, "places": 30, "empty": {"value": None},
                                 "none": None})
    assert ctx.baseline("beds") == (120.0, {"value": 120, "source": "000 L1"})
    assert ctx.baseline("places") == (30.0, {"value": 30})
    assert ctx.baseline("empty") == (None, {"value": None})
    assert ctx.baseline("none") == (None, None) and ctx.baseline("other") == (None, None)
    assert ctx.baseline(None) == (None, None) and CheckInputs().baseline("beds") == (None, None)
    assert isinstance(ctx.baseline("places")[0], float)


def test_population_by_level_indicator_and_year() -> None:
    ctx = CheckInputs(population=census().assign(indicator=["population", "population", "population", "pop_60plus"]))
    county = ctx.population_by("county")
    assert list(county.columns) == ["unit", "adcode", "code", "value", "source", "year"]
    assert list(county["unit"]) == ["A区", "B区"] and list(county["value"]) == [300.0, 600.0]
    assert list(ctx.population_by("county", "pop_60plus")["value"]) == [250.0]
    assert list(ctx.population_by("county", year=2010)["unit"]) == []
    years = CheckInputs(population=census())
    assert list(years.population_by("county")["value"]) == [300.0, 600.0, 250.0]  # every year
    assert several_years(years.population_by("county")) == ["A区"]
    assert list(years.population_by("county", year=2010)["value"]) == [250.0]
    years.population_year = 2020
    assert list(years.population_by("county")["value"]) == [300.0, 600.0]  # the scenario's year
    assert list(years.population_by("county", year=2010)["value"]) == [250.0]  # a rule's year wins
    no_year = CheckInputs(population=census().drop(columns=["year", "source"]), population_year=2020)
    assert list(no_year.population_by("county").columns) == ["unit", "adcode", "code", "value"]
    assert len(no_year.population_by("county")) == 3
    empty = CheckInputs().population_by("city")
    assert empty.empty and list(empty.columns) == ["unit", "adcode", "code", "value", "source"]
    assert several_years(pd.DataFrame({"unit": ["b", "a", "b", "a", "c"]})) == ["a", "b"]


# ---- reading the files ----------------------------------------------------------------------------

def write_inputs(tmp_path: Path) -> dict[str, Path]:
    files = {name: tmp_path / name for name in ("f.csv", "h.csv", "p.csv", "b.yaml", "u.csv", "pop.csv", "bd.geojson")}
    files["f.csv"].write_bytes("id,name,type,lon,lat\ne1,养老院,daycare,108.6,21.9\n".encode("gbk"))
    files["h.csv"].write_text("id,name,category,lon,lat\nh1,人民医院,综合,108.61,21.91\n", encoding="utf-8")
    files["p.csv"].write_text("id,name,type,beds,lon,lat\np1,新院,daycare,80,108.62,21.92\n", encoding="utf-8")
    files["b.yaml"].write_text(yaml.safe_dump({"documents": {"000": {"title": "方案"}}, "one": {"beds": {"value": 10}},
                                               "two": {"beds": 20}}, allow_unicode=True), encoding="utf-8")
    files["u.csv"].write_text("code,name,level\n101,A区,county\n", encoding="utf-8")
    census().assign(city=["one", "one", "two", "one"]).to_csv(files["pop.csv"], index=False)
    boundaries().to_crs(3857).to_file(files["bd.geojson"])
    return files


def test_gather_inputs_reads_every_file(tmp_path: Path) -> None:
    f = write_inputs(tmp_path)
    ci = gather_inputs(facilities=f["f.csv"], hospitals=f["h.csv"], projects=f["p.csv"], baselines=f["b.yaml"],
                       baselines_key="one", units=f["u.csv"], unit_boundaries=f["bd.geojson"], population=f["pop.csv"],
                       population_key="one", population_year=2020, osm="city.osm.pbf", network_mode="bike",
                       hospital_mode="walk", walk_kmh=4.0, bike_kmh=10.0, minutes=10.0, crs="gcj02",
                       extra_types=("daycare",), demand=DemandSpec(level="county"), scenario_path=tmp_path / "s.yaml",
                       central=["A区"])
    assert ci.paths == {"facilities": str(f["f.csv"]), "hospitals": str(f["h.csv"]), "projects": str(f["p.csv"]),
                        "baselines": f"{f['b.yaml']} [one]", "units": str(f["u.csv"]),
                        "unit_boundaries": str(f["bd.geojson"]), "population": f"{f['pop.csv']} [one]",
                        "network": "city.osm.pbf (bike; hospitals by walk)"}
    assert (ci.network_mode, ci.hospital_mode, ci.walk_kmh, ci.bike_kmh, ci.minutes) == ("bike", "walk", 4.0, 10.0, 10.0)
    assert ci.network_source == Path("city.osm.pbf") and ci.scenario_path == tmp_path / "s.yaml"
    assert ci.demand == DemandSpec(level="county")
    assert ci.notes == {"facilities": ["read as GB18030 (GBK), the encoding of Excel's 'CSV (逗号分隔)' on Chinese Windows"]}
    assert list(ci.facilities["type"]) == ["daycare"] and abs(ci.facilities["lon"].iloc[0] - 108.6) > 1e-3  # GCJ-02 shifted
    assert list(ci.hospitals["type"]) == ["hospital"] and abs(ci.hospitals["lat"].iloc[0] - 21.91) > 1e-3
    assert list(ci.projects["beds"]) == [80.0] and abs(ci.projects["lon"].iloc[0] - 108.62) > 1e-3
    assert ci.baselines == {"beds": {"value": 10}} and ci.baselines_key == "one" and ci.documents == {"000": {"title": "方案"}}
    assert list(ci.units["name"]) == ["A区"]
    assert ci.unit_boundaries.crs.to_epsg() == 4326
    assert ci.unit_boundaries.geometry.iloc[1].bounds == pytest.approx((9.0, 0.0, 9.01, 0.01))
    assert list(ci.population["unit"]) == ["City", "A区", "A区"] and ci.population_year == 2020
    assert ci.central_label == "A区" and ci.central.geometry.iloc[0].bounds == pytest.approx((9.0, 0.0, 9.01, 0.01))


def test_gather_inputs_with_few_files(tmp_path: Path) -> None:
    f = write_inputs(tmp_path)
    ci = gather_inputs(hospitals=f["h.csv"], baselines=f["b.yaml"], population=f["pop.csv"])
    assert ci.paths == {"hospitals": str(f["h.csv"]), "baselines": str(f["b.yaml"]), "population": str(f["pop.csv"])}
    assert ci.facilities is None and ci.projects is None and ci.units is None and ci.unit_boundaries is None
    assert ci.baselines is not None and set(ci.baselines) == {"documents", "one", "two"} and ci.baselines_key is None
    assert len(ci.population) == 4 and ci.population_year is None and ci.notes == {} and ci.central is None
    assert (ci.network_mode, ci.hospital_mode, ci.minutes, ci.network_source) == ("walk", "drive", 15.0, None)
    assert ci.hospitals["lon"].iloc[0] == 108.61  # WGS84 by default
    assert ci.demand == DemandSpec()


@pytest.mark.parametrize(("key", "what"), [("facilities", "facilities file"), ("hospitals", "hospitals file"),
                                           ("baselines", "baselines file"), ("unit_boundaries", "unit boundaries file"),
                                           ("central", "central urban area file")])
def test_gather_inputs_names_a_missing_file(tmp_path: Path, key: str, what: str) -> None:
    with pytest.raises(InputError, match=f"{what} not found") as err:
        gather_inputs(**{key: str(tmp_path / "none.csv")})
    assert str(err.value.path) == str(tmp_path / "none.csv")


def test_baselines_and_tables_are_validated(tmp_path: Path) -> None:
    f = write_inputs(tmp_path)
    with pytest.raises(InputError, match="no section 'three' in the baselines file") as err:
        gather_inputs(baselines=f["b.yaml"], baselines_key="three")
    assert err.value.hint == "Sections: one, two" and str(err.value.path) == str(f["b.yaml"])
    (tmp_path / "list.yaml").write_text("- 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="must be a mapping"):
        gather_inputs(baselines=tmp_path / "list.yaml")
    (tmp_path / "nodocs.yaml").write_text("one: {beds: 1}\n", encoding="utf-8")
    assert gather_inputs(baselines=tmp_path / "nodocs.yaml", baselines_key="one").documents == {}
    (tmp_path / "u2.csv").write_text("code,name\n1,A\n", encoding="utf-8")
    with pytest.raises(InputError, match="level"):
        gather_inputs(units=tmp_path / "u2.csv")
    (tmp_path / "pop2.csv").write_text("unit,level,indicator\nA,city,population\n", encoding="utf-8")
    with pytest.raises(InputError, match="value"):
        gather_inputs(population=tmp_path / "pop2.csv")
    (tmp_path / "pop3.csv").write_text("unit,level,indicator,value\nA,city,population,1 234\n", encoding="utf-8")
    with pytest.raises(InputError, match="value"):
        gather_inputs(population=tmp_path / "pop3.csv")
    (tmp_path / "pop4.csv").write_text("unit,level,indicator,value\nA,city,population,12\n", encoding="utf-8")
    assert list(gather_inputs(population=tmp_path / "pop4.csv", population_key="x").population["value"]) == [12.0]


# ---- the central urban area -----------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_central_area_from_names_adcodes_or_a_file(tmp_path: Path) -> None:
    b = boundaries()
    area, label = central_area(["A区", " 102 "], b, None)
    assert label == "A区, 102" and list(area.columns) == ["geometry"] and list(area.index) == [0, 1]
    assert [g.bounds for g in area.geometry] == [pytest.approx((9.0, 0.0, 9.01, 0.01)), pytest.approx((9.01, 0.0, 9.02, 0.01))]
    b.iloc[[2]].to_crs(3857).to_file(tmp_path / "c.geojson")
    area, label = central_area(tmp_path / "c.geojson", None, None)
    assert label == "c.geojson" and area.crs.to_epsg() == 4326
    assert area.geometry.iloc[0].bounds == pytest.approx((9.01, 0.0, 9.02, 0.01))
    gpd.GeoDataFrame(geometry=[square(1.0, 1.0)]).to_file(tmp_path / "nocrs.geojson")
    area, _ = central_area(str(tmp_path / "nocrs.geojson"), None, None)
    assert area.crs.to_epsg() == 4326 and area.geometry.iloc[0].bounds == pytest.approx((1.0, 1.0, 1.01, 1.01))


def test_central_area_errors_say_what_to_give() -> None:
    with pytest.raises(InputError, match="no unit boundaries") as err:
        central_area(["A区"], None, None)
    assert err.value.hint == "Set units.boundaries, or give central as a boundary file"
    with pytest.raises(InputError, match="no boundary polygon for '一镇'") as err:
        central_area(["一镇"], boundaries(), pd.DataFrame({"name": ["一镇"]}))
    assert err.value.hint == ("Its points are in the units table, but only polygons can delimit an area; "
                              "give central as a boundary file")
    with pytest.raises(InputError, match="no boundary polygon for 'C区'") as err:
        central_area(["A区", "C区"], boundaries(), pd.DataFrame({"name": ["一镇"]}))
    assert err.value.hint == "Use names or adcodes of the unit boundaries, or a boundary file"
    with pytest.raises(InputError) as err:
        central_area(["C区"], boundaries(), None)
    assert err.value.hint == "Use names or adcodes of the unit boundaries, or a boundary file"


# ---- a scenario ------------------------------------------------------------------------------------

def test_inputs_from_scenario_read_what_it_names(tmp_path: Path) -> None:
    write_inputs(tmp_path)
    (tmp_path / "s.yaml").write_text(
        "name: s\nrules: qinzhou\ncrs: gcj02\nfacility_types: [daycare]\nfacilities: f.csv\nhospitals: h.csv\n"
        "projects: p.csv\nbaselines: {file: b.yaml, key: two}\nunits: {table: u.csv, boundaries: bd.geojson}\n"
        "population: {file: pop.csv, key: one, year: 2010}\n"
        "network: {source: none.osm.pbf, mode: bike, hospital_mode: walk, walk_kmh: 4, bike_kmh: 11}\n"
        "study_area: {central: [B区]}\ndemand: {level: county}\nminutes: 12\n", encoding="utf-8")
    sc = load_scenario(tmp_path / "s.yaml")
    ci = inputs_from_scenario(sc)
    assert list(ci.facilities["type"]) == ["daycare"] and abs(ci.facilities["lon"].iloc[0] - 108.6) > 1e-3
    assert list(ci.hospitals["id"]) == ["h1"] and list(ci.projects["id"]) == ["p1"]
    assert ci.baselines == {"beds": 20} and ci.baselines_key == "two"
    assert list(ci.units["code"]) == ["101"] and len(ci.unit_boundaries) == 3
    assert list(ci.population["value"]) == [900.0, 300.0, 250.0] and ci.population_year == 2010
    assert ci.network_source == tmp_path / "none.osm.pbf"
    assert (ci.network_mode, ci.hospital_mode, ci.walk_kmh, ci.bike_kmh, ci.minutes) == ("bike", "walk", 4.0, 11.0, 12.0)
    assert ci.demand.level == "county" and ci.scenario_path == tmp_path / "s.yaml" and ci.central_label == "B区"
    assert f"--scenario {tmp_path / 's.yaml'}" in ci.network_reason()
    # Keyword overrides win; None leaves the scenario's.
    other = inputs_from_scenario(sc, osm=str(tmp_path / "x.pbf"), projects=None, minutes=5.0)
    assert other.network_source == tmp_path / "x.pbf" and other.projects is not None and other.minutes == 5.0
    (tmp_path / "c.yaml").write_text("name: c\nunits: {boundaries: bd.geojson}\nstudy_area: {central: bd.geojson}\n",
                                     encoding="utf-8")
    central = inputs_from_scenario(load_scenario(tmp_path / "c.yaml"))
    assert central.central_label == "bd.geojson" and len(central.central) == 3
    plain = inputs_from_scenario(load_scenario(tmp_path / "c.yaml").__class__(name="p"))
    assert plain.central is None and plain.facilities is None and plain.network_source is None


def test_filter_frame_keeps_the_columns_and_renumbers_the_rows() -> None:
    frame = subject_table(homes())
    got = filter_frame(frame, {"type": ["childcare"]})
    assert list(got.columns) == list(frame.columns) and list(got.index) == [0]


def test_a_central_area_shapefile_without_a_crs_is_read_as_wgs84(tmp_path: Path) -> None:
    gpd.GeoDataFrame(geometry=[square(1.0, 1.0)]).to_file(tmp_path / "c.shp")
    assert not (tmp_path / "c.prj").exists()
    area, label = central_area(tmp_path / "c.shp", None, None)
    assert label == "c.shp" and area.crs.to_epsg() == 4326
    assert area.geometry.iloc[0].bounds == pytest.approx((1.0, 1.0, 1.01, 1.01))


def test_bad_baselines_and_units_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        gather_inputs(baselines=tmp_path / "b.yaml")
    assert str(err.value.path) == str(tmp_path / "b.yaml") and err.value.message == "the baselines file must be a mapping"
    (tmp_path / "u.csv").write_text("code,name\n1,A\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        gather_inputs(units=tmp_path / "u.csv")
    assert str(err.value.path) == str(tmp_path / "u.csv") and "level" in err.value.message
