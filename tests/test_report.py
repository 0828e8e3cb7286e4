"""The scenario HTML report: rule table with clauses, charts, capacity gaps, embedded map."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.cli import main
from siting.errors import InputError
from siting.maps.offline import remote_references
from siting.reporting.report import (
    RULE_COLUMNS,
    build_report,
    capacity_chart,
    capacity_gap_by_county,
    coverage_chart,
    rules_table,
)
from siting.rules import ComplianceReport, RuleResult, check

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("scenario")
    path = d / "qinzhou.yaml"
    path.write_text(
        f"""name: qinzhou
title: 钦州市“一老一小”整体解决方案 (2023)
rules: qinzhou
projects: {DATA / "plans/qinzhou_projects.csv"}
baselines: {{file: {DATA / "plans/baselines.yaml"}, key: qinzhou}}
units:
  boundaries: {DATA / "china/boundaries_qinzhou.geojson"}
  table: {DATA / "china/units_qinzhou.csv"}
population: {{file: {DATA / "china/census_2020.csv"}, key: qinzhou, year: 2020}}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def compliance(scenario: Path) -> ComplianceReport:
    return check(scenario)


def _pngs(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_rules_table_from_a_compliance_report(compliance: ComplianceReport):
    table = rules_table(compliance)
    assert list(table.columns) == RULE_COLUMNS
    assert list(table["rule_id"]) == [r.id for r in compliance.results]
    for row, r in zip(table.itertuples(), compliance.results):
        assert row.status == r.status and row.violations == len(r.violations)
        assert row.quote == r.source.get("quote", "")
        assert r.source.get("clause", "") in row.clause


def test_rules_table_from_a_frame_and_missing_columns():
    frame = pd.DataFrame({"rule": ["A1"], "title": ["15 分钟"], "status": ["fail"], "n_violations": [3]})
    table = rules_table(frame)
    assert table.loc[0, "rule_id"] == "A1" and table.loc[0, "violations"] == 3 and table.loc[0, "clause"] == ""
    with pytest.raises(InputError, match="missing column.*status"):
        rules_table(pd.DataFrame({"rule_id": ["A1"], "title": ["x"]}))


def test_capacity_gap_is_need_minus_supply_per_county():
    details = pd.DataFrame({
        "level": ["city", "county", "county", "county"],
        "unit": ["钦州市", "钦南区", "钦南区", "灵山县"],
        "population": [1000.0, 400.0, 400.0, 300.0],
        "added": [5.0, 2.0, 2.0, 1.0],
        "supply": [5.0, 2.0, 2.0, np.nan],
        "needed": [4.5, 1.8, 1.8, 1.35],
        "per_1000": [5.0, 5.0, 5.0, np.nan],
        "status": ["pass", "pass", "pass", "not_evaluable"],
        "reason": ["", "", "", "no stock"],
    })
    res = RuleResult("C1", "capacity_ratio", "4.5 places per 1000", "pass", details=details)
    gaps = capacity_gap_by_county(ComplianceReport("p", "p", [res]))
    assert list(gaps["county"]) == ["钦南区", "灵山县"]  # the city row is not a county; the duplicate is dropped
    assert gaps.loc[0, "gap"] == pytest.approx(1.8 - 2.0)
    assert np.isnan(gaps.loc[1, "gap"])
    png = capacity_chart(gaps)
    assert png is not None and base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n"
    assert capacity_chart(gaps.iloc[0:0]) is None


def test_coverage_chart_plots_evaluated_rules_and_notes_the_rest():
    ok = RuleResult("A1", "service_coverage", "15 min", "fail", figures={"share": 0.62, "min_share": 0.9})
    no = RuleResult("A2", "service_coverage", "10 min", "not_evaluable", "no road network")
    png, notes = coverage_chart(ComplianceReport("p", "p", [ok, no]))
    assert png is not None and base64.b64decode(png)[:4] == b"\x89PNG"
    assert notes == ["A2 (10 min): not evaluated — no road network"]
    assert coverage_chart(ComplianceReport("p", "p", [no]))[0] is None


def test_offline_report_is_self_contained_and_complete(scenario: Path, compliance: ComplianceReport):
    page = build_report(scenario, offline=True, compliance=compliance)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "钦州市“一老一小”整体解决方案 (2023)" in page
    counts = compliance.counts()  # a Chinese pack and title: the report is in Chinese
    assert f"{counts['pass']} 项通过" in page and f"{counts['fail']} 项不通过" in page
    english = build_report(scenario, offline=False, compliance=compliance, lang="en")
    assert f"{counts['pass']} pass" in english and f"{counts['fail']} fail" in english
    for r in compliance.results:
        assert f"<b>{r.id}</b>" in page
        if r.source.get("quote"):
            assert html.escape(r.source["quote"]) in page
    pngs = _pngs(page)
    assert len(pngs) >= 2 and all(p[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert remote_references(page) == []
    srcdoc = re.search(r'<iframe class="map" id="map" title="地图" srcdoc="([^"]*)"', page)
    assert srcdoc is not None
    inner = html.unescape(srcdoc.group(1))
    assert "L.map(" in inner
    assert remote_references(inner) == [] and "<script src=" not in inner
    # located projects from the scenario are on the map, by name
    projects = pd.read_csv(DATA / "plans/qinzhou_projects.csv", dtype=str, keep_default_na=False)
    with_xy = projects[(projects["lon"] != "") & (projects["lat"] != "")]
    assert len(with_xy) > 0
    assert inner.count("L.marker(") == len(with_xy)
    for name in with_xy["name"]:
        assert html.escape(name) in inner or name in inner


def test_online_report_links_the_cdn(scenario: Path, compliance: ComplianceReport):
    page = build_report(scenario, offline=False, compliance=compliance)
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3" in inner


def test_cli_report(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "r.html"
    assert main(["report", "--scenario", str(scenario), "--offline", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert remote_references(out.read_text(encoding="utf-8")) == []
    assert main(["report", "--scenario", str(tmp_path / "missing.yaml")]) == 2
    assert "scenario file not found" in capsys.readouterr().err
    assert main(["report", "--scenario", str(scenario), "--out", str(scenario)]) == 2


def test_unit_violations_outline_the_named_units():
    from siting.inputs.bundled import load_boundaries
    from siting.maps.verdicts import unit_violations

    units = load_boundaries("qinzhou")
    a = RuleResult("C1", "capacity_ratio", "places per 1000", "fail",
                   violations=[{"unit": "钦南区", "level": "county", "gap": 12.5}, {"unit": "某县", "gap": 1.0}])
    b = RuleResult("B7", "count_per_unit", "one per county", "fail", violations=[{"county": "钦南区", "count": 0},
                                                                                 {"county": "灵山县", "count": 0}])
    out = unit_violations(ComplianceReport("p", "p", [a, b]), units)
    assert list(out["name"]) == ["钦南区", "灵山县"]  # in the boundaries' order; the unknown unit is left out
    assert list(out["rule_id"]) == ["C1, B7", "B7"]
    assert "gap=12.5" in out["reason"].iloc[0] and "count=0" in out["reason"].iloc[0]
    assert out.geometry.iloc[0].equals(units.loc[units["name"] == "钦南区"].geometry.iloc[0])
    assert unit_violations(ComplianceReport("p", "p", []), units).empty


def test_report_map_rings_hospitals_from_the_facility_table(tmp_path: Path):
    scenario = tmp_path / "monaco.yaml"
    scenario.write_text(f"name: monaco\nrules: qinzhou\nfacilities: {DATA / 'monaco_facilities.csv'}\n",
                        encoding="utf-8")
    page = build_report(scenario)
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    fac = pd.read_csv(DATA / "monaco_facilities.csv")
    n_hosp = int((fac["type"] == "hospital").sum())
    assert n_hosp > 0
    assert inner.count("L.circle(") == n_hosp
    # every facility once (each hospital at its ring, the others coloured by verdict), and again, by
    # verdict, each hospital a rule judges: A6 (geriatrics in level-II+ general hospitals) may mean
    # the general hospitals whose level is unknown
    a6 = ((fac["type"] == "hospital") & (fac["category"] == "general") & fac["level"].isna()).sum()
    assert a6 == 3
    assert inner.count("L.marker(") == len(fac) + a6
    assert inner.count('"markerColor": "cadetblue"') == n_hosp
    assert "<title>monaco</title>" in page  # no title in the scenario: its name is used


def test_monaco_report_map_has_the_a1_isochrones():
    import networkx as nx
    import shapely

    from siting.inputs.scenario import load_scenario
    from siting.maps.scenario import service_isochrones
    from siting.routing.snap import snap
    from siting.rules import inputs_from_scenario

    sc = load_scenario(DATA.parent / "scenarios" / "monaco_demo.yaml")
    name = "15-minute isochrones (A1: elderly, integrated, community_centre)"
    page = build_report(sc)
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    layers = re.search(r'<meta name="siting-layers" content="([^"]*)"', inner)
    assert layers is not None and name in html.unescape(layers.group(1))
    assert "≤ 15 min" in inner and "isochrones not drawn" not in page
    # One polygon per located facility of A1's target types (from the CSV, independently), holding
    # the facility and every node networkx reaches towards it within 15 minutes on the walk network.
    fac = pd.read_csv(DATA / "monaco_facilities.csv")
    target = fac[fac["type"].isin(["elderly", "integrated", "community_centre"]) & fac["lon"].notna()]
    inputs = inputs_from_scenario(sc)
    iso, layer, note = service_isochrones(sc, inputs)
    assert layer == name and note == "" and sorted(iso["facility_id"]) == sorted(target["id"].astype(str))
    assert (iso["minutes"] == 15).all()
    net = inputs.network("walk")
    graph = net.to_networkx().reverse(copy=False)
    for f in target.itertuples():
        poly = iso.loc[iso["facility_id"] == str(f.id), "geometry"].iloc[0].buffer(1e-7)
        assert poly.contains(shapely.Point(f.lon, f.lat))
        node = int(snap(net, [f.lon], [f.lat])["node"].iloc[0])
        reached = nx.single_source_dijkstra_path_length(graph, node, cutoff=15 * 60 - 60, weight="travel_time")
        assert len(reached) > 100
        assert shapely.contains_xy(poly, net.lon[list(reached)], net.lat[list(reached)]).all()


def test_qinzhou_report_offline_has_no_isochrones_and_says_why():
    page = build_report(DATA.parent / "scenarios" / "qinzhou.yaml", offline=True)
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    assert "等时圈（A1" not in inner and "≤ 15 分钟" not in inner
    assert "地图：未绘制 15 分钟等时圈 — 没有路网" in page
    english = build_report(DATA.parent / "scenarios" / "qinzhou.yaml", lang="en")
    assert "Map: 15-minute isochrones not drawn — no road network" in english
