"""p-median heuristics and bound: greedy, Teitz–Bart swaps, iterated swaps, a Lagrangian lower bound.

They work on each demand row's candidates sorted by cost (:func:`sorted_costs`), scanned only
as far as the current nearest / second-nearest open site, in loops compiled with numba, so
one swap pass costs far less than the full matrix. ``big`` stands for "no site within reach".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba
import numpy as np

from siting.allocation.heuristics.sites import SiteRules
from siting.allocation.heuristics.subgradient import SiteDual, SiteProblem, StepSize


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
    """Per demand row: cost of the nearest open site, that site (-1: none), cost of the second (``big``: none)."""
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


@dataclass(frozen=True)
class SortedCosts:
    """Each demand row's candidates by increasing cost, with the rows' weights.

    Attributes
    ----------
    order, costs
        Per row: candidate positions by increasing cost, and those costs (:func:`sorted_costs`).
    w
        Weight per row.
    big
        The cost that stands for "no site within reach" (above every real cost).
    """

    order: np.ndarray
    costs: np.ndarray
    w: np.ndarray
    big: float

    def nearest_two(self, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: cost of the nearest open site, that site (-1: none), cost of the second (``big``: none)."""
        return _nearest_two(self.order, self.costs, is_open, self.big)  # type: ignore[no-any-return]

    def total(self, is_open: np.ndarray) -> float:
        """The weighted cost of serving every row from its nearest open site."""
        return float(self.w @ self.nearest_two(is_open)[0])


def greedy_median(sc: SortedCosts, sites: SiteRules, p: int) -> list[int]:
    """Greedy p-median: add the site that lowers the weighted cost most, ``p`` times (keeping projects matchable)."""
    m = len(sites.fixed)
    is_open = sites.fixed.copy()
    chosen: list[int] = []
    for _ in range(p):
        d1, _, _ = sc.nearest_two(is_open)
        gain = _add_gain(sc.order, sc.costs, sc.w, d1, m)
        gain[~sites.allowed | is_open] = -np.inf
        j = -1
        for cand in np.argsort(-gain, kind="stable")[: len(chosen) + 50]:
            if np.isfinite(gain[cand]) and sites.fit([*chosen, int(cand)]):
                j = int(cand)
                break
        if j < 0:
            break
        chosen.append(j)
        is_open[j] = True
    return chosen


def teitz_bart(sc: SortedCosts, sites: SiteRules, chosen: list[int], *, time_budget: float = 20.0,
               same_region: np.ndarray | None = None) -> tuple[list[int], int]:
    """Vertex substitution (Teitz & Bart) with the fast swap evaluation of Whitaker / Resende–Werneck.

    Every pass evaluates all (add j, drop f) swaps at once and makes the best
    improving one, until no swap improves the weighted cost. ``same_region`` (labels per
    candidate) limits swaps to one region.

    Returns
    -------
    (chosen, swaps)
    """
    m = len(sites.fixed)
    sel = list(chosen)
    q = len(sel)
    swaps = 0
    if q == 0:
        return sel, 0
    t0 = time.perf_counter()
    eps = 1e-10 * max(float(np.abs(sc.costs[:, 0] * sc.w).sum()), 1.0)
    while time.perf_counter() - t0 < time_budget:
        is_open = sites.open_mask(sel)
        pos = np.full(m, -1, dtype=np.int64)
        pos[sel] = np.arange(q)
        d1, c1, d2 = sc.nearest_two(is_open)
        gain, loss, extra = _swap_terms(sc.order, sc.costs, sc.w, d1, c1, d2, pos, q, m)
        profit = gain[:, None] - loss[None, :] + extra
        profit[~sites.allowed | is_open, :] = -np.inf
        if same_region is not None:
            profit[same_region[:, None] != same_region[np.asarray(sel)][None, :]] = -np.inf
        j, f = divmod(int(np.argmax(profit)), q)
        if not profit[j, f] > eps:
            break
        sel[f] = j
        swaps += 1
    return sel, swaps


