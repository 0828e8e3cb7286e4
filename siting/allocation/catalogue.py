"""Which allocation models there are and what each one needs: the one table every caller reads.

``siting allocate``, the batch ``allocate`` kind and Python users all turn their options
into model arguments with :func:`model_arguments`, so "mclp needs p and a cutoff" is
written once. The table names the classes rather than importing them, so that building the
command line does not load the solvers.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from siting.errors import SitingError


@dataclass(frozen=True)
class ModelInfo:
    """What a model needs: ``p`` (new sites), a ``cutoff`` (cost that counts as covered), a ``share``.

    ``class_name`` lives in the module ``siting.allocation.<module>``.
    """

    name: str
    class_name: str
    module: str
    summary: str
    needs_p: bool = False
    needs_cutoff: bool = False
    takes_cutoff: bool = True  # an optional cutoff limits the pairs considered (p-median)
    needs_share: bool = False
    modular: bool = False  # takes module_size / max_modules (and a module budget unless 'target')
    single_source: bool = False  # may serve each demand point from exactly one site (single_source=True)
    cost_weight: bool = False  # weighs costs by the demand weight or not at all (cost_weight='demand'|'none')

    def model_class(self) -> Any:
        """The model class (imported on first use)."""
        return getattr(importlib.import_module(f"siting.allocation.{self.module}"), self.class_name)


CATALOGUE: dict[str, ModelInfo] = {m.name: m for m in (
    ModelInfo("lscp", "LSCP", "covering", "fewest sites covering all demand within the cutoff",
              needs_cutoff=True),
    ModelInfo("mclp", "MCLP", "covering", "most demand covered within the cutoff by p new sites",
              needs_p=True, needs_cutoff=True),
    ModelInfo("pmedian", "PMedian", "median", "least demand-weighted cost with p new sites", needs_p=True),
    ModelInfo("pcenter", "PCenter", "center", "least largest cost with p new sites", needs_p=True,
              takes_cutoff=False),
    ModelInfo("cmclp", "CMCLP", "capacitated", "capacitated mclp: covered demand within capacity",
              needs_p=True, needs_cutoff=True, modular=True, single_source=True),
    ModelInfo("cpmedian", "CPMedian", "capacitated", "capacitated p-median: assignment within capacity",
              needs_p=True, modular=True, single_source=True, cost_weight=True),
    ModelInfo("target", "CoverageTarget", "covering", "fewest new sites to reach a coverage share",
              needs_cutoff=True, needs_share=True, modular=True),
)}
MODEL_NAMES: tuple[str, ...] = tuple(CATALOGUE)
#: How a capacitated p-median weighs its costs: by each demand point's weight, or not at all (the benchmarks).
COST_WEIGHTS: tuple[str, ...] = ("demand", "none")


def model_info(name: str) -> ModelInfo:
    """The catalogue entry of ``name``; a clear error listing the models otherwise."""
    if name not in CATALOGUE:
        raise SitingError(f"unknown model '{name}': use one of {', '.join(MODEL_NAMES)}")
    return CATALOGUE[name]


def model_arguments(name: str, *, p: int | None = None, cutoff: float | None = None, share: float | None = None,
                    module_size: float | None = None, max_modules: int | None = None,
                    module_budget: int | None = None, capacitated: bool = False, single_source: bool = False,
                    cost_weight: str | None = None) -> dict[str, Any]:
    """Keyword arguments for the model's constructor; an error naming what is missing or does not apply.

    ``cutoff`` is passed to models that need it and, when given, to those that take it;
    ``capacitated`` (the problem has capacities) makes 'target' respect them; ``single_source``
    (each demand point served by one site) and ``cost_weight`` ('demand' or 'none') go to the
    capacitated models that take them.
    """
    info = model_info(name)
    args: dict[str, Any] = {}
    if info.needs_p:
        if p is None:
            raise SitingError(f"model {name} needs p, the number of new sites")
        args["p"] = p
    if info.needs_cutoff and cutoff is None:
        raise SitingError(f"model {name} needs a cutoff, the cost (or minutes) that counts as covered")
    if cutoff is not None and (info.needs_cutoff or info.takes_cutoff):
        args["cutoff"] = cutoff
    if info.needs_share:
        if share is None:
            raise SitingError(f"model {name} needs a share, e.g. 0.9 for 90 % coverage")
        args["share"] = share
        if capacitated or module_size is not None:
            args["capacitated"] = True
    args.update(_assignment_arguments(info, single_source, cost_weight))
    if module_size is not None:
        if not info.modular:
            modular = ", ".join(m.name for m in CATALOGUE.values() if m.modular)
            raise SitingError(f"a module size applies to {modular}, not {name}")
        args["module_size"] = module_size
        args["max_modules"] = max_modules
        if module_budget is not None and not info.needs_share:
            args["module_budget"] = module_budget
    return args


def _assignment_arguments(info: ModelInfo, single_source: bool, cost_weight: str | None) -> dict[str, Any]:
    """``single_source`` and ``cost_weight`` for the models that take them; an error for the others."""
    args: dict[str, Any] = {}
    if single_source:
        if not info.single_source:
            takers = ", ".join(m.name for m in CATALOGUE.values() if m.single_source)
            raise SitingError(f"single sourcing applies to {takers}, not {info.name}")
        args["single_source"] = True
    if cost_weight is not None:
        if not info.cost_weight:
            takers = ", ".join(m.name for m in CATALOGUE.values() if m.cost_weight)
            raise SitingError(f"a cost weight applies to {takers}, not {info.name}")
        if cost_weight not in COST_WEIGHTS:
            raise SitingError(f"cost weight must be one of {', '.join(COST_WEIGHTS)}, not {cost_weight!r}")
        args["cost_weight"] = cost_weight
    return args
