"""The p-median: ``p`` new sites that minimise the demand-weighted cost to the nearest open site.

Warm start: greedy, Teitz–Bart swaps, a restart from the Lagrangian relaxation's sites and an
iterated local search; the Lagrangian bound certifies it or closes candidates that cannot be
in a better solution, whose pairs the MIP then leaves out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from siting.allocation.base import AllocationModel, SolveOptions, require_reach, unreachable_error
from siting.allocation.heuristics.median import (
    SortedCosts,
    greedy_median,
    lagrangian_median_bound,
    perturbed_swaps,
    sorted_costs,
    teitz_bart,
)
from siting.allocation.heuristics.sites import SiteRules
from siting.allocation.lp import (
    LpBuilder,
    add_link_rows,
    add_site_columns,
    add_site_count,
    placement,
    project_start,
)
from siting.allocation.problem import AllocationProblem
from siting.allocation.result import AllocationResult
from siting.allocation.status import relative_gap
from siting.errors import SitingError


@dataclass(frozen=True)
class MedianCosts:
    """The p-median's view of the problem: the demand with weight (``active``) and its pairs.

    ``r`` indexes ``active``; ``sorted`` lists each active row's candidates by cost, with the
    rows' weights.
    """

    active: np.ndarray
    r: np.ndarray
    c: np.ndarray
    d: np.ndarray
    sorted: SortedCosts


@dataclass(frozen=True)
class MedianSites:
    """A set of new sites with its weighted cost, and per active row the nearest (``d1``, ``c1``) and second costs."""

    sites: list[int]
    cost: float
    d1: np.ndarray
    c1: np.ndarray
    d2: np.ndarray


class PMedian(AllocationModel):
    """p-median: ``p`` new sites that minimise the demand-weighted cost to the nearest open site.

    ``cutoff`` is optional and only used for the coverage figures. Warm start:
    greedy then Teitz–Bart; with the heuristic alone the bound is a Lagrangian one.
    """

    name = "pmedian"
    uses_cutoff = False

    def __init__(self, problem: AllocationProblem, *, p: int | None = None, cutoff: float | None = None) -> None:
        super().__init__(problem, p=p, cutoff=cutoff)
        if self.p is None:
            raise SitingError("pmedian needs p, the number of new sites")

    def objective_of(self, open_: np.ndarray, assignment: pd.DataFrame) -> float:
        return float(np.nansum(self.problem.weights * assignment["cost"].to_numpy(dtype=float)))

    def integral_objective(self) -> bool:
        return self.whole_weights() and self.whole_costs()

    def infeasibilities(self, open_: np.ndarray, assignment: pd.DataFrame) -> list[str]:
        out = super().infeasibilities(open_, assignment)
        lost = np.isnan(assignment["cost"].to_numpy(dtype=float)) & (self.problem.weights > 0)
        if lost.any():
            out.append(f"{int(lost.sum())} demand point(s) with weight reach no open site")
        return out

    def coverage(self, open_: np.ndarray) -> dict[str, Any]:
        out = super().coverage(open_)
        a = self.nearest_assignment(open_)
        w = self.problem.weights
        tot = float(np.nansum(w * a["cost"].to_numpy(dtype=float)))
        out["weighted_cost"] = tot
        out["mean_cost"] = tot / float(w.sum()) if w.sum() else None
        return out

    def _costs(self) -> MedianCosts:
        """The pairs of the demand with weight, and each row's candidates sorted by cost."""
        prob = self.problem
        r, c, d = prob.pairs(None)
        w = prob.weights
        require_reach(self, r, "have no path to any eligible candidate")
        active = np.flatnonzero(w > 0)
        pos = np.full(prob.n_demand, -1)
        pos[active] = np.arange(len(active))
        keep = pos[r] >= 0
        r, c, d = pos[r[keep]], c[keep], d[keep]
        big = 10.0 * (float(d.max()) + 1.0) if len(d) else 1.0
        D = np.full((len(active), prob.n_candidates), big)
        D[r, c] = d
        order, sc = sorted_costs(D)
        return MedianCosts(active, r, c, d, SortedCosts(order, sc, w[active], big))

    def _priced(self, mc: MedianCosts, sites: list[int]) -> MedianSites:
        d1, c1, d2 = mc.sorted.nearest_two(self.open_sites(sites))
        return MedianSites(sites, float(mc.sorted.w @ d1), d1, c1, d2)

    def _bound(self, mc: MedianCosts, rules: SiteRules, best: MedianSites, budget: float
               ) -> tuple[float, np.ndarray, np.ndarray]:
        """The Lagrangian bound started from ``best``: (bound, its sites, candidates closed by reduced cost)."""
        assert self.p is not None
        sc = mc.sorted
        lag, _, pick, closed = lagrangian_median_bound(sc, rules, self.p, best.cost, sc.w * np.minimum(best.d2, sc.big),
                                                       time_budget=budget)
        return lag, pick, closed

    def _heuristic(self, mc: MedianCosts, opts: SolveOptions, t0: float
                   ) -> tuple[MedianSites, float, np.ndarray, dict[str, Any]]:
        """Greedy, swaps, restarts: (the best sites, a lower bound, candidates closed by it, details)."""
        prob, sc = self.problem, mc.sorted
        assert self.p is not None
        rules = self.site_rules()
        no_projects = rules.region_ok is None  # restarts and kicks would ignore the projects' regions
        regional = not no_projects and any(pr.regions is not None for pr in prob.projects or [])
        same_region = prob.region.astype(str) if regional and prob.region is not None else None
        sel = greedy_median(sc, rules, self.p)
        tg = time.perf_counter()
        budget = max(2.0, 0.5 * (opts.time_limit or 60.0))
        sel, swaps = teitz_bart(sc, rules, sel, time_budget=budget, same_region=same_region)
        best = self._priced(mc, sel)
        tl = time.perf_counter()
        lag_budget = max(1.0, 0.2 * (opts.time_limit or 60.0))
        lag, pick, closed = self._bound(mc, rules, best, lag_budget)
        restarts = kicks = 0
        if sorted(pick.tolist()) != sorted(best.sites) and no_projects:
            # Lagrangian heuristic: the relaxation's sites are a good second start for the swaps
            alt, more = teitz_bart(sc, rules, [int(j) for j in pick], time_budget=budget)
            restarts, swaps = 1, swaps + more
            priced = self._priced(mc, alt)
            if priced.cost < best.cost:
                best = priced
                lag, pick, closed = self._bound(mc, rules, best, lag_budget)
        if no_projects and (relative_gap(best.cost, lag) or 0.0) > opts.mip_rel_gap:
            # iterated local search with part of the time left, then a tighter bound for the new incumbent
            alt, kicks = perturbed_swaps(sc, rules, best.sites, time_budget=min(20.0, 0.25 * (opts.time_limit or 60.0)))
            priced = self._priced(mc, alt)
            if priced.cost < best.cost:
                best = priced
                lag2, _, closed = self._bound(mc, rules, best, lag_budget)
                lag = max(lag, lag2)
        if (best.d1 >= sc.big).any():
            raise unreachable_error(self, mc.active[best.d1 >= sc.big], "cannot reach any of the chosen sites")
        lag = min(lag, best.cost)
        details: dict[str, Any] = {"heuristic": "greedy+teitz-bart+ils", "swaps": swaps, "restarts": restarts,
                                   "kicks": kicks, "heuristic_objective": best.cost, "greedy_seconds": tg - t0,
                                   "heuristic_seconds": time.perf_counter() - t0, "lagrangian_bound": lag,
                                   "bound_seconds": time.perf_counter() - tl, "fixed_closed": int(closed.sum())}
        return best, lag, closed, details

    def _solve(self, opts: SolveOptions) -> AllocationResult:
        t0 = time.perf_counter()
        mc = self._costs()
        best, lag, closed, details = self._heuristic(mc, opts, t0)
        # candidates the reduced-cost test closes cannot be in a better solution: leave their pairs out
        use = ~closed[mc.c]
        nnz = 3 * int(use.sum()) + self.problem.n_candidates
        proven = (relative_gap(best.cost, lag) or 0.0) <= opts.mip_rel_gap
        if opts.method == "heuristic" or (opts.method == "auto" and (nnz > opts.max_mip_nnz or proven)):
            return self.result(self.open_sites(best.sites), status="optimal" if proven else "feasible",
                               objective=best.cost, bound=lag, method="heuristic", t0=t0, details=details)
        return self._mip(mc, use, best, lag, closed, details, opts, t0)

    def _mip(self, mc: MedianCosts, use: np.ndarray, best: MedianSites, lag: float, closed: np.ndarray,
             details: dict[str, Any], opts: SolveOptions, t0: float) -> AllocationResult:
        """The MIP over the pairs ``use`` of open candidates, warm-started by the heuristic's sites."""
        prob = self.problem
        r, c, d = mc.r[use], mc.c[use], mc.d[use]
        heur_open = self.open_sites(best.sites)
        lp = LpBuilder()
        y0 = add_site_columns(lp, prob)
        _, upper = lp.bounds(y0)
        upper[closed] = 0.0  # closed by the reduced-cost test
        x0 = lp.add_columns(mc.sorted.w[r] * d, 0.0, 1.0, False)
        xc = x0 + np.arange(len(r))
        lp.add_rows(r, xc, 1.0, 1.0, 1.0, len(mc.active))  # every demand point served once
        add_link_rows(lp, xc, y0 + c)
        projects = add_site_count(lp, prob, y0, self.p)
        ok = prob.region_allowed()
        zs = project_start(prob, projects, best.sites) if ok is not None else np.empty(0)
        start = None
        if zs is not None:
            xs = ((c == best.c1[r]) & heur_open[c]).astype(float)
            # one pair per demand even when two open sites tie
            first = np.zeros(len(r), dtype=bool)
            idx = np.flatnonzero(xs > 0)
            _, u = np.unique(r[idx], return_index=True)
            first[idx[u]] = True
            start = np.concatenate([heur_open.astype(float), first.astype(float), zs])
        sol = lp.solve(maximize=False, start=start, time_limit=opts.time_left(t0), mip_rel_gap=opts.mip_rel_gap,
                       verbose=opts.verbose)
        bound = lag if sol.bound is None else max(lag, sol.bound)
        if sol.x is None or (sol.objective or np.inf) > best.cost + 1e-9 * max(1.0, best.cost):
            return self.result(heur_open, status=sol.status, objective=best.cost, bound=bound,
                               method="heuristic", t0=t0, details=details)
        open_ = sol.x[y0: y0 + prob.n_candidates] > 0.5
        if ok is not None:
            details["placement"] = placement(prob, projects, projects.values(sol.x))
        details["mip_seconds"] = sol.seconds
        return self.result(open_, status=sol.status, objective=None, bound=bound, method="mip", t0=t0,
                           details=details)
