"""Covering models: LSCP (fewest sites covering all), MCLP (most covered by p sites), CoverageTarget (fewest for a share).

Demand points that share a covering set are merged into one row (:func:`cover_groups`), and
demand already covered by fixed sites is left out; greedy covering (with swaps for the MCLP)
gives the warm start, Lagrangian relaxations the bounds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.allocation.base import AllocationModel, SolveOptions
from siting.allocation.capacitated import CoverWithinCapacity, Modules, solve_capacitated
from siting.allocation.capacity import capacity_problems, served_weight
from siting.allocation.cover_lns import cover_lns
from siting.allocation.heuristics.cover import (
    drop_redundant,
    greedy_cover,
    lagrangian_cover_bound,
    lagrangian_lscp_bound,
    perturbed_cover_swaps,
    reduce_cover,
    swap_cover,
    times_covered,
)
from siting.allocation.heuristics.cover_weighting import weighted_cover_search
from siting.allocation.heuristics.sites import SiteRules
from siting.allocation.lp import (
    LpBuilder,
    add_covered_columns,
    add_site_columns,
    add_site_count,
    placement,
    project_start,
)
from siting.allocation.mip import solve_mip
from siting.allocation.problem import AllocationProblem, group_rows, listing
from siting.allocation.result import AllocationResult
from siting.allocation.status import relative_gap
from siting.errors import SitingError

#: HiGHS options for set covers: reliability branching without strong branching, cuts at the root only, a
#: small cut pool, no primal heuristics (a greedy cover starts it) and no symmetry detection. On the set
#: covers of the benchmark they take HiGHS' time from seconds of cut separation to its branching. Presolve is
#: off because the cover reaches HiGHS reduced already (dominated rows and columns dropped): on LSCP
#: 2,000 x 200 its presolve took a third of the solve and found nothing to remove.
SET_COVER_OPTIONS = {"mip_pscost_minreliable": 0, "mip_allow_cut_separation_at_nodes": False,
                     "mip_pool_soft_limit": 200, "mip_heuristic_effort": 0.0, "mip_detect_symmetry": False,
                     "presolve": "off"}
#: Non-zeros of an MCLP's covering matrix above which 'auto' leaves out the MIP, whose LP alone would take
#: minutes, and gives the time to the iterated swaps and the Lagrangian bound.
MIP_COVER_NNZ = 150_000
#: Share of the time left after an LSCP's MIP that row-weighting search gets (the cluster swaps get the rest).
SEARCH_SHARE = 0.7


@dataclass(frozen=True)
class CoverGroups:
    """The demand no fixed site covers, merged by covering set.

    Attributes
    ----------
    matrix
        Groups x candidates, 1 where the candidate covers the group.
    weights
        Demand weight per group.
    by_fixed
        Per demand point: covered by a fixed site.
    unreachable
        Per demand point: no usable candidate covers it.
    """

    matrix: sp.csr_matrix
    weights: np.ndarray
    by_fixed: np.ndarray
    unreachable: np.ndarray


def cover_groups(problem: AllocationProblem, cutoff: float) -> CoverGroups:
    """The covering matrix of the demand not covered by fixed sites, merged by covering set."""
    A = problem.coverage(cutoff)
    by_fixed = times_covered(A, problem.fixed) > 0
    reach = np.diff(A.indptr) > 0
    free = np.flatnonzero(~by_fixed & reach)
    sub = A[free]
    labels, first = group_rows(sub)
    G = sp.csr_matrix(sub[first])
    G.data[:] = 1.0
    wg = np.bincount(labels, weights=problem.weights[free], minlength=len(first))
    return CoverGroups(G, wg, by_fixed, ~reach)


def covered_start(G: sp.csr_matrix, sel: list[int]) -> np.ndarray:
    """Warm-start values of the 'group covered' columns: 1 where one of the sites ``sel`` covers the group."""
    cov = np.asarray(G[:, np.asarray(sel, dtype=np.int64)].sum(axis=1)).ravel() if sel else np.zeros(G.shape[0])
    return np.minimum(cov, 1.0)


class CoveringModel(AllocationModel):
    """A model whose demand counts as covered within ``cutoff`` of an open site."""

    def cover_groups(self) -> CoverGroups:
        assert self.cutoff is not None
        return cover_groups(self.problem, self.cutoff)


class SiteCountModel(CoveringModel):
    """A covering model whose objective is the number of new sites (LSCP, CoverageTarget)."""

    def objective_of(self, open_: np.ndarray, assignment: pd.DataFrame) -> float:
        return float((open_ & ~self.problem.fixed).sum())

    def integral_objective(self) -> bool:
        return True


class LSCP(SiteCountModel):
    """Location set covering: the fewest new sites so that every demand point is within ``cutoff``.

    Demand with zero weight still has to be covered (as in spopt). Existing facilities
    count for coverage but not in the objective.
    """

    name = "lscp"

    def __init__(self, problem: AllocationProblem, *, cutoff: float) -> None:
        super().__init__(problem, cutoff=cutoff)
        if problem.projects:
            raise SitingError("lscp chooses how many sites to open; it takes no project list")

    def infeasibilities(self, open_: np.ndarray, assignment: pd.DataFrame) -> list[str]:
        out = super().infeasibilities(open_, assignment)
        missed = ~self.covered_mask(open_)
        if missed.any():
            out.append(f"{int(missed.sum())} demand point(s) not covered, e.g. {self.problem.demand_ids[missed][0]}")
        return out

    def _solve(self, opts: SolveOptions) -> AllocationResult:
        t0 = time.perf_counter()
        prob = self.problem
        groups = self.cover_groups()
        G = groups.matrix
        if groups.unreachable.any():
            ids = prob.demand_ids[np.flatnonzero(groups.unreachable)]
            raise SitingError(
                f"lscp is infeasible: {len(ids)} demand point(s) have no eligible candidate within the cutoff "
                f"{self.cutoff:g}: {listing(ids, 10)}; raise the cutoff, add candidates or drop those points"
            )
        greedy = greedy_cover(G, np.ones(G.shape[0]), self.site_rules(), target=float(G.shape[0]))
        greedy = drop_redundant(G, prob.fixed, greedy)
        heur_open = self.open_sites(greedy)
        lag = lagrangian_lscp_bound(G, prob.openable, float(len(greedy)),
                                    time_budget=max(1.0, 0.1 * (opts.time_limit or 60.0)))
        details = {"heuristic": "greedy", "heuristic_objective": len(greedy), "groups": int(G.shape[0]),
                   "lagrangian_bound": lag}
        proven = lag >= len(greedy)
        if opts.method == "heuristic" or (opts.method == "auto" and proven):
            return self.result(heur_open, status="optimal" if proven else "feasible",
                               objective=float(len(greedy)), bound=lag, method="heuristic", t0=t0, details=details)
        return self._reduced_mip(G, greedy, lag, details, opts, t0)

    def _reduced_mip(self, G: sp.csr_matrix, greedy: list[int], lag: float, details: dict[str, Any],
                     opts: SolveOptions, t0: float) -> AllocationResult:
        """The set-cover MIP after dominated rows and columns are dropped, from the better of two greedy covers;
        when it stops short of a proof, a large-neighbourhood search (:func:`cover_lns`) spends the time left."""
        prob = self.problem
        keep_r, keep_c = reduce_cover(G, prob.openable)
        cols = np.flatnonzero(keep_c)
        H = sp.csr_matrix(G[keep_r][:, cols])
        m = len(cols)
        free = SiteRules(np.zeros(m, dtype=bool), np.ones(m, dtype=bool))
        alt = drop_redundant(H, free.fixed, greedy_cover(H, np.ones(H.shape[0]), free, target=float(H.shape[0])))
        # the first greedy cover in H's columns: its dropped (dominated) columns' rows covered again
        kept = SiteRules(np.isin(cols, greedy), np.ones(m, dtype=bool))
        in_h = [*np.flatnonzero(kept.fixed), *greedy_cover(H, np.ones(H.shape[0]), kept, target=float(H.shape[0]))]
        in_h = drop_redundant(H, free.fixed, [int(j) for j in in_h])
        best = in_h if len(in_h) <= len(alt) else alt  # columns of H
        lag = max(lag, lagrangian_lscp_bound(H, np.ones(m, dtype=bool), float(len(best)),
                                             time_budget=max(1.0, 0.1 * (opts.time_left(t0) or 60.0))))
        details.update(rows_kept=int(keep_r.sum()), columns_kept=m, heuristic_objective=len(best),
                       lagrangian_bound=lag)
        status, bound, method = "feasible", lag, "heuristic"
        mip_fits = opts.method != "heuristic" and not (opts.method == "auto" and 2 * H.nnz > opts.max_mip_nnz)
        if len(best) > lag and mip_fits:
            # the MIP proves small covers in a second; on wide ones it stalls at the LP bound, so 'auto'
            # gives it part of the time and the search the rest
            left = opts.time_left(t0)
            share = 1.0 if opts.method == "mip" else 0.6
            sol = solve_mip(np.ones(m), H, np.ones(H.shape[0]), np.full(H.shape[0], np.inf), np.zeros(m),
                            np.ones(m), np.ones(m, dtype=bool), time_limit=None if left is None else share * left,
                            mip_rel_gap=opts.mip_rel_gap, start=np.isin(np.arange(m), best).astype(float),
                            verbose=opts.verbose, options=SET_COVER_OPTIONS)
            bound = lag if sol.bound is None else max(lag, float(np.ceil(sol.bound - 1e-6)))
            details["mip_seconds"] = sol.seconds
            status = sol.status
            if sol.x is not None and (sol.objective or np.inf) < len(best):
                best, method = [int(j) for j in np.flatnonzero(sol.x > 0.5)], "mip"
        if len(best) > bound and opts.method != "mip":
            # row weighting finds smaller covers than the cluster swaps (103-104 against 107 sites at 20,000 x
            # 2,000); the swaps then polish what it found
            left = max(0.0, (opts.time_left(t0) or 60.0) - 0.5)
            before = len(best)
            best, swaps = weighted_cover_search(H, best, time_budget=SEARCH_SHARE * left, lower=bound)
            best, moves = cover_lns(H, best, time_budget=max(0.0, (opts.time_left(t0) or 60.0) - 0.5), lower=bound)
            details.update(search_swaps=swaps, search_moves=moves, heuristic="greedy+row-weighting+lns")
            method = "heuristic" if len(best) < before else method
            status = "feasible" if len(best) > bound else "optimal"
        open_ = self.open_sites([int(cols[j]) for j in best])
        return self.result(open_, status=status, objective=float((open_ & ~prob.fixed).sum()), bound=bound,
                           method=method, t0=t0, details=details)


class MCLP(CoveringModel):
    """Maximal covering: ``p`` new sites that cover the most demand weight within ``cutoff``.

    The objective counts demand covered by fixed sites too.
    """

    name = "mclp"
    maximize = True

    def __init__(self, problem: AllocationProblem, *, cutoff: float, p: int | None = None) -> None:
        super().__init__(problem, cutoff=cutoff, p=p)
        if self.p is None:
            raise SitingError("mclp needs p, the number of new sites")

    def objective_of(self, open_: np.ndarray, assignment: pd.DataFrame) -> float:
        return self.covered_weight(open_)

    def integral_objective(self) -> bool:
        return self.whole_weights()

    def _heuristic(self, groups: CoverGroups, opts: SolveOptions, t0: float) -> tuple[list[int], dict[str, Any]]:
        """Greedy, then swaps (within regions when projects are region-bound): the sites and their details."""
        prob, G, wg = self.problem, groups.matrix, groups.weights
        assert self.p is not None
        sites = self.site_rules()
        regional = sites.region_ok is not None and any(pr.regions is not None for pr in prob.projects or [])
        sel = greedy_cover(G, wg, sites, p=self.p)
        th = time.perf_counter()
        if sites.region_ok is None or regional:
            sel = swap_cover(G, wg, sites, sel,
                             time_budget=max(1.0, 0.25 * (opts.time_limit or 20.0)),
                             same_region=prob.region.astype(str) if regional and prob.region is not None else None)
        details: dict[str, Any] = {"groups": int(G.shape[0]), "heuristic": "greedy+swap",
                                   "heuristic_objective": self.covered_weight(self.open_sites(sel)),
                                   "heuristic_seconds": time.perf_counter() - t0, "greedy_seconds": th - t0}
        return sel, details

    def _solve(self, opts: SolveOptions) -> AllocationResult:
        t0 = time.perf_counter()
        prob = self.problem
        assert self.p is not None
        groups = self.cover_groups()
        G, wg = groups.matrix, groups.weights
        const = float(prob.weights[groups.by_fixed].sum())
        sel, details = self._heuristic(groups, opts, t0)
        heur_obj = details["heuristic_objective"]
        tl = time.perf_counter()
        lag, closed, opened, mu = lagrangian_cover_bound(G, wg, prob.openable, self.p, heur_obj - const,
                                                         time_budget=max(1.0, 0.2 * (opts.time_limit or 20.0)))
        lag_bound = lag + const
        details.update(lagrangian_bound=lag_bound, bound_seconds=time.perf_counter() - tl,
                       fixed_closed=int(closed.sum()), fixed_open=int(opened.sum()))
        # a covering matrix this large makes an LP of minutes: the time goes to the heuristic and the bound instead
        lp_hopeless = opts.method == "auto" and G.nnz > MIP_COVER_NNZ
        gap_open = (relative_gap(heur_obj, lag_bound) or 0.0) > opts.mip_rel_gap
        if gap_open and opts.method == "auto" and not lp_hopeless:
            # a short MIP first: small covers are solved at once (2,000 x 200 in 0.1 s, where the search
            # below would spend its share of the time limit)
            quick = self._mip_answer(groups, sel, (lag_bound, closed, opened), opts, t0, details,
                                     time_limit=max(1.0, 0.05 * (opts.time_left(t0) or 20.0)), final=False)
            if quick is not None:
                return quick
        if prob.region_allowed() is None and gap_open:
            sel, heur_obj, lag_bound, closed, opened = self._search(groups, sel, lag_bound, mu, lp_hopeless, opts,
                                                                    t0, details)
            details["bound_seconds"] = time.perf_counter() - tl
        answer = self._mip_answer(groups, sel, (lag_bound, closed, opened), opts, t0, details,
                                  time_limit=opts.time_left(t0), final=True, lp_hopeless=lp_hopeless)
        assert answer is not None
        return answer

    def _search(self, groups: CoverGroups, sel: list[int], lag_bound: float, mu: np.ndarray, lp_hopeless: bool,
                opts: SolveOptions, t0: float, details: dict[str, Any]
                ) -> tuple[list[int], float, float, np.ndarray, np.ndarray]:
        """Iterated swaps for a better incumbent, a deflected ascent for a better bound (and more sites fixed).

        Returns (sites, their objective, bound, closed, opened).
        """
        prob, G, wg = self.problem, groups.matrix, groups.weights
        assert self.p is not None
        const = float(prob.weights[groups.by_fixed].sum())
        sel, kicks = perturbed_cover_swaps(G, wg, self.site_rules(), sel,
                                           time_budget=(0.4 if lp_hopeless else 0.2) * (opts.time_left(t0) or 20.0))
        heur_obj = self.covered_weight(self.open_sites(sel))
        lag2, closed, opened, _ = lagrangian_cover_bound(G, wg, prob.openable, self.p, heur_obj - const,
                                                         iterations=100_000, patience=30, momentum=0.5, mu0=mu,
                                                         time_budget=(0.9 if lp_hopeless else 0.3)
                                                         * (opts.time_left(t0) or 20.0))
        lag_bound = min(lag_bound, lag2 + const)
        details.update(heuristic="greedy+swap+ils", ils_kicks=kicks, heuristic_objective=heur_obj,
                       lagrangian_bound=lag_bound, fixed_closed=int(closed.sum()), fixed_open=int(opened.sum()))
        return sel, heur_obj, lag_bound, closed, opened

    def _mip_answer(self, groups: CoverGroups, sel: list[int], bound_fixing: tuple[float, np.ndarray, np.ndarray],
                    opts: SolveOptions, t0: float, details: dict[str, Any], *, time_limit: float | None,
                    final: bool, lp_hopeless: bool = False) -> AllocationResult | None:
        """The MIP with the sites the bound fixes, from ``sel``, or the heuristic's answer when no MIP is due.

        Not ``final``: the result only when the MIP proves it within ``time_limit``, else None.
        """
        prob, G, wg = self.problem, groups.matrix, groups.weights
        assert self.p is not None
        lag_bound, closed, opened = bound_fixing
        const = float(prob.weights[groups.by_fixed].sum())
        ok = prob.region_allowed()
        heur_open = self.open_sites(sel)
        heur_obj = self.covered_weight(heur_open)
        lp = LpBuilder()
        y0 = add_site_columns(lp, prob)
        lb, ub = lp.bounds(y0)
        ub[closed] = 0.0
        lb[opened] = 1.0
        add_covered_columns(lp, G, y0, wg)
        projects = add_site_count(lp, prob, y0, self.p)
        too_big = opts.method == "auto" and lp.nnz > opts.max_mip_nnz
        gap = relative_gap(heur_obj, lag_bound)
        # Sites that leave a project without one of its own are no solution of a model with projects.
        placed = ok is None or project_start(prob, projects, sel) is not None
        proven = gap is not None and gap <= opts.mip_rel_gap and placed
        if opts.method == "heuristic" or too_big or (lp_hopeless and placed) or (proven and opts.method == "auto"):
            details["mip_nnz"] = lp.nnz
            if lp_hopeless and not proven:
                details["reason"] = f"covering matrix of {G.nnz} non-zeros: its LP alone takes minutes"
            if ok is not None:
                details["placement"] = placement(prob, projects, project_start(prob, projects, sel))
            return self.result(heur_open, status="optimal" if proven else "feasible", objective=heur_obj,
                               bound=lag_bound, method="heuristic", t0=t0, details=details)
        zs = project_start(prob, projects, sel) if ok is not None else np.empty(0)
        start = None if zs is None else np.concatenate([heur_open.astype(float), covered_start(G, sel), zs])
        sol = lp.solve(maximize=True, start=start, time_limit=time_limit, mip_rel_gap=opts.mip_rel_gap,
                       verbose=opts.verbose)
        details["mip_seconds"] = details.get("mip_seconds", 0.0) + sol.seconds
        if not final and sol.status != "optimal":
            return None
        bound = lag_bound if sol.bound is None else min(lag_bound, sol.bound + const)
        if sol.x is None or (sol.objective or 0.0) + const < heur_obj - 1e-9:
            return self.result(heur_open, status=sol.status, objective=heur_obj, bound=bound, method="heuristic",
                               t0=t0, details=details)
        open_ = sol.x[y0: y0 + prob.n_candidates] > 0.5
        if ok is not None:
            details["placement"] = placement(prob, projects, projects.values(sol.x))
        return self.result(open_, status=sol.status, objective=self.covered_weight(open_), bound=bound, method="mip",
                           t0=t0, details=details)


class CoverageTarget(SiteCountModel):
    """The fewest new sites so that at least ``share`` (0..1) of the demand weight is within ``cutoff``.

    With ``capacitated=True`` a demand point only counts as covered for the part a
    site's capacity (``capacity`` per candidate, or modules) can take.
    """

    name = "target"

    def __init__(self, problem: AllocationProblem, *, cutoff: float, share: float, capacitated: bool = False,
                 module_size: float | None = None, max_modules: Any = None) -> None:
        super().__init__(problem, cutoff=cutoff)
        if problem.projects:
            raise SitingError("target chooses how many sites to open; it takes no project list")
        if not 0 < share <= 1:
            raise SitingError(f"share must be in (0, 1], got {share} (0.9 means 90 %)")
        self.share = float(share)
        self.capacitated = capacitated or module_size is not None
        self.modules = Modules(module_size, max_modules)

    def infeasibilities(self, open_: np.ndarray, assignment: pd.DataFrame) -> list[str]:
        out = super().infeasibilities(open_, assignment)
        prob = self.problem
        total = float(prob.weights.sum())
        if self.capacitated:
            out += capacity_problems(self, self.modules, open_, assignment, split=True)
            got = served_weight(prob, assignment)
        else:
            got = self.covered_weight(open_)
        if got < self.share * total - 1e-6 * max(1.0, total):
            out.append(f"{got:g} of {total:g} served within the cutoff, below the share {self.share:g}")
        return out

    def _solve(self, opts: SolveOptions) -> AllocationResult:
        if self.capacitated:
            return solve_capacitated(CoverWithinCapacity(self, self.modules, None, self.share), opts)
        t0 = time.perf_counter()
        prob = self.problem
        groups = self.cover_groups()
        G, wg = groups.matrix, groups.weights
        total = float(prob.weights.sum())
        need = self.share * total
        reachable = total - float(prob.weights[groups.unreachable].sum())
        if reachable < need - 1e-9:
            raise SitingError(
                f"target is infeasible: at most {100 * reachable / total:.2f} % of the demand can be within the "
                f"cutoff {self.cutoff:g} of an eligible candidate, below the {100 * self.share:g} % asked"
            )
        const = float(prob.weights[groups.by_fixed].sum())
        sel = greedy_cover(G, wg, self.site_rules(), target=need - const)
        heur_open = self.open_sites(sel)
        details: dict[str, Any] = {"share": self.share, "heuristic": "greedy", "heuristic_objective": len(sel)}
        lp = LpBuilder()
        y0 = add_site_columns(lp, prob, prob.openable.astype(float))
        u0 = add_covered_columns(lp, G, y0, np.zeros(G.shape[0]))
        lp.add_rows(np.zeros(G.shape[0]), u0 + np.arange(G.shape[0]), wg, need - const, np.inf, 1)  # the share
        if opts.method == "heuristic" or (opts.method == "auto" and lp.nnz > opts.max_mip_nnz):
            return self.result(heur_open, status="feasible", objective=float(len(sel)), bound=None,
                               method="heuristic", t0=t0, details=details)
        start = np.concatenate([heur_open.astype(float), covered_start(G, sel)])
        sol = lp.solve(maximize=False, start=start, time_limit=opts.time_limit, mip_rel_gap=opts.mip_rel_gap,
                       verbose=opts.verbose)
        if sol.x is None:
            return self.result(heur_open, status=sol.status, objective=float(len(sel)), bound=sol.bound,
                               method="heuristic", t0=t0, details=details)
        open_ = sol.x[y0: y0 + prob.n_candidates] > 0.5
        return self.result(open_, status=sol.status, objective=float((open_ & ~prob.fixed).sum()),
                           bound=sol.bound, method="mip", t0=t0, details=details)
