"""The capacity rules (siting/rules/kinds/capacity.py) on planted tables, every figure, reason and
note written out here and every number worked out by hand in the comments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from siting.rules.context import CheckInputs
from siting.rules.kinds.capacity import judge_bounds, supply_bounds
from siting.rules.registry import rule_kinds
from siting.rules.result import RuleResult
from siting.rules.rule import Rule


def run(kind: str, params: dict[str, Any], ctx: CheckInputs, applies_to: dict[str, Any] | None = None) -> RuleResult:
    """A rule of ``kind`` with the kind's defaults filled in, as a pack would give it."""
    spec = rule_kinds()[kind].params
    full = {k: p.default for k, p in spec.items() if not p.required}
    full.update(params)
    return rule_kinds()[kind].func(Rule("C1", kind, "T", full, applies_to or {}, {}), ctx)


def childcare(places: list[float], county: list[str] | None = None, owner: list[str] | None = None,
              prefix: str = "P") -> pd.DataFrame:
    n = len(places)
    return pd.DataFrame({"id": [f"{prefix}{i + 1}" for i in range(n)], "name": "托育", "type": "childcare",
                         "places": places, "county": county or [""] * n, "owner_kind": owner or ["government"] * n})


BASE = {"base": {"value": 4000, "source": "000 L10", "quote": "现有托位4000个"}}
BASE_NOTE = "baseline base = 4000 (000 L10: 「现有托位4000个」)"
TOTAL = {"quantity": "places", "baseline": "base", "min_total": 4800}


# ---- the bounds ------------------------------------------------------------------------------------

def test_judge_bounds() -> None:
    assert judge_bounds(10.0, 20.0, 10.0) == "pass"  # the low bound reaches the target
    assert judge_bounds(10.0 - 1e-10, 20.0, 10.0) == "pass"  # within the tolerance
    assert judge_bounds(9.0, 9.0, 10.0) == "fail"
    assert judge_bounds(9.0, 10.0, 10.0) == "not_evaluable"  # the high bound just reaches it
    assert judge_bounds(9.0, 10.0 - 1e-10, 10.0) == "not_evaluable"
    assert judge_bounds(9.0, 10.0 - 1e-8, 10.0) == "fail"


def test_supply_bounds_count_unknowns_as_zero_and_as_anything() -> None:
    rows = childcare([500.0, np.nan, 20.0])
    maybe = childcare([7.0, np.nan], prefix="M").assign(unknown=["owner_kind", "county"])
    s = supply_bounds(rows, maybe, "places", ["facilities"])
    assert (s.low, s.high) == (520.0, float("inf"))
    assert s.unknown == ["places unknown for 1 row(s) (P2)", "2 row(s) may count (M1 (owner_kind unknown), M2 (county unknown))",
                         "no facilities file: its places are unknown"]
    s = supply_bounds(childcare([5.0, 6.0]), childcare([7.0, 8.0], prefix="M").assign(unknown="owner_kind"), "places", [])
    assert (s.low, s.high, s.unknown) == (11.0, 26.0, ["2 row(s) may count (M1 (owner_kind unknown), M2 (owner_kind unknown))"])
    s = supply_bounds(childcare([]), childcare([np.nan], prefix="M").assign(unknown="tier"), "places", [])
    assert (s.low, s.high) == (0.0, float("inf"))  # a row that may count, of unknown size
    s = supply_bounds(childcare([1.0]), childcare([]).assign(unknown=""), "places", [])
    assert (s.low, s.high, s.unknown) == (1.0, 1.0, [])


# ---- capacity_total ----------------------------------------------------------------------------------

