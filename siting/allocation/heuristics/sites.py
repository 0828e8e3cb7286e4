"""Site sets, as every heuristic sees them: which sites are open, which pairs each serves, whether projects fit."""

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
class PairsBySite:
    """The (demand row, site, cost) pairs sorted by site: ``rows[at(j)]`` are the demand rows site ``j`` reaches."""

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
