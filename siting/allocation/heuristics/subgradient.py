"""The subgradient method shared by the Lagrangian bounds, and what they prove about sites.

The p-median and the capacitated models relax the rows that serve each demand point once, with a
multiplier ``λ_i`` per point. What is left splits by site: site ``j``, when open, is worth
``ρ_j(λ)`` (a sum of negative reduced costs, or a knapsack under its capacity), and

    L(λ) = Σ_i λ_i + Σ_{j fixed or forced open} ρ_j + (the smallest ρ_j of the other free sites, as many as are left)

is a lower bound on the optimum for any ``λ`` within its bounds (:func:`site_lagrangian`).
Reduced costs then prove which sites no solution below a threshold can open
(:func:`closed_by_reduced_cost`), and probing, a Lagrangian bound with one site forced open or
closed, proves more (:func:`probe_sites`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: ρ(λ): the value of every site under multipliers λ.
SiteValues = Callable[[np.ndarray], np.ndarray]
#: g(λ, open): the subgradient, 1 - (times each demand point is served by the open sites).
Subgradient = Callable[[np.ndarray, np.ndarray], np.ndarray]


class StepSize:
    """Held–Karp step factor ``theta``: starts at ``theta`` and halves after ``patience`` steps without a better bound."""

    def __init__(self, patience: int, theta: float = 2.0) -> None:
        self.theta = theta
        self.patience = patience
        self.stall = 0

    def record(self, improved: bool) -> None:
        """Note whether the last step gave a better bound."""
        if improved:
            self.stall = 0
            return
        self.stall += 1
        if self.stall >= self.patience:
            self.theta /= 2
            self.stall = 0


@dataclass(frozen=True)
class SiteProblem:
    """The site side of a Lagrangian relaxation: ``p`` free sites to open besides the fixed ones.

    ``values`` and ``subgradient`` are the model's; ``lam_lo``, ``lam_hi`` bound the
    multipliers (within them every λ gives a valid bound). With ``capacity`` (per site) every
    solution's open sites hold ``need`` in all, a cut the site choice then respects
    (:func:`_choose`).
    """

    values: SiteValues
    subgradient: Subgradient
    fixed: np.ndarray
    free: np.ndarray
    p: int
    lam_lo: np.ndarray
    lam_hi: np.ndarray
    capacity: np.ndarray | None = None
    need: float = 0.0


@dataclass(frozen=True)
class SiteDual:
    """The best bound found, its multipliers, the site values there and the free sites it opens."""

    bound: float
    lam: np.ndarray
    rho: np.ndarray
    pick: np.ndarray


def _pick(sp_: SiteProblem, rho: np.ndarray, forced: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The free sites the relaxation opens: the forced ones and the cheapest allowed others."""
    k = sp_.p - int(forced.sum())
    cand = np.flatnonzero(allowed & ~forced)
    if k <= 0 or len(cand) == 0:
        return np.flatnonzero(forced)
    k = min(k, len(cand))
    best = cand[np.argpartition(rho[cand], k - 1)[:k]] if k < len(cand) else cand
    return np.concatenate([np.flatnonzero(forced), best])


def _choose(sp_: SiteProblem, rho: np.ndarray, forced: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, float]:
    """The free sites the relaxation opens and their part of the bound.

    Without a capacity cut: :func:`_pick`. With one (open sites hold ``need``; Beasley 1993), the site
    choice is ``min Σ ρ_j y_j`` over ``k`` sites with ``Σ Q_j y_j ≥ short``, bounded from below by its
    Lagrangian ``max_μ≥0 [min over k sites of Σ (ρ_j − μ Q_j)] + μ short``: concave in ``μ``, maximised by
    bisection on its slope (``short`` minus the capacity picked). Every ``μ ≥ 0`` gives a valid bound;
    the sites returned are those of the larger ``μ``, which hold the need.
    """
    pick = _pick(sp_, rho, forced, allowed)
    cap = sp_.capacity
    if cap is None:
        return pick, float(rho[pick].sum())
    short = sp_.need - float(cap[sp_.fixed].sum()) - float(cap[forced].sum())
    if short <= 0 or float(cap[pick].sum()) >= short + float(cap[forced].sum()) - 1e-9:
        return pick, float(rho[pick].sum())

    def at(mu: float) -> tuple[np.ndarray, float, float]:
        sel = _pick(sp_, rho - mu * cap, forced, allowed)
        held = float(cap[sel].sum()) - float(cap[forced].sum())
        return sel, float(rho[sel].sum()) + mu * (short - held), short - held

    lo, hi = 0.0, max(1e-12, float(np.ptp(rho[allowed | forced])) / max(float(cap[allowed].mean()), 1e-12))
    high = at(hi)
    while high[2] > 0 and hi < 1e30:
        lo, hi = hi, 2 * hi
        high = at(hi)
    if high[2] > 0:  # no k sites hold the need: keep the plain bound
        return pick, float(rho[pick].sum())
    low = at(lo)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        here = at(mid)
        if here[2] > 0:
            lo, low = mid, here
        else:
            hi, high = mid, here
    return high[0], max(high[1], low[1])


def plain_dual(sp_: SiteProblem, dual: SiteDual) -> SiteDual:
    """The bound at ``dual``'s multipliers without the capacity cut, with its sites: the form the reduced-cost
    tests reason about (a site forced open changes the plain choice by its value against the last picked)."""
    if sp_.capacity is None:
        return dual
    m = len(sp_.fixed)
    pick = _pick(sp_, dual.rho, np.zeros(m, dtype=bool), sp_.free)
    return SiteDual(float(dual.lam.sum() + dual.rho[sp_.fixed].sum() + dual.rho[pick].sum()), dual.lam, dual.rho, pick)


