"""Capacitated models: CMCLP (most demand served within the cutoff) and CPMedian (everyone served at least cost).

Both, and :class:`~siting.allocation.covering.CoverageTarget` with capacities, are solved by
:func:`solve_capacitated`: a greedy that fills each site as it opens, swaps priced by the
exact service from the chosen sites (an LP), then the MIP to certify, with bounds throughout.
The LPs themselves are in :mod:`~siting.allocation.capacity`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from siting.allocation.base import AllocationModel, SolveOptions
from siting.allocation.capacity import (
    AssignWithinCapacity,
    CapacityLp,
    CoverWithinCapacity,
    Modules,
    capacity_problems,
    served_weight,
)
from siting.allocation.heuristics.capacitated import Service, improves, swap_capacitated
from siting.allocation.lp import LpIndex
from siting.allocation.mip import MipSolution
from siting.allocation.problem import AllocationProblem
from siting.allocation.result import AllocationResult
from siting.allocation.status import relative_gap
from siting.errors import SitingError

#: The LP relaxation is solved for a bound when the heuristic serves alone and the model has at most
#: this many times ``max_mip_nnz`` non-zeros (an LP is far cheaper than the MIP).
LP_BOUND_FACTOR = 4


#: How a capacitated p-median weighs the cost of serving a demand point.
COST_WEIGHTS = ("demand", "none")


class CMCLP(AllocationModel):
    """Capacitated maximal covering: ``p`` new sites, each serving at most its capacity within ``cutoff``.

    Capacity comes from the candidate table (beds, places), from each project's
    ``capacity``, or from modules: with ``module_size`` s a site opens up to
    ``max_modules`` modules of s places (childcare classes), its capacity being
    its own ``capacity`` (existing places, 0 when unknown) plus s per module;
    ``module_budget`` caps the modules opened in total. A demand point takes its ``load``
    (default: its weight) of its site's capacity. Demand may be split between sites unless
    ``single_source``: then each demand point is served in full by one site, or not at all.
    The objective is the demand weight served within the cutoff.
    """

    name = "cmclp"
    maximize = True

    def __init__(self, problem: AllocationProblem, *, cutoff: float, p: int | None = None,
                 module_size: float | None = None, max_modules: Any = None,
                 module_budget: int | None = None, single_source: bool = False) -> None:
        super().__init__(problem, cutoff=cutoff, p=p)
        if self.p is None:
            raise SitingError("cmclp needs p, the number of new sites")
        self.modules = Modules(module_size, max_modules, module_budget)
        self.single_source = bool(single_source)

    def objective_of(self, open_: np.ndarray, assignment: pd.DataFrame) -> float:
        return served_weight(self.problem, assignment)

    def infeasibilities(self, open_: np.ndarray, assignment: pd.DataFrame) -> list[str]:
        out = super().infeasibilities(open_, assignment)
        out += capacity_problems(self, self.modules, open_, assignment, split=not self.single_source)
        assert self.cutoff is not None
        far = assignment["cost"].to_numpy(dtype=float) > self.cutoff
        if far.any():
            out.append(f"{int(far.sum())} demand point(s) served beyond the cutoff")
        return out

    def _solve(self, opts: SolveOptions) -> AllocationResult:
        return solve_capacitated(CoverWithinCapacity(self, self.modules, self.p, None), opts)


class CPMedian(AllocationModel):
    """Capacitated p-median: every demand point served, no site above capacity, least cost.

    A demand point takes its ``load`` (default: its weight) of its site's capacity; the cost
    of serving it is weighted by its weight (``cost_weight='demand'``, the default) or not
    at all (``'none'``: plain costs, as in the published benchmarks). Demand may be split
    between sites unless ``single_source`` (each demand point served by exactly one site).
    Capacity as in :class:`CMCLP` (candidate ``capacity``, project capacity or modules).
    ``cutoff``, when given, forbids pairs beyond it.
    """

    name = "cpmedian"
    uses_cutoff = False

    def __init__(self, problem: AllocationProblem, *, p: int | None = None, cutoff: float | None = None,
                 module_size: float | None = None, max_modules: Any = None,
                 module_budget: int | None = None, single_source: bool = False,
                 cost_weight: str = "demand") -> None:
        super().__init__(problem, p=p, cutoff=cutoff)
        if self.p is None:
            raise SitingError("cpmedian needs p, the number of new sites")
        if cost_weight not in COST_WEIGHTS:
            raise SitingError(f"cost_weight must be one of {', '.join(COST_WEIGHTS)}, not {cost_weight!r}")
        self.modules = Modules(module_size, max_modules, module_budget)
        self.single_source = bool(single_source)
        self.cost_weight = cost_weight

    def cost_weights(self) -> np.ndarray:
        """What each demand point's cost is multiplied by: its weight, or 1."""
        prob = self.problem
        return prob.weights if self.cost_weight == "demand" else np.ones(prob.n_demand)

    def active(self) -> np.ndarray:
        """The demand points that must be served: those with a weight or a load."""
        return (self.problem.weights > 0) | (self.problem.demand_load > 0)

    def objective_of(self, open_: np.ndarray, assignment: pd.DataFrame) -> float:
        pos = pd.Index(self.problem.demand_ids).get_indexer(assignment["demand_id"])
        share, cost = assignment["share"].to_numpy(dtype=float), assignment["cost"].to_numpy(dtype=float)
        return float((self.cost_weights()[pos] * share * cost).sum())

    def integral_objective(self) -> bool:
        return (self.cost_weight == "none" or self.whole_weights()) and self.whole_costs() and self.single_source

    def infeasibilities(self, open_: np.ndarray, assignment: pd.DataFrame) -> list[str]:
        out = super().infeasibilities(open_, assignment)
        out += capacity_problems(self, self.modules, open_, assignment, split=not self.single_source)
        pos = pd.Index(self.problem.demand_ids).get_indexer(assignment["demand_id"])
        got = np.bincount(pos, weights=assignment["share"].to_numpy(dtype=float), minlength=self.problem.n_demand)
        short = self.active() & (got < 1 - 1e-6)
        if short.any():
            out.append(f"{int(short.sum())} demand point(s) not served in full, e.g. {self.problem.demand_ids[short][0]}")
        return out

    def _solve(self, opts: SolveOptions) -> AllocationResult:
        return solve_capacitated(AssignWithinCapacity(self, self.modules), opts)


