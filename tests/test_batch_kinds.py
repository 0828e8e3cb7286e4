"""The built-in batch job kinds (siting.batch.kinds), each run through siting.batch.worker.execute
and checked against an independent computation (networkx, scipy, the commands they mirror)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from siting.batch import canonical, make_job
from siting.batch.worker import execute

REPO = Path(__file__).resolve().parents[1]
OSM = REPO / "data" / "osm"


@pytest.mark.parametrize(("mode", "minutes"), [("drive", 1.5), ("walk", 4)])
def test_access_job_matches_networkx(kotka_pbf: Path, kotka_points: list[dict], mode: str, minutes: float) -> None:
    from siting.network import load_network
    from siting.routing.snap import snap

    params = {"network": str(kotka_pbf), "mode": mode, "minutes": minutes, "facilities": kotka_points}
    job = make_job({"kind": "access", **params})
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    result = json.loads(outcome["text"])["result"]

    net = load_network(kotka_pbf, mode)
    nodes = snap(net, [p["lon"] for p in kotka_points], [p["lat"] for p in kotka_points])["node"].tolist()
    # Residents travel to the facility: search the reversed graph.
    graph = net.to_networkx().reverse(copy=True)
    cutoff = minutes * 60
    for facility, node in zip(result["facilities"], nodes):
        within = nx.single_source_dijkstra_path_length(graph, node, cutoff=cutoff, weight="travel_time")
        assert facility["node"] == node
        assert facility["reached_nodes"] == len(within)
    nearest = nx.multi_source_dijkstra_path_length(graph, set(nodes), weight="travel_time")
    within_all = sum(1 for c in nearest.values() if c <= cutoff)
    assert result["nodes_within"] == within_all
    assert result["share_within"] == pytest.approx(within_all / net.n_nodes, abs=1e-11)
    assert result["nearest_time_s"]["median"] == pytest.approx(float(np.median(list(nearest.values()))), rel=1e-9)
    assert result["network"]["nodes"] == net.n_nodes
    if mode == "drive":
        # One-way streets make the two directions differ somewhere on this network.
        back = execute(make_job({"kind": "access", **params, "direction": "from_facility"}).payload())
        forward = nx.multi_source_dijkstra_path_length(net.to_networkx(), set(nodes), weight="travel_time")
        assert json.loads(back["text"])["result"]["nodes_within"] == sum(1 for c in forward.values() if c <= cutoff)


def test_failed_job_reports_error_and_traceback(tmp_path: Path, kotka_points: list[dict]) -> None:
    job = make_job(
        {"kind": "access", "network": "nowhere.osm.pbf", "mode": "walk", "minutes": 5, "facilities": kotka_points},
        base_dir=tmp_path,
    )
    outcome = execute(job.payload())
    assert not outcome["ok"]
    assert outcome["error_type"] == "InputError"
    assert "nowhere.osm.pbf" in outcome["error"] and "not found" in outcome["error"]
    assert "Traceback" in outcome["traceback"]


def test_check_job_is_the_rules_report_and_follows_scenario_files(tmp_path: Path) -> None:
    from siting.rules import check

    shutil.copy(REPO / "data" / "monaco_facilities.csv", tmp_path / "facilities.csv")
    scenario = tmp_path / "monaco.yaml"
    scenario.write_text(
        "name: monaco\nrules: qinzhou\nfacilities: facilities.csv\n"
        f"network: {{source: {OSM / 'monaco.osm.pbf'}, mode: walk}}\nminutes: 15\n",
        encoding="utf-8",
    )
    job = make_job({"kind": "check", "scenario": "monaco.yaml", "only": ["A4", "A5"]}, base_dir=tmp_path)
    assert job.inputs["scenario.facilities"]["path"] == "facilities.csv"
    assert job.inputs["scenario.network"]["sha256"] is not None
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    result = json.loads(outcome["text"])["result"]
    expected = check(scenario, only=["A4", "A5"]).to_json()
    assert result == canonical({k: v for k, v in expected.items() if k not in ("scenario", "inputs")})
    assert [r["id"] for r in result["results"]] == ["A4", "A5"]
    # Editing a file the scenario names gives the job a new id.
    with open(tmp_path / "facilities.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    again = make_job({"kind": "check", "scenario": "monaco.yaml", "only": ["A4", "A5"]}, base_dir=tmp_path)
    assert again.id != job.id and again.slug == job.slug


def test_allocate_job_mclp_matches_brute_force(monaco_walk) -> None:  # type: ignore[no-untyped-def]
    import itertools

    from scipy.sparse.csgraph import dijkstra

    from siting.io import read_points
    from siting.routing.snap import snap

    facilities = REPO / "data" / "monaco_facilities.csv"
    params = {"kind": "allocate", "network": str(OSM / "monaco.osm.pbf"), "mode": "walk", "demand_nodes": 40,
              "candidates": str(facilities), "model": "mclp", "p": 2, "minutes": 4}
    outcome = execute(make_job(params).payload())
    assert outcome["ok"], outcome.get("traceback")
    result = json.loads(outcome["text"])["result"]

    # Independently: walking times from every 40th node to each candidate, then every pair of candidates.
    net = monaco_walk
    demand = np.arange(0, net.n_nodes, 40)
    cands = read_points(facilities)
    nodes = snap(net, cands["lon"].to_numpy(), cands["lat"].to_numpy())["node"].to_numpy()
    times = dijkstra(net.csr("time"), directed=True, indices=demand, limit=240.0)[:, nodes]
    covered = times <= 240.0
    best = max(int((covered[:, list(pair)].any(axis=1)).sum()) for pair in itertools.combinations(range(len(nodes)), 2))
    assert result["objective"] == best
    assert result["n_demand"] == len(demand) and result["n_candidates"] == len(cands)
    chosen = [list(cands["id"]).index(i) for i in result["selected"]]
    assert int(covered[:, chosen].any(axis=1).sum()) == best
    assert "seconds" not in json.dumps(result)  # timings stay out of result files



def test_allocate_job_capacitated_mclp_matches_brute_force(tmp_path: Path, monaco_walk) -> None:  # type: ignore[no-untyped-def]
    """A single-sourced capacitated MCLP as a batch job: for every pair of sites, a max-flow gives the most
    demand nodes the two can take within their capacities; the job must reach the best pair's."""
    import itertools

    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra, maximum_flow

    from siting.io import read_points
    from siting.routing.snap import snap

    cands = read_points(REPO / "data" / "monaco_facilities.csv")
    cands["capacity"] = [3 + i % 4 for i in range(len(cands))]
    cands[["id", "lon", "lat", "capacity"]].to_csv(tmp_path / "sites.csv", index=False)
    params = {"kind": "allocate", "network": str(OSM / "monaco.osm.pbf"), "mode": "walk", "demand_nodes": 40,
              "candidates": "sites.csv", "model": "cmclp", "p": 2, "minutes": 4, "single_source": True}
    outcome = execute(make_job(params, base_dir=tmp_path).payload())
    assert outcome["ok"], outcome.get("traceback")
    result = json.loads(outcome["text"])["result"]

    net = monaco_walk
    demand = np.arange(0, net.n_nodes, 40)
    nodes = snap(net, cands["lon"].to_numpy(), cands["lat"].to_numpy())["node"].to_numpy()
    covered = dijkstra(net.csr("time"), directed=True, indices=demand, limit=240.0)[:, nodes] <= 240.0

    def served(pair: tuple[int, ...]) -> int:  # source -> demand -> site -> sink, unit demand
        n, k = len(demand), len(pair)
        rows, cols, caps = [], [], []
        for i in range(n):
            rows.append(0), cols.append(1 + i), caps.append(1)
            for a, j in enumerate(pair):
                if covered[i, j]:
                    rows.append(1 + i), cols.append(1 + n + a), caps.append(1)
        for a, j in enumerate(pair):
            rows.append(1 + n + a), cols.append(1 + n + k), caps.append(int(cands["capacity"].iloc[j]))
        graph = csr_matrix((caps, (rows, cols)), shape=(n + k + 2, n + k + 2), dtype=np.int32)
        return int(maximum_flow(graph, 0, n + k + 1).flow_value)

    best = max(served(pair) for pair in itertools.combinations(range(len(nodes)), 2))
    assert 0 < best < int(covered.any(axis=1).sum())  # capacity binds
    assert result["objective"] == best and result["status"] == "optimal"
    chosen = tuple(list(cands["id"]).index(i) for i in result["selected"])
    assert served(chosen) == best

