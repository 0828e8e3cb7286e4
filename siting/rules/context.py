"""Everything a rule check may read, gathered once: facilities, hospitals, planned projects,
baselines, administrative units, population and (lazily) the road network.

Build it from a scenario (:func:`inputs_from_scenario`) or from files
(:func:`gather_inputs`). A rule asks for what it needs and reports
``not_evaluable`` naming the missing input when it is absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting.errors import InputError
from siting.inputs.attributes import parse_attributes
from siting.inputs.estates import read_estates
from siting.inputs.projects import read_projects
from siting.inputs.scenario import DemandSpec
from siting.inputs.sources import InventorySource
from siting.io import numeric_column, read_table, require_columns
from siting.osm.inventory import read_inventory

#: Cell values that leave a filtered field unknown: a row holding one may or may not be what a rule's
#: ``applies_to`` means (an elderly home whose owner is not stated, under a filter on government owners).
UNKNOWN_VALUES: dict[str, tuple[str, ...]] = {"owner_kind": ("unknown", ""), "category": ("",), "tier": ("",)}

SUBJECT_COLUMNS = [
    "id", "name", "type", "beds", "places", "nursing_beds", "owner", "owner_kind", "has_clinic", "category",
    "category_assumed", "level", "tier", "unit", "county", "town", "lon", "lat", "location_precision", "origin",
]


@dataclass
class CheckInputs:
    """Inputs of a compliance check. Every field is optional."""

    facilities: pd.DataFrame | None = None
    hospitals: pd.DataFrame | None = None
    projects: pd.DataFrame | None = None
    baselines: dict[str, Any] | None = None
    baselines_key: str | None = None
    units: pd.DataFrame | None = None
    unit_boundaries: Any = None
    population: pd.DataFrame | None = None
    #: The census year a rule reads when it names none (the scenario's ``population.year``).
    population_year: int | None = None
    network_source: Path | None = None
    network_mode: str = "walk"
    hospital_mode: str = "drive"
    walk_kmh: float | None = None
    bike_kmh: float | None = None
    minutes: float = 15.0
    demand: DemandSpec = field(default_factory=DemandSpec)
    paths: dict[str, str] = field(default_factory=dict)
    scenario_path: Path | None = None
    #: Road networks by mode: built from ``network_source`` on first use, or given in memory
    #: (e.g. a network built in a notebook, see :func:`siting.planning.context.load_context`).
    networks: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    demand_layer: tuple[Any, str] | None = None  # (points or None, reason), built once by demand_points()
    #: What a reader of the inputs should know (a GBK file, renamed columns, converted numbers), by input.
    notes: dict[str, list[str]] = field(default_factory=dict)
    #: The central urban area (中心城区) as a GeoDataFrame of polygons (EPSG:4326), and how it was given.
    central: Any = None
    central_label: str = ""
    #: Residential estates (小区): class, population, households and their facilities' floor areas
    #: (:func:`siting.inputs.estates.read_estates`), for the per-estate norms (C5, D1-D7).
    estates: pd.DataFrame | None = None

    # ---- network -----------------------------------------------------------------------------

    def network_reason(self) -> str:
        """Why there is no network (for ``not_evaluable`` reasons)."""
        if self.network_source is None:
            return "no road network: pass --osm FILE (or set network.source in the scenario)"
        hint = (f"run `siting fetch-osm --scenario {self.scenario_path}` or pass --osm FILE"
                if self.scenario_path else "pass --osm FILE")
        return f"no road network: {self.network_source} not found; {hint}"

    def has_network_source(self) -> bool:
        """Whether the network source file exists (networks can be built from it)."""
        return self.network_source is not None and Path(self.network_source).exists()

    def has_network(self) -> bool:
        """Whether a road network is at hand: one held in :attr:`networks`, or a source file to build one."""
        return bool(self.networks) or self.has_network_source()

    def network(self, mode: str | None = None) -> Any:
        """The road network for ``mode``: held in :attr:`networks`, else built once from the source; None without."""
        mode = mode or self.network_mode
        if mode not in self.networks:
            if not self.has_network_source():
                return None
            from siting.network import load_network
            from siting.network.speeds import SpeedProfile

            profile = SpeedProfile.with_speeds(self.walk_kmh, self.bike_kmh)
            self.networks[mode] = load_network(str(self.network_source), mode, profile)
        return self.networks[mode]

    # ---- demand --------------------------------------------------------------------------------

    def demand_points(self, net: Any) -> tuple[Any, str]:
        """Demand points of the scenario's ``demand`` section (built once): (points, '') or (None, reason).

        With neither a demand file nor a population total, the unit boundaries of
        ``demand.level`` (default 'city') are joined by adcode to the census population.
        """
        if self.demand_layer is None:
            self.demand_layer = self._build_demand(net)
        return self.demand_layer

    def _build_demand(self, net: Any) -> tuple[Any, str]:
        from siting.analysis.demand import build_demand

        d = self.demand
        if d.file is not None or d.population is not None or d.units is not None:
            return build_demand(d, net), ""
        if self.unit_boundaries is None or self.population is None:
            return None, "no demand: set demand in the scenario (file, population, or unit boundaries with a census)"
        units, why = self.census_units(d.level, d.year)
        return (None, why) if units is None else (build_demand(d, net, units=units), "")

    def census_units(self, level: str, year: int | None = None) -> tuple[Any, str]:
        """Unit polygons of ``level`` with their census population (joined by adcode), or (None, reason)."""
        import geopandas as gpd

        b = self.unit_boundaries
        b = b[b["level"] == level] if "level" in b.columns else b
        pops = self.population_by(level, "population", year)
        if len(b) == 0 or len(pops) == 0 or "adcode" not in b.columns:
            return None, f"no {level} boundaries with a census population: set demand in the scenario"
        twice = sorted(set(pops.loc[pops["adcode"].astype(str).duplicated(), "unit"].astype(str)))
        if twice:  # several census years: taking any one of them silently would be a guess
            return None, (f"the census gives {', '.join(twice)} more than one population (several years?): "
                          "set year in the scenario's population or demand section")
        value = dict(zip(pops["adcode"].astype(str), pops["value"]))
        b = b.assign(population=b["adcode"].astype(str).map(value))
        missing = b.loc[b["population"].isna(), "name"].astype(str).tolist()
        if missing:
            return None, f"no census population for {', '.join(missing)}: set demand in the scenario"
        frame = b[["name", "population"]].rename(columns={"name": "unit"})
        return gpd.GeoDataFrame(frame, geometry=b.geometry, crs=b.crs), ""

    # ---- facilities ---------------------------------------------------------------------------

    def subjects(self, applies_to: dict[str, Any] | None = None) -> pd.DataFrame:
        """Facilities and planned projects matching a rule's ``applies_to`` filter, in one table.

        ``origin`` says where each row came from ('facilities' or 'projects'); ``from`` in the
        filter restricts it.
        """
        frame = self._subject_rows(applies_to or {})
        return frame[filter_masks(frame, applies_to or {})[0]].reset_index(drop=True)

    def undetermined(self, applies_to: dict[str, Any] | None = None) -> pd.DataFrame:
        """The rows a rule's ``applies_to`` may or may not mean: a filtered field is unknown.

        Every known field matches; ``unknown`` names the fields that are not known (e.g.
        ``owner_kind`` of a home whose owner is not stated). A rule reports these rows and
        does not pass while one of them could make it fail.
        """
        applies_to = applies_to or {}
        frame = self._subject_rows(applies_to)
        maybe = filter_masks(frame, applies_to)[1]
        out = frame[maybe].reset_index(drop=True)
        return out.assign(unknown=unknown_fields(out, applies_to))

    def _subject_rows(self, applies_to: dict[str, Any]) -> pd.DataFrame:
        origins = applies_to.get("from", ["facilities", "projects"])
        parts = []
        if "hospitals" in origins and self.hospitals is not None:
            parts.append(self.hospitals.assign(origin="hospitals"))
        if self.facilities is not None and ("facilities" in origins or "hospitals" in origins):
            rows = self.facilities
            if "facilities" not in origins:  # hospitals: the hospitals file and the facility file's medical rows
                rows = rows[rows["type"].isin(["hospital", "clinic"])]
            if parts:  # a hospital listed in both files is one hospital
                rows = rows[~rows["id"].astype(str).isin(parts[0]["id"].astype(str))]
            parts.append(rows.assign(origin="facilities"))
        if "projects" in origins and self.projects is not None:
            parts.append(self.projects.assign(origin="projects"))
        if not parts:
            return pd.DataFrame(columns=SUBJECT_COLUMNS)
        return pd.concat([subject_table(p) for p in parts], ignore_index=True)

    def have_subject_data(self, applies_to: dict[str, Any] | None = None) -> bool:
        origins = (applies_to or {}).get("from", ["facilities", "projects"])
        have = {"facilities": self.facilities is not None, "projects": self.projects is not None,
                "hospitals": self.hospitals is not None or self.facilities is not None}
        return any(have.get(o, False) for o in origins)

    def subject_sources(self, applies_to: dict[str, Any] | None = None) -> str:
        origins = (applies_to or {}).get("from", ["facilities", "projects"])
        names = [o for o in origins if getattr(self, o) is not None]
        return " + ".join(names) if names else "none"

    def all_hospitals(self) -> pd.DataFrame:
        """Hospitals from the hospitals file and from ``type == hospital`` rows of the facility file."""
        parts = []
        if self.hospitals is not None:
            parts.append(self.hospitals[self.hospitals["type"] == "hospital"].assign(origin="hospitals"))
        if self.facilities is not None:
            rows = self.facilities[self.facilities["type"] == "hospital"]
            if parts:
                rows = rows[~rows["id"].isin(parts[0]["id"])]
            parts.append(rows.assign(origin="facilities"))
        if not parts:
            return pd.DataFrame(columns=SUBJECT_COLUMNS)
        return pd.concat([subject_table(p) for p in parts], ignore_index=True)

    def medical(self, types: list[str]) -> pd.DataFrame:
        """Medical institutions of the given types from the hospitals and facility files."""
        parts = []
        if self.hospitals is not None:
            parts.append(self.hospitals.assign(origin="hospitals"))
        if self.facilities is not None:
            rows = self.facilities
            if parts:
                rows = rows[~rows["id"].isin(parts[0]["id"])]
            parts.append(rows.assign(origin="facilities"))
        if not parts:
            return pd.DataFrame(columns=SUBJECT_COLUMNS)
        frame = pd.concat([subject_table(p) for p in parts], ignore_index=True)
        return frame[frame["type"].isin(types)].reset_index(drop=True)

    # ---- figures -------------------------------------------------------------------------------

    def baseline(self, key: str | None) -> tuple[float | None, dict[str, Any] | None]:
        """A baseline figure by key (``elderly_beds_existing``) from the scenario's city section."""
        if key is None or self.baselines is None:
            return None, None
        entry = self.baselines.get(key)
        if entry is None:
            return None, None
        if isinstance(entry, dict):
            value = entry.get("value")
            return (None if value is None else float(value)), entry
        return float(entry), {"value": entry}

    def population_by(self, level: str, indicator: str = "population", year: int | None = None) -> pd.DataFrame:
        """Population per unit at ``level`` ('city', 'county', 'town'): columns unit, adcode, code, value, source.

        ``year`` defaults to :attr:`population_year`; with neither, every year's rows are
        returned (see :func:`several_years`).
        """
        if self.population is None:
            return pd.DataFrame(columns=["unit", "adcode", "code", "value", "source"])
        year = self.population_year if year is None else year
        p = self.population
        p = p[(p["level"] == level) & (p["indicator"] == indicator)]
        if year is not None and "year" in p.columns:
            p = p[p["year"].astype(str) == str(year)]
        cols = [c for c in ("unit", "adcode", "code", "value", "source", "year") if c in p.columns]
        return p[cols].reset_index(drop=True)


def several_years(pops: pd.DataFrame) -> list[str]:
    """Units of a :meth:`CheckInputs.population_by` table given more than once (for several years)."""
    counts = pops["unit"].astype(str).value_counts()
    return sorted(counts.index[counts > 1])


def subject_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column of :data:`SUBJECT_COLUMNS` (missing ones empty or NaN), those first."""
    out = frame.copy()
    for column in SUBJECT_COLUMNS:
        if column not in out.columns:
            if column in ("beds", "places", "nursing_beds", "level", "lon", "lat"):
                out[column] = np.nan
            elif column == "has_clinic":
                out[column] = pd.array([None] * len(out), dtype="boolean")
            elif column == "category_assumed":
                out[column] = False
            else:
                out[column] = ""
    return out[SUBJECT_COLUMNS + [c for c in out.columns if c not in SUBJECT_COLUMNS]]


def filter_frame(frame: pd.DataFrame, applies_to: dict[str, Any]) -> pd.DataFrame:
    """Rows of ``frame`` matching an ``applies_to`` filter (lists mean 'any of')."""
    return frame[filter_masks(frame, applies_to)[0]].reset_index(drop=True)


def filter_masks(frame: pd.DataFrame, applies_to: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(sure, maybe): the rows an ``applies_to`` filter selects, and those it may select.

    A *maybe* row matches every filtered field whose value is known and holds an unknown
    value (:data:`UNKNOWN_VALUES`, or an empty name under ``name_matches``) in the others.
    """
    sure = np.ones(len(frame), dtype=bool)
    possible = np.ones(len(frame), dtype=bool)
    for _key, hit, unknown in _field_matches(frame, applies_to):
        sure &= hit
        possible &= hit | unknown
    return sure, possible & ~sure


