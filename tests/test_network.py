"""Tests for siting.network.build: which ways each mode uses, travel times, components, formats, cache.

Expected values are worked out by hand from small OSM files written here, or
cross-checked against osmnx on the real Monaco extract.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import convert_osm, haversine, write_osm_xml

from siting.errors import InputError, SitingError
from siting.network import RoadNetwork, load_network
from siting.network.speeds import SpeedProfile

ARRAYS = ("node_osmid", "lon", "lat", "x", "y", "u", "v", "length_m", "time_s", "highway", "way_id")

# A small town: node id -> (lon, lat), about 80-110 m apart.
NODES = {
    1: (7.000, 45.000),
    2: (7.001, 45.000),
    3: (7.002, 45.000),
    4: (7.002, 45.001),
    5: (7.003, 45.001),
    6: (7.003, 45.002),
    7: (7.000, 45.001),
    8: (7.000, 45.002),
    9: (7.001, 45.002),
    10: (6.999, 45.000),
    11: (7.001, 45.001),
    12: (7.002, 45.002),
}
WAYS = [
    (101, [1, 2], {"highway": "residential"}),
    (102, [2, 3], {"highway": "residential", "oneway": "yes", "maxspeed": "30 mph"}),
    (103, [3, 4], {"highway": "residential", "oneway": "-1", "maxspeed": "50"}),
    (104, [4, 5, 6, 4], {"highway": "tertiary", "junction": "roundabout"}),
    (105, [1, 7], {"highway": "steps"}),
    (106, [7, 8], {"highway": "footway"}),
    (107, [8, 9], {"highway": "motorway"}),
    (108, [1, 10], {"highway": "residential", "access": "private"}),
    (109, [2, 11], {"highway": "residential", "foot": "no"}),
    (110, [9, 12], {"highway": "primary", "maxspeed": "none"}),
    (111, [11, 12], {"highway": "cycleway"}),
]
WAY_OF = {}
for _wid, _refs, _tags in WAYS:
    for _a, _b in zip(_refs[:-1], _refs[1:]):
        WAY_OF[(_a, _b)] = WAY_OF[(_b, _a)] = (_wid, _tags["highway"])

MPH = 1.609344
# Directed edges each mode must have, with their speed in km/h (worked out from the tags).
EXPECTED: dict[str, dict[tuple[int, int], float]] = {
    "walk": {
        **{e: 3.6 for a, b in [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 4), (7, 8)] for e in [(a, b), (b, a)]},
        (1, 7): 1.8,  # steps at half speed
        (7, 1): 1.8,
        # not 107 (motorway), 108 (private), 109 (foot=no), 111 (cycleway)
        (9, 12): 3.6,
        (12, 9): 3.6,
    },
    "bike": {
        (1, 2): 12.0,
        (2, 1): 12.0,
        (2, 3): 12.0,  # oneway=yes
        (4, 3): 12.0,  # oneway=-1
        (4, 5): 12.0,  # roundabout: way direction only
        (5, 6): 12.0,
        (6, 4): 12.0,
        (2, 11): 12.0,
        (11, 2): 12.0,
        (9, 12): 12.0,
        (12, 9): 12.0,
        (11, 12): 12.0,
        (12, 11): 12.0,
    },
    "drive": {
        (1, 2): 30.0,  # residential default
        (2, 1): 30.0,
        (2, 3): 30 * MPH,
        (4, 3): 50.0,
        (4, 5): 40.0,  # tertiary default
        (5, 6): 40.0,
        (6, 4): 40.0,
        (8, 9): 100.0,  # motorway default, no oneway tag
        (9, 8): 100.0,
        (2, 11): 30.0,
        (11, 2): 30.0,
        (9, 12): 60.0,  # maxspeed=none: primary default
        (12, 9): 60.0,
    },
}


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_osm_xml(tmp_path_factory.mktemp("town") / "town.osm", NODES, WAYS)


def edge_table(net: RoadNetwork) -> dict[tuple[int, int], tuple[float, float, str, int]]:
    """{(osm u, osm v): (length, time, highway, way id)}; fails on parallel edges."""
    table = {}
    for e in range(net.n_edges):
        key = (int(net.node_osmid[net.u[e]]), int(net.node_osmid[net.v[e]]))
        assert key not in table, f"parallel edge {key}"
        table[key] = (float(net.length_m[e]), float(net.time_s[e]), str(net.highway[e]), int(net.way_id[e]))
    return table


@pytest.mark.parametrize("mode", ["walk", "bike", "drive"])
def test_hand_built_edges_and_times(town: Path, mode: str) -> None:
    net = load_network(town, mode, cache=False, strongly_connected=False)
    got = edge_table(net)
    assert set(got) == set(EXPECTED[mode])
    for (a, b), kmh in EXPECTED[mode].items():
        length, time_s, highway, way_id = got[(a, b)]
        expected_len = haversine(*NODES[a], *NODES[b])
        assert length == pytest.approx(expected_len, rel=1e-9)
        assert time_s == pytest.approx(expected_len / (kmh / 3.6), rel=1e-9)
        assert (way_id, highway) == WAY_OF[(a, b)]
    # Node positions are the OSM ones, and every node an edge uses is there.
    for i, osmid in enumerate(net.node_osmid):
        assert (net.lon[i], net.lat[i]) == pytest.approx(NODES[int(osmid)], abs=1e-7)
    assert set(net.node_osmid.tolist()) == {n for e in EXPECTED[mode] for n in e}
    assert net.info["dropped_nodes"] == 0 and net.info["dropped_edges"] == 0


def test_speed_profile_changes_times(town: Path) -> None:
    profile = SpeedProfile(walk_kmh=4.5, steps_factor=0.25)
    got = edge_table(load_network(town, "walk", profile, cache=False, strongly_connected=False))
    steps = haversine(*NODES[1], *NODES[7])
    street = haversine(*NODES[1], *NODES[2])
    assert got[(1, 7)][1] == pytest.approx(steps / (4.5 * 0.25 / 3.6), rel=1e-9)
    assert got[(1, 2)][1] == pytest.approx(street / (4.5 / 3.6), rel=1e-9)
    bike = edge_table(load_network(town, "bike", SpeedProfile(bike_kmh=18.0), cache=False, strongly_connected=False))
    assert bike[(1, 2)][1] == pytest.approx(street / 5.0, rel=1e-9)
    drive = edge_table(
        load_network(
            town, "drive", SpeedProfile(drive_defaults_kmh={"residential": 20.0}), cache=False, strongly_connected=False
        )
    )
    assert drive[(1, 2)][1] == pytest.approx(street / (20 / 3.6), rel=1e-9)
    assert drive[(2, 3)][1] == pytest.approx(haversine(*NODES[2], *NODES[3]) / (30 * MPH / 3.6), rel=1e-9)
    # A class missing from the defaults falls back to 30 km/h.
    assert drive[(4, 5)][1] == pytest.approx(haversine(*NODES[4], *NODES[5]) / (30 / 3.6), rel=1e-9)


def test_largest_strongly_connected_component(tmp_path: Path) -> None:
    nodes = {i: (7.0 + 0.001 * (i % 3), 45.0 + 0.001 * (i // 3)) for i in range(1, 9)}
    ways = [
        (201, [1, 2, 3, 4, 1], {"highway": "residential"}),  # two-way loop: the main component
        (202, [3, 5, 6], {"highway": "residential", "oneway": "yes"}),  # one-way dead end
        (203, [7, 8], {"highway": "residential"}),  # detached two-way street
    ]
    path = write_osm_xml(tmp_path / "island.osm", nodes, ways)
    drive = load_network(path, "drive", cache=False)
    assert sorted(drive.node_osmid.tolist()) == [1, 2, 3, 4]
    assert drive.n_edges == 8
    # 5 and 6 can be reached but not left; 7-8 is a separate street.
    assert drive.info["dropped_nodes"] == 4
    assert drive.info["dropped_edges"] == 4
    assert drive.summary()["dropped_nodes"] == 4
    walk = load_network(path, "walk", cache=False)  # walking ignores one-ways
    assert sorted(walk.node_osmid.tolist()) == [1, 2, 3, 4, 5, 6]
    assert walk.n_edges == 12
    assert (walk.info["dropped_nodes"], walk.info["dropped_edges"]) == (2, 2)
    # The kept graph is strongly connected.
    g = nx.DiGraph(list(zip(drive.u.tolist(), drive.v.tolist())))
    assert nx.is_strongly_connected(g) and len(g) == drive.n_nodes
    kept = load_network(path, "drive", cache=False, strongly_connected=False)
    assert kept.n_nodes == 8 and kept.n_edges == 12 and kept.info["dropped_nodes"] == 0


def assert_same_network(a: RoadNetwork, b: RoadNetwork) -> None:
    assert a.mode == b.mode and a.crs == b.crs
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype.kind == y.dtype.kind, name
        assert np.array_equal(x, y), name


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_pbf_and_xml_give_identical_arrays(monaco_pbf: Path, monaco_xml: Path, tmp_path: Path, mode: str) -> None:
    bz2 = convert_osm(monaco_pbf, tmp_path / "monaco.osm.bz2")
    from_pbf = load_network(monaco_pbf, mode, cache=False)
    assert from_pbf.n_nodes > 1000
    assert_same_network(from_pbf, load_network(monaco_xml, mode, cache=False))
    assert_same_network(from_pbf, load_network(bz2, mode, cache=False))


def test_kotka_and_oakland_formats_agree(kotka_pbf: Path, oakland_bz2: Path, tmp_path: Path) -> None:
    kotka_xml = convert_osm(kotka_pbf, tmp_path / "kotka.osm")
    oakland_pbf = convert_osm(oakland_bz2, tmp_path / "oakland.osm.pbf")
    for mode in ("walk", "drive"):
        assert_same_network(load_network(kotka_pbf, mode, cache=False), load_network(kotka_xml, mode, cache=False))
        assert_same_network(
            load_network(oakland_bz2, mode, cache=False), load_network(oakland_pbf, mode, cache=False)
        )


def test_cache_hit_and_keys(town: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_network(town, "drive", cache_dir=cache)
    assert first.info["cached"] is False
    assert len(list(cache.glob("*.npz"))) == 1
    second = load_network(town, "drive", cache_dir=cache)
    assert second.info["cached"] is True
    assert_same_network(first, second)
    assert second.info["dropped_nodes"] == first.info["dropped_nodes"]
    # Another mode and other speeds are other graphs.
    assert load_network(town, "walk", cache_dir=cache).info["cached"] is False
    assert load_network(town, "walk", SpeedProfile(walk_kmh=4.0), cache_dir=cache).info["cached"] is False
    assert load_network(town, "walk", SpeedProfile(walk_kmh=4.0), cache_dir=cache).info["cached"] is True
    assert load_network(town, "drive", cache_dir=cache, strongly_connected=False).info["cached"] is False
    assert len(list(cache.glob("*.npz"))) == 4
    # The key follows the file's bytes, not its name or time stamp.
    copy = tmp_path / "copy.osm"
    shutil.copyfile(town, copy)
    assert load_network(copy, "drive", cache_dir=cache).info["cached"] is True
    copy.write_text(town.read_text().replace('id="1" version="1" lat="45.0000000"', 'id="1" version="1" lat="45.0002000"'))
    changed = load_network(copy, "drive", cache_dir=cache)
    assert changed.info["cached"] is False
    assert changed.n_edges == first.n_edges and not np.array_equal(changed.time_s, first.time_s)
    # cache=False neither reads nor writes.
    assert load_network(town, "drive", cache=False, cache_dir=cache).info["cached"] is False
    assert len(list(cache.glob("*.npz"))) == 5


def test_saved_npz_round_trip(town: Path, tmp_path: Path) -> None:
    from siting.network.store import save_npz

    net = load_network(town, "walk", cache=False)
    path = save_npz(net, tmp_path / "walk.npz")
    back = load_network(path, "walk", cache=False)
    assert_same_network(net, back)
    assert back.info["dropped_nodes"] == net.info["dropped_nodes"]
    with pytest.raises(InputError, match="'walk', not 'drive'") as err:
        load_network(path, "drive", cache=False)
    assert str(path) in str(err.value)


def test_damaged_cache_entry_is_rebuilt(town: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_network(town, "drive", cache_dir=cache)
    (entry,) = cache.glob("*.npz")
    entry.write_bytes(b"not a zip file")
    again = load_network(town, "drive", cache_dir=cache)
    assert again.info["cached"] is False
    assert_same_network(first, again)


def _path_times(g: nx.DiGraph, sources: list[int]) -> list[dict[int, float]]:
    return [nx.single_source_dijkstra_path_length(g, s, weight="travel_time") for s in sources]


def _simple(net: RoadNetwork) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for a, b, t in sorted(zip(net.u.tolist(), net.v.tolist(), net.time_s.tolist()), key=lambda r: -r[2]):
        g.add_edge(a, b, travel_time=t)  # the cheapest parallel edge is added last and wins
    return g


def _graphml_round_trip(net: RoadNetwork, tmp_path: Path) -> RoadNetwork:
    import osmnx as ox

    path = tmp_path / f"{net.mode}.graphml"
    ox.save_graphml(net.to_networkx(), path)
    return load_network(path, net.mode, cache=False)


def _compare_by_osmid(net: RoadNetwork, back: RoadNetwork, n_sources: int = 5) -> None:
    assert back.n_nodes == net.n_nodes and back.n_edges == net.n_edges
    assert sorted(back.node_osmid.tolist()) == sorted(net.node_osmid.tolist())
    index_back = {int(o): i for i, o in enumerate(back.node_osmid)}
    to_back = np.array([index_back[int(o)] for o in net.node_osmid])
    rng = np.random.default_rng(7)
    sources = rng.choice(net.n_nodes, n_sources, replace=False).tolist()
    g1, g2 = _simple(net), _simple(back)
    for s, d1, d2 in zip(sources, _path_times(g1, sources), _path_times(g2, [int(to_back[s]) for s in sources])):
        assert len(d1) == len(d2) == net.n_nodes
        t1 = np.array([d1[i] for i in range(net.n_nodes)])
        t2 = np.array([d2[int(to_back[i])] for i in range(net.n_nodes)])
        np.testing.assert_allclose(t2, t1, rtol=1e-9, atol=1e-6, err_msg=f"source {s}")


def test_graphml_round_trip_walk(kotka_pbf: Path, tmp_path: Path) -> None:
    net = load_network(kotka_pbf, "walk", cache=False)
    _compare_by_osmid(net, _graphml_round_trip(net, tmp_path))


@pytest.mark.slow
def test_graphml_round_trip_walk_monaco(monaco_walk: RoadNetwork, tmp_path: Path) -> None:
    _compare_by_osmid(monaco_walk, _graphml_round_trip(monaco_walk, tmp_path))


def test_graphml_round_trip_drive(monaco_drive: RoadNetwork, tmp_path: Path) -> None:
    _compare_by_osmid(monaco_drive, _graphml_round_trip(monaco_drive, tmp_path))


# ----------------------------------------------------------------------------------------------
# Cross-check against osmnx on the real Monaco extract

_FILTER = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')


def _passes_overpass_filter(tags: dict[str, str], flt: str) -> bool:
    """Apply an Overpass tag filter such as osmnx's network-type filters (unanchored regexes)."""
    for key, op, pattern in _FILTER.findall(flt):
        value = tags.get(key)
        if not op and value is None:
            return False
        if op == "!~" and value is not None and re.search(pattern, value):
            return False
        if op == "~" and (value is None or not re.search(pattern, value)):
            return False
    return True


