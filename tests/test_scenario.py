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
            assert path is None or path.exists(), (name, path)
    q = load_scenario(ROOT / "scenarios" / "qinzhou.yaml")
    assert q.rules == "qinzhou" and q.baselines_key == "qinzhou" and q.population_year == 2020
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
