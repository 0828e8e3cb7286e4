"""A4/A5 road distances on the real Monaco network, cross-checked with networkx."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from siting.rules import check

ROOT = Path(__file__).resolve().parents[1]
MONACO = ROOT / "data" / "osm" / "monaco.osm.pbf"
pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("net")
    fac = pd.DataFrame([
        {"id": "H1", "name": "Centre hospitalier Princesse Grace", "type": "hospital", "category": "general", "lon": 7.4110899, "lat": 43.7303265},
        {"id": "H2", "name": "Fondation Hector Ott", "type": "hospital", "category": "general", "lon": 7.4145251, "lat": 43.7347370},
        {"id": "C1", "name": "Centre Cardio Thoracique", "type": "clinic", "lon": 7.4248329, "lat": 43.7375806},
        {"id": "E1", "name": "Larvotto home", "type": "elderly", "beds": 40, "owner_kind": "government", "lon": 7.4335, "lat": 43.7445},
        {"id": "E2", "name": "Fontvieille home", "type": "elderly", "beds": 200, "has_clinic": "yes", "owner_kind": "government", "lon": 7.4180, "lat": 43.7285},
    ])
    path = tmp / "f.csv"
    fac.to_csv(path, index=False)
    return check(rules="qinzhou", only=["A4", "A5"], facilities=path, osm=MONACO)


def _networkx_nearest(net, lon, lat, tlon, tlat, weight):
    from siting.routing.snap import snap

    g = net.to_networkx()
    s = snap(net, [lon], [lat], 500.0)
    t = snap(net, tlon, tlat, 500.0)
    dist = nx.single_source_dijkstra_path_length(g, int(s["node"].iloc[0]), weight=weight)
    costs = [dist.get(int(n), np.inf) for n in t["node"]]
    k = int(np.argmin(costs))
    return k, costs[k], float(s["snap_m"].iloc[0]), float(t["snap_m"].iloc[k])


def test_a4_network_distance_matches_networkx(report):
    from siting.network import load_network

    r = report.result("A4")
    assert r.status == "pass"  # Monaco is 2 km across
    net = load_network(str(MONACO), "drive")
    d = r.details.set_index("id")
    for fid, lon, lat in (("E1", 7.4335, 43.7445), ("E2", 7.4180, 43.7285)):
        k, length, s1, s2 = _networkx_nearest(net, lon, lat, [7.4110899, 7.4145251], [43.7303265, 43.7347370], "length")
        assert d.loc[fid, "network_km"] == pytest.approx((length + s1 + s2) / 1000.0, rel=1e-6)
        assert d.loc[fid, "nearest_hospital_network"] == ["Centre hospitalier Princesse Grace", "Fondation Hector Ott"][k]
        assert d.loc[fid, "network_km"] >= d.loc[fid, "straight_km"] - 1e-9  # a road is never shorter than the crow flies
    assert not any("road distance missing" in n for n in r.notes)


def test_a5_partner_time_matches_networkx(report):
    from siting.network import load_network

    r = report.result("A5")
    assert r.status == "pass"  # 200 beds with a clinic; 40 beds gets a partner
    net = load_network(str(MONACO), "drive")
    tl = [7.4110899, 7.4145251, 7.4248329]
    ta = [43.7303265, 43.7347370, 43.7375806]
    k, seconds, _, _ = _networkx_nearest(net, 7.4335, 43.7445, tl, ta, "travel_time")
    row = r.details.set_index("id").loc["E1"]
    assert row["partner"] == ["Centre hospitalier Princesse Grace", "Fondation Hector Ott", "Centre Cardio Thoracique"][k]
    assert row["partner_minutes"] == pytest.approx(seconds / 60.0, rel=1e-6)


def test_a1_coverage_on_monaco(tmp_path):
    """A1 through the coverage engine: consistent figures, and the threshold decides."""
    from siting.inputs.scenario import load_scenario, load_yaml_with_lines
    from siting.rules import evaluate, inputs_from_scenario, load_pack
    from siting.rules.pack import apply_overrides

    sc = load_scenario(ROOT / "scenarios" / "monaco_demo.yaml")
    ci = inputs_from_scenario(sc)
    pack = apply_overrides(load_pack("qinzhou"), sc.overrides, sc.path).select(["A1"])
    r = evaluate(pack, ci).result("A1")
    f = r.figures
    assert f["population"] == pytest.approx(37308)  # the census total is conserved
    # The covered population recomputed with networkx: one multi-source search from the elderly-care
    # sites on the reversed walk graph, plus each resident's walk to the network at 1 m/s.
    from siting.routing.snap import snap

    net = ci.network("walk")
    demand, _ = ci.demand_points(net)
    sites = ci.subjects(pack.rule("A1").applies_to)
    sources = {int(n) for n in snap(net, sites["lon"].to_numpy(float), sites["lat"].to_numpy(float))["node"]}
    dist = nx.multi_source_dijkstra_path_length(net.to_networkx().reverse(copy=False), sources, weight="travel_time")
    pts = snap(net, demand["lon"].to_numpy(float), demand["lat"].to_numpy(float))
    seconds = np.array([dist.get(int(n), np.inf) for n in pts["node"]]) + pts["snap_m"].to_numpy() / 1.0
    pop = demand["population"].to_numpy(float)
    covered = float(pop[seconds <= 15 * 60 + 1e-9].sum())
    assert f["facilities"] == len(sites) == 1
    assert f["covered"] == pytest.approx(covered) and f["share"] == pytest.approx(covered / 37308)
    assert 0 < covered < 37308 and r.status == "fail"  # one site cannot reach every resident of Monaco
    # Exactly at the threshold passes (same inputs, demand cached on the inputs object).
    y = tmp_path / "o.yaml"
    y.write_text(f"A1:\n  params: {{min_share: {f['share']!r}}}\n", encoding="utf-8")
    at = apply_overrides(pack, load_yaml_with_lines(y), y)
    assert evaluate(at, ci).result("A1").status == "pass"
    # The 60+ group without a 60+ share: not evaluable, saying why.
    r60 = evaluate(load_pack("qinzhou").select(["A1"]), ci).result("A1")
    assert r60.status == "not_evaluable" and "60+" in r60.reason
