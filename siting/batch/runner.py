"""Batch runs: many jobs from one manifest, on a process pool or a Dask cluster.

A manifest (YAML) lists jobs, or parameter grids that expand into jobs. Each
job has a kind (``access``, ``coverage``, ...; see :mod:`siting.batch.jobs`)
and parameters. Its id is a readable slug plus a hash of its canonical
parameters and of the bytes of its input files: the same job keeps the same id
on any machine, and a job whose input changed gets a new one.

Each finished job is written atomically to ``DIR/results/<id>.json`` in
canonical JSON (sorted keys, fixed float formatting, no timestamps or host
names), so the same inputs give byte-identical files locally or on a cluster.
A rerun skips jobs whose result exists. Timings and hosts go to
``DIR/runlog.jsonl``; errors with their tracebacks to ``DIR/failures.json``.

Manifest format::

    defaults:                  # merged into every job whose kind takes the key
      network: ../data/osm/monaco.osm.pbf
    jobs:                      # explicit jobs
      - {kind: access, name: clinics-walk, mode: walk, minutes: 10, facilities: clinics.csv}
    grids:                     # each grid expands to each x product(vary)
      - kind: access
        facilities: clinics.csv
        each:                  # bundles of parameters (outer loop), 'name' labels the slug
          - {name: monaco, network: ../data/osm/monaco.osm.pbf}
        vary:                  # every combination of these lists
          mode: [walk, drive]
          minutes: [5, 10, 15]

Paths are relative to the manifest's folder.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from siting.errors import InputError, SitingError
from siting.io import require_file, write_text

FLOAT_DIGITS = 12  # significant digits kept in result files; absorbs last-bit noise
RESULTS = "results"
FAILURES = "failures.json"
RUNLOG = "runlog.jsonl"

# ----------------------------------------------------------------------------------------------
# Canonical JSON


def canonical(obj: Any) -> Any:
    """``obj`` as plain JSON values: numpy scalars and arrays unpacked, floats
    rounded to :data:`FLOAT_DIGITS` significant digits, NaN and infinities as
    None, paths as POSIX strings."""
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return canonical(obj.tolist())
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        if not math.isfinite(x):
            return None
        x = float(f"{x:.{FLOAT_DIGITS}g}")
        return 0.0 if x == 0 else x  # no "-0.0"
    if isinstance(obj, Path):
        return obj.as_posix()
    raise TypeError(f"cannot write a {type(obj).__name__} to a result file; return JSON values")


def canonical_json(obj: Any) -> str:
    """Canonical JSON text: sorted keys, 2-space indent, UTF-8 kept readable, final newline."""
    return json.dumps(canonical(obj), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _hash_text(obj: Any) -> str:
    return json.dumps(canonical(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ----------------------------------------------------------------------------------------------
# Job kinds


@dataclass(frozen=True)
class JobKind:
    """A kind of batch job: a function of its parameters that returns JSON values.

    Attributes
    ----------
    name
        The ``kind:`` value in manifests.
    func
        ``func(params) -> dict``; ``params`` has every declared parameter,
        with path parameters made absolute.
    required, optional
        Parameter names; ``optional`` maps names to defaults.
    paths
        Parameters that name input files (relative to the manifest when not absolute).
    slug
        Parameters whose values make the job's readable slug.
    networks
        ``networks(params) -> list`` of hashable network specs the job needs;
        the runner builds each distinct one once before the jobs start.
    check
        ``check(params)`` raising ``ValueError`` on a bad value; run when the
        manifest is read, so typos fail before any work starts.
    extra_inputs
        ``extra_inputs(params) -> {label: absolute path}``: files the job reads
        besides its path parameters (those a scenario names); their bytes go
        into the job id too.
    """

    name: str
    func: Callable[[dict[str, Any]], dict[str, Any]]
    required: tuple[str, ...] = ()
    optional: Mapping[str, Any] = field(default_factory=dict)
    paths: tuple[str, ...] = ()
    slug: tuple[str, ...] = ()
    networks: Callable[[dict[str, Any]], list[Hashable]] | None = None
    check: Callable[[dict[str, Any]], None] | None = None
    extra_inputs: Callable[[dict[str, Any]], dict[str, str]] | None = None
    summary: str = ""

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.required + tuple(k for k in self.optional if k not in self.required)


KINDS: dict[str, JobKind] = {}


def register_kind(
    name: str,
    *,
    required: Sequence[str] = (),
    optional: Mapping[str, Any] | None = None,
    paths: Sequence[str] = (),
    slug: Sequence[str] = (),
    networks: Callable[[dict[str, Any]], list[Hashable]] | None = None,
    check: Callable[[dict[str, Any]], None] | None = None,
    extra_inputs: Callable[[dict[str, Any]], dict[str, str]] | None = None,
) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Decorator registering ``func(params) -> dict`` as the job kind ``name``.

    Kinds registered outside :mod:`siting.batch.jobs` must be importable on
    every worker; name them in manifests as ``package.module:function``.
    """

    def deco(func: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        doc = (func.__doc__ or "").strip().splitlines()
        KINDS[name] = JobKind(
            name=name,
            func=func,
            required=tuple(required),
            optional=dict(optional or {}),
            paths=tuple(paths),
            slug=tuple(slug),
            networks=networks,
            check=check,
            extra_inputs=extra_inputs,
            summary=doc[0] if doc else "",
        )
        return func

    return deco


def get_kind(name: str) -> JobKind:
    """The registered kind ``name``, or a kind given as ``package.module:function``."""
    import siting.batch.jobs  # noqa: F401  (registers the built-in kinds)

    if name in KINDS:
        return KINDS[name]
    if ":" in name:
        import importlib

        module, _, attr = name.partition(":")
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise SitingError(f"cannot import the job kind module '{module}' ({exc})") from exc
        if name in KINDS:  # the module registered itself under this name
            return KINDS[name]
        func = getattr(mod, attr, None)
        if not callable(func):
            raise SitingError(f"'{module}' has no function '{attr}' for the job kind '{name}'")
        for kind in KINDS.values():
            if kind.func is func:
                return kind
        return JobKind(name=name, func=func, summary="user function")
    raise SitingError(f"unknown job kind '{name}': use one of {', '.join(sorted(KINDS))} or 'module:function'")


# ----------------------------------------------------------------------------------------------
# Jobs and manifests


@dataclass(frozen=True)
class Job:
    """One job of a batch.

    Attributes
    ----------
    id
        ``<slug>-<12 hex digits>``: the file name of its result.
    slug
        Readable label (the manifest's ``name``, else kind and key values).
    kind
        Job kind name.
    params
        Every parameter, paths as written in the manifest (what the result records).
    resolved
        The same with path parameters made absolute (what the job function gets).
    inputs
        Path parameter -> ``{"path", "sha256"}`` (sha256 None when the file is missing).
    origin
        Where in the manifest the job came from, e.g. ``grids[0] #5``.
    """

    id: str
    slug: str
    kind: str
    params: dict[str, Any]
    resolved: dict[str, Any]
    inputs: dict[str, dict[str, Any]]
    origin: str = ""

    def payload(self) -> dict[str, Any]:
        """What a worker needs to run the job (plain data, cheap to send)."""
        return {
            "id": self.id,
            "slug": self.slug,
            "kind": self.kind,
            "params": self.params,
            "resolved": self.resolved,
            "inputs": self.inputs,
        }

    def networks(self) -> list[Hashable]:
        """The shared networks the job needs (none when they cannot be told: the job will say why)."""
        kind = get_kind(self.kind)
        try:
            return list(kind.networks(self.resolved)) if kind.networks else []
        except Exception:  # a bad input: the job itself fails and records the error
            return []


_TOP_KEYS = {"version", "description", "defaults", "jobs", "grid", "grids"}
_SLUG_BAD = re.compile(r"[^A-Za-z0-9._]+")


def _sha256(path: Path, cache: dict[Path, str | None]) -> str | None:
    if path not in cache:
        from siting.network.store import file_sha256

        cache[path] = file_sha256(path) if path.is_file() else None
    return cache[path]


def _normalise_number(value: Any) -> Any:
    # `minutes: 10` and `minutes: 10.0` are the same job.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [_normalise_number(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise_number(v) for k, v in value.items()}
    return value


def _short(value: Any, is_path: bool = False) -> str:
    if is_path and isinstance(value, str):
        return Path(value).name.split(".")[0]
    if isinstance(value, bool | int | float | str):
        return str(value)
    if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
        return "_".join(str(v) for v in value)  # minutes: [5, 10, 15] -> 5_10_15
    return ""


def slugify(text: str, limit: int = 60) -> str:
    """ASCII letters, digits, '.', '_' and '-' only; at most ``limit`` characters."""
    slug = _SLUG_BAD.sub("-", text).strip("-.")[:limit].strip("-.")
    return slug or "job"


def make_job(
    entry: Mapping[str, Any],
    *,
    base_dir: str | Path = ".",
    labels: Sequence[str] = (),
    label_keys: Sequence[str] = (),
    origin: str = "",
    source: str | Path | None = None,
    _digests: dict[Path, str | None] | None = None,
) -> Job:
    """Build a :class:`Job` from one manifest entry (``kind``, optional ``name``, parameters).

    The slug is ``name`` when given, else the kind, ``labels``, the values of
    the kind's slug parameters and of ``label_keys`` (a grid's varied keys).
    Raises :class:`InputError` naming ``source`` and ``origin`` for an unknown
    kind, unknown or missing parameters, or a bad value.
    """
    digests = {} if _digests is None else _digests
    base = Path(base_dir)
    params = dict(entry)
    where = origin or "job"
    kind_name = params.pop("kind", None)
    name = params.pop("name", None)
    if not isinstance(kind_name, str) or not kind_name:
        raise InputError("the job has no 'kind'", path=source, field=f"{where}.kind", hint=_kinds_hint())
    try:
        kind = get_kind(kind_name)
    except SitingError as exc:
        raise InputError(str(exc), path=source, field=f"{where}.kind") from exc
    if kind.required or kind.optional:
        unknown = [k for k in params if k not in kind.parameters]
        if unknown:
            raise InputError(
                f"unknown parameter '{unknown[0]}' for kind '{kind.name}'",
                path=source,
                field=f"{where}.{unknown[0]}",
                hint=f"It takes: {', '.join(kind.parameters)}",
            )
    missing = [k for k in kind.required if params.get(k) is None]
    if missing:
        raise InputError(
            f"kind '{kind.name}' needs '{missing[0]}'", path=source, field=f"{where}.{missing[0]}",
            hint=f"It needs: {', '.join(kind.required)}",
        )
    full = {**{k: v for k, v in kind.optional.items()}, **params}
    full = {k: _normalise_number(v) for k, v in full.items()}
    resolved = dict(full)
    inputs: dict[str, dict[str, Any]] = {}
    for key in kind.paths:
        value = full.get(key)
        if not isinstance(value, str):
            continue
        written = Path(value).as_posix()
        absolute = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
        full[key] = written
        resolved[key] = str(absolute)
        inputs[key] = {"path": written, "sha256": _sha256(absolute, digests)}
    if kind.check is not None:
        try:
            kind.check(resolved)
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc), path=source, field=where) from exc
    if kind.extra_inputs is not None:
        try:
            extra = kind.extra_inputs(resolved)
        except Exception:  # an unreadable input: the job fails at run time and says why
            extra = {}
        for label, file in sorted(extra.items()):
            if label not in inputs:
                shown = Path(os.path.relpath(file, base.resolve())).as_posix()
                inputs[label] = {"path": shown, "sha256": _sha256(Path(file), digests)}
    identity = {"kind": kind.name, "params": full, "inputs": {k: v["sha256"] for k, v in inputs.items()}}
    digest = hashlib.sha256(_hash_text(identity).encode("utf-8")).hexdigest()[:12]
    if isinstance(name, str | int) and str(name):
        slug = slugify(str(name))
    else:
        parts = [kind.name.rsplit(":", 1)[-1], *labels]
        keys = [*kind.slug, *(k for k in label_keys if k not in kind.slug)]
        parts += [_short(full.get(k), k in kind.paths) for k in keys]
        kept: list[str] = []
        for part in parts:
            # Skip parts already said (the network stem inside a bundle name).
            if part and not set(part.split("-")) <= set("-".join(kept).split("-")):
                kept.append(part)
        slug = slugify("-".join(kept))
    return Job(
        id=f"{slug}-{digest}", slug=slug, kind=kind.name, params=full, resolved=resolved, inputs=inputs,
        origin=origin,
    )


