"""p-center heuristics on the sparse pairs (demand row, site, cost): farthest-first and vertex substitution."""

from __future__ import annotations

import time

import numpy as np

from siting.allocation.heuristics.sites import PairsBySite, open_mask, projects_fit


def nearest_two_sparse(r: np.ndarray, c: np.ndarray, d: np.ndarray, is_open: np.ndarray, n: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per demand row, from the pairs: cost to the nearest open site, that site (-1: none), cost to the second."""
    keep = is_open[c]
    r, c, d = r[keep], c[keep], d[keep]
    o = np.lexsort((d, r))
    r, c, d = r[o], c[o], d[o]
    d1 = np.full(n, np.inf)
    d2 = np.full(n, np.inf)
    c1 = np.full(n, -1, dtype=np.int64)
    first = np.ones(len(r), dtype=bool)
    first[1:] = r[1:] != r[:-1]
    d1[r[first]] = d[first]
    c1[r[first]] = c[first]
    second = np.zeros(len(r), dtype=bool)
    second[1:] = first[:-1] & ~first[1:]
    d2[r[second]] = d[second]
    return d1, c1, d2


def farthest_first(r: np.ndarray, c: np.ndarray, d: np.ndarray, active: np.ndarray, fixed: np.ndarray,
                   allowed: np.ndarray, chosen: list[int], count: int, region_ok: np.ndarray | None = None
                   ) -> list[int]:
    """Add sites until ``count``: each time the site nearest to the worst-served demand point (Gonzalez).

    Sites that would leave the projects unmatchable are skipped; when the worst point has
    no such site within reach, any allowed site that fits is taken.
    """
    n, m = len(active), len(fixed)
    sel = list(chosen)
    if len(sel) >= count:
        return sel
    o = np.lexsort((d, r))
    rs, cs = r[o], c[o]
    rptr = np.searchsorted(rs, np.arange(n + 1))
    by_site = PairsBySite.of(r, c, d, m)
    free = allowed & ~fixed
    is_open = open_mask(fixed, sel)
    d1 = nearest_two_sparse(r, c, d, is_open, n)[0]
    d1[~active] = -np.inf
    while len(sel) < count:
        i = int(np.argmax(d1))
        pick = -1
        for j in [*cs[rptr[i]: rptr[i + 1]].tolist(), *np.flatnonzero(free).tolist()]:
            if free[j] and not is_open[j] and projects_fit(region_ok, [*sel, int(j)]):
                pick = int(j)
                break
        if pick < 0:
            break
        sel.append(pick)
        is_open[pick] = True
        at = by_site.at(pick)
        hit = by_site.rows[at]
        d1[hit] = np.where(active[hit], np.minimum(d1[hit], by_site.costs[at]), d1[hit])
    return sel


def _radius(d1: np.ndarray, active: np.ndarray) -> float:
    return float(d1[active].max()) if active.any() else 0.0


def center_substitution(
    r: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    active: np.ndarray,
    fixed: np.ndarray,
    allowed: np.ndarray,
    chosen: list[int],
    *,
    time_budget: float = 5.0,
    region_ok: np.ndarray | None = None,
) -> tuple[list[int], float, int]:
    """Vertex substitution for the p-center: swap one site for another while the largest cost falls.

    For dropping site ``f`` every demand point falls back to ``f``'s replacement or its next
    open site; a new site ``j`` can only beat the current radius R if it reaches, below R,
    every point whose fallback is at least R, which leaves few ``j`` to price exactly.

    Returns
    -------
    (chosen, radius, swaps)
    """
    n, m = len(active), len(fixed)
    sel = list(chosen)
    by_site = PairsBySite.of(r, c, d, m)
    t0 = time.perf_counter()
    swaps = 0
    is_open = open_mask(fixed, sel)
    d1, c1, d2 = nearest_two_sparse(r, c, d, is_open, n)
    best = _radius(d1, active)
    while time.perf_counter() - t0 < time_budget:
        move: tuple[int, int] | None = None
        target = best
        for f in list(sel):
            base = np.where(c1 == f, d2, d1)
            base[~active] = -np.inf
            crit = base >= target
            hit = crit[r] & (d < target)
            # only a site reaching every critical point below the radius can lower it
            cands = np.flatnonzero((np.bincount(c[hit], minlength=m) == int(crit.sum())) & allowed & ~is_open)
            for j in cands:
                trial = [int(j) if x == f else x for x in sel]
                if not projects_fit(region_ok, trial):
                    continue
                at = by_site.at(j)
                v = base.copy()
                v[by_site.rows[at]] = np.minimum(v[by_site.rows[at]], by_site.costs[at])
                val = float(v.max())
                if val < target:
                    target, move = val, (f, int(j))
            if time.perf_counter() - t0 > time_budget:
                break
        if move is None:
            break
        f_out, j_in = move
        sel[sel.index(f_out)] = j_in
        is_open[f_out], is_open[j_in] = False, True
        d1, c1, d2 = nearest_two_sparse(r, c, d, is_open, n)
        best = _radius(d1, active)
        swaps += 1
    return sel, best, swaps
