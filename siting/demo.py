"""The demo: the whole pipeline on the bundled Monaco data, offline.

Monaco is small enough to run in seconds and real enough to matter: the whole
country's OpenStreetMap extract, with its hospitals, a geriatric centre and a
crèche. The demo

1. builds the walk network at the older-pedestrian walking speed (3.6 km/h);
2. reports how far each hospital reaches, and the walk to the nearest one;
3. spreads Monaco's 2016 census total (37,308 residents, IMSEE) over the
   residential floor area of its OSM buildings;
4. draws 5/10/15-minute walking circles around the hospitals, the geriatric
   centre and the crèches, and scores coverage of all residents, the 60+ and
   the 0–3 groups;
5. checks the Qinzhou rule pack on Monaco (``scenarios/monaco_demo.yaml``) and scores six
   hypothetical candidate sites (``data/monaco_candidates.csv``);
6. writes a map (:func:`siting.maps.scenario.scenario_map`: verdicts on every site, the rule
   table, the what-if panel for the candidates) and a report with the same map to ``maps/``.

Monaco's own 60+ and 0–3 shares are not in the bundled sources, so the demo
applies the plans' shares as parameters (Qinzhou 60+ = 15.77 %, Jingdezhen
0–3 = 3.58 %). A uniform share scales population and covered people alike, so
the covered *share* of each group equals that of all residents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.i18n import label, t, translate_text
from siting.inputs.bundled import data_dir, data_path
from siting.network import RoadNetwork, load_network
from siting.routing.engine import nearest, reach
from siting.routing.snap import snap_frame

DEMO_MINUTES = (5.0, 10.0, 15.0)
DEMO_TYPES = {"hospital": "all", "elderly": "60+", "childcare": "0-3"}


def load_demo_facilities() -> pd.DataFrame:
    """Monaco's facilities (hospitals, the geriatric centre, childcare) from the bundled table."""
    from siting.inputs.facilities import read_facilities

    return read_facilities(data_path("monaco_facilities.csv"), what="demo facilities file")


def hospital_travel_times(net: RoadNetwork, facilities: pd.DataFrame) -> dict[str, Any]:
    """Per hospital, the network nodes reached on foot; and the walk to the nearest general hospital."""
    hospitals = snap_frame(net, facilities[facilities["type"] == "hospital"].reset_index(drop=True))
    nodes = hospitals["node"].to_numpy()
    reached = reach(net, nodes, max(DEMO_MINUTES) * 60.0, with_other=False)
    per_hospital = []
    for pos, row in hospitals.iterrows():
        cost = reached.loc[reached["source"] == pos, "cost"].to_numpy()
        per_hospital.append(
            {
                "id": row["id"],
                "name": row.get("name") or "",
                "category": row.get("category") or "",
                "snap_m": round(float(row["snap_m"]), 1),
                **{f"nodes_within_{m:g}_min": int((cost <= m * 60.0).sum()) for m in DEMO_MINUTES},
            }
        )
    general = hospitals["category"].fillna("general").astype(str).eq("general").to_numpy()
    cost, _ = nearest(net, nodes[general], reverse=True)
    minutes = cost[np.isfinite(cost)] / 60.0
    return {
        "hospitals": per_hospital,
        "nearest_general_hospital_minutes": {
            "general_hospitals": int(general.sum()),
            "median": round(float(np.median(minutes)), 2),
            "p90": round(float(np.percentile(minutes, 90)), 2),
            "max": round(float(minutes.max()), 2),
            **{f"share_nodes_within_{m:g}_min": round(float((minutes <= m).mean()), 4) for m in DEMO_MINUTES},
        },
    }


def demo_demand(net: RoadNetwork) -> Any:
    """Monaco's census total spread over its residential buildings, with the 60+ and 0–3 groups."""
    from siting.analysis.demand import (
        JINGDEZHEN_SHARE_0_3,
        MONACO_CENSUS_2016,
        QINZHOU_SHARE_60PLUS,
        demand_for_extent,
    )

    return demand_for_extent(
        net,
        data_path("osm", "monaco.osm.pbf"),
        MONACO_CENSUS_2016,
        "Monaco",
        shares={"60+": QINZHOU_SHARE_60PLUS, "0-3": JINGDEZHEN_SHARE_0_3},
    )


