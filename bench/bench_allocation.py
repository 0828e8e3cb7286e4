"""Benchmark: siting.allocation on published instances with known optima, on large generated ones, and against spopt.

Sets (``--sets``, comma-separated; default all):

``pmed``
    OR-Library pmed1..40 (Beasley 1990), p-median on all-pairs shortest paths; proven optimum expected.
``pmedcap``
    Osman & Christofides pmedcap01..20: capacitated p-median, single sourcing, unweighted floored distances.
``sjc``
    Lorena & Senne SJC1..SJC4b: the same with real distances.
``models``
    Every model (lscp, mclp, pmedian, pcenter, cmclp, cpmedian, target) on a small random instance, each
    solved by the MIP and checked against the heuristic's bound.
``spopt``
    The same instances as PySAL spopt (PuLP + CBC) with a time limit; the time ratio is printed only when
    both give the same objective.
``large``
    LSCP 2,000 x 200 and 20,000 x 2,000; MCLP 50,000 x 1,000 (p = 50) at 1.5, 2 and 3 km; capacitated MCLP
    and p-median 20,000 x 500; p-median 10,000 x 1,000. Each against its target (gap and seconds).
``prefecture``
    MCLP with 200,000 demand points x 5,000 candidates on a generated city network (``make_pbf.py``),
    within 2 minutes and 4 GB.

Every case prints one line::

    RESULT case=<name> gap=<gap> seconds=<wall> optimum=<published or null> objective=... bound=... status=...

and the run exits with status 1, after printing what is wrong, when a result's status, bound or gap does
not follow from its solution (``model.verify``), when an optimum disagrees with the published one, or when
spopt finds a better objective than one we call optimal. ``--quick`` runs a CI-sized subset in a few
minutes. The published instances are read from ``--orlib`` (default ``$SITING_ORLIB``, else
``../shared/benchmarks/orlib`` next to the repository).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from siting.allocation import CMCLP, LSCP, MCLP, CoverageTarget, CPMedian, PCenter, PMedian
from siting.allocation.orlib import read_instance, read_optima

REPO = Path(__file__).resolve().parents[1]
SIDE = 30_000.0
SETS = ("pmed", "pmedcap", "sjc", "models", "spopt", "large", "prefecture")
#: Seconds per published instance. pmed's target is a total (all 40 proven within 10 minutes): most
#: take seconds, pmed36 about 150 s.
DEFAULT_LIMITS = {"pmed": 240.0, "pmedcap": 60.0, "sjc": 300.0}
PROBLEMS: list[str] = []


def orlib_folder(given: str | None) -> Path:
    """The folder of the published instances: ``--orlib``, ``$SITING_ORLIB``, or ``../shared/benchmarks/orlib``."""
    return Path(given or os.environ.get("SITING_ORLIB") or REPO.parent / "shared" / "benchmarks" / "orlib")


def load() -> str:
    """The 1-minute load average: how busy the shared machine was."""
    return f"{os.getloadavg()[0]:.1f}"


def fmt(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, float):
        return f"{v:.10g}"  # SJC optima have two decimals
    return str(v)


def run_case(case: str, make: Callable[[], Any], *, time_limit: float, optimum: float | None = None,
             tol: float = 0.0, target: tuple[float, float] | None = None, **solve: Any) -> Any:
    """Build and solve one model, check it, print its RESULT line; return the result."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        model = make()
        res = model.solve(time_limit=time_limit, **solve)
    except Exception as exc:  # a crash is a finding: report it and go on with the other cases
        print(f"RESULT case={case} gap=null seconds={time.perf_counter() - t0:.2f} optimum={fmt(optimum)} "
              f"status=error error={type(exc).__name__}", flush=True)
        PROBLEMS.append(f"{case}: {type(exc).__name__}: {exc}")
        print(f"PROBLEM {PROBLEMS[-1]}", flush=True)
        return None
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    problems = [f"{case}: {p}" for p in model.verify(res)]
    if optimum is not None:
        problems += [f"{case}: {p}" for p in published_problems(res, optimum, tol, model.maximize)]
    extra = ""
    if target is not None:
        met = res.gap is not None and res.gap <= target[0] + 1e-12 and wall <= target[1]
        extra = f" target=gap<={target[0]:g}@{target[1]:g}s met={'yes' if met else 'no'}"
    print(f"RESULT case={case} gap={fmt(res.gap)} seconds={wall:.2f} optimum={fmt(optimum)} "
          f"objective={fmt(res.objective)} bound={fmt(res.bound)} status={res.status} method={res.method} "
          f"cpu={cpu:.2f} load={load()}{extra}", flush=True)
    for p in problems:
        print(f"PROBLEM {p}", flush=True)
    PROBLEMS.extend(problems)
    return res


