"""Cell values as planners write them: yes/no, numbers with units, facility types and owners.

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

Numbers may carry a unit or a Chinese magnitude (:func:`parse_quantity`: ``180张``, ``150 床``,
``1.2万``, full-width ``３００``); the ``类型`` and ``举办主体``/``性质`` cells of Chinese tables map
onto facility types and owner kinds through :data:`TYPE_WORDS` and :data:`OWNER_KIND_WORDS`.
"""

from __future__ import annotations

import re
import unicodedata
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


# ------------------------------------------------------------------ numbers with units

#: Chinese magnitudes written after a number (``1.2万`` = 12,000).
MAGNITUDES: dict[str, float] = {"万": 1e4, "千": 1e3, "百": 1e2, "亿": 1e8}
#: Units written after a count, as in ``180张``, ``150 床``, ``30个``; removed before parsing.
#: Only counting words and plain units: anything else (``约180``, ``180余``) stays an error.
UNITS: tuple[str, ...] = (
    "张床位", "张床", "床位", "张", "床", "个托位", "托位", "个", "位", "人", "名", "所", "家", "间", "户", "处",
    "平方米", "平米", "㎡", "m²", "m2", "beds", "bed", "places", "place",
)
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(?P<magnitude>[万千百亿])?\s*(?P<unit>"
    + "|".join(re.escape(u) for u in UNITS) + r")?$",
    re.IGNORECASE,
)


def parse_quantity(value: object) -> tuple[float, bool]:
    """A number as planners write it: ``(value, converted)``; ValueError when it is not one.

    Full-width digits (``３００``) are read as ASCII (Unicode NFKC), thousands separators
    (``1,200``) dropped, a Chinese magnitude multiplies (``1.2万`` is 12,000) and a unit after
    the number (``180张``, ``150 床``, ``40 places``) is removed. ``converted`` is True when any
    of this was needed, so the caller can say which cells it changed. An empty cell is NaN.
    """
    raw = str(value).strip()
    if raw in ("", "nan", "None", "<NA>"):
        return float("nan"), False
    if raw.isascii():
        try:
            return float(raw), False
        except ValueError:
            pass
    text = unicodedata.normalize("NFKC", raw).strip()
    m = _QUANTITY.match(text)
    if not m:
        raise ValueError(raw)
    number = float(m.group("number").replace(",", ""))
    if m.group("magnitude"):
        number *= MAGNITUDES[m.group("magnitude")]
    return number, True


def quantity_note(column: str, converted: list[tuple[int, str, float]], limit: int = 5) -> str:
    """A note listing the cells of ``column`` read by :func:`parse_quantity` (1-based data rows)."""
    shown = ", ".join(f"row {row} '{text}' -> {value:g}" for row, text, value in converted[:limit])
    more = f" and {len(converted) - limit} more" if len(converted) > limit else ""
    return f"{column}: {len(converted)} cell(s) with units or Chinese numerals converted ({shown}{more})"


# ------------------------------------------------------------------ facility types and owners

#: Facility types as Chinese tables write them (the ``类型`` column) -> siting's types. Matched on
#: the whole cell after stripping spaces; English type names pass through unchanged.
TYPE_WORDS: dict[str, str] = {
    **{w: "elderly" for w in ("养老院", "养老机构", "敬老院", "福利院", "社会福利院", "老年公寓", "养老公寓",
                              "护理院", "养护院", "颐养院", "养老服务中心", "养老服务机构", "日间照料中心",
                              "老年人日间照料中心", "养老服务站", "农村幸福院", "特困供养服务机构")},
    **{w: "childcare" for w in ("托育机构", "托育中心", "托育园", "托儿所", "托育服务机构", "托育点", "托育",
                                "婴幼儿照护服务机构", "普惠托育机构")},
    **{w: "kindergarten" for w in ("幼儿园", "公办幼儿园", "民办幼儿园")},
    **{w: "hospital" for w in ("医院", "综合医院", "综合性医院", "专科医院", "中医医院", "中医院", "妇幼保健院",
                               "卫生院", "乡镇卫生院", "社区卫生服务中心")},
    **{w: "clinic" for w in ("诊所", "门诊部", "卫生室", "村卫生室", "医务室", "卫生服务站", "社区卫生服务站")},
    **{w: "integrated" for w in ("医养结合", "医养结合机构")},
    **{w: "community_centre" for w in ("社区中心", "社区综合服务中心", "社区养老服务中心", "社区服务中心")},
    **{w: "sports" for w in ("体育设施", "健身设施", "体育公园", "运动公园", "体育运动公园", "生态运动公园", "体育场",
                             "体育馆", "全民健身中心", "健身中心", "健身步道", "健身广场", "社区健身点", "体育场馆")},
}
#: Who runs a facility as Chinese tables write it (``举办主体``, ``性质``) -> owner kinds.
#: 公建民营 (government-built, privately run) counts as government-provided, as the A4 rule
#: (政府提供的养老机构用地、用房) reads it.
OWNER_KIND_WORDS: dict[str, str] = {
    **{w: "government" for w in ("公办", "政府", "政府办", "公建民营", "公建公营", "公办公营", "公办民营")},
    **{w: "public_institution" for w in ("事业单位", "公立", "公益", "公益性")},
    **{w: "state_company" for w in ("国有", "国企", "国有企业", "国有控股")},
    **{w: "company" for w in ("民办", "民营", "私立", "私营", "社会办", "社会力量", "企业", "民办非企业")},
}


def facility_type_word(value: object) -> str:
    """The facility type for a cell of the ``type`` column: Chinese words mapped, English lowercased."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return TYPE_WORDS.get(text.replace(" ", ""), text.lower())


def owner_kind_word(value: object) -> str | None:
    """The owner kind a Chinese word stands for (公办 -> government, 民办 -> company), else None."""
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    return OWNER_KIND_WORDS.get(text)
