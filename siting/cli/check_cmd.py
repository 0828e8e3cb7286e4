"""``siting check``: check facilities and plans against a rule pack and write the compliance report."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from siting.cli.common import add_lang_option, resolve_lang, warn


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="check a plan or facility list against a rule pack (Qinzhou, Guangxi, Jingdezhen, GB 50180)",
        description=(
            "Check facilities (and a plan's projects and baselines) against a rule pack. Every rule gets "
            "pass, fail or not_evaluable (with the missing input named). Exit status is 0 even when rules fail."
        ),
    )
    p.add_argument("--rules", help="pack: qinzhou, guangxi, jingdezhen, gb50180 or PATH.yaml (default: the scenario's)")
    p.add_argument("--scenario", help="scenario YAML naming all inputs (options below override it)")
    p.add_argument("--facilities", help="facility table (CSV in UTF-8 or GBK, .xlsx[#Sheet]; Chinese headers accepted): "
                   "id,name,type,beds,places,owner,has_clinic,lon,lat[,category,level,...]; or osm:FILE, amap:FILE, baidu:FILE")
    p.add_argument("--hospitals", help="hospital table (same columns; type defaults to hospital), or an OSM file, "
                   "amap:FILE or baidu:FILE (a POI export)")
    p.add_argument("--projects", help="planned-projects CSV (id,name,type,county,beds,nursing_beds,places,owner,owner_kind,lon,lat)")
    p.add_argument("--osm", help="OSM file (.osm.pbf/.osm/.osm.bz2) for road distances and service circles")
    p.add_argument("--units", help="administrative units: GeoJSON polygons (or a units CSV table)")
    p.add_argument("--demand", metavar="FILE", help="demand for the service-circle rules: population raster or points table")
    p.add_argument("--population", type=float, metavar="N", help="demand as one census total spread over the OSM homes")
    p.add_argument("--crs", default=None, choices=["wgs84", "gcj02", "bd09"], help="coordinates of the CSV inputs")
    p.add_argument("--only", help="comma-separated rule ids to run (e.g. A4,A5)")
    p.add_argument("--out", help="folder for compliance.json/.csv/.md/.html and the violations CSV "
                   "(or a .xlsx file: one workbook with the rules, violations and details)")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from siting.errors import SitingError
    from siting.inputs.scenario import DemandSpec
    from siting.rules import check

    if not args.scenario and not args.rules:
        raise SitingError("give --rules qinzhou|guangxi|jingdezhen|gb50180|PATH.yaml or --scenario S.yaml")
    overrides: dict[str, Any] = {
        "facilities": args.facilities, "hospitals": args.hospitals, "projects": args.projects, "osm": args.osm,
    }
    if args.demand:
        overrides["demand"] = DemandSpec(file=Path(args.demand).resolve())
    elif args.population is not None:
        overrides["demand"] = DemandSpec(population=args.population)
    if args.crs:
        overrides["crs"] = args.crs
    if args.units:
        key = "units" if args.units.lower().endswith(".csv") else "unit_boundaries"
        overrides[key] = args.units
    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else None
    report = check(args.scenario, rules=args.rules, only=only, **overrides)
    out = args.out
    if out is None and args.scenario:
        from siting.inputs.scenario import load_scenario

        sc = load_scenario(args.scenario)
        out = str(sc.out) if sc.out else None
    lang = resolve_lang(args)
    written = report.write(Path(out), lang=lang) if out else {}
    if args.json:
        payload = report.to_json(lang)
        if written:
            payload["written"] = {k: str(v) for k, v in written.items()}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print_report(report, written, lang)
    return 0


def print_report(report: Any, written: dict[str, Any], lang: str) -> None:
    """The check's summary on stdout (notes on how inputs were read go to stderr)."""
    from siting.i18n import label, t, translate_text

    for key, value in report.inputs.items():
        if key.endswith("(read as)"):
            warn(t("cli.input_note", lang, what=label("input", key, lang), note=translate_text(value, lang)), lang)
    frame = report.to_frame(lang)
    c = report.counts()
    summary = t("status.summary", lang, passed=c["pass"], failed=c["fail"], not_evaluable=c["not_evaluable"])
    print(t("cli.check.head", lang, title=report.title_in(lang), summary=summary))
    for row, result in zip(frame.itertuples(), report.results):
        # the frame keeps the figures' codes (tables); a Chinese reader gets their names
        extra = str(row.reason or (result.figures_in(lang) if lang == "zh" else row.figures))
        print(f"  {row.rule:<10} {label('status', row.status, lang):<14} {row.title}" + (f"\n             {extra}" if extra else ""))
    for kind, path in written.items():
        print(t("cli.wrote", lang, what=kind, path=path))