def published_problems(res: Any, optimum: float, tol: float, maximize: bool) -> list[str]:
    """Where a result contradicts a published optimum: another optimum, a better objective, a bound past it."""
    out = []
    obj, bound = res.objective, res.bound
    if res.status == "optimal" and abs(obj - optimum) > tol:
        out.append(f"optimum {obj!r} proven, {optimum!r} published")
    better = obj > optimum + tol if maximize else obj < optimum - tol
    if better:
        out.append(f"objective {obj!r} is better than the published optimum {optimum!r}")
    if bound is not None and (bound < optimum - tol if maximize else bound > optimum + tol):
        out.append(f"bound {bound!r} excludes the published optimum {optimum!r}")
    return out


# ---------------------------------------------------------------- published instances

def run_published(folder: Path, names: list[str], time_limit: float) -> None:
    optima = read_optima(folder)
    total, proven, at_published = 0.0, 0, 0
    for name in names:
        inst = read_instance(folder, name)
        opt = optima[name]
        if inst.family == "pmed":
            def make(inst: Any = inst) -> Any:
                return PMedian.from_cost_matrix(inst.cost, None, p=inst.p)
            tol = 0.5
        else:
            def make(inst: Any = inst) -> Any:
                return CPMedian.from_cost_matrix(inst.cost, None, p=inst.p, capacity=inst.capacity, load=inst.demand,
                                                 single_source=True, cost_weight="none")
            tol = 0.5 if inst.family == "pmedcap" else 0.005 + 1e-7 * opt  # SJC optima are printed to 2 decimals
        t0 = time.perf_counter()
        res = run_case(name, make, time_limit=time_limit, optimum=opt, tol=tol)
        total += time.perf_counter() - t0
        proven += res is not None and res.status == "optimal"
        at_published += res is not None and abs(res.objective - opt) <= tol
    # the targets are stated per set: all at the published optimum, proven, in so many minutes
    print(f"# {len(names)} published instance(s): {at_published} at the published optimum, {proven} proven "
          f"optimal, {total:.1f} s in total ({time_limit:g} s limit each)", flush=True)


# ---------------------------------------------------------------- generated instances

def points(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, SIDE, (n, 2)), rng.uniform(0, SIDE, (m, 2)), rng.integers(1, 101, n).astype(float)


def sparse_within(d: np.ndarray, c: np.ndarray, cutoff: float) -> sp.coo_matrix:
    """Pairs within ``cutoff`` only (what a bounded network search gives)."""
    m = cKDTree(d).sparse_distance_matrix(cKDTree(c), cutoff, output_type="coo_matrix")
    m.data = np.maximum(m.data, 1e-9)  # explicit zeros would vanish
    return m


