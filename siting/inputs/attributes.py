"""Facility and unit attributes the plans' rules ask about: what a facility hosts, whether it is
inclusive (普惠) or a demonstration site (示范), staff counts, unit statuses and rates.

Planners keep these as extra columns of their tables (Chinese headers are mapped by
:data:`siting.io.tables.COLUMN_ALIASES`). They are parsed once, when a table is read, so that a
rule sees one spelling of each value and a bad cell is an error naming the file, row and field:

``departments``
    What a facility hosts or is designated as, as a list in one cell (科室, 内设机构, 职能, 称号):
    ``老年病科、发热门诊、中医馆``. Items are separated by 、 , ， ; ； / or spaces. An empty cell is
    *unknown*; ``无`` (none) states that the facility hosts none of the listed kinds.
yes/no flags (:data:`FLAGS`)
    ``inclusive`` (普惠), ``demonstration`` (示范), ``public`` (公办), ``registered`` (登记备案), and the
    unit statuses ``sanitary`` (卫生镇/卫生县城), ``elderly_friendly`` (老年人宜居社区), ... Empty is
    unknown (:func:`siting.io.values.yes_no_column`).
numbers (:data:`NUMBERS`)
    Floor areas, inclusive beds and places, staff counts, rates; numbers with units are read
    (``120平方米``); empty is unknown.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from siting.io import numeric_column
from siting.io.values import yes_no_column

#: Yes/no attribute columns (facilities, units, estates).
FLAGS: tuple[str, ...] = (
    "inclusive", "demonstration", "public", "registered", "sanitary", "elderly_friendly", "child_friendly",
    "converted",
)
#: Numeric attribute columns (empty: unknown).
NUMBERS: tuple[str, ...] = (
    "floor_area", "inclusive_beds", "inclusive_places", "doctors", "nurses", "psychiatrists", "psychiatric_nurses",
    "primary_health_workers", "general_practitioners", "public_health_physicians", "public_health_staff",
    "technical_staff", "trained_staff", "avg_stay_days", "ranking_gain", "approved_preparations",
    "infant_class_fee", "immunisation_rate", "households", "population", "elderly_floor_area",
    "childcare_floor_area",
)
#: What separates the items of a ``departments`` cell.
ITEM_SEPARATORS = re.compile(r"[、,，;；/|\s]+")
#: A ``departments`` cell stating that the facility hosts none of them.
NONE_WORDS = frozenset({"无", "none", "no", "否"})


def parse_attributes(frame: pd.DataFrame, path: str | Path | None) -> pd.DataFrame:
    """``frame`` with its attribute columns parsed (only those it has): flags as nullable booleans,
    numbers as floats (NaN when empty), ``departments`` stripped. Errors name file, row and field."""
    out = frame
    for column in FLAGS:
        if column in out.columns and not pd.api.types.is_bool_dtype(out[column]):
            out[column] = yes_no_column(out, column, path, default=None)
    for column in NUMBERS:
        if column in out.columns and not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = numeric_column(out, column, path or "table", required=False, minimum=0)
    if "departments" in out.columns:
        out["departments"] = out["departments"].fillna("").astype(str).str.strip()
    return out


def items(cell: object) -> list[str]:
    """The items listed in a ``departments`` cell (``'老年病科、发热门诊'`` -> two items)."""
    text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell).strip()
    return [i for i in ITEM_SEPARATORS.split(text) if i]


def list_state(cell: object, pattern: re.Pattern[str], min_count: int = 1) -> bool | None:
    """Whether a list cell holds at least ``min_count`` items matching ``pattern``; None when the cell is empty.

    A cell that lists anything (or says 无) is read as complete: what it does not list, the
    facility does not have.
    """
    found = items(cell)
    if not found:
        return None
    if len(found) == 1 and found[0].lower() in NONE_WORDS:
        return False
    return sum(bool(pattern.search(i)) for i in found) >= min_count
