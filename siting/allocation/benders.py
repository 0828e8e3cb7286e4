"""Benders decomposition of the MCLP, after Cordeau, Furini and Ljubić (2019).

The covered-weight variables are projected out: the master keeps the sites ``y`` and one
variable ``θ`` for the weight covered, ``θ ≤ Σ_g w_g min(1, Σ_{j covers g} y_j)``, which it
learns by cuts. At a point ``ȳ`` the groups it covers (``Σ ȳ ≥ 1``) count in full and the
others by the sites that would cover them:

    θ ≤ Σ_{g covered at ȳ} w_g + Σ_j (Σ_{g not covered at ȳ, j covers g} w_g) y_j,

valid for every ``y`` in [0, 1] and tight at ``ȳ``. The master has as many columns as there
are candidates whatever the demand, so its LP solves in a blink where the compact LP (one
column and one row per demand group) takes minutes. The LP phase separates at a point between
the LP's answer and a core point (the in-out stabilisation of Ben-Ameur and Neto), until the
master's bound meets the best LP value; the LP reduced costs then fix sites; the MIP phase
solves the master as a MIP, adds the cut at its answer and solves again while the master
over-estimates it (HiGHS takes no lazy constraints, so each round is a MIP solve).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from siting.allocation.mip import IncrementalModel


@dataclass(frozen=True)
class CoverCuts:
    """The covering rows the cuts come from: groups x candidates (0/1) and the groups' weights."""

    G: sp.csr_matrix
    w: np.ndarray
    GT: sp.csr_matrix = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "GT", sp.csr_matrix(self.G.T))

    def value(self, y: np.ndarray) -> float:
        """``Σ_g w_g min(1, Σ_{j covers g} y_j)``: the weight ``y`` covers (fractions of sites count in part)."""
        return float(self.w @ np.minimum(self.G @ y, 1.0))

    def cut(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        """The cut at ``y``: (constant, coefficient per candidate) of ``θ ≤ constant + coefficient·y``."""
        open_ = (self.G @ y) < 1.0 - 1e-9
        return float(self.w[~open_].sum()), np.asarray(self.GT @ (self.w * open_)).ravel()


@dataclass
class BendersResult:
    """The outcome: the best sites found (by the master's MIP), the weight they cover, and the upper bound."""

    sites: np.ndarray | None
    value: float | None
    bound: float
    lp_bound: float
    lp_rounds: int
    mip_rounds: int
    fixed_closed: int
    stopped: str


class BendersMaster:
    """The master problem: maximise θ over the sites, ``Σ_{free} y = p``, fixed sites open, closed ones shut."""

    def __init__(self, cuts: CoverCuts, fixed: np.ndarray, free: np.ndarray, p: int, constant: float) -> None:
        m = len(fixed)
        self.cuts, self.m, self.constant = cuts, m, constant
        lo = np.concatenate([fixed.astype(float), [0.0]])
        hi = np.concatenate([(fixed | free).astype(float), [float(cuts.w.sum())]])
        self.model = IncrementalModel(np.concatenate([np.zeros(m), [1.0]]), lo, hi, maximize=True)
        count = sp.csr_matrix(np.concatenate([free.astype(float), [0.0]])[None, :])
        self.model.add_rows(count, np.array([p]), np.array([p]))
        self.n_cuts = 0

    def add_cut(self, y: np.ndarray) -> None:
        """Add the cut at ``y``: ``θ − coefficient·y ≤ constant``."""
        const, coef = self.cuts.cut(y)
        nz = np.flatnonzero(coef)
        row = sp.csr_matrix((np.concatenate([-coef[nz], [1.0]]), (np.zeros(len(nz) + 1, dtype=np.int64),
                                                                  np.concatenate([nz, [self.m]]))),
                            shape=(1, self.m + 1))
        self.model.add_rows(row, np.array([-np.inf]), np.array([const]))
        self.n_cuts += 1

    def lp_phase(self, core: np.ndarray, *, time_budget: float, tol: float, alpha: float = 0.5
                 ) -> tuple[float, float, np.ndarray | None, int]:
        """In-out cutting planes on the master LP: (its bound, the best LP value seen, the master LP's reduced
        costs, rounds). Stops when the bound is within ``tol`` (relative) of the best value, or the time is up."""
        t0 = time.perf_counter()
        self.add_cut(core)
        bound, best, rc, rounds = np.inf, -np.inf, None, 0
        while time.perf_counter() - t0 < time_budget:
            sol = self.model.solve(time_limit=max(1.0, time_budget - (time.perf_counter() - t0)))
            if sol.x is None or sol.objective is None:
                break
            rounds += 1
            y, theta = sol.x[: self.m], sol.objective
            bound, rc = min(bound, theta), sol.reduced_costs
            best = max(best, self.cuts.value(y))
            if bound - best <= tol * max(1.0, abs(bound)):
                break
            # separate between the LP's answer and the core point first (stabilised); at the answer if that fails
            sep = alpha * y + (1 - alpha) * core
            const, coef = self.cuts.cut(sep)
            if theta > const + coef @ y + 1e-9 * max(1.0, abs(theta)):
                self.add_cut(sep)
            else:
                self.add_cut(y)
            core = 0.5 * (core + y)
        return bound, best, rc, rounds

    def fix_by_reduced_cost(self, rc: np.ndarray | None, lp_bound: float, lower: float, free: np.ndarray) -> int:
        """Close the free sites whose LP reduced cost shows that opening them cannot reach ``lower``."""
        if rc is None:
            return 0
        shut = np.flatnonzero(free & (lp_bound + rc[: self.m] < lower - 1e-9 * max(1.0, abs(lower))))
        self.model.fix(shut, 0.0)
        return len(shut)

    def mip_phase(self, start: np.ndarray, start_value: float, *, time_budget: float, tol: float
                  ) -> tuple[np.ndarray, float, float, int, str]:
        """The master as a MIP, a cut at each answer the master over-estimates: (best sites, their value, the
        master's bound, rounds, why it stopped)."""
        t0 = time.perf_counter()
        integer = np.concatenate([np.ones(self.m, dtype=bool), [False]])
        best_y, best_v, bound, rounds, stopped = start, start_value, np.inf, 0, "time_limit"
        while True:
            left = time_budget - (time.perf_counter() - t0)
            if left <= 0.5:
                break
            sol = self.model.solve(integer=integer, time_limit=left,
                                   start=np.concatenate([best_y, [best_v]]),
                                   options={"mip_rel_gap": tol})
            rounds += 1
            if sol.bound is not None:
                bound = min(bound, sol.bound)
            if sol.x is None:
                stopped = sol.status
                break
            y = np.round(sol.x[: self.m])
            v = self.cuts.value(y)
            if v > best_v:
                best_y, best_v = y, v
            if sol.objective is not None and sol.objective <= v + 1e-9 * max(1.0, abs(v)):
                stopped = sol.status  # the master's answer is exact: its bound stands
                break
            self.add_cut(y)
            if sol.status == "time_limit":
                break
        return best_y, best_v, bound, rounds, stopped