def _kinds_hint() -> str:
    import siting.batch.jobs  # noqa: F401

    return f"Give one of {', '.join(sorted(KINDS))}"


def load_manifest(path: str | Path) -> list[Job]:
    """Read a manifest and expand it into jobs (duplicates dropped, first kept).

    Raises
    ------
    InputError
        For unreadable YAML or a bad entry, naming the file and the entry
        (``jobs[2].minutes``).
    """
    import yaml

    p = require_file(path, "manifest")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"not valid YAML{line} ({getattr(exc, 'problem', exc)})", path=p) from exc
    except UnicodeDecodeError as exc:
        raise InputError("not a UTF-8 text file", path=p) from exc
    if isinstance(doc, list):
        doc = {"jobs": doc}
    if not isinstance(doc, dict):
        raise InputError("a manifest is a mapping with 'jobs' and/or 'grids'", path=p)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise InputError(
            f"unknown key '{unknown[0]}'", path=p, field=unknown[0], hint=f"Use {', '.join(sorted(_TOP_KEYS))}"
        )
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InputError("'defaults' must be a mapping of parameter: value", path=p, field="defaults")
    grids = doc.get("grids") or []
    if doc.get("grid") is not None:
        grids = [doc["grid"], *grids]
    explicit = doc.get("jobs") or []
    if not isinstance(explicit, list):
        raise InputError("'jobs' must be a list of mappings", path=p, field="jobs")
    if not isinstance(grids, list):
        raise InputError("'grids' must be a list of mappings", path=p, field="grids")
    entries: list[tuple[dict[str, Any], list[str], list[str], str]] = []
    for i, entry in enumerate(explicit):
        if not isinstance(entry, dict):
            raise InputError("each job must be a mapping of parameter: value", path=p, field=f"jobs[{i}]")
        entries.append((entry, [], [], f"jobs[{i}]"))
    for g, grid in enumerate(grids):
        entries.extend(_expand_grid(grid, f"grids[{g}]", p))
    if not entries:
        raise InputError("the manifest has no jobs", path=p, hint="Add a 'jobs' list or a 'grids' entry")
    used_kinds: dict[str, JobKind] = {}
    for entry, _, _, origin in entries:
        kind_name = entry.get("kind", defaults.get("kind"))
        if isinstance(kind_name, str):
            try:
                used_kinds[kind_name] = get_kind(kind_name)
            except SitingError as exc:
                raise InputError(str(exc), path=p, field=f"{origin}.kind") from exc
    for key in defaults:
        if key != "kind" and not any(key in k.parameters or not k.parameters for k in used_kinds.values()):
            raise InputError(
                f"'{key}' is not a parameter of any job kind in this manifest", path=p, field=f"defaults.{key}"
            )
    digests: dict[Path, str | None] = {}
    jobs: dict[str, Job] = {}
    for entry, labels, label_keys, origin in entries:
        kind_name = entry.get("kind", defaults.get("kind"))
        kind = get_kind(kind_name) if isinstance(kind_name, str) else None
        merged = {
            k: v for k, v in defaults.items()
            if k == "kind" or (kind is not None and (k in kind.parameters or not kind.parameters))
        }
        merged.update(entry)
        job = make_job(
            merged, base_dir=p.parent, labels=labels, label_keys=label_keys, origin=origin, source=p,
            _digests=digests,
        )
        jobs.setdefault(job.id, job)
    return list(jobs.values())


