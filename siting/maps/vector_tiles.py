"""Mapbox Vector Tiles (MVT 2.1) cut from shapely geometries, for basemaps drawn in the browser.

A zoom level is cut in one vectorised pass: geometries are scaled to tile units
(Web Mercator, ``extent`` units per tile), simplified to a fraction of a pixel,
clipped to each tile they touch (plus a small buffer, so strokes meet across tile
edges), quantised to integers and written in the MVT protobuf encoding
(https://github.com/mapbox/vector-tile-spec/tree/master/2.1): per feature a
``MoveTo``/``LineTo``/``ClosePath`` command stream of zig-zag deltas, exterior
rings with positive area in tile coordinates and holes negative, as the spec
asks. Any MVT reader decodes the result (the tests use ``mapbox-vector-tile``;
the map uses protomaps-leaflet). Written here rather than with an encoder
library because a library encodes feature by feature in Python, too slow for
the half a million street pieces of a large city.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

#: MVT geometry types and commands.
POINT, LINE, POLYGON = 1, 2, 3
MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7


@dataclass
class TileLayer:
    """One named layer of features to cut into tiles.

    Attributes
    ----------
    name
        The MVT layer name.
    geometry
        Shapely geometries in Web Mercator *world* units (0..1 from west to east
        and north to south; see :func:`to_world`).
    properties
        Column name -> one value per feature (str or int); '' and None are left out.
    ids
        Optional feature ids (non-negative integers), e.g. OSM way ids.
    merge
        Write the pieces of one tile that share every property value as one
        multi-geometry feature (ids are then left out): a tile of a hundred
        residential streets carries one feature header instead of a hundred.
    """

    name: str
    geometry: NDArray[Any]
    properties: dict[str, Sequence[Any]] = field(default_factory=dict)
    ids: NDArray[np.int64] | None = None
    merge: bool = False


def to_world(geometry: NDArray[Any]) -> NDArray[Any]:
    """WGS84 longitude/latitude geometries in Web Mercator world units (x east, y south, 0..1)."""

    def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        lat = np.clip(xy[:, 1], -85.05112878, 85.05112878)
        x = (xy[:, 0] + 180.0) / 360.0
        y = 0.5 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geometry, dtype=object), project)


def tile_bounds_lonlat(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of tile ``z/x/y`` in degrees."""
    n = 2**z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return (x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y))


# ------------------------------------------------------------------ protobuf helpers


def varint(value: int) -> bytes:
    """A non-negative integer as a protobuf varint."""
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def varints(values: NDArray[np.uint64]) -> tuple[bytes, NDArray[np.int64]]:
    """Many non-negative integers as concatenated varints, and how many bytes each took."""
    v = np.asarray(values, dtype=np.uint64)
    nbytes = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        nbytes += v >= np.uint64(1 << (7 * k))
    out = np.zeros(int(nbytes.sum()), dtype=np.uint8)
    start = np.cumsum(nbytes) - nbytes
    for b in range(int(nbytes.max(initial=1))):
        has = nbytes > b
        byte = (v[has] >> np.uint64(7 * b)) & np.uint64(0x7F)
        more = (nbytes[has] > b + 1).astype(np.uint64) << np.uint64(7)
        out[start[has] + b] = (byte | more).astype(np.uint8)
    return out.tobytes(), nbytes


