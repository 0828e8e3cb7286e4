"""``siting report``: one HTML report for a scenario (rules, coverage, capacity gaps, map)."""

from __future__ import annotations

import argparse
from pathlib import Path

from siting.cli.common import add_lang_option, resolve_lang


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "report",
        help="write one HTML report for a scenario: rule table with clauses, charts, capacity gaps, map",
        description="Write one HTML report for a scenario. With --offline the file carries every script, "
        "style and chart itself and opens without internet (basemap tiles excepted).",
    )
    p.add_argument("--scenario", required=True, help="scenario YAML file")
    p.add_argument("--out", help="output HTML file (default: <scenario name>_report.html in the current folder)")
    p.add_argument("--offline", action="store_true", help="self-contained file: no CDN, works without internet")
    p.add_argument("--basemap", default="osm", choices=("osm", "amap", "tianditu"),
                   help="map tiles (amap shifts overlays to GCJ-02; tianditu needs --tianditu-key)")
    p.add_argument("--tianditu-key", help="Tianditu user key (or set SITING_TIANDITU_KEY)")
    p.add_argument("--candidates", metavar="C.csv", help="candidate sites id,lon,lat[,type,name,owner_kind,capacity]: "
                   "scored, drawn on the map and offered in its what-if panel")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siting.errors import SitingError
    from siting.inputs.scenario import load_scenario
    from siting.reporting.report import write_report

    sc = load_scenario(args.scenario)
    out = Path(args.out) if args.out else Path(f"{sc.name}_report.html")
    if out.resolve() in {Path(x).resolve() for x in (args.scenario, args.candidates) if x}:
        raise SitingError(f"--out {out} is an input file; choose another output path")
    path = write_report(sc, out, offline=args.offline, basemap=args.basemap, tianditu_key=args.tianditu_key,
                        lang=resolve_lang(args), candidates=args.candidates)
    print(path)
    return 0
