"""The allocation heuristics and bounds, each on small instances worked out by hand or by brute force.

Every expected answer below is either derived in a comment or enumerated here with
``itertools.combinations`` over all site sets; none comes from the code under test.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.allocation.heuristics.capacitated import (
    CapacitatedPairs,
    Service,
    greedy_capacitated,
    relocate_sites,
    swap_capacitated,
)
from siting.allocation.heuristics.center import center_substitution, farthest_first
from siting.allocation.heuristics.cover import (
    drop_redundant,
    greedy_cover,
    lagrangian_cover_bound,
    lagrangian_lscp_bound,
    packing_count,
    perturbed_cover_swaps,
    swap_cover,
)
from siting.allocation.heuristics.median import (
    SortedCosts,
    greedy_median,
    lagrangian_median_bound,
    median_site_problem,
    sorted_costs,
    teitz_bart,
)
from siting.allocation.heuristics.site_tree import TreeSearch, site_tree_search
from siting.allocation.heuristics.sites import Pairs, SiteRules, projects_fit
from siting.allocation.heuristics.subgradient import (
    SiteDual,
    SiteProblem,
    StepSize,
    closed_by_reduced_cost,
    plain_dual,
    probe_sites,
    site_lagrangian,
)


def rules(m: int, fixed: Sequence[int] = (), closed: Sequence[int] = (), region_ok: np.ndarray | None = None
          ) -> SiteRules:
    """Sites 0..m-1: ``fixed`` open already, ``closed`` not allowed, the rest may be added."""
    f = np.zeros(m, dtype=bool)
    f[list(fixed)] = True
    allowed = ~f
    allowed[list(closed)] = False
    return SiteRules(f, allowed, region_ok)


def covered(A: np.ndarray, w: np.ndarray, sites: tuple[int, ...] | list[int]) -> float:
    """Weight of the rows of the 0/1 matrix ``A`` that one of ``sites`` covers."""
    return float(w[A[:, list(sites)].any(axis=1)].sum()) if len(sites) else 0.0


def best_cover(A: np.ndarray, w: np.ndarray, p: int, allowed: list[int]) -> float:
    return max(covered(A, w, s) for s in itertools.combinations(allowed, p))


def min_cover_size(A: np.ndarray) -> int:
    """Fewest columns covering every row, by enumeration."""
    m = A.shape[1]
    for k in range(m + 1):
        if any(A[:, list(s)].any(axis=1).all() for s in itertools.combinations(range(m), k)):
            return k
    raise AssertionError("no cover")


def cover_case(seed: int, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int], float]:
    """A random cover (:func:`random_cover`) whose last column may not open: the matrix, weights,
    the allowed mask and columns, and the best weight ``p`` allowed columns cover (brute force)."""
    A, w = random_cover(seed)
    allowed = np.ones(A.shape[1], dtype=bool)
    allowed[-1] = False
    cand = list(np.flatnonzero(allowed))
    return A, w, allowed, cand, best_cover(A, w, p, cand)


def random_cover(seed: int, n: int = 9, m: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """A random 0/1 covering matrix in which every row has a column, and integer weights."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(size=(n, m)) < 0.3
    A[np.arange(n), rng.integers(0, m, n)] = True
    return A, rng.integers(1, 10, n).astype(float)


# ---------------------------------------------------------------- covering

# rows g0..g4 (weights 5 4 3 2 6) x sites c0..c3
COVER = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1]], dtype=bool)
COVER_W = np.array([5, 4, 3, 2, 6], dtype=float)


def test_greedy_cover_by_hand() -> None:
    A = sp.csr_matrix(COVER.astype(float))
    # gains c0 9, c1 7, c2 5, c3 8: c0; then g2 g3 g4 are left: c1 3, c2 5, c3 8: c3
    assert greedy_cover(A, COVER_W, rules(4), p=2) == [0, 3]
    assert covered(COVER, COVER_W, [0, 3]) == best_cover(COVER, COVER_W, 2, [0, 1, 2, 3]) == 17
    # all 20: then g2 alone is left, c1 and c2 gain 3 each, the first wins
    assert greedy_cover(A, COVER_W, rules(4), target=20.0) == [0, 3, 1]
    # c3 already open covers g3 g4: c0 9 > c1 7 > c2 3
    assert greedy_cover(A, COVER_W, rules(4, fixed=[3]), p=1) == [0]
    # c0 may not open: c3 8 > c1 7
    assert greedy_cover(A, COVER_W, rules(4, closed=[0]), p=1) == [3]
    # the only project may only go to c1
    only_c1 = np.array([[False, True, False, False]])
    assert greedy_cover(A, COVER_W, rules(4, region_ok=only_c1), p=1) == [1]


# rows a1 a2 b1 b2 x (weights 1 1 1 1 .5) x sites cA cB cM: cM looks best alone, cA + cB is best as a pair
TRAP = np.array([[1, 0, 1], [1, 0, 0], [0, 1, 1], [0, 1, 0], [0, 0, 1]], dtype=bool)
TRAP_W = np.array([1, 1, 1, 1, 0.5])


