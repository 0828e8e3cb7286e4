"""The job kinds a manifest can name: what each takes, checks and needs.

A kind is a plain function ``func(params) -> dict`` registered under a name
with :func:`register_kind`. This module only keeps the table; it imports no
kind. The built-in kinds (:mod:`siting.batch.kinds`) register themselves when
:mod:`siting.batch` is imported, which any import of a ``siting.batch``
module does first. Other kinds are named in manifests as
``package.module:function`` and imported on demand by :func:`get_kind`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from siting.errors import SitingError

#: ``func(params) -> dict`` of JSON values: what a job kind computes.
JobFunction = Callable[[dict[str, Any]], dict[str, Any]]


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
    func: JobFunction
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
) -> Callable[[JobFunction], JobFunction]:
    """Decorator registering ``func(params) -> dict`` as the job kind ``name``.

    Kinds registered outside :mod:`siting.batch.kinds` must be importable on
    every worker; name them in manifests as ``package.module:function``.
    """

    def deco(func: JobFunction) -> JobFunction:
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


def kind_names() -> list[str]:
    """The names of the registered kinds, sorted."""
    return sorted(KINDS)


def get_kind(name: str) -> JobKind:
    """The registered kind ``name``, or a kind given as ``package.module:function``."""
    if name in KINDS:
        return KINDS[name]
    if ":" in name:
        return _kind_from_module(name)
    raise SitingError(f"unknown job kind '{name}': use one of {', '.join(kind_names())} or 'module:function'")


def _kind_from_module(name: str) -> JobKind:
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
