"""A basemap that needs no internet: the OSM extract of the analysis, drawn in the browser.

Reviewers often open exported maps on intranets where tile servers cannot be
reached, and see grey pages. This module draws the streets (by class), water,
parks and green areas, building footprints (close zoom only) and place and
street names of the very OSM file the analysis used, embedded in the HTML:

1. :func:`siting.osm.mapdata.read_map_data` reads the features in one pass;
2. :func:`basemap_tiles` selects, per zoom, what a map of that scale shows
   (``STREET_ZOOM``, ``NAME_ZOOM``, ``PLACE_ZOOM``, small areas left out), and cuts
   Mapbox Vector Tiles with :mod:`siting.maps.vector_tiles`: simplified to half a
   pixel, coordinates quantised to the tile grid (4096 units per tile);
3. :func:`basemap_layer` is a :class:`~siting.maps.layers.MapLayer` like any other:
   give it to :func:`siting.maps.make_map`. It is a *base* layer (a radio button
   beside the tile basemaps); an offline export shows it on open
   (:func:`siting.maps.map_html`).

The browser side is protomaps-leaflet (BSD-3-Clause, vendored in
``siting/maps/vendor``): a Leaflet layer that paints vector tiles on canvas and
places labels without collisions. It was chosen over Leaflet.VectorGrid (no
release since 2017, no labels) and over Leaflet's own canvas renderer with
GeoJSON layers (one Leaflet object per street: a 1M-edge city's hundred
thousand ways would make panning sluggish). The tiles are held in the page as
base64 strings and handed to the layer through an object with the
``getZxy(z, x, y)`` method of a ``pmtiles.PMTiles`` archive, so nothing is fetched.

Amap tiles are drawn in GCJ-02, and every overlay is shifted to match them; the
extract basemap is shifted the same way (its tiles are cut from GCJ-02
coordinates) when the map's basemap is ``amap``, so it stays aligned with the
overlays whichever base layer the reader picks.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Template
from folium.elements import JSCSSMixin
from numpy.typing import NDArray

from siting.coords import wgs84_to_gcj02
from siting.i18n import t
from siting.maps.basemaps import needs_gcj02
from siting.maps.layers import MapLayer
from siting.maps.vector_tiles import TileLayer, cut_tiles, to_world
from siting.osm.mapdata import MapData, read_map_data
from siting.osm.reader import is_osm_file

#: The URL folium-style pages load protomaps-leaflet from (inlined by offline exports).
PROTOMAPS_JS = "https://cdn.jsdelivr.net/npm/protomaps-leaflet@5.1.0/dist/protomaps-leaflet.js"

#: ``highway`` values -> the street kind the basemap draws (``*_link`` roads as their road).
STREET_KIND = {
    "motorway": "motorway", "trunk": "motorway", "motorway_link": "motorway", "trunk_link": "motorway",
    "primary": "primary", "primary_link": "primary", "secondary": "secondary", "secondary_link": "secondary",
    "tertiary": "tertiary", "tertiary_link": "tertiary", "residential": "minor", "unclassified": "minor",
    "living_street": "minor", "road": "minor", "busway": "minor", "service": "service",
    "pedestrian": "service", "track": "service", "raceway": "service", "footway": "path", "path": "path",
    "cycleway": "path", "steps": "path", "bridleway": "path", "corridor": "path",
}
#: Street kinds, most important first, with the first (display) zoom that draws them.
STREET_ZOOM = {"motorway": 5, "primary": 8, "secondary": 10, "tertiary": 11, "minor": 13, "service": 14,
               "path": 15}
#: First zoom that prints a street's name, by kind.
NAME_ZOOM = {"motorway": 12, "primary": 13, "secondary": 13, "tertiary": 14, "minor": 15, "service": 16,
             "path": 17}
#: First zoom that prints a place name, by ``place`` value (others: 14).
PLACE_ZOOM = {"city": 8, "town": 10, "county": 9, "district": 11, "borough": 11, "suburb": 12, "quarter": 13,
              "neighbourhood": 14, "village": 12, "hamlet": 15, "locality": 15, "square": 16}
#: Waterway lines by first zoom (coastlines at every zoom).
WATERWAY_ZOOM = {"coastline": 0, "river": 8, "canal": 10, "stream": 13, "drain": 14, "ditch": 14}
BUILDING_ZOOM = 15
#: Areas smaller than this many square pixels at a zoom are left out of it.
MIN_AREA_PX = 4.0
#: protomaps-leaflet draws zoom z from data tiles of zoom z - 1, 512 pixels wide.
LEVEL_DIFF = 1
TILE_PX = 512
MAX_DATA_ZOOM = 15  # display zoom 16; closer zooms magnify these tiles


@dataclass
class BasemapTiles:
    """Vector tiles of one extract: ``tiles[(z, x, y)]`` holds MVT bytes (z is the data zoom)."""

    tiles: dict[tuple[int, int, int], bytes]
    bounds: tuple[float, float, float, float] | None
    min_zoom: int
    max_zoom: int
    datum: str = "wgs84"

    def size_bytes(self) -> int:
        """Total size of the tiles (before base64)."""
        return sum(len(t) for t in self.tiles.values())


def _display_geometry(frame: gpd.GeoDataFrame, datum: str) -> NDArray[Any]:
    geoms = frame.geometry.to_numpy()
    if datum == "gcj02" and len(geoms):

        def shift(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        geoms = shapely.transform(geoms, shift)
    return to_world(geoms)


def _area_px(world: NDArray[Any], z: int) -> NDArray[np.float64]:
    # a display pixel at zoom z is 1 / (256 * 2**z) world units
    return np.asarray(shapely.area(world), dtype=float) * (256.0 * 2**z) ** 2


def fit_zoom(bounds: tuple[float, float, float, float]) -> int:
    """The largest display zoom at which ``bounds`` fit in about 1000 x 700 pixels."""
    west, south, east, north = bounds
    world = to_world(np.asarray([shapely.box(west, south, east, north)], dtype=object))[0]
    x0, y0, x1, y1 = shapely.bounds(world)
    span = max((x1 - x0) / 1000.0, (y1 - y0) / 700.0, 1e-12)  # world units per pixel
    return int(max(0, min(18, math.floor(math.log2(1.0 / (256.0 * span))))))


@dataclass
class _Prepared:
    """The extract's features in world units, with what the zoom rules need."""

    water: NDArray[Any]
    water_area: NDArray[np.float64]
    waterways: NDArray[Any]
    waterway_kind: NDArray[Any]
    green: NDArray[Any]
    green_kind: NDArray[Any]
    green_area: NDArray[np.float64]
    buildings: NDArray[Any]
    building_area: NDArray[np.float64]
    streets: NDArray[Any]
    street_kind: NDArray[Any]
    street_name: NDArray[Any]
    way_id: NDArray[np.int64]
    places: NDArray[Any]
    place_kind: NDArray[Any]
    place_name: NDArray[Any]


