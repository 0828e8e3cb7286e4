"""Facility inventories from any source, read into one validated facility table.

The source (:class:`siting.inputs.sources.InventorySource`) is a planner's table, an Amap or
Baidu POI export (:mod:`siting.inputs.poi`) or an OpenStreetMap file (:mod:`siting.osm.features`).
Whatever it is, the rows pass through :func:`siting.inputs.facilities.validate_facilities`, so
types, capacities and hospital categories (with their reasons) mean the same everywhere: in
``siting check``, ``siting place``, ``siting score`` and ``siting facilities``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from siting.errors import InputError
from siting.inputs.facilities import read_facilities, validate_facilities
from siting.inputs.poi import read_poi_export
from siting.inputs.sources import InventorySource, parse_source
from siting.io import points_frame
from siting.osm.features import facilities_table
from siting.osm.features import read_facilities as read_osm


def read_inventory(source: str | Path | InventorySource, crs: str = "wgs84", *, extra_types: Iterable[str] = (),
                   default_type: str | None = None, what: str = "facilities file") -> pd.DataFrame:
    """A validated facility table from a table, an Amap/Baidu export or an OSM file.

    Parameters
    ----------
    source
        An :class:`~siting.inputs.sources.InventorySource`, or a path with an optional kind
        prefix (``osm:city.osm.pbf``, ``amap:hospitals.xlsx``, ``baidu:h.csv``).
    crs
        Coordinates of a planner's table (an export's are the provider's; OSM is WGS84).
    default_type
        For a hospitals list: the type of rows of a table without a ``type`` column, and the only
        type kept from an OSM file or a POI export.

    Returns
    -------
    pandas.DataFrame
        As :func:`~siting.inputs.facilities.validate_facilities`; ``attrs['source']`` is the
        source's label and ``attrs['notes']`` what the reader should know.
    """
    src = parse_source(source)
    if src.kind == "table":
        out = read_facilities(src.path, crs=crs, extra_types=extra_types, default_type=default_type, what=what)
    elif src.kind in ("amap", "baidu"):
        out = read_poi_export(src.path, src.kind, default_type=default_type, extra_types=tuple(extra_types),
                              what=f"{src.kind} export")
    else:
        out = osm_inventory(src.path, default_type=default_type, extra_types=extra_types)
    out.attrs["source"] = src.label()
    return out


def osm_inventory(path: Path, *, default_type: str | None = None, extra_types: Iterable[str] = ()) -> pd.DataFrame:
    """The facilities of an OSM file (:func:`siting.osm.features.read_facilities`) as a validated table."""
    table = facilities_table(read_osm(path))
    if default_type is not None:
        table = table[table["type"] == default_type].reset_index(drop=True)
    if table.empty:
        kinds = f"no {default_type}" if default_type else "no hospital, clinic, elderly-care or childcare facility"
        raise InputError(f"{kinds} in the OSM file", path=path,
                         hint="Check the extract covers the study area (or give the list as a table)")
    out = validate_facilities(points_frame(table, path), path, extra_types=extra_types)
    assumed = int(out["category_assumed"].sum())
    out.attrs["notes"] = [f"{len(out)} facilities extracted from OpenStreetMap"] + (
        [f"{assumed} hospital(s) neither tagged nor named as a kind of hospital"] if assumed else [])
    return out
