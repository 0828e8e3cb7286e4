"""Large-neighbourhood search for set covers: free a cluster of chosen sites and re-cover its rows exactly.

A greedy cover of a wide geometric set cover is often 10 % above the best; HiGHS' own branching
on the whole cover (20,000 x 2,000) hardly finds better in minutes. Here a chosen site and the
chosen sites nearest it (by shared rows, then rows shared with those) are dropped, and the
rows only they covered are covered again with the fewest sites by a small HiGHS MIP over the
candidates that reach those rows. Fewer sites is an improvement; as many is kept too (a move
along the plateau, which lets the next neighbourhood find what this one could not).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from siting.allocation.mip import solve_mip

#: HiGHS options of the small re-covering MIPs: they start from the sites they replace.
_SUB_OPTIONS = {"presolve": "off", "mip_heuristic_effort": 0.0, "mip_detect_symmetry": False}


def _cluster(near: sp.csr_matrix, chosen: np.ndarray, seed: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``size`` chosen columns nearest ``seed`` in the column graph ``near`` (breadth first, random ties)."""
    picked = [seed]
    seen = np.zeros(near.shape[0], dtype=bool)
    seen[seed] = True
    frontier = np.array([seed])
    while len(picked) < size and len(frontier):
        nxt = np.unique(near[frontier].indices)
        nxt = nxt[~seen[nxt]]
        seen[nxt] = True
        hit = nxt[chosen[nxt]]
        picked += [int(j) for j in rng.permutation(hit)[: size - len(picked)]]
        frontier = nxt
    return np.array(picked)


def _recover(H: sp.csr_matrix, csc: sp.csc_matrix, count: np.ndarray, freed: np.ndarray,
             time_limit: float) -> np.ndarray | None:
    """The fewest columns covering the rows that only ``freed`` cover (None: the MIP gave nothing better-or-equal)."""
    lost = np.zeros(H.shape[0], dtype=np.int64)
    for j in freed:
        lost[csc.indices[csc.indptr[j]: csc.indptr[j + 1]]] += 1
    rows = np.flatnonzero((count > 0) & (count == lost))
    if len(rows) == 0:
        return np.empty(0, dtype=np.int64)  # the freed sites were all redundant
    sub = H[rows]
    cols = np.unique(sub.indices)
    A = sub[:, cols]
    start = np.isin(cols, freed).astype(float)
    k = len(cols)
    sol = solve_mip(np.ones(k), A, np.ones(len(rows)), np.full(len(rows), np.inf), np.zeros(k), np.ones(k),
                    np.ones(k, dtype=bool), time_limit=time_limit, start=start, options=_SUB_OPTIONS)
    if sol.x is None:
        return None
    return cols[sol.x > 0.5]  # type: ignore[no-any-return]


def cover_lns(H: sp.csr_matrix, chosen: list[int], *, time_budget: float, size: int = 8, lower: float = 0.0,
              seed: int = 0) -> tuple[list[int], int]:
    """Improve a set cover of ``H`` (every row covered, unit costs) by re-covering clusters of ``size`` sites.

    Stops after ``time_budget`` seconds or at ``lower`` sites (a bound: no cover is smaller).
    Deterministic for a given ``seed`` up to the time budget.

    Returns
    -------
    (chosen, moves)
        A cover with no more sites than ``chosen``, and the neighbourhoods tried.
    """
    H = sp.csr_matrix(H)
    csc = H.tocsc()
    near = sp.csr_matrix((H.T @ H) > 0)
    is_open = np.zeros(H.shape[1], dtype=bool)
    is_open[chosen] = True
    count = np.asarray(H @ is_open.astype(float)).ravel().astype(np.int64)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    moves = 0
    while time.perf_counter() - t0 < time_budget and is_open.sum() > lower:
        left = time_budget - (time.perf_counter() - t0)
        freed = _cluster(near, is_open, int(rng.choice(np.flatnonzero(is_open))), size, rng)
        new = _recover(H, csc, count, freed, min(1.0, left))
        moves += 1
        if new is None or len(new) > len(freed):
            continue
        for cols, step in ((freed, -1), (new, 1)):
            is_open[cols] = step > 0
            count += step * np.asarray(H[:, cols].sum(axis=1)).ravel().astype(np.int64)
    return [int(j) for j in np.flatnonzero(is_open)], moves
