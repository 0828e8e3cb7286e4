"""Location-allocation: LSCP, MCLP, p-median, p-center and capacitated models on sparse cost matrices.

Exact solves use HiGHS (highspy) with a time limit and a heuristic warm start;
the heuristic serves alone on instances too large for the MIP. See
:mod:`siting.allocation.models`.
"""

from siting.allocation.models import CMCLP, LSCP, MCLP, MODELS, CoverageTarget, CPMedian, PCenter, PMedian
from siting.allocation.problem import AllocationProblem, Project, build_problem, problem_from_geodataframes
from siting.allocation.result import AllocationResult

__all__ = [
    "CMCLP", "LSCP", "MCLP", "MODELS", "AllocationProblem", "AllocationResult", "CPMedian", "CoverageTarget",
    "PCenter", "PMedian", "Project", "build_problem", "problem_from_geodataframes",
]
