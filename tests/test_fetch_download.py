"""Downloading a regional extract through a loopback mirror (resume, MD5, errors) and clipping a
generated SYNTHETIC province to the Qinzhou boundary, checked against independent counts.

Only 127.0.0.1 is contacted: the mirror (bench/mirror.py) runs in a thread of the test.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely
from bench_modules import load_bench
from scipy.spatial import cKDTree
from shapely.geometry import Point, box, shape

from siting.cli import main
from siting.errors import SitingError
from siting.inputs.scenario import load_scenario
from siting.osm.download import download_extract
from siting.osm.fetch import clip_osm, fetch_for_scenario

REPO = Path(__file__).resolve().parents[1]
QINZHOU = REPO / "data" / "china" / "boundaries_qinzhou.geojson"
JINGDEZHEN = REPO / "data" / "china" / "boundaries_jingdezhen.geojson"
NAME = "synthetic-guangxi.osm.pbf"




make_province = load_bench("make_province")
Mirror = load_bench("mirror").Mirror


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    path = tmp_path_factory.mktemp("province") / NAME
    meta = make_province.write_province(path, nodes=4000, seed=3)
    return path, meta


@pytest.fixture(scope="module")
def contents(province):
    """Every node's location and every way's node list, read straight from the generated file."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, list[int]] = {}
    for obj in osmium.FileProcessor(str(province[0])):
        if isinstance(obj, osmium.osm.Node):
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
        elif isinstance(obj, osmium.osm.Way):
            ways[obj.id] = [n.ref for n in obj.nodes]
    return nodes, ways


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _city_polygon():
    """Qinzhou (adcode 450700) read with json and shapely only."""
    data = json.loads(QINZHOU.read_text(encoding="utf-8"))
    (feature,) = [f for f in data["features"] if f["properties"]["adcode"] == "450700"]
    return shape(feature["geometry"])


# ------------------------------------------------------------------ the generated province


def test_province_is_synthetic_deterministic_and_whole(province, contents, tmp_path):
    path, meta = province
    nodes, ways = contents
    assert meta["SYNTHETIC"] is True and "SYNTHETIC" in meta["label"]
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    assert "SYNTHETIC" in reader.header().get("generator")
    reader.close()
    assert json.loads(path.with_name(NAME + ".json").read_text(encoding="utf-8"))["SYNTHETIC"] is True
    assert meta["street_nodes"] >= 4000 and len(nodes) == meta["nodes"] and len(ways) == meta["ways"]
    assert all(ref in nodes for refs in ways.values() for ref in refs)  # no way points at a missing node
    again = make_province.write_province(tmp_path / "again.osm.pbf", nodes=4000, seed=3)
    other = make_province.write_province(tmp_path / "other.osm.pbf", nodes=4000, seed=4)
    assert _md5(tmp_path / "again.osm.pbf") == _md5(path) and again["nodes"] == meta["nodes"]
    assert _md5(tmp_path / "other.osm.pbf") != _md5(path) and other["street_nodes"] >= 4000


def test_province_facilities_are_tagged_as_in_chinese_osm(province):
    from siting.osm.features import read_buildings, read_facilities

    facilities = read_facilities(province[0])
    assert set(facilities["type"]) == {"hospital", "clinic", "elderly", "childcare"}
    city = _city_polygon()
    kinds = facilities["name"].map(make_province.category_of_name)
    assert kinds.notna().all()  # every facility read is one the generator wrote
    for word, _, tags, _, _ in make_province.FACILITIES:
        rows = facilities[kinds == word]
        assert len(rows), word
        assert (rows["amenity"] == tags["amenity"]).all(), word
        # The first of each category lies inside the city (row order: by OSM id, nodes before ways).
        assert any(city.contains(Point(p.x, p.y)) for p in rows.geometry), word
    nursing = facilities[facilities["social_facility"] == "nursing_home"]
    assert set(nursing["social_facility_for"]) == {"senior"} and len(nursing) >= 2  # 养老院 and 敬老院
    assert (facilities["healthcare_speciality"] != "").sum() >= 5
    buildings = read_buildings(province[0])
    assert buildings["residential"].any() and buildings["levels"].notna().any()