def _expand_grid(
    grid: Any, where: str, source: Path
) -> Iterator[tuple[dict[str, Any], list[str], list[str], str]]:
    if not isinstance(grid, dict):
        raise InputError("a grid must be a mapping", path=source, field=where)
    fixed = {k: v for k, v in grid.items() if k not in ("vary", "each")}
    vary = grid.get("vary") or {}
    each = grid.get("each") or [{}]
    if not isinstance(vary, dict) or any(not isinstance(v, list) or not v for v in vary.values()):
        raise InputError(
            "'vary' maps parameter names to non-empty lists of values", path=source, field=f"{where}.vary"
        )
    if not isinstance(each, list) or any(not isinstance(b, dict) for b in each):
        raise InputError("'each' is a list of mappings of parameter: value", path=source, field=f"{where}.each")
    keys = list(vary)
    n = 0
    for b, bundle in enumerate(each):
        bundle = dict(bundle)
        label = bundle.pop("name", None)
        if label is None and len(each) > 1:
            label = f"b{b}"
        for combo in itertools.product(*(vary[k] for k in keys)):
            entry = {**fixed, **bundle, **dict(zip(keys, combo))}
            yield entry, [str(label)] if label is not None else [], keys, f"{where} #{n}"
            n += 1


# ----------------------------------------------------------------------------------------------
# Running one job (on a worker)


