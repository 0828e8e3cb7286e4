"""Coverage scores: hand-checked line graph, 2SFCA by hand, equity, and Monaco against networkx."""

from __future__ import annotations

import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from siting.analysis.coverage import (
    coverage,
    coverage_entries,
    decay_weights,
    joint_coverage,
    lorenz,
    select_facilities,
    weighted_quantile,
    write_outputs,
)
from siting.analysis.demand import MONACO_CENSUS_2016, demand_from_census, extent_unit, snap_demand
from siting.errors import InputError, SitingError
from siting.network import RoadNetwork
from siting.network.build import from_edges

M_PER_DEG = 111_319.49


def line_network(n: int = 4, spacing: float = 60.0) -> RoadNetwork:
    """Nodes 0..n-1 every ``spacing`` metres east of (9°E, 0°N), two-way, 1 m/s (60 s per edge)."""
    lon = 9.0 + np.arange(n) * spacing / M_PER_DEG
    lat = np.zeros(n)
    u = np.r_[np.arange(n - 1), np.arange(1, n)]
    v = np.r_[np.arange(1, n), np.arange(n - 1)]
    length = np.full(len(u), spacing)
    return from_edges("walk", np.arange(n) + 100, lon, lat, u, v, length, length / 1.0,
                      np.array(["footway"] * len(u)), np.arange(len(u)))


def points_at(net: RoadNetwork, order: list[int], pops: list[float], units: list[str] | None = None) -> gpd.GeoDataFrame:
    """Demand points exactly on input nodes ``order`` (by OSM id) with populations."""
    idx = [int(np.flatnonzero(net.node_osmid == k + 100)[0]) for k in order]
    lon, lat = net.lon[idx], net.lat[idx]
    return gpd.GeoDataFrame({"demand_id": np.arange(len(idx)), "unit": units or ["u"] * len(idx),
                             "population": np.asarray(pops, float), "lon": lon, "lat": lat},
                            geometry=gpd.points_from_xy(lon, lat), crs=4326)


def facilities_at(net: RoadNetwork, order: list[int], kind: str = "elderly", beds: list[float] | None = None) -> pd.DataFrame:
    idx = [int(np.flatnonzero(net.node_osmid == k + 100)[0]) for k in order]
    frame = pd.DataFrame({"id": [f"f{k}" for k in order], "type": kind, "lon": net.lon[idx], "lat": net.lat[idx]})
    if beds is not None:
        frame["beds"] = beds
    return frame


def test_line_graph_by_hand():
    net = line_network()
    demand = points_at(net, [1, 2, 3], [10, 20, 30], units=["x", "x", "y"])
    res = coverage(net, demand, facilities_at(net, [0]), "elderly", "all", [1.5, 2.5, 3.5], access_legs=False)
    # Travel times 1, 2 and 3 minutes.
    assert res.points["time_min"].round(9).tolist() == [1.0, 2.0, 3.0]
    assert res.summary["covered"].tolist() == [10, 30, 60]
    assert res.summary["share"].tolist() == pytest.approx([1 / 6, 0.5, 1.0])
    # Weighted median: cumulative 10, 30, 60 -> 30 reached at 2 min; p90 at 3 min.
    assert res.distribution["median"] == 2.0 and res.distribution["p90"] == 3.0
    unit = res.per_unit.set_index(["unit", "minutes"])
    assert unit.loc[("x", 2.5), "share"] == 1.0 and unit.loc[("y", 2.5), "share"] == 0.0
    assert res.uncovered.empty
    # Worst-served units are ranked at the largest threshold.
    two = coverage(net, demand, facilities_at(net, [0]), "elderly", "all", [1.5, 2.5], access_legs=False)
    assert [u["unit"] for u in two.equity["worst_units"]] == ["y", "x"]
    assert two.uncovered["demand_id"].tolist() == [2]
    entries = coverage_entries([res])
    assert entries[0] == {"facility_type": "elderly", "group": "all", "minutes": 1.5, "population": 60.0,
                          "covered": 10.0, "share": pytest.approx(1 / 6, abs=1e-4)}


