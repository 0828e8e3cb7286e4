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

import numba
import numpy as np

from siting.allocation.heuristics.sites import Pairs, PairsBySite, SiteRules


@dataclass(frozen=True)
class CapacitatedPairs:
    """What the sites' knapsacks work on: the pairs, each demand row's weight ``w``, each site's
    capacity ``cap`` (the most it could get, e.g. with all its modules) and ``big``, the cost of
    unserved demand (above every pair's cost)."""

    pairs: Pairs
    w: np.ndarray
    cap: np.ndarray
    big: float

    def gain(self, by_site: PairsBySite, j: int | np.integer, rem: np.ndarray, cur: np.ndarray) -> float:
        """What site ``j`` would add from the state (``rem``, ``cur``) (:func:`knapsack`)."""
        at = by_site.at(j)
        return knapsack(by_site.rows[at], by_site.costs[at], self.w, rem, cur, float(self.cap[j]), self.big)[0]


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

    def __init__(self, inst: CapacitatedPairs) -> None:
        self.inst = inst
        self.by_site = inst.pairs.by_site(len(inst.cap))
        self.rem = np.asarray(inst.w, dtype=float).copy()
        self.cur = np.full(len(inst.w), float(inst.big))

    def gain(self, j: int) -> float:
        return self.inst.gain(self.by_site, j, self.rem, self.cur)

    def fill(self, j: int) -> None:
        """Open site ``j``: it takes what its knapsack takes."""
        at, inst = self.by_site.at(j), self.inst
        _, take, amt, kind, ri, dj = knapsack(self.by_site.rows[at], self.by_site.costs[at], inst.w, self.rem,
                                              self.cur, float(inst.cap[j]), inst.big)
        cur, rem, w = self.cur, self.rem, inst.w
        moved = (kind == 1) & (take >= amt - 1e-12) & (take > 0)
        cur[ri[moved]] = dj[moved]
        new = (kind == 0) & (take > 0)
        i_new = ri[new]
        served_before = w[i_new] - rem[i_new] > 1e-12
        cur[i_new] = np.where(served_before, np.maximum(cur[i_new], dj[new]), dj[new])
        np.subtract.at(rem, i_new, take[new])
        np.maximum(rem, 0.0, out=rem)

    def served(self) -> float:
        return float((self.inst.w - self.rem).sum())


def greedy_capacitated(inst: CapacitatedPairs, sites: SiteRules, *, p: int | None = None,
                       target: float | None = None) -> tuple[list[int], float]:
    """Open sites one by one by the value their capacity can add, filling each as it opens (lazy greedy).

    Gains can only fall as sites open, so stale gains are upper bounds and only the top
    candidate is re-evaluated. Stops after ``p`` sites, or once ``target`` weight is served;
    additions keep the projects matchable.

    Returns
    -------
    (chosen, served)
        The added candidates in order, and the weight the greedy fill served.
    """
    state = _GreedyFill(inst)
    for jf in np.flatnonzero(sites.fixed):
        state.fill(int(jf))
    heap: list[tuple[float, int]] = [(-state.gain(int(j)), int(j)) for j in np.flatnonzero(sites.free)]
    heapq.heapify(heap)
    chosen: list[int] = []
    limit = p if p is not None else len(heap)
    while heap and len(chosen) < limit:
        if target is not None and state.served() >= target - 1e-9:
            break
        _, j = heapq.heappop(heap)
        g = state.gain(j)
        if heap and g < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-g, j))  # stale: another site may gain more now
            continue
        if target is not None and g <= 0:
            break
        if not sites.fit([*chosen, j]):
            continue  # fits even less once more sites are open
        chosen.append(j)
        state.fill(j)
    return chosen, state.served()