def worker_name() -> str:
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
        out.update(ok=True, text=result_document(payload, _unresolve(result, written)))
    except Exception as exc:  # isolate the job: record it, let the others run
        out.update(ok=False, error=str(exc) or type(exc).__name__, error_type=type(exc).__name__,
                   traceback=traceback.format_exc())
    out["seconds"] = time.perf_counter() - start
    return out


def _unresolve(obj: Any, written: Mapping[str, Any]) -> Any:
    if isinstance(obj, str):
        return written.get(obj, obj)
    if isinstance(obj, Mapping):
        return {k: _unresolve(v, written) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_unresolve(v, written) for v in obj]
    return obj


def warm(spec: Hashable) -> dict[str, Any]:
    """Build one shared network on a worker (it lands in the disk and worker caches)."""
    from siting.batch.jobs import warm_network

    start = time.perf_counter()
    try:
        warm_network(spec)
        return {"ok": True, "seconds": time.perf_counter() - start, "worker": worker_name()}
    except Exception as exc:  # the jobs that need it will fail and record why
        return {"ok": False, "error": str(exc), "seconds": time.perf_counter() - start, "worker": worker_name()}


# ----------------------------------------------------------------------------------------------
# Backends: a process pool or a Dask cluster


class _Backend:
    name = ""
    workers = 0

    def submit(self, fn: Callable[..., Any], arg: Any, key: str) -> Any:
        raise NotImplementedError

    def as_completed(self, futures: list[Any]) -> Iterator[Any]:
        raise NotImplementedError

    def cancel(self, futures: list[Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _init_pool_worker() -> None:
    # What jobs print (solver banners, from C too) goes to stderr: stdout is the CLI's --json.
    sys.stdout.flush()
    os.dup2(2, 1)


class _PoolBackend(_Backend):
    def __init__(self, workers: int) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # forkserver: no fork of a process with threads (tqdm, numba); siting preloaded once.
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["siting.batch.runner", "siting.batch.jobs", "siting.network", "siting.routing.engine",
                                    "siting.routing.snap"])
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_pool_worker)
        self.workers = workers
        self.name = f"process pool ({workers} worker{'s' if workers != 1 else ''})"

    def submit(self, fn: Callable[..., Any], arg: Any, key: str) -> Any:
        return self.pool.submit(fn, arg)

    def as_completed(self, futures: list[Any]) -> Iterator[Any]:
        from concurrent.futures import as_completed

        return as_completed(futures)

    def cancel(self, futures: list[Any]) -> None:
        for f in futures:
            f.cancel()
        # Interrupted: stop the running jobs too rather than wait for them (their results are not kept).
        for proc in list(getattr(self.pool, "_processes", {}).values()):
            proc.terminate()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskBackend(_Backend):
    def __init__(self, scheduler: str, workers: int | None) -> None:
        if scheduler.startswith("local:") and not (scheduler[6:].isdigit() and int(scheduler[6:]) >= 1):
            raise SitingError(f"bad scheduler '{scheduler}': use local:N with N >= 1 workers, e.g. local:2")
        if not scheduler.startswith(("local", "tcp://", "tls://")) and ":" not in scheduler:
            raise SitingError(f"bad scheduler '{scheduler}': use tcp://HOST:PORT or local:N")
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler.startswith("local:") or scheduler == "local":
            n = scheduler.partition(":")[2] or str(workers or os.cpu_count() or 1)
            self.cluster = LocalCluster(
                n_workers=int(n), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
            self.name = f"dask LocalCluster ({n} workers on 127.0.0.1)"
        else:
            address = scheduler if "://" in scheduler else f"tcp://{scheduler}"
            try:
                self.client = Client(address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise SitingError(
                    f"cannot reach the Dask scheduler at {address} ({exc}). Start one with "
                    "`dask scheduler --host HOST --port PORT` and workers with `dask worker tcp://HOST:PORT`"
                ) from exc
            self.name = f"dask cluster {address}"
        self.workers = len(self.client.scheduler_info().get("workers", {}))
        if self.cluster is None and self.workers == 0:
            self.client.close()
            raise SitingError(f"the Dask scheduler at {scheduler} has no workers: start some with "
                              f"`dask worker {scheduler}`")

    def submit(self, fn: Callable[..., Any], arg: Any, key: str) -> Any:
        return self.client.submit(fn, arg, key=f"siting-{fn.__name__}-{key}", pure=False, retries=0)

    def as_completed(self, futures: list[Any]) -> Iterator[Any]:
        from distributed import as_completed

        return iter(as_completed(futures))

    def cancel(self, futures: list[Any]) -> None:
        self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def open_backend(scheduler: str | None = None, workers: int | None = None) -> _Backend:
    """A process pool (``scheduler`` None), a LocalCluster (``local:N``) or a cluster (``tcp://``)."""
    if workers is not None and workers < 1:
        raise SitingError(f"--workers must be at least 1, not {workers}")
    if not scheduler:
        return _PoolBackend(workers or os.cpu_count() or 1)
    return _DaskBackend(scheduler, workers)


# ----------------------------------------------------------------------------------------------
# Durable bookkeeping


def result_path(out: str | Path, job_id: str) -> Path:
    return Path(out) / RESULTS / f"{job_id}.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RunLog:
    """Appends one JSON line per event to ``DIR/runlog.jsonl`` (timings and hosts live here)."""

    def __init__(self, path: Path, run: str) -> None:
        self.path = path
        self.run = run
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, event: str, **fields: Any) -> None:
        line = {"event": event, "run": self.run, "time": _now(), **fields}
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


class FailureBook:
    """``DIR/failures.json``: the jobs whose last run failed, merged across runs."""

    def __init__(self, path: Path, manifest: str | None) -> None:
        self.path = path
        self.manifest = manifest
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.entries = dict(data) if isinstance(data, dict) else {}
            except (OSError, json.JSONDecodeError):
                self.entries = {}  # our own file; a damaged one is rebuilt

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
            "time": _now(),
        }

    def clear(self, job_id: str) -> bool:
        return self.entries.pop(job_id, None) is not None

    def save(self) -> None:
        if self.entries or self.path.exists():
            write_text(self.path, canonical_json(dict(sorted(self.entries.items()))))


