"""The p-center: ``p`` new sites that minimise the largest cost from a demand point to its nearest open site.

A radius is feasible when ``p`` new sites cover every demand point within it, a set-covering
question; the model bisects over the distinct costs, asking it of greedy set covers first
(heuristic), then of set-cover MIPs (exact), with packing and Lagrangian bounds to prove radii
too small.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.allocation.base import AllocationModel, SolveOptions, require_reach
from siting.allocation.heuristics.center import center_substitution, farthest_first
from siting.allocation.heuristics.cover import (
    drop_redundant,
    greedy_cover,
    lagrangian_lscp_bound,
    packing_count,
    swap_cover,
    times_covered,
)
from siting.allocation.heuristics.sites import Pairs
from siting.allocation.lp import (
    LpBuilder,
    ProjectColumns,
    add_cover_rows,
    add_site_columns,
    add_site_count,
    placement,
    project_start,
)
from siting.allocation.problem import AllocationProblem, group_rows
from siting.allocation.result import AllocationResult
from siting.errors import SitingError


@dataclass(frozen=True)
class CenterInstance:
    """The pairs of the demand with weight (``active``), and ``radii``: the distinct costs worth trying."""

    pairs: Pairs
    active: np.ndarray
    radii: np.ndarray


@dataclass(frozen=True)
class Incumbent:
    """The best sites known: ``radii[at]`` is their radius, ``how`` found them ('heuristic' or 'mip')."""

    at: int
    open_: np.ndarray
    place: dict[str, str]
    how: str


class PCenter(AllocationModel):
    """p-center: ``p`` new sites that minimise the largest cost from a demand point to its nearest open site.

    Heuristic (warm start, and the answer alone when the MIP would be too large): bisection
    over the distinct costs with a greedy set cover at each radius, sites added farthest
    first up to ``p``, then vertex substitution. Lower bound: the largest cost any demand
    point needs to reach its cheapest site, raised by radii a Lagrangian set-cover bound
    proves need more than ``p`` sites. Exact: bisection between the two, each step a
    set-cover MIP (HiGHS). Demand with zero weight is ignored.
    """

    name = "pcenter"
    serves_every_point = True
    uses_cutoff = False

    def __init__(self, problem: AllocationProblem, *, p: int | None = None) -> None:
        super().__init__(problem, p=p)
        if self.p is None:
            raise SitingError("pcenter needs p, the number of new sites")
        self._by_cost: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def objective_of(self, open_: np.ndarray, assignment: pd.DataFrame) -> float:
        cost = assignment["cost"].to_numpy(dtype=float)[self.problem.weights > 0]
        return float(cost.max()) if len(cost) else 0.0

    def integral_objective(self) -> bool:
        return self.whole_costs()

    # ------------------------------------------------------------------ one radius
    def _groups(self, radius: float) -> sp.csr_matrix | None:
        """Covering sets (merged) of the active demand no fixed site reaches within ``radius``; None if one is unreachable."""
        prob = self.problem
        if self._by_cost is None:
            # the usable pairs of active demand, cheapest first: each radius is then a prefix
            r, c, d = prob.pairs(None)
            keep = prob.weights[r] > 0
            o = np.argsort(d[keep], kind="stable")
            self._by_cost = (r[keep][o], c[keep][o], d[keep][o])
        r, c, d = self._by_cost
        k = int(np.searchsorted(d, radius, side="right"))
        act = prob.weights > 0
        A = sp.csr_matrix((np.ones(k), (r[:k], c[:k])), shape=(prob.n_demand, prob.n_candidates))[act]
        A.sort_indices()
        if (np.diff(A.indptr) == 0).any():
            return None
        sub = A[~(times_covered(A, prob.fixed) > 0)]
        if sub.shape[0] == 0:
            return sp.csr_matrix((0, prob.n_candidates))
        _, first = group_rows(sub)
        return sp.csr_matrix(sub[first])

    def _too_many(self, G: sp.csr_matrix | None, budget: float) -> bool:
        """True when covering ``G`` provably needs more than ``p`` new sites (packing, then a Lagrangian bound)."""
        assert self.p is not None
        if G is None:
            return True
        if G.shape[0] == 0:
            return False
        if packing_count(G) > self.p:
            return True
        return lagrangian_lscp_bound(G, self.problem.openable, float(self.p + 1), time_budget=budget) > self.p

    def _greedy_at(self, G: sp.csr_matrix | None, swap_budget: float = 0.5) -> list[int] | None:
        """Sites covering ``G`` with at most ``p`` new ones (greedy set cover, else greedy MCLP + swaps), or None."""
        prob = self.problem
        assert self.p is not None
        if G is None:
            return None
        if G.shape[0] == 0:
            return []
        sites = self.site_rules()
        ones = np.ones(G.shape[0])
        g = drop_redundant(G, prob.fixed, greedy_cover(G, ones, sites, target=float(G.shape[0])))
        if len(g) <= self.p:
            return g
        if sites.region_ok is not None or self.p == 0:
            return None
        # the set-cover greedy overshoots; p sites chosen for the most points covered, then swapped, may still do
        g = greedy_cover(G, ones, sites, p=self.p)
        g = swap_cover(G, ones, sites, g, time_budget=swap_budget)
        covered = np.asarray(G[:, np.asarray(g, dtype=np.int64)].sum(axis=1)).ravel() > 0
        return g if covered.all() else None

    def _feasible(self, radius: float, time_limit: float | None, verbose: bool
                  ) -> tuple[bool | None, np.ndarray | None, dict[str, str]]:
        """(True/False/None=unknown, open sites, placement) for covering every active demand point within ``radius``."""
        prob = self.problem
        G = self._groups(radius)
        if G is None:
            return False, None, {}
        if G.shape[0] == 0 and not prob.projects:
            return True, prob.fixed.copy(), {}
        if not prob.projects:
            g = self._greedy_at(G)
            if g is not None:
                return True, self.open_sites(g), {}
        if self._too_many(G, max(0.2, 0.1 * (time_limit or 10.0))):
            return False, None, {}
        lp = LpBuilder()
        y0 = add_site_columns(lp, prob, prob.openable.astype(float))
        add_cover_rows(lp, G, y0)
        projects = add_site_count(lp, prob, y0, self.p, sense="le")
        sol = lp.solve(maximize=False, start=None, time_limit=time_limit, mip_rel_gap=0.0, verbose=verbose)
        if sol.status == "infeasible":
            return False, None, {}
        if sol.x is not None:
            return True, sol.x[y0: y0 + prob.n_candidates] > 0.5, placement(prob, projects, projects.values(sol.x))
        return None, None, {}

    # ------------------------------------------------------------------ the heuristic
    def _heuristic(self, inst: CenterInstance, budget: float) -> tuple[list[int] | None, int, dict[str, Any]]:
        """(sites, index of the largest radius proven too small (-1: none), details)."""
        prob, radii = self.problem, inst.radii
        assert self.p is not None
        t0 = time.perf_counter()
        sites = self.site_rules()
        per = max(0.2, budget / (int(np.ceil(np.log2(len(radii) + 1))) + 1))
        lo, proven, hi = -1, -1, len(radii) - 1
        best = self._greedy_at(self._groups(float(radii[hi])))
        while best is not None and hi - lo > 1:
            mid = (lo + hi) // 2
            G = self._groups(float(radii[mid]))
            g = self._greedy_at(G)
            if g is not None:
                hi, best = mid, g
            else:
                lo = mid
                if self._too_many(G, per):
                    proven = max(proven, mid)
        sel = farthest_first(inst.pairs, inst.active, sites, best or [], self.p)
        tb = time.perf_counter()
        sel, radius, swaps = center_substitution(inst.pairs, inst.active, sites, sel,
                                                 time_budget=max(0.1, budget - (tb - t0)))
        if not np.isfinite(radius) or (sites.region_ok is not None and len(sel) < len(prob.projects or [])):
            return None, proven, {"heuristic": "bisection+greedy-cover+substitution", "swaps": swaps}
        # raise the bound: bisection with the Lagrangian test between it and the heuristic's radius
        lo_b, hi_b = proven, int(np.searchsorted(radii, radius))
        while hi_b - lo_b > 1 and time.perf_counter() - t0 < 2 * budget:
            mid = (lo_b + hi_b) // 2
            if self._too_many(self._groups(float(radii[mid])), per):
                lo_b = proven = mid
            else:
                hi_b = mid  # not proven either way: look lower
        details = {"heuristic": "bisection+greedy-cover+substitution", "swaps": swaps, "heuristic_objective": radius,
                   "heuristic_seconds": time.perf_counter() - t0, "bisection_greedy_radius": float(radii[hi])
                   if best is not None else None}
        return sel, proven, details

    # ------------------------------------------------------------------ solving
    def _instance(self) -> CenterInstance:
        """The pairs of the demand with weight, and the radii: distinct costs from the least every point needs."""
        prob = self.problem
        r, c, d = prob.pairs(None)
        act = prob.weights > 0
        keep = act[r]
        r, c, d = r[keep], c[keep], d[keep]
        require_reach(self, r, "have no path to any eligible candidate")
        nearest = pd.Series(d).groupby(r).min()
        return CenterInstance(Pairs(r, c, d), act, np.unique(d[d >= nearest.max()]))  # every point must reach radii[0]

    def _finish(self, open_: np.ndarray, status: str, bound: float | None, how: str, place: dict[str, str],
                proven: int, details: dict[str, Any], t0: float) -> AllocationResult:
        """The result of the open sites; optimal when their radius meets the bound."""
        a = self.nearest_assignment(open_)
        obj = self.objective_of(open_, a)
        if place:
            details["placement"] = place
        res = self.result(open_, status=status, objective=obj, bound=bound, method=how, t0=t0, assignment=a,
                          details=details)
        if res.status == "optimal" and how == "heuristic":
            res.details["certified_by"] = "lagrangian set-cover bound" if proven >= 0 else "nearest-site bound"
        return res

    def _solve(self, opts: SolveOptions) -> AllocationResult:
        t0 = time.perf_counter()
        prob = self.problem
        inst = self._instance()
        radii = inst.radii
        sel, proven, details = self._heuristic(inst, min(5.0, 0.1 * (opts.time_limit or 50.0)))
        if sel is None:
            return self._bisect(inst, self._exact_start(radii, opts), proven, details, opts, t0)
        heur_open = self.open_sites(sel)
        ok = prob.region_allowed()
        projects = ProjectColumns()
        if ok is not None:
            kk, jj = np.nonzero(ok)
            projects = ProjectColumns(-1, kk, jj)  # placement only: no LP columns
        place = placement(prob, projects, project_start(prob, projects, sel)) if len(projects.pairs_k) else {}
        radius = float(details["heuristic_objective"])
        nnz = int((inst.pairs.d <= radius).sum()) + prob.n_candidates
        details["mip_nnz"] = nnz
        too_big = opts.method == "auto" and nnz > opts.max_mip_nnz
        if too_big:
            details["reason"] = f"MIP too large ({nnz} non-zeros > max_mip_nnz {opts.max_mip_nnz})"
        if opts.method == "heuristic" or too_big or radius <= float(radii[proven + 1]):
            return self._finish(heur_open, "feasible", float(radii[proven + 1]), "heuristic", place, proven, details,
                                t0)
        best = Incumbent(int(np.searchsorted(radii, radius)), heur_open, place, "heuristic")
        return self._bisect(inst, best, proven, details, opts, t0)

    def _exact_start(self, radii: np.ndarray, opts: SolveOptions) -> Incumbent:
        """Without a heuristic answer: the set-cover MIP at the largest radius, or an error when even that fails."""
        if opts.method == "heuristic":
            raise SitingError(f"pcenter: the heuristic found no {self.p} site(s) that reach every demand point "
                              "(or fit the projects' regions); run the MIP (method='mip')")
        hi = len(radii) - 1
        f, o, pl = self._feasible(float(radii[hi]), opts.time_limit, opts.verbose)
        if not f or o is None:
            raise SitingError(f"pcenter: {self.p} new site(s) cannot reach every demand point whatever the "
                              "radius; raise p or add candidates")
        return Incumbent(hi, o, pl, "mip")

    def _bisect(self, inst: CenterInstance, best: Incumbent, proven: int, details: dict[str, Any],
                opts: SolveOptions, t0: float) -> AllocationResult:
        """Exact bisection between the radius proven too small and the best known one, each step a set-cover MIP."""
        prob, radii = self.problem, inst.radii
        assert self.p is not None
        lo, hi = proven, best.at
        open_, place, how = best.open_, best.place, best.how
        steps = int(np.ceil(np.log2(max(hi - lo, 1) + 1))) + 1
        left = opts.time_left(t0)
        per = None if left is None else max(1.0, left / steps)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            how = "mip"  # the set-cover MIPs decide from here on, whichever sites are kept
            f, o, pl = self._feasible(float(radii[mid]), per, opts.verbose)
            if f and o is not None:
                hi, open_, place = mid, o, pl
            else:
                lo = mid
                if f is False:
                    proven = mid
        open_ = open_.copy()
        if self.p - int((open_ & ~prob.fixed).sum()) > 0 and not prob.projects:
            # the radius is met with fewer sites; open the rest too (farthest first), as the model asks for p
            sites = farthest_first(inst.pairs, inst.active, self.site_rules(),
                                   np.flatnonzero(open_ & ~prob.fixed).tolist(), self.p)
            open_ = self.open_sites(sites)
        details["radii_tested"] = steps
        details["bisection_unproven"] = proven != hi - 1
        return self._finish(open_, "time_limit" if proven != hi - 1 else "optimal", float(radii[proven + 1]), how,
                            place, proven, details, t0)
