"""The MIPs of the allocation models, built block by block and handed to HiGHS in one call.

Every model's MIP is made of the same few blocks, each added by a named helper:

==========================  =============================================================
:func:`add_site_columns`    ``y_j``: candidate ``j`` is open (fixed sites forced open)
:func:`add_site_count`      ``Σ y_j = p`` over new sites, or the project placement
                            columns ``z_kj`` (project ``k`` on candidate ``j``) and rows
:func:`add_cover_rows`      every row of a covering matrix has an open site (LSCP, p-center)
:func:`add_covered_columns` ``u_g ≤ Σ_{j covers g} y_j``: group ``g`` counts as covered (MCLP)
:func:`add_link_rows`       ``x ≤ y``: a pair serves only from an open site (p-median, capacity)
:func:`add_radius_rows`     the p-median's cost by distance levels (the radius formulation)
==========================  =============================================================

:class:`LpIndex` says where each block of columns starts, so that a solution can be read back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching

from siting.allocation.mip import MipSolution, solve_mip
from siting.allocation.problem import AllocationProblem, listing
from siting.errors import SitingError


class LpBuilder:
    """Collects blocks of columns and of rows (COO) and hands them to HiGHS in one call."""

    def __init__(self) -> None:
        self.c: list[np.ndarray] = []
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.block_start: list[int] = []
        self.n_col = 0
        self.r: list[np.ndarray] = []
        self.k: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.rlo: list[np.ndarray] = []
        self.rhi: list[np.ndarray] = []
        self.n_row = 0

    def add_columns(self, cost: Any, lb: Any, ub: Any, integer: bool) -> int:
        """Add a block of columns (bounds broadcast to its length); return its first column."""
        cost = np.asarray(cost, dtype=float)
        n = len(cost)
        first = self.n_col
        self.c.append(cost)
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self.integer.append(np.full(n, integer))
        self.block_start.append(first)
        self.n_col += n
        return first

    def add_rows(self, r: Any, k: Any, v: Any, lo: Any, hi: Any, count: int) -> int:
        """Add ``count`` rows ``lo <= A x <= hi`` given as entries (row in the block, column, value)."""
        first = self.n_row
        r = np.asarray(r, dtype=np.int64)
        self.r.append(r + first)
        self.k.append(np.asarray(k, dtype=np.int64))
        self.v.append(np.broadcast_to(np.asarray(v, dtype=float), r.shape).copy())
        self.rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (count,)).copy())
        self.rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (count,)).copy())
        self.n_row += count
        return first

    def bounds(self, first: int) -> tuple[np.ndarray, np.ndarray]:
        """The (lower, upper) bounds of the block starting at column ``first``, to change in place."""
        b = self.block_start.index(first)
        return self.lb[b], self.ub[b]

    @property
    def nnz(self) -> int:
        return int(sum(len(r) for r in self.r))

    def solve(self, *, maximize: bool, start: np.ndarray | None, time_limit: float | None,
              mip_rel_gap: float, verbose: bool, relax: bool = False, cutoff: float | None = None,
              first_better: bool = False) -> MipSolution:
        """Solve with HiGHS; ``relax`` drops integrality (the LP relaxation, for a bound).

        ``cutoff``: only solutions better than it are of interest (HiGHS prunes the rest, and reports
        'infeasible' when there is none). ``first_better``: stop at the first solution found.
        """
        cat = np.concatenate
        A = sp.csr_matrix((cat(self.v), (cat(self.r), cat(self.k))), shape=(self.n_row, self.n_col))
        return solve_mip(
            cat(self.c), A, cat(self.rlo), cat(self.rhi), cat(self.lb), cat(self.ub),
            np.zeros(self.n_col, dtype=bool) if relax else cat(self.integer),
            maximize=maximize, time_limit=time_limit, mip_rel_gap=mip_rel_gap, start=start, verbose=verbose,
            options={**({} if cutoff is None else {"objective_bound": float(cutoff)}),
                     **({"mip_max_improving_sols": 1} if first_better else {})},
        )


def _empty() -> np.ndarray:
    return np.empty(0, np.int64)


@dataclass(frozen=True)
class ProjectColumns:
    """The placement columns: ``z[z0 + t] = 1`` puts project ``pairs_k[t]`` on candidate ``pairs_j[t]``.

    Without projects there are none (``z0 = -1``, empty pairs).
    """

    z0: int = -1
    pairs_k: np.ndarray = field(default_factory=_empty)
    pairs_j: np.ndarray = field(default_factory=_empty)

    def values(self, x: np.ndarray) -> np.ndarray:
        """The placement columns' values in a solution ``x``."""
        return x[self.z0: self.z0 + len(self.pairs_k)]


