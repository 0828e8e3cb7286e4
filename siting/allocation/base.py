"""What every allocation model shares: how it is built, checked, solved and reported.

Every model is built the same way as in PySAL spopt::

    m = MCLP.from_cost_matrix(cost, weights, cutoff=900, p=5)
    m = MCLP.from_geodataframes(demand_gdf, candidates_gdf, net, weight_col="pop", cutoff=900, p=5)
    result = m.solve(time_limit=60)

and takes existing facilities (``fixed``, forced open and not counted in ``p``),
an eligibility mask (``eligible``), region labels (``region``) with regions new
sites may use (``allowed_regions``) or per-project regions (``projects``).
The models themselves live in :mod:`~siting.allocation.covering`,
:mod:`~siting.allocation.median`, :mod:`~siting.allocation.center` and
:mod:`~siting.allocation.capacitated`.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from siting.allocation.heuristics.sites import SiteRules, open_mask
from siting.allocation.problem import AllocationProblem, build_problem, listing, problem_from_geodataframes
from siting.allocation.result import AllocationResult
from siting.allocation.status import (
    GAP_TOL,
    clamp_bound,
    derive_status,
    inconsistencies,
    integral_bound,
    relative_gap,
)
from siting.errors import SitingError

#: Default largest MIP (non-zeros in the constraint matrix) before the heuristic serves alone.
MAX_MIP_NNZ = 3_000_000


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: the arguments of :meth:`AllocationModel.solve`."""

    time_limit: float | None = 60.0
    method: str = "auto"
    max_mip_nnz: int = MAX_MIP_NNZ
    mip_rel_gap: float = 1e-6
    verbose: bool = False

    def time_left(self, t0: float) -> float | None:
        """Seconds left of the time limit since ``t0`` (at least half a second), None without a limit."""
        return None if self.time_limit is None else max(0.5, self.time_limit - (time.perf_counter() - t0))


def unreachable_error(model: AllocationModel, rows: np.ndarray, what: str) -> SitingError:
    """The error for demand points (positions ``rows``) no allowed site can serve."""
    ids = model.problem.demand_ids[rows]
    return SitingError(
        f"{model.name} is infeasible: {len(ids)} demand point(s) {what}: {listing(ids, 10)}; "
        "add candidates, widen the matrix search or drop those points"
    )


def require_reach(model: AllocationModel, rows: np.ndarray, what: str, active: np.ndarray | None = None) -> None:
    """Raise :func:`unreachable_error` when an ``active`` demand point (default: with weight) appears in none
    of the pairs' ``rows``."""
    prob = model.problem
    has = np.zeros(prob.n_demand, dtype=bool)
    has[rows] = True
    missing = ~has & (prob.weights > 0 if active is None else active)
    if missing.any():
        raise unreachable_error(model, np.flatnonzero(missing), what)


