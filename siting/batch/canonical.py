"""Canonical JSON: the same values always give the same bytes.

Result files and job ids are made from this text, so a job run on another
machine, or on a Dask cluster instead of a local pool, writes the same file.
Keys are sorted, floats keep :data:`FLOAT_DIGITS` significant digits (which
absorbs last-bit noise from other summation orders), NaN and infinities are
null, numpy values are unpacked and paths are POSIX strings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FLOAT_DIGITS = 12  # significant digits kept in result files; absorbs last-bit noise


def canonical(obj: Any) -> Any:
    """``obj`` as plain JSON values: numpy scalars and arrays unpacked, floats
    rounded to :data:`FLOAT_DIGITS` significant digits, NaN and infinities as
    None, paths as POSIX strings."""
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return canonical(obj.tolist())
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        if not math.isfinite(x):
            return None
        x = float(f"{x:.{FLOAT_DIGITS}g}")
        return 0.0 if x == 0 else x  # no "-0.0"
    if isinstance(obj, Path):
        return obj.as_posix()
    raise TypeError(f"cannot write a {type(obj).__name__} to a result file; return JSON values")


def canonical_json(obj: Any) -> str:
    """Canonical JSON text: sorted keys, 2-space indent, UTF-8 kept readable, final newline."""
    return json.dumps(canonical(obj), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def canonical_line(obj: Any) -> str:
    """Canonical JSON on one line without spaces: the text a job id is the hash of."""
    return json.dumps(canonical(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
