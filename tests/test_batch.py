"""Batch runs: manifests, job ids, the access kind, a real Dask LocalCluster, failures and resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import yaml

from siting.batch.runner import (
    FAILURES,
    canonical_json,
    execute,
    load_manifest,
    open_backend,
    read_runlog,
    result_path,
    run_batch,
)
from siting.errors import InputError, SitingError

REPO = Path(__file__).resolve().parents[1]
OSM = REPO / "data" / "osm"

# Real OpenStreetMap points of the bundled extracts (node ids in the ids).
KOTKA_POINTS = [
    {"id": "kindergarten-1324225776", "lon": 26.959021, "lat": 60.534777},
    {"id": "fuel-894396069", "lon": 26.945165, "lat": 60.523051},
    {"id": "parking-4891814772", "lon": 26.93978, "lat": 60.522733},
]
MONACO_POINTS = [
    {"id": "pharmacy-1712696734", "lon": 7.418789, "lat": 43.732746},
    {"id": "pharmacy-3087473845", "lon": 7.424074, "lat": 43.73983},
    {"id": "school-1872391440", "lon": 7.435066, "lat": 43.748674},
]


@pytest.fixture()
def study(tmp_path: Path) -> Path:
    """A study folder: the two extracts under data/, a facilities CSV and a manifest with a planted failure."""
    data = tmp_path / "study" / "data"
    data.mkdir(parents=True)
    shutil.copy(OSM / "kotka_test.osm.pbf", data / "kotka.osm.pbf")
    shutil.copy(OSM / "monaco.osm.pbf", data / "monaco.osm.pbf")
    lines = ["id,lon,lat"] + [f"{p['id']},{p['lon']},{p['lat']}" for p in KOTKA_POINTS]
    (data / "kotka_points.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = {
        "defaults": {"snap_tolerance_m": 300},
        "grids": [
            {
                "kind": "access",
                "network": "data/kotka.osm.pbf",
                "facilities": "data/kotka_points.csv",
                "vary": {"mode": ["walk", "drive"], "minutes": [3, 6]},
            }
        ],
        "jobs": [
            {"kind": "access", "name": "monaco-walk", "network": "data/monaco.osm.pbf", "mode": "walk",
             "minutes": 5, "facilities": MONACO_POINTS},
            {"kind": "network", "network": "data/monaco.osm.pbf", "mode": "drive"},
            # Planted failure: the facilities file does not exist.
            {"kind": "access", "name": "planted-missing", "network": "data/kotka.osm.pbf", "mode": "walk",
             "minutes": 5, "facilities": "data/missing.csv"},
        ],
    }
    path = tmp_path / "study" / "batch.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


def _results(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "results").glob("*.json"))}


def _last_run(out: Path) -> list[dict]:
    events = read_runlog(out)
    run = [e for e in events if e["event"] == "start"][-1]["run"]
    return [e for e in events if e["run"] == run and e["event"] == "job"]


# ----------------------------------------------------------------------------------------------
# Manifests and ids


def test_manifest_expands_grid_and_resolves_paths(study: Path) -> None:
    jobs = load_manifest(study)
    assert len(jobs) == 4 + 3
    grid = [j for j in jobs if j.origin.startswith("grids")]
    assert sorted((j.params["mode"], j.params["minutes"]) for j in grid) == [
        ("drive", 3), ("drive", 6), ("walk", 3), ("walk", 6)
    ]
    job = grid[0]
    # Paths stay as written in the params, absolute for the worker.
    assert job.params["network"] == "data/kotka.osm.pbf"
    assert job.resolved["network"] == str(study.parent / "data" / "kotka.osm.pbf")
    assert job.params["snap_tolerance_m"] == 300  # from defaults
    assert job.inputs["network"]["sha256"] is not None
    missing = next(j for j in jobs if j.slug == "planted-missing")
    assert missing.inputs["facilities"]["sha256"] is None
    # The defaults key the network kind does not take is not forced on it.
    net_job = next(j for j in jobs if j.kind == "network")
    assert "snap_tolerance_m" not in net_job.params
    assert len({j.id for j in jobs}) == len(jobs)
    assert all(j.id.startswith(j.slug + "-") and len(j.id) == len(j.slug) + 13 for j in jobs)


def test_job_ids_are_stable_and_follow_parameters_and_input_bytes(study: Path, tmp_path: Path) -> None:
    first = {j.slug: j.id for j in load_manifest(study)}
    assert first == {j.slug: j.id for j in load_manifest(study)}
    # The same study copied elsewhere keeps its ids (relative paths, content hashes).
    moved = shutil.copytree(study.parent, tmp_path / "moved")
    assert first == {j.slug: j.id for j in load_manifest(moved / "batch.yaml")}
    # 5 and 5.0 minutes are the same job; 6 minutes is another.
    doc = yaml.safe_load(study.read_text())
    doc["jobs"][0]["minutes"] = 5.0
    study.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert {j.slug: j.id for j in load_manifest(study)}["monaco-walk"] == first["monaco-walk"]
    doc["jobs"][0]["minutes"] = 6
    study.write_text(yaml.safe_dump(doc), encoding="utf-8")
    first = {j.slug: j.id for j in load_manifest(study)}
    assert first["monaco-walk"] != {j.slug: j.id for j in load_manifest(moved / "batch.yaml")}["monaco-walk"]
    # Changing a facilities file's bytes changes the ids of the jobs that read it, and only those.
    csv = study.parent / "data" / "kotka_points.csv"
    csv.write_text(csv.read_text() + "extra,26.95,60.53\n", encoding="utf-8")
    after = {j.slug: j.id for j in load_manifest(study)}
    changed = {s for s in first if first[s] != after.get(s)}
    assert changed == {s for s in first if s.startswith("access-kotka")}
    assert len(changed) == 4


def test_demo_manifest_uses_bundled_data_only() -> None:
    jobs = load_manifest(REPO / "examples" / "batch_demo.yaml")
    assert len(jobs) >= 6
    assert {j.kind for j in jobs} >= {"access", "network", "check", "allocate"}
    for job in jobs:
        for key, info in job.inputs.items():
            # Only the Chinese cities' OSM extracts are missing offline (fetched with `siting fetch-osm`).
            assert info["sha256"] is not None or key == "scenario.network", (job.id, key)
            assert not Path(info["path"]).is_absolute()


def test_duplicate_jobs_are_dropped(tmp_path: Path) -> None:
    job = {"kind": "network", "network": str(OSM / "kotka_test.osm.pbf"), "mode": "walk"}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({"jobs": [job, dict(job)], "grids": [{**job, "vary": {"mode": ["walk"]}}]}))
    assert len(load_manifest(path)) == 1


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"jobs": [{"kind": "acess", "network": "x.pbf"}]}, "jobs[0].kind", "unknown job kind 'acess'"),
        ({"jobs": [{"kind": "access", "network": "x.pbf", "minutes": 5, "facilites": "f.csv"}]},
         "jobs[0].facilites", "unknown parameter"),
        ({"jobs": [{"kind": "access", "network": "x.pbf", "facilities": "f.csv"}]}, "jobs[0].minutes", "needs"),
        ({"jobs": [{"kind": "access", "network": "x.pbf", "facilities": "f.csv", "minutes": 5, "mode": "wlak"}]},
         "jobs[0]", "mode 'wlak'"),
        ({"grids": [{"kind": "network", "network": "x.pbf", "vary": {"mode": []}}]}, "grids[0].vary", "non-empty"),
        ({"defaults": {"minuets": 5}, "jobs": [{"kind": "network", "network": "x.pbf"}]}, "defaults.minuets",
         "not a parameter"),
        ({"job": []}, "job", "unknown key"),
    ],
)
def test_bad_manifests_name_the_entry(tmp_path: Path, doc: dict, field: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_manifest(path)
    assert err.value.field == field
    assert words in str(err.value)
    assert str(path) in str(err.value)


def test_canonical_json_is_fixed() -> None:
    text = canonical_json({"b": np.float64(1 / 3), "a": [np.int64(2), float("nan"), -0.0, np.inf], "c": "钦州"})
    assert text == '{\n  "a": [\n    2,\n    null,\n    0.0,\n    null\n  ],\n  "b": 0.333333333333,\n  "c": "钦州"\n}\n'
    # Last-bit noise (different summation orders) prints the same.
    assert canonical_json(0.1 + 0.2) == canonical_json(0.3)


# ----------------------------------------------------------------------------------------------
# The access kind, against networkx


@pytest.mark.parametrize(("mode", "minutes"), [("drive", 1.5), ("walk", 4)])
def test_access_job_matches_networkx(kotka_pbf: Path, mode: str, minutes: float) -> None:
    from siting.network import load_network
    from siting.routing.snap import snap

    params = {"network": str(kotka_pbf), "mode": mode, "minutes": minutes, "facilities": KOTKA_POINTS}
    from siting.batch.runner import make_job

    job = make_job({"kind": "access", **params})
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    result = json.loads(outcome["text"])["result"]

    net = load_network(kotka_pbf, mode)
    nodes = snap(net, [p["lon"] for p in KOTKA_POINTS], [p["lat"] for p in KOTKA_POINTS])["node"].tolist()
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


def test_failed_job_reports_error_and_traceback(tmp_path: Path) -> None:
    from siting.batch.runner import make_job

    job = make_job(
        {"kind": "access", "network": "nowhere.osm.pbf", "mode": "walk", "minutes": 5, "facilities": KOTKA_POINTS},
        base_dir=tmp_path,
    )
    outcome = execute(job.payload())
    assert not outcome["ok"]
    assert outcome["error_type"] == "InputError"
    assert "nowhere.osm.pbf" in outcome["error"] and "not found" in outcome["error"]
    assert "Traceback" in outcome["traceback"]


def test_check_job_is_the_rules_report_and_follows_scenario_files(tmp_path: Path) -> None:
    from siting.batch.runner import canonical, make_job
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

    from siting.batch.runner import make_job
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


def test_isochrones_job_areas_match_its_polygons(kotka_pbf: Path) -> None:
    import geopandas as gpd
    import shapely

    from siting.batch.runner import make_job

    job = make_job({"kind": "isochrones", "network": str(kotka_pbf), "mode": "walk", "minutes": [3, 6],
                    "facilities": KOTKA_POINTS[:2], "geometry": True})
    assert job.slug == "isochrones-kotka_test-walk-3_6"
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    rows = json.loads(outcome["text"])["result"]["isochrones"]
    assert [(r["facility_id"], r["minutes"]) for r in rows] == [
        (p["id"], m) for p in KOTKA_POINTS[:2] for m in (3.0, 6.0)
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

    from siting.batch.runner import make_job
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
    from siting.batch.runner import canonical, make_job
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


# ----------------------------------------------------------------------------------------------
# Running: process pool vs a real Dask LocalCluster, failures, resume


def test_dask_cluster_gives_byte_identical_results_and_isolates_failure(study: Path, tmp_path: Path) -> None:
    jobs = load_manifest(study)
    planted = next(j for j in jobs if j.slug == "planted-missing")
    pool_out, dask_out = tmp_path / "pool", tmp_path / "dask"

    pool = run_batch(jobs, pool_out, workers=2, progress=False, manifest=study)
    assert (pool.done, pool.failed, pool.skipped) == (len(jobs) - 1, 1, 0)
    assert set(pool.failures) == {planted.id}

    # A cluster started apart, reached by its tcp:// address as a remote one would be.
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local:
        address = local.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        cluster = run_batch(jobs, dask_out, scheduler=address, progress=False, manifest=study)
    assert cluster.backend == f"dask cluster {address}" and cluster.workers == 2
    assert (cluster.done, cluster.failed) == (len(jobs) - 1, 1)

    assert _results(pool_out) == _results(dask_out)
    assert set(_results(pool_out)) == {f"{j.id}.json" for j in jobs if j is not planted}
    # Both worker processes of the cluster ran jobs.
    workers = {e["worker"] for e in _last_run(dask_out) if e["status"] == "done"}
    assert len(workers) == 2

    for out in (pool_out, dask_out):
        failures = json.loads((out / FAILURES).read_text())
        assert list(failures) == [planted.id]
        entry = failures[planted.id]
        assert "missing.csv" in entry["error"] and "not found" in entry["error"]
        assert "Traceback" in entry["traceback"] and entry["origin"] == "jobs[2]"
        assert not result_path(out, planted.id).exists()

    # A result file holds the job's parameters as written and nothing of the run.
    doc = json.loads(result_path(pool_out, next(j.id for j in jobs if j.slug == "monaco-walk")).read_text())
    assert doc["params"]["network"] == "data/monaco.osm.pbf"
    assert set(doc) == {"id", "slug", "kind", "params", "inputs", "result"}
    assert [f["id"] for f in doc["result"]["facilities"]] == [p["id"] for p in MONACO_POINTS]


@pytest.fixture()
def pool():  # type: ignore[no-untyped-def]
    """One process pool reused by several runs (its workers keep their networks)."""
    backend = open_backend(workers=1)
    yield backend
    backend.close()


def test_rerun_runs_only_missing_jobs_and_force_reruns_all(study: Path, tmp_path: Path, pool) -> None:  # type: ignore[no-untyped-def]
    jobs = [j for j in load_manifest(study) if j.kind == "access"]
    out = tmp_path / "out"
    first = run_batch(jobs, out, backend=pool, progress=False, manifest=study)
    assert (first.done, first.failed) == (len(jobs) - 1, 1)
    before = _results(out)

    victim = next(j for j in jobs if j.slug == "monaco-walk")
    result_path(out, victim.id).unlink()
    again = run_batch(jobs, out, backend=pool, progress=False, manifest=study)
    ran = {e["job"]: e["status"] for e in _last_run(out)}
    # Only the deleted job and the still-failing one ran; the rest were skipped.
    assert {j for j, s in ran.items() if s == "done"} == {victim.id}
    assert {j for j, s in ran.items() if s == "failed"} == set(again.failures)
    assert sum(s == "skipped" for s in ran.values()) == len(jobs) - 2
    assert _results(out) == before

    # Fixing the planted failure gives that job a new id (new input bytes); its stale failure is pruned.
    shutil.copy(study.parent / "data" / "kotka_points.csv", study.parent / "data" / "missing.csv")
    fixed_jobs = [j for j in load_manifest(study) if j.kind == "access"]
    fixed = run_batch(fixed_jobs, out, backend=pool, progress=False, manifest=study)
    assert (fixed.done, fixed.failed, fixed.skipped) == (1, 0, len(jobs) - 1)
    assert json.loads((out / FAILURES).read_text()) == {}

    forced = run_batch(fixed_jobs, out, backend=pool, progress=False, manifest=study, force=True)
    assert (forced.done, forced.skipped) == (len(jobs), 0)
    assert {k: v for k, v in _results(out).items() if k in before} == before

    # A second run into the same folder at the same time is refused.
    import fcntl

    with open(out / ".lock", "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(SitingError, match="another `siting batch` is running"):
            run_batch(fixed_jobs, out, backend=pool, progress=False)


def _heavy_study(tmp_path: Path, n_jobs: int) -> Path:
    """Jobs of a few tenths of a second each: 400 Monaco network nodes as facilities, walk."""
    from siting.network import load_network

    net = load_network(OSM / "monaco.osm.pbf", "walk")
    pick = np.linspace(0, net.n_nodes - 1, 400).astype(int)
    lines = ["id,lon,lat"] + [f"n{i},{net.lon[i]:.7f},{net.lat[i]:.7f}" for i in pick]
    (tmp_path / "nodes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = {
        "grids": [
            {
                "kind": "access",
                "network": str(OSM / "monaco.osm.pbf"),
                "facilities": "nodes.csv",
                "mode": "walk",
                "vary": {"minutes": [10 + i for i in range(n_jobs)]},
            }
        ]
    }
    path = tmp_path / "heavy.yaml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return path


def test_killed_run_resumes_without_redoing_finished_jobs(tmp_path: Path) -> None:
    manifest = _heavy_study(tmp_path, 10)
    jobs = load_manifest(manifest)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "siting", "batch", str(manifest), "--out", str(out), "--workers", "1",
           "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while not list((out / "results").glob("*.json")):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its forkserver and pool workers
        proc.wait()
    finished = set(_results(out))
    assert 1 <= len(finished) < len(jobs)
    assert not list((out / "results").glob(".*.tmp"))  # atomic writes leave no partial files

    summary = run_batch(jobs, out, workers=1, progress=False, manifest=manifest)
    assert summary.skipped == len(finished)
    assert summary.done == len(jobs) - len(finished)
    redone = {e["job"] + ".json" for e in _last_run(out) if e["status"] == "done"}
    assert not redone & finished
    assert redone | finished == {f"{j.id}.json" for j in jobs}


# ----------------------------------------------------------------------------------------------
# Command line


def test_cli_summary_json_and_exit_status(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "siting", "batch", str(study), "--out", str(out), "--scheduler", "local:2", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr  # one job failed
    summary = json.loads(proc.stdout)
    assert (summary["total"], summary["done"], summary["failed"], summary["skipped"]) == (7, 6, 1, 0)
    assert summary["backend"] == "dask LocalCluster (2 workers on 127.0.0.1)"
    assert "6 done, 1 failed, 0 skipped" in proc.stderr
    assert "planted-missing" in proc.stderr
    listed = subprocess.run(cmd[:-1] + ["--list", "--json"], capture_output=True, text=True, timeout=120)
    rows = json.loads(listed.stdout)
    assert sorted(r["status"] for r in rows) == ["done"] * 6 + ["failed"]


def test_cli_bad_manifest_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("jobs:\n  - kind: access\n    minutes: [5\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "siting", "batch", str(bad), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("siting: error: ") and "not valid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr
