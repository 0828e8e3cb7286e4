"""Reading user tables and writing outputs safely.

Outputs are written atomically: to a temporary file in the destination
folder, then renamed over the target, so a crash never leaves half a file and
a reader never sees one. Inputs are never written to.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from siting.coords import is_wgs84, to_wgs84
from siting.errors import InputError


@contextmanager
def atomic_write(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` on success.

    Examples
    --------
    >>> with atomic_write("out.json") as fh:  # doctest: +SKIP
    ...     fh.write("{}")
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        binary = "b" in mode
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give outputs the usual mode
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` for a library that writes files itself; renamed over
    ``path`` on success, removed on failure.

    The temporary path does not exist when yielded. ``suffix`` (default: the target's) keeps
    format detection by file name working.

    Examples
    --------
    >>> with atomic_path("graph.graphml") as tmp:  # doctest: +SKIP
    ...     osmnx.save_graphml(graph, tmp)
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix if suffix is None else suffix,
                                dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text(path: str | Path, text: str) -> Path:
    """Write text atomically; return the path."""
    with atomic_write(path) as fh:
        fh.write(text)
    return Path(path)


def write_json(path: str | Path, obj: Any) -> Path:
    """Write JSON atomically (UTF-8, Chinese kept readable, keys in given order; NaN and inf as null)."""
    return write_text(path, to_json(obj) + "\n")


def to_json(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON text: numpy scalars and arrays converted, NaN and infinities written as null."""
    return json.dumps(json_safe(obj), ensure_ascii=False, indent=indent, allow_nan=False, default=_json_default)


def json_safe(obj: Any) -> Any:
    """A copy of ``obj`` with NaN/inf floats replaced by None and numpy values made plain."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_csv(path: str | Path, frame: pd.DataFrame, **kwargs: Any) -> Path:
    """Write a DataFrame as CSV atomically (no index unless asked)."""
    kwargs.setdefault("index", False)
    with atomic_write(path, newline="") as fh:
        frame.to_csv(fh, **kwargs)
    return Path(path)


def write_geodataframe(path: str | Path, frame: Any, driver: str | None = None) -> Path:
    """Write a GeoDataFrame atomically; the driver follows the suffix (.geojson, .gpkg)."""
    target = Path(path)
    if driver is None:
        driver = "GPKG" if target.suffix.lower() == ".gpkg" else "GeoJSON"
    with atomic_path(target) as tmp:
        frame.to_file(tmp, driver=driver)
    return target


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def require_file(path: str | Path, what: str = "input file") -> Path:
    """Return ``path`` as a Path, or raise a clear error when it does not exist."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found", path=p, hint="Check the path and spelling")
    if p.is_dir():
        raise InputError(f"{what} is a folder, not a file", path=p)
    return p


def read_table(path: str | Path, what: str = "table") -> pd.DataFrame:
    """Read a CSV (UTF-8, with or without BOM) as strings, keeping every row."""
    p = require_file(path, what)
    try:
        return pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise InputError("the file is empty", path=p, hint="Give a header line and at least one row") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable UTF-8 CSV ({exc})", path=p) from exc


def require_columns(frame: pd.DataFrame, columns: list[str], path: str | Path) -> None:
    """Raise a clear error naming the missing columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns)) or 'none'}",
            path=path,
            hint=f"The file needs the columns {', '.join(columns)}",
        )


def numeric_column(
    frame: pd.DataFrame, column: str, path: str | Path, *, required: bool = True, minimum: float | None = None
) -> np.ndarray:
    """Parse one column as float; name the first bad row (1-based data row) on failure.

    Empty cells become NaN when ``required`` is False.
    """
    raw = frame[column].astype(str).str.strip()
    values = pd.to_numeric(raw.where(raw != "", None), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & (raw != "").to_numpy()
    if required:
        bad |= np.isnan(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = raw.iloc[i]
        raise InputError(
            f"'{shown}' is not a number" if shown else "the value is missing",
            path=path,
            row=i + 1,
            field=column,
            hint=f"Give a number in '{column}' on every row" if required else f"Leave '{column}' empty or give a number",
        )
    if minimum is not None and (values[~np.isnan(values)] < minimum).any():
        i = int(np.flatnonzero(values < minimum)[0])
        raise InputError(
            f"{values[i]:g} is below the allowed minimum {minimum:g}", path=path, row=i + 1, field=column
        )
    return values


def id_column(frame: pd.DataFrame, path: str | Path, column: str = "id") -> pd.Series:
    """The stripped ids of a table; an error naming the row when one is empty or repeated."""
    ids = frame[column].astype(str).str.strip()
    if (ids == "").any():
        i = int(np.flatnonzero((ids == "").to_numpy())[0])
        raise InputError(f"the {column} is empty", path=path, row=i + 1, field=column)
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"{column} '{ids.iloc[i]}' appears more than once", path=path, row=i + 1, field=column)
    return ids


def read_points(path: str | Path, crs: str = "wgs84", what: str = "points file") -> pd.DataFrame:
    """Read a CSV of points with columns ``id,lon,lat`` (extra columns are kept).

    Coordinates are converted from ``crs`` ('wgs84', 'gcj02' or 'bd09') to
    WGS84; the original values are kept as ``lon_input``/``lat_input`` when
    converted. Rows with missing or non-numeric coordinates, out-of-range
    values or duplicate ids raise :class:`InputError` naming the row.
    """
    p = Path(path)
    frame = read_table(p, what)
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
