"""The compliance report's views and files, cell by cell (siting/rules/result.py).

Every expected text is written out here from the catalogue (siting/i18n/messages.yaml) and the
report's formatting rules: a figure with at most 3 decimals and thousands separators (whole
numbers from a million on), '—' for a missing value, '|' inside a Markdown cell written as '/',
texts in Chinese with ``lang='zh'`` while ids, codes and figures stay as they are.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.rules.result import ComplianceReport, RuleResult, compliance_html

STYLE = ("<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;"
         "vertical-align:top}blockquote{border-left:4px solid #888;margin:.5em 0;padding:.2em 1em;background:#f6f8fa}"
         ".st{font-weight:bold}</style>")
RED, GREEN, AMBER = "#cf222e", "#1a7f37", "#9a6700"
NETWORK_EN = "no road network: pass --osm FILE (or set network.source in the scenario)"
NETWORK_ZH = "没有路网：请用 --osm FILE 提供 OSM 文件（或在场景文件中设置 network.source）"
SUPPLY_EN = "no supply data: give planned projects or a facility file"
SUPPLY_ZH = "没有供给数据：请给出规划项目或设施表"
ROAD_EN = "road distance missing: no facility has coordinates"
ROAD_ZH = "缺少道路距离：没有设施有坐标"
QUOTE = "距离综合性医院不高于 5km。"


def report() -> ComplianceReport:
    """Three rules: A4 fails (figures, notes, a violation, details and a hospital table), C8 is not
    evaluable (a catalogue reason, unverified, its document not a mapping), B1 passes (figures of
    every format)."""
    a4 = RuleResult(
        "A4", "hospital_proximity", "Near a hospital", "fail",
        figures={"max_km": 5, "by_site": {"S6": 6.25}, "within": 1, "max_distance_km": 6.25, "judged_on": "straight",
                 "ids": ["S6"]},
        violations=[{"id": "S6", "name": "六公里|养老院", "unit": "city", "straight_km": np.float64(6.25),
                     "problem": "no facility"}],
        details=pd.DataFrame({"id": ["S6"], "straight_km": [6.25]}),
        notes=[ROAD_EN, "Pack note."],
        source={"document": "000", "clause": "第6条", "line": "000 L164", "quote": QUOTE},
        params={"max_km": 5, "n": np.int64(3), "far": float("inf"), "pair": (1, 2)},
        verified=True, title_zh="距医院", note="Pack note.", note_zh="规则包说明。",
        tables={"hospitals": pd.DataFrame({"id": ["H1"], "name": ["人民医院"], "level": [np.nan]}),
                "nothing": pd.DataFrame()})
    c8 = RuleResult("C8", "capacity_total", "Places", "not_evaluable", SUPPLY_EN,
                    source={"document": "001", "quote": "托位"}, verified=False)
    b1 = RuleResult("B1", "unit_coverage", "Units", "pass",
                    figures={"share": 0.5, "units": 1234567.0, "gap": float("nan"), "median_minutes": None,
                             "mean": 0.1234567, "big": 1000000.5, "neg": -1234567.8, "ten": 10.0})
    return ComplianceReport(
        pack="qinzhou-2023", pack_title="Qinzhou", results=[a4, c8, b1],
        inputs={"facilities": "f.csv", "network": NETWORK_EN, "units": 12.5}, scenario="s.yaml",
        documents={"000": {"title": "钦州方案", "number": "钦政办〔2023〕3号"}, "001": "a note, not a mapping"},
        pack_title_zh="钦州")


B1_FIGURES = "share=0.5; units=1,234,567; gap=—; median_minutes=—; mean=0.123; big=1,000,000; neg=-1,234,568; ten=10"


# ---- the table view ------------------------------------------------------------------------------

def test_to_frame_one_row_per_rule_with_every_figure_formatted() -> None:
    frame = report().to_frame()
    assert list(frame.columns) == ["rule", "kind", "title", "status", "reason", "n_violations", "figures", "document",
                                   "clause", "line", "quote", "notes"]
    assert frame.to_dict("records") == [
        {"rule": "A4", "kind": "hospital_proximity", "title": "Near a hospital", "status": "fail", "reason": "",
         "n_violations": 1, "figures": "max_km=5; within=1; max_distance_km=6.25; judged_on=straight",
         "document": "000", "clause": "第6条", "line": "000 L164", "quote": QUOTE, "notes": f"{ROAD_EN} | Pack note."},
        {"rule": "C8", "kind": "capacity_total", "title": "Places", "status": "not_evaluable", "reason": SUPPLY_EN,
         "n_violations": 0, "figures": "", "document": "001", "clause": "", "line": "", "quote": "托位", "notes": ""},
        {"rule": "B1", "kind": "unit_coverage", "title": "Units", "status": "pass", "reason": "", "n_violations": 0,
         "figures": B1_FIGURES, "document": "", "clause": "", "line": "", "quote": "", "notes": ""},
    ]


def test_to_frame_in_chinese_translates_titles_reasons_and_notes_only() -> None:
    frame = report().to_frame("zh")
    assert list(frame["title"]) == ["距医院", "Places", "Units"]
    assert list(frame["reason"]) == ["", SUPPLY_ZH, ""]
    assert list(frame["notes"]) == [f"{ROAD_ZH} | 规则包说明。", "", ""]
    assert list(frame["status"]) == ["fail", "not_evaluable", "pass"]  # codes stay
    assert frame["figures"].iloc[2] == B1_FIGURES


def test_an_empty_report_has_the_columns_and_no_row() -> None:
    frame = ComplianceReport("p", "", []).to_frame()
    assert frame.shape == (0, 12) and frame.columns[0] == "rule" and frame.columns[-1] == "notes"


# ---- Markdown --------------------------------------------------------------------------------------

MD_EN = """# Compliance report: Qinzhou

