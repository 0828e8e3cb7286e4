"""The scenario map (siting.maps.scenario): verdicts read from the compliance report, the what-if
data checked against the coverage engine and the capacity rules, the command line.

The map in a real browser (panel, popups, what-if numbers against Python) is tested in
tests/test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.analysis.coverage import coverage
from siting.cli import main
from siting.inputs.facilities import read_facilities
from siting.inputs.scenario import load_scenario
from siting.maps.idsets import decode_ids, union_ids
from siting.maps.scenario import scenario_pack, site_table
from siting.maps.verdicts import overall, site_popup, site_verdicts
from siting.maps.whatif import covered_by, whatif_data
from siting.rules import ComplianceReport, RuleResult, check, evaluate, inputs_from_scenario

REPO = Path(__file__).resolve().parents[1]


def test_site_verdicts_are_read_from_details_and_violations():
    a4 = RuleResult("A4", "hospital_proximity", "near a hospital", "fail",
                    details=pd.DataFrame({"id": ["a", "b", "c"], "name": ["A", "B", "C"], "straight_km": [1.2, 7.5, np.nan],
                                          "within": pd.array([True, False, None], dtype="boolean")}),
                    violations=[{"id": "b", "name": "B", "problem": "7.5 km from the nearest general hospital"}])
    a5 = RuleResult("A5", "clinic_partner", "clinic", "not_evaluable", "beds unknown",
                    details=pd.DataFrame({"id": ["a"], "partner": ["Clinic X"]}))
    x1 = RuleResult("X1", "other", "own verdicts", "pass", details=pd.DataFrame({"id": ["d"], "status": ["fail"]}))
    units = RuleResult("C1", "capacity_ratio", "per 1,000", "fail", details=pd.DataFrame({"unit": ["a"]}),
                       violations=[{"unit": "a", "gap": 3}])  # an area named 'a', not the site 'a'
    got = site_verdicts(ComplianceReport("p", "p", [a4, a5, x1, units]))
    assert {k: [(e.rule, e.status) for e in v] for k, v in got.items()} == {
        "a": [("A4", "pass"), ("A5", "not_evaluable")], "b": [("A4", "fail")], "c": [("A4", "not_evaluable")],
        "d": [("X1", "fail")]}
    assert got["a"][0].figures == {"straight_km": 1.2}  # who the row is and its verdict column are not figures
    assert got["b"][0].problems == ["7.5 km from the nearest general hospital"]
    assert [overall([e.status for e in got[k]]) for k in "abcd"] == ["pass", "fail", "not_evaluable", "fail"]
    assert overall([]) == "not_evaluable"
    html = site_popup({"key": "f0", "id": "b", "name": "B", "type": "elderly", "origin": "facilities", "beds": 80.0},
                      "fail", got["b"], [], "zh")
    assert "直线距离（km）" in html and "7.5" in html and "不通过" in html and 'data-rule="A4"' in html
    assert "现有设施" in html and "床位" in html


@pytest.fixture(scope="module")
def whatif(whatif_scenario):
    sc = load_scenario(whatif_scenario)
    inputs = inputs_from_scenario(sc)
    compliance = evaluate(scenario_pack(sc), inputs)
    sites = site_table(inputs)
    rules = {r.id: r for r in scenario_pack(sc).rules}
    data, popups = whatif_data(compliance, rules, sites, inputs)
    return sc, inputs, compliance, sites, data, popups


def reference_coverage(inputs, types, group, keys, sites, minutes=15.0, existing=True):
    """Python's coverage of ``group`` within ``minutes`` by the facilities of ``types`` (unless not ``existing``)
    plus the projects ``keys`` of those types, read from the input tables (not from the map's site table)."""
    net = inputs.network("walk")
    demand, _ = inputs.demand_points(net)
    fac = read_facilities(inputs.paths["facilities"])
    chosen = set(sites.loc[sites["key"].isin(keys), "id"])
    projects = inputs.projects[inputs.projects["id"].isin(chosen)]
    fac = fac[fac["type"].isin(types) & existing]
    frame = pd.concat([fac, projects[projects["type"].isin(types)]], ignore_index=True)
    frame = frame[frame["lon"].notna()][["id", "type", "lon", "lat"]].assign(type="target")
    if frame.empty:
        return 0.0, float(demand[{"60+": "pop_60plus", "0-3": "pop_0_3"}[group]].sum())
    row = coverage(net, demand, frame, "target", group, [minutes]).summary.iloc[0]
    return float(row["covered"]), float(row["population"])


def test_whatif_union_equals_the_coverage_engine(whatif):
    sc, inputs, compliance, sites, data, _ = whatif
    targets = {t["id"]: t for t in data["targets"]}
    # A1 (60+ near elderly care and community centres), and per kind of project: 60+ near elderly care, 0-3 near childcare
    assert set(targets) == {"A1", "kind:elderly", "kind:childcare"}
    assert targets["A1"]["column"] == "pop_60plus" and targets["kind:childcare"]["column"] == "pop_0_3"
    a1 = compliance.result("A1").figures
    demand, _ = inputs.demand_points(inputs.network("walk"))
    rng = np.random.default_rng(11)
    toggles = [s["key"] for s in data["sites"]]
    for pick in [toggles, [], *[[k for k in toggles if rng.random() < 0.5] for _ in range(3)]]:
        for tid, types, group in (("A1", ["elderly", "integrated", "community_centre"], "60+"),
                                  ("kind:elderly", ["elderly", "integrated"], "60+"),
                                  ("kind:childcare", ["childcare"], "0-3")):
            t = targets[tid]
            texts = [t["base"]] + [data["reach"][t["key"]][k] for k in t["sites"] if k in pick]
            want, population = reference_coverage(inputs, types, group, pick, sites)
            # the union of the sets, and what the page sums (points the projects reach, on top of the existing)
            people = demand[{"60+": "pop_60plus", "0-3": "pop_0_3"}[group]].to_numpy(float)
            assert float(people[union_ids(texts, data["n"])].sum()) == pytest.approx(want, rel=1e-12, abs=1e-9)
            assert covered_by(data, tid, set(pick)) == pytest.approx(want, rel=1e-12, abs=1e-9)
            assert t["population"] == population  # the same numbers summed in the same order
        if pick == toggles:  # every project ticked: the plan as stated, the rule's own figure
            assert covered_by(data, "A1", set(pick)) == pytest.approx(a1["covered"], rel=1e-12)
    shipped = decode_ids(data["points"], data["n"])  # only points a project reaches carry a population
    assert len(shipped) == len(data["pop"]["pop_60plus"]) < data["n"]


def test_whatif_capacity_equals_the_rules_as_planned(whatif):
    _, _, compliance, sites, data, _ = whatif
    items = {c["id"]: c for c in data["capacity"]}
    # the pack's capacity totals: C2 and C8 (stock + projects), C2-new (the projects' new places only);
    # C1 has no city population in this scenario
    assert set(items) == {"C2", "C2-new", "C8"}
    assert items["C2-new"]["baseline"] == 0 and dict(items["C2-new"]["sites"]) == dict(items["C2"]["sites"])
    for cid, c in items.items():
        figures = compliance.result(cid).figures
        total = c["baseline"] + c["fixed"] + sum(v for _, v in c["sites"])  # every project ticked: the plan
        assert total == figures["total"] and c["target"] == figures["target"]
    assert dict((k, v) for k, v in items["C8"]["sites"]) == {"p0": 120.0, "p1": 90.0}  # elderly projects' beds
    assert items["C8"]["baseline"] == 15855.0 and items["C2"]["baseline"] == 4613.0


def test_whatif_capacity_of_qinzhou_and_its_unlocated_projects():
    sc = load_scenario(REPO / "scenarios" / "qinzhou.yaml")
    inputs = inputs_from_scenario(sc)
    compliance = check(sc)
    sites = site_table(inputs)
    data, popups = whatif_data(compliance, {r.id: r for r in scenario_pack(sc).rules}, sites, inputs)
    assert data["targets"] == [] and popups == {}  # no road network offline: capacity only
    assert len(data["sites"]) == 20 and all(s["on"] for s in data["sites"])  # every project, located or not
    for c in data["capacity"]:
        r = compliance.result(c["id"])
        supply = c["baseline"] + c["fixed"] + sum(v for _, v in c["sites"]) if c["baseline"] is not None else None
        if r.kind == "capacity_total" and "total" in r.figures:
            assert supply == r.figures["total"]
        if r.kind == "capacity_ratio":
            assert supply == r.figures["city_supply"]
            assert c["target"] == pytest.approx(r.figures["city_needed"])


def test_popups_list_the_coverage_of_each_site(whatif):
    _, inputs, _, sites, data, popups = whatif
    net = inputs.network("walk")
    demand, _ = inputs.demand_points(net)
    elderly = sites.loc[sites["id"] == "P-E1", "key"].iloc[0]
    lines = {line["rule"] or "kind": line for line in popups[elderly]}
    want, _ = reference_coverage(inputs, ["elderly"], "60+", [elderly], sites, existing=False)
    assert lines["A1"]["group_people"] == pytest.approx(want, rel=1e-12)
    ids = decode_ids(data["reach"]["walk|15"][elderly], data["n"])
    assert lines["A1"]["residents"] == pytest.approx(float(demand["population"].to_numpy()[ids].sum()))


def test_map_command_for_a_scenario(tmp_path, capsys):
    from siting.maps.offline import remote_references

    out = tmp_path / "monaco.html"
    assert main(["map", "--scenario", str(REPO / "scenarios" / "monaco_demo.yaml"), "--candidates",
                 str(REPO / "data" / "monaco_candidates.csv"), "--offline", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert remote_references(page) == [] and 'id="siting-panel"' in page
    assert page.count('class="siting-whatif-site"') == 6  # the six candidates, unticked
    assert len(re.findall(r'class="siting-whatif-site"[^>]*checked', page)) == 0
    assert "Candidate elderly home (Fontvieille)" in page and "Sites by verdict" in page
    assert out.stat().st_size < 4_000_000
    with pytest.raises(SystemExit):
        main(["map", "--out", str(tmp_path / "x.html")])  # a scenario or facility tables are needed
