"""Fast heuristics: greedy covering, swap search, Teitz–Bart and a Lagrangian p-median bound.

They give the MIP a good incumbent to start from, and serve alone when an
instance is too large for the MIP. Coverage heuristics work on the sparse
covering matrix; the p-median ones on each demand point's candidates sorted by
cost, scanned only as far as the current nearest / second-nearest facility
(compiled with numba), so one swap pass costs far less than the full matrix.
"""

from __future__ import annotations

import time
from typing import Any

import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching


def projects_fit(region_ok: np.ndarray | None, sites: list[int]) -> bool:
    """True when every project can be matched to its own site among ``sites`` (bipartite matching)."""
    if region_ok is None or not sites:
        return True
    sub = sp.csr_matrix(region_ok[:, sites].T.astype(np.int8))  # sites x projects
    match = maximum_bipartite_matching(sub, perm_type="column")
    return int((match >= 0).sum()) == len(sites)


def greedy_cover(
    A: sp.csr_matrix,
    w: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    *,
    p: int | None = None,
    target: float | None = None,
    region_ok: np.ndarray | None = None,
) -> list[int]:
    """Add the candidate that covers the most uncovered weight, until ``p`` sites or ``target`` weight.

    Parameters
    ----------
    A
        Covering matrix (demand group x candidate), 0/1.
    w
        Weight per row.
    fixed
        Candidates already open.
    allowed
        Candidates that may be added.
    p
        Number of sites to add (MCLP).
    target
        Covered weight to reach (LSCP: the total; "X % coverage" models); stops as soon as met.
    region_ok
        (project x candidate) allowed matrix; additions keep the projects matchable.

    Returns
    -------
    list of int
        The added candidates, in order.
    """
    A = sp.csr_matrix(A)
    csc = A.tocsc()
    covered = np.asarray(A[:, np.flatnonzero(fixed)].sum(axis=1)).ravel() > 0
    gains = np.asarray(A.T @ (w * ~covered)).ravel()
    gains[~allowed | fixed] = -np.inf
    done = float(w[covered].sum())
    chosen: list[int] = []
    limit = p if p is not None else int(allowed.sum())
    while len(chosen) < limit:
        if target is not None and done >= target - 1e-9:
            break
        order = np.argsort(-gains, kind="stable")
        j = -1
        for cand in order[: max(50, len(chosen) + 50)]:
            if not np.isfinite(gains[cand]):
                break
            if projects_fit(region_ok, [*chosen, int(cand)]):
                j = int(cand)
                break
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


def drop_redundant(A: sp.csr_matrix, fixed: np.ndarray, chosen: list[int]) -> list[int]:
    """Remove chosen sites whose every covered row is covered by another open site (latest first)."""
    csc = sp.csc_matrix(A)
    open_ = fixed.copy()
    open_[chosen] = True
    count = np.asarray(A[:, np.flatnonzero(open_)].sum(axis=1)).ravel()
    keep = list(chosen)
    for j in reversed(chosen):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        if (count[rows] >= 2).all():
            count[rows] -= 1
            keep.remove(j)
    return keep


def swap_cover(
    A: sp.csr_matrix,
    w: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    chosen: list[int],
    *,
    time_budget: float = 5.0,
    same_region: np.ndarray | None = None,
) -> list[int]:
    """Improve an MCLP solution by single swaps (drop one site, add the best other) until none helps.

    ``same_region`` (labels per candidate) limits swaps to one region, which keeps
    region-bound projects feasible.
    """
    A = sp.csr_matrix(A)
    csc = A.tocsc()
    open_ = fixed.copy()
    open_[chosen] = True
    count = np.asarray(A[:, np.flatnonzero(open_)].sum(axis=1)).ravel()
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
            mask = ~allowed | open_
            if same_region is not None:
                mask |= same_region != same_region[f]
            gains[mask] = -np.inf
            j = int(np.argmax(gains))
            if gains[j] > loss + eps:
                rows_j = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
                count[rows_j] += 1
                open_[f], open_[j] = False, True
                sel[sel.index(f)] = j
                improved = True
            else:
                count[rows_f] += 1
            if time.perf_counter() - t0 > time_budget:
                break
    return sel


# ---------------------------------------------------------------- p-median


