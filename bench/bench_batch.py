"""Batch throughput at 1 and 2 workers on the same manifest.

The manifest (:mod:`siting.batch.sample_study`) has ``--jobs`` access jobs on
the bundled Monaco walk network, each with ``--facilities`` real network nodes
as facilities and its own time limit (15, 16, ... minutes), so every job does
real work (a bounded search from each facility). Each run starts its own
workers (their start-up is part of the time, as for a user) and writes into a
fresh folder.

    .venv/bin/python bench/bench_batch.py                      # process pool
    .venv/bin/python bench/bench_batch.py --scheduler local    # Dask LocalCluster (local:1, local:2)

Prints ``RESULT case=batch_scaling ratio=<t1/t2>`` (``batch_scaling_dask`` with ``--scheduler local``).
The mean job time per run shows contention: on a machine whose cores are
busy with other work, two workers slow each job down and the ratio drops.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--facilities", type=int, default=600)
    parser.add_argument("--scheduler", choices=["pool", "local"], default="pool")
    parser.add_argument("--repeat", type=int, default=2, help="runs per worker count; the fastest counts")
    args = parser.parse_args()

    from siting.batch import load_manifest, read_runlog, run_batch
    from siting.batch.sample_study import write_monaco_access_study

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault("SITING_CACHE_DIR", str(folder / "cache"))
        manifest = write_monaco_access_study(folder, n_jobs=args.jobs, n_facilities=args.facilities, first_minutes=15)
        jobs = load_manifest(manifest)
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
        same, why = identical_results(folder / "out1" / "results", folder / "out2" / "results", len(jobs))
        case = "batch_scaling" if args.scheduler == "pool" else "batch_scaling_dask"
        if not same:
            # Different answers make the timing meaningless: no ratio, and a failing exit status.
            print(f"RESULT case={case} identical=False why={why!r} jobs={len(jobs)}")
            sys.exit(1)
        print(
            f"RESULT case={case} ratio={times[1] / times[2]:.3f} t1_s={times[1]:.2f} t2_s={times[2]:.2f} "
            f"jobs={len(jobs)} cores={os.cpu_count()} identical=True load_1min={os.getloadavg()[0]:.1f}"
        )


def identical_results(one: Path, two: Path, n_jobs: int) -> tuple[bool, str]:
    """Whether two result folders hold the same ``n_jobs`` result files, byte for byte (and why not).

    An empty or partial folder is not identical to anything: there must be jobs, and every job must
    have its file in both.
    """
    a = {p.name: p for p in one.glob("*.json")} if one.is_dir() else {}
    b = {p.name: p for p in two.glob("*.json")} if two.is_dir() else {}
    if n_jobs < 1 or len(a) != n_jobs or len(b) != n_jobs:
        return False, f"{len(a)} and {len(b)} result files for {n_jobs} jobs"
    if set(a) != set(b):
        return False, f"different files: {sorted(set(a) ^ set(b))[:3]}"
    differ = [name for name in sorted(a) if a[name].read_bytes() != b[name].read_bytes()]
    return (not differ, f"{len(differ)} file(s) differ, e.g. {differ[:1]}" if differ else "")


if __name__ == "__main__":
    main()
