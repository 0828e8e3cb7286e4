"""Cell values as planners write them: yes/no in English, Chinese or as a tick.

One vocabulary for every yes/no column of every table (``has_clinic`` of a facility
table; ``fixed`` and ``eligible`` of a candidate table; the same columns of a batch
job), case-insensitive, surrounding spaces ignored:

=====  =========================================================
yes    ``yes y true t 1 x √ ✓ 是 有``  (``x`` and ``√``: a ticked box)
no     ``no n false f 0 否 无``
empty  the column's default: unknown (None) for facts such as ``has_clinic``,
       False for ``fixed``, True for ``eligible``
=====  =========================================================

Anything else is an error naming the file, row and field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from siting.errors import InputError

YES: frozenset[str] = frozenset({"yes", "y", "true", "t", "1", "x", "√", "✓", "是", "有"})
NO: frozenset[str] = frozenset({"no", "n", "false", "f", "0", "否", "无"})
YES_NO_HINT = "Write yes/no (是/否, 有/无, true/false, 1/0, x for a ticked box) or leave the cell empty"


def parse_yes_no(value: object) -> bool | None:
    """``True``/``False`` for a word of the vocabulary, None for an empty cell; ValueError otherwise."""
    text = str(value).strip().lower()
    if text in ("", "nan", "none", "<na>"):
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(text)


def yes_no_flags(frame: pd.DataFrame, column: str) -> tuple[list[bool | None], list[int]]:
    """Parsed cells of ``column`` (None where empty) and the 0-based rows that are not yes/no."""
    values: list[bool | None] = []
    bad: list[int] = []
    for i, cell in enumerate(frame[column].astype(str)):
        try:
            values.append(parse_yes_no(cell))
        except ValueError:
            values.append(None)
            bad.append(i)
    return values, bad


def yes_no_column(frame: pd.DataFrame, column: str, path: str | Path | None, *,
                  default: bool | None) -> np.ndarray | pd.arrays.BooleanArray:
    """A yes/no column parsed with located errors.

    Parameters
    ----------
    default
        What an empty cell (or a missing column) means. With None the result is a nullable
        boolean array (unknown stays unknown); with True/False a plain bool array.
    """
    if column not in frame.columns:
        values: list[bool | None] = [default] * len(frame)
    else:
        values, bad = yes_no_flags(frame, column)
        if bad:
            i = bad[0]
            raise InputError(f"'{frame[column].iloc[i]}' is not yes/no", path=path, row=i + 1, field=column,
                             hint=YES_NO_HINT)
        values = [default if v is None else v for v in values]
    if default is None:
        return pd.array(values, dtype="boolean")
    return np.array(values, dtype=bool)