# ------------------------------------------------------------------ the mirror


def test_mirror_serves_md5_and_ranges_as_geofabrik(province):
    path = province[0]
    data = path.read_bytes()
    with Mirror({NAME: path}) as mirror:
        with urllib.request.urlopen(mirror.url(NAME + ".md5")) as resp:
            assert resp.read().decode() == f"{hashlib.md5(data).hexdigest()}  {NAME}\n"
        req = urllib.request.Request(mirror.url(NAME), headers={"Range": "bytes=10-19"})
        with urllib.request.urlopen(req) as resp:
            assert resp.status == 206 and resp.read() == data[10:20]
            assert resp.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        req = urllib.request.Request(mirror.url(NAME), headers={"Range": "bytes=-5"})
        with urllib.request.urlopen(req) as resp:
            assert resp.read() == data[-5:]
        req = urllib.request.Request(mirror.url(NAME), headers={"Range": f"bytes={len(data)}-"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req)
        assert err.value.code == 416 and err.value.headers["Content-Range"] == f"bytes */{len(data)}"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(mirror.url("other.osm.pbf"))
        assert err.value.code == 404


# ------------------------------------------------------------------ downloading


def test_clean_download_is_verified(province, tmp_path, capsys):
    with Mirror({NAME: province[0]}) as mirror:
        got = download_extract(mirror.url(NAME), tmp_path / NAME, progress=True)
    assert capsys.readouterr().err == ""  # no progress bar when standard error is not a terminal
    assert (tmp_path / NAME).read_bytes() == province[0].read_bytes()
    assert got.md5 == _md5(province[0]) and got.md5_verified and got.size == province[0].stat().st_size
    assert (got.attempts, got.resumed, got.reused) == (1, 0, False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]  # no part file left
    # The same file again: recognised by its MD5, not downloaded.
    with Mirror({NAME: province[0]}) as mirror:
        again = download_extract(mirror.url(NAME), tmp_path / NAME)
        assert again.reused and not [r for r in mirror.requests if r.path == "/" + NAME]


def test_dropped_connection_is_resumed_with_a_range_request(province, tmp_path):
    size = province[0].stat().st_size
    cut = size // 3
    with Mirror({NAME: province[0]}, drop_after=cut) as mirror:
        got = download_extract(mirror.url(NAME), tmp_path / NAME, backoff_s=0)
        ranged = mirror.range_requests(NAME)
    assert [(r.range, r.status, r.sent) for r in ranged] == [(f"bytes={cut}-", 206, size - cut)]
    assert (tmp_path / NAME).read_bytes() == province[0].read_bytes()
    assert (got.attempts, got.resumed) == (2, 1) and got.md5_verified


def test_interrupted_download_resumes_in_the_next_run(province, tmp_path):
    size = province[0].stat().st_size
    quarter = size // 4
    target = tmp_path / NAME
    with Mirror({NAME: province[0]}, drop_after=quarter, drops=2) as mirror:
        with pytest.raises(SitingError, match=r"interrupted 2 times .* partial file .*\.part is kept"):
            download_extract(mirror.url(NAME), target, retries=1, backoff_s=0)
        assert not target.exists()
        part = target.with_name(NAME + ".part")
        assert part.read_bytes() == province[0].read_bytes()[: 2 * quarter]
        mirror.drop_after = None  # the next run finds the server well
        got = download_extract(mirror.url(NAME), target)
        assert mirror.range_requests(NAME)[-1].range == f"bytes={2 * quarter}-"
    assert target.read_bytes() == province[0].read_bytes() and got.resumed == 1
    assert not part.exists() and not target.with_name(NAME + ".part.json").exists()


def test_complete_part_file_and_stale_part_file(province, tmp_path):
    data = province[0].read_bytes()
    target = tmp_path / NAME
    part, meta = target.with_name(NAME + ".part"), target.with_name(NAME + ".part.json")
    with Mirror({NAME: province[0]}) as mirror:
        # Complete but not yet verified (a run stopped just before the rename): the server answers 416.
        part.write_bytes(data)
        meta.write_text(json.dumps({"url": mirror.url(NAME), "md5": _md5(province[0])}), encoding="utf-8")
        download_extract(mirror.url(NAME), target)
        assert [r.status for r in mirror.range_requests(NAME)] == [416]
        assert target.read_bytes() == data
        # A part file of another version of the extract (another MD5) is discarded, not resumed.
        target.unlink()
        part.write_bytes(b"x" * 1000)
        meta.write_text(json.dumps({"url": mirror.url(NAME), "md5": "0" * 32}), encoding="utf-8")
        download_extract(mirror.url(NAME), target)
        assert len(mirror.range_requests(NAME)) == 1
    assert target.read_bytes() == data


def test_corrupted_download_is_rejected(province, tmp_path):
    with Mirror({NAME: province[0]}, corrupt=True) as mirror:
        with pytest.raises(SitingError, match=f"corrupt: its MD5 is [0-9a-f]{{32}}, the server publishes "
                           f"{_md5(province[0])}. The partial download was deleted"):
            download_extract(mirror.url(NAME), tmp_path / NAME)
    assert list(tmp_path.iterdir()) == []  # nothing at the output path, no part file


def test_404_and_missing_md5_are_clear_errors(province, tmp_path):
    with Mirror({NAME: province[0]}, md5=False) as mirror:
        url = mirror.url("guangxi-latest.osm.pbf")
        with pytest.raises(SitingError, match=f"{url} answers 404 Not Found.*--input"):
            download_extract(url, tmp_path / "g.osm.pbf")
        with pytest.raises(SitingError, match=r"publishes no MD5 checksum.*--no-md5"):
            download_extract(mirror.url(NAME), tmp_path / NAME)
        assert list(tmp_path.iterdir()) == []
        got = download_extract(mirror.url(NAME), tmp_path / NAME, require_md5=False)
    assert not got.md5_verified and got.md5 == _md5(province[0])


# ------------------------------------------------------------------ coverage of the study area


def _scenario(tmp_path: Path, boundary: Path, adcode: str) -> Path:
    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: rehearsal\nstudy_area: {{boundaries: {boundary}, adcode: '{adcode}'}}\n"
                  "fetch: {url: 'https://download.geofabrik.de/asia/china/guangxi-latest.osm.pbf', "
                  "output: out/qinzhou.osm.pbf}\n", encoding="utf-8")
    return sc


