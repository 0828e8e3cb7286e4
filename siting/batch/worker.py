"""What runs on a worker: one job in, its outcome out; never an exception for the job's own errors.

The back-ends (:mod:`siting.batch.backends`) send :func:`execute` a job's
payload (plain data) and get back either the text of its result file or its
error and traceback. :func:`warm` builds a shared network before the jobs
that need it start.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Hashable, Mapping
from typing import Any

from siting.batch.caches import warm_network
from siting.batch.canonical import canonical_json
from siting.batch.registry import get_kind


def worker_name() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def result_document(job: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """The canonical text of a job's result file."""
    return canonical_json(
        {
            "id": job["id"],
            "slug": job["slug"],
            "kind": job["kind"],
            "params": job["params"],
            "inputs": job["inputs"],
            "result": result,
        }
    )


def execute(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Run one job; never raises for the job's own errors.

    Returns a dict with ``id``, ``ok``, ``text`` (the result file's content)
    or ``error``/``error_type``/``traceback``, ``seconds`` and ``worker``.
    """
    start = time.perf_counter()
    out: dict[str, Any] = {"id": payload["id"], "worker": worker_name()}
    try:
        kind = get_kind(payload["kind"])
        result = kind.func(dict(payload["resolved"]))
        if not isinstance(result, Mapping):
            raise TypeError(f"job kind '{kind.name}' returned {type(result).__name__}, not a dict")
        # Input paths echoed in the result are given as the manifest wrote them, not as this machine's.
        written = {v: payload["params"][k] for k, v in payload["resolved"].items()
                   if isinstance(v, str) and v != payload["params"].get(k)}
        out.update(ok=True, text=result_document(payload, paths_as_written(result, written)))
    except Exception as exc:  # isolate the job: record it, let the others run
        out.update(ok=False, error=str(exc) or type(exc).__name__, error_type=type(exc).__name__,
                   traceback=traceback.format_exc())
    out["seconds"] = time.perf_counter() - start
    return out


def paths_as_written(obj: Any, written: Mapping[str, Any]) -> Any:
    """``obj`` with every string that is a resolved path replaced by the path as the manifest wrote it."""
    if isinstance(obj, str):
        return written.get(obj, obj)
    if isinstance(obj, Mapping):
        return {k: paths_as_written(v, written) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [paths_as_written(v, written) for v in obj]
    return obj


def warm(spec: Hashable) -> dict[str, Any]:
    """Build one shared network on a worker (it lands in the disk and worker caches)."""
    start = time.perf_counter()
    try:
        warm_network(spec)
        return {"ok": True, "seconds": time.perf_counter() - start, "worker": worker_name()}
    except Exception as exc:  # the jobs that need it will fail and record why
        return {"ok": False, "error": str(exc), "seconds": time.perf_counter() - start, "worker": worker_name()}