def test_capacity_total_undecided_names_the_unknown_and_the_lower_bound() -> None:
    # 4,000 existing + 500 planned + P2 (unknown) is at least 4,500 of 4,800.
    ctx = CheckInputs(projects=pd.concat([childcare([500.0, np.nan]), childcare([9.0], prefix="E").assign(type="elderly")]),
                      baselines=BASE)
    r = run("capacity_total", TOTAL, ctx, {"type": ["childcare"]})
    assert (r.status, r.reason) == ("not_evaluable", "places unknown for 1 row(s) (P2); the supply is at least 4,500 of "
                                                     "the 4,800 needed")
    assert r.figures == {"baseline": 4000.0, "added_projects": 500.0, "target": 4800, "total": 4500.0}
    assert r.notes == [BASE_NOTE] and r.violations == []
    # A target of 4,500: the lower bound reaches it.
    r = run("capacity_total", {**TOTAL, "min_total": 4500}, ctx, {"type": ["childcare"]})
    assert (r.status, r.reason) == ("pass", "")
    assert r.figures == {"baseline": 4000.0, "added_projects": 500.0, "target": 4500, "total": 4500.0, "gap": 0.0}
    assert r.notes == [BASE_NOTE, "at least 4,500 whatever the unknowns: places unknown for 1 row(s) (P2)"]
    assert r.params == {"quantity": "places", "baseline": "base", "include_projects": True, "include_facilities": False,
                        "min_total": 4500}


def test_capacity_total_fails_on_the_upper_bound() -> None:
    # P1 (government) 100 places, P2 (owner unknown) 200: 4,100 to 4,300 of 4,800; gap 4,800 - 4,300 = 500.
    ctx = CheckInputs(projects=childcare([100.0, 200.0], owner=["government", "unknown"]), baselines={"base": 4000})
    r = run("capacity_total", TOTAL, ctx, {"type": ["childcare"], "owner_kind": ["government"]})
    assert r.status == "fail" and r.reason == ""
    assert r.figures == {"baseline": 4000.0, "added_projects": 100.0, "target": 4800, "total": 4100.0,
                         "total_high": 4300.0, "gap": 500.0}
    assert r.violations == [{"unit": "city", "total": 4300.0, "target": 4800, "gap": 500.0}]
    assert r.notes == ["at most 4,300 whatever the unknowns: 1 row(s) may count (P2 (owner_kind unknown))"]
    # Without unknowns: no note; a plain fail.
    r = run("capacity_total", TOTAL, ctx, {"type": ["childcare"]})
    assert r.status == "fail" and r.notes == [] and r.figures["total"] == 4300.0 and "total_high" not in r.figures


def test_capacity_total_without_the_projects_file() -> None:
    r = run("capacity_total", TOTAL, CheckInputs(baselines={"base": 4000}))
    assert (r.status, r.reason) == ("not_evaluable", "no projects file: its places are unknown; the supply is at least "
                                                     "4,000 of the 4,800 needed")
    assert r.figures == {"baseline": 4000.0, "added_none": 0.0, "target": 4800, "total": 4000.0}
    r = run("capacity_total", TOTAL, CheckInputs(baselines={"base": 5000}))
    assert r.status == "pass" and r.figures["gap"] == 0.0
    assert r.notes == ["at least 5,000 whatever the unknowns: no projects file: its places are unknown"]
    r = run("capacity_total", {**TOTAL, "baseline": None}, CheckInputs())
    assert (r.status, r.reason) == ("not_evaluable", "no supply data: give planned projects or a facility file")
    assert r.figures == {} and r.params["min_total"] == 4800


def test_capacity_total_without_its_baseline() -> None:
    # The stock is unknown: 500 planned is a lower bound; nothing bounds it above.
    r = run("capacity_total", {**TOTAL, "baseline": "other"}, CheckInputs(projects=childcare([500.0]), baselines=BASE))
    assert (r.status, r.reason) == ("not_evaluable", "baseline 'other' missing: give the scenario a baselines file with "
                                                     "that key; the supply is at least 500 of the 4,800 needed")
    assert r.figures == {"added_projects": 500.0, "target": 4800, "total": 500.0} and r.notes == []
    # Nothing known at all: no lower bound to state.
    r = run("capacity_total", {**TOTAL, "baseline": "other"}, CheckInputs(projects=childcare([0.0]), baselines=None))
    assert r.reason == "baseline 'other' missing: give the scenario a baselines file with that key"
    r = run("capacity_total", {**TOTAL, "baseline": "other", "min_total": 400}, CheckInputs(projects=childcare([500.0])))
    assert r.status == "pass" and r.notes == [
        "at least 500 whatever the unknowns: baseline 'other' missing: give the scenario a baselines file with that key"]


