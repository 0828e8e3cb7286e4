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

#: Columns of the rule table the report shows (``rules_table`` output).
RULE_COLUMNS = ["rule_id", "title", "status", "value", "threshold", "reason", "clause", "quote", "violations"]
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
             "SimHei", "PingFang SC", "Heiti SC")
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_VALUE_KEYS = ("share", "covered_share", "city_per_1000", "per_1000", "total", "value", "count")
_THRESHOLD_KEYS = ("min_share", "min_per_1000", "target", "threshold", "min_count", "max_km")


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or value is pd.NA:
        return "—"
    if isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            return "—"
        v = float(value)
        if v.is_integer() and abs(v) >= 1:
            return f"{v:,.0f}"
        return f"{v:,.{digits}f}".rstrip("0").rstrip(".")
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return str(value)


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


def capacity_gap_by_county(compliance: Any) -> pd.DataFrame:
    """Per-county supply, need and gap from every ``capacity_ratio`` rule's details.

    ``gap`` = needed - supply (positive: places or beds missing). Counties that
    appear twice in a rule's details are kept once.
    """
    cols = ["rule_id", "county", "population", "added", "supply", "needed", "gap", "per_1000", "status", "reason"]
    frames = []
    for r in getattr(compliance, "results", []):
        d = r.details
        if r.kind != "capacity_ratio" or d is None or not len(d) or "level" not in d.columns:
            continue
        d = d[d["level"] == "county"].drop_duplicates(subset=["unit"]).copy()
        for col in ("population", "added", "supply", "needed", "per_1000"):
            d[col] = pd.to_numeric(d[col], errors="coerce") if col in d.columns else np.nan
        d["gap"] = d["needed"] - d["supply"]
        d["rule_id"] = r.id
        d["county"] = d["unit"]
        for col in ("status", "reason"):
            if col not in d.columns:
                d[col] = ""
        frames.append(d[cols])
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)


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


def _located(frame: pd.DataFrame | None) -> Any:
    import geopandas as gpd

    if frame is None or not len(frame) or not {"lon", "lat"} <= set(frame.columns):
        return None
    f = frame[pd.to_numeric(frame["lon"], errors="coerce").notna() & pd.to_numeric(frame["lat"], errors="coerce").notna()]
    if f.empty:
        return None
    return gpd.GeoDataFrame(f.copy(), geometry=gpd.points_from_xy(f["lon"].astype(float), f["lat"].astype(float)),
                            crs=4326)


def isochrone_rule(pack: Any) -> Any:
    """The pack's A1 rule (the service-circle rule whose target type the report's isochrones are drawn for).

    Falls back to the first ``service_coverage`` rule when the pack has no A1; None without one.
    """
    rules = list(getattr(pack, "rules", []))
    return next((r for r in rules if r.id == "A1"), None) or next(
        (r for r in rules if r.kind == "service_coverage"), None)


def service_isochrones(sc: Any, inputs: Any, lang: str = "en") -> tuple[Any, str, str]:
    """Isochrones of the A1 rule's minutes around the facilities of its target type.

    Returns ``(isochrones, layer_name, note)``: a GeoDataFrame (None when they cannot
    be drawn), the map layer's name and, when None, why not (shown in the report).
    """
    from siting.analysis.isochrones import isochrones
    from siting.rules import load_pack
    from siting.rules.pack import apply_overrides

    if not sc.rules:
        return None, "", t("report.iso_no_pack", lang)
    pack = load_pack(sc.rules)
    if sc.overrides and sc.path is not None:
        pack = apply_overrides(pack, sc.overrides, sc.path)
    rule = isochrone_rule(pack)
    if rule is None:
        return None, "", t("report.iso_no_rule", lang, pack=pack.name)
    minutes = float(rule.params.get("minutes") or sc.minutes)
    types = rule.applies_to.get("type", [])
    kinds = t("report.list_sep", lang).join(label("type", k, lang) for k in map(str, types)) or t("report.all_facilities", lang)
    name = t("report.iso_layer", lang, minutes=f"{minutes:g}", rule=rule.id, types=kinds)
    if not inputs.has_network():
        return None, name, t("report.iso_no_network", lang, minutes=f"{minutes:g}",
                             reason=translate_text(inputs.network_reason(), lang))
    subjects = _located(inputs.subjects(rule.applies_to))
    if subjects is None:
        return None, name, t("report.iso_no_facility", lang, minutes=f"{minutes:g}", types=kinds)
    net = inputs.network(rule.params.get("mode") or inputs.network_mode)
    cols = [c for c in ("id", "name", "type", "lon", "lat") if c in subjects.columns]
    iso = isochrones(net, pd.DataFrame(subjects[cols]), [minutes])
    return iso[~iso.geometry.is_empty].reset_index(drop=True), name, ""


