"""Published instances with known optima, solved to their proven optimum (pmed1-5, pmedcap01-02, SJC1).

The instances are not part of the repository: they are read from ``../shared/benchmarks/orlib``
next to the checkout (or ``$SITING_ORLIB``, or this machine's ``/work/shared``). Without the folder the
tests are skipped, saying where they looked (a clone placed away from ``../shared`` cannot reach them).
The readers' conventions are tested on small hand-written files, which need no folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from siting.allocation import CPMedian, PMedian
from siting.allocation.orlib import read_instance, read_optima, read_pmed, read_pmedcap, read_sjc
from siting.errors import InputError


def orlib_folder() -> Path:
    """``$SITING_ORLIB``, else ``../shared/benchmarks/orlib`` beside the checkout, else this machine's copy."""
    given = os.environ.get("SITING_ORLIB")
    if given:
        return Path(given)
    beside = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib"
    machine = Path("/work/shared/benchmarks/orlib")
    return beside if (beside / "optima.csv").is_file() or not (machine / "optima.csv").is_file() else machine


@pytest.fixture(scope="module")
def orlib() -> Path:
    folder = orlib_folder()
    if not (folder / "optima.csv").is_file():
        pytest.skip(f"published benchmarks not found at {folder} (set SITING_ORLIB or put them in ../shared)")
    return folder


def _check(res, model, optimum: float, tol: float) -> None:  # type: ignore[no-untyped-def]
    assert model.verify(res) == []
    assert res.status == "optimal" and res.gap == 0
    assert res.objective == pytest.approx(optimum, abs=tol)
    assert res.bound == pytest.approx(res.objective)


@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed3", "pmed4", "pmed5"])
def test_pmed_at_published_optimum(orlib: Path, name: str) -> None:
    inst = read_instance(orlib, name)
    model = PMedian.from_cost_matrix(inst.cost, None, p=inst.p)
    _check(model.solve(time_limit=60), model, read_optima(orlib)[name], 0.5)


@pytest.mark.parametrize("name", ["pmedcap01", "pmedcap02", "SJC1"])
def test_capacitated_at_published_optimum(orlib: Path, name: str) -> None:
    inst = read_instance(orlib, name)
    model = CPMedian.from_cost_matrix(inst.cost, None, p=inst.p, capacity=inst.capacity, load=inst.demand,
                                      single_source=True, cost_weight="none")
    res = model.solve(time_limit=120)
    # SJC optima are published to two decimals
    _check(res, model, read_optima(orlib)[name], 0.5 if inst.family == "pmedcap" else 0.006)
    a = res.assignment
    assert sorted(a["demand_id"].astype(int)) == list(range(len(inst.cost)))  # every point served, by one site
    used = inst.demand[a["demand_id"].astype(int).to_numpy()]
    load = np.bincount(a["facility_id"].astype(int).to_numpy(), weights=used, minlength=len(inst.capacity))
    assert (load <= inst.capacity + 1e-9).all()
    total = inst.cost[a["demand_id"].astype(int).to_numpy(), a["facility_id"].astype(int).to_numpy()].sum()
    assert total == pytest.approx(res.objective)  # plain distances, not weighted by demand


# ---------------------------------------------------------------- readers, on hand-written files


def test_pmed_reader_last_duplicate_wins(tmp_path: Path) -> None:
    # 4 nodes; edge 1-2 given twice (5, then 1 in the other orientation): the last one, 1, counts
    (tmp_path / "pmedX.txt").write_text(" 4 4 2\n 1 2 5\n 2 3 2\n 2 1 1\n 3 4 7\n")
    inst = read_pmed(tmp_path / "pmedX.txt")
    assert inst.p == 2 and inst.family == "pmed"
    assert inst.cost[0, 1] == 1 and inst.cost[0, 2] == 3 and inst.cost[0, 3] == 10 and inst.cost[3, 1] == 9
    np.testing.assert_array_equal(inst.cost, inst.cost.T)


def test_pmedcap_reader_floors_distances(tmp_path: Path) -> None:
    (tmp_path / "pmedcapX.txt").write_text(" 1 99\n 3 1 120\n 1 0 0 10\n 2 3 4 20\n 3 1 1 5\n")
    inst = read_pmedcap(tmp_path / "pmedcapX.txt")
    assert inst.p == 1 and list(inst.capacity) == [120, 120, 120] and list(inst.demand) == [10, 20, 5]
    assert inst.cost[0, 1] == 5 and inst.cost[0, 2] == 1 and inst.cost[1, 2] == 3  # sqrt 2 -> 1, sqrt 13 -> 3


def test_sjc_reader_real_distances(tmp_path: Path) -> None:
    (tmp_path / "SJCX.dat").write_text(" 2 1\n 0 0 50 7\n 3 4 60 8\n")
    inst = read_sjc(tmp_path / "SJCX.dat")
    assert inst.cost[0, 1] == 5 and list(inst.capacity) == [50, 60] and list(inst.demand) == [7, 8]
    with pytest.raises(InputError, match="expected 2 lines"):
        (tmp_path / "SJCY.dat").write_text(" 2 1\n 0 0 50 7\n")
        read_sjc(tmp_path / "SJCY.dat")