def test_capacity_total_counts_the_sources_the_rule_names() -> None:
    facilities = childcare([30.0], prefix="F")
    ctx = CheckInputs(projects=childcare([100.0]), facilities=facilities)
    both = {**TOTAL, "baseline": None, "include_facilities": True, "min_total": 130}
    r = run("capacity_total", both, ctx)
    assert r.status == "pass" and r.figures == {"added_projects_facilities": 130.0, "target": 130, "total": 130.0, "gap": 0.0}
    r = run("capacity_total", {**both, "include_projects": False}, ctx)
    assert r.status == "fail" and r.figures["added_facilities"] == 30.0 and r.figures["total"] == 30.0
    # applies_to's 'from' narrows what the parameters allow, never widens it.
    r = run("capacity_total", {**both, "include_projects": False}, ctx, {"from": ["projects", "facilities"]})
    assert r.figures["added_facilities"] == 30.0
    r = run("capacity_total", both, ctx, {"from": ["projects"]})
    assert r.figures["added_projects"] == 100.0 and r.status == "fail"
    r = run("capacity_total", both, CheckInputs(projects=childcare([100.0])))
    assert r.status == "not_evaluable" and r.reason.startswith("no facilities file: its places are unknown; the supply is "
                                                               "at least 100 of the 130 needed")
    assert r.figures["added_projects"] == 100.0


# ---- capacity_ratio ----------------------------------------------------------------------------------

POP = pd.DataFrame({"unit": ["City", "X县", "Y县"], "level": ["city", "county", "county"], "indicator": "population",
                    "value": [1_000_000.0, 400_000.0, 600_000.0], "year": "2020"})
RATIO = {"quantity": "places", "min_per_1000": 4.5}
# P1 in X县 (1,000), P2 in Y县 (2,000), P3 without a county (300): it could be in either.
PLACES = childcare([1000.0, 2000.0, 300.0], county=["X县", "Y县", ""])
P3 = "1 row(s) may count (P3 (county unknown))"


def test_capacity_ratio_fails_each_unit_on_its_upper_bound() -> None:
    # City: 3,300 per 1,000,000 = 3.3 < 4.5 (4,500 needed). X县: 1,000 to 1,300 of 1,800 needed.
    # Y县: 2,000 to 2,300 of 2,700 needed. Every upper bound misses: fail.
    r = run("capacity_ratio", RATIO, CheckInputs(projects=PLACES, population=POP))
    assert (r.status, r.reason) == ("fail", "")
    assert r.figures == {"city_per_1000": 3.3, "city_supply": 3300.0, "city_population": 1_000_000.0, "city_needed": 4500.0,
                         "min_per_1000": 4.5, "added_from": "projects"}
    assert r.violations == [
        {"unit": "City", "level": "city", "per_1000": 3.3, "supply": 3300.0, "population": 1_000_000.0, "needed": 4500.0,
         "gap": 1200.0},
        {"unit": "X县", "level": "county", "per_1000": 3.25, "supply": 1300.0, "population": 400_000.0, "needed": 1800.0,
         "gap": 500.0},
        {"unit": "Y县", "level": "county", "per_1000": 3.8333, "supply": 2300.0, "population": 600_000.0, "needed": 2700.0,
         "gap": 400.0},
    ]
    assert r.notes == [f"X县: fail whatever the unknowns ({P3})", f"Y县: fail whatever the unknowns ({P3})"]
    d = r.details
    assert list(d.columns) == ["level", "unit", "population", "baseline", "added", "supply", "supply_high", "unknown",
                               "per_1000", "needed", "status", "reason"]
    assert list(d["unit"]) == ["City", "X县", "Y县"] and list(d["status"]) == ["fail"] * 3 and list(d["reason"]) == [""] * 3
    assert list(d["added"]) == [3300.0, 1000.0, 2000.0] and list(d["supply_high"]) == [3300.0, 1300.0, 2300.0]
    assert d["baseline"].iloc[0] == 0.0 and d["baseline"].iloc[1:].isna().all()
    assert list(d["per_1000"]) == pytest.approx([3.3, 2.5, 2000 / 600]) and list(d["needed"]) == [4500.0, 1800.0, 2700.0]
    assert list(d["unknown"]) == ["", P3, P3]


