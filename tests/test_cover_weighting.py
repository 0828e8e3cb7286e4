"""Row-weighting local search for set covers (siting.allocation.heuristics.cover_weighting), against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from siting.allocation.heuristics.cover_weighting import _search, weighted_cover_search
from tests.test_cover_lns import fewest_columns, is_cover


def test_greedy_trap_by_hand() -> None:
    # rows 1..6: site 0 covers 1-4 (the greedy's first pick), site 1 covers 1, 3, 5 and site 2 covers 2, 4, 6;
    # from the greedy's cover {0, 1, 2} the search must find {1, 2}, which drops the largest site
    A = np.zeros((6, 3), dtype=bool)
    A[[0, 1, 2, 3], 0] = A[[0, 2, 4], 1] = A[[1, 3, 5], 2] = True
    found, swaps = weighted_cover_search(sp.csr_matrix(A.astype(float)), [0, 1, 2], time_budget=5.0, lower=2)
    assert sorted(found) == [1, 2] and swaps >= 1


@pytest.mark.parametrize("seed", range(8))
def test_reaches_the_fewest_sites_from_every_site(seed: int) -> None:
    # stops as soon as it reaches the brute-force minimum (given as the lower bound); when it cannot, it
    # runs out its 5 s and the size check fails
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 10, (120, 2)), rng.uniform(0, 10, (18, 2))
    A = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) < 3.0
    A = A[A.any(axis=1)]
    best = fewest_columns(A)
    found, _ = weighted_cover_search(sp.csr_matrix(A.astype(float)), list(range(18)), time_budget=5.0, lower=best)
    assert is_cover(A, found)
    assert len(found) == best


def test_keeps_a_cover_and_never_grows_it() -> None:
    rng = np.random.default_rng(3)
    A = rng.uniform(size=(200, 40)) < 0.08
    A[np.arange(200), rng.integers(0, 40, 200)] = True
    start = list(range(40))
    found, swaps = weighted_cover_search(sp.csr_matrix(A.astype(float)), start, time_budget=0.3)
    assert is_cover(A, found) and len(found) < len(start) and swaps > 0
    # a start at the bound is returned as it is
    assert weighted_cover_search(sp.csr_matrix(A.astype(float)), found, time_budget=0.3, lower=len(found))[0] == found


@pytest.mark.parametrize("iterations", [1, 7, 500])
def test_scores_kept_by_the_swaps_equal_scores_recomputed(iterations: int) -> None:
    # a site out of the set scores the weight of the uncovered rows it covers; a site in it, minus the
    # weight of the rows only it covers: recomputed from the final set and weights, they must match the
    # kernel's incremental bookkeeping after any number of swaps
    rng = np.random.default_rng(11)
    A = rng.uniform(size=(150, 30)) < 0.1
    A[np.arange(150), rng.integers(0, 30, 150)] = True
    csr, csc = sp.csr_matrix(A.astype(float)), sp.csc_matrix(A.astype(float))
    arrays = [a.astype(np.int64) for a in (csr.indptr, csr.indices, csc.indptr, csc.indices)]
    best, in_set, score, w = _search(*arrays, np.arange(30, dtype=np.int64), iterations, 0, 0)
    assert is_cover(A, list(np.flatnonzero(best)))
    count = A[:, in_set].sum(axis=1)
    expected = np.where(in_set, -(A & (count == 1)[:, None]).T.astype(int) @ w,
                        (A & (count == 0)[:, None]).T.astype(int) @ w)
    assert score.tolist() == expected.tolist()
    assert (w >= 1).all() and (iterations < 500 or (w > 1).any())  # rows left uncovered gained weight