# ----------------------------------------------------------------------------------------------
# The runner


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


def _order(jobs: list[Job]) -> list[Job]:
    # Jobs on the same network run back to back, so a worker's cached network is reused.
    first: dict[str, int] = {}
    keys = []
    for i, job in enumerate(jobs):
        k = repr(job.networks())
        first.setdefault(k, i)
        keys.append(first[k])
    return [job for _, _, job in sorted(zip(keys, range(len(jobs)), jobs))]


def run_batch(
    jobs: Sequence[Job],
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
    manifest: str | Path | None = None,
    backend: _Backend | None = None,
) -> BatchSummary:
    """Run ``jobs``, writing ``out/results/<id>.json``, ``out/failures.json`` and ``out/runlog.jsonl``.

    Parameters
    ----------
    jobs
        From :func:`load_manifest`.
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
    lock = _lock(out)
    try:
        return _run_locked(jobs, out, scheduler=scheduler, workers=workers, force=force, progress=progress,
                           manifest=manifest, backend=backend)
    finally:
        lock.close()


def _lock(out: Path) -> IO[Any]:
    """Hold ``DIR/.lock`` for the run: two runs into one folder would do the same jobs twice."""
    import fcntl

    fh = open(out / ".lock", "a")  # noqa: SIM115
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise SitingError(f"another `siting batch` is running into {out}; wait for it or choose another --out") from None
    return fh


def _run_locked(
    jobs: Sequence[Job],
    out: Path,
    *,
    scheduler: str | None,
    workers: int | None,
    force: bool,
    progress: bool,
    manifest: str | Path | None,
    backend: _Backend | None,
) -> BatchSummary:
    from tqdm import tqdm

    start = time.perf_counter()
    run = uuid.uuid4().hex[:12]
    manifest_name = str(Path(manifest).resolve()) if manifest is not None else None
    todo: list[Job] = []
    skipped: list[Job] = []
    for job in jobs:
        (skipped if not force and result_path(out, job.id).exists() else todo).append(job)
    book = FailureBook(out / FAILURES, manifest_name)
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
            todo = _order(todo)
            _warm_networks(backend, todo, log)
            bar = tqdm(
                total=len(todo), desc="batch", unit="job", file=sys.stderr, disable=not progress,
                dynamic_ncols=True, smoothing=0.05,
            )
            if skipped:
                bar.set_postfix(skipped=len(skipped))

            def finish(job: Job, outcome: Mapping[str, Any]) -> None:
                _record(job, outcome, out, book, log, summary)
                if not outcome["ok"] and progress:
                    first = outcome["error"].splitlines()[0] if outcome["error"] else ""
                    bar.write(f"failed: {job.id}: {first}", file=sys.stderr)
                    bar.set_postfix(failed=summary.failed, skipped=len(skipped))
                bar.update(1)

            by_future = {}
            try:
                for job in todo:
                    try:
                        fut = backend.submit(execute, job.payload(), job.id)
                    except Exception as exc:  # a broken pool: this job cannot start
                        finish(job, _lost(job, exc))
                        continue
                    by_future[fut] = job
                    futures.append(fut)
                for fut in backend.as_completed(futures):
                    job = by_future.pop(fut)
                    try:
                        outcome = fut.result()
                    except Exception as exc:  # the worker died (killed, out of memory) or was lost
                        outcome = _lost(job, exc)
                    finish(job, outcome)
            finally:
                bar.close()
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


def _lost(job: Job, exc: BaseException) -> dict[str, Any]:
    return {
        "id": job.id, "ok": False, "error": f"worker lost: {exc!r}", "error_type": type(exc).__name__,
        "traceback": "".join(traceback.format_exception(exc)), "worker": "", "seconds": 0.0,
    }


def _record(job: Job, outcome: Mapping[str, Any], out: Path, book: FailureBook, log: RunLog,
            summary: BatchSummary) -> None:
    if outcome["ok"]:
        write_text(result_path(out, job.id), outcome["text"])
        book.clear(job.id)
        summary.done += 1
        log.write("job", job=job.id, status="done", seconds=outcome["seconds"], worker=outcome["worker"])
    else:
        book.record(job, outcome, log.run)
        book.save()  # durable at once: a crash later keeps what failed and why
        summary.failed += 1
        summary.failures[job.id] = outcome["error"]
        log.write("job", job=job.id, status="failed", seconds=outcome["seconds"], worker=outcome["worker"],
                  error=outcome["error"])


def _warm_networks(backend: _Backend, todo: list[Job], log: RunLog) -> None:
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
    failures = {}
    path = Path(out) / FAILURES
    if path.exists():
        try:
            failures = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            failures = {}
    rows = []
    for job in jobs:
        status = "done" if result_path(out, job.id).exists() else ("failed" if job.id in failures else "pending")
        rows.append({"id": job.id, "kind": job.kind, "origin": job.origin, "status": status})
    return rows