def report_map(compliance: Any, inputs: Any, title: str, basemap: str = "osm",
               tianditu_key: str | None = None, isochrones: Any = None, isochrone_name: str = "",
               lang: str = "en") -> Any:
    """The report's map: facilities and projects (with rule status), hospitals, violations, county capacity.

    When the scenario's network source is an OSM file, it is also drawn as the
    offline basemap (:func:`siting.maps.basemap_osm.extract_basemap`).

    ``isochrones`` (from :func:`service_isochrones`) are drawn as a layer named
    ``isochrone_name`` under the points. Returns a folium map, or None when nothing
    in the scenario has a location.
    """
    import geopandas as gpd

    from siting.maps import coverage_layer, facility_layer, hospital_layer, make_map, violation_layer

    layers = []
    failing: dict[str, list[str]] = {}
    for r in getattr(compliance, "results", []):
        for v in r.violations:
            if v.get("id"):
                failing.setdefault(str(v["id"]), []).append(r.id)
    subjects = pd.concat([f for f in (getattr(inputs, "facilities", None), getattr(inputs, "projects", None))
                          if f is not None and len(f)], ignore_index=True) if inputs is not None else None
    located = _located(subjects) if subjects is not None and len(subjects) else None
    if located is not None:
        ids = located["id"].astype(str) if "id" in located.columns else pd.Series([""] * len(located))
        located["status"] = [t("report.fails", lang, rules=", ".join(failing[i])) if i in failing
                             else t("report.no_failure", lang) for i in ids]
        layers.append(facility_layer(located, lang=lang))
        bad = located[ids.isin(failing).to_numpy()]
        if len(bad):
            layers.append(violation_layer(bad.assign(rule_id=[", ".join(failing[i]) for i in bad["id"].astype(str)],
                                                     reason=t("report.fails_see_table", lang)), lang=lang))
    from siting.inputs.facilities import hospitals_from

    fac, hosp = getattr(inputs, "facilities", None), getattr(inputs, "hospitals", None)
    hospitals = _located(hospitals_from(fac, hosp)) if fac is not None or hosp is not None else None
    if hospitals is not None:
        layers.append(hospital_layer(hospitals, lang=lang))
    bounds = getattr(inputs, "unit_boundaries", None)
    gaps = capacity_gap_by_county(compliance)
    areas = []
    if isinstance(bounds, gpd.GeoDataFrame) and len(bounds) and "name" in bounds.columns:
        counties = bounds[bounds["level"] == "county"] if "level" in bounds.columns else bounds
        if len(counties):
            per = gaps.drop_duplicates("county").set_index("county")
            met = (per["supply"] / per["needed"]).clip(upper=1.0)
            counties = counties.assign(coverage=counties["name"].map(met).astype(float))
            areas.append(coverage_layer(counties, name=t("map.capacity_met", lang), lang=lang))
            failed = unit_violations(compliance, bounds, lang)
            if len(failed):
                areas.append(violation_layer(failed, name=t("map.violations_units", lang), lang=lang))
    if isochrones is not None and len(isochrones):
        from siting.maps import isochrone_layer

        areas.append(isochrone_layer(isochrones, name=isochrone_name or None, label_col="name", lang=lang))
    layers = areas + layers
    if not layers:
        return None
    from siting.maps.basemap_osm import extract_basemap

    base = extract_basemap(getattr(inputs, "network_source", None))  # the OSM file the analysis used
    return make_map(([base] if base else []) + layers, title=title, basemap=basemap, tianditu_key=tianditu_key)