def test_greedy_cover_falls_in_the_trap_and_swap_cover_gets_out() -> None:
    A = sp.csr_matrix(TRAP.astype(float))
    greedy = greedy_cover(A, TRAP_W, rules(3), p=2)
    assert greedy == [2, 0]  # cM (2.5), then cA and cB gain 1 each: the first
    assert covered(TRAP, TRAP_W, greedy) == 3.5
    best = best_cover(TRAP, TRAP_W, 2, [0, 1, 2])
    assert best == 4.0
    # dropping cM loses b1 and x (1.5); cB then gains b1 and b2 (2)
    swapped = swap_cover(A, TRAP_W, rules(3), greedy)
    assert sorted(swapped) == [0, 1] and covered(TRAP, TRAP_W, swapped) == best
    # regions keep swaps within one label: cM (region 1) cannot become cB (region 0)
    assert sorted(swap_cover(A, TRAP_W, rules(3), greedy, same_region=np.array(["0", "0", "1"]))) == [0, 2]


def test_drop_redundant_latest_first() -> None:
    # r0: c0 c2, r1: c1 c2, r2: c0
    A = np.array([[1, 0, 1], [0, 1, 1], [1, 0, 0]], dtype=bool)
    G = sp.csr_matrix(A.astype(float))
    none_fixed = np.zeros(3, dtype=bool)
    assert drop_redundant(G, none_fixed, [0, 1, 2]) == [0, 1]  # c2 goes first: c0 and c1 cover r0, r1
    assert drop_redundant(G, none_fixed, [2, 0, 1]) == [2, 0]  # c1 goes first: c2 still covers r1
    assert drop_redundant(G, np.array([False, True, False]), [0, 2]) == [0]  # c1 (fixed) covers r1
    for seed in range(5):
        A, _ = random_cover(seed)
        G = sp.csr_matrix(A.astype(float))
        kept = drop_redundant(G, np.zeros(A.shape[1], dtype=bool), list(range(A.shape[1])))
        assert A[:, kept].any(axis=1).all()  # still a cover ...
        for j in kept:  # ... from which no site can go
            assert not A[:, [k for k in kept if k != j]].any(axis=1).all()


def test_packing_count_by_hand_and_below_the_fewest_sites() -> None:
    # r0: c0 c1, r1: c1 c2, r2: c3, r3: c2 c3; r2 first (one column), then r0; r1, r3 share a used column
    A = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 1, 1]], dtype=bool)
    assert packing_count(sp.csr_matrix(A.astype(float))) == 2 == min_cover_size(A)  # {c1, c3}
    for seed in range(8):
        A, _ = random_cover(seed)
        assert packing_count(sp.csr_matrix(A.astype(float))) <= min_cover_size(A)


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_lscp_bound_is_at_most_the_fewest_sites(seed: int) -> None:
    A, _ = random_cover(seed)
    fewest = min_cover_size(A)
    bound = lagrangian_lscp_bound(sp.csr_matrix(A.astype(float)), np.ones(A.shape[1], dtype=bool), float(A.shape[1]))
    assert bound == int(bound) and 0 < bound <= fewest


def test_lagrangian_lscp_bound_by_hand() -> None:
    # three disjoint rows need three sites; a row covered by every site needs one
    assert lagrangian_lscp_bound(sp.identity(3, format="csr"), np.ones(3, dtype=bool), 3.0) == 3
    assert lagrangian_lscp_bound(sp.csr_matrix(np.ones((1, 3))), np.ones(3, dtype=bool), 3.0) == 1


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_lagrangian_cover_bound_holds_and_its_reduced_cost_test_is_sound(seed: int, p: int, momentum: float) -> None:
    A, w, allowed, cand, best = cover_case(seed, p)
    lower = best - 0.5  # integer weights: only the optimal sets do better
    bound, closed, opened, _ = lagrangian_cover_bound(sp.csr_matrix(A.astype(float)), w, allowed, p, lower,
                                                      momentum=momentum, patience=30 if momentum else 10)
    assert bound >= best - 1e-9
    for j in np.flatnonzero(closed):  # no optimal set opens j
        assert max(covered(A, w, s) for s in itertools.combinations(cand, p) if j in s) < best
    for j in np.flatnonzero(opened):  # every optimal set opens j
        assert max((covered(A, w, s) for s in itertools.combinations(cand, p) if j not in s), default=0) < best


def test_projects_fit() -> None:
    # project 0 only on site 0, project 1 on site 0 or 1, nobody on site 2
    ok = np.array([[True, False, False], [True, True, False]])
    assert projects_fit(ok, [0, 1]) and projects_fit(ok, [1]) and projects_fit(None, [0, 1, 2])
    assert not projects_fit(ok, [1, 2]) and not projects_fit(ok, [0, 1, 2])


# ---------------------------------------------------------------- p-median

# demand and sites at 0, 1, 5.5, 10, 11 on a line, weight 1: two clusters and a point between them
LINE = np.array([0.0, 1.0, 5.5, 10.0, 11.0])


