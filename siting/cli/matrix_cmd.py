"""``siting matrix``: origin-destination travel times within a cutoff."""

from __future__ import annotations

import argparse

from siting.cli.common import add_crs_option, add_network_options, network_from_args, print_json, warn
from siting.units import DEFAULT_SNAP_TOLERANCE_M


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("matrix", help="travel times between two point sets (long format, pairs within a cutoff)")
    add_network_options(p)
    p.add_argument("--origins", required=True, help="CSV with columns id,lon,lat")
    p.add_argument("--destinations", required=True, help="CSV with columns id,lon,lat")
    p.add_argument("--cutoff-min", type=float, default=None, help="keep pairs within this many minutes (default: all)")
    p.add_argument("--weight", choices=["time", "length"], default="time", help="what the shortest path minimises")
    p.add_argument("--snap-tolerance", type=float, default=DEFAULT_SNAP_TOLERANCE_M, metavar="M", help="flag points farther than this from the network")
    add_crs_option(p)
    p.add_argument(
        "--out",
        required=True,
        help="output CSV: origin_id,destination_id,travel_time_s,length_m (the points' snap distances go to OUT_snap.csv)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from siting.errors import SitingError
    from siting.io import read_points, write_csv
    from siting.routing.engine import od_matrix
    from siting.routing.snap import describe_problems, snap_frame

    out = Path(args.out)
    for given in (args.origins, args.destinations):
        if Path(given).exists() and out.resolve() == Path(given).resolve():
            raise SitingError(f"{out}: refusing to overwrite an input file; choose another --out")
    origins = read_points(args.origins, args.crs, "origins file")
    destinations = read_points(args.destinations, args.crs, "destinations file")
    net = network_from_args(args)
    o = snap_frame(net, origins, args.snap_tolerance)
    d = snap_frame(net, destinations, args.snap_tolerance)
    problems = [f"origins: {t}" for t in describe_problems(o)] + [f"destinations: {t}" for t in describe_problems(d)]
    for text in problems:
        warn(text)
    if o["outside_extent"].all() or d["outside_extent"].all():
        which, path = ("origins", args.origins) if o["outside_extent"].all() else ("destinations", args.destinations)
        raise SitingError(
            f"{path}: every point in the {which} file lies outside the network's extent; check the file, its --crs, "
            "and whether lon and lat are swapped"
        )
    cutoff = np.inf if args.cutoff_min is None else args.cutoff_min * (60.0 if args.weight == "time" else 1.0)
    if args.weight == "length" and args.cutoff_min is not None:
        raise SitingError("--cutoff-min applies to --weight time; for lengths use --weight time or no cutoff")
    pairs = od_matrix(net, o["node"].to_numpy(), d["node"].to_numpy(), cutoff, weight=args.weight)
    table = pd.DataFrame(
        {
            "origin_id": o["id"].to_numpy()[pairs["origin"].to_numpy()],
            "destination_id": d["id"].to_numpy()[pairs["destination"].to_numpy()],
            "travel_time_s": pairs["time_s"].round(3),
            "length_m": pairs["length_m"].round(3),
        }
    )
    write_csv(out, table)
    # Every input point with its snap: nothing is dropped silently, far points stay visible.
    snap_columns = ["id", "lon", "lat", "node", "snap_m", "beyond_tolerance", "outside_extent", "swapped"]
    snapped = pd.concat(
        [o[snap_columns].assign(role="origin"), d[snap_columns].assign(role="destination")], ignore_index=True
    )
    snap_path = out.with_name(out.stem + "_snap.csv")
    write_csv(snap_path, snapped[["role", *snap_columns]].round({"snap_m": 2}))
    summary = {
        "origins": len(o),
        "destinations": len(d),
        "pairs": len(table),
        "cutoff_min": args.cutoff_min,
        "weight": args.weight,
        "out": str(out),
        "snap_out": str(snap_path),
        "network": net.summary() | {"speeds": None},
        "snap": {
            "max_m": float(np.nanmax(np.concatenate([o["snap_m"], d["snap_m"]]))),
            "beyond_tolerance": int(o["beyond_tolerance"].sum() + d["beyond_tolerance"].sum()),
        },
        "warnings": problems,
    }
    if args.json:
        print_json(summary)
    else:
        print(f"{len(table):,} origin-destination pairs written to {out}")
    return 0