Scenario: `s.yaml`  
Rule pack: `qinzhou-2023`  
Result: 1 pass, 1 fail, 1 not evaluable

| rule | status | title | reason / key figures |
|---|---|---|---|
| A4 | **fail** | Near a hospital | max_km=5; within=1; max_distance_km=6.25 |
| C8 | **not_evaluable** | Places | no supply data: give planned projects or a facility file |
| B1 | **pass** | Units | share=0.5; units=1,234,567; gap=—; median_minutes=— |

## Inputs
- facilities: f.csv
- network: no road network: pass --osm FILE (or set network.source in the scenario)
- units: 12.5

## A4: Near a hospital

**Status: fail**

> 「距离综合性医院不高于 5km。」
> — 钦州方案, 钦政办〔2023〕3号, 第6条, 000 L164

| figure | value |
|---|---|
| max_km | 5 |
| within | 1 |
| max_distance_km | 6.25 |
| judged_on | straight |

- Note: road distance missing: no facility has coordinates
- Note: Pack note.

Violations (1):

| id | name | unit | straight_km | problem |
|---|---|---|---|---|
| S6 | 六公里/养老院 | city | 6.25 | no facility |

## C8: Places

**Status: not_evaluable** — no supply data: give planned projects or a facility file

> 「托位」
> — 001
>
> *Figures not verified against the source text; see the pack's note.*


## B1: Units

**Status: pass**

> 「」
> — 

| figure | value |
|---|---|
| share | 0.5 |
| units | 1,234,567 |
| gap | — |
| median_minutes | — |
| mean | 0.123 |
| big | 1,000,000 |
| neg | -1,234,568 |
| ten | 10 |

"""  # noqa: W291 (Markdown line breaks)

MD_ZH = """# 合规检查报告：钦州

场景：`s.yaml`  
规则包：`qinzhou-2023`  
结果：1 项通过，1 项不通过，1 项无法评估

