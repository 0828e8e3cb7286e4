"""``siting score``: score candidate sites (coverage gain, hospital distance, rules, accessibility, rank)."""

from __future__ import annotations

import argparse

from siting.cli.common import add_lang_option, resolve_lang


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "score",
        help="score candidate sites: coverage gain, hospital distance, rule compliance, accessibility change, rank",
        description=(
            "Scores every row of a candidate CSV (id,lon,lat and optional type, name, owner_kind, capacity) against "
            "the scenario's existing facilities, demand, hospitals and rules. Bad rows (non-numeric or missing "
            "coordinates, unknown type, outside the area) are reported with file, row and field, and skipped."
        ),
    )
    p.add_argument("--scenario", required=True, metavar="S.yaml", help="scenario file")
    p.add_argument("--candidates", required=True, metavar="C.csv", help="candidate sites: id,lon,lat[,type,name,owner_kind,capacity]")
    p.add_argument("--osm", metavar="FILE", help="OSM extract for the road network (default: the scenario's)")
    p.add_argument("--hospitals", metavar="H.csv", help="hospitals file (default: the scenario's)")
    p.add_argument("--facilities", metavar="F.csv", help="existing facilities (default: the scenario's)")
    p.add_argument("--minutes", type=float, help="threshold T in minutes (default: the scenario's)")
    p.add_argument("--type", default="elderly", help="type of rows without one (default elderly)")
    p.add_argument("--distance", choices=["straight_line", "network"], help="judge the 5 km hospital rule on this distance")
    p.add_argument("--out", metavar="FILE", help="write the scores (.csv in UTF-8 with BOM, .xlsx, or .json for the JSON document)")
    p.add_argument("--json", action="store_true", help="print the JSON document (candidates, skipped, not_evaluated)")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siting.cli.common import print_json, warn
    from siting.i18n import label, t, translate_text
    from siting.io import write_json, write_table
    from siting.planning.scoring import score_candidates, score_json

    frame = score_candidates(args.scenario, args.candidates, osm=args.osm, hospitals=args.hospitals,
                             facilities=args.facilities, minutes=args.minutes, distance=args.distance,
                             default_type=args.type)
    doc = score_json(frame)
    if args.out:
        if str(args.out).lower().endswith(".json"):
            write_json(args.out, doc)
        else:
            write_table(args.out, frame, sheet="scores")
    if args.json:
        print_json(doc)
        return 0
    lang = resolve_lang(args)
    for s in doc["skipped"]:
        warn(t("cli.skipped", lang, file=s["file"], row=s["row"], field=s["field"], reason=translate_text(s["reason"], lang)), lang)
    for r in doc["candidates"]:
        gain = t("cli.score.gain_na", lang) if r["gain"] is None else t("cli.score.gain", lang, gain=f"{r['gain']:,.0f}",
                                                                          group=r["group"])
        hosp = "" if r["hospital_straight_km"] is None else t("cli.score.hospital", lang, km=f"{r['hospital_straight_km']:.2f}")
        rule = f"{r['hospital_rule'] or t('cli.hospital_rule', lang)} {label('status', r['hospital_rule_status'], lang)}"
        print(t("cli.score.line", lang, rank=f"{r['rank']:>3}", id=r["id"], type=label("type", r["type"], lang), gain=gain,
                hospital=hosp, rule=rule))
    for line in doc["not_evaluated"]:
        print(t("cli.not_evaluated", lang, what=translate_text(line, lang)))
    return 0
