"""Benchmark the travel-time engine against networkx, and the network builder.

Run::

    .venv/bin/python bench/bench_engine.py [--quick]

Cases (one ``RESULT`` line each):

``monaco_walk``
    Bounded search (15-minute walk at 1.0 m/s) from 1,000 random sources on the
    bundled Monaco walk graph: ``siting.routing.engine.reach`` against networkx's
    ``single_source_dijkstra_path_length(cutoff=...)`` per source, as in the
    osmnx tutorials.
``grid_300k``
    The same on a generated city of at least 300,000 nodes (a jittered grid
    with ~80 m blocks, some missing blocks and diagonals).
``nearest_300k``
    Nearest of 1,000 facilities for every node of that city (one multi-source search).
``build_walk_1M_edges``
    ``load_network(cache=False)`` of the walk graph of a generated PBF with at
    least 1M walk edges (``bench/make_pbf.py``).

Every measurement runs in a fresh subprocess, so the peak memory of one does
not hide behind another's. See ``bench/README.md`` for the method.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

CUTOFF_S = 15 * 60.0
WALK_MPS = 1.0
N_SOURCES = 1000
GRID_NODES = 300_000
BUILD_EDGES = 1_000_000


# ----------------------------------------------------------------------------------------------
# Memory


def rss_mb() -> float:
    """Current resident set size in MB (from /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return max_rss_mb()


def max_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


# ----------------------------------------------------------------------------------------------
# Graphs


def city_grid(n_nodes: int = GRID_NODES, seed: int = 0) -> Any:
    """A jittered street grid of at least ``n_nodes`` nodes after the component filter.

    Blocks are 70-90 m; 6 % of blocks are missing and 4 % of cells get a
    diagonal, so node degrees and path shapes vary as in a city. Every segment
    is walkable both ways at ``WALK_MPS``.
    """
    from siting.coords import haversine_m
    from siting.network.build import from_edges

    rng = np.random.default_rng(seed)
    side = int(math.ceil(math.sqrt(n_nodes * 1.03)))
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    step = rng.uniform(70.0, 90.0, size=side)  # street spacing varies row by row and column by column
    xs = np.concatenate([[0.0], np.cumsum(step[:-1])])
    x = xs[jj] + rng.uniform(-10, 10, ii.shape)
    y = xs[ii] + rng.uniform(-10, 10, ii.shape)
    lat0, lon0 = 21.95, 108.62
    lon = (lon0 + x / (111_320.0 * math.cos(math.radians(lat0)))).ravel()
    lat = (lat0 + y / 111_320.0).ravel()
    ids = np.arange(side * side).reshape(side, side)
    a = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    b = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(len(a)) >= 0.06
    a, b = a[keep], b[keep]
    diag = rng.random((side - 1, side - 1)) < 0.04
    a = np.concatenate([a, ids[:-1, :-1][diag]])
    b = np.concatenate([b, ids[1:, 1:][diag]])
    length = haversine_m(lon[a], lat[a], lon[b], lat[b])
    u, v = np.concatenate([a, b]), np.concatenate([b, a])
    length = np.concatenate([length, length])
    net = from_edges(
        "walk", ids.ravel(), lon, lat, u, v, length, length / WALK_MPS,
        np.full(len(u), "residential"), np.arange(len(u)),
    )
    assert net.n_nodes >= n_nodes, net.n_nodes
    return net


def load_case_graph(case: str, workdir: Path) -> Any:
    from siting.network.store import load_npz

    return load_npz(workdir / f"{case}.npz")


def prepare_graphs(workdir: Path) -> dict[str, dict[str, int]]:
    """Build the benchmark graphs once and save them, so workers only load them."""
    from siting.network import load_network
    from siting.network.speeds import SpeedProfile
    from siting.network.store import save_npz

    monaco = load_network(REPO / "data" / "osm" / "monaco.osm.pbf", "walk", SpeedProfile(walk_kmh=3.6), cache=False)
    save_npz(monaco, workdir / "monaco_walk.npz")
    grid = city_grid()
    save_npz(grid, workdir / "grid_300k.npz")
    return {
        name: {"nodes": net.n_nodes, "edges": net.n_edges} for name, net in (("monaco_walk", monaco), ("grid_300k", grid))
    }


def sources_for(net: Any, n: int, seed: int = 42) -> np.ndarray:
    return np.random.default_rng(seed).choice(net.n_nodes, n, replace=net.n_nodes < n)


# ----------------------------------------------------------------------------------------------
# Workers (each runs in its own process)


def worker_engine(case: str, workdir: Path, n_sources: int, repeats: int, threads: int | None = None) -> dict[str, Any]:
    from siting.routing.engine import reach

    net = load_case_graph(case, workdir)
    src = sources_for(net, n_sources)
    reach(net, src[:2], CUTOFF_S)  # compile / load the kernel and build the search arrays
    base = rss_mb()
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        out = reach(net, src, CUTOFF_S, threads=threads)
        times.append(time.perf_counter() - start)
        if k < repeats - 1:
            del out  # free the rows before the next run, as a caller would
    return {
        "seconds": min(times),
        "peak_mb": max(max_rss_mb() - base, 0.0),
        "rss_base_mb": base,
        "max_rss_mb": max_rss_mb(),
        "rows": len(out),
        "checksum": float(out["cost"].sum()),
    }


def worker_networkx(case: str, workdir: Path, n_sources: int, repeats: int) -> dict[str, Any]:
    import networkx as nx

    net = load_case_graph(case, workdir)
    graph = net.to_networkx()  # a MultiDiGraph, as osmnx gives
    src = sources_for(net, n_sources)
    base = rss_mb()
    times = []
    for _ in range(repeats):
        rows = 0
        total = 0.0
        start = time.perf_counter()
        for s in src.tolist():
            dist = nx.single_source_dijkstra_path_length(graph, s, cutoff=CUTOFF_S, weight="travel_time")
            rows += len(dist)
            total += sum(dist.values())
        times.append(time.perf_counter() - start)
    return {"seconds": min(times), "peak_mb": max(max_rss_mb() - base, 0.0), "rows": rows, "checksum": total}


def worker_nearest(case: str, workdir: Path, n_sources: int, repeats: int) -> dict[str, Any]:
    from siting.routing.engine import nearest

    net = load_case_graph(case, workdir)
    src = sources_for(net, n_sources, seed=7)
    net.csr("time")  # the CSR matrix is built once per network and cached
    base = rss_mb()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        cost, which = nearest(net, src)
        times.append(time.perf_counter() - start)
    return {
        "seconds": min(times),
        "peak_mb": max(max_rss_mb() - base, 0.0),
        "reached": int((which >= 0).sum()),
        "max_cost_s": float(cost[np.isfinite(cost)].max()),
    }


def worker_build(pbf: Path) -> dict[str, Any]:
    from siting.network import load_network

    base = rss_mb()
    start = time.perf_counter()
    net = load_network(pbf, "walk", cache=False)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mb": max(max_rss_mb() - base, 0.0),
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "dropped_nodes": int(net.info["dropped_nodes"]),
    }