def unit_violations(compliance: Any, units: Any, lang: str = "en") -> Any:
    """Polygons of the units (by ``name``) named in rule violations, with ``rule_id`` and ``reason``.

    Violations that name a county or unit (``unit`` or ``county`` key), such as a
    capacity shortfall or a county without a facility, are drawn on its outline.
    """
    import geopandas as gpd

    rows = []
    names = set(units["name"].astype(str))
    for r in getattr(compliance, "results", []):
        for v in r.violations:
            name = str(v.get("unit") or v.get("county") or "")
            if name not in names:
                continue
            facts = ", ".join(f"{k}={_fmt(x)}" for k, x in v.items() if k not in ("unit", "county", "level"))
            title = r.title_in(lang)
            rows.append({"name": name, "rule_id": r.id, "reason": f"{title}: {facts}" if facts else title})
    if not rows:
        return gpd.GeoDataFrame({"name": [], "rule_id": [], "reason": []}, geometry=[], crs=4326)
    table = pd.DataFrame(rows).groupby("name", sort=False).agg({"rule_id": ", ".join, "reason": " | ".join})
    out = units[["name", units.geometry.name]].merge(table, left_on="name", right_index=True)
    return gpd.GeoDataFrame(out, geometry=units.geometry.name, crs=units.crs)


def build_report(scenario: str | Path | Any, *, offline: bool = False, basemap: str = "osm",
                 tianditu_key: str | None = None, compliance: Any = None, lang: str | None = None) -> str:
    """The report for ``scenario`` (a path or a loaded :class:`siting.inputs.scenario.Scenario`) as HTML text.

    ``lang`` ('zh' or 'en'): the language of every heading, label, chart, map layer and rule
    text; by default the scenario's (:func:`siting.i18n.default_lang`).
    """
    import jinja2

    from siting.inputs.scenario import Scenario, load_scenario
    from siting.rules import check, inputs_from_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    lang = default_lang(sc.rules, sc.title, lang or sc.lang)
    inputs = inputs_from_scenario(sc)
    if compliance is None:
        compliance = check(sc)
    env = jinja2.Environment(loader=jinja2.PackageLoader("siting.reporting", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"], default=True))
    context = report_context(sc, inputs, compliance, lang, offline=offline, basemap=basemap, tianditu_key=tianditu_key)
    return env.get_template("report.html.j2").render(**context)


def report_context(sc: Any, inputs: Any, compliance: Any, lang: str, *, offline: bool, basemap: str,
                   tianditu_key: str | None) -> dict[str, Any]:
    """Everything the report template shows, its texts in ``lang``."""
    from importlib.metadata import version

    from siting.maps import map_html

    table = rules_table(compliance, lang)
    gaps = capacity_gap_by_county(compliance)
    cov_png, cov_notes = coverage_chart(compliance, lang)
    charts = [{"png": status_chart(table, lang), "caption": t("report.caption_status", lang)}]
    if cov_png:
        charts.append({"png": cov_png, "caption": t("report.caption_coverage", lang)})
    title = sc.title or sc.name
    iso, iso_name, iso_note = service_isochrones(sc, inputs, lang)
    if iso_note:
        cov_notes.append(iso_note)
    fmap = report_map(compliance, inputs, title, basemap, tianditu_key, isochrones=iso, isochrone_name=iso_name,
                      lang=lang)
    notes = {r.id: r.notes_in(lang) for r in getattr(compliance, "results", [])}
    fmt_rules = [{**row, "value": _fmt(row["value"]), "threshold": _fmt(row["threshold"]),
                  "status_label": label("status", row["status"], lang), "notes": notes.get(row["rule_id"], [])}
                 for row in table.to_dict("records")]
    text_cols = ("rule_id", "county", "status", "reason")
    fmt_caps = [{**{k: (_text(v) if k in text_cols else _fmt(v, 2)) for k, v in row.items()},
                 "status_label": label("status", row["status"], lang) if row["status"] else "",
                 "reason": translate_text(row["reason"], lang)} for row in gaps.to_dict("records")]
    return dict(
        lang=lang, tr=lambda key, **fmt: t(key, lang, **fmt),
        title=title, scenario_name=sc.name, pack=getattr(compliance, "pack", sc.rules or ""),
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), offline=offline,
        counts={s: int((table["status"] == s).sum()) for s in ("pass", "fail", "not_evaluable")},
        rules=fmt_rules, coverage_charts=charts, coverage_notes=cov_notes,
        capacity_chart=capacity_chart(gaps, lang), capacity_rows=fmt_caps,
        hospital_tables=hospital_tables(compliance, lang),
        questions=question_sections(sc, inputs, lang),
        map_srcdoc=map_html(fmap, offline=offline) if fmap is not None else None,
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
                 "level": _fmt(row.get("level")), "reason": hospital_reason(row.get("category_reason", ""), lang),
                 "counted": t("report.yes" if row.get("counted") else "report.no", lang),
                 "why": translate_text(row.get("why_not", ""), lang)}
                for row in table.to_dict("records")]
        out.append({"rule_id": r.id, "title": r.title_in(lang), "rows": rows})
    return out


