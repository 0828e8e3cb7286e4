"""The plans' siting questions (A15, A26, A30): town populations (census or labelled estimates) and
the location-allocation answers, hand-computed on towns along a line; the bundled Qinzhou scenario."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.errors import InputError
from siting.inputs.scenario import load_scenario
from siting.planning.questions import answer
from siting.planning.towns import unit_populations
from siting.rules import inputs_from_scenario
from siting.rules.context import CheckInputs

REPO = Path(__file__).resolve().parents[1]
R_EARTH = 6371008.8
LON0, LAT0 = 108.65, 21.95


def _lat_at(km: float) -> float:
    return LAT0 + math.degrees(km * 1000.0 / R_EARTH)


def test_town_populations_census_then_labelled_estimates():
    units = pd.DataFrame({
        "code": ["A", "a1", "a2", "a3", "az", "B", "b1", "b2"],
        "name": ["甲县", "一镇", "二镇", "三街道办事处", "某开发区", "乙县", "四镇", "五乡"],
        "level": ["county", "town", "town", "town", "town", "county", "town", "town"],
        "county": ["甲县", "甲县", "甲县", "甲县", "甲县", "乙县", "乙县", "乙县"],
        "lon_wgs84": [LON0, LON0, LON0, np.nan, LON0, LON0 + 1, LON0 + 1, LON0 + 1],
        "lat_wgs84": [LAT0, _lat_at(1), _lat_at(2), np.nan, _lat_at(3), LAT0, _lat_at(1), _lat_at(2)]})
    pop = pd.DataFrame({"unit": ["市", "甲县", "一镇", "市"], "level": ["city", "county", "town", "city"],
                        "indicator": ["population", "population", "population", "share_60plus_pct"],
                        "value": [2000.0, 1000.0, 300.0, 10.0], "code": ["0", "A", "a1", "0"]})
    t = unit_populations(CheckInputs(units=units, population=pop)).set_index("name")
    # 甲县: 1,000 minus its listed town (300), shared by its 2 other census towns; 乙县: the city's 2,000
    # minus 甲县's 1,000, shared by its 2 towns; the development zone is no census unit.
    assert t.loc["一镇", "population"] == 300.0 and t.loc["一镇", "source"] == "census"
    assert t.loc["二镇", "population"] == 350.0 and t.loc["三街道办事处", "population"] == 350.0
    assert t.loc["二镇", "source"].startswith("estimate: 甲县 total minus its 1 listed towns")
    assert t.loc["四镇", "population"] == 500.0 and t.loc["五乡", "population"] == 500.0
    assert t.loc["四镇", "source"].startswith("estimate: city total minus the known county totals")
    assert math.isnan(t.loc["某开发区", "population"]) and t.loc["某开发区", "source"] == "not a census unit"
    assert t.loc["四镇", "pop_60plus"] == 50.0  # the city's 10 % 60+ share
    # The sub-district without a point sits at its county seat.
    assert t.loc["三街道办事处", "location"] == "county seat" and t.loc["三街道办事处", "lon"] == LON0
    assert t["population"].sum() == 2000.0


def _line_scenario(tmp_path: Path, models: str) -> Path:
    """Five towns on a meridian at 0, 1, 2, 3 and 10 km, 100 people each (census figures)."""
    km = [0, 1, 2, 3, 10]
    units = pd.DataFrame({"code": [f"t{i}" for i in range(5)], "name": [f"{k}镇" for k in "甲乙丙丁戊"], "level": "town",
                          "county": "县", "lon_wgs84": LON0, "lat_wgs84": [_lat_at(k) for k in km]})
    units.to_csv(tmp_path / "units.csv", index=False)
    census = pd.DataFrame({"city": "x", "unit": units["name"], "level": "town", "code": units["code"], "indicator": "population",
                           "value": 100, "year": 2020})
    census.to_csv(tmp_path / "census.csv", index=False)
    (tmp_path / "s.yaml").write_text(
        "name: line\nunits: {table: units.csv}\npopulation: {file: census.csv, key: x}\n"
        "questions:\n  - id: A15\n    source: {document: '003', line: '003 L332', quote: q}\n"
        f"    models: {models}\n", encoding="utf-8")
    return tmp_path / "s.yaml"


def test_questions_answered_by_hand(tmp_path):
    sc = load_scenario(_line_scenario(tmp_path, "[{model: pmedian, p: 1}, {model: pcenter, p: 1}, "
                                                "{model: mclp, p: 1, cutoff_km: 1.5}, {model: cpmedian, p: 2, balance: 1.0}]"))
    res = answer(sc.questions[0], inputs_from_scenario(sc), sc)
    pmedian, pcenter, mclp, cpm = res.runs
    # p-median: the median town (2 km) with 2 + 1 + 0 + 1 + 8 = 12 km x 100 people.
    assert pmedian.chosen == ["丙镇"] and pmedian.objective == pytest.approx(1200.0, rel=1e-6) and pmedian.status == "optimal"
    assert pmedian.mean_km == pytest.approx(12 / 5, rel=1e-6)
    # p-center: at 3 km the farthest town is 7 km away (at 2 km it is 8).
    assert pcenter.chosen == ["丁镇"] and pcenter.objective == pytest.approx(7.0, rel=1e-6)
    # MCLP within 1.5 km: 1 km and 2 km each cover three towns (300 people); 10 km covers one.
    assert mclp.chosen[0] in ("乙镇", "丙镇") and mclp.covered_share == pytest.approx(0.6)
    # Capacitated, each site serving at most 250 people: no catchment above 250.
    assert cpm.catchments["weight"].max() <= 250.0 + 1e-6 and cpm.catchments["weight"].sum() == pytest.approx(500.0)
    assert res.demand_summary() == {"towns": 5, "census": 5, "estimated": 0, "weight": 500.0, "left_out": "",
                                    "weight_name": "population"}
    assert res.distance == "straight_line" and "straight-line" in res.notes[0]


def test_question_errors_name_the_line(tmp_path):
    sc = load_scenario(_line_scenario(tmp_path, "[{model: pmedian}]"))
    with pytest.raises(InputError, match="line 7: question A15: model pmedian needs p"):
        answer(sc.questions[0], inputs_from_scenario(sc), sc)
    bad = _line_scenario(tmp_path, "[{model: pmedian, p: 1, budget: 3}]")
    with pytest.raises(InputError, match="unknown key 'budget'"):
        load_scenario(bad)


def test_bundled_qinzhou_questions():
    sc = load_scenario(REPO / "scenarios" / "qinzhou_health.yaml")
    assert [q.id for q in sc.questions] == ["A15", "A26", "A30"]
    ctx = inputs_from_scenario(sc)
    q = dataclasses.replace(sc.questions[2], models=({"model": "pmedian", "p": 8},))  # A30, one model
    res = answer(q, ctx, sc)
    run = res.runs[0]
    summary = res.demand_summary()
    # Every census unit of the 73 town-level units is demand except the farms and zones (not census units).
    assert summary["towns"] == 66 and summary["census"] == 9 and summary["estimated"] == 57
    assert summary["weight"] == pytest.approx(3302238.0)  # the city's census total, conserved
    assert run.status == "optimal" and len(run.chosen) == 8 and all(c.endswith("镇") for c in run.chosen)
    assert run.catchments["towns"].sum() == 66 and run.catchments["weight"].sum() == pytest.approx(3302238.0)