def test_two_step_fca_by_hand():
    net = line_network()
    demand = points_at(net, [0, 1, 2, 3], [10, 20, 30, 40])
    fac = facilities_at(net, [0, 3], beds=[10, 30])
    res = coverage(net, demand, fac, "elderly", "all", [1.5], access_legs=False)
    # Catchments within 90 s: f0 serves nodes 0, 1 (30 people), f3 serves 2, 3 (70 people).
    assert res.sfca["ratio_per_1000"].tolist() == pytest.approx([1000 * 10 / 30, 1000 * 30 / 70])
    assert res.points["access"].tolist() == pytest.approx([1000 / 3, 1000 / 3, 3000 / 7, 3000 / 7])
    assert "2SFCA" in res.equity["measure"]
    # Gaussian decay: weight 1 at the facility, exp(-0.5*(60/90)^2) rescaled at 60 s.
    w = (np.exp(-0.5 * (60 / 90) ** 2) - np.exp(-0.5)) / (1 - np.exp(-0.5))
    g = coverage(net, demand, fac, "elderly", "all", [1.5], decay="gaussian", access_legs=False)
    r0 = 10 / (10 + w * 20)
    assert g.points["access"].iloc[1] == pytest.approx(1000 * w * r0)


def test_decay_and_lorenz_by_hand():
    assert decay_weights(np.array([0.0, 90.0, 91.0]), 90.0, "gaussian").tolist() == pytest.approx([1, 0, 0])
    gini, curve = lorenz(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    assert gini == pytest.approx(0.5) and curve[0] == [0.0, 0.0] and curve[-1] == [1.0, 1.0]
    assert lorenz(np.array([2.0, 2.0, 2.0]), np.array([1.0, 5.0, 2.0]))[0] == pytest.approx(0.0)
    assert weighted_quantile(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0]), 0.5) == 2.0


def test_missing_type_and_capacity_errors():
    net = line_network()
    demand = points_at(net, [1], [5])
    with pytest.raises(InputError, match=r"no facilities of type 'childcare'; types in the file: elderly \(1\)"):
        coverage(net, demand, facilities_at(net, [0]), "childcare")
    # Partly missing capacities: coverage still runs, 2SFCA is skipped with a warning naming them.
    res = coverage(net, demand, facilities_at(net, [0, 3], beds=[5, np.nan]), "elderly")
    assert res.sfca is None and any("'beds' is missing for 1 of 2" in w and "f3" in w for w in res.warnings)
    with pytest.raises(Exception, match="no column for group 60"):
        coverage(net, demand, facilities_at(net, [0]), "elderly", "60+")


@pytest.fixture(scope="module")
def monaco_demand(monaco_pbf, monaco_walk):
    from siting.osm.features import read_buildings

    unit = extent_unit(monaco_walk, "Monaco", MONACO_CENSUS_2016)
    d = demand_from_census(unit, "population", read_buildings(monaco_pbf), unit_column="unit",
                           shares={"60+": 0.3, "0-3": 0.03})
    return snap_demand(monaco_walk, d)


def test_monaco_against_networkx(monaco_walk, monaco_demand):
    net = monaco_walk
    rng = np.random.default_rng(3)
    nodes = rng.choice(net.n_nodes, 4, replace=False)
    fac = pd.DataFrame({"id": [f"f{k}" for k in range(4)], "type": "elderly", "lon": net.lon[nodes], "lat": net.lat[nodes]})
    res = coverage(net, monaco_demand, fac, "elderly", "60+", [5, 10, 15])
    g = net.to_networkx().reverse(copy=False)
    dist = nx.multi_source_dijkstra_path_length(g, set(int(n) for n in nodes), weight="travel_time")
    node = monaco_demand["node"].to_numpy()
    expected = np.array([dist.get(int(n), np.inf) for n in node]) + monaco_demand["snap_m"].to_numpy() / 1.0
    assert np.allclose(res.points["time_min"].to_numpy() * 60, expected, rtol=1e-9, atol=1e-6)
    pop = monaco_demand["pop_60plus"].to_numpy()
    for m, row in zip([5, 10, 15], res.summary.itertuples()):
        assert row.covered == pytest.approx(pop[expected <= m * 60].sum())
    shares = res.summary["share"].to_numpy()
    assert (res.summary["covered"] <= res.summary["population"] + 1e-9).all()
    assert (np.diff(shares) >= 0).all()
    assert res.summary["population"].iloc[0] == pytest.approx(MONACO_CENSUS_2016 * 0.3)
    assert len(res.uncovered) == int((expected > 900).sum())
    beyond = res.equity["share_beyond"]
    assert set(beyond) == {"all", "60+", "0-3"}
    assert beyond["60+"]["15"] == pytest.approx(1 - shares[-1], abs=1e-4)


