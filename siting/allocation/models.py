"""Location-allocation models on a sparse cost matrix, solved with HiGHS and warm-started heuristics.

Every model is built the same way as in PySAL spopt::

    m = MCLP.from_cost_matrix(cost, weights, cutoff=900, p=5)
    m = MCLP.from_geodataframes(demand_gdf, candidates_gdf, net, weight_col="pop", cutoff=900, p=5)
    result = m.solve(time_limit=60)

and takes existing facilities (``fixed``, forced open and not counted in ``p``),
an eligibility mask (``eligible``), region labels (``region``) with regions new
sites may use (``allowed_regions``) or per-project regions (``projects``).

MIPs are built from the covering / usable pairs only, as one sparse matrix, with
demand points that share a covering set merged into one row.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching

from siting.allocation import heuristics as H
from siting.allocation.mip import MipSolution, relative_gap, solve_mip
from siting.allocation.problem import AllocationProblem, build_problem, problem_from_geodataframes
from siting.allocation.result import AllocationResult
from siting.errors import SitingError
from siting.units import DEFAULT_SNAP_TOLERANCE_M

#: Default largest MIP (non-zeros in the constraint matrix) before the heuristic serves alone.
MAX_MIP_NNZ = 3_000_000


def _listing(values: Any, limit: int = 10) -> str:
    vals = [str(v) for v in values]
    return ", ".join(vals[:limit]) + (f" and {len(vals) - limit} more" if len(vals) > limit else "")


def group_rows(A: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Label rows of a sparse 0/1 matrix by their pattern: rows with the same covering set share a label.

    Returns
    -------
    (labels, first)
        ``labels[i]`` is the group of row ``i``; ``first[g]`` one row of group ``g``.
    """
    A = sp.csr_matrix(A)
    A.sort_indices()
    ind = A.indices.astype(np.int32)
    keys = [ind[a:b].tobytes() for a, b in zip(A.indptr[:-1], A.indptr[1:])]
    labels, uniq = pd.factorize(pd.Series(keys, dtype=object))
    first = np.zeros(len(uniq), dtype=np.int64)
    first[labels[::-1]] = np.arange(len(labels))[::-1]
    return labels.astype(np.int64), first


class _Lp:
    """Collects column and row blocks (COO) and hands them to HiGHS in one call."""

    def __init__(self) -> None:
        self.c: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.n_col = 0
        self.r: list[np.ndarray] = []
        self.k: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.rlo: list[np.ndarray] = []
        self.rhi: list[np.ndarray] = []
        self.n_row = 0

    def cols(self, c: Any, lb: Any, ub: Any, integer: bool) -> int:
        c = np.asarray(c, dtype=float)
        n = len(c)
        off = self.n_col
        self.c.append(c)
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self.integer.append(np.full(n, integer))
        self.n_col += n
        return off

    def rows(self, r: Any, k: Any, v: Any, lo: Any, hi: Any, count: int) -> int:
        off = self.n_row
        r = np.asarray(r, dtype=np.int64)
        self.r.append(r + off)
        self.k.append(np.asarray(k, dtype=np.int64))
        self.v.append(np.broadcast_to(np.asarray(v, dtype=float), r.shape).copy())
        self.rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (count,)).copy())
        self.rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (count,)).copy())
        self.n_row += count
        return off

    @property
    def nnz(self) -> int:
        return int(sum(len(r) for r in self.r))

    def solve(self, *, maximize: bool, start: np.ndarray | None, time_limit: float | None,
              mip_rel_gap: float, verbose: bool, relax: bool = False) -> MipSolution:
        """Solve with HiGHS; ``relax`` drops integrality (the LP relaxation, for a bound)."""
        cat = np.concatenate
        A = sp.csr_matrix((cat(self.v), (cat(self.r), cat(self.k))), shape=(self.n_row, self.n_col))
        return solve_mip(
            cat(self.c), A, cat(self.rlo), cat(self.rhi), cat(self.lb), cat(self.ub),
            np.zeros(self.n_col, dtype=bool) if relax else cat(self.integer),
            maximize=maximize, time_limit=time_limit, mip_rel_gap=mip_rel_gap, start=start, verbose=verbose,
        )