def sorted_line(x: np.ndarray, w: np.ndarray | None = None) -> SortedCosts:
    D = np.abs(x[:, None] - x[None, :])
    order = np.argsort(D, axis=1, kind="stable").astype(np.int32)
    return SortedCosts(order, np.take_along_axis(D, order, axis=1), np.ones(len(x)) if w is None else w, 100.0)


def median_cost(D: np.ndarray, w: np.ndarray, sites: tuple[int, ...] | list[int]) -> float:
    return float(w @ D[:, list(sites)].min(axis=1))


def test_greedy_median_and_teitz_bart_by_hand() -> None:
    sc = sorted_line(LINE)
    D = np.abs(LINE[:, None] - LINE[None, :])
    w = np.ones(5)
    # alone, 5.5 costs 5.5 + 4.5 + 0 + 4.5 + 5.5 = 20, less than any other point (0: 27.5, 1: 24.5)
    assert greedy_median(sc, rules(5), 1) == [2]
    # every second site then brings the cost to 11; the first such (0) is taken
    greedy = greedy_median(sc, rules(5), 2)
    assert greedy == [2, 0] and median_cost(D, w, greedy) == 11
    best = min(median_cost(D, w, s) for s in itertools.combinations(range(5), 2))
    assert best == 6.5  # one site per cluster, e.g. {1, 10}: 1 + 0 + 4.5 + 0 + 1
    swapped, swaps = teitz_bart(sc, rules(5), greedy)
    assert median_cost(D, w, swapped) == best and swaps >= 1
    # with 5.5 already open, one more site: {5.5, 0} .. {5.5, 11} all cost 11
    assert median_cost(D, w, [2, *greedy_median(sc, rules(5, fixed=[2]), 1)]) == 11


def random_median(seed: int, n: int = 8, m: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    D = np.round(np.linalg.norm(rng.uniform(0, 10, (n, 1, 2)) - rng.uniform(0, 10, (1, m, 2)), axis=2), 1)
    return D, rng.integers(1, 6, n).astype(float)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 2, 3])
def test_lagrangian_median_bound_is_at_most_the_optimum(seed: int, p: int) -> None:
    D, w = random_median(seed)
    m = D.shape[1]
    order = np.argsort(D, axis=1, kind="stable").astype(np.int32)
    sc = SortedCosts(order, np.take_along_axis(D, order, axis=1), w, float(D.max()) + 1.0)
    site_rules = rules(m, fixed=[0])
    free = range(1, m)
    cost = {s: median_cost(D, w, (0, *s)) for s in itertools.combinations(free, p)}
    best = min(cost.values())
    dual, closed = lagrangian_median_bound(sc, site_rules, p, best, np.zeros(len(w)))
    assert dual.bound <= best + 1e-9
    for j in np.flatnonzero(closed):  # no optimal set opens a closed site
        assert min(v for s, v in cost.items() if j in s) > best - 1e-9
    # reduced costs and probing against a threshold just below the optimum close only sites that every
    # solution that good would have to leave out: here all of them, as none is that good
    sp_ = median_site_problem(sc, site_rules, p)
    thr = best - 1e-6
    shut = closed_by_reduced_cost(sp_, dual, thr)[0]
    shut, _ = probe_sites(sp_, dual, thr, shut, upper=best, time_budget=5.0)
    for j in np.flatnonzero(shut):
        assert min(v for s, v in cost.items() if j in s) > thr
    # and at the optimum itself, the sites of an optimal set stay open
    keep = probe_sites(sp_, dual, best + 1e-6, np.zeros(m, dtype=bool), upper=best, time_budget=5.0)[0]
    opt = min(cost, key=cost.__getitem__)
    assert not keep[list(opt)].any()
    # Teitz-Bart from the greedy can only improve on it, and never beats the optimum
    greedy = greedy_median(sc, site_rules, p)
    swapped, _ = teitz_bart(sc, site_rules, greedy)
    assert best - 1e-9 <= median_cost(D, w, [0, *swapped]) <= median_cost(D, w, [0, *greedy]) + 1e-9


@pytest.mark.parametrize("seed", [101, 194, 246, 288, 307])
def test_site_tree_search_finds_and_proves_the_enumerated_optimum(seed: int) -> None:
    # started from the worst set of sites, the tree must reach the optimum by its own relaxed solutions
    # and settle every node; started at the optimum, it proves it and finds nothing better. The seeds
    # are draws whose root bound leaves a gap (most small draws close at the root: no branching to test)
    D, w = random_median(seed, n=16, m=14)
    m, p = D.shape[1], 4
    order = np.argsort(D, axis=1, kind="stable").astype(np.int32)
    sc = SortedCosts(order, np.take_along_axis(D, order, axis=1), w, float(D.max()) + 1.0)
    sp_ = median_site_problem(sc, rules(m, fixed=[0], closed=[13]), p)
    cost = {s: median_cost(D, w, (0, *s)) for s in itertools.combinations(range(1, 13), p)}
    best, worst = min(cost.values()), max(cost.values())

    def search(upper: float, budget: float = 30.0) -> TreeSearch:
        return site_tree_search(sp_, np.zeros(len(w)), np.zeros(m, dtype=bool), upper=upper, root_bound=-np.inf,
                                price=lambda sites: median_cost(D, w, [0, *sites.tolist()]),
                                threshold=lambda v: (v - 1e-6, v - 1e-6), time_budget=budget)

    found = search(worst)
    assert found.proven and found.sites is not None and found.nodes > 1
    assert found.value == pytest.approx(best) and median_cost(D, w, [0, *found.sites.tolist()]) == pytest.approx(best)
    assert 13 not in found.sites.tolist() and found.bound == pytest.approx(best - 1e-6)
    again = search(best)
    assert again.proven and again.sites is None and again.value == best
    # out of time at once: not proven, and the bound left is still below the optimum
    cut = search(worst, budget=0.0)
    assert not cut.proven and cut.bound <= best


