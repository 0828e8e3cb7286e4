"""Real-browser test: Debian's headless Chromium opens offline map exports via file://.

Installed by tools/install_browser.sh (tools/test.sh runs it). Skipped only when
Chromium is absent outside CI; with CI=true a missing browser is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from siting.inputs.bundled import load_boundaries
from siting.maps import (
    coverage_layer,
    export_map,
    facility_layer,
    heatmap_layer,
    hospital_layer,
    isochrone_layer,
    make_map,
    planned_layers,
    violation_layer,
)
from siting.maps.browser import chromium_available, inspect_map

pytestmark = pytest.mark.browser

if not chromium_available():
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but Chromium/chromedriver are missing: tools/install_browser.sh must run first",
                    pytrace=False)
    pytest.skip("Chromium is not installed (run tools/install_browser.sh as root)", allow_module_level=True)

EXPECTED_OVERLAYS = [
    "Isochrones (minutes)",
    "Facilities: elderly",
    "Facilities: childcare",
    "Facilities: hospital",
    "Hospitals and 5 km rings",
    "Rule violations",
    "Coverage by district/town",
    "Uncovered demand (heat)",
    "Planned sites: before",
    "Planned sites: after",
]


def _layers():
    fac = gpd.GeoDataFrame(
        {
            "name": ["钦州市社会福利院", "钦南区第一幼儿园", "钦州市第一人民医院"],
            "type": ["elderly", "childcare", "hospital"],
            "beds": [200, None, 800], "places": [None, 90, None],
            "owner": ["市民政局", "区教育局", "市卫健委"], "status": ["pass", "fail", "pass"],
        },
        geometry=[Point(108.62, 21.95), Point(108.64, 21.96), Point(108.61, 21.97)], crs=4326,
    )
    iso = gpd.GeoDataFrame({"minutes": [5, 10, 15]},
                           geometry=[Point(108.62, 21.95).buffer(r) for r in (0.01, 0.02, 0.03)], crs=4326)
    counties = load_boundaries("qinzhou")
    counties = counties[counties["level"] == "county"].assign(coverage=[0.3, 0.6, 0.8, np.nan])
    counties = counties.assign(geometry=counties.geometry.simplify(0.002))
    demand = gpd.GeoDataFrame({"uncovered": np.arange(1, 21)},
                              geometry=[Point(108.6 + 0.005 * i, 21.9 + 0.003 * i) for i in range(20)], crs=4326)
    before = fac.iloc[[0, 1]].assign(name=["规划养老中心", "规划托育中心"])
    after = before.assign(geometry=[Point(108.63, 21.955), Point(108.65, 21.965)])
    return [
        isochrone_layer(iso), facility_layer(fac), hospital_layer(fac.iloc[[2]]),
        violation_layer(fac.iloc[[1]].assign(rule_id="A3", reason="5 km 内无综合医院")),
        coverage_layer(counties), heatmap_layer(demand), planned_layers(before, after),
    ]


def test_offline_map_in_chromium(tmp_path):
    m = make_map(_layers(), title="钦州市“一老一小”设施地图", adcode=True, measure=True)
    path = export_map(m, tmp_path / "qinzhou_offline.html", offline=True)
    shot = tmp_path / "qinzhou_offline.png"
    info = inspect_map(path, screenshot=shot)

    assert info["errors"] == [], info["log"]
    assert info["scripts_remote"] == []
    assert info["maps"] == 1
    # 3 facilities + 1 hospital + 2 planned before + 2 after
    assert info["markers"] == 8
    assert info["circles"] == 1 and info["circle_markers"] == 1  # the 5 km ring; the violation
    assert info["features"] == 3 + 4  # isochrone bands + counties
    # the heat layer is offered but off on open; the ring is a dashed outline with nothing filled
    assert info["heat_layers"] == 0
    assert info["overlays_on"] == [n for n in EXPECTED_OVERLAYS if n != "Uncovered demand (heat)"]
    assert info["ring_styles"] == [{"fill": "none", "stroke": "#d63e2a", "dash": "8 6"}]
    assert info["overlay_labels"] == EXPECTED_OVERLAYS
    assert info["base_labels"] == ["OpenStreetMap"]
    assert info["scale"] == 1
    assert "© OpenStreetMap contributors" in info["attribution"] and "Vonng/adcode, CC-BY-4.0" in info["attribution"]
    # Chinese survives into the DOM: title, legend, popups built by the browser's parser
    assert info["title"] == "钦州市“一老一小”设施地图"
    assert "钦州市“一老一小”设施地图" in info["body_text"]
    assert any("钦州市社会福利院" in t and "市民政局" in t and "200" in t for t in info["popup_texts"])
    assert any("5 km 内无综合医院" in t for t in info["popup_texts"])
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_amap_overlays_are_shifted_in_the_live_map(tmp_path):
    fac = gpd.GeoDataFrame({"name": ["天安门"], "type": ["elderly"]}, geometry=[Point(116.404, 39.915)], crs=4326)
    path = export_map(make_map([facility_layer(fac)], basemap="amap"), tmp_path / "amap.html", offline=True)
    info = inspect_map(path, wait_s=0.3)
    assert info["errors"] == [], info["log"]
    assert info["base_labels"] == ["高德地图 Amap"]
    # wgs84togcj02(116.404, 39.915) = (116.41024449916938, 39.91640428150164), published test vector
    assert info["marker_latlngs"] == [pytest.approx([39.91640428150164, 116.41024449916938], abs=1e-12)]


def test_a_script_error_is_caught(tmp_path):
    # the error check must be able to fail: a page that throws is reported
    m = make_map([], title="broken")
    page = tmp_path / "broken.html"
    from siting.maps import map_html

    page.write_text(map_html(m, offline=True).replace("</body>", "<script>undefinedFunction42();</script></body>"),
                    encoding="utf-8")
    info = inspect_map(page, wait_s=0.1)
    assert any("undefinedFunction42" in e for e in info["errors"])


def test_offline_report_map_in_chromium(tmp_path):
    from pathlib import Path

    from siting.reporting.report import write_report

    data = Path(__file__).resolve().parents[1] / "data"
    scenario = tmp_path / "q.yaml"
    scenario.write_text(
        f"name: qinzhou\ntitle: 钦州市报告\nrules: qinzhou\nprojects: {data / 'plans/qinzhou_projects.csv'}\n"
        f"units: {{boundaries: {data / 'china/boundaries_qinzhou.geojson'}}}\n",
        encoding="utf-8",
    )
    path = write_report(scenario, tmp_path / "report.html", offline=True)
    info = inspect_map(path, screenshot=tmp_path / "report.png", wait_s=0.5, iframe="iframe.map")
    assert info["errors"] == [], info["log"]
    from siting.inputs.bundled import load_boundaries
    from siting.maps.verdicts import unit_violations
    from siting.rules import check

    failed = unit_violations(check(scenario), load_boundaries("qinzhou"))
    assert info["maps"] == 1 and info["markers"] > 0
    assert info["features"] == 4 + len(failed)  # the four counties, plus the outlines of failing units
    assert "钦州市报告" in info["page_text"] and "规则及其条款" in info["page_text"]  # a Chinese title: Chinese
    assert "各县区容量满足率（供给 ÷ 需求）" in info["overlay_labels"]


def test_extract_basemap_offline_in_chromium(tmp_path):
    """Monaco as a reviewer opens it without internet: the basemap drawn from the extract, at two zooms."""
    from siting.inputs.bundled import data_path
    from siting.io import read_points
    from siting.maps.basemap_osm import basemap_layer

    fac = read_points(data_path("monaco_facilities.csv"))
    layers = [basemap_layer(data_path("osm", "monaco.osm.pbf")), hospital_layer(fac[fac["type"] == "hospital"]),
              facility_layer(fac[fac["type"] != "hospital"])]
    path = export_map(make_map(layers, title="摩纳哥"), tmp_path / "monaco.html", offline=True)
    shots = {14: tmp_path / "monaco_z14.png", 17: tmp_path / "monaco_z17.png"}
    info = inspect_map(path, screenshot=shots[14], wait_s=0.5, zoom_screenshots={17: shots[17]})

    assert info["errors"] == [], info["log"]
    assert info["scripts_remote"] == [] and info["tile_errors"] == []  # the extract opens first: no tile asked
    assert info["base_labels"] == ["OpenStreetMap", "OSM extract (offline)"]
    assert info["base_on"] == ["OSM extract (offline)"]
    base = info["basemap"]
    assert base["tiles_embedded"] > 0 and base["first_render_ms"] is not None
    assert base["features"]["streets"] > 0 and base["painted_canvases"] > 0
    # opened on the study area (Monaco fills about a third of 1280 x 900 pixels at zoom 14)
    assert info["zoom"] == 14
    far = info["zooms"][17]["basemap"]
    assert info["zooms"][17]["zoom"] == 17 and far["features"]["buildings"] > 0  # footprints only up close
    assert "buildings" not in base["features"]
    assert all(r["fill"] == "none" for r in info["ring_styles"]) and len(info["ring_styles"]) == 7
    for shot in shots.values():
        assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------- the scenario map

CANDIDATES = Path(__file__).resolve().parents[1] / "data" / "monaco_candidates.csv"
READ_ROWS = ("return Array.from(document.querySelectorAll('tr[data-target], tr[data-capacity]'))"
             ".map(r => Object.assign({}, r.dataset))")
OPEN_POPUP = """
const maps = Object.keys(window).filter(k => { try { return window[k] instanceof L.Map; } catch (e) { return false; } });
let found = null;
window[maps[0]].eachLayer(l => {
  const p = l.getPopup ? l.getPopup() : null;
  if (p && String(p.getContent().innerHTML || p.getContent()).includes('data-site="' + arguments[0] + '"')) found = l;
});
found.openPopup();
return found.getPopup().getElement().innerText;
"""


@pytest.fixture(scope="module")
def whatif_maps(whatif_scenario, tmp_path_factory):
    """The what-if scenario (tests/conftest.py) with the Monaco candidates, mapped in English and in Chinese."""
    from siting.inputs.scenario import load_scenario
    from siting.maps.scenario import scenario_map, scenario_pack, scored_candidates, site_table
    from siting.rules import evaluate, inputs_from_scenario

    folder = tmp_path_factory.mktemp("whatif_maps")
    sc = load_scenario(whatif_scenario)
    inputs = inputs_from_scenario(sc)
    compliance = evaluate(scenario_pack(sc), inputs)
    scores = scored_candidates(sc, CANDIDATES, inputs)
    paths = {lang: export_map(scenario_map(sc, compliance=compliance, inputs=inputs, candidates=CANDIDATES,
                                           scores=scores, lang=lang), folder / f"whatif_{lang}.html", offline=True)
             for lang in ("en", "zh")}
    return {"inputs": inputs, "compliance": compliance, "scores": scores, "paths": paths,
            "keys": dict(zip(site_table(inputs, scores)["id"], site_table(inputs, scores)["key"]))}


def test_scenario_map_verdicts_and_rule_table_in_chromium(whatif_maps, tmp_path):
    from selenium.webdriver.common.by import By

    from siting.i18n import t
    from siting.maps.browser import map_page

    compliance, keys = whatif_maps["compliance"], whatif_maps["keys"]
    a4 = compliance.result("A4").details.set_index("id")
    with map_page(whatif_maps["paths"]["en"]) as page:
        info = page.inspect()
        page.screenshot(tmp_path / "scenario_map.png")
        assert info["scripts_remote"] == [] and info["base_on"] == ["OSM extract (offline)"]
        assert all(t(f"map.verdict.{s}", "en") in info["legend"] for s in ("pass", "fail", "not_evaluable"))
        # popups: each rule's verdict with the figures of its details
        project = next(p for p in info["popup_texts"] if "Planned elderly home 1" in p)
        assert "A4 pass" in project and f"{a4.loc['P-E1', 'straight_km']:.2f}" in project
        assert f"{a4.loc['P-E1', 'network_km']:.2f}" in project and str(a4.loc["P-E1", "nearest_hospital"]) in project
        failing = page.run(OPEN_POPUP, keys["T-E1"])
        partner = compliance.result("A5").violations[0]["suggested_partner"]
        assert "verdict: fail" in failing and "A5 fail" in failing and "without an on-site clinic" in failing
        assert partner in failing
        # a violation links back to its rule's row, which rings the rule's sites
        # (a script's click: the popup may still be panning into view, and a pointer's click would miss it)
        page.run("""document.querySelector('.leaflet-popup-content .siting-rule-link[data-rule="A5"]').click()""")
        assert page.run("return document.querySelector('.siting-rule-row.siting-selected').dataset.rule") == "A5"
        assert [keys["T-E1"]] == [k for k in page.run("return document.getElementById('siting-rule-A5').dataset.sites")
                                  .split() if k == keys["T-E1"]]
        # clicking a row highlights its sites: A4 judged the government-provided projects and candidates
        page.run("window.sitingPanelApi.selectRule('A5')")  # clear
        page.driver.find_element(By.ID, "siting-rule-A4").click()
        ringed = sorted(map(tuple, page.run("return window.sitingPanelApi.highlighted()")))
        judged = whatif_maps["scores"].query("hospital_rule_status in ['pass', 'fail']")
        # the sites A4 judged or lists as undecided (an existing home whose owner is not stated may be meant)
        listed = whatif_maps["inputs"].subjects({}).set_index("id")
        listed = listed[~listed.index.duplicated()].loc[list(a4.index)]
        want = sorted([(la, lo) for lo, la in zip(listed["lon"], listed["lat"])]
                      + [(la, lo) for lo, la in zip(judged["lon"], judged["lat"])])
        assert sorted(a4.index) == ["P-E1", "P-E2", "T-E1", "w572949998/elderly"]  # projects; homes of unknown owner
        assert len(want) == 4 + 2  # ... and MC-K1, MC-K2 (the government-provided candidate homes)
        assert np.allclose(ringed, want, atol=1e-9, rtol=0)
        page.screenshot(tmp_path / "scenario_map_a4.png")
        page.driver.find_element(By.ID, "siting-rule-A4").click()
        assert page.run("return window.sitingPanelApi.highlighted()") == []
        assert page.errors() == []


def test_scenario_map_in_chinese_in_chromium(whatif_maps):
    from siting.i18n import t
    from siting.maps.browser import map_page

    with map_page(whatif_maps["paths"]["zh"]) as page:
        info = page.inspect()
        assert all(t(f"map.verdict.{s}", "zh") in info["legend"] for s in ("pass", "fail", "not_evaluable"))
        project = next(p for p in info["popup_texts"] if "Planned elderly home 1" in p)
        assert "结论：通过" in project and "直线距离（km）" in project and "道路距离（km）" in project
        assert "60 岁及以上老人" in project  # who lives within 15 minutes of it
        failing = next(p for p in info["popup_texts"] if "Test elderly home" in p)
        assert "不通过" in failing and "内设医务室或护理站" in failing and "否" in failing
        panel = page.run("return document.getElementById('siting-panel').innerText")
        n_rules = len(whatif_maps["compliance"].results)  # every rule of the pack has its row
        assert f"规则（{n_rules}）" in panel and n_rules >= 12 and "假设分析" in panel and "政府提供的养老机构用地、用房" in panel
        assert page.errors() == []


def python_whatif(inputs, ticked):
    """What the what-if panel must show when the sites ``ticked`` (ids) are on, computed with the coverage engine
    from the input tables: (covered, share) per target, (total, status) for C8."""
    import pandas as pd

    from siting.analysis.coverage import coverage
    from siting.inputs.facilities import read_facilities

    net = inputs.network("walk")
    demand, _ = inputs.demand_points(net)
    cand = pd.read_csv(CANDIDATES)
    sites = pd.concat([read_facilities(inputs.paths["facilities"]), inputs.projects[inputs.projects["id"].isin(ticked)],
                       cand[cand["id"].isin(ticked)]], ignore_index=True)
    sites = sites[sites["lon"].notna()]
    out = {}
    for target, types, group in (("A1", ("elderly", "integrated", "community_centre"), "60+"),
                                 ("kind:elderly", ("elderly", "integrated"), "60+"), ("kind:childcare", ("childcare",), "0-3")):
        chosen = sites[sites["type"].isin(types)][["id", "lon", "lat"]].assign(type="t")
        row = coverage(net, demand, chosen, "t", group, [15.0]).summary.iloc[0]
        out[target] = (float(row["covered"]), float(row["share"]))
    beds = inputs.projects.loc[inputs.projects["id"].isin(ticked), "beds"].sum() + \
        cand.loc[cand["id"].isin(ticked) & (cand["type"] == "elderly"), "capacity"].sum()
    out["C8"] = (15855.0 + float(beds), "pass" if 15855.0 + beds >= 16000 else "fail")
    return out


def test_whatif_numbers_equal_python_in_chromium(whatif_maps):
    """Random selections ticked in the page; its numbers against the coverage engine run in Python."""
    from selenium.webdriver.common.by import By

    from siting.maps.browser import map_page

    rng = np.random.default_rng(2024)
    with map_page(whatif_maps["paths"]["en"]) as page:
        page.driver.find_element(By.CSS_SELECTOR, '.siting-tab[data-tab="whatif"]').click()
        boxes = page.driver.find_elements(By.CSS_SELECTOR, "input.siting-whatif-site")
        ids = [b.get_attribute("data-id") for b in boxes]
        assert sorted(ids) == sorted(["P-E1", "P-E2", "P-C1", "P-C2"] + [f"MC-K{i}" for i in range(1, 7)])
        assert {i for i, b in zip(ids, boxes) if b.is_selected()} == {"P-E1", "P-E2", "P-C1", "P-C2"}  # as planned
        selections = [set(ids) - {"P-E1", "P-E2", "P-C1", "P-C2"} | {"P-E1", "P-E2", "P-C1", "P-C2"}, set()]
        selections += [{i for i in ids if rng.random() < 0.5} for _ in range(4)]
        for ticked in [{"P-E1", "P-E2", "P-C1", "P-C2"}, *selections]:
            for box, i in zip(boxes, ids):
                if box.is_selected() != (i in ticked):
                    box.click()
            rows = {r.get("target") or r.get("capacity"): r for r in page.run(READ_ROWS)}
            want = python_whatif(whatif_maps["inputs"], ticked)
            for target in ("A1", "kind:elderly", "kind:childcare"):
                covered, share = want[target]
                assert float(rows[target]["covered"]) == pytest.approx(covered, rel=1e-12, abs=1e-9), (target, ticked)
                assert float(rows[target]["share"]) == pytest.approx(share, rel=1e-12), (target, ticked)
            assert rows["A1"]["status"] == ("pass" if want["A1"][1] >= 1.0 - 1e-9 else "fail")
            assert float(rows["C8"]["total"]) == want["C8"][0] and rows["C8"]["status"] == want["C8"][1]
        a1 = whatif_maps["compliance"].result("A1").figures
        page.driver.find_element(By.CSS_SELECTOR, 'button[data-tick="plan"]').click()  # back to the plan: the rule
        row = {r.get("target"): r for r in page.run(READ_ROWS)}["A1"]
        assert float(row["covered"]) == pytest.approx(a1["covered"], rel=1e-12) and row["status"] == "fail"
        assert page.errors() == []


def test_id_sets_decode_in_the_page_as_in_python(whatif_maps):
    from siting.maps.browser import map_page
    from siting.maps.idsets import decode_ids, encode_ids

    rng = np.random.default_rng(5)
    n = 3000
    texts = [encode_ids(rng.choice(n, size=k, replace=False), n) for k in (0, 1, 17, 400, 2900)]
    texts.append(encode_ids([0, 2**14 + 5, 2**21 + 3], 2**22))
    with map_page(whatif_maps["paths"]["en"], wait_s=0.2) as page:
        for text in texts:
            size = 2**22 if text == texts[-1] else n
            assert page.run("return sitingDecodeIds(arguments[0], arguments[1])", text, size) == \
                decode_ids(text, size).tolist()