def zigzag(values: NDArray[np.int64]) -> NDArray[np.uint64]:
    """Protobuf zig-zag encoding of signed integers (0, -1, 1, -2 -> 0, 1, 2, 3)."""
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _field(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + varint(len(payload)) + payload


# ------------------------------------------------------------------ cutting


@dataclass
class Pieces:
    """Geometries clipped to tiles: one row per (feature, tile) it touches, in feature order."""

    geometry: NDArray[Any]
    feature: NDArray[np.int64]
    tile_x: NDArray[np.int64]
    tile_y: NDArray[np.int64]


def clip_to_tiles(geoms: NDArray[Any], extent: int, buffer: float) -> Pieces:
    """Cut ``geoms`` (in tile units of one zoom) at the tile edges, each tile widened by ``buffer``.

    Points go to the one tile that holds them; lines and polygons to every tile
    their bounding box meets, clipped there (empty results are dropped).
    """
    present = np.flatnonzero(~shapely.is_empty(geoms))
    if len(present) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pieces(np.zeros(0, dtype=object), empty, empty, empty)
    box = np.full((len(geoms), 4), np.nan)
    box[present] = shapely.bounds(geoms[present])
    points = shapely.get_type_id(geoms) == 0
    pad = np.where(points, 0.0, buffer)
    box = np.nan_to_num(box)  # empty geometries get no tile (count 0 below)
    x0 = np.floor((box[:, 0] - pad) / extent).astype(np.int64)
    x1 = np.floor((box[:, 2] + pad) / extent).astype(np.int64)
    y0 = np.floor((box[:, 1] - pad) / extent).astype(np.int64)
    y1 = np.floor((box[:, 3] + pad) / extent).astype(np.int64)
    nx, ny = x1 - x0 + 1, y1 - y0 + 1
    count = np.zeros(len(geoms), dtype=np.int64)
    count[present] = (nx * ny)[present]
    feature = np.repeat(np.arange(len(geoms)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    tx = x0[feature] + k % nx[feature]
    ty = y0[feature] + k // nx[feature]
    inside = (box[feature, 0] >= tx * extent - buffer) & (box[feature, 2] <= (tx + 1) * extent + buffer) & (
        box[feature, 1] >= ty * extent - buffer) & (box[feature, 3] <= (ty + 1) * extent + buffer)
    clipped = np.asarray(geoms, dtype=object)[feature]
    cut = np.flatnonzero(~inside)
    if len(cut):
        order = np.lexsort((ty[cut], tx[cut]))
        cut = cut[order]
        keys = tx[cut] * (1 << 32) + ty[cut]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(cut)]):
            rows = cut[a:b]
            left, top = tx[rows[0]] * extent - buffer, ty[rows[0]] * extent - buffer
            clipped[rows] = shapely.clip_by_rect(clipped[rows], left, top, left + extent + 2 * buffer,
                                                 top + extent + 2 * buffer)
    keep = ~shapely.is_empty(clipped)
    return Pieces(clipped[keep], feature[keep], tx[keep], ty[keep])


def _path_stream(q: NDArray[np.int64], path: NDArray[np.int64], path_group: NDArray[np.int64],
                 closed: bool) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
    """MVT command integers for paths of integer coordinates (lines, or rings when ``closed``).

    ``q`` holds the coordinates of every path end to end (``path[i]`` is the path
    of coordinate ``i``; paths in order, the paths of one output feature, ``path_group``,
    consecutive). Returns the integers and where each path's integers start (one
    more entry: the total).
    """
    n_paths = len(path_group)
    m = np.bincount(path, minlength=n_paths)
    length = 2 * m + 2 + (1 if closed else 0)
    start = np.cumsum(length) - length
    ints = np.zeros(int(length.sum()), dtype=np.uint64)
    first = np.cumsum(m) - m  # index of each path's first coordinate
    k = np.arange(len(q)) - first[path]
    prev = np.vstack([np.zeros((1, 2), dtype=np.int64), q[:-1]])
    group = path_group[path]
    prev[np.r_[True, group[1:] != group[:-1]]] = 0  # the cursor starts at (0, 0) in every feature
    delta = q - prev
    pos = start[path] + np.where(k == 0, 1, 2 + 2 * k)
    ints[pos] = zigzag(delta[:, 0])
    ints[pos + 1] = zigzag(delta[:, 1])
    ints[start] = MOVE_TO | (1 << 3)
    ints[start + 3] = (LINE_TO | ((m - 1) << 3)).astype(np.uint64)
    if closed:
        ints[start + length - 1] = CLOSE_PATH | (1 << 3)
    return ints, np.r_[start, len(ints)]


def _dedupe(q: NDArray[np.int64], path: NDArray[np.int64]) -> NDArray[np.bool_]:
    """True for each coordinate that differs from the one before it on its path."""
    return np.r_[True, (q[1:] != q[:-1]).any(axis=1) | (path[1:] != path[:-1])]


def _renumber(path: NDArray[np.int64], keep_path: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Coordinates on kept paths, and their path numbers counted over the kept paths only."""
    new = np.cumsum(keep_path) - 1
    on = keep_path[path]
    return on, new[path[on]]


def _line_paths(parts: NDArray[Any], origin: NDArray[np.float64]) -> tuple[Any, ...]:
    coords, part = shapely.get_coordinates(parts, return_index=True)
    q = np.rint(coords - origin[part]).astype(np.int64)
    keep = _dedupe(q, part)
    q, part = q[keep], part[keep]
    on, path = _renumber(part, np.bincount(part, minlength=len(parts)) >= 2)
    return q[on], path, np.flatnonzero(np.bincount(part, minlength=len(parts)) >= 2)


def _ring_paths(parts: NDArray[Any], origin: NDArray[np.float64]) -> tuple[Any, ...]:
    rings, ring_part = shapely.get_rings(shapely.orient_polygons(parts, exterior_cw=False), return_index=True)
    first_ring = np.r_[True, ring_part[1:] != ring_part[:-1]]
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    closing = np.r_[ring[1:] != ring[:-1], True]  # the repeated first point ends each ring
    coords, ring = coords[~closing], ring[~closing]
    q = np.rint(coords - origin[ring_part[ring]]).astype(np.int64)
    keep = _dedupe(q, ring)
    q, ring = q[keep], ring[keep]
    last = np.r_[ring[1:] != ring[:-1], True]
    start = np.r_[True, ring[1:] != ring[:-1]]
    wraps = last & (q == q[np.maximum.accumulate(np.where(start, np.arange(len(q)), 0))]).all(axis=1)
    q, ring = q[~wraps], ring[~wraps]
    good = np.bincount(ring, minlength=len(rings)) >= 3
    polygon_ok = np.ones(len(parts), dtype=bool)
    polygon_ok[ring_part[first_ring & ~good]] = False  # a polygon whose outer ring vanished goes whole
    good &= polygon_ok[ring_part]
    on, path = _renumber(ring, good)
    return q[on], path, ring_part[np.flatnonzero(good)]


def _point_stream(q: NDArray[np.int64], piece: NDArray[np.int64],
                  ) -> tuple[NDArray[np.uint64], NDArray[np.int64], NDArray[np.int64]]:
    """MoveTo(n) commands for the points of each feature (``piece``, in order).

    Returns the integers, where each feature's integers start (plus the total) and the features.
    """
    new = np.r_[True, piece[1:] != piece[:-1]]
    group = np.cumsum(new) - 1
    n = np.bincount(group)
    length = 1 + 2 * n
    start = np.cumsum(length) - length
    ints = np.zeros(int(length.sum()), dtype=np.uint64)
    k = np.arange(len(q)) - (np.cumsum(n) - n)[group]
    prev = np.vstack([np.zeros((1, 2), dtype=np.int64), q[:-1]])
    prev[new] = 0
    delta = q - prev
    pos = start[group] + 1 + 2 * k
    ints[pos], ints[pos + 1] = zigzag(delta[:, 0]), zigzag(delta[:, 1])
    ints[start] = (MOVE_TO | (n << 3)).astype(np.uint64)
    return ints, np.r_[start, len(ints)], piece[new]


def mvt_type(geoms: NDArray[Any]) -> NDArray[np.int64]:
    """MVT geometry type (1 point, 2 line, 3 polygon; 0 for anything else) of each geometry."""
    table = np.array([POINT, LINE, LINE, POLYGON, POINT, LINE, POLYGON, 0], dtype=np.int64)
    return table[np.clip(shapely.get_type_id(geoms), 0, 7)]


def encode_geometries(pieces: Pieces, kind: NDArray[np.int64], group: NDArray[np.int64], n_groups: int,
                      extent: int) -> list[bytes]:
    """The MVT geometry (varint bytes) of each output feature, b'' for one that vanished when quantised.

    Piece ``i`` (of MVT type ``kind[i]``) belongs to output feature ``group[i]``;
    groups are numbered in the pieces' order, and a feature of several pieces is a
    multi-line or multi-polygon. Clipping leftovers of another dimension (a
    polygon's edge cut into a line) are dropped.
    """
    out = [b""] * n_groups
    parts, part_piece = shapely.get_parts(pieces.geometry, return_index=True)
    origin = np.column_stack([pieces.tile_x, pieces.tile_y]).astype(np.float64) * extent
    for t in (POINT, LINE, POLYGON):
        sel = np.flatnonzero((kind[part_piece] == t) & (mvt_type(parts) == t))
        if not len(sel):
            continue
        piece_of = part_piece[sel]
        if t == POINT:
            q = np.rint(shapely.get_coordinates(parts[sel]) - origin[piece_of]).astype(np.int64)
            ints, start, owner = _point_stream(q, group[piece_of])
        else:
            q, path, kept = (_line_paths if t == LINE else _ring_paths)(parts[sel], origin[piece_of])
            if not len(kept):
                continue
            path_group = group[piece_of[kept]]
            ints, start = _path_stream(q, path, path_group, closed=t == POLYGON)
            first = np.r_[True, path_group[1:] != path_group[:-1]]
            start, owner = np.r_[start[:-1][first], start[-1]], path_group[first]
        data, nbytes = varints(ints)
        at = np.r_[0, np.cumsum(nbytes)][start]
        for i, g in enumerate(owner.tolist()):
            out[g] = data[at[i]:at[i + 1]]
    return out


# ------------------------------------------------------------------ tiles


def _value(v: Any) -> bytes:
    if isinstance(v, bool | np.bool_):
        return b"\x38" + varint(int(v))
    if isinstance(v, int | np.integer) and v >= 0:
        return b"\x28" + varint(int(v))  # uint_value
    return _field(0x0A, str(v).encode("utf-8"))  # string_value


class _LayerBuilder:
    """The features of one layer in one tile, with that tile's key and value tables."""

    def __init__(self, name: str, extent: int) -> None:
        self.name, self.extent = name, extent
        self.keys: dict[str, int] = {}
        self.values: dict[tuple[type, Any], int] = {}
        self.features: list[bytes] = []

    def add(self, fid: int | None, props: list[tuple[str, Any]], kind: int, geometry: bytes) -> None:
        tags = []
        for key, value in props:
            tags.append(self.keys.setdefault(key, len(self.keys)))
            tags.append(self.values.setdefault((type(value), value), len(self.values)))
        body = b"" if fid is None else b"\x08" + varint(fid)
        if tags:
            body += _field(0x12, b"".join(varint(t) for t in tags))
        body += bytes([0x18, kind]) + _field(0x22, geometry)
        self.features.append(_field(0x12, body))

    def to_bytes(self) -> bytes:
        out = [b"\x78\x02", _field(0x0A, self.name.encode("utf-8")), *self.features]
        out += [_field(0x1A, k.encode("utf-8")) for k in self.keys]
        out += [_field(0x22, _value(v)) for _, v in self.values]
        out.append(b"\x28" + varint(self.extent))
        return b"".join(out)


def _groups(layer: TileLayer, pieces: Pieces) -> tuple[Pieces, NDArray[np.int64], int]:
    """Pieces reordered so that each output feature's pieces are consecutive; the feature of each piece."""
    n = len(pieces.feature)
    if not layer.merge:
        return pieces, np.arange(n), n
    columns = [list(v) for v in layer.properties.values()]
    code = pd.factorize(pd.Series(list(zip(*columns)) if columns else [()] * len(layer.geometry)))[0]
    code = code[pieces.feature]
    order = np.lexsort((code, pieces.tile_y, pieces.tile_x))
    pieces = Pieces(pieces.geometry[order], pieces.feature[order], pieces.tile_x[order], pieces.tile_y[order])
    code = code[order]
    new = np.r_[True, (code[1:] != code[:-1]) | (pieces.tile_x[1:] != pieces.tile_x[:-1])
                | (pieces.tile_y[1:] != pieces.tile_y[:-1])] if n else np.zeros(0, dtype=bool)
    group = np.cumsum(new) - 1
    return pieces, group, int(new.sum())


def layer_tiles(layer: TileLayer, z: int, *, extent: int = 4096, tile_px: int = 512, buffer_px: float = 8.0,
                simplify_px: float = 0.5) -> dict[tuple[int, int], bytes]:
    """The MVT layer message of ``layer`` in every tile of zoom ``z`` it touches: (x, y) -> bytes.

    Geometries are simplified to ``simplify_px`` of a pixel on a tile of ``tile_px``
    pixels (0 keeps every vertex) and clipped ``buffer_px`` beyond the tile edge.
    """
    scale = float(extent * 2**z)
    geoms = shapely.transform(np.asarray(layer.geometry, dtype=object), lambda c: c * scale)
    if simplify_px > 0 and len(geoms):
        geoms = shapely.simplify(geoms, simplify_px * extent / tile_px, preserve_topology=False)
    kind = mvt_type(geoms)
    pieces, group, n_groups = _groups(layer, clip_to_tiles(geoms, extent, buffer_px * extent / tile_px))
    encoded = encode_geometries(pieces, kind[pieces.feature], group, n_groups, extent)
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else group
    columns = [(k, list(v)) for k, v in layer.properties.items()]
    ids = None if layer.ids is None or layer.merge else np.asarray(layer.ids).tolist()
    builders: dict[tuple[int, int], _LayerBuilder] = {}
    for g, i in enumerate(first.tolist()):
        if not encoded[g]:
            continue
        f, key = int(pieces.feature[i]), (int(pieces.tile_x[i]), int(pieces.tile_y[i]))
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = _LayerBuilder(layer.name, extent)
        props = [(k, v[f]) for k, v in columns if v[f] is not None and v[f] != ""]
        builder.add(None if ids is None else ids[f], props, int(kind[f]), encoded[g])
    return {key: b.to_bytes() for key, b in builders.items()}


def cut_tiles(layers: Sequence[TileLayer], z: int, **options: Any) -> dict[tuple[int, int], bytes]:
    """Every tile of zoom ``z`` that holds a feature of ``layers``: (x, y) -> MVT bytes.

    ``options`` go to :func:`layer_tiles`. Layers keep their order within a tile.
    """
    parts: dict[tuple[int, int], list[bytes]] = {}
    for layer in layers:
        for key, payload in layer_tiles(layer, z, **options).items():
            parts.setdefault(key, []).append(_field(0x1A, payload))
    return {key: b"".join(chunks) for key, chunks in sorted(parts.items())}
