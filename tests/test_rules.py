"""Planted cases for the rule checks: every expected value is worked out by hand here."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from siting.rules import check, evaluate, load_pack
from siting.rules.context import CheckInputs
from siting.rules.registry import rule_kinds

R_EARTH = 6371008.8  # the mean radius haversine_m uses
M_PER_DEG_LAT = R_EARTH * math.pi / 180.0  # metres per degree along a meridian on that sphere

LON0, LAT0 = 108.65, 21.95  # somewhere in Qinzhou


def _lat_at(metres: float) -> float:
    return LAT0 + metres / M_PER_DEG_LAT


def _csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


FAC_COLS = ["id", "name", "type", "beds", "places", "owner", "has_clinic", "lon", "lat", "category", "level", "owner_kind"]


def _pack(tmp_path: Path, rules: list[dict], name: str = "test-pack") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"pack": name, "rules": rules}, allow_unicode=True), encoding="utf-8")
    return path


SRC = {"document": "000", "quote": "q", "line": "000 L1"}


def test_a4_six_km_fails_three_km_passes(tmp_path):
    rows = [
        {"id": "H", "name": "Saint Mary", "type": "hospital", "lon": LON0, "lat": LAT0},
        {"id": "S3", "name": "site 3 km", "type": "elderly", "beds": 100, "owner_kind": "government", "lon": LON0, "lat": _lat_at(3000)},
        {"id": "S6", "name": "site 6 km", "type": "elderly", "beds": 100, "owner_kind": "government", "lon": LON0, "lat": _lat_at(6000)},
        # Private: outside the rule's owner filter, though 9 km away.
        {"id": "P9", "name": "private 9 km", "type": "elderly", "beds": 100, "owner_kind": "company", "lon": LON0, "lat": _lat_at(9000)},
    ]
    fac = _csv(tmp_path / "f.csv", rows, FAC_COLS)
    report = check(rules="qinzhou", only=["A4"], facilities=fac)
    r = report.result("A4")
    assert r.status == "fail"
    assert [v["id"] for v in r.violations] == ["S6"]
    assert r.violations[0]["straight_km"] == pytest.approx(6.0, abs=1e-3)
    assert r.violations[0]["nearest_hospital"] == "Saint Mary"
    d = r.details.set_index("id")
    assert d.loc["S3", "straight_km"] == pytest.approx(3.0, abs=1e-6)
    assert bool(d.loc["S3", "within"]) is True
    assert "P9" not in d.index
    # No category given: counted as general, and the report says so.
    assert r.figures["hospitals_assumed_general"] == 1
    assert any("assumed general" in n for n in r.notes)
    # No network: judged on straight line, road distance reported missing.
    assert r.figures["judged_on"] == "straight"
    assert any("road distance missing" in n and "--osm" in n for n in r.notes)
    # Only the 3 km site: pass.
    rows3 = [r_ for r_ in rows if r_["id"] != "S6"]
    report3 = check(rules="qinzhou", only=["A4"], facilities=_csv(tmp_path / "f3.csv", rows3, FAC_COLS))
    assert report3.result("A4").status == "pass"


def test_a4_hospital_filters_are_parameters(tmp_path):
    rows = [
        {"id": "TCM", "name": "TCM hospital", "type": "hospital", "category": "tcm", "level": "三级", "lon": LON0, "lat": LAT0},
        {"id": "G1", "name": "level-1 general", "type": "hospital", "category": "general", "level": "1", "lon": LON0, "lat": _lat_at(4000)},
        {"id": "S", "name": "site", "type": "elderly", "owner_kind": "government", "lon": LON0, "lat": _lat_at(500)},
    ]
    fac = _csv(tmp_path / "f.csv", rows, FAC_COLS)
    rule = {"id": "A4", "kind": "hospital_proximity", "source": SRC, "applies_to": {"type": ["elderly"]},
            "params": {"max_km": 5}}
    r = check(rules=_pack(tmp_path, [rule]), facilities=fac).result("A4")
    # The TCM hospital 0.5 km away does not count; the general one is 3.5 km away.
    assert r.status == "pass"
    assert r.details["straight_km"].iloc[0] == pytest.approx(3.5, abs=1e-6)
    rule["params"]["hospital_min_level"] = 2
    r2 = check(rules=_pack(tmp_path, [rule], "p2"), facilities=fac).result("A4")
    assert r2.status == "not_evaluable" and "no hospital" in r2.reason
    rule["params"]["hospital_category"] = ["general", "tcm"]
    r3 = check(rules=_pack(tmp_path, [rule], "p3"), facilities=fac).result("A4")
    assert r3.status == "pass" and r3.details["straight_km"].iloc[0] == pytest.approx(0.5, abs=1e-6)


def test_a4_hospitals_from_their_own_file(tmp_path):
    fac = _csv(tmp_path / "f.csv", [{"id": "S", "name": "s", "type": "elderly", "owner_kind": "government",
                                     "lon": LON0, "lat": _lat_at(5500)}], FAC_COLS)
    hosp = _csv(tmp_path / "h.csv", [{"id": "H", "name": "h", "category": "综合医院", "lon": LON0, "lat": LAT0}],
                ["id", "name", "category", "lon", "lat"])
    r = check(rules="qinzhou", only=["A4"], facilities=fac, hospitals=hosp).result("A4")
    assert r.status == "fail" and r.figures["hospitals_assumed_general"] == 0


def test_a5_149_and_150_beds(tmp_path):
    rows = [
        {"id": "H", "name": "Hospital", "type": "hospital", "lon": LON0, "lat": LAT0},
        {"id": "B149", "name": "149 beds", "type": "elderly", "beds": 149, "has_clinic": "no", "lon": LON0, "lat": _lat_at(2000)},
        {"id": "B150", "name": "150 beds", "type": "elderly", "beds": 150, "has_clinic": "no", "lon": LON0, "lat": _lat_at(1000)},
        {"id": "B151", "name": "151 beds", "type": "elderly", "beds": 151, "has_clinic": "yes", "lon": LON0, "lat": _lat_at(1000)},
    ]
    r = check(rules="qinzhou", only=["A5"], facilities=_csv(tmp_path / "f.csv", rows, FAC_COLS)).result("A5")
    assert r.status == "fail"
    assert [v["id"] for v in r.violations] == ["B150"]
    d = r.details.set_index("id")
    assert bool(d.loc["B149", "needs_clinic"]) is False
    assert d.loc["B149", "partner"] == "Hospital"
    assert d.loc["B149", "partner_straight_km"] == pytest.approx(2.0, abs=1e-6)
    assert bool(d.loc["B150", "needs_clinic"]) is True
    # Give the 150-bed home a clinic: pass.
    rows[2]["has_clinic"] = "是"
    r2 = check(rules="qinzhou", only=["A5"], facilities=_csv(tmp_path / "g.csv", rows, FAC_COLS)).result("A5")
    assert r2.status == "pass"
    # Unknown has_clinic at 150 beds: never pass.
    rows[2]["has_clinic"] = ""
    r3 = check(rules="qinzhou", only=["A5"], facilities=_csv(tmp_path / "u.csv", rows, FAC_COLS)).result("A5")
    assert r3.status == "not_evaluable" and "B150" in r3.reason


def _capacity_inputs(places: float, population: float) -> CheckInputs:
    projects = pd.DataFrame({"id": ["P1"], "name": ["p"], "type": ["childcare"], "places": [places], "county": ["X县"]})
    pop = pd.DataFrame({"unit": ["City", "X县"], "level": ["city", "county"], "indicator": "population",
                        "value": [population, population], "code": ["1", "2"], "year": "2020"})
    return CheckInputs(projects=projects, population=pop, baselines={"childcare_places_existing": {"value": 4000.0}})


@pytest.mark.parametrize(("planned", "status"), [(500.0, "pass"), (499.0, "fail"), (900.0, "pass")])
def test_ratio_of_exactly_4_5_passes(tmp_path, planned, status):
    # 4,000 existing + 500 planned = 4,500 places for 1,000,000 people = exactly 4.5 per 1,000.
    rule = {"id": "C1", "kind": "capacity_ratio", "source": SRC, "applies_to": {"type": ["childcare"]},
            "params": {"quantity": "places", "baseline": "childcare_places_existing", "min_per_1000": 4.5, "levels": ["city"]}}
    rep = evaluate(load_pack(_pack(tmp_path, [rule])), _capacity_inputs(planned, 1_000_000))
    r = rep.result("C1")
    assert r.status == status
    assert r.figures["city_per_1000"] == pytest.approx((4000 + planned) / 1000.0)


def test_county_ratio_without_county_baseline_is_not_judged(tmp_path):
    rule = {"id": "C1", "kind": "capacity_ratio", "source": SRC, "applies_to": {"type": ["childcare"]},
            "params": {"quantity": "places", "baseline": "childcare_places_existing", "min_per_1000": 4.5, "levels": ["county"]}}
    r = evaluate(load_pack(_pack(tmp_path, [rule])), _capacity_inputs(500, 1000)).result("C1")
    assert r.status == "not_evaluable" and "city-wide only" in r.reason


def test_share_bounds(tmp_path):
    rule = {"id": "C9", "kind": "share", "source": SRC, "applies_to": {"type": ["elderly"]},
            "params": {"numerator": "nursing_beds", "denominator": "beds", "min_share": 0.55,
                       "include_facilities": False}}
    pack = load_pack(_pack(tmp_path, [rule]))

    def run(nursing):
        projects = pd.DataFrame({"id": ["a", "b"], "name": "x", "type": "elderly", "beds": [100.0, 100.0],
                                 "nursing_beds": nursing})
        return evaluate(pack, CheckInputs(projects=projects)).result("C9")

    assert run([55.0, 55.0]).status == "pass"  # exactly 55 %
    assert run([54.0, 55.0]).status == "fail"
    r = run([60.0, np.nan])  # between 30 % and 80 %: undecided
    assert r.status == "not_evaluable" and r.figures["share_low"] == pytest.approx(0.3)
    assert run([20.0, np.nan]).status == "not_evaluable"  # 10 % .. (20+100)/200 = 60 %: undecided
    r = run([5.0, np.nan])  # at most (5+100)/200 = 52.5 % < 55 %: fails whatever the unknown is
    assert r.status == "fail" and r.figures["share_high"] == pytest.approx(0.525)


def test_missing_data_is_never_pass():
    """Every rule of every built-in pack, run on no data at all, is not_evaluable with a reason."""
    for name in ("qinzhou", "guangxi", "jingdezhen", "gb50180"):
        report = evaluate(load_pack(name), CheckInputs())
        for r in report.results:
            assert r.status == "not_evaluable", (name, r.id, r.status)
            assert r.reason


def test_every_kind_refuses_to_pass_without_inputs(tmp_path):
    # One rule per registered kind with its required parameters set to plausible values.
    values = {"number": 1.0, "int": 1, "str": "places", "list[str]": ["elderly"]}
    rules = []
    for i, (name, kind) in enumerate(sorted(rule_kinds().items())):
        params = {}
        for key, p in kind.params.items():
            if p.required:
                params[key] = p.choices[0] if p.choices else values[p.type.rstrip("?")]
        rules.append({"id": f"X{i}", "kind": name, "source": SRC, "params": params})
    report = evaluate(load_pack(_pack(tmp_path, rules)), CheckInputs())
    assert {r.status for r in report.results} == {"not_evaluable"}


def test_unit_coverage_counts_units_with_a_facility(tmp_path):
    units = pd.DataFrame({"code": ["1", "2", "3", "4", "5"], "name": ["甲街道办事处", "乙街道办事处", "丙街道办事处", "丁镇", "戊街道办事处"],
                          "level": "town", "county": "X", "ur_code": "111"})
    fac = pd.DataFrame({"id": ["f1", "f2", "f3", "f4"], "name": "c", "type": "elderly",
                        "unit": ["甲街道", "乙街道办事处", "2", "丁镇"], "lon": np.nan, "lat": np.nan})
    rule = {"id": "B1", "kind": "unit_coverage", "source": SRC, "applies_to": {"type": ["elderly"]},
            "params": {"unit_level": "town", "unit_name_matches": "街道", "min_share": 0.5}}
    pack = load_pack(_pack(tmp_path, [rule]))
    r = evaluate(pack, CheckInputs(facilities=fac, units=units)).result("B1")
    # 4 街道; 甲 and 乙 covered (丁镇 is not a 街道): 2/4 = 0.5 -> pass at exactly the threshold.
    assert r.figures["units"] == 4 and r.figures["covered"] == 2
    assert r.status == "pass"
    rule["params"]["min_share"] = 0.6
    r2 = evaluate(load_pack(_pack(tmp_path, [rule], "p2")), CheckInputs(facilities=fac, units=units)).result("B1")
    assert r2.status == "fail"
    assert sorted(v["unit"] for v in r2.violations) == ["丙街道办事处", "戊街道办事处"]


def test_qinzhou_scenario_offline(capsys):
    """`siting check --scenario scenarios/qinzhou.yaml --json` runs offline."""
    import json

    from siting.cli import main

    root = Path(__file__).resolve().parents[1]
    assert main(["check", "--scenario", str(root / "scenarios" / "qinzhou.yaml"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    res = {r["id"]: r for r in out["results"]}
    # The network rule names the missing input.
    assert res["A1"]["status"] == "not_evaluable" and "--osm" in res["A1"]["reason"]
    # Capacity rules evaluated from the projects and the baselines, recomputed here.
    projects = pd.read_csv(root / "data" / "plans" / "qinzhou_projects.csv", dtype=str, keep_default_na=False)
    base = yaml.safe_load((root / "data" / "plans" / "baselines.yaml").read_text(encoding="utf-8"))["qinzhou"]
    beds = pd.to_numeric(projects.loc[projects["type"].isin(["elderly", "integrated"]), "beds"], errors="coerce").sum()
    places = pd.to_numeric(projects.loc[projects["type"] == "childcare", "places"], errors="coerce").sum()
    total_beds = base["elderly_beds_existing"]["value"] + beds
    assert res["C8"]["figures"]["total"] == pytest.approx(total_beds)
    assert res["C8"]["status"] == ("pass" if total_beds >= 16000 else "fail")
    supply = base["childcare_places_existing"]["value"] + places
    assert res["C2"]["figures"]["total"] == pytest.approx(supply)
    assert res["C2"]["status"] == ("pass" if supply >= 14800 else "fail")
    census = pd.read_csv(root / "data" / "china" / "census_2020.csv", dtype=str)
    pop = float(census.query("city == 'qinzhou' and level == 'city' and indicator == 'population' and year == '2020'")["value"].iloc[0])
    assert res["C1"]["figures"]["city_per_1000"] == pytest.approx(supply / pop * 1000)
    assert res["C1"]["status"] == ("pass" if supply / pop * 1000 >= 4.5 else "fail")
    assert {r["status"] for r in out["results"]} <= {"pass", "fail", "not_evaluable"}


def test_report_writers(tmp_path):
    fac = _csv(tmp_path / "f.csv", [
        {"id": "H", "name": "医院", "type": "hospital", "lon": LON0, "lat": LAT0},
        {"id": "S6", "name": "六公里养老院", "type": "elderly", "owner_kind": "government", "lon": LON0, "lat": _lat_at(6000)},
    ], FAC_COLS)
    report = check(rules="qinzhou", only=["A4", "C8"], facilities=fac)
    paths = report.write(tmp_path / "out")
    import json

    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["counts"] == {"pass": 0, "fail": 1, "not_evaluable": 1}
    md = paths["markdown"].read_text(encoding="utf-8")
    assert "政府提供的养老机构用地、用房，距离综合性医院不高于 5km。" in md and "六公里养老院" in md
    html = paths["html"].read_text(encoding="utf-8")
    assert "<blockquote>" in html and "不高于 5km" in html
    frame = pd.read_csv(paths["csv"], encoding="utf-8-sig")
    assert list(frame["rule"]) == ["A4", "C8"] and list(frame["status"]) == ["fail", "not_evaluable"]
    v = pd.read_csv(paths["violations"], encoding="utf-8-sig")
    assert list(v["id"]) == ["S6"]
    assert report.to_frame().shape[0] == 2


def test_count_per_county_needs_existing_facilities_to_fail(tmp_path):
    units = pd.DataFrame({"code": ["1", "2"], "name": ["甲县", "乙县"], "level": "county", "county": ["甲县", "乙县"]})
    projects = pd.DataFrame({"id": ["p1"], "name": ["甲县综合托育中心"], "type": "childcare", "county": ["甲县"],
                             "owner_kind": "government"})
    rule = {"id": "B7", "kind": "count_per_unit", "source": SRC, "applies_to": {"type": ["childcare"]},
            "params": {"min_count": 1}}
    pack = load_pack(_pack(tmp_path, [rule]))
    # Planned projects only: 乙县 has none planned, but its existing facilities are unknown.
    r = evaluate(pack, CheckInputs(projects=projects, units=units)).result("B7")
    assert r.status == "not_evaluable" and "乙县" in r.reason and "--facilities" in r.reason
    # With the existing facilities (none in 乙县 either): a real fail.
    existing = pd.DataFrame({"id": ["f1"], "name": ["x"], "type": "childcare", "county": ["甲县"]})
    r2 = evaluate(pack, CheckInputs(projects=projects, facilities=existing, units=units)).result("B7")
    assert r2.status == "fail" and r2.violations == [{"county": "乙县", "count": 0, "needed": 1}]
    existing.loc[1] = ["f2", "y", "childcare", "乙县"]
    assert evaluate(pack, CheckInputs(projects=projects, facilities=existing, units=units)).result("B7").status == "pass"


@pytest.mark.network
def test_monaco_demo_scenario_override_judges_a4_on_the_road():
    root = Path(__file__).resolve().parents[1]
    report = check(root / "scenarios" / "monaco_demo.yaml", only=["A4"])
    r = report.result("A4")
    assert r.params["distance"] == "network" and r.figures["judged_on"] == "network"
    assert r.status == "pass" and r.figures["facilities_checked"] == 1
    assert any("Changed by the scenario" in n for n in r.notes)
    # The same scenario with another pack ignores the Qinzhou-specific override.
    assert check(root / "scenarios" / "monaco_demo.yaml", rules="guangxi").pack == "guangxi-2021"
