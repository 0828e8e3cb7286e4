"""Reading OpenStreetMap road ways with pyosmium.

One reader serves every format pyosmium understands (``.osm.pbf``, ``.osm``,
``.osm.bz2``, ``.osm.gz``), so the same data gives the same graph whichever
file format it arrives in. osmnx 2 reads only OSM XML and builds its graph in
pure Python; pyosmium is the reference C++ library and keeps a 1M-edge build
well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium

from siting.errors import InputError
from siting.io import require_file

# Tags the network builder needs; everything else is dropped while reading.
WAY_TAGS = (
    "highway",
    "oneway",
    "junction",
    "maxspeed",
    "access",
    "foot",
    "bicycle",
    "motor_vehicle",
    "motorcar",
    "service",
    "area",
    "oneway:bicycle",
    "cycleway",
    "name",
)
OSM_SUFFIXES = (".pbf", ".osm", ".bz2", ".gz", ".o5m", ".opl")


@dataclass
class OsmWays:
    """Highway ways of one OSM file, flattened.

    ``refs``/``lon``/``lat`` hold the way nodes of all ways end to end;
    way ``i`` owns positions ``offsets[i]:offsets[i+1]``.
    """

    way_id: np.ndarray
    offsets: np.ndarray
    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tags: list[dict[str, str]]
    timestamp: str | None
    bbox: tuple[float, float, float, float] | None


def is_osm_file(path: str | Path) -> bool:
    """True when the file name looks like an OSM data file pyosmium can read."""
    name = str(path).lower()
    return name.endswith((".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m", ".opl"))


def read_highways(path: str | Path) -> OsmWays:
    """Read every way with a ``highway`` tag, with its node locations.

    Raises
    ------
    InputError
        When the file is missing, empty, truncated or corrupt.
    """
    p = require_file(path, "OSM file")
    if p.stat().st_size == 0:
        raise InputError("the OSM file is empty", path=p, hint="Download the extract again")
    way_ids: list[int] = []
    counts: list[int] = []
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    tags: list[dict[str, str]] = []
    try:
        processor = (
            osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        header = processor.header
        for way in processor:
            if not isinstance(way, osmium.osm.Way):
                continue
            t = way.tags
            way_tags = {k: str(t.get(k)) for k in WAY_TAGS if k in t}
            # A way that leaves the extract has nodes without locations: split it
            # there, so that no segment joins two nodes that are not neighbours.
            pieces: list[tuple[list[int], list[float], list[float]]] = [([], [], [])]
            for nd in way.nodes:
                loc = nd.location
                if not loc.valid():
                    if pieces[-1][0]:
                        pieces.append(([], [], []))
                    continue
                pieces[-1][0].append(nd.ref)
                pieces[-1][1].append(loc.lon)
                pieces[-1][2].append(loc.lat)
            for piece_refs, piece_lon, piece_lat in pieces:
                if len(piece_refs) < 2:
                    continue
                way_ids.append(way.id)
                counts.append(len(piece_refs))
                refs.extend(piece_refs)
                lons.extend(piece_lon)
                lats.extend(piece_lat)
                tags.append(way_tags)
        timestamp = header.get("osmosis_replication_timestamp") or header.get("timestamp") or None
        box = header.box()
        bbox = (
            (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
            if box.valid()
            else None
        )
    except (RuntimeError, osmium.InvalidLocationError, ValueError) as exc:
        raise InputError(
            f"cannot read this OSM file ({exc}); it may be truncated or corrupt",
            path=p,
            hint="Download the extract again, or check it with `osmium fileinfo`",
        ) from exc
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return OsmWays(
        way_id=np.asarray(way_ids, dtype=np.int64),
        offsets=offsets,
        refs=np.asarray(refs, dtype=np.int64),
        lon=np.asarray(lons, dtype=np.float64),
        lat=np.asarray(lats, dtype=np.float64),
        tags=tags,
        timestamp=timestamp,
        bbox=bbox,
    )


def osm_objects(path: str | Path, keys: tuple[str, ...], *, areas: bool = False) -> Iterator[Any]:
    """Every node, way and relation of an OSM file with one of ``keys``, located (and areas, with ``areas``).

    With ``areas`` libosmium also assembles closed ways and multipolygon relations
    into area objects (``type_str() == 'a'``), yielded besides the ways themselves.

    Raises
    ------
    InputError
        When the file is missing, empty, not an OSM file, truncated or corrupt.
    """
    p = require_file(path, "OSM file")
    if p.stat().st_size == 0:
        raise InputError("the OSM file is empty", path=p, hint="Download the extract again")
    try:
        fp = osmium.FileProcessor(str(p)).with_locations()
        if areas:
            fp = fp.with_areas()
        yield from fp.with_filter(osmium.filter.KeyFilter(*keys))
    except (RuntimeError, ValueError) as exc:
        if "detect file format" in str(exc):
            raise InputError(
                "not an OSM file name pyosmium recognises",
                path=p,
                hint="Give an OpenStreetMap file ending in .osm.pbf, .osm or .osm.bz2",
            ) from exc
        raise InputError(
            f"cannot read this OSM file ({exc}); it may be truncated or corrupt",
            path=p,
            hint="Download the extract again, or check it with `osmium fileinfo`",
        ) from exc
