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
    assert translate_text(text, "zh") == "未判定：钦南区：基数只给出全市数，县区现有数未知；浦北县：浦北县 没有 人口"
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
