"""``siting allocate``: solve a location-allocation model from a precomputed cost matrix."""

from __future__ import annotations

import argparse
from typing import Any

from siting.allocation.catalogue import MODEL_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "allocate",
        help="solve LSCP / MCLP / p-median / p-center / capacitated models from a cost matrix",
        description=(
            "Choose facility sites from a long-format cost matrix with HiGHS (exact, with a time limit and a "
            "heuristic warm start). Demand CSV: id[,weight,load] (load: what the point takes of its site's capacity, "
            "default its weight). Candidate CSV: id with optional fixed (existing, "
            "always open), eligible, capacity, region. Matrix CSV: origin_id,destination_id,cost (absent "
            "pairs cannot serve each other). Costs are in the matrix's unit; --cutoff uses the same unit."
        ),
    )
    p.add_argument("--model", required=True, choices=MODEL_NAMES,
                   help="lscp: fewest sites covering all; mclp: most demand covered by p sites; pmedian: least "
                        "weighted cost; pcenter: least maximum cost; cmclp: capacitated mclp; cpmedian: "
                        "capacitated assignment; target: fewest sites to reach --share coverage")
    p.add_argument("--demand", required=True, metavar="D.csv",
                   help="demand points: id[,weight,load]; weight weighs costs and coverage, load fills capacity "
                        "(default: the weight)")
    p.add_argument("--candidates", required=True, metavar="C.csv",
                   help="candidate sites: id[,fixed,eligible,capacity,region]")
    p.add_argument("--matrix", required=True, metavar="M.csv", help="costs: origin_id,destination_id,cost")
    p.add_argument("--p", type=int, help="number of new sites (mclp, pmedian, pcenter, cmclp, cpmedian)")
    p.add_argument("--cutoff", type=float, help="largest cost that counts as covered (lscp, mclp, cmclp, target)")
    p.add_argument("--share", type=float, help="coverage to reach for --model target, e.g. 0.9")
    p.add_argument("--module-size", type=float, help="places per module (cmclp, cpmedian, target): modular capacity")
    p.add_argument("--max-modules", type=int, default=None, help="most modules per site (default 10)")
    p.add_argument("--module-budget", type=int, help="most modules in total (cmclp, cpmedian)")
    p.add_argument("--single-source", action="store_true",
                   help="cmclp, cpmedian: each demand point served by exactly one site (default: demand may split)")
    p.add_argument("--cost-weight", choices=["demand", "none"], default=None,
                   help="cpmedian: weigh each cost by the demand weight (default) or not at all (plain costs, "
                        "as in the published capacitated benchmarks)")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="S", help="seconds for the MIP (default 60)")
    p.add_argument("--method", choices=["auto", "mip", "heuristic"], default="auto",
                   help="auto: MIP when small enough, else heuristic alone (default)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--out", metavar="FILE", help="write the full result (with the assignment) as JSON")
    p.set_defaults(func=run)


def _ids(frame: Any, path: str) -> Any:
    from siting.io import id_column

    return id_column(frame, path).to_numpy()


def load_inputs(demand: str, candidates: str, matrix: str) -> dict[str, Any]:
    """Read and check the three CSV files; return keyword arguments for ``from_cost_matrix``."""
    import numpy as np
    import pandas as pd

    from siting.errors import InputError
    from siting.io import numeric_column, read_table, require_columns, require_file
    from siting.io.values import yes_no_column

    d = read_table(demand, "demand file")
    require_columns(d, ["id"], demand)
    if d.empty:
        raise InputError("the file has a header but no rows", path=demand)
    d_ids = _ids(d, demand)
    weights = numeric_column(d, "weight", demand, minimum=0) if "weight" in d.columns else np.ones(len(d))
    load = numeric_column(d, "load", demand, minimum=0) if "load" in d.columns else None
    c = read_table(candidates, "candidate file")
    require_columns(c, ["id"], candidates)
    if c.empty:
        raise InputError("the file has a header but no rows", path=candidates)
    c_ids = _ids(c, candidates)
    capacity = None
    if "capacity" in c.columns:
        capacity = numeric_column(c, "capacity", candidates, required=False, minimum=0)
    region = None
    if "region" in c.columns:
        region = [r if r != "" else None for r in c["region"].astype(str).str.strip()]
    require_file(matrix, "matrix file")
    try:
        mat = pd.read_csv(matrix, dtype={"origin_id": str, "destination_id": str}, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV ({exc})", path=matrix) from exc
    require_columns(mat, ["origin_id", "destination_id", "cost"], matrix)
    return {
        "cost": mat, "weights": weights, "demand_ids": d_ids, "candidate_ids": c_ids,
        "fixed": yes_no_column(c, "fixed", candidates, default=False),
        "eligible": yes_no_column(c, "eligible", candidates, default=True),
        "capacity": capacity, "region": region, "load": load,
    }


def run(args: argparse.Namespace) -> int:
    from siting.allocation.catalogue import model_arguments, model_info
    from siting.allocation.problem import build_problem
    from siting.cli.common import print_json
    from siting.errors import SitingError
    from siting.io import write_json

    inputs = load_inputs(args.demand, args.candidates, args.matrix)
    cost = inputs.pop("cost")
    prob = build_problem(cost, origin_col="origin_id", destination_col="destination_id", cost_col="cost",
                         source=args.matrix, **inputs)
    info = model_info(args.model)
    try:
        params = model_arguments(args.model, p=args.p, cutoff=args.cutoff, share=args.share,
                                 module_size=args.module_size, max_modules=args.max_modules,
                                 module_budget=args.module_budget, capacitated=prob.capacity is not None,
                                 single_source=args.single_source, cost_weight=args.cost_weight)
    except SitingError as exc:  # say it in the command's own words
        raise SitingError(f"{exc} (--p, --cutoff in the matrix's cost unit, --share, --module-size, --single-source, "
                          "--cost-weight)") from None
    result = info.model_class()(prob, **params).solve(time_limit=args.time_limit, method=args.method)
    if args.out:
        write_json(args.out, result.to_dict(assignment=True))
    if args.json:
        print_json(result.to_dict(assignment=False))
    else:
        gap = "n/a" if result.gap is None else f"{100 * result.gap:.3f} %"
        print(f"model      {result.model}")
        how = result.method + (", proven by its bound" if result.details.get("certified_by") else "")
        print(f"status     {result.status} (method: {how})")
        print(f"objective  {result.objective:g}" if result.objective is not None else "objective  n/a")
        print(f"bound      {result.bound:g}" if result.bound is not None else "bound      n/a")
        print(f"gap        {gap}")
        print(f"selected   {len(result.selected)}: {', '.join(result.selected)}")
        cov = result.coverage
        if cov.get("covered_pct") is not None:
            print(f"covered    {cov['covered_weight']:g} of {cov['total_weight']:g} ({cov['covered_pct']:.2f} %)")
        print(f"seconds    {result.seconds:.2f}")
    return 0
