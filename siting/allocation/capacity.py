"""The LPs of serving demand within capacity, for the capacitated models of :mod:`~siting.allocation.capacitated`.

A site's capacity comes from the candidate table (beds, places), from the project placed on
it, or from modules: with a module size ``s`` a site opens up to ``max_per_site`` modules of
``s`` places on top of its own capacity (0 when unknown), ``budget`` capping the modules in
total (:class:`Modules`).

Two formulations share one interface (:class:`CapacityLp`): :class:`CoverWithinCapacity`
(demand groups served within the cutoff: capacitated MCLP and coverage target) and
:class:`AssignWithinCapacity` (every demand point served at least cost: capacitated
p-median). ``build`` gives either the full MIP or the small problem of serving demand from
given sites, which is how the heuristic prices the sites it picks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.allocation.base import AllocationModel, require_reach
from siting.allocation.heuristics.capacitated import (
    CapacitatedPairs,
    assign_single,
    cover_single,
    greedy_capacitated,
)
from siting.allocation.heuristics.cover import greedy_cover, perturbed_cover_swaps, swap_cover
from siting.allocation.heuristics.knapsack import SitePairs
from siting.allocation.heuristics.median import SortedCosts, greedy_median, sorted_costs, teitz_bart
from siting.allocation.heuristics.sites import Pairs, SiteRules
from siting.allocation.lp import (
    LpBuilder,
    LpIndex,
    ProjectColumns,
    add_link_rows,
    add_site_columns,
    add_site_count,
    placement,
)
from siting.allocation.problem import AllocationProblem, group_rows, listing
from siting.allocation.result import AllocationResult
from siting.errors import SitingError

#: Modules per site when a module size is given without a maximum.
DEFAULT_MAX_MODULES = 10
#: Pairs a capacitated p-median works on at most: beyond, each demand point keeps its cheapest candidates.
MAX_ASSIGN_PAIRS = 2_000_000
#: Demand x candidate cells up to which the uncapacitated p-median start runs (it sorts a dense matrix).
MAX_START_CELLS = 25_000_000
#: Kicks without gain after which the capacitated MCLP's iterated local search stops.
MAX_STALL_KICKS = 200


@dataclass(frozen=True)
class Modules:
    """Modular capacity: ``size`` places per module (None: no modules), at most ``max_per_site`` per site, ``budget`` in all."""

    size: float | None = None
    max_per_site: Any = None
    budget: int | None = None

    def per_site(self, m: int) -> np.ndarray:
        """The most modules each of ``m`` candidates may open."""
        most = self.max_per_site if self.max_per_site is not None else DEFAULT_MAX_MODULES
        return np.broadcast_to(np.asarray(most, dtype=float), (m,)).copy()


def _project_capacity(problem: AllocationProblem) -> np.ndarray | None:
    """Each project's capacity (NaN: the candidate's), or None when no project has one."""
    if problem.projects and any(pr.capacity is not None for pr in problem.projects):
        return np.array([np.nan if pr.capacity is None else pr.capacity for pr in problem.projects], dtype=float)
    return None


def _base_capacity(problem: AllocationProblem, modules: Modules) -> np.ndarray:
    """Each candidate's own capacity; with modules an unknown one counts as 0."""
    cap = problem.capacity if problem.capacity is not None else np.full(problem.n_candidates, np.nan)
    return np.where(np.isnan(cap), 0.0, cap) if modules.size is not None else cap


def site_capacity(problem: AllocationProblem, modules: Modules) -> np.ndarray:
    """The most each site could hold: its capacity, all its modules, the largest project it may host.

    Used by the greedy (to size each site's fill) and by the quick bounds, which stay
    valid because no site can ever exceed it.
    """
    m = problem.n_candidates
    base = np.asarray(_base_capacity(problem, modules), dtype=float)
    mods = np.zeros(m)
    if modules.size is not None:
        kmax = modules.per_site(m)
        mods = float(modules.size) * (kmax if modules.budget is None else np.minimum(kmax, float(modules.budget)))
    eff = base + mods
    ok = problem.region_allowed()
    pc = _project_capacity(problem)
    if ok is not None and pc is not None:
        val = np.where(np.isnan(pc)[:, None], base[None, :], pc[:, None]) + mods[None, :]
        eff = np.where(problem.openable, np.where(ok, val, -np.inf).max(axis=0), eff)
    return np.nan_to_num(np.asarray(eff, dtype=float), nan=0.0, neginf=0.0)


