"""The planner's path rehearsed end to end on a small generated SYNTHETIC province (issue 16).

A province is generated (``bench/make_province.py``) and served by the loopback mirror
(``bench/mirror.py``) as Geofabrik serves Guangxi. The planner's own scenario runs on it: a
copy of ``scenarios/qinzhou.yaml`` whose name and title say SYNTHETIC and whose ``fetch.url`` is
the mirror's (``bench/rehearsal.py``). Then, as the README tells the planner:

    siting fetch-osm --scenario S   (a corrupted file rejected; a dropped connection resumed)
    siting check --scenario S       (streets, homes, hospitals and facilities from the extract)
    siting place --scenario S       (the 20 projects, A4 judged by road)
    siting report --scenario S --lang zh

Expected hospital categories come from the generator's own list of what it wrote and the
national classification of Chinese hospitals (a table below), never from the classifier. Only
127.0.0.1 is contacted.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import osmium
import pytest
from bench_modules import load_bench

from siting.cli import main
from siting.i18n import label, t

REPO = Path(__file__).resolve().parents[1]
NAME = "synthetic-guangxi.osm.pbf"
#: The category of each kind of hospital the generator writes (卫生院: township health centre, primary care;
#: 中西医结合 counts with TCM, as the National Health Commission's statistics count it).
CATEGORY_OF = {
    "人民医院": "general", "中医医院": "tcm", "中西医结合医院": "tcm", "妇幼保健院": "maternity",
    "皮肤病医院": "specialist", "口腔医院": "specialist", "眼科医院": "specialist", "精神病医院": "specialist",
    "传染病医院": "specialist", "肿瘤医院": "specialist", "卫生院": "primary",
}




make_province = load_bench("make_province")
Mirror = load_bench("mirror").Mirror
rehearsal = load_bench("rehearsal")


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    path = tmp_path_factory.mktemp("province") / NAME
    make_province.write_province(path, nodes=100_000, seed=5)
    return path


@pytest.fixture(scope="module")
def fetched(province, tmp_path_factory):
    """The scenario copy after `siting fetch-osm` through a mirror that drops the connection halfway."""
    work = tmp_path_factory.mktemp("rehearsal")
    with Mirror({NAME: province}, drop_after=province.stat().st_size // 2) as mirror:
        scenario = rehearsal.write_scenario(work, mirror.url(NAME))
        offline = _run(["check", "--scenario", str(scenario), "--json", "--lang", "en"])
        assert main(["fetch-osm", "--scenario", str(scenario), "--quiet"]) == 0
        ranged = [(r.range, r.status) for r in mirror.range_requests(NAME)]
    return scenario, offline, ranged


@pytest.fixture(scope="module")
def checked(fetched):
    """`siting check --json` on the fetched extract (in English, for the assertions on its reasons)."""
    return _run(["check", "--scenario", str(fetched[0]), "--json", "--lang", "en"])


def _run(argv: list[str]) -> dict:
    """A command's --json output, read from stdout."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return json.loads(out.getvalue())


def _results(report: dict) -> dict[str, dict]:
    return {r["id"]: r for r in report["results"]}


# ------------------------------------------------------------------ the download


def test_a_corrupted_download_is_rejected_and_nothing_is_written(province, tmp_path, capsys):
    with Mirror({NAME: province}, corrupt=True) as mirror:
        scenario = rehearsal.write_scenario(tmp_path, mirror.url(NAME))
        assert main(["fetch-osm", "--scenario", str(scenario), "--quiet"]) == 2
    published = hashlib.md5(province.read_bytes()).hexdigest()
    # in Chinese, the scenario's language: "... 已损坏：其 MD5 为 <hex>，服务器公布的是 <published>。..."
    assert re.search(rf"已损坏：其 MD5 为 [0-9a-f]{{32}}，服务器公布的是 {published}", capsys.readouterr().err)
    assert list((tmp_path / "data" / "osm").iterdir()) == []  # no download, no part file, no clip


def test_the_dropped_connection_was_resumed_and_the_clip_written(province, fetched):
    scenario, _, ranged = fetched
    osm = scenario.parent.parent / "data" / "osm"
    assert ranged == [(f"bytes={province.stat().st_size // 2}-", 206)]
    assert (osm / NAME).read_bytes() == province.read_bytes()
    meta = json.loads((osm / "qinzhou.osm.pbf.json").read_text(encoding="utf-8"))
    assert meta["download"]["md5_verified"] is True and meta["download"]["resumed"] == 1
    assert "SYNTHETIC" in meta["source_generator"]


# ------------------------------------------------------------------ check


def test_offline_the_rules_say_what_to_fetch(fetched):
    _, offline, _ = fetched
    rules = _results(offline)
    assert rules["A1"]["status"] == rules["A4"]["status"] == "not_evaluable"
    assert "siting fetch-osm --scenario" in rules["A1"]["reason"]
    assert rules["A4"]["reason"].startswith("no hospitals: pass --hospitals")
    assert "hospitals" not in offline["inputs"] and "facilities" not in offline["inputs"]


