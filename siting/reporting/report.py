"""One HTML report for a scenario: rules with their clauses, coverage, capacity gaps, map.

The rule results come from :func:`siting.rules.check`. Charts are matplotlib
PNGs embedded as base64, the map is embedded with ``<iframe srcdoc>``; with
``offline=True`` the map carries its own Leaflet/JS/CSS, so the whole report
opens without internet (only basemap tiles need a connection).

Examples
--------
>>> from siting.reporting.report import write_report
>>> write_report("scenarios/qinzhou.yaml", "out/qinzhou_report.html", offline=True)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.errors import InputError
from siting.i18n import default_lang, label, t, translate_text
from siting.io import write_text
from siting.maps.verdicts import capacity_gap_by_county, fmt_number, hospital_reason

#: Columns of the rule table the report shows (``rules_table`` output).
RULE_COLUMNS = ["rule_id", "title", "status", "value", "threshold", "reason", "clause", "quote", "violations"]
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
             "SimHei", "PingFang SC", "Heiti SC")
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_VALUE_KEYS = ("share", "covered_share", "city_per_1000", "per_1000", "total", "value", "count")
_THRESHOLD_KEYS = ("min_share", "min_per_1000", "target", "threshold", "min_count", "max_km")


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def rules_table(compliance: Any, lang: str = "en") -> pd.DataFrame:
    """The rule table: one row per rule with ``RULE_COLUMNS``.

    ``compliance`` is a :class:`siting.rules.ComplianceReport` or a DataFrame
    that already has (at least) ``rule_id``/``rule``, ``title`` and ``status``.
    """
    if isinstance(compliance, pd.DataFrame):
        frame = compliance.rename(columns={"rule": "rule_id", "n_violations": "violations"}).copy()
        missing = [c for c in ("rule_id", "title", "status") if c not in frame.columns]
        if missing:
            raise InputError(f"rule table: missing column(s) {', '.join(missing)}")
        for col in RULE_COLUMNS:
            if col not in frame.columns:
                frame[col] = ""
        return frame[RULE_COLUMNS].reset_index(drop=True)
    rows = []
    for r in compliance.results:
        figures = {k: v for k, v in r.figures.items() if not isinstance(v, dict | list)}
        value = next((figures[k] for k in _VALUE_KEYS if k in figures), None)
        threshold = next((figures[k] for k in _THRESHOLD_KEYS if k in figures), None)
        clause = ", ".join(x for x in (r.source.get("document", ""), r.source.get("clause", ""),
                                       str(r.source.get("line", "") or "")) if x)
        rows.append({
            "rule_id": r.id, "title": r.title_in(lang), "status": r.status, "value": value, "threshold": threshold,
            "reason": translate_text(r.reason, lang), "clause": clause, "quote": r.source.get("quote", ""),
            "violations": len(r.violations),
        })
    return pd.DataFrame(rows, columns=RULE_COLUMNS)


def _chart_style() -> Any:  # an rcParams mapping for matplotlib.rc_context
    """matplotlib settings for the charts: a CJK-capable font first when one is installed."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    if not any(f in installed for f in CJK_FONTS):
        # a font installed after matplotlib built its cache is unknown to it; register it
        for path in CJK_FONT_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        installed = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [f for f in CJK_FONTS if f in installed]
    return {"font.family": "sans-serif", "font.sans-serif": cjk + ["DejaVu Sans"], "axes.unicode_minus": False}


def _figure(figsize: tuple[float, float]) -> tuple[Any, Any]:
    # a bare Figure, not pyplot: no global backend switch, nothing left open in a notebook
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _png(fig: Any) -> str:
    import warnings

    buf = io.BytesIO()
    with warnings.catch_warnings():
        # without any CJK font installed Chinese labels show as boxes; say so once, not per glyph
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def status_chart(table: pd.DataFrame, lang: str = "en") -> str:
    """Bar chart of rule statuses (base64 PNG)."""
    import matplotlib

    counts = [int((table["status"] == s).sum()) for s in ("pass", "fail", "not_evaluable")]
    with matplotlib.rc_context(_chart_style()):
        return _status_png(counts, lang)