def hospital_reason(reason: Any, lang: str = "en") -> str:
    """A category reason (``name:皮肤病``, ``tag:healthcare:speciality=dermatology``, ``amap:090200``,
    ``column:category=综合``, ``assumed``) as a phrase in ``lang``."""
    text = _text(reason)
    if not text:
        return ""
    if text == "assumed":
        return t("reason.assumed", lang)
    kind, _, rest = text.partition(":")
    key = f"reason.{kind}"
    return t(key, lang, what=rest) if kind in ("name", "tag", "amap", "baidu", "column") else text


def write_report(scenario: str | Path | Any, out: str | Path, *, offline: bool = False, basemap: str = "osm",
                 tianditu_key: str | None = None, compliance: Any = None, lang: str | None = None) -> Path:
    """Write the report for ``scenario`` to ``out`` (atomically); return the path.

    ``compliance``: a :class:`siting.rules` report already computed for this scenario (checked anew when None).
    ``lang``: 'zh' or 'en' (default: the scenario's language, see :func:`build_report`).
    """
    return write_text(out, build_report(scenario, offline=offline, basemap=basemap, tianditu_key=tianditu_key,
                                        compliance=compliance, lang=lang))


def question_sections(sc: Any, inputs: Any, lang: str = "en") -> list[dict[str, Any]]:
    """One section per siting question of the scenario (:mod:`siting.planning.questions`), texts in ``lang``."""
    if not getattr(sc, "questions", ()):
        return []
    from siting.planning.questions import answer_questions

    out = []
    for res in answer_questions(sc, inputs):
        q, summary = res.spec, res.demand_summary()
        runs = [{"model": label("model", r.model, lang), "p": r.p, "status": label("solve_status", r.status, lang),
                 "objective": _fmt(r.objective, 1), "gap": "—" if r.gap is None else f"{100 * r.gap:.2f} %",
                 "chosen": t("report.list_sep", lang).join(r.chosen), "mean_km": _fmt(r.mean_km, 1),
                 "max_km": _fmt(r.max_km, 1), "covered": "—" if r.covered_share is None else f"{100 * r.covered_share:.1f} %",
                 "catchments": [{"site": c["site"], "towns": int(c["towns"]), "weight": _fmt(float(round(c["weight"]))),
                                 "farthest_km": _fmt(float(c["farthest_km"]), 1), "members": c["members"]}
                                for c in r.catchments.to_dict("records")]}
                for r in res.runs]
        out.append({
            "id": q.id, "title": q.title_zh if lang == "zh" and q.title_zh else q.title,
            "quote": q.source.get("quote", ""), "cite": ", ".join(x for x in (q.source.get("document", ""),
                                                                            q.source.get("clause", ""), q.source.get("line", "")) if x),
            "note": q.note_zh if lang == "zh" and q.note_zh else q.note,
            "demand": t("report.q_demand", lang, towns=summary["towns"], census=summary["census"],
                        estimated=summary["estimated"], weight=_fmt(float(round(summary["weight"]))),
                        group=label("words", summary["weight_name"], lang)),
            "left_out": summary["left_out"], "distance": [translate_text(n, lang) for n in res.notes], "runs": runs,
        })
    return out