def run_demo(out_dir: str | Path = "maps", offline: bool = False, lang: str = "en") -> dict[str, Any]:
    """Run the demo, write its map and report into ``out_dir``, and return its summary.

    ``lang`` ('en' or 'zh') is the language of the map and the report; the summary's keys
    and values do not change with it.
    """
    from siting.analysis.coverage import coverage, coverage_entries, joint_coverage
    from siting.analysis.demand import group_column
    from siting.analysis.isochrones import isochrones
    from siting.inputs.scenario import load_scenario
    from siting.io import write_json
    from siting.maps import export_map, heatmap_layer, isochrone_layer
    from siting.maps.scenario import scenario_map, scenario_pack, scored_candidates
    from siting.reporting.report import write_report
    from siting.rules import evaluate, inputs_from_scenario

    out = Path(out_dir)
    net = load_network(data_path("osm", "monaco.osm.pbf"), "walk")
    facilities = load_demo_facilities()
    summary: dict[str, Any] = {
        "city": "Monaco",
        "network": net.summary() | {"speeds": None},
        "facilities": {str(k): int(v) for k, v in facilities["type"].value_counts().sort_index().items()},
    }
    summary.update(hospital_travel_times(net, facilities))

    demand = demo_demand(net)
    summary["demand"] = {
        "source": "Monaco census 2016 (IMSEE): 37,308 residents, spread over residential floor area",
        "points": int(len(demand)),
        "population": round(float(demand["population"].sum()), 3),
        "shares": {"60+": "Qinzhou plan 15.77 % (parameter)", "0-3": "Jingdezhen plan 3.58 % (parameter)"},
    }
    results = [coverage(net, demand, facilities, ftype, group, DEMO_MINUTES) for ftype, group in DEMO_TYPES.items()]
    summary["coverage"] = coverage_entries(results)
    # Jingdezhen's joint elderly-and-childcare circles (A3): residents near both kinds of facility.
    joint = joint_coverage([r for r in results if r.facility_type in ("elderly", "childcare")])
    summary["joint_coverage"] = [
        {"types": r["types"], "minutes": r["minutes"], "population": round(r["population"], 1),
         "covered": round(r["covered"], 1), "share": round(r["share"], 4)}
        for r in joint.to_dict("records")
    ]

    circles = facilities[facilities["type"].isin(list(DEMO_TYPES))]
    iso = isochrones(net, circles, DEMO_MINUTES)
    summary["isochrones"] = {
        "polygons": int(len(iso)),
        "median_quality": round(float(iso["quality"].median()), 3),
    }

    scenario = load_scenario(Path(data_dir()).parent / "scenarios" / "monaco_demo.yaml")
    inputs = inputs_from_scenario(scenario)
    pack = scenario_pack(scenario)
    assert pack is not None  # the demo scenario names the Qinzhou pack
    compliance = evaluate(pack, inputs, scenario=str(scenario.path))  # what check(scenario) does, on these inputs
    rules = compliance.to_frame()
    summary["rules"] = {s: int(n) for s, n in rules["status"].value_counts().sort_index().items()}

    # the map and the report's map: one builder (siting.maps.scenario), with the demo's candidate sites
    scores = scored_candidates(scenario, data_path("monaco_candidates.csv"), inputs)
    elderly = next(r for r in results if r.facility_type == "elderly")
    m = scenario_map(scenario, compliance=compliance, inputs=inputs, candidates=data_path("monaco_candidates.csv"),
                     scores=scores, lang=lang, title=t("map.demo_title", lang),
                     isochrones=isochrone_layer(iso[iso["minutes"].isin(DEMO_MINUTES)], lang=lang),
                     extra_layers=[heatmap_layer(elderly.uncovered.assign(
                         uncovered=elderly.uncovered[group_column(elderly.group)]), lang=lang)])
    assert m is not None  # Monaco's facilities have locations
    outputs = {
        "map": str(export_map(m, out / "monaco_demo.html", offline=offline)),
        "report": str(write_report(scenario, out / "monaco_report.html", offline=offline, compliance=compliance,
                                   lang=lang, inputs=inputs, candidates=data_path("monaco_candidates.csv"),
                                   scores=scores)),
    }
    outputs["summary"] = str(write_json(out / "monaco_demo.json", summary | {"outputs": outputs}))
    summary["outputs"] = outputs
    return summary


def print_summary(summary: dict[str, Any], lang: str = "en") -> None:
    """The demo's human-readable report, in ``lang``."""
    n = summary["network"]
    print(t("demo.network", lang, nodes=f"{n['nodes']:,}", edges=f"{n['edges']:,}", km=f"{n['length_km']:,}",
            dropped=n["dropped_nodes"]))
    print(t("demo.facilities", lang, list=", ".join(f"{label('type', k, lang)} {v}" for k, v in summary["facilities"].items())))
    print(t("demo.hospitals", lang))
    for h in summary["hospitals"]:
        reach_text = ", ".join(t("demo.reach", lang, minutes=f"{m:g}", n=f"{h[f'nodes_within_{m:g}_min']:,}")
                               for m in DEMO_MINUTES)
        category = label("category", h["category"], lang) if h["category"] else t("demo.category_unknown", lang)
        print(t("demo.hospital", lang, name=h["name"] or h["id"], category=category, reach=reach_text))
    w = summary["nearest_general_hospital_minutes"]
    print(t("demo.walk", lang, median=w["median"], p90=w["p90"], max=w["max"]))
    d = summary["demand"]
    print(t("demo.demand", lang, population=f"{d['population']:,.0f}", points=f"{d['points']:,}",
            source=translate_text(d["source"], lang)))
    print(t("demo.coverage", lang))
    for c in summary["coverage"]:
        share = t("cli.na", lang) if c["share"] is None else f"{c['share']:.1%}"
        print(t("demo.coverage_line", lang, type=label("type", c["facility_type"], lang), group=c["group"],
                minutes=f"{c['minutes']:g}", covered=f"{c['covered']:,.0f}", population=f"{c['population']:,.0f}",
                share=share))
    for j in summary["joint_coverage"]:
        types = " + ".join(label("type", k.strip(), lang) for k in str(j["types"]).split("+"))
        print(t("demo.joint", lang, types=types, minutes=f"{j['minutes']:g}", covered=f"{j['covered']:,.0f}",
                population=f"{j['population']:,.0f}", share=f"{j['share']:.1%}"))
    print(t("demo.rules", lang, list=", ".join(f"{label('status', k, lang)} {v}" for k, v in summary["rules"].items())))
    for name, path in summary["outputs"].items():
        print(t("demo.output", lang, name=label("output", name, lang), path=path))