@dataclass(frozen=True)
class LpIndex:
    """Where each block of columns starts (-1: the model has no such block), and what the service columns mean.

    Attributes
    ----------
    y0
        Site columns, one per candidate.
    projects
        Project placement columns.
    x0
        Service columns, one per (demand row, site) pair: ``pair_row``, ``pair_site``, ``pair_cost``.
    m0
        Module columns, one per candidate.
    pair
        Per service column: its position among the model's pairs (they may be a subset).
    """

    y0: int
    projects: ProjectColumns = field(default_factory=ProjectColumns)
    x0: int = -1
    pair_row: np.ndarray = field(default_factory=_empty)
    pair_site: np.ndarray = field(default_factory=_empty)
    pair_cost: np.ndarray | None = None
    m0: int = -1
    pair: np.ndarray = field(default_factory=_empty)

    def open_sites(self, x: np.ndarray, n_candidates: int) -> np.ndarray:
        """Which candidates are open in a solution ``x``."""
        return x[self.y0: self.y0 + n_candidates] > 0.5

    def service(self, x: np.ndarray) -> np.ndarray:
        """The share of each pair's demand served in a solution ``x``."""
        return x[self.x0: self.x0 + len(self.pair_row)]


def add_site_columns(lp: LpBuilder, problem: AllocationProblem, cost: np.ndarray | float = 0.0) -> int:
    """Add ``y_j``, one binary per candidate: fixed sites forced open, sites that may not open closed."""
    return lp.add_columns(np.broadcast_to(np.asarray(cost, dtype=float), (problem.n_candidates,)),
                          problem.fixed.astype(float), (problem.fixed | problem.openable).astype(float), True)


def add_site_count(lp: LpBuilder, problem: AllocationProblem, y0: int, count: int | None,
                   sense: str = "eq") -> ProjectColumns:
    """Add 'count new sites' (``sense`` 'eq' or 'le'), or, with projects, their placement.

    With projects every project is placed once, on a candidate its regions allow, and an
    opened new site hosts exactly one project.
    """
    op = np.flatnonzero(problem.openable)
    ok = problem.region_allowed()
    if ok is None:
        if count is not None:
            lo = count if sense == "eq" else -np.inf
            lp.add_rows(np.zeros(len(op)), y0 + op, 1.0, lo, count, 1)
        return ProjectColumns()
    kk, jj = np.nonzero(ok)
    lonely = sorted(set(range(len(problem.projects or []))) - set(kk.tolist()))
    if lonely:
        names = [problem.projects[k].name for k in lonely]  # type: ignore[index]
        raise SitingError(f"no eligible candidate lies in the allowed regions of project(s) {listing(names, 10)}")
    z0 = lp.add_columns(np.zeros(len(kk)), 0.0, 1.0, True)
    zc = z0 + np.arange(len(kk))
    lp.add_rows(kk, zc, 1.0, 1.0, 1.0, ok.shape[0])  # every project placed once
    pos = np.full(problem.n_candidates, -1)
    pos[op] = np.arange(len(op))
    r = np.concatenate([pos[jj], np.arange(len(op))])
    c = np.concatenate([zc, y0 + op])
    v = np.concatenate([np.ones(len(kk)), -np.ones(len(op))])
    lp.add_rows(r, c, v, 0.0, 0.0, len(op))  # an opened new site hosts exactly one project
    return ProjectColumns(z0, kk, jj)


def add_cover_rows(lp: LpBuilder, G: sp.csr_matrix, y0: int) -> None:
    """Every row of the covering matrix ``G`` (rows x candidates) has at least one open site."""
    coo = G.tocoo()
    lp.add_rows(coo.row, y0 + coo.col, 1.0, 1.0, np.inf, G.shape[0])


def add_covered_columns(lp: LpBuilder, G: sp.csr_matrix, y0: int, weight: np.ndarray) -> int:
    """Add ``u_g`` (0..1) per row of ``G``, worth ``weight[g]``, with ``u_g ≤ Σ_{j covers g} y_j``; return its start."""
    g_n = G.shape[0]
    u0 = lp.add_columns(weight, 0.0, 1.0, False)
    coo = G.tocoo()
    lp.add_rows(np.concatenate([np.arange(g_n), coo.row]), np.concatenate([u0 + np.arange(g_n), y0 + coo.col]),
                np.concatenate([np.ones(g_n), -np.ones(len(coo.row))]), -np.inf, 0.0, g_n)
    return u0