def _prepare(data: MapData, datum: str) -> _Prepared:
    water = data.water
    areas = water[water["kind"] == "water"]
    lines = water[water["kind"] != "water"]
    streets = data.streets[data.streets["highway"].isin(list(STREET_KIND))]
    places = data.places.assign(rank=data.places["kind"].map(PLACE_ZOOM).fillna(14))
    places = places.sort_values("rank", kind="stable")
    w, g, b = (_display_geometry(f, datum) for f in (areas, data.green, data.buildings))
    return _Prepared(
        water=w, water_area=shapely.area(w), waterways=_display_geometry(lines, datum),
        waterway_kind=lines["kind"].to_numpy(),
        green=g, green_kind=data.green["kind"].to_numpy(), green_area=shapely.area(g),
        buildings=b, building_area=shapely.area(b),
        streets=_display_geometry(streets, datum), street_kind=streets["highway"].map(STREET_KIND).to_numpy(),
        street_name=streets["name"].to_numpy(), way_id=streets["way_id"].to_numpy(dtype=np.int64),
        places=_display_geometry(places, datum), place_kind=places["kind"].to_numpy(),
        place_name=places["name"].to_numpy(),
    )


def zoom_layers(p: _Prepared, zoom: int) -> list[TileLayer]:
    """What the basemap shows at display zoom ``zoom``, as tile layers in drawing order."""
    px2 = (256.0 * 2**zoom) ** 2  # square display pixels per square world unit
    layers = []
    keep = p.water_area * px2 >= MIN_AREA_PX
    layers.append(TileLayer("water", p.water[keep], merge=True))
    keep = p.green_area * px2 >= MIN_AREA_PX
    layers.append(TileLayer("green", p.green[keep], {"kind": p.green_kind[keep].tolist()}, merge=True))
    if zoom >= BUILDING_ZOOM:
        keep = p.building_area * px2 >= MIN_AREA_PX
        layers.append(TileLayer("buildings", p.buildings[keep], merge=True))
    first = pd.Series(p.waterway_kind).map(WATERWAY_ZOOM).fillna(99).to_numpy()
    keep = first <= zoom
    layers.append(TileLayer("waterways", p.waterways[keep], {"kind": p.waterway_kind[keep].tolist()}, merge=True))
    first = pd.Series(p.street_kind).map(STREET_ZOOM).to_numpy()
    keep = first <= zoom
    kind = p.street_kind[keep]
    named = pd.Series(kind).map(NAME_ZOOM).to_numpy() <= zoom
    names = np.where(named, p.street_name[keep], "")
    layers.append(TileLayer("streets", p.streets[keep], {"kind": kind.tolist(), "name": names.tolist()},
                            merge=True))
    first = pd.Series(p.place_kind).map(PLACE_ZOOM).fillna(14).to_numpy()
    keep = first <= zoom
    layers.append(TileLayer("places", p.places[keep], {"kind": p.place_kind[keep].tolist(),
                                                       "name": p.place_name[keep].tolist()}))
    return [lay for lay in layers if len(lay.geometry)]


