"""unit_coverage on five hand-made towns: the urban-only and population-band filters, and every
not_evaluable branch with its id, reason and parameters.

Towns 1-5 (A, B, C 街道, D 镇, E 街道); urban-rural codes 111, 121, 210, 111, 112 (3 is rural);
populations 50, 200, 300, 400, 900. Elderly-care facilities sit in towns 1, 3 and 4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from siting.rules import evaluate, load_pack
from siting.rules.context import CheckInputs
from siting.rules.result import RuleResult

SRC = {"document": "000", "quote": "q", "line": "000 L1"}
DEFAULTS = {"unit_name_matches": None, "urban_only": False, "population_range": None, "population_indicator": "population"}


def towns() -> pd.DataFrame:
    return pd.DataFrame({"code": ["1", "2", "3", "4", "5"], "name": ["A街道", "B街道", "C街道", "D镇", "E街道"],
                         "level": "town", "county": "X", "ur_code": ["111", "121", "210", "111", "112"]})


def homes(units: list[str] | None = None) -> pd.DataFrame:
    units = ["1", "3", "4"] if units is None else units
    return pd.DataFrame({"id": [f"f{i + 1}" for i in range(len(units))], "name": "院", "type": "elderly",
                         "unit": units, "lon": np.nan, "lat": np.nan})


def population(codes: tuple[str, ...] = ("1", "2", "3", "4", "5")) -> pd.DataFrame:
    value = {"1": 50.0, "2": 200.0, "3": 300.0, "4": 400.0, "5": 900.0}
    return pd.DataFrame({"unit": [f"town{c}" for c in codes], "code": list(codes), "level": "town",
                         "indicator": "population", "value": [value[c] for c in codes]})


def run(tmp_path: Path, params: dict[str, Any], ctx: CheckInputs) -> RuleResult:
    rule = {"id": "X1", "kind": "unit_coverage", "title": "Towns", "source": SRC, "applies_to": {"type": ["elderly"]},
            "params": {"unit_level": "town", **params}}
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump({"pack": "t", "rules": [rule]}), encoding="utf-8")
    return evaluate(load_pack(tmp_path / "pack.yaml"), ctx).result("X1")


def test_urban_only_counts_the_towns_whose_code_starts_with_1(tmp_path: Path) -> None:
    # Urban: 1, 2, 4, 5; covered 1 and 4: 2 of 4.
    r = run(tmp_path, {"urban_only": True, "min_share": 0.5}, CheckInputs(facilities=homes(), units=towns()))
    assert r.status == "pass"
    assert r.figures == {"units": 4, "covered": 2, "min_share": 0.5, "facilities": 3, "facilities_unplaced": 0,
                         "share": 0.5}
    assert list(r.details["code"]) == ["1", "2", "4", "5"] and list(r.details["has_facility"]) == [True, False, True, False]


def test_population_band_keeps_the_towns_within_it(tmp_path: Path) -> None:
    # 100-500: towns 2, 3, 4; covered 3 and 4: 2/3 < 0.7.
    ctx = CheckInputs(facilities=homes(), units=towns(), population=population())
    r = run(tmp_path, {"population_range": [100, 500], "min_share": 0.7}, ctx)
    assert r.status == "fail" and r.figures["units"] == 3 and r.figures["covered"] == 2
    assert abs(r.figures["share"] - 2 / 3) < 1e-12
    assert r.violations == [{"unit_code": "2", "unit": "B街道", "county": "X", "problem": "no facility"}]


def test_population_band_without_a_towns_population_is_not_evaluable(tmp_path: Path) -> None:
    params = {"population_range": [100, 500], "min_share": 0.5}
    ctx = CheckInputs(facilities=homes(), units=towns(), population=population(("1", "2", "3", "4")))
    r = run(tmp_path, params, ctx)
    assert (r.id, r.status, r.reason) == ("X1", "not_evaluable", "population unknown for 1 of 5 units")
    assert r.params == {"unit_level": "town", **DEFAULTS, **params}
    r = run(tmp_path, params, CheckInputs(facilities=homes(), units=towns()))
    assert (r.id, r.status) == ("X1", "not_evaluable") and r.reason == (
        "no population for town units: the 100-500 population band cannot be applied "
        "(add unit populations to the population file)")
    assert r.params == {"unit_level": "town", **DEFAULTS, **params}


def test_a_single_town_is_judged(tmp_path: Path) -> None:
    r = run(tmp_path, {"min_share": 1.0}, CheckInputs(facilities=homes(["1"]), units=towns().iloc[:1]))
    assert r.status == "pass" and r.figures["share"] == 1.0 and r.figures["units"] == 1


def test_the_not_evaluable_branches_name_the_rule_and_keep_its_parameters(tmp_path: Path) -> None:
    params = {"min_share": 0.5}
    expected = {"unit_level": "town", **DEFAULTS, **params}
    r = run(tmp_path, params, CheckInputs(facilities=homes()))
    assert (r.id, r.kind, r.title, r.status) == ("X1", "unit_coverage", "Towns", "not_evaluable")
    assert r.reason == "no town units: give the scenario a units table (units.table)" and r.params == expected
    r = run(tmp_path, params, CheckInputs(units=towns()))
    assert (r.id, r.status) == ("X1", "not_evaluable") and r.params == expected
    assert r.reason == "no facility data: pass --facilities F.csv with a 'unit' column or coordinates"
    r = run(tmp_path, params, CheckInputs(facilities=homes().drop(columns="unit"), units=towns()))
    assert (r.id, r.status) == ("X1", "not_evaluable") and r.params == expected
    assert r.reason == ("cannot place facilities in town units: add a 'unit' column (unit code or name) "
                        "or give town polygons in units.boundaries")
    r = run(tmp_path, {**params, "unit_name_matches": "社区"}, CheckInputs(facilities=homes(), units=towns()))
    assert (r.id, r.status, r.reason) == ("X1", "not_evaluable", "no unit matches the filter")
    assert r.figures == {"units": 0, "covered": 0, "min_share": 0.5, "facilities": 3, "facilities_unplaced": 0}
    assert r.params == {**expected, "unit_name_matches": "社区"}


def test_projects_alone_cannot_fail_a_rule_that_counts_existing_facilities(tmp_path: Path) -> None:
    # Covered: 1, 3, 4 of 5 = 60 % < 90 %; towns 2 and 5 have none.
    ctx = CheckInputs(projects=homes(), units=towns())
    r = run(tmp_path, {"min_share": 0.9}, ctx)
    assert (r.status, r.violations) == ("not_evaluable", [])
    assert r.reason == ("the planned projects alone leave 2 of 5 units without a facility (60% covered); existing "
                        "facilities are unknown: pass --facilities F.csv (existing facilities) to judge")
    assert r.notes[-1] == ("gaps on planned projects alone: unit_code=2, unit=B街道, county=X, problem=no facility; "
                           "unit_code=5, unit=E街道, county=X, problem=no facility")


def test_a_rule_on_planned_projects_only_fails_on_them(tmp_path: Path) -> None:
    rule = {"id": "X1", "kind": "unit_coverage", "source": SRC, "applies_to": {"type": ["elderly"], "from": ["projects"]},
            "params": {"unit_level": "town", "min_share": 0.9}}
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump({"pack": "t", "rules": [rule]}), encoding="utf-8")
    r = evaluate(load_pack(tmp_path / "pack.yaml"), CheckInputs(projects=homes(), units=towns())).result("X1")
    assert r.status == "fail" and [v["unit_code"] for v in r.violations] == ["2", "5"]


# ---- tier_completeness ------------------------------------------------------------------------------

COUNTIES = pd.DataFrame({"code": ["1", "2"], "name": ["甲县", "乙县"], "level": "county", "county": ["甲县", "乙县"]})


def tiers(tmp_path: Path, ctx: CheckInputs) -> RuleResult:
    rule = {"id": "X2", "kind": "tier_completeness", "source": SRC, "applies_to": {"type": ["elderly"]},
            "params": {"tiers": ["county", "village"]}}
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump({"pack": "t", "rules": [rule]}), encoding="utf-8")
    return evaluate(load_pack(tmp_path / "pack.yaml"), ctx).result("X2")


def test_tier_completeness_without_facilities_or_tiers_is_not_evaluable(tmp_path: Path) -> None:
    r = tiers(tmp_path, CheckInputs(units=COUNTIES))
    assert (r.id, r.status, r.reason) == ("X2", "not_evaluable",
                                          "no facility data: pass --facilities F.csv with a 'tier' column")
    assert r.params == {"tiers": ["county", "village"]}
    untiered = pd.DataFrame({"id": ["a", "b"], "name": "x", "type": "elderly", "county": ["甲县", "乙县"], "tier": ""})
    r = tiers(tmp_path, CheckInputs(facilities=untiered, units=COUNTIES))
    assert (r.id, r.status) == ("X2", "not_evaluable") and r.params == {"tiers": ["county", "village"]}
    assert r.reason == "no facility tiers: add a 'tier' column (county, township, village) to the facility file"


def test_tier_completeness_lists_every_tier_an_untiered_facility_could_fill(tmp_path: Path) -> None:
    # 乙县 has both tiers; 甲县 has none, but c (甲县, tier unknown) could be either.
    fac = pd.DataFrame({"id": ["a", "b", "c"], "name": "x", "type": "elderly", "county": ["乙县", "乙县", "甲县"],
                        "tier": ["county", "village", ""]})
    r = tiers(tmp_path, CheckInputs(facilities=fac, units=COUNTIES))
    assert r.status == "not_evaluable"
    assert r.reason.startswith("2 missing tier(s) (甲县: county, 甲县: village) could be filled by facilities without a "
                               "tier or county, or that the rule may mean; 1 facilities have no tier (")
    assert r.figures == {"counties": 2, "complete": 1, "facilities_without_tier": 1}


# ---- units from boundaries, facilities placed by point in polygon -----------------------------------

def squares() -> Any:
    """A county 甲县 (0-3 x 0-1) and its towns T1, T2, T3: unit squares side by side (EPSG:4326)."""
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame({"adcode": ["100", "101", "102", "103"], "name": ["甲县", "T1", "T2", "T3"],
                             "level": ["county", "town", "town", "town"]},
                            geometry=[box(0, 0, 3, 1), box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=4326)


def located() -> pd.DataFrame:
    """f1 in T1, f2 in T3, f3 outside the county."""
    return pd.DataFrame({"id": ["f1", "f2", "f3"], "name": "院", "type": "elderly", "lon": [0.5, 2.5, 5.0],
                         "lat": [0.5, 0.5, 5.0]})


def test_towns_from_boundaries_and_facilities_placed_by_their_coordinates(tmp_path: Path) -> None:
    r = run(tmp_path, {"min_share": 0.5}, CheckInputs(facilities=located(), unit_boundaries=squares()))
    assert r.status == "pass"  # T1 and T3 of 3
    assert r.figures == {"units": 3, "covered": 2, "min_share": 0.5, "facilities": 3, "facilities_unplaced": 1,
                         "share": 2 / 3}
    assert r.details.to_dict("list") == {"code": ["101", "102", "103"], "name": ["T1", "T2", "T3"],
                                         "county": ["", "", ""], "ur_code": ["", "", ""],
                                         "has_facility": [True, False, True]}
    assert r.notes[0] == "facilities placed by point in polygon"
    assert r.notes[1].startswith("1 facilit(ies) could not be placed in a unit (") and "f3" in r.notes[1]


def test_a_county_from_boundaries_is_its_own_county(tmp_path: Path) -> None:
    r = run(tmp_path, {"unit_level": "county", "min_share": 1.0},
            CheckInputs(facilities=located(), unit_boundaries=squares()))
    assert r.status == "pass" and r.figures["covered"] == 1
    assert r.details.to_dict("list") == {"code": ["100"], "name": ["甲县"], "county": ["甲县"], "ur_code": [""],
                                         "has_facility": [True]}


def test_a_units_table_without_county_or_urban_rural_code(tmp_path: Path) -> None:
    units = towns().drop(columns=["county", "ur_code"])
    r = run(tmp_path, {"min_share": 0.9}, CheckInputs(facilities=homes(), units=units))
    assert r.status == "fail"
    assert r.violations == [{"unit_code": "2", "unit": "B街道", "county": "", "problem": "no facility"},
                            {"unit_code": "5", "unit": "E街道", "county": "", "problem": "no facility"}]


def test_tier_completeness_without_a_county_list(tmp_path: Path) -> None:
    fac = pd.DataFrame({"id": ["a"], "name": "x", "type": "elderly", "county": ["甲县"], "tier": ["county"]})
    r = tiers(tmp_path, CheckInputs(facilities=fac))
    assert (r.id, r.status, r.reason) == ("X2", "not_evaluable",
                                          "no county list: give the scenario a units table or county boundaries")


# ---- count_per_unit ---------------------------------------------------------------------------------

def per_county(tmp_path: Path, ctx: CheckInputs) -> RuleResult:
    rule = {"id": "X3", "kind": "count_per_unit", "title": "Per county", "source": SRC,
            "applies_to": {"type": ["childcare"]}, "params": {"min_count": 1}}
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump({"pack": "t", "rules": [rule]}), encoding="utf-8")
    return evaluate(load_pack(tmp_path / "pack.yaml"), ctx).result("X3")


def test_count_per_unit_not_evaluable_branches(tmp_path: Path) -> None:
    r = per_county(tmp_path, CheckInputs(units=COUNTIES))
    assert (r.id, r.kind, r.title, r.status) == ("X3", "count_per_unit", "Per county", "not_evaluable")
    assert r.reason == "no facility data: pass --facilities F.csv (or projects in the scenario)"
    assert r.params == {"min_count": 1, "unit_level": "county"}
    fac = pd.DataFrame({"id": ["a"], "name": "托育", "type": "childcare", "county": ["甲县"]})
    r = per_county(tmp_path, CheckInputs(facilities=fac))
    assert (r.id, r.kind, r.status) == ("X3", "count_per_unit", "not_evaluable") and r.params == {"min_count": 1, "unit_level": "county"}
    assert r.reason == "no county list: give the scenario a units table or county boundaries"


def test_count_per_unit_counts_and_lists_by_county(tmp_path: Path) -> None:
    fac = pd.DataFrame({"id": ["a", "b"], "name": ["托一", "托二"], "type": "childcare", "county": ["甲县", "甲县"]})
    r = per_county(tmp_path, CheckInputs(facilities=fac, units=COUNTIES))
    assert r.status == "fail" and r.violations == [{"county": "乙县", "count": 0, "needed": 1}]
    assert r.details.to_dict("list") == {"county": ["甲县", "乙县"], "count": [2, 0]}
    assert r.params == {"min_count": 1, "unit_level": "county"}
    assert r.notes == ["counted: a 托一 (甲县); b 托二 (甲县)"]
    other = fac.assign(type="elderly")
    r = per_county(tmp_path, CheckInputs(facilities=other, units=COUNTIES))
    assert r.notes == ["no matching facility"] and r.figures["facilities"] == 0
