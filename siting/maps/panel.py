"""The side panel of a scenario map: the rule table (status, clause, quote; a row highlights its sites)
and the what-if panel (checkboxes for planned projects and candidate sites; coverage and capacity
recomputed in the page from :mod:`siting.maps.whatif`'s data).

The panel's HTML is written here with every text from the message catalogue; its script
(``static/panel.js``) and style (``static/panel.css``) are inlined into the page, so it works
offline. The script exposes ``window.sitingPanelApi`` (``selectRule``, ``showTab``, ``setOpen``,
``highlighted()``: the [lat, lng] of the sites ringed, ``whatIf.recompute``) for tests and for
readers' own scripts.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import folium
import pandas as pd
from branca.element import MacroElement, Template

from siting.i18n import label, t
from siting.maps.verdicts import fmt_number, missing


def _asset(name: str) -> str:
    return resources.files("siting.maps").joinpath("static", name).read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</`` to end it early)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def rule_table_html(rows: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    """The rules pane: a hint, the counts and one clickable row per rule (id, status, title, clause, quote)."""
    e = html.escape
    counts = {s: sum(r["status"] == s for r in rows) for s in ("pass", "fail", "not_evaluable")}
    parts = [f'<p class="siting-hint">{e(t("panel.rules_hint", lang))}</p>',
             f'<p>{e(t("status.summary", lang, passed=counts["pass"], failed=counts["fail"], not_evaluable=counts["not_evaluable"]))}</p>',
             f'<table class="siting-rule-table"><tr><th>{e(t("panel.col_rule", lang))}</th>'
             f'<th>{e(t("panel.col_status", lang))}</th><th>{e(t("panel.col_clause", lang))}</th></tr>']
    for r in rows:
        quote = f"<blockquote>「{e(r['quote'])}」</blockquote>" if r["quote"] else ""
        reason = f'<div class="siting-reason">{e(r["reason"])}</div>' if r["reason"] else ""
        n = len(r["sites"])
        on_map = f'<div class="siting-nsites">{e(t("panel.sites_on_map", lang, n=n))}</div>' if n else ""
        parts.append(
            f'<tr id="siting-rule-{e(r["id"])}" class="siting-rule-row siting-st-{e(r["status"])}" '
            f'data-rule="{e(r["id"])}" data-status="{e(r["status"])}" data-sites="{e(" ".join(r["sites"]))}">'
            f'<td class="siting-rule-id">{e(r["id"])}</td><td class="siting-st">{e(r["status_label"])}</td>'
            f'<td><div class="siting-rule-title">{e(r["title"])}</div><div class="siting-clause">{e(r["clause"])}</div>'
            f"{quote}{reason}{on_map}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def site_description(site: Mapping[str, Any], lang: str = "en") -> str:
    """'elderly, planned project, 150 beds' (in ``lang``): what a checkbox stands for."""
    bits = [label("type", site.get("type"), lang), t(f"map.origin.{site['origin']}", lang)]
    bits += [t(f"panel.{c}", lang, n=fmt_number(site[c])) for c in ("beds", "places") if not missing(site.get(c))]
    if missing(site.get("lon")) or missing(site.get("lat")):
        bits.append(t("panel.no_location", lang))
    return t("report.list_sep", lang).join(bits)


def whatif_html(data: Mapping[str, Any], sites: pd.DataFrame, lang: str = "en") -> str:
    """The what-if pane: coverage targets, capacity lines (numbers filled in by the page) and the checkboxes."""
    e = html.escape
    parts = [f'<p class="siting-hint">{e(t("panel.whatif_hint", lang))}</p>']
    if data["targets"]:
        parts.append(f'<h4>{e(t("panel.coverage", lang))}</h4><table class="siting-whatif-targets"><tr>'
                     + "".join(f"<th>{e(t(k, lang))}</th>" for k in ("panel.col_target", "panel.col_covered",
                                                                    "panel.col_share", "panel.col_status")) + "</tr>")
        for x in data["targets"]:
            goal = "" if x["min_share"] is None else t("panel.goal_share", lang, share=f"{100 * x['min_share']:g}%")
            parts.append(f'<tr class="siting-whatif-target" data-target="{e(x["id"])}"><td>{e(x["label"])}'
                         f'<div class="siting-goal">{e(t("panel.of_population", lang, n=fmt_number(x["population"], 0)))}'
                         f'{e(goal)}</div></td><td class="siting-covered siting-num"></td>'
                         f'<td class="siting-share siting-num"></td><td class="siting-st"></td></tr>')
        parts.append("</table>")
    if data["capacity"]:
        parts.append(f'<h4>{e(t("panel.capacity", lang))}</h4><table class="siting-whatif-capacity"><tr>'
                     + "".join(f"<th>{e(t(k, lang))}</th>" for k in ("panel.col_rule", "panel.col_total",
                                                                    "panel.col_status")) + "</tr>")
        for c in data["capacity"]:
            base = t("panel.baseline_unknown", lang) if c["baseline"] is None else \
                t("panel.baseline", lang, n=fmt_number(c["baseline"]))
            parts.append(f'<tr class="siting-whatif-cap" data-capacity="{e(c["id"])}"><td>{e(c["label"])}'
                         f'<div class="siting-goal">{e(base)}</div></td><td class="siting-total siting-num"></td>'
                         f'<td class="siting-st"></td></tr>')
        parts.append("</table>")
    on = {s["key"]: s["on"] for s in data["sites"]}
    parts.append(f'<h4>{e(t("panel.sites", lang))}</h4><div class="siting-actions">'
                 + "".join(f'<button type="button" data-tick="{k}">{e(t(f"panel.tick_{k}", lang))}</button>'
                           for k in ("plan", "all", "none")) + '</div><ul class="siting-whatif-sites">')
    for site in sites[sites["key"].isin(list(on))].to_dict("records"):
        checked = " checked" if on[site["key"]] else ""
        name = site.get("name") or site.get("id")
        parts.append(f'<li><label><input type="checkbox" class="siting-whatif-site" data-site="{e(site["key"])}" '
                     f'data-id="{e(str(site["id"]))}" data-origin="{e(site["origin"])}"{checked}> {e(str(name))} '
                     f"<small>({e(site_description(site, lang))})</small></label></li>")
    parts.append("</ul>")
    return "".join(parts)


def panel_html(rows: Sequence[Mapping[str, Any]], data: Mapping[str, Any] | None, sites: pd.DataFrame,
               lang: str = "en") -> str:
    """The whole panel: tabs, the rules pane, the what-if pane (when there is something to recompute)."""
    e = html.escape
    tabs = [("rules", t("panel.tab_rules", lang, n=len(rows)))] + ([("whatif", t("panel.tab_whatif", lang))] if data else [])
    head = "".join(f'<button type="button" class="siting-tab{" siting-tab-on" if i == 0 else ""}" data-tab="{k}">'
                   f"{e(text)}</button>" for i, (k, text) in enumerate(tabs))
    panes = f'<section class="siting-pane" data-pane="rules">{rule_table_html(rows, lang)}</section>'
    if data:
        panes += f'<section class="siting-pane" data-pane="whatif" hidden>{whatif_html(data, sites, lang)}</section>'
    return (f'<div id="siting-panel" class="siting-panel" lang="{"zh-CN" if lang == "zh" else "en"}">'
            f'<div class="siting-tabs">{head}</div>{panes}<!-- end panel --></div>'
            f'<button type="button" id="siting-panel-toggle" class="siting-panel-toggle" '
            f'title="{e(t("panel.toggle", lang))}">⇆</button>')


class SidePanel(MacroElement):
    """The panel as a map element: its HTML in the page, its style and script in the head, and the
    call that wires it to the map, the markers (by site key) and the what-if data."""

    _template = Template("""
{% macro header(this, kwargs) %}<style>{{ this.css }}</style>
<script>{{ this.js }}</script>{% endmacro %}
{% macro html(this, kwargs) %}{{ this.html }}{% endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = sitingPanel({{ this._parent.get_name() }}, {{ this.markers_js }}, {{ this.data_json }},
  {{ this.texts_json }});
window.sitingPanelApi = {{ this.get_name() }};
{% endmacro %}
""")

    def __init__(self, rows: Sequence[Mapping[str, Any]], data: Mapping[str, Any] | None, sites: pd.DataFrame,
                 markers: Mapping[str, folium.Marker], lang: str = "en") -> None:
        super().__init__()
        self._name = "SitingPanel"
        self.css = _asset("panel.css")
        self.js = _asset("panel.js")
        self.html = panel_html(rows, data, sites, lang)
        self.markers_js = "{" + ",".join(f"{json.dumps(k)}:{m.get_name()}" for k, m in markers.items()) + "}"
        self.data_json = script_json(data) if data else "null"
        self.texts_json = script_json({s: t(f"map.verdict.{s}_short", lang) for s in ("pass", "fail", "not_evaluable")})
