"""``siting coverage``: who lives within T minutes of a facility, who does not, and how fair it is."""

from __future__ import annotations

import argparse
from typing import Any

from siting.cli.common import add_crs_option, add_lang_option, add_network_options


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "coverage",
        help="15-minute service-circle coverage of a target group (share, per unit, gaps, 2SFCA, equity)",
        description=(
            "Coverage of a target group (all, 60+, 0-3) by facilities of one type within T minutes. Demand "
            "comes from --demand (population raster .tif, or a CSV/GeoJSON of points or polygons with a "
            "population column), or from census totals spread over the OSM residential buildings: --units "
            "and --census, or --population N for the whole network extent."
        ),
    )
    add_network_options(p)
    p.add_argument("--facilities", required=True, metavar="F.csv", help="facilities: id,name,type,...,lon,lat")
    p.add_argument("--type", required=True, help="facility type, e.g. elderly, childcare, hospital")
    p.add_argument("--group", default="all", help="target group: all, 60+ or 0-3 (default all)")
    p.add_argument("--minutes", default="15", help="thresholds in minutes (default 15; e.g. 5,10,15)")
    p.add_argument("--demand", metavar="FILE", help="population raster (.tif) or points/polygons (.csv, .geojson, .gpkg)")
    p.add_argument("--population-column", default="population", help="population column (default population)")
    p.add_argument("--units", metavar="U.geojson", help="unit boundaries (with --census)")
    p.add_argument("--census", metavar="C.csv", help="census totals per unit (with --units)")
    p.add_argument("--unit-key", default="name", help="column naming units in both files (default name)")
    p.add_argument("--population", type=float, metavar="N", help="one census total for the network's extent")
    p.add_argument("--buildings", metavar="OSM", help="OSM file with buildings (default: the network file)")
    p.add_argument("--default-levels", type=float, default=3.0, help="storeys where building:levels is missing (3)")
    p.add_argument("--share-60plus", default=None, metavar="X",
                   help="60+ share: a fraction (Qinzhou 0.1577) or a census column of per-unit fractions")
    p.add_argument("--share-0-3", dest="share_0_3", default=None, metavar="X",
                   help="0-3 share: a fraction or a census column of per-unit fractions")
    p.add_argument("--capacity", default=None, help="capacity column for 2SFCA (default beds for elderly, places for childcare)")
    p.add_argument("--decay", default="none", choices=["none", "gaussian"], help="2SFCA catchment weighting")
    p.add_argument("--no-access-legs", action="store_true", help="ignore the walk from each home to its nearest node")
    add_crs_option(p)
    p.add_argument("--out", metavar="DIR", help="folder for the detail files (summary, per unit, points, gaps, 2SFCA)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_lang_option(p)
    p.set_defaults(func=run)


def _share(value: str | None) -> float | str | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return value  # a column of the census table


def demand_spec(args: argparse.Namespace) -> Any:
    """The demand options as a :class:`~siting.inputs.scenario.DemandSpec`."""
    from pathlib import Path

    from siting.errors import SitingError
    from siting.inputs.scenario import DemandSpec
    from siting.osm.reader import is_osm_file

    shares = {g: s for g, s in (("60+", _share(args.share_60plus)), ("0-3", _share(args.share_0_3))) if s is not None}
    if args.population is not None and args.population < 0:
        raise SitingError("--population must not be negative")
    if not (args.demand or args.units or args.census or args.population is not None):
        raise SitingError("give the demand: --demand FILE, or --units and --census, or --population N")
    buildings = args.buildings or (args.source if is_osm_file(args.source) else None)
    def path(value: str | None) -> Path | None:
        return None if value is None else Path(value)

    return DemandSpec(file=path(args.demand), population_column=args.population_column,
                      population=args.population, name="extent", shares=shares, buildings=path(buildings),
                      units=path(args.units), census=path(args.census), unit_key=args.unit_key,
                      default_levels=args.default_levels)


def run(args: argparse.Namespace) -> int:
    from siting.analysis.coverage import coverage, write_outputs
    from siting.analysis.demand import build_demand
    from siting.cli.common import network_from_args, print_json, warn
    from siting.i18n import label, t, translate_text
    from siting.osm.inventory import read_inventory
    from siting.units import parse_minutes

    lang = args.lang or "en"
    minutes = parse_minutes(args.minutes)
    facilities = read_inventory(args.facilities, crs=args.crs)
    net = network_from_args(args)
    demand = build_demand(demand_spec(args), net)
    result = coverage(net, demand, facilities, args.type, args.group, minutes, capacity_column=args.capacity,
                      decay=args.decay, access_legs=not args.no_access_legs)
    summary = result.to_dict()
    summary["equity"] = {k: v for k, v in summary["equity"].items() if k != "lorenz"}
    if args.out:
        summary["files"] = write_outputs(result, args.out)
    if args.json:
        print_json(summary)
        return 0
    for w in result.warnings:
        warn(translate_text(w, lang), lang)
    for e in result.entries():
        share = t("cli.na", lang) if e["share"] is None else f"{100 * e['share']:.1f} %"
        print(t("cli.coverage.line", lang, type=label("type", e["facility_type"], lang), group=e["group"],
                minutes=f"{e['minutes']:g}", covered=f"{e['covered']:,.0f}", population=f"{e['population']:,.0f}",
                share=share))
    d = result.distribution
    print(t("cli.coverage.time", lang, median=d["median"], p90=d["p90"], gini=result.equity["gini"]))
    if args.out:
        print(t("cli.details_in", lang, path=args.out))
    return 0
