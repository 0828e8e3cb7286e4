"""The demo end to end: `siting demo --json` on the bundled Monaco data."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest

from siting.cli import main

REPO = Path(__file__).resolve().parents[1]
MONACO_PBF = REPO / "data" / "osm" / "monaco.osm.pbf"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("demo")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["demo", "--json", "--offline", "--out-dir", str(out)]) == 0
    return json.loads(buf.getvalue())


def test_demo_network_and_hospitals(demo: dict, cache_dir: Path) -> None:
    import networkx as nx

    from siting.network import load_network

    net = demo["network"]
    assert net["mode"] == "walk" and net["nodes"] > 5000 and net["edges"] > net["nodes"]
    # Independently: the whole walk graph, and networkx's largest strongly connected component of it.
    full = load_network(MONACO_PBF, "walk", cache_dir=cache_dir, strongly_connected=False)
    largest = max(nx.strongly_connected_components(full.to_networkx()), key=len)
    assert net["nodes"] == len(largest)
    assert net["dropped_nodes"] == full.n_nodes - len(largest) > 0
    names = {h["name"] for h in demo["hospitals"]}
    assert "Centre hospitalier Princesse Grace" in names
    for h in demo["hospitals"]:
        assert h["nodes_within_5_min"] <= h["nodes_within_10_min"] <= h["nodes_within_15_min"]


def test_demo_coverage_entries(demo: dict, cache_dir: Path) -> None:
    """Every coverage figure recomputed with networkx: one multi-source Dijkstra per facility type on the
    reversed graph (resident to facility), plus each resident's walk to the network at 1 m/s."""
    import networkx as nx

    from siting.demo import DEMO_TYPES, demo_demand, load_demo_facilities
    from siting.network import load_network
    from siting.routing.snap import snap

    entries = demo["coverage"]
    assert {(e["facility_type"], e["group"]) for e in entries} == {("hospital", "all"), ("elderly", "60+"), ("childcare", "0-3")}
    net = load_network(MONACO_PBF, "walk", cache_dir=cache_dir)
    demand = demo_demand(net)
    points = snap(net, demand["lon"].to_numpy(float), demand["lat"].to_numpy(float))
    facilities = load_demo_facilities()
    graph = net.to_networkx().reverse(copy=False)
    column = {"all": "population", "60+": "pop_60plus", "0-3": "pop_0_3"}
    for e in entries:
        fac = facilities[facilities["type"] == e["facility_type"]]
        sources = set(snap(net, fac["lon"], fac["lat"])["node"].astype(int))
        dist = nx.multi_source_dijkstra_path_length(graph, sources, weight="travel_time")
        seconds = np.array([dist.get(int(n), np.inf) for n in points["node"]]) + points["snap_m"].to_numpy() / 1.0
        pop = demand[column[DEMO_TYPES[e["facility_type"]]]].to_numpy(float)
        covered = float(pop[seconds <= e["minutes"] * 60.0 + 1e-9].sum())
        assert e["covered"] == pytest.approx(round(covered, 1), abs=0.051), e
        assert e["population"] == pytest.approx(round(float(pop.sum()), 1), abs=0.051)
        assert e["share"] == pytest.approx(round(covered / pop.sum(), 4), abs=5.1e-5)
    # Monaco's census total is conserved over the building points.
    assert demo["demand"]["population"] == pytest.approx(37308, abs=1e-6)


def test_demo_writes_outputs(demo: dict) -> None:
    for key in ("map", "report", "summary"):
        path = Path(demo["outputs"][key])
        assert path.exists() and path.stat().st_size > 0
    html = Path(demo["outputs"]["map"]).read_text(encoding="utf-8")
    # Offline: no script or stylesheet is loaded from a CDN.
    assert "cdn.jsdelivr.net" not in html and "cdnjs.cloudflare.com" not in html
    # the map and the report carry the basemap drawn from the extract, within the 4 MB budget
    for key in ("map", "report"):
        page = Path(demo["outputs"][key]).read_text(encoding="utf-8")
        assert "var P = protomapsL;" in page and "sitingTileCount" in page
        assert Path(demo["outputs"][key]).stat().st_size <= 4_000_000
    assert demo["rules"] and sum(demo["rules"].values()) > 0


def test_demo_map_and_report_map_are_the_scenario_map(demo: dict) -> None:
    """One builder: both carry the verdict legend, the rule table and the six candidates to tick."""
    for key in ("map", "report"):
        page = Path(demo["outputs"][key]).read_text(encoding="utf-8")
        page = page if key == "map" else html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
        assert 'id="siting-panel"' in page and "sitingDecodeIds" in page
        assert "pass: meets every rule that judged it" in page and "not judged: no rule could judge it" in page
        boxes = re.findall(r'<input type="checkbox" class="siting-whatif-site"[^>]*>', page)
        assert len(boxes) == 6 and not any("checked" in b for b in boxes)  # candidates start unticked
        assert 'id="siting-rule-A4"' in page and "Candidate elderly home (Fontvieille)" in page
    # the demo's own graded circles and heat layer, under the scenario's verdicts
    page = Path(demo["outputs"]["map"]).read_text(encoding="utf-8")
    assert "5–10 min" in page and "Uncovered demand (heat)" in page


def test_demo_joint_coverage(demo: dict) -> None:
    by_key = {(e["facility_type"], e["minutes"]): e for e in demo["coverage"]}
    for j in demo["joint_coverage"]:
        assert j["types"] == "elderly + childcare"
        assert j["population"] == pytest.approx(37308, abs=0.1)
        # Residents near both kinds cannot outnumber the share near either kind alone.
        assert j["share"] <= by_key[("elderly", j["minutes"])]["share"] + 1e-9
        assert j["share"] <= by_key[("childcare", j["minutes"])]["share"] + 1e-9