def served_weight(problem: AllocationProblem, assignment: pd.DataFrame) -> float:
    """The demand weight an assignment (``demand_id``, ``share``) serves."""
    pos = pd.Index(problem.demand_ids).get_indexer(assignment["demand_id"])
    return float((problem.weights[pos] * assignment["share"].to_numpy(dtype=float)).sum())


def capacity_problems(model: AllocationModel, modules: Modules, open_: np.ndarray, assignment: pd.DataFrame, *,
                      split: bool) -> list[str]:
    """What breaks the capacity rules in an assignment (``demand_id``, ``facility_id``, ``share``): sites above
    the most they could hold, demand served more than once, split demand when it must be served by one site."""
    prob = model.problem
    out = []
    pos = pd.Index(prob.demand_ids).get_indexer(assignment["demand_id"])
    site = pd.Index(prob.candidate_ids).get_indexer(assignment["facility_id"])
    share = assignment["share"].to_numpy(dtype=float)
    load = np.bincount(site, weights=share * prob.demand_load[pos], minlength=prob.n_candidates)
    most = site_capacity(prob, modules)
    over = load > most + 1e-6 * np.maximum(1.0, most)
    if over.any():
        j = int(np.flatnonzero(over)[0])
        out.append(f"{int(over.sum())} site(s) above capacity, e.g. {prob.candidate_ids[j]} with {load[j]:g} > {most[j]:g}")
    total = np.bincount(pos, weights=share, minlength=prob.n_demand)
    if (total > 1 + 1e-6).any():
        out.append(f"{int((total > 1 + 1e-6).sum())} demand point(s) served more than in full")
    if not split and (np.bincount(pos, minlength=prob.n_demand) > 1).any() | (np.abs(share - np.round(share)) > 1e-6).any():
        out.append("demand split between sites, though each point must be served by one site")
    return out


def _add_module_columns(lp: LpBuilder, problem: AllocationProblem, modules: Modules, y0: int) -> int:
    """Add the module count of each site (only on open sites, within the budget); return the first column."""
    m = problem.n_candidates
    kmax = modules.per_site(m)
    kmax[~(problem.fixed | problem.openable)] = 0
    m0 = lp.add_columns(np.zeros(m), 0.0, kmax, True)
    lp.add_rows(np.concatenate([np.arange(m), np.arange(m)]), np.concatenate([m0 + np.arange(m), y0 + np.arange(m)]),
                np.concatenate([np.ones(m), -kmax]), -np.inf, 0.0, m)  # modules only on open sites
    if modules.budget is not None:
        lp.add_rows(np.zeros(m), m0 + np.arange(m), 1.0, -np.inf, float(modules.budget), 1)
    return m0


