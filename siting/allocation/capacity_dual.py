"""The Lagrangian relaxation of the capacitated models with one capacity per site (no modules, no projects).

Relaxing the rows that serve each demand row once (multiplier ``λ_i``) leaves, per open site, a
knapsack over the demand rows it reaches (:mod:`~siting.allocation.heuristics.knapsack`): the
bound of Beasley (1993) and of Lorena & Senne (2004) for the capacitated p-median, which single
sourcing makes stronger than the LP relaxation (0-1 knapsacks). Everything is in the
minimising form: a capacitated p-median costs ``c_ij`` (its weighted cost), a capacitated MCLP
``−w_g`` per unit served (the bound is then the negative of an upper bound on the weight served).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siting.allocation.capacity import CapacityLp, site_capacity
from siting.allocation.heuristics.knapsack import SitePairs
from siting.allocation.heuristics.subgradient import SiteDual, SiteProblem, plain_dual


@dataclass(frozen=True)
class KnapsackDual:
    """A capacitated model's relaxation: its pairs by site, its site problem, and the sign of its objective.

    Attributes
    ----------
    pairs
        The knapsacks' pairs (costs in the minimising form).
    sites
        The relaxation for :func:`~siting.allocation.heuristics.subgradient.site_lagrangian`.
    sign
        1 when the model minimises, -1 when it maximises (bounds and values are negated).
    cost
        Per pair (in the model's pair order): its cost in the minimising form.
    """

    pairs: SitePairs
    sites: SiteProblem
    sign: float
    cost: np.ndarray

    @classmethod
    def of(cls, cm: CapacityLp) -> KnapsackDual:
        prob = cm.model.problem
        n = len(cm.w)
        if cm.maximize:  # weight served: -w per unit of a row, multipliers in [-w, 0]
            wg = cm.wg  # type: ignore[attr-defined]
            cost = -wg[cm.r]
            lo, hi = -wg, np.zeros(n)
        else:
            cost = cm.cw[cm.r] * cm.d  # type: ignore[attr-defined]
            # with every pair there any multiplier is valid; with pairs left out, it stays below their costs
            cap = getattr(cm, "lam_cap", None)
            lo, hi = np.zeros(n), np.full(n, np.inf) if cap is None else cap
        pairs = SitePairs.of(cm.r, cm.c, cost, cm.w, site_capacity(prob, cm.modules), cm.single)
        sites = SiteProblem(
            values=pairs.values,
            subgradient=lambda lam, is_open: _served_gap(pairs, lam, is_open, cm.maximize),
            fixed=prob.fixed, free=prob.openable, p=int(cm.count or 0), lam_lo=lo, lam_hi=hi,
            # everyone served: the open sites must hold all the load (a cut on the site choice)
            capacity=None if cm.maximize else site_capacity(prob, cm.modules), need=cm.must_serve() or 0.0,
        )
        return cls(pairs, sites, -1.0 if cm.maximize else 1.0, cost)

    def start(self, row_cost: np.ndarray | None) -> np.ndarray:
        """Starting multipliers: for a p-median, each row's cost in a known solution (else its second cheapest
        pair's); for coverage half its weight."""
        if self.sign < 0:
            return 0.5 * self.sites.lam_lo
        if row_cost is None:
            rows = self.pairs_rows()
            o = np.lexsort((self.cost, rows))
            r, c = rows[o], self.cost[o]
            first = np.searchsorted(r, np.arange(len(self.sites.lam_hi)))
            second = np.minimum(first + 1, len(r) - 1)
            ok = r[second] == np.arange(len(first))
            row_cost = np.where(ok, c[second], c[np.minimum(first, len(r) - 1)])
        return np.minimum(row_cost, self.sites.lam_hi)

    def pair_fixing(self, dual: SiteDual, threshold: float) -> np.ndarray:
        """Per pair (model order): may a solution worth at most ``threshold`` (minimising form) use it in full?

        Taking demand row ``i`` in full at site ``j`` raises that site's knapsack by at least its reduced
        cost ``c_ij − λ_i`` when positive (the other items only lose capacity), plus, for a site the
        relaxation left closed, its value minus the largest value picked. Only single-sourced pairs, which
        are used in full or not at all, can be fixed this way.
        """
        dual = plain_dual(self.sites, dual)
        rho = dual.rho
        site_term = np.zeros(len(rho))
        if len(dual.pick):
            site_term = np.maximum(rho - float(rho[dual.pick].max()), 0.0)
            site_term[dual.pick] = 0.0
        site_term[self.sites.fixed] = 0.0
        sites = self.pairs_sites()
        rows = self.pairs_rows()
        rc = np.maximum(self.cost - dual.lam[rows], 0.0)
        return dual.bound + rc + site_term[sites] <= threshold

    def pairs_rows(self) -> np.ndarray:
        """Demand row of each pair, in the model's pair order."""
        return self._model_order(self.pairs.rows)

    def pairs_sites(self) -> np.ndarray:
        """Site of each pair, in the model's pair order."""
        sites = np.repeat(np.arange(len(self.pairs.ptr) - 1), np.diff(self.pairs.ptr))
        return self._model_order(sites)

    def _model_order(self, by_site: np.ndarray) -> np.ndarray:
        out = np.empty_like(by_site)
        out[self.pairs.order] = by_site
        return out


def _served_gap(pairs: SitePairs, lam: np.ndarray, is_open: np.ndarray, maximize: bool) -> np.ndarray:
    """The subgradient: 1 − (how much of each row the open sites' knapsacks take); for the ``≤ 1`` rows of a
    coverage model a row served nowhere with its multiplier at 0 has nothing to push."""
    g = 1.0 - pairs.served(lam, is_open)
    if maximize:
        g[(g > 0) & (lam >= 0)] = 0.0
    return g
