"""``siting batch``: run a manifest of jobs on a process pool or a Dask cluster."""

from __future__ import annotations

import argparse
import sys

from siting.cli.common import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "batch",
        help="run many jobs from a manifest (process pool or Dask cluster), resumable",
        description=(
            "Run the jobs of MANIFEST.yaml and write one result file per job to DIR/results/<id>.json. "
            "Finished jobs are skipped on a rerun (resume is the default); failures are recorded with "
            "their traceback in DIR/failures.json and never stop the other jobs; timings go to "
            "DIR/runlog.jsonl. Exit status: 0 when every job is done, 1 when some failed."
        ),
    )
    p.add_argument("manifest", metavar="MANIFEST.yaml", help="jobs and/or parameter grids (paths relative to it)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="tcp://HOST:PORT of a running Dask scheduler, or local:N for a Dask LocalCluster of N "
        "workers on 127.0.0.1 (default: a local process pool)",
    )
    p.add_argument("--workers", type=int, metavar="N",
                   help="process-pool size (default: all cores); the LocalCluster size with --scheduler local")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--force", action="store_true", help="rerun jobs whose result already exists")
    again.add_argument("--resume", action="store_true", help="skip jobs whose result exists (the default)")
    p.add_argument("--list", action="store_true", help="list the jobs and their status; run nothing")
    p.add_argument("--json", action="store_true", help="print the summary (or the --list) as JSON on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    import signal

    from siting.batch import job_status, load_manifest, run_batch

    # `kill` (SIGTERM) stops a run as cleanly as Ctrl-C: failures and the run log are written.
    signal.signal(signal.SIGTERM, _interrupt)

    jobs = load_manifest(args.manifest)
    if args.list:
        rows = job_status(jobs, args.out)
        if args.json:
            print_json(rows)
        else:
            for row in rows:
                print(f"{row['status']:8} {row['id']}  ({row['origin']})")
            print(f"{len(rows)} jobs", file=sys.stderr)
        return 0
    summary = run_batch(
        jobs,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        force=args.force,
        progress=not args.no_progress,
        manifest=args.manifest,
    )
    if args.json:
        print_json(summary.as_dict())
    print(f"batch: {summary.line()}", file=sys.stderr)
    for job_id, error in sorted(summary.failures.items()):
        first = error.splitlines()[0] if error else ""
        print(f"  failed {job_id}: {first}", file=sys.stderr)
    if summary.failures:
        print(f"  details and tracebacks: {args.out}/failures.json", file=sys.stderr)
    return 1 if summary.failed else 0
