"""A thin HiGHS (highspy) wrapper: pass a sparse MIP in one call, warm start, honest gap.

The model is handed over as one CSR matrix (``passModel``), never row by row
from Python. The status, bound and gap are read from HiGHS itself, and the gap
is recomputed from the incumbent and the dual bound: a "time limit" solve is
reported as such, with its real gap, never as "optimal".
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass
class MipSolution:
    """What HiGHS returned.

    Attributes
    ----------
    status
        'optimal', 'time_limit', 'infeasible', 'unbounded' or another HiGHS model status (lower case).
    x
        Column values of the incumbent (None when HiGHS has none).
    objective
        Objective of the incumbent (None without one).
    bound
        The dual bound HiGHS proved (for a pure LP: the objective).
    gap
        ``|objective - bound| / max(|objective|, 1e-9)``; 0 when proven optimal; None without both.
    seconds
        Wall time in HiGHS.
    """

    status: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    warm_start_rejected: bool = False


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """The relative gap between an incumbent and a bound, or None when either is missing."""
    if objective is None or bound is None or not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def _quiet_highs() -> Any:
    """A HiGHS instance created without its banner on stdout.

    HiGHS prints "Running HiGHS ..." from C++ when constructed, before any
    option can turn output off; that would corrupt ``--json`` output and
    notebook cells. The C-level stdout is pointed at /dev/null meanwhile.
    """
    import ctypes

    import highspy

    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    libc.fflush(None)
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
        libc.fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return h


def _highs(*, verbose: bool, time_limit: float | None, mip_rel_gap: float, threads: int | None) -> Any:
    """A HiGHS instance with the solve options set (quiet unless ``verbose``)."""
    import highspy

    h = highspy.Highs() if verbose else _quiet_highs()
    h.setOptionValue("output_flag", bool(verbose))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    return h


def solve_mip(
    c: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    *,
    maximize: bool = False,
    time_limit: float | None = 60.0,
    mip_rel_gap: float = 1e-6,
    start: np.ndarray | None = None,
    threads: int | None = None,
    verbose: bool = False,
) -> MipSolution:
    """Solve ``opt c@x  s.t.  row_lower <= A@x <= row_upper, col_lower <= x <= col_upper``.

    Parameters
    ----------
    c, A, row_lower, row_upper, col_lower, col_upper
        The model; ``A`` is any scipy sparse matrix (converted to CSR). Use ``±inf`` for free sides.
    integer
        Boolean per column: integer (True) or continuous.
    maximize
        Maximise instead of minimise.
    time_limit
        Seconds for HiGHS (None: no limit).
    mip_rel_gap
        Relative gap at which HiGHS stops.
    start
        A feasible incumbent to start from (all columns), e.g. from a heuristic.
    """
    A = sp.csr_matrix(A)
    A.sort_indices()
    n_col = len(c)
    h = _highs(verbose=verbose, time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=threads)
    inf = h.getInfinity()

    def fin(a: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(a, dtype=np.float64), -inf, inf)

    integrality = np.asarray(integer, dtype=bool).astype(np.int32)  # 1 = kInteger
    h.passModel(
        int(n_col),
        int(A.shape[0]),
        int(A.nnz),
        2,  # kRowwise
        -1 if maximize else 1,
        0.0,
        fin(c),
        fin(col_lower),
        fin(col_upper),
        fin(row_lower),
        fin(row_upper),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(np.float64),
        integrality,
    )
    if start is not None:
        h.setSolution(int(n_col), np.arange(n_col, dtype=np.int32), np.asarray(start, dtype=np.float64))
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    sol = _read(h, inf, integrality, mip_rel_gap, seconds)
    if sol.x is not None and not _consistent(sol, c, A, row_lower, row_upper, col_lower, col_upper):
        if start is None:
            raise RuntimeError("HiGHS returned a solution that does not match its own objective or rows")
        # HiGHS 1.16 can return the warm start itself with the objective of a better, presolved
        # solution; check the solution ourselves and solve again without the start when they disagree.
        retry = solve_mip(c, A, row_lower, row_upper, col_lower, col_upper, integer, maximize=maximize,
                          time_limit=time_limit, mip_rel_gap=mip_rel_gap, start=None, threads=threads,
                          verbose=verbose)
        retry.seconds += seconds
        retry.warm_start_rejected = True
        return retry
    return sol


def _consistent(sol: MipSolution, c: np.ndarray, A: sp.csr_matrix, rl: np.ndarray, ru: np.ndarray,
                cl: np.ndarray, cu: np.ndarray, tol: float = 1e-6) -> bool:
    """True when x satisfies the rows and bounds and gives the objective HiGHS reported."""
    x = sol.x
    assert x is not None and sol.objective is not None
    act = A @ x
    scale = 1.0 + np.abs(act)
    ok = bool(np.all(act >= np.asarray(rl) - tol * scale) and np.all(act <= np.asarray(ru) + tol * scale))
    ok &= bool(np.all(x >= np.asarray(cl) - tol) and np.all(x <= np.asarray(cu) + tol))
    obj = float(np.asarray(c, dtype=float) @ x)
    return ok and abs(obj - sol.objective) <= 1e-6 * max(1.0, abs(obj))


def _read(h: Any, inf: float, integrality: np.ndarray, mip_rel_gap: float, seconds: float) -> MipSolution:
    model_status = h.getModelStatus()
    status = h.modelStatusToString(model_status).lower().replace(" ", "_")
    status = {"time_limit_reached": "time_limit"}.get(status, status)
    info = h.getInfo()
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    objective = float(info.objective_function_value) if has_x else None
    bound: float | None
    if integrality.any():
        bound = float(info.mip_dual_bound)
        if not math.isfinite(bound) or abs(bound) >= inf:
            bound = None
    else:
        bound = objective
    gap = relative_gap(objective, bound)
    if status == "optimal" and gap is not None and gap > max(mip_rel_gap, 1e-6) * 1.01:
        status = "gap_limit"
    return MipSolution(status, x, objective, bound, gap, seconds)
