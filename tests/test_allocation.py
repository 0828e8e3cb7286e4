"""Allocation models: hand-checked tiny instances for every model and rule, errors, the CLI.

The tiny instance (worked out by hand below)::

    cost    A  B  C        weight
    d1      1  5  9          12
    d2      4  2  8          20
    d3      9  3  2          30
    d4      7  8  1          40

Within 3: d1 {A}, d2 {B}, d3 {B, C}, d4 {C}.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from siting.allocation import (
    CMCLP,
    LSCP,
    MCLP,
    CoverageTarget,
    CPMedian,
    PCenter,
    PMedian,
    Project,
    build_problem,
)
from siting.allocation.problem import group_rows
from siting.cli import main
from siting.errors import InputError, SitingError

COST = np.array([[1, 5, 9], [4, 2, 8], [9, 3, 2], [7, 8, 1]], dtype=float)
W = np.array([12, 20, 30, 40], dtype=float)
IDS = ["A", "B", "C"]
DEM = ["d1", "d2", "d3", "d4"]


def kw(**extra):  # type: ignore[no-untyped-def]
    return {"demand_ids": DEM, "candidate_ids": IDS, **extra}


def test_mclp_hand() -> None:
    r1 = MCLP.from_cost_matrix(COST, W, cutoff=3, p=1, **kw()).solve()
    assert (r1.selected, r1.objective, r1.status, r1.gap) == (["C"], 70.0, "optimal", 0.0)
    r2 = MCLP.from_cost_matrix(COST, W, cutoff=3, p=2, **kw()).solve()
    assert sorted(r2.selected) == ["B", "C"] and r2.objective == 90.0
    assert r2.coverage["covered_pct"] == pytest.approx(100 * 90 / 102)
    a = r2.assignment.set_index("demand_id")  # type: ignore[union-attr]
    assert a.loc["d1", "covered"] == False and a.loc["d3", "facility_id"] == "C"  # noqa: E712


def test_lscp_hand() -> None:
    assert sorted(LSCP.from_cost_matrix(COST, cutoff=3, **kw()).solve().selected) == ["A", "B", "C"]
    r = LSCP.from_cost_matrix(COST, cutoff=4, **kw()).solve()
    assert sorted(r.selected) == ["A", "C"] and r.objective == 2 and r.status == "optimal"


def test_pmedian_hand_mip_and_heuristic() -> None:
    for method in ("mip", "heuristic"):
        r1 = PMedian.from_cost_matrix(COST, W, p=1, **kw()).solve(method=method)
        assert r1.selected == ["C"] and r1.objective == pytest.approx(368)
        r2 = PMedian.from_cost_matrix(COST, W, p=2, **kw()).solve(method=method)
        assert sorted(r2.selected) == ["A", "C"] and r2.objective == pytest.approx(192)
        assert r2.bound is not None and r2.bound <= 192 + 1e-6
    assert PMedian.from_cost_matrix(COST, W, p=2, **kw()).solve(method="heuristic").method == "heuristic"


def test_pcenter_hand() -> None:
    r1 = PCenter.from_cost_matrix(COST, p=1, **kw()).solve()
    assert r1.selected == ["B"] and r1.objective == 8 and r1.gap == 0
    r2 = PCenter.from_cost_matrix(COST, p=2, **kw()).solve()
    assert sorted(r2.selected) == ["A", "C"] and r2.objective == 4


def test_fixed_eligible_and_regions() -> None:
    fixed = MCLP.from_cost_matrix(COST, W, cutoff=3, p=1, **kw(fixed=[False, False, True])).solve()
    assert fixed.selected == ["B"] and fixed.fixed == ["C"] and fixed.objective == 90
    assert fixed.coverage["covered_weight_fixed_only"] == 70
    noB = MCLP.from_cost_matrix(COST, W, cutoff=3, p=2, **kw(eligible=[True, False, True])).solve()
    assert sorted(noB.selected) == ["A", "C"] and noB.objective == 82
    region = ["north", "south", "south"]
    north = MCLP.from_cost_matrix(COST, W, cutoff=3, p=1, **kw(region=region, allowed_regions=["north"])).solve()
    assert north.selected == ["A"] and north.objective == 12
    projects = [Project("home", frozenset({"north"})), Project("centre")]
    pr = MCLP.from_cost_matrix(COST, W, cutoff=3, **kw(region=region, projects=projects)).solve()
    assert sorted(pr.selected) == ["A", "C"] and pr.objective == 82
    assert pr.details["placement"] == {"home": "A", "centre": "C"}
    for method in ("mip", "heuristic"):
        pf = PMedian.from_cost_matrix(COST, W, p=1, **kw(fixed=[False, False, True])).solve(method=method)
        assert pf.selected == ["A"] and pf.fixed == ["C"] and pf.objective == pytest.approx(192)
    pm = PMedian.from_cost_matrix(COST, W, **kw(region=region, projects=[Project("x", frozenset({"north"}))])).solve()
    assert pm.selected == ["A"] and pm.objective == pytest.approx(642)
    pc = PCenter.from_cost_matrix(COST, **kw(region=region, projects=[Project("x", frozenset({"south"}))])).solve()
    assert pc.selected == ["B"] and pc.objective == 8


def test_capacitated_and_modular() -> None:
    cap = np.array([100, 100, 45.0])
    r1 = CMCLP.from_cost_matrix(COST, W, cutoff=3, p=1, **kw(capacity=cap)).solve()
    assert r1.selected == ["B"] and r1.objective == pytest.approx(50)
    r2 = CMCLP.from_cost_matrix(COST, W, cutoff=3, p=2, **kw(capacity=cap)).solve()
    assert sorted(r2.selected) == ["B", "C"] and r2.objective == pytest.approx(90)
    assert r2.details["load"]["C"] <= 45 + 1e-6
    # project capacity overrides the candidate's
    rp = CMCLP.from_cost_matrix(COST, W, cutoff=3, **kw(capacity=cap, projects=[Project("big", capacity=70)])).solve()
    assert rp.selected == ["C"] and rp.objective == pytest.approx(70)
    mod = CMCLP.from_cost_matrix(COST, W, cutoff=3, p=2, module_size=25, max_modules=2, module_budget=3, **kw()).solve()
    assert mod.objective == pytest.approx(75) and sum(mod.details["modules"].values()) == 3
    unc = PMedian.from_cost_matrix(COST, W, p=1, **kw()).solve()
    capd = CPMedian.from_cost_matrix(COST, W, p=1, **kw(capacity=[200, 200, 100])).solve()
    assert unc.selected == ["C"] and capd.selected == ["B"] and capd.objective == pytest.approx(510)
    with pytest.raises(SitingError, match="capacity"):
        CMCLP.from_cost_matrix(COST, W, cutoff=3, p=1, **kw(capacity=[1, np.nan, 1])).solve()


def test_coverage_target() -> None:
    assert CoverageTarget.from_cost_matrix(COST, W, cutoff=3, share=0.5, **kw()).solve().selected == ["C"]
    r = CoverageTarget.from_cost_matrix(COST, W, cutoff=3, share=0.85, **kw()).solve()
    assert sorted(r.selected) == ["B", "C"] and r.objective == 2
    assert CoverageTarget.from_cost_matrix(COST, W, cutoff=3, share=1.0, **kw()).solve().objective == 3
    # capacitated: C alone serves at most 45 < 51 = half of the demand, B serves 50: two sites needed
    rc = CoverageTarget.from_cost_matrix(COST, W, cutoff=3, share=0.5, capacitated=True,
                                         **kw(capacity=[100, 50, 45])).solve()
    assert rc.objective == 2 and rc.coverage["served_weight"] >= 51 - 1e-6
    with pytest.raises(SitingError, match="at most"):
        CoverageTarget.from_cost_matrix(COST, W, cutoff=1, share=0.9, **kw()).solve()


def test_errors() -> None:
    with pytest.raises(SitingError, match="larger than the 2 candidate"):
        MCLP.from_cost_matrix(COST, W, cutoff=3, p=3, **kw(fixed=[True, False, False]))
    with pytest.raises(SitingError, match="2 demand point.* d2, d3;"):
        LSCP.from_cost_matrix(COST, cutoff=1.5, **kw()).solve()
    long = pd.DataFrame({"origin": ["d1", "zz"], "destination": ["A", "B"], "cost": [1, 2]})
    with pytest.raises(InputError, match="zz"):
        build_problem(long, **kw())


def test_long_dense_sparse_agree() -> None:
    r, c = np.nonzero(np.isfinite(COST))
    long = pd.DataFrame({"origin": np.array(DEM)[r], "destination": np.array(IDS)[c], "cost": COST[r, c]})
    a = MCLP.from_cost_matrix(long, W, cutoff=3, p=2, **kw()).solve()
    b = MCLP.from_cost_matrix(COST, W, cutoff=3, p=2, **kw()).solve()
    assert a.selected == b.selected and a.objective == b.objective


def test_group_rows() -> None:
    import scipy.sparse as sp

    labels, first = group_rows(sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1], [0, 0, 0]])))
    assert labels[0] == labels[2] != labels[1] != labels[3] and len(first) == 3


def test_reported_status_bound_and_gap_match_the_true_optimum() -> None:
    """The optimum by brute force (all C(14, 4) = 1,001 sets of sites); the solver's claims checked against it.

    With room to finish, the solve must return that optimum and say so. Cut off after a millisecond,
    it may stop anywhere, but what it reports must be true: the objective is that of the sites it
    returns, the bound does not exceed the optimum, and 'optimal' is claimed only at the optimum.
    """
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 100, (60, 2))
    c = rng.uniform(0, 100, (14, 2))
    cost = np.linalg.norm(d[:, None] - c[None], axis=2)
    w = rng.integers(1, 9, 60).astype(float)
    best = min(float((w * cost[:, list(s)].min(axis=1)).sum()) for s in itertools.combinations(range(14), 4))
    full = PMedian.from_cost_matrix(cost, w, p=4).solve(time_limit=60, method="mip")
    assert full.status == "optimal" and full.objective == pytest.approx(best, rel=1e-9) and full.gap == 0
    cut = PMedian.from_cost_matrix(cost, w, p=4).solve(time_limit=0.001, method="mip")
    chosen = [int(s) for s in cut.selected]
    assert cut.objective == pytest.approx(float((w * cost[:, chosen].min(axis=1)).sum()), rel=1e-9)
    assert cut.bound is None or cut.bound <= best * (1 + 1e-9)
    assert cut.status != "optimal" or cut.objective == pytest.approx(best, rel=1e-9)
    assert json.loads(json.dumps(cut.to_dict()))["model"] == "pmedian"


# ---------------------------------------------------------------- CLI


def _write(tmp_path, matrix=None, cands="id,fixed,capacity\nA,,100\nB,no,100\nC,,45\n"):  # type: ignore[no-untyped-def]
    (tmp_path / "d.csv").write_text("id,weight\n" + "".join(f"{i},{w:g}\n" for i, w in zip(DEM, W)))
    (tmp_path / "c.csv").write_text(cands)
    if matrix is None:
        r, c = np.nonzero(np.isfinite(COST))
        matrix = "origin_id,destination_id,cost\n" + "".join(f"{DEM[i]},{IDS[j]},{COST[i, j]:g}\n" for i, j in zip(r, c))
    (tmp_path / "m.csv").write_text(matrix)
    return [f"--demand={tmp_path / 'd.csv'}", f"--candidates={tmp_path / 'c.csv'}", f"--matrix={tmp_path / 'm.csv'}"]


def test_cli_json(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    files = _write(tmp_path)
    assert main(["allocate", "--model", "mclp", *files, "--p", "2", "--cutoff", "3", "--json",
                 "--out", str(tmp_path / "r.json")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == "mclp" and sorted(out["selected"]) == ["B", "C"] and out["objective"] == 90
    assert out["gap"] == 0 and out["status"] == "optimal" and out["bound"] == 90 and out["method"] in ("mip", "heuristic")
    full = json.loads((tmp_path / "r.json").read_text())
    assert len(full["assignment"]) == 4
    assert main(["allocate", "--model", "cmclp", *files, "--p", "2", "--cutoff", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(90)
    assert main(["allocate", "--model", "pmedian", *files, "--p", "1"]) == 0
    assert "368" in capsys.readouterr().out


def test_cli_bad_input(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    files = _write(tmp_path, matrix="origin_id,destination_id,cost\nd1,A,1\nd9,A,2\nd8,B,1\n")
    assert main(["allocate", "--model", "mclp", *files, "--p", "1", "--cutoff", "3"]) == 2
    err = capsys.readouterr().err
    assert "m.csv" in err and "d9, d8" in err and "demand" in err
    files = _write(tmp_path)
    assert main(["allocate", "--model", "mclp", *files, "--p", "4", "--cutoff", "3"]) == 2
    assert "p = 4 is larger" in capsys.readouterr().err
    assert main(["allocate", "--model", "lscp", *files, "--cutoff", "1.5"]) == 2
    err = capsys.readouterr().err
    assert "infeasible" in err and "d2, d3;" in err
    files = _write(tmp_path, cands="id,fixed\nA,maybe\nB,\nC,\n")
    assert main(["allocate", "--model", "mclp", *files, "--p", "1", "--cutoff", "3"]) == 2
    assert "row 1" in capsys.readouterr().err


# five demand points x six candidates; c2 and c5 would serve best but are not eligible
ELIG_COST = np.array([
    [2, 1, 9, 7, 8, 9],
    [3, 1, 2, 9, 6, 8],
    [9, 2, 8, 3, 1, 7],
    [8, 9, 9, 2, 1, 6],
    [9, 8, 4, 9, 2, 3],
], dtype=float)
ELIG_W = np.array([10, 20, 30, 40, 50], dtype=float)
ELIGIBLE = ["true", "false", "x", "是", "否", ""]  # yes, no, ticked, yes, no, empty (= eligible)


def test_cli_eligible_column_in_any_wording(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """An ``eligible`` column used to crash ``siting allocate`` (``output array is read-only``)."""
    cands = [f"c{j + 1}" for j in range(6)]
    (tmp_path / "d.csv").write_text("id,weight\n" + "".join(f"d{i + 1},{w:g}\n" for i, w in enumerate(ELIG_W)))
    (tmp_path / "c.csv").write_text("id,eligible\n" + "".join(f"{c},{e}\n" for c, e in zip(cands, ELIGIBLE)),
                                    encoding="utf-8")
    (tmp_path / "m.csv").write_text("origin_id,destination_id,cost\n" + "".join(
        f"d{i + 1},{cands[j]},{ELIG_COST[i, j]:g}\n" for i in range(5) for j in range(6)))
    files = [f"--demand={tmp_path / 'd.csv'}", f"--candidates={tmp_path / 'c.csv'}", f"--matrix={tmp_path / 'm.csv'}"]
    may_open = [0, 2, 3, 5]

    def covered(s: tuple[int, ...]) -> float:
        return float(ELIG_W[(ELIG_COST[:, list(s)] <= 3).any(axis=1)].sum())

    def weighted_cost(s: tuple[int, ...]) -> float:
        return float(ELIG_W @ ELIG_COST[:, list(s)].min(axis=1))

    for model, extra, best in (("mclp", ["--cutoff", "3"], lambda sets: max(sets, key=covered)),
                               ("pmedian", [], lambda sets: min(sets, key=weighted_cost))):
        # unrestricted, the best pair would use c2 or c5: the eligibility rule matters here
        assert {1, 4} & set(best(itertools.combinations(range(6), 2)))
        assert main(["allocate", "--model", model, *files, "--p", "2", *extra, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        expected = best(itertools.combinations(may_open, 2))
        assert sorted(out["selected"]) == [cands[j] for j in expected] and out["status"] == "optimal"
        assert not {"c2", "c5"} & set(out["selected"])


def test_heuristic_alone_reports_a_valid_bound() -> None:
    rng = np.random.default_rng(7)
    d = rng.uniform(0, 100, (300, 2))
    c = rng.uniform(0, 100, (40, 2))
    cost = np.linalg.norm(d[:, None] - c[None], axis=2)
    w = rng.integers(1, 20, 300).astype(float)
    exact = MCLP.from_cost_matrix(cost, w, cutoff=15, p=4).solve(method="mip")
    heur = MCLP.from_cost_matrix(cost, w, cutoff=15, p=4).solve(max_mip_nnz=1)
    assert exact.status == "optimal" and heur.method == "heuristic"
    assert heur.objective <= exact.objective + 1e-9 <= heur.bound + 2e-9
    pm_exact = PMedian.from_cost_matrix(cost, w, p=4).solve(method="mip")
    pm_heur = PMedian.from_cost_matrix(cost, w, p=4).solve(method="heuristic")
    assert pm_heur.bound - 1e-6 <= pm_exact.objective <= pm_heur.objective + 1e-6
    assert pm_heur.gap == pytest.approx((pm_heur.objective - pm_heur.bound) / pm_heur.objective)


# ---------------------------------------------------------------- heuristics serving alone (issue 5)
# ``max_mip_nnz=1`` makes every MIP "too large", so the heuristic must answer on its own.


def test_pcenter_heuristic_alone_hand() -> None:
    # p=1: worst costs A 9, B 8, C 9 -> B, 8. Bound: within 7, d3 needs B or C and d4 needs A or C, d1 and d2
    # need A or B; no single site does, and the set-cover LP needs 1.5 sites, so radius 7 is proven too small.
    r1 = PCenter.from_cost_matrix(COST, p=1, **kw()).solve(max_mip_nnz=1)
    assert (r1.method, r1.selected, r1.objective, r1.bound, r1.status, r1.gap) == ("heuristic", ["B"], 8, 8, "optimal", 0)
    assert "too large" in r1.details["reason"]
    # p=2: {A,C} gives max(1, 4, 2, 1) = 4 ({A,B} 7, {B,C} 5). Within 3 the singletons d1{A}, d2{B}, d4{C}
    # need 3 sites, so 3 is too small and the bound is the next cost, 4.
    r2 = PCenter.from_cost_matrix(COST, p=2, **kw()).solve(max_mip_nnz=1)
    assert r2.method == "heuristic" and sorted(r2.selected) == ["A", "C"] and r2.objective == 4 and r2.bound == 4
    assert r2.status == "optimal" and r2.to_dict()["method"] == "heuristic"
    # region-bound project: only B and C are in the south; B's worst is 8, C's 9
    pc = PCenter.from_cost_matrix(COST, **kw(region=["north", "south", "south"],
                                             projects=[Project("x", frozenset({"south"}))])).solve(method="heuristic")
    assert pc.selected == ["B"] and pc.objective == 8 and pc.details["placement"] == {"x": "B"}


def test_capacitated_heuristic_alone_hand() -> None:
    cap = np.array([100, 100, 45.0])
    # most a site can serve = min(capacity, weight it reaches): A 12, B 50, C min(45, 70) = 45
    r1 = CMCLP.from_cost_matrix(COST, W, cutoff=3, p=1, **kw(capacity=cap)).solve(max_mip_nnz=1)
    assert (r1.method, r1.selected, r1.objective, r1.bound, r1.status) == ("heuristic", ["B"], 50, 50, "optimal")
    r2 = CMCLP.from_cost_matrix(COST, W, cutoff=3, p=2, **kw(capacity=cap)).solve(max_mip_nnz=1)
    assert r2.method == "heuristic" and sorted(r2.selected) == ["B", "C"] and r2.objective == pytest.approx(90)
    # the sites' most (50 + 45 = 95) ignores that B and C share d3: B and C reach 90 between them, which the
    # Lagrangian bound (knapsacks per site, the rows' overlap priced by their multipliers) proves
    assert r2.bound == pytest.approx(90) and r2.status == "optimal" and r2.gap == 0
    assert r2.details["load"]["C"] <= 45 + 1e-9
    r2b = CMCLP.from_cost_matrix(COST, W, cutoff=3, p=2, **kw(capacity=cap)).solve(method="heuristic")
    assert r2b.method == "heuristic" and r2b.bound == pytest.approx(90) and r2b.status == "optimal"
    # modules: 3 classes of 25 in all, at most 2 per site -> 75 served; bound ignores the budget: 12 + 50 + 50 top two
    mod = CMCLP.from_cost_matrix(COST, W, cutoff=3, p=2, module_size=25, max_modules=2, module_budget=3,
                                 **kw()).solve(max_mip_nnz=1)
    assert mod.method == "heuristic" and mod.objective == pytest.approx(75) and sum(mod.details["modules"].values()) == 3
    assert mod.bound == pytest.approx(100) and mod.gap == pytest.approx(25 / 75)
    # a project's capacity replaces the candidate's: C with 70 places serves d3 + d4 = 70
    rp = CMCLP.from_cost_matrix(COST, W, cutoff=3, **kw(capacity=cap, projects=[Project("big", capacity=70)])
                                ).solve(max_mip_nnz=1)
    assert rp.selected == ["C"] and rp.objective == pytest.approx(70) and rp.status == "optimal"
    # cpmedian p=1: C (100) cannot hold 102; A costs 642, B 12*5 + 20*2 + 30*3 + 40*8 = 510. The quick bound
    # (everyone at the cheapest site, 152) is far below; the Lagrangian relaxation prices the 2 people C would
    # leave unserved at the multipliers of their rows, high enough that C's knapsack is worth less than B's: 510
    cp = CPMedian.from_cost_matrix(COST, W, p=1, **kw(capacity=[200, 200, 100])).solve(max_mip_nnz=1)
    assert (cp.method, cp.selected, cp.objective, cp.bound) == ("heuristic", ["B"], pytest.approx(510), pytest.approx(510))
    assert cp.gap == 0 and cp.status == "optimal" and cp.details["certified_by"] == "lagrangian bound"
    # capacitated target: half the demand (51) needs two sites, as no site can serve more than 50
    tg = CoverageTarget.from_cost_matrix(COST, W, cutoff=3, share=0.5, capacitated=True,
                                         **kw(capacity=[100, 50, 45])).solve(max_mip_nnz=1)
    assert (tg.method, tg.objective, tg.bound, tg.status) == ("heuristic", 2, 2, "optimal")
    assert tg.coverage["served_weight"] >= 51 - 1e-6


def test_capacitated_and_pcenter_mip_certifies_and_heuristic_bounds_hold() -> None:
    rng = np.random.default_rng(11)
    d = rng.uniform(0, 100, (150, 2))
    c = rng.uniform(0, 100, (25, 2))
    cost = np.round(np.linalg.norm(d[:, None] - c[None], axis=2), 1)
    w = rng.integers(1, 10, 150).astype(float)
    cap = rng.uniform(60, 250, 25)
    cases = [
        (lambda: CMCLP.from_cost_matrix(cost, w, cutoff=18, p=4, capacity=cap), True),
        (lambda: CPMedian.from_cost_matrix(cost, w, p=5, capacity=cap), False),
        (lambda: CMCLP.from_cost_matrix(cost, w, cutoff=18, p=4, module_size=40, max_modules=3), True),
        (lambda: PCenter.from_cost_matrix(cost, p=4), False),
    ]
    for make, maximize in cases:
        exact = make().solve(method="mip", time_limit=30)
        auto = make().solve(time_limit=30)
        alone = make().solve(max_mip_nnz=1)
        assert exact.status == auto.status == "optimal" and exact.gap == auto.gap == 0
        assert auto.objective == pytest.approx(exact.objective)
        assert alone.method == "heuristic" and alone.bound is not None
        lo, hi = (alone.objective, alone.bound) if maximize else (alone.bound, alone.objective)
        assert lo - 1e-6 <= exact.objective <= hi + 1e-6, (exact.model, lo, exact.objective, hi)
        gap = abs(alone.objective - alone.bound) / alone.objective
        assert alone.gap == pytest.approx(0.0 if alone.status == "optimal" else gap)


def test_capacitated_heuristic_alone_says_when_capacity_is_short() -> None:
    # one site of at most 50 places cannot serve the 102 people, MIP or not
    with pytest.raises(SitingError, match="infeasible: the sites could hold at most 50"):
        CPMedian.from_cost_matrix(COST, W, p=1, **kw(capacity=[50, 50, 50])).solve(max_mip_nnz=1)
    with pytest.raises(SitingError, match="infeasible"):
        CPMedian.from_cost_matrix(COST, W, p=1, **kw(capacity=[50, 50, 50])).solve(method="mip")


def test_mclp_places_every_project_even_when_nothing_can_be_covered() -> None:
    # Nothing is within the cutoff, so the greedy selection is 'proven' optimal at 0 by the bound.
    # Project "a" may use candidates 0-59, project "b" only candidate 60: the greedy looks at the
    # best-gain candidates first, all ties at 0, finds only a's within reach and stops with one site,
    # which places no one. Such a selection is no solution with projects: the MIP places both.
    n = 61
    cost = np.full((3, n), 100.0)
    region = ["a"] * 60 + ["b"]
    projects = [Project("a", frozenset({"a"})), Project("b", frozenset({"b"}))]
    res = MCLP.from_cost_matrix(cost, np.ones(3), cutoff=10, candidate_ids=[f"c{j}" for j in range(n)],
                                region=region, projects=projects).solve()
    assert res.objective == 0 and res.status == "optimal"
    placed = res.details["placement"]
    assert set(placed) == {"a", "b"} and placed["b"] == "c60" and int(placed["a"][1:]) < 60


def test_cli_single_source_and_cost_weight(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Two demand points of load 2 each; X holds 3, Z holds 10, Y is far; p = 2.

    Worked by hand (cost per point, or per unit of load when split): with plain costs X takes
    a and half of b, Z the other half: 1 + 0.5 + 2 = 3.5; single-sourced, a -> X and b -> Z: 1 + 4
    = 5. Weighted by demand (a 5, b 1): split 5 + 0.5 + 2 = 7.5; single-sourced 5 + 4 = 9.
    """
    (tmp_path / "d.csv").write_text("id,weight,load\na,5,2\nb,1,2\n")
    (tmp_path / "c.csv").write_text("id,capacity\nX,3\nY,3\nZ,10\n")
    (tmp_path / "m.csv").write_text("origin_id,destination_id,cost\n" + "".join(
        f"{i},{j},{c}\n" for i in "ab" for j, c in zip("XYZ", (1, 10, 4))))
    files = [f"--demand={tmp_path / 'd.csv'}", f"--candidates={tmp_path / 'c.csv'}", f"--matrix={tmp_path / 'm.csv'}"]
    expected = {("none", True): 5.0, ("none", False): 3.5, ("demand", True): 9.0, ("demand", False): 7.5}
    for (weight, single), value in expected.items():
        args = ["allocate", "--model", "cpmedian", *files, "--p", "2", "--cost-weight", weight, "--json"]
        assert main(args + (["--single-source"] if single else [])) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["objective"] == pytest.approx(value), (weight, single)
        assert sorted(out["selected"]) == ["X", "Z"] and out["status"] == "optimal" and out["gap"] == 0
    # the default weighs by demand and splits
    assert main(["allocate", "--model", "cpmedian", *files, "--p", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(7.5)
    assert main(["allocate", "--model", "pmedian", *files, "--p", "2", "--single-source"]) == 2
    assert "single sourcing applies to cmclp, cpmedian" in capsys.readouterr().err
    assert main(["allocate", "--model", "cmclp", *files, "--p", "2", "--cutoff", "5", "--cost-weight", "none"]) == 2
    assert "cost weight applies to cpmedian" in capsys.readouterr().err


@pytest.mark.parametrize("seed", range(4))
def test_single_source_service_from_a_start_is_the_brute_force_assignment(seed: int) -> None:
    # sites fixed: every way to send 7 points to 2 sites within capacity, by enumeration; the assignment MIP
    # started from the worst feasible one must end at the best (the quick regret assignment is not exact)
    from siting.allocation.base import SolveOptions
    from siting.allocation.capacitated import KnapsackSolve
    from siting.allocation.capacity import AssignWithinCapacity

    rng = np.random.default_rng(seed)
    n, m = 7, 4
    cost = rng.integers(1, 20, (n, m)).astype(float)
    load = rng.integers(1, 6, n).astype(float)
    cap = np.full(m, np.ceil(0.6 * load.sum()))
    model = CPMedian.from_cost_matrix(cost, None, p=2, capacity=cap, load=load, single_source=True, cost_weight="none")
    sites = [0, 1]
    feasible = {}
    for pick in itertools.product(sites, repeat=n):
        to = np.array(pick)
        if all(load[to == j].sum() <= cap[j] for j in sites):
            feasible[pick] = float(cost[np.arange(n), to].sum())
    worst = max(feasible, key=feasible.__getitem__)
    cm = AssignWithinCapacity(model, model.modules, cost_weight=model.cost_weights(), active=model.active(), single=True)
    solve = KnapsackSolve(cm, SolveOptions(30.0, "auto", 10**6, 1e-9, False))
    _, idx, _ = solve.serve(sites)
    start = np.zeros(idx.x0 + len(idx.pair_row))
    start[sites] = 1.0
    start[idx.x0 + np.flatnonzero(np.asarray(worst)[idx.pair_row] == idx.pair_site)] = 1.0
    sol, _, _ = solve.serve(sites, start=start)
    assert sol.objective == pytest.approx(min(feasible.values()))
