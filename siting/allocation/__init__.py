"""Location-allocation: LSCP, MCLP, p-median, p-center and capacitated models on sparse cost matrices.

Exact solves use HiGHS (highspy) with a time limit and a heuristic warm start;
the heuristic serves alone on instances too large for the MIP. See
:mod:`siting.allocation.models`.
"""

from siting.allocation.models import LSCP, MCLP
from siting.allocation.problem import AllocationProblem, Project, build_problem
from siting.allocation.result import AllocationResult

__all__ = ["LSCP", "MCLP", "AllocationProblem", "AllocationResult", "Project", "build_problem"]