def test_capacity_ratio_passes_a_unit_whatever_and_leaves_another_open() -> None:
    # 3 per 1,000: the city (3,300 of 3,000) passes; Y县 (2,000 of 1,800) passes whatever P3 adds;
    # X县 has 1,000 to 1,300 of 1,200: open.
    r = run("capacity_ratio", {**RATIO, "min_per_1000": 3}, CheckInputs(projects=PLACES, population=POP))
    assert r.status == "not_evaluable"
    assert r.reason == f"X县: {P3}; at least 2.500 per 1,000 of the 3 needed"
    assert r.notes == [f"Y县: pass whatever the unknowns ({P3})"] and r.violations == []
    assert list(r.details["status"]) == ["pass", "not_evaluable", "pass"]


def test_capacity_ratio_fails_one_unit_and_notes_the_others_not_judged() -> None:
    # P4 (Y县, places unknown): the city and Y县 have no upper bound; X县 still fails (1,300 < 1,800).
    projects = pd.concat([PLACES, childcare([np.nan], county=["Y县"], prefix="Q")], ignore_index=True)
    r = run("capacity_ratio", RATIO, CheckInputs(projects=projects, population=POP))
    assert r.status == "fail" and [v["unit"] for v in r.violations] == ["X县"]
    assert r.notes == [f"X县: fail whatever the unknowns ({P3})",
                       "not judged: City: places unknown for 1 row(s) (Q1); at least 3.300 per 1,000 of the 4.5 needed; "
                       f"Y县: places unknown for 1 row(s) (Q1); {P3}; at least 3.333 per 1,000 of the 4.5 needed"]
    assert r.figures["city_per_1000"] == 3.3 and r.figures["city_needed"] == 4500.0


def test_capacity_ratio_with_the_city_baseline() -> None:
    # 4,000 existing + 3,300 planned = 7,300 per 1,000,000 = 7.3 per 1,000.
    ctx = CheckInputs(projects=PLACES, population=POP, baselines=BASE)
    r = run("capacity_ratio", {**RATIO, "baseline": "base", "levels": ["city"]}, ctx)
    assert r.status == "pass" and r.notes == [BASE_NOTE]
    assert r.figures == {"baseline": 4000.0, "city_per_1000": 7.3, "city_supply": 7300.0, "city_population": 1_000_000.0,
                         "city_needed": 4500.0, "min_per_1000": 4.5, "added_from": "projects"}
    d = r.details.iloc[0]
    assert (d["baseline"], d["added"], d["supply"], d["supply_high"]) == (4000.0, 3300.0, 7300.0, 7300.0)
    # The counties' stock is not stated: they are not judged, and say why.
    r = run("capacity_ratio", {**RATIO, "baseline": "base", "levels": ["county"]}, ctx)
    why = "the baseline stock is stated city-wide only; county stock unknown"
    assert r.status == "not_evaluable" and r.reason == f"X县: {why}; Y县: {why}"
    assert "city_per_1000" not in r.figures and r.figures["min_per_1000"] == 4.5


def test_capacity_ratio_names_the_population_it_lacks() -> None:
    projects = pd.concat([PLACES, childcare([10.0], county=["Z县"], prefix="Z")], ignore_index=True)
    r = run("capacity_ratio", RATIO, CheckInputs(projects=projects, population=POP.iloc[1:]))
    # X县 and Y县 fail (as above); the city and Z县 cannot be judged, and the note says why.
    assert r.status == "fail" and [v["unit"] for v in r.violations] == ["X县", "Y县"]
    assert r.notes[-1] == "not judged: city: no city population in the population file; Z县: no population for Z县"
    assert list(r.details["unit"]) == ["city", "X县", "Y县", "Z县"]
    assert list(r.details["status"]) == ["not_evaluable", "fail", "fail", "not_evaluable"]
    assert "city_per_1000" not in r.figures and np.isnan(r.details["population"].iloc[0])
    r = run("capacity_ratio", {**RATIO, "population_indicator": "pop_0_3"}, CheckInputs(projects=PLACES, population=POP))
    assert r.reason == ("city: no city pop_0_3 in the population file; X县: no pop_0_3 for X县; Y县: no pop_0_3 for Y县")
    r = run("capacity_ratio", RATIO, CheckInputs(projects=PLACES))
    assert (r.status, r.reason) == ("not_evaluable", "no population: give the scenario a population (census) file")
    r = run("capacity_ratio", {**RATIO, "levels": []}, CheckInputs(projects=PLACES, population=POP))
    assert (r.status, r.reason) == ("not_evaluable", "no units to judge")