def perturbed_swaps(sc: SortedCosts, sites: SiteRules, chosen: list[int], *, time_budget: float = 5.0,
                    max_stall: int = 500, seed: int = 0) -> tuple[list[int], int]:
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
    best_cost = sc.total(sites.open_mask(best))
    pool = np.flatnonzero(sites.free)
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
        new = rng.choice(np.setdiff1d(pool, trial), size=k, replace=False)
        for o, j in zip(out, new):
            trial[int(o)] = int(j)
        left = time_budget - (time.perf_counter() - t0)
        trial, _ = teitz_bart(sc, sites, trial, time_budget=max(left, 0.0))
        cost = sc.total(sites.open_mask(trial))
        kicks += 1
        stall += 1
        if cost < best_cost - 1e-12 * abs(best_cost):
            best, best_cost = trial, cost
            stall = 0
    return best, kicks


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


def median_site_problem(sc: SortedCosts, sites: SiteRules, p: int) -> SiteProblem:
    """The p-median's Lagrangian relaxation (assignment rows relaxed) in the terms of :func:`site_lagrangian`.

    ``ρ_j = Σ_i min(0, w_i d_ij − λ_i)``; λ_i lies in ``[0, w_i × the last cost in row i's list]``,
    so pairs beyond the list never matter and the bound stays valid when only the nearest
    candidates are kept.
    """
    order, costs, w = sc.order, sc.costs, sc.w
    m = len(sites.fixed)
    return SiteProblem(
        values=lambda lam: _lagrange_rho(order, costs, w, lam, m),
        subgradient=lambda lam, is_open: _lagrange_subgrad(order, costs, w, lam, is_open),
        fixed=sites.fixed, free=sites.free, p=p, lam_lo=np.zeros(len(w)), lam_hi=w * costs[:, -1],
    )


def lagrangian_median_bound(sc: SortedCosts, sites: SiteRules, p: int, upper: float, lam0: np.ndarray, *,
                            iterations: int = 400, time_budget: float = 10.0) -> tuple[SiteDual, np.ndarray]:
    """A certified lower bound for the p-median by Lagrangian relaxation of the assignment rows.

    ``L(λ) = Σλ_i + Σ_{j open} ρ_j`` with ``ρ_j = Σ_i min(0, w_i d_ij − λ_i)``, the
    ``p`` most negative ``ρ`` among openable sites plus the fixed ones. Any λ gives
    a valid bound; subgradient steps (Held–Karp) tighten it. λ is capped at
    ``w_i`` times the last cost in each row's list, so pairs beyond the list never
    matter and the bound stays valid when only the nearest candidates are kept.

    Returns
    -------
    (dual, closed)
        The best bound with its multipliers, ``ρ`` and the sites it opens; and the candidates
        that cannot be open in any solution cheaper than ``upper`` (reduced-cost test).
    """
    order, costs, w, fixed = sc.order, sc.costs, sc.w, sites.fixed
    m = len(fixed)
    cap = w * costs[:, -1]
    lam = np.minimum(np.asarray(lam0, dtype=float), cap)
    best = -np.inf
    best_lam = lam
    best_rho = np.zeros(m)
    best_pick = np.empty(0, dtype=np.int64)
    step = StepSize(patience=15)
    t0 = time.perf_counter()
    cand = np.flatnonzero(sites.free)
    for _ in range(iterations):
        rho = _lagrange_rho(order, costs, w, lam, m)
        pick = cand[np.argsort(rho[cand], kind="stable")[:p]]
        val = float(lam.sum() + rho[fixed].sum() + rho[pick].sum())
        improved = not np.isfinite(best) or val > best + 1e-12 * max(abs(best), 1.0)
        if improved:
            best, best_lam, best_rho, best_pick = val, lam, rho, pick
        step.record(improved)
        g = _lagrange_subgrad(order, costs, w, lam, sites.open_mask(pick))
        norm = float(g @ g)
        if norm == 0 or step.theta < 1e-4 or upper - best <= 1e-9 * max(abs(upper), 1.0):
            break
        lam = np.clip(lam + step.theta * (upper - val) / norm * g, 0.0, cap)
        if time.perf_counter() - t0 > time_budget:
            break
    closed = np.zeros(m, dtype=bool)
    if 0 < len(best_pick) < len(cand):
        # opening j instead of the weakest pick raises the bound by rho_j - max(rho over pick)
        worst = float(best_rho[best_pick].max())
        out = np.setdiff1d(cand, best_pick)
        tol = 1e-9 * max(abs(upper), 1.0)
        closed[out[best + best_rho[out] - worst > upper + tol]] = True
    return SiteDual(best, best_lam, best_rho, best_pick), closed
