"""The ``allocate`` kind: a location-allocation model (:mod:`siting.allocation`) on network travel times.

Demand points (a table, or every N-th network node) and candidate sites are
snapped to the network, their travel times make the cost matrix, and the
model named in the job chooses sites. Jobs that differ only in the model or
``p`` share one cost matrix on a worker (:data:`siting.batch.caches.COST_MATRICES`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from siting.allocation.catalogue import MODEL_NAMES, model_arguments, model_info
from siting.batch.caches import COST_MATRICES, get_network, input_key, network_spec
from siting.batch.kinds.common import (
    NETWORK_PARAMS,
    check_network,
    drop_timings,
    job_network,
    network_facts,
    not_positive,
    read_job_points,
)
from siting.batch.registry import register_kind
from siting.units import DEFAULT_SNAP_TOLERANCE_M

#: Models a batch job can run: all of them (capacitated ones take the candidates' ``capacity`` column).
BATCH_MODELS: tuple[str, ...] = MODEL_NAMES
#: The model options a job may give besides p and minutes, as :func:`model_arguments` names them.
MODEL_OPTIONS: tuple[str, ...] = ("share", "module_size", "max_modules", "module_budget", "single_source",
                                  "cost_weight")


def check_allocate(params: dict[str, Any]) -> None:
    check_network(params)
    model = params.get("model")
    if model not in BATCH_MODELS:
        raise ValueError(f"model '{model}' is not one of {', '.join(BATCH_MODELS)}")
    if (params.get("demand") is None) == (params.get("demand_nodes") is None):
        raise ValueError("give demand (a CSV id,lon,lat[,weight] or a list) or demand_nodes (every N-th node), "
                         "one of the two")
    n = params.get("demand_nodes")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ValueError(f"demand_nodes must be a whole number >= 1, not {n!r}")
    info = model_info(str(model))
    if info.needs_p:
        p = params.get("p")
        if not isinstance(p, int) or isinstance(p, bool) or p < 1:
            raise ValueError(f"model {model} needs p, the number of sites to open (a whole number >= 1), not {p!r}")
    if info.needs_cutoff and not_positive(params.get("minutes")):
        raise ValueError(f"model {model} needs minutes, the time that counts as covered, not {params.get('minutes')!r}")
    if params.get("method") not in ("auto", "mip", "heuristic"):
        raise ValueError(f"method must be auto, mip or heuristic, not {params.get('method')!r}")
    if params.get("single_source") not in (None, True, False):
        raise ValueError(f"single_source must be true or false, not {params.get('single_source')!r}")
    model_params(params, capacitated=False)


def model_params(params: dict[str, Any], *, capacitated: bool) -> dict[str, Any]:
    """The model's arguments from the job (a ValueError naming the option when one is missing or does not apply)."""
    from siting.errors import SitingError

    cutoff = None if params.get("minutes") is None else float(params["minutes"]) * 60.0
    options = {k: params[k] for k in MODEL_OPTIONS if params.get(k) is not None}
    try:
        return model_arguments(str(params["model"]), p=params.get("p"), cutoff=cutoff, capacitated=capacitated,
                               **options)
    except SitingError as exc:  # in the job's words
        raise ValueError(f"{exc} (job options: p, minutes, {', '.join(MODEL_OPTIONS)})") from None