class _Model:
    """Shared plumbing: building, site-count / project rows, results."""

    name: ClassVar[str] = ""
    uses_cutoff: ClassVar[bool] = True

    def __init__(self, problem: AllocationProblem, *, p: int | None = None, cutoff: float | None = None) -> None:
        self.problem = problem
        self.cutoff = None if cutoff is None else float(cutoff)
        if self.uses_cutoff and self.cutoff is None:
            raise SitingError(f"{self.name} needs a cutoff (the largest cost that counts as covered)")
        self.p = self._check_p(p)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_cost_matrix(
        cls,
        cost: Any,
        weights: Any = None,
        *,
        demand_ids: Any = None,
        candidate_ids: Any = None,
        fixed: Any = None,
        eligible: Any = None,
        region: Any = None,
        capacity: Any = None,
        projects: Any = None,
        allowed_regions: Any = None,
        **params: Any,
    ) -> Any:
        """Build the model from a dense array, a scipy sparse matrix or a long ``origin, destination, cost`` table.

        See :func:`siting.allocation.problem.build_problem` for the arguments; ``params``
        are the model's own (``p``, ``cutoff``, ...).
        """
        prob = build_problem(
            cost, weights, demand_ids=demand_ids, candidate_ids=candidate_ids, fixed=fixed, eligible=eligible,
            region=region, capacity=capacity, projects=projects, allowed_regions=allowed_regions,
        )
        return cls(prob, **params)

    @classmethod
    def from_geodataframes(
        cls,
        demand: Any,
        candidates: Any,
        network: Any,
        *,
        weight_col: str | None = None,
        demand_id_col: str | None = None,
        candidate_id_col: str | None = None,
        weight: str = "time",
        search_cutoff: float | None = None,
        tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
        fixed_col: str | None = None,
        eligible_col: str | None = None,
        region_col: str | None = None,
        capacity_col: str | None = None,
        projects: Any = None,
        allowed_regions: Any = None,
        **params: Any,
    ) -> Any:
        """Build the model from point GeoDataFrames and a road network (costs by :func:`siting.routing.engine.od_matrix`).

        The network search stops at ``search_cutoff`` (default: the model's ``cutoff``
        for coverage models, no limit for median/center models).
        """
        if search_cutoff is None:
            cut = params.get("cutoff")
            search_cutoff = float(cut) if cls.uses_cutoff and cut is not None else np.inf
        prob = problem_from_geodataframes(
            demand, candidates, network, weight_col=weight_col, demand_id_col=demand_id_col,
            candidate_id_col=candidate_id_col, weight=weight, search_cutoff=float(search_cutoff),
            tolerance_m=tolerance_m, fixed_col=fixed_col, eligible_col=eligible_col, region_col=region_col,
            capacity_col=capacity_col, projects=projects, allowed_regions=allowed_regions,
        )
        return cls(prob, **params)

    def _check_p(self, p: int | None) -> int | None:
        prob = self.problem
        if prob.projects:
            if p is not None and p != len(prob.projects):
                raise SitingError(f"p = {p} but {len(prob.projects)} projects are given; leave p out")
            p = len(prob.projects)
        if p is None:
            return None
        p = int(p)
        n_open = int(prob.openable.sum())
        if p < 0:
            raise SitingError(f"p must be >= 0, got {p}")
        if p > n_open:
            raise SitingError(
                f"p = {p} is larger than the {n_open} candidate(s) that can be opened "
                f"({prob.n_candidates} candidates, {int(prob.fixed.sum())} fixed, "
                f"{int((~prob.eligible & ~prob.fixed).sum())} not eligible); lower p or add candidates"
            )
        return p

    def _y_cols(self, lp: _Lp, cost: np.ndarray | float = 0.0) -> int:
        prob = self.problem
        return lp.cols(np.broadcast_to(np.asarray(cost, dtype=float), (prob.n_candidates,)),
                       prob.fixed.astype(float), (prob.fixed | prob.openable).astype(float), True)

    def _site_rows(self, lp: _Lp, y0: int, count: int | None, sense: str = "eq") -> tuple[int, np.ndarray, np.ndarray]:
        """Add 'p new sites' (or project placement) rows; return (z offset, z project, z candidate)."""
        prob = self.problem
        op = np.flatnonzero(prob.openable)
        ok = prob.region_allowed()
        if ok is None:
            if count is not None:
                lo = count if sense == "eq" else -np.inf
                lp.rows(np.zeros(len(op)), y0 + op, 1.0, lo, count, 1)
            return -1, np.empty(0, np.int64), np.empty(0, np.int64)
        kk, jj = np.nonzero(ok)
        lonely = sorted(set(range(len(prob.projects or []))) - set(kk.tolist()))
        if lonely:
            names = [prob.projects[k].name for k in lonely]  # type: ignore[index]
            raise SitingError(f"no eligible candidate lies in the allowed regions of project(s) {_listing(names)}")
        z0 = lp.cols(np.zeros(len(kk)), 0.0, 1.0, True)
        zc = z0 + np.arange(len(kk))
        k_count = ok.shape[0]
        lp.rows(kk, zc, 1.0, 1.0, 1.0, k_count)  # every project placed once
        pos = np.full(prob.n_candidates, -1)
        pos[op] = np.arange(len(op))
        r = np.concatenate([pos[jj], np.arange(len(op))])
        c = np.concatenate([zc, y0 + op])
        v = np.concatenate([np.ones(len(kk)), -np.ones(len(op))])
        lp.rows(r, c, v, 0.0, 0.0, len(op))  # an opened new site hosts exactly one project
        return z0, kk, jj

    def _project_start(self, kk: np.ndarray, jj: np.ndarray, sel: list[int]) -> np.ndarray | None:
        """z values placing projects on the selected sites (a bipartite matching), or None."""
        if not len(kk):
            return np.empty(0)
        prob = self.problem
        ok = prob.region_allowed()
        assert ok is not None
        sub = sp.csr_matrix(ok[:, sel].astype(np.int8))
        match = maximum_bipartite_matching(sub, perm_type="column")  # project -> position in sel
        if (match < 0).any():
            return None
        z = np.zeros(len(kk))
        site = np.asarray(sel)[match]
        key = pd.MultiIndex.from_arrays([kk, jj]).get_indexer(pd.MultiIndex.from_arrays([np.arange(len(site)), site]))
        z[key] = 1.0
        return z

    def _placement(self, kk: np.ndarray, jj: np.ndarray, zval: np.ndarray | None) -> dict[str, str]:
        prob = self.problem
        if zval is None or not len(kk) or not prob.projects:
            return {}
        on = zval > 0.5
        return {prob.projects[int(k)].name: str(prob.candidate_ids[int(j)]) for k, j in zip(kk[on], jj[on])}

    # ------------------------------------------------------------------ results
    def _nearest_assignment(self, open_: np.ndarray) -> pd.DataFrame:
        prob = self.problem
        r, c, d = prob.rows, prob.cols, prob.cost
        keep = open_[c]
        r, c, d = r[keep], c[keep], d[keep]
        order = np.lexsort((d, r))
        r, c, d = r[order], c[order], d[order]
        first = np.ones(len(r), dtype=bool)
        first[1:] = r[1:] != r[:-1]
        fac = np.full(prob.n_demand, None, dtype=object)
        cost = np.full(prob.n_demand, np.nan)
        fac[r[first]] = prob.candidate_ids[c[first]]
        cost[r[first]] = d[first]
        out = pd.DataFrame({"demand_id": prob.demand_ids, "facility_id": fac, "cost": cost})
        if self.cutoff is not None:
            out["covered"] = cost <= self.cutoff
        return out

    def _covered_weight(self, open_: np.ndarray) -> float:
        prob = self.problem
        r, c, _ = prob.pairs(self.cutoff, usable_only=False)
        hit = np.zeros(prob.n_demand, dtype=bool)
        hit[r[open_[c]]] = True
        return float(prob.weights[hit].sum())

    def _coverage(self, open_: np.ndarray) -> dict[str, Any]:
        prob = self.problem
        total = float(prob.weights.sum())
        if self.cutoff is None:
            return {"total_weight": total}
        after = self._covered_weight(open_)
        before = self._covered_weight(prob.fixed)
        return {
            "cutoff": self.cutoff,
            "total_weight": total,
            "covered_weight": after,
            "covered_pct": 100.0 * after / total if total else None,
            "covered_weight_fixed_only": before,
            "covered_pct_fixed_only": 100.0 * before / total if total else None,
        }

    def _result(self, open_: np.ndarray, *, status: str, objective: float | None, bound: float | None,
                method: str, t0: float, assignment: pd.DataFrame | None = None,
                details: dict[str, Any] | None = None) -> AllocationResult:
        prob = self.problem
        new = np.flatnonzero(open_ & ~prob.fixed)
        details = dict(details or {})
        if method == "heuristic" and status == "optimal":
            details.setdefault("certified_by", "lagrangian bound")
        return AllocationResult(
            model=self.name, status=status, objective=objective, bound=bound,
            gap=0.0 if status == "optimal" else relative_gap(objective, bound),
            selected=[str(x) for x in prob.candidate_ids[new]],
            fixed=[str(x) for x in prob.candidate_ids[np.flatnonzero(prob.fixed)]],
            assignment=self._nearest_assignment(open_) if assignment is None else assignment,
            coverage=self._coverage(open_), method=method, seconds=time.perf_counter() - t0,
            details=details,
        )

    def _open(self, sel: Any) -> np.ndarray:
        o = self.problem.fixed.copy()
        o[np.asarray(sel, dtype=np.int64)] = True
        return o

    def solve(self, time_limit: float | None = 60.0, *, method: str = "auto", max_mip_nnz: int = MAX_MIP_NNZ,
              mip_rel_gap: float = 1e-6, verbose: bool = False) -> AllocationResult:
        """Solve the model.

        Parameters
        ----------
        time_limit
            Seconds for HiGHS (the heuristics take a small share on top).
        method
            'auto' (MIP warm-started by the heuristic when the MIP has at most ``max_mip_nnz``
            non-zeros, else the heuristic alone), 'mip' (always the MIP) or 'heuristic'.
        max_mip_nnz
            Size above which 'auto' keeps to the heuristic.
        mip_rel_gap
            Relative gap at which HiGHS may stop.
        """
        if method not in ("auto", "mip", "heuristic"):
            raise SitingError(f"unknown method '{method}'; use auto, mip or heuristic")
        return self._solve(time_limit, method, max_mip_nnz, mip_rel_gap, verbose)

    def _solve(self, time_limit: float | None, method: str, max_mip_nnz: int, mip_rel_gap: float,
               verbose: bool) -> AllocationResult:  # pragma: no cover - abstract
        raise NotImplementedError


# ====================================================================== covering models