def test_extract_elsewhere_is_a_clear_error(province, tmp_path):
    sc = load_scenario(_scenario(tmp_path, JINGDEZHEN, "360200"))
    with Mirror({NAME: province[0]}) as mirror:
        with pytest.raises(SitingError, match=rf"{NAME} does not cover the study area: its header box is lon 107.6000 "
                           r"to 110.4000, lat 21.2000 to 23.0000, the study area \(boundaries_jingdezhen.geojson "
                           r"adcode 360200\) spans lon 11[67]"):
            fetch_for_scenario(sc, url=mirror.url(NAME))
    assert not (tmp_path / "out" / "qinzhou.osm.pbf").exists()


def test_no_node_inside_is_a_clear_error(province, contents, tmp_path):
    # The point of the province farthest from every node (on a 0.01° grid): a square around it
    # lies inside the extract's box but holds no node.
    xy = np.array(list(contents[0].values()))
    gx, gy = np.meshgrid(np.arange(107.7, 110.3, 0.01), np.arange(21.3, 22.9, 0.01))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    far = cKDTree(xy).query(grid)[0]
    x, y = grid[far.argmax()]
    half = far.max() / 3
    assert half > 0.01
    with pytest.raises(SitingError, match=rf"no node of the extract .*{NAME} lies inside the study area \(empty "
                       r"square\).*the extract's header box: lon 107.6000"):
        clip_osm(province[0], box(x - half, y - half, x + half, y + half), tmp_path / "x.osm.pbf",
                 boundary_note="empty square")
    assert not (tmp_path / "x.osm.pbf").exists()