def test_reduced_cost_test_in_a_branch_keeps_forced_sites_by_hand() -> None:
    # values -9 (forced), -5, -4 picked (p = 3), -1 and 0 left out; bound 10, threshold 12.5:
    # opening 3 (value -1) in place of the worst movable pick (-4) costs 3 > 2.5, opening 4 costs 4;
    # closing 2 (-4) for 3 (-1) costs 3, closing 1 (-5) costs 4: all decided. The forced site 0 is never
    # traded, though swapping it out (-9 for -1) would cost the most.
    rho = np.array([-9.0, -5.0, -4.0, -1.0, 0.0])
    sp_ = SiteProblem(values=lambda lam: rho, subgradient=lambda lam, o: np.zeros(1), fixed=np.zeros(5, dtype=bool),
                      free=np.ones(5, dtype=bool), p=3, lam_lo=np.zeros(1), lam_hi=np.ones(1))
    dual = SiteDual(10.0, np.zeros(1), rho, np.array([0, 1, 2]))
    forced = np.array([True, False, False, False, False])
    closed, opened = closed_by_reduced_cost(sp_, dual, 12.5, forced=forced, allowed=np.ones(5, dtype=bool))
    assert closed.tolist() == [False, False, False, True, True]
    assert opened.tolist() == [False, True, True, False, False]
    closed, opened = closed_by_reduced_cost(sp_, dual, 13.5, forced=forced, allowed=np.ones(5, dtype=bool))
    assert closed.tolist() == [False, False, False, False, True] and opened.tolist() == [False, True, False, False, False]


# ---------------------------------------------------------------- p-center

def line_pairs(x_demand: np.ndarray, x_sites: np.ndarray) -> Pairs:
    D = np.abs(x_demand[:, None] - x_sites[None, :])
    r, c = np.nonzero(np.ones_like(D, dtype=bool))
    return Pairs(r, c, D[r, c])


def radius(x_demand: np.ndarray, x_sites: np.ndarray, sites: tuple[int, ...] | list[int]) -> float:
    return float(np.abs(x_demand[:, None] - x_sites[None, list(sites)]).min(axis=1).max())


def test_farthest_first_by_hand() -> None:
    x = np.array([0.0, 4.0, 10.0])
    pairs, active = line_pairs(x, x), np.ones(3, dtype=bool)
    # nothing open: the first point is worst served, its nearest site is 0; then 10 is 10 away: site 2
    assert farthest_first(pairs, active, rules(3), [], 2) == [0, 2]
    # from site 1: 10 is 6 away, 0 is 4 away: site 2
    assert farthest_first(pairs, active, rules(3), [1], 2) == [1, 2]
    # points without weight do not count: with 10 inactive, 0 (4 away from 1) is the worst served
    assert farthest_first(pairs, np.array([True, True, False]), rules(3), [1], 2) == [1, 0]


def test_center_substitution_by_hand_and_by_brute_force() -> None:
    x = np.array([0.0, 4.0, 10.0])
    pairs, active = line_pairs(x, x), np.ones(3, dtype=bool)
    # {0, 4} leaves 10 six away; swapping 0 for 10 leaves 0 four away from 4
    sel, r, swaps = center_substitution(pairs, active, rules(3), [0, 1])
    assert sorted(sel) == [1, 2] and r == 4 and swaps == 1
    assert r == min(radius(x, x, s) for s in itertools.combinations(range(3), 2))
    rng = np.random.default_rng(3)
    xd, xs = np.sort(rng.uniform(0, 100, 12)), np.sort(rng.uniform(0, 100, 6))
    pairs, active = line_pairs(xd, xs), np.ones(12, dtype=bool)
    best = min(radius(xd, xs, s) for s in itertools.combinations(range(6), 2))
    start = farthest_first(pairs, active, rules(6), [], 2)
    sel, r, _ = center_substitution(pairs, active, rules(6), start)
    assert r == radius(xd, xs, sel) and best <= r <= radius(xd, xs, start)


# ---------------------------------------------------------------- capacitated