def basemap_tiles(data: MapData, datum: str = "wgs84", *, min_zoom: int | None = None,
                  max_zoom: int = MAX_DATA_ZOOM) -> BasemapTiles:
    """Cut the vector tiles of ``data`` for data zooms ``min_zoom..max_zoom``.

    ``datum`` 'gcj02' shifts every vertex as Amap's tiles need. By default the
    tiles start four zoom levels above the zoom that fits the whole extract.
    """
    bounds = data.bounds()
    if min_zoom is None:
        min_zoom = 0 if bounds is None else max(0, fit_zoom(bounds) - 4 - LEVEL_DIFF)
    prepared = _prepare(data, datum)
    tiles: dict[tuple[int, int, int], bytes] = {}
    for z in range(min_zoom, max_zoom + 1):
        cut = cut_tiles(zoom_layers(prepared, z + LEVEL_DIFF), z, tile_px=TILE_PX)
        tiles.update({(z, x, y): payload for (x, y), payload in cut.items()})
    return BasemapTiles(tiles, bounds, min_zoom, max_zoom, datum)


# ------------------------------------------------------------------ drawing in the browser

BACKGROUND = "#f2efe9"
WATER = "#aad3df"
COAST = "#7fb0c8"
GREEN = "#d6eac8"
WOOD = "#c2dcb0"  # forests and woods, darker than lawns and parks
WOODED = ("forest", "wood", "scrub", "nature_reserve")
BUILDING, BUILDING_EDGE = "#e2dcd5", "#cdc3b8"
LABEL_FONT = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif"
#: Street kind -> (fill colour, casing colour or None, line width in pixels by zoom).
STREET_STYLE: dict[str, tuple[str, str | None, list[list[float]]]] = {
    "motorway": ("#f4bf7a", "#c28f4f", [[5, 0.8], [10, 1.6], [13, 3.5], [16, 9], [19, 22]]),
    "primary": ("#f9da9c", "#c4a467", [[8, 0.7], [11, 1.4], [13, 3], [16, 8], [19, 20]]),
    "secondary": ("#fdf1c0", "#c5b587", [[10, 0.6], [12, 1.2], [14, 3], [16, 7], [19, 18]]),
    "tertiary": ("#ffffff", "#bcb3a7", [[11, 0.5], [13, 1.2], [15, 3.5], [17, 8], [19, 16]]),
    "minor": ("#ffffff", "#c6beb4", [[13, 0.6], [15, 2.5], [17, 6], [19, 14]]),
    "service": ("#ffffff", "#cbc3ba", [[14, 0.5], [16, 1.5], [19, 6]]),
    "path": ("#9b8d80", None, [[15, 0.6], [18, 1.5]]),
}
#: The first zoom at which streets of a kind get a darker edge (casing).
CASING_ZOOM = {"motorway": 11, "primary": 12, "secondary": 13, "tertiary": 14, "minor": 15, "service": 16}


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def paint_rules_js() -> str:
    """The protomaps-leaflet paint rules (JavaScript): areas, then water lines, then streets by importance."""
    kind = "function (z, f) { return f.props.kind === %s; }"
    rules = [
        f"{{dataLayer: 'water', symbolizer: new P.PolygonSymbolizer({{fill: {_js(WATER)}}})}}",
        "{dataLayer: 'green', symbolizer: new P.PolygonSymbolizer({fill: function (z, f) { return "
        f"{_js(list(WOODED))}.indexOf(f.props.kind) >= 0 ? {_js(WOOD)} : {_js(GREEN)}; }}}})}}",
        f"{{dataLayer: 'buildings', minzoom: {BUILDING_ZOOM}, symbolizer: new P.PolygonSymbolizer("
        f"{{fill: {_js(BUILDING)}, stroke: {_js(BUILDING_EDGE)}, width: 0.6}})}}",
        f"{{dataLayer: 'waterways', filter: function (z, f) {{ return f.props.kind !== 'coastline'; }}, "
        f"symbolizer: new P.LineSymbolizer({{color: {_js(WATER)}, width: P.exp(1.4, [[8, 0.8], [13, 1.5], "
        "[17, 5]])})}",
        f"{{dataLayer: 'waterways', filter: {kind % _js('coastline')}, symbolizer: new P.LineSymbolizer("
        f"{{color: {_js(COAST)}, width: 1.2}})}}",
    ]
    order = list(STREET_STYLE)[::-1]  # least important first, so major roads are drawn on top
    for k in order:
        fill, casing, stops = STREET_STYLE[k]
        if casing is not None:
            rules.append(
                f"{{dataLayer: 'streets', minzoom: {CASING_ZOOM[k]}, filter: {kind % _js(k)}, symbolizer: "
                f"new P.LineSymbolizer({{color: {_js(casing)}, width: function (z) {{ return "
                f"P.exp(1.5, {_js(stops)})(z) + 1.6; }}, lineCap: 'round', lineJoin: 'round'}})}}")
    for k in order:
        fill, _, stops = STREET_STYLE[k]
        dash = ", dash: [3, 2]" if k == "path" else ", lineCap: 'round', lineJoin: 'round'"
        rules.append(f"{{dataLayer: 'streets', minzoom: {STREET_ZOOM[k]}, filter: {kind % _js(k)}, symbolizer: "
                     f"new P.LineSymbolizer({{color: {_js(fill)}, width: P.exp(1.5, {_js(stops)}){dash}}})}}")
    return "[\n  " + ",\n  ".join(rules) + "\n]"


