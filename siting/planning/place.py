"""Place a plan's projects: one chosen site per project, inside its county or town, within the rules.

For every planned project (a row of the scenario's project table, or the
``place.projects`` of the scenario) :func:`place_projects`

1. finds its **region** (:mod:`siting.planning.regions`): the county polygon of the
   bundled boundaries, a disk of ``town_radius_m`` around the town point (clipped to the
   county) when the plan names a town, or the study area / network extent when no
   county is stated;
2. lays **candidates** inside the region (:mod:`siting.planning.eligibility`): the
   scenario's candidate table, OSM sites or a square grid
   (:mod:`siting.planning.candidates`), plus the stated point;
3. applies the **eligibility mask** of the pack's hospital-proximity rule
   (:mod:`siting.planning.hospitals`; Qinzhou A4: government elderly-care land within
   5 km of a general hospital), by straight line or by road (``distance``);
4. **chooses** the site (:mod:`siting.planning.choose`): with a road network and demand,
   one maximal-covering model per target group (:class:`siting.allocation.MCLP`, each
   project on its own site in its own region, existing facilities fixed) maximises the
   group within T minutes; without a network, the eligible candidate nearest the stated
   point (coverage is then *not evaluated*, and the output says so);
5. **reports** coverage of the target group before and after
   (:mod:`siting.planning.outcomes`), capacity against the demand within T, the distance
   to the nearest counted hospital (straight line and by road), the hospital rule's
   status (the rules engine's own check on the chosen sites, in ``hospital_rule_status``
   with the rule's id in ``hospital_rule``) and the region check.

Nothing that could not be evaluated is guessed: it is null in the table and named
in ``not_evaluated``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.coords import haversine_m
from siting.planning.candidates import OSM_KINDS, candidate_source, candidate_table
from siting.planning.choose import Choice, choose_by_mclp, fallback_choice
from siting.planning.context import SiteContext, load_context, scenario_projects
from siting.planning.eligibility import project_candidates
from siting.planning.hospitals import (
    counted_hospitals,
    hospital_distances,
    rule_applies,
    verdicts_by_engine,
    with_distance,
)
from siting.planning.kinds import existing_of, kind_of
from siting.planning.outcomes import coverage_columns, group_coverage
from siting.planning.regions import Region, project_region, region_status, unit_boundaries
from siting.planning.result import PLACED_COLUMNS, PlacementResult

if TYPE_CHECKING:
    from siting.inputs.scenario import PlaceSpec, Scenario
    from siting.network import RoadNetwork
    from siting.rules.rule import Rule

DEFAULT_TOWN_RADIUS_M = 3000.0
DEFAULT_MAX_CANDIDATES = 400
DEFAULT_TIME_LIMIT_S = 30.0


def place_projects(
    scenario: str | Path | Scenario,
    *,
    osm: str | Path | None = None,
    hospitals: str | Path | None = None,
    facilities: str | Path | None = None,
    candidates: str | Path | None = None,
    candidates_from: str | None = None,
    candidate_kinds: tuple[str, ...] | None = None,
    network: RoadNetwork | None = None,
    distance: str | None = None,
    grid_m: float | None = None,
    max_candidates: int | None = None,
    town_radius_m: float | None = None,
    time_limit: float | None = None,
) -> PlacementResult:
    """Place every planned project of a scenario (see the module docstring for the method).

    Parameters
    ----------
    scenario
        A scenario path or :class:`~siting.inputs.scenario.Scenario`.
    osm, hospitals, facilities, candidates
        Override the scenario's network source, hospital file, facility file and candidate table.
    candidates_from
        Where candidate sites come from: 'table' (``candidates`` or the scenario's table),
        'grid' (a square grid in each region) or 'osm' (public/government buildings and
        land, vacant or brownfield land and commercial buildings of the OSM file, ``osm``
        or the network source, inside each region). Default: ``place.candidates_from``,
        else 'table' when there is a table, else 'grid'.
    candidate_kinds
        With 'osm': which of 'public', 'vacant', 'commercial' (default all three, or
        ``place.candidate_kinds``).
    network
        A built network to use instead of loading one.
    distance
        'straight_line' or 'network': how the eligibility mask and the hospital rule's status
        are judged (default: ``place.distance`` of the scenario, else the rule's own parameter).
    grid_m, max_candidates, town_radius_m
        Grid spacing floor (m), grid size cap per region, and the radius around a town point
        (default: the scenario's ``place`` section, else auto, 400 and 3,000 m).
    time_limit
        Seconds for each MIP solve (default 30).
    """
    site = load_context(scenario, osm=osm, hospitals=hospitals, facilities=facilities, network=network)
    sc, inputs = site.scenario, site.inputs
    opts = settle_options(sc.place, distance=distance, grid_m=grid_m, max_candidates=max_candidates,
                          town_radius_m=town_radius_m, time_limit=time_limit, candidates_from=candidates_from,
                          candidate_kinds=candidate_kinds)
    rule = with_distance(site.rule, opts.distance)
    minutes = float(sc.minutes)
    projects = scenario_projects(site)
    net, road = site.network(), site.hospital_network()
    hosp = counted_hospitals(rule, inputs)
    points, notes, not_evaluated = _what_can_be_evaluated(site, net, road, rule, hosp)
    source, table, table_notes = _candidate_table(site, opts, candidates, osm, network)
    notes += table_notes

    # 1-3. Each project's region, and its candidates there: eligible or not, and why.
    boundaries = unit_boundaries(site)
    applies = rule_applies(rule, projects)
    regions: list[Region] = []
    cands: list[pd.DataFrame] = []
    for k, project in projects.iterrows():
        regions.append(project_region(project, boundaries, study_adcode=sc.study_area.adcode, net=net,
                                      town_radius_m=opts.town_radius_m))
        cands.append(project_candidates(int(k), regions[-1], stated_point(project), table, grid_m=opts.grid_m,
                                        max_candidates=opts.max_candidates,
                                        rule=rule if applies[k] else None, hospitals=hosp, road=road, net=net))

    # 4. Choose: one MCLP per target group with a network and demand; the fallback for the others.
    chosen, groups = _choose_by_group(projects, cands, site, net, points, minutes, opts.time_limit)
    notes += [g["note"] for g in groups if g.get("note")]
    choices = [chosen.get(k) or fallback_choice(cands[k], stated_point(projects.iloc[k]), regions[k], source=source,
                                                from_table=table is not None, optimised=points is not None)
               for k in range(len(projects))]

    # 5. Report: hospital distances and the rule's verdict, the region check, coverage before and after.
    frame = pd.DataFrame([_row(projects.iloc[k], regions[k], cands[k], choices[k]) for k in range(len(projects))])
    frame = _report(frame, projects, regions, site, rule, hosp, road, net, points, minutes)
    if net is not None and points is not None:
        groups = [{**g, **group_coverage(g, frame, inputs, net, points, minutes)} for g in groups]
    settings = _settings(site, opts, rule, net, road, hosp, minutes, source)
    serving = tuple(sorted({t for kind in projects["type"] for t in kind_of(kind)[1]}))
    return PlacementResult(frame, groups, not_evaluated, notes, settings, sc.name, hospitals=hosp,
                           existing=existing_of(inputs, serving))


@dataclass(frozen=True)
class PlaceOptions:
    """The options of a placement, settled (see :func:`place_projects` for their meaning)."""

    distance: str | None
    grid_m: float | None
    max_candidates: int
    town_radius_m: float
    time_limit: float
    candidates_from: str | None
    candidate_kinds: tuple[str, ...]


def settle_options(spec: PlaceSpec, *, distance: str | None = None, grid_m: float | None = None,
                   max_candidates: int | None = None, town_radius_m: float | None = None,
                   time_limit: float | None = None, candidates_from: str | None = None,
                   candidate_kinds: tuple[str, ...] | None = None) -> PlaceOptions:
    """The given options, else the scenario's ``place`` section, else the defaults."""
    return PlaceOptions(
        distance=distance or spec.distance,
        grid_m=grid_m if grid_m is not None else spec.grid_m,
        max_candidates=int(max_candidates or spec.max_candidates or DEFAULT_MAX_CANDIDATES),
        town_radius_m=float(town_radius_m or spec.town_radius_m or DEFAULT_TOWN_RADIUS_M),
        time_limit=float(time_limit or spec.time_limit or DEFAULT_TIME_LIMIT_S),
        candidates_from=candidates_from or spec.candidates_from,
        candidate_kinds=tuple(candidate_kinds or spec.candidate_kinds or OSM_KINDS),
    )


def stated_point(project: pd.Series) -> tuple[float, float]:
    """The project's stated (lon, lat), or (NaN, NaN) when the plan gives no point."""
    lon, lat = float(project["lon"]), float(project["lat"])
    return (lon, lat) if np.isfinite(lon) and np.isfinite(lat) else (np.nan, np.nan)


def _what_can_be_evaluated(site: SiteContext, net: RoadNetwork | None, road: RoadNetwork | None, rule: Rule | None,
                           hosp: pd.DataFrame) -> tuple[gpd.GeoDataFrame | None, list[str], list[str]]:
    """(snapped demand or None, notes, not_evaluated): what the network, demand and hospitals allow."""
    notes, not_evaluated = list(site.notes), []
    points = None
    if net is None:
        not_evaluated.append(f"coverage before/after and travel-time optimisation: {site.inputs.network_reason()}; "
                             "sites chosen as the eligible candidate nearest the stated point")
        not_evaluated.append("road distance to hospitals: no road network; straight-line distance only")
    else:
        points, why = site.snapped_demand(net)
        if points is None:
            not_evaluated.append(f"coverage before/after: {why}")
    if rule is not None and len(hosp) == 0:
        not_evaluated.append(f"{rule.id} eligibility (within {rule.params['max_km']:g} km of a general hospital): "
                             "no located general hospital; pass --hospitals H.csv (or type=hospital rows)")
    if rule is not None and rule.params.get("distance") == "network" and road is None:
        notes.append(f"{rule.id} asks for road distance, which needs a network: straight line judged instead")
    return points, notes, not_evaluated


def _candidate_table(site: SiteContext, opts: PlaceOptions, table: str | Path | None, osm: str | Path | None,
                     network: RoadNetwork | None) -> tuple[str, gpd.GeoDataFrame | None, list[str]]:
    """(source, table, notes): where candidates come from, and the table of them (None for a grid).

    OSM sites come from ``osm``, else the passed network's source file, else the scenario's.
    """
    spec = table or site.scenario.candidates
    source = candidate_source(opts.candidates_from, spec)
    osm = osm or (network.info.get("source") if network is not None else None) or site.inputs.network_source
    found, notes = candidate_table(source, table=spec, osm=osm, kinds=opts.candidate_kinds, crs=site.scenario.crs)
    return source, found, notes


def _choose_by_group(projects: pd.DataFrame, cands: list[pd.DataFrame], site: SiteContext, net: RoadNetwork | None,
                     points: gpd.GeoDataFrame | None, minutes: float,
                     time_limit: float) -> tuple[dict[int, Choice], list[dict[str, Any]]]:
    """One MCLP per target group and kind of existing facility, over the projects that have an eligible candidate.

    Projects of one group whose kinds count different existing facilities (childcare and
    kindergarten both serve the 0-3) are placed apart, each next to its own existing ones.
    Without a network or demand there is nothing to optimise: no choice, no group.
    """
    chosen: dict[int, Choice] = {}
    groups: list[dict[str, Any]] = []
    if net is None or points is None:
        return chosen, groups
    group_of = [kind_of(t)[:2] for t in projects["type"]]
    for group, types in sorted(set(group_of)):
        ks = [k for k in range(len(projects))
              if group_of[k] == (group, types) and cands[k]["eligible"].astype(bool).any()]
        if not ks:
            continue
        existing = existing_of(site.inputs, types)
        picked, info = choose_by_mclp(net, points, pd.concat([cands[k] for k in ks], ignore_index=True),
                                      {k: str(projects["id"].iloc[k]) for k in ks}, group, existing, minutes,
                                      time_limit)
        chosen.update(picked)
        groups.append(info)
    return chosen, groups


def _row(project: pd.Series, region: Region, cands: pd.DataFrame, choice: Choice) -> dict[str, Any]:
    """A project's row of the table: what the plan states, its region and candidates, and the choice."""
    group, _, cap_col = kind_of(project["type"])
    slon, slat = stated_point(project)
    located = bool(np.isfinite(slon))
    precision = project.get("location_precision", "") or ("site" if located else "unknown")
    row: dict[str, Any] = {
        "id": str(project["id"]), "name": project["name"], "type": project["type"],
        "owner_kind": project.get("owner_kind", ""), "county": project.get("county", ""),
        "town": project.get("town", ""),
        "capacity": float(pd.to_numeric(project[cap_col], errors="coerce")) if cap_col in project.index else np.nan,
        "capacity_column": cap_col, "group": group, "region": region.label, "region_kind": region.kind,
        "location_precision": precision, "stated_lon": slon, "stated_lat": slat,
        "candidates": int(len(cands)), "eligible_candidates": int(cands["eligible"].astype(bool).sum()),
    }
    if not region.is_empty():
        row["candidate_source"] = ", ".join(sorted(set(cands["source"])))
    moved = float(haversine_m(choice.lon, choice.lat, slon, slat)) \
        if np.isfinite(choice.lon) and located else np.nan
    row.update({"lon": choice.lon, "lat": choice.lat, "candidate": choice.candidate, "how_chosen": choice.how,
                "chosen_precision": choice.precision(precision), "moved_m": moved})
    return row


def _report(frame: pd.DataFrame, projects: pd.DataFrame, regions: list[Region], site: SiteContext,
            rule: Rule | None, hosp: pd.DataFrame, road: RoadNetwork | None, net: RoadNetwork | None,
            points: gpd.GeoDataFrame | None, minutes: float) -> pd.DataFrame:
    """The table's step-5 columns next to the rows: hospitals and the rule, the region, coverage, not_evaluated."""
    lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    placed = projects.assign(lon=lon, lat=lat, location_precision=frame["chosen_precision"].to_numpy())
    verdicts, rule_reasons = verdicts_by_engine(site.pack, rule, site.inputs, placed)
    checked = [region_status(regions[k], lon[k], lat[k]) for k in range(len(frame))]
    reasons = ["; ".join(r for r in (rule_reasons[k], checked[k][1]) if r) for k in range(len(frame))]
    out = pd.concat([frame.drop(columns=["group"]), hospital_distances(lon, lat, hosp, road), verdicts,
                     coverage_columns(frame, site.inputs, net, points, minutes)], axis=1)
    out["region_status"] = [status for status, _ in checked]
    out["not_evaluated"] = reasons
    for col in PLACED_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
    return out[PLACED_COLUMNS]


def _settings(site: SiteContext, opts: PlaceOptions, rule: Rule | None, net: RoadNetwork | None,
              road: RoadNetwork | None, hosp: pd.DataFrame, minutes: float, source: str) -> dict[str, Any]:
    """The settings a placement ran with (``settings`` of the JSON)."""
    inputs = site.inputs
    return {"minutes": minutes, "mode": site.scenario.network.mode if net is not None else None,
            "hospital_mode": inputs.hospital_mode if road is not None else None,
            "rule": None if rule is None else rule.id,
            "distance": None if rule is None else rule.params.get("distance"),
            "max_km": None if rule is None else rule.params.get("max_km"),
            "hospitals_counted": int(len(hosp)), "grid_m": opts.grid_m, "max_candidates": opts.max_candidates,
            "town_radius_m": opts.town_radius_m, "network": str(inputs.network_source) if net is not None else None,
            "candidates_from": source}
