"""The p-median: ``p`` new sites that minimise the demand-weighted cost to the nearest open site.

Warm start: greedy, Teitz–Bart swaps, a restart from the Lagrangian relaxation's sites and an
iterated local search; the Lagrangian bound certifies it or closes candidates that cannot be
in a better solution. What is left goes to a Lagrangian branch and bound over the sites
(:mod:`~siting.allocation.heuristics.site_tree`: proves pmed36, where HiGHS' tree stalls at a
1 % gap), then, if the time runs out first, to the radius-formulation MIP over the pairs left.
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
    median_site_problem,
    perturbed_swaps,
    sorted_costs,
    teitz_bart,
)
from siting.allocation.heuristics.site_tree import site_tree_search
from siting.allocation.heuristics.sites import SiteRules
from siting.allocation.heuristics.subgradient import (
    SiteDual,
    SiteProblem,
    closed_by_reduced_cost,
    probe_sites,
    site_lagrangian,
)
from siting.allocation.lp import (
    LpBuilder,
    add_radius_rows,
    add_site_columns,
    add_site_count,
    placement,
    project_start,
)
from siting.allocation.problem import AllocationProblem
from siting.allocation.result import AllocationResult
from siting.allocation.status import proof_threshold, relative_gap
from siting.errors import SitingError

#: Share of the time left that the site tree search gets before the MIP (which gets the rest).
TREE_SHARE = 0.7


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
    serves_every_point = True
    uses_cutoff = False

    def __init__(self, problem: AllocationProblem, *, p: int | None = None, cutoff: float | None = None) -> None:
        super().__init__(problem, p=p, cutoff=cutoff)
        if self.p is None:
            raise SitingError("pmedian needs p, the number of new sites")

    def objective_of(self, open_: np.ndarray, assignment: pd.DataFrame) -> float:
        return float(np.nansum(self.problem.weights * assignment["cost"].to_numpy(dtype=float)))

    def integral_objective(self) -> bool:
        return self.whole_weights() and self.whole_costs()

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
               ) -> tuple[SiteDual, np.ndarray]:
        """The Lagrangian bound started from ``best``: (its dual, candidates closed by reduced cost)."""
        assert self.p is not None
        sc = mc.sorted
        return lagrangian_median_bound(sc, rules, self.p, best.cost, sc.w * np.minimum(best.d2, sc.big),
                                       time_budget=budget)

    def _heuristic(self, mc: MedianCosts, opts: SolveOptions, t0: float
                   ) -> tuple[MedianSites, SiteDual, np.ndarray, dict[str, Any]]:
        """Greedy, swaps, restarts: (the best sites, the Lagrangian dual, candidates closed by it, details)."""
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
        dual, closed = self._bound(mc, rules, best, lag_budget)
        restarts = kicks = 0
        if sorted(dual.pick.tolist()) != sorted(best.sites) and no_projects:
            # Lagrangian heuristic: the relaxation's sites are a good second start for the swaps
            alt, more = teitz_bart(sc, rules, [int(j) for j in dual.pick], time_budget=budget)
            restarts, swaps = 1, swaps + more
            priced = self._priced(mc, alt)
            if priced.cost < best.cost:
                best = priced
                dual, closed = self._bound(mc, rules, best, lag_budget)
        if no_projects and (relative_gap(best.cost, dual.bound) or 0.0) > opts.mip_rel_gap:
            # iterated local search with part of the time left, then a tighter bound for the new incumbent
            alt, kicks = perturbed_swaps(sc, rules, best.sites, time_budget=min(20.0, 0.25 * (opts.time_limit or 60.0)))
            priced = self._priced(mc, alt)
            if priced.cost < best.cost:
                best = priced
                dual2, closed = self._bound(mc, rules, best, lag_budget)
                dual = dual2 if dual2.bound > dual.bound else dual
        if (best.d1 >= sc.big).any():
            raise unreachable_error(self, mc.active[best.d1 >= sc.big], "cannot reach any of the chosen sites")
        lag = min(dual.bound, best.cost)
        details: dict[str, Any] = {"heuristic": "greedy+teitz-bart+ils", "swaps": swaps, "restarts": restarts,
                                   "kicks": kicks, "heuristic_objective": best.cost, "greedy_seconds": tg - t0,
                                   "heuristic_seconds": time.perf_counter() - t0, "lagrangian_bound": lag,
                                   "bound_seconds": time.perf_counter() - tl, "fixed_closed": int(closed.sum())}
        return best, dual, closed, details

    def _solve(self, opts: SolveOptions) -> AllocationResult:
        t0 = time.perf_counter()
        mc = self._costs()
        best, dual, closed, details = self._heuristic(mc, opts, t0)
        lag = details["lagrangian_bound"]
        proven = (relative_gap(best.cost, lag) or 0.0) <= opts.mip_rel_gap
        if opts.method == "heuristic" or (opts.method == "auto" and proven):
            return self.result(self.open_sites(best.sites), status="optimal" if proven else "feasible",
                               objective=best.cost, bound=lag, method="heuristic", t0=t0, details=details)
        thr, floor = proof_threshold(best.cost, self.integral_objective())
        sp_ = median_site_problem(mc.sorted, self.site_rules(), int(self.p or 0))
        # a longer ascent from the heuristic's dual before the probing starts from it
        tight = site_lagrangian(sp_, best.cost, dual.lam, iterations=3000, patience=30,
                                time_budget=0.1 * (opts.time_left(t0) or 60.0))
        dual = tight if tight.bound > dual.bound else dual
        lag = max(lag, min(dual.bound, best.cost))
        details["lagrangian_bound"] = lag
        closed = closed | closed_by_reduced_cost(sp_, dual, thr)[0]
        closed, probes = probe_sites(sp_, dual, thr, closed, upper=best.cost,
                                     time_budget=0.25 * (opts.time_left(t0) or 60.0))
        details.update(probes=probes, closed_by_probing=int(closed.sum()))
        if not (sp_.free & ~closed).any() and self.p:
            # no site can be in a solution better than the heuristic's: it is optimal
            details["certified_by"] = "lagrangian probing"
            return self.result(self.open_sites(best.sites), status="feasible", objective=best.cost,
                               bound=max(lag, floor), method="heuristic", t0=t0, details=details)
        if self.site_rules().region_ok is None and opts.method != "mip":
            best, lag, done = self._tree(mc, sp_, dual, closed, best, lag, details, opts, t0)
            if done is not None:
                return done
            thr, floor = proof_threshold(best.cost, self.integral_objective())
        use = self._kept_pairs(mc, dual, closed, thr)
        nnz = 2 * int(use.sum()) + self.problem.n_candidates
        if opts.method == "auto" and nnz > opts.max_mip_nnz:
            details["reason"] = f"MIP too large ({nnz} non-zeros > max_mip_nnz {opts.max_mip_nnz})"
            return self.result(self.open_sites(best.sites), status="feasible", objective=best.cost, bound=lag,
                               method="heuristic", t0=t0, details=details)
        return self._mip(mc, use, best, (lag, thr, floor), closed, details, opts, t0)

    def _tree(self, mc: MedianCosts, sp_: SiteProblem, dual: SiteDual, closed: np.ndarray, best: MedianSites,
              lag: float, details: dict[str, Any], opts: SolveOptions, t0: float
              ) -> tuple[MedianSites, float, AllocationResult | None]:
        """The Lagrangian site tree (:func:`site_tree_search`) with most of the time left, before any MIP.

        Returns the incumbent (the tree's sites when they are better), the bound, and the result when
        the tree settled every node.
        """
        integral = self.integral_objective()
        left = opts.time_left(t0)
        t1 = time.perf_counter()
        tree = site_tree_search(sp_, dual.lam, closed, upper=best.cost, root_bound=lag,
                                price=lambda sites: self._priced(mc, [int(j) for j in sites]).cost,
                                threshold=lambda value: proof_threshold(value, integral),
                                time_budget=TREE_SHARE * (left if left is not None else 600.0))
        details.update(tree_nodes=tree.nodes, tree_seconds=time.perf_counter() - t1)
        if tree.sites is not None:
            best = self._priced(mc, [int(j) for j in tree.sites])
            details.update(heuristic="greedy+teitz-bart+ils+tree", heuristic_objective=best.cost)
        lag = max(min(lag, best.cost), tree.bound)
        details["lagrangian_bound"] = lag
        if not tree.proven:
            return best, lag, None
        details["certified_by"] = "lagrangian branch and bound"
        return best, lag, self.result(self.open_sites(best.sites), status="feasible", objective=best.cost,
                                      bound=lag, method="heuristic", t0=t0, details=details)

    def _kept_pairs(self, mc: MedianCosts, dual: SiteDual, closed: np.ndarray, threshold: float) -> np.ndarray:
        """The pairs a solution worth at most ``threshold`` may use: open candidates, reduced cost within reach.

        Serving ``i`` from ``j`` raises the bound by at least its reduced cost ``w_i d_ij − λ_i`` (when
        positive), plus, for a site the relaxation left closed, its value minus the largest value picked.
        """
        sc, rho = mc.sorted, dual.rho
        fixed = self.problem.fixed
        site_term = np.zeros(len(rho))
        if len(dual.pick):
            site_term = np.maximum(rho - float(rho[dual.pick].max()), 0.0)
            site_term[dual.pick] = 0.0
        site_term[fixed] = 0.0
        rc = np.maximum(sc.w[mc.r] * mc.d - dual.lam[mc.r], 0.0)
        return ~closed[mc.c] & (dual.bound + rc + site_term[mc.c] <= threshold)

    def _mip(self, mc: MedianCosts, use: np.ndarray, best: MedianSites, bounds: tuple[float, float, float],
             closed: np.ndarray, details: dict[str, Any], opts: SolveOptions, t0: float) -> AllocationResult:
        """The radius formulation over the pairs ``use``, warm-started by the heuristic's sites, cut off at the threshold.

        Every solution worth at most the threshold uses only those pairs, so the MIP's bound holds for
        the whole problem up to the ``floor`` (``bounds`` = (Lagrangian bound, threshold, floor)).
        """
        prob = self.problem
        lag, threshold, floor = bounds
        heur_open = self.open_sites(best.sites)
        lp = LpBuilder()
        y0 = add_site_columns(lp, prob)
        _, upper = lp.bounds(y0)
        upper[closed] = 0.0
        radius = add_radius_rows(lp, y0, mc.r[use], mc.c[use], mc.d[use], mc.sorted.w)
        projects = add_site_count(lp, prob, y0, self.p)
        ok = prob.region_allowed()
        zs = project_start(prob, projects, best.sites) if ok is not None else np.empty(0)
        start = None
        if zs is not None and not closed[best.sites].any():
            start = np.concatenate([heur_open.astype(float), radius.start(best.d1), zs])
        sol = lp.solve(maximize=False, start=start, time_limit=opts.time_left(t0), mip_rel_gap=opts.mip_rel_gap,
                       verbose=opts.verbose, cutoff=threshold - radius.constant)
        mip_bound = np.inf if sol.status == "infeasible" else (None if sol.bound is None else sol.bound + radius.constant)
        bound = lag if mip_bound is None else max(lag, min(mip_bound, floor))
        details.update(mip_seconds=sol.seconds, mip_formulation="radius", pairs_kept=int(use.sum()))
        value = None if sol.objective is None else sol.objective + radius.constant
        if sol.x is None or value is None or value > best.cost + 1e-9 * max(1.0, best.cost):
            return self.result(heur_open, status=sol.status, objective=best.cost, bound=bound,
                               method="heuristic", t0=t0, details=details)
        open_ = sol.x[y0: y0 + prob.n_candidates] > 0.5
        if ok is not None:
            details["placement"] = placement(prob, projects, projects.values(sol.x))
        return self.result(open_, status=sol.status, objective=None, bound=bound, method="mip", t0=t0,
                           details=details)
