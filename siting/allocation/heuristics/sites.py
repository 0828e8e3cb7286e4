"""What every heuristic works with: the rules on sites, open-site masks, and the (demand, site, cost) pairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching


def open_mask(fixed: np.ndarray, sites: Any) -> np.ndarray:
    """The fixed sites plus ``sites`` (candidate positions), as a boolean mask."""
    is_open = fixed.copy()
    is_open[np.asarray(sites, dtype=np.int64)] = True
    return is_open


def projects_fit(region_ok: np.ndarray | None, sites: list[int]) -> bool:
    """True when every one of ``sites`` can take its own project (a bipartite matching); always without projects.

    ``region_ok`` is the (project x candidate) matrix of allowed placements.
    """
    if region_ok is None or not sites:
        return True
    sub = sp.csr_matrix(region_ok[:, sites].T.astype(np.int8))  # sites x projects
    match = maximum_bipartite_matching(sub, perm_type="column")
    return int((match >= 0).sum()) == len(sites)


@dataclass(frozen=True)
class SiteRules:
    """Which candidates are open already, which may be added, and where projects may go.

    Attributes
    ----------
    fixed
        Candidates already open (existing facilities).
    allowed
        Candidates that may be added.
    region_ok
        (project x candidate) allowed placements, or None without projects: additions must keep
        every chosen site able to take its own project.
    """

    fixed: np.ndarray
    allowed: np.ndarray
    region_ok: np.ndarray | None = None

    @property
    def free(self) -> np.ndarray:
        """Candidates that may be added and are not open already."""
        return self.allowed & ~self.fixed

    def open_mask(self, sites: Any) -> np.ndarray:
        return open_mask(self.fixed, sites)

    def fit(self, sites: list[int]) -> bool:
        """True when the projects can be placed one per site on ``sites``."""
        return projects_fit(self.region_ok, sites)


@dataclass(frozen=True)
class Pairs:
    """The (demand row, site, cost) pairs through which a site can serve a demand row."""

    r: np.ndarray
    c: np.ndarray
    d: np.ndarray

    def by_site(self, n_sites: int) -> PairsBySite:
        return PairsBySite.of(self.r, self.c, self.d, n_sites)


@dataclass(frozen=True)
class PairsBySite:
    """The pairs sorted by site: ``rows[at(j)]`` are the demand rows site ``j`` reaches, ``costs[at(j)]`` the costs."""

    rows: np.ndarray
    sites: np.ndarray
    costs: np.ndarray
    ptr: np.ndarray

    @classmethod
    def of(cls, r: np.ndarray, c: np.ndarray, d: np.ndarray, n_sites: int) -> PairsBySite:
        o = np.argsort(c, kind="stable")
        c = c[o]
        return cls(r[o], c, d[o], np.searchsorted(c, np.arange(n_sites + 1)))

    def at(self, j: int | np.integer) -> slice:
        """The slice of site ``j``'s pairs."""
        return slice(self.ptr[j], self.ptr[j + 1])
