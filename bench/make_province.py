"""Generate a SYNTHETIC province-sized OSM extract around Qinzhou, as a PBF file.

No Guangxi extract can be had offline, so this writes a stand-in for one with
pyosmium's writer, to rehearse ``siting fetch-osm`` (download, clip) and what
follows on a file of realistic size. **Everything in it is made up**: the
streets, buildings and facilities are not Qinzhou's and its figures must never
be presented as Qinzhou's. The file header's generator, every facility's
``note`` tag and the JSON sidecar (``<file>.json``) say SYNTHETIC.

The layout
----------
The region (``REGION``, WGS84) reaches well beyond the bundled Qinzhou
boundary, so a clip to the city has real work. It is covered by a lattice of
points ``lattice_m`` apart, cut into square tiles of ``tile`` lattice steps.
Each tile gets a street spacing from a density field (peaks at the city
centres in ``CENTRES`` and at seeded small towns): every 2 lattice steps in a
city core, 4, 8 or 16 in the suburbs and villages, and only the tile edges (a
regional grid of trunk, primary, secondary, tertiary and unclassified roads)
in the countryside. Every lattice point on a street is an OSM node (a street
has a node every ``lattice_m``, like the shape nodes of a real road), nodes are
jittered deterministically, and where a fine tile meets a coarse one the
streets end on the shared tile edge, so the network stays connected. Streets
are cut into ways with highway classes, ``maxspeed`` values and one-ways as in
``make_pbf.py``. ``lattice_m`` is calibrated so that the street network has at
least ``--nodes`` nodes.

On top: residential buildings (closed ways with ``building:levels``; tall in
the cores, low in the villages), ``landuse=residential`` areas, route
relations along the trunk roads, and facilities tagged as Chinese OSM tags
them: hospitals of every category (人民医院, 中医医院, 中西医结合医院, 妇幼保健院,
皮肤病医院, 口腔医院, 眼科医院, 精神病医院, 传染病医院, 肿瘤医院), 社区卫生服务中心,
卫生院 and 诊所 (some with ``healthcare:speciality``), elderly-care homes
(``amenity=social_facility`` + ``social_facility=nursing_home``: 养老院, 敬老院),
kindergartens (``amenity=kindergarten``, 幼儿园) and childcare (``amenity=childcare``,
托育). The first facility of each category lies inside the Qinzhou boundary, and
every urban centre inside it has a general hospital (人民医院) in its central tile, as
every Chinese county seat has its 县人民医院. Place names are invented.

The file is written in one streaming pass per object type (nodes sorted by
id, then ways, then relations, as in a Geofabrik extract); nothing
proportional to the node count is held in memory. The output is the same for
the same ``--nodes`` and ``--seed``.

Usage::

    .venv/bin/python bench/make_province.py OUT.osm.pbf [--nodes 5000000] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QINZHOU = ROOT / "data" / "china" / "boundaries_qinzhou.geojson"

LABEL = "SYNTHETIC"
GENERATOR = "siting bench/make_province.py: SYNTHETIC test data, not OpenStreetMap, not Qinzhou"
NOTE = "SYNTHETIC test data (siting bench/make_province.py), not a real facility"
EXTRACT_DATE = "2001-01-01T00:00:00Z"  # obviously not a real extract's date

REGION = (107.60, 21.20, 110.40, 23.00)  # west, south, east, north: the Qinzhou boundary and well beyond
# Density peaks (lon, lat, radius km, peak): the four urban areas inside the boundary and four
# cities outside it, where real cities are, so that the share of nodes inside the boundary is plausible.
CENTRES = [
    (108.63, 21.97, 14.0, 1.0), (108.62, 21.70, 6.5, 0.8), (109.29, 22.42, 6.5, 0.9), (109.55, 22.27, 6.0, 0.9),
    (108.34, 22.82, 20.0, 1.0), (109.12, 21.48, 12.0, 0.95), (108.35, 21.69, 6.5, 0.85), (110.15, 22.63, 10.0, 0.95),
]
TOWNS = 160  # seeded small towns (radius 2-5 km)
# Street spacing (lattice steps) by density: the first level whose threshold the density reaches.
LEVELS = [(0.70, 2), (0.45, 4), (0.25, 8), (0.10, 16)]  # below 0.10: tile edges only
TARGET_TILE_M = 2_500.0
JITTER = 0.3  # node jitter, share of lattice_m
URBAN_CLASSES = [("residential", 0.52), ("service", 0.12), ("unclassified", 0.06), ("footway", 0.18),
                 ("living_street", 0.04), ("steps", 0.02), ("pedestrian", 0.02), ("tertiary", 0.04)]
RURAL_CLASSES = [("residential", 0.55), ("unclassified", 0.35), ("service", 0.10)]
MAXSPEEDS = ["30", "40", "50", "60", "30 mph", "CN:urban"]
BUILDING_SHARE = {2: 0.30, 4: 0.40, 8: 0.35, 16: 0.15}  # share of blocks with a building, by street spacing

# Facility categories: (key, base count at 5M street nodes, tags, name patterns, healthcare:speciality or "").
HOSPITAL = {"amenity": "hospital", "healthcare": "hospital"}
CLINIC = {"amenity": "clinic", "healthcare": "clinic"}
NURSING = {"amenity": "social_facility", "social_facility": "nursing_home", "social_facility:for": "senior"}
FACILITIES: list[tuple[str, int, dict[str, str], list[str], str]] = [
    ("人民医院", 10, HOSPITAL, ["滨湾市第{n}人民医院", "{p}县人民医院"], ""),
    ("中医医院", 5, HOSPITAL, ["滨湾市中医医院", "{p}县中医医院"], ""),
    ("中西医结合医院", 2, HOSPITAL, ["{p}中西医结合医院"], ""),
    ("妇幼保健院", 5, HOSPITAL, ["滨湾市妇幼保健院", "{p}县妇幼保健院"], "gynaecology;paediatrics"),
    ("皮肤病医院", 2, HOSPITAL, ["{p}皮肤病医院"], "dermatology"),
    ("口腔医院", 3, HOSPITAL, ["{p}口腔医院"], "dentistry"),
    ("眼科医院", 3, HOSPITAL, ["{p}眼科医院"], "ophthalmology"),
    ("精神病医院", 2, HOSPITAL, ["{p}精神病医院"], "psychiatry"),
    ("传染病医院", 1, HOSPITAL, ["{p}传染病医院"], "infectious_diseases"),
    ("肿瘤医院", 1, HOSPITAL, ["{p}肿瘤医院"], "oncology"),
    ("社区卫生服务中心", 30, CLINIC, ["{p}街道社区卫生服务中心"], ""),
    ("卫生院", 60, HOSPITAL, ["{p}镇卫生院", "{p}镇中心卫生院"], ""),
    ("诊所", 200, CLINIC, ["{p}社区诊所", "{p}{s}氏诊所"], ""),
    ("养老院", 40, NURSING, ["{p}养老院", "{p}颐养院"], ""),
    ("敬老院", 60, NURSING, ["{p}镇敬老院"], ""),
    ("幼儿园", 300, {"amenity": "kindergarten"}, ["{p}幼儿园", "{p}中心幼儿园"], ""),
    ("托育", 60, {"amenity": "childcare"}, ["{p}托育中心", "{p}婴幼儿托育园"], ""),
]
PLACES = ["青禾", "石湾", "云岭", "沙坪", "北岸", "新圩", "东塘", "平岭", "那禾", "大垌", "西埇", "南坡",
          "丰源", "白岭", "龙湾", "长坳", "竹岗", "梅溪", "金穗", "松涛", "桂川", "榕湾", "荷塘", "枫岭"]
SURNAMES = ["黄", "李", "陈", "梁", "刘", "韦", "覃", "张", "林", "莫"]
METRES_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class Layout:
    """Where the streets go: the lattice and each tile's street spacing (in lattice steps)."""

    lattice_m: float
    tile: int
    levels: np.ndarray  # (tile rows, tile columns)
    seed: int

    @property
    def width(self) -> int:
        """Lattice points per row."""
        return self.levels.shape[1] * self.tile + 1

    @property
    def height(self) -> int:
        """Lattice rows."""
        return self.levels.shape[0] * self.tile + 1

    def lonlat(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 coordinates of lattice points (row ``i``, column ``j``), jittered by a hash of (i, j)."""
        amp = JITTER * self.lattice_m
        x = j * self.lattice_m + (2 * _unit_hash(i, j, self.seed, 1) - 1) * amp
        y = i * self.lattice_m + (2 * _unit_hash(i, j, self.seed, 2) - 1) * amp
        return REGION[0] + x / _metres_per_deg_lon(), REGION[1] + y / METRES_PER_DEG_LAT


def _metres_per_deg_lon() -> float:
    return METRES_PER_DEG_LAT * math.cos(math.radians((REGION[1] + REGION[3]) / 2))


def _unit_hash(i: np.ndarray, j: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """Uniform [0, 1) numbers from (i, j, seed, salt): splitmix64 on a mix of the keys."""
    x = (np.asarray(i, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (
        np.asarray(j, dtype=np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    ) ^ np.uint64((seed * 1_000_003 + salt) & 0xFFFFFFFF)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


# ------------------------------------------------------------------ layout


def density(lon: np.ndarray, lat: np.ndarray, seed: int) -> np.ndarray:
    """Urban density in [0, 1]: the highest of the Gaussian peaks of ``CENTRES`` and the seeded towns."""
    rng = np.random.default_rng([seed, 7])
    towns = np.column_stack([
        rng.uniform(REGION[0], REGION[2], TOWNS), rng.uniform(REGION[1], REGION[3], TOWNS),
        rng.uniform(2.0, 5.0, TOWNS), rng.uniform(0.35, 0.8, TOWNS),
    ])
    peaks = np.vstack([np.asarray(CENTRES), towns])
    kx, ky = _metres_per_deg_lon() / 1000, METRES_PER_DEG_LAT / 1000
    u = np.zeros(np.shape(lon))
    for plon, plat, radius, peak in peaks:
        d2 = ((lon - plon) * kx) ** 2 + ((lat - plat) * ky) ** 2
        u = np.maximum(u, peak * np.exp(-d2 / radius**2))
    return u


def layout_for(lattice_m: float, seed: int) -> Layout:
    """The tiles and their street spacing for a given lattice step."""
    width_m = (REGION[2] - REGION[0]) * _metres_per_deg_lon()
    height_m = (REGION[3] - REGION[1]) * METRES_PER_DEG_LAT
    # Tiles of about TARGET_TILE_M, but at least 20 across, as a power of two from 4 to 64 steps.
    steps = min(TARGET_TILE_M / lattice_m, width_m / lattice_m / 20)
    tile = int(2 ** min(6, max(2, math.floor(math.log2(max(steps, 1))))))
    cols = max(1, math.ceil(width_m / (tile * lattice_m)))
    rows = max(1, math.ceil(height_m / (tile * lattice_m)))
    centre_x = (np.arange(cols) + 0.5) * tile * lattice_m
    centre_y = (np.arange(rows) + 0.5) * tile * lattice_m
    lon = REGION[0] + centre_x[None, :] / _metres_per_deg_lon()
    lat = REGION[1] + centre_y[:, None] / METRES_PER_DEG_LAT
    u = density(np.broadcast_to(lon, (rows, cols)), np.broadcast_to(lat, (rows, cols)), seed)
    levels = np.full((rows, cols), tile, dtype=np.int64)
    for threshold, spacing in reversed(LEVELS):
        levels[u >= threshold] = min(spacing, tile)
    return Layout(lattice_m, tile, levels, seed)


def line_masks(grid: np.ndarray, k: int, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """Along lattice line ``k`` of ``grid`` (tile spacing, first axis across the lines):
    which points lie on a street along the line, and which on a street crossing it."""
    n = grid.shape[1] * tile + 1
    if k % tile == 0:  # a tile edge: a street everywhere, every point a node
        return np.ones(n, dtype=bool), np.ones(n, dtype=bool)
    spacing = grid[min(k // tile, grid.shape[0] - 1)]
    on = k % spacing == 0
    along = np.empty(n, dtype=bool)
    along[:-1] = np.repeat(on, tile)
    along[-1] = on[-1]
    along[tile:-1:tile] |= on[:-1]  # a point on a tile edge belongs to the tiles on both sides
    per_point = np.append(np.repeat(spacing, tile), spacing[-1])
    across = np.arange(n) % per_point == 0
    return along, across


def count_street_nodes(layout: Layout) -> int:
    """Street nodes the layout gives (every lattice point on a street)."""
    total = 0
    for i in range(layout.height):
        along, across = line_masks(layout.levels, i, layout.tile)
        total += int(np.count_nonzero(along | across))
    return total


def calibrate(nodes: int, seed: int) -> Layout:
    """The layout whose street network has at least ``nodes`` nodes (and not many more)."""
    lattice_m = 40.0
    layout = layout_for(lattice_m, seed)
    count = count_street_nodes(layout)
    for _ in range(8):
        if 1.0 <= count / nodes < 1.02:
            break
        lattice_m *= math.sqrt(count / nodes) * (1.0 if count < nodes else 1.005)
        layout = layout_for(lattice_m, seed)
        count = count_street_nodes(layout)
    while count < nodes:  # never fewer than asked for
        lattice_m *= 0.99
        layout = layout_for(lattice_m, seed)
        count = count_street_nodes(layout)
    return layout


# ------------------------------------------------------------------ streets


def street_node_rows(layout: Layout) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(ids, lon, lat) of the street nodes, row by row, ids ascending."""
    w = layout.width
    cols = np.arange(w, dtype=np.int64)
    for i in range(layout.height):
        along, across = line_masks(layout.levels, i, layout.tile)
        j = cols[along | across]
        lon, lat = layout.lonlat(np.full(len(j), i), j)
        yield i * w + j + 1, lon, lat


def street_ways(layout: Layout) -> Iterator[tuple[list[int], dict[str, str], tuple[int, int]]]:
    """(node ids, tags, (axis, line)) of the street ways: rows (axis 0), then columns (axis 1)."""
    w, tile = layout.width, layout.tile
    for axis, grid in ((0, layout.levels), (1, layout.levels.T)):
        for k in range(grid.shape[0] * tile + 1):
            along, _ = line_masks(grid, k, tile)
            rng = np.random.default_rng([layout.seed, 10 + axis, k])
            spacing = grid[min(k // tile, grid.shape[0] - 1)]
            edges = np.flatnonzero(np.diff(np.concatenate([[0], along.view(np.int8), [0]])))
            for start, stop in zip(edges[0::2], edges[1::2] - 1):  # inclusive runs of street points
                pos = int(start)
                while pos < stop:
                    s = int(spacing[min(pos // tile, len(spacing) - 1)])
                    low, high = (4, 30) if s <= 8 else (20, 150)
                    end = min(pos + int(rng.integers(low, high)), int(stop))
                    pts = np.arange(pos, end + 1, dtype=np.int64)
                    ids = pts * w + k + 1 if axis else k * w + pts + 1
                    yield ids.tolist(), street_tags(rng, k, s, tile), (axis, k)
                    pos = end


def street_tags(rng: np.random.Generator, k: int, spacing: int, tile: int) -> dict[str, str]:
    """Tags of a street on lattice line ``k`` in a tile with street ``spacing``."""
    if k % tile == 0:  # the regional grid
        n = k // tile
        highway = ("trunk" if n % 8 == 0 else "primary" if n % 4 == 0 else "secondary" if n % 2 == 0
                   else "tertiary" if spacing < tile else "unclassified")
    elif spacing <= 8 and k % (4 * spacing) == 0:
        highway = "tertiary"
    else:
        classes = URBAN_CLASSES if spacing <= 8 else RURAL_CLASSES
        shares = np.array([share for _, share in classes])
        highway = classes[int(rng.choice(len(classes), p=shares / shares.sum()))][0]
    tags = {"highway": highway}
    if highway in ("trunk", "primary", "secondary", "tertiary", "residential") and rng.random() < 0.4:
        tags["maxspeed"] = "80" if highway == "trunk" else str(rng.choice(MAXSPEEDS))
    if highway in ("residential", "tertiary", "secondary") and rng.random() < 0.1:
        tags["oneway"] = "yes" if rng.random() < 0.8 else "-1"
    if highway == "service" and rng.random() < 0.2:
        tags["service"] = "parking_aisle"
    return tags


# ------------------------------------------------------------------ buildings and land use


def tile_buildings(layout: Layout, r: int, c: int) -> tuple[np.ndarray, np.ndarray, list[dict[str, str]]]:
    """Buildings of tile (r, c): corner lon and lat, shape (n, 4), and tags; the same on every call."""
    s = int(layout.levels[r, c])
    if s not in BUILDING_SHARE or s >= layout.tile:
        return np.zeros((0, 4)), np.zeros((0, 4)), []
    rng = np.random.default_rng([layout.seed, 20, r, c])
    per_side = layout.tile // s
    bi, bj = np.divmod(np.flatnonzero(rng.random(per_side * per_side) < BUILDING_SHARE[s]), per_side)
    n = len(bi)
    block = s * layout.lattice_m
    size = rng.uniform(0.25, 0.5, (n, 2)) * block
    room = block * 0.8 - size  # 10 % margins on each side keep buildings off the (jittered) streets
    x0 = (c * layout.tile + bj * s) * layout.lattice_m + 0.1 * block + rng.uniform(0, 1, n) * room[:, 0]
    y0 = (r * layout.tile + bi * s) * layout.lattice_m + 0.1 * block + rng.uniform(0, 1, n) * room[:, 1]
    xs = np.column_stack([x0, x0 + size[:, 0], x0 + size[:, 0], x0])
    ys = np.column_stack([y0, y0, y0 + size[:, 1], y0 + size[:, 1]])
    lon = REGION[0] + xs / _metres_per_deg_lon()
    lat = REGION[1] + ys / METRES_PER_DEG_LAT
    low, high = {2: (8, 34), 4: (5, 19), 8: (2, 8), 16: (1, 4)}[s]
    levels = rng.integers(low, high, n)
    kinds = rng.random(n)
    tags = []
    for level, kind in zip(levels.tolist(), kinds.tolist()):
        if kind < 0.12:
            tags.append({"building": "yes"})  # untyped; residential only inside landuse=residential
        else:
            building = "apartments" if s <= 4 else ("house" if kind < 0.6 else "residential")
            tags.append({"building": building, "building:levels": str(level)})
    return lon, lat, tags


def tile_landuse(layout: Layout, r: int, c: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``landuse=residential`` polygon of an urban tile (corner lon, lat), or None."""
    if layout.levels[r, c] > 8 or layout.levels[r, c] >= layout.tile or _unit_hash(np.array([r]), np.array([c]), layout.seed, 30)[0] < 0.4:
        return None
    t = layout.tile * layout.lattice_m
    x = np.array([0.05, 0.95, 0.95, 0.05]) * t + c * t
    y = np.array([0.05, 0.05, 0.95, 0.95]) * t + r * t
    return REGION[0] + x / _metres_per_deg_lon(), REGION[1] + y / METRES_PER_DEG_LAT


# ------------------------------------------------------------------ facilities


@dataclass
class Facility:
    """A facility: a point, or (``area``) a small square around it."""

    category: str
    lon: float
    lat: float
    tags: dict[str, str]
    area: bool


def facilities(layout: Layout, nodes: int, boundary: Any) -> list[Facility]:
    """The facilities; the first of each category inside ``boundary`` (a shapely polygon, WGS84), and
    a general hospital in the central tile of every urban centre (``CENTRES``) inside it."""
    import shapely

    rng = np.random.default_rng([layout.seed, 40])
    weight = {2: 8.0, 4: 4.0, 8: 2.0, 16: 1.0}
    w = np.vectorize(lambda s: weight.get(int(s), 0.05))(layout.levels).ravel()
    tile_m = layout.tile * layout.lattice_m
    centres = np.argwhere(np.ones_like(layout.levels, dtype=bool))
    clon = REGION[0] + (centres[:, 1] + 0.5) * tile_m / _metres_per_deg_lon()
    clat = REGION[1] + (centres[:, 0] + 0.5) * tile_m / METRES_PER_DEG_LAT
    inside_w = np.where(shapely.contains_xy(boundary, clon, clat), w, 0.0)
    seats = []  # one-hot tile weights of the urban centres inside the boundary
    for lon, lat, _, _ in CENTRES:
        if shapely.contains_xy(boundary, lon, lat):
            one = np.zeros_like(w)
            r = int((lat - REGION[1]) * METRES_PER_DEG_LAT // tile_m)
            c = int((lon - REGION[0]) * _metres_per_deg_lon() // tile_m)
            one[r * layout.levels.shape[1] + c] = 1.0
            seats.append(one)
    out = []
    for category, base, tags, patterns, speciality in FACILITIES:
        count = max(1, round(base * nodes / 5_000_000))
        if category == "人民医院":
            count = max(count, len(seats))
        for n in range(count):
            at = seats[n] if category == "人民医院" and n < len(seats) else inside_w if n == 0 else w
            lon, lat = _facility_point(layout, rng, at, boundary if n == 0 else None)
            name = str(rng.choice(patterns)).format(n=n + 1, p=rng.choice(PLACES), s=rng.choice(SURNAMES))
            ftags = dict(tags, name=name, note=NOTE)
            ftags["name:zh"] = name
            if speciality and n % 2 == 0:  # every other specialist hospital says so in a tag
                ftags["healthcare:speciality"] = speciality
            if tags is HOSPITAL and rng.random() < 0.3:
                del ftags["healthcare"]  # many Chinese hospitals carry amenity=hospital only
            if category in ("人民医院", "中医医院", "妇幼保健院") and rng.random() < 0.6:
                ftags["beds"] = str(int(rng.integers(3, 16)) * 100)
            if tags is NURSING or category in ("幼儿园", "托育"):
                if rng.random() < 0.5:
                    ftags["capacity"] = str(int(rng.integers(3, 30)) * 10)
            area = n % 3 == 0 if tags is HOSPITAL else bool(rng.random() < 0.15)  # a campus or a point
            out.append(Facility(category, lon, lat, ftags, area))
    return out


def _facility_point(layout: Layout, rng: np.random.Generator, weights: np.ndarray,
                    inside: Any) -> tuple[float, float]:
    """A point in the middle of a block of a tile drawn by ``weights`` (and inside ``inside``, if given)."""
    import shapely

    for _ in range(1000):
        r, c = divmod(int(rng.choice(len(weights), p=weights / weights.sum())), layout.levels.shape[1])
        s = int(layout.levels[r, c])
        bi, bj = rng.integers(0, max(layout.tile // s, 1), 2)
        y = (r * layout.tile + (bi + 0.5) * s) * layout.lattice_m
        x = (c * layout.tile + (bj + 0.5) * s) * layout.lattice_m
        lon, lat = REGION[0] + x / _metres_per_deg_lon(), REGION[1] + y / METRES_PER_DEG_LAT
        if inside is None or shapely.contains_xy(inside, lon, lat):
            return float(lon), float(lat)
    raise RuntimeError("could not place a facility inside the boundary")


def category_of_name(name: str) -> str | None:
    """The category (a key of ``FACILITIES``) whose name patterns wrote ``name``; None for another name.

    For tests: what the generator wrote, known from its own list, not from siting's classifier.
    """
    for category, _, _, patterns, _ in FACILITIES:
        for pattern in patterns:
            regex = re.escape(pattern).replace(r"\{n\}", r"\d+").replace(
                r"\{p\}", "(?:" + "|".join(PLACES) + ")").replace(r"\{s\}", "(?:" + "|".join(SURNAMES) + ")")
            if re.fullmatch(regex, name):
                return category
    return None


# ------------------------------------------------------------------ writing


def write_province(path: str | Path, nodes: int = 5_000_000, seed: int = 0,
                   boundary: str | Path = QINZHOU) -> dict[str, Any]:
    """Write the SYNTHETIC province to ``path`` (``.osm.pbf``) and its sidecar ``<path>.json``.

    Parameters
    ----------
    nodes
        Street nodes wanted (at least this many are written; buildings and facilities add more).
    seed
        Everything random (towns, classes, jitter, buildings, facilities) follows from it.
    boundary
        GeoJSON of the city whose boundary gets the first facility of each category (feature 450700).

    Returns
    -------
    dict
        The sidecar's content: counts of nodes, ways and relations, facilities by category, the layout.
    """
    import osmium

    from siting.io import write_json
    from siting.osm.fetch import load_boundary

    start = time.perf_counter()
    layout = calibrate(nodes, seed)
    city = load_boundary(boundary, adcode="450700")
    facs = facilities(layout, nodes, city)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp.osm.pbf")
    header = osmium.io.Header()
    header.set("generator", GENERATOR)
    header.set("osmosis_replication_timestamp", EXTRACT_DATE)
    header.add_box(osmium.osm.Box(osmium.osm.Location(REGION[0], REGION[1]), osmium.osm.Location(REGION[2], REGION[3])))
    try:
        with osmium.SimpleWriter(str(tmp), header=header, overwrite=True) as writer:
            counts = _write_objects(writer, layout, facs)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    by_category: dict[str, int] = {}
    for f in facs:
        by_category[f.category] = by_category.get(f.category, 0) + 1
    meta = {
        "SYNTHETIC": True,
        "label": f"{LABEL}: generated test data, not OpenStreetMap; its figures are not Qinzhou's",
        "generator": GENERATOR,
        "file": target.name,
        "seed": seed,
        "nodes_requested": nodes,
        **counts,
        "facilities": by_category,
        "lattice_m": round(layout.lattice_m, 3),
        "tile_steps": layout.tile,
        "region_wgs84": list(REGION),
        "header_extract_date": EXTRACT_DATE,
        "seconds": round(time.perf_counter() - start, 1),
    }
    write_json(target.with_name(target.name + ".json"), meta)
    return meta


def _write_objects(writer: Any, layout: Layout, facs: list[Facility]) -> dict[str, int]:
    """Nodes (streets, buildings, land use, facilities), then ways, then relations, ids ascending."""
    from osmium.osm.mutable import Node, Relation, Way

    street_nodes = 0
    for ids, lon, lat in street_node_rows(layout):
        for k, x, y in zip(ids.tolist(), lon.tolist(), lat.tolist()):
            writer.add_node(Node(id=k, version=1, location=(x, y)))
        street_nodes += len(ids)
    next_id = layout.width * layout.height + 1
    first_extra = next_id
    for lon4, lat4 in _polygons(layout, facs):
        for x, y in zip(lon4, lat4):
            writer.add_node(Node(id=next_id, version=1, location=(x, y)))
            next_id += 1
    for f in facs:
        if not f.area:
            writer.add_node(Node(id=next_id, version=1, location=(f.lon, f.lat), tags=f.tags))
            next_id += 1

    way_id = 0
    trunks: dict[tuple[int, int], list[int]] = {}  # (axis, line) -> ways of a trunk road
    for refs, tags, line in street_ways(layout):
        way_id += 1
        writer.add_way(Way(id=way_id, version=1, nodes=refs, tags=tags))
        if tags["highway"] == "trunk":
            trunks.setdefault(line, []).append(way_id)
    street_ways_n = way_id
    node = first_extra
    buildings = 0
    for tags in _polygon_tags(layout, facs):
        way_id += 1
        writer.add_way(Way(id=way_id, version=1, nodes=[node, node + 1, node + 2, node + 3, node], tags=tags))
        node += 4
        buildings += "building" in tags and "amenity" not in tags
    relations = 0
    for (axis, _), members in sorted(trunks.items()):
        relations += 1
        ref = f"S{100 + relations}"
        writer.add_relation(Relation(id=relations, version=1, members=[("w", m, "") for m in members],
                                     tags={"type": "route", "route": "road", "ref": ref,
                                           "name": f"{'南北' if axis else '东西'}干线 {ref}"}))
    return {"street_nodes": street_nodes, "nodes": next_id - first_extra + street_nodes,
            "street_ways": street_ways_n, "ways": way_id, "buildings": buildings, "relations": relations}


def _polygons(layout: Layout, facs: list[Facility]) -> Iterator[tuple[list[float], list[float]]]:
    """Corner coordinates of every closed way: buildings and land use tile by tile, then facility areas."""
    rows, cols = layout.levels.shape
    for r in range(rows):
        for c in range(cols):
            lon, lat, _ = tile_buildings(layout, r, c)
            for k in range(len(lon)):
                yield lon[k].tolist(), lat[k].tolist()
            landuse = tile_landuse(layout, r, c)
            if landuse is not None:
                yield landuse[0].tolist(), landuse[1].tolist()
    dx, dy = 0.3 * layout.lattice_m / _metres_per_deg_lon(), 0.3 * layout.lattice_m / METRES_PER_DEG_LAT
    for f in facs:
        if f.area:
            yield [f.lon - dx, f.lon + dx, f.lon + dx, f.lon - dx], [f.lat - dy, f.lat - dy, f.lat + dy, f.lat + dy]


def _polygon_tags(layout: Layout, facs: list[Facility]) -> Iterator[dict[str, str]]:
    """Tags of the closed ways of :func:`_polygons`, in the same order."""
    rows, cols = layout.levels.shape
    for r in range(rows):
        for c in range(cols):
            yield from tile_buildings(layout, r, c)[2]
            if tile_landuse(layout, r, c) is not None:
                yield {"landuse": "residential"}
    for f in facs:
        if f.area:
            yield dict(f.tags, building="hospital" if f.tags.get("amenity") == "hospital" else "yes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="output file (.osm.pbf)")
    parser.add_argument("--nodes", type=int, default=5_000_000, help="street nodes wanted (at least)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    meta = write_province(args.out, args.nodes, args.seed)
    print(f"wrote {args.out} ({LABEL}): {meta['nodes']:,} nodes ({meta['street_nodes']:,} on streets), "
          f"{meta['ways']:,} ways ({meta['buildings']:,} buildings), {meta['relations']} relations, "
          f"{sum(meta['facilities'].values())} facilities; lattice {meta['lattice_m']} m; {meta['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
