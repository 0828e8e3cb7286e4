"""Knapsacks per site: the Lagrangian relaxation of the capacitated models, compiled with numba.

With the rows that serve each demand point once relaxed (multiplier ``λ_i``), an open site ``j``
takes the demand points whose reduced cost ``c_ij − λ_i`` is negative, as many as its capacity
``Q_j`` holds (each point weighing its load ``q_i``): a knapsack. Split demand gives the
fractional knapsack (best ratio first); single sourcing the 0-1 knapsack, solved exactly by
dynamic programming over whole loads when the table is small enough and by its fractional
relaxation otherwise (still a lower bound, so the Lagrangian bound stays valid).

The pairs are stored by site (:class:`SitePairs`): ``rows[ptr[j]:ptr[j + 1]]`` are the points site
``j`` can serve, ``cost`` their costs ``c_ij`` (weighted distance, or minus the weight served
for a covering model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

#: Largest dynamic-programming table (items x capacity) of an exact 0-1 knapsack.
MAX_DP_CELLS = 400_000


@numba.njit(cache=True)
def _fractional(idx, red, q, cap, take):  # pragma: no cover - compiled
    """Fill ``take`` (per item of ``idx``) greedily by ratio; return the value (sum of red * take)."""
    k = len(idx)
    ratio = np.empty(k)
    for t in range(k):
        ratio[t] = red[t] / q[t] if q[t] > 0 else -np.inf
    order = np.argsort(ratio)
    left = cap
    val = 0.0
    for s in range(k):
        t = order[s]
        if q[t] <= 0:
            take[t] = 1.0
        elif left <= 0:
            take[t] = 0.0
            continue
        elif q[t] <= left:
            take[t] = 1.0
            left -= q[t]
        else:
            take[t] = left / q[t]
            left = 0.0
        val += red[t] * take[t]
    return val


@numba.njit(cache=True)
def _zero_one(red, q, cap, take):  # pragma: no cover - compiled
    """Exact 0-1 knapsack on whole loads by dynamic programming: the least sum of ``red`` within ``cap``."""
    k = len(red)
    c = int(cap)
    best = np.zeros(c + 1)
    keep = np.zeros((k, c + 1), dtype=np.bool_)
    for t in range(k):
        w = int(q[t])
        for b in range(c, w - 1, -1):
            v = best[b - w] + red[t]
            if v < best[b]:
                best[b] = v
                keep[t, b] = True
    b = c
    for t in range(k - 1, -1, -1):
        if keep[t, b]:
            take[t] = 1.0
            b -= int(q[t])
        else:
            take[t] = 0.0
    return best[c]


@numba.njit(cache=True)
def _site(j, ptr, rows, cost, q, lam, cap, single, whole, take_out):  # pragma: no cover - compiled
    """Site ``j``'s knapsack: its value, and how much of each of its pairs it takes (into ``take_out``)."""
    a, b = ptr[j], ptr[j + 1]
    n_neg = 0
    for t in range(a, b):
        take_out[t] = 0.0
        if cost[t] - lam[rows[t]] < 0:
            n_neg += 1
    if n_neg == 0 or cap[j] < 0:
        return 0.0
    idx = np.empty(n_neg, np.int64)
    red = np.empty(n_neg)
    qq = np.empty(n_neg)
    s = 0
    total = 0.0
    for t in range(a, b):
        v = cost[t] - lam[rows[t]]
        if v < 0:
            idx[s] = t
            red[s] = v
            qq[s] = q[rows[t]]
            total += qq[s]
            s += 1
    take = np.zeros(n_neg)
    if total <= cap[j]:
        val = 0.0
        for s in range(n_neg):
            take[s] = 1.0
            val += red[s]
    elif single and whole and n_neg * (int(cap[j]) + 1) <= MAX_DP_CELLS:
        val = _zero_one(red, qq, cap[j], take)
    else:
        val = _fractional(idx, red, qq, cap[j], take)
    for s in range(n_neg):
        take_out[idx[s]] = take[s]
    return val


@numba.njit(cache=True)
def _values(ptr, rows, cost, q, lam, cap, single, whole, want):  # pragma: no cover - compiled
    m = len(ptr) - 1
    rho = np.zeros(m)
    scratch = np.zeros(len(rows))
    for j in range(m):
        if want[j]:
            rho[j] = _site(j, ptr, rows, cost, q, lam, cap, single, whole, scratch)
    return rho


@numba.njit(cache=True)
def _served(ptr, rows, cost, q, lam, cap, single, whole, is_open, n):  # pragma: no cover - compiled
    served = np.zeros(n)
    take = np.zeros(len(rows))
    for j in range(len(ptr) - 1):
        if is_open[j]:
            _site(j, ptr, rows, cost, q, lam, cap, single, whole, take)
            for t in range(ptr[j], ptr[j + 1]):
                served[rows[t]] += take[t]
    return served


@dataclass(frozen=True)
class SitePairs:
    """The pairs by site with what the knapsacks need.

    Attributes
    ----------
    ptr, rows, cost
        Site ``j``'s pairs are ``ptr[j]:ptr[j + 1]``: demand rows and costs ``c_ij``.
    load
        Per demand row: what it takes of a site's capacity.
    capacity
        Per site.
    single
        Single sourcing: 0-1 knapsacks (exact when loads and capacities are whole).
    whole
        Loads and capacities are whole numbers (the 0-1 knapsacks can be solved exactly).
    order
        The pairs' order by site: pair ``order[t]`` of the input is the ``t``-th here.
    """

    ptr: np.ndarray
    rows: np.ndarray
    cost: np.ndarray
    load: np.ndarray
    capacity: np.ndarray
    single: bool
    whole: bool
    order: np.ndarray

    @classmethod
    def of(cls, r: np.ndarray, c: np.ndarray, cost: np.ndarray, load: np.ndarray, capacity: np.ndarray,
           single: bool) -> SitePairs:
        o = np.argsort(c, kind="stable")
        ptr = np.searchsorted(c[o], np.arange(len(capacity) + 1)).astype(np.int64)
        load, capacity = np.asarray(load, dtype=float), np.asarray(capacity, dtype=float)
        whole = bool(np.all(load == np.round(load)) and np.all(capacity == np.round(capacity)))
        return cls(ptr, r[o].astype(np.int64), np.asarray(cost, dtype=float)[o], load, capacity, bool(single), whole,
                   o)

    def values(self, lam: np.ndarray, want: np.ndarray | None = None) -> np.ndarray:
        """ρ_j(λ): each site's knapsack value (``want``: only those sites; 0 elsewhere)."""
        want = np.ones(len(self.capacity), dtype=np.bool_) if want is None else want
        return _values(self.ptr, self.rows, self.cost, self.load, lam, self.capacity, self.single, self.whole,
                       want)  # type: ignore[no-any-return]

    def served(self, lam: np.ndarray, is_open: np.ndarray) -> np.ndarray:
        """How much of each demand row the open sites' knapsacks take."""
        return _served(self.ptr, self.rows, self.cost, self.load, lam, self.capacity, self.single, self.whole,
                       is_open, len(self.load))  # type: ignore[no-any-return]

    def take(self, j: int, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Site ``j``'s knapsack: (its pairs' demand rows, how much of each it takes)."""
        out = np.zeros(len(self.rows))
        _site(j, self.ptr, self.rows, self.cost, self.load, lam, self.capacity, self.single, self.whole, out)
        sl = slice(self.ptr[j], self.ptr[j + 1])
        return self.rows[sl], out[sl]