def worker_profile(case: str, workdir: Path, n_sources: int, repeats: int) -> dict[str, Any]:
    """Where the engine's time goes: kernel vs. frame assembly, one thread vs. all."""
    from siting.routing.engine import bounded_dijkstra, graph_arrays, reach

    net = load_case_graph(case, workdir)
    src = sources_for(net, n_sources)
    reach(net, src[:2], CUTOFF_S)
    indptr, indices, data, other = graph_arrays(net, "time", False)
    timings: dict[str, float] = {}

    def best(label: str, fn: Any) -> None:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        timings[label] = round(min(runs), 4)

    for with_other in (False, True):
        best(
            f"kernel_1thread_other={with_other}",
            lambda w=with_other: bounded_dijkstra(
                indptr, indices, data, other, w, src, np.arange(len(src)), CUTOFF_S, net.n_nodes
            ),
        )
    best("kernel_1thread_sorted_sources", lambda: bounded_dijkstra(
        indptr, indices, data, other, False, np.sort(src), np.argsort(src), CUTOFF_S, net.n_nodes
    ))
    best("kernel_1source_x100", lambda: [
        bounded_dijkstra(indptr, indices, data, other, False, src[i : i + 1], np.zeros(1, np.int64), CUTOFF_S, net.n_nodes)
        for i in range(100)
    ])
    for threads in sorted({1, os.cpu_count() or 1}):
        best(f"reach_threads={threads}", lambda t=threads: reach(net, src, CUTOFF_S, threads=t))
    best("reach_no_other", lambda: reach(net, src, CUTOFF_S, with_other=False))
    return timings