def add_capacity_rows(lp: LpBuilder, model: AllocationModel, modules: Modules, y0: int, projects: ProjectColumns,
                      x_site: np.ndarray, x_cols: np.ndarray, x_load: np.ndarray) -> int:
    """Add 'load <= capacity' per site (and the module columns it needs); return the module offset (-1: none).

    A site's load is ``x_load`` on its service columns ``x_cols`` (their sites ``x_site``);
    its capacity that of the project placed on it, else its own, plus its modules.
    """
    prob = model.problem
    base = _base_capacity(prob, modules)
    proj_cap = _project_capacity(prob) if len(projects.pairs_k) else None
    if proj_cap is not None:
        # a new site's capacity is that of the project placed on it (or the candidate's own)
        kk, jj = projects.pairs_k, projects.pairs_j
        on_y = np.flatnonzero(prob.fixed)
        cap_site = [jj, on_y]
        cap_col = [projects.z0 + np.arange(len(kk)), y0 + on_y]
        cap_val = [np.where(np.isnan(proj_cap[kk]), base[jj], proj_cap[kk]), base[on_y]]
    else:
        on_y = np.flatnonzero(prob.fixed | prob.openable)
        cap_site, cap_col, cap_val = [on_y], [y0 + on_y], [base[on_y]]
    j_all, v_all = np.concatenate(cap_site), np.concatenate(cap_val)
    if np.isnan(v_all).any():
        bad = prob.candidate_ids[j_all[np.isnan(v_all)]]
        raise SitingError(f"{model.name} needs a capacity for every candidate; missing for {listing(pd.unique(bad), 10)}")
    m0 = -1
    if modules.size is not None:
        if modules.size <= 0:
            raise SitingError(f"module_size must be > 0, got {modules.size}")
        m = prob.n_candidates
        m0 = _add_module_columns(lp, prob, modules, y0)
        j_all = np.concatenate([j_all, np.arange(m)])
        cap_col.append(m0 + np.arange(m))
        v_all = np.concatenate([v_all, np.full(m, float(modules.size))])
    lp.add_rows(np.concatenate([x_site, j_all]), np.concatenate([x_cols, np.concatenate(cap_col)]),
                np.concatenate([x_load, -v_all]), -np.inf, 0.0, prob.n_candidates)
    return m0


def fill_sites(sites: SiteRules, sel: list[int], count: int | None) -> list[int]:
    """Add sites until ``count`` new ones are open (the MIP asks for exactly ``count``), keeping projects matchable."""
    if count is None or len(sel) >= count:
        return sel
    sel = list(sel)
    for j in np.flatnonzero(sites.allowed):
        if len(sel) >= count:
            break
        if int(j) not in sel and sites.fit([*sel, int(j)]):
            sel.append(int(j))
    return sel


def _fix_sites(lp: LpBuilder, y0: int, open_: np.ndarray | None) -> None:
    """Fix every site column: open where ``open_``, closed elsewhere."""
    if open_ is not None:
        lb, ub = lp.bounds(y0)
        lb[:] = open_.astype(float)
        ub[:] = open_.astype(float)


