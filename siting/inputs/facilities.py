"""Reading and validating facility tables (elderly care, childcare, hospitals, ...).

A facility CSV has the columns ``id,name,type,lon,lat`` and usually
``beds,places,owner,has_clinic``; optional columns are ``category`` and
``level`` (hospitals), ``nursing_beds``, ``owner_kind``, ``tier``
(county/township/village), ``unit`` (the administrative unit the facility
serves, by code or name) and ``county``. Unknown extra columns are kept.

Every problem is reported with file, 1-based data row and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from siting.errors import InputError
from siting.io import numeric_column, read_points
from siting.io.values import yes_no_column

#: The facility types the rules know. Pass ``extra_types`` to accept more. ``integrated`` is
#: combined medical and elderly care (医养结合), ``medical`` a hospital's own project.
FACILITY_TYPES: tuple[str, ...] = (
    "elderly", "childcare", "hospital", "clinic", "community_centre", "integrated", "kindergarten", "medical",
)
#: Types that count as medical institutions (A5 partners).
MEDICAL_TYPES: tuple[str, ...] = ("hospital", "clinic")
#: Normalised hospital categories; Chinese and common spellings map onto them.
HOSPITAL_CATEGORIES: dict[str, str] = {
    "general": "general",
    "综合": "general",
    "综合医院": "general",
    "综合性医院": "general",
    "tcm": "tcm",
    "中医": "tcm",
    "中医医院": "tcm",
    "中西医结合": "tcm",
    "maternity": "maternity",
    "mch": "maternity",
    "妇幼": "maternity",
    "妇幼保健院": "maternity",
    "specialist": "specialist",
    "专科": "specialist",
    "专科医院": "specialist",
    "psychiatric": "specialist",
    "community": "community",
    "社区": "community",
    "township": "community",
    "乡镇卫生院": "community",
}
#: Owner kinds used by ``applies_to: {owner_kind: ...}`` filters.
#: The same words as the planned-project tables in ``data/plans``.
OWNER_KINDS: tuple[str, ...] = ("government", "public_institution", "state_company", "company", "unknown")
TIERS: tuple[str, ...] = ("county", "township", "village")

_LEVEL_WORDS = {"一": 1, "二": 2, "三": 3, "1": 1, "2": 2, "3": 3}
_TIER_WORDS = {"county": "county", "县": "county", "县级": "county", "township": "township", "乡镇": "township",
               "乡": "township", "镇": "township", "街道": "township", "village": "village", "村": "village",
               "社区": "village", "community": "village"}


def parse_level(value: str) -> float:
    """Hospital level as a number: '三级甲等', '3', 'III', 'tertiary' give 3; empty gives NaN."""
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

    Chinese government bodies end in 局/委/政府/办; state firms contain 集团/国有/资产;
    hospitals and schools (事业单位) count as public institutions. Anything else is 'unknown'
    (never silently 'private').
    """
    kind = str(owner_kind).strip().lower()
    if kind:
        return kind
    name = str(owner).strip()
    if not name:
        return "unknown"
    if name.lower() in OWNER_KINDS:
        return name.lower()
    if re.search(r"(局|委员会|委|政府|办公室|办)$", name):
        return "government"
    if re.search(r"(集团|国有|资产|投资|城投|国信)", name):
        return "state_company"
    if re.search(r"(医院|保健院|卫生院|学校|幼儿园|中心)$", name):
        return "public_institution"
    return "unknown"


