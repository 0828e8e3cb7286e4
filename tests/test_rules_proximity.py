"""hospital_proximity judged on the road (the ladder of tests/conftest.py) and the hospital table.

Ladder: 60 m edges. The hospital sits at bottom node 0, the home at top node 3: 180 m along and
60 m up, so 0.1897 km in a straight line and 0.24 km by road (three edges and a rung). With a
limit of 0.2 km the straight line passes and the road fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import M_PER_DEG, bottom, ladder

from siting.rules.context import CheckInputs
from siting.rules.kinds.proximity import hospital_proximity, hospital_table
from siting.rules.rule import Rule

NET = ladder()
PARAMS = {"max_km": 0.2, "distance": "network", "hospital_category": ["general"], "hospital_min_level": None,
          "assume_general": True}


def homes() -> pd.DataFrame:
    return pd.DataFrame({"id": ["e1"], "name": "院", "type": "elderly", "owner_kind": "government",
                         "lon": [9.0 + 3 * 60 / M_PER_DEG], "lat": [60 / M_PER_DEG]})


def hospitals() -> pd.DataFrame:
    return pd.DataFrame({"id": ["h0"], "name": "医院", "type": "hospital", "category": "general",
                         "category_assumed": False, "lon": [bottom(0)[0]], "lat": [0.0]})


def a4(ctx: CheckInputs, **params: Any) -> Any:
    rule = Rule(id="A4", kind="hospital_proximity", title="A4", params={**PARAMS, **params},
                applies_to={"type": ["elderly"]}, source={})
    return hospital_proximity(rule, ctx)


def test_judged_on_the_road_when_the_pack_asks_for_it() -> None:
    ctx = CheckInputs(facilities=homes(), hospitals=hospitals(), networks={"drive": NET})
    r = a4(ctx)
    assert r.status == "fail" and r.figures["judged_on"] == "network"
    assert r.figures["max_distance_km"] == pytest.approx(0.24) and (r.figures["within"], r.figures["beyond"]) == (0, 1)
    assert r.figures == {"facilities_checked": 1, "hospitals_counted": 1, "hospitals_assumed_general": 0, "max_km": 0.2,
                         "judged_on": "network", "within": 0, "beyond": 1, "not_located": 0,
                         "max_distance_km": pytest.approx(0.24)}
    assert r.violations == [{"id": "e1", "name": "院", "straight_km": 0.19, "network_km": 0.24, "nearest_hospital": "医院",
                             "nearest_hospital_category": "general", "owner_kind": "government",
                             "location_precision": ""}]
    assert list(r.tables["hospitals"].columns) == ["id", "name", "category", "category_assumed", "category_reason",
                                                   "level", "counted", "why_not", "origin"]
    d = r.details.iloc[0]
    assert d["network_km"] == pytest.approx(0.24) and d["straight_km"] == pytest.approx(0.1897, abs=1e-3)
    assert d["nearest_hospital_network"] == "医院" and not d["within"] and d["undecided"] == ""
    straight = a4(ctx, distance="straight_line")
    assert straight.status == "pass" and straight.figures["judged_on"] == "straight"
    assert straight.figures["max_distance_km"] == pytest.approx(0.1897, abs=1e-3)


def test_without_a_network_a_road_rule_cannot_pass_on_the_straight_line() -> None:
    # e1 is 0.19 km from the hospital in a straight line (0.24 km by road): within 0.2 km straight
    # proves nothing by road, so the rule is not judged; with a limit of 0.1 km it fails either way.
    r = a4(CheckInputs(facilities=homes(), hospitals=hospitals()))
    assert r.status == "not_evaluable" and r.figures["judged_on"] == "straight" and r.figures["within"] == 1
    assert r.reason == ("road distance unavailable: 1 site(s) within 0.2 km in a straight line may be farther by road; "
                        "give a road network (siting fetch-osm, or --osm FILE)")
    far = a4(CheckInputs(facilities=homes(), hospitals=hospitals()), max_km=0.1)
    assert far.status == "fail" and [v["id"] for v in far.violations] == ["e1"]
    assert r.notes == ["road distance missing (no road network: pass --osm FILE (or set network.source in the "
                       "scenario)); judged on straight-line distance",
                       "the pack asks for network distance, which is unavailable; straight-line distance judged instead"]


def test_the_hospital_table_says_why_each_hospital_does_or_does_not_count() -> None:
    h = pd.DataFrame({"id": ["h1", "h2", "h3", "h4", "h5", "h6"], "name": list("abcdef"),
                      "category": ["general", "general", "general", "general", "specialist", "general"],
                      "category_assumed": [False, False, False, True, False, False],
                      "level": [3.0, 3.0, 3.0, 3.0, 3.0, 1.0],
                      "lon": [9.0, np.nan, 9.0, 9.0, 9.0, 9.0], "lat": [0.0, 0.0, np.nan, 0.0, 0.0, 0.0]})
    p = {"assume_general": False, "hospital_category": ["general"], "hospital_min_level": 2}
    t = hospital_table(h, p)
    assert list(t["id"]) == ["h1", "h2", "h3", "h4", "h5", "h6"]
    assert list(t["counted"]) == [True, False, False, False, False, False]
    assert list(t["why_not"]) == [
        "", "no coordinates", "no coordinates",
        "category unknown, and the pack counts only classified hospitals (assume_general: false)",
        "category specialist does not count (hospital_category: general)", "level 1 below 2"]
    assert list(t["category_assumed"]) == [False, False, False, True, False, False]


# ---- clinic_partner ---------------------------------------------------------------------------------

def clinic(ctx: CheckInputs) -> Any:
    rule = Rule(id="A5", kind="clinic_partner", title="A5", params={"min_beds": 150, "partner_types": ["hospital", "clinic"],
                                                                    "max_partner_km": None},
                applies_to={"type": ["elderly"]}, source={})
    from siting.rules.kinds.proximity import clinic_partner

    return clinic_partner(rule, ctx)


def institutions(extra: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """A: beds unknown, no clinic; B: 200 beds, clinic unknown; C: 50 beds, clinic unknown."""
    at = {"lon": 9.001, "lat": 0.0}
    rows = [{"id": "A", "beds": np.nan, "has_clinic": False, **at}, {"id": "B", "beds": 200.0, "has_clinic": None, **at},
            {"id": "C", "beds": 50.0, "has_clinic": None, **at}] + (extra or [])
    frame = pd.DataFrame(rows)
    frame["has_clinic"] = frame["has_clinic"].astype("boolean")
    frame["type"] = frame.get("type", pd.Series(["elderly"] * len(frame))).fillna("elderly")
    return frame.assign(name=frame["id"], owner_kind="government")


def test_clinic_partner_lists_every_open_question() -> None:
    r = clinic(CheckInputs(facilities=institutions()))
    assert (r.id, r.status) == ("A5", "not_evaluable")
    assert r.reason == ("beds unknown for 1 institution(s) (A); has_clinic unknown for 1 institution(s) with ≥150 beds "
                        "(B): add a has_clinic column; no partner found for 1 smaller institution(s) (no medical "
                        "institutions: pass --hospitals H.csv)")
    f = r.figures
    assert (f["institutions"], f["with_150_beds_or_more"], f["below_threshold"], f["beds_unknown"]) == (3, 1, 1, 1)
    assert (f["large_without_clinic"], f["large_clinic_unknown"], f["medical_institutions"]) == (0, 1, 0)


def test_clinic_partner_names_medical_institutions_without_coordinates() -> None:
    extra = [{"id": "H1", "type": "hospital", "lon": np.nan, "lat": np.nan}]
    r = clinic(CheckInputs(facilities=institutions(extra)))
    assert "1 medical institution(s) have no coordinates and were not measured to (H1)" in r.notes
    # A located hospital too: C has a partner, unless the unlocated one is nearer.
    extra.append({"id": "H2", "type": "hospital", "lon": 9.0, "lat": 0.0})
    r = clinic(CheckInputs(facilities=institutions(extra)))
    assert r.figures["medical_institutions"] == 1
    assert list(r.details.loc[r.details["id"] == "C", "partner"]) == ["H2"]
    # D, small and without coordinates, cannot be given a partner.
    extra.append({"id": "D", "beds": 50.0, "lon": np.nan, "lat": np.nan})
    r = clinic(CheckInputs(facilities=institutions(extra)))
    assert r.reason.endswith("; no partner found for 1 smaller institution(s) (no coordinates, or a medical "
                             "institution without coordinates could be nearer)")


def test_clinic_partner_without_data_or_matching_facilities() -> None:
    r = clinic(CheckInputs())
    assert (r.id, r.status, r.reason) == ("A5", "not_evaluable",
                                          "no facility data: pass --facilities F.csv (or projects in the scenario)")
    r = clinic(CheckInputs(facilities=institutions().assign(type="childcare")))
    assert (r.id, r.status, r.reason) == ("A5", "not_evaluable", "no facility matches applies_to {'type': ['elderly']}")
    assert r.params == {"min_beds": 150, "partner_types": ["hospital", "clinic"], "max_partner_km": None}


def test_a_straight_line_rule_without_a_network_notes_only_the_missing_road_distance() -> None:
    r = a4(CheckInputs(facilities=homes(), hospitals=hospitals()), distance="straight_line")
    assert r.status == "pass" and r.figures["judged_on"] == "straight"
    assert r.notes == ["road distance missing (no road network: pass --osm FILE (or set network.source in the "
                       "scenario)); judged on straight-line distance"]


def test_a_network_for_another_mode_than_the_hospitals_is_not_used() -> None:
    # Hospitals are reached by car (hospital_mode 'drive'); only a walking network is held.
    r = a4(CheckInputs(facilities=homes(), hospitals=hospitals(), networks={"walk": NET}))
    assert r.status == "not_evaluable" and r.figures["judged_on"] == "straight"
    assert "road distance missing: no drive network" in r.notes
    assert r.notes[-1] == "the pack asks for network distance, which is unavailable; straight-line distance judged instead"
