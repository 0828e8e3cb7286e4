"""What a reported status means, derived from the solution and its bound, never copied from a solver.

=================  ===========================================================================
``optimal``        a feasible (and, for a MIP, integral) solution whose gap to a proven bound is
                   at most :data:`GAP_TOL`; the gap is then reported as 0
``time_limit``     the time limit stopped the search: a feasible solution, the gap left open
``feasible``       a feasible solution whose gap is open for another reason (a node or gap
                   limit, a heuristic without a matching bound)
``infeasible``     the solver proved there is no solution
``no_solution``    the search stopped without a feasible solution
=================  ===========================================================================

The gap is ``|objective - bound| / max(|objective|, 1e-9)``. A bound must lie on the right side
of the objective (at most it when minimising, at least it when maximising); a bound on the
wrong side, beyond rounding, means a solver or a bound is wrong and is never reported.
"""

from __future__ import annotations

import math

#: Relative gap up to which a solution counts as optimal.
GAP_TOL = 1e-6
#: Slack, relative to ``1 + |value|``, by which a bound may pass the objective through rounding alone.
BOUND_TOL = 1e-9
#: The statuses a result may carry.
STATUSES = ("optimal", "time_limit", "feasible", "infeasible", "no_solution")


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """The relative gap between an incumbent and a bound, or None when either is missing."""
    if objective is None or bound is None or not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def bound_on_right_side(objective: float, bound: float, maximize: bool) -> bool:
    """True when ``bound`` is a possible bound for ``objective``: at most it (min) or at least it (max), up to rounding."""
    slack = BOUND_TOL * (1.0 + abs(objective))
    return bound >= objective - slack if maximize else bound <= objective + slack


def clamp_bound(objective: float | None, bound: float | None, maximize: bool) -> float | None:
    """The bound, moved onto the objective when rounding put it just past it; None when unknown or far past it."""
    if bound is None or not math.isfinite(bound):
        return None
    if objective is None:
        return bound
    if not bound_on_right_side(objective, bound, maximize):
        return None
    return max(bound, objective) if maximize else min(bound, objective)


def integral_bound(bound: float | None, maximize: bool) -> float | None:
    """A bound on an objective that only takes whole values, rounded to the whole value it proves."""
    if bound is None or not math.isfinite(bound):
        return bound
    return float(math.floor(bound + 1e-6)) if maximize else float(math.ceil(bound - 1e-6))


def derive_status(objective: float | None, bound: float | None, *, maximize: bool, stopped: str = "feasible",
                  gap_tol: float = GAP_TOL) -> tuple[str, float | None]:
    """(status, gap) of a feasible solution worth ``objective`` with the proven ``bound``.

    ``stopped`` says why the search ended when the gap is open ('time_limit' or 'feasible');
    with no solution (``objective`` None) it is the status itself ('infeasible', 'no_solution',
    'time_limit').
    """
    if stopped not in STATUSES:
        raise ValueError(f"unknown status {stopped!r}; one of {STATUSES}")
    if objective is None:
        return ("no_solution" if stopped in ("optimal", "feasible") else stopped), None
    gap = relative_gap(objective, bound)
    if gap is not None and bound is not None and bound_on_right_side(objective, bound, maximize) and gap <= gap_tol:
        return "optimal", 0.0
    return ("feasible" if stopped in ("optimal", "infeasible", "no_solution") else stopped), gap


def inconsistencies(status: str, objective: float | None, bound: float | None, gap: float | None, *,
                    maximize: bool, gap_tol: float = GAP_TOL) -> list[str]:
    """What is wrong with a reported (status, objective, bound, gap); empty when they agree."""
    out: list[str] = []
    if status not in STATUSES:
        out.append(f"status {status!r} is not one of {STATUSES}")
    if objective is None:
        if status in ("optimal", "feasible"):
            out.append(f"status {status} without an objective")
        return out
    if bound is not None and not bound_on_right_side(objective, bound, maximize):
        side = "above" if maximize else "below"
        out.append(f"bound {bound!r} is not {side} the objective {objective!r}")
    expected = relative_gap(objective, bound)
    if status == "optimal":
        if expected is None or expected > gap_tol:
            out.append(f"status optimal with objective {objective!r} and bound {bound!r} (gap {expected})")
        if gap != 0.0:
            out.append(f"status optimal with gap {gap!r}")
    elif (gap is None) != (expected is None) or (gap is not None and expected is not None
                                                 and abs(gap - expected) > 1e-9 * max(1.0, expected)):
        out.append(f"gap {gap!r} is not |objective - bound| / |objective| = {expected!r}")
    elif expected is not None and expected <= gap_tol and bound is not None and not out:
        out.append(f"status {status} with a closed gap ({expected!r}): it is optimal")
    return out


def proof_threshold(upper: float, integral: bool) -> tuple[float, float]:
    """(threshold, floor) for proving an incumbent worth ``upper`` (minimising) optimal.

    A better solution is worth at most the threshold; when none is, the optimum is at least the
    floor: ``upper`` itself on a whole-valued objective, else the threshold, which lies within
    half of :data:`GAP_TOL` of ``upper``.
    """
    if integral:
        return upper - 0.5, upper
    thr = upper - 0.5 * GAP_TOL * max(abs(upper), 1e-9)
    return thr, thr
