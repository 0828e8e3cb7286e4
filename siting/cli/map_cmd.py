"""``siting map``: the map of a scenario (verdicts, rule table, what-if panel), or of plain facility tables."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from siting.cli.common import add_lang_option, resolve_lang

if TYPE_CHECKING:
    import folium


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "map",
        help="write an interactive HTML map: a scenario's verdicts and what-if panel, or facility tables",
        description="With --scenario: the scenario's map, the one inside `siting report` — every facility, "
        "planned project and candidate site coloured by its verdict, popups with each rule's figures, the rule "
        "table and a what-if panel that recomputes coverage and capacity in the page. With --facilities: a map "
        "of facility CSVs (columns id,name,type,lon,lat; beds, places, owner, status optional). --offline makes "
        "one self-contained file, opening on a basemap drawn from the OSM extract (the scenario's, or --osm).",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--scenario", metavar="S.yaml", help="scenario file: its rules, facilities, projects, demand")
    what.add_argument("--facilities", help="facility CSV (id,name,type,lon,lat,...)")
    p.add_argument("--candidates", metavar="C.csv", help="with --scenario: candidate sites id,lon,lat[,type,name,"
                   "owner_kind,capacity], scored and offered in the what-if panel")
    p.add_argument("--hospitals", help="hospital CSV (id,name,lon,lat,...): drawn with rings (with --facilities)")
    p.add_argument("--ring-km", type=float, default=5.0, help="hospital ring radius in km (default 5)")
    p.add_argument("--crs", default="wgs84", choices=("wgs84", "gcj02", "bd09"), help="coordinates of the CSVs")
    p.add_argument("--title", help="map title")
    p.add_argument("--basemap", default="osm", choices=("osm", "amap", "tianditu"))
    p.add_argument("--tianditu-key", help="Tianditu user key (or set SITING_TIANDITU_KEY)")
    p.add_argument("--osm", help="OSM file (.osm.pbf, .osm, .osm.bz2) drawn as a basemap that needs no "
                   "internet (the one an offline map opens on; with --facilities)")
    p.add_argument("--offline", action="store_true", help="self-contained file: no CDN, works without internet")
    p.add_argument("--out", required=True, help="output HTML file")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from siting.errors import SitingError
    from siting.maps import export_map

    for src in (args.scenario, args.facilities, args.hospitals, args.osm, args.candidates):
        if src and Path(src).resolve() == Path(args.out).resolve():
            raise SitingError(f"--out {args.out} would overwrite an input; choose another output path")
    if args.scenario:
        from siting.maps.scenario import scenario_map

        drawn = scenario_map(args.scenario, candidates=args.candidates, lang=resolve_lang(args),
                             basemap=args.basemap, tianditu_key=args.tianditu_key, title=args.title)
        if drawn is None:
            raise SitingError(f"nothing in {args.scenario} has a location: no map to draw")
        m = drawn
    else:
        m = tables_map(args)
    print(export_map(m, args.out, offline=args.offline))
    return 0


def tables_map(args: argparse.Namespace) -> folium.Map:
    """The map of plain facility (and hospital) tables."""
    from siting.io import read_points
    from siting.maps import facility_layer, hospital_layer, make_map
    from siting.maps.basemap_osm import basemap_layer

    lang = args.lang or "en"
    layers = [basemap_layer(args.osm, lang=lang)] if args.osm else []
    layers.append(facility_layer(read_points(args.facilities, args.crs, "facilities file"), lang=lang))
    if args.hospitals:
        layers.append(hospital_layer(read_points(args.hospitals, args.crs, "hospitals file"), args.ring_km * 1000.0,
                                     lang=lang))
    return make_map(layers, title=args.title, basemap=args.basemap, tianditu_key=args.tianditu_key)