def swap_capacitated(evaluate: Evaluate, inst: CapacitatedPairs, sites: SiteRules, chosen: list[int], *,
                     maximize: bool, time_budget: float = 5.0, top: int = 6) -> tuple[list[int], float | None, int]:
    """Improve capacitated sites by swaps, each priced exactly by ``evaluate`` (the best service from those sites).

    From the service of the current sites the ``top`` closed sites by knapsack gain (as in
    :func:`greedy_capacitated`) are tried in place of each open site; the first swap that
    improves the objective is made, until none does or the time is up.

    Returns
    -------
    (chosen, objective, swaps)
        The objective is None when ``chosen`` cannot serve as required.
    """
    by_site = inst.pairs.by_site(len(inst.cap))
    sel = list(chosen)
    best = evaluate(sel)
    if best is None or not sel:
        return sel, None if best is None else best.objective, 0
    t0 = time.perf_counter()
    swaps = 0
    improved = True
    while improved and time.perf_counter() - t0 < time_budget:
        improved = False
        pool = np.flatnonzero(sites.free)
        pool = pool[~np.isin(pool, sel)]
        gains = np.array([inst.gain(by_site, j, best.unserved, best.cost) for j in pool])
        for j in pool[np.argsort(-gains, kind="stable")[:top]]:
            for f in list(sel):
                trial = [int(j) if x == f else x for x in sel]
                if not sites.fit(trial):
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


@numba.njit(cache=True)
def _regret_assign(cost, load, cap):  # pragma: no cover - compiled
    """Single-source assignment of rows to sites (``cost``: rows x sites, inf where impossible): the row with
    the largest regret (second-best feasible cost minus best) goes to its best site first. -1: unassigned."""
    n, k = cost.shape
    rem = cap.copy()
    site = np.full(n, -1, np.int64)
    done = np.zeros(n, np.bool_)
    for _ in range(n):
        pick, pick_site, pick_regret = -1, -1, -1.0
        for i in range(n):
            if done[i]:
                continue
            b1, b2, s1 = np.inf, np.inf, -1
            for s in range(k):
                c = cost[i, s]
                if c < np.inf and rem[s] >= load[i] - 1e-9:
                    if c < b1:
                        b2, b1, s1 = b1, c, s
                    elif c < b2:
                        b2 = c
            if s1 < 0:
                continue
            regret = (b2 - b1) if b2 < np.inf else 1e300
            if regret > pick_regret or (regret == pick_regret and load[i] > load[pick]):
                pick, pick_site, pick_regret = i, s1, regret
        if pick < 0:
            break
        site[pick] = pick_site
        rem[pick_site] -= load[pick]
        done[pick] = True
    return site, rem


@numba.njit(cache=True)
def _improve_assign(cost, load, rem, site, max_pass):  # pragma: no cover - compiled
    """Shift a row to a cheaper site with room, or swap two rows between sites, while the cost falls."""
    n, k = cost.shape
    for _ in range(max_pass):
        moved = False
        for i in range(n):
            a = site[i]
            for s in range(k):
                if s != a and cost[i, s] < cost[i, a] - 1e-12 and rem[s] >= load[i] - 1e-9:
                    rem[a] += load[i]
                    rem[s] -= load[i]
                    site[i] = s
                    a = s
                    moved = True
        for i in range(n):
            for h in range(i + 1, n):
                a, b = site[i], site[h]
                if a == b:
                    continue
                delta = cost[i, b] + cost[h, a] - cost[i, a] - cost[h, b]
                if delta < -1e-12 and rem[a] + load[i] - load[h] >= -1e-9 and rem[b] + load[h] - load[i] >= -1e-9:
                    rem[a] += load[i] - load[h]
                    rem[b] += load[h] - load[i]
                    site[i], site[h] = b, a
                    moved = True
        if not moved:
            break
    return site


