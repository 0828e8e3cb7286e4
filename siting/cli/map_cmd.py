"""``siting map``: an interactive map of facility and hospital tables (optionally self-contained)."""

from __future__ import annotations

import argparse

from siting.cli.common import add_lang_option


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "map",
        help="write an interactive HTML map of facilities (and hospitals with 5 km rings)",
        description="Write an HTML map of facility CSVs (columns id,name,type,lon,lat; beds, places, owner, "
        "status optional). --offline makes one self-contained file; with --osm it opens on a basemap drawn "
        "from that OSM file.",
    )
    p.add_argument("--facilities", required=True, help="facility CSV (id,name,type,lon,lat,...)")
    p.add_argument("--hospitals", help="hospital CSV (id,name,lon,lat,...): drawn with rings")
    p.add_argument("--ring-km", type=float, default=5.0, help="hospital ring radius in km (default 5)")
    p.add_argument("--crs", default="wgs84", choices=("wgs84", "gcj02", "bd09"), help="coordinates of the CSVs")
    p.add_argument("--title", help="map title")
    p.add_argument("--basemap", default="osm", choices=("osm", "amap", "tianditu"))
    p.add_argument("--tianditu-key", help="Tianditu user key (or set SITING_TIANDITU_KEY)")
    p.add_argument("--osm", help="OSM file (.osm.pbf, .osm, .osm.bz2) drawn as a basemap that needs no "
                   "internet (the one an offline map opens on)")
    p.add_argument("--offline", action="store_true", help="self-contained file: no CDN, works without internet")
    p.add_argument("--out", required=True, help="output HTML file")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from siting.errors import SitingError
    from siting.io import read_points
    from siting.maps import export_map, facility_layer, hospital_layer, make_map
    from siting.maps.basemap_osm import basemap_layer

    for src in (args.facilities, args.hospitals, args.osm):
        if src and Path(src).resolve() == Path(args.out).resolve():
            raise SitingError(f"--out {args.out} would overwrite an input; choose another output path")
    lang = args.lang or "en"
    layers = [basemap_layer(args.osm)] if args.osm else []
    layers.append(facility_layer(read_points(args.facilities, args.crs, "facilities file"), lang=lang))
    if args.hospitals:
        layers.append(hospital_layer(read_points(args.hospitals, args.crs, "hospitals file"), args.ring_km * 1000.0,
                                     lang=lang))
    m = make_map(layers, title=args.title, basemap=args.basemap, tianditu_key=args.tianditu_key)
    print(export_map(m, args.out, offline=args.offline))
    return 0
