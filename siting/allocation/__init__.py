"""Location-allocation: LSCP, MCLP, p-median, p-center and capacitated models on sparse cost matrices.

Exact solves use HiGHS (highspy) with a time limit and a heuristic warm start; the heuristic
serves alone on instances too large for the MIP. The modules, in reading order:

- :mod:`.problem` (the data every model shares), :mod:`.catalogue` (what each model needs);
- :mod:`.base` (building, solving and reporting a model), :mod:`.lp` (the MIP's blocks),
  :mod:`.mip` (HiGHS), :mod:`.result`;
- one module per family: :mod:`.covering` (LSCP, MCLP, CoverageTarget), :mod:`.median`
  (PMedian), :mod:`.center` (PCenter), :mod:`.capacitated` (CMCLP, CPMedian) with
  :mod:`.capacity` (their LPs);
- :mod:`.heuristics` (warm starts and bounds, one module per family).

The names below are imported on first use, so that reading the catalogue (e.g. to build
the command line) does not load the solvers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from siting.allocation.catalogue import CATALOGUE

if TYPE_CHECKING:
    from siting.allocation.capacitated import CMCLP, CPMedian
    from siting.allocation.center import PCenter
    from siting.allocation.covering import LSCP, MCLP, CoverageTarget
    from siting.allocation.median import PMedian
    from siting.allocation.problem import (
        AllocationProblem,
        Project,
        build_problem,
        problem_from_geodataframes,
    )
    from siting.allocation.result import AllocationResult

_HOMES = {
    **{info.class_name: info.module for info in CATALOGUE.values()},
    "AllocationProblem": "problem", "Project": "problem", "build_problem": "problem",
    "problem_from_geodataframes": "problem", "AllocationResult": "result",
}

__all__ = [
    "CMCLP", "LSCP", "MCLP", "AllocationProblem", "AllocationResult", "CPMedian", "CoverageTarget",
    "PCenter", "PMedian", "Project", "build_problem", "problem_from_geodataframes",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"siting.allocation.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'siting.allocation' has no attribute '{name}'")
