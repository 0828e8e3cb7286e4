"""Benchmark the planner's whole path on a province-sized SYNTHETIC extract.

Stages, each in a fresh Python process so that its peak memory is its own:

1. ``generate``: ``make_province.py`` writes the SYNTHETIC province (cached in
   the work folder, keyed by ``--nodes`` and ``--seed``);
2. ``download``: ``siting.osm.download.download_extract`` from the loopback
   mirror (``mirror.py``), which drops the connection once halfway, so the
   download is resumed with an HTTP Range request; then verified by MD5;
3. ``clip``: ``siting.osm.fetch.clip_osm`` to the Qinzhou boundary (adcode
   450700), written where the scenario reads it; target: under 2 minutes for a
   5M-node extract;
4. ``walk`` and ``drive``: ``siting.network.load_network`` on the clip, stored
   in the network cache (a fresh one per run, ``<work>/cache``), as the first
   ``siting check`` would build and store them;
5. ``facilities`` and ``buildings``: ``siting.osm.features`` on the clip (what
   ``siting facilities`` and the demand read);
6. ``check``, ``place`` and ``report``: ``siting check --json``, ``siting place
   --json`` and ``siting report --lang zh`` on the planner's scenario, a copy of
   ``scenarios/qinzhou.yaml`` on the generated province (``rehearsal.py``: its
   title says SYNTHETIC, its ``fetch.url`` is the mirror's).

Each prints ``RESULT case=province_<stage> seconds=... peak_mb=...``;
``peak_mb`` is the process's high-water mark (``ru_maxrss``), interpreter and
imports included, ``base_mb`` its resident size before the stage started, and
``load`` the machine's 1-minute load average when it ended, ``cpu_s`` the CPU
seconds the stage used (user + system, every thread: on a shared machine, the
figure a busy neighbour does not inflate). Then the totals:
the path after the download (stages 3-6) against its targets, 10 minutes and
6 GB (the largest stage peak: the commands run one after another). The figures
are those of generated data: they say how long siting takes on a file of this
size, nothing about Qinzhou.

Usage::

    .venv/bin/python bench/bench_province.py                 # 5M street nodes (~5.7M nodes in all)
    .venv/bin/python bench/bench_province.py --nodes 200000  # a smoke run, about a minute
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

QINZHOU = ROOT / "data" / "china" / "boundaries_qinzhou.geojson"
NAME = "synthetic-guangxi.osm.pbf"
CLIP_TARGET_S = 120.0
PATH_TARGET_S = 600.0
PATH_TARGET_MB = 6 * 1024.0
AFTER_DOWNLOAD = ("clip", "walk", "drive", "facilities", "buildings", "check", "place", "report")


def rss_mb() -> float:
    """Current resident set size in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """The process's peak resident set size in MB (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds this process has used (user + system, all its threads)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def load() -> float:
    """The 1-minute load average."""
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def paths(work: Path, nodes: int, seed: int) -> dict[str, Path]:
    """Where each stage reads and writes."""
    scenario = work / "rehearsal" / "scenarios" / "qinzhou.yaml"
    return {"province": work / f"province-{nodes}-{seed}" / NAME, "download": work / "download" / NAME,
            "scenario": scenario, "clip": work / "rehearsal" / "data" / "osm" / "qinzhou.osm.pbf",
            "out": work / "rehearsal" / "out"}


def command(argv: list[str], out: Path | None = None) -> str:
    """Run a ``siting`` command in this process; its standard output (also written to ``out``)."""
    from siting.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    if code != 0:
        raise RuntimeError(f"siting {' '.join(argv)} exited with {code}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(buf.getvalue(), encoding="utf-8")
    return buf.getvalue()


def run_path_stage(name: str, p: dict[str, Path]) -> dict[str, Any]:
    """Stages 3-6 (and their counts); ``clip`` needs the download in place."""
    if name == "clip":
        from siting.osm.fetch import clip_osm, load_boundary

        polygon = load_boundary(QINZHOU, adcode="450700")
        r = clip_osm(p["download"], polygon, p["clip"], boundary_note="Qinzhou 450700 (SYNTHETIC province)")
        return {"nodes": r.nodes, "nodes_inside": r.nodes_inside, "ways": r.ways, "relations": r.relations}
    if name in ("walk", "drive"):
        from siting.network import load_network

        net = load_network(p["clip"], name)
        return {"nodes": net.n_nodes, "edges": net.n_edges, "dropped_nodes": int(net.info["dropped_nodes"])}
    if name == "facilities":
        from siting.osm.features import read_facilities

        facilities = read_facilities(p["clip"])
        return {"rows": len(facilities), **facilities["type"].value_counts().to_dict()}
    if name == "buildings":
        from siting.osm.features import read_buildings

        buildings = read_buildings(p["clip"])
        return {"buildings": len(buildings), "residential": int(buildings["residential"].sum())}
    sc = str(p["scenario"])
    if name == "check":
        report = json.loads(command(["check", "--scenario", sc, "--json"], p["out"] / "check.json"))
        rules = {r["id"]: r for r in report["results"]}
        return {**report["counts"], "A1": rules["A1"]["status"], "A4": rules["A4"]["status"],
                "hospitals_counted": rules["A4"]["figures"].get("hospitals_counted")}
    if name == "place":
        placed = json.loads(command(["place", "--scenario", sc, "--json"], p["out"] / "place.json"))
        rows = placed["projects"]
        return {"projects": len(rows), "placed": sum(not r["how_chosen"].startswith("not placed") for r in rows),
                "A4_by_road": sum(r["hospital_rule_judged_on"] == "network" for r in rows),
                "groups": "/".join(f"{g['group']}:{g['method']}" for g in placed["groups"])}
    if name == "report":
        html = p["out"] / "report.html"
        command(["report", "--scenario", sc, "--lang", "zh", "--out", str(html)])
        return {"mb": round(html.stat().st_size / 1e6, 1)}
    raise ValueError(name)


def stage(name: str, work: Path, nodes: int, seed: int, url: str) -> dict[str, Any]:
    """Run one stage in this process; its measurements and counts."""
    p = paths(work, nodes, seed)
    base, start, cpu = rss_mb(), time.perf_counter(), cpu_s()
    if name == "generate":
        import make_province

        meta = make_province.write_province(p["province"], nodes=nodes, seed=seed)
        info = {k: meta[k] for k in ("nodes", "street_nodes", "ways", "buildings", "relations")}
        info["mb"] = round(p["province"].stat().st_size / 1e6, 1)
    elif name == "download":
        from siting.osm.download import download_extract

        got = download_extract(url, p["download"])
        info = {"mb": round(got.size / 1e6, 1), "attempts": got.attempts, "resumed": got.resumed,
                "md5_verified": got.md5_verified}
    else:
        info = run_path_stage(name, p)
    return {"seconds": time.perf_counter() - start, "cpu_s": cpu_s() - cpu, "peak_mb": peak_mb(), "base_mb": base,
            "load": load(), **info}


def run_stage(name: str, work: Path, nodes: int, seed: int, url: str = "") -> dict[str, Any]:
    """``stage`` in a fresh interpreter (network cache in ``<work>/cache``); its JSON result."""
    cmd = [sys.executable, __file__, "--worker", name, "--work", str(work), "--nodes", str(nodes),
           "--seed", str(seed), "--url", url]
    env = dict(os.environ, SITING_CACHE_DIR=str(work / "cache"), MPLBACKEND="Agg")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"stage {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(name: str, result: dict[str, Any]) -> None:
    skip = ("seconds", "cpu_s", "peak_mb", "base_mb", "load")
    extra = " ".join(f"{k}={v}" for k, v in result.items() if k not in skip)
    print(f"RESULT case=province_{name} seconds={result['seconds']:.1f} cpu_s={result['cpu_s']:.1f} "
          f"peak_mb={result['peak_mb']:.0f} base_mb={result['base_mb']:.0f} load={result['load']:.1f} {extra}",
          flush=True)


def fresh_start(work: Path, p: dict[str, Path], url: str) -> None:
    """No download, clip, network cache or outputs of an earlier run; the scenario copy written."""
    import rehearsal

    for path in (p["download"], p["download"].with_name(NAME + ".part"), p["clip"]):
        path.unlink(missing_ok=True)
    for folder in (work / "cache", p["out"]):
        shutil.rmtree(folder, ignore_errors=True)
    rehearsal.write_scenario(work / "rehearsal", url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the planner's path on a SYNTHETIC province.")
    parser.add_argument("--nodes", type=int, default=5_000_000, help="street nodes of the generated province")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", default="/tmp/siting-bench-province", help="work folder (the province is cached)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    work = Path(args.work)
    if args.worker:
        print(json.dumps(stage(args.worker, work, args.nodes, args.seed, args.url)))
        return 0

    from mirror import Mirror

    p = paths(work, args.nodes, args.seed)
    print(f"# SYNTHETIC province, {args.nodes:,} street nodes, seed {args.seed}; work folder {work}")
    print(f"# {os.cpu_count()} cores; load average at start {load():.1f}", flush=True)
    if p["province"].exists() and p["province"].with_name(NAME + ".json").exists():
        print(f"# generate: cached {p['province']}")
    else:
        report("generate", run_stage("generate", work, args.nodes, args.seed))
    size = p["province"].stat().st_size
    with Mirror({NAME: p["province"]}, drop_after=size // 2) as mirror:
        url = mirror.url(NAME)
        fresh_start(work, p, url)
        report("download", run_stage("download", work, args.nodes, args.seed, url))
        ranged = mirror.range_requests(NAME)
    print(f"# the mirror dropped the connection after {size // 2:,} of {size:,} bytes; range requests: "
          f"{[(r.range, r.status) for r in ranged]}")
    results = {}
    for name in AFTER_DOWNLOAD:
        results[name] = run_stage(name, work, args.nodes, args.seed, url)
        report(name, results[name])
    clip_s = results["clip"]["seconds"]
    print(f"RESULT case=province_clip_target target_s={CLIP_TARGET_S:.0f} seconds={clip_s:.1f} "
          f"met={'yes' if clip_s < CLIP_TARGET_S else 'NO'}")
    total = sum(r["seconds"] for r in results.values())
    cpu_total = sum(r["cpu_s"] for r in results.values())
    peak = max(results.values(), key=lambda r: r["peak_mb"])
    stage_of_peak = next(k for k, r in results.items() if r is peak)
    met = total < PATH_TARGET_S and peak["peak_mb"] < PATH_TARGET_MB
    print(f"RESULT case=province_after_download seconds={total:.1f} cpu_s={cpu_total:.1f} target_s={PATH_TARGET_S:.0f} "
          f"peak_mb={peak['peak_mb']:.0f} (stage {stage_of_peak}) target_mb={PATH_TARGET_MB:.0f} "
          f"met={'yes' if met else 'NO'}")
    print(f"# load average at end {load():.1f}; outputs in {p['out']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