def test_facility_at_every_demand_point(monaco_walk, monaco_demand):
    """A facility standing on each demand point snaps to that point's node: the trip is the walk to the
    network and nothing more, so each point's time is its own snap distance at 1 m/s."""
    d = monaco_demand.iloc[::25].reset_index(drop=True)
    fac = pd.DataFrame({"id": [f"h{k}" for k in range(len(d))], "type": "childcare", "lon": d["lon"], "lat": d["lat"],
                        "places": 10.0})
    res = coverage(monaco_walk, d, fac, "childcare", "0-3", [0.25, 5])
    leg_min = d["snap_m"].to_numpy() / 60.0
    assert res.points["time_min"].to_numpy() == pytest.approx(leg_min, abs=1e-9)
    pop = d["pop_0_3"].to_numpy()
    assert res.summary["covered"].tolist() == pytest.approx([pop[leg_min <= 0.25].sum(), pop[leg_min <= 5].sum()])
    assert 0 < (leg_min > 0.25).sum() < len(d)  # homes more than 15 m from a street node miss a 15-second limit
    node_of = dict(zip(res.facilities["id"], res.facilities["node"]))
    # Each point's nearest facility stands on its own node (two points may share a node, and a facility).
    assert [node_of[f] for f in res.points["facility_id"]] == d["node"].tolist()
    # Without the walk to the network every point is at its facility: all covered at any threshold.
    flat = coverage(monaco_walk, d, fac, "childcare", "0-3", [0.25], access_legs=False)
    assert flat.summary["share"].iloc[0] == 1.0 and flat.uncovered.empty


