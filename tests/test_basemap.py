"""The offline basemap: reading map features, cutting vector tiles, zoom rules, the map layer.

Features are cross-checked against osmnx's own reading of the Monaco extract (written out as
OSM XML by pyosmium); tiles are decoded with the reference ``mapbox-vector-tile`` decoder.
"""

from __future__ import annotations

import math

import folium
import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import osmium
import osmnx as ox
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from siting.coords import wgs84_to_gcj02
from siting.errors import InputError
from siting.inputs.bundled import data_path
from siting.maps import export_map, facility_layer, make_map, map_html
from siting.maps.basemap_osm import (
    BUILDING_ZOOM,
    LEVEL_DIFF,
    STREET_KIND,
    STREET_ZOOM,
    VectorBasemap,
    basemap_layer,
    basemap_tiles,
    extract_basemap,
)
from siting.maps.vector_tiles import TileLayer, cut_tiles, layer_tiles, to_world, varint, zigzag
from siting.osm.mapdata import (
    GREEN_LANDUSE,
    GREEN_LEISURE,
    GREEN_NATURAL,
    PLACE_KINDS,
    STREET_CLASSES,
    WATERWAY_LINES,
    MapData,
    label_name,
    read_map_data,
)

MONACO = data_path("osm", "monaco.osm.pbf")


@pytest.fixture(scope="module")
def monaco():
    return read_map_data(MONACO)


@pytest.fixture(scope="module")
def monaco_tiles(monaco):
    return basemap_tiles(monaco)


@pytest.fixture(scope="module")
def osmnx_monaco(tmp_path_factory):
    """osmnx's reading of the same data: the PBF written as XML by pyosmium, parsed by osmnx."""
    path = tmp_path_factory.mktemp("osm") / "monaco.osm"
    writer = osmium.SimpleWriter(str(path))
    try:
        for obj in osmium.FileProcessor(str(MONACO)):
            writer.add(obj)
    finally:
        writer.close()
    tags = {k: True for k in ("highway", "building", "natural", "waterway", "leisure", "landuse", "place")}
    frame = ox.features_from_xml(path, tags=tags)
    frame.index = [("n" if t == "node" else "w" if t == "way" else "r") + str(i) for t, i in frame.index]
    return frame


def _col(frame, key):
    return frame[key] if key in frame.columns else gpd.GeoSeries([None] * len(frame), index=frame.index)


# ------------------------------------------------------------------ reading


def test_label_name_prefers_the_data_name_then_chinese_then_english():
    assert label_name({"name": "钦南区", "name:zh": "x", "name:en": "Qinnan"}) == "钦南区"
    assert label_name({"name:zh": "钦州市", "name:en": "Qinzhou"}) == "钦州市"
    assert label_name({"name:en": "Qinzhou"}) == "Qinzhou"
    assert label_name({}) == ""


def test_monaco_streets_match_osmnx(monaco, osmnx_monaco):
    theirs = osmnx_monaco[_col(osmnx_monaco, "highway").isin(STREET_CLASSES)
                          & (_col(osmnx_monaco, "area") != "yes") & osmnx_monaco.index.str.startswith("w")]
    ours = monaco.streets
    assert len(ours) == 2818 and ours["way_id"].is_unique  # no way of this extract leaves it
    assert {f"w{i}" for i in ours["way_id"]} == set(theirs.index)
    by_id = ours.set_index(ours["way_id"].map(lambda i: f"w{i}"))
    assert (by_id["highway"] == theirs["highway"].reindex(by_id.index)).all()
    # osmnx makes one closed indoor corridor a polygon (its 'indoor' tag); we draw it as the line it walks
    lines = theirs[theirs.geom_type == "LineString"]
    assert set(theirs.index) - set(lines.index) == {"w833508293"}
    lengths = shapely.length(by_id.geometry.reindex(lines.index).to_numpy())
    np.testing.assert_allclose(lengths, shapely.length(lines.geometry.to_numpy()), rtol=1e-9)
    # every street class is one the basemap knows how to draw
    assert set(ours["highway"]) <= set(STREET_KIND)


