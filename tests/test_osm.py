"""Tests for siting.osm.reader: reading highway ways with their node locations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import convert_osm, write_osm_xml

from siting.errors import InputError
from siting.osm.reader import is_osm_file, read_highways

NODES = {1: (7.0, 45.0), 2: (7.001, 45.0), 3: (7.002, 45.0), 5: (7.004, 45.0), 6: (7.005, 45.0), 7: (7.006, 45.0)}
WAYS = [
    (10, [1, 2, 3], {"highway": "residential", "name": "Rue A", "surface": "asphalt", "maxspeed": "30"}),
    (11, [3, 4, 5, 6, 7], {"highway": "footway"}),  # node 4 is not in the file
    (12, [1, 3], {"waterway": "canal"}),
    (13, [7, 99], {"highway": "service"}),  # only one located node: nothing usable
]


def test_read_hand_built(tmp_path: Path) -> None:
    ways = read_highways(write_osm_xml(tmp_path / "a.osm", NODES, WAYS))
    # Way 11 is split where its node leaves the extract; way 12 is not a highway; way 13 is too short.
    assert ways.way_id.tolist() == [10, 11]
    assert ways.offsets.tolist() == [0, 3, 6]
    assert ways.refs.tolist() == [1, 2, 3, 5, 6, 7]
    assert np.allclose(ways.lon, [NODES[r][0] for r in ways.refs.tolist()])
    assert np.allclose(ways.lat, [45.0] * 6)
    # Only the tags the network builder needs are kept.
    assert ways.tags[0] == {"highway": "residential", "name": "Rue A", "maxspeed": "30"}
    assert ways.tags[1] == {"highway": "footway"}


def test_piece_split(tmp_path: Path) -> None:
    # Way 11 loses node 4: the piece 3-4 has a single located node and is dropped; 5-6-7 is kept.
    ways = read_highways(write_osm_xml(tmp_path / "a.osm", NODES, WAYS))
    assert len(ways.offsets) == 3 and ways.offsets[2] - ways.offsets[1] == 3
    many = WAYS + [(14, [1, 2, 4, 5, 6], {"highway": "path"})]
    ways = read_highways(write_osm_xml(tmp_path / "b.osm", NODES, many))
    # Way 14 becomes two pieces, 1-2 and 5-6, both with its id.
    assert ways.way_id.tolist() == [10, 11, 14, 14]
    assert ways.refs[ways.offsets[2] : ways.offsets[4]].tolist() == [1, 2, 5, 6]


def test_monaco_against_pyosmium(monaco_pbf: Path) -> None:
    import osmium

    ways = read_highways(monaco_pbf)
    # Independently: each highway way, cut into runs of located nodes, runs of 2+ nodes kept.
    expected: list[tuple[int, list[int]]] = []
    whole = 0
    fp = osmium.FileProcessor(str(monaco_pbf), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in fp:
        if isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
            runs: list[list[int]] = [[]]
            for nd in obj.nodes:
                if nd.location.valid():
                    runs[-1].append(nd.ref)
                else:
                    runs.append([])
            expected += [(obj.id, r) for r in runs if len(r) >= 2]
            whole += len(runs) == 1 and len(runs[0]) >= 2
    got = [
        (int(w), ways.refs[a:b].tolist())
        for w, a, b in zip(ways.way_id, ways.offsets[:-1], ways.offsets[1:])
    ]
    assert got == expected
    assert whole > 2000 and len(expected) >= whole
    assert ways.timestamp == "2023-12-26T21:21:22Z"
    assert ways.bbox == pytest.approx((7.409205, 43.72335, 7.448637, 43.75169), abs=1e-7)


def test_xml_and_pbf_read_alike(monaco_pbf: Path, monaco_xml: Path) -> None:
    a, b = read_highways(monaco_pbf), read_highways(monaco_xml)
    for name in ("way_id", "offsets", "refs", "lon", "lat"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.tags == b.tags


def test_bz2(oakland_bz2: Path, tmp_path: Path) -> None:
    a = read_highways(oakland_bz2)
    b = read_highways(convert_osm(oakland_bz2, tmp_path / "o.osm.pbf"))
    assert len(a.way_id) > 20
    assert np.array_equal(a.refs, b.refs) and a.tags == b.tags


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_highways(tmp_path / "x.osm.pbf")
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty") as err:
        read_highways(empty)
    assert str(empty) in str(err.value)
    junk = tmp_path / "junk.osm"
    junk.write_text("<osm><node id='1' lat='x'")
    with pytest.raises(InputError, match="cannot read") as err:
        read_highways(junk)
    assert str(junk) in str(err.value)


def test_is_osm_file() -> None:
    for name in ("a.osm.pbf", "A.PBF", "x.osm", "x.osm.bz2", "x.osm.gz", "x.o5m", "x.opl"):
        assert is_osm_file(name), name
    for name in ("x.graphml", "Monaco", "x.csv", "x.npz"):
        assert not is_osm_file(name), name
