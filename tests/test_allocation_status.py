"""Reported statuses are derived from the solution and its bound, never copied from HiGHS.

Hand-made instances where HiGHS stops early (node, solution or time limit), infeasible ones,
warm starts that are not solutions, and results whose claims contradict their solution.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from siting.allocation import CMCLP, LSCP, MCLP, CoverageTarget, CPMedian, PCenter, PMedian
from siting.allocation.mip import MipModel, solution_problems, solve_mip
from siting.allocation.status import (
    clamp_bound,
    derive_status,
    inconsistencies,
    integral_bound,
    relative_gap,
)

# ---------------------------------------------------------------- the rules, by hand


def test_derive_status_by_hand() -> None:
    assert derive_status(100.0, 100.0, maximize=False) == ("optimal", 0.0)
    assert derive_status(100.0, 90.0, maximize=False, stopped="time_limit") == ("time_limit", 0.1)
    # a solver's claim of optimality with an open gap is not believed
    assert derive_status(100.0, 90.0, maximize=False, stopped="optimal") == ("feasible", 0.1)
    # no bound: never optimal
    assert derive_status(100.0, None, maximize=False, stopped="optimal") == ("feasible", None)
    # a bound on the wrong side proves nothing
    assert derive_status(100.0, 120.0, maximize=False)[0] == "feasible"
    assert derive_status(50.0, 60.0, maximize=True, stopped="time_limit") == ("time_limit", 0.2)
    assert derive_status(None, None, maximize=False, stopped="infeasible") == ("infeasible", None)
    assert derive_status(None, None, maximize=False, stopped="optimal") == ("no_solution", None)
    with pytest.raises(ValueError):
        derive_status(1.0, 1.0, maximize=False, stopped="Optimal")


def test_bounds_and_gaps_by_hand() -> None:
    assert relative_gap(200.0, 150.0) == 0.25 and relative_gap(None, 1.0) is None
    assert relative_gap(1.0, float("inf")) is None
    assert clamp_bound(100.0, 100.0 + 1e-8, maximize=False) == 100.0  # rounding: moved onto the objective
    assert clamp_bound(100.0, 101.0, maximize=False) is None  # past it: dropped
    assert clamp_bound(100.0, 99.0, maximize=True) is None
    assert integral_bound(6.2, maximize=False) == 7.0 and integral_bound(6.0000001, maximize=False) == 6.0
    assert integral_bound(9.8, maximize=True) == 9.0


def test_inconsistencies_name_each_wrong_claim() -> None:
    assert inconsistencies("optimal", 10.0, 10.0, 0.0, maximize=False) == []
    assert inconsistencies("time_limit", 10.0, 8.0, 0.2, maximize=False) == []
    assert any("optimal with objective" in p for p in inconsistencies("optimal", 10.0, 8.0, 0.0, maximize=False))
    assert any("not below" in p for p in inconsistencies("feasible", 10.0, 12.0, 0.2, maximize=False))
    assert any("gap 0.5 is not" in p for p in inconsistencies("feasible", 10.0, 8.0, 0.5, maximize=False))
    assert any("it is optimal" in p for p in inconsistencies("feasible", 10.0, 10.0, 0.0, maximize=False))
    assert any("without an objective" in p for p in inconsistencies("optimal", None, None, None, maximize=False))
    assert any("not one of" in p for p in inconsistencies("Optimal", 1.0, 1.0, 0.0, maximize=False))


def test_solution_problems_sees_rows_bounds_and_integrality() -> None:
    A = sp.csr_matrix(np.array([[1.0, 1.0]]))
    model = MipModel(np.ones(2), A, np.array([1.0]), np.array([np.inf]), np.zeros(2), np.ones(2),
                     np.array([True, False]))
    assert solution_problems(model, np.array([1.0, 0.0])) == []
    assert solution_problems(model, np.array([0.0, 1.0])) == []  # the second column is continuous
    assert any("fractional" in p for p in solution_problems(model, np.array([0.5, 0.5])))
    assert any("row(s) violated" in p for p in solution_problems(model, np.array([0.0, 0.0])))
    assert any("column bound" in p for p in solution_problems(model, np.array([2.0, 0.0])))


# ---------------------------------------------------------------- HiGHS stopped early, infeasible, bad starts


def market_split(seed: int = 3, m: int = 4, n: int = 40) -> tuple:  # type: ignore[type-arg]
    """Cornuéjols–Dawande market split with slacks: min total slack s.t. a x + s+ - s- = b, x binary.

    Its LP bound is 0 and its integer optimum is hard to find: a node limit leaves the gap open.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, (m, n)).astype(float)
    b = np.floor(a.sum(axis=1) / 2)
    A = sp.hstack([sp.csr_matrix(a), sp.eye(m), -sp.eye(m)]).tocsr()
    c = np.r_[np.zeros(n), np.ones(2 * m)]
    hi = np.r_[np.ones(n), np.full(2 * m, np.inf)]
    integer = np.r_[np.ones(n, dtype=bool), np.zeros(2 * m, dtype=bool)]
    start = np.r_[np.zeros(n), b, np.zeros(m)]  # nothing chosen, all of b as slack: feasible
    return c, A, b, hi, integer, start


