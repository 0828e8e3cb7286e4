"""The demo: a walk-through of the pipeline on the bundled Monaco data.

Monaco is small enough to run in seconds and real enough to matter: the whole
country's OpenStreetMap extract, with its hospitals, a geriatric centre and a
crèche. The demo builds the walk network (at the older-pedestrian walking
speed) and reports how far its facilities reach.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from siting.data import data_path
from siting.engine import nearest, reach
from siting.network import load_network
from siting.snap import snap_frame

DEMO_MINUTES = (5, 10, 15)


def load_demo_facilities() -> Any:
    """Monaco's facilities (hospitals, the geriatric centre, childcare) from the bundled table."""
    from siting.io import read_points

    return read_points(data_path("monaco_facilities.csv"), what="demo facilities file")


def hospital_travel_times(net: Any, facilities: Any) -> dict[str, Any]:
    """Travel times from the hospitals: per hospital reach, and the nearest hospital from every node."""
    hospitals = snap_frame(net, facilities[facilities["type"] == "hospital"].reset_index(drop=True))
    nodes = hospitals["node"].to_numpy()
    reached = reach(net, nodes, max(DEMO_MINUTES) * 60.0, with_other=False)
    per_hospital = []
    for pos, row in hospitals.iterrows():
        cost = reached.loc[reached["source"] == pos, "cost"].to_numpy()
        per_hospital.append(
            {
                "id": row["id"],
                "name": row.get("name", ""),
                "snap_m": round(float(row["snap_m"]), 1),
                **{f"nodes_within_{m}_min": int((cost <= m * 60.0).sum()) for m in DEMO_MINUTES},
            }
        )
    cost, _ = nearest(net, nodes, reverse=True)
    finite = cost[np.isfinite(cost)] / 60.0
    return {
        "hospitals": per_hospital,
        "nearest_hospital_minutes": {
            "median": round(float(np.median(finite)), 2),
            "p90": round(float(np.percentile(finite, 90)), 2),
            "max": round(float(finite.max()), 2),
            **{f"share_nodes_within_{m}_min": round(float((finite <= m).mean()), 4) for m in DEMO_MINUTES},
        },
    }


def run_demo(out_dir: str | Path = "maps", offline: bool = False) -> dict[str, Any]:
    """Run the demo and return its machine-readable summary."""
    net = load_network(data_path("osm", "monaco.osm.pbf"), "walk")
    facilities = load_demo_facilities()
    summary: dict[str, Any] = {
        "city": "Monaco",
        "network": net.summary() | {"speeds": None},
        "facilities": facilities["type"].value_counts().sort_index().to_dict(),
    }
    summary.update(hospital_travel_times(net, facilities))
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    """The demo's human-readable report."""
    n = summary["network"]
    print(f"Monaco walk network: {n['nodes']:,} nodes, {n['edges']:,} edges, {n['length_km']:,} km "
          f"(dropped {n['dropped_nodes']} nodes outside the largest strongly connected component)")
    print("Facilities: " + ", ".join(f"{k} {v}" for k, v in summary["facilities"].items()))
    print("Hospitals (network nodes reachable on foot at 3.6 km/h):")
    for h in summary["hospitals"]:
        reach_text = ", ".join(f"{m} min: {h[f'nodes_within_{m}_min']:,}" for m in DEMO_MINUTES)
        print(f"  {h['name'] or h['id']}: {reach_text}")
    t = summary["nearest_hospital_minutes"]
    print(f"Walk to the nearest hospital: median {t['median']} min, 90th percentile {t['p90']} min, max {t['max']} min")
