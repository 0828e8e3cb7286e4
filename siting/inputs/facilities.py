"""Reading and validating facility tables (elderly care, childcare, hospitals, ...).

A facility table has the columns ``id,name,type,lon,lat`` and usually
``beds,places,owner,has_clinic``; optional columns are ``category`` and
``level`` (hospitals), ``nursing_beds``, ``owner_kind``, ``tier``
(county/township/village), ``unit`` (the administrative unit the facility
serves, by code or name) and ``county``. Unknown extra columns are kept.
Planners' tables are read as they are kept (:func:`siting.io.tables.read_table`):
CSV in UTF-8 or GBK, Excel workbooks, Chinese headers (名称, 类型, 床位数, ...)
and values (养老院, 公办, 是/否, ``180张``). Hospitals are classified by
:mod:`siting.inputs.hospitals` for the 综合性医院 rule.

Every problem is reported with file, 1-based data row and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from siting.errors import InputError
from siting.inputs.attributes import parse_attributes
from siting.inputs.hospitals import CATEGORIES, HospitalClass, category_from_value, classify_name
from siting.io import numeric_column, read_points
from siting.io.values import facility_type_word, owner_kind_word, yes_no_column

#: The facility types the rules know. Pass ``extra_types`` to accept more. ``integrated`` is
#: combined medical and elderly care (医养结合), ``medical`` a hospital's own project, ``sports`` a
#: park, venue or fitness point (体育公园, 健身中心: the 15-minute fitness circle, A10).
FACILITY_TYPES: tuple[str, ...] = (
    "elderly", "childcare", "hospital", "clinic", "community_centre", "integrated", "kindergarten", "medical", "sports",
)
#: Types that count as medical institutions (A5 partners).
MEDICAL_TYPES: tuple[str, ...] = ("hospital", "clinic")
#: Owner kinds used by ``applies_to: {owner_kind: ...}`` filters.
#: The same words as the planned-project tables in ``data/plans``.
OWNER_KINDS: tuple[str, ...] = ("government", "public_institution", "state_company", "company", "unknown")
TIERS: tuple[str, ...] = ("county", "township", "village")

_LEVEL_WORDS = {"一": 1, "二": 2, "三": 3, "1": 1, "2": 2, "3": 3}
_TIER_WORDS = {"county": "county", "县": "county", "县级": "county", "township": "township", "乡镇": "township",
               "乡": "township", "镇": "township", "街道": "township", "village": "village", "村": "village",
               "社区": "village", "community": "village"}


def parse_level(value: str) -> float:
    """Hospital level as a number: '三级甲等', '三甲', '3', 'III', 'tertiary' give 3; empty gives NaN."""
    text = str(value).strip().lower()
    if text == "":
        return float("nan")
    words = {"iii": 3, "ii": 2, "i": 1, "tertiary": 3, "secondary": 2, "primary": 1}
    if text in words:
        return float(words[text])
    m = re.match(r"^\s*([一二三123])", text)
    if m:
        return float(_LEVEL_WORDS[m.group(1)])
    raise ValueError(text)


def normalise_owner_kind(owner_kind: str, owner: str) -> str:
    """The owner kind from an explicit ``owner_kind`` cell, else guessed from the owner's name.

    Chinese words map through :data:`siting.io.values.OWNER_KIND_WORDS` (公办 -> government,
    民办 -> company, 公建民营 -> government), in either cell. Chinese government bodies end in
    局/委/政府/办; state firms contain 集团/国有/资产; hospitals and schools (事业单位) count as
    public institutions. Anything else is 'unknown' (never silently 'private').
    """
    kind = str(owner_kind).strip()
    if kind:
        return owner_kind_word(kind) or kind.lower()
    name = str(owner).strip()
    if not name:
        return "unknown"
    if name.lower() in OWNER_KINDS:
        return name.lower()
    if owner_kind_word(name):
        return str(owner_kind_word(name))
    if re.search(r"(局|委员会|委|政府|办公室|办)$", name):
        return "government"
    if re.search(r"(集团|国有|资产|投资|城投|国信)", name):
        return "state_company"
    if re.search(r"(医院|保健院|卫生院|学校|幼儿园|中心)$", name):
        return "public_institution"
    return "unknown"


def facility_type_column(frame: pd.DataFrame, path: str | Path | None, extra_types: Iterable[str] = (),
                         default_type: str | None = None) -> pd.Series:
    """The ``type`` column checked and normalised (Chinese words such as 养老院 mapped by
    :data:`siting.io.values.TYPE_WORDS`); an unknown type is an error naming the row."""
    if "type" not in frame.columns:
        if default_type is None:
            raise InputError("missing column 'type'", path=path,
                             hint="A facility file needs id,name,type,lon,lat (and usually beds,places,owner,has_clinic)")
        return pd.Series([default_type] * len(frame), index=frame.index, dtype=object)
    allowed = tuple(FACILITY_TYPES) + tuple(t.strip().lower() for t in extra_types)
    types = frame["type"].map(facility_type_word)
    bad = ~types.isin(allowed)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown facility type '{frame['type'].iloc[i]}'", path=path, row=i + 1, field="type",
            hint=f"Use one of {', '.join(allowed)} (or declare extra types in the scenario's facility_types)",
        )
    return types


def read_facilities(
    path: str | Path,
    crs: str = "wgs84",
    *,
    extra_types: Iterable[str] = (),
    default_type: str | None = None,
    what: str = "facilities file",
) -> pd.DataFrame:
    """Read and validate a facility table (CSV in UTF-8 or GBK, or .xlsx; Chinese headers accepted).

    Parameters
    ----------
    path
        A table with ``id,name,type,lon,lat`` and optional ``beds, places, nursing_beds, owner,
        owner_kind, has_clinic, category, level, tier, unit, county`` (or their Chinese names:
        :data:`siting.io.tables.COLUMN_ALIASES`); ``book.xlsx#Sheet`` names a sheet.
    crs
        Coordinate system of ``lon``/``lat``: 'wgs84', 'gcj02' or 'bd09' (converted to WGS84).
    extra_types
        Facility types accepted besides :data:`FACILITY_TYPES`.
    default_type
        Type given to every row when the file has no ``type`` column (e.g. 'hospital' for a
        hospitals file).

    Returns
    -------
    pandas.DataFrame
        See :func:`validate_facilities`. ``attrs['notes']`` says how the file was read.
    """
    p = Path(path)
    return validate_facilities(read_points(p, crs=crs, what=what), p, extra_types=extra_types,
                               default_type=default_type)


def validate_facilities(frame: pd.DataFrame, path: str | Path | None, *, extra_types: Iterable[str] = (),
                        default_type: str | None = None) -> pd.DataFrame:
    """Validate a facility table whose ``id``, ``lon`` and ``lat`` are already read (:func:`read_points`).

    Returns one row per facility: ``type`` normalised; ``beds``/``places``/``nursing_beds`` as
    float (NaN when empty; ``180张`` and ``1.2万`` read as numbers); ``has_clinic`` a nullable
    boolean; hospitals classified by :mod:`siting.inputs.hospitals` into ``category``,
    ``category_reason``, ``speciality`` and ``level`` (a hospital that cannot be classified is
    'general' with ``category_assumed`` True); ``owner_kind`` filled in (a yes/no ``public`` column,
    是否公办, fills it where the owner says nothing); ``tier`` normalised; the attribute columns the
    table has (``departments``, ``inclusive``, ``demonstration``, staff counts, ...) parsed by
    :func:`siting.inputs.attributes.parse_attributes`.
    """
    if "name" not in frame.columns:
        raise InputError("missing column 'name'", path=path,
                         hint="A facility file needs id,name,type,lon,lat (and usually beds,places,owner,has_clinic)")
    out = frame.copy()
    out["type"] = facility_type_column(out, path, extra_types, default_type)
    out["name"] = out["name"].astype(str).str.strip()
    for column in ("beds", "places", "nursing_beds"):
        out[column] = numeric_column(out, column, path or "facilities", required=False, minimum=0) \
            if column in out.columns else np.nan
    over = out["nursing_beds"].to_numpy() > out["beds"].to_numpy()
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(f"nursing_beds {out['nursing_beds'].iloc[i]:g} exceed beds {out['beds'].iloc[i]:g}",
                         path=path, row=i + 1, field="nursing_beds")
    out["has_clinic"] = yes_no_column(out, "has_clinic", path, default=None)
    classify_hospital_rows(out, path)
    for column in ("owner", "owner_kind"):
        out[column] = out[column].astype(str).str.strip() if column in out.columns else ""
    out["owner_kind"] = [normalise_owner_kind(k, o) for k, o in zip(out["owner_kind"], out["owner"])]
    parse_attributes(out, path)
    if "public" in out.columns:
        # 是否公办 states the owner kind where 性质/举办主体 does not: 是 is 公办 (government), 否 民办 (company).
        stated = out["public"].astype("boolean")
        unknown = (out["owner_kind"] == "unknown").to_numpy() & ~stated.isna().to_numpy()
        out.loc[unknown, "owner_kind"] = np.where(stated[unknown].to_numpy(dtype=bool), "government", "company")
    out["tier"] = tier_column(out, path)
    for column in ("unit", "county"):
        out[column] = out[column].astype(str).str.strip() if column in out.columns else ""
    return out


def classify_hospital_rows(out: pd.DataFrame, path: str | Path | None) -> None:
    """Fill ``category``, ``category_assumed``, ``category_reason``, ``speciality`` and ``level`` in place.

    A ``category`` cell decides (``column:category``), else a reason the table already carries
    (an OSM or Amap/Baidu import), else the name; a ``level`` cell, else a level in the name.
    Hospitals left without a category are 'general', ``category_assumed`` True, reason
    ``assumed``. A table that says 'general' where the name says otherwise gets a note.
    """
    empty = pd.Series([""] * len(out), index=out.index)
    raw_cat = out["category"].astype(str).str.strip() if "category" in out.columns else empty
    given_reason = out["category_reason"].astype(str).str.strip() if "category_reason" in out.columns else empty
    given_speciality = out["speciality"].astype(str).str.strip() if "speciality" in out.columns else empty
    given_assumed = yes_no_column(out, "category_assumed", path, default=False)
    raw_level = out["level"].astype(str) if "level" in out.columns else empty
    rows = [_classify_row(i, kind, name, cat, reason, bool(assumed), level, path) for i, (kind, name, cat, reason, assumed, level)
            in enumerate(zip(out["type"], out["name"], raw_cat, given_reason, given_assumed, raw_level))]
    for column, values in zip(("category", "category_assumed", "category_reason", "speciality", "level"), zip(*rows)):
        out[column] = list(values) if len(out) else []
    out["category_assumed"] = out["category_assumed"].astype(bool)
    out["level"] = out["level"].astype(float)
    out["speciality"] = out["speciality"].where(out["speciality"] != "", given_speciality)
    clash = [f"{n} ({c}: {r})" for n, c, r, given in zip(out["name"], out["category"], out["category_reason"], raw_cat)
             if given and c == "general" and classify_name(n).category not in ("", "general")]
    if clash:
        out.attrs.setdefault("notes", []).append(
            "category 'general' given, but the name says otherwise: " + "; ".join(clash[:5]))


def _classify_row(i: int, kind: str, name: str, cell: str, reason: str, assumed: bool, level_cell: str,
                  path: str | Path | None) -> tuple[str, bool, str, str, float]:
    try:
        level = parse_level(level_cell)
    except ValueError:
        raise InputError(f"'{level_cell}' is not a hospital level", path=path, row=i + 1, field="level",
                         hint="Write 1, 2 or 3 (一级/二级/三级; 三级甲等 counts as 3)") from None
    category = category_from_value(cell)
    if category is None:
        raise InputError(f"unknown category '{cell}'", path=path, row=i + 1, field="category",
                         hint=f"Use {', '.join(CATEGORIES)} (综合/中医/妇幼/专科/社区)")
    if kind != "hospital":
        return category, False, reason if category else "", "", level
    if category:
        found = HospitalClass(category, reason or f"column:category={cell}")
        if assumed and category == "general":
            return "general", True, reason or "assumed", "", level
    else:
        found = classify_name(name)
    if np.isnan(level) and not np.isnan(found.level):
        level = found.level
    if not found.known:
        return "general", True, "assumed", "", level
    return found.category, False, found.reason, found.speciality, level


def tier_column(frame: pd.DataFrame, path: str | Path | None) -> list[str]:
    """The ``tier`` column normalised to county/township/village (县/乡镇/村 accepted); '' when empty."""
    tiers = []
    raw = frame["tier"].astype(str).str.strip() if "tier" in frame.columns else [""] * len(frame)
    for i, value in enumerate(raw):
        if value == "":
            tiers.append("")
        elif value.lower() in _TIER_WORDS:
            tiers.append(_TIER_WORDS[value.lower()])
        else:
            raise InputError(f"unknown tier '{value}'", path=path, row=i + 1, field="tier",
                             hint="Use county, township or village (县/乡镇/村)")
    return tiers


def hospitals_from(facilities: pd.DataFrame | None, hospitals: pd.DataFrame | None) -> pd.DataFrame:
    """Hospitals from their own table, else the ``type == 'hospital'`` rows of the facility table."""
    parts = []
    if hospitals is not None:
        parts.append(hospitals[hospitals["type"] == "hospital"])
    if facilities is not None:
        rows = facilities[facilities["type"] == "hospital"]
        if hospitals is not None:
            rows = rows[~rows["id"].isin(hospitals["id"])]
        parts.append(rows)
    if not parts:
        return pd.DataFrame(columns=["id", "name", "type", "category", "level", "lon", "lat"])
    return pd.concat(parts, ignore_index=True)