class CapacityLp:
    """One capacitated model as an LP builder, with the pieces its heuristic and bounds need.

    ``build(keep, open_)`` gives the MIP (all pairs and free sites) or, with ``keep``
    (a pair mask) and ``open_`` (sites fixed open, the rest closed), the small problem of
    serving demand from a given set of sites: an LP (a MIP only over modules / projects).

    Attributes
    ----------
    r, c, d
        The pairs (demand row: a group or a demand point; candidate; cost).
    w
        Load per demand row: what serving it in full takes of a site's capacity (the amounts the
        heuristics' knapsacks fill).
    unit
        Per pair: the cost of serving one unit of load in the heuristics' terms (the pair's
        weighted cost per unit of load; for coverage ``big`` minus the weight per unit of load).
    big
        Cost of unserved demand in the heuristics' terms (above every ``unit``).
    single
        Single sourcing: each demand row is served in full by one site (binary service columns).
    count
        New sites to open (None: as few as ``need`` requires).
    need
        Weight that must be served within the cutoff (the coverage target), else None.
    """

    model: AllocationModel
    modules: Modules
    maximize: bool
    r: np.ndarray
    c: np.ndarray
    d: np.ndarray
    w: np.ndarray
    unit: np.ndarray
    big: float
    count: int | None
    single: bool = False
    need: float | None = None

    def build(self, keep: np.ndarray | None, open_: np.ndarray | None) -> tuple[LpBuilder, LpIndex]:
        raise NotImplementedError  # pragma: no cover

    def quick_bound(self) -> float | None:
        raise NotImplementedError  # pragma: no cover

    def result(self, idx: LpIndex, x: np.ndarray, status: str, bound: float | None, method: str,
               t0: float, details: dict[str, Any]) -> AllocationResult:
        raise NotImplementedError  # pragma: no cover

    def must_serve(self) -> float | None:
        """Weight every solution must serve, if any (for the capacity check)."""
        return self.need

    def single_service(self, idx: LpIndex, open_: np.ndarray) -> np.ndarray | None:
        """Service column values of a quick single-source assignment from the sites ``open_``, if the model has one."""
        return None

    def uncapacitated_sites(self, value: Callable[[list[int]], float], time_budget: float) -> list[int]:
        """A second start: the sites of the same model without capacities (none when it has no such start).

        ``value`` prices sites in the capacitated model (higher is better), for a search that needs it.
        """
        return []

    def plain(self) -> bool:
        """One capacity per site: no modules, no projects, no coverage target (the Lagrangian solve applies)."""
        return self.modules.size is None and not self.model.problem.projects and self.need is None

    def mip_nnz(self) -> int:
        """The MIP's non-zeros (service, link and capacity entries per pair, and the site rows), without building it."""
        return 4 * len(self.r) + 3 * self.model.problem.n_candidates

    def infeasible_reason(self) -> str:
        """What the MIP's 'infeasible' means for this model."""
        return "no placement satisfies the site, region and capacity rules"

    def round_bound(self, v: float | None) -> float | None:
        """A bound in the objective's terms (a count of sites is rounded up)."""
        return v

    def knapsack_pairs(self) -> CapacitatedPairs:
        """The pairs, weights and most each site could hold, as the heuristics see them."""
        return CapacitatedPairs(Pairs(self.r, self.c, self.unit), self.w,
                                site_capacity(self.model.problem, self.modules), self.big)

    def greedy(self) -> list[int]:
        """Sites chosen by :func:`~siting.allocation.heuristics.capacitated.greedy_capacitated`, filled up to the count."""
        sites = self.model.site_rules()
        sel, _ = greedy_capacitated(self.knapsack_pairs(), sites, p=self.count, target=self.need)
        return fill_sites(sites, sel, self.count)

    def service_state(self, idx: LpIndex, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per demand row: weight left unserved, and the highest cost it is served at (``big`` if none)."""
        share = idx.service(x)
        r = idx.pair_row
        d = self.unit[idx.pair]
        served = np.bincount(r, weights=share * self.w[r], minlength=len(self.w))
        cur = np.full(len(self.w), -np.inf)
        on = share > 1e-9
        np.maximum.at(cur, r[on], d[on])
        cur[~np.isfinite(cur)] = self.big
        return np.maximum(self.w - served, 0.0), cur

    def capacity_short(self) -> str | None:
        """Why no solution can exist, when the most every site could hold falls short of what must be served."""
        prob = self.model.problem
        need = self.must_serve()
        if need is None:
            return None
        most = site_capacity(prob, self.modules)
        extra = np.sort(most[prob.openable])[::-1]
        count = self.count
        have = float(most[prob.fixed].sum()) + float(extra[: count].sum() if count is not None else extra.sum())
        if have < need - 1e-9:
            return (f"the sites could hold at most {have:g} (existing plus the largest {count if count is not None else 'all'} "
                    f"new), below the {need:g} to serve; add capacity, sites or modules")
        return None

    def _loads(self, open_: np.ndarray, load: np.ndarray) -> dict[str, float]:
        """Load per open site, by candidate id."""
        ids = self.model.problem.candidate_ids
        return {str(ids[j]): float(load[j]) for j in np.flatnonzero(open_)}

    def _placement(self, idx: LpIndex, x: np.ndarray) -> dict[str, Any]:
        """``{"placement": project -> candidate id}``, or nothing without projects."""
        if not len(idx.projects.pairs_k):
            return {}
        return {"placement": placement(self.model.problem, idx.projects, idx.projects.values(x))}


class CoverWithinCapacity(CapacityLp):
    """Capacitated coverage on demand groups: most weight served with ``count`` sites, or fewest sites for a ``share``.

    Demand points with the same covering set form one group (split demand), or each is its own
    (``single``: served in full by one site or not at all).
    """

    def __init__(self, model: AllocationModel, modules: Modules, count: int | None, share: float | None,
                 single: bool = False) -> None:
        self.model, self.modules, self.count, self.share, self.single = model, modules, count, share, single
        prob = model.problem
        assert model.cutoff is not None
        A = prob.coverage(model.cutoff)
        reach = np.diff(A.indptr) > 0
        self.rows = np.flatnonzero(reach & (prob.weights > 0))
        if single:
            self.labels, first = np.arange(len(self.rows)), np.arange(len(self.rows))
        else:
            self.labels, first = group_rows(A[self.rows])
        self.wg = np.bincount(self.labels, weights=prob.weights[self.rows], minlength=len(first))
        self.w = np.bincount(self.labels, weights=prob.demand_load[self.rows], minlength=len(first))
        G = sp.csr_matrix(A[self.rows][first]).tocoo()
        self.r, self.c = G.row.astype(np.int64), G.col.astype(np.int64)
        self.d = np.zeros(len(self.r))
        self.pair = np.arange(len(self.r))
        # the heuristics fill sites by load: one unit of load is worth the group's weight per unit
        per_unit = np.divide(self.wg, self.w, out=np.zeros_like(self.wg), where=self.w > 0)
        self.big = float(per_unit.max()) + 1.0 if len(per_unit) else 1.0
        self.unit = self.big - per_unit[self.r]
        self.g_n = len(first)
        self.maximize = share is None
        self.need = None if share is None else share * float(prob.weights.sum())

    def single_service(self, idx: LpIndex, open_: np.ndarray) -> np.ndarray | None:
        """Service column values of whole rows served from the sites ``open_`` over the pairs of ``idx``
        (:func:`~siting.allocation.heuristics.capacitated.cover_single`); None for a coverage target."""
        if self.need is not None:
            return None
        sites = np.flatnonzero(open_)
        col = np.full(len(open_), -1)
        col[sites] = np.arange(len(sites))
        r, c = idx.pair_row, col[idx.pair_site]
        reach = np.zeros((self.g_n, len(sites)), dtype=bool)
        reach[r, c] = True
        got = cover_single(reach, self.wg, self.w, site_capacity(self.model.problem, self.modules)[sites])
        return (got[r] == c).astype(float)

    def uncapacitated_sites(self, value: Callable[[list[int]], float], time_budget: float) -> list[int]:
        """The MCLP's sites (greedy, swaps), then its iterated local search keeping the local optima that serve
        the most within capacity (:func:`~siting.allocation.heuristics.cover.perturbed_cover_swaps`): its swaps
        run on the cheap uncovered-weight gains, the capacity-bound value only picks among their results."""
        if self.count is None:
            return []
        t0 = time.perf_counter()
        G = self._groups_by_site()
        sites = self.model.site_rules()
        sel = greedy_cover(G, self.wg, sites, p=self.count)
        sel = swap_cover(G, self.wg, sites, sel, time_budget=0.2 * time_budget)
        if sites.region_ok is None:
            left = max(0.0, time_budget - (time.perf_counter() - t0))
            sel, _ = perturbed_cover_swaps(G, self.wg, sites, sel, time_budget=left, value=value,
                                           max_stall=MAX_STALL_KICKS)
        return fill_sites(sites, sel, self.count)

    def _groups_by_site(self) -> sp.csr_matrix:
        """The groups x candidates covering matrix."""
        return sp.csr_matrix((np.ones(len(self.r)), (self.r, self.c)), shape=(self.g_n, self.model.problem.n_candidates))

    def infeasible_reason(self) -> str:
        if self.share is None:
            return super().infeasible_reason()
        return f"{100 * self.share:g} % of the demand cannot be served within the cutoff by the capacity available"

    def round_bound(self, v: float | None) -> float | None:
        # the target model counts sites: its bound rounds up
        return None if v is None else (float(np.ceil(v - 1e-6)) if self.share is not None else v)

    def build(self, keep: np.ndarray | None, open_: np.ndarray | None) -> tuple[LpBuilder, LpIndex]:
        prob, wg = self.model.problem, self.wg
        gr, gc = (self.r, self.c) if keep is None else (self.r[keep], self.c[keep])
        lp = LpBuilder()
        y0 = add_site_columns(lp, prob, prob.openable.astype(float) if self.share is not None else 0.0)
        _fix_sites(lp, y0, open_)
        projects = add_site_count(lp, prob, y0, self.count)
        x0 = lp.add_columns(wg[gr] if self.share is None else np.zeros(len(gr)), 0.0, 1.0, self.single)
        xc = x0 + np.arange(len(gr))
        lp.add_rows(gr, xc, 1.0, -np.inf, 1.0, self.g_n)  # each group served at most once
        if open_ is None:  # with the sites fixed, only open sites' pairs are kept: no x <= y rows needed
            add_link_rows(lp, xc, y0 + gc)
        m0 = add_capacity_rows(lp, self.model, self.modules, y0, projects, gc, xc, self.w[gr])
        if self.need is not None:
            lp.add_rows(np.zeros(len(gr)), xc, wg[gr], self.need, np.inf, 1)
        return lp, LpIndex(y0, projects, x0, gr, gc, None, m0, self.pair if keep is None else self.pair[keep])

    def quick_bound(self) -> float | None:
        """No site serves more than the weight its capacity can hold of the demand it reaches (module budget and
        overlaps ignored): a fractional knapsack per site."""
        prob = self.model.problem
        pairs = SitePairs.of(self.r, self.c, -self.wg[self.r], self.w, site_capacity(prob, self.modules), False)
        most = -pairs.values(np.zeros(self.g_n))
        from_fixed = float(most[prob.fixed].sum())
        extra = np.sort(most[prob.openable])[::-1]
        if self.share is None:
            assert self.count is not None
            return min(float(self.wg.sum()), from_fixed + float(extra[: self.count].sum()))
        assert self.need is not None
        got = from_fixed + np.concatenate([[0.0], np.cumsum(extra)])
        k = np.flatnonzero(got >= self.need - 1e-9)
        return float(k[0]) if len(k) else None

    def _assignment(self, gr: np.ndarray, gc: np.ndarray, share: np.ndarray) -> pd.DataFrame:
        """Each group's shares spread over its demand points, with their costs."""
        prob = self.model.problem
        grp_rows = pd.DataFrame({"g": self.labels, "demand": self.rows})
        pairs = pd.DataFrame({"g": gr, "j": gc, "share": share})
        pairs = pairs[pairs["share"] > 1e-9]
        asg = grp_rows.merge(pairs, on="g")
        cost_lookup = pd.Series(prob.cost, index=pd.MultiIndex.from_arrays([prob.rows, prob.cols]))
        asg_cost = cost_lookup.reindex(pd.MultiIndex.from_arrays([asg["demand"], asg["j"]])).to_numpy()
        return pd.DataFrame({
            "demand_id": prob.demand_ids[asg["demand"].to_numpy()],
            "facility_id": prob.candidate_ids[asg["j"].to_numpy()],
            "share": asg["share"].to_numpy(),
            "cost": asg_cost,
        }).sort_values(["demand_id", "share"], ascending=[True, False], kind="stable").reset_index(drop=True)

    def result(self, idx: LpIndex, x: np.ndarray, status: str, bound: float | None, method: str,
               t0: float, details: dict[str, Any]) -> AllocationResult:
        prob = self.model.problem
        m = prob.n_candidates
        gr, gc = idx.pair_row, idx.pair_site
        open_ = idx.open_sites(x, m)
        share = idx.service(x)
        served = share * self.wg[gr]
        load = np.bincount(gc, weights=share * self.w[gr], minlength=m)
        details = {"groups": self.g_n, **details}
        if idx.m0 >= 0:
            assert self.modules.size is not None
            mods = np.rint(x[idx.m0: idx.m0 + m]).astype(int)
            base = np.nan_to_num(prob.capacity if prob.capacity is not None else np.zeros(m))
            need_mods = np.ceil(np.maximum(load - base, 0) / self.modules.size - 1e-9)
            details["modules"] = {str(prob.candidate_ids[j]): int(min(mods[j], need_mods[j]))
                                  for j in np.flatnonzero(open_)}
        details["load"] = self._loads(open_, load)
        details.update(self._placement(idx, x))
        res = self.model.result(open_, status=status, objective=None, bound=bound, method=method, t0=t0,
                                assignment=self._assignment(gr, gc, share), details=details)
        total = float(prob.weights.sum())
        res.coverage["served_weight"] = float(served.sum())
        res.coverage["served_pct"] = 100.0 * float(served.sum()) / total if total else None
        return res


@numba.njit(cache=True)
def _row_nearest(ptr, d, k):  # pragma: no cover - compiled
    """Per row of pairs sorted by row (``ptr``): which pairs are among its ``k`` cheapest, and the cost of its
    cheapest pair left out (inf: none)."""
    n = len(ptr) - 1
    keep = np.zeros(len(d), np.bool_)
    first_out = np.full(n, np.inf)
    for i in range(n):
        a, b = ptr[i], ptr[i + 1]
        o = np.argsort(d[a:b], kind="mergesort")
        for t in range(min(k, b - a)):
            keep[a + o[t]] = True
        if b - a > k:
            first_out[i] = d[a + o[k]]
    return keep, first_out


def nearest_pairs(r: np.ndarray, c: np.ndarray, d: np.ndarray, k: int, cw: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each demand row's ``k`` cheapest pairs, and per row the weighted cost of the first pair left out (inf: none).

    A solution over these pairs is a solution of the whole model; a Lagrangian multiplier kept below the
    first cost left out prices every pair left out at a non-negative reduced cost, so the bound holds too.
    """
    if len(r) and (np.diff(r) < 0).any():
        o = np.argsort(r, kind="stable")
        r, c, d = r[o], c[o], d[o]
    ptr = np.searchsorted(r, np.arange(len(cw) + 1)).astype(np.int64)
    keep, first_out = _row_nearest(ptr, np.asarray(d, dtype=float), int(k))
    return r[keep], c[keep], d[keep], cw * first_out


class AssignWithinCapacity(CapacityLp):
    """Capacitated assignment: every demand point served, no site over capacity, least cost.

    A demand point's cost is weighted by ``cost_weight`` (its weight, or 1) and it takes its load
    of its site's capacity; ``single``: each point served in full by one site.
    """

    maximize = False

    def __init__(self, model: AllocationModel, modules: Modules, *, cost_weight: np.ndarray, active: np.ndarray,
                 single: bool = False) -> None:
        self.model, self.modules, self.count, self.single = model, modules, model.p, single
        prob = model.problem
        r, c, d = prob.pairs(model.cutoff)
        require_reach(model, r[active[r]], "have no eligible candidate in reach", active)
        keep = active[r]
        self.cw = np.asarray(cost_weight, dtype=float)
        self.r, self.c, self.d = r[keep], c[keep], d[keep]
        self.lam_cap: np.ndarray | None = None  # with pairs left out: the multipliers stay below their costs
        if len(self.r) > MAX_ASSIGN_PAIRS:
            k = max(30, MAX_ASSIGN_PAIRS // max(1, int(active.sum())))
            self.r, self.c, self.d, self.lam_cap = nearest_pairs(self.r, self.c, self.d, k, self.cw)
        self.pair = np.arange(len(self.r))
        self.w = prob.demand_load
        per_unit = np.divide(self.cw, self.w, out=np.zeros_like(self.cw), where=self.w > 0)
        self.unit = self.d * per_unit[self.r]
        self.big = 10.0 * (float(self.unit.max()) + 1.0) if len(self.unit) else 1.0
        self.active = np.flatnonzero(active)
        self.pos = np.full(prob.n_demand, -1)
        self.pos[self.active] = np.arange(len(self.active))

    def must_serve(self) -> float | None:
        return float(self.w[self.active].sum())

    def single_service(self, idx: LpIndex, open_: np.ndarray) -> np.ndarray | None:
        """Service column values of a single-source assignment from the sites ``open_`` over the pairs of ``idx``
        (:func:`~siting.allocation.heuristics.capacitated.assign_single`), or None when it finds none."""
        sites = np.flatnonzero(open_)
        col = np.full(len(open_), -1)
        col[sites] = np.arange(len(sites))
        r, c = self.pos[idx.pair_row], col[idx.pair_site]
        cost = np.full((len(self.active), len(sites)), np.inf)
        cost[r, c] = self.cw[idx.pair_row] * self.d[idx.pair]
        got = assign_single(cost, self.w[self.active], site_capacity(self.model.problem, self.modules)[sites])
        if got is None:
            return None
        return (got[r] == c).astype(float)

    def uncapacitated_sites(self, value: Callable[[list[int]], float], time_budget: float) -> list[int]:
        """The p-median's sites with the same cost weights (greedy, Teitz-Bart): capacity-blind, but near where
        the demand is, which the capacitated greedy's fill-as-you-open misses. None beyond ``MAX_START_CELLS``."""
        prob = self.model.problem
        if self.count is None or len(self.active) * prob.n_candidates > MAX_START_CELLS:
            return []
        D = np.full((len(self.active), prob.n_candidates), 10.0 * (float(self.d.max()) + 1.0) if len(self.d) else 1.0)
        D[self.pos[self.r], self.c] = self.d
        order, costs = sorted_costs(D)
        sc = SortedCosts(order, costs, self.cw[self.active], float(D.max()))
        sites = self.model.site_rules()
        sel, _ = teitz_bart(sc, sites, greedy_median(sc, sites, self.count), time_budget=time_budget)
        return fill_sites(sites, sel, self.count)

    def infeasible_reason(self) -> str:
        return ("the open sites' capacity cannot serve all the demand (or the region rules cannot be "
                "met); add capacity, sites or modules")

    def build(self, keep: np.ndarray | None, open_: np.ndarray | None) -> tuple[LpBuilder, LpIndex]:
        prob = self.model.problem
        pair = self.pair if keep is None else self.pair[keep]
        r, c, d = self.r[pair], self.c[pair], self.d[pair]
        lp = LpBuilder()
        y0 = add_site_columns(lp, prob)
        _fix_sites(lp, y0, open_)
        projects = add_site_count(lp, prob, y0, self.count)
        x0 = lp.add_columns(self.cw[r] * d, 0.0, 1.0, self.single)
        xc = x0 + np.arange(len(r))
        lp.add_rows(self.pos[r], xc, 1.0, 1.0, 1.0, len(self.active))  # every demand point served in full
        if open_ is None:  # as in CoverWithinCapacity.build
            add_link_rows(lp, xc, y0 + c)
        m0 = add_capacity_rows(lp, self.model, self.modules, y0, projects, c, xc, self.w[r])
        return lp, LpIndex(y0, projects, x0, r, c, d, m0, pair)

    def quick_bound(self) -> float | None:
        """Every demand point at its cheapest usable site, capacity and site count ignored."""
        cheapest = pd.Series(self.d).groupby(self.r).min()
        return float((self.cw[cheapest.index.to_numpy()] * cheapest.to_numpy()).sum())

    def result(self, idx: LpIndex, x: np.ndarray, status: str, bound: float | None, method: str,
               t0: float, details: dict[str, Any]) -> AllocationResult:
        prob, w = self.model.problem, self.cw
        m = prob.n_candidates
        r, c, d = idx.pair_row, idx.pair_site, idx.pair_cost
        assert d is not None
        open_ = idx.open_sites(x, m)
        share = idx.service(x)
        on = share > 1e-9
        assignment = pd.DataFrame({
            "demand_id": prob.demand_ids[r[on]], "facility_id": prob.candidate_ids[c[on]],
            "share": share[on], "cost": d[on],
        }).sort_values(["demand_id", "share"], ascending=[True, False], kind="stable").reset_index(drop=True)
        load = np.bincount(c, weights=share * self.w[r], minlength=m)
        details = {**details, "load": self._loads(open_, load)}
        if idx.m0 >= 0:
            details["modules"] = {str(prob.candidate_ids[j]): int(round(x[idx.m0 + j])) for j in np.flatnonzero(open_)}
        details.update(self._placement(idx, x))
        obj = float((w[r] * d * share).sum())
        res = self.model.result(open_, status=status, objective=obj, bound=bound, method=method, t0=t0,
                                assignment=assignment, details=details)
        res.coverage["weighted_cost"] = obj
        res.coverage["mean_cost"] = obj / float(w[self.active].sum()) if w[self.active].sum() else None
        return res
