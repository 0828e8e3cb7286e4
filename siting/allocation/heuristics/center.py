"""p-center heuristics on the sparse pairs: farthest-first and vertex substitution.

``active`` marks the demand rows that count (those with weight); the radius is the largest
cost from an active row to its nearest open site.
"""

from __future__ import annotations

import time

import numpy as np

from siting.allocation.heuristics.sites import Pairs, SiteRules


def nearest_two_sparse(pairs: Pairs, is_open: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per demand row (``n`` rows): cost to the nearest open site, that site (-1: none), cost to the second."""
    keep = is_open[pairs.c]
    r, c, d = pairs.r[keep], pairs.c[keep], pairs.d[keep]
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


def farthest_first(pairs: Pairs, active: np.ndarray, sites: SiteRules, chosen: list[int], count: int) -> list[int]:
    """Add sites until ``count``: each time the site nearest to the worst-served demand point (Gonzalez).

    Sites that would leave the projects unmatchable are skipped; when the worst point has
    no such site within reach, any allowed site that fits is taken.
    """
    n, m = len(active), len(sites.fixed)
    sel = list(chosen)
    if len(sel) >= count:
        return sel
    o = np.lexsort((pairs.d, pairs.r))
    rs, cs = pairs.r[o], pairs.c[o]
    rptr = np.searchsorted(rs, np.arange(n + 1))
    by_site = pairs.by_site(m)
    free = sites.free
    is_open = sites.open_mask(sel)
    d1 = nearest_two_sparse(pairs, is_open, n)[0]
    d1[~active] = -np.inf
    while len(sel) < count:
        i = int(np.argmax(d1))
        pick = -1
        for j in [*cs[rptr[i]: rptr[i + 1]].tolist(), *np.flatnonzero(free).tolist()]:
            if free[j] and not is_open[j] and sites.fit([*sel, int(j)]):
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


def center_substitution(pairs: Pairs, active: np.ndarray, sites: SiteRules, chosen: list[int], *,
                        time_budget: float = 5.0) -> tuple[list[int], float, int]:
    """Vertex substitution for the p-center: swap one site for another while the largest cost falls.

    For dropping site ``f`` every demand point falls back to ``f``'s replacement or its next
    open site; a new site ``j`` can only beat the current radius R if it reaches, below R,
    every point whose fallback is at least R, which leaves few ``j`` to price exactly.

    Returns
    -------
    (chosen, radius, swaps)
    """
    n, m = len(active), len(sites.fixed)
    r, c, d = pairs.r, pairs.c, pairs.d
    sel = list(chosen)
    by_site = pairs.by_site(m)
    t0 = time.perf_counter()
    swaps = 0
    is_open = sites.open_mask(sel)
    d1, c1, d2 = nearest_two_sparse(pairs, is_open, n)
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
            cands = np.flatnonzero((np.bincount(c[hit], minlength=m) == int(crit.sum())) & sites.allowed & ~is_open)
            for j in cands:
                trial = [int(j) if x == f else x for x in sel]
                if not sites.fit(trial):
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
        d1, c1, d2 = nearest_two_sparse(pairs, is_open, n)
        best = _radius(d1, active)
        swaps += 1
    return sel, best, swaps
