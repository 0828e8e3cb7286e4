"""Running a batch: the jobs not yet done, on a back-end, each outcome stored as it arrives.

:func:`run_batch` skips the jobs whose result file exists (unless ``force``),
builds each shared network once, queues the jobs of one network back to back,
and records every outcome at once (:mod:`siting.batch.store`): a result file
for a finished job, an entry of ``failures.json`` for a failed one, a line of
the run log for both. A failing job never stops the others; Ctrl-C stops the
run cleanly, keeping what finished.
"""

from __future__ import annotations

import hashlib
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siting.batch.backends import Backend, open_backend
from siting.batch.manifest import Job
from siting.batch.store import (
    RESULTS,
    RUNLOG,
    FailureBook,
    RunLog,
    output_lock,
    read_failures,
    result_path,
    write_result,
)
from siting.batch.worker import execute, warm
from siting.errors import SitingError


@dataclass
class BatchSummary:
    """What a batch run did."""

    out: str
    backend: str
    workers: int
    total: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    failures: dict[str, str] = field(default_factory=dict)  # id -> error of this run's failures
    run: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "backend": self.backend,
            "workers": self.workers,
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
            "failures": self.failures,
            "run": self.run,
        }

    def line(self) -> str:
        text = (
            f"{self.total} jobs: {self.done} done, {self.failed} failed, {self.skipped} skipped "
            f"in {self.seconds:.1f} s on {self.backend} -> {self.out}"
        )
        return text + (" (interrupted)" if self.interrupted else "")


@dataclass
class RunRecorder:
    """Where a run records its outcomes: the output folder, the failure book, the run log, the summary."""

    out: Path
    book: FailureBook
    log: RunLog
    summary: BatchSummary

    def record(self, job: Job, outcome: Mapping[str, Any]) -> None:
        """Store one job's outcome: its result file, or its failure (saved at once)."""
        summary = self.summary
        if outcome["ok"]:
            write_result(self.out, job.id, outcome["text"])
            self.book.clear(job.id)
            summary.done += 1
            self.log.write("job", job=job.id, status="done", seconds=outcome["seconds"], worker=outcome["worker"])
        else:
            self.book.record(job, outcome, self.log.run)
            self.book.save()  # durable at once: a crash later keeps what failed and why
            summary.failed += 1
            summary.failures[job.id] = outcome["error"]
            self.log.write("job", job=job.id, status="failed", seconds=outcome["seconds"],
                           worker=outcome["worker"], error=outcome["error"])