def test_capacity_ratio_with_several_census_years() -> None:
    pop = pd.concat([POP, POP.assign(year="2010", value=POP["value"] / 2)], ignore_index=True)
    r = run("capacity_ratio", RATIO, CheckInputs(projects=PLACES, population=pop))
    assert r.reason == ("City: city population given for several years: set population_year; "
                        "X县: population of X县 given for several years: set population_year; "
                        "Y县: population of Y县 given for several years: set population_year")
    # The rule's year: 2010 halves the population, X县 (200,000) needs 900: 1,000 passes.
    r = run("capacity_ratio", {**RATIO, "population_year": 2010}, CheckInputs(projects=PLACES, population=pop))
    assert list(r.details["status"]) == ["pass", "pass", "pass"] and r.status == "pass"
    assert r.figures["city_population"] == 500_000.0 and r.figures["city_per_1000"] == 6.6
    # The scenario's year when the rule names none.
    r = run("capacity_ratio", RATIO, CheckInputs(projects=PLACES, population=pop, population_year=2020))
    assert r.status == "fail" and r.figures["city_population"] == 1_000_000.0


def test_capacity_ratio_counts_undetermined_rows_in_their_county() -> None:
    # P2 (owner unknown) may be meant: Y县 has 0 to 2,000 of 2,700 needed: a sure fail;
    # with 1.5 per 1,000 (900 needed) it is open.
    projects = childcare([1000.0, 2000.0], county=["X县", "Y县"], owner=["government", "unknown"])
    applies = {"type": ["childcare"], "owner_kind": ["government"]}
    r = run("capacity_ratio", {**RATIO, "levels": ["county"]}, CheckInputs(projects=projects, population=POP), applies)
    assert [v["unit"] for v in r.violations] == ["X县", "Y县"]
    assert r.violations[1] == {"unit": "Y县", "level": "county", "per_1000": 3.3333, "supply": 2000.0,
                               "population": 600_000.0, "needed": 2700.0, "gap": 700.0}
    r = run("capacity_ratio", {**RATIO, "min_per_1000": 1.5, "levels": ["county"]},
            CheckInputs(projects=projects, population=POP), applies)
    assert r.reason == "Y县: 1 row(s) may count (P2 (owner_kind unknown)); at least 0.000 per 1,000 of the 1.5 needed"
    assert r.figures == {"min_per_1000": 1.5, "added_from": "projects"}


# ---- share ---------------------------------------------------------------------------------------

SHARE = {"numerator": "nursing_beds", "denominator": "beds", "min_share": 0.55, "include_facilities": False}


def homes(beds: list[float], nursing: list[float], owner: list[str] | None = None) -> pd.DataFrame:
    n = len(beds)
    return pd.DataFrame({"id": [chr(ord("A") + i) for i in range(n)], "name": "院", "type": "elderly", "beds": beds,
                         "nursing_beds": nursing, "owner_kind": owner or ["government"] * n})


