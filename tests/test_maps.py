"""Maps: layers, basemaps and the GCJ-02 shift, offline export (no browser here)."""

from __future__ import annotations

import base64
import hashlib
import re

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from folium.plugins import HeatMap, MeasureControl, MiniMap
from shapely.geometry import Point, Polygon

from siting.coords import haversine_m, wgs84_to_gcj02
from siting.errors import InputError, SitingError
from siting.inputs.bundled import load_boundaries
from siting.maps import (
    coverage_layer,
    display_frame,
    export_map,
    facility_layer,
    heatmap_layer,
    hospital_layer,
    isochrone_layer,
    make_map,
    map_html,
    planned_layers,
    remote_references,
    violation_layer,
)
from siting.maps.layers import coverage_class, facility_style
from siting.maps.offline import ASSETS, VENDOR_DIR, inline_css

# Published test vector of the GCJ-02 forward formula (wandergis/coordtransform README):
# wgs84togcj02(116.404, 39.915) -> [116.41024449916938, 39.91640428150164]
BEIJING_WGS = (116.404, 39.915)
BEIJING_GCJ = (116.41024449916938, 39.91640428150164)


def _facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["钦州市社会福利院", "钦南区<幼儿园>", "钦州市第一人民医院"],
            "type": ["elderly", "childcare", "hospital"],
            "beds": [200, None, 800],
            "places": [None, 90, None],
            "owner": ["市民政局", "区教育局", "市卫健委"],
            "status": ["pass", "fail", "pass"],
        },
        geometry=[Point(108.62, 21.95), Point(108.64, 21.96), Point(108.61, 21.97)],
        crs=4326,
    )


def _markers(m: folium.Map) -> list[folium.Marker]:
    out = []

    def walk(el):  # noqa: ANN001
        for child in el._children.values():
            if type(child) is folium.Marker:  # Circle and CircleMarker subclass Marker
                out.append(child)
            walk(child)

    walk(m)
    return out


def test_amap_shifts_markers_to_gcj02_at_a_known_point():
    fac = gpd.GeoDataFrame({"name": ["天安门"], "type": ["elderly"]}, geometry=[Point(*BEIJING_WGS)], crs=4326)
    amap = make_map([facility_layer(fac)], basemap="amap")
    osm = make_map([facility_layer(fac)], basemap="osm")
    (ma,), (mo,) = _markers(amap), _markers(osm)
    assert ma.location == pytest.approx([BEIJING_GCJ[1], BEIJING_GCJ[0]], abs=1e-12)
    assert mo.location == pytest.approx([BEIJING_WGS[1], BEIJING_WGS[0]], abs=1e-12)
    # the shift is the few hundred metres that make overlays miss their streets on Amap
    assert 500 < float(haversine_m(*BEIJING_WGS, *BEIJING_GCJ)) < 700


def test_display_frame_shifts_every_vertex_and_keeps_input():
    ring = [(108.60, 21.90), (108.70, 21.90), (108.70, 22.00), (108.60, 22.00)]
    frame = gpd.GeoDataFrame({"name": ["钦南区"]}, geometry=[Polygon(ring)], crs=4326)
    before = frame.geometry.iloc[0].wkt
    shifted = display_frame(frame, "amap").geometry.iloc[0]
    got = np.asarray(shifted.exterior.coords)
    lon, lat = wgs84_to_gcj02([p[0] for p in ring] + [ring[0][0]], [p[1] for p in ring] + [ring[0][1]])
    np.testing.assert_allclose(got, np.column_stack([lon, lat]), atol=1e-12)
    assert frame.geometry.iloc[0].wkt == before  # input untouched
    assert display_frame(frame, "osm").geometry.iloc[0].equals(frame.geometry.iloc[0])
    assert display_frame(frame, "tianditu").geometry.iloc[0].equals(frame.geometry.iloc[0])
    # projected input comes back in WGS84 first; outside China GCJ-02 equals WGS84 (Monaco)
    utm = gpd.GeoDataFrame(geometry=[Point(7.42, 43.73)], crs=4326).to_crs(32632)
    back = display_frame(utm, "amap").geometry.iloc[0]
    assert (back.x, back.y) == pytest.approx((7.42, 43.73), abs=1e-9)


def test_facility_popups_carry_names_capacity_owner_status_escaped():
    m = make_map([facility_layer(_facilities())], title="钦州市 养老设施")
    page = map_html(m)
    assert '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />' in page
    assert "钦州市社会福利院" in page and "市民政局" in page and "<title>钦州市 养老设施</title>" in page
    assert "钦南区&lt;幼儿园&gt;" in page and "钦南区<幼儿园>" not in page
    assert re.search(r"<th>beds</th><td>200</td>", page)
    assert re.search(r"<th>places</th><td>90</td>", page)
    assert re.search(r"<th>rule status</th><td>fail</td>", page)
    # one layer-control entry per facility type
    names = [g.layer_name for g in m._children.values() if isinstance(g, folium.FeatureGroup)]
    assert names == ["Facilities: elderly", "Facilities: childcare", "Facilities: hospital"]


