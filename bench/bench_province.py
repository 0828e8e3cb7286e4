"""Benchmark the planner's first steps on a province-sized SYNTHETIC extract.

Stages (part A of issue 16), each in a fresh Python process so that its peak
memory is its own:

1. ``generate``: ``make_province.py`` writes the SYNTHETIC province (cached in
   the work folder, keyed by ``--nodes`` and ``--seed``);
2. ``download``: ``siting.osm.download.download_extract`` from the loopback
   mirror (``mirror.py``), which drops the connection once halfway, so the
   download is resumed with an HTTP Range request; then verified by MD5;
3. ``clip``: ``siting.osm.fetch.clip_osm`` to the Qinzhou boundary (adcode
   450700); target: under 2 minutes for a 5M-node extract;
4. ``walk`` and ``drive``: ``siting.network.load_network`` on the clip (no cache);
5. ``facilities`` and ``buildings``: ``siting.osm.features`` on the clip.

Each prints ``RESULT case=province_<stage> seconds=... peak_mb=...``;
``peak_mb`` is the process's high-water mark (``ru_maxrss``), interpreter and
imports included, ``base_mb`` its resident size before the stage started. The
figures are those of generated data: they say how long siting takes on a file
of this size, nothing about Qinzhou.

Usage::

    .venv/bin/python bench/bench_province.py                 # 5M street nodes (~5.7M nodes in all)
    .venv/bin/python bench/bench_province.py --nodes 200000  # a smoke run, well under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def rss_mb() -> float:
    """Current resident set size in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """The process's peak resident set size in MB (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage(name: str, work: Path, nodes: int, seed: int, url: str) -> dict[str, Any]:
    """Run one stage in this process; its measurements and counts."""
    province = work / f"province-{nodes}-{seed}" / NAME
    downloaded, clipped = work / "download" / NAME, work / "clip" / "qinzhou.osm.pbf"
    if name == "generate":
        import make_province

        base, start = rss_mb(), time.perf_counter()
        meta = make_province.write_province(province, nodes=nodes, seed=seed)
        info = {k: meta[k] for k in ("nodes", "street_nodes", "ways", "buildings", "relations")}
        info["mb"] = round(province.stat().st_size / 1e6, 1)
    elif name == "download":
        from siting.osm.download import download_extract

        base, start = rss_mb(), time.perf_counter()
        got = download_extract(url, downloaded)
        info = {"mb": round(got.size / 1e6, 1), "attempts": got.attempts, "resumed": got.resumed,
                "md5_verified": got.md5_verified}
    elif name == "clip":
        from siting.osm.fetch import clip_osm, load_boundary

        polygon = load_boundary(QINZHOU, adcode="450700")
        base, start = rss_mb(), time.perf_counter()
        result = clip_osm(downloaded, polygon, clipped, source_url=url, boundary_note="Qinzhou 450700")
        info = {"nodes": result.nodes, "nodes_inside": result.nodes_inside, "ways": result.ways,
                "relations": result.relations}
    elif name in ("walk", "drive"):
        from siting.network import load_network

        base, start = rss_mb(), time.perf_counter()
        net = load_network(clipped, name, cache=False)
        info = {"nodes": net.n_nodes, "edges": net.n_edges, "dropped_nodes": int(net.info["dropped_nodes"])}
    elif name == "facilities":
        from siting.osm.features import read_facilities

        base, start = rss_mb(), time.perf_counter()
        facilities = read_facilities(clipped)
        info = {"rows": len(facilities), **facilities["type"].value_counts().to_dict()}
    elif name == "buildings":
        from siting.osm.features import read_buildings

        base, start = rss_mb(), time.perf_counter()
        buildings = read_buildings(clipped)
        info = {"buildings": len(buildings), "residential": int(buildings["residential"].sum())}
    else:
        raise ValueError(name)
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_mb(), "base_mb": base, **info}


def run_stage(name: str, work: Path, nodes: int, seed: int, url: str = "") -> dict[str, Any]:
    """``stage`` in a fresh interpreter; its JSON result."""
    cmd = [sys.executable, __file__, "--worker", name, "--work", str(work), "--nodes", str(nodes),
           "--seed", str(seed), "--url", url]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"stage {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(name: str, result: dict[str, Any]) -> None:
    extra = " ".join(f"{k}={v}" for k, v in result.items() if k not in ("seconds", "peak_mb", "base_mb"))
    print(f"RESULT case=province_{name} seconds={result['seconds']:.1f} peak_mb={result['peak_mb']:.0f} "
          f"base_mb={result['base_mb']:.0f} {extra}", flush=True)


def load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark fetch-osm and what follows on a SYNTHETIC province.")
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

    print(f"# SYNTHETIC province, {args.nodes:,} street nodes, seed {args.seed}; work folder {work}")
    print(f"# {os.cpu_count()} cores; load average at start {load()}")
    province = work / f"province-{args.nodes}-{args.seed}" / NAME
    if province.exists() and province.with_name(NAME + ".json").exists():
        print(f"# generate: cached {province}")
    else:
        report("generate", run_stage("generate", work, args.nodes, args.seed))
    (work / "download" / NAME).unlink(missing_ok=True)
    (work / "download" / (NAME + ".part")).unlink(missing_ok=True)
    size = province.stat().st_size
    with Mirror({NAME: province}, drop_after=size // 2) as mirror:
        url = mirror.url(NAME)
        result = run_stage("download", work, args.nodes, args.seed, url)
        ranged = mirror.range_requests(NAME)
    report("download", result)
    print(f"# the mirror dropped the connection after {size // 2:,} of {size:,} bytes; range requests: "
          f"{[(r.range, r.status) for r in ranged]}")
    after = 0.0
    for name in ("clip", "walk", "drive", "facilities", "buildings"):
        result = run_stage(name, work, args.nodes, args.seed, url)
        report(name, result)
        after += result["seconds"]
        if name == "clip":
            met = "yes" if result["seconds"] < CLIP_TARGET_S else "NO"
            print(f"RESULT case=province_clip_target target_s={CLIP_TARGET_S:.0f} "
                  f"seconds={result['seconds']:.1f} met={met}", flush=True)
    print(f"RESULT case=province_after_download seconds={after:.1f}")
    print(f"# load average at end {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