class AllocationModel:
    """A model on an :class:`~siting.allocation.problem.AllocationProblem`: building, ``p``, results."""

    name: ClassVar[str] = ""
    uses_cutoff: ClassVar[bool] = True
    maximize: ClassVar[bool] = False
    #: Every demand point with weight must reach an open site (p-median, p-center), else no solution.
    serves_every_point: ClassVar[bool] = False

    def __init__(self, problem: AllocationProblem, *, p: int | None = None, cutoff: float | None = None) -> None:
        self.problem = problem
        self.cutoff = None if cutoff is None else float(cutoff)
        if self.uses_cutoff and self.cutoff is None:
            raise SitingError(f"{self.name} needs a cutoff (the largest cost that counts as covered)")
        self.p = self._check_p(p)

    # ------------------------------------------------------------------ building
    @classmethod
    def _split_options(cls, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the model's own keywords, the rest): the constructor's parameters go to the model."""
        own = set(inspect.signature(cls.__init__).parameters) - {"self", "problem"}
        return ({k: v for k, v in options.items() if k in own}, {k: v for k, v in options.items() if k not in own})

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, **options: Any) -> Any:
        """Build the model from a dense array, a scipy sparse matrix or a long ``origin, destination, cost`` table.

        ``options`` are the model's own (``p``, ``cutoff``, ...) and those of
        :func:`siting.allocation.problem.build_problem` (``demand_ids``, ``candidate_ids``,
        ``fixed``, ``eligible``, ``region``, ``capacity``, ``projects``, ``allowed_regions``).
        """
        params, problem_options = cls._split_options(options)
        return cls(build_problem(cost, weights, **problem_options), **params)

    @classmethod
    def from_geodataframes(cls, demand: Any, candidates: Any, network: Any, *, search_cutoff: float | None = None,
                           **options: Any) -> Any:
        """Build the model from point GeoDataFrames and a road network (costs by :func:`siting.routing.engine.od_matrix`).

        ``options`` are the model's own (``p``, ``cutoff``, ...) and those of
        :func:`siting.allocation.problem.problem_from_geodataframes` (``weight_col``,
        ``demand_id_col``, ``candidate_id_col``, ``weight``, ``tolerance_m``, ``fixed_col``,
        ``eligible_col``, ``region_col``, ``capacity_col``, ``projects``, ``allowed_regions``).
        The network search stops at ``search_cutoff`` (default: the model's ``cutoff``
        for coverage models, no limit for median/center models).
        """
        params, problem_options = cls._split_options(options)
        if search_cutoff is None:
            cut = params.get("cutoff")
            search_cutoff = float(cut) if cls.uses_cutoff and cut is not None else np.inf
        prob = problem_from_geodataframes(demand, candidates, network, search_cutoff=float(search_cutoff),
                                          **problem_options)
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

    def open_sites(self, sel: Any) -> np.ndarray:
        """The open mask: the fixed sites plus the new sites ``sel`` (candidate positions)."""
        return open_mask(self.problem.fixed, sel)

    def site_rules(self) -> SiteRules:
        """The rules the heuristics keep: fixed sites, sites that may open, where projects may go."""
        prob = self.problem
        return SiteRules(prob.fixed, prob.openable, prob.region_allowed())

    # ------------------------------------------------------------------ results
    def nearest_assignment(self, open_: np.ndarray) -> pd.DataFrame:
        """Each demand point's cheapest open site and its cost (``covered`` within the cutoff, if any)."""
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

    def covered_mask(self, open_: np.ndarray) -> np.ndarray:
        """Per demand point: within the cutoff of an open site."""
        prob = self.problem
        r, c, _ = prob.pairs(self.cutoff, usable_only=False)
        hit = np.zeros(prob.n_demand, dtype=bool)
        hit[r[open_[c]]] = True
        return hit

    def covered_weight(self, open_: np.ndarray) -> float:
        """Demand weight within the cutoff of an open site."""
        return float(self.problem.weights[self.covered_mask(open_)].sum())

    def whole_weights(self) -> bool:
        """True when every demand weight is a whole number."""
        w = self.problem.weights
        return bool(np.all(w == np.round(w)))

    def whole_costs(self) -> bool:
        """True when every cost is a whole number."""
        d = self.problem.cost
        return bool(np.all(d == np.round(d)))

    def coverage(self, open_: np.ndarray) -> dict[str, Any]:
        """The coverage figures of a result: total weight and, with a cutoff, what is covered with and without the new sites."""
        prob = self.problem
        total = float(prob.weights.sum())
        if self.cutoff is None:
            return {"total_weight": total}
        after = self.covered_weight(open_)
        before = self.covered_weight(prob.fixed)
        return {
            "cutoff": self.cutoff,
            "total_weight": total,
            "covered_weight": after,
            "covered_pct": 100.0 * after / total if total else None,
            "covered_weight_fixed_only": before,
            "covered_pct_fixed_only": 100.0 * before / total if total else None,
        }

    # ------------------------------------------------------------------ checking
    def objective_of(self, open_: np.ndarray, assignment: pd.DataFrame) -> float:  # pragma: no cover - per model
        """The model's objective for the open sites ``open_`` and their ``assignment``, recomputed from them."""
        raise NotImplementedError

    def integral_objective(self) -> bool:
        """True when every solution's objective is a whole number (a bound may then be rounded)."""
        return False

    def infeasibilities(self, open_: np.ndarray, assignment: pd.DataFrame) -> list[str]:
        """What keeps ``open_`` with ``assignment`` from being a solution of the model (empty: nothing)."""
        prob = self.problem
        out = []
        if (prob.fixed & ~open_).any():
            out.append(f"{int((prob.fixed & ~open_).sum())} fixed site(s) closed")
        new = open_ & ~prob.fixed
        if (new & ~prob.openable).any():
            out.append(f"{int((new & ~prob.openable).sum())} site(s) opened that may not open")
        if self.p is not None and int(new.sum()) > self.p:
            out.append(f"{int(new.sum())} new sites opened, more than p = {self.p}")
        used = assignment["facility_id"].dropna().astype(str)
        shut = ~used.isin([str(x) for x in prob.candidate_ids[open_]])
        if shut.any():
            out.append(f"{int(shut.sum())} demand point(s) assigned to a closed site, e.g. {used[shut].iloc[0]}")
        if self.serves_every_point:  # one assignment row per demand point
            lost = np.isnan(assignment["cost"].to_numpy(dtype=float)) & (prob.weights > 0)
            if lost.any():
                out.append(f"{int(lost.sum())} demand point(s) with weight reach no open site")
        return out

    def certify(self, objective: float, bound: float | None, stopped: str, details: dict[str, Any]
                ) -> tuple[str, float | None, float | None]:
        """(status, bound, gap) of a solution worth ``objective``, derived from it and the bound, never claimed.

        ``stopped`` says why the search ended ('optimal' when a solver claims it, 'time_limit',
        'feasible' ...): it is only used when the gap is open. A bound on the wrong side of the
        objective is dropped (``details['bound_rejected']``); on a whole-valued objective an open
        bound is rounded to the whole value it proves.
        """
        checked = clamp_bound(objective, bound, self.maximize)
        if bound is not None and checked is None:
            details["bound_rejected"] = bound
        if self.integral_objective() and (relative_gap(objective, checked) or 0.0) > GAP_TOL:
            checked = clamp_bound(objective, integral_bound(checked, self.maximize), self.maximize)
        claim = stopped if stopped in ("time_limit", "feasible") else "feasible"
        status, gap = derive_status(objective, checked, maximize=self.maximize, stopped=claim)
        return status, checked, gap

    def verify(self, res: AllocationResult) -> list[str]:
        """Everything wrong with a result: an infeasible solution, an objective that is not the solution's,
        a status, bound or gap that does not follow from them (empty: nothing)."""
        prob = self.problem
        open_ = np.isin(prob.candidate_ids.astype(str), res.open_ids)
        assignment = self.nearest_assignment(open_) if res.assignment is None else res.assignment
        out = self.infeasibilities(open_, assignment)
        value = self.objective_of(open_, assignment)
        if res.objective is None or abs(res.objective - value) > 1e-6 * max(1.0, abs(value)):
            out.append(f"objective {res.objective!r} reported, {value!r} recomputed from the solution")
        return out + inconsistencies(res.status, res.objective, res.bound, res.gap, maximize=self.maximize)

    # ------------------------------------------------------------------ results
    def result(self, open_: np.ndarray, *, status: str, objective: float | None, bound: float | None,
               method: str, t0: float, assignment: pd.DataFrame | None = None,
               details: dict[str, Any] | None = None) -> AllocationResult:
        """Assemble the result of the open sites ``open_`` (the nearest-site assignment unless one is given).

        The solution is checked (:meth:`infeasibilities`; a failure is a bug and raises), its
        objective recomputed (:meth:`objective_of`; ``objective``, when given, must agree) and the
        status, bound and gap derived from them (:meth:`certify`); ``status`` only says why the
        search stopped.
        """
        prob = self.problem
        assignment = self.nearest_assignment(open_) if assignment is None else assignment
        wrong = self.infeasibilities(open_, assignment)
        value = self.objective_of(open_, assignment)
        if objective is not None and abs(objective - value) > 1e-6 * max(1.0, abs(value)):
            wrong.append(f"objective {objective!r} claimed, {value!r} recomputed")
        if wrong:
            raise RuntimeError(f"{self.name}: the solution found breaks the model ({'; '.join(wrong)}); "
                               "this is a bug in siting, please report it")
        details = dict(details or {})
        st, bound, gap = self.certify(value, bound, status, details)
        if method == "heuristic" and st == "optimal":
            details.setdefault("certified_by", "lagrangian bound")
        new = np.flatnonzero(open_ & ~prob.fixed)
        return AllocationResult(
            model=self.name, status=st, objective=value, bound=bound, gap=gap,
            selected=[str(x) for x in prob.candidate_ids[new]],
            fixed=[str(x) for x in prob.candidate_ids[np.flatnonzero(prob.fixed)]],
            assignment=assignment, coverage=self.coverage(open_), method=method,
            seconds=time.perf_counter() - t0, details=details,
        )

    # ------------------------------------------------------------------ solving
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
        return self._solve(SolveOptions(time_limit, method, max_mip_nnz, mip_rel_gap, verbose))

    def _solve(self, opts: SolveOptions) -> AllocationResult:  # pragma: no cover - each model has its own
        raise NotImplementedError