def served_lp(inst: CapacitatedPairs, sites: list[int], must_serve: bool) -> Service | None:
    """The best service from ``sites`` (a transportation LP, by scipy): least cost, or most weight served."""
    pr = inst.pairs
    keep = np.isin(pr.c, sites)
    r, c, d = pr.r[keep], pr.c[keep], pr.d[keep]
    n = len(inst.w)
    rows = sp.csr_matrix((np.ones(len(r)), (r, np.arange(len(r)))), shape=(n, len(r)))
    load = sp.csr_matrix((inst.w[r], (c, np.arange(len(r)))), shape=(len(inst.cap), len(r)))
    A_ub, b_ub = sp.vstack([load, rows]), np.concatenate([inst.cap, np.ones(n)])
    cost = inst.w[r] * d if must_serve else -inst.w[r]
    A_eq, b_eq = (rows, np.ones(n)) if must_serve else (None, None)
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, 1), method="highs")
    if res.status != 0:
        return None
    share = res.x
    unserved = np.maximum(inst.w - np.bincount(r, weights=share * inst.w[r], minlength=n), 0.0)
    worst = np.full(n, inst.big)
    on = share > 1e-9
    if on.any():
        worst[np.unique(r[on])] = [d[on][r[on] == i].max() for i in np.unique(r[on])]
    return Service(float(res.fun if must_serve else -res.fun), unserved, worst)


# two demand rows of 10, sites s0 (cost 1 to d0, 5 to d1, cap 10), s1 (5, 1, cap 10), s2 (2, 2, cap 20)
MEDIAN_CAP = CapacitatedPairs(Pairs(np.array([0, 1, 0, 1, 0, 1]), np.array([0, 0, 1, 1, 2, 2]),
                                    np.array([1.0, 5, 5, 1, 2, 2])), np.array([10.0, 10]), np.array([10.0, 10, 20]),
                              100.0)


def test_greedy_capacitated_median_by_hand() -> None:
    # unserved costs 100: s2 serves both at 2 (gain 2 * 10 * 98), s0 or s1 only one row (10 * 99)
    assert greedy_capacitated(MEDIAN_CAP, rules(3), p=1) == ([2], 20.0)
    # then s0 and s1 each move one row from cost 2 to 1: gain 10 either way, the greedy takes one
    sel, served = greedy_capacitated(MEDIAN_CAP, rules(3), p=2)
    assert sel[0] == 2 and sel[1] in (0, 1) and served == 20.0
    assert greedy_capacitated(MEDIAN_CAP, rules(3, closed=[2]), p=1) == ([0], 10.0)


def test_swap_capacitated_reaches_the_brute_force_optimum() -> None:
    cost = {s: served_lp(MEDIAN_CAP, list(s), True) for s in itertools.combinations(range(3), 2)}
    best = min(v.objective for v in cost.values() if v is not None)
    assert best == 20.0  # {s0, s1}: each row at cost 1; with s2 one row costs 2: 30
    sel, obj, swaps = swap_capacitated(lambda s: served_lp(MEDIAN_CAP, s, True), MEDIAN_CAP, rules(3), [2, 1],
                                       maximize=False)
    assert sorted(sel) == [0, 1] and obj == best and swaps == 1


# cover version (cost 0, unserved 1): rows g0 50, g1 30, g2 40; s0 reaches g0 g1 (cap 60), s1 g1 g2 (cap 100),
# s2 g2 (cap 40), s3 g0 (cap 50)
COVER_CAP = CapacitatedPairs(Pairs(np.array([0, 1, 1, 2, 2, 0]), np.array([0, 0, 1, 1, 2, 3]), np.zeros(6)),
                             np.array([50.0, 30, 40]), np.array([60.0, 100, 40, 50]), 1.0)


def test_greedy_capacitated_cover_by_hand() -> None:
    # gains: s0 min(60, 80) = 60, s1 min(100, 70) = 70, s2 40, s3 50; then s0 takes g0 up to 50
    assert greedy_capacitated(COVER_CAP, rules(4), p=1) == ([1], 70.0)
    assert greedy_capacitated(COVER_CAP, rules(4), p=2) == ([1, 0], 120.0)
    assert greedy_capacitated(COVER_CAP, rules(4), target=60.0) == ([1], 70.0)  # 70 >= 60 after one site
    assert greedy_capacitated(COVER_CAP, rules(4, fixed=[1]), p=1) == ([0], 120.0)
    best = max(served_lp(COVER_CAP, list(s), False).objective  # type: ignore[union-attr]
               for s in itertools.combinations(range(4), 2))
    assert best == 120.0
    sel, obj, _ = swap_capacitated(lambda s: served_lp(COVER_CAP, s, False), COVER_CAP, rules(4), [2, 3],
                                   maximize=True)
    assert obj == pytest.approx(best) and served_lp(COVER_CAP, sel, False).objective == pytest.approx(best)  # type: ignore[union-attr]


