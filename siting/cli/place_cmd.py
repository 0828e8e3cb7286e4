"""``siting place``: choose a site for every planned project of a scenario, within its region and rules."""

from __future__ import annotations

import argparse
from typing import Any

from siting.cli.common import add_lang_option, resolve_lang


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "place",
        help="place the scenario's planned projects (region, hospital rule, coverage before/after, map)",
        description=(
            "One row per planned project: the chosen site (lon, lat) and how it was chosen, the stated location "
            "precision, coverage of the target group (60+ or 0-3) within T minutes before and after, capacity "
            "against the demand within T, the distance to the nearest general hospital (straight line, and by road "
            "with a network) and the rule status (A4 and the region). Without a road network the sites stay at "
            "their stated points (or the nearest eligible candidate) and the output says what was not evaluated."
        ),
    )
    p.add_argument("--scenario", required=True, metavar="S.yaml", help="scenario file (projects, boundaries, rules, ...)")
    p.add_argument("--osm", metavar="FILE", help="OSM extract for the road network (default: the scenario's network.source)")
    p.add_argument("--hospitals", metavar="H.csv", help="hospitals file (default: the scenario's)")
    p.add_argument("--facilities", metavar="F.csv", help="existing facilities (default: the scenario's)")
    p.add_argument("--candidates", metavar="C.csv", help="candidate sites id,lon,lat (default: a grid in each region)")
    p.add_argument("--candidates-from", choices=["osm", "grid", "table"],
                   help="candidate sites: OSM public/vacant/commercial buildings and land (from --osm or the "
                        "network source), a grid, or the --candidates table (default: table if given, else grid)")
    p.add_argument("--candidate-kinds", metavar="K,K", help="with --candidates-from osm: which of "
                   "public,vacant,commercial (default all)")
    p.add_argument("--distance", choices=["straight_line", "network"], help="judge the 5 km hospital rule on this distance")
    p.add_argument("--grid-m", type=float, help="smallest grid spacing in metres (default: auto, ~400 points per region)")
    p.add_argument("--town-radius-m", type=float, help="radius around a town point a town project may use (3000)")
    p.add_argument("--time-limit", type=float, help="seconds per MIP solve (30)")
    p.add_argument("--out", metavar="DIR", help="write placed.csv, placed.json, placed_sites.geojson and placed_map.html")
    p.add_argument("--offline", action="store_true", help="make the HTML map work without internet")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siting.cli.common import print_json
    from siting.maps.placement import write_placement
    from siting.planning.place import place_projects

    kinds = tuple(k.strip() for k in args.candidate_kinds.split(",") if k.strip()) if args.candidate_kinds else None
    result = place_projects(args.scenario, osm=args.osm, hospitals=args.hospitals, facilities=args.facilities,
                            candidates=args.candidates, candidates_from=args.candidates_from,
                            candidate_kinds=kinds, distance=args.distance, grid_m=args.grid_m,
                            town_radius_m=args.town_radius_m, time_limit=args.time_limit)
    doc = result.to_dict()
    if args.out:
        doc["files"] = write_placement(result, args.out, offline=args.offline, lang=resolve_lang(args))
    if args.json:
        print_json(doc)
        return 0
    print_placement(result, resolve_lang(args), args.out)
    return 0


def print_placement(result: Any, lang: str, out: str | None) -> None:
    """One line per project, then what was not evaluated."""
    from siting.cli.common import warn
    from siting.i18n import label, t, translate_text

    for line in result.notes:
        warn(translate_text(line, lang), lang)
    for r in result.table.to_dict(orient="records"):
        where = "" if r["lon"] != r["lon"] else t("cli.place.where", lang, lon=f"{r['lon']:.6f}", lat=f"{r['lat']:.6f}",
                                                   precision=r["chosen_precision"])
        cov = "" if r["covered_after"] != r["covered_after"] else t(
            "cli.place.coverage", lang, group=r["group"], minutes=f"{r['minutes']:g}",
            before=f"{r['covered_before']:,.0f}", after=f"{r['covered_after']:,.0f}")
        hosp = "" if r["hospital_straight_km"] != r["hospital_straight_km"] else \
            t("cli.place.hospital", lang, km=f"{r['hospital_straight_km']:.2f}")
        print(t("cli.place.line", lang, id=r["id"], name=r["name"], where=where, how=translate_text(r["how_chosen"], lang),
                coverage=cov, hospital=hosp, rule=r["hospital_rule"] or t("cli.hospital_rule", lang),
                status=label("status", r["hospital_rule_status"], lang), region=translate_text(r["region_status"], lang)))
    for line in result.not_evaluated:
        print(t("cli.not_evaluated", lang, what=translate_text(line, lang)))
    if out:
        print(t("cli.outputs_in", lang, path=out))