def read_facilities(
    path: str | Path,
    crs: str = "wgs84",
    *,
    extra_types: Iterable[str] = (),
    default_type: str | None = None,
    what: str = "facilities file",
) -> pd.DataFrame:
    """Read and validate a facility CSV.

    Parameters
    ----------
    path
        CSV with ``id,name,type,lon,lat`` and optional ``beds, places, nursing_beds, owner,
        owner_kind, has_clinic, category, level, tier, unit, county``.
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
        One row per facility: ``beds``/``places``/``nursing_beds`` as float (NaN when empty),
        ``has_clinic`` as a nullable boolean, ``level`` as float, ``category`` normalised
        (hospitals without one get 'general' and ``category_assumed`` True), ``owner_kind``
        filled in, ``tier`` normalised.
    """
    p = Path(path)
    frame = read_points(p, crs=crs, what=what)
    if "type" not in frame.columns and default_type is not None:
        frame["type"] = default_type
    for column in ("name", "type"):
        if column not in frame.columns:
            raise InputError(f"missing column '{column}'", path=p,
                             hint="A facility file needs id,name,type,lon,lat (and usually beds,places,owner,has_clinic)")
    allowed = tuple(FACILITY_TYPES) + tuple(t.strip().lower() for t in extra_types)
    types = frame["type"].astype(str).str.strip().str.lower()
    bad = ~types.isin(allowed)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown facility type '{frame['type'].iloc[i]}'", path=p, row=i + 1, field="type",
            hint=f"Use one of {', '.join(allowed)} (or declare extra types in the scenario's facility_types)",
        )
    out = frame.copy()
    out["type"] = types
    out["name"] = out["name"].astype(str).str.strip()
    for column in ("beds", "places", "nursing_beds"):
        if column in out.columns:
            out[column] = numeric_column(out, column, p, required=False, minimum=0)
        else:
            out[column] = np.nan
    if "nursing_beds" in frame.columns:
        over = out["nursing_beds"].to_numpy() > out["beds"].to_numpy()
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise InputError(
                f"nursing_beds {out['nursing_beds'].iloc[i]:g} exceed beds {out['beds'].iloc[i]:g}",
                path=p, row=i + 1, field="nursing_beds",
            )
    out["has_clinic"] = yes_no_column(out, "has_clinic", p, default=None)
    levels = []
    raw_level = out["level"] if "level" in out.columns else pd.Series([""] * len(out))
    for i, value in enumerate(raw_level.astype(str)):
        try:
            levels.append(parse_level(value))
        except ValueError:
            raise InputError(f"'{value}' is not a hospital level", path=p, row=i + 1, field="level",
                             hint="Write 1, 2 or 3 (一级/二级/三级; 三级甲等 counts as 3)") from None
    out["level"] = np.array(levels, dtype=float)
    categories = []
    assumed = []
    raw_cat = out["category"] if "category" in out.columns else pd.Series([""] * len(out))
    for i, (value, kind) in enumerate(zip(raw_cat.astype(str).str.strip(), out["type"])):
        if value == "":
            categories.append("general" if kind == "hospital" else "")
            assumed.append(kind == "hospital")
            continue
        key = value.lower()
        if key not in HOSPITAL_CATEGORIES:
            raise InputError(f"unknown category '{value}'", path=p, row=i + 1, field="category",
                             hint="Use general, tcm, maternity, specialist or community")
        categories.append(HOSPITAL_CATEGORIES[key])
        assumed.append(False)
    out["category"] = categories
    out["category_assumed"] = np.array(assumed, dtype=bool)
    owner = out["owner"].astype(str) if "owner" in out.columns else pd.Series([""] * len(out), index=out.index)
    out["owner"] = owner.str.strip()
    kinds = out["owner_kind"].astype(str) if "owner_kind" in out.columns else pd.Series([""] * len(out), index=out.index)
    out["owner_kind"] = [normalise_owner_kind(k, o) for k, o in zip(kinds, out["owner"])]
    tiers = []
    raw_tier = out["tier"] if "tier" in out.columns else pd.Series([""] * len(out))
    for i, value in enumerate(raw_tier.astype(str).str.strip()):
        if value == "":
            tiers.append("")
        elif value.lower() in _TIER_WORDS:
            tiers.append(_TIER_WORDS[value.lower()])
        else:
            raise InputError(f"unknown tier '{value}'", path=p, row=i + 1, field="tier",
                             hint="Use county, township or village (县/乡镇/村)")
    out["tier"] = tiers
    for column in ("unit", "county"):
        out[column] = out[column].astype(str).str.strip() if column in out.columns else ""
    return out


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