class _CoverBase(_Model):
    def _cover_groups(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Covering matrix of the demand not covered by fixed sites, merged by covering set.

        Returns (G groups x candidates, group weights, group of each free demand row (-1 if none),
        rows covered by fixed sites, rows no usable candidate covers).
        """
        prob = self.problem
        assert self.cutoff is not None
        A = prob.coverage(self.cutoff)
        by_fixed = np.asarray(A[:, np.flatnonzero(prob.fixed)].sum(axis=1)).ravel() > 0
        reach = np.diff(A.indptr) > 0
        free = np.flatnonzero(~by_fixed & reach)
        sub = A[free]
        labels, first = group_rows(sub)
        G = sp.csr_matrix(sub[first])
        G.data[:] = 1.0
        wg = np.bincount(labels, weights=prob.weights[free], minlength=len(first))
        group = np.full(prob.n_demand, -1, dtype=np.int64)
        group[free] = labels
        return G, wg, group, by_fixed, ~reach


class LSCP(_CoverBase):
    """Location set covering: the fewest new sites so that every demand point is within ``cutoff``.

    Demand with zero weight still has to be covered (as in spopt). Existing facilities
    count for coverage but not in the objective.
    """

    name = "lscp"

    def __init__(self, problem: AllocationProblem, *, cutoff: float) -> None:
        super().__init__(problem, cutoff=cutoff)
        if problem.projects:
            raise SitingError("lscp chooses how many sites to open; it takes no project list")

    def _solve(self, time_limit, method, max_mip_nnz, mip_rel_gap, verbose):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        prob = self.problem
        G, wg, group, by_fixed, unreach = self._cover_groups()
        if unreach.any():
            ids = prob.demand_ids[np.flatnonzero(unreach)]
            raise SitingError(
                f"lscp is infeasible: {len(ids)} demand point(s) have no eligible candidate within the cutoff "
                f"{self.cutoff:g}: {_listing(ids)}; raise the cutoff, add candidates or drop those points"
            )
        ones = np.ones(G.shape[0])
        greedy = H.greedy_cover(G, ones, prob.fixed, prob.openable, target=float(G.shape[0]))
        greedy = H.drop_redundant(G, prob.fixed, greedy)
        lp = _Lp()
        y0 = self._y_cols(lp, prob.openable.astype(float))
        coo = G.tocoo()
        lp.rows(coo.row, y0 + coo.col, 1.0, 1.0, np.inf, G.shape[0])
        heur_open = self._open(greedy)
        lag = H.lagrangian_lscp_bound(G, prob.openable, float(len(greedy)),
                                      time_budget=max(1.0, 0.1 * (time_limit or 60.0)))
        details = {"heuristic": "greedy", "heuristic_objective": len(greedy), "groups": int(G.shape[0]),
                   "lagrangian_bound": lag}
        proven = lag >= len(greedy)
        if method == "heuristic" or (method == "auto" and (lp.nnz > max_mip_nnz or proven)):
            return self._result(heur_open, status="optimal" if proven else "feasible",
                                objective=float(len(greedy)), bound=lag, method="heuristic", t0=t0, details=details)
        left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
        sol = lp.solve(maximize=False, start=heur_open.astype(float), time_limit=left,
                       mip_rel_gap=mip_rel_gap, verbose=verbose)
        bound = lag if sol.bound is None else max(lag, float(np.ceil(sol.bound - 1e-6)))
        if sol.x is None:
            return self._result(heur_open, status="feasible", objective=float(len(greedy)), bound=bound,
                                method="heuristic", t0=t0, details=details)
        open_ = sol.x[y0: y0 + prob.n_candidates] > 0.5
        obj = float((open_ & ~prob.fixed).sum())
        st = "optimal" if sol.status == "optimal" or bound >= obj else sol.status
        return self._result(open_, status=st, objective=obj, bound=bound, method="mip", t0=t0, details=details)


class MCLP(_CoverBase):
    """Maximal covering: ``p`` new sites that cover the most demand weight within ``cutoff``.

    The objective counts demand covered by fixed sites too.
    """

    name = "mclp"

    def __init__(self, problem: AllocationProblem, *, cutoff: float, p: int | None = None) -> None:
        super().__init__(problem, cutoff=cutoff, p=p)
        if self.p is None:
            raise SitingError("mclp needs p, the number of new sites")

    def _solve(self, time_limit, method, max_mip_nnz, mip_rel_gap, verbose):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        prob = self.problem
        assert self.p is not None
        G, wg, group, by_fixed, _ = self._cover_groups()
        const = float(prob.weights[by_fixed].sum())
        ok = prob.region_allowed()
        regional = ok is not None and any(pr.regions is not None for pr in prob.projects or [])
        sel = H.greedy_cover(G, wg, prob.fixed, prob.openable, p=self.p, region_ok=ok)
        th = time.perf_counter()
        if ok is None or regional:
            sel = H.swap_cover(G, wg, prob.fixed, prob.openable, sel,
                               time_budget=max(1.0, 0.25 * (time_limit or 20.0)),
                               same_region=prob.region.astype(str) if regional and prob.region is not None else None)
        heur_open = self._open(sel)
        heur_obj = self._covered_weight(heur_open)
        details: dict[str, Any] = {"groups": int(G.shape[0]), "heuristic": "greedy+swap",
                                   "heuristic_objective": heur_obj, "heuristic_seconds": time.perf_counter() - t0,
                                   "greedy_seconds": th - t0}
        tl = time.perf_counter()
        lag, closed, opened = H.lagrangian_cover_bound(G, wg, prob.openable, self.p, heur_obj - const,
                                                       time_budget=max(1.0, 0.2 * (time_limit or 20.0)))
        lag_bound = lag + const
        details.update(lagrangian_bound=lag_bound, bound_seconds=time.perf_counter() - tl,
                       fixed_closed=int(closed.sum()), fixed_open=int(opened.sum()))
        lp = _Lp()
        y0 = self._y_cols(lp)
        lp.ub[0][closed] = 0.0
        lp.lb[0][opened] = 1.0
        z_g = lp.cols(wg, 0.0, 1.0, False)
        coo = G.tocoo()
        g_n = G.shape[0]
        lp.rows(np.concatenate([np.arange(g_n), coo.row]), np.concatenate([z_g + np.arange(g_n), y0 + coo.col]),
                np.concatenate([np.ones(g_n), -np.ones(len(coo.row))]), -np.inf, 0.0, g_n)
        z0, kk, jj = self._site_rows(lp, y0, self.p)
        too_big = method == "auto" and lp.nnz > max_mip_nnz
        proven = relative_gap(heur_obj, lag_bound) is not None and (relative_gap(heur_obj, lag_bound) or 0.0) <= mip_rel_gap
        if method == "heuristic" or too_big or (proven and method == "auto"):
            details["mip_nnz"] = lp.nnz
            if ok is not None:
                details["placement"] = self._placement(kk, jj, self._project_start(kk, jj, sel))
            return self._result(heur_open, status="optimal" if proven else "feasible", objective=heur_obj,
                                bound=lag_bound, method="heuristic", t0=t0, details=details)
        zs = self._project_start(kk, jj, sel) if ok is not None else np.empty(0)
        start = None
        if zs is not None:
            cov = np.asarray(G[:, np.asarray(sel, dtype=np.int64)].sum(axis=1)).ravel() if sel else np.zeros(g_n)
            start = np.concatenate([heur_open.astype(float), np.minimum(cov, 1.0), zs])
        left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
        sol = lp.solve(maximize=True, start=start, time_limit=left, mip_rel_gap=mip_rel_gap, verbose=verbose)
        bound = lag_bound if sol.bound is None else min(lag_bound, sol.bound + const)
        if sol.x is None or (sol.objective or 0.0) + const < heur_obj - 1e-9:
            st = "infeasible" if sol.status == "infeasible" else "feasible"
            return self._result(heur_open, status=st, objective=heur_obj, bound=bound, method="heuristic",
                                t0=t0, details=details)
        open_ = sol.x[y0: y0 + prob.n_candidates] > 0.5
        if ok is not None:
            details["placement"] = self._placement(kk, jj, sol.x[z0: z0 + len(kk)])
        details["mip_seconds"] = sol.seconds
        obj = self._covered_weight(open_)
        st = "optimal" if sol.status == "optimal" or (relative_gap(obj, bound) or 0.0) <= mip_rel_gap else sol.status
        return self._result(open_, status=st, objective=obj, bound=bound, method="mip", t0=t0, details=details)


class CoverageTarget(_CoverBase):
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
        self.module_size = module_size
        self.max_modules = max_modules

    def _solve(self, time_limit, method, max_mip_nnz, mip_rel_gap, verbose):  # type: ignore[no-untyped-def]
        if self.capacitated:
            return _solve_cap(_CapCover(self, None, self.share), time_limit, method, max_mip_nnz, mip_rel_gap,
                              verbose)
        t0 = time.perf_counter()
        prob = self.problem
        G, wg, group, by_fixed, unreach = self._cover_groups()
        total = float(prob.weights.sum())
        need = self.share * total
        reachable = total - float(prob.weights[unreach].sum())
        if reachable < need - 1e-9:
            raise SitingError(
                f"target is infeasible: at most {100 * reachable / total:.2f} % of the demand can be within the "
                f"cutoff {self.cutoff:g} of an eligible candidate, below the {100 * self.share:g} % asked"
            )
        const = float(prob.weights[by_fixed].sum())
        sel = H.greedy_cover(G, wg, prob.fixed, prob.openable, target=need - const)
        heur_open = self._open(sel)
        details: dict[str, Any] = {"share": self.share, "heuristic": "greedy", "heuristic_objective": len(sel)}
        lp = _Lp()
        y0 = self._y_cols(lp, prob.openable.astype(float))
        g_n = G.shape[0]
        z_g = lp.cols(np.zeros(g_n), 0.0, 1.0, False)
        coo = G.tocoo()
        lp.rows(np.concatenate([np.arange(g_n), coo.row]), np.concatenate([z_g + np.arange(g_n), y0 + coo.col]),
                np.concatenate([np.ones(g_n), -np.ones(len(coo.row))]), -np.inf, 0.0, g_n)
        lp.rows(np.zeros(g_n), z_g + np.arange(g_n), wg, need - const, np.inf, 1)
        if method == "heuristic" or (method == "auto" and lp.nnz > max_mip_nnz):
            return self._result(heur_open, status="feasible", objective=float(len(sel)), bound=None,
                                method="heuristic", t0=t0, details=details)
        cov = np.asarray(G[:, np.asarray(sel, dtype=np.int64)].sum(axis=1)).ravel() if sel else np.zeros(g_n)
        start = np.concatenate([heur_open.astype(float), np.minimum(cov, 1.0)])
        sol = lp.solve(maximize=False, start=start, time_limit=time_limit, mip_rel_gap=mip_rel_gap, verbose=verbose)
        if sol.x is None:
            return self._result(heur_open, status="feasible", objective=float(len(sel)), bound=sol.bound,
                                method="heuristic", t0=t0, details=details)
        open_ = sol.x[y0: y0 + prob.n_candidates] > 0.5
        return self._result(open_, status=sol.status, objective=float((open_ & ~prob.fixed).sum()),
                            bound=sol.bound, method="mip", t0=t0, details=details)


class CMCLP(_CoverBase):
    """Capacitated maximal covering: ``p`` new sites, each serving at most its capacity within ``cutoff``.

    Capacity comes from the candidate table (beds, places), from each project's
    ``capacity``, or from modules: with ``module_size`` s a site opens up to
    ``max_modules`` modules of s places (childcare classes), its capacity being
    its own ``capacity`` (existing places, 0 when unknown) plus s per module;
    ``module_budget`` caps the modules opened in total. Demand may be split
    between sites. The objective is the demand weight served within the cutoff.
    """

    name = "cmclp"

    def __init__(self, problem: AllocationProblem, *, cutoff: float, p: int | None = None,
                 module_size: float | None = None, max_modules: Any = None,
                 module_budget: int | None = None) -> None:
        super().__init__(problem, cutoff=cutoff, p=p)
        if self.p is None:
            raise SitingError("cmclp needs p, the number of new sites")
        self.module_size = module_size
        self.max_modules = max_modules
        self.module_budget = module_budget

    def _solve(self, time_limit, method, max_mip_nnz, mip_rel_gap, verbose):  # type: ignore[no-untyped-def]
        return _solve_cap(_CapCover(self, self.p, None), time_limit, method, max_mip_nnz, mip_rel_gap, verbose)


def _capacity_terms(model: Any, lp: _Lp, y0: int, z0: int, kk: np.ndarray, jj: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(candidate, column, coefficient) of each site's capacity, plus the module column offset (-1: none)."""
    prob = model.problem
    m = prob.n_candidates
    cap = prob.capacity if prob.capacity is not None else np.full(m, np.nan)
    s = model.module_size
    jr: list[np.ndarray] = []
    cr: list[np.ndarray] = []
    vr: list[np.ndarray] = []
    usable = prob.fixed | prob.openable
    base = np.where(np.isnan(cap), 0.0, cap) if s is not None else cap
    proj_cap = None
    if len(kk) and prob.projects and any(pr.capacity is not None for pr in prob.projects):
        proj_cap = np.array([np.nan if pr.capacity is None else pr.capacity for pr in prob.projects])
    if proj_cap is not None:
        # a new site's capacity is that of the project placed on it (or the candidate's own)
        v = np.where(np.isnan(proj_cap[kk]), base[jj], proj_cap[kk])
        on_y = np.flatnonzero(prob.fixed)
        jr += [jj, on_y]
        cr += [z0 + np.arange(len(kk)), y0 + on_y]
        vr += [v, base[on_y]]
    else:
        on_y = np.flatnonzero(usable)
        jr.append(on_y)
        cr.append(y0 + on_y)
        vr.append(base[on_y])
    j_all = np.concatenate(jr)
    v_all = np.concatenate(vr)
    if np.isnan(v_all).any():
        bad = prob.candidate_ids[j_all[np.isnan(v_all)]]
        raise SitingError(f"{model.name} needs a capacity for every candidate; missing for {_listing(pd.unique(bad))}")
    m0 = -1
    if s is not None:
        if s <= 0:
            raise SitingError(f"module_size must be > 0, got {s}")
        kmax = np.broadcast_to(np.asarray(model.max_modules if model.max_modules is not None else 10, dtype=float),
                               (m,)).copy()
        kmax[~usable] = 0
        m0 = lp.cols(np.zeros(m), 0.0, kmax, True)
        lp.rows(np.concatenate([np.arange(m), np.arange(m)]),
                np.concatenate([m0 + np.arange(m), y0 + np.arange(m)]),
                np.concatenate([np.ones(m), -kmax]), -np.inf, 0.0, m)  # modules only on open sites
        if getattr(model, "module_budget", None) is not None:
            lp.rows(np.zeros(m), m0 + np.arange(m), 1.0, -np.inf, float(model.module_budget), 1)
        j_all = np.concatenate([j_all, np.arange(m)])
        cr.append(m0 + np.arange(m))
        v_all = np.concatenate([v_all, np.full(m, float(s))])
    return j_all, np.concatenate(cr), v_all, m0


def _site_capacity(model: Any) -> np.ndarray:
    """The most each site could hold: its capacity, all its modules, the largest project it may host.

    Used by the greedy (to size each site's fill) and by the quick bounds, which stay
    valid because no site can ever exceed it.
    """
    prob = model.problem
    m = prob.n_candidates
    cap = prob.capacity if prob.capacity is not None else np.full(m, np.nan)
    s = model.module_size
    base = np.where(np.isnan(cap), 0.0, cap) if s is not None else np.asarray(cap, dtype=float)
    mods = np.zeros(m)
    if s is not None:
        kmax = np.broadcast_to(np.asarray(model.max_modules if model.max_modules is not None else 10, dtype=float),
                               (m,))
        budget = getattr(model, "module_budget", None)
        mods = float(s) * (kmax if budget is None else np.minimum(kmax, float(budget)))
    eff = base + mods
    ok = prob.region_allowed()
    if ok is not None and prob.projects and any(pr.capacity is not None for pr in prob.projects):
        pc = np.array([np.nan if pr.capacity is None else pr.capacity for pr in prob.projects], dtype=float)
        val = np.where(np.isnan(pc)[:, None], base[None, :], pc[:, None]) + mods[None, :]
        new = np.where(ok, val, -np.inf).max(axis=0)
        eff = np.where(prob.openable, new, eff)
    return np.nan_to_num(np.asarray(eff, dtype=float), nan=0.0, neginf=0.0)


def _fill_sites(model: Any, sel: list[int], count: int | None) -> list[int]:
    """Add sites until ``count`` new ones are open (the MIP asks for exactly ``count``), keeping projects matchable."""
    prob = model.problem
    if count is None or len(sel) >= count:
        return sel
    ok = prob.region_allowed()
    sel = list(sel)
    for j in np.flatnonzero(prob.openable):
        if len(sel) >= count:
            break
        if int(j) not in sel and H.projects_fit(ok, [*sel, int(j)]):
            sel.append(int(j))
    return sel


class _CapModel:
    """One capacitated model as an LP builder, with the pieces its heuristic and bounds need.

    ``build(keep, open_)`` gives the MIP (all pairs and free sites) or, with ``keep``
    (a pair mask) and ``open_`` (sites fixed open, the rest closed), the small problem of
    serving demand from a given set of sites: an LP (a MIP only over modules / projects),
    which is how the heuristic prices the sites its greedy picks.
    """

    model: Any
    maximize: bool
    r: np.ndarray  # pair rows (demand groups or demand points)
    c: np.ndarray
    d: np.ndarray

    def build(self, keep: np.ndarray | None, open_: np.ndarray | None) -> tuple[_Lp, dict[str, Any]]:
        raise NotImplementedError  # pragma: no cover

    big: float  # cost of unserved demand in the greedy's terms
    w: np.ndarray  # weight per pair row

    def greedy(self) -> list[int]:
        """Sites chosen by :func:`~siting.allocation.heuristics.greedy_capacitated` (filled up to the count)."""
        prob = self.model.problem
        count = getattr(self, "count", self.model.p)
        sel, _ = H.greedy_capacitated(self.r, self.c, self.d, self.w, _site_capacity(self.model), prob.fixed,
                                      prob.openable, big=self.big, p=count, target=getattr(self, "need", None),
                                      region_ok=prob.region_allowed())
        return _fill_sites(self.model, sel, count)

    def state(self, idx: dict[str, Any], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pair row: weight left unserved, and the highest cost it is served at (``big`` if none)."""
        share = x[idx["x0"]: idx["x0"] + idx["n_x"]]
        r = idx["r"]
        d = idx["d"] if "d" in idx else np.zeros(len(r))
        served = np.bincount(r, weights=share * self.w[r], minlength=len(self.w))
        cur = np.full(len(self.w), -np.inf)
        on = share > 1e-9
        np.maximum.at(cur, r[on], d[on])
        cur[~np.isfinite(cur)] = self.big
        return np.maximum(self.w - served, 0.0), cur

    def quick_bound(self) -> float | None:
        raise NotImplementedError  # pragma: no cover

    def capacity_short(self) -> str | None:
        """Why no solution can exist, when the most every site could hold falls short of what must be served."""
        prob = self.model.problem
        need = getattr(self, "need", None)
        if need is None and isinstance(self, _CapMedian):
            need = float(prob.weights.sum())
        if need is None:
            return None
        most = _site_capacity(self.model)
        count = getattr(self, "count", self.model.p)
        extra = np.sort(most[prob.openable])[::-1]
        have = float(most[prob.fixed].sum()) + float(extra[: count].sum() if count is not None else extra.sum())
        if have < need - 1e-9:
            return (f"the sites could hold at most {have:g} (existing plus the largest {count if count is not None else 'all'} "
                    f"new), below the {need:g} to serve; add capacity, sites or modules")
        return None

    def result(self, idx: dict[str, Any], x: np.ndarray, status: str, bound: float | None, method: str,
               t0: float, details: dict[str, Any]) -> AllocationResult:
        raise NotImplementedError  # pragma: no cover


def _fix_sites(lp: _Lp, open_: np.ndarray | None) -> None:
    if open_ is not None:
        lp.lb[0] = open_.astype(float)
        lp.ub[0] = open_.astype(float)


class _CapCover(_CapModel):
    """Capacitated coverage on demand groups: max served weight with ``count`` sites, or fewest sites for a share."""

    def __init__(self, model: Any, count: int | None, target: float | None) -> None:
        self.model, self.count, self.target = model, count, target
        prob = model.problem
        A = prob.coverage(model.cutoff)
        reach = np.diff(A.indptr) > 0
        self.rows = np.flatnonzero(reach & (prob.weights > 0))
        self.labels, first = group_rows(A[self.rows])
        self.wg = np.bincount(self.labels, weights=prob.weights[self.rows], minlength=len(first))
        G = sp.csr_matrix(A[self.rows][first]).tocoo()
        self.r, self.c = G.row.astype(np.int64), G.col.astype(np.int64)
        self.d = np.zeros(len(self.r))
        self.w, self.big = self.wg, 1.0
        self.g_n = len(first)
        self.maximize = target is None
        self.need = None if target is None else target * float(prob.weights.sum())

    def build(self, keep: np.ndarray | None, open_: np.ndarray | None) -> tuple[_Lp, dict[str, Any]]:
        model, prob, wg = self.model, self.model.problem, self.wg
        gr, gc = (self.r, self.c) if keep is None else (self.r[keep], self.c[keep])
        lp = _Lp()
        y0 = model._y_cols(lp, prob.openable.astype(float) if self.target is not None else 0.0)
        _fix_sites(lp, open_)
        z0, kk, jj = model._site_rows(lp, y0, self.count)
        x0 = lp.cols(wg[gr] if self.target is None else np.zeros(len(gr)), 0.0, 1.0, False)
        xc = x0 + np.arange(len(gr))
        lp.rows(gr, xc, 1.0, -np.inf, 1.0, self.g_n)  # each group served at most once
        pair = np.arange(len(gr))
        if open_ is None:  # with the sites fixed, only open sites' pairs are kept: no x <= y rows needed
            lp.rows(np.concatenate([pair, pair]), np.concatenate([xc, y0 + gc]),
                    np.concatenate([np.ones(len(pair)), -np.ones(len(pair))]), -np.inf, 0.0, len(pair))
        cj, ccol, cval, m0 = _capacity_terms(model, lp, y0, z0, kk, jj)
        lp.rows(np.concatenate([gc, cj]), np.concatenate([xc, ccol]), np.concatenate([wg[gr], -cval]),
                -np.inf, 0.0, prob.n_candidates)
        if self.need is not None:
            lp.rows(np.zeros(len(pair)), xc, wg[gr], self.need, np.inf, 1)
        return lp, {"y0": y0, "z0": z0, "kk": kk, "jj": jj, "x0": x0, "n_x": len(gr), "m0": m0, "r": gr, "c": gc}

    def quick_bound(self) -> float | None:
        """No site serves more than its capacity or the demand it reaches (module budget and overlaps ignored)."""
        prob = self.model.problem
        m = prob.n_candidates
        reach = np.bincount(self.c, weights=self.wg[self.r], minlength=m)
        most = np.minimum(reach, _site_capacity(self.model))
        from_fixed = float(most[prob.fixed].sum())
        extra = np.sort(most[prob.openable])[::-1]
        if self.target is None:
            assert self.count is not None
            return min(float(self.wg.sum()), from_fixed + float(extra[: self.count].sum()))
        assert self.need is not None
        got = from_fixed + np.concatenate([[0.0], np.cumsum(extra)])
        k = np.flatnonzero(got >= self.need - 1e-9)
        return float(k[0]) if len(k) else None

    def result(self, idx: dict[str, Any], x: np.ndarray, status: str, bound: float | None, method: str,
               t0: float, details: dict[str, Any]) -> AllocationResult:
        model, prob = self.model, self.model.problem
        m = prob.n_candidates
        y0, gr, gc = idx["y0"], idx["r"], idx["c"]
        open_ = x[y0: y0 + m] > 0.5
        share = x[idx["x0"]: idx["x0"] + idx["n_x"]]
        served = share * self.wg[gr]
        # spread each group's shares over its demand points
        grp_rows = pd.DataFrame({"g": self.labels, "demand": self.rows})
        pairs = pd.DataFrame({"g": gr, "j": gc, "share": share})
        pairs = pairs[pairs["share"] > 1e-9]
        asg = grp_rows.merge(pairs, on="g")
        cost_lookup = pd.Series(prob.cost, index=pd.MultiIndex.from_arrays([prob.rows, prob.cols]))
        asg_cost = cost_lookup.reindex(pd.MultiIndex.from_arrays([asg["demand"], asg["j"]])).to_numpy()
        assignment = pd.DataFrame({
            "demand_id": prob.demand_ids[asg["demand"].to_numpy()],
            "facility_id": prob.candidate_ids[asg["j"].to_numpy()],
            "share": asg["share"].to_numpy(),
            "cost": asg_cost,
        }).sort_values(["demand_id", "share"], ascending=[True, False], kind="stable").reset_index(drop=True)
        load = np.bincount(gc, weights=served, minlength=m)
        details = {"groups": self.g_n, **details}
        m0 = idx["m0"]
        if m0 >= 0:
            mods = np.rint(x[m0: m0 + m]).astype(int)
            base = np.nan_to_num(prob.capacity if prob.capacity is not None else np.zeros(m))
            need_mods = np.ceil(np.maximum(load - base, 0) / model.module_size - 1e-9)
            details["modules"] = {str(prob.candidate_ids[j]): int(min(mods[j], need_mods[j]))
                                  for j in np.flatnonzero(open_)}
        details["load"] = {str(prob.candidate_ids[j]): float(load[j]) for j in np.flatnonzero(open_)}
        if len(idx["kk"]):
            details["placement"] = model._placement(idx["kk"], idx["jj"], x[idx["z0"]: idx["z0"] + len(idx["kk"])])
        res = model._result(open_, status=status, objective=None, bound=bound, method=method, t0=t0,
                            assignment=assignment, details=details)
        total = float(prob.weights.sum())
        res.coverage["served_weight"] = float(served.sum())
        res.coverage["served_pct"] = 100.0 * float(served.sum()) / total if total else None
        res.objective = float(served.sum()) if self.target is None else float((open_ & ~prob.fixed).sum())
        return res


class _CapMedian(_CapModel):
    """Capacitated assignment: every demand point served, no site over capacity, least weighted cost."""

    maximize = False

    def __init__(self, model: Any) -> None:
        self.model = model
        prob = model.problem
        r, c, d = prob.pairs(model.cutoff)
        w = prob.weights
        has = np.zeros(prob.n_demand, dtype=bool)
        has[r] = True
        if (~has & (w > 0)).any():
            raise _unreachable_error(model, np.flatnonzero(~has & (w > 0)), "have no eligible candidate in reach")
        keep = w[r] > 0
        self.r, self.c, self.d = r[keep], c[keep], d[keep]
        self.w = prob.weights
        self.big = 10.0 * (float(self.d.max()) + 1.0) if len(self.d) else 1.0
        self.active = np.unique(self.r)
        self.pos = np.full(prob.n_demand, -1)
        self.pos[self.active] = np.arange(len(self.active))

    def build(self, keep: np.ndarray | None, open_: np.ndarray | None) -> tuple[_Lp, dict[str, Any]]:
        model, prob, w = self.model, self.model.problem, self.model.problem.weights
        r, c, d = (self.r, self.c, self.d) if keep is None else (self.r[keep], self.c[keep], self.d[keep])
        lp = _Lp()
        y0 = model._y_cols(lp)
        _fix_sites(lp, open_)
        z0, kk, jj = model._site_rows(lp, y0, model.p)
        x0 = lp.cols(w[r] * d, 0.0, 1.0, False)
        xc = x0 + np.arange(len(r))
        lp.rows(self.pos[r], xc, 1.0, 1.0, 1.0, len(self.active))
        pair = np.arange(len(r))
        if open_ is None:  # as in _CapCover.build
            lp.rows(np.concatenate([pair, pair]), np.concatenate([xc, y0 + c]),
                    np.concatenate([np.ones(len(r)), -np.ones(len(r))]), -np.inf, 0.0, len(r))
        cj, ccol, cval, m0 = _capacity_terms(model, lp, y0, z0, kk, jj)
        lp.rows(np.concatenate([c, cj]), np.concatenate([xc, ccol]), np.concatenate([w[r], -cval]), -np.inf, 0.0,
                prob.n_candidates)
        return lp, {"y0": y0, "z0": z0, "kk": kk, "jj": jj, "x0": x0, "n_x": len(r), "m0": m0, "r": r, "c": c,
                    "d": d}

    def quick_bound(self) -> float | None:
        """Every demand point at its cheapest usable site, capacity and site count ignored."""
        w = self.model.problem.weights
        cheapest = pd.Series(self.d).groupby(self.r).min()
        return float((w[cheapest.index.to_numpy()] * cheapest.to_numpy()).sum())

    def result(self, idx: dict[str, Any], x: np.ndarray, status: str, bound: float | None, method: str,
               t0: float, details: dict[str, Any]) -> AllocationResult:
        model, prob, w = self.model, self.model.problem, self.model.problem.weights
        m = prob.n_candidates
        r, c, d = idx["r"], idx["c"], idx["d"]
        y0, m0 = idx["y0"], idx["m0"]
        open_ = x[y0: y0 + m] > 0.5
        share = x[idx["x0"]: idx["x0"] + idx["n_x"]]
        on = share > 1e-9
        assignment = pd.DataFrame({
            "demand_id": prob.demand_ids[r[on]], "facility_id": prob.candidate_ids[c[on]],
            "share": share[on], "cost": d[on],
        }).sort_values(["demand_id", "share"], ascending=[True, False], kind="stable").reset_index(drop=True)
        load = np.bincount(c, weights=share * w[r], minlength=m)
        details = {**details, "load": {str(prob.candidate_ids[j]): float(load[j]) for j in np.flatnonzero(open_)}}
        if m0 >= 0:
            details["modules"] = {str(prob.candidate_ids[j]): int(round(x[m0 + j])) for j in np.flatnonzero(open_)}
        if len(idx["kk"]):
            details["placement"] = model._placement(idx["kk"], idx["jj"], x[idx["z0"]: idx["z0"] + len(idx["kk"])])
        obj = float((w[r] * d * share).sum())
        res = model._result(open_, status=status, objective=obj, bound=bound, method=method, t0=t0,
                            assignment=assignment, details=details)
        res.coverage["weighted_cost"] = obj
        res.coverage["mean_cost"] = obj / float(w.sum()) if w.sum() else None
        return res


#: The LP relaxation is solved for a bound when the heuristic serves alone and the model has at most
#: this many times ``max_mip_nnz`` non-zeros (an LP is far cheaper than the MIP).
LP_BOUND_FACTOR = 4


def _solve_cap(cm: _CapModel, time_limit: float | None, method: str, max_mip_nnz: int, mip_rel_gap: float,
               verbose: bool) -> AllocationResult:
    """Greedy + exact assignment as the warm start and fallback, the MIP to certify, bounds throughout."""
    t0 = time.perf_counter()
    model = cm.model  # type: ignore[attr-defined]
    prob = model.problem
    maximize = cm.maximize
    full, fidx = cm.build(None, None)
    nnz = full.nnz
    too_big = method == "auto" and nnz > max_mip_nnz

    def better(a: float, b: float) -> bool:
        return a > b + 1e-9 * max(1.0, abs(b)) if maximize else a < b - 1e-9 * max(1.0, abs(b))

    # the heuristic: greedy sites, then swaps (or drops), each priced by the best service from those sites
    def small_solve(sites: list[int]) -> tuple[MipSolution, dict[str, Any], np.ndarray]:
        o = model._open(sites)
        keep = o[cm.c]
        small, sidx = cm.build(keep, o)
        left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
        # with the sites fixed, only modules and project placement stay integer
        pure_lp = sidx["m0"] < 0 and not len(sidx["kk"])
        return small.solve(maximize=maximize, start=None, time_limit=left, mip_rel_gap=mip_rel_gap,
                           verbose=False, relax=pure_lp), sidx, keep

    def evaluate(sites: list[int]) -> tuple[float | None, np.ndarray | None, np.ndarray | None]:
        sol, sidx, _ = small_solve(sites)
        if sol.x is None or sol.status != "optimal":
            return None, None, None
        return (sol.objective, *cm.state(sidx, sol.x))

    sel = cm.greedy()
    tg = time.perf_counter()
    alone = method == "heuristic" or too_big
    # a warm start only needs to be good; serving alone, it is the answer and gets more time
    budget = min(10.0, 0.25 * (time_limit or 40.0)) if alone else min(2.0, 0.05 * (time_limit or 40.0))
    ok = prob.region_allowed()
    swaps = 0
    if getattr(cm, "target", None) is not None:
        # fewest sites: drop any site the others can do without (latest first)
        for f in reversed(list(sel)):
            if time.perf_counter() - tg > budget:
                break
            trial = [j for j in sel if j != f]
            if evaluate(trial)[0] is not None:
                sel, swaps = trial, swaps + 1
    else:
        sel, _, swaps = H.swap_capacitated(evaluate, cm.r, cm.c, cm.d, cm.w, _site_capacity(model), prob.fixed,
                                           prob.openable, sel, big=cm.big, maximize=maximize, time_budget=budget,
                                           region_ok=ok)
    hsol, sidx, keep = small_solve(sel)
    heur_obj = hsol.objective if hsol.x is not None and hsol.status == "optimal" else None
    details: dict[str, Any] = {"heuristic": "greedy+swap+assignment", "heuristic_objective": heur_obj,
                               "swaps": swaps, "greedy_seconds": tg - t0,
                               "heuristic_seconds": time.perf_counter() - t0, "mip_nnz": nnz}
    quick = cm.quick_bound()
    bound = quick
    details["quick_bound"] = quick

    def tighter(a: float | None, b: float | None) -> float | None:
        if a is None or b is None:
            return b if a is None else a
        return min(a, b) if maximize else max(a, b)

    def integral(v: float | None) -> float | None:
        # the target model counts sites: its bound rounds up
        return None if v is None else (float(np.ceil(v - 1e-6)) if isinstance(cm, _CapCover) and
                                       cm.target is not None else v)

    proven = heur_obj is not None and (relative_gap(heur_obj, bound) or 0.0) <= mip_rel_gap and bound is not None
    if alone or (method == "auto" and proven):
        if not proven and nnz <= LP_BOUND_FACTOR * max_mip_nnz:
            tl = time.perf_counter()
            left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
            relax = full.solve(maximize=maximize, start=None, time_limit=left, mip_rel_gap=mip_rel_gap,
                               verbose=verbose, relax=True)
            if relax.status == "optimal" and relax.objective is not None:
                details["lp_bound"] = integral(relax.objective)
                bound = tighter(bound, details["lp_bound"])
            elif relax.status == "infeasible":
                heur_obj = None
            details["bound_seconds"] = time.perf_counter() - tl
        if heur_obj is None or hsol.x is None:
            short = cm.capacity_short()
            if short:
                raise SitingError(f"{model.name} is infeasible: {short}")
            raise SitingError(
                f"{model.name}: the heuristic found no placement that meets the capacity, site and region rules "
                f"and the MIP was not run ({'too large: ' + str(nnz) + ' non-zeros' if too_big else 'method=heuristic'})"
                "; add capacity or sites, or run the MIP (method='mip' or a larger max_mip_nnz)")
        gap = relative_gap(heur_obj, bound)
        st = "optimal" if gap is not None and gap <= mip_rel_gap else "feasible"
        if st == "optimal":
            details["certified_by"] = "lp relaxation" if "lp_bound" in details and bound == details["lp_bound"] \
                else "capacity bound"
        if too_big:
            details["reason"] = f"MIP too large ({nnz} non-zeros > max_mip_nnz {max_mip_nnz})"
        res = cm.result(sidx, hsol.x, st, bound, "heuristic", t0, details)
        res.gap = 0.0 if st == "optimal" else gap
        return res

    start = None
    if hsol.x is not None:
        # the small problem has the same columns as the MIP, minus the pairs of closed sites
        x0, nx = fidx["x0"], fidx["n_x"]
        xs = np.zeros(nx)
        xs[np.flatnonzero(keep)] = hsol.x[sidx["x0"]: sidx["x0"] + sidx["n_x"]]
        start = np.concatenate([hsol.x[: sidx["x0"]], xs, hsol.x[sidx["x0"] + sidx["n_x"]:]])
        assert len(start) == full.n_col and x0 == sidx["x0"]
    left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
    sol = full.solve(maximize=maximize, start=start, time_limit=left, mip_rel_gap=mip_rel_gap, verbose=verbose)
    bound = tighter(bound, integral(sol.bound))
    details["mip_seconds"] = sol.seconds
    if sol.x is None or (heur_obj is not None and better(heur_obj, sol.objective or 0.0)):
        if heur_obj is None or hsol.x is None:
            if sol.status == "infeasible":
                if isinstance(cm, _CapCover) and cm.target is not None:
                    what = (f"{100 * cm.target:g} % of the demand cannot be served within the cutoff by the capacity "
                            "available")
                elif isinstance(cm, _CapMedian):
                    what = ("the open sites' capacity cannot serve all the demand (or the region rules cannot be "
                            "met); add capacity, sites or modules")
                else:
                    what = "no placement satisfies the site, region and capacity rules"
                raise SitingError(f"{model.name} is infeasible: {what}")
            raise SitingError(f"{model.name}: HiGHS found no solution within the time limit ({sol.status}); "
                              "raise the time limit")
        gap = relative_gap(heur_obj, bound)
        st = "optimal" if gap is not None and gap <= mip_rel_gap else sol.status
        res = cm.result(sidx, hsol.x, st, bound, "heuristic", t0, details)
        res.gap = 0.0 if st == "optimal" else gap
        return res
    res = cm.result(fidx, sol.x, sol.status, bound, "mip", t0, details)
    res.gap = 0.0 if sol.status == "optimal" else relative_gap(res.objective, res.bound)
    if res.gap is not None and res.gap <= mip_rel_gap:
        res.status, res.gap = "optimal", 0.0
    return res


# ====================================================================== median and center models


def _unreachable_error(model: _Model, rows: np.ndarray, what: str) -> SitingError:
    ids = model.problem.demand_ids[rows]
    return SitingError(
        f"{model.name} is infeasible: {len(ids)} demand point(s) {what}: {_listing(ids)}; "
        "add candidates, widen the matrix search or drop those points"
    )


class PMedian(_Model):
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

    def _solve(self, time_limit, method, max_mip_nnz, mip_rel_gap, verbose):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        prob = self.problem
        assert self.p is not None
        r, c, d = prob.pairs(None)
        w = prob.weights
        has = np.zeros(prob.n_demand, dtype=bool)
        has[r] = True
        if (~has & (w > 0)).any():
            raise _unreachable_error(self, np.flatnonzero(~has & (w > 0)), "have no path to any eligible candidate")
        active = np.flatnonzero(w > 0)
        pos = np.full(prob.n_demand, -1)
        pos[active] = np.arange(len(active))
        keep = pos[r] >= 0
        r, c, d = pos[r[keep]], c[keep], d[keep]
        wa = w[active]
        big = 10.0 * (float(d.max()) + 1.0) if len(d) else 1.0
        D = np.full((len(active), prob.n_candidates), big)
        D[r, c] = d
        order, sc = H.sorted_costs(D)
        del D
        ok = prob.region_allowed()
        regional = ok is not None and any(pr.regions is not None for pr in prob.projects or [])
        same_region = prob.region.astype(str) if regional and prob.region is not None else None
        sel = H.greedy_median(order, sc, wa, prob.fixed, prob.openable, self.p, big, region_ok=ok)
        tg = time.perf_counter()
        budget = max(2.0, 0.5 * (time_limit or 60.0))
        sel, swaps = H.teitz_bart(order, sc, wa, prob.fixed, prob.openable, sel, big, time_budget=budget,
                                  same_region=same_region)

        def cost_of(sites: list[int]) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
            d1, c1, d2 = H._nearest_two(order, sc, self._open(sites), big)
            return float(wa @ d1), d1, c1, d2

        heur_obj, d1, c1, d2 = cost_of(sel)
        tl = time.perf_counter()
        lag_budget = max(1.0, 0.2 * (time_limit or 60.0))
        lag, _, pick, closed = H.lagrangian_median_bound(order, sc, wa, prob.fixed, prob.openable, self.p, heur_obj,
                                                         wa * np.minimum(d2, big), time_budget=lag_budget)
        restarts = 0
        if sorted(pick.tolist()) != sorted(sel) and ok is None:
            # Lagrangian heuristic: the relaxation's sites are a good second start for the swaps
            alt, more = H.teitz_bart(order, sc, wa, prob.fixed, prob.openable, [int(j) for j in pick], big,
                                     time_budget=budget)
            restarts, swaps = 1, swaps + more
            alt_obj = cost_of(alt)
            if alt_obj[0] < heur_obj:
                sel = alt
                heur_obj, d1, c1, d2 = alt_obj
                lag, _, pick, closed = H.lagrangian_median_bound(
                    order, sc, wa, prob.fixed, prob.openable, self.p, heur_obj, wa * np.minimum(d2, big),
                    time_budget=lag_budget)
        if ok is None and (relative_gap(heur_obj, lag) or 0.0) > mip_rel_gap:
            # iterated local search with part of the time left, then a tighter bound for the new incumbent
            ils_budget = min(20.0, 0.25 * (time_limit or 60.0))
            alt, kicks = H.perturbed_swaps(order, sc, wa, prob.fixed, prob.openable, sel, big, time_budget=ils_budget)
            details_kicks = kicks
            alt_obj = cost_of(alt)
            if alt_obj[0] < heur_obj:
                sel = alt
                heur_obj, d1, c1, d2 = alt_obj
                lag2, _, _, closed = H.lagrangian_median_bound(
                    order, sc, wa, prob.fixed, prob.openable, self.p, heur_obj, wa * np.minimum(d2, big),
                    time_budget=lag_budget)
                lag = max(lag, lag2)
        else:
            details_kicks = 0
        heur_open = self._open(sel)
        if (d1 >= big).any():
            raise _unreachable_error(self, active[d1 >= big], "cannot reach any of the chosen sites")
        lag = min(lag, heur_obj)
        details: dict[str, Any] = {"heuristic": "greedy+teitz-bart+ils", "swaps": swaps, "restarts": restarts,
                                   "kicks": details_kicks,
                                   "heuristic_objective": heur_obj, "greedy_seconds": tg - t0,
                                   "heuristic_seconds": time.perf_counter() - t0, "lagrangian_bound": lag,
                                   "bound_seconds": time.perf_counter() - tl, "fixed_closed": int(closed.sum())}
        # candidates the reduced-cost test closes cannot be in a better solution: leave their pairs out
        use = ~closed[c]
        nnz = 3 * int(use.sum()) + prob.n_candidates
        proven = (relative_gap(heur_obj, lag) or 0.0) <= mip_rel_gap
        if method == "heuristic" or (method == "auto" and (nnz > max_mip_nnz or proven)):
            return self._result(heur_open, status="optimal" if proven else "feasible", objective=heur_obj,
                                bound=lag, method="heuristic", t0=t0, details=details)

        r, c, d = r[use], c[use], d[use]
        lp = _Lp()
        y0 = self._y_cols(lp)
        lp.ub[0][closed] = 0.0
        x0 = lp.cols(wa[r] * d, 0.0, 1.0, False)
        xc = x0 + np.arange(len(r))
        lp.rows(r, xc, 1.0, 1.0, 1.0, len(active))
        pair = np.arange(len(r))
        lp.rows(np.concatenate([pair, pair]), np.concatenate([xc, y0 + c]),
                np.concatenate([np.ones(len(r)), -np.ones(len(r))]), -np.inf, 0.0, len(r))
        z0, kk, jj = self._site_rows(lp, y0, self.p)
        zs = self._project_start(kk, jj, sel) if ok is not None else np.empty(0)
        start = None
        if zs is not None:
            xs = ((c == c1[r]) & heur_open[c]).astype(float)
            # one pair per demand even when two open sites tie
            first = np.zeros(len(r), dtype=bool)
            idx = np.flatnonzero(xs > 0)
            _, u = np.unique(r[idx], return_index=True)
            first[idx[u]] = True
            start = np.concatenate([heur_open.astype(float), first.astype(float), zs])
        left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
        sol = lp.solve(maximize=False, start=start, time_limit=left, mip_rel_gap=mip_rel_gap, verbose=verbose)
        bound = lag if sol.bound is None else max(lag, sol.bound)
        if sol.x is None or (sol.objective or np.inf) > heur_obj + 1e-9 * max(1.0, heur_obj):
            st = "infeasible" if sol.status == "infeasible" else "feasible"
            return self._result(heur_open, status=st, objective=heur_obj, bound=min(bound, heur_obj),
                                method="heuristic", t0=t0, details=details)
        open_ = sol.x[y0: y0 + prob.n_candidates] > 0.5
        if ok is not None:
            details["placement"] = self._placement(kk, jj, sol.x[z0: z0 + len(kk)])
        details["mip_seconds"] = sol.seconds
        res = self._result(open_, status=sol.status, objective=None, bound=bound, method="mip", t0=t0,
                           details=details)
        assert res.assignment is not None
        res.objective = float(np.nansum(w * res.assignment["cost"].to_numpy(dtype=float)))
        res.gap = 0.0 if sol.status == "optimal" else relative_gap(res.objective, res.bound)
        if res.gap is not None and res.gap <= mip_rel_gap:
            res.status, res.gap = "optimal", 0.0
        return res

    def _coverage(self, open_: np.ndarray) -> dict[str, Any]:
        out = super()._coverage(open_)
        a = self._nearest_assignment(open_)
        w = self.problem.weights
        tot = float(np.nansum(w * a["cost"].to_numpy(dtype=float)))
        out["weighted_cost"] = tot
        out["mean_cost"] = tot / float(w.sum()) if w.sum() else None
        return out


class CPMedian(_Model):
    """Capacitated assignment (capacitated p-median): every demand point served, no site above capacity.

    Minimises the weighted cost; demand may be split between sites. Capacity as in
    :class:`CMCLP` (candidate ``capacity``, project capacity or modules). ``cutoff``, when
    given, forbids pairs beyond it.
    """

    name = "cpmedian"
    uses_cutoff = False

    def __init__(self, problem: AllocationProblem, *, p: int | None = None, cutoff: float | None = None,
                 module_size: float | None = None, max_modules: Any = None,
                 module_budget: int | None = None) -> None:
        super().__init__(problem, p=p, cutoff=cutoff)
        if self.p is None:
            raise SitingError("cpmedian needs p, the number of new sites")
        self.module_size = module_size
        self.max_modules = max_modules
        self.module_budget = module_budget

    def _solve(self, time_limit, method, max_mip_nnz, mip_rel_gap, verbose):  # type: ignore[no-untyped-def]
        return _solve_cap(_CapMedian(self), time_limit, method, max_mip_nnz, mip_rel_gap, verbose)


class PCenter(_Model):
    """p-center: ``p`` new sites that minimise the largest cost from a demand point to its nearest open site.

    Heuristic (warm start, and the answer alone when the MIP would be too large): bisection
    over the distinct costs with a greedy set cover at each radius, sites added farthest
    first up to ``p``, then vertex substitution. Lower bound: the largest cost any demand
    point needs to reach its cheapest site, raised by radii a Lagrangian set-cover bound
    proves need more than ``p`` sites. Exact: bisection between the two, each step a
    set-cover MIP (HiGHS). Demand with zero weight is ignored.
    """

    name = "pcenter"
    uses_cutoff = False

    def __init__(self, problem: AllocationProblem, *, p: int | None = None) -> None:
        super().__init__(problem, p=p)
        if self.p is None:
            raise SitingError("pcenter needs p, the number of new sites")

    def _groups(self, radius: float) -> sp.csr_matrix | None:
        """Covering sets (merged) of the active demand no fixed site reaches within ``radius``; None if one is unreachable."""
        prob = self.problem
        if getattr(self, "_by_cost", None) is None:
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
        by_fixed = np.asarray(A[:, np.flatnonzero(prob.fixed)].sum(axis=1)).ravel() > 0
        sub = A[~by_fixed]
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
        if H.packing_count(G) > self.p:
            return True
        return H.lagrangian_lscp_bound(G, self.problem.openable, float(self.p + 1), time_budget=budget) > self.p

    def _greedy_at(self, G: sp.csr_matrix | None, swap_budget: float = 0.5) -> list[int] | None:
        """Sites covering ``G`` with at most ``p`` new ones (greedy set cover, else greedy MCLP + swaps), or None."""
        prob = self.problem
        assert self.p is not None
        if G is None:
            return None
        if G.shape[0] == 0:
            return []
        ok = prob.region_allowed()
        g = H.drop_redundant(G, prob.fixed, H.greedy_cover(G, np.ones(G.shape[0]), prob.fixed, prob.openable,
                                                            target=float(G.shape[0]), region_ok=ok))
        if len(g) <= self.p:
            return g
        if ok is not None or self.p == 0:
            return None
        # the set-cover greedy overshoots; p sites chosen for the most points covered, then swapped, may still do
        ones = np.ones(G.shape[0])
        g = H.greedy_cover(G, ones, prob.fixed, prob.openable, p=self.p)
        g = H.swap_cover(G, ones, prob.fixed, prob.openable, g, time_budget=swap_budget)
        covered = np.asarray(G[:, np.asarray(g, dtype=np.int64)].sum(axis=1)).ravel() > 0
        return g if covered.all() else None

    def _feasible(self, radius: float, time_limit: float | None, mip_rel_gap: float, verbose: bool
                  ) -> tuple[bool | None, np.ndarray | None, dict[str, str]]:
        """(True/False/None=unknown, open sites, placement) for covering every active demand point within ``radius``."""
        prob = self.problem
        assert self.p is not None
        G = self._groups(radius)
        if G is None:
            return False, None, {}
        if G.shape[0] == 0 and not prob.projects:
            return True, prob.fixed.copy(), {}
        if not prob.projects:
            g = self._greedy_at(G)
            if g is not None:
                return True, self._open(g), {}
        if self._too_many(G, max(0.2, 0.1 * (time_limit or 10.0))):
            return False, None, {}
        lp = _Lp()
        y0 = self._y_cols(lp, prob.openable.astype(float))
        coo = G.tocoo()
        lp.rows(coo.row, y0 + coo.col, 1.0, 1.0, np.inf, G.shape[0])
        z0, kk, jj = self._site_rows(lp, y0, self.p, sense="le")
        sol = lp.solve(maximize=False, start=None, time_limit=time_limit, mip_rel_gap=0.0, verbose=verbose)
        if sol.status == "infeasible":
            return False, None, {}
        if sol.x is not None:
            return True, sol.x[y0: y0 + prob.n_candidates] > 0.5, self._placement(kk, jj, sol.x[z0: z0 + len(kk)])
        return None, None, {}

    def _heuristic(self, r: np.ndarray, c: np.ndarray, d: np.ndarray, radii: np.ndarray, budget: float
                   ) -> tuple[list[int] | None, int, dict[str, Any]]:
        """(sites, index of the largest radius proven too small (-1: none), details)."""
        prob = self.problem
        assert self.p is not None
        t0 = time.perf_counter()
        act = prob.weights > 0
        ok = prob.region_allowed()
        steps = int(np.ceil(np.log2(len(radii) + 1))) + 1
        per = max(0.2, budget / steps)
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
        sel = H.farthest_first(r, c, d, act, prob.fixed, prob.openable, best or [], self.p, region_ok=ok)
        tb = time.perf_counter()
        sel, radius, swaps = H.center_substitution(r, c, d, act, prob.fixed, prob.openable, sel,
                                                   time_budget=max(0.1, budget - (tb - t0)), region_ok=ok)
        if not np.isfinite(radius) or (ok is not None and len(sel) < len(prob.projects or [])):
            return None, proven, {"heuristic": "bisection+greedy-cover+substitution", "swaps": swaps}
        # raise the bound: bisection with the Lagrangian test between it and the heuristic's radius
        top = int(np.searchsorted(radii, radius))
        lo_b, hi_b = proven, top
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

    def _solve(self, time_limit, method, max_mip_nnz, mip_rel_gap, verbose):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        prob = self.problem
        assert self.p is not None
        r, c, d = prob.pairs(None)
        act = prob.weights > 0
        keep = act[r]
        r, c, d = r[keep], c[keep], d[keep]
        has = np.zeros(prob.n_demand, dtype=bool)
        has[r] = True
        if (~has & act).any():
            raise _unreachable_error(self, np.flatnonzero(~has & act), "have no path to any eligible candidate")
        nearest = pd.Series(d).groupby(r).min()
        radii = np.unique(d[d >= nearest.max()])  # radii[0]: every point must reach at least this far
        budget = min(5.0, 0.1 * (time_limit or 50.0))
        sel, proven, details = self._heuristic(r, c, d, radii, budget)
        ok = prob.region_allowed()
        kk, jj = np.nonzero(ok) if ok is not None else (np.empty(0, np.int64), np.empty(0, np.int64))

        def finish(open_: np.ndarray, status: str, bound: float | None, how: str, place: dict[str, str]
                   ) -> AllocationResult:
            a = self._nearest_assignment(open_)
            obj = float(a["cost"].to_numpy(dtype=float)[act].max())
            if bound is not None and obj <= bound:
                status = "optimal"
            if place:
                details["placement"] = place
            res = self._result(open_, status=status, objective=obj, bound=bound, method=how, t0=t0, assignment=a,
                               details=details)
            if status == "optimal" and how == "heuristic":
                res.details["certified_by"] = "lagrangian set-cover bound" if proven >= 0 else "nearest-site bound"
            return res

        bound = float(radii[proven + 1])
        if sel is not None:
            heur_open = self._open(sel)
            place = self._placement(kk, jj, self._project_start(kk, jj, sel)) if len(kk) else {}
            radius = float(details["heuristic_objective"])
            nnz = int((d <= radius).sum()) + prob.n_candidates
            details["mip_nnz"] = nnz
            too_big = method == "auto" and nnz > max_mip_nnz
            if too_big:
                details["reason"] = f"MIP too large ({nnz} non-zeros > max_mip_nnz {max_mip_nnz})"
            if method == "heuristic" or too_big or radius <= bound:
                return finish(heur_open, "feasible", bound, "heuristic", place)
            hi = int(np.searchsorted(radii, radius))
            best, best_place, how = heur_open, place, "heuristic"
        else:
            if method == "heuristic":
                raise SitingError(f"pcenter: the heuristic found no {self.p} site(s) that reach every demand point "
                                  "(or fit the projects' regions); run the MIP (method='mip')")
            hi = len(radii) - 1
            f, o, pl = self._feasible(float(radii[hi]), time_limit, mip_rel_gap, verbose)
            if not f or o is None:
                raise SitingError(f"pcenter: {self.p} new site(s) cannot reach every demand point whatever the "
                                  "radius; raise p or add candidates")
            best, best_place, how = o, pl, "mip"
        # exact bisection between the proven-too-small radius and the best known one
        lo = proven
        steps = int(np.ceil(np.log2(max(hi - lo, 1) + 1))) + 1
        left = None if time_limit is None else max(0.5, time_limit - (time.perf_counter() - t0))
        per = None if left is None else max(1.0, left / steps)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            how = "mip"  # the set-cover MIPs decide from here on, whichever sites are kept
            f, o, pl = self._feasible(float(radii[mid]), per, mip_rel_gap, verbose)
            if f and o is not None:
                hi, best, best_place = mid, o, pl
            else:
                lo = mid
                if f is False:
                    proven = mid
        assert best is not None
        open_ = best.copy()
        extra = self.p - int((open_ & ~prob.fixed).sum())
        if extra > 0 and not prob.projects:
            # the radius is met with fewer sites; open the rest too (farthest first), as the model asks for p
            sites = H.farthest_first(r, c, d, act, prob.fixed, prob.openable,
                                     np.flatnonzero(open_ & ~prob.fixed).tolist(), self.p)
            open_ = self._open(sites)
        details["radii_tested"] = steps
        details["bisection_unproven"] = proven != hi - 1
        return finish(open_, "time_limit" if proven != hi - 1 else "optimal", float(radii[proven + 1]), how,
                      best_place)


MODELS: dict[str, type[_Model]] = {
    "lscp": LSCP, "mclp": MCLP, "pmedian": PMedian, "pcenter": PCenter,
    "cmclp": CMCLP, "cpmedian": CPMedian, "target": CoverageTarget,
}