def test_isochrones_job_areas_match_its_polygons(kotka_pbf: Path, kotka_points: list[dict]) -> None:
    import geopandas as gpd
    import shapely

    job = make_job({"kind": "isochrones", "network": str(kotka_pbf), "mode": "walk", "minutes": [3, 6],
                    "facilities": kotka_points[:2], "geometry": True})
    assert job.slug == "isochrones-kotka_test-walk-3_6"
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    rows = json.loads(outcome["text"])["result"]["isochrones"]
    assert [(r["facility_id"], r["minutes"]) for r in rows] == [
        (p["id"], m) for p in kotka_points[:2] for m in (3.0, 6.0)
    ]
    geoms = gpd.GeoSeries([shapely.from_geojson(json.dumps(r["geometry"])) for r in rows], crs=4326)
    areas = geoms.to_crs(geoms.estimate_utm_crs()).area.to_numpy()
    assert np.allclose(areas, [r["area_m2"] for r in rows], rtol=1e-3)
    # Nested: the 6-minute circle holds the 3-minute one.
    for small, large in zip(geoms[::2], geoms[1::2]):
        assert large.buffer(1e-7).contains(small)
        assert large.area > small.area


def test_coverage_job_matches_an_independent_count(tmp_path: Path, monaco_walk) -> None:  # type: ignore[no-untyped-def]
    from scipy.sparse.csgraph import dijkstra

    from siting.inputs.facilities import read_facilities
    from siting.routing.snap import snap

    net = monaco_walk
    # Demand: 40 points 30 m east of network nodes, 10..49 people each.
    idx = np.linspace(0, net.n_nodes - 1, 40).astype(int)
    lon, lat = net.lon[idx] + 30 / (111_320 * np.cos(np.radians(net.lat[idx]))), net.lat[idx]
    pop = np.arange(10, 50)
    lines = ["id,lon,lat,population"] + [f"d{i},{a:.7f},{b:.7f},{p}" for i, (a, b, p) in enumerate(zip(lon, lat, pop))]
    (tmp_path / "demand.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    facilities = REPO / "data" / "monaco_facilities.csv"
    job = make_job({"kind": "coverage", "network": str(OSM / "monaco.osm.pbf"), "facilities": str(facilities),
                    "facility_type": "hospital", "minutes": [5, 10], "demand": "demand.csv"}, base_dir=tmp_path)
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    result = json.loads(outcome["text"])["result"]

    # Walk from each point to its node at walking speed, then the network to the nearest hospital.
    hospitals = read_facilities(facilities)
    hospitals = hospitals[hospitals["type"] == "hospital"]
    fnodes = snap(net, hospitals["lon"].to_numpy(), hospitals["lat"].to_numpy())["node"].to_numpy()
    dsnap = snap(net, lon, lat)
    to_hospital = dijkstra(net.csr("time").T.tocsr(), directed=True, indices=fnodes, min_only=True)
    walk_ms = 1.0  # the default walking speed, 3.6 km/h
    time_s = dsnap["snap_m"].to_numpy() / walk_ms + to_hospital[dsnap["node"].to_numpy()]
    expected = [float(pop[time_s <= m * 60].sum()) for m in (5, 10)]
    assert [c["covered"] for c in result["coverage"]] == expected
    assert 0 < expected[0] < expected[1] < pop.sum()
    assert [c["population"] for c in result["coverage"]] == [float(pop.sum())] * 2


def test_score_job_is_siting_score_with_paths_as_written(tmp_path: Path) -> None:
    from siting.planning.scoring import score_candidates, score_json

    csv = tmp_path / "cands.csv"
    csv.write_text("id,lon,lat\nphar,7.418789,43.732746\nsea,7.43,43.70\nbad,x,43.7\n", encoding="utf-8")
    scenario = REPO / "scenarios" / "monaco_demo.yaml"
    job = make_job({"kind": "score", "scenario": str(scenario), "candidates": "cands.csv"}, base_dir=tmp_path)
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    result = json.loads(outcome["text"])["result"]
    direct = score_json(score_candidates(scenario, csv))
    # The same document, with the candidates file named as the manifest names it.
    text = json.dumps(canonical(direct), sort_keys=True).replace(json.dumps(str(csv))[1:-1], "cands.csv")
    assert text == json.dumps(canonical(result), sort_keys=True)
    assert [c["id"] for c in result["candidates"]] == ["phar"]
    assert {(s["id"], s["file"]) for s in result["skipped"]} == {("sea", "cands.csv"), ("bad", "cands.csv")}


def test_minutes_as_text_are_limits_not_characters(kotka_pbf: Path, kotka_points: list[dict]) -> None:
    """``minutes: "5,10"`` passes the kind's check; the job must then use 5 and 10, not '5', ',', '1', '0'."""
    from siting.analysis.isochrones import isochrones
    from siting.network import load_network

    points = kotka_points[:1]
    job = make_job({"kind": "isochrones", "network": str(kotka_pbf), "mode": "walk", "minutes": "5,10",
                    "facilities": points})
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    rows = json.loads(outcome["text"])["result"]["isochrones"]
    expected = isochrones(load_network(kotka_pbf, "walk"), pd.DataFrame(points), [5, 10], threads=1)
    assert [r["minutes"] for r in rows] == [5.0, 10.0]
    assert [r["area_m2"] for r in rows] == pytest.approx(expected["area_m2"].tolist(), rel=1e-12)


@pytest.mark.parametrize(("key", "value"), [("minutes", float("nan")), ("walk_kmh", float("nan")),
                                            ("minutes", float("inf")), ("bike_kmh", float("-inf"))])
def test_not_a_number_is_not_positive(tmp_path: Path, kotka_points: list[dict], key: str, value: float) -> None:
    from siting.errors import InputError

    entry = {"kind": "access", "network": "k.osm.pbf", "mode": "walk", "minutes": 5, "facilities": kotka_points,
             key: value}
    with pytest.raises(InputError, match=key):
        make_job(entry, base_dir=tmp_path)
