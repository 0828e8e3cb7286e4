"""service_coverage on the hand-made ladder (tests/conftest.py): one minute per edge.

Demand: 10 people at each of the 11 bottom nodes (110). One elderly-care home at bottom node 0;
within 2 minutes lie nodes 0, 1 and 2: 30 people, a share of 30/110.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import bottom, ladder

from siting.rules.context import CheckInputs
from siting.rules.kinds.circles import service_coverage
from siting.rules.rule import Rule

NET = ladder()
APPLIES = {"type": ["elderly"]}
PARAMS = {"minutes": 2, "mode": None, "max_distance_m": None, "min_share": 0.5, "demand": "population",
          "population_band": None, "area": "whole"}


def demand(people: float = 10.0) -> gpd.GeoDataFrame:
    lon = [bottom(k)[0] for k in range(11)]
    return gpd.GeoDataFrame({"demand_id": range(11), "population": people, "lon": lon, "lat": 0.0},
                            geometry=gpd.points_from_xy(lon, [0.0] * 11), crs=4326)


def homes(at: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"e{i}" for i in range(len(at))], "name": "院", "type": "elderly",
                         "lon": [np.nan if k is None else bottom(int(k))[0] for k in at],
                         "lat": [np.nan if k is None else 0.0 for k in at]})


def run(ctx: CheckInputs, **params: Any) -> Any:
    rule = Rule(id="A1", kind="service_coverage", title="Circles", params={**PARAMS, **params}, applies_to=APPLIES,
                source={})
    return service_coverage(rule, ctx)


def ctx(fac: pd.DataFrame | None, layer: Any = None) -> CheckInputs:
    return CheckInputs(facilities=fac, networks={"walk": NET}, demand_layer=(demand(), "") if layer is None else layer)


def test_the_share_within_two_minutes() -> None:
    r = run(ctx(homes([0])))
    assert (r.id, r.kind, r.title, r.status) == ("A1", "service_coverage", "Circles", "fail")
    f = r.figures
    assert (f["minutes"], f["min_share"], f["mode"], f["facilities"]) == (2, 0.5, "walk", 1)
    assert (f["population"], f["covered"]) == (110.0, 30.0) and f["share"] == pytest.approx(30 / 110)
    assert f["median_minutes"] == pytest.approx(5.0)
    assert r.violations[0] == {"unit": "study area", "group": f["group"], "share": 0.2727, "min_share": 0.5,
                               "uncovered": 80.0}
    assert r.params == PARAMS
    assert run(ctx(homes([0])), min_share=0.25).status == "pass"
    # Homes at nodes 0 and 10: nodes 0-2 and 8-10, 60 of 110.
    assert run(ctx(homes([0, 10]))).figures["covered"] == 60.0


def test_a_distance_threshold_is_judged_on_walking_time() -> None:
    r = run(ctx(homes([0])), max_distance_m=500, population_band=[3000, 10000])
    assert r.figures["max_distance_m"] == 500 and r.figures["population_band"] == "3,000–10,000"
    note = [n for n in r.notes if n.startswith("judged on walking time: 2 min at ")]
    assert len(note) == 1 and note[0].endswith(" m (the standard's figure: 500 m)")


def test_the_not_evaluable_branches() -> None:
    head = {"minutes": 2, "max_distance_m": None, "min_share": 0.5}
    r = run(CheckInputs(facilities=homes([0])))
    assert (r.id, r.kind, r.title, r.status) == ("A1", "service_coverage", "Circles", "not_evaluable")
    assert r.reason == "no road network: pass --osm FILE (or set network.source in the scenario)"
    assert r.figures == head and r.params == PARAMS
    r = run(ctx(None))
    assert (r.status, r.reason, r.figures) == ("not_evaluable", "no facility data: pass --facilities F.csv", head)
    assert (r.id, r.kind, r.title) == ("A1", "service_coverage", "Circles") and r.params == PARAMS
    r = run(ctx(homes([None])))
    assert (r.status, r.reason) == ("not_evaluable", "no located facility matches applies_to {'type': ['elderly']}")
    assert (r.id, r.kind, r.title, r.figures) == ("A1", "service_coverage", "Circles", head) and r.params == PARAMS
    r = run(ctx(homes([0]), layer=(None, "no demand: give one")))
    assert (r.id, r.kind, r.title, r.status, r.reason) == ("A1", "service_coverage", "Circles", "not_evaluable",
                                                           "no demand: give one")
    assert r.figures == head and r.params == PARAMS


def test_a_demand_without_people_is_not_evaluable() -> None:
    r = run(ctx(homes([0]), layer=(demand(0.0), "")))
    assert (r.id, r.kind, r.title, r.status, r.reason) == ("A1", "service_coverage", "Circles", "not_evaluable",
                                                           "the demand has no population")
    assert r.figures["population"] == 0.0 and r.params == PARAMS