# ------------------------------------------------------------------ the command, end to end


def test_fetch_osm_command_through_the_mirror(province, contents, tmp_path, capsys):
    nodes, ways = contents
    sc = _scenario(tmp_path, QINZHOU, "450700")
    with Mirror({NAME: province[0]}, drop_after=province[0].stat().st_size // 2) as mirror:
        url = mirror.url(NAME)
        assert main(["fetch-osm", "--scenario", str(sc), "--url", url, "--quiet"]) == 0
        assert len(mirror.range_requests(NAME)) == 1
    out = tmp_path / "out" / "qinzhou.osm.pbf"
    assert (tmp_path / "out" / NAME).read_bytes() == province[0].read_bytes()  # the downloaded copy
    assert "MD5" in capsys.readouterr().out

    # Independent: point-in-polygon node by node with shapely, ways from the generated file.
    city = _city_polygon()
    inside = {i for i, (x, y) in nodes.items() if city.contains(Point(x, y))}
    expected_ways = {w for w, refs in ways.items() if inside.intersection(refs)}
    assert 0 < len(inside) < len(nodes) / 2  # the clip drops most of the province
    got_nodes, got_ways = set(), set()
    for obj in osmium.FileProcessor(str(out)):
        if isinstance(obj, osmium.osm.Node):
            got_nodes.add(obj.id)
        elif isinstance(obj, osmium.osm.Way):
            got_ways.add(obj.id)
    assert got_ways == expected_ways
    assert got_nodes == inside | {r for w in expected_ways for r in ways[w]}

    meta = json.loads(out.with_name(out.name + ".json").read_text(encoding="utf-8"))
    assert meta["kept"]["nodes_inside"] == len(inside) and meta["kept"]["ways"] == len(expected_ways)
    assert meta["source_url"] == url and meta["download"]["url"] == url
    assert meta["download"]["md5"] == meta["source_md5"] == _md5(province[0])
    assert meta["download"]["md5_verified"] is True and meta["download"]["resumed"] == 1
    assert meta["download"]["downloaded_at"].endswith("Z")
    assert meta["licence"] == "ODbL 1.0, © OpenStreetMap contributors" and "OpenStreetMap" in meta["attribution"]
    assert "SYNTHETIC" in meta["source_generator"] and meta["extract_covers_boundary"] is True
    assert meta["source_sha256"] == hashlib.sha256(province[0].read_bytes()).hexdigest()
    shutil.rmtree(tmp_path / "out")


def test_extract_covering_part_of_the_study_area_is_a_warning(province, tmp_path, capsys):
    # A square astride the province's east edge (lon 110.4): its western half is in the extract's box.
    gj = tmp_path / "edge.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"adcode": "1"},
        "geometry": shapely.geometry.mapping(box(110.0, 22.3, 110.8, 22.9))}]}), encoding="utf-8")
    sc = _scenario(tmp_path, gj, "1")
    assert main(["fetch-osm", "--scenario", str(sc), "--input", str(province[0])]) == 0
    assert "holds only part of the study area" in capsys.readouterr().err
    meta = json.loads((tmp_path / "out" / "qinzhou.osm.pbf.json").read_text(encoding="utf-8"))
    assert meta["extract_covers_boundary"] is False and meta["download"] is None
    assert meta["source_bounds_wgs84"] == [107.6, 21.2, 110.4, 23.0]