| 规则 | 结论 | 名称 | 原因 / 主要数字 |
|---|---|---|---|
| A4 | **不通过** | 距医院 | 最大距离km=5; 范围内=1; 最远距离km=6.25 |
| C8 | **无法评估** | Places | 没有供给数据：请给出规划项目或设施表 |
| B1 | **通过** | Units | 比例=0.5; 单元数=1,234,567; 缺口=—; 中位时间（分钟）=— |

## 输入数据
- 设施: f.csv
- 路网: 没有路网：请用 --osm FILE 提供 OSM 文件（或在场景文件中设置 network.source）
- 行政单元: 12.5

## A4: 距医院

**结论: 不通过**

> 「距离综合性医院不高于 5km。」
> — 钦州方案, 钦政办〔2023〕3号, 第6条, 000 L164

| 指标 | 数值 |
|---|---|
| 最大距离km | 5 |
| 范围内 | 1 |
| 最远距离km | 6.25 |
| 判定依据 | 直线 |

- 说明: 缺少道路距离：没有设施有坐标
- 说明: 规则包说明。

不符合项（1 个）：

| 编号 | 名称 | 单元 | 直线距离km | 问题 |
|---|---|---|---|---|
| S6 | 六公里/养老院 | 全市 | 6.25 | 没有设施 |

## C8: Places

**结论: 无法评估** — 没有供给数据：请给出规划项目或设施表

> 「托位」
> — 001
>
> *数字未与原文核对；见规则包的说明。*


## B1: Units

**结论: 通过**

> 「」
> — 

| 指标 | 数值 |
|---|---|
| 比例 | 0.5 |
| 单元数 | 1,234,567 |
| 缺口 | — |
| 中位时间（分钟） | — |
| mean | 0.123 |
| big | 1,000,000 |
| neg | -1,234,568 |
| ten | 10 |