def test_monaco_buildings_water_green_places_match_osmnx(monaco, osmnx_monaco):
    polys = osmnx_monaco[osmnx_monaco.geom_type.isin(["Polygon", "MultiPolygon"])]
    buildings = polys[_col(polys, "building").notna() & (_col(polys, "building") != "no")]
    assert len(monaco.buildings) == len(buildings) == 1283
    assert set(monaco.buildings["osm_id"]) == set(buildings.index)

    water = polys[(_col(polys, "natural") == "water") | _col(polys, "waterway").isin(["riverbank", "dock"])
                  | _col(polys, "landuse").isin(["reservoir", "basin"])]
    ours_water = monaco.water[monaco.water["kind"] == "water"]
    assert len(ours_water) == 21 and set(ours_water["osm_id"]) == set(water.index)
    lines = osmnx_monaco[osmnx_monaco.geom_type == "LineString"]
    wlines = lines[(_col(lines, "natural") == "coastline") | _col(lines, "waterway").isin(WATERWAY_LINES)]
    ours_lines = monaco.water[monaco.water["kind"] != "water"]
    assert set(ours_lines["osm_id"]) == set(wlines.index)
    assert ours_lines["kind"].value_counts().to_dict() == {"coastline": 19, "stream": 3}

    green = polys[(_col(polys, "leisure").isin(GREEN_LEISURE) | _col(polys, "landuse").isin(GREEN_LANDUSE)
                   | _col(polys, "natural").isin(GREEN_NATURAL)) & ~polys.index.isin(water.index)]
    assert len(monaco.green) == len(green) == 151
    assert set(monaco.green["osm_id"]) == set(green.index)

    points = osmnx_monaco[osmnx_monaco.geom_type == "Point"]
    places = points[_col(points, "place").isin(PLACE_KINDS) & _col(points, "name").notna()]
    assert set(monaco.places["osm_id"]) == set(places.index) and len(places) == 10
    assert "Monte-Carlo" in set(monaco.places["name"])


def test_reading_errors_name_the_file(tmp_path):
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_map_data(empty)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(MONACO.read_bytes()[:100_000])
    with pytest.raises(InputError, match="truncated"):
        read_map_data(broken)


# ------------------------------------------------------------------ vector tiles


def test_varint_and_zigzag_match_the_protobuf_documentation():
    assert varint(1) == b"\x01" and varint(150) == b"\x96\x01" and varint(300) == b"\xac\x02"
    got = zigzag(np.array([0, -1, 1, -2, 2147483647, -2147483648]))
    assert got.tolist() == [0, 1, 2, 3, 4294967294, 4294967295]


def _decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def test_tiles_decode_with_the_reference_decoder_to_hand_computed_coordinates():
    # world units: zoom 1 has 2 x 2 tiles of 4096 units; (0.25, 0.25) is (2048, 2048) in tile 0/0
    line = LineString([(0.25, 0.25), (0.3, 0.25), (0.3, 0.3)])
    square = Polygon([(0.1, 0.1), (0.2, 0.1), (0.2, 0.2), (0.1, 0.2)],
                     [[(0.12, 0.12), (0.14, 0.12), (0.14, 0.14), (0.12, 0.14)]])
    layers = [TileLayer("roads", np.array([line], dtype=object), {"kind": ["minor"], "lanes": [2]}, ids=np.array([7])),
              TileLayer("areas", np.array([square], dtype=object)),
              TileLayer("points", np.array([Point(0.75, 0.25)], dtype=object), {"name": ["钦州"]})]
    tiles = cut_tiles(layers, 1, simplify_px=0)
    assert set(tiles) == {(0, 0), (1, 0)}
    left = _decode(tiles[(0, 0)])
    (road,) = left["roads"]["features"]
    assert road["id"] == 7 and road["properties"] == {"kind": "minor", "lanes": 2}
    assert road["geometry"] == {"type": "LineString", "coordinates": [[2048, 2048], [2458, 2048], [2458, 2458]]}
    (area,) = left["areas"]["features"]
    assert area["geometry"]["type"] == "Polygon"
    outer, hole = area["geometry"]["coordinates"]
    assert sorted(map(tuple, outer[:-1])) == [(819, 819), (819, 1638), (1638, 819), (1638, 1638)]
    assert len(hole) == 5  # the hole survives, wound the other way (the decoder tells rings by winding)
    # exterior rings have positive area in tile coordinates, holes negative (MVT 2.1, 4.3.4.4)
    assert shapely.Polygon(outer).exterior.is_ccw and not shapely.Polygon(hole).exterior.is_ccw
    right = _decode(tiles[(1, 0)])
    assert right["points"]["features"][0]["geometry"]["coordinates"] == [2048, 2048]
    assert right["points"]["features"][0]["properties"] == {"name": "钦州"}
    assert left["roads"]["extent"] == 4096


