"""Planned projects: a plan's table of new facilities (beds, places, county, town), read one way.

A project table is a facility table whose coordinates may be empty: a plan often names only
the county or the town. Whether the projects come from a file (``projects:`` of a scenario,
``--projects``) or inline (``place: {projects: [...]}``), they go through
:func:`normalise_projects`, so both get the same checks and the same ``crs`` conversion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.coords import to_wgs84
from siting.errors import InputError
from siting.inputs.attributes import parse_attributes
from siting.inputs.facilities import facility_type_column, normalise_owner_kind
from siting.io import numeric_column, read_table, require_columns
from siting.io.values import yes_no_column

#: Numeric columns of a project table (empty means unknown).
QUANTITIES = ("beds", "places", "nursing_beds", "kindergarten_places")
#: Text columns every project table gets (empty when absent).
TEXT_COLUMNS = ("owner", "owner_kind", "county", "county_adcode", "town", "unit", "tier", "category",
                "location_precision")


def read_projects(source: str | Path | list[dict[str, Any]], crs: str = "wgs84",
                  extra_types: tuple[str, ...] = (), *, where: str | Path | None = None) -> pd.DataFrame:
    """Read a planned-projects table from a CSV path or from inline records.

    Parameters
    ----------
    source
        A CSV (``id,name,type`` and optional ``county, county_adcode, town, beds, nursing_beds,
        places, kindergarten_places, owner, owner_kind, location_precision, lon, lat``), or a
        list of mappings with the same keys.
    crs
        Coordinate system of ``lon``/``lat``: 'wgs84', 'gcj02' or 'bd09'.
    where
        For inline records, the file they were written in (for error messages).
    """
    if isinstance(source, list):
        return normalise_projects(_records(source, where), where, crs, extra_types)
    p = Path(source)
    return normalise_projects(read_table(p, "projects file"), p, crs, extra_types)


def _records(records: list[Any], where: str | Path | None) -> pd.DataFrame:
    if not all(isinstance(r, dict) for r in records):
        raise InputError("'place.projects' must be a path or a list of mappings (id, name, type, ...)", path=where)
    rows = [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in records]
    return pd.DataFrame(rows).fillna("").astype(str)


def normalise_projects(frame: pd.DataFrame, path: str | Path | None, crs: str = "wgs84",
                       extra_types: tuple[str, ...] = ()) -> pd.DataFrame:
    """Validate and normalise a project table of strings (see :func:`read_projects`).

    Coordinates are converted to WGS84; a project without both is ``location_precision``
    'unknown', one with them and no stated precision is 'site'.
    """
    require_columns(frame, ["id", "name", "type"], path or "projects")
    out = frame.copy()
    out["type"] = facility_type_column(frame, path, extra_types)
    for column in QUANTITIES:
        out[column] = numeric_column(out, column, path or "projects", required=False, minimum=0) \
            if column in out.columns else np.nan
    lon = numeric_column(out, "lon", path or "projects", required=False) if "lon" in out.columns else np.full(len(out), np.nan)
    lat = numeric_column(out, "lat", path or "projects", required=False) if "lat" in out.columns else np.full(len(out), np.nan)
    located = ~(np.isnan(lon) | np.isnan(lat))
    wlon, wlat = np.full(len(out), np.nan), np.full(len(out), np.nan)
    if located.any():
        wlon[located], wlat[located] = to_wgs84(lon[located], lat[located], crs)
    out["lon"], out["lat"] = wlon, wlat
    for column in TEXT_COLUMNS:
        out[column] = out[column].astype(str).str.strip() if column in out.columns else ""
    out["owner_kind"] = [normalise_owner_kind(k, o) for k, o in zip(out["owner_kind"], out["owner"])]
    parse_attributes(out, path)
    out.loc[~located, "location_precision"] = "unknown"
    out.loc[located & (out["location_precision"] == ""), "location_precision"] = "site"
    # A plan may say whether a project includes a clinic (医务室): A5 judges planned homes on it.
    out["has_clinic"] = yes_no_column(out, "has_clinic", path, default=None)
    out["level"] = np.nan
    out["category_assumed"] = False
    out.attrs["source"] = str(path) if path is not None else "projects"
    return out
