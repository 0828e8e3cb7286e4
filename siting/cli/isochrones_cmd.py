"""``siting isochrones``: walk/bike/drive service-circle polygons around facilities."""

from __future__ import annotations

import argparse

from siting.cli.common import add_crs_option, add_network_options


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "isochrones",
        help="service-circle polygons (5/10/15 minutes) around facilities, following the streets",
        description=(
            "Polygons of the streets reachable from each facility within each threshold: reached street "
            "segments (including the reachable part of cut segments) buffered, small enclosed blocks filled, "
            "smaller thresholds nested inside larger ones. Facility CSV: id,name,type,lon,lat[,...]."
        ),
    )
    add_network_options(p)
    p.add_argument("--facilities", required=True, metavar="F.csv", help="facilities: id,name,type,...,lon,lat")
    p.add_argument("--type", default=None, help="only facilities of this type (default: all)")
    p.add_argument("--minutes", default="5,10,15", help="thresholds in minutes (default 5,10,15)")
    p.add_argument("--rings", action="store_true", help="rings between thresholds (10-15) instead of disks (0-15)")
    p.add_argument("--buffer-m", type=float, default=None, metavar="M", help="street buffer half-width (default 25 m)")
    p.add_argument("--fill-holes-m2", type=float, default=None, metavar="M2",
                   help="fill enclosed holes up to this area (default 20000 m²; 0 keeps all holes)")
    p.add_argument("--union-out", metavar="FILE", help="also write the union per facility type and threshold")
    add_crs_option(p)
    p.add_argument("--out", required=True, metavar="FILE", help="output .geojson or .gpkg")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from siting.analysis.coverage import select_facilities
    from siting.analysis.isochrones import DEFAULT_BUFFER_M, DEFAULT_FILL_HOLES_M2, isochrones, union_by_type
    from siting.cli.common import network_from_args, print_json, warn
    from siting.errors import SitingError
    from siting.inputs.facilities import read_facilities
    from siting.io import write_geodataframe
    from siting.units import parse_minutes

    minutes = parse_minutes(args.minutes)
    out = Path(args.out)
    inputs = {Path(args.facilities).resolve(), Path(args.source).resolve()}
    for target in [out] + ([Path(args.union_out)] if args.union_out else []):
        if target.resolve() in inputs:
            raise SitingError(f"refusing to overwrite the input {target}; choose another --out")
    facilities = read_facilities(args.facilities, crs=args.crs)
    if args.type:
        facilities = select_facilities(facilities, args.type)
    net = network_from_args(args)
    t0 = time.perf_counter()
    iso = isochrones(
        net, facilities, minutes, rings=args.rings,
        buffer_m=DEFAULT_BUFFER_M if args.buffer_m is None else args.buffer_m,
        fill_holes_m2=DEFAULT_FILL_HOLES_M2 if args.fill_holes_m2 is None else args.fill_holes_m2,
    )
    seconds = time.perf_counter() - t0
    write_geodataframe(out, iso)
    notes = []
    far = iso.drop_duplicates("facility_id")
    far = far[far["beyond_tolerance"]]
    if len(far):
        notes.append(f"{len(far)} facilities are farther than 250 m from the network: "
                     + ", ".join(far["facility_id"].head(5)))
    files = {"isochrones": str(out)}
    if args.union_out:
        if args.rings:
            raise SitingError("--union-out needs disks; drop --rings")
        files["union"] = str(write_geodataframe(args.union_out, union_by_type(iso)))
    summary = {
        "facilities": int(len(facilities)),
        "features": int(len(iso)),
        "mode": net.mode,
        "rings": bool(args.rings),
        "per_threshold": [
            {"minutes": float(m), "mean_area_m2": round(float(g["area_m2"].mean()), 1),
             "mean_quality": round(float(g["quality"].mean()), 4)}
            for m, g in iso.groupby("minutes")
        ],
        "seconds": round(seconds, 3),
        "files": files,
        "warnings": notes,
    }
    if args.json:
        print_json(summary)
    else:
        for n in notes:
            warn(n)
        print(f"wrote {len(iso)} polygons for {len(facilities)} facilities to {out} in {seconds:.1f} s")
    return 0