def dense(d: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.sqrt(((d[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))


def capacities(w: np.ndarray, m: int, p: int, slack: float, seed: int) -> np.ndarray:
    """Capacities such that ``p`` average sites hold ``slack`` times the demand, varying by ±30 %."""
    rng = np.random.default_rng(seed + 1)
    return np.round(slack * w.sum() / p * rng.uniform(0.7, 1.3, m))


def warm_up() -> None:
    """Solve every model once on a tiny instance, untimed.

    The heuristics' numba kernels compile on their first call in a fresh checkout (seconds; cached
    on disk afterwards): the cases time the solve, not the compile.
    """
    d, c, w = points(9, 60, 12)
    cost = np.round(dense(d, c))
    cap = capacities(w, 12, 3, 1.3, 9)
    for make in (lambda: LSCP.from_cost_matrix(cost, w, cutoff=15_000),
                 lambda: MCLP.from_cost_matrix(cost, w, cutoff=5_000, p=3),
                 lambda: PMedian.from_cost_matrix(cost, w, p=3),
                 lambda: CMCLP.from_cost_matrix(cost, w, cutoff=8_000, p=3, capacity=cap),
                 lambda: CPMedian.from_cost_matrix(cost, w, p=3, capacity=cap, single_source=True)):
        for method in ("heuristic", "auto"):
            make().solve(time_limit=5, method=method)


def run_models(quick: bool) -> None:
    """Every model on one small instance, by the MIP (with the heuristic's warm start) and by the heuristic alone."""
    n, m = (300, 30) if quick else (1_000, 60)
    d, c, w = points(3, n, m)
    cost = np.round(dense(d, c))
    cap = capacities(w, m, 5, 1.15, 3)
    tight = capacities(w, m, 5, 0.6, 3)  # five sites hold 60 % of the demand: coverage is capacity-bound
    load_ = np.random.default_rng(4).integers(1, 4, n).astype(float)
    cases: dict[str, Callable[[], Any]] = {
        "lscp": lambda: LSCP.from_cost_matrix(cost, w, cutoff=10_000),
        "mclp": lambda: MCLP.from_cost_matrix(cost, w, cutoff=4_000, p=5),
        "pmedian": lambda: PMedian.from_cost_matrix(cost, w, p=5),
        "pcenter": lambda: PCenter.from_cost_matrix(cost, w, p=5),
        "target": lambda: CoverageTarget.from_cost_matrix(cost, w, cutoff=4_000, share=0.7),
        "cmclp": lambda: CMCLP.from_cost_matrix(cost, w, cutoff=6_000, p=5, capacity=tight),
        "cmclp_single": lambda: CMCLP.from_cost_matrix(cost, w, cutoff=6_000, p=5, capacity=tight, single_source=True),
        "cpmedian": lambda: CPMedian.from_cost_matrix(cost, w, p=5, capacity=cap),
        "cpmedian_single_unweighted": lambda: CPMedian.from_cost_matrix(
            cost, w, p=5, capacity=np.round(cap * load_.sum() / w.sum()), load=load_, single_source=True,
            cost_weight="none"),
        "cmclp_modules": lambda: CMCLP.from_cost_matrix(cost, w, cutoff=6_000, p=5, module_size=500, max_modules=4),
    }
    for name, make in cases.items():
        exact = run_case(f"models_{name}_{n}x{m}", make, time_limit=60, method="mip")
        alone = run_case(f"models_{name}_{n}x{m}_heuristic", make, time_limit=20, method="heuristic")
        if exact is not None and alone is not None and exact.status == "optimal" and alone.bound is not None:
            lo, hi = (alone.objective, alone.bound) if make().maximize else (alone.bound, alone.objective)
            if not lo - 1e-6 * max(1.0, abs(lo)) <= exact.objective <= hi + 1e-6 * max(1.0, abs(hi)):
                problem = f"models_{name}: proven optimum {exact.objective!r} outside the heuristic's [{lo!r}, {hi!r}]"
                print(f"PROBLEM {problem}", flush=True)
                PROBLEMS.append(problem)


def run_large(quick: bool) -> None:
    """The targets of issue 14 on generated instances (random points in a 30 km square, straight-line metres)."""
    d, c, w = points(0, 2_000, 200)
    run_case("lscp_2000x200", lambda: LSCP.from_cost_matrix(sparse_within(d, c, 4_000), cutoff=4_000),
             time_limit=60, target=(0.0, 1.0))
    d, c, w = points(0, 50_000, 1_000)
    for cutoff in (1_500, 2_000, 3_000):
        run_case(f"mclp_50000x1000_p50_r{cutoff}", lambda r=cutoff: MCLP.from_cost_matrix(sparse_within(d, c, r), w,
                                                                                            cutoff=r, p=50),
                 time_limit=28, target=(0.01, 30.0))
        if quick:
            break
    if quick:
        return
    d, c, w = points(0, 20_000, 2_000)
    run_case("lscp_20000x2000", lambda: LSCP.from_cost_matrix(sparse_within(d, c, 2_000), cutoff=2_000),
             time_limit=120, target=(0.01, 120.0))
    d, c, w = points(0, 20_000, 500)
    cap = capacities(w, 500, 50, 1.1, 0)
    run_case("cmclp_20000x500_p50", lambda: CMCLP.from_cost_matrix(sparse_within(d, c, 2_500), w, cutoff=2_500,
                                                                     p=50, capacity=cap),
             time_limit=55, target=(0.02, 60.0))
    run_case("cpmedian_20000x500_p50", lambda: CPMedian.from_cost_matrix(dense(d, c), w, p=50, capacity=cap),
             time_limit=55, target=(0.02, 60.0))
    d, c, w = points(0, 10_000, 1_000)
    run_case("pmedian_10000x1000_p50", lambda: PMedian.from_cost_matrix(dense(d, c), w, p=50), time_limit=60)


# ---------------------------------------------------------------- spopt

def run_spopt(model: str, cost: np.ndarray, w: np.ndarray, p: int | None, cutoff: float | None,
              limit: float) -> tuple[float | None, float, bool]:
    """Solve with spopt (PuLP + CBC, time limit); (objective of its sites, seconds, limit hit).

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


def spopt_case(model: str, n: int, m: int, *, p: int | None = None, cutoff: float | None = None,
               spopt_limit: float = 120.0) -> None:
    """Ours and spopt's on one instance; the ratio only when both objectives agree."""
    d, c, w = points(0, n, m)
    if model == "pmedian":
        def make() -> Any:
            return PMedian.from_cost_matrix(dense(d, c), w, p=p)
    elif model == "mclp":
        def make() -> Any:
            return MCLP.from_cost_matrix(sparse_within(d, c, cutoff), w, cutoff=cutoff, p=p)  # type: ignore[arg-type]
    else:
        def make() -> Any:
            return LSCP.from_cost_matrix(sparse_within(d, c, cutoff), cutoff=cutoff)  # type: ignore[arg-type]
    name = f"spopt_{model}_{n}x{m}"
    t0 = time.perf_counter()
    res = run_case(name, make, time_limit=60)
    ours = time.perf_counter() - t0
    if res is None:
        return
    sobj, ssec, hit = run_spopt(model, dense(d, c), w, p, cutoff, spopt_limit)
    maximize = model == "mclp"
    same = sobj is not None and abs(sobj - res.objective) <= 1e-6 * max(1.0, abs(sobj))
    better = sobj is not None and (sobj > res.objective + 1e-6 * abs(sobj) if maximize
                                   else sobj < res.objective - 1e-6 * abs(sobj))
    ratio = f"{ssec / ours:.2f}" if same else "null"
    print(f"RESULT case={name}_vs_spopt ratio={ratio} ours_s={ours:.2f} spopt_s={ssec:.2f} "
          f"spopt_obj={fmt(sobj)} spopt_limit={'hit' if hit else 'no'} load={load()}", flush=True)
    if better and res.status == "optimal":
        problem = f"{name}: spopt's {sobj!r} beats our optimum {res.objective!r}"
        print(f"PROBLEM {problem}", flush=True)
        PROBLEMS.append(problem)


def run_spopt_set(quick: bool) -> None:
    spopt_case("mclp", 2_000, 200, p=20, cutoff=2_500)
    spopt_case("lscp", 2_000, 200, cutoff=4_000)
    spopt_case("pmedian", 1_000, 100, p=10, spopt_limit=60)
    if not quick:
        spopt_case("mclp", 10_000, 500, p=30, cutoff=1_500)
        spopt_case("pmedian", 2_000, 200, p=20)


# ---------------------------------------------------------------- prefecture

def run_prefecture(quick: bool, workdir: Path) -> None:
    """MCLP on a generated city: demand points (buildings) and candidates snapped to its walk network."""
    import make_pbf

    from siting.network import load_network
    from siting.routing import engine

    edges, n_demand, n_cand, p = (250_000, 20_000, 500, 40) if quick else (1_000_000, 200_000, 5_000, 200)
    pbf = workdir / f"city_{edges}.osm.pbf"
    t0 = time.perf_counter()
    if not pbf.exists():
        make_pbf.write_city(pbf, edges=edges, seed=0)
    net = load_network(pbf, "walk", cache=False)
    rng = np.random.default_rng(7)
    # buildings cluster around some nodes (blocks of flats), candidates on others
    dnode = rng.choice(net.n_nodes, n_demand, replace=True)
    cnode = rng.choice(net.n_nodes, n_cand, replace=False)
    weights = rng.integers(1, 200, n_demand).astype(float)
    cutoff = 900.0  # 15 minutes' walk, in seconds
    uniq, inv = np.unique(dnode, return_inverse=True)
    od = engine.od_matrix(net, cnode, uniq, cutoff)  # from the candidates: the walk network is two-way
    # every building on a node takes that node's pairs
    od = od.sort_values("destination")
    starts = np.searchsorted(od["destination"].to_numpy(), np.arange(len(uniq) + 1))
    counts = np.diff(starts)[inv]
    rows = np.repeat(np.arange(n_demand), counts)
    take = np.repeat(starts[inv], counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    cost = sp.coo_matrix((np.maximum(od["time_s"].to_numpy()[take], 1e-9),
                          (rows, od["origin"].to_numpy()[take])), shape=(n_demand, n_cand))
    build = time.perf_counter() - t0
    print(f"# prefecture: {net.n_nodes} nodes, {n_demand} buildings, {n_cand} candidates, {cost.nnz} pairs "
          f"within {cutoff:g} s; network and matrix {build:.1f} s", flush=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    run_case(f"prefecture_mclp_{n_demand}x{n_cand}_p{p}", lambda: MCLP.from_cost_matrix(cost, weights, cutoff=cutoff, p=p),
             time_limit=110, target=(0.01, 120.0))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# prefecture: peak memory {peak:.0f} MB (before the model {before:.0f} MB; target 4096 MB)", flush=True)
    if peak > 4096:
        PROBLEMS.append(f"prefecture: peak memory {peak:.0f} MB above 4 GB")


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a CI-sized subset (a few minutes)")
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated sets among {', '.join(SETS)}")
    ap.add_argument("--only", help="comma-separated published instances (e.g. pmed7,SJC2), instead of whole sets")
    ap.add_argument("--orlib", help="folder of the published instances")
    ap.add_argument("--time-limit", type=float, help="seconds per published instance (default: pmed 240, pmedcap 60, SJC 300)")
    ap.add_argument("--workdir", default="/tmp/siting_bench", help="where the generated city PBF is kept")
    args = ap.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = set(sets) - set(SETS)
    if unknown:
        ap.error(f"unknown set(s) {', '.join(sorted(unknown))}")
    folder = orlib_folder(args.orlib)
    print(f"# load average at start {load()} on {os.cpu_count()} cores; instances from {folder}", flush=True)
    published = {
        "pmed": [f"pmed{k}" for k in (range(1, 6) if args.quick else range(1, 41))],
        "pmedcap": [f"pmedcap{k:02d}" for k in (range(1, 3) if args.quick else range(1, 21))],
        "sjc": ["SJC1"] if args.quick else ["SJC1", "SJC2", "SJC3a", "SJC3b", "SJC4a", "SJC4b"],
    }
    warm_up()
    if args.only:
        run_published(folder, args.only.split(","), args.time_limit or 60.0)
    for s in sets if not args.only else []:
        if s in published:
            if not folder.is_dir():
                print(f"PROBLEM {folder} not found: the published instances are missing", flush=True)
                PROBLEMS.append("published instances missing")
                continue
            run_published(folder, published[s], args.time_limit or DEFAULT_LIMITS[s])
        elif s == "models":
            run_models(args.quick)
        elif s == "spopt":
            run_spopt_set(args.quick)
        elif s == "large":
            run_large(args.quick)
        elif s == "prefecture":
            sys.path.insert(0, str(Path(__file__).parent))
            run_prefecture(args.quick, Path(args.workdir))
    print(f"# load average at end {load()}; {len(PROBLEMS)} problem(s)", flush=True)
    for p in PROBLEMS:
        print(f"# PROBLEM {p}", flush=True)
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
