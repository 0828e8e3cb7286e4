"""Amap (高德) and Baidu (百度) POI exports as facility tables.

The hospital lists planners really have are exports of the map providers' place search: a
table (CSV in UTF-8 or GBK, or .xlsx) with one row per point of interest. Each provider files
its POIs under its own classification, which this module maps onto siting's facility types,
hospital categories (:mod:`siting.inputs.hospitals`) and levels; the name then refines a loose
answer (providers file many 妇幼保健院 and 中医院 under 综合医院). Coordinates are converted to
WGS84 with :func:`siting.coords.to_wgs84`: Amap publishes GCJ-02, Baidu BD-09.

Amap (Web Service place search, https://lbs.amap.com/api/webservice/guide/api/search): columns
``id, name, type, typecode, address, location`` (``"lng,lat"``), ``pname, cityname, adname``.
``typecode`` is a code of Amap's POI classification table ("POI 分类编码", published as
``amap_poicode.xlsx`` on https://lbs.amap.com/api/web-service/download, version of 2023-10-13):
``09xxxx`` is 医疗保健服务 (090100 综合医院, 090101 三级甲等医院, 090102 卫生院, 0902xx 专科医院,
090300 诊所, 090400 急救中心, 090500 疾病预防机构, 090600 医药保健销售店, 090700 动物医疗场所)
and 141204 is 幼儿园 (科教文化服务;学校;幼儿园).

Baidu (Place API v2, https://lbsyun.baidu.com/faq/api?title=webapi/guide/webservice-placeapi):
columns ``uid, name, lat, lng, address, province, city, area`` and the classification ``tag``
(``detail_info.tag``), e.g. ``医疗;综合医院``, from Baidu's POI industry classification
("POI 行业分类", https://lbsyun.baidu.com/faq/api?title=lbscloud/poitags): 医疗 → 综合医院,
专科医院, 诊所, 药店, 体检机构, 疗养院, 急救中心, 疾控中心, 医疗器械, 医疗保健; 教育培训 → 幼儿园.

Chinese headers work too (名称, 地址, 经度, 纬度, 类型编码/分类编码, 标签/行业分类). POIs of kinds
that are not facilities of a plan (pharmacies, labs, disease control, veterinary) are left out,
and ``attrs['notes']`` says how many. Elderly-care and childcare POIs have no code of their own
in either table; their names decide (养老院, 敬老院, 托育, 托儿所, ...).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from siting.errors import InputError
from siting.inputs.facilities import validate_facilities
from siting.inputs.hospitals import HospitalClass, classify_name, combine
from siting.io import points_frame, read_table, require_columns, split_location

#: Which coordinate system each provider publishes.
PROVIDER_CRS = {"amap": "gcj02", "baidu": "bd09"}
#: Amap type codes -> (facility type, hospital category, speciality, level). Codes not listed
#: fall back to their 4-digit group (``0902xx`` -> 090200).
AMAP_CODES: dict[str, tuple[str, str, str, float]] = {
    "090100": ("hospital", "general", "", math.nan),     # 综合医院
    "090101": ("hospital", "general", "", 3.0),          # 三级甲等医院
    "090102": ("hospital", "primary", "", math.nan),     # 卫生院
    "090200": ("hospital", "specialist", "", math.nan),  # 专科医院
    "090201": ("hospital", "specialist", "plastic_surgery", math.nan),   # 整形美容
    "090202": ("hospital", "specialist", "dentistry", math.nan),         # 口腔医院
    "090203": ("hospital", "specialist", "ophthalmology", math.nan),     # 眼科医院
    "090204": ("hospital", "specialist", "otolaryngology", math.nan),    # 耳鼻喉医院
    "090205": ("hospital", "specialist", "cardiology", math.nan),        # 胸科医院
    "090206": ("hospital", "specialist", "orthopaedics", math.nan),      # 骨科医院
    "090207": ("hospital", "specialist", "oncology", math.nan),          # 肿瘤医院
    "090208": ("hospital", "specialist", "neurology", math.nan),         # 脑科医院
    "090209": ("hospital", "maternity", "", math.nan),                   # 妇科医院
    "090210": ("hospital", "specialist", "psychiatry", math.nan),        # 精神病医院
    "090211": ("hospital", "specialist", "infectious_diseases", math.nan),  # 传染病医院
    "090300": ("clinic", "primary", "", math.nan),       # 诊所
    "141204": ("kindergarten", "", "", math.nan),        # 幼儿园
}
#: Amap codes whose answer the name may narrow (a loose 综合医院 or a generic 专科医院).
AMAP_LOOSE = frozenset({"090000", "090100", "090101", "090200"})
#: Baidu tags (second level of 医疗 / 教育培训) -> (facility type, hospital category, speciality).
BAIDU_TAGS: dict[str, tuple[str, str, str]] = {
    "医疗;综合医院": ("hospital", "general", ""),
    "医疗;专科医院": ("hospital", "specialist", ""),
    "医疗;诊所": ("clinic", "primary", ""),
    "医疗;疗养院": ("hospital", "specialist", "rehabilitation"),
    "教育培训;幼儿园": ("kindergarten", "", ""),
}
BAIDU_LOOSE = frozenset({"医疗;综合医院", "医疗;专科医院", "医疗"})
#: Names that make a POI an elderly-care or childcare facility whatever its code.
CARE_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("elderly", re.compile(r"养老|敬老院|福利院|老年公寓|颐养|护理院|养护院|日间照料|幸福院|托老")),
    ("childcare", re.compile(r"托育|托儿所|婴幼儿照护|育婴园")),
    ("kindergarten", re.compile(r"幼儿园")),
)
_CODE_COLUMNS = ("typecode", "类型编码", "分类编码", "poi编码")
_TAG_COLUMNS = ("tag", "detail_info.tag", "标签", "行业分类", "分类", "poi_type")


def read_poi_export(path: str | Path, provider: str, *, crs: str | None = None, what: str = "POI export",
                    default_type: str | None = None, extra_types: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read an Amap or Baidu POI export as a validated facility table.

    Parameters
    ----------
    provider
        'amap' (coordinates GCJ-02) or 'baidu' (BD-09).
    crs
        Override the provider's coordinate system (e.g. a Baidu export fetched with
        ``ret_coordtype=gcj02ll``).
    default_type
        Keep only POIs of this facility type (e.g. 'hospital' for a hospital list).

    Returns
    -------
    pandas.DataFrame
        As :func:`siting.inputs.facilities.validate_facilities`, plus ``poi_type`` (the
        provider's classification) and ``address``; ``category_reason`` names the provider's
        code (``amap:090202``, ``baidu:医疗;专科医院``) or the part of the name that decided.
    """
    if provider not in PROVIDER_CRS:
        raise InputError(f"unknown POI provider '{provider}'", path=path, hint="Use amap or baidu")
    p = Path(path)
    frame = poi_rows(split_location(read_table(p, what), p), p, provider)
    kept = frame[frame["type"] != ""]
    if default_type is not None:
        kept = kept[kept["type"] == default_type]
    notes = list(frame.attrs.get("notes", []))
    if len(kept) < len(frame):
        left = frame.loc[~frame.index.isin(kept.index), "poi_type"].replace("", "?").value_counts()
        notes.append(f"{len(frame) - len(kept)} POI(s) left out (not a facility kind of the plan): "
                     + ", ".join(f"{k} {v}" for k, v in left.items()))
    if kept.empty:
        raise InputError("no POI of a facility kind in the export", path=p,
                         hint="Export hospitals, clinics, elderly-care or childcare POIs (医疗保健服务, 养老院, 托育, 幼儿园)")
    kept = kept.reset_index(drop=True)
    kept.attrs["notes"] = notes
    points = points_frame(kept, p, crs or PROVIDER_CRS[provider])
    out = validate_facilities(points, p, extra_types=extra_types)
    out.attrs["notes"] = notes + [f"coordinates converted from {(crs or PROVIDER_CRS[provider]).upper()} to WGS84"]
    return out