# rows d0, d1, d2 (10 each); per unit: d0 and d1 cost 5 at s0, 1 at s1, 0.5 at s2; d2 costs 4 at s3, 2 at s1,
# 3 at s4; capacities s0 20, s1 20, s2 10, s3 10, s4 10
RELOCATE = CapacitatedPairs(Pairs(np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]), np.array([0, 1, 2, 0, 1, 2, 3, 1, 4]),
                                  np.array([5.0, 1, 0.5, 5, 1, 0.5, 4, 2, 3])), np.full(3, 10.0),
                            np.array([20.0, 20, 10, 10, 10]), 100.0)


def test_relocate_sites_by_hand() -> None:
    # s0 serves d0 + d1 (cost 100), s3 serves d2 (40). d0 + d1 would cost 20 at s1 and 10 at s2, but s2 holds
    # only 10 of their 20; d2 would cost 20 at s1 and 30 at s4. The larger saving (80 against 20) takes s1 first,
    # so s3 moves to s4, its next cheapest.
    main = np.array([0, 0, 3])
    assert relocate_sites(RELOCATE, rules(5), [0, 3], main) == [1, 4]
    # with s1 closed to new sites d0 + d1 have nowhere better to go; d2 moves to s4
    assert relocate_sites(RELOCATE, rules(5, closed=[1]), [0, 3], main) == [0, 4]
    # at their cheapest already, the sites stay
    assert relocate_sites(RELOCATE, rules(5), [1, 4], np.array([1, 1, 4])) == [1, 4]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_perturbed_cover_swaps_keeps_what_the_given_value_prefers(seed: int) -> None:
    # the local optima are priced by the weight served within capacity (an LP), not the weight covered: on
    # these small covers the search ends at the brute-force best of that value, and from there it stops
    # after max_stall kicks without gain
    A, w = random_cover(seed)
    cap = np.full(A.shape[1], float(w.sum()) / 4)
    r, c = np.nonzero(A)
    inst = CapacitatedPairs(Pairs(r, c, np.zeros(len(r))), w, cap, 1.0)

    def served(sel: list[int]) -> float:
        got = served_lp(inst, sel, False)
        return -np.inf if got is None else got.objective

    best = max(served(list(s)) for s in itertools.combinations(range(A.shape[1]), 2))
    sel, kicks = perturbed_cover_swaps(sp.csr_matrix(A), w, rules(A.shape[1]), [0, 1], time_budget=30.0,
                                       value=served, max_stall=40)
    assert served(sel) == pytest.approx(best) and kicks >= 40
    again, kicks = perturbed_cover_swaps(sp.csr_matrix(A), w, rules(A.shape[1]), sel, time_budget=30.0,
                                         value=served, max_stall=7)
    assert again == sel and kicks == 7


def test_capacity_cut_on_the_site_choice_by_hand() -> None:
    # site values -10, -8, -5, capacities 1, 3, 5, one site to open, 4 to hold. Plain choice: site 0 (-10).
    # With the cut the site choice's LP is min over y0+y1+y2 = 1, y0 + 3 y1 + 5 y2 >= 4: half of site 1 and
    # half of site 2 give -6.5 (site 0 with site 2 needs y2 >= 0.75: -6.25), so the bound is -6.5; the only
    # single site that holds 4 is site 2.
    rho = np.array([-10.0, -8.0, -5.0])
    free = np.ones(3, dtype=bool)

    def problem(capacity: np.ndarray | None, fixed: np.ndarray) -> SiteProblem:
        return SiteProblem(values=lambda lam: rho, subgradient=lambda lam, is_open: np.zeros(1), fixed=fixed,
                           free=free & ~fixed, p=1, lam_lo=np.zeros(1), lam_hi=np.zeros(1),
                           capacity=capacity, need=4.0)

    none = np.zeros(3, dtype=bool)
    plain = site_lagrangian(problem(None, none), 0.0, np.zeros(1), iterations=1)
    assert plain.bound == -10.0 and plain.pick.tolist() == [0]
    cut = site_lagrangian(problem(np.array([1.0, 3, 5]), none), 0.0, np.zeros(1), iterations=1)
    assert cut.bound == pytest.approx(-6.5, abs=1e-9) and cut.pick.tolist() == [2]
    # the reduced-cost tests reason about the plain choice at the same multipliers
    back = plain_dual(problem(np.array([1.0, 3, 5]), none), cut)
    assert back.bound == -10.0 and back.pick.tolist() == [0]
    # a fixed site that holds the need already: the cut does not bind
    fixed = np.array([False, False, True])
    held = site_lagrangian(problem(np.array([1.0, 3, 5]), fixed), 0.0, np.zeros(1), iterations=1)
    assert held.bound == -15.0 and held.pick.tolist() == [0]


