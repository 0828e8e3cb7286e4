"""Getting a city's street network: download a regional OpenStreetMap extract (Geofabrik) and
clip it to the study-area boundary.

Overpass times out at prefecture scale, so a whole province is downloaded once
from Geofabrik (its URL is the scenario's ``fetch.url``) and clipped here with
pyosmium: nodes inside the boundary polygon, every way with at least one such
node (with all of its nodes, so the ways stay whole and routable), and every
relation with a kept member. The download (resumable, checked against the MD5
Geofabrik publishes) is :mod:`siting.osm.download`'s. The source URL, download
date and MD5, the extract date (from the file header) and the licence go into a
JSON sidecar next to the output.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import shapely
from shapely.geometry import shape
from shapely.ops import unary_union

from siting.errors import InputError, SitingError
from siting.io import atomic_path, require_file, write_json
from siting.osm.download import Download, download_extract

LICENCE = "ODbL 1.0"
ATTRIBUTION = "© OpenStreetMap contributors"
_CHUNK = 1_000_000


@dataclass
class ClipResult:
    """What :func:`clip_osm` wrote."""

    output: Path
    sidecar: Path
    nodes: int
    ways: int
    relations: int
    nodes_inside: int
    extract_date: str | None
    covers_study_area: bool | None = None  # the extract's header box holds the whole boundary (None: no box)
    download: Download | None = None  # how the extract was downloaded (None: a file given)


def load_boundary(path: str | Path, adcode: str | None = None, name: str | None = None, crs: str = "wgs84",
                  buffer_m: float = 0.0) -> shapely.Geometry:
    """The study-area polygon from a GeoJSON file: the feature with ``adcode`` or ``name``,
    else the union of all features; converted to WGS84 and optionally buffered (metres)."""
    p = require_file(path, "boundary file")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a GeoJSON file ({exc})", path=p) from exc
    features = data.get("features") if data.get("type") == "FeatureCollection" else [
        data if data.get("type") == "Feature" else {"type": "Feature", "geometry": data, "properties": {}}]
    chosen = []
    for f in features or []:
        props = f.get("properties") or {}
        if adcode is not None and str(props.get("adcode", "")) != str(adcode):
            continue
        if name is not None and str(props.get("name", "")) != name:
            continue
        chosen.append(shape(f["geometry"]))
    if not chosen:
        which = f"adcode {adcode}" if adcode else (f"name {name}" if name else "any feature")
        raise InputError(f"no boundary with {which}", path=p, hint="Check study_area.adcode / study_area.name")
    geom = unary_union(chosen)
    if crs.lower() != "wgs84":
        from siting.coords import to_wgs84

        geom = shapely.transform(geom, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs)))
    if buffer_m:
        from pyproj import Transformer

        from siting.coords import utm_epsg

        c = geom.centroid
        fwd = Transformer.from_crs(4326, utm_epsg(c.x, c.y), always_xy=True)
        inv = Transformer.from_crs(utm_epsg(c.x, c.y), 4326, always_xy=True)
        geom = shapely.transform(shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))).buffer(buffer_m),
                                 lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(f"the boundary is a {geom.geom_type}, not a polygon", path=p)
    return geom


def _header(path: str | Path) -> Any:
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        return reader.header()
    finally:
        reader.close()


def extract_date(path: str | Path) -> str | None:
    """The data timestamp in an OSM file's header (Geofabrik sets the replication timestamp)."""
    header = _header(path)
    return header.get("osmosis_replication_timestamp") or header.get("timestamp") or None