def poi_rows(frame: pd.DataFrame, path: Path, provider: str) -> pd.DataFrame:
    """The rows of an export in siting's columns: ``id, name, type, category, category_reason, level, lon, lat``.

    ``type`` is '' for POIs that are not facilities of a plan (they are left out by the caller).
    """
    require_columns(frame, ["name", "lon", "lat"], path)
    out = frame.rename(columns={"type": "poi_type"}) if provider == "amap" else frame.copy()
    out.attrs = dict(frame.attrs)
    code_col = next((c for c in _CODE_COLUMNS if c in out.columns), None)
    tag_col = next((c for c in _TAG_COLUMNS if c in out.columns), None)
    if code_col is None and tag_col is None:
        raise InputError(f"no classification column in the {provider} export", path=path,
                         hint="Amap exports need 'typecode' (or 'type'); Baidu exports 'tag' (e.g. 医疗;综合医院)")
    codes = out[code_col].astype(str).str.strip() if code_col else pd.Series([""] * len(out), index=out.index)
    tags = out[tag_col].astype(str).str.strip() if tag_col else pd.Series([""] * len(out), index=out.index)
    if "poi_type" not in out.columns:
        out["poi_type"] = tags if provider == "baidu" else codes
    if "id" not in out.columns:
        out["id"] = [f"{provider}-{i + 1}" for i in range(len(out))]
    rows = [classify_poi(provider, str(n), c, t) for n, c, t in zip(out["name"], codes, tags)]
    out["type"] = [r[0] for r in rows]
    out["category"] = [r[1].category for r in rows]
    out["category_reason"] = [r[1].reason for r in rows]
    out["speciality"] = [r[1].speciality for r in rows]
    out["level"] = ["" if np.isnan(r[1].level) else f"{r[1].level:g}" for r in rows]
    return out


