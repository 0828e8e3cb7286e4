"""A point without coordinates is never computed with (issue 11, finding 5).

Before, a NaN coordinate snapped to node 0 and ``coverage`` used that facility as a source
standing at node 0. Now ``snap`` gives node -1 (the engine refuses it), and every stage
either leaves the point out and says so, or raises an ``InputError`` naming it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import bottom, ladder

from siting.analysis.coverage import coverage
from siting.errors import InputError, SitingError
from siting.routing.engine import reach
from siting.routing.snap import describe_problems, snap


def _demand(net, nodes: list[int], pops: list[float]) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    lon, lat = net.lon[nodes], net.lat[nodes]
    return gpd.GeoDataFrame({"demand_id": np.arange(len(nodes)), "population": np.asarray(pops, float),
                             "lon": lon, "lat": lat}, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def test_snap_never_places_a_point_without_coordinates():
    net = ladder()
    got = snap(net, [np.nan, bottom(3)[0]], [np.nan, bottom(3)[1]])
    assert got["node"].tolist() == [-1, 3]
    assert np.isinf(got["snap_m"].iloc[0]) and bool(got["beyond_tolerance"].iloc[0])
    notes = describe_problems(pd.concat([pd.DataFrame({"id": ["nowhere", "b3"]}), got], axis=1))
    assert notes == ["1 point(s) have no coordinates: nowhere"]
    with pytest.raises(SitingError, match="out of range"):
        reach(net, got["node"].to_numpy(), 60.0)


def test_coverage_leaves_out_a_facility_without_coordinates():
    # Ladder: one minute per edge. Demand at bottom nodes 0 and 10 (10 and 30 people); one real
    # facility at node 10 and one without coordinates (before: at node 0, covering the 10 people).
    net = ladder()
    demand = _demand(net, [0, 10], [10.0, 30.0])
    fac = pd.DataFrame({"id": ["real", "nowhere"], "type": "elderly", "lon": [bottom(10)[0], np.nan],
                        "lat": [bottom(10)[1], np.nan]})
    res = coverage(net, demand, fac, "elderly", "all", [2.0], access_legs=False)
    assert res.summary["covered"].tolist() == [30.0]
    assert res.points["time_min"].tolist() == [10.0, 0.0]
    assert any("without coordinates not counted: nowhere" in w for w in res.warnings)
    assert res.facilities["id"].tolist() == ["real"]


def test_coverage_without_any_located_facility_is_an_error():
    net = ladder()
    fac = pd.DataFrame({"id": ["a", "b"], "type": "elderly", "lon": [np.nan, np.nan], "lat": [np.nan, np.nan]})
    fac.attrs["source"] = "homes.csv"
    with pytest.raises(InputError, match=r"homes.csv, row 1, field 'lon': facility of type 'elderly' 'a' has no coordinates"):
        coverage(net, _demand(net, [0], [1.0]), fac, "elderly")


def test_coverage_refuses_a_demand_point_without_coordinates():
    net = ladder()
    demand = _demand(net, [0, 1], [1.0, 2.0])
    demand.loc[1, "lon"] = np.nan
    fac = pd.DataFrame({"id": ["a"], "type": "elderly", "lon": [bottom(0)[0]], "lat": [bottom(0)[1]]})
    with pytest.raises(InputError, match="row 2.*demand point '1' has no coordinates"):
        coverage(net, demand, fac, "elderly")


def test_isochrones_refuse_a_facility_without_coordinates():
    from siting.analysis.isochrones import isochrones

    net = ladder()
    fac = pd.DataFrame({"id": ["a", "b"], "lon": [bottom(0)[0], np.nan], "lat": [bottom(0)[1], np.nan]})
    with pytest.raises(InputError, match="row 2.*facility 'b' has no coordinates"):
        isochrones(net, fac, [5])


def test_allocation_from_geodataframes_refuses_a_missing_geometry():
    from shapely.geometry import Point

    from siting.allocation.problem import problem_from_geodataframes

    net = ladder()
    demand = gpd.GeoDataFrame({"w": [1.0, 2.0]}, geometry=[Point(*bottom(1)), Point()], crs=4326)
    cands = gpd.GeoDataFrame({"id": ["c"]}, geometry=[Point(*bottom(0))], crs=4326)
    with pytest.raises(InputError, match="row 2.*demand point 1 has no location"):
        problem_from_geodataframes(demand, cands, net, weight_col="w")
    # With every point located, the matrix is the ladder's: 60 s from bottom node 1 to node 0.
    demand = demand.iloc[:1]
    prob = problem_from_geodataframes(demand, cands, net, weight_col="w")
    assert (prob.rows.tolist(), prob.cols.tolist(), prob.cost.tolist()) == ([0], [0], [60.0])


def test_scoring_skips_a_candidate_without_coordinates(tmp_path):
    from conftest import ladder_scenario

    from siting.planning.scoring import score_candidates

    sc = ladder_scenario(tmp_path)
    cands = pd.DataFrame({"id": ["ok", "nowhere"], "lon": [bottom(5)[0], np.nan], "lat": [bottom(5)[1], np.nan]})
    out = score_candidates(sc, cands, ladder())
    assert out["id"].tolist() == ["ok"]
    assert sorted((s["id"], s["field"]) for s in out.attrs["skipped"]) == [("nowhere", "lat"), ("nowhere", "lon")]
