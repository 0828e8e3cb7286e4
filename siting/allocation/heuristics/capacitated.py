"""Capacitated heuristics: open sites by the value their capacity can add, then swap them.

Demand row ``i`` costs ``big`` per unit while unserved and ``d_ij`` once served by site ``j``.
A site's value is a fractional knapsack over its pairs (:func:`knapsack`): unserved weight
(value ``big - d_ij``) and weight served elsewhere at a higher cost (value ``cur_i - d_ij``),
taken best value first up to the site's capacity. With ``big = 1`` and ``d = 0`` on covering
pairs this is the capacitated MCLP (served weight); with ``big`` above every cost a capacitated
p-median.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from siting.allocation.heuristics.sites import PairsBySite, projects_fit


@dataclass(frozen=True)
class Service:
    """The best service from a set of sites: its objective and, per demand row, the weight left
    unserved and the highest cost it is served at (``big`` when unserved)."""

    objective: float
    unserved: np.ndarray
    cost: np.ndarray


#: Prices a set of sites exactly: their best :class:`Service`, or None when they cannot serve as required.
Evaluate = Callable[[list[int]], "Service | None"]


def improves(a: float, b: float, maximize: bool) -> bool:
    """True when objective ``a`` beats ``b`` by more than a relative 1e-9."""
    tol = 1e-9 * max(1.0, abs(b))
    return a > b + tol if maximize else a < b - tol


def knapsack(ri: np.ndarray, dj: np.ndarray, w: np.ndarray, rem: np.ndarray, cur: np.ndarray, capj: float,
             big: float) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What one site of capacity ``capj`` would take: (gain, take, amount, kind, demand row, cost) per item.

    ``ri``, ``dj`` are the site's pairs (demand row, cost); ``rem`` the weight each row has
    unserved, ``cur`` the highest cost it is served at. Items are the unserved weight of each
    pair's demand (kind 0, value ``big - d``) and its weight served elsewhere at a higher cost
    (kind 1, value ``cur - d``), best value first.
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


class _GreedyFill:
    """The greedy's state: weight each row has unserved (``rem``) and the highest cost it is served at (``cur``)."""

    def __init__(self, pairs: PairsBySite, w: np.ndarray, cap: np.ndarray, big: float) -> None:
        self.pairs, self.w, self.cap, self.big = pairs, w, cap, big
        self.rem = np.asarray(w, dtype=float).copy()
        self.cur = np.full(len(w), float(big))

    def knapsack(self, j: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        at = self.pairs.at(j)
        return knapsack(self.pairs.rows[at], self.pairs.costs[at], self.w, self.rem, self.cur, float(self.cap[j]),
                        self.big)

    def fill(self, j: int) -> None:
        """Open site ``j``: it takes what its knapsack takes."""
        _, take, amt, kind, ri, dj = self.knapsack(j)
        cur, rem, w = self.cur, self.rem, self.w
        moved = (kind == 1) & (take >= amt - 1e-12) & (take > 0)
        cur[ri[moved]] = dj[moved]
        new = (kind == 0) & (take > 0)
        i_new = ri[new]
        served_before = w[i_new] - rem[i_new] > 1e-12
        cur[i_new] = np.where(served_before, np.maximum(cur[i_new], dj[new]), dj[new])
        np.subtract.at(rem, i_new, take[new])
        np.maximum(rem, 0.0, out=rem)

    def served(self) -> float:
        return float((self.w - self.rem).sum())


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

    Gains can only fall as sites open, so stale gains are upper bounds and only the top
    candidate is re-evaluated.

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
    state = _GreedyFill(PairsBySite.of(r, c, d, len(cap)), w, cap, big)
    for jf in np.flatnonzero(fixed):
        state.fill(int(jf))
    heap: list[tuple[float, int]] = [(-state.knapsack(int(j))[0], int(j)) for j in np.flatnonzero(allowed & ~fixed)]
    heapq.heapify(heap)
    chosen: list[int] = []
    limit = p if p is not None else len(heap)
    while heap and len(chosen) < limit:
        if target is not None and state.served() >= target - 1e-9:
            break
        _, j = heapq.heappop(heap)
        g = state.knapsack(j)[0]
        if heap and g < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-g, j))  # stale: another site may gain more now
            continue
        if target is not None and g <= 0:
            break
        if not projects_fit(region_ok, [*chosen, j]):
            continue  # fits even less once more sites are open
        chosen.append(j)
        state.fill(j)
    return chosen, state.served()


def swap_capacitated(
    evaluate: Evaluate,
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

    From the service of the current sites the ``top`` closed sites by knapsack gain (as in
    :func:`greedy_capacitated`) are tried in place of each open site; the first swap that
    improves the objective is made, until none does or the time is up.

    Returns
    -------
    (chosen, objective, swaps)
        The objective is None when ``chosen`` cannot serve as required.
    """
    pairs = PairsBySite.of(r, c, d, len(cap))
    sel = list(chosen)
    best = evaluate(sel)
    if best is None or not sel:
        return sel, None if best is None else best.objective, 0
    t0 = time.perf_counter()
    swaps = 0
    improved = True
    while improved and time.perf_counter() - t0 < time_budget:
        improved = False
        pool = np.flatnonzero(allowed & ~fixed)
        pool = pool[~np.isin(pool, sel)]
        gains = np.array([knapsack(pairs.rows[pairs.at(j)], pairs.costs[pairs.at(j)], w, best.unserved, best.cost,
                                   float(cap[j]), big)[0] for j in pool])
        for j in pool[np.argsort(-gains, kind="stable")[:top]]:
            for f in list(sel):
                trial = [int(j) if x == f else x for x in sel]
                if not projects_fit(region_ok, trial):
                    continue
                service = evaluate(trial)
                if service is not None and improves(service.objective, best.objective, maximize):
                    sel, best = trial, service
                    swaps += 1
                    improved = True
                    break
                if time.perf_counter() - t0 > time_budget:
                    return sel, best.objective, swaps
            if improved:
                break
    return sel, best.objective, swaps
