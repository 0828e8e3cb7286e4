"""Missing data never passes (issue 11, findings 1-4): planted cases, every bound worked out by hand.

Each case states a value a verdict depends on as unknown and checks that the rule neither
passes nor fails on a guess, and that it names the rows it could not judge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rule_helpers import LAT0, LON0, lat_at, run_rule

from siting.rules.context import CheckInputs


def _homes(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col, default in (("type", "elderly"), ("name", ""), ("owner_kind", "government")):
        frame[col] = frame[col].fillna(default) if col in frame.columns else default
    return frame


# ---- finding 1: share rules and unknown denominators --------------------------------------------

SHARE = {"kind": "share", "applies_to": {"type": ["elderly"]},
         "params": {"numerator": "nursing_beds", "denominator": "beds", "min_share": 0.55, "include_facilities": False}}


def test_share_with_an_unknown_whole_is_not_judged(tmp_path):
    # A: 100 beds, 60 nursing (60 %). B states no beds: it could pull the share towards 0 (many
    # beds, no nursing beds) or raise it (all nursing): 60 % is no verdict.
    projects = _homes([{"id": "A", "beds": 100.0, "nursing_beds": 60.0}, {"id": "B", "beds": np.nan, "nursing_beds": np.nan}])
    r = run_rule(tmp_path, SHARE, CheckInputs(projects=projects))
    assert r.status == "not_evaluable"
    assert "beds unknown for 1 institution(s) (B)" in r.reason
    assert r.figures["share_low"] == 0.0 and r.figures["share_high"] == 1.0
    assert r.figures["whole_unknown"] == 1


def test_share_bounds_with_a_known_part_of_an_unknown_whole(tmp_path):
    # B: 10 nursing beds, whole unknown (at least 10). Highest share: B has exactly 10 beds,
    # (60 + 10) / (100 + 10) = 63.6 %; lowest: B is huge, the share tends to 0.
    projects = _homes([{"id": "A", "beds": 100.0, "nursing_beds": 60.0}, {"id": "B", "beds": np.nan, "nursing_beds": 10.0}])
    r = run_rule(tmp_path, SHARE, CheckInputs(projects=projects))
    assert r.status == "not_evaluable"
    assert r.figures["share_high"] == pytest.approx(70 / 110)
    assert r.figures["share_low"] == 0.0
    # A: 20 of 100. With B at its most (5 of 5 beds) the share is 25/105 = 23.8 % < 55 %: a sure fail.
    projects = _homes([{"id": "A", "beds": 100.0, "nursing_beds": 20.0}, {"id": "B", "beds": np.nan, "nursing_beds": 5.0}])
    r = run_rule(tmp_path, SHARE, CheckInputs(projects=projects))
    assert r.status == "fail" and r.figures["share_high"] == pytest.approx(25 / 105)
    assert any("fails whatever the unknowns" in n and "(B)" in n for n in r.notes)


def test_share_without_a_counted_source_is_not_judged(tmp_path):
    # The rule counts the facility file too; without it, its institutions are unknown.
    rule = {**SHARE, "params": {**SHARE["params"], "include_facilities": True}}
    projects = _homes([{"id": "A", "beds": 100.0, "nursing_beds": 90.0}])
    r = run_rule(tmp_path, rule, CheckInputs(projects=projects))
    assert r.status == "not_evaluable" and "no facilities file" in r.reason


def test_share_with_an_undetermined_institution(tmp_path):
    # Government homes only: A (100 beds, 60 nursing). C's owner is unknown: 100 beds, 0 nursing.
    # Counted, the share is 60/200 = 30 %; left out, 60 %: no verdict, and C is named.
    rule = {**SHARE, "applies_to": {"type": ["elderly"], "owner_kind": ["government"]}}
    projects = _homes([{"id": "A", "beds": 100.0, "nursing_beds": 60.0},
                       {"id": "C", "beds": 100.0, "nursing_beds": 0.0, "owner_kind": "unknown"}])
    r = run_rule(tmp_path, rule, CheckInputs(projects=projects))
    assert r.status == "not_evaluable" and "C (owner_kind unknown)" in r.reason
    assert r.figures["share_low"] == pytest.approx(0.3) and r.figures["share_high"] == pytest.approx(0.6)


# ---- finding 2: A4 and hospitals without coordinates --------------------------------------------

A4 = {"kind": "hospital_proximity", "applies_to": {"type": ["elderly"], "owner_kind": ["government"]},
      "params": {"max_km": 5}}


def _hospitals(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["type"] = "hospital"
    frame["category"] = "general"
    frame["category_assumed"] = False
    frame["level"] = frame["level"] if "level" in frame.columns else np.nan
    return frame


def test_a4_with_only_an_unlocated_hospital_is_not_evaluable(tmp_path):
    homes = _homes([{"id": "S", "lon": LON0, "lat": lat_at(20.0)}])
    hosp = _hospitals([{"id": "H", "name": "no coordinates", "lon": np.nan, "lat": np.nan}])
    r = run_rule(tmp_path, A4, CheckInputs(facilities=homes, hospitals=hosp))
    assert r.status == "not_evaluable"
    assert "no located hospital" in r.reason
    assert any("H (no coordinates)" in n for n in r.notes)


def test_a4_site_beyond_located_hospitals_with_an_unlocated_one_is_not_judged(tmp_path):
    # 6 km from the located hospital; the one without coordinates could be next door.
    homes = _homes([{"id": "S", "lon": LON0, "lat": lat_at(6.0)}])
    hosp = _hospitals([{"id": "H1", "name": "h1", "lon": LON0, "lat": LAT0},
                       {"id": "H2", "name": "h2", "lon": np.nan, "lat": np.nan}])
    r = run_rule(tmp_path, A4, CheckInputs(facilities=homes, hospitals=hosp))
    assert r.status == "not_evaluable" and "(S)" in r.reason and not r.violations
    assert r.figures["hospitals_counted"] == 1 and r.figures["hospitals_uncertain"] == 1
    # 3 km from the located one: within whatever the other is.
    homes = _homes([{"id": "S", "lon": LON0, "lat": lat_at(3.0)}])
    r = run_rule(tmp_path, A4, CheckInputs(facilities=homes, hospitals=hosp))
    assert r.status == "pass" and r.details["straight_km"].iloc[0] == pytest.approx(3.0, abs=1e-6)


def test_a4_hospital_of_unknown_level(tmp_path):
    rule = {**A4, "params": {"max_km": 5, "hospital_min_level": 2}}
    homes = _homes([{"id": "S", "lon": LON0, "lat": lat_at(6.0)}])
    # Level 3 at 0 km from the 6 km point's... no: level 3 at LAT0 (6 km), level unknown 1 km from S.
    hosp = _hospitals([{"id": "H3", "name": "h3", "lon": LON0, "lat": LAT0, "level": 3.0},
                       {"id": "H?", "name": "h?", "lon": LON0, "lat": lat_at(7.0), "level": np.nan}])
    r = run_rule(tmp_path, rule, CheckInputs(facilities=homes, hospitals=hosp))
    assert r.status == "not_evaluable" and "(S)" in r.reason
    # The unknown-level hospital 30 km away cannot bring S within 5 km: a sure fail.
    hosp.loc[1, "lat"] = lat_at(36.0)
    r = run_rule(tmp_path, rule, CheckInputs(facilities=homes, hospitals=hosp))
    assert r.status == "fail" and [v["id"] for v in r.violations] == ["S"]


# ---- finding 3: sites whose owner is not stated -------------------------------------------------

def test_a4_reports_sites_of_unknown_owner(tmp_path):
    hosp = _hospitals([{"id": "H", "name": "h", "lon": LON0, "lat": LAT0}])
    rows = [{"id": "G3", "lon": LON0, "lat": lat_at(3.0)},
            {"id": "U7", "lon": LON0, "lat": lat_at(7.0), "owner_kind": "unknown"},
            {"id": "C9", "lon": LON0, "lat": lat_at(9.0), "owner_kind": "company"}]
    r = run_rule(tmp_path, A4, CheckInputs(facilities=_homes(rows), hospitals=hosp))
    # U7 may be government-provided and lies 7 km away: A4 cannot pass; the company home is not meant.
    assert r.status == "not_evaluable"
    assert "U7 (owner_kind unknown)" in r.reason and "owner_kind" in r.reason
    d = r.details.set_index("id")
    assert d.loc["U7", "applies"] == "unknown: owner_kind" and not bool(d.loc["U7", "within"])
    assert "C9" not in d.index
    # Within the limit, it is listed and the rule passes.
    rows[1]["lat"] = lat_at(4.0)
    r = run_rule(tmp_path, A4, CheckInputs(facilities=_homes(rows), hospitals=hosp))
    assert r.status == "pass" and any("U7" in n and "within 5 km anyway" in n for n in r.notes)
    # A government site beyond: a sure fail, the unknown-owner one named in the notes.
    rows[0]["lat"], rows[1]["lat"] = lat_at(6.0), lat_at(8.0)
    r = run_rule(tmp_path, A4, CheckInputs(facilities=_homes(rows), hospitals=hosp))
    assert r.status == "fail" and [v["id"] for v in r.violations] == ["G3"]
    assert any("U7" in n for n in r.notes)


def test_clinic_rule_reports_institutions_of_unknown_owner(tmp_path):
    rule = {"kind": "clinic_partner", "applies_to": {"type": ["elderly"], "owner_kind": ["company"]},
            "params": {"min_beds": 150}}
    homes = _homes([{"id": "P", "beds": 200.0, "has_clinic": True, "owner_kind": "company", "lon": LON0, "lat": LAT0},
                    {"id": "U", "beds": 300.0, "has_clinic": False, "owner_kind": "unknown", "lon": LON0, "lat": LAT0}])
    homes["has_clinic"] = homes["has_clinic"].astype("boolean")
    r = run_rule(tmp_path, rule, CheckInputs(facilities=homes))
    assert r.status == "not_evaluable" and "U (owner_kind unknown)" in r.reason


def test_clinic_rule_judges_unknown_beds_both_ways(tmp_path):
    rule = {"kind": "clinic_partner", "applies_to": {"type": ["elderly"]}, "params": {"min_beds": 150}}
    homes = _homes([{"id": "H", "type": "hospital", "lon": LON0, "lat": LAT0},
                    {"id": "X", "beds": np.nan, "has_clinic": True, "lon": LON0, "lat": lat_at(1.0)}])
    homes["has_clinic"] = homes["has_clinic"].astype("boolean")
    # Large or small, X is fine: it has a clinic, and a partner 1 km away.
    r = run_rule(tmp_path, rule, CheckInputs(facilities=homes))
    assert r.status == "pass"
    homes.loc[1, "has_clinic"] = False
    r = run_rule(tmp_path, rule, CheckInputs(facilities=homes))
    assert r.status == "not_evaluable" and "beds unknown for 1 institution(s) (X)" in r.reason


# ---- finding 4: capacity rules never count an unknown quantity as 0 -----------------------------

def _capacity(projects: pd.DataFrame | None, places: float = 4000.0) -> CheckInputs:
    pop = pd.DataFrame({"unit": ["City", "X县", "Y县"], "level": ["city", "county", "county"], "indicator": "population",
                        "value": [1_000_000.0, 100_000.0, 100_000.0], "code": ["1", "2", "3"], "year": "2020"})
    return CheckInputs(projects=projects, population=pop, baselines={"childcare_places_existing": {"value": places}})


TOTAL = {"kind": "capacity_total", "applies_to": {"type": ["childcare"]},
         "params": {"quantity": "places", "baseline": "childcare_places_existing", "min_total": 4800}}


def test_capacity_total_with_an_unknown_quantity_is_a_bound(tmp_path):
    projects = pd.DataFrame({"id": ["P1", "P2"], "name": "p", "type": "childcare", "places": [500.0, np.nan]})
    r = run_rule(tmp_path, TOTAL, _capacity(projects))
    # 4,000 + 500 + (P2: unknown) is at least 4,500 of 4,800: no verdict, P2 named.
    assert r.status == "not_evaluable"
    assert "at least 4,500" in r.reason and "(P2)" in r.reason
    assert r.figures["total"] == 4500.0 and "total_high" not in r.figures  # unbounded above
    # With the target at 4,500 the lower bound reaches it: pass, whatever P2 adds.
    r = run_rule(tmp_path, {**TOTAL, "params": {**TOTAL["params"], "min_total": 4500}}, _capacity(projects))
    assert r.status == "pass" and any("at least 4,500" in n for n in r.notes)


def test_capacity_total_without_the_projects_file_is_not_judged(tmp_path):
    r = run_rule(tmp_path, TOTAL, _capacity(None))
    assert r.status == "not_evaluable" and "no projects file" in r.reason
    # The baseline alone reaching the target is a pass, whatever is planned.
    r = run_rule(tmp_path, TOTAL, _capacity(None, places=5000.0))
    assert r.status == "pass"


def test_capacity_total_counts_undetermined_rows_as_a_bound(tmp_path):
    rule = {**TOTAL, "applies_to": {"type": ["childcare"], "owner_kind": ["government"]}}
    projects = pd.DataFrame({"id": ["P1", "P2"], "name": "p", "type": "childcare", "places": [100.0, 200.0],
                             "owner_kind": ["government", "unknown"]})
    r = run_rule(tmp_path, rule, _capacity(projects))
    # 4,100 to 4,300 places: below 4,800 either way.
    assert r.status == "fail" and r.figures["total"] == 4100.0 and r.figures["total_high"] == 4300.0
    assert r.violations[0]["gap"] == 500.0
    r = run_rule(tmp_path, {**rule, "params": {**rule["params"], "min_total": 4200}}, _capacity(projects))
    assert r.status == "not_evaluable" and "P2 (owner_kind unknown)" in r.reason


def test_capacity_ratio_with_unknown_quantities(tmp_path):
    rule = {"kind": "capacity_ratio", "applies_to": {"type": ["childcare"]},
            "params": {"quantity": "places", "min_per_1000": 4.5, "levels": ["county"]}}
    # X县 (100,000 people) needs 450 places: 300 stated plus P2 (unknown): not judged. Y县 has
    # 460 stated: a pass. P3 states 50 places but no county: it could be in X县 or Y县.
    projects = pd.DataFrame({"id": ["P1", "P2", "P3", "P4"], "name": "p", "type": "childcare",
                             "places": [300.0, np.nan, 50.0, 460.0], "county": ["X县", "X县", "", "Y县"]})
    r = run_rule(tmp_path, rule, _capacity(projects))
    d = r.details.set_index("unit")
    assert d.loc["X县", "status"] == "not_evaluable" and "(P2)" in d.loc["X县", "reason"]
    assert d.loc["Y县", "status"] == "pass"
    assert r.status == "not_evaluable"
    # Without P2, X县 has 300 and at most 350 (with P3): a sure fail, gap 450 - 350 = 100.
    r = run_rule(tmp_path, rule, _capacity(projects.drop(index=1)))
    assert r.status == "fail" and r.violations == [{"unit": "X县", "level": "county", "per_1000": 3.5, "supply": 350.0,
                                                    "population": 100000.0, "needed": 450.0, "gap": 100.0}]


def test_capacity_ratio_uses_the_scenario_census_year(tmp_path):
    rule = {"kind": "capacity_ratio", "applies_to": {"type": ["childcare"]},
            "params": {"quantity": "places", "min_per_1000": 4.5, "levels": ["city"], "include_projects": False,
                       "baseline": "childcare_places_existing"}}
    pop = pd.DataFrame({"unit": ["City", "City"], "level": "city", "indicator": "population",
                        "value": [1_000_000.0, 800_000.0], "year": ["2020", "2010"]})
    ci = CheckInputs(population=pop, baselines={"childcare_places_existing": {"value": 4000.0}})
    # Two census years and no year chosen: which population is meant is unknown.
    r = run_rule(tmp_path, rule, ci)
    assert r.status == "not_evaluable" and "several years" in r.reason
    ci.population_year = 2020
    r = run_rule(tmp_path, rule, ci)  # 4,000 / 1,000,000 = 4.0 per 1,000 < 4.5
    assert r.status == "fail" and r.figures["city_per_1000"] == pytest.approx(4.0)
    ci.population_year = 2010
    assert run_rule(tmp_path, rule, ci).status == "pass"  # 5.0 per 1,000


# ---- the units rules list what they cannot place ------------------------------------------------

def test_count_per_unit_with_an_undetermined_owner(tmp_path):
    units = pd.DataFrame({"code": ["1", "2"], "name": ["甲县", "乙县"], "level": "county", "county": ["甲县", "乙县"]})
    rule = {"kind": "count_per_unit", "applies_to": {"type": ["childcare"], "owner_kind": ["government"]},
            "params": {"min_count": 1}}
    fac = pd.DataFrame({"id": ["f1", "f2"], "name": "x", "type": "childcare", "county": ["甲县", "乙县"],
                        "owner_kind": ["government", "unknown"]})
    r = run_rule(tmp_path, rule, CheckInputs(facilities=fac, units=units))
    assert r.status == "not_evaluable" and "乙县" in r.reason
    assert any("f2 (owner_kind unknown)" in n for n in r.notes)


def test_tier_completeness_fails_where_no_unknown_could_fill(tmp_path):
    units = pd.DataFrame({"code": ["1", "2"], "name": ["甲县", "乙县"], "level": "county", "county": ["甲县", "乙县"]})
    rule = {"kind": "tier_completeness", "applies_to": {"type": ["elderly"]}, "params": {"tiers": ["county", "village"]}}
    fac = pd.DataFrame({"id": ["a", "b", "c", "d"], "name": "x", "type": "elderly",
                        "county": ["甲县", "甲县", "乙县", "乙县"], "tier": ["county", "village", "county", ""]})
    # 乙县 misses 'village', but d (乙县, tier unknown) may be one: not judged.
    r = run_rule(tmp_path, rule, CheckInputs(facilities=fac, units=units))
    assert r.status == "not_evaluable" and "乙县: village" in r.reason and "(d)" in r.reason
    # d in 甲县 instead: nothing can fill 乙县's village tier: a sure fail.
    fac.loc[3, "county"] = "甲县"
    r = run_rule(tmp_path, rule, CheckInputs(facilities=fac, units=units))
    assert r.status == "fail" and r.violations == [{"county": "乙县", "missing_tiers": "village"}]
    # The details: one row per county with its count per tier; the tier named 'county' gets its own
    # column (n_county) and does not overwrite the county's name.
    assert r.details.to_dict("records") == [{"county": "甲县", "n_county": 1, "n_village": 1},
                                            {"county": "乙县", "n_county": 1, "n_village": 0}]


def test_unit_coverage_lists_unplaced_facilities(tmp_path):
    units = pd.DataFrame({"code": ["1", "2"], "name": ["甲街道", "乙街道"], "level": "town", "county": "X"})
    rule = {"kind": "unit_coverage", "applies_to": {"type": ["elderly"]}, "params": {"unit_level": "town", "min_share": 1.0}}
    fac = pd.DataFrame({"id": ["a", "b"], "name": "x", "type": "elderly", "unit": ["甲街道", "nowhere"]})
    r = run_rule(tmp_path, rule, CheckInputs(facilities=fac, units=units))
    assert r.status == "not_evaluable" and any("(b)" in n for n in r.notes)


def test_extreme_share_is_the_best_subset_by_brute_force():
    """The share bound over rows that may or may not count equals the best of all 2^n subsets."""
    import itertools

    from siting.rules.kinds.capacity import extreme_share

    rng = np.random.default_rng(11)
    for _ in range(200):
        n = int(rng.integers(0, 6))
        whole = rng.integers(0, 50, n).astype(float)
        part = np.floor(whole * rng.uniform(0, 1, n))
        base_part, base_whole = float(rng.integers(0, 20)), float(rng.integers(0, 40))
        base_part = min(base_part, base_whole)
        shares = []
        for k in range(n + 1):
            for s in itertools.combinations(range(n), k):
                w = base_whole + whole[list(s)].sum()
                if w > 0:
                    shares.append((base_part + part[list(s)].sum()) / w)
        if not shares:
            continue
        assert extreme_share(base_part, base_whole, part, whole, lowest=True) == pytest.approx(min(shares))
        assert extreme_share(base_part, base_whole, part, whole, lowest=False) == pytest.approx(max(shares))


def test_share_figures_count_what_is_known(tmp_path):
    projects = _homes([{"id": "A", "beds": 100.0, "nursing_beds": 60.0}, {"id": "B", "beds": 50.0, "nursing_beds": np.nan},
                       {"id": "C", "beds": np.nan, "nursing_beds": 5.0}])
    r = run_rule(tmp_path, SHARE, CheckInputs(projects=projects))
    f = r.figures
    assert (f["institutions"], f["part_unknown"], f["whole_unknown"], f["whole"], f["part_known"]) == (2, 1, 1, 150.0, 60.0)
    # Highest: B all nursing (50 of 50), C exactly its 5 nursing beds: (60 + 50 + 5) / (150 + 5).
    assert f["share_high"] == pytest.approx(115 / 155) and f["share_low"] == 0.0
    assert "nursing_beds unknown for 1 of 2 institutions (B)" in r.reason and "beds unknown for 1 institution(s) (C)" in r.reason


def test_capacity_ratio_without_its_baseline_names_it(tmp_path):
    rule = {"kind": "capacity_ratio", "applies_to": {"type": ["childcare"]},
            "params": {"quantity": "places", "min_per_1000": 4.5, "levels": ["city"], "baseline": "absent_key",
                       "population_year": 2020}}
    projects = pd.DataFrame({"id": ["P1"], "name": "p", "type": "childcare", "places": [100.0]})
    r = run_rule(tmp_path, rule, _capacity(projects))
    # 100 planned places for 1,000,000 people and an unknown stock: at least 0.1 per 1,000, no verdict.
    assert r.status == "not_evaluable" and r.reason.startswith("City: baseline 'absent_key' missing")
    assert "at least 0.100 per 1,000" in r.reason
    # The planned places alone reach a target of 0.1 per 1,000: a pass whatever the stock.
    rule["params"]["min_per_1000"] = 0.1
    assert run_rule(tmp_path, rule, _capacity(projects)).status == "pass"


def test_a5_judges_a_planned_home_on_its_stated_clinic(tmp_path):
    """A project table may state has_clinic (是否设医务室); A5 then judges a planned 200-bed home on it."""
    from siting.inputs.projects import read_projects

    path = tmp_path / "projects.csv"
    path.write_text("编号,名称,类型,床位数,是否设医务室,经度,纬度\n"
                    "P1,新建养老院,养老院,200,是,7.42,43.73\nP2,另一养老院,养老院,180张,否,7.42,43.74\n"
                    "P3,第三养老院,养老院,160,,7.42,43.75\n", encoding="gb18030")
    frame = read_projects(path)
    assert [None if v is pd.NA else bool(v) for v in frame["has_clinic"]] == [True, False, None]
    from siting.rules import check

    a5 = check(rules="qinzhou", projects=path, only=["A5"]).result("A5")
    # P2 (180 beds, no clinic) breaks it; P1 complies; P3 (160 beds, clinic unknown) cannot be settled.
    assert a5.status == "fail"
    assert [v["id"] for v in a5.violations] == ["P2"]
    assert "P3" in " ".join(a5.notes) + a5.reason
