"""Batch throughput at 1 and 2 workers on the same manifest.

The manifest has ``--jobs`` access jobs on the bundled Monaco walk network,
each with ``--facilities`` real network nodes as facilities and its own time
limit (15, 16, ... minutes), so every job does real work (a bounded search
from each facility). Each run starts its own workers (their start-up is part
of the time, as for a user) and writes into a fresh folder.

    .venv/bin/python bench/bench_batch.py                      # process pool
    .venv/bin/python bench/bench_batch.py --scheduler local    # Dask LocalCluster (local:1, local:2)

Prints ``RESULT case=batch_scaling ratio=<t1/t2>`` (``batch_scaling_dask`` with ``--scheduler local``).
The mean job time per run shows contention: on a machine whose cores are
busy with other work, two workers slow each job down and the ratio drops.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
MONACO = REPO / "data" / "osm" / "monaco.osm.pbf"


def write_manifest(folder: Path, n_jobs: int, n_facilities: int) -> Path:
    from siting.network import load_network

    net = load_network(MONACO, "walk")
    pick = np.linspace(0, net.n_nodes - 1, n_facilities).astype(int)
    lines = ["id,lon,lat"] + [f"n{i},{net.lon[i]:.7f},{net.lat[i]:.7f}" for i in pick]
    (folder / "facilities.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = {
        "grids": [
            {
                "kind": "access",
                "network": str(MONACO),
                "facilities": "facilities.csv",
                "mode": "walk",
                "vary": {"minutes": [15 + i for i in range(n_jobs)]},
            }
        ]
    }
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--facilities", type=int, default=600)
    parser.add_argument("--scheduler", choices=["pool", "local"], default="pool")
    parser.add_argument("--repeat", type=int, default=2, help="runs per worker count; the fastest counts")
    args = parser.parse_args()

    from siting.batch.runner import load_manifest, read_runlog, run_batch

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault("SITING_CACHE_DIR", str(folder / "cache"))
        jobs = load_manifest(write_manifest(folder, args.jobs, args.facilities))
        times: dict[int, float] = {}
        for workers in (1, 2):
            scheduler = f"local:{workers}" if args.scheduler == "local" else None
            for r in range(args.repeat):
                start = time.perf_counter()
                summary = run_batch(
                    jobs, folder / f"out{workers}", scheduler=scheduler, workers=workers, progress=False, force=True
                )
                took = time.perf_counter() - start
                assert summary.done == len(jobs) and summary.failed == 0, summary.as_dict()
                times[workers] = min(times.get(workers, took), took)
                busy = sum(e["seconds"] for e in read_runlog(folder / f"out{workers}")
                           if e["run"] == summary.run and e.get("status") == "done")
                print(
                    f"{workers} worker(s) on {summary.backend}, run {r + 1}: {len(jobs)} jobs in {took:.2f} s "
                    f"= {len(jobs) / took:.2f} jobs/s; mean job {busy / len(jobs):.2f} s, "
                    f"workers busy {100 * busy / (workers * took):.0f} %"
                )
        same = all(
            (folder / "out1" / "results" / p.name).read_bytes() == p.read_bytes()
            for p in (folder / "out2" / "results").glob("*.json")
        )
        case = "batch_scaling" if args.scheduler == "pool" else "batch_scaling_dask"
        print(
            f"RESULT case={case} ratio={times[1] / times[2]:.3f} t1_s={times[1]:.2f} t2_s={times[2]:.2f} "
            f"jobs={len(jobs)} cores={os.cpu_count()} identical={same}"
        )


if __name__ == "__main__":
    main()