def test_check_evaluates_the_street_and_hospital_rules_from_the_extract(fetched, checked):
    scenario, report = fetched[0], checked
    rules = _results(report)
    extract = str(scenario.parent.parent / "data" / "osm" / "qinzhou.osm.pbf")
    assert report["inputs"]["hospitals"] == report["inputs"]["facilities"] == f"osm: {extract}"
    # A1: 15-minute walk circles over the census total of 2020 (3,302,238, data/china/census_2020.csv) x 15.77 %
    # computed on the streets; a verdict only when no planned project lacks a location (the projects
    # table gives towns, not points: those could close the gap, so the verdict contract withholds it)
    a1 = rules["A1"]
    assert a1["figures"]["mode"] == "walk" and 0 <= a1["figures"]["share"] <= 1 and a1["figures"]["median_minutes"] > 0
    assert a1["status"] in ("pass", "fail") or (a1["status"] == "not_evaluable"
                                               and "have no coordinates and were not counted" in a1["reason"])
    assert rules["A1"]["figures"]["population"] == pytest.approx(3_302_238 * 0.1577, abs=0.01)
    # A4: every government elderly-care site located gets a straight-line and a road distance
    a4 = rules["A4"]
    assert a4["status"] in ("pass", "fail") and a4["figures"]["hospitals_counted"] > 0
    assert a4["figures"]["within"] + a4["figures"]["beyond"] == a4["figures"]["facilities_checked"] - a4["figures"]["not_located"]
    assert all(v["network_km"] >= v["straight_km"] for v in a4["violations"])
    assert any("road distance on the drive network" in n for n in a4["notes"])
    # A5: medical institutions and roads are there; only the plan's own columns (beds, has_clinic) are missing
    a5 = rules["A5"]
    assert a5["figures"]["medical_institutions"] > 0
    assert "has_clinic" in a5["reason"] and "road network" not in a5["reason"] and "--hospitals" not in a5["reason"]
    assert any("quickest medical institution on the drive network" in n for n in a5["notes"])


def test_hospitals_are_classified_from_the_extract_as_the_generator_wrote_them(fetched, checked):
    scenario = fetched[0]
    generated = {category for category, _, tags, _, _ in make_province.FACILITIES if tags is make_province.HOSPITAL}
    assert generated == set(CATEGORY_OF)  # a new kind of hospital in the generator needs its category here
    # Every hospital of the clipped file, read with pyosmium; its kind from the generator's name patterns.
    expected = {}
    for obj in osmium.FileProcessor(str(scenario.parent.parent / "data" / "osm" / "qinzhou.osm.pbf")):
        if obj.tags.get("amenity") == "hospital":
            expected[obj.tags["name"]] = CATEGORY_OF[make_province.category_of_name(obj.tags["name"])]
    assert set(expected.values()) == set(CATEGORY_OF.values())  # every category is in the city
    hospitals = _results(checked)["A4"]["hospitals"]
    assert {h["name"]: h["category"] for h in hospitals} == expected
    assert all(h["counted"] == (h["category"] == "general") for h in hospitals)
    assert all(h["category_reason"].startswith(("name:", "tag:")) and not h["category_assumed"] for h in hospitals)


# ------------------------------------------------------------------ place and report


def test_place_places_the_twenty_projects_with_a4_judged_by_road(fetched):
    scenario, _, _ = fetched
    with (REPO / "data" / "plans" / "qinzhou_projects.csv").open(encoding="utf-8") as fh:
        plan = [row["id"] for row in csv.DictReader(fh)]
    placed = _run(["place", "--scenario", str(scenario), "--json"])
    assert len(plan) == 20 and [p["id"] for p in placed["projects"]] == plan
    assert placed["settings"]["distance"] == "network" and placed["settings"]["hospital_mode"] == "drive"
    assert placed["settings"]["hospitals_counted"] > 0 and placed["not_evaluated"] == []
    applies = [p for p in placed["projects"] if p["hospital_rule_applies"]]
    assert applies and all(p["hospital_rule"] == "A4" and p["hospital_rule_judged_on"] == "network" for p in applies)
    passing = [p for p in applies if p["hospital_rule_status"] == "pass"]
    assert passing  # some government elderly-care projects are placed within 5 km of a general hospital by road
    for p in passing:
        assert p["hospital_straight_km"] <= p["hospital_network_km"] <= 5.0
    for p in applies:  # the others have no candidate within 5 km by road in their county or town
        assert p["hospital_rule_status"] == "pass" or p["how_chosen"].startswith("not placed: no eligible candidate")
    for group in placed["groups"]:
        assert group["method"] == "mip" and group["covered_after"] >= group["covered_before"]


def test_report_in_chinese_with_its_map(fetched):
    scenario, _, _ = fetched
    out = scenario.parent.parent / "out" / "report.html"
    assert main(["report", "--scenario", str(scenario), "--lang", "zh", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert '<html lang="zh">' in html and f"<h1 id=\"report-title\">{rehearsal.TITLE}</h1>" in html
    assert "SYNTHETIC" in html and "钦州市“一老一小”整体解决方案 (2023)" not in html.split("</h1>")[0]
    for key in ("report.h_rules", "report.h_map", "report.h_inputs"):
        assert t(key, "zh") in html
    assert t("report.h_hospitals", "zh", rule="A4") in html and label("category", "general", "zh") in html
    assert "sitingTileCount" in html  # the map, with the basemap drawn from the extract