def test_share_passes_whatever_an_unknown_part() -> None:
    # A: 80 of 100; B: 50 beds, nursing unknown. Low: 80/150 = 53.3 %, high: 130/150 = 86.7 %; at 50 %: pass.
    r = run("share", {**SHARE, "min_share": 0.5}, CheckInputs(projects=homes([100.0, 50.0], [80.0, np.nan])))
    assert (r.status, r.reason) == ("pass", "")
    assert r.figures == {"institutions": 2, "part_unknown": 1, "whole": 150.0, "part_known": 80.0, "min_share": 0.5,
                         "share_low": pytest.approx(80 / 150), "share_high": pytest.approx(130 / 150),
                         "share": pytest.approx(80 / 150)}
    assert r.notes == ["passes whatever the unknowns: nursing_beds unknown for 1 of 2 institutions (B)"]
    # At 90 %: even 130/150 misses it.
    r = run("share", {**SHARE, "min_share": 0.9}, CheckInputs(projects=homes([100.0, 50.0], [80.0, np.nan])))
    assert r.status == "fail" and r.figures["share"] == pytest.approx(130 / 150)
    assert r.violations == [{"unit": "all", "share": 0.8667, "min_share": 0.9}]
    assert r.notes == ["fails whatever the unknowns: nursing_beds unknown for 1 of 2 institutions (B)"]
    # At 55 %: open, and the reason gives both bounds.
    r = run("share", SHARE, CheckInputs(projects=homes([100.0, 50.0], [80.0, np.nan])))
    assert r.status == "not_evaluable" and r.notes == [] and r.violations == []
    assert r.reason == "nursing_beds unknown for 1 of 2 institutions (B); the share lies between 53.3% and 86.7%"


def test_share_without_unknowns_is_exact() -> None:
    r = run("share", SHARE, CheckInputs(projects=homes([100.0, 100.0], [55.0, 55.0])))
    assert r.status == "pass" and r.notes == [] and r.figures["share"] == 0.55
    r = run("share", SHARE, CheckInputs(projects=homes([100.0, 100.0], [55.0, 54.0])))
    assert r.status == "fail" and r.notes == [] and r.violations == [{"unit": "all", "share": 0.545, "min_share": 0.55}]


def test_share_with_the_baseline_stock() -> None:
    base = {"beds0": {"value": 200, "source": "000 L6"}, "pct": {"value": 40, "source": "000 L7"}}
    params = {**SHARE, "baseline_denominator": "beds0", "baseline_share_pct": "pct"}
    # 200 existing beds at 40 % (80) + A: 100 of 100: 180 / 300 = 60 %.
    r = run("share", params, CheckInputs(projects=homes([100.0], [100.0]), baselines=base))
    assert r.status == "pass" and r.figures["share"] == pytest.approx(0.6)
    assert r.figures["whole"] == 300.0 and r.figures["part_known"] == 180.0 and r.figures["institutions"] == 1
    assert r.notes == ["baseline: 200 beds at 40 % (000 L7)"]
    # The existing share not stated: its 200 beds could be none or all nursing: 100/300 .. 300/300.
    r = run("share", {**params, "baseline_share_pct": None}, CheckInputs(projects=homes([100.0], [100.0]), baselines=base))
    assert r.status == "not_evaluable"
    assert r.figures["share_low"] == pytest.approx(1 / 3) and r.figures["share_high"] == 1.0
    assert r.reason == "the share of the 200 existing beds is not stated; the share lies between 33.3% and 100.0%"
    assert r.notes == ["baseline: 200 beds with an unknown share (000 L6)"]
    # A share key that is not in the file: the same.
    r = run("share", {**params, "baseline_share_pct": "nope"}, CheckInputs(projects=homes([100.0], [100.0]), baselines=base))
    assert r.notes == ["baseline: 200 beds with an unknown share (000 L6)"]
    r = run("share", {**params, "baseline_denominator": "nope"}, CheckInputs(projects=homes([100.0], [100.0]), baselines=base))
    assert (r.status, r.reason) == ("not_evaluable", "baseline 'nope' missing: give the scenario a baselines file with that key")
    # A plain number as the baseline entry: no source to name.
    r = run("share", params, CheckInputs(projects=homes([100.0], [100.0]), baselines={"beds0": 200, "pct": 40}))
    assert r.notes == ["baseline: 200 beds at 40 % ()"]