@pytest.mark.parametrize("seed", range(6))
def test_capacitated_lagrangian_with_the_cut_stays_below_the_brute_force_optimum(seed: int) -> None:
    from siting.allocation import CPMedian
    from siting.allocation.capacity import AssignWithinCapacity
    from siting.allocation.capacity_dual import KnapsackDual

    rng = np.random.default_rng(seed)
    n, m, p = 8, 6, 2
    cost = rng.integers(1, 30, (n, m)).astype(float)
    w = rng.integers(1, 10, n).astype(float)
    cap = np.round(rng.uniform(0.4, 0.8, m) * w.sum())  # two sites hold it all, one alone may not
    model = CPMedian.from_cost_matrix(cost, w, p=p, capacity=cap)
    r, c = np.nonzero(np.ones((n, m), dtype=bool))
    inst = CapacitatedPairs(Pairs(r, c, cost[r, c]), w, cap, 1e6)
    served = [served_lp(inst, list(s), True) for s in itertools.combinations(range(m), p)]
    best = min(v.objective for v in served if v is not None)
    assert model.solve(method="mip").objective == pytest.approx(best)
    cm = AssignWithinCapacity(model, model.modules, cost_weight=model.cost_weights(), active=model.active())
    kd = KnapsackDual.of(cm)
    assert kd.sites.capacity is not None and kd.sites.need == w.sum()
    dual = site_lagrangian(kd.sites, best, kd.start(None), iterations=3000, patience=20)
    assert dual.bound <= best + 1e-6 * best
    assert plain_dual(kd.sites, dual).bound <= dual.bound + 1e-9


# ---------------------------------------------------------------- the Lagrangian bounds reach the LP bound
#
# Each Lagrangian dual here equals the LP relaxation of its problem (the subproblems are integral),
# so on small instances the subgradient method must end at the LP value that scipy's HiGHS finds;
# a bound that is only valid (below the optimum) is not enough. The reduced-cost tests are checked
# against brute force: on the instances listed they fix every site brute force can fix.

def test_step_size_halves_after_patience_steps_without_a_better_bound() -> None:
    step = StepSize(patience=3)
    assert (step.theta, step.stall, step.patience) == (2.0, 0, 3)
    step.record(False)
    step.record(False)
    assert (step.theta, step.stall) == (2.0, 2)
    step.record(True)  # a better bound: the count starts again
    assert (step.theta, step.stall) == (2.0, 0)
    for _ in range(3):
        step.record(False)
    assert (step.theta, step.stall) == (1.0, 0)
    for _ in range(3):
        step.record(False)
    assert (step.theta, step.stall) == (0.5, 0)


def lscp_lp(A: np.ndarray, allowed: np.ndarray) -> float:
    """The LP relaxation of set covering: fewest (fractional) allowed columns covering every row."""
    res = linprog(np.ones(A.shape[1]), A_ub=-A.astype(float), b_ub=-np.ones(A.shape[0]),
                  bounds=[(0, 1 if a else 0) for a in allowed], method="highs")
    return float(res.fun)


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_lscp_bound_reaches_the_lp_bound(seed: int) -> None:
    A, _ = random_cover(seed)
    everywhere = np.ones(A.shape[1], dtype=bool)
    lp = lscp_lp(A, everywhere)
    bound = lagrangian_lscp_bound(sp.csr_matrix(A.astype(float)), everywhere, float(A.shape[1]))
    assert bound == np.ceil(lp - 1e-9)


def test_lagrangian_lscp_bound_counts_only_the_sites_that_may_open() -> None:
    # rows r0 r1 r2 are each covered by their own column and by c3: c3 alone covers them all;
    # without c3 they need three sites. From u = 1/2 per row the bound must climb from 1.5 to 3.
    A = np.array([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1]], dtype=float)
    assert lagrangian_lscp_bound(sp.csr_matrix(A), np.ones(4, dtype=bool), 4.0) == 1
    assert lagrangian_lscp_bound(sp.csr_matrix(A), np.array([True, True, True, False]), 4.0) == 3
    assert lagrangian_lscp_bound(sp.csr_matrix((0, 3)), np.ones(3, dtype=bool), 3.0) == 0.0  # nothing to cover


def mclp_lp(A: np.ndarray, w: np.ndarray, allowed: np.ndarray, p: int) -> float:
    """The LP relaxation of the MCLP: y per site, z per row; max w·z, z_g <= sum of the y covering g, sum y = p."""
    n, m = A.shape
    res = linprog(np.r_[np.zeros(m), -w], A_ub=np.c_[-A.astype(float), np.eye(n)], b_ub=np.zeros(n),
                  A_eq=np.r_[np.ones(m), np.zeros(n)][None, :], b_eq=[p],
                  bounds=[(0, 1 if a else 0) for a in allowed] + [(0, 1)] * n, method="highs")
    return -float(res.fun)


#: (seed, p) of random_cover where the reduced-cost test fixes every site brute force can fix.
COVER_FIXED_EXACTLY = [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (2, 1), (2, 3), (3, 3), (4, 1), (5, 1)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 2, 3])
def test_lagrangian_cover_bound_reaches_the_lp_bound(seed: int, p: int) -> None:
    A, w, allowed, cand, best = cover_case(seed, p)
    bound, closed, opened, _ = lagrangian_cover_bound(sp.csr_matrix(A.astype(float)), w, allowed, p, best - 0.5)
    assert bound == pytest.approx(mclp_lp(A, w, allowed, p), abs=1e-3)  # the subgradient ends within 1e-4 of it
    if (seed, p) in COVER_FIXED_EXACTLY:
        sets = list(itertools.combinations(cand, p))
        assert list(np.flatnonzero(closed)) == [j for j in cand if max(covered(A, w, s) for s in sets if j in s) < best]
        assert list(np.flatnonzero(opened)) == [j for j in cand if max(covered(A, w, s) for s in sets if j not in s) < best]


