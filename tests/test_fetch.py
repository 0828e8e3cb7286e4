"""Clipping an OSM extract to a polygon, checked against an independent way-by-way computation."""

from __future__ import annotations

import json
from pathlib import Path

import osmium
import pytest
import shapely
from shapely.geometry import Point, Polygon, mapping

from siting.errors import InputError, SitingError
from siting.osm.fetch import clip_osm, load_boundary

ROOT = Path(__file__).resolve().parents[1]
MONACO = ROOT / "data" / "osm" / "monaco.osm.pbf"
# A pentagon over the middle of Monaco (La Condamine to Monte-Carlo), not axis-aligned.
POLY = Polygon([(7.4150, 43.7290), (7.4230, 43.7270), (7.4290, 43.7360), (7.4240, 43.7420), (7.4170, 43.7380)])


def _ids(path: Path) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {"n": set(), "w": set(), "r": set()}
    refs: set[int] = set()
    for obj in osmium.FileProcessor(str(path)):
        if isinstance(obj, osmium.osm.Node):
            out["n"].add(obj.id)
        elif isinstance(obj, osmium.osm.Way):
            out["w"].add(obj.id)
            refs.update(n.ref for n in obj.nodes)
        else:
            out["r"].add(obj.id)
    out["refs"] = refs
    return out


@pytest.fixture(scope="module")
def clipped(tmp_path_factory):
    out = tmp_path_factory.mktemp("clip") / "centre.osm.pbf"
    result = clip_osm(MONACO, POLY, out, source_url="https://download.geofabrik.de/europe/monaco-latest.osm.pbf",
                      boundary_note="test pentagon")
    return result, _ids(out)


def test_clip_keeps_exactly_the_ways_with_a_node_inside(clipped):
    result, got = clipped
    # Independent: node locations from the way itself, point-in-polygon one by one with shapely.
    expected_ways = set()
    inside_nodes = set()
    for way in osmium.FileProcessor(str(MONACO)).with_locations():
        if not isinstance(way, osmium.osm.Way):
            continue
        hits = [n.ref for n in way.nodes if n.location.valid() and POLY.contains(Point(n.location.lon, n.location.lat))]
        if hits:
            expected_ways.add(way.id)
            inside_nodes.update(hits)
    assert len(expected_ways) > 100
    assert got["w"] == expected_ways
    assert result.ways == len(expected_ways)
    # Ways are whole: every node they reference is in the output.
    assert got["refs"] <= got["n"]
    # Every way-node inside the polygon is kept.
    assert inside_nodes <= got["n"]


def test_clip_nodes_and_relations(clipped):
    result, got = clipped
    inside, members = set(), {}
    for obj in osmium.FileProcessor(str(MONACO)):
        if isinstance(obj, osmium.osm.Node) and POLY.contains(Point(obj.location.lon, obj.location.lat)):
            inside.add(obj.id)
        elif isinstance(obj, osmium.osm.Relation):
            members[obj.id] = [(m.type, m.ref) for m in obj.members]
    assert inside <= got["n"]
    assert got["n"] <= inside | got["refs"]  # nothing else sneaks in
    assert result.nodes_inside == len(inside)
    expected_rel = {r for r, ms in members.items()
                    if any((t == "n" and ref in got["n"]) or (t == "w" and ref in got["w"]) for t, ref in ms)}
    assert got["r"] == expected_rel and result.relations == len(expected_rel)


def test_sidecar_records_date_and_licence(clipped):
    result, _ = clipped
    meta = json.loads(result.sidecar.read_text(encoding="utf-8"))
    assert meta["extract_date"] == "2023-12-26T21:21:22Z"  # Monaco snapshot (shared/README: 2023-12-26)
    assert meta["licence"] == "ODbL 1.0" and "OpenStreetMap" in meta["attribution"]
    assert meta["source_url"].startswith("https://download.geofabrik.de/")
    r = osmium.io.Reader(str(result.output), osmium.osm.osm_entity_bits.NOTHING)
    assert r.header().get("osmosis_replication_timestamp") == "2023-12-26T21:21:22Z"
    r.close()


def test_clip_refuses_to_overwrite_input(tmp_path):
    with pytest.raises(SitingError, match="overwrite its input"):
        clip_osm(MONACO, POLY, MONACO)


def test_boundary_selection_and_cli(tmp_path):
    gj = tmp_path / "b.geojson"
    far = shapely.affinity.translate(POLY, 1.0, 1.0)
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": "1", "name": "centre"}, "geometry": mapping(POLY)},
        {"type": "Feature", "properties": {"adcode": "2", "name": "elsewhere"}, "geometry": mapping(far)},
    ]}), encoding="utf-8")
    assert load_boundary(gj, adcode="1").equals(POLY)
    assert load_boundary(gj).area == pytest.approx(2 * POLY.area)
    with pytest.raises(InputError, match="no boundary with adcode 9"):
        load_boundary(gj, adcode="9")
    sc = tmp_path / "s.yaml"
    sc.write_text("name: t\nstudy_area: {boundaries: b.geojson, adcode: '1'}\n"
                  "fetch: {url: 'https://download.geofabrik.de/europe/monaco-latest.osm.pbf', output: out/c.osm.pbf}\n",
                  encoding="utf-8")
    from siting.cli import main

    assert main(["fetch-osm", "--scenario", str(sc), "--input", str(MONACO)]) == 0
    assert _ids(tmp_path / "out" / "c.osm.pbf")["w"]
    assert (tmp_path / "out" / "c.osm.pbf.json").exists()


def test_boundary_elsewhere_is_an_error(tmp_path):
    far = shapely.affinity.translate(POLY, 100.0, -20.0)  # somewhere in Guangxi
    # Monaco's header box (osmium fileinfo: 7.4092050,43.7233500 to 7.4486370,43.7516900) and the boundary's.
    with pytest.raises(SitingError, match=r"monaco.osm.pbf does not cover the study area: its header box is lon 7.4092 to "
                       r"7.4486, lat 43.7234 to 43.7517, the study area \(far pentagon\) spans lon 107.4150 to 107.4290"):
        clip_osm(MONACO, far, tmp_path / "x.osm.pbf", boundary_note="far pentagon")
    assert not (tmp_path / "x.osm.pbf").exists()
