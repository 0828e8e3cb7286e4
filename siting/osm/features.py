"""Facilities, buildings and land use from an OpenStreetMap file.

Reads ``.osm.pbf``, ``.osm`` and ``.osm.bz2`` with pyosmium (the same reader
for every format, as in :mod:`siting.osm.reader`). Building and land-use polygons come
from libosmium's area assembler (closed ways and multipolygon relations);
facilities drawn as ways are built from their nodes, relations from their area.

Facility typing (one OSM object may give two rows, see ``GERIATRIC``):

========== ==============================================================
type       OSM tags
========== ==============================================================
hospital   ``amenity=hospital`` or ``healthcare=hospital``
clinic     ``amenity=clinic|doctors``, ``healthcare=clinic|centre|doctor``
           (when not a hospital)
elderly    ``amenity=nursing_home``, ``healthcare=nursing_home``,
           ``social_facility=nursing_home|assisted_living``, or
           ``amenity=social_facility`` with ``social_facility:for=senior``;
           and, as a second row, any hospital or clinic whose name or
           ``healthcare:speciality`` matches ``GERIATRIC``
childcare  ``amenity=childcare|kindergarten`` (a crèche is often tagged
           kindergarten; the ``amenity`` column keeps the difference)
========== ==============================================================

Hospital ``category`` comes from :func:`siting.inputs.hospitals.classify_osm`
(``healthcare:speciality``, ``healthcare``, then the name: 人民医院 general,
中医医院 tcm, 妇幼保健院 maternity, 皮肤病医院 specialist, 社区卫生服务中心 primary,
...), with ``category_reason`` saying which tag or which part of the name
decided. A hospital it cannot classify is ``general`` with ``category_assumed``
True. ``speciality`` keeps the finer word (``geriatrics``, ``cardiology``,
...). A hospital whose name says pharmacy is kept (the tags say hospital) but
typed ``specialist`` with a ``note``, so it never counts as a general hospital.

The command ``siting facilities OSM_FILE --out F.csv`` writes the facility table.

The derived elderly row of a geriatric hospital has the id ``<id>/elderly``
(ids stay unique) and ``has_clinic`` true: a hospital is its own clinic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from siting.coords import utm_epsg
from siting.inputs.hospitals import classify_osm
from siting.io import write_table
from siting.osm.reader import osm_objects

#: Tags copied into columns (``:`` becomes ``_``).
FACILITY_TAGS = (
    "amenity",
    "healthcare",
    "healthcare:speciality",
    "social_facility",
    "social_facility:for",
    "emergency",
    "operator:type",
    "capacity",
    "building",
)
FACILITY_COLUMNS = ["id", "name", "type", "category", "speciality", "level", "beds", "places", "owner",
                    "has_clinic", "note", "category_reason", "category_assumed"]
#: The facility table format read by :func:`siting.inputs.facilities.read_facilities`; the last three
#: columns say why a hospital has its category (``tag:...``, ``name:...`` or ``assumed``).
CSV_COLUMNS = ["id", "name", "type", "beds", "places", "owner", "has_clinic", "lon", "lat", "category", "level",
               "category_assumed", "category_reason", "speciality"]

GERIATRIC = re.compile(r"g[ée]ront|g[ée]riat|geriatr|ehpad|senior|老年|养老|敬老", re.IGNORECASE)
PHARMACY = re.compile(r"pharmac|farmac|药房|药店", re.IGNORECASE)
#: Name words of specialist hospitals -> ``speciality``.
SPECIALITIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("geriatrics", GERIATRIC),
    ("cardiology", re.compile(r"cardio|心血管|胸科", re.IGNORECASE)),
    ("sports_medicine", re.compile(r"sport|运动医学", re.IGNORECASE)),
    ("psychiatry", re.compile(r"psychiat|精神|mental", re.IGNORECASE)),
    ("oncology", re.compile(r"oncolog|cancer|肿瘤", re.IGNORECASE)),
    ("ophthalmology", re.compile(r"ophtalm|ophthalm|眼科", re.IGNORECASE)),
    ("dentistry", re.compile(r"dental|dentaire|口腔", re.IGNORECASE)),
    ("rehabilitation", re.compile(r"r[ée][ée]ducation|rehabilit|康复", re.IGNORECASE)),
    ("paediatrics", re.compile(r"p[ae]*diatr|儿童医院", re.IGNORECASE)),
    ("pharmacy", PHARMACY),
)

#: ``building=*`` values that are homes.
RESIDENTIAL_BUILDINGS = frozenset(
    {"residential", "house", "apartments", "detached", "terrace", "semidetached_house", "dormitory"}
)
#: Land-use categories: ``landuse=*`` value -> category.
LANDUSE_CATEGORIES = {
    "residential": "residential",
    "commercial": "commercial",
    "retail": "retail",
    "industrial": "industrial",
    "institutional": "public",
    "education": "public",
    "religious": "public",
    "civic_admin": "public",
    "government": "public",
    "military": "public",
    "brownfield": "brownfield",
    "greenfield": "vacant",
    "vacant": "vacant",
    "construction": "construction",
    "grass": "green",
    "flowerbed": "green",
    "recreation_ground": "green",
    "village_green": "green",
    "forest": "green",
    "meadow": "green",
    "cemetery": "green",
    "allotments": "green",
    "farmland": "agriculture",
    "farmyard": "agriculture",
    "orchard": "agriculture",
    "railway": "transport",
}
#: ``amenity=*`` values whose grounds count as public land.
PUBLIC_AMENITIES = frozenset(
    {"school", "university", "college", "kindergarten", "childcare", "hospital", "clinic", "townhall",
     "community_centre", "social_facility", "nursing_home", "library", "police", "fire_station", "courthouse",
     "public_building", "social_centre"}
)

_KEYS = ("amenity", "healthcare", "social_facility", "building", "landuse")


# ------------------------------------------------------------------ reading


def _iterate(path: str | Path, areas: bool) -> Iterator[Any]:
    return osm_objects(path, _KEYS, areas=areas)


def _osm_id(obj: Any) -> str:
    kind = obj.type_str()
    if kind == "a":
        return ("w" if obj.from_way() else "r") + str(obj.orig_id())
    return kind + str(obj.id)


_WKB = osmium.geom.WKBFactory()


def _area_geometry(area: Any) -> BaseGeometry | None:
    try:
        geom = shapely.from_wkb(_WKB.create_multipolygon(area))
    except (RuntimeError, shapely.errors.GEOSException):
        return None  # an area libosmium could not assemble (broken ring)
    if len(geom.geoms) == 1:
        geom = geom.geoms[0]
    return geom


def _way_geometry(way: Any) -> BaseGeometry | None:
    coords = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
    if len(coords) >= 4 and coords[0] == coords[-1]:
        return Polygon(coords)
    if len(coords) >= 2:
        return LineString(coords)
    return Point(coords[0]) if coords else None


def _point_of(geom: BaseGeometry) -> Point:
    # The centroid when it falls inside the shape, else a point guaranteed inside.
    if geom.geom_type == "Point":
        return geom  # type: ignore[return-value]
    c = geom.centroid
    if geom.geom_type.endswith("Polygon") and not geom.contains(c):
        return geom.representative_point()
    if geom.geom_type.endswith("LineString"):
        return geom.interpolate(0.5, normalized=True)
    return c


def _number(text: str | None) -> float:
    """'120', '120 beds', '12.5 m' -> float; anything else NaN."""
    if not text:
        return float("nan")
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)", text)
    return float(m.group(1).replace(",", ".")) if m else float("nan")


# ------------------------------------------------------------------ facilities


def facility_types(tags: dict[str, str]) -> list[str]:
    """Facility types an OSM object stands for (see the module docstring); [] if none.

    Examples
    --------
    >>> facility_types({"amenity": "hospital", "name": "Centre de Gérontologie"})
    ['hospital', 'elderly']
    >>> facility_types({"amenity": "kindergarten"})
    ['childcare']
    """
    amenity, healthcare = tags.get("amenity", ""), tags.get("healthcare", "")
    social = tags.get("social_facility", "")
    serves = tags.get("social_facility:for", "")
    out: list[str] = []
    if amenity == "hospital" or healthcare == "hospital":
        out.append("hospital")
    elif amenity in ("clinic", "doctors") or healthcare in ("clinic", "centre", "doctor"):
        out.append("clinic")
    if (
        amenity == "nursing_home"
        or healthcare == "nursing_home"
        or social in ("nursing_home", "assisted_living")
        or (amenity == "social_facility" and "senior" in serves)
    ):
        out.append("elderly")
    elif out and GERIATRIC.search(tags.get("name", "") + " " + tags.get("healthcare:speciality", "")):
        out.append("elderly")  # a geriatric hospital or clinic also serves as an elderly facility
    if amenity in ("childcare", "kindergarten"):
        out.append("childcare")
    return out


def hospital_category(tags: dict[str, str]) -> tuple[str, str, str, str, bool]:
    """(category, speciality, note, reason, assumed) of a hospital from its tags and name.

    :func:`siting.inputs.hospitals.classify_osm` decides; a hospital it cannot classify is
    'general' with ``assumed`` True (the rules count it and say so). A hospital whose name says
    pharmacy is kept (the tags say hospital) but typed ``specialist`` with a ``note``, so it never
    counts as a general hospital.
    """
    found = classify_osm(tags)
    note = ""
    if found.speciality == "pharmacy":
        note = "name suggests a pharmacy tagged as a hospital; check the OSM tags"
    if not found.known:
        return "general", "", note, "assumed", True
    speciality = found.speciality
    if not speciality:  # the finer word for a report, e.g. a TCM hospital's own speciality tag
        speciality = next((w for w, pattern in SPECIALITIES if pattern.search(tags.get("name", ""))), "") \
            if found.category == "specialist" else ""
    return found.category, speciality, note, found.reason, False


def _facility_rows(oid: str, tags: dict[str, str], point: Point) -> list[dict[str, Any]]:
    types = facility_types(tags)
    rows = []
    for kind in types:
        category = speciality = note = reason = ""
        assumed = False
        if kind == "hospital":
            category, speciality, note, reason, assumed = hospital_category(tags)
        beds = _number(tags.get("beds"))
        if kind == "elderly" and np.isnan(beds):
            beds = _number(tags.get("capacity"))
        derived = kind == "elderly" and types[0] in ("hospital", "clinic")
        row = {
            "id": f"{oid}/elderly" if derived else oid,
            "name": tags.get("name", ""),
            "type": kind,
            "category": category,
            "speciality": "geriatrics" if derived else speciality,
            "level": np.nan,  # OSM has no standard tag for the Chinese hospital grade
            "beds": beds if kind in ("hospital", "elderly") else np.nan,
            "places": _number(tags.get("capacity")) if kind == "childcare" else np.nan,
            "owner": tags.get("operator", ""),
            "has_clinic": True if derived else None,
            "note": note,
            "category_reason": reason,
            "category_assumed": assumed,
        }
        for key in FACILITY_TAGS:
            row[key.replace(":", "_")] = tags.get(key, "")
        row["geometry"] = point
        rows.append(row)
    return rows


def read_facilities(path: str | Path) -> gpd.GeoDataFrame:
    """Hospitals, clinics, elderly-care and childcare facilities as points.

    Parameters
    ----------
    path
        An OSM file (``.osm.pbf``, ``.osm`` or ``.osm.bz2``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per facility (EPSG:4326 points; polygons become their centroid,
        or a point inside when the centroid falls outside) with columns ``id``
        (``n123``, ``w456``, ``r789``), ``name``, ``type``, ``category``,
        ``speciality``, ``level``, ``beds``, ``places``, ``owner`` (the ``operator``
        tag), ``has_clinic``, ``note`` and the tags in ``FACILITY_TAGS``. Sorted by id.

    Raises
    ------
    InputError
        When the file is missing, empty or unreadable.
    """
    rows: list[dict[str, Any]] = []
    for obj in _iterate(path, areas=True):
        kind = obj.type_str()
        if kind == "r" or (kind == "a" and obj.from_way()):
            continue  # ways are read as ways; relations through their assembled area
        tags = {t.k: t.v for t in obj.tags}
        if not facility_types(tags):
            continue
        if kind == "n":
            geom: BaseGeometry | None = Point(obj.location.lon, obj.location.lat)
        elif kind == "w":
            geom = _way_geometry(obj)
        else:
            geom = _area_geometry(obj)
        if geom is None:
            continue
        rows.extend(_facility_rows(_osm_id(obj), tags, _point_of(geom)))
    columns = FACILITY_COLUMNS + [k.replace(":", "_") for k in FACILITY_TAGS] + ["geometry"]
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values(["id", "type"], kind="stable").reset_index(drop=True)
    for col in ("level", "beds", "places"):
        frame[col] = frame[col].astype(float)
    frame["has_clinic"] = frame["has_clinic"].astype("boolean")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def facilities_table(facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """The facility table columns :data:`CSV_COLUMNS` (read back by :func:`siting.inputs.facilities.read_facilities`).

    Unknown values are empty cells; coordinates have 7 decimals (about 1 cm). A hospital whose
    category could not be told is written 'general' with ``category_assumed`` yes.
    """

    def number(v: Any) -> str:
        return "" if pd.isna(v) else f"{v:g}"

    def flag(v: Any) -> str:
        return "" if pd.isna(v) else ("yes" if v else "no")

    out = pd.DataFrame(
        {
            "id": facilities["id"], "name": facilities["name"], "type": facilities["type"],
            "beds": facilities["beds"].map(number), "places": facilities["places"].map(number),
            "owner": facilities["owner"], "has_clinic": facilities["has_clinic"].map(flag),
            "lon": facilities.geometry.x.map(lambda v: f"{v:.7f}"),
            "lat": facilities.geometry.y.map(lambda v: f"{v:.7f}"),
            "category": facilities["category"], "level": facilities["level"].map(number),
            "category_assumed": [("yes" if a else "no") if t == "hospital" else ""
                                 for a, t in zip(facilities["category_assumed"], facilities["type"])],
            "category_reason": facilities["category_reason"], "speciality": facilities["speciality"],
        },
        columns=CSV_COLUMNS,
    )
    return out.reset_index(drop=True)


def write_facilities_csv(facilities: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write :func:`facilities_table` atomically: ``.xlsx`` by suffix, else CSV in UTF-8 with BOM."""
    return write_table(path, facilities_table(facilities), sheet="facilities")


# ------------------------------------------------------------------ buildings and land use


def _areas(path: str | Path, keep: Any) -> tuple[list[str], list[dict[str, str]], list[BaseGeometry]]:
    ids: list[str] = []
    tags_list: list[dict[str, str]] = []
    geoms: list[BaseGeometry] = []
    for obj in _iterate(path, areas=True):
        if obj.type_str() != "a":
            continue
        tags = {t.k: t.v for t in obj.tags}
        if not keep(tags):
            continue
        geom = _area_geometry(obj)
        if geom is None or geom.is_empty:
            continue
        ids.append(_osm_id(obj))
        tags_list.append(tags)
        geoms.append(geom)
    return ids, tags_list, geoms


def _area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    if geoms.empty:
        return np.zeros(0)
    x0, y0, x1, y1 = geoms.total_bounds
    return geoms.to_crs(utm_epsg((x0 + x1) / 2, (y0 + y1) / 2)).area.to_numpy()


def _is_building(tags: dict[str, str]) -> bool:
    return tags.get("building", "no") != "no"


def _is_landuse(tags: dict[str, str]) -> bool:
    return "landuse" in tags or tags.get("amenity", "") in PUBLIC_AMENITIES


def read_buildings(path: str | Path) -> gpd.GeoDataFrame:
    """Building footprints.

    Parameters
    ----------
    path
        An OSM file.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons (EPSG:4326) with ``id``, ``name``, ``building`` (the tag value),
        ``levels`` (``building:levels``, NaN if absent), ``height`` (metres, NaN if
        absent), ``residential`` and ``area_m2`` (footprint, in the UTM zone of the
        data). ``residential`` is true for ``building`` in ``RESIDENTIAL_BUILDINGS``,
        or ``building=yes`` with a point inside a ``landuse=residential`` polygon.
    """
    ids, tags, geoms = _areas(path, lambda t: _is_building(t) or t.get("landuse") == "residential")
    return _buildings_frame(ids, tags, geoms)


def read_buildings_and_landuse(path: str | Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """:func:`read_buildings` and :func:`read_landuse` of one OSM file, in one pass over it.

    Assembling areas is most of the time either takes (a province-sized city's extract holds
    tens of thousands of buildings); demand, which needs both, reads the file once.
    """
    ids, tags, geoms = _areas(path, lambda t: _is_building(t) or _is_landuse(t))
    return _buildings_frame(ids, tags, geoms), _landuse_frame(ids, tags, geoms)


def _buildings_frame(ids: list[str], tags: list[dict[str, str]], geoms: list[BaseGeometry]) -> gpd.GeoDataFrame:
    """The :func:`read_buildings` frame from assembled areas (buildings and residential land use among others)."""
    zones = gpd.GeoSeries([g for g, t in zip(geoms, tags) if t.get("landuse") == "residential"], crs=4326)
    keep = [k for k, t in enumerate(tags) if _is_building(t)]
    tags = [tags[k] for k in keep]
    frame = gpd.GeoDataFrame(
        {
            "id": [ids[k] for k in keep],
            "name": [t.get("name", "") for t in tags],
            "building": [t["building"] for t in tags],
            "levels": [_number(t.get("building:levels")) for t in tags],
            "height": [_number(t.get("height")) for t in tags],
        },
        geometry=[geoms[k] for k in keep],
        crs=4326,
    )
    residential = frame["building"].isin(RESIDENTIAL_BUILDINGS).to_numpy().copy()
    maybe = (frame["building"] == "yes").to_numpy()
    if maybe.any() and len(zones):
        points = frame.geometry[maybe].representative_point()
        inside = gpd.sjoin(gpd.GeoDataFrame(geometry=points, crs=4326), gpd.GeoDataFrame(geometry=zones),
                           predicate="within", how="inner").index.unique()
        residential[np.asarray(inside, dtype=np.int64)] = True  # frame has a RangeIndex
    frame["residential"] = residential
    frame["area_m2"] = _area_m2(frame.geometry)
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def read_landuse(path: str | Path) -> gpd.GeoDataFrame:
    """Land-use and public-amenity polygons.

    Parameters
    ----------
    path
        An OSM file.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons (EPSG:4326) with ``id``, ``name``, ``landuse``, ``amenity``,
        ``category`` and ``area_m2``. ``category`` maps ``landuse`` through
        ``LANDUSE_CATEGORIES`` (residential, commercial, retail, industrial, public,
        brownfield, vacant, construction, green, agriculture, transport; ``other``
        for the rest); polygons tagged only with an amenity in ``PUBLIC_AMENITIES``
        are ``public``.
    """
    return _landuse_frame(*_areas(path, _is_landuse))


def _landuse_frame(ids: list[str], tags: list[dict[str, str]], geoms: list[BaseGeometry]) -> gpd.GeoDataFrame:
    """The :func:`read_landuse` frame from assembled areas (land use among others)."""
    keep = [k for k, t in enumerate(tags) if _is_landuse(t)]
    tags = [tags[k] for k in keep]
    landuse = [t.get("landuse", "") for t in tags]
    category = [LANDUSE_CATEGORIES.get(lu, "other") if lu else "public" for lu in landuse]
    frame = gpd.GeoDataFrame(
        {
            "id": [ids[k] for k in keep],
            "name": [t.get("name", "") for t in tags],
            "landuse": landuse,
            "amenity": [t.get("amenity", "") for t in tags],
            "category": category,
        },
        geometry=[geoms[k] for k in keep],
        crs=4326,
    )
    frame["area_m2"] = _area_m2(frame.geometry)
    return frame.sort_values("id", kind="stable").reset_index(drop=True)
