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
    d = r.details.iloc[0]
    assert d["network_km"] == pytest.approx(0.24) and d["straight_km"] == pytest.approx(0.1897, abs=1e-3)
    assert d["nearest_hospital_network"] == "医院" and not d["within"] and d["undecided"] == ""
    straight = a4(ctx, distance="straight_line")
    assert straight.status == "pass" and straight.figures["judged_on"] == "straight"
    assert straight.figures["max_distance_km"] == pytest.approx(0.1897, abs=1e-3)


def test_without_a_network_a_road_rule_falls_back_to_the_straight_line_and_says_so() -> None:
    # As shipped (see the report): the straight line is judged, with two notes.
    r = a4(CheckInputs(facilities=homes(), hospitals=hospitals()))
    assert r.status == "pass" and r.figures["judged_on"] == "straight"
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