def test_cli_coverage(tmp_path, monaco_pbf, monaco_walk, capsys):
    from siting.cli import main

    csv = tmp_path / "f.csv"
    csv.write_text(
        "id,name,type,lon,lat,beds\n"
        f"a,Home A,elderly,{monaco_walk.lon[100]},{monaco_walk.lat[100]},60\n"
        f"b,Home B,elderly,{monaco_walk.lon[6000]},{monaco_walk.lat[6000]},30\n"
    )
    out = tmp_path / "cov"
    code = main(["coverage", "--network", str(monaco_pbf), "--facilities", str(csv), "--type", "elderly",
                 "--group", "60+", "--minutes", "10,15", "--population", "37308", "--share-60plus", "0.3",
                 "--out", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert [e["minutes"] for e in summary["coverage"]] == [10.0, 15.0]
    assert summary["coverage"][0]["population"] == pytest.approx(37308 * 0.3)
    assert summary["coverage"][0]["share"] <= summary["coverage"][1]["share"]
    assert (out / "coverage_elderly_60plus_gaps.geojson").exists()
    assert (out / "coverage_elderly_60plus_2sfca.csv").exists()
    assert main(["coverage", "--network", str(monaco_pbf), "--facilities", str(csv), "--type", "elderly",
                 "--group", "60+", "--population", "37308"]) == 2
    assert "no column for group 60+" in capsys.readouterr().err


def test_joint_coverage_counts_points_near_every_type() -> None:
    """Joint coverage equals the population whose nearest facility of each type is within T."""
    from siting.analysis.coverage import CoverageResult, joint_coverage

    def fake(ftype: str, times: list[float]) -> CoverageResult:
        points = gpd.GeoDataFrame({"demand_id": [0, 1, 2, 3], "population": [10.0, 20.0, 30.0, 40.0],
                                   "time_min": times}, geometry=gpd.points_from_xy([0, 1, 2, 3], [0, 0, 0, 0]),
                                  crs=4326)
        empty = pd.DataFrame()
        return CoverageResult(ftype, "all", [5.0, 15.0], "walk", empty, empty, points, points.iloc[:0], {},
                              None, {}, empty)

    joint = joint_coverage([fake("elderly", [3.0, 12.0, 20.0, 4.0]), fake("childcare", [4.0, 3.0, 1.0, 16.0])])
    # 5 min: only point 0 (3 and 4 min); 15 min: points 0 and 1 (point 2 is 20 min from elderly care,
    # point 3 is 16 min from childcare).
    assert joint["covered"].tolist() == [10.0, 30.0]
    assert joint["share"].tolist() == [0.1, 0.3]
    with pytest.raises(SitingError):
        joint_coverage([fake("elderly", [1.0, 1.0, 1.0, 1.0])])


# ---- small functions and result figures, by hand on the line graph


def test_weighted_quantile_edges():
    assert np.isnan(weighted_quantile(np.array([]), np.array([]), 0.5))
    assert np.isnan(weighted_quantile(np.array([1.0, 2.0]), np.array([0.0, 0.0]), 0.5))
    values, weights = np.array([4.0, 1.0, 3.0, 2.0]), np.array([1.0, 1.0, 1.0, 1.0])
    # sorted 1, 2, 3, 4 with cumulative weight 1, 2, 3, 4 of 4
    assert [weighted_quantile(values, weights, q) for q in (0.0, 0.25, 0.26, 0.5, 0.75, 0.9, 1.0)] == \
        [1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0]
    # a heavy point: 1 (weight 1), 2 (weight 8), 3 (weight 1): the median and p90 are both 2
    assert weighted_quantile(np.array([3.0, 2.0, 1.0]), np.array([1.0, 8.0, 1.0]), 0.9) == 2.0
    assert weighted_quantile(np.array([3.0, 2.0, 1.0]), np.array([1.0, 8.0, 1.0]), 0.95) == 3.0
    assert weighted_quantile(np.array([1.0, np.inf]), np.array([1.0, 3.0]), 0.5) == np.inf


def test_lorenz_by_hand():
    # values 1 and 3, one person each: population shares 0, .5, 1; access shares 0, 1/4, 1;
    # Gini = 1 - (0.5 (0 + 1/4) + 0.5 (1/4 + 1)) = 1/4
    gini, curve = lorenz(np.array([3.0, 1.0]), np.array([1.0, 1.0]), n_points=3)
    assert gini == pytest.approx(0.25) and curve == [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]
    # a point without people does not count; nothing to share gives NaN and no curve
    assert lorenz(np.array([3.0, 1.0, 100.0]), np.array([1.0, 1.0, 0.0]), n_points=3)[1] == curve
    empty = lorenz(np.array([0.0, 0.0]), np.array([1.0, 1.0]))
    assert np.isnan(empty[0]) and empty[1] == []
    assert len(lorenz(np.array([1.0, 2.0]), np.array([1.0, 1.0]))[1]) == 21


def test_decay_weights_by_hand():
    t = np.array([0.0, 45.0, 90.0, 91.0])
    assert decay_weights(t, 90.0, "none").tolist() == [1.0, 1.0, 1.0, 0.0]
    edge = np.exp(-0.5)
    half = (np.exp(-0.5 * 0.25) - edge) / (1 - edge)
    assert decay_weights(t, 90.0, "gaussian").tolist() == pytest.approx([1.0, half, 0.0, 0.0], abs=1e-12)
    with pytest.raises(SitingError, match="unknown decay 'linear'"):
        decay_weights(t, 90.0, "linear")


def test_select_facilities_by_type():
    frame = pd.DataFrame({"id": ["a", "b", "c"], "type": [" Elderly", "childcare", "elderly "]})
    assert select_facilities(frame, "ELDERLY ")["id"].tolist() == ["a", "c"]
    assert select_facilities(frame, "childcare").index.tolist() == [0]
    with pytest.raises(InputError, match=r"no facilities of type 'hospital'; types in the file: elderly \(2\), "
                                         r"childcare \(1\)"):
        select_facilities(frame, "hospital")
    with pytest.raises(InputError, match="no 'type' column"):
        select_facilities(frame.drop(columns="type"), "elderly")


def test_result_figures_by_hand(tmp_path):
    net = line_network()
    demand = points_at(net, [1, 2, 3], [10, 20, 30], units=["x", "x", "y"])
    res = coverage(net, demand, facilities_at(net, [0]), "elderly", "all", [1.5, 2.5], access_legs=False)
    # times 1, 2, 3 min; mean over the reachable = (10·1 + 20·2 + 30·3) / 60 = 7/3
    assert res.distribution == {"median": 2.0, "p90": 3.0, "mean_reachable": pytest.approx(2.3333, abs=1e-4),
                                "unreachable_population": 0.0}
    d = res.to_dict()
    assert (d["facility_type"], d["group"], d["mode"], d["minutes"]) == ("elderly", "all", "walk", [1.5, 2.5])
    assert (d["facilities"], d["demand_points"], d["uncovered_points"]) == (1, 3, 1)
    assert d["coverage"] == [
        {"facility_type": "elderly", "group": "all", "minutes": 1.5, "population": 60.0, "covered": 10.0,
         "share": 0.1667},
        {"facility_type": "elderly", "group": "all", "minutes": 2.5, "population": 60.0, "covered": 30.0, "share": 0.5}]
    assert d["sfca"] is None  # no beds column: no 2SFCA, and a warning says so
    assert any("beds" in w for w in d["warnings"])
    units = res.per_unit.set_index(["unit", "minutes"])
    assert units.loc[("x", 1.5)].tolist() == [30.0, 10.0, pytest.approx(1 / 3)]
    assert units.loc[("y", 2.5)].tolist() == [30.0, 0.0, 0.0]
    files = write_outputs(res, str(tmp_path))
    assert sorted(files) == ["gaps", "per_unit", "points", "summary"]
    assert json.loads((tmp_path / "coverage_elderly_all.json").read_text(encoding="utf-8"))["uncovered_points"] == 1


def test_a_missing_population_is_a_located_error():
    net = line_network()
    demand = points_at(net, [1, 2, 3], [10, np.nan, 30])
    with pytest.raises(InputError) as err:
        coverage(net, demand, facilities_at(net, [0]), "elderly", "all", [1.5], access_legs=False)
    assert err.value.row == 2 and err.value.field == "population"


def test_demand_without_units_has_no_per_unit_table():
    net = line_network()
    demand = points_at(net, [1, 2], [10, 20], units=["", ""])
    res = coverage(net, demand, facilities_at(net, [0]), "elderly", "all", [1.5], access_legs=False)
    assert res.per_unit.empty and list(res.per_unit.columns) == ["unit", "minutes", "population", "covered", "share"]


def test_joint_coverage_by_hand():
    # Points at nodes 1, 2, 3 (10, 20, 30 people): 1, 2, 3 min from the elderly home at node 0 and
    # 2, 1, 0 min from the nursery at node 3. Both within T: none at 1.5, nodes 1-2 at 2.5, all at 3.5.
    net = line_network()
    demand = points_at(net, [1, 2, 3], [10, 20, 30])
    mins = [1.5, 2.5, 3.5]
    old = coverage(net, demand, facilities_at(net, [0]), "elderly", "all", mins, access_legs=False)
    young = coverage(net, demand, facilities_at(net, [3], kind="childcare"), "childcare", "all", mins, access_legs=False)
    joint = joint_coverage([old, young])
    assert joint["covered"].tolist() == [0.0, 30.0, 60.0] and joint["population"].tolist() == [60.0] * 3
    assert joint["share"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert set(joint["types"]) == {"elderly + childcare"}
    with pytest.raises(SitingError, match="at least two"):
        joint_coverage([old])
    other = coverage(net, demand, facilities_at(net, [3], kind="childcare"), "childcare", "all", [1.5], access_legs=False)
    with pytest.raises(SitingError, match="same demand points and thresholds"):
        joint_coverage([old, other])


def one_way_chain() -> RoadNetwork:
    """Nodes 0 -> 1 -> 2, one-way, 60 s per edge, walking at 3.6 km/h (1 m/s) for the access legs."""
    lon = 9.0 + np.arange(3) * 60.0 / M_PER_DEG
    return from_edges("drive", np.arange(3) + 100, lon, np.zeros(3), np.array([0, 1]), np.array([1, 2]),
                      np.full(2, 60.0), np.full(2, 60.0), np.array(["residential"] * 2), np.arange(2),
                      info={"speeds": {"walk_kmh": 3.6}}, strongly_connected=False)


def test_demand_site_times_by_hand_towards_the_site():
    from siting.routing.access import access_legs_s, demand_site_times

    net = one_way_chain()
    node = {int(k) - 100: i for i, k in enumerate(net.node_osmid)}
    points = pd.DataFrame({"snap_m": [5.0, 0.0, 10.0]})
    legs = access_legs_s(net, points)
    assert legs.tolist() == [5.0, 0.0, 10.0] and access_legs_s(net, points, enabled=False).tolist() == [0.0] * 3
    at = np.array([node[0], node[1], node[2]])
    # site 0 at node 2: trips 120 + 5, 60 + 0, 0 + 10 s; site 1 at node 0: only node 0 reaches it (5 s)
    pairs = demand_site_times(net, np.array([node[2], node[0]]), at, legs, 100.0)
    assert pairs.to_dict("list") == {"site": [0, 0, 1], "point": [1, 2, 0], "time_s": [60.0, 10.0, 5.0]}
    everything = demand_site_times(net, np.array([node[2], node[0]]), at, legs, np.inf)
    assert everything.to_dict("list") == {"site": [0, 0, 0, 1], "point": [0, 1, 2, 0],
                                          "time_s": [125.0, 60.0, 10.0, 5.0]}
    # the walk counts in the cutoff: at 9 s the point on the site's node (10 s walk) is out
    assert demand_site_times(net, np.array([node[2]]), at, legs, 9.0).empty
    none = demand_site_times(net, np.array([], np.int64), at, legs, 100.0)
    assert none.empty and list(none.columns) == ["site", "point", "time_s"] and none["site"].dtype == np.int64
    assert demand_site_times(net, np.array([node[2]]), np.array([], np.int64), np.array([]), 100.0).empty


def test_equity_shares_beyond_and_worst_units_by_hand():
    # Points at nodes 1, 2, 3 (1, 2, 3 min from the home at node 0), one unit each.
    net = line_network()
    demand = points_at(net, [1, 2, 3], [10, 20, 30], units=["a", "b", "c"])
    demand["pop_60plus"], demand["pop_0_3"] = [3.0, 2.0, 1.0], [0.0, 0.0, 0.0]
    res = coverage(net, demand, facilities_at(net, [0]), "elderly", "all", [1.5, 2.5], access_legs=False,
                   worst_units=2)
    # beyond 1.5 min: nodes 2 and 3 (50 of 60 people, 3 of 6 older people); beyond 2.5 min: node 3
    assert res.equity["share_beyond"] == {"all": {"1.5": 0.8333, "2.5": 0.5}, "60+": {"1.5": 0.5, "2.5": 0.1667},
                                          "0-3": {"1.5": None, "2.5": None}}
    # at 2.5 min, c is not served (share 0); a and b are (share 1), the larger first
    assert res.equity["worst_units"] == [{"unit": "c", "population": 30.0, "share": 0.0},
                                         {"unit": "b", "population": 20.0, "share": 1.0}]
    older = coverage(net, demand, facilities_at(net, [0]), "elderly", "60+", [2.5], access_legs=False)
    assert older.summary[["population", "covered"]].values.tolist() == [[6.0, 5.0]]