@pytest.mark.parametrize("limit", [{"node_limit": 1}, {"time_limit": 0.05}])
def test_early_stop_is_not_optimal(limit: dict) -> None:  # type: ignore[type-arg]
    c, A, b, hi, integer, start = market_split()
    model = MipModel(c, A, b, b, np.zeros(len(c)), hi, integer)
    sol = solve_mip(c, A, b, b, np.zeros(len(c)), hi, integer, start=start,
                    **{"time_limit": 30.0, "options": {"mip_heuristic_effort": 0.0}, **limit})
    assert sol.x is not None and solution_problems(model, sol.x) == []
    assert sol.objective == pytest.approx(float(c @ sol.x))  # recomputed, not HiGHS' figure
    assert sol.bound is not None and sol.bound <= sol.objective
    assert inconsistencies(sol.status, sol.objective, sol.bound, sol.gap, maximize=False) == []
    if sol.status == "optimal":  # only with the gap closed
        assert sol.gap == 0 and sol.objective == pytest.approx(sol.bound)
    else:
        assert sol.status in ("feasible", "time_limit") and sol.gap == relative_gap(sol.objective, sol.bound) > 0


def test_node_limit_on_market_split_leaves_the_gap_open() -> None:
    c, A, b, hi, integer, start = market_split()
    sol = solve_mip(c, A, b, b, np.zeros(len(c)), hi, integer, start=start, node_limit=1, time_limit=30.0,
                    options={"mip_heuristic_effort": 0.0})
    # HiGHS stops on its limit ('Solution limit reached'); the status says what the solution shows
    assert sol.status == "feasible" and sol.bound == pytest.approx(0.0) and sol.gap == pytest.approx(1.0)


def test_infeasible_mip() -> None:
    # two binaries that must sum to 3
    sol = solve_mip(np.ones(2), sp.csr_matrix(np.ones((1, 2))), np.array([3.0]), np.array([np.inf]),
                    np.zeros(2), np.ones(2), np.ones(2, dtype=bool))
    assert sol.status == "infeasible" and sol.x is None and sol.objective is None and sol.gap is None


@pytest.mark.parametrize("start", [[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
def test_warm_start_that_is_not_the_answer(start: list[float]) -> None:
    # min x1 + 2 x2, x1 + x2 >= 1: optimum x = (1, 0), worth 1; the starts are infeasible,
    # fractional, or feasible but worse: the answer is checked, whatever HiGHS does with them
    A = sp.csr_matrix(np.ones((1, 2)))
    sol = solve_mip(np.array([1.0, 2.0]), A, np.array([1.0]), np.array([np.inf]), np.zeros(2), np.ones(2),
                    np.ones(2, dtype=bool), start=np.array(start))
    assert sol.status == "optimal" and sol.objective == 1.0 and sol.gap == 0.0
    assert list(np.abs(sol.x)) == [1.0, 0.0]


# ---------------------------------------------------------------- models: results checked against their solution

RNG = np.random.default_rng(11)
DEM, CAN = RNG.uniform(0, 100, (400, 2)), RNG.uniform(0, 100, (120, 2))
COST = np.linalg.norm(DEM[:, None] - CAN[None], axis=2)
W = RNG.integers(1, 9, 400).astype(float)
CAP = np.full(120, 1.6 * W.sum() / 10)


@pytest.mark.parametrize("make", [
    lambda: PMedian.from_cost_matrix(COST, W, p=10),
    lambda: PCenter.from_cost_matrix(COST, W, p=10),
    lambda: MCLP.from_cost_matrix(COST, W, p=6, cutoff=15.0),
    lambda: LSCP.from_cost_matrix(COST, W, cutoff=20.0),
    lambda: CoverageTarget.from_cost_matrix(COST, W, cutoff=15.0, share=0.8),
    lambda: CMCLP.from_cost_matrix(COST, W, p=6, cutoff=15.0, capacity=CAP),
    lambda: CPMedian.from_cost_matrix(COST, W, p=10, capacity=CAP, single_source=True, cost_weight="none"),
], ids=["pmedian", "pcenter", "mclp", "lscp", "target", "cmclp", "cpmedian"])
def test_status_follows_from_the_solution_under_a_tight_limit(make) -> None:  # type: ignore[no-untyped-def]
    model = make()
    for limit in (0.01, 2.0):
        res = model.solve(time_limit=limit, method="mip")
        assert model.verify(res) == [], (limit, res.status)
        if res.status == "optimal":
            assert res.gap == 0 and res.bound == pytest.approx(res.objective)
        elif res.gap is not None:
            assert res.gap > 0


def test_result_refuses_a_wrong_objective_and_drops_a_wrong_bound() -> None:
    model = PMedian.from_cost_matrix(np.array([[1.0, 4.0], [3.0, 2.0]]), [1.0, 1.0], p=1)
    open_ = np.array([True, False])  # both served by site 0: 1 + 3 = 4
    with pytest.raises(RuntimeError, match="objective 3.0 claimed, 4.0 recomputed"):
        model.result(open_, status="optimal", objective=3.0, bound=3.0, method="mip", t0=0.0)
    res = model.result(open_, status="optimal", objective=4.0, bound=5.0, method="mip", t0=0.0)
    # the bound 5 lies above the objective of a minimisation: dropped, and so is the claim of optimality
    assert res.bound is None and res.status == "feasible" and res.details["bound_rejected"] == 5.0
    res = model.result(open_, status="time_limit", objective=None, bound=3.2, method="mip", t0=0.0)
    # whole costs: a bound of 3.2 proves 4, the objective, so the solution is optimal whatever stopped the search
    assert res.status == "optimal" and res.bound == 4.0 and res.gap == 0.0
    assert model.verify(res) == []
