"""Benchmark: siting.allocation (HiGHS + heuristics) against PySAL spopt (PuLP + CBC).

Instances are random points in a 30 km square (costs: straight-line metres),
demand weights 1..100. spopt runs only on sizes it builds in reasonable time,
with a time limit (``spopt_limit=hit`` says when CBC stopped on it; then its
"Optimal" label is not a proof).

Prints one line per case::

    RESULT case=<model>_<n>x<m> ratio=<spopt_time/ours> gap=<our gap> ours_s=... obj=... spopt_obj=...

Run ``python bench/bench_allocation.py --quick`` (a few minutes) or without
``--quick`` for the full set (up to 20,000 x 2,000; about 15 minutes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from siting.allocation import LSCP, MCLP, PMedian

SIDE = 30_000.0


def points(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, SIDE, (n, 2)), rng.uniform(0, SIDE, (m, 2)), rng.integers(1, 101, n).astype(float)


def sparse_within(d: np.ndarray, c: np.ndarray, cutoff: float) -> sp.coo_matrix:
    """Pairs within ``cutoff`` only (what a bounded network search gives)."""
    m = cKDTree(d).sparse_distance_matrix(cKDTree(c), cutoff, output_type="coo_matrix")
    # explicit zeros would vanish: nudge exact zeros
    m.data = np.maximum(m.data, 1e-9)
    return m


def dense(d: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.sqrt(((d[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))


def run_spopt(model: str, cost: np.ndarray, w: np.ndarray, p: int | None, cutoff: float | None,
              limit: float) -> tuple[float | None, float, bool]:
    """Solve with spopt (PuLP + CBC, time limit); return (objective of its sites, seconds, limit hit).

    The objective is recomputed from the sites spopt opened: at a time limit, PuLP's
    objective value can belong to a fractional point, not to a solution.
    """
    import pulp
    from spopt.locate import LSCP as SL
    from spopt.locate import MCLP as SM
    from spopt.locate import PMedian as SP

    t0 = time.perf_counter()
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
    if model == "mclp":
        obj = SM.from_cost_matrix(cost, w, cutoff, p_facilities=p)
    elif model == "lscp":
        obj = SL.from_cost_matrix(cost, cutoff)
    else:
        obj = SP.from_cost_matrix(cost, w, p_facilities=p)
    hit = False
    try:
        obj.solve(solver)
    except RuntimeError:  # spopt raises when CBC stops at the limit without a status it accepts
        hit = True
    secs = time.perf_counter() - t0
    hit = hit or secs >= limit
    sites = [j for j, v in enumerate(obj.fac_vars) if v.value() is not None and v.value() > 0.5]
    if model == "mclp":
        value = float(w[(cost[:, sites] <= cutoff).any(axis=1)].sum()) if len(sites) == p else None
    elif model == "lscp":
        value = float(len(sites)) if sites and (cost[:, sites] <= cutoff).any(axis=1).all() else None
    else:
        value = float(w @ cost[:, sites].min(axis=1)) if len(sites) == p else None
    return value, secs, hit


def case(model: str, n: int, m: int, *, p: int | None = None, cutoff: float | None = None, spopt: bool = False,
         time_limit: float = 60.0, spopt_limit: float = 120.0, seed: int = 0) -> None:
    d, c, w = points(seed, n, m)
    t0 = time.perf_counter()
    if model == "pmedian":
        mdl = PMedian.from_cost_matrix(dense(d, c), w, p=p)
    elif model == "mclp":
        assert cutoff is not None
        mdl = MCLP.from_cost_matrix(sparse_within(d, c, cutoff), w, cutoff=cutoff, p=p)
    else:
        assert cutoff is not None
        mdl = LSCP.from_cost_matrix(sparse_within(d, c, cutoff), cutoff=cutoff)
    res = mdl.solve(time_limit=time_limit)
    ours = time.perf_counter() - t0  # matrix + model + solve, as for spopt
    ratio = "nan"
    extra = ""
    if spopt:
        sobj, ssec, hit = run_spopt(model, dense(d, c), w if model != "lscp" else w, p, cutoff, spopt_limit)
        ratio = f"{ssec / ours:.2f}"
        if res.objective is None:
            better = False
        elif sobj is None:  # spopt returned no valid solution
            better = True
        elif model == "mclp":
            better = res.objective >= sobj - 1e-6
        else:
            better = res.objective <= sobj + 1e-6 * abs(sobj)
        shown = "null" if sobj is None else f"{sobj:.6g}"
        extra = f" spopt_s={ssec:.2f} spopt_obj={shown} spopt_limit={'hit' if hit else 'no'} ours_equal_or_better={better}"
    gap = "null" if res.gap is None else f"{res.gap:.5f}"
    name = f"{model}_{n}x{m}" + (f"_r{cutoff:g}" if model == "mclp" else "")
    print(f"RESULT case={name} ratio={ratio} gap={gap} ours_s={ours:.2f} solve_s={res.seconds:.2f} "
          f"obj={res.objective:.6g} bound={res.bound if res.bound is None else f'{res.bound:.6g}'} "
          f"status={res.status} method={res.method} p={p} cutoff={cutoff}{extra}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller set that runs in a few minutes")
    args = ap.parse_args()
    # shared with spopt
    case("mclp", 2_000, 200, p=20, cutoff=2_500, spopt=True)
    case("lscp", 2_000, 200, cutoff=4_000, spopt=True)
    case("pmedian", 1_000, 100, p=10, spopt=True, spopt_limit=60)
    case("mclp", 10_000, 500, p=30, cutoff=1_500, spopt=True, spopt_limit=120)
    if not args.quick:
        case("pmedian", 2_000, 200, p=20, spopt=True, spopt_limit=120)
    # the targets
    case("mclp", 50_000, 1_000, p=50, cutoff=1_500, time_limit=8)
    case("mclp", 50_000, 1_000, p=50, cutoff=2_000, time_limit=8)  # heavy overlap: a weak LP, a wider gap
    case("pmedian", 10_000, 1_000, p=50, time_limit=25)
    if not args.quick:
        case("mclp", 20_000, 2_000, p=100, cutoff=1_500, time_limit=20)
        case("lscp", 20_000, 2_000, cutoff=2_000, time_limit=30)
        case("pmedian", 20_000, 2_000, p=100, time_limit=40)


if __name__ == "__main__":
    main()