def solve_capacitated(cm: CapacityLp, opts: SolveOptions) -> AllocationResult:
    """Greedy + exact service as the warm start and fallback, the MIP to certify, bounds throughout."""
    return CapacitatedSolve(cm, opts).run()


def tighter_bound(a: float | None, b: float | None, maximize: bool) -> float | None:
    """The tighter of two bounds (either may be unknown)."""
    if a is None or b is None:
        return b if a is None else a
    return min(a, b) if maximize else max(a, b)


class CapacitatedSolve:
    """One solve of a capacitated model: the full MIP, built once, and the small service problems of the heuristic."""

    def __init__(self, cm: CapacityLp, opts: SolveOptions) -> None:
        self.cm, self.opts = cm, opts
        self.name = cm.model.name
        self.t0 = time.perf_counter()
        self.full, self.index = cm.build(None, None)
        self.nnz = self.full.nnz
        self.too_big = opts.method == "auto" and self.nnz > opts.max_mip_nnz

    def serve(self, sites: list[int]) -> tuple[MipSolution, LpIndex, np.ndarray]:
        """The best service from ``sites`` alone: its solution, index and the pairs kept (those of open sites)."""
        cm = self.cm
        o = cm.model.open_sites(sites)
        keep = o[cm.c]
        small, idx = cm.build(keep, o)
        # with the sites fixed, only modules and project placement stay integer
        pure_lp = idx.m0 < 0 and not len(idx.projects.pairs_k)
        sol = small.solve(maximize=cm.maximize, start=None, time_limit=self.opts.time_left(self.t0),
                          mip_rel_gap=self.opts.mip_rel_gap, verbose=False, relax=pure_lp)
        return sol, idx, keep

    def evaluate(self, sites: list[int]) -> Service | None:
        """The heuristic's price of ``sites``: their best service, or None when they cannot serve as required."""
        sol, idx, _ = self.serve(sites)
        if sol.x is None or sol.status != "optimal" or sol.objective is None:
            return None
        unserved, cost = self.cm.service_state(idx, sol.x)
        return Service(sol.objective, unserved, cost)

    def heuristic_sites(self, alone: bool) -> tuple[list[int], int, float]:
        """Greedy sites, then swaps (or, for the fewest sites, drops): (sites, moves made, time the greedy ended)."""
        cm = self.cm
        sel = cm.greedy()
        tg = time.perf_counter()
        # a warm start only needs to be good; serving alone, it is the answer and gets more time
        tl = self.opts.time_limit
        budget = min(10.0, 0.25 * (tl or 40.0)) if alone else min(2.0, 0.05 * (tl or 40.0))
        moves = 0
        if cm.need is not None:
            # fewest sites: drop any site the others can do without (latest first)
            for f in reversed(list(sel)):
                if time.perf_counter() - tg > budget:
                    break
                trial = [j for j in sel if j != f]
                if self.evaluate(trial) is not None:
                    sel, moves = trial, moves + 1
        else:
            sel, _, moves = swap_capacitated(self.evaluate, cm.knapsack_pairs(), cm.model.site_rules(), sel,
                                             maximize=cm.maximize, time_budget=budget)
        return sel, moves, tg

    def run(self) -> AllocationResult:
        opts = self.opts
        alone = opts.method == "heuristic" or self.too_big
        sel, swaps, tg = self.heuristic_sites(alone)
        hsol, sidx, keep = self.serve(sel)
        heur_obj = hsol.objective if hsol.x is not None and hsol.status == "optimal" else None
        details: dict[str, Any] = {"heuristic": "greedy+swap+assignment", "heuristic_objective": heur_obj,
                                   "swaps": swaps, "greedy_seconds": tg - self.t0,
                                   "heuristic_seconds": time.perf_counter() - self.t0, "mip_nnz": self.nnz}
        quick = self.cm.quick_bound()
        details["quick_bound"] = quick
        proven = heur_obj is not None and (relative_gap(heur_obj, quick) or 0.0) <= opts.mip_rel_gap and quick is not None
        if alone or (opts.method == "auto" and proven):
            if not proven and self.nnz <= LP_BOUND_FACTOR * opts.max_mip_nnz:
                heur_obj, quick = self._with_lp_bound(heur_obj, quick, details)
            return self._heuristic_answer(hsol, sidx, heur_obj, quick, details)
        return self._mip_answer(hsol, sidx, keep, heur_obj, quick, details)

    def _with_lp_bound(self, heur_obj: float | None, bound: float | None, details: dict[str, Any]
                       ) -> tuple[float | None, float | None]:
        """Tighten the bound by the LP relaxation; (None, bound) when the relaxation is infeasible."""
        cm, opts = self.cm, self.opts
        tl = time.perf_counter()
        relax = self.full.solve(maximize=cm.maximize, start=None, time_limit=opts.time_left(self.t0),
                                mip_rel_gap=opts.mip_rel_gap, verbose=opts.verbose, relax=True)
        if relax.status == "optimal" and relax.objective is not None:
            details["lp_bound"] = cm.round_bound(relax.objective)
            bound = tighter_bound(bound, details["lp_bound"], cm.maximize)
        elif relax.status == "infeasible":
            heur_obj = None
        details["bound_seconds"] = time.perf_counter() - tl
        return heur_obj, bound

    def _heuristic_answer(self, hsol: MipSolution, sidx: LpIndex, heur_obj: float | None, bound: float | None,
                          details: dict[str, Any]) -> AllocationResult:
        """The heuristic's service as the answer, certified when its bound meets it."""
        if heur_obj is None or hsol.x is None:
            short = self.cm.capacity_short()
            if short:
                raise SitingError(f"{self.name} is infeasible: {short}")
            why = f"too large: {self.nnz} non-zeros" if self.too_big else "method=heuristic"
            raise SitingError(
                f"{self.name}: the heuristic found no placement that meets the capacity, site and region rules "
                f"and the MIP was not run ({why}); add capacity or sites, or run the MIP (method='mip' or a larger "
                "max_mip_nnz)")
        if self.too_big:
            details["reason"] = f"MIP too large ({self.nnz} non-zeros > max_mip_nnz {self.opts.max_mip_nnz})"
        by_lp = "lp_bound" in details and bound == details["lp_bound"]
        details["certified_by"] = "lp relaxation" if by_lp else "capacity bound"
        res = self.cm.result(sidx, hsol.x, "feasible", bound, "heuristic", self.t0, details)
        if res.status != "optimal":
            del res.details["certified_by"]
        return res

    def _mip_start(self, x: np.ndarray, sidx: LpIndex, keep: np.ndarray) -> np.ndarray:
        """The heuristic's service as a MIP start: the small problem has the MIP's columns minus closed sites' pairs."""
        xs = np.zeros(len(self.index.pair_row))
        n_small = len(sidx.pair_row)
        xs[np.flatnonzero(keep)] = x[sidx.x0: sidx.x0 + n_small]
        start = np.concatenate([x[: sidx.x0], xs, x[sidx.x0 + n_small:]])
        assert len(start) == self.full.n_col and self.index.x0 == sidx.x0
        return start

    def _mip_answer(self, hsol: MipSolution, sidx: LpIndex, keep: np.ndarray, heur_obj: float | None,
                    bound: float | None, details: dict[str, Any]) -> AllocationResult:
        """The MIP warm-started by the heuristic; the heuristic's answer when the MIP does not beat it."""
        cm, opts = self.cm, self.opts
        start = None if hsol.x is None else self._mip_start(hsol.x, sidx, keep)
        sol = self.full.solve(maximize=cm.maximize, start=start, time_limit=opts.time_left(self.t0),
                              mip_rel_gap=opts.mip_rel_gap, verbose=opts.verbose)
        bound = tighter_bound(bound, cm.round_bound(sol.bound), cm.maximize)
        details["mip_seconds"] = sol.seconds
        if sol.x is None or (heur_obj is not None and improves(heur_obj, sol.objective or 0.0, cm.maximize)):
            if heur_obj is None or hsol.x is None:
                if sol.status == "infeasible":
                    raise SitingError(f"{self.name} is infeasible: {cm.infeasible_reason()}")
                raise SitingError(f"{self.name}: HiGHS found no solution within the time limit ({sol.status}); "
                                  "raise the time limit")
            return cm.result(sidx, hsol.x, sol.status, bound, "heuristic", self.t0, details)
        return cm.result(self.index, sol.x, sol.status, bound, "mip", self.t0, details)
