"""Reading user tables: located errors (file, row, field) for missing files, columns, numbers and ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from siting.errors import InputError


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
    # 'inf', '1e400' and 'nan' written out are not numbers a planner means: located errors too.
    bad = ~np.isfinite(values) & (raw != "").to_numpy()
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