def unknown_fields(frame: pd.DataFrame, applies_to: dict[str, Any]) -> list[str]:
    """Per row, the filtered fields that neither match nor fail to (', '-joined; '' when none)."""
    names: list[list[str]] = [[] for _ in range(len(frame))]
    for key, hit, unknown in _field_matches(frame, applies_to):
        for i in np.flatnonzero(unknown & ~hit):
            names[i].append(key)
    return [", ".join(n) for n in names]


def _field_matches(frame: pd.DataFrame, applies_to: dict[str, Any]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(key, matches, unknown) per filtered field of ``applies_to``."""
    out: list[tuple[str, np.ndarray, np.ndarray]] = []
    for key in ("type", "owner_kind", "category", "tier"):
        if key in applies_to:
            values = frame[key].astype(str)
            hit = values.isin([str(v).lower() for v in applies_to[key]]).to_numpy(dtype=bool)
            unknown = values.isin(UNKNOWN_VALUES.get(key, ())) | (frame[key].isna() if key != "type" else False)
            out.append((key, hit, np.asarray(unknown, dtype=bool)))
    if "name_matches" in applies_to:
        pattern = re.compile(str(applies_to["name_matches"]))
        names = frame["name"].fillna("").astype(str)
        hit = names.map(lambda s: bool(pattern.search(s))).to_numpy(dtype=bool)
        out.append(("name", hit, (names.str.strip() == "").to_numpy(dtype=bool)))
    return out


def _read_baselines(path: Path, key: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    import yaml

    with path.open(encoding="utf-8") as fh:
        loaded = yaml.safe_load(fh)
    if not isinstance(loaded, dict):
        raise InputError("the baselines file must be a mapping", path=path)
    documents = loaded.get("documents", {}) or {}
    if key is None:
        return loaded, documents
    if key not in loaded:
        raise InputError(f"no section '{key}' in the baselines file", path=path,
                         hint=f"Sections: {', '.join(k for k in loaded if k != 'documents')}")
    return loaded[key], documents


def _read_population(path: Path, key: str | None) -> pd.DataFrame:
    frame = read_table(path, "population file")
    require_columns(frame, ["unit", "level", "indicator", "value"], path)
    frame["value"] = numeric_column(frame, "value", path)
    if key is not None and "city" in frame.columns:
        frame = frame[frame["city"] == key].reset_index(drop=True)
    return frame


def _read_units(path: Path) -> pd.DataFrame:
    frame = read_table(path, "units table")
    require_columns(frame, ["code", "name", "level"], path)
    return parse_attributes(frame, path)


def gather_inputs(
    *,
    facilities: str | Path | InventorySource | None = None,
    hospitals: str | Path | InventorySource | None = None,
    projects: str | Path | None = None,
    baselines: str | Path | None = None,
    baselines_key: str | None = None,
    units: str | Path | None = None,
    unit_boundaries: str | Path | None = None,
    population: str | Path | None = None,
    population_key: str | None = None,
    population_year: int | None = None,
    osm: str | Path | None = None,
    network_mode: str = "walk",
    hospital_mode: str = "drive",
    walk_kmh: float | None = None,
    bike_kmh: float | None = None,
    minutes: float = 15.0,
    crs: str = "wgs84",
    extra_types: tuple[str, ...] = (),
    demand: DemandSpec | None = None,
    scenario_path: Path | None = None,
    central: Any = None,
    estates: str | Path | None = None,
) -> CheckInputs:
    """Read every given input file (validated) into a :class:`CheckInputs`.

    ``facilities`` and ``hospitals`` may be planner's tables, Amap/Baidu exports or OSM files
    (:func:`siting.osm.inventory.read_inventory`; a path, ``amap:FILE``, or an
    :class:`~siting.inputs.sources.InventorySource`). ``central`` is the central urban area: a
    boundary file or unit names/adcodes (:func:`central_area`).
    """
    ci = CheckInputs(network_mode=network_mode, hospital_mode=hospital_mode, walk_kmh=walk_kmh,
                     bike_kmh=bike_kmh, minutes=minutes, demand=demand or DemandSpec(), scenario_path=scenario_path)
    for key, source in (("facilities", facilities), ("hospitals", hospitals)):
        if source is not None:
            frame = read_inventory(source, crs=crs, extra_types=extra_types, what=f"{key} file",
                                   default_type="hospital" if key == "hospitals" else None)
            setattr(ci, key, frame)
            ci.paths[key] = str(frame.attrs.get("source", source))
            if frame.attrs.get("notes"):
                ci.notes[key] = list(frame.attrs["notes"])
    if projects is not None:
        ci.projects = read_projects(projects, crs=crs, extra_types=extra_types)
        ci.paths["projects"] = str(projects)
    if baselines is not None:
        p = Path(baselines)
        if not p.exists():
            raise InputError("baselines file not found", path=p)
        ci.baselines, docs = _read_baselines(p, baselines_key)
        ci.baselines_key = baselines_key
        ci.paths["baselines"] = f"{p}" + (f" [{baselines_key}]" if baselines_key else "")
        ci.documents = dict(docs)
    if units is not None:
        ci.units = _read_units(Path(units))
        ci.paths["units"] = str(units)
    if unit_boundaries is not None:
        import geopandas as gpd

        p = Path(unit_boundaries)
        if not p.exists():
            raise InputError("unit boundaries file not found", path=p)
        ci.unit_boundaries = gpd.read_file(p).to_crs(4326)
        ci.paths["unit_boundaries"] = str(p)
    if population is not None:
        ci.population = _read_population(Path(population), population_key)
        ci.population_year = population_year
        ci.paths["population"] = str(population) + (f" [{population_key}]" if population_key else "")
    if osm is not None:
        ci.network_source = Path(osm)
        ci.paths["network"] = f"{osm} ({network_mode}; hospitals by {hospital_mode})"
    if central:
        ci.central, ci.central_label = central_area(central, ci.unit_boundaries, ci.units)
    if estates is not None:
        ci.estates = read_estates(estates)
        ci.paths["estates"] = str(estates)
    return ci


def central_area(central: Any, boundaries: Any, units: pd.DataFrame | None) -> tuple[Any, str]:
    """The central urban area as polygons, and a label naming it.

    ``central`` is a boundary file (Path) or names/adcodes of units; units are looked up in the
    unit boundaries by ``name`` or ``adcode``. A unit the units table knows but the boundaries do
    not (towns: no polygons are bundled) is an error asking for a boundary file.
    """
    import geopandas as gpd

    if isinstance(central, str | Path):
        p = Path(central)
        if not p.exists():
            raise InputError("central urban area file not found", path=p)
        area = gpd.read_file(p)
        area = area.set_crs(4326) if area.crs is None else area.to_crs(4326)
        return area[["geometry"]], p.name
    wanted = [str(c).strip() for c in central]
    if boundaries is None:
        raise InputError("study_area.central names units, but the scenario has no unit boundaries",
                         hint="Set units.boundaries, or give central as a boundary file")
    keys = [boundaries[c].astype(str) for c in ("name", "adcode") if c in boundaries.columns]
    hit = np.zeros(len(boundaries), dtype=bool)
    for w in wanted:
        found = np.zeros(len(boundaries), dtype=bool)
        for k in keys:
            found |= (k == w).to_numpy()
        if not found.any():
            known = units is not None and w in set(units.get("name", pd.Series(dtype=str)).astype(str))
            raise InputError(f"study_area.central: no boundary polygon for '{w}'",
                             hint="Its points are in the units table, but only polygons can delimit an area; "
                                  "give central as a boundary file" if known else
                                  "Use names or adcodes of the unit boundaries, or a boundary file")
        hit |= found
    area = boundaries[hit]
    return area[["geometry"]].reset_index(drop=True), ", ".join(wanted)


def inputs_from_scenario(scenario: Any, **overrides: Any) -> CheckInputs:
    """Inputs named by a :class:`siting.inputs.scenario.Scenario`; keyword overrides win (e.g. ``osm=``)."""
    sc = scenario
    kwargs: dict[str, Any] = {
        "facilities": scenario_inventory(sc, "facilities"), "hospitals": scenario_inventory(sc, "hospitals"),
        "projects": sc.projects,
        "baselines": sc.baselines, "baselines_key": sc.baselines_key, "units": sc.units_table,
        "unit_boundaries": sc.units_boundaries, "population": sc.population, "population_key": sc.population_key,
        "population_year": sc.population_year,
        "osm": sc.network.source, "network_mode": sc.network.mode, "hospital_mode": sc.network.hospital_mode,
        "walk_kmh": sc.network.walk_kmh, "bike_kmh": sc.network.bike_kmh, "minutes": sc.minutes,
        "crs": sc.crs, "extra_types": tuple(sc.facility_types), "demand": sc.demand, "scenario_path": sc.path,
        "central": sc.study_area.central_file or list(sc.study_area.central_units) or None,
        "estates": sc.estates,
    }
    kwargs.update({k: v for k, v in overrides.items() if v is not None})
    return gather_inputs(**kwargs)


def scenario_inventory(scenario: Any, key: str) -> InventorySource | None:
    """The scenario's ``facilities`` or ``hospitals`` source; None while it is the scenario's own
    OSM extract and ``siting fetch-osm`` has not written it yet (the rules then say what is
    missing, exactly as when the key is absent)."""
    source = scenario.inventory(key)
    if source is not None and source.kind == "osm" and scenario.awaits_extract(source.path):
        return None
    return source