def _status_png(counts: list[int], lang: str = "en") -> str:
    fig, ax = _figure((6, 2.2))
    ax.barh([t(f"chart.{s}", lang) for s in ("pass", "fail", "not_evaluable")], counts,
            color=["#1a7f37", "#cf222e", "#d4a72c"])
    for i, c in enumerate(counts):
        ax.text(c, i, f" {c}", va="center")
    ax.set_xlabel(t("chart.rules", lang))
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def coverage_chart(compliance: Any, lang: str = "en") -> tuple[str | None, list[str]]:
    """Covered share per service-circle rule against its target (base64 PNG) and notes on the rest."""
    rows, notes = [], []
    for r in getattr(compliance, "results", []):
        if r.kind not in ("service_coverage", "unit_coverage"):
            continue
        share = next((r.figures[k] for k in ("share", "covered_share") if isinstance(r.figures.get(k), int | float)),
                     None)
        if r.status == "not_evaluable" or share is None:
            notes.append(t("report.not_evaluated", lang, rule=r.id, title=r.title_in(lang),
                           reason=translate_text(r.reason, lang)))
            continue
        rows.append((r.id, float(share), r.figures.get("min_share"), r.status))
    if not rows:
        return None, notes
    import matplotlib

    with matplotlib.rc_context(_chart_style()):
        return _coverage_png(rows, lang), notes


def _coverage_png(rows: list[tuple[str, float, Any, str]], lang: str = "en") -> str:
    fig, ax = _figure((7, 0.5 + 0.45 * len(rows)))
    names = [r[0] for r in rows]
    shares = [100 * r[1] for r in rows]
    ax.barh(names, shares, color=["#1a7f37" if r[3] == "pass" else "#cf222e" for r in rows])
    for i, r in enumerate(rows):
        if isinstance(r[2], int | float):
            ax.plot([100 * r[2]] * 2, [i - 0.4, i + 0.4], color="black", lw=2)
        ax.text(shares[i], i, f" {shares[i]:.1f}%", va="center")
    ax.set_xlim(0, 110)
    ax.set_xlabel(t("chart.covered", lang))
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def capacity_chart(gaps: pd.DataFrame, lang: str = "en") -> str | None:
    """Grouped bars of supply and need per county (base64 PNG); None when nothing is known."""
    known = gaps[gaps["needed"].notna() | gaps["added"].notna()]
    if known.empty:
        return None
    import matplotlib

    with matplotlib.rc_context(_chart_style()):
        return _capacity_png(known, multi=gaps["rule_id"].nunique() > 1, lang=lang)


