"""What a batch leaves in its output folder, written so that a crash loses nothing finished.

``DIR/results/<id>.json``
    One canonical JSON file per finished job, written atomically (temporary
    file, then rename): a file that exists is complete, which is what makes a
    rerun resume.
``DIR/runlog.jsonl``
    One JSON line per event (start, job done/failed/skipped, network built,
    end): the timings and hosts, which result files leave out.
``DIR/failures.json``
    The jobs whose last run failed, with error and traceback, merged across runs.
``DIR/.lock``
    Held while a run writes into the folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from siting.batch.canonical import canonical, canonical_json
from siting.batch.manifest import Job
from siting.errors import SitingError
from siting.io import write_text

RESULTS = "results"
FAILURES = "failures.json"
RUNLOG = "runlog.jsonl"


def result_path(out: str | Path, job_id: str) -> Path:
    """``out/results/<job_id>.json``."""
    return Path(out) / RESULTS / f"{job_id}.json"


def write_result(out: str | Path, job_id: str, text: str) -> Path:
    """Write a job's result file atomically."""
    return write_text(result_path(out, job_id), text)


def utc_now() -> str:
    """The time as ISO 8601 UTC with milliseconds, e.g. ``2024-05-01T08:00:00.000Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``DIR/.lock`` for the run: two runs into one folder would do the same jobs twice."""
    import fcntl

    fh = open(out / ".lock", "a")  # noqa: SIM115
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise SitingError(f"another `siting batch` is running into {out}; wait for it or choose another --out") from None
    try:
        yield
    finally:
        fh.close()


class RunLog:
    """Appends one JSON line per event to ``DIR/runlog.jsonl`` (timings and hosts live here)."""

    def __init__(self, path: Path, run: str) -> None:
        self.path = path
        self.run = run
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, event: str, **fields: Any) -> None:
        line = {"event": event, "run": self.run, "time": utc_now(), **fields}
        self.fh.write(json.dumps(canonical(line), ensure_ascii=False, sort_keys=True) + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def read_runlog(out: str | Path) -> list[dict[str, Any]]:
    """Every event of ``DIR/runlog.jsonl`` (an unfinished last line is skipped)."""
    path = Path(out) / RUNLOG
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a crash
    return events


def read_failures(out: str | Path) -> dict[str, dict[str, Any]]:
    """``DIR/failures.json`` as ``{job id: entry}``; empty when missing or damaged (our own file is rebuilt)."""
    path = Path(out) / FAILURES
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return dict(data) if isinstance(data, dict) else {}


class FailureBook:
    """``DIR/failures.json``: the jobs whose last run failed, merged across runs."""

    def __init__(self, out: Path, manifest: str | None) -> None:
        self.path = out / FAILURES
        self.manifest = manifest
        self.entries: dict[str, dict[str, Any]] = read_failures(out)

    def prune(self, current: set[str]) -> None:
        """Forget this manifest's failures that are no longer among its jobs (inputs changed)."""
        for key in list(self.entries):
            if self.entries[key].get("manifest") == self.manifest and key not in current:
                del self.entries[key]

    def record(self, job: Job, outcome: Mapping[str, Any], run: str) -> None:
        self.entries[job.id] = {
            "id": job.id,
            "slug": job.slug,
            "kind": job.kind,
            "origin": job.origin,
            "manifest": self.manifest,
            "params": job.params,
            "error": outcome.get("error", ""),
            "error_type": outcome.get("error_type", ""),
            "traceback": outcome.get("traceback", ""),
            "worker": outcome.get("worker", ""),
            "run": run,
            "time": utc_now(),
        }

    def clear(self, job_id: str) -> bool:
        return self.entries.pop(job_id, None) is not None

    def save(self) -> None:
        if self.entries or self.path.exists():
            write_text(self.path, canonical_json(dict(sorted(self.entries.items()))))