def sorted_costs(D: np.ndarray, max_rank: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per demand row: candidate indices by increasing cost, and those costs (optionally the first ``max_rank``)."""
    if max_rank is not None and max_rank < D.shape[1]:
        part = np.argpartition(D, max_rank - 1, axis=1)[:, :max_rank]
        pc = np.take_along_axis(D, part, axis=1)
        o = np.argsort(pc, axis=1, kind="stable")
        order = np.take_along_axis(part, o, axis=1)
    else:
        order = np.argsort(D, axis=1, kind="stable")
    return order.astype(np.int32), np.take_along_axis(D, order, axis=1)


@numba.njit(cache=True)
def _nearest_two(order, sc, is_open, big):  # pragma: no cover - compiled
    n, k = sc.shape
    d1 = np.full(n, big)
    d2 = np.full(n, big)
    c1 = np.full(n, -1, np.int64)
    for i in range(n):
        found = 0
        for t in range(k):
            j = order[i, t]
            if is_open[j]:
                if found == 0:
                    d1[i] = sc[i, t]
                    c1[i] = j
                    found = 1
                else:
                    d2[i] = sc[i, t]
                    break
    return d1, c1, d2


@numba.njit(cache=True)
def _add_gain(order, sc, w, d1, m):  # pragma: no cover - compiled
    n, k = sc.shape
    gain = np.zeros(m)
    for i in range(n):
        for t in range(k):
            dij = sc[i, t]
            if dij >= d1[i]:
                break
            gain[order[i, t]] += w[i] * (d1[i] - dij)
    return gain


@numba.njit(cache=True)
def _swap_terms(order, sc, w, d1, c1, d2, pos, q, m):  # pragma: no cover - compiled
    n, k = sc.shape
    gain = np.zeros(m)
    loss = np.zeros(q)
    extra = np.zeros((m, q))
    for i in range(n):
        f = pos[c1[i]] if c1[i] >= 0 else -1
        if f >= 0:
            loss[f] += w[i] * (d2[i] - d1[i])
        for t in range(k):
            dij = sc[i, t]
            if dij >= d2[i]:
                break
            j = order[i, t]
            if dij < d1[i]:
                gain[j] += w[i] * (d1[i] - dij)
            if f >= 0:
                extra[j, f] += w[i] * (d2[i] - max(dij, d1[i]))
    return gain, loss, extra


def greedy_median(
    order: np.ndarray, sc: np.ndarray, w: np.ndarray, fixed: np.ndarray, allowed: np.ndarray, p: int, big: float,
    region_ok: np.ndarray | None = None,
) -> list[int]:
    """Greedy p-median: add the site that lowers the weighted cost most, ``p`` times."""
    m = len(fixed)
    is_open = fixed.copy()
    chosen: list[int] = []
    for _ in range(p):
        d1, _, _ = _nearest_two(order, sc, is_open, big)
        gain = _add_gain(order, sc, w, d1, m)
        gain[~allowed | is_open] = -np.inf
        j = -1
        for cand in np.argsort(-gain, kind="stable")[: len(chosen) + 50]:
            if np.isfinite(gain[cand]) and projects_fit(region_ok, [*chosen, int(cand)]):
                j = int(cand)
                break
        if j < 0:
            break
        chosen.append(j)
        is_open[j] = True
    return chosen


def teitz_bart(
    order: np.ndarray,
    sc: np.ndarray,
    w: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    chosen: list[int],
    big: float,
    *,
    time_budget: float = 20.0,
    same_region: np.ndarray | None = None,
) -> tuple[list[int], int]:
    """Vertex substitution (Teitz & Bart) with the fast swap evaluation of Whitaker / Resende–Werneck.

    Every pass evaluates all (add j, drop f) swaps at once and makes the best
    improving one, until no swap improves the weighted cost.

    Returns
    -------
    (chosen, swaps)
    """
    m = len(fixed)
    sel = list(chosen)
    q = len(sel)
    swaps = 0
    if q == 0:
        return sel, 0
    t0 = time.perf_counter()
    eps = 1e-10 * max(float(np.abs(sc[:, 0] * w).sum()), 1.0)
    while time.perf_counter() - t0 < time_budget:
        is_open = fixed.copy()
        is_open[sel] = True
        pos = np.full(m, -1, dtype=np.int64)
        pos[sel] = np.arange(q)
        d1, c1, d2 = _nearest_two(order, sc, is_open, big)
        gain, loss, extra = _swap_terms(order, sc, w, d1, c1, d2, pos, q, m)
        profit = gain[:, None] - loss[None, :] + extra
        bad = ~allowed | is_open
        profit[bad, :] = -np.inf
        if same_region is not None:
            profit[same_region[:, None] != same_region[np.asarray(sel)][None, :]] = -np.inf
        flat = int(np.argmax(profit))
        j, f = divmod(flat, q)
        if not profit[j, f] > eps:
            break
        sel[f] = j
        swaps += 1
    return sel, swaps


@numba.njit(cache=True)
def _lagrange_rho(order, sc, w, lam, m):  # pragma: no cover - compiled
    n, k = sc.shape
    rho = np.zeros(m)
    for i in range(n):
        for t in range(k):
            v = w[i] * sc[i, t] - lam[i]
            if v >= 0:
                break
            rho[order[i, t]] += v
    return rho


@numba.njit(cache=True)
def _lagrange_subgrad(order, sc, w, lam, is_open):  # pragma: no cover - compiled
    n, k = sc.shape
    g = np.ones(n)
    for i in range(n):
        for t in range(k):
            if w[i] * sc[i, t] - lam[i] >= 0:
                break
            if is_open[order[i, t]]:
                g[i] -= 1.0
    return g


def lagrangian_median_bound(
    order: np.ndarray,
    sc: np.ndarray,
    w: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    p: int,
    upper: float,
    lam0: np.ndarray,
    *,
    iterations: int = 400,
    time_budget: float = 10.0,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """A certified lower bound for the p-median by Lagrangian relaxation of the assignment rows.

    ``L(λ) = Σλ_i + Σ_{j open} ρ_j`` with ``ρ_j = Σ_i min(0, w_i d_ij − λ_i)``, the
    ``p`` most negative ``ρ`` among openable sites plus the fixed ones. Any λ gives
    a valid bound; subgradient steps (Held–Karp) tighten it. λ is capped at
    ``w_i`` times the last cost in each row's list, so pairs beyond the list never
    matter and the bound stays valid when only the nearest candidates are kept.

    Returns
    -------
    (bound, rho, pick, closed)
        The best bound, its ``ρ``, the sites it opens, and the candidates that
        cannot be open in any solution cheaper than ``upper`` (reduced-cost test).
    """
    m = len(fixed)
    cap = w * sc[:, -1]
    lam = np.minimum(np.asarray(lam0, dtype=float), cap)
    best = -np.inf
    best_rho = np.zeros(m)
    best_pick = np.empty(0, dtype=np.int64)
    theta = 2.0
    stall = 0
    t0 = time.perf_counter()
    cand = np.flatnonzero(allowed & ~fixed)
    for _ in range(iterations):
        rho = _lagrange_rho(order, sc, w, lam, m)
        pick = cand[np.argsort(rho[cand], kind="stable")[:p]]
        is_open = fixed.copy()
        is_open[pick] = True
        val = float(lam.sum() + rho[fixed].sum() + rho[pick].sum())
        if not np.isfinite(best) or val > best + 1e-12 * max(abs(best), 1.0):
            best, best_rho, best_pick = val, rho, pick
            stall = 0
        else:
            stall += 1
            if stall >= 15:
                theta /= 2
                stall = 0
        g = _lagrange_subgrad(order, sc, w, lam, is_open)
        norm = float(g @ g)
        if norm == 0 or theta < 1e-4 or upper - best <= 1e-9 * max(abs(upper), 1.0):
            break
        lam = np.clip(lam + theta * (upper - val) / norm * g, 0.0, cap)
        if time.perf_counter() - t0 > time_budget:
            break
    closed = np.zeros(m, dtype=bool)
    if 0 < len(best_pick) < len(cand):
        # opening j instead of the weakest pick raises the bound by rho_j - max(rho over pick)
        worst = float(best_rho[best_pick].max())
        out = np.setdiff1d(cand, best_pick)
        tol = 1e-9 * max(abs(upper), 1.0)
        closed[out[best + best_rho[out] - worst > upper + tol]] = True
    return best, best_rho, best_pick, closed


def lagrangian_cover_bound(
    G: sp.csr_matrix,
    w: np.ndarray,
    allowed: np.ndarray,
    p: int,
    lower: float,
    *,
    iterations: int = 300,
    time_budget: float = 5.0,
) -> tuple[float, np.ndarray, np.ndarray]:
    """A certified upper bound for the MCLP by Lagrangian relaxation of the covering rows.

    ``L(μ) = Σ_g max(0, w_g − μ_g) + (sum of the p largest σ_j)``, ``σ_j = Σ_{g ∋ j} μ_g``,
    over candidates that may open; any ``0 ≤ μ ≤ w`` gives a bound (the fixed sites'
    coverage is left out of ``G``, ``w`` and ``lower``). Subgradient steps lower it.

    Returns
    -------
    (bound, closed, opened)
        The best bound, and candidates that no solution better than ``lower`` can open
        (``closed``) or leave closed (``opened``), by the reduced-cost test.
    """
    G = sp.csr_matrix(G)
    GT = G.T.tocsr()
    m = G.shape[1]
    cand = np.flatnonzero(allowed)
    best = np.inf
    mu = 0.5 * w
    best_mu = mu
    theta = 2.0
    stall = 0
    t0 = time.perf_counter()
    p = min(p, len(cand))
    for _ in range(iterations):
        sigma = GT @ mu
        top = cand[np.argpartition(-sigma[cand], p - 1)[:p]] if p > 0 else np.empty(0, dtype=np.int64)
        z = w > mu
        val = float((w - mu)[z].sum() + sigma[top].sum())
        if not np.isfinite(best) or val < best - 1e-12 * max(abs(best), 1.0):
            best, best_mu = val, mu
            stall = 0
        else:
            stall += 1
            if stall >= 10:
                theta /= 2
                stall = 0
        y = np.zeros(m)
        y[top] = 1.0
        cnt = G @ y
        sub = cnt - z
        norm = float(sub @ sub)
        if norm == 0 or theta < 1e-4 or best - lower <= 1e-9 * max(abs(lower), 1.0):
            break
        mu = np.clip(mu - theta * (val - lower) / norm * sub, 0.0, w)
        if time.perf_counter() - t0 > time_budget:
            break
    sigma = GT @ best_mu
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    if 0 < p < len(cand):
        srt = np.sort(sigma[cand])[::-1]
        pth, nxt = srt[p - 1], srt[p]
        top = np.zeros(m, dtype=bool)
        top[cand[np.argsort(-sigma[cand], kind="stable")[:p]]] = True
        tol = 1e-9 * max(abs(lower), 1.0)
        cl = allowed & ~top & (best - pth + sigma < lower - tol)
        op = top & (best - sigma + nxt < lower - tol)
        closed[cl] = True
        opened[op] = True
    return best, closed, opened


def perturbed_swaps(
    order: np.ndarray,
    sc: np.ndarray,
    w: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    chosen: list[int],
    big: float,
    *,
    time_budget: float = 5.0,
    max_stall: int = 500,
    seed: int = 0,
) -> tuple[list[int], int]:
    """Iterated local search around a Teitz–Bart optimum: replace a few sites at random, swap again.

    A kick replaces ``max(1, p // 10)`` chosen sites with random allowed ones; the
    new local optimum is kept when it is cheaper. Stops after ``time_budget`` seconds
    or ``max_stall`` kicks in a row without improvement. Deterministic for a given ``seed``
    (up to the time budget).

    Returns
    -------
    (chosen, kicks)
    """
    rng = np.random.default_rng(seed)
    best = list(chosen)
    is_open = fixed.copy()
    is_open[best] = True
    best_cost = float(w @ _nearest_two(order, sc, is_open, big)[0])
    pool = np.flatnonzero(allowed & ~fixed)
    q = len(best)
    if q == 0 or len(pool) <= q:
        return best, 0
    t0 = time.perf_counter()
    kicks = 0
    stall = 0
    while time.perf_counter() - t0 < time_budget and stall < max_stall:
        trial = list(best)
        k = max(1, q // 10)
        out = rng.choice(q, size=k, replace=False)
        free = np.setdiff1d(pool, trial)
        new = rng.choice(free, size=k, replace=False)
        for o, j in zip(out, new):
            trial[int(o)] = int(j)
        left = time_budget - (time.perf_counter() - t0)
        trial, _ = teitz_bart(order, sc, w, fixed, allowed, trial, big, time_budget=max(left, 0.0))
        is_open = fixed.copy()
        is_open[trial] = True
        cost = float(w @ _nearest_two(order, sc, is_open, big)[0])
        kicks += 1
        stall += 1
        if cost < best_cost - 1e-12 * abs(best_cost):
            best, best_cost = trial, cost
            stall = 0
    return best, kicks


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
    theta = 2.0
    stall = 0
    t0 = time.perf_counter()
    m = G.shape[1]
    for _ in range(iterations):
        sigma = GT @ u
        y = (allowed & (sigma > 1.0)).astype(float)
        val = float(u.sum() + (y * (1.0 - sigma)).sum())
        if not np.isfinite(best) or val > best + 1e-12:
            best = val
            stall = 0
        else:
            stall += 1
            if stall >= 10:
                theta /= 2
                stall = 0
        sub = 1.0 - G @ y
        norm = float(sub @ sub)
        if norm == 0 or theta < 1e-4 or np.ceil(best - 1e-9) >= upper or time.perf_counter() - t0 > time_budget:
            break
        u = np.maximum(u + theta * (upper - val) / norm * sub, 0.0)
    del m
    return float(np.ceil(best - 1e-9))


# ---------------------------------------------------------------- capacitated models


def _knapsack(ri: np.ndarray, dj: np.ndarray, w: np.ndarray, rem: np.ndarray, cur: np.ndarray, capj: float,
              big: float) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What one site of capacity ``capj`` would take: (gain, take, amount, kind, demand row, cost) per item.

    Items are the unserved weight of each pair's demand (kind 0, value ``big - d``) and its
    weight served elsewhere at a higher cost (kind 1, value ``cur - d``), best value first.
    """
    n = len(ri)
    val = np.concatenate([big - dj, cur[ri] - dj])
    amt = np.concatenate([rem[ri], w[ri] - rem[ri]])
    kind = np.repeat([0, 1], n)
    who = np.concatenate([np.arange(n), np.arange(n)])
    ok = (val > 0) & (amt > 1e-12)
    val, amt, kind, who = val[ok], amt[ok], kind[ok], who[ok]
    s = np.argsort(-val, kind="stable")
    val, amt, kind, who = val[s], amt[s], kind[s], who[s]
    take = np.clip(capj - (np.cumsum(amt) - amt), 0.0, amt)
    return float(take @ val), take, amt, kind, ri[who], dj[who]


def greedy_capacitated(
    r: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    w: np.ndarray,
    cap: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    *,
    big: float,
    p: int | None = None,
    target: float | None = None,
    region_ok: np.ndarray | None = None,
) -> tuple[list[int], float]:
    """Open sites one by one by the value their capacity can add, filling each as it opens (lazy greedy).

    Demand ``i`` costs ``big`` per unit while unserved and ``d_ij`` once served by site ``j``.
    A site's gain is a fractional knapsack over its pairs: unserved weight (value
    ``big - d_ij``) and weight served elsewhere at a higher cost (value ``cur_i - d_ij``),
    taken best value first up to ``cap_j``. With ``big = 1`` and ``d = 0`` on covering pairs
    this is the capacitated MCLP greedy (served weight); with ``big`` above every cost it is a
    capacitated p-median greedy. Gains can only fall as sites open, so stale gains are upper
    bounds and only the top candidate is re-evaluated.

    Parameters
    ----------
    r, c, d
        The usable pairs (demand row, candidate, cost).
    w
        Weight per demand row.
    cap
        Capacity per candidate (the largest a site could get, e.g. with all its modules).
    fixed, allowed
        Candidates already open / that may be added.
    big
        Cost of unserved demand (above every ``d``).
    p, target
        Stop after ``p`` sites, or once ``target`` weight is served.
    region_ok
        (project x candidate) allowed matrix; additions keep the projects matchable.

    Returns
    -------
    (chosen, served)
        The added candidates in order, and the weight the greedy fill served.
    """
    import heapq

    m = len(cap)
    o = np.argsort(c, kind="stable")
    r, c, d = r[o], c[o], d[o]
    ptr = np.searchsorted(c, np.arange(m + 1))
    rem = np.asarray(w, dtype=float).copy()
    cur = np.full(len(w), float(big))

    def knapsack(j: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        a, b = ptr[j], ptr[j + 1]
        return _knapsack(r[a:b], d[a:b], w, rem, cur, float(cap[j]), big)

    def fill(j: int) -> None:
        _, take, amt, kind, ri, dj = knapsack(j)
        moved = (kind == 1) & (take >= amt - 1e-12) & (take > 0)
        cur[ri[moved]] = dj[moved]
        new = (kind == 0) & (take > 0)
        i_new = ri[new]
        served_before = w[i_new] - rem[i_new] > 1e-12
        cur[i_new] = np.where(served_before, np.maximum(cur[i_new], dj[new]), dj[new])
        np.subtract.at(rem, i_new, take[new])
        np.maximum(rem, 0.0, out=rem)

    for jf in np.flatnonzero(fixed):
        fill(int(jf))
    heap: list[tuple[float, int]] = [(-knapsack(int(j))[0], int(j)) for j in np.flatnonzero(allowed & ~fixed)]
    heapq.heapify(heap)
    chosen: list[int] = []
    limit = p if p is not None else len(heap)
    while heap and len(chosen) < limit:
        if target is not None and float((w - rem).sum()) >= target - 1e-9:
            break
        _, j = heapq.heappop(heap)
        g = knapsack(j)[0]
        if heap and g < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-g, j))  # stale: another site may gain more now
            continue
        if target is not None and g <= 0:
            break
        if not projects_fit(region_ok, [*chosen, j]):
            continue  # fits even less once more sites are open
        chosen.append(j)
        fill(j)
    return chosen, float((w - rem).sum())


def swap_capacitated(
    evaluate: Any,
    r: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    w: np.ndarray,
    cap: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    chosen: list[int],
    *,
    big: float,
    maximize: bool,
    time_budget: float = 5.0,
    top: int = 6,
    region_ok: np.ndarray | None = None,
) -> tuple[list[int], float | None, int]:
    """Improve capacitated sites by swaps, each priced exactly by ``evaluate`` (the best service from those sites).

    ``evaluate(sites)`` returns ``(objective or None when infeasible, rem, cur)``: the
    objective and, per demand row, the weight left unserved and the cost it is served at.
    From that state the ``top`` closed sites by knapsack gain (as in
    :func:`greedy_capacitated`) are tried in place of each open site; the first swap that
    improves the objective is made, until none does or the time is up.

    Returns
    -------
    (chosen, objective, swaps)
    """
    m = len(cap)
    o = np.argsort(c, kind="stable")
    r, c, d = r[o], c[o], d[o]
    ptr = np.searchsorted(c, np.arange(m + 1))
    sel = list(chosen)
    obj, rem, cur = evaluate(sel)
    if obj is None or not sel:
        return sel, obj, 0
    t0 = time.perf_counter()
    swaps = 0

    def better(a: float, b: float) -> bool:
        tol = 1e-9 * max(1.0, abs(b))
        return a > b + tol if maximize else a < b - tol

    improved = True
    while improved and time.perf_counter() - t0 < time_budget:
        improved = False
        pool = np.flatnonzero(allowed & ~fixed)
        pool = pool[~np.isin(pool, sel)]
        gains = np.array([_knapsack(r[ptr[j]: ptr[j + 1]], d[ptr[j]: ptr[j + 1]], w, rem, cur, float(cap[j]),
                                    big)[0] for j in pool])
        for j in pool[np.argsort(-gains, kind="stable")[:top]]:
            for f in list(sel):
                trial = [int(j) if x == f else x for x in sel]
                if not projects_fit(region_ok, trial):
                    continue
                t_obj, t_rem, t_cur = evaluate(trial)
                if t_obj is not None and better(t_obj, obj):
                    sel, obj, rem, cur = trial, t_obj, t_rem, t_cur
                    swaps += 1
                    improved = True
                    break
                if time.perf_counter() - t0 > time_budget:
                    return sel, obj, swaps
            if improved:
                break
    return sel, obj, swaps


# ---------------------------------------------------------------- p-center


def nearest_two_sparse(r: np.ndarray, c: np.ndarray, d: np.ndarray, is_open: np.ndarray, n: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per demand row, from the pairs: cost to the nearest open site, that site (-1: none), cost to the second."""
    keep = is_open[c]
    r, c, d = r[keep], c[keep], d[keep]
    o = np.lexsort((d, r))
    r, c, d = r[o], c[o], d[o]
    d1 = np.full(n, np.inf)
    d2 = np.full(n, np.inf)
    c1 = np.full(n, -1, dtype=np.int64)
    first = np.ones(len(r), dtype=bool)
    first[1:] = r[1:] != r[:-1]
    d1[r[first]] = d[first]
    c1[r[first]] = c[first]
    second = np.zeros(len(r), dtype=bool)
    second[1:] = first[:-1] & ~first[1:]
    d2[r[second]] = d[second]
    return d1, c1, d2


def farthest_first(r: np.ndarray, c: np.ndarray, d: np.ndarray, active: np.ndarray, fixed: np.ndarray,
                   allowed: np.ndarray, chosen: list[int], count: int, region_ok: np.ndarray | None = None
                   ) -> list[int]:
    """Add sites until ``count``: each time the site nearest to the worst-served demand point (Gonzalez).

    Sites that would leave the projects unmatchable are skipped; when the worst point has
    no such site within reach, any allowed site that fits is taken.
    """
    n, m = len(active), len(fixed)
    sel = list(chosen)
    if len(sel) >= count:
        return sel
    o = np.lexsort((d, r))
    rs, cs = r[o], c[o]
    rptr = np.searchsorted(rs, np.arange(n + 1))
    oc = np.argsort(c, kind="stable")
    rc, cc, dc = r[oc], c[oc], d[oc]
    cptr = np.searchsorted(cc, np.arange(m + 1))
    free = allowed & ~fixed
    is_open = fixed.copy()
    is_open[sel] = True
    d1 = nearest_two_sparse(r, c, d, is_open, n)[0]
    d1[~active] = -np.inf
    while len(sel) < count:
        i = int(np.argmax(d1))
        pick = -1
        for j in [*cs[rptr[i]: rptr[i + 1]].tolist(), *np.flatnonzero(free).tolist()]:
            if free[j] and not is_open[j] and projects_fit(region_ok, [*sel, int(j)]):
                pick = int(j)
                break
        if pick < 0:
            break
        sel.append(pick)
        is_open[pick] = True
        a, b = cptr[pick], cptr[pick + 1]
        hit = rc[a:b]
        d1[hit] = np.where(active[hit], np.minimum(d1[hit], dc[a:b]), d1[hit])
    return sel


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


def center_substitution(
    r: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    active: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    chosen: list[int],
    *,
    time_budget: float = 5.0,
    region_ok: np.ndarray | None = None,
) -> tuple[list[int], float, int]:
    """Vertex substitution for the p-center: swap one site for another while the largest cost falls.

    For dropping site ``f`` every demand point falls back to ``f``'s replacement or its next
    open site; a new site ``j`` can only beat the current radius R if it reaches, below R,
    every point whose fallback is at least R, which leaves few ``j`` to price exactly.

    Returns
    -------
    (chosen, radius, swaps)
    """
    n, m = len(active), len(fixed)
    sel = list(chosen)
    o = np.argsort(c, kind="stable")
    rc, cc, dc = r[o], c[o], d[o]
    ptr = np.searchsorted(cc, np.arange(m + 1))
    t0 = time.perf_counter()
    swaps = 0

    def radius_of(d1: np.ndarray) -> float:
        return float(d1[active].max()) if active.any() else 0.0

    is_open = fixed.copy()
    is_open[sel] = True
    d1, c1, d2 = nearest_two_sparse(r, c, d, is_open, n)
    best = radius_of(d1)
    while time.perf_counter() - t0 < time_budget:
        move: tuple[int, int] | None = None
        target = best
        for f in list(sel):
            base = np.where(c1 == f, d2, d1)
            base[~active] = -np.inf
            crit = base >= target
            k = int(crit.sum())
            hit = crit[r] & (d < target)
            cnt = np.bincount(c[hit], minlength=m)
            cands = np.flatnonzero((cnt == k) & allowed & ~is_open)
            for j in cands:
                trial = [int(j) if x == f else x for x in sel]
                if not projects_fit(region_ok, trial):
                    continue
                a, b = ptr[j], ptr[j + 1]
                v = base.copy()
                v[rc[a:b]] = np.minimum(v[rc[a:b]], dc[a:b])
                val = float(v.max())
                if val < target:
                    target, move = val, (f, int(j))
            if time.perf_counter() - t0 > time_budget:
                break
        if move is None:
            break
        f_out, j_in = move
        sel[sel.index(f_out)] = j_in
        is_open[f_out], is_open[j_in] = False, True
        d1, c1, d2 = nearest_two_sparse(r, c, d, is_open, n)
        best = radius_of(d1)
        swaps += 1
    return sel, best, swaps