def worker_engine_1thread(case: str, workdir: Path, n_sources: int, repeats: int) -> dict[str, Any]:
    return worker_engine(case, workdir, n_sources, repeats, threads=1)


WORKERS = {"engine": worker_engine, "engine_1thread": worker_engine_1thread, "networkx": worker_networkx, "nearest": worker_nearest, "profile": worker_profile}


def run_worker(kind: str, *args: str) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; return its JSON result."""
    cmd = [sys.executable, __file__, "--worker", kind, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {kind} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark siting's engine against networkx.")
    parser.add_argument("--quick", action="store_true", help="200 sources and a 250k-edge PBF: about a minute")
    parser.add_argument("--profile", action="store_true", help="also print where the engine's time goes")
    parser.add_argument("--workdir", default=None, help="folder for generated graphs (default: a temporary one)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        kind, *rest = args.worker
        if kind == "build":
            result = worker_build(Path(rest[0]))
        else:
            result = WORKERS[kind](rest[0], Path(rest[1]), int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        return 0

    n_sources = 200 if args.quick else N_SOURCES
    repeats = "1" if args.quick else "3"  # the best of `repeats` runs, for both engines
    build_edges = 250_000 if args.quick else BUILD_EDGES
    with tempfile.TemporaryDirectory(prefix="siting-bench-", dir=args.workdir) as tmp:
        workdir = Path(tmp)
        start = time.perf_counter()
        sizes = prepare_graphs(workdir)
        print(f"# graphs prepared in {time.perf_counter() - start:.1f} s: {json.dumps(sizes)}", flush=True)
        print(
            f"# {n_sources} sources, cutoff {CUTOFF_S:.0f} s at {WALK_MPS} m/s, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f}, best of {repeats} runs",
            flush=True,
        )
        for case in ("monaco_walk", "grid_300k"):
            eng = run_worker("engine", case, str(workdir), str(n_sources), repeats)
            ref = run_worker("networkx", case, str(workdir), str(n_sources), repeats)
            if eng["rows"] != ref["rows"] or not math.isclose(eng["checksum"], ref["checksum"], rel_tol=1e-9):
                raise SystemExit(f"{case}: engine and networkx disagree: {eng} vs {ref}")
            one = run_worker("engine_1thread", case, str(workdir), str(n_sources), repeats)
            print(
                f"# {case}: engine {eng['seconds']:.3f} s ({one['seconds']:.3f} s on 1 thread: ratio "
                f"{ref['seconds'] / one['seconds']:.1f}), networkx {ref['seconds']:.3f} s, "
                f"{eng['rows']:,} (source, node) pairs, engine base RSS {eng['rss_base_mb']:.0f} MB",
                flush=True,
            )
            print(
                f"RESULT case={case} ratio={ref['seconds'] / eng['seconds']:.1f} peak_mb={eng['peak_mb']:.0f}",
                flush=True,
            )
            if args.profile:
                print(f"# profile {case}: {json.dumps(run_worker('profile', case, str(workdir), str(n_sources), '3'))}")
        near = run_worker("nearest", "grid_300k", str(workdir), str(N_SOURCES), "3")
        print(f"# nearest_300k: {near['reached']:,} nodes reached, farthest {near['max_cost_s']:.0f} s")
        print(f"RESULT case=nearest_300k seconds={near['seconds']:.3f} peak_mb={near['peak_mb']:.0f}", flush=True)

        from make_pbf import write_city

        pbf = workdir / "city.osm.pbf"
        start = time.perf_counter()
        counts = write_city(pbf, build_edges)
        print(
            f"# generated {pbf.name} ({pbf.stat().st_size / 2**20:.1f} MB, {counts['nodes']:,} nodes, "
            f"{counts['ways']:,} ways) in {time.perf_counter() - start:.1f} s",
            flush=True,
        )
        build = run_worker("build", str(pbf))
        name = "build_walk_1M_edges" if build["edges"] >= 1_000_000 else f"build_walk_{build['edges'] // 1000}k_edges"
        print(f"# built walk graph: {build['nodes']:,} nodes, {build['edges']:,} edges")
        print(f"RESULT case={name} seconds={build['seconds']:.2f} peak_mb={build['peak_mb']:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
