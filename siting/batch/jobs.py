"""The built-in batch job kinds, and the per-worker network cache they share.

Each kind is a plain function ``func(params) -> dict`` registered with
:func:`siting.batch.runner.register_kind`. Networks are the heavy shared input: a
worker keeps the networks it has built in :data:`_NETWORKS`, keyed by source
file, its bytes' hash and the build parameters, so consecutive jobs on the
same network reuse it; :func:`siting.network.load_network` also keeps built
graphs on disk, so another worker on the same machine loads rather than
rebuilds.

Kinds
-----
``network``
    Build a network and report its size.
``access``
    Facilities on a network: per facility, how many network nodes reach it
    within the time limit; overall, the share of nodes within the limit of
    their nearest facility.
``coverage``
    Coverage scores of a facility type for a population group (:mod:`siting.analysis.coverage`).
``isochrones``
    Service-circle polygons per facility and time limit (:mod:`siting.analysis.isochrones`).
``check``
    A scenario's rule checks (:func:`siting.rules.check`).
``score``
    Candidate sites scored against a scenario (:func:`siting.planning.scoring.score_candidates`).
``allocate``
    A location-allocation model (:mod:`siting.allocation`) on network travel
    times between demand points and candidate sites.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.allocation.catalogue import CATALOGUE, model_arguments, model_info
from siting.batch.runner import register_kind
from siting.errors import InputError
from siting.units import DEFAULT_SNAP_TOLERANCE_M, MODES

# ----------------------------------------------------------------------------------------------
# Shared networks (one cache per worker process)

_NETWORKS: OrderedDict[Hashable, Any] = OrderedDict()
_MAX_NETWORKS = int(os.environ.get("SITING_BATCH_NETWORKS", "4"))  # memory bound per worker

NETWORK_PARAMS: dict[str, Any] = {"mode": "walk", "walk_kmh": None, "bike_kmh": None}


def network_spec(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The hashable identity of the network a job needs: (source, size, mtime, mode, speeds)."""
    source = str(params["network"])
    try:
        st = os.stat(source)
        stamp: tuple[int, int] = (st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = (-1, -1)
    return (source, *stamp, params.get("mode", "walk"), params.get("walk_kmh"), params.get("bike_kmh"))


def warm_network(spec: Hashable) -> Any:
    """The network for ``spec``, from this worker's cache or built (and cached on disk)."""
    if spec in _NETWORKS:
        _NETWORKS.move_to_end(spec)
        return _NETWORKS[spec]
    from siting.network import load_network
    from siting.network.speeds import SpeedProfile

    parts: tuple[Any, ...] = tuple(spec)  # type: ignore[arg-type]
    source, _, _, mode, walk_kmh, bike_kmh = parts
    net = load_network(source, mode, SpeedProfile.with_speeds(walk_kmh, bike_kmh))
    _NETWORKS[spec] = net
    while len(_NETWORKS) > max(1, _MAX_NETWORKS):
        _NETWORKS.popitem(last=False)
    return net


def get_network(params: Mapping[str, Any]) -> Any:
    """The network of a job's parameters (``network``, ``mode``, ``walk_kmh``, ``bike_kmh``)."""
    return warm_network(network_spec(params))


def _networks(params: dict[str, Any]) -> list[Hashable]:
    return [network_spec(params)]


def _check_network(params: dict[str, Any]) -> None:
    if params.get("mode") not in MODES:
        raise ValueError(f"mode '{params.get('mode')}' is not one of {', '.join(MODES)}")
    for key in ("walk_kmh", "bike_kmh"):
        value = params.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value <= 0):
            raise ValueError(f"{key} must be a positive number of km/h, not {value!r}")


def network_facts(net: Any) -> dict[str, Any]:
    """Size of a network, without anything that depends on where or when it was built."""
    return {
        "mode": net.mode,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "length_km": float(net.length_m.sum()) / 1000.0,
        "crs": net.crs,
    }


# ----------------------------------------------------------------------------------------------
# Facilities


