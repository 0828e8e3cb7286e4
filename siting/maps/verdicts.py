"""Verdicts on the map, read from a compliance report: per site, which rules judged it, how, and the
figures behind it; per rule, the row of the map's rule table; per unit, the rules it fails.

Everything is read generically from :class:`siting.rules.result.RuleResult` — ``status``,
``details`` (one row per subject, keyed by ``id``), ``violations`` (keyed by ``id`` for a site,
``unit``/``county`` for an area) — so a rule kind that reports a new figure shows it on the map
without a change here. A site a rule lists among its violations fails it; one in its details
passes it, unless the row carries its own verdict (a ``status`` or ``within`` column) or the rule
could not be judged (``not_evaluable``), when the site is *not judged* by it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from siting.i18n import catalogue, label, t, translate_text
from siting.rules.result import STATUSES

#: Columns of a rule's details that carry a per-subject verdict, first found wins.
VERDICT_COLUMNS = ("status", "within")
#: Detail columns that say who the row is (shown in the popup's head, not among the figures).
IDENTITY_COLUMNS = ("id", "name", "type", "origin", "owner_kind", "snap_m", "target_snap_m")
#: Detail columns holding a hospital category, or the reason for one.
CATEGORY_COLUMNS = ("category", "nearest_hospital_category")
REASON_COLUMNS = ("category_reason", "nearest_hospital_reason")
#: Marker colours (folium.Icon names) and their CSS colours, per verdict.
VERDICT_ICON = {"pass": "green", "fail": "red", "not_evaluable": "gray"}
VERDICT_CSS = {"pass": "#72b026", "fail": "#d63e2a", "not_evaluable": "#575757"}


@dataclass
class SiteRule:
    """One rule's verdict on one site, with the figures of its details row and its violations' problems."""

    rule: str
    title: str
    status: str
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def fmt_number(value: Any, digits: int = 3) -> str:
    """A number as a reader wants it: thousands separated, at most ``digits`` decimals, '—' when missing."""
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


def missing(value: Any) -> bool:
    """True for None, NA, NaN and empty text."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value)) and not np.isinf(value)
    return isinstance(value, str) and value.strip() == ""


def row_status(rule_status: str, row: dict[str, Any] | None, failing: bool) -> str:
    """A site's verdict under one rule: see the module's docstring."""
    if failing:
        return "fail"
    for col in VERDICT_COLUMNS:
        if row is None or col not in row:
            continue
        value = row[col]
        if isinstance(value, str) and value in STATUSES:
            return value
        if isinstance(value, bool | np.bool_):
            return "pass" if value else "fail"
        if missing(value):
            return "not_evaluable"
    return "pass" if rule_status in ("pass", "fail") else "not_evaluable"


def site_verdicts(compliance: Any, lang: str = "en") -> dict[str, list[SiteRule]]:
    """Per site id, the verdict of every rule that names it in its details or violations."""
    out: dict[str, list[SiteRule]] = {}
    for r in getattr(compliance, "results", []):
        failing: dict[str, list[str]] = {}
        for v in r.violations_in(lang):
            if not missing(v.get("id")):
                failing.setdefault(str(v["id"]), []).append(str(v.get("problem") or ""))
        rows: dict[str, dict[str, Any]] = {}
        if r.details is not None and len(r.details) and "id" in r.details.columns:
            for row in r.details.to_dict("records"):
                rows.setdefault(str(row["id"]), row)
        for sid in dict.fromkeys([*rows, *failing]):
            row = rows.get(sid)
            figures = {k: v for k, v in (row or {}).items()
                       if k not in IDENTITY_COLUMNS and k not in VERDICT_COLUMNS and not missing(v)}
            out.setdefault(sid, []).append(SiteRule(
                r.id, r.title_in(lang), row_status(r.status, row, sid in failing), figures,
                [p for p in failing.get(sid, []) if p]))
    return out


def overall(statuses: list[str]) -> str:
    """One verdict of several: fail when any fails, pass when any passes, else not judged."""
    if "fail" in statuses:
        return "fail"
    return "pass" if "pass" in statuses else "not_evaluable"


def verdict_label(status: str, lang: str = "en") -> str:
    """'pass', 'fail' or 'not judged' (a site no rule could judge) in ``lang``."""
    return t(f"map.verdict.{status}_short", lang)


def detail_label(column: str, lang: str = "en") -> str:
    """The readable name of a details column (``labels.detail``, else ``labels.column``, else the code)."""
    entry = catalogue()["labels"].get("detail", {}).get(column)
    return label("column", column, lang) if entry is None else str(entry["en" if lang != "zh" else "zh"])


def hospital_reason(reason: Any, lang: str = "en") -> str:
    """A category reason (``name:皮肤病``, ``tag:healthcare:speciality=dermatology``, ``amap:090200``,
    ``column:category=综合``, ``assumed``) as a phrase in ``lang``."""
    text = "" if missing(reason) else str(reason)
    if not text:
        return ""
    if text == "assumed":
        return t("reason.assumed", lang)
    kind, _, rest = text.partition(":")
    return t(f"reason.{kind}", lang, what=rest) if kind in ("name", "tag", "amap", "baidu", "column") else text


