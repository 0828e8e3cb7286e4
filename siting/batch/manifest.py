"""Manifests: the jobs of a batch, read from YAML, with ids that never drift.

A manifest lists jobs, or parameter grids that expand into jobs. Each job has
a kind (``access``, ``coverage``, ...; see :mod:`siting.batch.kinds`) and
parameters. Its id is a readable slug plus a hash of its canonical parameters
and of the bytes of its input files: the same job keeps the same id on any
machine, and a job whose input changed gets a new one.

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
import os
import re
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siting.batch.canonical import canonical_line
from siting.batch.registry import JobKind, get_kind, kind_names
from siting.errors import InputError, SitingError
from siting.io import require_file

#: The keys a manifest may have at its top level.
MANIFEST_KEYS = {"version", "description", "defaults", "jobs", "grid", "grids"}
_SLUG_BAD = re.compile(r"[^A-Za-z0-9._]+")

#: (entry, slug labels, slug keys, origin) of one job before it is built.
Entry = tuple[dict[str, Any], list[str], list[str], str]


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


# ----------------------------------------------------------------------------------------------
# One job


def make_job(
    entry: Mapping[str, Any],
    *,
    base_dir: str | Path = ".",
    labels: Sequence[str] = (),
    label_keys: Sequence[str] = (),
    origin: str = "",
    source: str | Path | None = None,
    digests: dict[Path, str | None] | None = None,
) -> Job:
    """Build a :class:`Job` from one manifest entry (``kind``, optional ``name``, parameters).

    The slug is ``name`` when given, else the kind, ``labels``, the values of
    the kind's slug parameters and of ``label_keys`` (a grid's varied keys).
    ``digests`` caches the files' sha256 across calls (:func:`load_manifest`
    passes one for the whole manifest).
    Raises :class:`InputError` naming ``source`` and ``origin`` for an unknown
    kind, unknown or missing parameters, or a bad value.
    """
    base = Path(base_dir)
    digests = {} if digests is None else digests
    params = dict(entry)
    where = origin or "job"
    kind_name = params.pop("kind", None)
    name = params.pop("name", None)
    if not isinstance(kind_name, str) or not kind_name:
        raise InputError("the job has no 'kind'", path=source, field=f"{where}.kind",
                         hint=f"Give one of {', '.join(kind_names())}")
    try:
        kind = get_kind(kind_name)
    except SitingError as exc:
        raise InputError(str(exc), path=source, field=f"{where}.kind") from exc
    check_parameter_names(kind, params, source, where)
    full = {k: normalise_number(v) for k, v in {**kind.optional, **params}.items()}
    resolved, inputs = resolve_paths(kind, full, base, digests)
    if kind.check is not None:
        try:
            kind.check(resolved)
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc), path=source, field=where) from exc
    add_extra_inputs(kind, resolved, inputs, base, digests)
    identity = {"kind": kind.name, "params": full, "inputs": {k: v["sha256"] for k, v in inputs.items()}}
    digest = hashlib.sha256(canonical_line(identity).encode("utf-8")).hexdigest()[:12]
    slug = slugify(str(name)) if isinstance(name, str | int) and str(name) else job_slug(kind, full, labels, label_keys)
    return Job(
        id=f"{slug}-{digest}", slug=slug, kind=kind.name, params=full, resolved=resolved, inputs=inputs,
        origin=origin,
    )


def check_parameter_names(kind: JobKind, params: Mapping[str, Any], source: str | Path | None, where: str) -> None:
    """Raise an :class:`InputError` for the first parameter ``kind`` does not take, or the first it needs and lacks.

    A kind that declares no parameters (a user function) takes any.
    """
    for key in params:
        if kind.parameters and key not in kind.parameters:
            raise InputError(f"unknown parameter '{key}' for kind '{kind.name}'", path=source,
                             field=f"{where}.{key}", hint=f"It takes: {', '.join(kind.parameters)}")
    for key in kind.required:
        if params.get(key) is None:
            raise InputError(f"kind '{kind.name}' needs '{key}'", path=source, field=f"{where}.{key}",
                             hint=f"It needs: {', '.join(kind.required)}")


def normalise_number(value: Any) -> Any:
    """Whole floats as ints, inside lists and mappings too: ``minutes: 10`` and ``10.0`` are the same job."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [normalise_number(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise_number(v) for k, v in value.items()}
    return value