def add_link_rows(lp: LpBuilder, x_cols: np.ndarray, y_cols: np.ndarray) -> None:
    """``x ≤ y`` for each (service column, site column) pair: demand is served only from open sites."""
    pair = np.arange(len(x_cols))
    lp.add_rows(np.concatenate([pair, pair]), np.concatenate([x_cols, y_cols]),
                np.concatenate([np.ones(len(pair)), -np.ones(len(pair))]), -np.inf, 0.0, len(pair))


@dataclass(frozen=True)
class RadiusColumns:
    """The radius formulation's columns: ``z[z0 + t]`` = 1 when level ``t``'s row has no open site within
    ``level_cost[t]``; the objective is ``constant + Σ cost·z``."""

    z0: int
    level_row: np.ndarray
    level_cost: np.ndarray
    constant: float

    def start(self, nearest: np.ndarray) -> np.ndarray:
        """Warm-start values of ``z`` for rows whose nearest open site costs ``nearest`` (per row)."""
        return (nearest[self.level_row] > self.level_cost + 1e-12 * np.abs(self.level_cost)).astype(float)


def add_radius_rows(lp: LpBuilder, y0: int, r: np.ndarray, c: np.ndarray, d: np.ndarray, w: np.ndarray
                    ) -> RadiusColumns:
    """The p-median cost of each row ``i`` as ``w_i (D_i^1 + Σ_k (D_i^{k+1} − D_i^k) z_ik)`` over its distinct costs.

    The radius (covering) formulation of Elloumi (2010) and García, Labbé and Marín (2011), chained:
    ``z_ik ≥ z_i,k−1 − Σ_{j: d_ij = D_i^k} y_j`` (``z_i0`` = 1), and the last level needs an open
    site: ``z_ik`` = 1 exactly when row ``i`` has no open site within ``D_i^k``. Distances that tie
    share a level, and each pair appears once, so the rows have as many non-zeros as the pairs
    plus twice the levels. Its LP bound is that of the classic formulation.
    """
    o = np.lexsort((d, r))
    r, c, d = r[o], c[o], d[o]
    new = np.ones(len(r), dtype=bool)
    new[1:] = (r[1:] != r[:-1]) | (d[1:] != d[:-1])
    lev = np.cumsum(new) - 1  # level of each pair
    lev_row, lev_d = r[new], d[new]
    n_lev = len(lev_row)
    first = np.ones(n_lev, dtype=bool)
    first[1:] = lev_row[1:] != lev_row[:-1]
    last = np.ones(n_lev, dtype=bool)
    last[:-1] = lev_row[1:] != lev_row[:-1]
    has_z = ~last
    step = np.zeros(n_lev)
    step[has_z] = lev_d[1:][has_z[:-1]] - lev_d[:-1][has_z[:-1]]
    z0 = lp.add_columns(w[lev_row[has_z]] * step[has_z], 0.0, 1.0, False)
    zcol = z0 + np.cumsum(has_z) - 1
    own = np.flatnonzero(has_z)
    prev = np.flatnonzero(~first)
    rows = np.concatenate([lev, own, prev])
    cols = np.concatenate([y0 + c, zcol[own], zcol[prev - 1]])
    vals = np.concatenate([np.ones(len(lev)), np.ones(len(own)), -np.ones(len(prev))])
    lp.add_rows(rows, cols, vals, first.astype(float), np.inf, n_lev)
    constant = float((w[lev_row[first]] * lev_d[first]).sum())
    return RadiusColumns(z0, lev_row[has_z], lev_d[has_z], constant)


def project_start(problem: AllocationProblem, projects: ProjectColumns, sel: list[int]) -> np.ndarray | None:
    """Placement column values putting every project on one of the sites ``sel`` (a bipartite matching), or None."""
    if not len(projects.pairs_k):
        return np.empty(0)
    ok = problem.region_allowed()
    assert ok is not None
    sub = sp.csr_matrix(ok[:, sel].astype(np.int8))
    match = maximum_bipartite_matching(sub, perm_type="column")  # project -> position in sel
    if (match < 0).any():
        return None
    z = np.zeros(len(projects.pairs_k))
    site = np.asarray(sel)[match]
    pairs = pd.MultiIndex.from_arrays([projects.pairs_k, projects.pairs_j])
    z[pairs.get_indexer(pd.MultiIndex.from_arrays([np.arange(len(site)), site]))] = 1.0
    return z


def placement(problem: AllocationProblem, projects: ProjectColumns, zval: np.ndarray | None) -> dict[str, str]:
    """Project name -> candidate id from placement column values (empty without projects)."""
    if zval is None or not len(projects.pairs_k) or not problem.projects:
        return {}
    on = zval > 0.5
    return {problem.projects[int(k)].name: str(problem.candidate_ids[int(j)])
            for k, j in zip(projects.pairs_k[on], projects.pairs_j[on])}