def figure_text(column: str, value: Any, lang: str = "en") -> str:
    """A details value as shown in a popup: yes/no, a hospital category, its reason, a number, a text."""
    if isinstance(value, bool | np.bool_):
        return t("report.yes" if value else "report.no", lang)
    if column in CATEGORY_COLUMNS:
        return label("category", value, lang)
    if column in REASON_COLUMNS:
        return hospital_reason(value, lang)
    if column == "location_precision":
        return label("precision", value, lang)
    if isinstance(value, float | np.floating) and np.isinf(value):
        return t("map.unreachable", lang)
    if isinstance(value, float | np.floating | int | np.integer):
        return fmt_number(value, 2 if column.endswith(("_km", "_minutes")) else 3)
    return translate_text(str(value), lang)


def rule_result_html(entry: SiteRule, lang: str = "en") -> str:
    """One rule's verdict in a popup: a link to its row in the rule table, the status, the figures."""
    e = html.escape
    rows = "".join(f"<tr><th>{e(detail_label(k, lang))}</th><td>{e(figure_text(k, v, lang))}</td></tr>"
                   for k, v in entry.figures.items())
    problems = "".join(f'<div class="siting-problem">{e(p)}</div>' for p in entry.problems)
    return (f'<div class="siting-rule-result siting-st-{e(entry.status)}">'
            f'<a href="#siting-rule-{e(entry.rule)}" class="siting-rule-link" data-rule="{e(entry.rule)}">'
            f'{e(entry.rule)}</a> <b class="siting-st">{e(verdict_label(entry.status, lang))}</b> '
            f'{e(entry.title)}{problems}<table>{rows}</table></div>')


def coverage_html(line: dict[str, Any], lang: str = "en") -> str:
    """A coverage line of a popup: the residents (and the target group) within the target's minutes of the site."""
    e = html.escape
    link = (f'<a href="#siting-rule-{e(line["rule"])}" class="siting-rule-link" data-rule="{e(line["rule"])}">'
            f'{e(line["rule"])}</a> ' if line.get("rule") else "")
    minutes = f"{line['minutes']:g}"
    rows = f"<tr><th>{e(t('map.popup.residents_within', lang, minutes=minutes))}</th><td>{fmt_number(line['residents'], 1)}</td></tr>"
    if line["group"] != "all":
        rows += (f"<tr><th>{e(t('map.popup.group_within', lang, group=label('group', line['group'], lang), minutes=minutes))}"
                 f"</th><td>{fmt_number(line['group_people'], 1)}</td></tr>")
    return f'<div class="siting-coverage-line">{link}{e(line["label"])}<table>{rows}</table></div>'


def site_popup(site: dict[str, Any], verdict: str, rules: list[SiteRule], coverage: list[dict[str, Any]],
               lang: str = "en", extra: Sequence[tuple[str, Any]] = ()) -> str:
    """A site's popup: what it is (and the ``extra`` facts), its overall verdict, each rule's verdict
    with figures, its coverage."""
    e = html.escape
    title = site.get("name") or site.get("id") or ""
    facts = [(t("map.popup.type", lang), label("type", site.get("type"), lang)),
             (t("map.popup.origin", lang), t(f"map.origin.{site['origin']}", lang))]
    facts += [(t(f"map.popup.{c}", lang), fmt_number(site[c])) for c in ("beds", "places", "owner", "county")
              if not missing(site.get(c))]
    facts += [(k, fmt_number(v, 1)) for k, v in extra if not missing(v)]
    head = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in facts)
    body = "".join(rule_result_html(r, lang) for r in rules) or f"<p>{e(t('map.popup.no_rule', lang))}</p>"
    cov = "".join(coverage_html(c, lang) for c in coverage)
    return (f'<div class="siting-popup siting-site" data-site="{e(str(site["key"]))}"><b>{e(str(title))}</b>'
            f'<table>{head}</table><div class="siting-verdict siting-st-{verdict}">'
            f'{e(t("map.popup.verdict", lang))}{e(t("map.popup.colon", lang))}'
            f'<b>{e(verdict_label(verdict, lang))}</b></div><h5>{e(t("map.popup.rules", lang))}</h5>{body}'
            + (f"<h5>{e(t('map.popup.coverage_title', lang))}</h5>{cov}" if cov else "") + "<!-- end popup --></div>")


def rule_rows(compliance: Any, sites_by_rule: dict[str, list[str]], lang: str = "en") -> list[dict[str, Any]]:
    """The map's rule table: per rule its id, title, status, clause, quote, reason and the keys of its sites."""
    rows = []
    for r in getattr(compliance, "results", []):
        clause = ", ".join(str(x) for x in (r.source.get("document", ""), r.source.get("clause", ""),
                                            r.source.get("line", "") or "") if x)
        rows.append({"id": r.id, "title": r.title_in(lang), "status": r.status,
                     "status_label": t(f"chart.{r.status}", lang), "clause": clause,
                     "quote": r.source.get("quote", ""), "reason": translate_text(r.reason, lang),
                     "sites": sites_by_rule.get(r.id, [])})
    return rows


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
            facts = ", ".join(f"{k}={fmt_number(x)}" for k, x in v.items() if k not in ("unit", "county", "level"))
            title = r.title_in(lang)
            rows.append({"name": name, "rule_id": r.id, "reason": f"{title}: {facts}" if facts else title})
    if not rows:
        return gpd.GeoDataFrame({"name": [], "rule_id": [], "reason": []}, geometry=[], crs=4326)
    table = pd.DataFrame(rows).groupby("name", sort=False).agg({"rule_id": ", ".join, "reason": " | ".join})
    out = units[["name", units.geometry.name]].merge(table, left_on="name", right_index=True)
    return gpd.GeoDataFrame(out, geometry=units.geometry.name, crs=units.crs)
