"""Placing planned projects: the best site by hand on a ladder graph, the 5 km mask by hand in
Qinzhou (offline, straight line), Monaco end to end with the walk network, determinism."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import bottom, ladder, ladder_scenario, north, qinzhou_scenario

from siting.cli import main
from siting.inputs.bundled import load_boundaries
from siting.maps.placement import write_placement
from siting.planning.place import place_projects

REPO = Path(__file__).resolve().parents[1]


def test_best_site_by_hand_on_a_ladder(tmp_path):
    sc = ladder_scenario(tmp_path)
    (tmp_path / "c.csv").write_text("id,lon,lat\n" + "".join(f"c{i},{bottom(i)[0]!r},0.0\n" for i in (2, 5, 9)),
                                    encoding="utf-8")
    sc.write_text(sc.read_text(encoding="utf-8") + "candidates: c.csv\nplace:\n  projects:\n"
                  "    - {id: P1, name: New home, type: elderly, beds: 45, owner_kind: government}\n",
                  encoding="utf-8")
    r = place_projects(sc, network=ladder())
    row = r.table.iloc[0]
    # Only c9 reaches the 90 people on nodes 8-10 within 2 minutes (see test_scoring); MCLP must pick it.
    assert row["candidate"] == "c9" and row["how_chosen"].startswith("MCLP")
    assert (row["lon"], row["lat"]) == pytest.approx(bottom(9))
    assert row["covered_before"] == 10 and row["covered_after"] == 100 and row["gain"] == 90
    assert row["share_before"] == pytest.approx(0.1) and row["share_after"] == pytest.approx(1.0)
    # Capacity against demand: 45 beds for the 90 people aged 60+ within 2 minutes of the site.
    assert row["demand_within"] == 90 and row["capacity_per_1000"] == pytest.approx(500.0)
    assert row["group"] == "60+" and row["chosen_precision"] == "site"
    assert row["hospital_rule_status"] == "pass" and row["hospital_network_km"] == pytest.approx(0.54)
    assert row["hospital_rule"] == "A4" and row["hospital_rule_applies"]
    assert r.groups[0]["status"] == "optimal" and r.groups[0]["covered_after"] == 100


@pytest.fixture(scope="module")
def qinzhou_placed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qz")
    town = (109.235675, 22.165699)  # 武利镇's point in data/plans/qinzhou_projects.csv (QZ-E05)
    sc = qinzhou_scenario(tmp, north(*town, 6000.0))  # the only general hospital: 6 km north of the town
    r = place_projects(sc)
    return r, town, tmp


def test_town_project_moves_just_inside_5km_of_the_hospital(qinzhou_placed):
    r, town, _ = qinzhou_placed
    t = r.table.set_index("id")
    e05 = t.loc["QZ-E05"]
    assert e05["region_kind"] == "town" and e05["location_precision"] == "town"
    # The stated point is 6 km from the hospital: not eligible. The nearest eligible candidate is at
    # least 1 km (6 - 5) from it, and no more than about one grid cell further.
    assert e05["how_chosen"].startswith("eligible candidate nearest the stated point")
    spacing = math.sqrt(math.pi * 3000.0**2 / 400)  # the auto grid: the 3 km disk over ~400 points
    assert 1000.0 - 1e-6 <= e05["moved_m"] <= 1000.0 + 1.5 * spacing
    assert e05["hospital_straight_km"] <= 5.0 and e05["hospital_rule_status"] == "pass" and e05["hospital_rule_judged_on"] == "straight"
    # Inside 灵山县 and inside the 3 km town disk.
    county = load_boundaries("qinzhou").set_index("adcode").loc["450721", "geometry"]
    assert county.contains(shapely.Point(e05["lon"], e05["lat"])) and e05["region_status"] == "pass"
    assert e05["chosen_precision"] == "site" and e05["eligible_candidates"] < e05["candidates"]


def test_offline_qinzhou_says_what_was_not_evaluated(qinzhou_placed):
    r, _, _ = qinzhou_placed
    t = r.table.set_index("id")
    assert len(t) == 20
    # No location stated and nothing to optimise with: not placed, not invented.
    assert np.isnan(t.loc["QZ-E01", "lon"]) and t.loc["QZ-E01", "how_chosen"].startswith("not placed")
    # County-seat projects far from the only hospital have no eligible candidate... or keep their point
    # when the rule does not apply (childcare).
    c01 = t.loc["QZ-C01"]
    assert c01["hospital_rule_status"] == "not_applicable" and c01["candidate"] == "stated"
    assert (c01["lon"], c01["lat"]) == (c01["stated_lon"], c01["stated_lat"])
    assert t["covered_after"].isna().all() and t["hospital_network_km"].isna().all()
    assert any("no road network" in s for s in r.not_evaluated)
    assert set(t["region_status"]) <= {"pass", "not_evaluable"}


def test_outputs_are_written(qinzhou_placed):
    r, _, tmp = qinzhou_placed
    files = write_placement(r, tmp / "out")
    doc = json.loads(Path(files["json"]).read_text(encoding="utf-8"))
    assert len(doc["projects"]) == 20 and doc["not_evaluated"]
    sites = gpd.read_file(files["sites"])
    assert len(sites) == r.table["lon"].notna().sum()
    html = Path(files["map"]).read_text(encoding="utf-8")
    assert "Planned sites: before" in html and "Planned sites: after" in html
    assert pd.read_csv(files["table"])["id"].tolist() == r.table["id"].tolist()


def test_monaco_end_to_end(tmp_path, capsys):
    sc = REPO / "scenarios" / "monaco_demo.yaml"
    r = place_projects(sc)
    r2 = place_projects(sc)
    pd.testing.assert_frame_equal(r.table, r2.table)
    t = r.table.set_index("id")
    assert set(t.index) == {"MC-E1", "MC-C1"}
    assert t["lon"].notna().all() and (t["covered_after"] >= t["covered_before"]).all()
    assert (t["gain"] > 0).all()
    for g in r.groups:
        # Population conserved: Monaco's census total, and the model agrees with siting.analysis.coverage.
        assert g["total"] == pytest.approx(37_308)
        assert g["covered_after"] == pytest.approx(g["coverage_after_all"])
        assert g["covered_before"] <= g["covered_after"] <= g["total"]
    e1 = t.loc["MC-E1"]
    assert e1["hospital_rule_status"] == "pass" and e1["hospital_rule_judged_on"] == "network" and e1["hospital_network_km"] <= 5
    assert t.loc["MC-C1", "hospital_rule_status"] == "not_applicable"
    out = tmp_path / "place"
    assert main(["place", "--scenario", str(sc), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in doc["projects"]] == ["MC-E1", "MC-C1"]
    assert doc["projects"][0]["lon"] == pytest.approx(e1["lon"])
    assert len(gpd.read_file(out / "placed_sites.geojson")) == 2
    assert (out / "placed_map.html").exists()



def test_passed_walk_network_keeps_hospital_distances_by_drive():
    # Notebook 04 passes the walk network it built; the scenario judges hospitals by drive
    # (network.hospital_mode). The road distance must be the drive one, built from the same file,
    # and differ from the walk one: cross-checked with networkx Dijkstra on both graphs.
    import networkx as nx

    from siting.network import load_network
    from siting.routing.snap import snap

    pbf = REPO / "data" / "osm" / "monaco.osm.pbf"
    walk, drive = load_network(pbf, "walk"), load_network(pbf, "drive")
    r = place_projects(REPO / "scenarios" / "monaco_demo.yaml", network=walk)
    e1 = r.table.set_index("id").loc["MC-E1"]
    f = pd.read_csv(REPO / "data" / "monaco_facilities.csv")
    h = f[(f["type"] == "hospital") & (f["category"] == "general")]

    def road_km(net):
        s, t = snap(net, [e1["lon"]], [e1["lat"]]), snap(net, h["lon"].to_numpy(), h["lat"].to_numpy())
        d = nx.single_source_dijkstra_path_length(net.to_networkx(), int(s["node"].iloc[0]), weight="length")
        best = min(d[int(n)] + m for n, m in zip(t["node"], t["snap_m"]) if int(n) in d)
        return (best + float(s["snap_m"].iloc[0])) / 1000.0

    by_drive, by_walk = road_km(drive), road_km(walk)
    assert abs(by_drive - by_walk) > 0.5  # the two modes really differ here (2.37 vs 1.12 km)
    assert e1["hospital_network_km"] == pytest.approx(by_drive, rel=1e-9)
    assert r.settings["hospital_mode"] == "drive" and r.settings["mode"] == "walk"
    assert not any("no source file" in n for n in r.notes)


def test_monaco_candidates_from_osm(tmp_path, capsys):
    from siting.planning.candidates import candidates_from_osm
    from siting.planning.scoring import score_candidates

    sc = REPO / "scenarios" / "monaco_demo.yaml"
    pbf = REPO / "data" / "osm" / "monaco.osm.pbf"
    r = place_projects(sc, candidates_from="osm")
    t = r.table.set_index("id")
    osm = candidates_from_osm(pbf).drop_duplicates("id").set_index("id")
    from siting.network import load_network

    walk = load_network(pbf, "walk")  # the region of a project without a county: the network's extent
    hull = shapely.convex_hull(shapely.MultiPoint(np.column_stack([walk.lon, walk.lat])))
    inside = osm[[hull.buffer(1e-9).contains(g) for g in osm.geometry]]
    assert r.settings["candidates_from"] == "osm"
    for pid in ("MC-E1", "MC-C1"):
        row = t.loc[pid]
        # The chosen site is an OSM public/vacant/commercial feature's point, not a grid cell.
        assert row["candidate"] in osm.index and row["how_chosen"].startswith("MCLP")
        p = osm.loc[row["candidate"], "geometry"]
        assert (row["lon"], row["lat"]) == pytest.approx((p.x, p.y))
        assert hull.buffer(1e-9).contains(shapely.Point(row["lon"], row["lat"]))
        assert row["candidates"] == len(inside) and set(row["candidate_source"].split(", ")) <= {
            "osm public", "osm vacant", "osm commercial"}
    # One project per group: the MCLP's gain must equal the best single-site gain that `siting score`
    # finds over the same OSM sites (an independent path: per-candidate reach, no solver).
    table = pd.DataFrame({"id": osm.index, "lon": osm.geometry.x, "lat": osm.geometry.y})
    for pid, kind in (("MC-E1", "elderly"), ("MC-C1", "childcare")):
        f = score_candidates(sc, table.assign(type=kind))
        eligible = f[f["hospital_rule_status"] != "fail"]
        assert t.loc[pid, "gain"] == pytest.approx(eligible["gain"].max())
    # CLI: only public buildings and land.
    assert main(["place", "--scenario", str(sc), "--candidates-from", "osm", "--candidate-kinds", "public",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {p["candidate_source"] for p in doc["projects"]} == {"osm public"}
    assert all(p["candidate"].endswith(":public") for p in doc["projects"])


def test_candidates_from_osm_needs_the_file(tmp_path, capsys):
    # Qinzhou offline: its network source is not bundled, so OSM candidates cannot be read.
    sc = REPO / "scenarios" / "qinzhou.yaml"
    assert main(["place", "--scenario", str(sc), "--candidates-from", "osm", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "OSM file for candidate sites not found" in err and "--osm" in err
    assert main(["place", "--scenario", str(sc), "--candidates-from", "osm"]) == 2  # a Chinese scenario: Chinese
    err = capsys.readouterr().err
    assert "错误" in err and "找不到候选点的 OSM 文件" in err and "--osm" in err
    assert main(["place", "--scenario", str(sc), "--candidates-from", "table"]) == 2
    assert "--candidates C.csv" in capsys.readouterr().err


def test_place_section_is_validated(tmp_path):
    from siting.errors import InputError

    sc = tmp_path / "s.yaml"
    sc.write_text("name: t\nplace:\n  grid: 100\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 3: unknown key 'grid' in 'place'"):
        place_projects(sc)
    sc.write_text("name: t\nplace:\n  projects:\n    - {id: P, name: x, type: elderly, beds: many}\n",
                  encoding="utf-8")
    with pytest.raises(InputError, match=r"row 1, field 'beds': 'many' is not a number"):
        place_projects(sc)


def test_road_mask_excludes_the_best_site(tmp_path):
    sc = ladder_scenario(tmp_path)
    (tmp_path / "c.csv").write_text("id,lon,lat\n" + "".join(f"c{i},{bottom(i)[0]!r},0.0\n" for i in (2, 5, 9)),
                                    encoding="utf-8")
    sc.write_text(sc.read_text(encoding="utf-8") + "candidates: c.csv\n"
                  "overrides: {A4: {params: {max_km: 0.35, distance: network}}}\nplace:\n  projects:\n"
                  "    - {id: P1, name: New home, type: elderly, beds: 45, owner_kind: government}\n"
                  "    - {id: P2, name: Private home, type: elderly, beds: 45, owner_kind: company}\n",
                  encoding="utf-8")
    t = place_projects(sc, network=ladder()).table.set_index("id")
    # P1 is government-provided: c9 is 540 m from the hospital by road, beyond 350 m, so it may not
    # have it. P2 (a company's) is not subject to A4 and takes c9, which covers the 90 people.
    assert t.loc["P1", "eligible_candidates"] == 2 and t.loc["P1", "candidate"] in ("c2", "c5")
    assert t.loc["P1", "hospital_rule_status"] == "pass" and t.loc["P1", "hospital_network_km"] <= 0.35
    assert t.loc["P2", "candidate"] == "c9" and t.loc["P2", "hospital_rule_status"] == "not_applicable"
    assert t.loc["P2", "covered_after"] == 100 and t.loc["P1", "covered_after"] == 10


def test_network_in_memory_without_a_file_serves_hospitals_too(tmp_path):
    from siting.planning.context import load_context

    net = ladder()  # built in memory: no source file to build a drive network from
    site = load_context(ladder_scenario(tmp_path), network=net)
    assert site.inputs.has_network() and not site.inputs.has_network_source()
    assert site.network() is net and site.hospital_network() is net
    assert any("no source file to build the drive network" in n for n in site.notes)
    # Held in memory, not patched in: a copy of the inputs (as the rules engine's check gets) has it too.
    copy = dataclasses.replace(site.inputs, projects=None)
    assert copy.has_network() and copy.network("drive") is net and copy.network("bike") is None


def test_fallback_choice_by_hand():
    from siting.planning.choose import Choice, fallback_choice
    from siting.planning.regions import Region

    region = Region(shapely.box(9.0, -0.01, 9.01, 0.01), "county", "County")
    cands = pd.DataFrame({"cid": ["a", "b", "c"], "lon": [bottom(1)[0], bottom(3)[0], bottom(2)[0]],
                          "lat": [0.0, 0.0, 0.0], "eligible": [True, True, False],
                          "why_not": ["", "", "beyond 5 km of a general hospital"]})
    # Stated at node 4: b (node 3, 60 m) is nearer than a (node 1, 180 m); c is nearer still but not eligible.
    c = fallback_choice(cands, bottom(4), region, source="table", from_table=True, optimised=False)
    assert (c.candidate, c.lon) == ("b", bottom(3)[0])
    assert c.how == "eligible candidate nearest the stated point (no coverage optimisation: see not_evaluated)"
    assert c.precision("town") == "site"
    # No stated point: not placed rather than put anywhere in the region.
    c = fallback_choice(cands, (np.nan, np.nan), region, source="table", from_table=True, optimised=False)
    assert c.how.startswith("not placed: the plan gives no location") and np.isnan(c.lon) and c.precision("") == "unknown"
    # Candidates, none eligible: the reasons are named.
    c = fallback_choice(cands.assign(eligible=False), bottom(4), region, source="table", from_table=True,
                        optimised=True)
    assert c.how == "not placed: no eligible candidate in the region (beyond 5 km of a general hospital)"
    # No candidate at all: the stated point is kept, else the region says why.
    none = cands.iloc[0:0]
    kept = fallback_choice(none, bottom(4), Region(None, "site", "the stated point"), source="grid", from_table=False,
                           optimised=False)
    assert kept == Choice(bottom(4)[0], 0.0, "stated", "stated point kept (no region to search)")
    assert kept.precision("county_seat") == "county_seat"
    c = fallback_choice(none, (np.nan, np.nan), region, source="osm", from_table=True, optimised=False)
    assert c.how == "not placed: no candidate site in County (osm)"


def test_region_status_by_hand():
    from siting.planning.regions import Region, region_status

    county = Region(shapely.box(9.0, 0.0, 9.1, 0.1), "county", "County")
    assert region_status(county, 9.05, 0.05) == ("pass", "")
    assert region_status(county, 9.2, 0.05) == ("fail", "")
    assert region_status(county, np.nan, np.nan) == ("not_evaluable", "no site chosen")
    extent = Region(county.geometry, "network_extent", "the network's extent (no boundaries given)")
    assert region_status(extent, 9.05, 0.05)[0] == "not_evaluable"


def test_each_project_counts_its_own_existing_facilities(tmp_path):
    """Childcare and kindergarten serve the same group (0-3) but count different existing facilities.

    Ladder, T = 2 min: an existing kindergarten at bottom node 9 reaches nodes 8-10 (360 people;
    the demand has no 0-3 figures, so everyone counts). The childcare project's baseline is the
    existing childcare (none): 0 covered; the kindergarten project's counts the kindergarten: 360.
    Each is then placed next to its own: childcare at c9 (360 more), kindergarten at c2 (node 1's 40).
    """
    sc = ladder_scenario(tmp_path)
    k9 = bottom(9)
    with (tmp_path / "f.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"k9,Kindergarten,kindergarten,{k9[0]!r},{k9[1]!r},\n")
    (tmp_path / "c.csv").write_text("id,lon,lat\n" + "".join(f"c{i},{bottom(i)[0]!r},0.0\n" for i in (2, 5, 9)),
                                    encoding="utf-8")
    sc.write_text(sc.read_text(encoding="utf-8") + "candidates: c.csv\nplace:\n  projects:\n"
                  "    - {id: C1, name: Nursery, type: childcare, places: 30, owner_kind: company}\n"
                  "    - {id: K1, name: Kindergarten, type: kindergarten, kindergarten_places: 60, owner_kind: company}\n",
                  encoding="utf-8")
    t = place_projects(sc, network=ladder()).table.set_index("id")
    assert t.loc["C1", "covered_before"] == 0 and t.loc["K1", "covered_before"] == 360
    assert t.loc["C1", "candidate"] == "c9" and t.loc["C1", "covered_after"] == 360
    assert t.loc["K1", "candidate"] == "c2" and t.loc["K1", "covered_after"] == 400
