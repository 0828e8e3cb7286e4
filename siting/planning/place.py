"""Place a plan's projects: one chosen site per project, inside its county or town, within the rules.

For every planned project (a row of the scenario's project table, or the
``place.projects`` of the scenario) :func:`place_projects`

1. finds its **region**: the county polygon of the bundled boundaries, a disk of
   ``town_radius_m`` around the town point (clipped to the county) when the plan
   names a town, or the study area / network extent when no county is stated;
2. lays **candidates** inside the region: the scenario's candidate table, or a
   square grid (:func:`siting.planning.candidates.grid_candidates`), plus the stated point;
3. applies the **eligibility mask** of the pack's hospital-proximity rule (Qinzhou
   A4: government elderly-care land within 5 km of a general hospital), by straight
   line or by road (``distance``);
4. **chooses** the site: with a road network and demand, one maximal-covering model
   per target group (:class:`siting.allocation.MCLP`, each project on its own site in
   its own region, existing facilities fixed) maximises the group within T minutes;
   without a network, the eligible candidate nearest the stated point (coverage is
   then *not evaluated*, and the output says so);
5. reports coverage of the target group before and after (:func:`siting.analysis.coverage.coverage`),
   capacity against the demand within T, the distance to the nearest general
   hospital (straight line and by road) and the rule status (the rules engine's own
   A4 check on the chosen sites, and the region check).

Nothing that could not be evaluated is guessed: it is null in the table and named
in ``not_evaluated``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from siting.coords import haversine_m, utm_epsg
from siting.errors import InputError, SitingError
from siting.routing.access import access_legs_s, demand_site_times
from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    from siting.inputs.scenario import Scenario
    from siting.network import RoadNetwork
    from siting.rules.context import CheckInputs
    from siting.rules.pack import Pack
from siting.rules.rule import Rule

#: Project type -> (target group, existing facility types that serve it, capacity column).
KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "elderly": ("60+", ("elderly", "integrated"), "beds"),
    "integrated": ("60+", ("elderly", "integrated"), "beds"),
    "childcare": ("0-3", ("childcare",), "places"),
    "kindergarten": ("0-3", ("kindergarten", "childcare"), "kindergarten_places"),
    "medical": ("all", ("medical", "hospital", "clinic"), "beds"),
}
DEFAULT_TOWN_RADIUS_M = 3000.0
DEFAULT_MAX_CANDIDATES = 400



def kind_of(facility_type: str) -> tuple[str, tuple[str, ...], str]:
    """Target group, serving facility types and capacity column of a project or candidate type."""
    t = str(facility_type).strip().lower()
    if t not in KINDS:
        raise SitingError(f"no target group for facility type '{facility_type}': use one of {', '.join(KINDS)}")
    return KINDS[t]


# ---------------------------------------------------------------------------------------- context


@dataclass
class SiteContext:
    """The scenario, its check inputs (facilities, hospitals, network, demand) and its proximity rule."""

    scenario: Scenario
    inputs: CheckInputs
    pack: Pack | None
    rule: Rule | None
    notes: list[str] = field(default_factory=list)

    travel: RoadNetwork | None = None
    snapped: dict[tuple[str, str, int], tuple[gpd.GeoDataFrame | None, str]] = field(default_factory=dict)

    def network(self) -> RoadNetwork | None:
        """The travel network (the one passed in, else the scenario's mode), or None without one."""
        if self.travel is not None:
            return self.travel
        return self.inputs.network() if self.inputs.has_network() else None

    def hospital_network(self) -> RoadNetwork | None:
        """The network used for road distances to hospitals (``network.hospital_mode``)."""
        return self.inputs.network(self.inputs.hospital_mode) if self.inputs.has_network() else None


def load_context(scenario: str | Path | Scenario, *, osm: str | Path | None = None,
                 hospitals: str | Path | None = None, facilities: str | Path | None = None,
                 network: RoadNetwork | None = None) -> SiteContext:
    """Read a scenario's inputs once (keyword arguments override the scenario's files).

    ``network`` (an already built :class:`~siting.network.RoadNetwork`) is the travel
    network and takes precedence over ``osm``. Road distances to hospitals keep the
    scenario's ``network.hospital_mode``: the passed network when it is of that mode,
    else one built in that mode from the passed network's source file (or, failing
    that, the scenario's source); only when neither file exists is the passed network
    used for them too, with a note.
    """
    from siting.inputs.scenario import Scenario, load_scenario
    from siting.rules import inputs_from_scenario, load_pack
    from siting.rules.pack import apply_overrides

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    ctx = inputs_from_scenario(sc, osm=osm, hospitals=hospitals, facilities=facilities)
    notes: list[str] = []
    if network is not None:
        # Cache the passed network under its own mode only: a walk network must not stand in for
        # the drive network that hospital distances are judged on.
        ctx.networks[network.mode] = network
        source = network.info.get("source")
        if source and Path(str(source)).is_file():
            ctx.network_source = Path(str(source))
        if ctx.hospital_mode not in ctx.networks and not ctx.has_network():
            ctx.networks[ctx.hospital_mode] = network
            notes.append(f"the given {network.mode} network has no source file to build the {ctx.hospital_mode} "
                         f"network from: road distances to hospitals are measured on the {network.mode} network")
        ctx.has_network = lambda: True  # type: ignore[method-assign]
    pack = rule = None
    if sc.rules:
        pack = load_pack(sc.rules)
        if sc.overrides and sc.path is not None:
            pack = apply_overrides(pack, sc.overrides, sc.path)
        rule = next((r for r in pack.rules if r.kind == "hospital_proximity"), None)
        if rule is None:
            notes.append(f"the rule pack {pack.name} has no hospital-proximity rule: no eligibility mask")
    else:
        notes.append("the scenario names no rule pack: no hospital-proximity rule, no eligibility mask")
    return SiteContext(sc, ctx, pack, rule, notes, travel=network)


def with_distance(rule: Rule | None, distance: str | None) -> Rule | None:
    """A copy of ``rule`` judged on ``distance`` ('straight_line' or 'network'); unchanged when None."""
    if rule is None or distance is None:
        return rule
    if distance not in ("straight_line", "network"):
        raise SitingError(f"unknown distance '{distance}': use straight_line or network")
    return dataclasses.replace(rule, params={**rule.params, "distance": distance})


def counted_hospitals(rule: Rule | None, ctx: CheckInputs) -> pd.DataFrame:
    """The hospitals that count for the proximity rule (category and level as the rule's check filters them)."""
    hospitals = ctx.all_hospitals()
    if rule is None or len(hospitals) == 0:
        return hospitals.reset_index(drop=True)
    p = rule.params
    if not p.get("assume_general", True):
        hospitals = hospitals[~hospitals["category_assumed"].astype(bool)]
    counted = hospitals[hospitals["category"].isin(p.get("hospital_category", ["general"]))]
    if p.get("hospital_min_level") is not None:
        counted = counted[counted["level"] >= p["hospital_min_level"]]
    located = ~(counted["lon"].isna() | counted["lat"].isna())
    return counted[located].reset_index(drop=True)


def rule_applies(rule: Rule | None, frame: pd.DataFrame) -> np.ndarray:
    """Rows of ``frame`` (type, owner_kind, ...) that the rule's ``applies_to`` selects."""
    from siting.rules.context import filter_frame, subject_table

    if rule is None or len(frame) == 0:
        return np.zeros(len(frame), dtype=bool)
    keyed = subject_table(frame.reset_index(drop=True).assign(_row=np.arange(len(frame))))
    hit = filter_frame(keyed, {k: v for k, v in rule.applies_to.items() if k != "from"})["_row"].to_numpy(int)
    out = np.zeros(len(frame), dtype=bool)
    out[hit] = True
    return out


def hospital_distances(lon: np.ndarray, lat: np.ndarray, hospitals: pd.DataFrame,
                       road: RoadNetwork | None) -> pd.DataFrame:
    """Straight-line and (with ``road``) road distance in km to the nearest counted hospital, and its name."""
    from siting.rules.kinds.proximity import facility_labels, nearest_network, nearest_straight

    n = len(lon)
    out = pd.DataFrame({"hospital_straight_km": np.full(n, np.nan), "hospital_network_km": np.full(n, np.nan),
                        "nearest_hospital": [""] * n})
    if len(hospitals) == 0 or n == 0:
        return out
    hlon, hlat = hospitals["lon"].to_numpy(float), hospitals["lat"].to_numpy(float)
    names = facility_labels(hospitals)
    d, which = nearest_straight(np.asarray(lon, float), np.asarray(lat, float), hlon, hlat)
    out["hospital_straight_km"] = d / 1000.0
    out["nearest_hospital"] = [str(names[w]) for w in which]
    if road is not None:
        nn = nearest_network(road, np.asarray(lon, float), np.asarray(lat, float), hlon, hlat, weight="length")
        ok = nn["which"].to_numpy() >= 0
        out["hospital_network_km"] = np.where(ok, nn["length_m"].to_numpy(float) / 1000.0, np.inf)
    return out


def snapped_demand(site: SiteContext, net: RoadNetwork) -> tuple[gpd.GeoDataFrame | None, str]:
    """The scenario's demand points (rules engine's builder), snapped to ``net``; (None, reason) without."""
    from siting.analysis.demand import snap_demand
    key = (net.mode, str(net.info.get("sha256", "")), int(net.n_nodes))
    if key not in site.snapped:
        points, why = site.inputs.demand_points(net)
        site.snapped[key] = (None, why) if points is None else (snap_demand(net, points, DEFAULT_SNAP_TOLERANCE_M), "")
    return site.snapped[key]


def group_weights(points: pd.DataFrame, group: str) -> tuple[np.ndarray, str, str | None]:
    """Weights of ``group`` per demand point; falls back to everyone (with a note) when the column is missing."""
    from siting.analysis.demand import group_column

    col = group_column(group)
    if col in points.columns:
        return points[col].to_numpy(float), group, None
    return (points["population"].to_numpy(float), "all",
            f"the demand has no {group} figures ('{col}'; set demand.shares in the scenario): all residents counted")


def existing_of(ctx: CheckInputs, types: tuple[str, ...]) -> pd.DataFrame:
    """Located existing facilities of the given types (the scenario's facility file)."""
    f = ctx.facilities
    if f is None or len(f) == 0:
        return pd.DataFrame(columns=["id", "name", "type", "lon", "lat"])
    sel = f[f["type"].isin(types) & ~(f["lon"].isna() | f["lat"].isna())]
    return sel.reset_index(drop=True)


def coverage_of(net: RoadNetwork, points: gpd.GeoDataFrame, sites: pd.DataFrame, group: str,
                minutes: float) -> tuple[float, float]:
    """(covered, total) of ``group`` within ``minutes`` of ``sites`` by :func:`siting.analysis.coverage.coverage`."""
    from siting.analysis.coverage import coverage

    weights, used, _ = group_weights(points, group)
    total = float(weights.sum())
    if len(sites) == 0:
        return 0.0, total
    fac = pd.DataFrame({"id": sites["id"].astype(str).to_numpy(), "type": "target",
                        "lon": sites["lon"].to_numpy(float), "lat": sites["lat"].to_numpy(float)})
    res = coverage(net, points, fac, "target", used, [float(minutes)])
    row = res.summary.iloc[-1]
    return float(row["covered"]), float(row["population"])


# ---------------------------------------------------------------------------------------- projects


def read_scenario_projects(site: SiteContext) -> pd.DataFrame:
    """The projects to place: ``place.projects`` (a path or inline list) or the scenario's ``projects``."""
    from siting.inputs.projects import read_projects

    sc = site.scenario
    spec = sc.place.projects
    if spec is not None:
        frame = read_projects(spec, crs=sc.crs, extra_types=tuple(sc.facility_types), where=sc.path)
    elif site.inputs.projects is not None:
        frame = site.inputs.projects.copy()
    else:
        raise SitingError(f"the scenario {sc.path or sc.name} has no projects to place: set 'projects: FILE' "
                          "or 'place: {projects: [...]}'")
    return frame.reset_index(drop=True)


def _boundaries(site: SiteContext) -> gpd.GeoDataFrame | None:
    b = site.inputs.unit_boundaries
    if b is None and site.scenario.study_area.boundaries is not None and site.scenario.study_area.boundaries.exists():
        b = gpd.read_file(site.scenario.study_area.boundaries).to_crs(4326)
    if b is None:
        return None
    out = b.copy()
    for col in ("adcode", "name", "level"):
        out[col] = out[col].astype(str) if col in out.columns else ""
    return out


def _buffer_m(lon: float, lat: float, radius_m: float) -> BaseGeometry:
    epsg = utm_epsg(lon, lat)
    disk = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(epsg).buffer(radius_m, 64)
    return disk.to_crs(4326).iloc[0]


def project_region(project: pd.Series, boundaries: gpd.GeoDataFrame | None, site: SiteContext,
                   net: RoadNetwork | None, town_radius_m: float) -> tuple[BaseGeometry | None, str, str]:
    """(polygon, kind, label) of the area a project may go in: town, county, study area or network extent."""
    county = None
    if boundaries is not None:
        code, name = str(project.get("county_adcode", "")), str(project.get("county", ""))
        hit = boundaries[boundaries["adcode"] == code] if code else boundaries.iloc[0:0]
        if hit.empty and name:
            hit = boundaries[boundaries["name"] == name]
        if not hit.empty:
            county = (hit.geometry.union_all(), str(hit["name"].iloc[0]))
    located = np.isfinite(float(project["lon"])) and np.isfinite(float(project["lat"]))
    if county is not None:
        if str(project.get("location_precision", "")) == "town" and located:
            disk = _buffer_m(float(project["lon"]), float(project["lat"]), town_radius_m)
            town = str(project.get("town", "")) or "town"
            return (disk.intersection(county[0]), "town",
                    f"{town} ({town_radius_m / 1000:g} km around the town point, inside {county[1]})")
        return county[0], "county", county[1]
    if boundaries is not None:
        sa = site.scenario.study_area
        city = boundaries[boundaries["adcode"] == str(sa.adcode)] if sa.adcode else boundaries.iloc[0:0]
        if city.empty:
            city = boundaries[boundaries["level"] == "city"]
        if not city.empty:
            return city.geometry.union_all(), "study_area", f"{city['name'].iloc[0]} (no county stated)"
    if net is not None:
        hull = shapely.convex_hull(shapely.multipoints(np.column_stack([net.lon, net.lat])))
        return hull, "network_extent", "the network's extent (no boundaries given)"
    if located:
        return None, "site", "the stated point"
    return None, "none", "no region: no county stated, no boundaries and no network"


def region_candidates(region: BaseGeometry, table: gpd.GeoDataFrame | None, grid_m: float | None,
                      max_candidates: int) -> gpd.GeoDataFrame:
    """Candidates inside ``region``: the given table (user or OSM), or a square grid of at most ~``max_candidates``."""
    from siting.planning.candidates import grid_candidates

    if table is not None:
        inside = table[table.within(region) | table.touches(region)]
        source = inside["source"].astype(str).to_numpy() if "source" in inside.columns else "table"
        return gpd.GeoDataFrame({"cid": inside["id"].astype(str).to_numpy(), "source": source},
                                geometry=inside.geometry.to_numpy(), crs=4326)
    c = region.representative_point()
    area = gpd.GeoSeries([region], crs=4326).to_crs(utm_epsg(c.x, c.y)).area.iloc[0]
    spacing = max(float(grid_m or 0.0), float(np.sqrt(area / max(max_candidates, 1))), 1.0)
    try:
        grid = grid_candidates(region, spacing)
    except SitingError:  # region smaller than one cell
        grid = gpd.GeoDataFrame({"id": ["grid0"]}, geometry=[c], crs=4326)
    return gpd.GeoDataFrame({"cid": grid["id"].astype(str).to_numpy(), "source": f"grid {spacing:.0f} m"},
                            geometry=grid.geometry.to_numpy(), crs=4326)


CANDIDATE_SOURCES = ("table", "grid", "osm")
OSM_KINDS = ("public", "vacant", "commercial")


def osm_candidate_table(path: str | Path, kinds: tuple[str, ...] = OSM_KINDS) -> gpd.GeoDataFrame:
    """OSM candidate sites (:func:`siting.planning.candidates.candidates_from_osm`) as a candidate table.

    ``source`` says why each one is a candidate (``osm public``, ``osm vacant``, ``osm commercial``).
    """
    from siting.planning.candidates import candidates_from_osm

    bad = sorted(set(kinds) - set(OSM_KINDS))
    if bad:
        raise SitingError(f"unknown OSM candidate kind(s) {', '.join(bad)}: use {', '.join(OSM_KINDS)}")
    if not Path(path).is_file():
        raise InputError("OSM file for candidate sites not found", path=Path(path),
                         hint="Pass --osm FILE or set network.source in the scenario")
    c = candidates_from_osm(path, tuple(kinds))
    # A building that is both public and commercial keeps its first kind, so each site is one candidate.
    c = c.drop_duplicates(subset=["id"]).reset_index(drop=True)
    return gpd.GeoDataFrame({"id": c["id"].astype(str).to_numpy(), "source": ("osm " + c["kind"]).to_numpy(),
                             "tag": c["tag"].to_numpy(), "name": c["name"].to_numpy()},
                            geometry=c.geometry.to_numpy(), crs=4326)


# ---------------------------------------------------------------------------------------- result


@dataclass
class PlacementResult:
    """Chosen sites, one row per project, and what could not be evaluated."""

    table: pd.DataFrame
    groups: list[dict[str, Any]]
    not_evaluated: list[str]
    notes: list[str]
    settings: dict[str, Any]
    scenario: str
    hospitals: pd.DataFrame | None = None
    existing: pd.DataFrame | None = None

    def sites(self) -> gpd.GeoDataFrame:
        """The chosen sites as points (projects that could not be placed are left out)."""
        t = self.table[self.table["lon"].notna() & self.table["lat"].notna()]
        return gpd.GeoDataFrame(t.reset_index(drop=True), geometry=gpd.points_from_xy(t["lon"], t["lat"]), crs=4326)

    def stated(self) -> gpd.GeoDataFrame:
        """The projects at their stated locations (town point, county seat), where the plan gives one."""
        t = self.table[self.table["stated_lon"].notna() & self.table["stated_lat"].notna()]
        return gpd.GeoDataFrame(t.reset_index(drop=True), geometry=gpd.points_from_xy(t["stated_lon"], t["stated_lat"]),
                                crs=4326)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: settings, per-group coverage, the projects, and what was not evaluated."""
        from siting.io import json_safe

        return json_safe({"scenario": self.scenario, "settings": self.settings, "groups": self.groups,
                          "projects": self.table.replace([np.inf, -np.inf], np.nan).to_dict(orient="records"),
                          "not_evaluated": self.not_evaluated, "notes": self.notes})

    def write(self, out_dir: str | Path, offline: bool = False) -> dict[str, str]:
        """Write ``placed.csv``, ``placed.json``, ``placed_sites.geojson`` and ``placed_map.html``."""
        from siting.io import write_csv, write_geodataframe, write_json
        from siting.maps import build_map, export_map
        from siting.maps.layers import facility_layer, hospital_layer, planned_layers

        d = Path(out_dir)
        sites = self.sites()
        plain = sites.copy()
        for col in plain.columns:
            if plain[col].dtype == object and col != "geometry":
                plain[col] = plain[col].astype(str)
        plain = plain.replace([np.inf, -np.inf], np.nan)
        files = {
            "table": write_csv(d / "placed.csv", self.table),
            "json": write_json(d / "placed.json", self.to_dict()),
            "sites": write_geodataframe(d / "placed_sites.geojson", plain),
        }
        before = self.stated().assign(status="as planned")
        after = sites.assign(status=sites["a4_status"].astype(str))
        layers = []
        if self.hospitals is not None and len(self.hospitals):
            layers.append(hospital_layer(self.hospitals, float(self.settings.get("max_km") or 5) * 1000.0))
        if self.existing is not None and len(self.existing):
            layers.append(facility_layer(self.existing[["id", "name", "type", "lon", "lat"]]))
        layers.append(planned_layers(before, after, popup_columns=("how_chosen", "region", "hospital_straight_km")))
        m = build_map(layers, title=f"Placed projects: {self.scenario}")
        files["map"] = export_map(m, d / "placed_map.html", offline=offline)
        return {k: str(v) for k, v in files.items()}


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
        'straight_line' or 'network': how the eligibility mask and the A4 status are judged
        (default: ``place.distance`` of the scenario, else the rule's own parameter).
    grid_m, max_candidates, town_radius_m
        Grid spacing floor (m), grid size cap per region, and the radius around a town point
        (default: the scenario's ``place`` section, else auto, 400 and 3,000 m).
    time_limit
        Seconds for each MIP solve (default 30).
    """
    site = load_context(scenario, osm=osm, hospitals=hospitals, facilities=facilities, network=network)
    sc, ctx = site.scenario, site.inputs
    opts = sc.place
    distance = distance or opts.distance
    rule = with_distance(site.rule, distance)
    grid_m = grid_m if grid_m is not None else opts.grid_m
    max_candidates = int(max_candidates or opts.max_candidates or DEFAULT_MAX_CANDIDATES)
    town_radius_m = float(town_radius_m or opts.town_radius_m or DEFAULT_TOWN_RADIUS_M)
    time_limit = float(time_limit or opts.time_limit or 30.0)
    minutes = float(sc.minutes)
    projects = read_scenario_projects(site)
    notes = list(site.notes)
    not_evaluated: list[str] = []

    net = site.network()
    road = site.hospital_network()
    if net is None:
        not_evaluated.append(f"coverage before/after and travel-time optimisation: {ctx.network_reason()}; "
                             "sites chosen as the eligible candidate nearest the stated point")
        not_evaluated.append("road distance to hospitals: no road network; straight-line distance only")
    points = None
    if net is not None:
        points, why = snapped_demand(site, net)
        if points is None:
            not_evaluated.append(f"coverage before/after: {why}")
    hosp = counted_hospitals(rule, ctx)
    if rule is not None and len(hosp) == 0:
        not_evaluated.append(f"{rule.id} eligibility (within {rule.params['max_km']:g} km of a general hospital): "
                             "no located general hospital; pass --hospitals H.csv (or type=hospital rows)")
    judged_network = rule is not None and rule.params.get("distance") == "network"
    if judged_network and road is None:
        notes.append(f"{rule.id if rule else 'A4'} asks for road distance, which needs a network: straight line judged instead")

    table: gpd.GeoDataFrame | None = None
    spec = candidates or sc.candidates
    source_kind = candidates_from or opts.candidates_from or ("table" if spec is not None else "grid")
    if source_kind not in CANDIDATE_SOURCES:
        raise SitingError(f"unknown candidate source '{source_kind}': use {', '.join(CANDIDATE_SOURCES)}")
    if source_kind == "table" and spec is None:
        raise SitingError("candidates from a table need one: pass --candidates C.csv (id,lon,lat) "
                          "or set 'candidates' in the scenario")
    if source_kind != "table":
        spec = None
    if source_kind == "osm":
        osm_file = osm or (network.info.get("source") if network is not None else None) or ctx.network_source
        if osm_file is None:
            raise SitingError("candidates from OSM need an OSM file: pass --osm FILE or set network.source in the scenario")
        kinds = tuple(candidate_kinds or opts.candidate_kinds or OSM_KINDS)
        table = osm_candidate_table(osm_file, kinds)
        if len(table) == 0:
            notes.append(f"{osm_file} has no {'/'.join(kinds)} candidate site")
    if spec is not None:
        from siting.planning.candidates import validate_candidates

        table, bad = validate_candidates(spec, crs=sc.crs)
        if len(bad):
            notes.append(f"{len(bad)} candidate row(s) of {spec} skipped (see `siting score` for the list)")
    boundaries = _boundaries(site)
    applies = rule_applies(rule, projects)

    # ---- candidates and eligibility, per project
    rows: list[dict[str, Any]] = []
    cand_parts: list[pd.DataFrame] = []
    for k in range(len(projects)):
        pr = projects.iloc[k]
        pid = str(pr["id"])
        group, _, cap_col = kind_of(pr["type"])
        region, rkind, rlabel = project_region(pr, boundaries, site, net, town_radius_m)
        slon, slat = float(pr["lon"]), float(pr["lat"])
        located = np.isfinite(slon) and np.isfinite(slat)
        row: dict[str, Any] = {
            "id": pid, "name": pr["name"], "type": pr["type"], "owner_kind": pr.get("owner_kind", ""),
            "county": pr.get("county", ""), "town": pr.get("town", ""),
            "capacity": float(pd.to_numeric(pr[cap_col], errors="coerce")) if cap_col in pr.index else np.nan,
            "capacity_column": cap_col, "group": group, "region": rlabel, "region_kind": rkind,
            "location_precision": pr.get("location_precision", "") or ("site" if located else "unknown"),
            "stated_lon": slon if located else np.nan, "stated_lat": slat if located else np.nan,
        }
        rows.append(row)
        if region is None or region.is_empty:
            row["candidates"] = row["eligible_candidates"] = 0
            continue
        cands = region_candidates(region, table, grid_m, max_candidates)
        if located and rkind != "site" and (region.contains(shapely.Point(slon, slat)) or rkind == "town"):
            stated = gpd.GeoDataFrame({"cid": ["stated"], "source": ["stated point"]},
                                      geometry=[shapely.Point(slon, slat)], crs=4326)
            cands = pd.concat([stated, cands], ignore_index=True)
        c = pd.DataFrame({"project": k, "cid": cands["cid"].to_numpy(), "source": cands["source"].to_numpy(),
                          "lon": cands.geometry.x.to_numpy(), "lat": cands.geometry.y.to_numpy()})
        c["eligible"] = True
        c["why_not"] = ""
        if applies[k] and rule is not None and len(hosp):
            dist = hospital_distances(c["lon"].to_numpy(), c["lat"].to_numpy(), hosp,
                                      road if judged_network else None)
            col = "hospital_network_km" if (judged_network and road is not None) else "hospital_straight_km"
            far = dist[col].to_numpy(float) > float(rule.params["max_km"]) + 1e-9
            c.loc[far, "eligible"] = False
            c.loc[far, "why_not"] = f"beyond {rule.params['max_km']:g} km of a general hospital"
        if net is not None:
            from siting.routing.snap import snap

            s = snap(net, c["lon"].to_numpy(), c["lat"].to_numpy(), DEFAULT_SNAP_TOLERANCE_M)
            c["node"] = s["node"].to_numpy()
            off = s["beyond_tolerance"].to_numpy(bool)
            c.loc[off & c["eligible"], "why_not"] = f"no road within {DEFAULT_SNAP_TOLERANCE_M:g} m"
            c.loc[off, "eligible"] = False
        row["candidates"] = int(len(c))
        row["eligible_candidates"] = int(c["eligible"].sum())
        row["candidate_source"] = ", ".join(sorted(set(c["source"])))
        cand_parts.append(c)
    cands_all = pd.concat(cand_parts, ignore_index=True) if cand_parts else pd.DataFrame(
        columns=["project", "cid", "source", "lon", "lat", "eligible", "why_not", "node"])

    # ---- choose
    chosen: dict[int, tuple[float, float, str, str]] = {}
    groups_out: list[dict[str, Any]] = []
    if net is not None and points is not None:
        for group in sorted({r["group"] for r in rows}):
            ks = [k for k, r in enumerate(rows) if r["group"] == group and r.get("eligible_candidates", 0) > 0]
            if not ks:
                continue
            info = _choose_mclp(net, points, projects, ks, cands_all, group, minutes, ctx, time_limit)
            chosen.update(info.pop("chosen"))
            groups_out.append(info)
            if info.get("note"):
                notes.append(info["note"])
    for k, r in enumerate(rows):
        if k in chosen:
            continue
        c = cands_all[(cands_all["project"] == k) & cands_all["eligible"]]
        if len(c) and not np.isfinite(r["stated_lon"]):
            # Nothing says where in the region it goes, and nothing to optimise: do not invent a site.
            chosen[k] = (np.nan, np.nan, "", "not placed: the plan gives no location and coverage cannot be "
                         "optimised (see not_evaluated); give a site, a network or a candidate table")
        elif len(c):
            if np.isfinite(r["stated_lon"]):
                d = haversine_m(c["lon"].to_numpy(), c["lat"].to_numpy(), r["stated_lon"], r["stated_lat"])
            else:
                ref = c[["lon", "lat"]].mean()
                d = haversine_m(c["lon"].to_numpy(), c["lat"].to_numpy(), ref["lon"], ref["lat"])
            i = int(np.lexsort((c["cid"].to_numpy(str), d))[0])
            best = c.iloc[i]
            why = ("stated point kept" if best["cid"] == "stated" else
                   "eligible candidate nearest the stated point" if np.isfinite(r["stated_lon"]) else
                   "eligible candidate nearest the region's centre")
            if net is None or points is None:
                why += " (no coverage optimisation: see not_evaluated)"
            chosen[k] = (float(best["lon"]), float(best["lat"]), str(best["cid"]), why)
        elif r.get("candidates", 0) > 0:
            reasons = sorted(set(cands_all.loc[cands_all["project"] == k, "why_not"]) - {""})
            chosen[k] = (np.nan, np.nan, "", "not placed: no eligible candidate in the region (" + "; ".join(reasons) + ")")
        elif np.isfinite(r["stated_lon"]):
            chosen[k] = (r["stated_lon"], r["stated_lat"], "stated", "stated point kept (no region to search)")
        elif r.get("region_kind") not in ("none", "site") and table is not None:
            chosen[k] = (np.nan, np.nan, "", f"not placed: no candidate site in {r['region']} ({source_kind})")
        else:
            chosen[k] = (np.nan, np.nan, "", f"not placed: {r['region']}")

    for k, r in enumerate(rows):
        lon, lat, cid, why = chosen[k]
        r.update({"lon": lon, "lat": lat, "candidate": cid, "how_chosen": why,
                  "chosen_precision": (r["location_precision"] if cid == "stated" else ("site" if cid else "unknown"))})
        r["moved_m"] = (float(haversine_m(lon, lat, r["stated_lon"], r["stated_lat"]))
                        if np.isfinite(lon) and np.isfinite(r["stated_lon"]) else np.nan)

    frame = pd.DataFrame(rows)
    _hospital_and_rules(frame, projects, site, rule, hosp, road, boundaries, town_radius_m, not_evaluated)
    _coverage_columns(frame, site, net, points, minutes, groups_out)
    columns = ["id", "name", "type", "owner_kind", "county", "town", "region", "region_kind", "location_precision",
               "stated_lon", "stated_lat", "lon", "lat", "chosen_precision", "how_chosen", "candidate", "moved_m",
               "candidates", "eligible_candidates", "candidate_source", "group", "minutes", "covered_before",
               "covered_after", "share_before", "share_after", "gain", "demand_within", "capacity", "capacity_column",
               "capacity_per_1000", "hospital_straight_km", "hospital_network_km", "nearest_hospital",
               "a4_applies", "a4_status", "a4_judged_on", "region_status", "not_evaluated"]
    for col in columns:
        if col not in frame.columns:
            frame[col] = np.nan
    frame = frame[columns]
    settings = {"minutes": minutes, "mode": sc.network.mode if net is not None else None,
                "hospital_mode": ctx.hospital_mode if road is not None else None,
                "rule": None if rule is None else rule.id,
                "distance": None if rule is None else rule.params.get("distance"),
                "max_km": None if rule is None else rule.params.get("max_km"),
                "hospitals_counted": int(len(hosp)), "grid_m": grid_m, "max_candidates": max_candidates,
                "town_radius_m": town_radius_m, "network": str(ctx.network_source) if net is not None else None,
                "candidates_from": source_kind}
    kinds = tuple(sorted({t for r in rows for t in kind_of(r["type"])[1]}))
    return PlacementResult(frame, groups_out, not_evaluated, notes, settings, sc.name, hospitals=hosp,
                           existing=existing_of(ctx, kinds))


def _choose_mclp(net: RoadNetwork, points: gpd.GeoDataFrame, projects: pd.DataFrame, ks: list[int],
                 cands: pd.DataFrame, group: str, minutes: float, ctx: CheckInputs,
                 time_limit: float) -> dict[str, Any]:
    """One MCLP for the projects ``ks`` of one target group: each on its own site in its own region."""
    from siting.allocation import MCLP, Project

    _, types, _ = kind_of(str(projects["type"].iloc[ks[0]]))
    weights, used, note = group_weights(points, group)
    existing = existing_of(ctx, types)
    from siting.routing.snap import snap

    enodes = snap(net, existing["lon"].to_numpy(float), existing["lat"].to_numpy(float), DEFAULT_SNAP_TOLERANCE_M)["node"].to_numpy() \
        if len(existing) else np.zeros(0, np.int64)
    sel = cands[cands["project"].isin(ks)].reset_index(drop=True)
    ids = np.concatenate([existing["id"].astype(str).to_numpy(),
                          (sel["project"].astype(str) + "#" + sel["cid"].astype(str)).to_numpy()])
    nodes = np.concatenate([enodes, sel["node"].to_numpy(np.int64)]).astype(np.int64)
    ne = len(existing)
    pairs = demand_site_times(net, nodes, points["node"], access_legs_s(net, points), minutes * 60.0)
    import scipy.sparse as sp

    cost = sp.coo_matrix((pairs["time_s"].to_numpy() + 1e-9, (pairs["point"].to_numpy(), pairs["site"].to_numpy())),
                         shape=(len(points), len(ids)))
    region = np.concatenate([np.full(ne, "existing", dtype=object), sel["project"].astype(str).to_numpy()])
    fixed = np.concatenate([np.ones(ne, bool), np.zeros(len(sel), bool)])
    eligible = np.concatenate([np.ones(ne, bool), sel["eligible"].to_numpy(bool)])
    plist = [Project(str(k), frozenset({str(k)})) for k in ks]
    model = MCLP.from_cost_matrix(cost, weights, candidate_ids=ids, fixed=fixed, eligible=eligible, region=region,
                                  projects=plist, cutoff=minutes * 60.0 + 1e-6)
    res = model.solve(time_limit=time_limit)
    placement = res.details.get("placement", {})
    chosen: dict[int, tuple[float, float, str, str]] = {}
    # A solve that left a project without a site falls back to its best single site.
    for k in ks:
        cid = placement.get(str(k))
        if cid is None:
            continue
        j = int(np.flatnonzero(ids == cid)[0]) - ne
        c = sel.iloc[j]
        chosen[k] = (float(c["lon"]), float(c["lat"]), str(c["cid"]),
                     f"MCLP: most {used} within {minutes:g} min ({res.status}, {res.method})")
    return {"group": used, "target_group": group, "projects": [str(projects.loc[k, "id"]) for k in ks], "existing": int(ne),
            "status": res.status, "objective": res.objective, "bound": res.bound, "gap": res.gap,
            "method": res.method, "covered_before": res.coverage.get("covered_weight_fixed_only"),
            "covered_after": res.coverage.get("covered_weight"), "total": res.coverage.get("total_weight"),
            "note": note, "chosen": chosen}


def _hospital_and_rules(frame: pd.DataFrame, projects: pd.DataFrame, site: SiteContext, rule: Rule | None,
                        hosp: pd.DataFrame, road: RoadNetwork | None, boundaries: gpd.GeoDataFrame | None,
                        town_radius_m: float, not_evaluated: list[str]) -> None:
    """Hospital distances of the chosen sites, the rules engine's A4 verdict and the region check."""
    from siting.rules import evaluate

    located = frame["lon"].notna().to_numpy() & frame["lat"].notna().to_numpy()
    frame["hospital_straight_km"] = np.nan
    frame["hospital_network_km"] = np.nan
    frame["nearest_hospital"] = ""
    if located.any() and len(hosp):
        d = hospital_distances(frame.loc[located, "lon"].to_numpy(float), frame.loc[located, "lat"].to_numpy(float),
                               hosp, road)
        for col in d.columns:
            frame.loc[located, col] = d[col].to_numpy()
    applies = rule_applies(rule, projects)
    frame["a4_applies"] = applies
    frame["a4_status"] = np.where(applies, "not_evaluable", "not_applicable")
    frame["a4_judged_on"] = ""
    per_row = [[] for _ in range(len(frame))]  # type: list[list[str]]
    if rule is not None and site.pack is not None and applies.any():
        placed = projects.copy()
        placed["lon"], placed["lat"] = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
        placed["location_precision"] = frame["chosen_precision"].to_numpy()
        ci = dataclasses.replace(site.inputs, projects=placed)
        if "has_network" in vars(site.inputs):  # a network passed in memory (see load_context)
            ci.has_network = site.inputs.has_network  # type: ignore[method-assign]
        pack = dataclasses.replace(site.pack, rules=[rule])
        result = evaluate(pack, ci).results[0]
        judged = str(result.figures.get("judged_on", ""))
        det = result.details
        if det is not None and len(det):
            det = det[det["origin"] == "projects"].drop_duplicates("id").set_index("id")
            for i, pid in enumerate(frame["id"]):
                if not applies[i] or pid not in det.index:
                    continue
                within = det.loc[pid, "within"]
                frame.loc[i, "a4_status"] = "not_evaluable" if pd.isna(within) else ("pass" if within else "fail")
                frame.loc[i, "a4_judged_on"] = judged
        else:
            for ii in np.flatnonzero(applies):
                per_row[int(ii)].append(f"{rule.id}: {result.reason}")
    # Region: is the chosen point inside the stated county (the town disk is ours, so only the county is checked)?
    frame["region_status"] = "not_evaluable"
    for i in range(len(projects)):
        pr = projects.iloc[i]
        if not located[i]:
            per_row[i].append("no site chosen")
            continue
        region, kind, _ = project_region(pr, boundaries, site, None, town_radius_m)
        if kind in ("town", "county") and region is not None:
            pt = shapely.Point(float(frame["lon"].iloc[i]), float(frame["lat"].iloc[i]))
            frame.loc[i, "region_status"] = "pass" if region.buffer(1e-9).contains(pt) else "fail"
        else:
            per_row[i].append("region: no county stated, only the study area is enforced")
    frame["not_evaluated"] = ["; ".join(x) for x in per_row]


def _coverage_columns(frame: pd.DataFrame, site: SiteContext, net: RoadNetwork | None,
                      points: gpd.GeoDataFrame | None, minutes: float, groups: list[dict[str, Any]]) -> None:
    """Coverage of each project's group before (existing only) and after (plus this project), capacity per 1,000."""
    frame["minutes"] = minutes
    for col in ("covered_before", "covered_after", "share_before", "share_after", "gain", "demand_within",
                "capacity_per_1000"):
        frame[col] = np.nan
    if net is None or points is None:
        return
    from siting.routing.snap import snap

    cache: dict[str, tuple[float, float]] = {}
    for i, r in frame.iterrows():
        group = str(r["group"])
        _, types, _ = kind_of(r["type"])
        weights, used, _ = group_weights(points, group)
        frame.loc[i, "group"] = used
        existing = existing_of(site.inputs, types)
        if group not in cache:
            cache[group] = coverage_of(net, points, existing, group, minutes)
        before, total = cache[group]
        frame.loc[i, "covered_before"] = before
        frame.loc[i, "share_before"] = before / total if total > 0 else np.nan
        if not (np.isfinite(r["lon"]) and np.isfinite(r["lat"])):
            continue
        mine = pd.DataFrame({"id": [str(r["id"])], "lon": [float(r["lon"])], "lat": [float(r["lat"])]})
        after, _ = coverage_of(net, points, pd.concat([existing[["id", "lon", "lat"]], mine], ignore_index=True),
                               group, minutes)
        frame.loc[i, "covered_after"] = after
        frame.loc[i, "share_after"] = after / total if total > 0 else np.nan
        frame.loc[i, "gain"] = after - before
        node = snap(net, [float(r["lon"])], [float(r["lat"])], DEFAULT_SNAP_TOLERANCE_M)["node"].to_numpy()
        pairs = demand_site_times(net, node, points["node"], access_legs_s(net, points), minutes * 60.0)
        within = float(weights[pairs["point"].to_numpy()].sum())
        frame.loc[i, "demand_within"] = within
        if np.isfinite(r["capacity"]) and within > 0:
            frame.loc[i, "capacity_per_1000"] = 1000.0 * float(r["capacity"]) / within
    for g in groups:
        sel = frame[frame["id"].isin(g["projects"]) & frame["lon"].notna()]
        if len(sel) == 0:
            continue
        _, types, _ = kind_of(sel["type"].iloc[0])
        existing = existing_of(site.inputs, types)
        allsites = pd.concat([existing[["id", "lon", "lat"]], sel[["id", "lon", "lat"]]], ignore_index=True)
        after, total = coverage_of(net, points, allsites, str(g["group"]), minutes)
        g["coverage_after_all"] = after
        g["share_after_all"] = after / total if total > 0 else None