def extract_bounds(path: str | Path) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the bounding box in an OSM file's header, or None if it has none."""
    box = _header(path).box()
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def _digests(path: Path) -> tuple[str, str]:
    """(MD5, SHA-256) of a file, in one read."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            md5.update(block)
            sha.update(block)
    return md5.hexdigest(), sha.hexdigest()


def _box_text(bounds: tuple[float, ...]) -> str:
    west, south, east, north = bounds
    return f"lon {west:.4f} to {east:.4f}, lat {south:.4f} to {north:.4f}"


def _area_text(boundary_note: str) -> str:
    return f"the study area ({boundary_note})" if boundary_note else "the study area"


def check_coverage(source: Path, polygon: shapely.Geometry, boundary_note: str = "") -> bool | None:
    """Whether the extract's header box holds the whole study area (None: the header has no box).

    Raises a :class:`SitingError` naming both when the box does not reach the study area at all.
    """
    bounds = extract_bounds(source)
    if bounds is None:
        return None
    box = shapely.box(*bounds)
    if not box.intersects(polygon):
        raise SitingError(
            f"the extract {source.name} does not cover the study area: its header box is {_box_text(bounds)}, "
            f"{_area_text(boundary_note)} spans {_box_text(polygon.bounds)}. Download the regional file "
            "that holds the city (fetch.url or --url), or check study_area (a boundary in another coordinate "
            "system needs study_area.crs)")
    return bool(box.contains(polygon))


def _nodes_inside(src: Path, polygon: shapely.Geometry, *trackers: osmium.IdTracker) -> int:
    """Add the ids of the nodes inside ``polygon`` (tested in chunks, bounding box first) to
    ``trackers``; their number."""
    shapely.prepare(polygon)  # prepared geometry: fast repeated point-in-polygon tests
    west, south, east, north = polygon.bounds
    n_inside = 0
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []

    def flush() -> int:
        if not ids:
            return 0
        x, y = np.asarray(lons), np.asarray(lats)
        box = (x >= west) & (x <= east) & (y >= south) & (y <= north)
        hit = np.zeros(len(x), dtype=bool)
        if box.any():
            hit[box] = shapely.contains_xy(polygon, x[box], y[box])
        for i in np.asarray(ids, dtype=np.int64)[hit].tolist():
            for tracker in trackers:
                tracker.add_node(i)
        ids.clear()
        lons.clear()
        lats.clear()
        return int(hit.sum())

    for node in osmium.FileProcessor(str(src), osmium.osm.NODE):
        loc = node.location  # type: ignore[union-attr]
        if not loc.valid():
            continue
        ids.append(node.id)
        lons.append(loc.lon)
        lats.append(loc.lat)
        if len(ids) >= _CHUNK:
            n_inside += flush()
    n_inside += flush()
    return n_inside


def _keep_ways_relations(src: Path, inside: osmium.IdTracker, keep: osmium.IdTracker) -> tuple[int, int]:
    """Add to ``keep`` the ways with a node ``inside`` (and all their nodes) and the relations
    with a kept node or way member; the numbers of ways and relations."""
    n_ways = 0
    for way in osmium.FileProcessor(str(src), osmium.osm.WAY):
        if inside.contains_any_references(way):
            keep.add_way(way.id)
            keep.add_references(way)
            n_ways += 1
    kept_nodes, kept_ways = keep.node_ids(), keep.way_ids()
    relation_ids: list[int] = []
    for rel in osmium.FileProcessor(str(src), osmium.osm.RELATION):
        # Node and way members only: relation members would make the result depend on file order.
        if any((m.type == "n" and m.ref in kept_nodes) or (m.type == "w" and m.ref in kept_ways) for m in rel.members):  # type: ignore[union-attr]
            relation_ids.append(rel.id)
    for i in relation_ids:
        keep.add_relation(i)
    return n_ways, len(relation_ids)


def _write_kept(src: Path, keep: osmium.IdTracker, out: Path, header: Any) -> int:
    """Write the kept objects of ``src`` to ``out`` atomically; the number of nodes written."""
    n_nodes = 0
    with atomic_path(out, suffix=".osm.pbf") as tmp:  # osmium picks the format from the name
        writer = osmium.SimpleWriter(str(tmp), header=header, overwrite=True)
        try:
            for obj in osmium.FileProcessor(str(src)).with_filter(keep.id_filter()):
                writer.add(obj)
                if isinstance(obj, osmium.osm.Node):
                    n_nodes += 1
        finally:
            writer.close()
    return n_nodes


def clip_osm(source: str | Path, polygon: shapely.Geometry, output: str | Path, *,
             source_url: str | None = None, licence: str = LICENCE, boundary_note: str = "",
             download: Download | None = None) -> ClipResult:
    """Clip an OSM file to ``polygon`` (WGS84) and write a PBF plus a JSON sidecar.

    Keeps the nodes inside the polygon, every way that references one of them (with all its
    nodes, so no way is cut), and every relation with a kept node or way member. The output
    is written to a temporary file and renamed, so a failure never leaves half a file.

    Raises
    ------
    SitingError
        When the output would overwrite the input, or the extract does not cover the study
        area (its header box misses the polygon, or no node lies inside it).
    """
    src = require_file(source, "OSM file")
    out = Path(output)
    if out.resolve() == src.resolve():
        raise SitingError(f"the clipped output would overwrite its input {src}; choose another fetch.output")
    covers = check_coverage(src, polygon, boundary_note)
    inside, keep = osmium.IdTracker(), osmium.IdTracker()  # nodes inside; everything to write
    n_inside = _nodes_inside(src, polygon, inside, keep)
    if n_inside == 0:
        box = extract_bounds(src)
        raise SitingError(
            f"no node of the extract {src} lies inside {_area_text(boundary_note)}, which spans "
            f"{_box_text(polygon.bounds)} (the extract's header box: {_box_text(box) if box else 'none'}): "
            "wrong regional file, or a boundary in another coordinate system (set study_area.crs)")
    n_ways, n_rel = _keep_ways_relations(src, inside, keep)
    date = extract_date(src)
    source_header = _header(src)
    header = osmium.io.Header()
    header.set("generator", "siting fetch-osm (pyosmium)")
    if date:
        header.set("osmosis_replication_timestamp", date)
    west, south, east, north = polygon.bounds
    header.add_box(osmium.osm.Box(osmium.osm.Location(west, south), osmium.osm.Location(east, north)))
    n_nodes = _write_kept(src, keep, out, header)
    md5, sha256 = _digests(src)
    sidecar = out.with_name(out.name + ".json")
    write_json(sidecar, {
        "file": out.name,
        "extract_date": date,
        "licence": licence,
        "attribution": ATTRIBUTION,
        "source_file": src.name,
        "source_url": source_url,
        "source_md5": md5,
        "source_sha256": sha256,
        "source_generator": source_header.get("generator") or None,
        "source_bounds_wgs84": extract_bounds(src),
        "download": download.as_dict() if download else None,
        "boundary": boundary_note,
        "boundary_bounds_wgs84": [west, south, east, north],
        "extract_covers_boundary": covers,
        "kept": {"nodes": n_nodes, "nodes_inside": n_inside, "ways": n_ways, "relations": n_rel},
        "method": "nodes inside the polygon; ways with at least one such node (complete); relations with a kept member",
        "clipped_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    return ClipResult(out, sidecar, n_nodes, n_ways, n_rel, n_inside, date, covers, download)


def download_name(url: str) -> str:
    """The file name a URL points at (``guangxi-latest.osm.pbf``), for the downloaded copy."""
    name = Path(urllib.parse.urlsplit(url).path).name
    return name or "extract.osm.pbf"


def fetch_for_scenario(scenario: Any, *, input_file: str | Path | None = None, output: str | Path | None = None,
                       url: str | None = None, require_md5: bool = True, retries: int = 5, progress: bool = False,
                       log: Callable[[str], None] | None = None) -> ClipResult:
    """``siting fetch-osm``: download the regional extract (``url``, default the scenario's
    ``fetch.url``; skipped when ``input_file`` is given) and clip it to the scenario's study area.

    The download goes to ``fetch.download`` (default: beside the output, under the URL's file
    name), resumes a partial one and is kept only when its MD5 matches the published
    ``<url>.md5`` (see :func:`siting.osm.download.download_extract`).
    """
    sc = scenario
    out = Path(output) if output else sc.fetch.output
    if out is None:
        raise SitingError("the scenario has no fetch.output (or network.source) to write the clipped extract to")
    if sc.study_area.boundaries is None:
        raise SitingError("the scenario has no study_area.boundaries: the clipping polygon is needed")
    polygon = load_boundary(sc.study_area.boundaries, sc.study_area.adcode, sc.study_area.name, sc.study_area.crs,
                            sc.study_area.buffer_m)
    url = url or sc.fetch.url
    fetched: Download | None = None
    if input_file is not None:
        source = require_file(input_file, "regional OSM file")
    else:
        if not url:
            raise SitingError("the scenario has no fetch.url (e.g. https://download.geofabrik.de/asia/china/"
                              "guangxi-latest.osm.pbf) and no --url was given")
        source = Path(sc.fetch.download or out.with_name(download_name(url)))
        fetched = download_extract(url, source, require_md5=require_md5, retries=retries, progress=progress, log=log)
    note = f"{sc.study_area.boundaries.name}" + (f" adcode {sc.study_area.adcode}" if sc.study_area.adcode else "")
    return clip_osm(source, polygon, out, source_url=url, licence=sc.fetch.licence, boundary_note=note,
                    download=fetched)