def test_share_without_any_whole() -> None:
    r = run("share", SHARE, CheckInputs(projects=homes([0.0], [0.0])))
    assert (r.status, r.reason) == ("not_evaluable", "no beds stated by any institution or baseline")
    assert r.figures == {"institutions": 1, "part_unknown": 0, "whole": 0.0, "part_known": 0.0, "min_share": 0.55}
    r = run("share", SHARE, CheckInputs(projects=homes([], [])))
    assert r.reason == "no beds stated by any institution or baseline"


def test_share_sources_and_the_facility_file() -> None:
    params = {**SHARE, "include_facilities": True}
    # The facilities are counted but absent: nothing bounds the share (0 .. 100 %).
    r = run("share", params, CheckInputs(projects=homes([100.0], [90.0])))
    assert r.status == "not_evaluable" and (r.figures["share_low"], r.figures["share_high"]) == (0.0, 1.0)
    assert r.reason == "no facilities file: its institutions are unknown; the share lies between 0.0% and 100.0%"
    # With the baseline's whole, the facility file is not needed (the stock is the baseline).
    base = {"beds0": {"value": 100}, "pct": {"value": 50}}
    r = run("share", {**params, "baseline_denominator": "beds0", "baseline_share_pct": "pct"},
            CheckInputs(projects=homes([100.0], [90.0]), baselines=base))
    assert r.status == "pass" and r.figures["share"] == pytest.approx(140 / 200)
    # Facilities only.
    r = run("share", {**params, "include_projects": False},
            CheckInputs(projects=homes([100.0], [90.0]), facilities=homes([100.0], [10.0])))
    assert r.status == "fail" and r.figures["share"] == 0.1


def test_share_with_rows_that_may_count() -> None:
    # A (government) 60 of 100; C (owner unknown) 0 of 100: 30 % with C, 60 % without.
    projects = homes([100.0, 100.0], [60.0, 0.0], owner=["government", "unknown"])
    applies = {"type": ["elderly"], "owner_kind": ["government"]}
    r = run("share", SHARE, CheckInputs(projects=projects), applies)
    assert r.reason == "1 institution(s) may or may not count (B (owner_kind unknown)); the share lies between 30.0% and 60.0%"
    # C with an unknown whole: the low bound falls to 0.
    projects = homes([100.0, np.nan], [60.0, 0.0], owner=["government", "unknown"])
    r = run("share", SHARE, CheckInputs(projects=projects), applies)
    assert r.figures["share_low"] == 0.0 and r.figures["share_high"] == pytest.approx(0.6)
    # ... and with both unknown, the high bound rises to 1.
    projects = homes([100.0, np.nan], [60.0, np.nan], owner=["government", "unknown"])
    r = run("share", SHARE, CheckInputs(projects=projects), applies)
    assert (r.figures["share_low"], r.figures["share_high"]) == (0.0, 1.0)
    # C with 50 nursing beds of an unknown whole: at most 50 of 50, (60 + 50) / (100 + 50) = 73.3 %.
    projects = homes([100.0, np.nan], [60.0, 50.0], owner=["government", "unknown"])
    r = run("share", SHARE, CheckInputs(projects=projects), applies)
    assert r.figures["share_high"] == pytest.approx(110 / 150)
    # A counted institution with neither figure: anything between 0 and 1.
    r = run("share", SHARE, CheckInputs(projects=homes([100.0, np.nan], [60.0, np.nan])))
    assert (r.figures["share_low"], r.figures["share_high"]) == (0.0, 1.0) and r.figures["whole_unknown"] == 1


def test_capacity_ratio_keeps_its_parameters_and_needs_a_unit_to_judge() -> None:
    full = {k: p.default for k, p in rule_kinds()["capacity_ratio"].params.items() if not p.required} | RATIO
    r = run("capacity_ratio", RATIO, CheckInputs(projects=PLACES, population=POP))
    assert r.status == "fail" and r.params == full
    r = run("capacity_ratio", RATIO | {"levels": []}, CheckInputs(projects=PLACES, population=POP))  # no level
    assert (r.id, r.kind, r.title, r.status, r.reason) == ("C1", "capacity_ratio", "T", "not_evaluable",
                                                           "no units to judge")
    assert r.params == full | {"levels": []}
