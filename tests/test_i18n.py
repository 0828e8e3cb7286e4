"""The message catalogue and the Chinese outputs: every text in both languages, and no English left
in a Chinese report or map outside proper names, units and codes (listed explicitly below)."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from siting.cli import main
from siting.i18n import catalogue, default_lang, label, t, translate_text
from siting.inputs.bundled import data_path
from siting.reporting.report import build_report

REPO = Path(__file__).resolve().parents[1]
FIELDS = re.compile(r"\{(\w+)[^}]*\}")

#: Words allowed in a Chinese page: proper names (of data sources, the tool, places in the demo),
#: units and codes a reader types (file names, parameters and options are also codes).
ALLOWED = {
    # proper names and licences
    "OpenStreetMap", "ODbL", "Vonng", "adcode", "CC", "BY", "siting", "OSM", "UTC", "EXTRACT", "qinzhou", "monaco",
    "demo", "Leaflet", "Monaco",
    # units
    "km", "m", "min", "MB",
    # codes a planner types: options, parameters and their values, file kinds, table columns
    "FILE", "csv", "osm", "pbf", "tier", "unit", "town", "units", "boundaries", "distance", "network", "tcm",
    "central", "has", "clinic", "applies", "to", "name", "matches", "max", "partner", "share", "level",
    "hospital", "category", "study", "area", "assume", "general", "yaml", "type",
}
#: Matches that are codes by their form: ids and file names (digits, dots, slashes, underscores, hyphens).
CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_./\-:=#][A-Za-z0-9_./\-:=#]*)+|[A-Za-z]+\d[\w\-]*")


def english_words(text: str, names: set[str] = frozenset()) -> set[str]:
    """Latin words in ``text`` that are not codes, not in :data:`ALLOWED` and not in ``names``."""
    for name in sorted(names, key=len, reverse=True):
        if name:
            text = text.replace(name, " ")
    text = re.sub(r"`[^`]*`|--[\w-]+|https?://\S+|/[\w./\-]+", " ", text)
    text = CODE.sub(" ", text)
    return {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED}


def visible_text(page: str) -> str:
    """The text a reader sees in an HTML page: no scripts, styles, tags or base64 images."""
    page = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.DOTALL)
    page = re.sub(r'src="data:[^"]*"', " ", page)
    alts = " ".join(re.findall(r'alt="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page)) + " " + alts


def map_text(inner: str) -> str:
    """What a map shows: its title, layer names, legend, popups and tooltips, and the side panel of a
    scenario map (rule table, what-if pane; the script's own words are the verdict labels)."""
    layers = re.search(r'<meta name="siting-layers" content="([^"]*)"', inner)
    legend = re.search(r'<div class="siting-legend".*?</div>\s*</div>|<div class="siting-legend".*?$', inner, re.DOTALL)
    popups = re.findall(r'<div class="siting-popup">.*?</table></div>|<div class="siting-popup siting-site".*?'
                        r"<!-- end popup --></div>", inner, re.DOTALL)
    popups += re.findall(r'<div id="siting-panel".*?<!-- end panel --></div>', inner, re.DOTALL)
    popups += [html.escape(" ".join(json.loads(words).values()))
               for words in re.findall(r"sitingPanel\(\w+, \{[^}]*\}, .*?,\s*(\{[^}]*\})\);", inner, re.DOTALL)]
    tips = re.findall(r'"aliases": (\[[^\]]*\])', inner) + re.findall(r'\.bindTooltip\(\s*`<div>\s*(.*?)\s*</div>`', inner,
                                                                      re.DOTALL)
    title = re.search(r'<div class="siting-title"[^>]*>(.*?)</div>', inner)
    parts = [html.unescape(json.loads(html.unescape(layers.group(1))) and " ".join(json.loads(html.unescape(layers.group(1)))))
             if layers else "", legend.group(0) if legend else "", *popups, *tips, title.group(1) if title else ""]
    return visible_text(" ".join(parts))


# ------------------------------------------------------------------ the catalogue


def test_every_entry_has_both_languages_with_the_same_fields():
    cat = catalogue()
    for key, entry in cat["ui"].items():
        assert set(entry) == {"en", "zh"}, key
        assert sorted(FIELDS.findall(entry["en"])) == sorted(FIELDS.findall(entry["zh"])), key
    for entry in cat["texts"]:
        assert set(entry) == {"en", "zh"}, entry
        assert sorted(FIELDS.findall(entry["en"])) == sorted(FIELDS.findall(entry["zh"])), entry["en"]
    for group, entries in cat["labels"].items():
        for code, entry in entries.items():
            assert set(entry) == {"en", "zh"}, (group, code)
    assert len({e["en"] for e in cat["texts"]}) == len(cat["texts"])  # no template twice


def test_t_label_and_translate():
    assert t("status.summary", "zh", passed=3, failed=1, not_evaluable=2) == "3 项通过，1 项不通过，2 项无法评估"
    assert t("status.summary", "en", passed=3, failed=1, not_evaluable=2) == "3 pass, 1 fail, 2 not evaluable"
    assert label("category", "specialist", "zh") == "专科医院" and label("type", "elephant", "zh") == "elephant"
    assert translate_text("no hospitals: pass --hospitals H.csv or add type=hospital rows to the facility file", "en") \
        .startswith("no hospitals")
    # nested texts and compounds joined by '; ' (a reason that itself holds '; ' stays whole)
    text = ("not judged: 钦南区: the baseline stock is stated city-wide only; county stock unknown; "
            "浦北县: no population for 浦北县")
    assert translate_text(text, "zh") == "未判定：钦南区：基数只给出全市数，县区现有数未知；浦北县：浦北县没有人口数据"
    assert translate_text("Centre hospitalier Princesse Grace", "zh") == "Centre hospitalier Princesse Grace"
    with pytest.raises(ValueError):
        t("status.summary", "fr")


def test_default_language():
    assert default_lang("qinzhou") == "zh" and default_lang("my-pack.yaml") == "en"
    assert default_lang("qinzhou", "钦州市“一老一小”整体解决方案") == "zh"
    assert default_lang("qinzhou", "Qinzhou rules on Monaco (demo)") == "en"  # the Monaco demo stays English
    assert default_lang("gb50180", "x", "zh") == "zh"


# ------------------------------------------------------------------ Chinese reports and maps


def test_qinzhou_report_in_chinese_has_no_english_left(tmp_path):
    page = build_report(REPO / "scenarios" / "qinzhou.yaml", offline=True)
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    outer = re.sub(r'<iframe[^>]*srcdoc="[^"]*"', "<iframe", page)
    assert english_words(visible_text(outer)) == set()
    assert english_words(map_text(inner)) == set()
    assert "规则及其条款" in page and "中心城区" in page and "A1 按全市计算" in page
    assert "设施" in map_text(inner) or "规划" in map_text(inner)


def test_monaco_report_in_chinese_names_excepted(tmp_path):
    """The Qinzhou pack on Monaco with --lang zh: network rules, the A4 hospital table, isochrones and
    popups run; only the French and English names of Monaco's facilities stay as they are."""
    import pandas as pd

    page = build_report(REPO / "scenarios" / "monaco_demo.yaml", lang="zh")
    facilities = pd.read_csv(data_path("monaco_facilities.csv"), dtype=str, keep_default_na=False)
    names = set(facilities["name"]) | {"Demo elderly-care home", "Demo childcare centre", "Qinzhou rules on Monaco (demo)",
                                       "Monaco"}
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    outer = re.sub(r'<iframe[^>]*srcdoc="[^"]*"', "<iframe", page)
    assert english_words(visible_text(outer), names) == set()
    assert english_words(map_text(inner), names) == set()
    assert "A4 的医院：类别及是否计入" in page and "专科医院" in page and "类别依据" in page
    assert "15 分钟等时圈（A1：养老机构、医养结合机构、社区服务中心）" in inner


def test_scenario_map_in_chinese_names_excepted(tmp_path):
    """`siting map --scenario --lang zh` with candidates: popups, legend, the rule table and the what-if pane
    in Chinese; only the names of Monaco's facilities and of the candidate sites stay as they are."""
    import pandas as pd

    out = tmp_path / "map.html"
    assert main(["map", "--scenario", str(REPO / "scenarios" / "monaco_demo.yaml"), "--candidates",
                 str(data_path("monaco_candidates.csv")), "--lang", "zh", "--out", str(out)]) == 0
    inner = out.read_text(encoding="utf-8")
    names = set(pd.read_csv(data_path("monaco_facilities.csv"), dtype=str, keep_default_na=False)["name"])
    names |= set(pd.read_csv(data_path("monaco_candidates.csv"))["name"]) | {"Qinzhou rules on Monaco (demo)", "Monaco"}
    text = map_text(inner)
    assert english_words(text, names) == set()
    assert "假设分析" in text and "规则判定" in text and "未判定" in text and "候选选址" in text and "政府提供的养老机构用地" in text


def test_the_scan_catches_english(tmp_path):
    assert english_words("规则 A1：not evaluated，没有路网") == {"not", "evaluated"}
    assert english_words("请用 --osm FILE 提供 QZ-E12 min_share 1.0 km") == set()


# ------------------------------------------------------------------ command summaries


def test_check_summary_defaults_to_chinese_for_a_chinese_scenario(capsys):
    assert main(["check", "--scenario", str(REPO / "scenarios" / "qinzhou.yaml")]) == 0
    out = capsys.readouterr().out
    assert "项通过" in out and "无法评估" in out and english_words(out) == set()
    assert main(["check", "--scenario", str(REPO / "scenarios" / "qinzhou.yaml"), "--lang", "en"]) == 0
    assert " pass, " in capsys.readouterr().out


def test_errors_and_hints_in_chinese(tmp_path, capsys):
    bad = tmp_path / "f.csv"
    bad.write_bytes("名称,类型,床位数,经度,纬度\n某养老院,养老院,约180,108.6,21.9\n".encode("gbk"))
    assert main(["check", "--rules", "qinzhou", "--facilities", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "错误" in err and "第 1 行" in err and "字段「beds」" in err and "「约180」不是数字" in err
    assert "可带单位" in err
    assert main(["check", "--rules", "qinzhou", "--facilities", str(bad), "--lang", "en"]) == 2
    assert "row 1, field 'beds': '约180' is not a number" in capsys.readouterr().err


def test_coverage_summary_in_chinese(tmp_path, capsys):
    fac = tmp_path / "f.csv"
    shutil.copy(data_path("monaco_facilities.csv"), fac)
    assert main(["coverage", "--network", str(data_path("osm", "monaco.osm.pbf")), "--facilities", str(fac),
                 "--type", "hospital", "--population", "37308", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "医院 / all 15 分钟内" in out and "出行时间：中位数" in out


# ------------------------------------------------------------------ rule texts when data are missing
#
# Every rule kind run on inputs with holes (unknown quantities, owners, beds, levels, counties,
# tiers; facilities and hospitals without coordinates; absent files and baselines), so that the
# reasons, notes, violations and figures the verdict contract adds (bounds, rows the rule may or
# may not mean, unknowns listed by id) all appear; their compliance reports in Chinese must hold
# no English. A new English text in a rule kind without its catalogue entry fails here.

LON0, LAT0 = 108.65, 21.95
KM_LAT = 1.0 / 111.195  # degrees of latitude per km on the haversine sphere


def _rule(number: int, kind: str, params: dict, applies_to: dict | None = None):  # type: ignore[no-untyped-def]
    """A rule as a pack gives it: the kind's defaults filled in, a Chinese title."""
    from siting.rules.registry import rule_kinds
    from siting.rules.rule import Rule

    spec = rule_kinds()[kind].params
    full = {k: p.default for k, p in spec.items() if not p.required}
    full.update(params)
    return Rule(id=f"X{number}", kind=kind, title="", params=full, applies_to=applies_to or {"type": ["elderly"]},
                source={"document": "000", "clause": "第1条", "quote": "条文"}, title_zh="测试规则")


def _evaluate(rules: list, inputs):  # type: ignore[no-untyped-def]
    from siting.rules import evaluate
    from siting.rules.pack import Pack

    return evaluate(Pack("t", "", Path("t.yaml"), rules, title_zh="测试规则包"), inputs)


def _sites(rows: list[dict], kind: str = "elderly"):  # type: ignore[no-untyped-def]
    """Sites around (LON0, LAT0): ``km`` north of it (None: no coordinates); the other cells as given."""
    import numpy as np
    import pandas as pd

    out = []
    for row in rows:
        km = row.pop("km", 0.0)
        out.append({"type": kind, "name": "", "owner_kind": "government", "lon": np.nan if km is None else LON0,
                    "lat": np.nan if km is None else LAT0 + km * KM_LAT, **row})
    frame = pd.DataFrame(out)
    if "has_clinic" in frame.columns:
        frame["has_clinic"] = frame["has_clinic"].astype("boolean")
    return frame


def _hospitals(rows: list[dict]):  # type: ignore[no-untyped-def]
    import numpy as np

    frame = _sites([{"category": "general", "category_assumed": False, "level": np.nan, **r} for r in rows], "hospital")
    frame["name"] = "某医院"
    return frame


def _capacity_cases() -> list:
    """Capacity totals, ratios and shares with unknown quantities, owners, counties, baselines and files."""
    import numpy as np
    import pandas as pd

    from siting.rules.context import CheckInputs

    pop = pd.DataFrame({"unit": ["钦州市", "甲县", "乙县"], "level": ["city", "county", "county"], "indicator": "population",
                        "value": [1_000_000.0, 100_000.0, 100_000.0], "code": ["0", "1", "2"], "year": "2020"})
    twice = pd.concat([pop, pop.assign(year="2010", value=[900_000.0, 90_000.0, 90_000.0])], ignore_index=True)
    base = {"places0": {"value": 4000.0, "source": "000 L1", "quote": "现有托位 4000 个"}, "beds0": {"value": 200.0},
            "pct": {"value": 40.0, "source": "000 L2"}}
    gov = {"type": ["childcare"], "owner_kind": ["government"]}
    child = _sites([{"id": "P1", "places": 100.0, "county": "甲县"}, {"id": "P2", "places": np.nan, "county": "甲县"},
                    {"id": "P3", "places": 50.0, "county": "", "owner_kind": "unknown"},
                    {"id": "P4", "places": 460.0, "county": "乙县"}], "childcare")
    homes = _sites([{"id": "A", "beds": 100.0, "nursing_beds": 60.0}, {"id": "B", "beds": np.nan, "nursing_beds": np.nan},
                    {"id": "C", "beds": 100.0, "nursing_beds": 0.0, "owner_kind": "unknown"},
                    {"id": "D", "beds": 50.0, "nursing_beds": np.nan}, {"id": "F", "beds": np.nan, "nursing_beds": 5.0}])
    many = _sites([{"id": f"M{i:02d}", "places": np.nan, "county": "甲县"} for i in range(13)], "childcare")
    total = {"quantity": "places", "baseline": "places0"}
    ratio = {"quantity": "places", "min_per_1000": 4.5}
    share = {"numerator": "nursing_beds", "denominator": "beds", "min_share": 0.55, "include_facilities": False}
    owners = {"type": ["elderly"], "owner_kind": ["government"]}
    rules = [
        _rule(1, "capacity_total", {**total, "min_total": 4800}, gov),
        _rule(2, "capacity_total", {**total, "min_total": 100}, gov),
        _rule(3, "capacity_total", {**total, "min_total": 10**6}, {"type": ["childcare"]}),
        _rule(4, "capacity_total", {**total, "baseline": "beds_absent", "min_total": 4800, "include_facilities": True}, gov),
        _rule(5, "capacity_ratio", {**ratio, "baseline": "places0"}, gov),
        _rule(6, "capacity_ratio", ratio, gov),
        _rule(7, "capacity_ratio", {**ratio, "min_per_1000": 10}, gov),
        _rule(8, "capacity_ratio", {**ratio, "baseline": "beds_absent", "levels": ["city"]}, gov),
        _rule(9, "share", share, owners),
        _rule(10, "share", {**share, "baseline_denominator": "beds0"}, owners),
        _rule(11, "share", {**share, "baseline_denominator": "beds0", "baseline_share_pct": "pct"}, owners),
        _rule(12, "share", {**share, "include_facilities": True}, owners),
        _rule(13, "share", {**share, "baseline_denominator": "beds_absent"}, owners),
        _rule(14, "share", {**share, "min_share": 0.0}, owners),
        _rule(15, "share", {**share, "min_share": 0.99}, {"type": ["elderly"]}),
        _rule(16, "share", share, {"type": ["kindergarten"]}),
        _rule(17, "capacity_total", {"quantity": "places", "min_total": 10}, {"type": ["childcare"]}),
        _rule(18, "capacity_ratio", {**ratio, "levels": []}, gov),
    ]
    bounded = _sites([{"id": "P1", "places": 100.0}, {"id": "P2", "places": 200.0, "owner_kind": "unknown"},
                      {"id": "E", "beds": 100.0, "nursing_beds": 20.0}, {"id": "G", "beds": np.nan, "nursing_beds": 5.0}],
                     "childcare").assign(type=["childcare", "childcare", "elderly", "elderly"])
    return [
        (rules, CheckInputs(projects=pd.concat([child, homes], ignore_index=True), population=pop, baselines=base)),
        (rules, CheckInputs(projects=bounded, population=twice, baselines=base)),
        (rules, CheckInputs(projects=many, population=pop, baselines=base)),
        (rules, CheckInputs(population=pop)),
        (rules, CheckInputs()),
    ]


def _proximity_cases() -> list:
    """A4 and A5 with hospitals that may count (no coordinates, level or category), sites of unknown
    owner or without coordinates, unknown beds and clinics, and no medical institution at all."""
    import numpy as np

    from siting.rules.context import CheckInputs

    homes = _sites([{"id": "G3", "km": 3.0, "beds": 200.0, "has_clinic": None},
                    {"id": "S6", "km": 6.0, "beds": np.nan, "has_clinic": True},
                    {"id": "U7", "km": 7.0, "beds": 300.0, "has_clinic": False, "owner_kind": "unknown"},
                    {"id": "U4", "km": 4.0, "beds": 20.0, "has_clinic": None, "owner_kind": "unknown"},
                    {"id": "N1", "km": None, "beds": 100.0, "has_clinic": None},
                    {"id": "X2", "km": 2.0, "beds": np.nan, "has_clinic": False, "location_precision": "town"},
                    {"id": "C9", "km": 9.0, "beds": 10.0, "owner_kind": "company"}])
    hosp = _hospitals([{"id": "H1", "level": 3.0}, {"id": "H2", "km": None},
                       {"id": "H3", "km": 7.0}, {"id": "H4", "km": 1.0, "category_assumed": True},
                       {"id": "H5", "km": None, "category": "tcm"}, {"id": "H6", "km": None, "category_assumed": True},
                       {"id": "H7", "km": 30.0, "category": "maternity", "level": 1.0}, {"id": "H8", "km": 4.0, "level": 1.0}])
    near = _hospitals([{"id": "H1", "level": 3.0}, {"id": "H3", "km": 30.0}])
    a4 = {"type": ["elderly"], "owner_kind": ["government"]}
    rules = [
        _rule(1, "hospital_proximity", {"max_km": 5}, a4),
        _rule(2, "hospital_proximity", {"max_km": 5, "hospital_min_level": 2, "assume_general": False}, a4),
        _rule(3, "hospital_proximity", {"max_km": 5, "hospital_category": ["tcm"]}, a4),
        _rule(4, "hospital_proximity", {"max_km": 5, "hospital_category": ["specialist"]}, a4),
        _rule(5, "hospital_proximity", {"max_km": 5, "distance": "network", "hospital_min_level": 2}, a4),
        _rule(6, "hospital_proximity", {"max_km": 5}, {"type": ["elderly"], "owner_kind": ["public_institution"]}),
        _rule(7, "hospital_proximity", {"max_km": 8, "hospital_min_level": 3}, {"type": ["elderly"]}),
        _rule(8, "clinic_partner", {"min_beds": 150}, a4),
        _rule(9, "clinic_partner", {"min_beds": 150, "max_partner_km": 1.0}, {"type": ["elderly"]}),
        _rule(10, "clinic_partner", {"min_beds": 150}, {"type": ["elderly"], "owner_kind": ["public_institution"]}),
        _rule(11, "clinic_partner", {"min_beds": 150}, {"type": ["elderly"], "owner_kind": ["government", "company"]}),
    ]
    return [
        (rules, CheckInputs(facilities=homes, hospitals=hosp)),
        (rules, CheckInputs(facilities=homes, hospitals=near)),
        (rules, CheckInputs(facilities=homes)),
        (rules, CheckInputs(projects=homes.iloc[:1])),
        (rules, CheckInputs()),
    ]


def _unit_cases() -> list:
    """Unit coverage, counts per county and tiers with facilities placed nowhere, of unknown owner,
    county or tier, on existing facilities and on planned projects alone."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from siting.rules.context import CheckInputs

    units = pd.DataFrame({"code": ["1", "2", "3", "c1", "c2"], "name": ["一街道", "二街道", "三镇", "甲县", "乙县"],
                          "level": ["town", "town", "town", "county", "county"], "county": ["甲县", "甲县", "乙县", "甲县", "乙县"]})
    fac = _sites([{"id": "a", "unit": "一街道", "county": "甲县", "tier": "county"},
                  {"id": "b", "unit": "别处", "county": "", "tier": ""},
                  {"id": "c", "unit": "三镇", "county": "乙县", "tier": "village", "owner_kind": "unknown"},
                  {"id": "d", "unit": "", "county": "乙县", "tier": "township", "name": "中心"},
                  {"id": "e", "unit": "二街道", "county": "甲县", "tier": "village", "name": ""}])
    settled = fac[fac["id"].isin(["a", "e"])].reset_index(drop=True)
    town_pop = pd.DataFrame({"unit": ["一街道"], "level": "town", "indicator": "population", "value": [2000.0], "code": ["1"]})
    towns = gpd.GeoDataFrame({"name": ["一街道", "三镇"], "level": "town"}, crs=4326, geometry=[
        shapely.box(LON0 - 0.1, LAT0 - 0.01, LON0 + 0.1, LAT0 + 5 * KM_LAT), shapely.box(LON0 - 0.1, LAT0 + 5 * KM_LAT, LON0 + 0.1, LAT0 + 0.5)])
    gov = {"type": ["elderly"], "owner_kind": ["government"]}
    rules = [
        _rule(1, "unit_coverage", {"unit_level": "town", "min_share": 1.0}, gov),
        _rule(2, "unit_coverage", {"unit_level": "town", "min_share": 0.5, "population_range": [1000, 3000]}, gov),
        _rule(3, "unit_coverage", {"unit_level": "village", "min_share": 0.5}, gov),
        _rule(4, "unit_coverage", {"unit_level": "town", "min_share": 0.5}, {"type": ["elderly"], "name_matches": "中心"}),
        _rule(5, "count_per_unit", {"min_count": 2}, gov),
        _rule(6, "count_per_unit", {"min_count": 1}, {"type": ["elderly"]}),
        _rule(7, "tier_completeness", {}, gov),
        _rule(8, "tier_completeness", {"tiers": ["county", "township", "village"]}, {"type": ["elderly"]}),
        _rule(9, "unit_coverage", {"unit_level": "town", "min_share": 0.5, "unit_name_matches": "社区"}, gov),
        _rule(10, "unit_coverage", {"unit_level": "town", "min_share": 0.5, "urban_only": True}, gov),
    ]
    return [
        (rules, CheckInputs(facilities=fac, units=units)),
        (rules, CheckInputs(projects=fac, units=units)),
        (rules, CheckInputs(projects=settled, units=units)),
        (rules, CheckInputs(facilities=settled, units=units)),
        (rules, CheckInputs(facilities=fac)),
        (rules, CheckInputs(facilities=fac.assign(tier=""), units=units, population=town_pop)),
        (rules, CheckInputs(facilities=fac.assign(unit=""), units=units, unit_boundaries=towns)),
        (rules, CheckInputs(units=units)),
        (rules, CheckInputs()),
    ]


def _network_cases() -> list:
    """Service circles, A4 and A5 on the ladder network (one minute per edge): facilities without
    coordinates, of unknown owner, far from the road; sites beyond the limit on the road."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely
    from conftest import bottom, ladder

    from siting.rules.context import CheckInputs

    net = ladder()
    at = [bottom(k) for k in range(11)]
    demand = gpd.GeoDataFrame({"demand_id": range(11), "population": 10.0, "lon": [p[0] for p in at], "lat": 0.0,
                               "unit": ["甲街道"] * 5 + ["乙街道"] * 6},
                              geometry=gpd.points_from_xy([p[0] for p in at], [0.0] * 11), crs=4326)
    west = gpd.GeoDataFrame(geometry=[shapely.box(at[0][0] - 1e-4, -1e-3, at[4][0], 1e-3)], crs=4326)
    nowhere = gpd.GeoDataFrame(geometry=[shapely.box(20.0, 20.0, 20.1, 20.1)], crs=4326)
    rows = [("f0", 0, "government", 200.0, False), ("f1", 1, "unknown", 20.0, None), ("f9", 9, "unknown", 300.0, None),
            ("f7", None, "government", 20.0, None), ("f5", 5, "government", 20.0, True)]
    fac = pd.DataFrame({"id": [r[0] for r in rows], "name": "颐养院", "type": "elderly", "owner_kind": [r[2] for r in rows],
                        "beds": [r[3] for r in rows], "has_clinic": pd.array([r[4] for r in rows], dtype="boolean"),
                        "lon": [np.nan if r[1] is None else at[r[1]][0] for r in rows],
                        "lat": [np.nan if r[1] is None else 0.0 for r in rows], "location_precision": "site"})
    fac.loc[fac["id"] == "f5", "lat"] = 0.02  # two kilometres off the road
    hosp = _hospitals([{"id": "H1"}]).assign(lon=at[0][0], lat=0.0)
    clinic = pd.DataFrame({"id": ["K1"], "name": "卫生室", "type": "clinic", "lon": [at[10][0]], "lat": [0.0]})
    gov = {"type": ["elderly"], "owner_kind": ["government"]}
    rules = [
        _rule(1, "service_coverage", {"minutes": 2, "min_share": 0.9}, gov),
        _rule(2, "service_coverage", {"minutes": 2, "min_share": 0.5, "max_distance_m": 120, "area": "central"}, gov),
        _rule(3, "service_coverage", {"minutes": 1, "min_share": 0.99, "demand": "pop_60plus"}, {"type": ["elderly"]}),
        _rule(4, "hospital_proximity", {"max_km": 0.2, "distance": "network"}, gov),
        _rule(5, "hospital_proximity", {"max_km": 0.1}, {"type": ["elderly"], "owner_kind": ["government", "unknown"]}),
        _rule(6, "clinic_partner", {"min_beds": 150, "max_partner_km": 0.1}, gov),
        _rule(7, "service_coverage", {"minutes": 2, "min_share": 0.5}, {"type": ["clinic"]}),
        _rule(8, "service_coverage", {"minutes": 0.5, "min_share": 0.99, "population_band": [1000, 3000]}, gov),
    ]
    walk = {"walk": net, "drive": net}
    located = fac[fac["id"] != "f7"].reset_index(drop=True)
    return [
        (rules, CheckInputs(facilities=pd.concat([fac, clinic], ignore_index=True), hospitals=hosp, networks=walk,
                            demand_layer=(demand, ""))),
        (rules, CheckInputs(facilities=located, hospitals=hosp, networks=dict(walk), demand_layer=(demand, ""))),
        (rules, CheckInputs(facilities=located.iloc[:1], hospitals=hosp, networks=dict(walk),
                            demand_layer=(demand.assign(population=0.0), ""))),
        (rules, CheckInputs(facilities=located, hospitals=hosp, networks=dict(walk))),
        (rules, CheckInputs(facilities=located, hospitals=hosp)),
        (rules, CheckInputs(facilities=located, hospitals=hosp, networks=dict(walk), demand_layer=(demand, ""),
                            central=west, central_label="西区")),
        (rules, CheckInputs(facilities=located, hospitals=hosp, networks=dict(walk), demand_layer=(demand, ""),
                            central=nowhere, central_label="东区")),
        (rules, CheckInputs(facilities=fac[fac["id"] == "f7"].reset_index(drop=True), hospitals=hosp, networks=dict(walk))),
        (rules, CheckInputs(hospitals=hosp, networks=dict(walk))),
    ]


def _plan_kind_cases() -> list:
    """The rules of the plans' packs (every kind of issue 15) with no inputs, and on the bundled
    Qinzhou and Jingdezhen scenarios offline (tables with holes: no hospitals, estates, departments)."""
    from siting.inputs.scenario import load_scenario
    from siting.rules import inputs_from_scenario, load_pack
    from siting.rules.context import CheckInputs

    rules = [r for n in ("qinzhou", "qinzhou-health", "guangxi", "jingdezhen") for r in load_pack(n).rules]
    return [(rules, CheckInputs())] + [(rules, inputs_from_scenario(load_scenario(REPO / "scenarios" / f"{n}.yaml")))
                                       for n in ("qinzhou", "jingdezhen")]


MISSING_DATA_CASES = [_capacity_cases, _proximity_cases, _unit_cases, _network_cases, _plan_kind_cases]


def test_the_missing_data_cases_run_every_rule_kind():
    """A new rule kind joins the cases below, so that its texts are checked in Chinese too."""
    from siting.rules.registry import rule_kinds

    kinds = {r.kind for cases in MISSING_DATA_CASES for rules, _ in cases() for r in rules}
    assert kinds == set(rule_kinds())


@pytest.mark.parametrize("cases", MISSING_DATA_CASES)
def test_rule_texts_with_missing_data_in_chinese(cases):
    """Compliance reports in Chinese (HTML and Markdown) of every rule kind on inputs with holes:
    bounds, unknowns listed by id, uncertain hospitals, unplaced facilities; no English left but
    the codes a planner types (a rule's ``applies_to`` filter, quoted as written in the pack)."""
    for rules, inputs in cases():
        report = _evaluate(rules, inputs)
        # codes a planner types: a rule's applies_to filter, rule ids (B9-city-elderly), baselines keys
        codes = {str(r.applies_to) for r in rules} | {r.id for r in rules} | {"[qinzhou]", "[jingdezhen]"}
        page, markdown = visible_text(report.to_html("zh")), report.to_markdown("zh")
        assert english_words(page, codes) == set(), [r.to_dict("zh") for r in report.results]
        assert english_words(markdown, codes) == set()
        assert "规则包" in page and "结论" in markdown
