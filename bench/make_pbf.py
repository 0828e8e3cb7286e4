"""Generate a synthetic city as an OSM PBF file, for benchmarking network builds.

No OSM extract with a million walkable edges is available offline, so this
writes one with pyosmium's writer: a jittered street grid (about 80 m blocks)
whose rows and columns are cut into ways of a few blocks each, with a realistic
mix of highway classes and tags (one-ways, ``maxspeed`` values, footways,
steps), some missing blocks and some diagonal footpaths.

Usage::

    .venv/bin/python bench/make_pbf.py OUT.osm.pbf [--edges 1000000] [--seed 0]

``--edges`` is the target number of directed walk edges (each two-way street
segment is two edges).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

# Highway classes with their share of street ways, and the tags they may carry.
CLASSES = [
    ("residential", 0.50),
    ("tertiary", 0.12),
    ("secondary", 0.08),
    ("primary", 0.05),
    ("service", 0.08),
    ("unclassified", 0.05),
    ("footway", 0.08),
    ("living_street", 0.02),
    ("steps", 0.02),
]
MAXSPEEDS = ["30", "40", "50", "60", "30 mph", "CN:urban"]
CENTRE = (108.62, 21.95)  # Qinzhou, Guangxi
BLOCK_M = 80.0
JITTER_M = 12.0
WAY_BLOCKS = (2, 9)  # a way spans this many blocks (inclusive range)
DROP_SHARE = 0.04  # missing blocks
DIAGONAL_SHARE = 0.04  # blocks with a diagonal footpath


def grid_side(edges: int) -> int:
    """Grid side giving about ``edges`` directed walk edges (2 per segment, ~2 side² segments)."""
    segments = edges / 2 / (1 - DROP_SHARE + DIAGONAL_SHARE / 2)
    return int(math.ceil(math.sqrt(segments / 2))) + 1


def write_city(path: str | Path, edges: int = 1_000_000, seed: int = 0) -> dict[str, int]:
    """Write the synthetic city to ``path`` (any format pyosmium writes, by suffix).

    Returns
    -------
    dict
        Counts of nodes, ways and street segments written.
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    rng = np.random.default_rng(seed)
    side = grid_side(edges)
    lon0, lat0 = CENTRE
    m_per_deg_lat = 111_320.0
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(lat0))
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = (jj - side / 2) * BLOCK_M + rng.uniform(-JITTER_M, JITTER_M, ii.shape)
    y = (ii - side / 2) * BLOCK_M + rng.uniform(-JITTER_M, JITTER_M, ii.shape)
    lon = lon0 + x / m_per_deg_lon
    lat = lat0 + y / m_per_deg_lat

    def node_id(i: int, j: int) -> int:
        return 1 + i * side + j

    classes = [c for c, _ in CLASSES]
    shares = np.array([s for _, s in CLASSES])
    shares /= shares.sum()
    ways: list[tuple[list[int], dict[str, str]]] = []

    def street_ways(cells: list[tuple[int, int]]) -> None:
        """Cut one grid line into ways, leaving out dropped blocks."""
        k = 0
        while k < len(cells) - 1:
            span = int(rng.integers(WAY_BLOCKS[0], WAY_BLOCKS[1] + 1))
            refs = [node_id(*cells[k])]
            for step in range(span):
                if k + step + 1 >= len(cells):
                    break
                if rng.random() < DROP_SHARE:
                    break
                refs.append(node_id(*cells[k + step + 1]))
            k += max(len(refs) - 1, 1)
            if len(refs) < 2:
                continue
            highway = str(rng.choice(classes, p=shares))
            tags = {"highway": highway}
            if highway in ("primary", "secondary", "tertiary", "residential") and rng.random() < 0.4:
                tags["maxspeed"] = str(rng.choice(MAXSPEEDS))
            if highway in ("residential", "tertiary", "secondary") and rng.random() < 0.1:
                tags["oneway"] = "yes" if rng.random() < 0.8 else "-1"
            if highway == "service" and rng.random() < 0.2:
                tags["service"] = "parking_aisle"
            ways.append((refs, tags))

    for i in range(side):
        street_ways([(i, j) for j in range(side)])
    for j in range(side):
        street_ways([(i, j) for i in range(side)])
    diagonal = np.argwhere(rng.random((side - 1, side - 1)) < DIAGONAL_SHARE)
    for i, j in diagonal.tolist():
        ways.append(([node_id(i, j), node_id(i + 1, j + 1)], {"highway": "footway"}))

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{''.join(target.suffixes)}")
    tmp.unlink(missing_ok=True)
    header = osmium.io.Header()
    header.set("generator", "siting bench/make_pbf.py")
    header.add_box(
        osmium.osm.Box(
            osmium.osm.Location(float(lon.min()), float(lat.min())),
            osmium.osm.Location(float(lon.max()), float(lat.max())),
        )
    )
    with osmium.SimpleWriter(str(tmp), header=header) as writer:
        flat_lon, flat_lat = lon.ravel().tolist(), lat.ravel().tolist()
        for k in range(side * side):
            writer.add_node(Node(id=k + 1, version=1, location=(flat_lon[k], flat_lat[k])))
        for w, (refs, tags) in enumerate(ways):
            writer.add_way(Way(id=w + 1, version=1, nodes=refs, tags=tags))
    tmp.replace(target)
    segments = sum(len(r) - 1 for r, _ in ways)
    return {"nodes": side * side, "ways": len(ways), "segments": segments}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="output file (.osm.pbf, or .osm for XML)")
    parser.add_argument("--edges", type=int, default=1_000_000, help="target number of directed walk edges")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = write_city(args.out, args.edges, args.seed)
    print(
        f"wrote {args.out}: {counts['nodes']:,} nodes, {counts['ways']:,} ways, "
        f"{counts['segments']:,} segments in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