def _decode_layer(payload: bytes) -> dict:
    return _decode(b"\x1a" + varint(len(payload)) + payload)  # one layer message wrapped as a tile


def test_lines_crossing_tiles_are_clipped_with_a_buffer_and_merged_by_properties():
    across = LineString([(0.4, 0.2), (0.6, 0.2)])  # crosses x = 0.5, the edge between tiles 0/0 and 1/0 at z 1
    other = LineString([(0.1, 0.3), (0.2, 0.3)])
    lay = TileLayer("s", np.array([across, other], dtype=object), {"kind": ["a", "a"]}, merge=True)
    tiles = layer_tiles(lay, 1, simplify_px=0, buffer_px=8)  # 8 px of 512 = 64 units beyond the edge
    (feature,) = _decode_layer(tiles[(0, 0)])["s"]["features"]  # both lines in one multi-line feature
    assert feature["geometry"]["type"] == "MultiLineString" and feature["properties"] == {"kind": "a"}
    # x: 0.4 * 8192 = 3276.8, cut at 4096 + 64; the second part starts after the first one's end
    assert sorted(feature["geometry"]["coordinates"]) == [[[819, 2458], [1638, 2458]],
                                                          [[3277, 1638], [4160, 1638]]]
    (right,) = _decode_layer(tiles[(1, 0)])["s"]["features"]
    assert right["geometry"]["coordinates"] == [[-64, 1638], [819, 1638]]
    # without merging, each line is its own feature
    single = layer_tiles(TileLayer("s", lay.geometry, lay.properties), 1, simplify_px=0)
    assert len(_decode_layer(single[(0, 0)])["s"]["features"]) == 2


def test_simplification_keeps_endpoints_and_drops_subpixel_wiggles():
    wiggly = LineString([(0.5002 + i * 1e-6, 0.5002 + (1e-9 if i % 2 else 0)) for i in range(50)])
    tiles = layer_tiles(TileLayer("s", np.array([wiggly], dtype=object)), 10, simplify_px=0.5)
    ((_, data),) = tiles.items()
    geometry = _decode_layer(data)["s"]["features"][0]["geometry"]
    assert len(geometry["coordinates"]) == 2  # a straight line at this zoom


# ------------------------------------------------------------------ what each zoom shows


def _drawn(tiles, z, layer):
    """Decoded features of ``layer`` at data zoom ``z``, in world units: [(properties, geometry)]."""
    out = []
    scale = 1.0 / 2**z
    for (zz, x, y), data in tiles.tiles.items():
        if zz != z:
            continue
        decoded = _decode(data).get(layer)
        if decoded is None:
            continue
        ext = decoded["extent"]
        for f in decoded["features"]:
            g = shapely.geometry.shape(f["geometry"])
            out.append((f["properties"], shapely.transform(g, lambda c, x=x, y=y, e=ext: (np.array([x, y]) + c / e) * scale)))
    return out


def test_every_street_is_drawn_from_its_zoom_on_and_never_before(monaco, monaco_tiles):
    streets = monaco.streets
    kind = streets["highway"].map(STREET_KIND).to_numpy()
    world = to_world(streets.geometry.to_numpy())
    mid = shapely.line_interpolate_point(world, 0.5, normalized=True)
    for z in range(monaco_tiles.min_zoom, monaco_tiles.max_zoom + 1):
        display = z + LEVEL_DIFF
        px = 1.0 / (512 * 2**z)  # a pixel of a 512-pixel data tile, in world units
        drawn = _drawn(monaco_tiles, z, "streets")
        present = {p["kind"] for p, _ in drawn}
        assert present == {k for k in set(kind) if STREET_ZOOM[k] <= display}, z
        for k in present:
            tree = shapely.STRtree([g for p, g in drawn if p["kind"] == k])
            mine = (kind == k) & (shapely.length(world) >= px)
            _, dist = tree.query_nearest(mid[mine], return_distance=True, all_matches=False)
            # half a pixel of simplification, half a unit of rounding: every street is where it should be
            assert dist.max() <= 1.0 * px, (z, k, dist.max() / px)
        has_buildings = bool(_drawn(monaco_tiles, z, "buildings"))
        assert has_buildings == (display >= BUILDING_ZOOM), z


def test_names_and_places_follow_the_zoom(monaco_tiles):
    top = monaco_tiles.max_zoom
    named = {p["kind"] for p, _ in _drawn(monaco_tiles, top, "streets") if p.get("name")}
    assert {"primary", "secondary", "tertiary", "minor", "service"} <= named
    low = monaco_tiles.min_zoom
    assert not any(p.get("name") for p, _ in _drawn(monaco_tiles, low, "streets"))
    assert [p["name"] for p, _ in _drawn(monaco_tiles, low, "places")] == ["Monaco"]  # the city alone far out
    assert len(_drawn(monaco_tiles, top, "places")) == 10