def classify_poi(provider: str, name: str, code: str, tag: str) -> tuple[str, HospitalClass]:
    """(facility type, hospital class) of one POI from its provider classification and its name.

    Examples
    --------
    >>> classify_poi("amap", "钦州市妇幼保健院", "090100", "")[1].category   # filed under 综合医院
    'maternity'
    >>> classify_poi("baidu", "北京京城皮肤病医院", "", "医疗;专科医院")[1].reason
    'name:皮肤病 (baidu:医疗;专科医院)'
    """
    care = next((kind for kind, pattern in CARE_NAMES if pattern.search(name)), "")
    if care and "医院" not in name:  # 某养老院 filed under 生活服务, 某托育中心 under 学校: the name says it
        return care, HospitalClass()
    if provider == "amap":
        code = code.split("|")[0].strip().zfill(6) if code else ""
        entry = AMAP_CODES.get(code) or (AMAP_CODES.get(code[:4] + "00") if code else None)
        loose = code in AMAP_LOOSE or (code not in AMAP_CODES and code[:4] + "00" in AMAP_LOOSE)
        source = f"amap:{code}"
    else:
        key = ";".join(tag.replace("；", ";").split(";")[:2])
        found = BAIDU_TAGS.get(key)
        entry = None if found is None else (*found, math.nan)
        source, loose = f"baidu:{key}", key in BAIDU_LOOSE
    if entry is None:
        by_name = classify_name(name)  # 医疗保健服务场所 and the like: only a name that says hospital
        return ("hospital", by_name) if by_name.category in ("general", "tcm", "maternity", "specialist") \
            and "医院" in name else ("", HospitalClass())
    kind, category, speciality, level = entry
    if kind != "hospital" and kind != "clinic":
        return kind, HospitalClass()
    strong = HospitalClass(category, source, speciality, level, "" if np.isnan(level) else source)
    if loose:
        weak = HospitalClass("general" if category == "general" else "", source, speciality, level, strong.level_reason)
        refined = combine(weak, name)
        if refined.category == "" and category == "specialist":
            refined = strong
        return kind, refined
    return kind, combine(strong, name)
