"""One map for every scenario: ``siting map --scenario``, the map inside ``siting report`` and the demo's.

:func:`scenario_map` draws, on the basemap drawn from the scenario's OSM extract:

- every facility, planned project and candidate site as a marker coloured by its verdict (pass,
  fail, not judged), its popup listing each rule's result with the figures of the rule's details
  (A4: nearest counted hospital, straight-line and road km, the hospital's category and why; A5:
  beds, clinic, suggested partner; coverage: residents and the rule's group within its minutes of
  the site), each violation linking back to its row in the rule table;
- hospitals with their rings (dashed outlines), the service-circle isochrones, county capacity
  and the outlines of failing units;
- a side panel (:mod:`siting.maps.panel`): the rule table (status, clause, quote), whose rows
  highlight their sites, and the what-if panel (:mod:`siting.maps.whatif`).

Verdicts come from the compliance report (:func:`siting.rules.evaluate` on the same inputs);
candidates are scored with :func:`siting.planning.scoring.score_candidates`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd

from siting.i18n import default_lang, label, t, translate_text
from siting.maps.basemaps import display_frame
from siting.maps.build import make_map
from siting.maps.layers import (
    MapLayer,
    coverage_layer,
    facility_style,
    hospital_layer,
    isochrone_layer,
    violation_layer,
)
from siting.maps.panel import SidePanel
from siting.maps.verdicts import (
    VERDICT_CSS,
    VERDICT_ICON,
    SiteRule,
    capacity_gap_by_county,
    overall,
    rule_rows,
    site_popup,
    site_verdicts,
    unit_violations,
)
from siting.maps.whatif import CAPACITY_KINDS, CAPACITY_OF, CIRCLE_KINDS, matching, whatif_data
from siting.rules.context import subject_table

if TYPE_CHECKING:
    from siting.inputs.scenario import Scenario
    from siting.rules.pack import Pack
    from siting.rules.result import ComplianceReport

#: Marker classes (a coloured glow) of planned projects and candidate sites.
ORIGIN_CLASS = {"projects": "siting-planned", "candidates": "siting-candidate"}


def scenario_pack(sc: Scenario) -> Pack | None:
    """The scenario's rule pack with its overrides applied (:func:`siting.rules.pack_for`); None when it names none."""
    from siting.rules import pack_for

    return pack_for(sc) if sc.rules else None


def isochrone_rule(pack: Any) -> Any:
    """The pack's A1 rule (the service-circle rule whose target type the isochrones are drawn for).

    Falls back to the first ``service_coverage`` rule when the pack has no A1; None without one.
    """
    rules = list(getattr(pack, "rules", []))
    return next((r for r in rules if r.id == "A1"), None) or next(
        (r for r in rules if r.kind in CIRCLE_KINDS), None)


def service_isochrones(sc: Any, inputs: Any, lang: str = "en", draw: bool = True) -> tuple[Any, str, str]:
    """Isochrones of the A1 rule's minutes around the facilities of its target type.

    Returns ``(isochrones, layer_name, note)``: a GeoDataFrame (None when they cannot
    be drawn, or ``draw`` is False), the map layer's name and, when they cannot be drawn,
    why not (shown in the report).
    """
    from siting.analysis.isochrones import isochrones

    pack = scenario_pack(sc)
    if pack is None:
        return None, "", t("report.iso_no_pack", lang)
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
    subjects = inputs.subjects(rule.applies_to)
    subjects = subjects[subjects["lon"].notna() & subjects["lat"].notna()]
    if subjects.empty:
        return None, name, t("report.iso_no_facility", lang, minutes=f"{minutes:g}", types=kinds)
    if not draw:
        return None, name, ""
    net = inputs.network(rule.params.get("mode") or inputs.network_mode)
    cols = [c for c in ("id", "name", "type", "lon", "lat") if c in subjects.columns]
    iso = isochrones(net, pd.DataFrame(subjects[cols]).reset_index(drop=True), [minutes])
    return iso[~iso.geometry.is_empty].reset_index(drop=True), name, ""