def resolve_paths(
    kind: JobKind, full: dict[str, Any], base: Path, digests: dict[Path, str | None]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Path parameters made absolute for the worker, and the inputs record ``{"path", "sha256"}``.

    ``full`` keeps the paths as written (POSIX separators); it is updated in place.
    """
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
        inputs[key] = {"path": written, "sha256": file_digest(absolute, digests)}
    return resolved, inputs


def add_extra_inputs(kind: JobKind, resolved: dict[str, Any], inputs: dict[str, dict[str, Any]], base: Path,
                     digests: dict[Path, str | None]) -> None:
    """Add the files the job reads besides its path parameters (those its scenario names) to ``inputs``."""
    if kind.extra_inputs is None:
        return
    try:
        extra = kind.extra_inputs(resolved)
    except Exception:  # an unreadable input: the job fails at run time and says why
        extra = {}
    for label, file in sorted(extra.items()):
        if label not in inputs:
            shown = Path(os.path.relpath(file, base.resolve())).as_posix()
            inputs[label] = {"path": shown, "sha256": file_digest(Path(file), digests)}


def file_digest(path: Path, cache: dict[Path, str | None]) -> str | None:
    """The sha256 of a file's bytes (None when it is missing), computed once per path in ``cache``."""
    if path not in cache:
        from siting.network.store import file_sha256

        cache[path] = file_sha256(path) if path.is_file() else None
    return cache[path]


def job_slug(kind: JobKind, full: Mapping[str, Any], labels: Sequence[str], label_keys: Sequence[str]) -> str:
    """The readable part of a job id: kind, labels, then the values of the slug parameters."""
    parts = [kind.name.rsplit(":", 1)[-1], *labels]
    keys = [*kind.slug, *(k for k in label_keys if k not in kind.slug)]
    parts += [_short(full.get(k), k in kind.paths) for k in keys]
    kept: list[str] = []
    for part in parts:
        # Skip parts already said (the network stem inside a bundle name).
        if part and not set(part.split("-")) <= set("-".join(kept).split("-")):
            kept.append(part)
    return slugify("-".join(kept))


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


# ----------------------------------------------------------------------------------------------
# A manifest file


def load_manifest(path: str | Path) -> list[Job]:
    """Read a manifest and expand it into jobs (duplicates dropped, first kept).

    Raises
    ------
    InputError
        For unreadable YAML or a bad entry, naming the file and the entry
        (``jobs[2].minutes``).
    """
    p = require_file(path, "manifest")
    doc = read_manifest_document(p)
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InputError("'defaults' must be a mapping of parameter: value", path=p, field="defaults")
    entries = manifest_entries(doc, p)
    check_defaults(defaults, entries, p)
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
            digests=digests,
        )
        jobs.setdefault(job.id, job)
    return list(jobs.values())


def read_manifest_document(p: Path) -> dict[str, Any]:
    """The manifest's YAML as a mapping (a bare list is its ``jobs``), its top-level keys checked."""
    import yaml

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
    unknown = sorted(set(doc) - MANIFEST_KEYS)
    if unknown:
        raise InputError(
            f"unknown key '{unknown[0]}'", path=p, field=unknown[0], hint=f"Use {', '.join(sorted(MANIFEST_KEYS))}"
        )
    return doc


def manifest_entries(doc: Mapping[str, Any], p: Path) -> list[Entry]:
    """The explicit jobs, then every grid expanded, each with its origin (``jobs[2]``, ``grids[0] #5``)."""
    grids = doc.get("grids") or []
    if doc.get("grid") is not None:
        grids = [doc["grid"], *grids]
    explicit = doc.get("jobs") or []
    if not isinstance(explicit, list):
        raise InputError("'jobs' must be a list of mappings", path=p, field="jobs")
    if not isinstance(grids, list):
        raise InputError("'grids' must be a list of mappings", path=p, field="grids")
    entries: list[Entry] = []
    for i, entry in enumerate(explicit):
        if not isinstance(entry, dict):
            raise InputError("each job must be a mapping of parameter: value", path=p, field=f"jobs[{i}]")
        entries.append((entry, [], [], f"jobs[{i}]"))
    for g, grid in enumerate(grids):
        entries.extend(expand_grid(grid, f"grids[{g}]", p))
    if not entries:
        raise InputError("the manifest has no jobs", path=p, hint="Add a 'jobs' list or a 'grids' entry")
    return entries


def check_defaults(defaults: Mapping[str, Any], entries: list[Entry], p: Path) -> None:
    """Raise an :class:`InputError` for a default that no kind of the manifest takes (a typo)."""
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


def expand_grid(grid: Any, where: str, source: Path) -> Iterator[Entry]:
    """The entries of one grid: each bundle of ``each`` times every combination of ``vary``."""
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