def test_facility_style_matches_chinese_and_english_types():
    assert facility_style("养老院")[1] == "person-cane"
    assert facility_style("elderly")[1] == "person-cane"
    assert facility_style("托育中心")[1] == "baby"
    assert facility_style("综合医院")[1] == "hospital"
    assert facility_style("something else")[1] == "circle"


def test_coverage_classes_and_bad_shares():
    assert [coverage_class(v) for v in (0.0, 0.49, 0.5, 0.8, 0.9, 1.0, float("nan"))] == [0, 0, 1, 2, 3, 3, -1]
    units = load_boundaries("qinzhou")
    units = units[units["level"] == "county"].assign(coverage=[0.3, 0.6, 0.95, np.nan])
    layer = coverage_layer(units)
    (group,) = layer.to_folium()
    (gj,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    fills = [gj.style_function(f)["fillColor"] for f in gj.data["features"]]
    assert fills == ["#d7191c", "#fdae61", "#1a9641", "#bdbdbd"]
    assert layer.adcode  # the bundled boundaries come from adcode: credited without asking
    assert "Vonng/adcode" in map_html(make_map([layer]))
    assert not coverage_layer(units.drop(columns="adcode")).adcode
    with pytest.raises(InputError, match="between 0 and 1.*row 2|row 2.*between 0 and 1"):
        coverage_layer(units.assign(coverage=[0.3, 60.0, 0.9, 0.1]))


def test_isochrone_bands_coloured_shortest_darkest_and_drawn_on_top():
    iso = gpd.GeoDataFrame(
        {"minutes": [5, 15, 10]}, geometry=[Point(108.62, 21.95).buffer(r) for r in (0.01, 0.03, 0.02)], crs=4326
    )
    layer = isochrone_layer(iso)
    assert [label for _, label in layer.legend] == ["≤ 5 min", "5–10 min", "10–15 min"]
    (group,) = layer.to_folium()
    (gj,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    order = [f["properties"]["minutes"] for f in gj.data["features"]]
    assert order == [15, 10, 5]
    colours = [gj.style_function(f)["fillColor"] for f in gj.data["features"]]
    assert colours == ["#e0f3db", "#7bccc4", "#084081"]  # palette ends and its middle (index 3.5 -> 4)
    assert [f["properties"]["band"] for f in gj.data["features"]] == ["10–15 min", "5–10 min", "≤ 5 min"]
    # each band is the ring between two circles, so no place carries two band colours
    area = {f["properties"]["minutes"]: shapely.geometry.shape(f["geometry"]).area for f in gj.data["features"]}
    disk = {m: iso.geometry[iso["minutes"] == m].iloc[0].area for m in (5, 10, 15)}
    assert area[5] == pytest.approx(disk[5], rel=1e-4)
    assert area[10] == pytest.approx(disk[10] - disk[5], rel=1e-4)
    assert area[15] == pytest.approx(disk[15] - disk[10], rel=1e-4)
    with pytest.raises(InputError, match="row 2, field 'minutes'.*'x' is not a number"):
        isochrone_layer(iso.assign(minutes=["5", "x", "10"]))


def test_isochrone_bands_dissolve_overlapping_facilities():
    # two facilities whose 5-minute circles overlap: the band is their union, drawn once
    a, b = Point(0, 0), Point(0.01, 0)
    iso = gpd.GeoDataFrame({"minutes": [5, 10, 5, 10]},
                           geometry=[a.buffer(0.01), a.buffer(0.02), b.buffer(0.01), b.buffer(0.02)], crs=4326)
    (group,) = isochrone_layer(iso).to_folium()
    (gj,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    shapes = {f["properties"]["minutes"]: shapely.geometry.shape(f["geometry"]) for f in gj.data["features"]}
    assert len(gj.data["features"]) == 2
    five = a.buffer(0.01).union(b.buffer(0.01))
    ten = a.buffer(0.02).union(b.buffer(0.02))
    assert shapes[5].area == pytest.approx(five.area, rel=1e-4)
    assert shapes[10].area == pytest.approx(ten.area - five.area, rel=1e-4)
    assert shapes[5].intersection(shapes[10]).area < 1e-9
    # with a label column (the facility in the tooltip) each facility's polygons stay as they are
    (group,) = isochrone_layer(iso.assign(name=["A", "A", "B", "B"]), label_col="name").to_folium()
    (gj,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    assert len(gj.data["features"]) == 4
    assert isochrone_layer(iso, label_col="name").legend[1][1] == "≤ 10 min"


def test_all_layers_compose_with_legend_attribution_scale_and_control():
    fac = _facilities()
    iso = gpd.GeoDataFrame({"minutes": [15]}, geometry=[Point(108.62, 21.95).buffer(0.02)], crs=4326)
    dem = gpd.GeoDataFrame({"uncovered": [0, 3, 5]}, geometry=[Point(108.6 + i / 100, 21.9) for i in range(3)],
                           crs=4326)
    layers = [
        isochrone_layer(iso), facility_layer(fac), hospital_layer(fac.iloc[[2]]),
        violation_layer(fac.iloc[[1]].assign(rule_id="A3", reason="医院 5 km 外")),
        heatmap_layer(dem), planned_layers(fac.iloc[[0]], fac.iloc[[1]]),
    ]
    m = make_map(layers, title="t", adcode=True, measure=True)
    page = map_html(m)
    assert "L.control.layers(" in page and "L.control.scale(" in page
    assert 'id="siting-legend"' in page and "≤ 15 min" in page
    assert "OpenStreetMap\\u003c/a\\u003e contributors (ODbL)" in page and "Vonng/adcode" in page and "CC-BY-4.0" in page
    assert page.count("L.circle(") == 1 and "radius" in page
    heat = [c for g in m._children.values() for c in g._children.values() if isinstance(c, HeatMap)]
    assert len(heat) == 1 and len(heat[0].data) == 2  # the zero-weight point is left out
    assert sum(isinstance(c, MeasureControl) for c in m._children.values()) == 1
    without = map_html(make_map([facility_layer(fac)]))
    assert "Vonng/adcode" not in without


def test_tianditu_needs_a_key(monkeypatch):
    monkeypatch.delenv("SITING_TIANDITU_KEY", raising=False)
    with pytest.raises(SitingError, match="Tianditu basemap needs a user key"):
        make_map([], basemap="tianditu")
    page = map_html(make_map([], basemap="tianditu", tianditu_key="abc123"))
    assert "tk=abc123" in page and "cva_w" in page
    with pytest.raises(SitingError, match="unknown basemap"):
        make_map([], basemap="google")


def test_offline_export_is_self_contained(tmp_path):
    fac = _facilities()
    dem = gpd.GeoDataFrame({"uncovered": [1, 2]}, geometry=[Point(108.6, 21.9), Point(108.61, 21.91)], crs=4326)
    m = make_map([facility_layer(fac), heatmap_layer(dem)], title="钦州", measure=True)
    online = export_map(m, tmp_path / "online.html", offline=False).read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net" in online and remote_references(online)
    path = export_map(m, tmp_path / "offline.html", offline=True)
    assert path == tmp_path / "offline.html"
    page = path.read_text(encoding="utf-8")
    assert remote_references(page) == []
    assert not re.search(r"<script[^>]+src=", page) and not re.search(r"<link[^>]+stylesheet", page)
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", page)
    assert "data:font/woff2;base64," in page and "data:image/png;base64," in page
    assert "fa-brands-400" not in page and ".ttf" not in page  # dropped sources removed, not left dangling
    solid = base64.b64encode((VENDOR_DIR / "fontawesome-free@6.2.0/webfonts/fa-solid-900.woff2").read_bytes())
    assert page.count(solid.decode()) == 1  # alias families do not repeat the 150 KB font
    assert "Leaflet 1.9.3" in page or "leaflet 1.9.3" in page.lower()
    assert "L.HeatLayer" in page and "L.Control.Measure" in page
    assert "钦州市社会福利院" in page
    assert page.count("tile.openstreetmap.org") == 1  # the tile template is the only network URL
    assert path.stat().st_size < 4_000_000
    assert not list(tmp_path.glob(".*.tmp"))


def test_offline_export_fails_loudly_on_unvendored_plugin(tmp_path):
    m = make_map([facility_layer(_facilities())])
    MiniMap().add_to(m)
    with pytest.raises(SitingError, match=r"no vendored copy of https://cdnjs.cloudflare.com/.*Control.MiniMap"):
        export_map(m, tmp_path / "x.html", offline=True)
    assert not (tmp_path / "x.html").exists() and not list(tmp_path.iterdir())


def test_every_url_folium_emits_for_our_maps_is_vendored():
    urls = {u for _, u in folium.Map.default_js + folium.Map.default_css}
    urls |= {u for _, u in HeatMap.default_js}
    urls |= {u for _, u in MeasureControl.default_js + MeasureControl.default_css}
    assert urls <= set(ASSETS), sorted(urls - set(ASSETS))


def test_vendored_files_have_licences_and_checksums():
    for rel in ASSETS.values():
        assert (VENDOR_DIR / rel).is_file(), rel
    packages = sorted(p for p in VENDOR_DIR.iterdir() if p.is_dir())
    assert len(packages) >= 8
    for pkg in packages:
        assert list(pkg.glob("LICENSE*")), f"{pkg.name} has no licence file"
    sums = (VENDOR_DIR / "SHA256SUMS").read_text().splitlines()
    listed = set()
    for line in sums:
        digest, rel = line.split("  ", 1)
        assert hashlib.sha256((VENDOR_DIR / rel).read_bytes()).hexdigest() == digest, rel
        listed.add(rel)
    on_disk = {str(p.relative_to(VENDOR_DIR)) for p in VENDOR_DIR.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert on_disk == listed
    total = sum((VENDOR_DIR / rel).stat().st_size for rel in listed)
    assert total < 3_000_000


def test_inline_css_keeps_vendored_font_formats_and_rejects_missing_files(tmp_path):
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "a.woff2").write_bytes(b"\x00\x01font")
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    css_path = tmp_path / "x.css"
    css = ('@font-face{font-family:"A";src:url("fonts/a.eot");src:url(fonts/a.woff2) format("woff2"),'
           'url(fonts/a.ttf) format("truetype")}.x{background:url(img.png)}.y{behavior:url(#default#VML)}')
    out = inline_css(css, css_path)
    assert "a.eot" not in out and "a.ttf" not in out
    assert 'src:url("data:font/woff2;base64,AAFmb250") format("woff2")}' in out
    assert 'url("data:image/png;base64,iVBORw==")' in out and "url(#default#VML)" in out
    # a second face with the same file (an alias family) is dropped; so is a face left without sources
    twice = ('@font-face{font-family:"A";src:url(fonts/a.woff2) format("woff2")}'
             '@font-face{font-family:"B";src:url(fonts/a.woff2) format("woff2")}'
             '@font-face{font-family:"C";src:url(fonts/c.ttf) format("truetype")}')
    out = inline_css(twice, css_path)
    assert out.count("@font-face") == 1 and '"A"' in out and '"B"' not in out and '"C"' not in out
    with pytest.raises(SitingError, match="needs missing.png"):
        inline_css(".z{background:url(missing.png)}", css_path)


def test_geometry_precision_is_rounded_for_small_files():
    iso = gpd.GeoDataFrame({"minutes": [5]}, geometry=[Point(108.123456789, 21.987654321).buffer(0.01)], crs=4326)
    (group,) = isochrone_layer(iso).to_folium()
    (gj,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    coords = np.asarray(gj.data["features"][0]["geometry"]["coordinates"][0])
    np.testing.assert_allclose(coords, np.round(coords, 6), atol=1e-12)
    assert shapely.Polygon(coords).area == pytest.approx(iso.geometry.iloc[0].area, rel=1e-3)


def test_standard_layers_from_the_bundled_monaco_table():
    from siting.inputs.bundled import data_path
    from siting.io import read_points
    from siting.maps import standard_layers

    fac = read_points(data_path("monaco_facilities.csv"))
    hosp = fac[fac["type"] == "hospital"]
    layers = standard_layers(facilities=fac, hospitals=hosp, planned_after=fac.iloc[:2])
    assert [lay.name for lay in layers] == ["Hospitals and 5 km rings", "Facilities", "Planned sites"]
    m = make_map(layers, title="Monaco")
    assert len(_markers(m)) == len(fac) + len(hosp) + 2
    page = map_html(m)
    assert page.count("L.circle(") == len(hosp)
    # rows without coordinates (e.g. planned projects not yet sited) are left off, not drawn at NaN
    unlocated = fac.assign(lon=[np.nan] + list(fac["lon"].iloc[1:]))
    assert len(_markers(make_map(standard_layers(facilities=unlocated)))) == len(fac) - 1
    # Monaco is outside China: the Amap shift leaves it in place
    amap = make_map(standard_layers(facilities=fac), basemap="amap")
    got = sorted(tuple(mk.location) for mk in _markers(amap))
    np.testing.assert_allclose(got, sorted(zip(fac["lat"], fac["lon"])), atol=1e-12)


def test_cli_map_offline(tmp_path, capsys):
    from siting.cli import main
    from siting.inputs.bundled import data_path

    out = tmp_path / "monaco.html"
    src = str(data_path("monaco_facilities.csv"))
    assert main(["map", "--facilities", src, "--hospitals", src, "--title", "Monaco", "--offline",
                 "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = out.read_text(encoding="utf-8")
    assert remote_references(page) == [] and "<title>Monaco</title>" in page
    assert main(["map", "--facilities", src, "--out", src]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