def scored_candidates(sc: Scenario, candidates: str | Path | pd.DataFrame, inputs: Any) -> pd.DataFrame:
    """The candidate sites scored against the scenario (rank, gain, hospital rule), with their ``capacity``."""
    from siting.planning.candidates import read_candidate_rows
    from siting.planning.scoring import score_candidates

    network = inputs.network() if inputs.has_network() else None
    scores = score_candidates(sc, candidates, network=network)
    rows, _ = read_candidate_rows(candidates, sc.crs)
    capacity = rows.drop_duplicates("id").set_index("id")["capacity"]
    owner = rows.drop_duplicates("id").set_index("id")["owner_kind"]
    return scores.assign(capacity=scores["id"].map(capacity), owner_kind=scores["id"].map(owner))


def site_table(inputs: Any, candidates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every site of the map: facilities (always on), planned projects (ticked), candidates (unticked).

    Columns of :func:`siting.rules.context.subject_table` plus ``key``, ``origin``, ``toggle`` and ``on``
    (see :mod:`siting.maps.whatif`); a candidate's ``capacity`` fills the column of its type.
    """
    parts = []
    for origin, frame, toggle, on in (("facilities", getattr(inputs, "facilities", None), False, True),
                                      ("projects", getattr(inputs, "projects", None), True, True),
                                      ("candidates", candidates, True, False)):
        if frame is None or not len(frame):
            continue
        frame = frame.reset_index(drop=True)
        if origin == "candidates":
            for col in set(CAPACITY_OF.values()):
                frame[col] = np.where(frame["type"].map(CAPACITY_OF) == col, frame["capacity"], np.nan)
        table = subject_table(frame.assign(origin=origin))
        parts.append(table.assign(key=[f"{origin[0]}{i}" for i in range(len(table))], toggle=toggle, on=on))
    if not parts:
        return subject_table(pd.DataFrame()).assign(key=[], toggle=[], on=[])
    out = pd.concat(parts, ignore_index=True)
    out["toggle"] = out["toggle"].astype(bool)
    out["on"] = out["on"].astype(bool)
    return out


def candidate_rules(row: dict[str, Any], lang: str = "en") -> list[SiteRule]:
    """A scored candidate's hospital-rule verdict as a :class:`SiteRule` (none when the rule does not apply)."""
    status = str(row.get("hospital_rule_status") or "")
    if not row.get("hospital_rule") or status not in ("pass", "fail", "not_evaluable"):
        return []
    figures = {"straight_km": row.get("hospital_straight_km"), "network_km": row.get("hospital_network_km"),
               "nearest_hospital": row.get("nearest_hospital"), "judged_on": row.get("hospital_rule_judged_on")}
    figures = {k: v for k, v in figures.items() if v is not None and not (isinstance(v, float) and np.isnan(v)) and v != ""}
    return [SiteRule(str(row["hospital_rule"]), t("map.candidate_rule", lang), status, figures)]


def sites_layer(sites: pd.DataFrame, verdicts: dict[str, str], popups: dict[str, str], markers: dict[str, Any],
                lang: str = "en") -> MapLayer:
    """Sites as markers coloured by verdict (icon by type, a glow for projects and candidates); one
    layer-control entry per type of facility, one for the projects, one for the candidates.

    ``markers`` is filled with the folium markers by site key (the panel needs their names).
    """
    name = t("map.sites", lang)
    located = sites[sites["lon"].notna() & sites["lat"].notna()]
    import geopandas as gpd

    frame = gpd.GeoDataFrame(located, geometry=gpd.points_from_xy(located["lon"].astype(float),
                                                                  located["lat"].astype(float)), crs=4326)
    legend = [(VERDICT_CSS[s], t(f"map.verdict.{s}", lang)) for s in ("pass", "fail", "not_evaluable")]
    legend += [("glow:#1f6feb", t("map.legend_planned", lang))] if (frame["origin"] == "projects").any() else []
    legend += [("glow:#bf8700", t("map.legend_candidate", lang))] if (frame["origin"] == "candidates").any() else []

    def group_of(row: pd.Series) -> str:
        if row["origin"] == "facilities":
            return f"{t('map.facilities', lang)}: {label('type', row['type'] or 'other', lang)}"
        return t(f"map.group.{row['origin']}", lang)

    def render(basemap: str) -> list[folium.FeatureGroup]:
        shown = display_frame(frame, basemap)
        groups: dict[str, folium.FeatureGroup] = {}
        for _, row in shown.iterrows():
            title = str(row["name"] or row["id"])
            group = groups.setdefault(group_of(row), folium.FeatureGroup(name=group_of(row)))
            verdict = verdicts.get(row["key"], "not_evaluable")
            icon = folium.Icon(color=VERDICT_ICON[verdict], icon=facility_style(row["type"])[1], prefix="fa")
            if row["origin"] in ORIGIN_CLASS:  # awesome-markers' extraClasses: the glow of projects and candidates
                icon.options["extra_classes"] = f"{icon.options['extra_classes']} {ORIGIN_CLASS[row['origin']]}"
            marker = folium.Marker(
                [row.geometry.y, row.geometry.x], icon=icon,
                popup=folium.Popup(popups[row["key"]], max_width=360),
                tooltip=html.escape(f"{title} · {t(f'map.verdict.{verdict}_short', lang)}"))
            marker.add_to(group)
            markers[row["key"]] = marker
        return list(groups.values())

    return MapLayer(name, render, legend, None if frame.empty else tuple(frame.total_bounds.tolist()))


def area_layers(compliance: Any, inputs: Any, lang: str = "en") -> list[MapLayer]:
    """County capacity met (supply ÷ need) and the outlines of units that fail a rule."""
    import geopandas as gpd

    bounds = getattr(inputs, "unit_boundaries", None)
    if not isinstance(bounds, gpd.GeoDataFrame) or not len(bounds) or "name" not in bounds.columns:
        return []
    layers = []
    counties = bounds[bounds["level"] == "county"] if "level" in bounds.columns else bounds
    if len(counties):
        per = capacity_gap_by_county(compliance).drop_duplicates("county").set_index("county")
        met = (per["supply"] / per["needed"]).clip(upper=1.0)
        counties = counties.assign(coverage=counties["name"].map(met).astype(float))
        layers.append(coverage_layer(counties, name=t("map.capacity_met", lang), lang=lang))
        failed = unit_violations(compliance, bounds, lang)
        if len(failed):
            layers.append(violation_layer(failed, name=t("map.violations_units", lang), lang=lang))
    return layers


def judge_sites(compliance: ComplianceReport | None, sites: pd.DataFrame, scores: pd.DataFrame | None,
                coverage: dict[str, list[dict[str, Any]]], rules: dict[str, Any],
                lang: str = "en") -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    """Per site key its verdict and popup; per rule the keys of its sites (those it judged, and for
    service-circle and capacity rules those it counts)."""
    by_id = site_verdicts(compliance, lang) if compliance is not None else {}
    scored = scores.drop_duplicates("id").set_index("id").to_dict("index") if scores is not None else {}
    verdicts: dict[str, str] = {}
    popups: dict[str, str] = {}
    by_rule: dict[str, list[str]] = {}
    for site in sites.to_dict("records"):
        key, extra = site["key"], []
        if site["origin"] == "candidates":
            row = scored.get(site["id"], {})
            entries = candidate_rules(row, lang)
            extra = [(t("map.popup.rank", lang), row.get("rank")),
                     (t("map.popup.gain", lang, group=label("group", row.get("group"), lang)), row.get("gain"))]
        else:
            entries = by_id.get(str(site["id"]), [])
        verdicts[key] = overall([e.status for e in entries])
        popups[key] = site_popup(site, verdicts[key], entries, coverage.get(key, []), lang, extra)
        for e in entries:
            by_rule.setdefault(e.rule, []).append(key)
    for r in getattr(compliance, "results", []):
        if r.kind in CIRCLE_KINDS + CAPACITY_KINDS and r.id in rules:
            keys = by_rule.setdefault(r.id, [])
            keys += [k for k in matching(sites, rules[r.id].applies_to) if k not in keys]
    return verdicts, popups, by_rule


def hospitals_layer(inputs: Any, rules: dict[str, Any], lang: str = "en") -> MapLayer | None:
    """The hospitals (of the hospital file and the facility file) with rings of the hospital rule's distance."""
    from siting.inputs.facilities import hospitals_from

    fac, hosp = getattr(inputs, "facilities", None), getattr(inputs, "hospitals", None)
    if fac is None and hosp is None:
        return None
    hospitals = hospitals_from(fac, hosp)
    located = hospitals[hospitals["lon"].notna() & hospitals["lat"].notna()] if len(hospitals) else hospitals
    if not len(located):
        return None
    max_km = next((float(r.params["max_km"]) for r in rules.values() if r.kind == "hospital_proximity"), 5.0)
    return hospital_layer(located, max_km * 1000.0, colour="cadetblue", lang=lang)


def scenario_map(
    scenario: str | Path | Scenario, *, compliance: ComplianceReport | None = None, inputs: Any = None,
    candidates: str | Path | pd.DataFrame | None = None, scores: pd.DataFrame | None = None,
    lang: str | None = None, basemap: str = "osm", tianditu_key: str | None = None, title: str | None = None,
    isochrones: MapLayer | None | bool = None, extra_layers: Sequence[MapLayer] = (),
) -> folium.Map | None:
    """The map of a scenario: verdicts on every site, the rule table and the what-if panel (see the module).

    Parameters
    ----------
    scenario
        A scenario path or a loaded :class:`~siting.inputs.scenario.Scenario`.
    compliance, inputs
        The scenario's compliance report and check inputs, when already at hand (else computed;
        pass both together, the report checked on those inputs).
    candidates, scores
        Candidate sites (a table ``id,lon,lat[,type,name,owner_kind,capacity]``), scored here unless
        ``scores`` (:func:`scored_candidates` of them) is given.
    lang
        'zh' or 'en'; by default the scenario's (:func:`siting.i18n.default_lang`).
    isochrones
        A layer to draw as the service circles; None draws the A1 rule's (:func:`service_isochrones`),
        False none.
    extra_layers
        More layers (e.g. the demo's uncovered-demand heat map), drawn under the sites.

    Returns None when nothing in the scenario has a location.
    """
    from siting.inputs.scenario import Scenario, load_scenario
    from siting.maps.basemap_osm import extract_basemap
    from siting.rules import evaluate, inputs_from_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    lang = default_lang(sc.rules, sc.title, lang or sc.lang)
    inputs = inputs if inputs is not None else inputs_from_scenario(sc)
    pack = scenario_pack(sc)
    rules = {r.id: r for r in pack.rules} if pack is not None else {}
    if compliance is None and pack is not None:
        compliance = evaluate(pack, inputs, scenario=None if sc.path is None else str(sc.path))
    if scores is None and candidates is not None:
        scores = scored_candidates(sc, candidates, inputs)
    sites = site_table(inputs, scores)
    data, coverage = whatif_data(compliance, rules, sites, inputs, lang) if compliance is not None else (None, {})
    verdicts, popups, by_rule = judge_sites(compliance, sites, scores, coverage, rules, lang)
    layers = area_layers(compliance, inputs, lang)
    if isochrones is None:
        iso, iso_name, _ = service_isochrones(sc, inputs, lang)
        isochrones = isochrone_layer(iso, name=iso_name, label_col="name", lang=lang) if iso is not None and len(iso) else False
    layers += ([isochrones] if isinstance(isochrones, MapLayer) else []) + list(extra_layers)
    hospitals = hospitals_layer(inputs, rules, lang)
    layers += [hospitals] if hospitals is not None else []
    judged = {k for keys in by_rule.values() for k in keys}
    shown = sites[(sites["type"] != "hospital") | sites["key"].isin(judged)]
    markers: dict[str, folium.Marker] = {}
    if (shown["lon"].notna() & shown["lat"].notna()).any():
        layers.append(sites_layer(shown, verdicts, popups, markers, lang))
    if not layers:
        return None
    base = extract_basemap(inputs.network_source, lang=lang)
    m = make_map(([base] if base else []) + layers, title=title or sc.title or sc.name, basemap=basemap,
                 tianditu_key=tianditu_key, collapse_layers=compliance is not None)
    if compliance is not None:
        SidePanel(rule_rows(compliance, by_rule, lang), data, sites, markers, lang).add_to(m)
    return m
