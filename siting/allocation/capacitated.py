"""Capacitated models: CMCLP (most demand served within the cutoff) and CPMedian (everyone served at least cost).

Both, and :class:`~siting.allocation.covering.CoverageTarget` with capacities, are solved by
:func:`solve_capacitated`: a greedy that fills each site as it opens, swaps priced by the
exact service from the chosen sites (an LP), then the MIP to certify, with bounds throughout.
The LPs themselves are in :mod:`~siting.allocation.capacity`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
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
from siting.allocation.capacity_dual import KnapsackDual
from siting.allocation.catalogue import COST_WEIGHTS
from siting.allocation.heuristics.capacitated import Service, improves, relocate_sites, swap_capacitated
from siting.allocation.heuristics.subgradient import (
    SiteDual,
    closed_by_reduced_cost,
    probe_sites,
    site_lagrangian,
)
from siting.allocation.lp import LpBuilder, LpIndex
from siting.allocation.mip import MipSolution
from siting.allocation.problem import AllocationProblem
from siting.allocation.result import AllocationResult
from siting.allocation.status import proof_threshold, relative_gap
from siting.errors import SitingError

#: The LP relaxation is solved for a bound when the heuristic serves alone and the model has at most
#: this many times ``max_mip_nnz`` non-zeros (an LP is far cheaper than the MIP).
LP_BOUND_FACTOR = 4


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
        return solve_capacitated(CoverWithinCapacity(self, self.modules, self.p, None, self.single_source), opts)


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
        return solve_capacitated(AssignWithinCapacity(self, self.modules, cost_weight=self.cost_weights(),
                                                      active=self.active(), single=self.single_source), opts)


def solve_capacitated(cm: CapacityLp, opts: SolveOptions) -> AllocationResult:
    """Greedy + exact service as the warm start and fallback, the MIP to certify, bounds throughout.

    With one capacity per site (no modules, no projects, no coverage target) the Lagrangian
    relaxation by knapsacks bounds it, closes sites and pairs, and the MIP runs on what is left
    (:class:`KnapsackSolve`).
    """
    if cm.plain():
        return KnapsackSolve(cm, opts).run()
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
        if cm.plain():  # built only when the MIP runs, on the pairs the bound leaves
            self.full, self.index, self.nnz = LpBuilder(), LpIndex(-1), cm.mip_nnz()
        else:
            self.full, self.index = cm.build(None, None)
            self.nnz = self.full.nnz
        self.too_big = opts.method == "auto" and self.nnz > opts.max_mip_nnz

    def serve(self, sites: list[int], *, exact_within: float = 10.0, start: np.ndarray | None = None
              ) -> tuple[MipSolution, LpIndex, np.ndarray]:
        """The best service from ``sites`` alone: its solution, index and the pairs kept (those of open sites).

        Single sourcing takes the quick assignment unless given ``start`` (that of a previous service of
        the same sites), when the assignment MIP improves on it for up to ``exact_within`` seconds.
        """
        cm = self.cm
        o = cm.model.open_sites(sites)
        keep = o[cm.c]
        small, idx = cm.build(keep, o)
        if cm.single and start is None:
            quick = cm.single_service(idx, o)
            if quick is not None:
                x = np.concatenate([o.astype(float), quick])
                value = float(np.concatenate(small.c) @ x)
                return MipSolution("feasible", x, value, None, None, 0.0), idx, keep
        # with the sites fixed, only modules, project placement and single sourcing stay integer
        pure_lp = idx.m0 < 0 and not len(idx.projects.pairs_k) and not cm.single
        left = self.opts.time_left(self.t0)
        sol = small.solve(maximize=cm.maximize, start=start,
                          time_limit=left if pure_lp or left is None else min(left, exact_within),
                          mip_rel_gap=self.opts.mip_rel_gap if pure_lp else 1e-4, verbose=False, relax=pure_lp)
        return sol, idx, keep

    def evaluate(self, sites: list[int]) -> Service | None:
        """The heuristic's price of ``sites``: their best service (the best found, for single sourcing), or None
        when they cannot serve as required."""
        sol, idx, _ = self.serve(sites)
        if sol.x is None or sol.objective is None:
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


@dataclass
class Incumbent:
    """The best solution found: its value in the minimising form, sites, and the service solution."""

    value: float
    sites: list[int]
    sol: MipSolution
    idx: LpIndex


class KnapsackSolve(CapacitatedSolve):
    """A capacitated model with one capacity per site, solved by its Lagrangian relaxation (knapsacks per site)
    and the MIP on what the bound leaves.

    The first incumbent is the better of the capacitated greedy's sites and the uncapacitated model's
    (:meth:`~siting.allocation.capacity.CapacityLp.uncapacitated_sites`), each served exactly, then moved
    site by site towards its customers (:func:`~siting.allocation.heuristics.capacitated.relocate_sites`);
    subgradient steps raise the bound, and the sites each round of steps opens are served exactly, as a
    Lagrangian heuristic; swaps follow, and a single-source incumbent gets its assignment solved exactly.
    Reduced costs and probing then close sites, and for single sourcing pairs, that no better solution
    uses; the MIP runs on the rest, cut off at the threshold, so that its bound holds for the whole model.
    """

    def run(self) -> AllocationResult:
        cm, opts = self.cm, self.opts
        alone = opts.method == "heuristic" or self.too_big
        inc, start = self._start(cm.greedy(), alone)
        tg = time.perf_counter()
        inc, moved = self._relocate(inc, (0.2 if alone else 0.05) * (opts.time_left(self.t0) or 60.0))
        details: dict[str, Any] = {"heuristic": f"{start}+relocate+lagrangian+swap", "relocations": moved,
                                   "greedy_seconds": tg - self.t0, "mip_nnz": self.nnz,
                                   "heuristic_objective": None if inc is None else cm_value(cm, inc.value)}
        kd = KnapsackDual.of(cm)
        # with no MIP to follow, the ascent (bound, Lagrangian heuristic, swaps) has the time left, less what its
        # last service problems may overrun by
        dual, inc, rounds = self._ascent(kd, inc, budget=(0.7 if alone else 0.3) * (opts.time_left(self.t0) or 60.0))
        inc = self._polish(inc, 0.1 * (opts.time_left(self.t0) or 60.0))
        details.update(lagrangian_bound=cm_value(cm, dual.bound), lagrangian_rounds=rounds,
                       heuristic_seconds=time.perf_counter() - self.t0)
        if inc is None:
            short = cm.capacity_short()
            raise SitingError(f"{self.name} is infeasible: {short}" if short else
                              f"{self.name}: no placement found that meets the capacity and site rules; "
                              "add capacity or sites, or raise the time limit")
        if (relative_gap(inc.value, dual.bound) or 0.0) <= opts.mip_rel_gap or opts.method == "heuristic" \
                or self.too_big:
            if self.too_big:
                details["reason"] = f"MIP too large ({self.nnz} non-zeros > max_mip_nnz {opts.max_mip_nnz})"
            return self._answer(inc, "feasible", dual.bound, "heuristic", details)
        return self._prove(kd, dual, inc, details)

    def _start(self, sel: list[int], alone: bool) -> tuple[Incumbent | None, str]:
        """The better of the greedy's sites and the uncapacitated model's (served within capacity): (incumbent,
        which start it came from)."""
        inc = self._incumbent(sel)

        def value(sites: list[int]) -> float:
            found = self._incumbent(sites)
            return -np.inf if found is None else -found.value

        share = (0.3 if alone else 0.35) * (self.opts.time_left(self.t0) or 60.0)
        alt = self.cm.uncapacitated_sites(value, share)
        better = self._better(inc, self._incumbent(alt)) if alt else None
        return (better, "uncapacitated") if better is not None else (inc, "greedy")

    def _polish(self, inc: Incumbent | None, time_limit: float) -> Incumbent | None:
        """A single-source incumbent with its assignment re-solved exactly (the quick one can be 1 % off on
        SJC4a's sites), warm-started from it; the incumbent itself when that is no better."""
        if inc is None or inc.sol.x is None or not self.cm.single or not inc.sites or time_limit <= 0.5:
            return inc
        sol, idx, _ = self.serve(inc.sites, exact_within=time_limit, start=inc.sol.x)
        if sol.x is None or sol.objective is None:
            return inc
        found = Incumbent(-sol.objective if self.cm.maximize else sol.objective, list(inc.sites), sol, idx)
        return self._better(inc, found) or inc

    def _relocate(self, inc: Incumbent | None, budget: float) -> tuple[Incumbent | None, int]:
        """Move the incumbent's sites to where their customers are cheapest to serve
        (:func:`~siting.allocation.heuristics.capacitated.relocate_sites`), while that pays and time lasts:
        (incumbent, rounds that paid). A p-median's move only; coverage has no cost to move along."""
        if inc is None or inc.sol.x is None or self.cm.maximize:
            return inc, 0
        t0, moved = time.perf_counter(), 0
        pairs, rules = self.cm.knapsack_pairs(), self.cm.model.site_rules()
        while time.perf_counter() - t0 < budget:
            assert inc.sol.x is not None
            share = inc.idx.service(inc.sol.x)
            o = np.argsort(share, kind="stable")
            o = o[share[o] > 1e-9]
            main = np.full(len(self.cm.w), -1)
            main[inc.idx.pair_row[o]] = inc.idx.pair_site[o]  # the largest share is written last
            trial = relocate_sites(pairs, rules, inc.sites, main)
            better = None if sorted(trial) == sorted(inc.sites) else self._better(inc, self._incumbent(trial))
            if better is None:
                break
            inc, moved = better, moved + 1
        return inc, moved

    def _incumbent(self, sites: list[int]) -> Incumbent | None:
        """The service from ``sites`` as an incumbent, or None when they cannot serve as required."""
        sol, idx, _ = self.serve(sites)
        if sol.x is None or sol.objective is None:
            return None
        return Incumbent(-sol.objective if self.cm.maximize else sol.objective, list(sites), sol, idx)

    def _answer(self, inc: Incumbent, status: str, bound_min: float | None, method: str,
                details: dict[str, Any]) -> AllocationResult:
        """The incumbent as the result, with a bound in the minimising form."""
        bound = None if bound_min is None else cm_value(self.cm, bound_min)
        assert inc.sol.x is not None
        return self.cm.result(inc.idx, inc.sol.x, status, bound, method, self.t0, details)

    def _ascent(self, kd: KnapsackDual, inc: Incumbent | None, budget: float
                ) -> tuple[SiteDual, Incumbent | None, int]:
        """Subgradient rounds, each followed by the service from the sites it opens, then swaps from the best
        sites: (best dual, incumbent, rounds)."""
        t0 = time.perf_counter()
        lam = kd.start(self._row_costs(kd, inc))
        best: SiteDual | None = None
        rounds = stall = 0
        while time.perf_counter() - t0 < budget and stall < 3:
            target = inc.value if inc is not None else float(kd.sites.lam_hi.sum())
            dual = site_lagrangian(kd.sites, target, lam, iterations=300, patience=40,
                                   time_budget=budget - (time.perf_counter() - t0))
            rounds += 1
            lam = dual.lam
            better = best is None or dual.bound > best.bound + 1e-7 * max(1.0, abs(best.bound))
            best = dual if better or best is None else best
            improved = self._better(inc, self._incumbent(sorted(int(j) for j in dual.pick)))
            inc = improved or inc
            stall = 0 if better or improved else stall + 1
            if inc is not None and (relative_gap(inc.value, best.bound) or 0.0) <= self.opts.mip_rel_gap:
                break
        assert best is not None
        # swaps from the incumbent's sites and from the relaxation's: all of them when pricing is quick
        starts = [s for s in ([] if inc is None else [inc.sites]) + [sorted(int(j) for j in best.pick)] if s]
        top = self.cm.model.problem.n_candidates if self.cm.single else 6
        for k, start in enumerate(starts):
            if inc is not None and (relative_gap(inc.value, best.bound) or 0.0) <= self.opts.mip_rel_gap:
                break
            left = max(0.5, (budget - (time.perf_counter() - t0)) / (len(starts) - k))
            sel, _, _ = swap_capacitated(self.evaluate, self.cm.knapsack_pairs(), self.cm.model.site_rules(),
                                         start, maximize=self.cm.maximize, time_budget=left, top=top)
            inc = self._better(inc, self._incumbent(sel)) or inc
        return best, inc, rounds

    def _better(self, inc: Incumbent | None, trial: Incumbent | None) -> Incumbent | None:
        """``trial`` when it beats ``inc``, else None."""
        if trial is None or (inc is not None and trial.value >= inc.value - 1e-9 * max(1.0, abs(inc.value))):
            return None
        return trial

    def _row_costs(self, kd: KnapsackDual, inc: Incumbent | None) -> np.ndarray | None:
        """Per demand row: its cost in the incumbent (the highest over its pairs), None without one."""
        if inc is None or inc.sol.x is None:
            return None
        share = inc.idx.service(inc.sol.x)
        on = share > 1e-9
        cost = np.full(len(kd.sites.lam_hi), -np.inf)
        np.maximum.at(cost, inc.idx.pair_row[on], kd.cost[inc.idx.pair[on]])
        return np.where(np.isfinite(cost), cost, kd.sites.lam_hi)

    def _prove(self, kd: KnapsackDual, dual: SiteDual, inc: Incumbent, details: dict[str, Any]) -> AllocationResult:
        """Close sites (reduced costs, probing) and pairs, then the MIP on the rest, cut off at the threshold;
        again, with the pairs a better incumbent leaves, while the MIP finds better solutions."""
        cm, opts = self.cm, self.opts
        closed = np.zeros(cm.model.problem.n_candidates, dtype=bool)
        bound, rounds, share = dual.bound, 0, 0.4
        while True:
            rounds += 1
            thr, floor = proof_threshold(inc.value, cm.model.integral_objective())
            closed |= closed_by_reduced_cost(kd.sites, dual, thr)[0]
            closed, probes = probe_sites(kd.sites, dual, thr, closed, upper=inc.value,
                                         time_budget=(0.2 if rounds == 1 else 0.05) * (opts.time_left(self.t0) or 60.0))
            details.update(probes=details.get("probes", 0) + probes, closed_by_probing=int(closed.sum()))
            if not (kd.sites.free & ~closed).any() and cm.count:
                details["certified_by"] = "lagrangian probing"
                return self._answer(inc, "feasible", max(dual.bound, floor), "heuristic", details)
            keep = ~closed[cm.c] & (kd.pair_fixing(dual, thr) if cm.single else True)
            left = opts.time_left(self.t0)
            sol, idx = self._restricted_mip(keep, closed, thr, None if left is None else share * left)
            mip_bound = np.inf if sol.status == "infeasible" else sol.bound
            if getattr(cm, "lam_cap", None) is not None:
                mip_bound = None  # the MIP saw only each point's cheapest pairs: its bound is not the model's
            bound = max(bound, dual.bound if mip_bound is None else min(mip_bound, floor))
            details.update(pairs_kept=int(keep.sum()), mip_seconds=details.get("mip_seconds", 0.0) + sol.seconds,
                           mip_rounds=rounds)
            found = None if sol.x is None or sol.objective is None else Incumbent(sol.objective, [], sol, idx)
            better = self._better(inc, found)
            inc = better or inc
            # a better solution shrinks the pairs left: the MIP runs again on them; without one, it gets all the
            # time left once, and its answer stands
            if sol.status in ("optimal", "infeasible") or share == 1.0 or (opts.time_left(self.t0) or 1.0) <= 1.0:
                return self._answer(inc, sol.status if sol.status == "time_limit" or better is None else "feasible",
                                    bound, "mip" if better is not None and inc is better else "heuristic", details)
            share = 0.4 if better is not None else 1.0

    def _restricted_mip(self, keep: np.ndarray, closed: np.ndarray, thr: float, time_limit: float | None
                        ) -> tuple[MipSolution, LpIndex]:
        """The MIP over the pairs ``keep``, ``closed`` sites shut, cut off at ``thr`` (minimising form); its
        objective and bound are in the minimising form too."""
        cm, opts = self.cm, self.opts
        lp, idx = cm.build(keep, None)
        _, upper = lp.bounds(idx.y0)
        upper[closed] = 0.0
        sign = -1.0 if cm.maximize else 1.0
        sol = lp.solve(maximize=cm.maximize, start=None, time_limit=time_limit, mip_rel_gap=opts.mip_rel_gap,
                       verbose=opts.verbose, cutoff=sign * thr)
        if cm.maximize:
            sol.objective = None if sol.objective is None else -sol.objective
            sol.bound = None if sol.bound is None else -sol.bound
        return sol, idx

def cm_value(cm: CapacityLp, value_min: float) -> float:
    """A value of the minimising form in the model's own terms (negated for a maximising model)."""
    return -value_min if cm.maximize else value_min

