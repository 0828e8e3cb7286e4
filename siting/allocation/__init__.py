"""Location-allocation: LSCP, MCLP, p-median, p-center and capacitated models on sparse cost matrices.

Exact solves use HiGHS (highspy) with a time limit and a heuristic warm start; the heuristic
serves alone on instances too large for the MIP. :mod:`siting.allocation.catalogue` says what
each model needs. The names below are imported on first use, so that reading the catalogue
(e.g. to build the command line) does not load the solvers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siting.allocation.models import CMCLP, LSCP, MCLP, MODELS, CoverageTarget, CPMedian, PCenter, PMedian
    from siting.allocation.problem import (
        AllocationProblem,
        Project,
        build_problem,
        problem_from_geodataframes,
    )
    from siting.allocation.result import AllocationResult

_HOMES = {
    "CMCLP": "models", "LSCP": "models", "MCLP": "models", "MODELS": "models", "CoverageTarget": "models",
    "CPMedian": "models", "PCenter": "models", "PMedian": "models",
    "AllocationProblem": "problem", "Project": "problem", "build_problem": "problem",
    "problem_from_geodataframes": "problem", "AllocationResult": "result",
}

__all__ = [
    "CMCLP", "LSCP", "MCLP", "MODELS", "AllocationProblem", "AllocationResult", "CPMedian", "CoverageTarget",
    "PCenter", "PMedian", "Project", "build_problem", "problem_from_geodataframes",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"siting.allocation.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'siting.allocation' has no attribute '{name}'")
