"""Benchmark: 15-minute coverage and isochrone polygons.

Coverage of every demand point against the best networkx way to answer the same question: one
``multi_source_dijkstra_path_length`` from all facilities at once on the reversed travel-time
graph, bounded by the time limit, then a lookup per demand point; on the same network, demand
points and facilities. Both answers (who is covered, and each covered point's travel time) must
agree, or the benchmark prints no ratio and exits with status 1.

The headline ``ratio`` compares like with like: the engine's answer to that question (one
multi-source search, :func:`siting.routing.engine.nearest`, as ``coverage`` computes it, on one
thread) against networkx. ``coverage_s`` and ``coverage_threads_s`` time the whole public
``coverage`` call (one thread, every core), which also computes the 2SFCA catchments, per-unit
figures and equity; ``ratio_threads`` is networkx's time over ``coverage_threads_s``. Cases: the
real Monaco extract (small: fixed costs dominate) and a generated city (``bench/make_pbf.py``).

Isochrones: polygons for 1,000 facilities x 3 thresholds (5, 10, 15 minutes'
walk) on Monaco, target under 2 minutes; plus one naive polygon (osmnx-style:
buffer every reached edge and union) for comparison.

Prints::

    RESULT case=coverage_<name> ratio=<baseline_s/ours_1thread_s> ratio_threads=... ours_s=... ours_threads_s=... baseline_s=...
    RESULT case=isochrones_1000x3 seconds=<n> per_polygon_ms=...
    RESULT case=isochrone_naive_one seconds=<n>

Run ``python bench/bench_coverage.py`` (a few minutes; generates a 600k-edge city once in ``--work``) or ``--quick``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from siting.analysis.coverage import coverage
from siting.analysis.demand import MONACO_CENSUS_2016, demand_from_census, extent_unit, snap_demand
from siting.analysis.isochrones import isochrone_polygons
from siting.network import load_network
from siting.osm.features import read_buildings
from siting.routing.engine import nearest

DATA = Path(__file__).resolve().parents[1] / "data" / "osm"


def networkx_times(graph: nx.MultiDiGraph, fac_nodes: np.ndarray, demand_nodes: np.ndarray, limit_s: float) -> np.ndarray:
    """Seconds from each demand point's node to the nearest facility (inf beyond ``limit_s``): one
    multi-source Dijkstra on the reversed graph (resident to facility), bounded by the limit."""
    dist = nx.multi_source_dijkstra_path_length(graph, {int(n) for n in fac_nodes}, cutoff=limit_s,
                                                weight="travel_time")
    return np.array([dist.get(int(n), np.inf) for n in demand_nodes])


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """(fastest wall time of ``repeat`` runs, the last run's answer)."""
    best, answer = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = run()
        best = min(best, time.perf_counter() - t0)
    return best, answer


def monaco_demand(net: Any, pbf: Path, name: str) -> pd.DataFrame:
    unit = extent_unit(net, name, MONACO_CENSUS_2016)
    return snap_demand(net, demand_from_census(unit, "population", read_buildings(pbf), unit_column="unit"))


def node_demand(net: Any, n_points: int) -> gpd.GeoDataFrame:
    """``n_points`` demand points of 10 people each on random network nodes (no access legs)."""
    nodes = np.random.default_rng(2).choice(net.n_nodes, min(n_points, net.n_nodes), replace=False)
    return gpd.GeoDataFrame({"population": 10.0, "node": nodes, "snap_m": 0.0, "lon": net.lon[nodes],
                             "lat": net.lat[nodes]}, geometry=gpd.points_from_xy(net.lon[nodes], net.lat[nodes]),
                            crs=4326)


def engine_times(net: Any, fac_nodes: np.ndarray, demand_nodes: np.ndarray) -> np.ndarray:
    """What ``coverage`` computes for the shares: one reversed multi-source search, then a lookup."""
    cost, _ = nearest(net, fac_nodes, weight="time", reverse=True)
    return cost[demand_nodes]


def bench_coverage(name: str, net: Any, demand: pd.DataFrame, n_facilities: int, minutes: float = 15.0,
                   repeat: int = 2) -> None:
    rng = np.random.default_rng(0)
    nodes = rng.choice(net.n_nodes, n_facilities, replace=False)
    fac = pd.DataFrame({"id": [f"f{k}" for k in range(len(nodes))], "type": "elderly",
                        "lon": net.lon[nodes], "lat": net.lat[nodes]})
    limit = minutes * 60.0
    coverage(net, demand.iloc[:5], fac.iloc[:1], "elderly", "all", [minutes], access_legs=False)  # warm-up (JIT)
    dnodes = demand["node"].to_numpy()
    one_s, ours = best_of(repeat, lambda: coverage(net, demand, fac, "elderly", "all", [minutes],
                                                   access_legs=False, threads=1))
    all_s, _ = best_of(repeat, lambda: coverage(net, demand, fac, "elderly", "all", [minutes], access_legs=False))
    core_s, core = best_of(repeat, lambda: engine_times(net, nodes, dnodes))
    graph = net.to_networkx().reverse(copy=True)  # resident -> facility; building it is not timed
    base_s, base = best_of(repeat, lambda: networkx_times(graph, nodes, dnodes, limit))
    mine = ours.points["time_min"].to_numpy() * 60.0
    case = f"coverage_{name}_{n_facilities}fac"
    inside = base <= limit
    covered_same = bool(((mine <= limit) == inside).all() and ((core <= limit) == inside).all())
    times_same = bool(np.allclose(mine[inside], base[inside], rtol=1e-9, atol=1e-6)
                      and np.allclose(core[inside], base[inside], rtol=1e-9, atol=1e-6))
    if not (covered_same and times_same):
        print(f"RESULT case={case} agree=False covered_same={covered_same} times_same={times_same} "
              f"points={len(demand)}", flush=True)
        sys.exit(1)
    print(f"RESULT case={case} ratio={base_s / core_s:.1f} ours_s={core_s:.3f} baseline_s={base_s:.3f} "
          f"coverage_s={one_s:.3f} coverage_threads_s={all_s:.3f} ratio_threads={base_s / all_s:.1f} "
          f"threads={os.cpu_count()} nodes={net.n_nodes} points={len(demand)} covered={int(inside.sum())} "
          f"agree=True load_1min={os.getloadavg()[0]:.1f}", flush=True)


def generated_city(work: Path, edges: int) -> Any:
    """The walk network of a generated city of about ``edges`` directed edges (bench/make_pbf.py), cached."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_pbf import write_city

    path = work / f"city_{edges}.osm.pbf"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        write_city(path, edges)
    return load_network(path, "walk")


def naive_polygon(net, node: int, limit_s: float, buffer_m: float) -> shapely.Geometry:  # type: ignore[no-untyped-def]
    """osmnx-style: buffer every edge between reached nodes and union them (no partial edges)."""
    from siting.routing.engine import reach

    r = reach(net, np.array([node]), limit_s, reverse=True)
    ok = np.zeros(net.n_nodes, dtype=bool)
    ok[r["node"].to_numpy()] = True
    sel = ok[net.u] & ok[net.v]
    lines = shapely.linestrings(np.stack([np.column_stack([net.x[net.u[sel]], net.y[net.u[sel]]]),
                                          np.column_stack([net.x[net.v[sel]], net.y[net.v[sel]]])], axis=1))
    return shapely.union_all(shapely.buffer(lines, buffer_m))


def bench_isochrones(n: int) -> None:
    net = load_network(DATA / "monaco.osm.pbf", "walk")
    nodes = np.random.default_rng(1).choice(net.n_nodes, n, replace=True)
    isochrone_polygons(net, nodes[:2], [5, 10, 15], threads=1)  # warm-up (JIT)
    t0 = time.perf_counter()
    polys, net_area, _ = isochrone_polygons(net, nodes, [5, 10, 15])
    seconds = time.perf_counter() - t0
    area = shapely.area(polys)
    print(f"RESULT case=isochrones_{n}x3 seconds={seconds:.1f} per_polygon_ms={1000 * seconds / (3 * n):.1f} "
          f"mean_area_15_m2={area[:, 2].mean():.0f} mean_quality_15={(net_area[:, 2] / area[:, 2]).mean():.3f} "
          f"cores={os.cpu_count()} load_1min={os.getloadavg()[0]:.1f}",
          flush=True)
    t0 = time.perf_counter()
    naive_polygon(net, int(nodes[0]), 900.0, 25.0)
    print(f"RESULT case=isochrone_naive_one seconds={time.perf_counter() - t0:.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer facilities (about a minute)")
    parser.add_argument("--only", choices=["coverage", "isochrones"], help="run one part only")
    parser.add_argument("--work", type=Path, default=Path("/tmp/siting-bench"), help="folder for generated cities")
    args = parser.parse_args()
    if args.only != "isochrones":
        pbf = DATA / "monaco.osm.pbf"
        net = load_network(pbf, "walk")
        demand = monaco_demand(net, pbf, "monaco")
        bench_coverage("monaco", net, demand, 10)
        bench_coverage("monaco", net, demand, 100)
        city = generated_city(args.work, 100_000 if args.quick else 600_000)
        bench_coverage("city", city, node_demand(city, 50_000), 300)
    if args.only != "coverage":
        bench_isochrones(100 if args.quick else 1000)


if __name__ == "__main__":
    main()