def site_lagrangian(sp_: SiteProblem, upper: float, lam0: np.ndarray, *, forced: np.ndarray | None = None,
                    closed: np.ndarray | None = None, stop: float | None = None, iterations: int = 1000,
                    patience: int = 20, theta: float = 2.0, time_budget: float = 10.0,
                    abandon: int | None = None) -> SiteDual:
    """The Lagrangian bound by subgradient steps from ``lam0``, towards the target ``upper`` (a solution's value).

    ``forced`` free sites are counted open, ``closed`` ones never; the bound is then valid for
    the solutions that respect both. Stops once the bound exceeds ``stop`` (enough to prove
    something), after ``iterations`` steps, when the step has shrunk or the time is up, or, with
    ``abandon``, after that many steps when the bound has not come a third of the way to ``stop``.
    """
    m = len(sp_.fixed)
    forced = np.zeros(m, dtype=bool) if forced is None else forced
    allowed = sp_.free & ~(np.zeros(m, dtype=bool) if closed is None else closed)
    lam = np.clip(np.asarray(lam0, dtype=float), sp_.lam_lo, sp_.lam_hi)
    best: SiteDual | None = None
    first = -np.inf
    step = StepSize(patience, theta)
    t0 = time.perf_counter()
    for k in range(iterations):
        rho = sp_.values(lam)
        pick, site_part = _choose(sp_, rho, forced, allowed)
        if len(pick) < min(sp_.p, int((allowed | forced).sum())):
            break
        val = float(lam.sum() + rho[sp_.fixed].sum() + site_part)
        improved = best is None or val > best.bound + 1e-12 * max(abs(best.bound), 1.0)
        if improved:
            best = SiteDual(val, lam, rho, pick)
        first = val if k == 0 else first
        step.record(improved)
        if (stop is not None and val > stop) or upper - val <= 1e-9 * max(abs(upper), 1.0):
            break
        if abandon is not None and stop is not None and k == abandon and (best is None or best.bound - first < (stop - first) / 3):
            break
        is_open = sp_.fixed.copy()
        # steps follow the plain choice: the cut's own sites are one vertex of a fractional choice, a poor
        # direction (the cut only raises each step's bound)
        is_open[pick if sp_.capacity is None else _pick(sp_, rho, forced, allowed)] = True
        g = sp_.subgradient(lam, is_open)
        norm = float(g @ g)
        if norm == 0 or step.theta < 1e-4 or time.perf_counter() - t0 > time_budget:
            break
        lam = np.clip(lam + step.theta * max(upper - val, 1e-9 * max(abs(upper), 1.0)) / norm * g,
                      sp_.lam_lo, sp_.lam_hi)
    if best is None:  # no site can open: the bound is the constant part
        rho = sp_.values(lam)
        best = SiteDual(float(lam.sum() + rho[sp_.fixed].sum()), lam, rho, np.empty(0, dtype=np.int64))
    return best


def closed_by_reduced_cost(sp_: SiteProblem, dual: SiteDual, threshold: float, *, forced: np.ndarray | None = None,
                           allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(closed, opened): free sites that no solution worth at most ``threshold`` can open, or leave closed.

    Opening a site the relaxation left closed raises the bound by at least its value minus the
    largest value picked; closing a picked one, by the smallest value left out minus its own.
    In a branch (``dual`` computed with ``forced`` sites open and only ``allowed`` ones openable)
    the forced sites stay put: only the other picked sites trade places with the allowed rest.
    """
    dual = plain_dual(sp_, dual)
    m = len(sp_.fixed)
    forced = np.zeros(m, dtype=bool) if forced is None else forced
    allowed = sp_.free if allowed is None else allowed
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    pick = dual.pick[~forced[dual.pick]]
    out = np.flatnonzero(allowed & ~forced & ~np.isin(np.arange(m), dual.pick))
    if len(pick) == 0:
        return closed, opened
    worst = float(dual.rho[pick].max())
    closed[out[dual.bound + dual.rho[out] - worst > threshold]] = True
    if len(out):
        nxt = float(dual.rho[out].min())
        opened[pick[dual.bound - dual.rho[pick] + nxt > threshold]] = True
    return closed, opened


def probe_sites(sp_: SiteProblem, dual: SiteDual, threshold: float, closed: np.ndarray, *, upper: float,
                time_budget: float, iterations: int = 300) -> tuple[np.ndarray, int]:
    """Close more sites by probing: each free site still open to doubt is forced open and the bound
    re-optimised from ``dual``'s multipliers (steps aimed at ``upper``, a solution's value); above
    ``threshold``, no solution worth at most it opens the site.

    Rounds repeat while they close sites (a closed site makes the others' bounds higher).
    Returns the closed mask (``closed`` plus those proven) and the probes made.
    """
    closed = closed.copy()
    t0 = time.perf_counter()
    probes = 0
    changed = True
    while changed and time.perf_counter() - t0 < time_budget:
        changed = False
        order = np.flatnonzero(sp_.free & ~closed)
        for j in order[np.argsort(-dual.rho[order], kind="stable")]:  # the least attractive first
            if time.perf_counter() - t0 > time_budget:
                break
            forced = np.zeros(len(closed), dtype=bool)
            forced[j] = True
            b = site_lagrangian(sp_, upper, dual.lam, forced=forced, closed=closed, stop=threshold,
                                iterations=iterations, patience=10, theta=0.5, time_budget=time_budget,
                                abandon=iterations // 6)
            probes += 1
            if b.bound > threshold:
                closed[j] = True
                changed = True
    return closed, probes
