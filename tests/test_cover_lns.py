"""The large-neighbourhood search for set covers (siting.allocation.cover_lns), against brute force."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp

from siting.allocation.cover_lns import cover_lns


def fewest_columns(A: np.ndarray) -> int:
    """The size of the smallest cover of the rows of ``A`` (brute force)."""
    for k in range(1, A.shape[1] + 1):
        if any(A[:, list(cols)].any(axis=1).all() for cols in combinations(range(A.shape[1]), k)):
            return k
    raise AssertionError("no cover")


def is_cover(A: np.ndarray, cols: list[int]) -> bool:
    return bool(A[:, cols].any(axis=1).all())


@pytest.mark.parametrize("seed", range(6))
def test_a_neighbourhood_of_every_site_finds_the_fewest(seed: int) -> None:
    rng = np.random.default_rng(seed)
    A = rng.uniform(size=(16, 10)) < 0.25
    A[np.arange(16), rng.integers(0, 10, 16)] = True
    A[0] = True  # one row every column covers: all columns are neighbours, one move frees every site
    start = list(range(10))
    found, moves = cover_lns(sp.csr_matrix(A.astype(float)), start, time_budget=0.3, size=10, lower=0)
    assert moves >= 1
    assert is_cover(A, found)
    assert len(found) == fewest_columns(A)


def test_small_neighbourhoods_keep_a_cover_and_never_grow_it() -> None:
    rng = np.random.default_rng(7)
    demand, sites = rng.uniform(0, 10, (300, 2)), rng.uniform(0, 10, (60, 2))
    A = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) < 2.0
    A = A[A.any(axis=1)]
    start = list(range(60))  # every site: far from the fewest
    found, _ = cover_lns(sp.csr_matrix(A.astype(float)), start, time_budget=1.0, size=4)
    assert is_cover(A, found)
    assert len(found) < len(start)