def read_job_points(value: Any, crs: str = "wgs84", what: str = "facilities") -> pd.DataFrame:
    """Points given as a CSV path (``id,lon,lat``) or inline as a list of ``{id, lon, lat}``."""
    from siting.coords import to_wgs84
    from siting.io import read_points

    if isinstance(value, str):
        return read_points(value, crs=crs, what=f"{what} file")
    if not isinstance(value, list) or not value:
        raise InputError(f"'{what}' must be a CSV path or a non-empty list of {{id, lon, lat}}", field=what)
    rows = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InputError(f"each entry must be a mapping {{id, lon, lat}}, not {item!r}", field=f"{what}[{i}]")
        for key in ("lon", "lat"):
            v = item.get(key)
            if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v):
                raise InputError(f"'{key}' must be a number, not {v!r}", field=f"{what}[{i}].{key}")
        if abs(item["lat"]) > 90 or abs(item["lon"]) > 180:
            raise InputError("coordinates are outside lon -180..180, lat -90..90", field=f"{what}[{i}]")
        rows.append({"id": str(item.get("id", i + 1)), "lon": float(item["lon"]), "lat": float(item["lat"])})
    frame = pd.DataFrame(rows)
    dup = frame["id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"id '{frame['id'].iloc[i]}' appears more than once", field=f"{what}[{i}].id")
    lon, lat = to_wgs84(frame["lon"].to_numpy(), frame["lat"].to_numpy(), crs)
    frame["lon"], frame["lat"] = lon, lat
    return frame


def _check_access(params: dict[str, Any]) -> None:
    _check_network(params)
    minutes = params.get("minutes")
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes <= 0:
        raise ValueError(f"minutes must be a positive number, not {minutes!r}")
    if params.get("direction") not in ("to_facility", "from_facility"):
        raise ValueError(f"direction must be to_facility or from_facility, not {params.get('direction')!r}")
    facilities = params.get("facilities")
    if not isinstance(facilities, str | list):
        raise ValueError("facilities must be a CSV path or a list of {id, lon, lat}")


# ----------------------------------------------------------------------------------------------
# Kinds


@register_kind(
    "network",
    required=("network",),
    optional=NETWORK_PARAMS,
    paths=("network",),
    slug=("network", "mode"),
    networks=_networks,
    check=_check_network,
)
def network_job(params: dict[str, Any]) -> dict[str, Any]:
    """Build a network and report its size and road lengths by highway class."""
    net = get_network(params)
    by_class = pd.Series(net.length_m).groupby(np.asarray(net.highway, dtype=str)).sum() / 1000.0
    return {
        "network": network_facts(net),
        "length_km_by_highway": {str(k): float(v) for k, v in by_class.sort_index().items()},
        "dropped_nodes": int(net.info.get("dropped_nodes", 0)),
        "dropped_edges": int(net.info.get("dropped_edges", 0)),
    }


@register_kind(
    "access",
    required=("network", "facilities", "minutes"),
    optional={**NETWORK_PARAMS, "crs": "wgs84", "snap_tolerance_m": DEFAULT_SNAP_TOLERANCE_M, "direction": "to_facility"},
    paths=("network", "facilities"),
    slug=("network", "mode", "minutes"),
    networks=_networks,
    check=_check_access,
)
def access_job(params: dict[str, Any]) -> dict[str, Any]:
    """Travel-time access to facilities within ``minutes`` on a network.

    Per facility: its snapped node, snap distance and the number of network
    nodes within the limit of it. Overall: the nodes within the limit of their
    nearest facility, their share of all nodes, and the median and 90th
    percentile time to the nearest facility over the nodes that reach one.
    ``direction`` 'to_facility' (default) measures the trip from each node to
    the facility, which differs from the reverse trip on one-way streets.
    """
    from siting.routing.engine import nearest, reach
    from siting.routing.snap import snap

    net = get_network(params)
    points = read_job_points(params["facilities"], crs=str(params["crs"]))
    snapped = snap(net, points["lon"].to_numpy(), points["lat"].to_numpy(), float(params["snap_tolerance_m"]))
    nodes = snapped["node"].to_numpy(np.int64)
    cutoff = float(params["minutes"]) * 60.0
    reverse = params["direction"] == "to_facility"
    # One worker thread: the batch already runs one job per core.
    reached = reach(net, nodes, cutoff, weight="time", reverse=reverse, threads=1)
    counts = np.bincount(reached["source"].to_numpy(np.int64), minlength=len(nodes))
    cost, _ = nearest(net, nodes, weight="time", reverse=reverse)
    finite = cost[np.isfinite(cost)]
    within = int((cost <= cutoff).sum())
    facilities = [
        {
            "id": str(fid),
            "node": int(node),
            "node_osmid": int(net.node_osmid[node]),
            "snap_m": float(snap_m),
            "beyond_tolerance": bool(beyond),
            "reached_nodes": int(count),
        }
        for fid, node, snap_m, beyond, count in zip(
            points["id"], nodes, snapped["snap_m"], snapped["beyond_tolerance"], counts
        )
    ]
    return {
        "network": network_facts(net),
        "cutoff_s": cutoff,
        "facilities": facilities,
        "facilities_beyond_tolerance": int(snapped["beyond_tolerance"].sum()),
        "nodes_within": within,
        "share_within": within / net.n_nodes if net.n_nodes else 0.0,
        "nearest_time_s": {
            "median": float(np.median(finite)) if len(finite) else None,
            "p90": float(np.percentile(finite, 90)) if len(finite) else None,
        },
    }


# ----------------------------------------------------------------------------------------------
# Rule checks (siting.rules) on a scenario

_SCENARIO_FILES = ("facilities", "hospitals", "projects", "baselines", "units_boundaries", "units_table",
                   "population", "candidates")


def _scenario_network_specs(params: dict[str, Any]) -> list[Hashable]:
    from siting.inputs.scenario import load_scenario

    sc = load_scenario(params["scenario"])
    source = params.get("network") or sc.network.source
    if source is None or not os.path.exists(source):
        return []
    speeds = {"walk_kmh": sc.network.walk_kmh, "bike_kmh": sc.network.bike_kmh}
    modes = [params.get("mode") or sc.network.mode, sc.network.hospital_mode]
    return [network_spec({"network": str(source), "mode": m, **speeds}) for m in dict.fromkeys(modes)]


def _scenario_inputs(params: dict[str, Any]) -> dict[str, str]:
    """The files a scenario names (their bytes make part of the job id)."""
    from siting.inputs.scenario import load_scenario

    sc = load_scenario(params["scenario"])
    files = {f"scenario.{name}": getattr(sc, name) for name in _SCENARIO_FILES}
    if params.get("network") is None:
        files["scenario.network"] = sc.network.source
    return {k: str(v) for k, v in files.items() if v is not None}


def _check_check(params: dict[str, Any]) -> None:
    if params.get("rules") is not None and params.get("rules_file") is not None:
        raise ValueError("give either rules (a built-in pack name) or rules_file (a pack YAML), not both")
    if params.get("mode") is not None and params["mode"] not in MODES:
        raise ValueError(f"mode '{params['mode']}' is not one of {', '.join(MODES)}")
    minutes = params.get("minutes")
    if minutes is not None and (not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes <= 0):
        raise ValueError(f"minutes must be a positive number, not {minutes!r}")
    only = params.get("only")
    if only is not None and (not isinstance(only, list) or not all(isinstance(r, str) for r in only)):
        raise ValueError("only must be a list of rule ids, e.g. [A1, A4]")


@register_kind(
    "check",
    required=("scenario",),
    optional={"rules": None, "rules_file": None, "only": None, "network": None, "mode": None, "minutes": None},
    paths=("scenario", "rules_file", "network"),
    slug=("scenario", "rules", "rules_file", "mode", "minutes"),
    networks=_scenario_network_specs,
    check=_check_check,
    extra_inputs=_scenario_inputs,
)
def check_job(params: dict[str, Any]) -> dict[str, Any]:
    """Check a scenario's plan against a rule pack (:func:`siting.rules.check`).

    ``rules`` (a built-in pack: qinzhou, guangxi, jingdezhen, gb50180) or
    ``rules_file`` (a pack YAML) replaces the scenario's pack; ``network``,
    ``mode`` and ``minutes`` override the scenario's; ``only`` limits the
    rules run. The result is the compliance report without the machine's
    paths: pack, counts, documents and every rule's result.
    """
    from siting.rules import check

    overrides: dict[str, Any] = {}
    if params.get("network") is not None:
        overrides["osm"] = params["network"]
    if params.get("mode") is not None:
        overrides["network_mode"] = params["mode"]
    if params.get("minutes") is not None:
        overrides["minutes"] = float(params["minutes"])
    report = check(params["scenario"], rules=params.get("rules") or params.get("rules_file"),
                   only=params.get("only"), **overrides)
    doc = report.to_json()
    # The scenario and input paths are this machine's; the job's inputs are in the result file.
    return {k: v for k, v in doc.items() if k not in ("scenario", "inputs")}


# ----------------------------------------------------------------------------------------------
# Location-allocation (siting.allocation) on a network

#: Models a batch job can run: those stated by p and a time (share and module targets stay on the command line).
BATCH_MODELS: tuple[str, ...] = tuple(m.name for m in CATALOGUE.values() if not (m.needs_share or m.modular))


def _check_allocate(params: dict[str, Any]) -> None:
    _check_network(params)
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
    if info.needs_cutoff:
        minutes = params.get("minutes")
        if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes <= 0:
            raise ValueError(f"model {model} needs minutes, the time that counts as covered, not {minutes!r}")
    if params.get("method") not in ("auto", "mip", "heuristic"):
        raise ValueError(f"method must be auto, mip or heuristic, not {params.get('method')!r}")


_PROBLEMS: OrderedDict[Hashable, Any] = OrderedDict()  # cost matrices of this worker's recent allocate jobs


def _input_key(value: Any) -> Hashable:
    """Identity of a points input: a file by path, size and mtime; an inline list by its content."""
    if isinstance(value, str):
        try:
            st = os.stat(value)
            return (value, st.st_size, st.st_mtime_ns)
        except OSError:
            return (value, -1, -1)
    import json

    return json.dumps(value, sort_keys=True, default=str)


def drop_timings(obj: Any) -> Any:
    """``obj`` without keys named ``seconds`` or ``*_seconds``: timings vary between runs and
    belong in the run log, not in result files."""
    if isinstance(obj, Mapping):
        return {k: drop_timings(v) for k, v in obj.items()
                if not (isinstance(k, str) and (k == "seconds" or k.endswith("_seconds")))}
    if isinstance(obj, list):
        return [drop_timings(v) for v in obj]
    return obj


@register_kind(
    "allocate",
    required=("network", "candidates", "model"),
    optional={**NETWORK_PARAMS, "demand": None, "demand_nodes": None, "p": None, "minutes": None, "crs": "wgs84",
              "snap_tolerance_m": DEFAULT_SNAP_TOLERANCE_M, "method": "auto", "time_limit": 60.0},
    paths=("network", "demand", "candidates"),
    slug=("network", "mode", "model", "p", "minutes"),
    networks=_networks,
    check=_check_allocate,
)
def allocate_job(params: dict[str, Any]) -> dict[str, Any]:
    """Choose sites among candidates with a location-allocation model on network travel times.

    ``demand`` is a CSV (``id,lon,lat`` and optional ``weight``) or an inline
    list; ``demand_nodes: N`` puts unit demand on every N-th network node
    instead. ``candidates`` is a CSV (``id,lon,lat`` and optional ``fixed``,
    ``eligible``, ``capacity``) or a list. ``model`` is mclp, lscp, pmedian or
    pcenter (:mod:`siting.allocation`), with ``p`` sites and ``minutes`` as
    the coverage time. The result is the solver's report (status, objective,
    bound, gap, selected ids, coverage) without its wall time.
    """
    import geopandas as gpd

    from siting.allocation.problem import problem_from_geodataframes
    from siting.io import numeric_column
    from siting.io.values import yes_no_column

    net = get_network(params)
    crs = str(params["crs"])
    if params.get("demand_nodes") is not None:
        idx = np.arange(0, net.n_nodes, int(params["demand_nodes"]))
        demand = pd.DataFrame({"id": [f"node{int(net.node_osmid[i])}" for i in idx], "lon": net.lon[idx],
                               "lat": net.lat[idx]})
    else:
        demand = read_job_points(params["demand"], crs=crs, what="demand")
    weights = (numeric_column(demand, "weight", demand.attrs.get("source", "demand"), minimum=0)
               if "weight" in demand.columns else np.ones(len(demand)))
    candidates = read_job_points(params["candidates"], crs=crs, what="candidates")
    source = candidates.attrs.get("source", "candidates")
    fixed = yes_no_column(candidates, "fixed", source, default=False) if "fixed" in candidates.columns else None
    eligible = yes_no_column(candidates, "eligible", source, default=True) if "eligible" in candidates.columns else None
    capacity = None
    if "capacity" in candidates.columns:
        capacity = numeric_column(candidates, "capacity", candidates.attrs.get("source", "candidates"),
                                  required=False, minimum=0)

    def layer(frame: pd.DataFrame, **columns: Any) -> gpd.GeoDataFrame:
        data = {"id": frame["id"].astype(str).to_numpy(), **{k: v for k, v in columns.items() if v is not None}}
        return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)

    info = model_info(str(params["model"]))
    cutoff = None if params.get("minutes") is None else float(params["minutes"]) * 60.0
    model_params = model_arguments(info.name, p=params.get("p"), cutoff=cutoff)
    search_cutoff = cutoff if cutoff is not None and info.needs_cutoff else np.inf
    # Jobs that differ only in the model or p share one cost matrix on this worker.
    key = (network_spec(params), _input_key(params.get("demand")), params.get("demand_nodes"),
           _input_key(params["candidates"]), crs, search_cutoff, float(params["snap_tolerance_m"]))
    problem = _PROBLEMS.get(key)
    if problem is None:
        problem = problem_from_geodataframes(
            layer(demand, weight=weights), layer(candidates, fixed=fixed, eligible=eligible, capacity=capacity),
            net, weight_col="weight", demand_id_col="id", candidate_id_col="id",
            fixed_col="fixed" if fixed is not None else None,
            eligible_col="eligible" if eligible is not None else None,
            capacity_col="capacity" if capacity is not None else None,
            search_cutoff=search_cutoff, tolerance_m=float(params["snap_tolerance_m"]),
        )
        _PROBLEMS[key] = problem
        while len(_PROBLEMS) > 8:
            _PROBLEMS.popitem(last=False)
    result = info.model_class()(problem, **model_params).solve(time_limit=float(params["time_limit"]), method=str(params["method"]))
    out = drop_timings(result.to_dict(assignment=False))
    out["n_demand"] = len(demand)
    out["n_candidates"] = len(candidates)
    out["network"] = network_facts(net)
    return out