def assign_single(cost: np.ndarray, load: np.ndarray, capacity: np.ndarray, *, max_pass: int = 20) -> np.ndarray | None:
    """A single-source assignment of every row to one site within capacity, by regret then shifts and swaps.

    ``cost`` is rows x sites (``inf``: the row cannot go there). Returns the site of each row, or None
    when the regret heuristic leaves a row without room (the assignment may still exist).
    """
    site, rem = _regret_assign(np.asarray(cost, dtype=float), np.asarray(load, dtype=float),
                               np.asarray(capacity, dtype=float))
    if (site < 0).any():
        return None
    return _improve_assign(np.asarray(cost, dtype=float), np.asarray(load, dtype=float), rem, site, max_pass)


@numba.njit(cache=True)
def _cover_single(reach, weight, load, cap):  # pragma: no cover - compiled
    """Serve rows whole, the most weight per unit of load first, each at the reachable site with the most room."""
    n, k = reach.shape
    rem = cap.copy()
    site = np.full(n, -1, np.int64)
    density = np.empty(n)
    for i in range(n):
        density[i] = weight[i] / load[i] if load[i] > 0 else np.inf
    for i in np.argsort(-density):
        best, room = -1, -1.0
        for s in range(k):
            if reach[i, s] and rem[s] >= load[i] - 1e-9 and rem[s] > room:
                best, room = s, rem[s]
        if best >= 0:
            site[i] = best
            rem[best] -= load[i]
    return site


def cover_single(reach: np.ndarray, weight: np.ndarray, load: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Rows served whole within capacity (``reach``: rows x sites, True where a site may serve the row): the
    most weight per unit of load first, each at the reachable site with the most room left; -1: unserved."""
    return _cover_single(np.asarray(reach, dtype=np.bool_), np.asarray(weight, dtype=float),
                         np.asarray(load, dtype=float), np.asarray(capacity, dtype=float))


def relocate_sites(inst: CapacitatedPairs, sites: SiteRules, chosen: list[int], main_site: np.ndarray) -> list[int]:
    """Move each chosen site to the candidate that serves its customers at least cost (Mulvey & Beck 1984).

    ``main_site`` gives each demand row's site in the current service (-1: unserved). The rows one
    site serves stay together; every free candidate that reaches all of them and can hold their
    weight is priced by the pairs' costs (``inst.pairs.d``, per unit of weight), and the sites move,
    largest saving first, each to its cheapest candidate not taken by another. The caller prices the
    new sites exactly (the rows may be served better still once the sites have moved).
    """
    m, k = len(inst.cap), len(chosen)
    r, c, unit = inst.pairs.r, inst.pairs.c, inst.pairs.d
    cluster = np.full(m, -1)
    cluster[np.asarray(chosen, dtype=np.int64)] = np.arange(k)
    row_cluster = np.where(main_site >= 0, cluster[np.maximum(main_site, 0)], -1)
    on = row_cluster[r] >= 0
    key = row_cluster[r[on]] * m + c[on]
    cost = np.bincount(key, weights=unit[on] * inst.w[r[on]], minlength=k * m).reshape(k, m)
    reach = np.bincount(key, minlength=k * m).reshape(k, m)
    members = np.bincount(row_cluster[row_cluster >= 0], minlength=k)
    load = np.bincount(row_cluster[row_cluster >= 0], weights=inst.w[row_cluster >= 0], minlength=k)
    ok = (reach == members[:, None]) & (inst.cap[None, :] >= load[:, None] - 1e-9) & sites.free[None, :]
    ok[np.arange(k), chosen] = True
    cost = np.where(ok, cost, np.inf)
    now = cost[np.arange(k), chosen]
    out = list(chosen)
    taken = set(out)
    for q in np.argsort(-(now - cost.min(axis=1)), kind="stable"):
        for j in np.argsort(cost[q], kind="stable"):
            if not np.isfinite(cost[q, j]) or int(j) == out[q]:
                break
            if int(j) not in taken:
                taken.discard(out[q])
                out[q] = int(j)
                taken.add(out[q])
                break
    return out if sites.fit(out) else list(chosen)
