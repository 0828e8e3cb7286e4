"""Residential estates (居住小区): the table the per-estate norms are checked on (C5, D1-D7, A21).

A planner's estate table has one row per estate: ``id`` (编号), ``name`` (小区名称), ``estate_class``
(小区类型: 新建, 在建, 老旧, 已建成, 城市更新), ``households`` (户数), ``population`` (人口), ``county``
and the supply the norms ask about: ``elderly_floor_area`` (养老服务设施建筑面积, m²),
``childcare_floor_area`` (托育服务设施建筑面积, m²), ``places`` (托位数). An empty cell is unknown;
a rule never reads it as 0.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from siting.errors import InputError
from siting.inputs.attributes import parse_attributes
from siting.io import numeric_column, read_table, require_columns

#: Estate classes as planners write them -> the codes a rule's ``area_class`` names.
CLASS_WORDS: dict[str, str] = {
    **{w: "new" for w in ("new", "新建", "新建小区", "新建住宅小区", "新建居住区")},
    **{w: "under_construction" for w in ("under_construction", "在建", "正在建设", "在建小区")},
    **{w: "old" for w in ("old", "老旧", "老旧小区", "老城区", "旧城区")},
    **{w: "built" for w in ("built", "已建成", "已建成小区", "建成")},
    **{w: "renewal" for w in ("renewal", "城市更新", "更新改造")},
}
ESTATE_CLASSES: tuple[str, ...] = ("new", "under_construction", "old", "built", "renewal")


def estate_class(value: object) -> str:
    """The class code of a cell (新建 -> new); '' when empty; ValueError when unknown."""
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "").lower()
    if text in ("", "nan"):
        return ""
    if text not in CLASS_WORDS:
        raise ValueError(text)
    return CLASS_WORDS[text]


def read_estates(path: str | Path) -> pd.DataFrame:
    """Read and validate an estate table (CSV in UTF-8 or GBK, or .xlsx; Chinese headers accepted).

    Returns one row per estate with ``id`` (``R1, R2, ...`` when the table has none), ``name``,
    ``estate_class`` (a code of :data:`ESTATE_CLASSES`, '' when empty), ``county`` and the numeric
    columns as floats (NaN when empty). An unknown class is an error naming the row.
    """
    p = Path(path)
    frame = read_table(p, "estates table")
    require_columns(frame, ["name"], p)
    out = frame.copy()
    if "id" not in out.columns:
        out["id"] = [f"R{i + 1}" for i in range(len(out))]
    classes = []
    raw = out["estate_class"].astype(str) if "estate_class" in out.columns else pd.Series([""] * len(out))
    for i, cell in enumerate(raw):
        try:
            classes.append(estate_class(cell))
        except ValueError:
            raise InputError(f"unknown estate class '{cell}'", path=p, row=i + 1, field="estate_class",
                             hint="Use 新建, 在建, 老旧, 已建成 or 城市更新 (new, under_construction, old, built, renewal)") from None
    out["estate_class"] = classes
    if "places" in out.columns:
        out["places"] = numeric_column(out, "places", p, required=False, minimum=0)
    parse_attributes(out, p)
    for column in ("name", "county"):
        out[column] = out[column].astype(str).str.strip() if column in out.columns else ""
    out.attrs["source"] = str(p)
    return out