# ----------------------------------------------------------------------------------------------
# Service circles (siting.analysis.isochrones)


def _check_isochrones(params: dict[str, Any]) -> None:
    from siting.errors import SitingError
    from siting.units import parse_minutes

    _check_network(params)
    minutes: Any = params.get("minutes")
    try:
        parse_minutes([minutes] if isinstance(minutes, int | float) else minutes)
    except (SitingError, TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(params.get("geometry"), bool):
        raise ValueError("geometry must be true or false")


@register_kind(
    "isochrones",
    required=("network", "facilities", "minutes"),
    optional={**NETWORK_PARAMS, "crs": "wgs84", "snap_tolerance_m": DEFAULT_SNAP_TOLERANCE_M, "direction": "to_facility",
              "buffer_m": None, "geometry": False},
    paths=("network", "facilities"),
    slug=("network", "mode", "minutes"),
    networks=_networks,
    check=_check_isochrones,
)
def isochrones_job(params: dict[str, Any]) -> dict[str, Any]:
    """Service-circle polygons (:func:`siting.analysis.isochrones.isochrones`) per facility and time limit.

    ``minutes`` is a number or a list (5, 10, 15). Per facility and limit: area,
    reachable street area, quality, snap distance; the polygons themselves as
    GeoJSON geometries (WGS84) with ``geometry: true``.
    """
    import shapely

    from siting.analysis.isochrones import DEFAULT_BUFFER_M, isochrones

    net = get_network(params)
    points = read_job_points(params["facilities"], crs=str(params["crs"]))
    minutes = params["minutes"]
    frame = isochrones(
        net, points, [minutes] if isinstance(minutes, int | float) else list(minutes),
        reverse=params["direction"] == "to_facility",
        buffer_m=DEFAULT_BUFFER_M if params.get("buffer_m") is None else float(params["buffer_m"]),
        tolerance_m=float(params["snap_tolerance_m"]), threads=1,
    )
    rows = []
    for rec, geom in zip(frame.drop(columns="geometry").to_dict(orient="records"), frame.geometry):
        row = {k: rec[k] for k in ("facility_id", "minutes", "area_m2", "network_area_m2", "quality", "snap_m",
                                   "beyond_tolerance", "reached_segments")}
        if params["geometry"]:
            row["geometry"] = json.loads(shapely.to_geojson(geom))
        rows.append(row)
    return {"network": network_facts(net), "isochrones": rows}


# ----------------------------------------------------------------------------------------------
# Coverage scores (siting.analysis.coverage)

_DEMAND: OrderedDict[Hashable, Any] = OrderedDict()  # demand layers of this worker's recent coverage jobs


def _check_coverage(params: dict[str, Any]) -> None:
    from siting.analysis.demand import GROUP_COLUMNS, group_name
    from siting.errors import SitingError

    _check_isochrones({**params, "geometry": False})
    if (params.get("demand") is None) == (params.get("population") is None):
        raise ValueError("give demand (a demand file) or population (a census total spread over the OSM "
                         "extract's homes), one of the two")
    population = params.get("population")
    if population is not None and (not isinstance(population, int | float) or isinstance(population, bool)
                                   or population <= 0):
        raise ValueError(f"population must be a positive number, not {population!r}")
    shares = params.get("shares")
    if shares is not None and (not isinstance(shares, dict) or not all(
            isinstance(v, int | float) and 0 <= v <= 1 for v in shares.values())):
        raise ValueError("shares maps groups to fractions, e.g. {'60+': 0.1577}")
    try:
        for group in [params.get("group"), *(shares or {})]:
            if group_name(str(group)) not in GROUP_COLUMNS:
                raise ValueError(f"unknown group {group!r}")
    except SitingError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(params.get("facilities"), str):
        raise ValueError("facilities must be a facility CSV (id,name,type,lon,lat[,beds,places])")


def _demand_layer(params: dict[str, Any], net: Any) -> Any:
    from siting.analysis.demand import build_demand
    from siting.inputs.scenario import DemandSpec

    shares = params.get("shares") or None
    key = (network_spec(params), _input_key(params.get("demand")), params.get("population"),
           json.dumps(shares, sort_keys=True))
    if key in _DEMAND:
        _DEMAND.move_to_end(key)
        return _DEMAND[key]
    demand = params.get("demand")
    population = params.get("population")
    spec = DemandSpec(file=None if demand is None else Path(str(demand)),
                      population=None if population is None else float(population), name="extent",
                      shares=dict(shares or {}), buildings=Path(str(params["network"])))
    layer = build_demand(spec, net)
    _DEMAND[key] = layer
    while len(_DEMAND) > 4:
        _DEMAND.popitem(last=False)
    return layer


@register_kind(
    "coverage",
    required=("network", "facilities", "facility_type"),
    optional={**NETWORK_PARAMS, "group": "all", "minutes": 15, "demand": None, "population": None,
              "shares": None, "crs": "wgs84", "snap_tolerance_m": DEFAULT_SNAP_TOLERANCE_M, "decay": "none",
              "capacity_column": None},
    paths=("network", "facilities", "demand"),
    slug=("network", "facility_type", "group", "mode", "minutes"),
    networks=_networks,
    check=_check_coverage,
)
def coverage_job(params: dict[str, Any]) -> dict[str, Any]:
    """Coverage scores of one facility type for one group (:func:`siting.analysis.coverage.coverage`).

    ``facilities`` is a facility CSV (:func:`siting.inputs.facilities.read_facilities`);
    ``facility_type`` picks its rows (elderly, childcare, hospital, ...). The
    demand is a demand file (``demand``: CSV ``lon,lat,population[,pop_60plus,
    pop_0_3]``, a vector file or a raster), or ``population``: a census total
    spread over the residential buildings of the network's OSM extract.
    ``shares`` adds age groups (``{'60+': 0.1577}``). The result is the
    coverage summary: covered population and share per time limit, travel-time
    distribution, equity (Gini, Lorenz curve), 2SFCA figures and warnings.
    """
    from siting.analysis.coverage import coverage
    from siting.inputs.facilities import read_facilities

    net = get_network(params)
    facilities = read_facilities(params["facilities"], crs=str(params["crs"]))
    demand = _demand_layer(params, net)
    minutes = params["minutes"]
    result = coverage(
        net, demand, facilities, str(params["facility_type"]), str(params["group"]),
        [minutes] if isinstance(minutes, int | float) else list(minutes),
        capacity_column=params.get("capacity_column"), decay=str(params["decay"]),
        tolerance_m=float(params["snap_tolerance_m"]),
    )
    return {"network": network_facts(net), **drop_timings(result.to_dict())}


# ----------------------------------------------------------------------------------------------
# Candidate scoring (siting.planning.scoring)


def _check_score(params: dict[str, Any]) -> None:
    minutes = params.get("minutes")
    if minutes is not None and (not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes <= 0):
        raise ValueError(f"minutes must be a positive number, not {minutes!r}")
    if params.get("distance") not in (None, "straight_line", "network"):
        raise ValueError(f"distance must be straight_line or network, not {params.get('distance')!r}")
    if not isinstance(params.get("candidates"), str | list):
        raise ValueError("candidates must be a CSV path or a list of {id, lon, lat[, type, name, owner_kind, capacity]}")


@register_kind(
    "score",
    required=("scenario", "candidates"),
    optional={"network": None, "hospitals": None, "facilities": None, "minutes": None, "distance": None,
              "type": "elderly"},
    paths=("scenario", "candidates", "network", "hospitals", "facilities"),
    slug=("scenario", "candidates", "type", "minutes"),
    networks=_scenario_network_specs,
    check=_check_score,
    extra_inputs=_scenario_inputs,
)
def score_job(params: dict[str, Any]) -> dict[str, Any]:
    """Score candidate sites against a scenario (:func:`siting.planning.scoring.score_candidates`).

    ``candidates`` is a CSV (``id,lon,lat`` and optional ``type, name,
    owner_kind, capacity``) or an inline list; ``network``, ``hospitals``,
    ``facilities`` and ``minutes`` override the scenario's; ``distance``
    (straight_line or network) judges the hospital rule. The result is the
    document of ``siting score --json``: settings, ranked candidates with
    coverage gain, hospital distance, rule status and accessibility change,
    the skipped rows and what could not be evaluated.
    """
    from siting.planning.scoring import score_candidates, score_json

    candidates = params["candidates"]
    if isinstance(candidates, list):
        candidates = pd.DataFrame([dict(c) for c in candidates])
        candidates.attrs["source"] = "candidates"
    frame = score_candidates(
        params["scenario"], candidates, osm=params.get("network"), hospitals=params.get("hospitals"),
        facilities=params.get("facilities"),
        minutes=None if params.get("minutes") is None else float(params["minutes"]),
        distance=params.get("distance"), default_type=str(params["type"]),
    )
    return score_json(frame)
