"""What kind of hospital a record is, for the 综合性医院 (general hospital) rule A4, and why.

One classifier for every source: a planner's table (a ``category`` column, else the name), the
OpenStreetMap extractor (:mod:`siting.osm.features`: tags, then the name) and the Amap/Baidu
importers (:mod:`siting.inputs.poi`: the provider's type, then the name). Each answer carries
its ``reason`` — which column, tag, provider code or part of the name decided it — so the
reports can say why a hospital was counted or not.

Categories
==========

=========== ==================================================================================
general     综合医院: 人民医院, 中心医院, 附属医院, 第一医院, 总医院, 综合医院, 职工医院, 协和医院, ...
tcm         中医医院, 中医院, 中西医结合医院, 民族医院 (壮医, 蒙医, 藏医, ...): a category of its own; a
            rule pack counts it as general by listing it (``hospital_category: [general, tcm]``)
maternity   妇幼保健院, 妇产医院, 妇女儿童医院 (maternal and child health)
specialist  儿童医院, 口腔, 眼科, 耳鼻喉, 皮肤病, 精神, 肿瘤, 传染病, 结核, 骨科, 胸科, 心血管, 脑科,
            康复, 整形/美容, 男科, 肛肠, 不孕, 老年病, 职业病, ... (and OSM specialities)
primary     社区卫生服务中心/站, 卫生院, 卫生室, 卫生所, 诊所, 门诊部, 医务室: primary care, never a
            general hospital (input tables may say ``community`` for it)
other       medical institutions that are not hospitals: 急救中心, 血站, 疾病预防控制中心, 体检中心,
            药房/药店 (a pharmacy tagged as a hospital)
=========== ==================================================================================

An empty category means "cannot tell": the rule counts such a hospital as general and says so,
unless its pack sets ``assume_general: false``.

Names are read after Unicode NFKC, without spaces and without a campus suffix
(``钦州市第二人民医院白石湖院区`` is read as ``钦州市第二人民医院``). Primary care is recognised
first (``中医诊所`` is a clinic), then institutions that are not hospitals (``中医药产业园``),
maternity, TCM, the words ``综合医院``/``综合性医院``, specialist words, and last the
general-hospital words (``XX医科大学附属肿瘤医院`` is a specialist hospital). The level
(三级甲等/三甲 → 3, 二级 → 2, 一级 → 1) is read where a name states it, but not an aim
(``创建三级甲等`` says the hospital is not 三甲 yet).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

#: The hospital categories, in the order the reports list them.
CATEGORIES: tuple[str, ...] = ("general", "tcm", "maternity", "specialist", "primary", "other")
#: Words of a ``category`` column -> category (English codes, Chinese words, older spellings).
CATEGORY_WORDS: dict[str, str] = {
    **{w: "general" for w in ("general", "综合", "综合医院", "综合性医院", "综合性")},
    **{w: "tcm" for w in ("tcm", "中医", "中医医院", "中医院", "中西医结合", "中西医结合医院", "民族医院")},
    **{w: "maternity" for w in ("maternity", "mch", "妇幼", "妇幼保健院", "妇产", "妇产医院")},
    **{w: "specialist" for w in ("specialist", "专科", "专科医院", "psychiatric", "精神病医院")},
    **{w: "primary" for w in ("primary", "community", "township", "社区", "基层", "社区卫生服务中心",
                              "乡镇卫生院", "卫生院", "诊所", "卫生室")},
    **{w: "other" for w in ("other", "其他", "急救中心", "疾控中心", "血站")},
}

_PRIMARY = re.compile(r"社区卫生服务(中心|站)|卫生服务(中心|站)|卫生院|卫生室|卫生所|卫生站|诊所|门诊部|医务室|"
                      r"communityhealth|health(centre|center|post)")
_MATERNITY = re.compile(r"妇幼保健院|妇幼保健|妇幼|妇产|妇女儿童医院|妇儿医院|产科医院|matern|obstetric|gyn[ae]*colog")
_TCM = re.compile(r"中西医结合医院|中医医院|中医院|中西医结合|中医|民族医院|壮医|蒙医|藏医|维吾尔医|苗医|瑶医|traditional[ _]chinese")
_OTHER = re.compile(r"(?<!应)急救|医学救援|血站|血液中心|献血|疾病预防控制|疾控中心|体检中心|健康管理中心|卫生监督|"
                    r"物资储备|产业园|卫生学校|医学院$")
_GENERAL_EXPLICIT = re.compile(r"综合医院|综合性医院")
#: Specialist words -> the speciality a report shows (English, as OSM's ``healthcare:speciality``).
SPECIALIST_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("paediatrics", re.compile(r"儿童医院|儿科医院|p[ae]*diatr|children")),
    ("dentistry", re.compile(r"口腔|牙科|齿科|dental|dentaire")),
    ("ophthalmology", re.compile(r"眼科|眼病|眼视光|ophtalm|ophthalm|\beye\b")),
    ("otolaryngology", re.compile(r"耳鼻喉|耳鼻咽喉")),
    ("dermatology", re.compile(r"皮肤病|皮肤科|皮肤|性病|dermatolog")),
    ("psychiatry", re.compile(r"精神|心理|脑科医院|psychiat|mental")),
    ("oncology", re.compile(r"肿瘤|癌|oncolog|cancer")),
    ("infectious_diseases", re.compile(r"传染病|感染病|结核|肺科|公共卫生(临床|医疗|应急)|infectious")),
    ("orthopaedics", re.compile(r"骨科|骨伤|正骨|orthop")),
    ("cardiology", re.compile(r"胸科|心血管|心脏|cardio")),
    ("neurology", re.compile(r"脑科|神经|neuro")),
    ("rehabilitation", re.compile(r"康复|疗养|r[ée][ée]ducation|rehabilit")),
    ("plastic_surgery", re.compile(r"整形|美容|医美|plastic|cosmetic")),
    ("urology", re.compile(r"男科|泌尿|urolog")),
    ("proctology", re.compile(r"肛肠")),
    ("fertility", re.compile(r"不孕|生殖|试管|fertility")),
    ("geriatrics", re.compile(r"老年病|老年医学|g[ée]ront|g[ée]riat|geriatr")),
    ("occupational", re.compile(r"职业病")),
    ("sports_medicine", re.compile(r"运动医学|sport")),
    ("pharmacy", re.compile(r"药房|药店|大药|pharmac|farmac")),
    ("unstated", re.compile(r"专科医院|专科")),
)
_GENERAL = re.compile(r"人民医院|中心医院|附属(第[一二三四五六七八九十\d]+)?医院|第[一二三四五六七八九十\d]+医院|"
                      r"总医院|职工医院|协和医院|大学.*医院|医学院.*医院|(市|县|区|旗|州)医院$|"
                      r"centrehospitalier|generalhospital|h[oô]pitalg[ée]n[ée]ral|universityhospital")
#: Campus and branch suffixes left out before classifying (the campus of a general hospital is one).
_CAMPUS = re.compile(r"(?<=院)([^院]{0,12}(院区|分院|新院|老院|本部|门诊楼|住院楼|院部)|[(（][^)）]*[)）])$")
#: Level words that state an aim, not a level (灵山县人民医院「创建三级甲等」 is not yet 三甲).
_AIM = re.compile(r"(创建|争创|申报|晋升|创)[一二三]级[甲乙丙]?等?")
_LEVELS = ((re.compile(r"三级[甲乙丙]等|三级|三甲|三乙|tertiary"), 3.0),
           (re.compile(r"二级[甲乙丙]等|二级|二甲|二乙|secondary"), 2.0), (re.compile(r"一级[甲乙丙]等|一级|一甲|一乙"), 1.0))
#: OSM ``healthcare:speciality`` values that mean a general hospital or a category of its own.
OSM_GENERAL = frozenset({"general", "general_medicine", "internal", "emergency", "surgery"})
OSM_CATEGORY = {"traditional_chinese_medicine": "tcm", "chinese_medicine": "tcm", "tcm": "tcm",
                "gynaecology": "maternity", "obstetrics": "maternity", "gynecology": "maternity"}


@dataclass(frozen=True)
class HospitalClass:
    """A classified hospital: ``category`` ('' when unknown), ``reason``, ``speciality``, ``level``."""

    category: str = ""
    reason: str = ""
    speciality: str = ""
    level: float = math.nan
    level_reason: str = ""

    @property
    def known(self) -> bool:
        return self.category != ""


def normalise_name(name: object) -> str:
    """A name as the classifier reads it: NFKC, lower case, no spaces."""
    return unicodedata.normalize("NFKC", str(name or "")).strip().lower().replace(" ", "")


def name_level(name: object) -> tuple[float, str]:
    """The level a name states (``灵山县人民医院(三级甲等)`` -> 3) and the words that say it."""
    text = _AIM.sub("", normalise_name(name))
    for pattern, level in _LEVELS:
        m = pattern.search(text)
        if m:
            return level, f"name:{m.group(0)}"
    return math.nan, ""


def classify_name(name: object) -> HospitalClass:
    """The category a Chinese (or French/English) hospital name states, with the words that say it.

    Examples
    --------
    >>> classify_name("北京京城皮肤病医院").category, classify_name("北京京城皮肤病医院").reason
    ('specialist', 'name:皮肤病')
    >>> classify_name("钦州市第二人民医院白石湖院区").category
    'general'
    """
    full = normalise_name(name)
    text = _CAMPUS.sub("", full) or full
    level, level_reason = name_level(full)

    def found(category: str, m: re.Match[str], speciality: str = "") -> HospitalClass:
        return HospitalClass(category, f"name:{m.group(0)}", speciality, level, level_reason)

    for category, pattern in (("primary", _PRIMARY), ("other", _OTHER), ("maternity", _MATERNITY), ("tcm", _TCM),
                              ("general", _GENERAL_EXPLICIT)):
        m = pattern.search(text)
        if m:
            return found(category, m)
    for speciality, pattern in SPECIALIST_WORDS:
        m = pattern.search(text)
        if m:
            return found("specialist", m, speciality)
    m = _GENERAL.search(text)
    if m:
        return found("general", m)
    return HospitalClass("", "", "", level, level_reason)


def category_from_value(value: object) -> str | None:
    """The category a ``category`` cell names (综合 -> general, 社区 -> primary); '' when empty, None if unknown."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower().replace(" ", "")
    if text in ("", "nan"):
        return ""
    return CATEGORY_WORDS.get(text)


