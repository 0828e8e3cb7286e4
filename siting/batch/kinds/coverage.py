"""The ``isochrones`` and ``coverage`` kinds: service circles, and the people they cover.

``isochrones``
    Service-circle polygons per facility and time limit (:mod:`siting.analysis.isochrones`).
``coverage``
    Coverage scores of a facility type for a population group (:mod:`siting.analysis.coverage`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from siting.batch.caches import DEMAND_LAYERS, get_network, input_key, network_spec
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
from siting.errors import SitingError
from siting.units import DEFAULT_SNAP_TOLERANCE_M, parse_minutes


def minutes_list(minutes: Any) -> list[float]:
    """``minutes`` as a sorted list of limits: a number is one, a list or a string ``"5,10"`` several."""
    if isinstance(minutes, bool):
        raise SitingError(f"minutes must be positive numbers, got {minutes!r}")
    return parse_minutes([minutes] if isinstance(minutes, int | float) else minutes)


def check_isochrones(params: dict[str, Any]) -> None:
    check_network(params)
    try:
        minutes_list(params.get("minutes"))
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
    networks=job_network,
    check=check_isochrones,
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
    frame = isochrones(
        net, points, minutes_list(params["minutes"]),
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


def check_coverage(params: dict[str, Any]) -> None:
    from siting.analysis.demand import GROUP_COLUMNS, group_name

    check_isochrones({**params, "geometry": False})
    if (params.get("demand") is None) == (params.get("population") is None):
        raise ValueError("give demand (a demand file) or population (a census total spread over the OSM "
                         "extract's homes), one of the two")
    population = params.get("population")
    if population is not None and not_positive(population):
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


def demand_layer(params: dict[str, Any], net: Any) -> Any:
    """The job's demand layer (:func:`siting.analysis.demand.build_demand`), kept for the next jobs on it."""
    from siting.analysis.demand import build_demand
    from siting.inputs.scenario import DemandSpec

    shares = params.get("shares") or None
    demand = params.get("demand")
    population = params.get("population")
    key = (network_spec(params), input_key(demand), population, json.dumps(shares, sort_keys=True))
    spec = DemandSpec(file=None if demand is None else Path(str(demand)),
                      population=None if population is None else float(population), name="extent",
                      shares=dict(shares or {}), buildings=Path(str(params["network"])))
    return DEMAND_LAYERS.get(key, lambda: build_demand(spec, net))


@register_kind(
    "coverage",
    required=("network", "facilities", "facility_type"),
    optional={**NETWORK_PARAMS, "group": "all", "minutes": 15, "demand": None, "population": None,
              "shares": None, "crs": "wgs84", "snap_tolerance_m": DEFAULT_SNAP_TOLERANCE_M, "decay": "none",
              "capacity_column": None},
    paths=("network", "facilities", "demand"),
    slug=("network", "facility_type", "group", "mode", "minutes"),
    networks=job_network,
    check=check_coverage,
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
    demand = demand_layer(params, net)
    result = coverage(
        net, demand, facilities, str(params["facility_type"]), str(params["group"]),
        minutes_list(params["minutes"]),
        capacity_column=params.get("capacity_column"), decay=str(params["decay"]),
        tolerance_m=float(params["snap_tolerance_m"]),
    )
    return {"network": network_facts(net), **drop_timings(result.to_dict())}