"""  # noqa: W291 (Markdown line breaks)


def test_markdown_in_english() -> None:
    assert report().to_markdown().split("\n") == MD_EN.split("\n")


def test_markdown_in_chinese() -> None:
    assert report().to_markdown("zh").split("\n") == MD_ZH.split("\n")


# ---- HTML ----------------------------------------------------------------------------------------

def table(columns: list[str], *rows: list[str]) -> str:
    """A table as pandas writes it with ``to_html(index=False, border=0)``."""
    head = "".join(f"\n      <th>{c}</th>" for c in columns)
    body = "".join("\n    <tr>" + "".join(f"\n      <td>{v}</td>" for v in row) + "\n    </tr>" for row in rows)
    return ('<table class="dataframe">\n  <thead>\n    <tr style="text-align: right;">' + head
            + "\n    </tr>\n  </thead>\n  <tbody>" + body + "\n  </tbody>\n</table>")


def figures_html(pairs: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in pairs) + "</table>"


def html_page(zh: bool) -> str:
    def w(en: str, cn: str) -> str:
        return cn if zh else en

    b1 = [("share", "比例", "0.5"), ("units", "单元数", "1,234,567"), ("gap", "缺口", "—"),
          ("median_minutes", "中位时间（分钟）", "—"), ("mean", "mean", "0.123"), ("big", "big", "1,000,000"),
          ("neg", "neg", "-1,234,568"), ("ten", "ten", "10")]
    a4 = [("max_km", "最大距离km", "5"), ("within", "范围内", "1"), ("max_distance_km", "最远距离km", "6.25"),
          ("judged_on", "判定依据", w("straight", "直线"))]
    lines = [
        f"<!DOCTYPE html><html lang='{w('en', 'zh')}'><head><meta charset='utf-8'>",
        f"<title>{w('Compliance: qinzhou-2023', '合规检查：qinzhou-2023')}</title>",
        STYLE,
        "</head><body>",
        f"<h1>{w('Compliance report: Qinzhou', '合规检查报告：钦州')}</h1>",
        w("<p>Rule pack <code>qinzhou-2023</code>, scenario <code>s.yaml</code></p>",
          "<p>规则包 <code>qinzhou-2023</code>，场景 <code>s.yaml</code></p>"),
        f"<p>{w('1 pass, 1 fail, 1 not evaluable', '1 项通过，1 项不通过，1 项无法评估')}</p>",
        w("<table><tr><th>rule</th><th>status</th><th>title</th><th>reason</th></tr>",
          "<table><tr><th>规则</th><th>结论</th><th>名称</th><th>原因</th></tr>"),
        f"<tr><td><a href='#A4'>A4</a></td><td class='st' style='color:{RED}'>{w('fail', '不通过')}</td>"
        f"<td>{w('Near a hospital', '距医院')}</td><td></td></tr>",
        f"<tr><td><a href='#C8'>C8</a></td><td class='st' style='color:{AMBER}'>{w('not_evaluable', '无法评估')}</td>"
        f"<td>Places</td><td>{w(SUPPLY_EN, SUPPLY_ZH)}</td></tr>",
        f"<tr><td><a href='#B1'>B1</a></td><td class='st' style='color:{GREEN}'>{w('pass', '通过')}</td>"
        "<td>Units</td><td></td></tr>",
        f"</table><h2>{w('Inputs', '输入数据')}</h2><ul>",
        f"<li>{w('facilities', '设施')}: f.csv</li>",
        f"<li>{w('network', '路网')}: {w(NETWORK_EN, NETWORK_ZH)}</li>",
        f"<li>{w('units', '行政单元')}: 12.5</li>",
        "</ul>",
        f"<h2 id='A4'>A4: {w('Near a hospital', '距医院')}</h2>",
        f"<p class='st' style='color:{RED}'>{w('fail', '不通过')}</p>",
        f"<blockquote>「{QUOTE}」<br>— 钦州方案, 第6条, 000 L164</blockquote>",
        figures_html([(cn if zh else en, v) for en, cn, v in a4]),
        f"<ul><li>{w(ROAD_EN, ROAD_ZH)}</li><li>{w('Pack note.', '规则包说明。')}</li></ul>",
        f"<p>{w('Violations (1):', '不符合项（1 个）：')}</p>",
        table(w("id name unit straight_km problem", "编号 名称 单元 直线距离km 问题").split(),
              ["S6", "六公里|养老院", w("city", "全市"), "6.25", w("no facility", "没有设施")]),
        f"<p>{w('hospitals', '医院')} (1):</p>",
        table(w("id name level", "编号 名称 层级").split(), ["H1", "人民医院", "—"]),
        "<h2 id='C8'>C8: Places</h2>",
        f"<p class='st' style='color:{AMBER}'>{w('not_evaluable', '无法评估')} — {w(SUPPLY_EN, SUPPLY_ZH)}</p>",
        "<blockquote>「托位」<br>— 001</blockquote>",
        w("<p><em>Figures not verified against the source text; see the pack&#x27;s note.</em></p>",
          "<p><em>数字未与原文核对；见规则包的说明。</em></p>"),
        "<h2 id='B1'>B1: Units</h2>",
        f"<p class='st' style='color:{GREEN}'>{w('pass', '通过')}</p>",
        "<blockquote>「」<br>— </blockquote>",
        figures_html([(cn if zh else en, v) for en, cn, v in b1]),
        "</body></html>",
    ]
    return "\n".join(lines) + "\n"


def test_html_in_english() -> None:
    assert report().to_html().split("\n") == html_page(zh=False).split("\n")


def test_compliance_html_is_english_by_default() -> None:
    assert compliance_html(report()).split("\n") == html_page(zh=False).split("\n")


def test_html_in_chinese() -> None:
    assert report().to_html("zh").split("\n") == html_page(zh=True).split("\n")


def test_html_escapes_what_the_inputs_say() -> None:
    r = RuleResult("X1", "share", "a <b> & c", "not_evaluable", "x < y", source={"quote": "<q>", "document": "d&d"})
    page = ComplianceReport("p<1>", "", [r], inputs={"f": "<i>"}, scenario="s&s").to_html()
    for raw, escaped in (("<b>", "&lt;b&gt; &amp; c"), ("x < y", "x &lt; y"), ("<q>", "「&lt;q&gt;」"),
                         ("d&d", "— d&amp;d"), ("<i>", "f: &lt;i&gt;"), ("p<1>", "<code>p&lt;1&gt;</code>"),
                         ("s&s", "<code>s&amp;s</code>")):
        assert escaped in page, raw
    assert "<b>" not in page and "<i>" not in page and "<q>" not in page


# ---- the summary line, the title and the reason column ---------------------------------------------

def test_summary_counts_each_status_and_a_pipe_in_a_reason_is_escaped() -> None:
    results = [RuleResult("X1", "k", "t", "pass"), RuleResult("X2", "k", "t", "fail", "left|right"),
               RuleResult("X3", "k", "t", "fail"), RuleResult("X4", "k", "t", "not_evaluable", "a"),
               RuleResult("X5", "k", "t", "not_evaluable", "b"), RuleResult("X6", "k", "t", "not_evaluable", "c")]
    rep = ComplianceReport("pack-name", "", results)
    assert rep.counts() == {"pass": 1, "fail": 2, "not_evaluable": 3}
    md = rep.to_markdown()
    assert md.startswith("# Compliance report: pack-name\n\nRule pack: `pack-name`  \nResult: 1 pass, 2 fail, 3 not evaluable\n")
    assert "| X2 | **fail** | t | left/right |" in md
    assert "<p>1 pass, 2 fail, 3 not evaluable</p>" in rep.to_html()
    assert "<p>规则包 <code>pack-name</code></p>" in rep.to_html("zh")  # no scenario: none named
    assert "<h1>合规检查报告：pack-name</h1>" in rep.to_html("zh")  # no Chinese title: the name
    assert rep.to_json("zh")["pack_title"] == "pack-name" and rep.to_json()["pack_title"] == ""


def test_result_by_id() -> None:
    rep = report()
    assert rep.result("C8").kind == "capacity_total" and rep.result("B1").kind == "unit_coverage"
    with pytest.raises(KeyError):
        rep.result("A5")


def test_a_result_needs_a_known_status_and_a_not_evaluable_one_a_reason() -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        RuleResult("X1", "k", "t", "passed")
    with pytest.raises(ValueError, match="^a not_evaluable result needs a reason$"):
        RuleResult("X1", "k", "t", "not_evaluable")
    assert RuleResult("X1", "k", "t", "fail").reason == ""


# ---- JSON ------------------------------------------------------------------------------------------

def test_json_is_plain_data_and_valid_json() -> None:
    data = report().to_json()
    text = json.dumps(data, allow_nan=False)  # no NaN or infinity left
    assert json.loads(text) == data
    assert {k: data[k] for k in ("pack", "pack_title", "scenario", "counts")} == {
        "pack": "qinzhou-2023", "pack_title": "Qinzhou", "scenario": "s.yaml",
        "counts": {"pass": 1, "fail": 1, "not_evaluable": 1}}
    assert data["inputs"] == {"facilities": "f.csv", "network": NETWORK_EN, "units": 12.5}
    assert data["documents"] == {"000": {"title": "钦州方案", "number": "钦政办〔2023〕3号"}, "001": "a note, not a mapping"}
    a4, c8, b1 = data["results"]
    assert a4 == {
        "id": "A4", "kind": "hospital_proximity", "title": "Near a hospital", "status": "fail", "reason": "",
        "figures": {"max_km": 5, "by_site": {"S6": 6.25}, "within": 1, "max_distance_km": 6.25, "judged_on": "straight",
                    "ids": ["S6"]},
        "violations": [{"id": "S6", "name": "六公里|养老院", "unit": "city", "straight_km": 6.25, "problem": "no facility"}],
        "notes": [ROAD_EN, "Pack note."],
        "source": {"document": "000", "clause": "第6条", "line": "000 L164", "quote": QUOTE},
        "params": {"max_km": 5, "n": 3, "far": None, "pair": [1, 2]}, "verified": True,
        "hospitals": [{"id": "H1", "name": "人民医院", "level": None}],
    }
    assert type(report().to_json()["results"][0]["params"]["n"]) is int  # a numpy integer becomes a Python one
    assert c8["verified"] is False and c8["reason"] == SUPPLY_EN and "nothing" not in a4
    assert b1["figures"] == {"share": 0.5, "units": 1234567.0, "gap": None, "median_minutes": None, "mean": 0.1234567,
                             "big": 1000000.5, "neg": -1234567.8, "ten": 10.0}


def test_json_in_chinese() -> None:
    data = report().to_json("zh")
    assert data["pack_title"] == "钦州" and data["inputs"]["network"] == NETWORK_ZH and data["inputs"]["units"] == 12.5
    a4, c8, _ = data["results"]
    assert a4["title"] == "距医院" and a4["notes"] == [ROAD_ZH, "规则包说明。"]
    assert a4["violations"][0]["problem"] == "没有设施" and a4["violations"][0]["name"] == "六公里|养老院"
    assert c8["reason"] == SUPPLY_ZH and c8["title"] == "Places" and c8["status"] == "not_evaluable"


def test_clean_leaves_what_it_cannot_convert() -> None:
    arr = np.array([1, 2])
    out = RuleResult("X1", "k", "t", "pass", figures={"arr": arr, "minus": -math.inf, 3: "three"}).to_dict()
    assert out["figures"]["arr"] is arr and out["figures"]["minus"] is None and out["figures"]["3"] == "three"


# ---- violations: texts translated, names and codes not ------------------------------------------

def test_violations_translate_their_text_keys_only() -> None:
    row = {"id": "city", "name": "central", "unit": "city", "problem": "no facility", "missing_tiers": "village",
           "group": "population", "level": "county", "nearest_hospital": "general", "count": 2}
    other = {**row, "level": 2, "unit": "town"}
    r = RuleResult("X1", "k", "t", "fail", violations=[row, other])
    assert r.violations_in("en") is r.violations
    assert r.violations_in("zh") == [
        {"id": "city", "name": "central", "unit": "全市", "problem": "没有设施", "missing_tiers": "村（社区）",
         "group": "人口", "level": "县区", "nearest_hospital": "general", "count": 2},
        {"id": "city", "name": "central", "unit": "乡镇", "problem": "没有设施", "missing_tiers": "村（社区）",
         "group": "人口", "level": 2, "nearest_hospital": "general", "count": 2},
    ]


def test_violations_frame_puts_the_rule_first() -> None:
    frame = report().violations_frame()
    assert list(frame.columns) == ["rule", "id", "name", "unit", "straight_km", "problem"]
    assert frame.to_dict("records") == [{"rule": "A4", "id": "S6", "name": "六公里|养老院", "unit": "city",
                                         "straight_km": 6.25, "problem": "no facility"}]
    assert report().violations_frame("zh")["unit"].tolist() == ["全市"]
    assert ComplianceReport("p", "", []).violations_frame().empty


def test_notes_in_chinese_use_the_pack_note_only_for_the_pack_note() -> None:
    r = RuleResult("X1", "k", "t", "pass", notes=["Pack note.", ROAD_EN, "plain"], note="Pack note.", note_zh="说明")
    assert r.notes_in("zh") == ["说明", ROAD_ZH, "plain"] and r.notes_in("en") == ["Pack note.", ROAD_EN, "plain"]
    no_zh = RuleResult("X1", "k", "t", "pass", notes=["Pack note."], note="Pack note.")
    assert no_zh.notes_in("zh") == ["Pack note."]
    assert RuleResult("X1", "k", "Near", "pass", title_zh="近").title_in("en") == "Near"


# ---- files -----------------------------------------------------------------------------------------

def test_write_every_file(tmp_path: Path) -> None:
    rep = report()
    paths = rep.write(tmp_path / "out", stem="c")
    out = tmp_path / "out"
    assert paths == {"json": out / "c.json", "csv": out / "c.csv", "violations": out / "c_violations.csv",
                     "markdown": out / "c.md", "html": out / "c.html", "details_A4": out / "c_A4_details.csv",
                     "hospitals_A4": out / "c_A4_hospitals.csv"}
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())
    assert paths["markdown"].read_text(encoding="utf-8") == MD_EN
    assert paths["html"].read_text(encoding="utf-8") == html_page(zh=False)
    assert json.loads(paths["json"].read_text(encoding="utf-8")) == rep.to_json()
    assert paths["csv"].read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    frame = pd.read_csv(paths["csv"], encoding="utf-8-sig", keep_default_na=False)
    assert list(frame["rule"]) == ["A4", "C8", "B1"] and frame["figures"].iloc[2] == B1_FIGURES
    v = pd.read_csv(paths["violations"], encoding="utf-8-sig")
    assert v.to_dict("records") == [{"rule": "A4", "id": "S6", "name": "六公里|养老院", "unit": "city",
                                     "straight_km": 6.25, "problem": "no facility"}]
    assert pd.read_csv(paths["details_A4"], encoding="utf-8-sig").to_dict("records") == [{"id": "S6", "straight_km": 6.25}]
    h = pd.read_csv(paths["hospitals_A4"], encoding="utf-8-sig")
    assert list(h["id"]) == ["H1"] and math.isnan(h["level"].iloc[0])


def test_write_in_chinese_with_the_default_stem(tmp_path: Path) -> None:
    paths = report().write(tmp_path, lang="zh")
    assert paths["markdown"] == tmp_path / "compliance.md"
    assert paths["markdown"].read_text(encoding="utf-8") == MD_ZH
    assert paths["html"].read_text(encoding="utf-8") == html_page(zh=True)
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["pack_title"] == "钦州"
    assert pd.read_csv(paths["csv"], encoding="utf-8-sig")["title"].iloc[0] == "距医院"
    assert pd.read_csv(paths["violations"], encoding="utf-8-sig")["problem"].iloc[0] == "没有设施"


@pytest.mark.parametrize(("lang", "names"), [("en", ["rules", "violations", "A4 details", "A4 hospitals"]),
                                             ("zh", ["规则", "不符合项", "A4 明细", "A4 医院"])])
def test_xlsx_is_one_workbook(tmp_path: Path, lang: str, names: list[str]) -> None:
    paths = report().write(tmp_path / "Report.XLSX", lang=lang)
    assert paths == {"xlsx": tmp_path / "Report.XLSX"} and list(tmp_path.iterdir()) == [tmp_path / "Report.XLSX"]
    sheets = pd.read_excel(paths["xlsx"], sheet_name=None, keep_default_na=False)
    assert list(sheets) == names
    rules, violations, details, hospitals = sheets.values()
    assert list(rules["rule"]) == ["A4", "C8", "B1"] and rules["title"].iloc[0] == ("距医院" if lang == "zh" else "Near a hospital")
    assert violations.to_dict("records") == [{"rule": "A4", "id": "S6", "name": "六公里|养老院",
                                              "unit": "全市" if lang == "zh" else "city", "straight_km": 6.25,
                                              "problem": "没有设施" if lang == "zh" else "no facility"}]
    assert details.to_dict("records") == [{"id": "S6", "straight_km": 6.25}]
    assert hospitals.to_dict("records") == [{"id": "H1", "name": "人民医院", "level": ""}]


def test_a_report_without_details_writes_the_five_files(tmp_path: Path) -> None:
    rep = ComplianceReport("p", "P", [RuleResult("X1", "k", "t", "pass", details=pd.DataFrame({"id": []}))])
    assert sorted(rep.write(tmp_path)) == ["csv", "html", "json", "markdown", "violations"]
    assert list(rep.sheets()) == ["rules", "violations"]
