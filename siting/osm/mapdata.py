"""What a basemap draws, read from an OpenStreetMap file in one pyosmium pass.

The offline basemap of :mod:`siting.maps.basemap_osm` is drawn from the same
extract the analysis used, so a reviewer without internet still sees the
streets, water, parks, buildings and names the service circles follow.

============ ===============================================================
layer        OSM objects
============ ===============================================================
streets      ways with ``highway`` in ``STREET_CLASSES`` (lines; areas such
             as pedestrian squares tagged ``area=yes`` are left out)
water        areas with ``natural=water``, ``waterway=riverbank|dock``,
             ``landuse=reservoir|basin``; lines with ``waterway`` in
             ``WATERWAY_LINES`` and ``natural=coastline``
green        areas with ``leisure``, ``landuse`` or ``natural`` in
             ``GREEN_LEISURE``, ``GREEN_LANDUSE``, ``GREEN_NATURAL``
buildings    areas with ``building`` other than ``no``
places       nodes with ``place`` in ``PLACE_KINDS`` and a name
============ ===============================================================

Names are the data's own (Chinese in China): ``name``, else ``name:zh``, else
``name:en`` (see :func:`label_name`). Areas come from libosmium's assembler
(closed ways and multipolygon relations).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from siting.osm.reader import osm_objects

#: ``highway=*`` values drawn as streets (``*_link`` roads count as their class).
STREET_CLASSES = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link", "unclassified", "residential", "living_street", "road", "busway",
    "service", "pedestrian", "track", "raceway", "footway", "path", "cycleway", "steps", "bridleway",
    "corridor",
})
WATERWAY_LINES = frozenset({"river", "stream", "canal", "drain", "ditch"})
WATER_AREAS = {"natural": {"water"}, "waterway": {"riverbank", "dock"}, "landuse": {"reservoir", "basin"}}
GREEN_LEISURE = frozenset({"park", "garden", "nature_reserve", "golf_course", "recreation_ground", "common"})
GREEN_LANDUSE = frozenset({"grass", "forest", "meadow", "recreation_ground", "village_green", "cemetery",
                           "allotments", "orchard", "flowerbed"})
GREEN_NATURAL = frozenset({"wood", "scrub", "grassland", "heath"})
PLACE_KINDS = frozenset({"city", "town", "district", "county", "suburb", "quarter", "borough",
                         "neighbourhood", "village", "hamlet", "locality", "square", "isolated_dwelling"})
KEYS = ("highway", "natural", "waterway", "leisure", "landuse", "building", "place")

_WKB = osmium.geom.WKBFactory()


@dataclass
class MapData:
    """The features of one OSM file a basemap draws, each layer a GeoDataFrame in WGS84.

    ``streets``: ``way_id``, ``highway``, ``name``, lines (a way whose nodes
    leave the extract is split where they do). The other layers carry ``osm_id``
    (``n123``, ``w456``, ``r789``, as :mod:`siting.osm.features`). ``water``: ``kind``
    (``water`` for areas, else the ``waterway`` value or ``coastline``), ``name``.
    ``green``: ``kind`` (the ``leisure``/``landuse``/``natural`` value), ``name``.
    ``buildings``: polygons. ``places``: ``kind`` (the ``place`` value), ``name``, points.
    """

    streets: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    green: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    places: gpd.GeoDataFrame

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The five layers by name."""
        return {"streets": self.streets, "water": self.water, "green": self.green,
                "buildings": self.buildings, "places": self.places}

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of the streets, or of everything when there are none."""
        frames = [self.streets] if len(self.streets) else [f for f in self.layers().values() if len(f)]
        if not frames:
            return None
        boxes = [f.total_bounds for f in frames]
        return (float(min(b[0] for b in boxes)), float(min(b[1] for b in boxes)),
                float(max(b[2] for b in boxes)), float(max(b[3] for b in boxes)))


def label_name(tags: Any) -> str:
    """The name to print: ``name``, else ``name:zh``, else ``name:en`` ('' when none).

    Examples
    --------
    >>> label_name({"name:zh": "钦州市", "name:en": "Qinzhou"})
    '钦州市'
    """
    for key in ("name", "name:zh", "name:en"):
        value = tags.get(key)
        if value:
            return str(value)
    return ""


def water_kind(tags: dict[str, str], area: bool) -> str:
    """``water`` for a water area, the waterway or ``coastline`` for a water line, '' for anything else."""
    if area:
        return "water" if any(tags.get(k) in values for k, values in WATER_AREAS.items()) else ""
    if tags.get("natural") == "coastline":
        return "coastline"
    return tags["waterway"] if tags.get("waterway") in WATERWAY_LINES else ""


def green_kind(tags: dict[str, str]) -> str:
    """The leisure, landuse or natural value of a park or green area ('' when it is not one)."""
    for key, values in (("leisure", GREEN_LEISURE), ("landuse", GREEN_LANDUSE), ("natural", GREEN_NATURAL)):
        if tags.get(key) in values:
            return tags[key]
    return ""


def _line_pieces(way: Any) -> list[Any]:
    """The way as WKB (built by libosmium), or as pieces when some nodes lie outside the extract."""
    try:
        return [_WKB.create_linestring(way)]
    except (osmium.InvalidLocationError, RuntimeError):
        pass
    pieces: list[list[tuple[float, float]]] = [[]]
    for nd in way.nodes:
        if not nd.location.valid():
            if pieces[-1]:
                pieces.append([])
            continue
        pieces[-1].append((nd.location.lon, nd.location.lat))
    return [LineString(p) for p in pieces if len(p) >= 2]


def _area(obj: Any) -> BaseGeometry | None:
    try:
        geom = shapely.from_wkb(_WKB.create_multipolygon(obj))
    except (RuntimeError, shapely.errors.GEOSException):
        return None  # an area libosmium could not assemble (broken ring)
    if geom.is_empty:
        return None
    return geom.geoms[0] if len(geom.geoms) == 1 else geom


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    # geometries arrive as WKB from libosmium (or as shapely objects); built in one vectorised call
    raw = [r.pop("geometry") for r in rows]
    wkb = [i for i, g in enumerate(raw) if isinstance(g, bytes | str)]
    geoms = np.empty(len(raw), dtype=object)
    geoms[:] = raw
    if wkb:
        geoms[wkb] = shapely.from_wkb(np.asarray([raw[i] for i in wkb], dtype=object))
    return gpd.GeoDataFrame(rows, columns=columns, geometry=list(geoms) if len(geoms) else [], crs=4326)


def read_map_data(path: str | Path) -> MapData:
    """Streets, water, green areas, buildings and places of an OSM file (see the module docstring).

    Raises
    ------
    InputError
        When the file is missing, empty, truncated or corrupt.
    """
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("streets", "water", "green", "buildings", "places")}
    for obj in osm_objects(path, KEYS, areas=True):
        kind = obj.type_str()
        tags = {t.k: t.v for t in obj.tags}
        if kind == "n":
            if tags.get("place") in PLACE_KINDS and label_name(tags):
                rows["places"].append({"osm_id": f"n{obj.id}", "kind": tags["place"], "name": label_name(tags),
                                       "geometry": Point(obj.location.lon, obj.location.lat)})
        elif kind == "w":
            _add_way_lines(obj, tags, rows)
        elif kind == "a":
            _add_area(obj, tags, rows)
    return MapData(
        streets=_frame(rows["streets"], ["way_id", "highway", "name"]),
        water=_frame(rows["water"], ["osm_id", "kind", "name"]),
        green=_frame(rows["green"], ["osm_id", "kind", "name"]),
        buildings=_frame(rows["buildings"], ["osm_id"]),
        places=_frame(rows["places"], ["osm_id", "kind", "name"]),
    )


def _add_way_lines(way: Any, tags: dict[str, str], rows: dict[str, list[dict[str, Any]]]) -> None:
    highway = tags.get("highway", "")
    if highway in STREET_CLASSES and tags.get("area") != "yes":
        for line in _line_pieces(way):
            rows["streets"].append({"way_id": way.id, "highway": highway, "name": label_name(tags),
                                    "geometry": line})
    water = water_kind(tags, area=False)
    if water:
        for line in _line_pieces(way):
            rows["water"].append({"osm_id": f"w{way.id}", "kind": water, "name": label_name(tags), "geometry": line})


def _add_area(area: Any, tags: dict[str, str], rows: dict[str, list[dict[str, Any]]]) -> None:
    water, green = water_kind(tags, area=True), green_kind(tags)
    building = tags.get("building", "no") != "no"
    if not (water or green or building):
        return
    geom = _area(area)
    if geom is None:
        return
    oid = ("w" if area.from_way() else "r") + str(area.orig_id())
    if water:
        rows["water"].append({"osm_id": oid, "kind": water, "name": label_name(tags), "geometry": geom})
    elif green:
        rows["green"].append({"osm_id": oid, "kind": green, "name": label_name(tags), "geometry": geom})
    if building:
        rows["buildings"].append({"osm_id": oid, "geometry": geom})
