"""Reading point tables (``id,lon,lat``), converted from GCJ-02 / BD-09 to WGS84 when asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from siting.coords import is_wgs84, to_wgs84
from siting.errors import InputError
from siting.io.tables import id_column, numeric_column, read_table, require_columns


def split_location(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """``lon``/``lat`` from a ``location`` column ``"lng,lat"`` (Amap and Baidu exports) when they are absent."""
    if "location" not in frame.columns or {"lon", "lat"} & set(frame.columns):
        return frame
    parts = frame["location"].astype(str).str.replace("，", ",").str.split(",")
    bad = parts.map(lambda x: len(x) != 2 and x != [""])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"'{frame['location'].iloc[i]}' is not 'lng,lat'", path=path, row=i + 1, field="location",
                         hint="Write the location as longitude,latitude (e.g. 108.654,21.967)")
    out = frame.copy()
    out["lon"] = parts.map(lambda x: x[0].strip() if len(x) == 2 else "")
    out["lat"] = parts.map(lambda x: x[1].strip() if len(x) == 2 else "")
    return out


def read_points(path: str | Path, crs: str = "wgs84", what: str = "points file") -> pd.DataFrame:
    """Read a table of points with columns ``id,lon,lat`` (extra columns are kept).

    Any table :func:`siting.io.tables.read_table` reads (CSV in UTF-8 or GBK, .xlsx, Chinese
    headers such as 经度/纬度); a ``location`` column ``"lng,lat"`` stands for ``lon`` and ``lat``.

    Coordinates are converted from ``crs`` ('wgs84', 'gcj02' or 'bd09') to
    WGS84; the original values are kept as ``lon_input``/``lat_input`` when
    converted. Rows with missing or non-numeric coordinates, out-of-range
    values or duplicate ids raise :class:`InputError` naming the row.
    """
    p = Path(path)
    return points_frame(split_location(read_table(p, what), p), p, crs)


def points_frame(frame: pd.DataFrame, path: str | Path, crs: str = "wgs84") -> pd.DataFrame:
    """Validate the ``id,lon,lat`` of a table of strings and convert the points to WGS84 (see :func:`read_points`).

    A table with names but no ``id`` column gets ids ``R1, R2, ...`` (its row numbers) and a note.
    """
    p = path
    if "id" not in frame.columns and "name" in frame.columns and {"lon", "lat"} <= set(frame.columns):
        # a planner's list often has no id: number the rows, and say so
        frame = frame.assign(id=[f"R{i + 1}" for i in range(len(frame))])
        frame.attrs.setdefault("notes", []).append("no id column: rows numbered R1, R2, ...")
    require_columns(frame, ["id", "lon", "lat"], p)
    if frame.empty:
        raise InputError("the file has a header but no rows", path=p)
    lon = numeric_column(frame, "lon", p)
    lat = numeric_column(frame, "lat", p)
    bad_lat = np.abs(lat) > 90
    if bad_lat.any():
        i = int(np.flatnonzero(bad_lat)[0])
        hint = "The columns look swapped: lat holds a longitude" if abs(lon[i]) <= 90 else None
        raise InputError(f"latitude {lat[i]:g} is outside -90..90", path=p, row=i + 1, field="lat", hint=hint)
    bad_lon = np.abs(lon) > 180
    if bad_lon.any():
        i = int(np.flatnonzero(bad_lon)[0])
        raise InputError(f"longitude {lon[i]:g} is outside -180..180", path=p, row=i + 1, field="lon")
    ids = id_column(frame, p)
    out = frame.copy()
    out["id"] = ids
    wlon, wlat = to_wgs84(lon, lat, crs)
    if not is_wgs84(crs):
        out["lon_input"], out["lat_input"] = lon, lat
    out["lon"], out["lat"] = wlon, wlat
    out.attrs["source"] = str(p)
    out.attrs["crs_input"] = crs
    return out
