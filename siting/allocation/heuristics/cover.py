"""Covering heuristics and bounds on a sparse 0/1 covering matrix (demand rows x candidates).

Greedy covering, redundant-site removal and single swaps give LSCP / MCLP incumbents;
Lagrangian relaxations of the covering rows give certified bounds; a row packing gives a
quick lower bound on the sites a set cover needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numba
import numpy as np
import scipy.sparse as sp

from siting.allocation.heuristics.sites import SiteRules, open_mask
from siting.allocation.heuristics.subgradient import StepSize


def times_covered(A: sp.csr_matrix, is_open: np.ndarray) -> np.ndarray:
    """How many open sites cover each row of ``A``."""
    return np.asarray(A[:, np.flatnonzero(is_open)].sum(axis=1)).ravel()


def greedy_cover(A: sp.csr_matrix, w: np.ndarray, sites: SiteRules, *, p: int | None = None,
                 target: float | None = None) -> list[int]:
    """Add the candidate that covers the most uncovered weight, until ``p`` sites or ``target`` weight.

    Parameters
    ----------
    A
        Covering matrix (demand group x candidate), 0/1.
    w
        Weight per row.
    sites
        Sites open already and that may be added; additions keep the projects matchable.
    p
        Number of sites to add (MCLP).
    target
        Covered weight to reach (LSCP: the total; "X % coverage" models); stops as soon as met.

    Returns
    -------
    list of int
        The added candidates, in order.
    """
    A = sp.csr_matrix(A)
    csc = A.tocsc()
    covered = times_covered(A, sites.fixed) > 0
    gains = np.asarray(A.T @ (w * ~covered)).ravel()
    gains[~sites.allowed | sites.fixed] = -np.inf
    done = float(w[covered].sum())
    chosen: list[int] = []
    limit = p if p is not None else int(sites.allowed.sum())
    while len(chosen) < limit:
        if target is not None and done >= target - 1e-9:
            break
        j = _best_fitting(gains, chosen, sites)
        if j < 0:
            break
        if target is not None and gains[j] <= 0:
            break  # nothing more can be covered
        chosen.append(j)
        gains[j] = -np.inf
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        new = rows[~covered[rows]]
        if len(new):
            covered[new] = True
            done += float(w[new].sum())
            gains -= np.asarray(A[new].T @ w[new]).ravel()
    return chosen


def _best_fitting(gains: np.ndarray, chosen: list[int], sites: SiteRules) -> int:
    """The candidate of highest gain the projects still fit with (among the top few), or -1."""
    for cand in np.argsort(-gains, kind="stable")[: max(50, len(chosen) + 50)]:
        if not np.isfinite(gains[cand]):
            break
        if sites.fit([*chosen, int(cand)]):
            return int(cand)
    return -1


def drop_redundant(A: sp.csr_matrix, fixed: np.ndarray, chosen: list[int]) -> list[int]:
    """Remove chosen sites whose every covered row is covered by another open site (latest first)."""
    csc = sp.csc_matrix(A)
    count = times_covered(A, open_mask(fixed, chosen))
    keep = list(chosen)
    for j in reversed(chosen):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        if (count[rows] >= 2).all():
            count[rows] -= 1
            keep.remove(j)
    return keep


def swap_cover(A: sp.csr_matrix, w: np.ndarray, sites: SiteRules, chosen: list[int], *, time_budget: float = 5.0,
               same_region: np.ndarray | None = None) -> list[int]:
    """Improve an MCLP solution by single swaps (drop one site, add the best other) until none helps.

    ``same_region`` (labels per candidate) limits swaps to one region, which keeps
    region-bound projects feasible.
    """
    A = sp.csr_matrix(A)
    csc = A.tocsc()
    is_open = sites.open_mask(chosen)
    count = times_covered(A, is_open)
    sel = list(chosen)
    t0 = time.perf_counter()
    eps = 1e-9 * max(float(w.sum()), 1.0)
    improved = True
    while improved and time.perf_counter() - t0 < time_budget:
        improved = False
        for f in list(sel):
            rows_f = csc.indices[csc.indptr[f] : csc.indptr[f + 1]]
            loss = float(w[rows_f[count[rows_f] == 1]].sum())
            count[rows_f] -= 1
            gains = np.asarray(A.T @ (w * (count == 0))).ravel()
            mask = ~sites.allowed | is_open
            if same_region is not None:
                mask |= same_region != same_region[f]
            gains[mask] = -np.inf
            j = int(np.argmax(gains))
            if gains[j] > loss + eps:
                rows_j = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
                count[rows_j] += 1
                is_open[f], is_open[j] = False, True
                sel[sel.index(f)] = j
                improved = True
            else:
                count[rows_f] += 1
            if time.perf_counter() - t0 > time_budget:
                break
    return sel


def perturbed_cover_swaps(A: sp.csr_matrix, w: np.ndarray, sites: SiteRules, chosen: list[int], *,
                          time_budget: float = 5.0, seed: int = 0, value: Callable[[list[int]], float] | None = None,
                          max_stall: int | None = None) -> tuple[list[int], int]:
    """Iterated local search for the MCLP: replace a few sites at random, swap to a local optimum, keep it when
    it is worth more. Deterministic for a given ``seed`` (up to the time budget); no projects.

    ``value`` prices a local optimum (default: the weight it covers); a capacitated model passes the
    weight its sites serve within capacity, so the swaps stay cheap and the choice among their local
    optima follows the real objective. ``max_stall`` ends the search after that many kicks without gain.

    Returns
    -------
    (chosen, kicks)
    """
    rng = np.random.default_rng(seed)
    A = sp.csr_matrix(A)
    best = list(chosen)
    pool = np.flatnonzero(sites.free)
    q = len(best)
    if q == 0 or len(pool) <= q:
        return best, 0

    def covered(sel: list[int]) -> float:
        return float(w[times_covered(A, sites.open_mask(sel)) > 0].sum())

    price = value or covered
    best_v = price(best)
    t0 = time.perf_counter()
    kicks = stall = 0
    while time.perf_counter() - t0 < time_budget and (max_stall is None or stall < max_stall):
        trial = list(best)
        k = max(1, q // 10)
        for o, j in zip(rng.choice(q, size=k, replace=False), rng.choice(np.setdiff1d(pool, trial), size=k,
                                                                           replace=False)):
            trial[int(o)] = int(j)
        trial = swap_cover(A, w, sites, trial, time_budget=max(0.0, time_budget - (time.perf_counter() - t0)))
        kicks, stall = kicks + 1, stall + 1
        v = price(trial)
        if v > best_v + 1e-9 * max(1.0, abs(best_v)):
            best, best_v, stall = trial, v, 0
    return best, kicks


def packing_count(G: sp.csr_matrix) -> int:
    """Rows of ``G`` no two of which share a column, picked greedily (smallest rows first).

    Each needs its own site, so this many sites at least are needed to cover ``G``: a quick
    lower bound for set covering (a feasible dual of its LP).
    """
    G = sp.csr_matrix(G)
    used = np.zeros(G.shape[1], dtype=bool)
    count = 0
    for i in np.argsort(np.diff(G.indptr), kind="stable"):
        cols = G.indices[G.indptr[i]: G.indptr[i + 1]]
        if not used[cols].any():
            used[cols] = True
            count += 1
    return count


def lagrangian_lscp_bound(G: sp.csr_matrix, allowed: np.ndarray, upper: float, *, iterations: int = 300,
                          time_budget: float = 5.0) -> float:
    """A certified lower bound on the number of sites an LSCP needs (rows of ``G`` must each be covered).

    ``L(u) = Σ_g u_g + Σ_j min(0, 1 − σ_j)``, ``σ_j = Σ_{g ∋ j} u_g`` over the sites that may
    open, for any ``u ≥ 0``; subgradient steps raise it. The objective is a count, so the
    bound returned is rounded up.
    """
    G = sp.csr_matrix(G)
    if G.shape[0] == 0:
        return 0.0
    GT = G.T.tocsr()
    deg = np.asarray(G.sum(axis=1)).ravel()
    u = 1.0 / np.maximum(deg, 1.0)
    best = -np.inf
    step = StepSize(patience=10)
    t0 = time.perf_counter()
    for _ in range(iterations):
        sigma = GT @ u
        y = (allowed & (sigma > 1.0)).astype(float)
        val = float(u.sum() + (y * (1.0 - sigma)).sum())
        improved = not np.isfinite(best) or val > best + 1e-12
        if improved:
            best = val
        step.record(improved)
        sub = 1.0 - G @ y
        norm = float(sub @ sub)
        if norm == 0 or step.theta < 1e-4 or np.ceil(best - 1e-9) >= upper or time.perf_counter() - t0 > time_budget:
            break
        u = np.maximum(u + step.theta * (upper - val) / norm * sub, 0.0)
    return float(np.ceil(best - 1e-9))


def lagrangian_cover_bound(
    G: sp.csr_matrix,
    w: np.ndarray,
    allowed: np.ndarray,
    p: int,
    lower: float,
    *,
    iterations: int = 300,
    time_budget: float = 5.0,
    patience: int = 10,
    momentum: float = 0.0,
    mu0: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """A certified upper bound for the MCLP by Lagrangian relaxation of the covering rows.

    ``L(μ) = Σ_g max(0, w_g − μ_g) + (sum of the p largest σ_j)``, ``σ_j = Σ_{g ∋ j} μ_g``,
    over candidates that may open; any ``0 ≤ μ ≤ w`` gives a bound (the fixed sites'
    coverage is left out of ``G``, ``w`` and ``lower``). Subgradient steps lower it; with
    ``momentum`` each step follows the previous direction in part (a deflected subgradient,
    which zig-zags less when the groups overlap heavily), from ``mu0`` (default ``w / 2``).

    Returns
    -------
    (bound, closed, opened, mu)
        The best bound, candidates that no solution better than ``lower`` can open
        (``closed``) or leave closed (``opened``), by the reduced-cost test, and the multipliers.
    """
    G = sp.csr_matrix(G)
    GT = G.T.tocsr()
    m = G.shape[1]
    cand = np.flatnonzero(allowed)
    best = np.inf
    mu = 0.5 * w if mu0 is None else np.clip(mu0, 0.0, w)
    best_mu = mu
    step = StepSize(patience=patience)
    direction: np.ndarray | None = None
    t0 = time.perf_counter()
    p = min(p, len(cand))
    for _ in range(iterations):
        sigma = GT @ mu
        top = cand[np.argpartition(-sigma[cand], p - 1)[:p]] if p > 0 else np.empty(0, dtype=np.int64)
        z = w > mu
        val = float((w - mu)[z].sum() + sigma[top].sum())
        improved = not np.isfinite(best) or val < best - 1e-12 * max(abs(best), 1.0)
        if improved:
            best, best_mu = val, mu
        step.record(improved)
        y = np.zeros(m)
        y[top] = 1.0
        sub = G @ y - z
        if momentum > 0 and direction is not None:
            sub = (1 - momentum) * sub + momentum * direction
        direction = sub
        norm = float(sub @ sub)
        if norm == 0 or step.theta < 1e-4 or best - lower <= 1e-9 * max(abs(lower), 1.0):
            break
        mu = np.clip(mu - step.theta * (val - lower) / norm * sub, 0.0, w)
        if time.perf_counter() - t0 > time_budget:
            break
    closed, opened = _cover_reduced_cost_test(GT @ best_mu, allowed, p, best, lower)
    # μ = 0 gives Σ w (all covered): when p sites nearly cover everything the steps, aimed at
    # ``lower``, can stall above it (MCLP 50,000 x 1,000 at 3 km: 1 % above).
    return min(best, float(w.sum())), closed, opened, best_mu


def _cover_reduced_cost_test(sigma: np.ndarray, allowed: np.ndarray, p: int, best: float, lower: float
                             ) -> tuple[np.ndarray, np.ndarray]:
    """(closed, opened): sites whose flip would push the bound ``best`` below ``lower``."""
    m = len(sigma)
    cand = np.flatnonzero(allowed)
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    if 0 < p < len(cand):
        srt = np.sort(sigma[cand])[::-1]
        pth, nxt = srt[p - 1], srt[p]
        top = np.zeros(m, dtype=bool)
        top[cand[np.argsort(-sigma[cand], kind="stable")[:p]]] = True
        tol = 1e-9 * max(abs(lower), 1.0)
        closed[allowed & ~top & (best - pth + sigma < lower - tol)] = True
        opened[top & (best - sigma + nxt < lower - tol)] = True
    return closed, opened


@numba.njit(cache=True)
def _superset_rows(ptr, idx, cptr, cidx, alive):  # pragma: no cover - compiled
    """Rows (of a CSR 0/1 matrix, ``cptr``/``cidx`` its transpose) that contain all the columns of another alive row:
    covering that smaller row covers them too. Rows are taken shortest first; equal rows keep the first."""
    n = len(ptr) - 1
    length = ptr[1:] - ptr[:-1]
    drop = np.zeros(n, np.bool_)
    mark = np.full(len(cptr) - 1, -1, np.int64)
    for s in np.argsort(length, kind="mergesort"):
        if drop[s] or not alive[s]:
            continue
        rare, best = -1, 1 << 60
        for t in range(ptr[s], ptr[s + 1]):
            j = idx[t]
            mark[j] = s
            if cptr[j + 1] - cptr[j] < best:
                rare, best = j, cptr[j + 1] - cptr[j]
        if rare < 0:
            continue
        for u in range(cptr[rare], cptr[rare + 1]):
            r = cidx[u]
            if r == s or drop[r] or not alive[r] or length[r] < length[s]:
                continue
            if length[r] == length[s] and r < s:
                continue
            inside = 0
            for t in range(ptr[r], ptr[r + 1]):
                if mark[idx[t]] == s:
                    inside += 1
            if inside == length[s]:
                drop[r] = True
    return drop


@numba.njit(cache=True)
def _subset_rows(ptr, idx, cptr, cidx):  # pragma: no cover - compiled
    """Rows whose columns all lie in another row that stays: longest first; of equal rows the first stays."""
    n = len(ptr) - 1
    length = ptr[1:] - ptr[:-1]
    drop = np.zeros(n, np.bool_)
    mark = np.full(len(cptr) - 1, -1, np.int64)
    for s in np.argsort(-length, kind="mergesort"):
        rare, best = -1, 1 << 60
        for t in range(ptr[s], ptr[s + 1]):
            j = idx[t]
            mark[j] = s
            if cptr[j + 1] - cptr[j] < best:
                rare, best = j, cptr[j + 1] - cptr[j]
        if rare < 0:
            drop[s] = True  # an empty row lies in any other
            continue
        for u in range(cptr[rare], cptr[rare + 1]):
            r = cidx[u]
            if r == s or drop[r] or length[r] < length[s] or (length[r] == length[s] and r > s):
                continue
            inside = 0
            for t in range(ptr[r], ptr[r + 1]):
                if mark[idx[t]] == s:
                    inside += 1
            if inside == length[s]:
                drop[s] = True
                break
    return drop


def _csr_pair(A: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    A = sp.csr_matrix(A)
    A.sort_indices()
    T = A.T.tocsr()
    T.sort_indices()
    return (A.indptr.astype(np.int64), A.indices.astype(np.int64), T.indptr.astype(np.int64),
            T.indices.astype(np.int64))


def dominated(A: sp.csr_matrix, alive: np.ndarray) -> np.ndarray:
    """Rows of the 0/1 matrix ``A`` whose set of columns contains that of another ``alive`` row (one of two equal rows)."""
    return _superset_rows(*_csr_pair(A), np.asarray(alive, dtype=np.bool_))  # type: ignore[no-any-return]


def contained(A: sp.csr_matrix) -> np.ndarray:
    """Rows of the 0/1 matrix ``A`` whose set of columns lies in another's that stays (one of two equal rows)."""
    return _subset_rows(*_csr_pair(A))  # type: ignore[no-any-return]


def reduce_cover(G: sp.csr_matrix, allowed: np.ndarray, *, rows: bool = True, rounds: int = 5
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns a covering problem can do without: (rows kept, columns kept).

    A row whose covering set contains another row's is covered whenever that one is (dropped
    only when ``rows``: a set cover, not a weighted coverage); a column whose rows all lie in
    another allowed column's can be replaced by it at the same cost (of two equal columns the
    first stays). Repeated while either shrinks, up to ``rounds`` times.
    """
    G = sp.csr_matrix(G)
    keep_r = np.ones(G.shape[0], dtype=bool)
    keep_c = np.asarray(allowed, dtype=bool).copy()
    for _ in range(rounds):
        sub = G[:, keep_c] if rows else G
        drop_r = dominated(sub, keep_r) if rows else np.zeros(G.shape[0], dtype=bool)
        keep_r &= ~drop_r
        cols = np.flatnonzero(keep_c)
        drop_c = contained(sp.csr_matrix(G[keep_r][:, cols].T))
        keep_c[cols[drop_c]] = False
        if not drop_r.any() and not drop_c.any():
            break
    return keep_r, keep_c
