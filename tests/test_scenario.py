"""Scenario files: paths relative to the file, typed fields, errors with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from siting.errors import InputError
from siting.inputs.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_scenarios_point_at_bundled_data():
    for name in ("qinzhou", "jingdezhen", "monaco_demo"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        assert sc.name == name
        for path in (sc.facilities, sc.projects, sc.baselines, sc.units_table, sc.units_boundaries, sc.population):
            assert path is None or path.exists() or sc.awaits_extract(path), (name, path)
    q = load_scenario(ROOT / "scenarios" / "qinzhou.yaml")
    assert q.rules == "qinzhou" and q.baselines_key == "qinzhou" and q.population_year == 2020
    # Hospitals and facilities come from the extract fetch-osm writes, the file the network is built from.
    assert q.hospitals == q.facilities == q.fetch.output == q.network.source
    assert q.hospitals_kind == q.facilities_kind == "osm"
    assert q.demand.year == 2020 and q.place.distance == "network"
    assert q.network.mode == "walk" and q.network.hospital_mode == "drive"
    assert q.fetch.url == "https://download.geofabrik.de/asia/china/guangxi-latest.osm.pbf"
    assert q.fetch.output == ROOT / "data" / "osm" / "qinzhou.osm.pbf"
    assert q.study_area.adcode == "450700"
    assert q.minutes == 15.0


def test_relative_paths_and_pack_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    p = tmp_path / "sub" / "s.yaml"
    p.write_text("name: t\nrules: ../my-pack.yaml\nfacilities: f.csv\nnetwork: city.osm.pbf\n", encoding="utf-8")
    sc = load_scenario(p)
    assert sc.rules == str((tmp_path / "my-pack.yaml").resolve())
    assert sc.facilities == (tmp_path / "sub" / "f.csv").resolve()
    assert sc.network.source == (tmp_path / "sub" / "city.osm.pbf").resolve()
    assert sc.fetch.output == sc.network.source
    assert not sc.network_available()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: t\nfacilites: f.csv\n", r"line 2: unknown key 'facilites' in the scenario"),
        ("name: t\nnetwork:\n  source: a.pbf\n  mode: car\n", r"line 4: network mode 'car'"),
        ("name: t\nnetwork: {source: a.pbf, speed: 4}\n", r"unknown key 'speed' in 'network'"),
        ("name: t\nminutes: -5\n", r"line 2: 'minutes' must be a positive number"),
        ("name: t\ncrs: utm\n", r"line 2: unknown crs 'utm'"),
        ("rules: qinzhou\n", r"no 'name'"),
        ("name: t\nfetch: {url: ftp://x}\n", r"fetch url must start with https://"),
        ("name: t\nname: u\n", r"line 2: key 'name' appears twice"),
        ("name: t\nfacilities: [a, b]\n", r"line 2: 'facilities' must be a path"),
    ],
)
def test_errors_name_the_line(tmp_path, text, words):
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=words) as err:
        load_scenario(p)
    assert str(p) in str(err.value)


def test_demand_year_defaults_to_the_population_year(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("name: t\npopulation: {file: c.csv, year: 2020}\ndemand: {level: city}\n", encoding="utf-8")
    assert load_scenario(p).demand.year == 2020
    p.write_text("name: t\npopulation: {file: c.csv, year: 2020}\ndemand: {level: city, year: 2010}\n", encoding="utf-8")
    assert load_scenario(p).demand.year == 2010
    p.write_text("name: t\ndemand: {level: city}\n", encoding="utf-8")
    assert load_scenario(p).demand.year is None


def test_the_extract_fetch_osm_has_not_written_yet_is_no_input_yet(tmp_path):
    from siting.rules import inputs_from_scenario

    facilities = tmp_path / "f.csv"
    facilities.write_text("id,name,type,lon,lat\nE1,Home,elderly,108.6,21.9\n", encoding="utf-8")
    p = tmp_path / "s.yaml"
    p.write_text("name: t\nnetwork: {source: osm/city.osm.pbf}\nhospitals: {osm: osm/city.osm.pbf}\n"
                 "facilities: f.csv\n", encoding="utf-8")
    sc = load_scenario(p)
    assert sc.awaits_extract(sc.network.source) and sc.awaits_extract(tmp_path / "osm" / "city.osm.pbf")
    inputs = inputs_from_scenario(sc)
    assert inputs.hospitals is None and "hospitals" not in inputs.paths and len(inputs.facilities) == 1
    # fetch.output is the scenario's extract too; any other missing OSM file is an error as before.
    p.write_text("name: t\nfetch: {output: osm/clip.osm.pbf}\nhospitals: {osm: osm/clip.osm.pbf}\n", encoding="utf-8")
    assert inputs_from_scenario(load_scenario(p)).hospitals is None
    p.write_text("name: t\nnetwork: {source: osm/city.osm.pbf}\nhospitals: {osm: osm/other.osm.pbf}\n",
                 encoding="utf-8")
    sc = load_scenario(p)
    assert not sc.awaits_extract(sc.hospitals)
    with pytest.raises(InputError, match="other.osm.pbf"):
        inputs_from_scenario(sc)


def test_census_of_several_years_needs_a_year(tmp_path):
    from siting.rules import gather_inputs

    census = tmp_path / "census.csv"
    census.write_text("city,unit,level,adcode,indicator,value,year\n"
                      "qinzhou,钦州市,city,450700,population,3302238,2020\n"
                      "qinzhou,钦州市,city,450700,population,3079721,2010\n", encoding="utf-8")
    inputs = gather_inputs(population=census, population_key="qinzhou",
                           unit_boundaries=ROOT / "data" / "china" / "boundaries_qinzhou.geojson")
    units, why = inputs.census_units("city")
    assert units is None and "钦州市 more than one population" in why
    units, why = inputs.census_units("city", 2020)
    assert why == "" and units["population"].tolist() == [3302238.0]
    units, _ = inputs.census_units("city", 2010)
    assert units["population"].tolist() == [3079721.0]
