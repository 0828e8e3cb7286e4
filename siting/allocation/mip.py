"""A thin HiGHS (highspy) wrapper: pass a sparse MIP in one call, warm start, a checked answer.

The model is handed over as one CSR matrix (``passModel``), never row by row
from Python. What HiGHS returns is checked, not copied: the solution against the
rows, the column bounds and integrality, the objective recomputed from it, the
dual bound against the objective; the status is then derived from the solution
and the bound (:mod:`siting.allocation.status`). A solve stopped by the time limit
is reported as such, with its real gap, never as "optimal".
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from siting.allocation.status import clamp_bound, derive_status


@dataclass
class MipSolution:
    """What HiGHS returned, checked: the status, objective and gap are ours, derived from ``x``.

    Attributes
    ----------
    status
        One of :data:`siting.allocation.status.STATUSES`, derived by
        :func:`~siting.allocation.status.derive_status` from the checked solution and the bound.
    x
        Column values of the incumbent, integer columns rounded (None when HiGHS has none, or
        when it fails the checks of :func:`solution_problems`).
    objective
        ``c @ x``, recomputed (None without ``x``).
    bound
        The dual bound HiGHS proved (for a pure LP solved to optimality: the objective);
        None when unknown or on the wrong side of the objective.
    gap
        ``|objective - bound| / max(|objective|, 1e-9)``; 0 when optimal; None without both.
    seconds
        Wall time in HiGHS.
    solver_status
        HiGHS's own model status, for the record only.
    problems
        What was wrong with what HiGHS returned (a rejected solution or bound), if anything.
    """

    status: str
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    warm_start_rejected: bool = False
    solver_status: str = ""
    problems: tuple[str, ...] = ()


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


def _highs(*, verbose: bool, time_limit: float | None, mip_rel_gap: float, threads: int | None,
           node_limit: int | None = None, options: dict[str, Any] | None = None) -> Any:
    """A HiGHS instance with the solve options set (quiet unless ``verbose``)."""
    import highspy

    h = highspy.Highs() if verbose else _quiet_highs()
    h.setOptionValue("output_flag", bool(verbose))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    return h


@dataclass(frozen=True)
class MipModel:
    """``opt c@x  s.t.  row_lower <= A@x <= row_upper, col_lower <= x <= col_upper``, ``x`` integer where ``integer``."""

    c: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    maximize: bool = False


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
    node_limit: int | None = None,
    options: dict[str, Any] | None = None,
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
        Relative gap at which HiGHS stops (the status says 'optimal' only when the gap is closed).
    start
        A feasible incumbent to start from (all columns), e.g. from a heuristic.
    node_limit
        Most branch-and-bound nodes (None: no limit).
    options
        Further HiGHS options by name (e.g. ``mip_heuristic_effort``).

    The solution is checked (:func:`solution_problems`) and the status derived from it
    (:func:`~siting.allocation.status.derive_status`), whatever HiGHS says.
    """
    A = sp.csr_matrix(A)
    A.sort_indices()
    model = MipModel(np.asarray(c, dtype=float), A, np.asarray(row_lower, dtype=float),
                     np.asarray(row_upper, dtype=float), np.asarray(col_lower, dtype=float),
                     np.asarray(col_upper, dtype=float), np.asarray(integer, dtype=bool), maximize)
    h = _highs(verbose=verbose, time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=threads,
               node_limit=node_limit, options=options)
    _pass(h, model)
    if start is not None:
        h.setSolution(len(model.c), np.arange(len(model.c), dtype=np.int32), np.asarray(start, dtype=np.float64))
    t0 = time.perf_counter()
    h.run()
    sol = _read(h, model, time.perf_counter() - t0)
    if start is not None and sol.x is None and sol.problems:
        # HiGHS 1.16 can return the warm start itself with the objective of a better, presolved
        # solution; the check rejects it, and the model is solved again without the start.
        retry = solve_mip(c, A, row_lower, row_upper, col_lower, col_upper, integer, maximize=maximize,
                          time_limit=time_limit, mip_rel_gap=mip_rel_gap, start=None, threads=threads,
                          node_limit=node_limit, options=options, verbose=verbose)
        retry.seconds += sol.seconds
        retry.warm_start_rejected = True
        retry.problems = sol.problems + retry.problems
        return retry
    return sol


def _pass(h: Any, model: MipModel) -> None:
    """Hand the model to HiGHS in one call (rowwise CSR)."""
    inf = h.getInfinity()

    def fin(a: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(a, dtype=np.float64), -inf, inf)

    A = model.A
    h.passModel(
        int(len(model.c)), int(A.shape[0]), int(A.nnz),
        2,  # kRowwise
        -1 if model.maximize else 1, 0.0,
        fin(model.c), fin(model.col_lower), fin(model.col_upper), fin(model.row_lower), fin(model.row_upper),
        A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(np.float64),
        model.integer.astype(np.int32),  # 1 = kInteger
    )


def solution_problems(model: MipModel, x: np.ndarray, tol: float = 1e-6) -> list[str]:
    """What keeps ``x`` from being a solution of ``model``: rows, column bounds, integrality (empty: none)."""
    out = []
    act = model.A @ x
    scale = 1.0 + np.abs(act)
    bad_rows = (act < model.row_lower - tol * scale) | (act > model.row_upper + tol * scale)
    if bad_rows.any():
        out.append(f"{int(bad_rows.sum())} row(s) violated, first row {int(np.flatnonzero(bad_rows)[0])}")
    bad_cols = (x < model.col_lower - tol) | (x > model.col_upper + tol)
    if bad_cols.any():
        out.append(f"{int(bad_cols.sum())} column bound(s) violated")
    frac = model.integer & (np.abs(x - np.round(x)) > tol)
    if frac.any():
        out.append(f"{int(frac.sum())} integer column(s) fractional, first column {int(np.flatnonzero(frac)[0])}")
    return out


def _read(h: Any, model: MipModel, seconds: float) -> MipSolution:
    """The solution HiGHS holds, checked, with the status derived from it and the bound."""
    import highspy

    ms = h.getModelStatus()
    solver_status = h.modelStatusToString(ms)
    info = h.getInfo()
    problems: list[str] = []
    x: np.ndarray | None = None
    objective: float | None = None
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float)
        x = np.where(model.integer, np.round(x), x)
        problems = solution_problems(model, x)
        objective = float(model.c @ x)
        reported = float(info.objective_function_value)
        if abs(objective - reported) > 1e-6 * max(1.0, abs(objective)):
            problems.append(f"objective {reported!r} reported, {objective!r} recomputed")
        if problems:
            x, objective = None, None
    bound: float | None
    if model.integer.any():
        bound = float(info.mip_dual_bound) if abs(float(info.mip_dual_bound)) < h.getInfinity() else None
    else:
        bound = objective if ms == highspy.HighsModelStatus.kOptimal else None
    checked = clamp_bound(objective, bound, model.maximize)
    if bound is not None and checked is None and objective is not None:
        problems.append(f"bound {bound!r} on the wrong side of the objective {objective!r}")
    stopped = {highspy.HighsModelStatus.kTimeLimit: "time_limit",
               highspy.HighsModelStatus.kInfeasible: "infeasible"}.get(ms, "feasible")
    status, gap = derive_status(objective, checked, maximize=model.maximize, stopped=stopped)
    return MipSolution(status, x, objective, checked, gap, seconds, solver_status=solver_status,
                       problems=tuple(problems))