def run_batch(
    jobs: Sequence[Job],
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
    manifest: str | Path | None = None,
    backend: Backend | None = None,
) -> BatchSummary:
    """Run ``jobs``, writing ``out/results/<id>.json``, ``out/failures.json`` and ``out/runlog.jsonl``.

    Parameters
    ----------
    jobs
        From :func:`siting.batch.manifest.load_manifest`.
    out
        Output folder (created).
    scheduler
        None for a local process pool, ``local:N`` for a Dask LocalCluster of N
        workers on 127.0.0.1, or ``tcp://HOST:PORT`` for a running Dask scheduler.
    workers
        Process-pool size (default: the machine's cores); N of ``local`` when it has none.
    force
        Rerun jobs whose result already exists (by default they are skipped).
    progress
        Show a progress bar with an ETA on stderr.
    manifest
        The manifest path, recorded with failures.
    backend
        An open backend to reuse (then ``scheduler`` and ``workers`` are ignored; it is not closed).

    Returns
    -------
    BatchSummary
        Counts of done, failed and skipped jobs. A failing job never stops the others.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SitingError(f"--out {out} is a file; give a folder for the batch results")
    if manifest is not None and Path(manifest).resolve().parent == (out / RESULTS).resolve():
        raise SitingError("the manifest is inside the results folder; choose another --out")
    (out / RESULTS).mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        return _run_locked(jobs, out, scheduler=scheduler, workers=workers, force=force, progress=progress,
                           manifest=manifest, backend=backend)


def _run_locked(
    jobs: Sequence[Job],
    out: Path,
    *,
    scheduler: str | None,
    workers: int | None,
    force: bool,
    progress: bool,
    manifest: str | Path | None,
    backend: Backend | None,
) -> BatchSummary:
    start = time.perf_counter()
    run = uuid.uuid4().hex[:12]
    manifest_name = str(Path(manifest).resolve()) if manifest is not None else None
    todo: list[Job] = []
    skipped: list[Job] = []
    for job in jobs:
        (skipped if not force and result_path(out, job.id).exists() else todo).append(job)
    book = FailureBook(out, manifest_name)
    book.prune({j.id for j in jobs})
    for job in skipped:
        book.clear(job.id)
    own_backend = backend is None
    if own_backend and todo:
        backend = open_backend(scheduler, workers)  # bad --scheduler / --workers fail before any writing
    log = RunLog(out / RUNLOG, run)
    summary = BatchSummary(out=str(out), backend="", workers=0, total=len(jobs), skipped=len(skipped), run=run)
    futures: list[Any] = []
    try:
        summary.backend = backend.name if backend else "nothing to run"
        summary.workers = backend.workers if backend else 0
        log.write(
            "start", manifest=manifest_name, backend=summary.backend, workers=summary.workers,
            host=socket.gethostname(), total=len(jobs), pending=len(todo), skipped=len(skipped), force=force,
            python=sys.version.split()[0],
        )
        for job in skipped:
            log.write("job", job=job.id, status="skipped")
        if todo and backend is not None:
            todo = order_by_network(todo)
            warm_networks(backend, todo, log)
            run_pending(backend, todo, RunRecorder(out, book, log, summary), futures, progress=progress)
    except KeyboardInterrupt:
        summary.interrupted = True
        if backend is not None:
            backend.cancel(futures)
        raise
    finally:
        book.save()
        summary.seconds = time.perf_counter() - start
        log.write("end", done=summary.done, failed=summary.failed, skipped=summary.skipped,
                  seconds=summary.seconds, interrupted=summary.interrupted)
        log.close()
        if own_backend and backend is not None:
            backend.close()
    return summary


def run_pending(backend: Backend, todo: list[Job], recorder: RunRecorder, futures: list[Any], *,
                progress: bool) -> None:
    """Submit ``todo`` and record each outcome as it finishes, with a progress bar.

    ``futures`` receives the submitted futures, so that an interrupted run can cancel them.
    """
    from tqdm import tqdm

    skipped = recorder.summary.skipped
    bar = tqdm(
        total=len(todo), desc="batch", unit="job", file=sys.stderr, disable=not progress,
        dynamic_ncols=True, smoothing=0.05,
    )
    if skipped:
        bar.set_postfix(skipped=skipped)

    def finish(job: Job, outcome: Mapping[str, Any]) -> None:
        recorder.record(job, outcome)
        if not outcome["ok"] and progress:
            first = outcome["error"].splitlines()[0] if outcome["error"] else ""
            bar.write(f"failed: {job.id}: {first}", file=sys.stderr)
            bar.set_postfix(failed=recorder.summary.failed, skipped=skipped)
        bar.update(1)

    by_future = {}
    try:
        for job in todo:
            try:
                fut = backend.submit(execute, job.payload(), job.id)
            except Exception as exc:  # a broken pool: this job cannot start
                finish(job, lost_outcome(job, exc))
                continue
            by_future[fut] = job
            futures.append(fut)
        for fut in backend.as_completed(futures):
            job = by_future.pop(fut)
            try:
                outcome = fut.result()
            except Exception as exc:  # the worker died (killed, out of memory) or was lost
                outcome = lost_outcome(job, exc)
            finish(job, outcome)
    finally:
        bar.close()


def lost_outcome(job: Job, exc: BaseException) -> dict[str, Any]:
    """The outcome of a job whose worker died or could not take it."""
    return {
        "id": job.id, "ok": False, "error": f"worker lost: {exc!r}", "error_type": type(exc).__name__,
        "traceback": "".join(traceback.format_exception(exc)), "worker": "", "seconds": 0.0,
    }


def order_by_network(jobs: list[Job]) -> list[Job]:
    """``jobs`` with those on the same network back to back, so a worker's cached network is reused."""
    first: dict[str, int] = {}
    keys = []
    for i, job in enumerate(jobs):
        k = repr(job.networks())
        first.setdefault(k, i)
        keys.append(first[k])
    return [job for _, _, job in sorted(zip(keys, range(len(jobs)), jobs))]


def warm_networks(backend: Backend, todo: list[Job], log: RunLog) -> None:
    """Build each distinct network once (into the disk cache) before the jobs start."""
    specs: list[Hashable] = []
    for job in todo:
        for spec in job.networks():
            if spec not in specs:
                specs.append(spec)
    if not specs:
        return
    futures = [backend.submit(warm, spec, hashlib.sha256(repr(spec).encode()).hexdigest()[:16]) for spec in specs]
    for spec, fut in zip(specs, futures):
        try:
            info = fut.result()
        except Exception as exc:  # a lost worker: the jobs retry the build themselves
            info = {"ok": False, "error": repr(exc)}
        log.write("network", spec=repr(spec), **info)


def job_status(jobs: Sequence[Job], out: str | Path) -> list[dict[str, Any]]:
    """For ``--list``: each job's id, kind, origin and whether its result exists."""
    failures = read_failures(out)
    rows = []
    for job in jobs:
        status = "done" if result_path(out, job.id).exists() else ("failed" if job.id in failures else "pending")
        rows.append({"id": job.id, "kind": job.kind, "origin": job.origin, "status": status})
    return rows