def _capacity_png(known: pd.DataFrame, multi: bool, lang: str = "en") -> str:
    labels = [f"{c}\n({r})" if multi else str(c) for c, r in zip(known["county"], known["rule_id"])]
    x = np.arange(len(known))
    fig, ax = _figure((max(5.0, 1.2 * len(known)), 3.2))
    supply = known["supply"].to_numpy(float)
    added = known["added"].to_numpy(float)
    needed = known["needed"].to_numpy(float)
    has_supply = np.isfinite(supply)
    if has_supply.any():
        ax.bar(x[has_supply] - 0.2, supply[has_supply], 0.4, label=t("chart.supply", lang), color="#2b8cbe")
    if (~has_supply).any():  # only the planned additions are known: say so, do not pass them off as supply
        ax.bar(x[~has_supply] - 0.2, added[~has_supply], 0.4, label=t("chart.planned_only", lang),
               color="white", edgecolor="#2b8cbe", hatch="//")
    has_need = np.isfinite(needed)
    if has_need.any():
        ax.bar(x[has_need] + 0.2, needed[has_need], 0.4, label=t("chart.needed", lang), color="#fdae61")
    top = np.nanmax(np.concatenate([supply, added, needed, [1.0]]))
    for xi in x[~has_need]:
        ax.text(xi + 0.2, top * 0.02, t("chart.need_unknown", lang), ha="center", va="bottom", fontsize=7, color="#9a6700")
    ax.set_xticks(x, labels)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def build_report(scenario: str | Path | Any, *, offline: bool = False, basemap: str = "osm",
                 tianditu_key: str | None = None, compliance: Any = None, lang: str | None = None,
                 inputs: Any = None, candidates: str | Path | pd.DataFrame | None = None,
                 scores: pd.DataFrame | None = None) -> str:
    """The report for ``scenario`` (a path or a loaded :class:`siting.inputs.scenario.Scenario`) as HTML text.

    ``lang`` ('zh' or 'en'): the language of every heading, label, chart, map layer and rule
    text; by default the scenario's (:func:`siting.i18n.default_lang`). ``inputs`` and
    ``compliance``: the scenario's check inputs and its report checked on them, when at hand.
    ``candidates`` (and their ``scores``) are drawn on the map and offered in its what-if panel
    (:func:`siting.maps.scenario.scenario_map`, the map of every scenario).
    """
    import jinja2

    from siting.inputs.scenario import Scenario, load_scenario
    from siting.maps.scenario import scenario_pack
    from siting.rules import evaluate, inputs_from_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    lang = default_lang(sc.rules, sc.title, lang or sc.lang)
    inputs = inputs if inputs is not None else inputs_from_scenario(sc)
    if compliance is None:
        pack = scenario_pack(sc)
        if pack is None:
            raise InputError("the scenario names no rule pack: set 'rules' (e.g. rules: qinzhou)", path=sc.path)
        compliance = evaluate(pack, inputs, scenario=None if sc.path is None else str(sc.path))
    env = jinja2.Environment(loader=jinja2.PackageLoader("siting.reporting", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"], default=True))
    context = report_context(sc, inputs, compliance, lang, offline=offline, basemap=basemap, tianditu_key=tianditu_key)
    context["map_srcdoc"] = report_map_html(sc, inputs, compliance, lang, offline=offline, basemap=basemap,
                                            tianditu_key=tianditu_key, candidates=candidates, scores=scores)
    return env.get_template("report.html.j2").render(**context)


def report_map_html(sc: Any, inputs: Any, compliance: Any, lang: str, *, offline: bool, basemap: str,
                    tianditu_key: str | None, candidates: Any = None, scores: Any = None) -> str | None:
    """The report's map (:func:`siting.maps.scenario.scenario_map`) as a page for the iframe; None without one."""
    from siting.maps import isochrone_layer, map_html
    from siting.maps.scenario import scenario_map, service_isochrones

    iso, iso_name, _ = service_isochrones(sc, inputs, lang)
    layer = isochrone_layer(iso, name=iso_name, label_col="name", lang=lang) if iso is not None and len(iso) else False
    fmap = scenario_map(sc, compliance=compliance, inputs=inputs, candidates=candidates, scores=scores, lang=lang,
                        basemap=basemap, tianditu_key=tianditu_key, isochrones=layer)
    return None if fmap is None else map_html(fmap, offline=offline)


def report_map(compliance: Any, inputs: Any, title: str, basemap: str = "osm", tianditu_key: str | None = None,
               lang: str = "en", scenario: Any = None) -> Any:
    """The scenario map of ``compliance`` checked on ``inputs`` (:func:`siting.maps.scenario.scenario_map`).

    ``scenario`` (path or :class:`~siting.inputs.scenario.Scenario`) defaults to the one the report names.
    """
    from siting.maps.scenario import scenario_map

    scenario = scenario if scenario is not None else compliance.scenario
    return scenario_map(scenario, compliance=compliance, inputs=inputs, lang=lang, basemap=basemap,
                        tianditu_key=tianditu_key, title=title)


def report_context(sc: Any, inputs: Any, compliance: Any, lang: str, *, offline: bool, basemap: str,
                   tianditu_key: str | None) -> dict[str, Any]:
    """Everything the report template shows but the map, its texts in ``lang``."""
    from importlib.metadata import version

    from siting.maps.scenario import service_isochrones

    table = rules_table(compliance, lang)
    gaps = capacity_gap_by_county(compliance)
    cov_png, cov_notes = coverage_chart(compliance, lang)
    charts = [{"png": status_chart(table, lang), "caption": t("report.caption_status", lang)}]
    if cov_png:
        charts.append({"png": cov_png, "caption": t("report.caption_coverage", lang)})
    iso_note = service_isochrones(sc, inputs, lang, draw=False)[2]
    if iso_note:
        cov_notes.append(iso_note)
    notes = {r.id: r.notes_in(lang) for r in getattr(compliance, "results", [])}
    fmt_rules = [{**row, "value": fmt_number(row["value"]), "threshold": fmt_number(row["threshold"]),
                  "status_label": label("status", row["status"], lang), "notes": notes.get(row["rule_id"], [])}
                 for row in table.to_dict("records")]
    text_cols = ("rule_id", "county", "status", "reason")
    fmt_caps = [{**{k: (_text(v) if k in text_cols else fmt_number(v, 2)) for k, v in row.items()},
                 "status_label": label("status", row["status"], lang) if row["status"] else "",
                 "reason": translate_text(row["reason"], lang)} for row in gaps.to_dict("records")]
    return dict(
        lang=lang, tr=lambda key, **fmt: t(key, lang, **fmt),
        title=sc.title or sc.name, scenario_name=sc.name, pack=getattr(compliance, "pack", sc.rules or ""),
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), offline=offline,
        counts={s: int((table["status"] == s).sum()) for s in ("pass", "fail", "not_evaluable")},
        rules=fmt_rules, coverage_charts=charts, coverage_notes=cov_notes,
        capacity_chart=capacity_chart(gaps, lang), capacity_rows=fmt_caps,
        hospital_tables=hospital_tables(compliance, lang),
        questions=question_sections(sc, inputs, lang),
        inputs=sorted((label("input", k, lang), translate_text(str(v), lang))
                      for k, v in getattr(compliance, "inputs", {}).items()),
        adcode=sc.units_boundaries is not None,
        version=version("siting"),
    )


def hospital_tables(compliance: Any, lang: str = "en") -> list[dict[str, Any]]:
    """Per hospital-proximity rule, its hospitals: name, category, level, reason, counted or why not."""
    out = []
    for r in getattr(compliance, "results", []):
        table = getattr(r, "tables", {}).get("hospitals")
        if table is None or not len(table):
            continue
        rows = [{"name": row.get("name") or row.get("id"), "category": label("category", row.get("category"), lang),
                 "level": fmt_number(row.get("level")), "reason": hospital_reason(row.get("category_reason", ""), lang),
                 "counted": t("report.yes" if row.get("counted") else "report.no", lang),
                 "why": translate_text(row.get("why_not", ""), lang)}
                for row in table.to_dict("records")]
        out.append({"rule_id": r.id, "title": r.title_in(lang), "rows": rows})
    return out


def write_report(scenario: str | Path | Any, out: str | Path, *, offline: bool = False, basemap: str = "osm",
                 tianditu_key: str | None = None, compliance: Any = None, lang: str | None = None,
                 inputs: Any = None, candidates: str | Path | pd.DataFrame | None = None,
                 scores: pd.DataFrame | None = None) -> Path:
    """Write the report for ``scenario`` to ``out`` (atomically); return the path.

    ``compliance``: a :class:`siting.rules` report already computed for this scenario (checked anew when None;
    with ``inputs``, on those). ``lang``: 'zh' or 'en' (default: the scenario's language, see :func:`build_report`).
    ``candidates``/``scores``: candidate sites for the map (see :func:`build_report`).
    """
    return write_text(out, build_report(scenario, offline=offline, basemap=basemap, tianditu_key=tianditu_key,
                                        compliance=compliance, lang=lang, inputs=inputs, candidates=candidates,
                                        scores=scores))


def question_sections(sc: Any, inputs: Any, lang: str = "en") -> list[dict[str, Any]]:
    """One section per siting question of the scenario (:mod:`siting.planning.questions`), texts in ``lang``."""
    if not getattr(sc, "questions", ()):
        return []
    from siting.planning.questions import answer_questions

    out = []
    for res in answer_questions(sc, inputs):
        q, summary = res.spec, res.demand_summary()
        runs = [{"model": label("model", r.model, lang), "p": r.p, "status": label("solve_status", r.status, lang),
                 "objective": fmt_number(r.objective, 1), "gap": "—" if r.gap is None else f"{100 * r.gap:.2f} %",
                 "chosen": t("report.list_sep", lang).join(r.chosen), "mean_km": fmt_number(r.mean_km, 1),
                 "max_km": fmt_number(r.max_km, 1), "covered": "—" if r.covered_share is None else f"{100 * r.covered_share:.1f} %",
                 "catchments": [{"site": c["site"], "towns": int(c["towns"]), "weight": fmt_number(float(round(c["weight"]))),
                                 "farthest_km": fmt_number(float(c["farthest_km"]), 1), "members": c["members"]}
                                for c in r.catchments.to_dict("records")]}
                for r in res.runs]
        out.append({
            "id": q.id, "title": q.title_zh if lang == "zh" and q.title_zh else q.title,
            "quote": q.source.get("quote", ""), "cite": ", ".join(x for x in (q.source.get("document", ""),
                                                                            q.source.get("clause", ""), q.source.get("line", "")) if x),
            "note": q.note_zh if lang == "zh" and q.note_zh else q.note,
            "demand": t("report.q_demand", lang, towns=summary["towns"], census=summary["census"],
                        estimated=summary["estimated"], weight=fmt_number(float(round(summary["weight"]))),
                        group=label("words", summary["weight_name"], lang)),
            "left_out": summary["left_out"], "distance": [translate_text(n, lang) for n in res.notes], "runs": runs,
        })
    return out