def demand_points(params: dict[str, Any], net: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The demand points (``id, lon, lat``) and their weights: a table's, or unit weights on every N-th node."""
    from siting.io import numeric_column

    if params.get("demand_nodes") is not None:
        idx = np.arange(0, net.n_nodes, int(params["demand_nodes"]))
        demand = pd.DataFrame({"id": [f"node{int(net.node_osmid[i])}" for i in idx], "lon": net.lon[idx],
                               "lat": net.lat[idx]})
    else:
        demand = read_job_points(params["demand"], crs=str(params["crs"]), what="demand")
    weights = (numeric_column(demand, "weight", demand.attrs.get("source", "demand"), minimum=0)
               if "weight" in demand.columns else np.ones(len(demand)))
    return demand, weights


def candidate_columns(candidates: pd.DataFrame) -> dict[str, Any]:
    """The candidates' optional ``fixed``, ``eligible`` and ``capacity`` columns, parsed (None when absent)."""
    from siting.io import numeric_column
    from siting.io.values import yes_no_column

    source = candidates.attrs.get("source", "candidates")
    columns = candidates.columns
    return {
        "fixed": yes_no_column(candidates, "fixed", source, default=False) if "fixed" in columns else None,
        "eligible": yes_no_column(candidates, "eligible", source, default=True) if "eligible" in columns else None,
        "capacity": (numeric_column(candidates, "capacity", source, required=False, minimum=0)
                     if "capacity" in columns else None),
    }


def allocation_problem(params: dict[str, Any], net: Any, demand: pd.DataFrame, weights: np.ndarray,
                       candidates: pd.DataFrame, search_cutoff: float) -> Any:
    """The allocation problem (cost matrix) of the job, shared with the jobs that differ only in the model or p."""
    import geopandas as gpd

    from siting.allocation.problem import problem_from_geodataframes

    def layer(frame: pd.DataFrame, **columns: Any) -> gpd.GeoDataFrame:
        data = {"id": frame["id"].astype(str).to_numpy(), **{k: v for k, v in columns.items() if v is not None}}
        return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)

    def build() -> Any:
        flags = candidate_columns(candidates)
        return problem_from_geodataframes(
            layer(demand, weight=weights), layer(candidates, **flags),
            net, weight_col="weight", demand_id_col="id", candidate_id_col="id",
            fixed_col="fixed" if flags["fixed"] is not None else None,
            eligible_col="eligible" if flags["eligible"] is not None else None,
            capacity_col="capacity" if flags["capacity"] is not None else None,
            search_cutoff=search_cutoff, tolerance_m=float(params["snap_tolerance_m"]),
        )

    key: Hashable = (network_spec(params), input_key(params.get("demand")), params.get("demand_nodes"),
                     input_key(params["candidates"]), str(params["crs"]), search_cutoff,
                     float(params["snap_tolerance_m"]))
    return COST_MATRICES.get(key, build)


@register_kind(
    "allocate",
    required=("network", "candidates", "model"),
    optional={**NETWORK_PARAMS, "demand": None, "demand_nodes": None, "p": None, "minutes": None, "crs": "wgs84",
              "snap_tolerance_m": DEFAULT_SNAP_TOLERANCE_M, "method": "auto", "time_limit": 60.0,
              **{k: None for k in MODEL_OPTIONS}},
    paths=("network", "demand", "candidates"),
    slug=("network", "mode", "model", "p", "minutes"),
    networks=job_network,
    check=check_allocate,
)
def allocate_job(params: dict[str, Any]) -> dict[str, Any]:
    """Choose sites among candidates with a location-allocation model on network travel times.

    ``demand`` is a CSV (``id,lon,lat`` and optional ``weight``) or an inline
    list; ``demand_nodes: N`` puts unit demand on every N-th network node
    instead. ``candidates`` is a CSV (``id,lon,lat`` and optional ``fixed``,
    ``eligible``, ``capacity``) or a list. ``model`` is any of
    :data:`BATCH_MODELS` (:mod:`siting.allocation`), with ``p`` sites and
    ``minutes`` as the coverage time; the capacitated models (cmclp,
    cpmedian, a capacitated target) read the candidates' ``capacity``
    (places, beds) and take ``single_source``, ``cost_weight``,
    ``module_size``, ``max_modules``, ``module_budget``; ``target`` takes
    ``share``. A demand point's weight is also what it takes of a site's
    capacity. The result is the solver's report (status, objective, bound,
    gap, selected ids, coverage) without its wall time.
    """
    net = get_network(params)
    demand, weights = demand_points(params, net)
    candidates = read_job_points(params["candidates"], crs=str(params["crs"]), what="candidates")
    info = model_info(str(params["model"]))
    cutoff = None if params.get("minutes") is None else float(params["minutes"]) * 60.0
    arguments = model_params(params, capacitated="capacity" in candidates.columns)
    search_cutoff = cutoff if cutoff is not None and info.needs_cutoff else np.inf
    problem = allocation_problem(params, net, demand, weights, candidates, search_cutoff)
    result = info.model_class()(problem, **arguments).solve(time_limit=float(params["time_limit"]),
                                                            method=str(params["method"]))
    out = drop_timings(result.to_dict(assignment=False))
    out["n_demand"] = len(demand)
    out["n_candidates"] = len(candidates)
    out["network"] = network_facts(net)
    return out
