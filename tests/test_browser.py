"""Real-browser test: Debian's headless Chromium opens offline map exports via file://.

Installed by tools/install_browser.sh (tools/test.sh runs it). Skipped only when
Chromium is absent outside CI; with CI=true a missing browser is a failure.
"""

from __future__ import annotations

import os

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
    from siting.reporting.report import unit_violations
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