def label_rules_js() -> str:
    """The protomaps-leaflet label rules (JavaScript): place names, then street names along the streets."""
    big = ["city", "town", "county"]
    place_font = (f"function (z, f) {{ return ({_js(big)}.indexOf(f.props.kind) >= 0 ? '600 15px ' : "
                  f"'600 12px ') + {_js(LABEL_FONT)}; }}")
    return (
        "[\n  {dataLayer: 'places', symbolizer: new P.CenteredTextSymbolizer({labelProps: ['name'], "
        f"fill: '#3b3b3b', stroke: 'rgba(255,255,255,0.9)', width: 2.5, font: {place_font}}})}},\n"
        "  {dataLayer: 'streets', symbolizer: new P.LineLabelSymbolizer({labelProps: ['name'], "
        f"fill: '#5a5148', stroke: 'rgba(255,255,255,0.9)', width: 2, font: {_js('11px ' + LABEL_FONT)}}})}}\n]"
    )


class VectorBasemap(JSCSSMixin, folium.map.Layer):
    """A Leaflet layer (protomaps-leaflet) painting vector tiles held in the page; a base layer.

    ``offline`` marks it as the base layer an offline export shows on open
    (:func:`siting.maps.map_html`); online it waits behind the tile basemap.
    """

    offline = True
    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  var P = protomapsL;
  var tiles = {{ this.tiles_json }};
  function bytes(text) {
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }
  // the getZxy method of a pmtiles.PMTiles archive, answered from the tiles above
  var archive = {getZxy: function (z, x, y) {
    var t = tiles[z + '/' + x + '/' + y];
    return Promise.resolve(t === undefined ? undefined : {data: bytes(t)});
  }};
  var layer = P.leafletLayer({
    url: archive, maxDataZoom: {{ this.max_zoom }}, maxZoom: 22,
    backgroundColor: {{ this.background|tojson }}, attribution: {{ this.attribution|tojson }},
    paintRules: {{ this.paint_rules }},
    labelRules: {{ this.label_rules }}
  });
  layer.sitingTileCount = Object.keys(tiles).length;
  // when the first view was painted (ms since the page started loading), for benchmarks and tests
  layer.once('load', function () { layer.sitingFirstRenderMs = performance.now(); });
  return layer;
})();
{% endmacro %}
""")
    default_js = [("protomaps-leaflet", PROTOMAPS_JS)]

    def __init__(self, tiles: BasemapTiles, name: str, show: bool = False, lang: str = "en") -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "VectorBasemap"
        self.tiles_json = json.dumps(
            {f"{z}/{x}/{y}": base64.b64encode(data).decode("ascii") for (z, x, y), data in tiles.tiles.items()},
            separators=(",", ":"))
        self.max_zoom = tiles.max_zoom
        self.background = BACKGROUND
        self.attribution = t("map.extract_attribution", lang)
        self.paint_rules = paint_rules_js()
        self.label_rules = label_rules_js()


def basemap_layer(source: str | Path | MapData, name: str | None = None, *,
                  max_zoom: int = MAX_DATA_ZOOM, lang: str = "en") -> MapLayer:
    """The extract basemap as a :class:`MapLayer` for :func:`siting.maps.make_map`.

    Parameters
    ----------
    source
        The OSM file the analysis used (``.osm.pbf``, ``.osm``, ``.osm.bz2``) or
        its :class:`~siting.osm.mapdata.MapData`.
    name
        Its name among the base layers of the layer control (default: "OSM extract (offline)",
        in ``lang``, as its attribution).
    max_zoom
        The last data zoom cut into tiles (closer zooms magnify it).

    The map's bounds include the extract's streets, so the map opens on the study
    area. Tiles are cut when the map is drawn, in GCJ-02 for an Amap map.
    """
    data = source if isinstance(source, MapData) else read_map_data(source)
    name = name or t("map.extract_basemap", lang)
    cache: dict[str, BasemapTiles] = {}

    def render(basemap: str) -> list[folium.map.Layer]:
        datum = "gcj02" if needs_gcj02(basemap) else "wgs84"
        if datum not in cache:
            cache[datum] = basemap_tiles(data, datum, max_zoom=max_zoom)
        return [VectorBasemap(cache[datum], name, lang=lang)]

    return MapLayer(name, render, [], data.bounds())


def extract_basemap(source: str | Path | None, name: str | None = None, lang: str = "en") -> MapLayer | None:
    """:func:`basemap_layer` of ``source`` when it is an existing OSM file; None otherwise.

    For callers whose network source may be missing, or a GraphML or ``.npz``
    network that carries no map features (reports, scenario maps).
    """
    if source is None or not Path(source).is_file() or not is_osm_file(source):
        return None
    return basemap_layer(source, name, lang=lang)
