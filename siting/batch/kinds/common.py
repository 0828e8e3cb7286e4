"""What several job kinds share: the network parameters and their check, points given inline, tidy results."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from siting.batch.caches import network_spec
from siting.errors import InputError
from siting.units import MODES

#: The parameters that choose a job's network besides its source file, with their defaults.
NETWORK_PARAMS: dict[str, Any] = {"mode": "walk", "walk_kmh": None, "bike_kmh": None}


def not_positive(value: Any) -> bool:
    """True unless ``value`` is a finite number (not a bool) above zero (NaN and infinity are not)."""
    return not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value) or value <= 0


def job_network(params: dict[str, Any]) -> list[Hashable]:
    """The one network a job on ``params["network"]`` needs (the ``networks`` of a kind)."""
    return [network_spec(params)]


def check_network(params: dict[str, Any]) -> None:
    """``mode`` one of :data:`siting.units.MODES`; ``walk_kmh`` and ``bike_kmh`` positive when given."""
    if params.get("mode") not in MODES:
        raise ValueError(f"mode '{params.get('mode')}' is not one of {', '.join(MODES)}")
    for key in ("walk_kmh", "bike_kmh"):
        value = params.get(key)
        if value is not None and not_positive(value):
            raise ValueError(f"{key} must be a positive number of km/h, not {value!r}")


def check_minutes(params: dict[str, Any], required: bool = True) -> None:
    """``minutes`` a positive number (or absent when not ``required``)."""
    minutes = params.get("minutes")
    if (required or minutes is not None) and not_positive(minutes):
        raise ValueError(f"minutes must be a positive number, not {minutes!r}")


def network_facts(net: Any) -> dict[str, Any]:
    """Size of a network, without anything that depends on where or when it was built."""
    return {
        "mode": net.mode,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "length_km": float(net.length_m.sum()) / 1000.0,
        "crs": net.crs,
    }


def drop_timings(obj: Any) -> Any:
    """``obj`` without keys named ``seconds`` or ``*_seconds``: timings vary between runs and
    belong in the run log, not in result files."""
    if isinstance(obj, Mapping):
        return {k: drop_timings(v) for k, v in obj.items()
                if not (isinstance(k, str) and (k == "seconds" or k.endswith("_seconds")))}
    if isinstance(obj, list):
        return [drop_timings(v) for v in obj]
    return obj


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