def _osmnx_graph(pbf: Path, mode: str, tmp_path: Path) -> tuple[nx.MultiDiGraph, dict[int, dict[str, str]]]:
    """osmnx's graph of ``mode``: the ways its network-type filter keeps, read by graph_from_xml."""
    import osmium
    import osmnx as ox
    from osmnx import _overpass

    flt = _overpass._get_network_filter(mode)
    out = tmp_path / f"osmnx_{mode}.osm"
    tags: dict[int, dict[str, str]] = {}
    with osmium.SimpleWriter(str(out), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
            if isinstance(obj, osmium.osm.Way):
                t = dict(obj.tags)
                if "highway" in t:
                    tags[obj.id] = t
                if not _passes_overpass_filter(t, flt):
                    continue
            writer.add(obj)
    graph = ox.graph_from_xml(out, bidirectional=mode == "walk", simplify=False, retain_all=True)
    return graph, tags


def _edge_set(net: RoadNetwork) -> set[tuple[int, int]]:
    return {(int(net.node_osmid[a]), int(net.node_osmid[b])) for a, b in zip(net.u, net.v)}


def test_drive_matches_osmnx(monaco_pbf: Path, monaco_drive: RoadNetwork, tmp_path: Path) -> None:
    import osmnx as ox

    graph, _ = _osmnx_graph(monaco_pbf, "drive", tmp_path)
    strong = ox.truncate.largest_component(graph, strongly=True)
    # The drive filters agree exactly on Monaco, so the strongly connected graphs are the same.
    assert set(strong.nodes) == set(monaco_drive.node_osmid.tolist())
    assert {(int(a), int(b)) for a, b in strong.edges()} == _edge_set(monaco_drive)
    assert strong.number_of_edges() == monaco_drive.n_edges
    lengths = {(int(a), int(b)): d["length"] for a, b, d in strong.edges(data=True)}
    ours = np.array(
        [lengths[(int(monaco_drive.node_osmid[a]), int(monaco_drive.node_osmid[b]))] for a, b in zip(monaco_drive.u, monaco_drive.v)]
    )
    # osmnx uses R = 6,371,009 m, siting 6,371,008.8 m: the same lengths to 1e-7.
    np.testing.assert_allclose(monaco_drive.length_m, ours, rtol=1e-7)


def test_walk_matches_osmnx_up_to_documented_differences(monaco_pbf: Path, tmp_path: Path) -> None:
    """Before the component filter, every edge where siting and osmnx differ is on a way whose tags explain it.

    Documented differences: siting keeps ``access=private`` ways that say
    ``foot=yes/designated/permissive`` and streets with ``sidewalk=separate``
    (walking along them is possible); it drops ``access=no`` ways, which
    osmnx's filter keeps.
    """
    graph, tags = _osmnx_graph(monaco_pbf, "walk", tmp_path)
    theirs = {(int(a), int(b)): int(d["osmid"]) for a, b, d in graph.edges(data=True)}
    net = load_network(monaco_pbf, "walk", cache=False, strongly_connected=False)
    ours = {(int(net.node_osmid[a]), int(net.node_osmid[b])): int(w) for a, b, w in zip(net.u, net.v, net.way_id)}
    common = set(ours) & set(theirs)
    assert len(common) >= 0.99 * len(theirs)
    for edge in set(ours) - set(theirs):
        t = tags[ours[edge]]
        sidewalk_separate = any(t.get(k) == "separate" for k in ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right"))
        private_but_foot = t.get("access") == "private" and t.get("foot") in ("yes", "designated", "permissive")
        assert sidewalk_separate or private_but_foot, (edge, t)
    for edge in set(theirs) - set(ours):
        assert tags[theirs[edge]].get("access") == "no", (edge, tags[theirs[edge]])


# ----------------------------------------------------------------------------------------------
# Bad input


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found") as err:
        load_network(tmp_path / "nowhere.osm.pbf", "walk")
    assert "nowhere.osm.pbf" in str(err.value)


def test_unknown_mode(monaco_pbf: Path) -> None:
    with pytest.raises(SitingError, match="unknown mode 'boat'.*walk, bike, drive"):
        load_network(monaco_pbf, "boat")


def bad_pbfs(monaco_pbf: Path, folder: Path) -> dict[str, Path]:
    """Empty, truncated (first half of Monaco) and corrupt (random bytes) PBF files."""
    data = monaco_pbf.read_bytes()
    files = {
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "corrupt": np.random.default_rng(1).integers(0, 256, 200_000, dtype=np.uint8).tobytes(),
    }
    out = {}
    for name, content in files.items():
        out[name] = folder / f"{name}.osm.pbf"
        out[name].write_bytes(content)
    return out


@pytest.mark.parametrize("kind", ["empty", "truncated", "corrupt"])
def test_bad_pbf(monaco_pbf: Path, tmp_path: Path, kind: str) -> None:
    path = bad_pbfs(monaco_pbf, tmp_path)[kind]
    with pytest.raises(InputError) as err:
        load_network(path, "walk", cache=False)
    assert str(path) in str(err.value)


def test_xml_without_highways(tmp_path: Path) -> None:
    path = write_osm_xml(
        tmp_path / "rivers.osm", {1: (7.0, 45.0), 2: (7.001, 45.0)}, [(1, [1, 2], {"waterway": "river"})]
    )
    with pytest.raises(InputError, match="no highway") as err:
        load_network(path, "walk", cache=False)
    assert str(path) in str(err.value)


def test_no_ways_for_mode(tmp_path: Path) -> None:
    path = write_osm_xml(
        tmp_path / "footpath.osm", {1: (7.0, 45.0), 2: (7.001, 45.0)}, [(1, [1, 2], {"highway": "footway"})]
    )
    assert load_network(path, "walk", cache=False).n_edges == 2
    with pytest.raises(InputError, match="drive") as err:
        load_network(path, "drive", cache=False)
    assert str(path) in str(err.value)


# ----------------------------------------------------------------------------------------------
# The `siting network` command


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from siting.cli import main

    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_network_json(monaco_drive: RoadNetwork, monaco_pbf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, _ = run_cli(
        ["network", str(monaco_pbf), "--mode", "drive", "--json", "--cache-dir", str(tmp_path)], capsys
    )
    assert code == 0
    summary = json.loads(out)
    assert (summary["nodes"], summary["edges"], summary["dropped_nodes"]) == (
        monaco_drive.n_nodes,
        monaco_drive.n_edges,
        monaco_drive.info["dropped_nodes"],
    )


def _assert_clean_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith("siting: error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.mark.parametrize("kind", ["empty", "truncated", "corrupt"])
def test_cli_bad_pbf(monaco_pbf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    path = bad_pbfs(monaco_pbf, tmp_path)[kind]
    code, _, err = run_cli(["network", str(path), "--no-cache"], capsys)
    _assert_clean_error(code, err, str(path))


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "missing.osm.pbf"
    code, _, err = run_cli(["network", str(path)], capsys)
    _assert_clean_error(code, err, str(path), "not found")


def test_cli_xml_without_highways(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_osm_xml(tmp_path / "rivers.osm", {1: (7.0, 45.0), 2: (7.001, 45.0)}, [(1, [1, 2], {"waterway": "river"})])
    code, _, err = run_cli(["network", str(path), "--no-cache"], capsys)
    _assert_clean_error(code, err, str(path), "no highway")


def test_cli_unknown_mode(monaco_pbf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["network", str(monaco_pbf), "--mode", "boat"], capsys)
    _assert_clean_error(code, err, "boat", "walk, bike, drive")


def test_cli_network_out_graphml_round_trip(
    kotka_pbf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    out = tmp_path / "kotka_drive.graphml"
    code, text, _ = run_cli(["network", str(kotka_pbf), "--mode", "drive", "--out", str(out), "--json", "--no-cache"], capsys)
    assert code == 0 and json.loads(text)["out"] == str(out)
    code, text, _ = run_cli(["network", str(out), "--mode", "drive", "--json", "--no-cache"], capsys)
    assert code == 0
    back = json.loads(text)
    net = load_network(kotka_pbf, "drive", cache=False)
    assert (back["nodes"], back["edges"], back["dropped_nodes"]) == (net.n_nodes, net.n_edges, 0)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary files left


def test_cli_network_refuses_to_overwrite_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "town.npz"
    from siting.network.store import save_npz

    save_npz(load_network(write_osm_xml(tmp_path / "t.osm", NODES, WAYS), "walk", cache=False), source)
    before = source.read_bytes()
    code, _, err = run_cli(["network", str(source), "--out", str(source), "--no-cache"], capsys)
    _assert_clean_error(code, err, str(source), "overwrite")
    assert source.read_bytes() == before


def test_contraflow_cycling_and_repeated_nodes(tmp_path: Path) -> None:
    nodes = {1: (7.0, 45.0), 2: (7.001, 45.0), 3: (7.002, 45.0), 4: (7.003, 45.0)}
    ways = [
        (1, [1, 2], {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}),
        (2, [2, 3], {"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"}),
        (3, [3, 3, 4], {"highway": "residential", "oneway": "no", "junction": "roundabout"}),
    ]
    path = write_osm_xml(tmp_path / "contraflow.osm", nodes, ways)
    bike = edge_table(load_network(path, "bike", cache=False, strongly_connected=False))
    drive = edge_table(load_network(path, "drive", cache=False, strongly_connected=False))
    # Cyclists may ride both ways where contraflow is signed; drivers may not.
    assert set(bike) == {(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3)}
    # An explicit oneway=no beats the roundabout's implied one-way; the repeated node 3 adds no loop.
    assert set(drive) == {(1, 2), (2, 3), (3, 4), (4, 3)}
    assert drive[(3, 4)][0] == pytest.approx(haversine(*nodes[3], *nodes[4]), rel=1e-9)


@pytest.mark.parametrize("source", ["7.40,43.72,7.44,43.75", "Monaco"])
def test_online_source_fails_fast_when_offline(monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    """A bbox or place name needs internet: without it the error says so at once (no osmnx wait)."""
    import socket

    from siting.errors import SitingError
    from siting.network import load_network

    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(SitingError, match="need internet"):
        load_network(source, "drive")


def test_csr_keeps_the_cheapest_parallel_edge_and_the_first_of_a_tie() -> None:
    from siting.network.build import from_edges

    # edge: 0:a->b 5 s 50 m, 1:b->a 4 s 40 m, 2:a->b 3 s 90 m, 3:a->b 3 s 70 m, 4:b->c 0 s 0 m, 5:c->a 2 s 20 m
    u = np.array([0, 1, 0, 0, 1, 2])
    v = np.array([1, 0, 1, 1, 2, 0])
    time_s = np.array([5.0, 4.0, 3.0, 3.0, 0.0, 2.0])
    length_m = np.array([50.0, 40.0, 90.0, 70.0, 0.0, 20.0])
    net = from_edges("walk", np.array([10, 11, 12]), np.array([7.0, 7.001, 7.002]), np.array([45.0] * 3),
                     u, v, length_m, time_s, np.array(["x"] * 6), np.arange(6))
    edge = {(int(net.node_osmid[net.u[e]]) - 10, int(net.node_osmid[net.v[e]]) - 10, float(net.time_s[e]),
             float(net.length_m[e])): e for e in range(net.n_edges)}
    label = net.node_osmid - 10  # node index -> a, b, c as 0, 1, 2
    for weight, expected in (
        # by time, a->b ties at 3 s between edges 2 and 3: the first of them (2); by length a->b is edge 0 (50 m)
        ("time", {(0, 1): (0, 1, 3.0, 90.0), (1, 0): (1, 0, 4.0, 40.0), (1, 2): (1, 2, 0.0, 0.0), (2, 0): (2, 0, 2.0, 20.0)}),
        ("length", {(0, 1): (0, 1, 5.0, 50.0), (1, 0): (1, 0, 4.0, 40.0), (1, 2): (1, 2, 0.0, 0.0), (2, 0): (2, 0, 2.0, 20.0)}),
    ):
        mat = net.csr(weight).tocoo()
        got = {(int(label[a]), int(label[b])): float(x) for a, b, x in zip(mat.row, mat.col, mat.data)}
        w = 0 if weight == "time" else 1
        # stored zeros would be missing edges to csgraph: 1e-9 stands in for 0
        assert got == {k: max(e[2 + w], 1e-9) for k, e in expected.items()}
        order = net.edge_order(weight)
        rows = np.repeat(np.arange(net.n_nodes), np.diff(net.csr(weight).indptr))
        assert [edge[expected[(int(label[a]), int(label[b]))]]
                for a, b in zip(rows, net.csr(weight).indices)] == order.tolist()
