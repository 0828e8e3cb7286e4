"""Getting a city's street network: download a regional OpenStreetMap extract (Geofabrik) and
clip it to the study-area boundary.

Overpass times out at prefecture scale, so a whole province is downloaded once
from Geofabrik (its URL is the scenario's ``fetch.url``) and clipped here with
pyosmium: nodes inside the boundary polygon, every way with at least one such
node (with all of its nodes, so the ways stay whole and routable), and every
relation with a kept member. The extract date (from the file header) and the
licence go into a JSON sidecar next to the output.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.request
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
from siting.io import atomic_path, atomic_write, require_file, write_json

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


def extract_date(path: str | Path) -> str | None:
    """The data timestamp in an OSM file's header (Geofabrik sets the replication timestamp)."""
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        header = reader.header()
        return header.get("osmosis_replication_timestamp") or header.get("timestamp") or None
    finally:
        reader.close()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def clip_osm(source: str | Path, polygon: shapely.Geometry, output: str | Path, *,
             source_url: str | None = None, licence: str = LICENCE, boundary_note: str = "") -> ClipResult:
    """Clip an OSM file to ``polygon`` (WGS84) and write a PBF plus a JSON sidecar.

    Keeps the nodes inside the polygon, every way that references one of them (with all its
    nodes, so no way is cut), and every relation with a kept node or way member. The output
    is written to a temporary file and renamed, so a failure never leaves half a file.
    """
    src = require_file(source, "OSM file")
    out = Path(output)
    if out.resolve() == src.resolve():
        raise SitingError(f"the clipped output would overwrite its input {src}; choose another fetch.output")
    shapely.prepare(polygon)  # prepared geometry: fast repeated point-in-polygon tests
    west, south, east, north = polygon.bounds

    inside = osmium.IdTracker()  # nodes inside the polygon
    keep = osmium.IdTracker()  # everything written: inside nodes, kept ways and their nodes, relations
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
        kept = np.asarray(ids, dtype=np.int64)[hit]
        for i in kept.tolist():
            inside.add_node(i)
            keep.add_node(i)
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
    if n_inside == 0:
        raise SitingError(f"no node of {src} lies inside the boundary {[round(v, 4) for v in polygon.bounds]}: "
                          "wrong regional file, or a boundary in another coordinate system (set study_area.crs)")

    n_ways = 0
    for way in osmium.FileProcessor(str(src), osmium.osm.WAY):
        if inside.contains_any_references(way):
            keep.add_way(way.id)
            keep.add_references(way)
            n_ways += 1
    n_rel = 0
    kept_nodes, kept_ways = keep.node_ids(), keep.way_ids()
    relation_ids: list[int] = []
    for rel in osmium.FileProcessor(str(src), osmium.osm.RELATION):
        # Node and way members only: relation members would make the result depend on file order.
        if any((m.type == "n" and m.ref in kept_nodes) or (m.type == "w" and m.ref in kept_ways) for m in rel.members):  # type: ignore[union-attr]
            relation_ids.append(rel.id)
    for i in relation_ids:
        keep.add_relation(i)
    n_rel = len(relation_ids)

    date = extract_date(src)
    header = osmium.io.Header()
    header.set("generator", "siting fetch-osm (pyosmium)")
    if date:
        header.set("osmosis_replication_timestamp", date)
    header.add_box(osmium.osm.Box(osmium.osm.Location(west, south), osmium.osm.Location(east, north)))
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
    sidecar = out.with_name(out.name + ".json")
    write_json(sidecar, {
        "file": out.name,
        "extract_date": date,
        "licence": licence,
        "attribution": ATTRIBUTION,
        "source_file": src.name,
        "source_url": source_url,
        "source_sha256": _sha256(src),
        "boundary": boundary_note,
        "boundary_bounds_wgs84": [west, south, east, north],
        "kept": {"nodes": n_nodes, "nodes_inside": n_inside, "ways": n_ways, "relations": n_rel},
        "method": "nodes inside the polygon; ways with at least one such node (complete); relations with a kept member",
        "clipped_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    return ClipResult(out, sidecar, n_nodes, n_ways, n_rel, n_inside, date)


def download(url: str, target: str | Path, *, timeout: float = 60.0) -> Path:  # pragma: no cover - needs internet
    """Download ``url`` to ``target`` (streamed to a temporary file, then renamed). Needs internet."""
    dest = Path(target)
    request = urllib.request.Request(url, headers={"User-Agent": "siting fetch-osm (https://github.com/)"})
    try:
        with atomic_write(dest, "wb") as fh, urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - https URL from the scenario
            shutil.copyfileobj(resp, fh, length=1 << 20)
    except OSError as exc:
        raise SitingError(f"could not download {url}: {exc}. Check the internet connection, or download the file "
                          "yourself and pass it with --input") from exc
    return dest


def fetch_for_scenario(scenario: Any, *, input_file: str | Path | None = None, output: str | Path | None = None) -> ClipResult:
    """``siting fetch-osm``: download the scenario's regional extract (unless ``input_file`` is
    given) and clip it to the scenario's study area."""
    sc = scenario
    out = Path(output) if output else sc.fetch.output
    if out is None:
        raise SitingError("the scenario has no fetch.output (or network.source) to write the clipped extract to")
    if sc.study_area.boundaries is None:
        raise SitingError("the scenario has no study_area.boundaries: the clipping polygon is needed")
    polygon = load_boundary(sc.study_area.boundaries, sc.study_area.adcode, sc.study_area.name, sc.study_area.crs,
                            sc.study_area.buffer_m)
    if input_file is not None:
        source = require_file(input_file, "regional OSM file")
        url = sc.fetch.url
    else:  # pragma: no cover - needs internet
        if not sc.fetch.url:
            raise SitingError("the scenario has no fetch.url (e.g. https://download.geofabrik.de/asia/china/guangxi-latest.osm.pbf)")
        source = sc.fetch.download or out.with_name(Path(sc.fetch.url).name)
        download(sc.fetch.url, source)
        url = sc.fetch.url
    note = f"{sc.study_area.boundaries.name}" + (f" adcode {sc.study_area.adcode}" if sc.study_area.adcode else "")
    return clip_osm(source, polygon, out, source_url=url, licence=sc.fetch.licence, boundary_note=note)