def classify_osm(tags: dict[str, str]) -> HospitalClass:
    """A hospital's category from its OSM tags and name.

    ``healthcare:speciality`` decides when it names a speciality (``dermatology``: specialist;
    ``traditional_chinese_medicine``: tcm); ``healthcare=centre|clinic|doctor`` is primary care;
    otherwise the name decides (:func:`classify_name`), and a speciality tag of ``general`` only
    when the name says nothing else. Chinese OSM data rarely carries a speciality tag; the name
    usually says what the hospital is.
    """
    name = tags.get("name", "") or tags.get("name:zh", "")
    by_name = classify_name(name)
    level, level_reason = by_name.level, by_name.level_reason
    specialities = [s.strip().lower() for s in tags.get("healthcare:speciality", "").split(";") if s.strip()]
    first = next((s for s in specialities if s not in OSM_GENERAL), "")
    if first:
        category = OSM_CATEGORY.get(first, "specialist")
        return HospitalClass(category, f"tag:healthcare:speciality={first}", first if category == "specialist" else "",
                             level, level_reason)
    healthcare = tags.get("healthcare", "")
    if healthcare in ("centre", "clinic", "doctor") and tags.get("amenity", "") != "hospital":
        return HospitalClass("primary", f"tag:healthcare={healthcare}", "", level, level_reason)
    if by_name.known:
        return by_name
    if specialities:
        return HospitalClass("general", f"tag:healthcare:speciality={specialities[0]}", "", level, level_reason)
    return by_name


def combine(strong: HospitalClass, name: object) -> HospitalClass:
    """A provider's or a table's answer, refined by the name where the source is only 'general'.

    A source saying 综合医院 is often loose (map providers file 妇幼保健院 and 中医院 under it),
    so a name stating a narrower category wins and the reason names both. A source naming a
    specialist or primary-care category is kept. The name's level fills a missing level.
    """
    by_name = classify_name(name)
    level, level_reason = strong.level, strong.level_reason
    if math.isnan(level) and not math.isnan(by_name.level):
        level, level_reason = by_name.level, by_name.level_reason
    if strong.category in ("general", "") and by_name.known and by_name.category != "general":
        reason = f"{by_name.reason} ({strong.reason})" if strong.reason else by_name.reason
        return HospitalClass(by_name.category, reason, by_name.speciality, level, level_reason)
    if not strong.known:
        return HospitalClass(by_name.category, by_name.reason, by_name.speciality, level, level_reason)
    return HospitalClass(strong.category, strong.reason, strong.speciality, level, level_reason)
