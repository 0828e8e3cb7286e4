"""``siting fetch-osm``: download the scenario's regional OSM extract and clip it to the study area."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "fetch-osm",
        help="download the regional OSM extract (Geofabrik) and clip it to the scenario's study area",
        description=(
            "Download the scenario's fetch.url (a Geofabrik regional .osm.pbf; needs internet) or --url (any "
            "mirror that publishes <file>.md5 as Geofabrik does), resuming an interrupted download and keeping "
            "the file only when its MD5 matches; then clip it to study_area.boundaries with pyosmium and write "
            "fetch.output plus a JSON sidecar (source URL, download date, MD5, extract date, licence). With "
            "--input, clip a file you already have (no download)."
        ),
    )
    p.add_argument("--scenario", required=True, help="scenario YAML with fetch.url, fetch.output and study_area")
    p.add_argument("--input", help="regional .osm.pbf already on disk (skips the download)")
    p.add_argument("--url", help="download from this URL instead of the scenario's fetch.url (e.g. a mirror)")
    p.add_argument("--output", help="clipped file (default: the scenario's fetch.output)")
    p.add_argument("--no-md5", action="store_true",
                   help="accept a download the server publishes no <file>.md5 for (recorded as unverified)")
    p.add_argument("--retries", type=int, default=5, help="dropped connections to resume from (default 5)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no notices")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siting.inputs.scenario import load_scenario
    from siting.osm.fetch import fetch_for_scenario

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    sc = load_scenario(args.scenario)
    result = fetch_for_scenario(sc, input_file=args.input, output=args.output, url=args.url,
                                require_md5=not args.no_md5, retries=args.retries, progress=not args.quiet,
                                log=None if args.quiet else log)
    if result.download is not None:
        d = result.download
        check = f"MD5 {d.md5} verified" if d.md5_verified else f"MD5 {d.md5} NOT verified (no .md5 published)"
        how = "already there" if d.reused else f"{d.attempts} request(s), {d.resumed} resumed"
        print(f"downloaded {d.url} to {d.path}: {d.size / 1e6:,.1f} MB, {check}; {how}")
    if result.covers_study_area is False:
        print(f"warning: the extract's bounding box holds only part of the study area; the clip covers "
              f"only that part ({result.sidecar})", file=sys.stderr)
    print(f"wrote {result.output}: {result.nodes:,} nodes ({result.nodes_inside:,} inside the boundary), "
          f"{result.ways:,} ways, {result.relations:,} relations; extract date {result.extract_date or 'unknown'}")
    print(f"wrote {result.sidecar} (licence ODbL 1.0, © OpenStreetMap contributors)")
    return 0
