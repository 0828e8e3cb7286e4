"""``siting facilities``: a validated facility table from an OSM file, an Amap/Baidu export or a planner's table."""

from __future__ import annotations

import argparse
from typing import Any

from siting.cli.common import add_lang_option, print_json

#: Columns of the written table, in this order (the others the source had follow).
TABLE_COLUMNS = ["id", "name", "type", "category", "level", "category_reason", "category_assumed", "speciality",
                 "beds", "nursing_beds", "places", "owner", "owner_kind", "has_clinic", "tier", "county", "unit",
                 "address", "lon", "lat"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "facilities",
        help="extract or import facilities (OSM file, Amap/Baidu POI export, a planner's table) into a checked table",
        description=(
            "Reads facilities from an OpenStreetMap file, an Amap (高德) or Baidu (百度) POI export, or a planner's "
            "table (CSV in UTF-8 or GBK, .xlsx; Chinese headers), classifies hospitals (general, tcm, maternity, "
            "specialist, primary, other; level; the reason: which tag, provider code or part of the name) and "
            "writes one facility table that siting check, place and score read. Coordinates are written in WGS84."
        ),
    )
    p.add_argument("source", help="OSM file (.osm.pbf, .osm, .osm.bz2), amap:FILE, baidu:FILE, or a table "
                                  "(book.xlsx#Sheet names a sheet)")
    p.add_argument("--from", dest="kind", choices=("osm", "amap", "baidu", "table"),
                   help="what the source is (default: from an osm:/amap:/baidu: prefix or the file name)")
    p.add_argument("--type", help="keep only this facility type (e.g. hospital)")
    p.add_argument("--crs", default="wgs84", choices=("wgs84", "gcj02", "bd09"),
                   help="coordinates of a planner's table (an export's are its provider's: Amap GCJ-02, Baidu BD-09)")
    p.add_argument("--out", metavar="F.csv", help="write the table: .csv (UTF-8 with BOM, for Excel) or .xlsx")
    p.add_argument("--json", action="store_true", help="print a summary as JSON")
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siting.i18n import label, t, translate_text
    from siting.inputs.sources import InventorySource, parse_source
    from siting.io import write_table
    from siting.osm.inventory import read_inventory

    src = parse_source(args.source)
    if args.kind:
        src = InventorySource(args.kind, src.path)
    frame = read_inventory(src, crs=args.crs)
    if args.type:
        frame = frame[frame["type"] == args.type].reset_index(drop=True)
    summary = facility_summary(frame, src.label())
    if args.out:
        summary["written"] = str(write_table(args.out, facility_table(frame), sheet="facilities"))
    if args.json:
        print_json(summary)
        return 0
    lang = args.lang or "en"
    for note in summary["notes"]:
        print(translate_text(note, lang))
    by_type = ", ".join(f"{label('type', k, lang)} {v}" for k, v in summary["by_type"].items())
    print(t("cli.facilities.summary", lang, n=summary["facilities"], source=summary["source"], by_type=by_type))
    if summary["hospitals_by_category"]:
        print(t("cli.facilities.hospitals", lang, by_category=", ".join(
            f"{label('category', k, lang)} {v}" for k, v in summary["hospitals_by_category"].items())))
    if args.out:
        print(t("cli.wrote", lang, what="facilities", path=summary["written"]))
    return 0


def facility_summary(frame: Any, source: str) -> dict[str, Any]:
    """Counts by type and hospital category, hospitals assumed general, and the reader's notes."""
    hospitals = frame[frame["type"] == "hospital"]
    return {
        "source": source,
        "facilities": int(len(frame)),
        "by_type": {str(k): int(v) for k, v in frame["type"].value_counts().sort_index().items()},
        "hospitals_by_category": {str(k): int(v) for k, v in hospitals["category"].value_counts().sort_index().items()},
        "hospitals_assumed_general": int(hospitals["category_assumed"].sum()),
        "notes": list(frame.attrs.get("notes", [])),
    }


def facility_table(frame: Any) -> Any:
    """The table to write: :data:`TABLE_COLUMNS` first, yes/no as words, empty cells for unknowns."""
    import pandas as pd

    out = frame.copy()
    out["has_clinic"] = out["has_clinic"].map(lambda v: "" if pd.isna(v) else ("yes" if v else "no"))
    out["category_assumed"] = [("yes" if a else "no") if kind == "hospital" else ""
                               for a, kind in zip(out["category_assumed"], out["type"])]
    for column in ("lon", "lat"):
        out[column] = out[column].map(lambda v: f"{v:.7f}")
    first = [c for c in TABLE_COLUMNS if c in out.columns]
    return out[first + [c for c in out.columns if c not in first and c not in ("lon_input", "lat_input")]]