def test_lagrangian_cover_bound_with_every_site_open_or_none() -> None:
    A, w = random_cover(0)
    allowed = np.ones(A.shape[1], dtype=bool)
    allowed[0] = False
    everything = covered(A, w, list(range(1, A.shape[1])))
    bound, closed, opened, _ = lagrangian_cover_bound(sp.csr_matrix(A.astype(float)), w, allowed, 10, everything - 0.5)
    assert bound == pytest.approx(everything) and not closed.any() and not opened.any()  # p > candidates: all open
    bound, closed, opened, _ = lagrangian_cover_bound(sp.csr_matrix(A.astype(float)), w, allowed, 0, -0.5)
    assert bound == pytest.approx(0.0, abs=1e-9) and not closed.any() and not opened.any()


@pytest.mark.parametrize("seed", range(4))
def test_lagrangian_cover_bound_never_exceeds_the_total_weight(seed: int) -> None:
    # one step from μ = w/2 with every site allowed and p = all of them: Σ w/2 plus every σ_j counts
    # each row's half weight once per covering site, above Σ w wherever rows are covered twice
    A, w = random_cover(seed)
    A[:, 0] = True  # every row is covered twice at least
    allowed = np.ones(A.shape[1], dtype=bool)
    bound, _, _, _ = lagrangian_cover_bound(sp.csr_matrix(A.astype(float)), w, allowed, A.shape[1], 0.0,
                                            iterations=1)
    assert bound == pytest.approx(w.sum())  # = the best: all covered

def median_lp(D: np.ndarray, w: np.ndarray, p: int, fixed: list[int]) -> float:
    """The LP relaxation of the p-median with ``fixed`` open: y per site, x per pair, each row assigned once."""
    n, m = D.shape
    nv = m + n * m
    assign = np.zeros((n, nv))
    for i in range(n):
        assign[i, m + i * m: m + (i + 1) * m] = 1.0
    count = np.r_[np.ones(m), np.zeros(n * m)][None, :]
    link = np.zeros((n * m, nv))  # x_ij <= y_j
    for i in range(n):
        for j in range(m):
            link[i * m + j, m + i * m + j], link[i * m + j, j] = 1.0, -1.0
    res = linprog(np.r_[np.zeros(m), (w[:, None] * D).ravel()], A_ub=link, b_ub=np.zeros(n * m),
                  A_eq=np.r_[assign, count], b_eq=np.r_[np.ones(n), p + len(fixed)],
                  bounds=[(1, 1) if j in fixed else (0, 1) for j in range(m)] + [(0, 1)] * (n * m), method="highs")
    return float(res.fun)


def median_instance(seed: int, max_rank: int | None = None) -> tuple[np.ndarray, np.ndarray, SortedCosts]:
    D, w = random_median(seed)
    order, costs = sorted_costs(D, max_rank)
    # The compiled loops are compiled (or loaded) once before a bound is timed against its budget.
    sc = SortedCosts(order, costs, w, float(D.max()) + 1.0)
    lagrangian_median_bound(sc, rules(D.shape[1]), 1, 1.0, np.zeros(len(w)), iterations=1)
    return D, w, sc


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 2, 3])
def test_lagrangian_median_bound_reaches_the_lp_bound_and_closes_what_brute_force_closes(seed: int, p: int) -> None:
    D, w, sc = median_instance(seed)
    m = D.shape[1]
    cost = {s: median_cost(D, w, (0, *s)) for s in itertools.combinations(range(1, m), p)}
    best = min(cost.values())
    dual, closed = lagrangian_median_bound(sc, rules(m, fixed=[0]), p, best, np.zeros(len(w)))
    bound, rho, pick = dual.bound, dual.rho, dual.pick
    assert bound == pytest.approx(median_lp(D, w, p, [0]), abs=1e-9)
    assert len(pick) == p and 0 not in pick and len(rho) == m
    assert list(np.flatnonzero(closed)) == [j for j in range(1, m) if min(v for s, v in cost.items() if j in s) > best + 1e-9]


@pytest.mark.parametrize("seed", range(4))
def test_lagrangian_median_bound_stays_valid_on_short_lists_and_any_start(seed: int) -> None:
    # Only each row's two nearest sites are kept: lambda must be capped at the last kept cost,
    # or the rows whose kept sites are all closed would count lambda as if it were a cost.
    D, w, sc = median_instance(seed, max_rank=2)
    best = min(median_cost(D, w, (0, *s)) for s in itertools.combinations(range(1, D.shape[1]), 2))
    for lam0 in (np.zeros(len(w)), np.full(len(w), 1e9)):
        dual, closed = lagrangian_median_bound(sc, rules(D.shape[1], fixed=[0]), 2, best, lam0)
        bound = dual.bound
        assert bound <= best + 1e-9 and not closed[0]
