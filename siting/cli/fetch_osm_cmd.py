"""``siting fetch-osm``: download the scenario's regional OSM extract and clip it to the study area."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "fetch-osm",
        help="download the regional OSM extract (Geofabrik) and clip it to the scenario's study area",
        description=(
            "Download the scenario's fetch.url (a Geofabrik regional .osm.pbf; needs internet), clip it to "
            "study_area.boundaries with pyosmium and write fetch.output plus a JSON sidecar with the extract "
            "date and licence. With --input, clip a file you already have (no download)."
        ),
    )
    p.add_argument("--scenario", required=True, help="scenario YAML with fetch.url, fetch.output and study_area")
    p.add_argument("--input", help="regional .osm.pbf already on disk (skips the download)")
    p.add_argument("--output", help="clipped file (default: the scenario's fetch.output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siting.inputs.scenario import load_scenario
    from siting.osm.fetch import fetch_for_scenario

    sc = load_scenario(args.scenario)
    result = fetch_for_scenario(sc, input_file=args.input, output=args.output)
    print(f"wrote {result.output}: {result.nodes:,} nodes ({result.nodes_inside:,} inside the boundary), "
          f"{result.ways:,} ways, {result.relations:,} relations; extract date {result.extract_date or 'unknown'}")
    print(f"wrote {result.sidecar} (licence ODbL 1.0, © OpenStreetMap contributors)")
    return 0
