"""Writing outputs safely: atomic files (temporary file, then rename) and strict JSON.

A crash never leaves half a file and a reader never sees one. Inputs are never written to.
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


def write_csv(path: str | Path, frame: pd.DataFrame, *, bom: bool = True, **kwargs: Any) -> Path:
    """Write a DataFrame as CSV atomically (no index unless asked).

    UTF-8 with a byte-order mark by default: Excel on a Chinese Windows machine then shows the
    Chinese text instead of mojibake. Every reader of siting (and pandas) skips the mark.
    """
    kwargs.setdefault("index", False)
    with atomic_write(path, newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        frame.to_csv(fh, **kwargs)
    return Path(path)


def write_xlsx(path: str | Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write one workbook, one sheet per frame, atomically (openpyxl).

    Sheet names are cut to Excel's 31 characters; the header row is frozen and bold so a
    reviewer can scroll and filter.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        ws = book.create_sheet(title=str(name)[:31] or "table")
        ws.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            ws.append([_excel_value(v) for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    if not book.sheetnames:
        book.create_sheet("table")
    with atomic_path(path) as tmp:
        book.save(tmp)
    return Path(path)


def _excel_value(value: Any) -> Any:
    """A cell value openpyxl can store: NaN and NA empty, numpy scalars plain, the rest as is or text."""
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and not np.isfinite(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def write_table(path: str | Path, frame: pd.DataFrame, *, sheet: str = "table") -> Path:
    """A table meant for people: ``.xlsx`` by suffix (one sheet), else CSV in UTF-8 with BOM."""
    if Path(path).suffix.lower() == ".xlsx":
        return write_xlsx(path, {sheet: frame})
    return write_csv(path, frame)


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