def _map_data(streets: gpd.GeoDataFrame) -> MapData:
    def empty(columns):
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=4326)

    return MapData(streets=streets, water=empty(["osm_id", "kind", "name"]), green=empty(["osm_id", "kind", "name"]),
                   buildings=empty(["osm_id"]), places=empty(["osm_id", "kind", "name"]))


def test_amap_maps_get_tiles_shifted_to_gcj02():
    lon, lat = 108.62, 21.95  # Qinzhou
    data = _map_data(gpd.GeoDataFrame({"way_id": [1], "highway": ["primary"], "name": ["钦州大道"]},
                                      geometry=[LineString([(lon, lat), (lon + 0.01, lat)])], crs=4326))
    tiles = {d: basemap_tiles(data, d) for d in ("wgs84", "gcj02")}
    for datum, t in tiles.items():
        drawn = _drawn(t, 15, "streets")
        coords = np.vstack([shapely.get_coordinates(g) for _, g in drawn])
        x, y = coords[np.argmin(coords[:, 0])]  # the street runs east from its first point
        got_lon = x * 360.0 - 180.0
        got_lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))
        want = wgs84_to_gcj02(lon, lat) if datum == "gcj02" else (lon, lat)
        assert got_lon == pytest.approx(float(want[0]), abs=5e-6) and got_lat == pytest.approx(float(want[1]), abs=5e-6)
        assert all(p == {"kind": "primary", "name": "钦州大道"} for p, _ in drawn)
    assert tiles["gcj02"].datum == "gcj02"


# ------------------------------------------------------------------ on the map


def _basemap_element(m: folium.Map) -> VectorBasemap:
    (el,) = [c for c in m._children.values() if isinstance(c, VectorBasemap)]
    return el


def test_the_basemap_is_a_base_layer_shown_first_offline_only(monaco):
    fac = gpd.GeoDataFrame({"name": ["A"], "type": ["elderly"]}, geometry=[Point(7.42, 43.735)], crs=4326)
    m = make_map([basemap_layer(monaco), facility_layer(fac)], title="Monaco")
    el = _basemap_element(m)
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    online = map_html(m)
    assert f"{el.get_name()}.addTo(" not in online and f"{tiles[0].get_name()}.addTo(" in online
    offline = map_html(m, offline=True)
    assert f"{el.get_name()}.addTo(" in offline and f"{tiles[0].get_name()}.addTo(" not in offline
    assert "var P = protomapsL;" in offline and "cdn.jsdelivr.net" not in offline
    assert el.show is False and tiles[0].show is True  # the map itself is left as it was
    # both are radio buttons of the layer control; the map opens on the study area (the extract's streets)
    assert '"OSM extract (offline)" : ' in online and '"OpenStreetMap" : ' in online
    west, south, east, north = monaco.bounds()
    assert f"[[{south}, {west}], [{north}, {east}]]" in online


def test_extract_basemap_only_for_existing_osm_files(tmp_path):
    assert extract_basemap(None) is None
    assert extract_basemap(tmp_path / "missing.osm.pbf") is None
    graphml = tmp_path / "net.graphml"
    graphml.write_text("<graphml/>", encoding="utf-8")
    assert extract_basemap(graphml) is None
    layer = extract_basemap(MONACO)
    assert layer is not None and layer.name == "OSM extract (offline)" and layer.legend == []


def test_cli_map_with_an_osm_basemap(tmp_path, capsys):
    from siting.cli import main
    from siting.maps import remote_references

    out = tmp_path / "monaco.html"
    src = str(data_path("monaco_facilities.csv"))
    assert main(["map", "--facilities", src, "--osm", str(MONACO), "--offline", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert remote_references(page) == [] and "var P = protomapsL;" in page
    assert out.stat().st_size < 4_000_000
    assert main(["map", "--facilities", src, "--osm", str(MONACO), "--out", str(MONACO)]) == 2
    assert "would overwrite an input" in capsys.readouterr().err


def test_offline_export_with_the_basemap_stays_small(monaco, tmp_path):
    path = export_map(make_map([basemap_layer(monaco)]), tmp_path / "m.html", offline=True)
    assert path.stat().st_size < 2_500_000
