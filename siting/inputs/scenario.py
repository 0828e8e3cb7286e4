"""Scenario files: one YAML that names every input of a study.

A scenario is shared by ``siting check``, ``place``, ``score``, ``report`` and
``batch``. Paths are relative to the scenario file. Every section except
``name`` is optional; a command says which input it is missing when it needs
one. Example (``scenarios/qinzhou.yaml``)::

    name: qinzhou
    title: 钦州市“一老一小”整体解决方案 (2023)
    rules: qinzhou                      # built-in pack name or a path to a pack YAML
    crs: wgs84                          # coordinates of the CSV inputs: wgs84 | gcj02 | bd09
    facilities: ../data/qinzhou_facilities.csv
    hospitals: ../data/qinzhou_hospitals.csv
    facility_types: [integrated, medical, kindergarten]   # accepted besides the built-in types
    projects: ../data/plans/qinzhou_projects.csv
    baselines: {file: ../data/plans/baselines.yaml, key: qinzhou}
    units:
      boundaries: ../data/china/boundaries_qinzhou.geojson
      table: ../data/china/units_qinzhou.csv
    population: {file: ../data/china/census_2020.csv, key: qinzhou, year: 2020}
    network: {source: ../data/osm/qinzhou.osm.pbf, mode: walk, walk_kmh: 3.6}
    study_area: {boundaries: ../data/china/boundaries_qinzhou.geojson, adcode: "450700", crs: wgs84}
    fetch: {url: https://download.geofabrik.de/asia/china/guangxi-latest.osm.pbf,
            output: ../data/osm/qinzhou.osm.pbf}
    demand: {level: city, shares: {"60+": 0.1577}}   # or {file: pop.tif} or {population: 37308}
    minutes: 15
    place: {grid_m: 500, distance: straight_line}   # options of `siting place` (siting.planning.place)
    overrides:                          # change a pack's rule for this study only
      A4: {params: {distance: network}, applies_to: {type: [elderly]}}

``demand`` (for service-circle rules): ``file`` (population raster or points/polygons table,
``population_column``), or ``population`` (one census total over the network's extent, ``name``),
or ``level`` (unit boundaries of that level with the census population, joined by adcode); plus
``shares`` of the age groups and ``buildings`` (OSM file whose homes spread the totals; default
the network file).

Unknown keys are errors naming the file and line, so a typo never passes silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from siting.errors import InputError
from siting.units import MODES

TOP_KEYS = {
    "name", "title", "description", "rules", "crs", "facilities", "hospitals", "facility_types",
    "projects", "baselines", "units", "population", "network", "study_area", "fetch", "demand",
    "minutes", "candidates", "out", "overrides", "place",
}
#: Keys of the ``place`` section (read by :mod:`siting.planning.place`).
PLACE_KEYS = {
    "projects", "grid_m", "max_candidates", "town_radius_m", "distance", "time_limit", "candidates_from", "candidate_kinds",
}
#: Keys of the ``demand`` section (read by :func:`siting.analysis.demand.build_demand`).
DEMAND_KEYS = {"file", "population_column", "population", "name", "level", "year", "shares", "buildings",
               "units", "census", "unit_key", "default_levels"}


@dataclass(frozen=True)
class DemandSpec:
    """Where the demand points come from, for coverage, service-circle rules and placement.

    One of three sources (checked by :func:`siting.analysis.demand.build_demand`):

    - ``file``: a population raster (.tif) or a points/polygons table with ``population_column``;
    - ``units`` + ``census`` (joined on ``unit_key``), or the scenario's unit boundaries of
      ``level`` joined by adcode to its census population (``year``);
    - ``population``: one census total over the network's extent, called ``name``.

    Unit totals are spread over the homes of ``buildings`` (an OSM file; default the network's
    file), ``default_levels`` storeys where ``building:levels`` is missing. ``shares`` gives the
    age groups ('60+', '0-3') as fractions or as per-unit census columns.
    """

    file: Path | None = None
    population_column: str = "population"
    population: float | None = None
    name: str = "study area"
    level: str = "city"
    year: int | None = None
    shares: dict[str, float | str] = field(default_factory=dict)
    buildings: Path | None = None
    units: Path | None = None
    census: Path | None = None
    unit_key: str = "name"
    default_levels: float = 3.0


@dataclass(frozen=True)
class PlaceSpec:
    """Options of ``siting place`` (:func:`siting.planning.place.place_projects`); None means its default.

    ``projects`` is a project table (path) or inline records; ``distance`` is 'straight_line' or
    'network'; ``candidates_from`` 'table', 'grid' or 'osm' (with ``candidate_kinds``).
    """

    projects: Path | list[dict[str, Any]] | None = None
    grid_m: float | None = None
    max_candidates: int | None = None
    town_radius_m: float | None = None
    distance: str | None = None
    time_limit: float | None = None
    candidates_from: str | None = None
    candidate_kinds: tuple[str, ...] | None = None


@dataclass
class NetworkSpec:
    """Where the street network comes from and how it is travelled."""

    source: Path | None = None
    mode: str = "walk"
    walk_kmh: float | None = None
    bike_kmh: float | None = None
    hospital_mode: str = "drive"


@dataclass
class FetchSpec:
    """Regional OSM extract to download (Geofabrik) and where the clipped file goes."""

    url: str | None = None
    output: Path | None = None
    download: Path | None = None
    licence: str = "ODbL 1.0, © OpenStreetMap contributors"


@dataclass
class StudyArea:
    """The boundary polygon of the study: a GeoJSON file and, optionally, which feature."""

    boundaries: Path | None = None
    adcode: str | None = None
    name: str | None = None
    crs: str = "wgs84"
    buffer_m: float = 0.0


@dataclass
class Scenario:
    """A study's inputs, with absolute paths. Built by :func:`load_scenario`."""

    name: str
    path: Path | None = None
    title: str = ""
    description: str = ""
    rules: str | None = None
    crs: str = "wgs84"
    facilities: Path | None = None
    hospitals: Path | None = None
    facility_types: list[str] = field(default_factory=list)
    projects: Path | None = None
    baselines: Path | None = None
    baselines_key: str | None = None
    units_boundaries: Path | None = None
    units_table: Path | None = None
    population: Path | None = None
    population_key: str | None = None
    population_year: int | None = None
    network: NetworkSpec = field(default_factory=NetworkSpec)
    study_area: StudyArea = field(default_factory=StudyArea)
    fetch: FetchSpec = field(default_factory=FetchSpec)
    demand: DemandSpec = field(default_factory=DemandSpec)
    candidates: Path | None = None
    minutes: float = 15.0
    out: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    place: PlaceSpec = field(default_factory=PlaceSpec)
    raw: dict[str, Any] = field(default_factory=dict)

    def network_available(self) -> bool:
        """True when the scenario's network source is a file that exists."""
        return self.network.source is not None and self.network.source.exists()


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping key (``__lines__``)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise InputError(f"line {key_node.start_mark.line + 1}: key '{key}' appears twice",
                             path=getattr(loader, "name", None))
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[str(key)] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]


def load_yaml_with_lines(path: str | Path, what: str = "YAML file") -> Any:
    """Parse YAML keeping line numbers: every mapping gets ``__lines__`` (key -> line) and ``__line__``."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found", path=p, hint="Check the path")
    text = p.read_text(encoding="utf-8")
    loader = _LineLoader(text)
    loader.name = str(p)  # type: ignore[attr-defined]
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise InputError(f"line {line}: not valid YAML ({exc.problem})", path=p) from exc
    finally:
        loader.dispose()


def strip_lines(obj: Any) -> Any:
    """A copy of ``obj`` without the ``__lines__``/``__line__`` bookkeeping keys."""
    if isinstance(obj, dict):
        return {k: strip_lines(v) for k, v in obj.items() if k not in ("__lines__", "__line__")}
    if isinstance(obj, list):
        return [strip_lines(v) for v in obj]
    return obj


def _line(mapping: dict[str, Any], key: str) -> int:
    return int(mapping.get("__lines__", {}).get(key, mapping.get("__line__", 0)))


def _check_keys(mapping: dict[str, Any], allowed: set[str], path: Path, where: str) -> None:
    for key in mapping:
        if key in ("__lines__", "__line__"):
            continue
        if key not in allowed:
            raise InputError(
                f"line {_line(mapping, key)}: unknown key '{key}' in {where}", path=path,
                hint=f"Allowed keys: {', '.join(sorted(allowed))}",
            )


def _section(raw: dict[str, Any], key: str, path: Path, scalar_key: str | None = None) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if scalar_key is not None and isinstance(value, str | int | float):
        return {scalar_key: value, "__lines__": {scalar_key: _line(raw, key)}, "__line__": _line(raw, key)}
    raise InputError(f"line {_line(raw, key)}: '{key}' must be a mapping", path=path)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario YAML into a :class:`Scenario` with absolute paths.

    Raises
    ------
    InputError
        Unknown keys, wrong types or bad values, naming the file and line.
    """
    p = Path(path)
    raw = load_yaml_with_lines(p, "scenario file")
    if not isinstance(raw, dict):
        raise InputError("a scenario must be a YAML mapping (name: ..., rules: ..., ...)", path=p)
    _check_keys(raw, TOP_KEYS, p, "the scenario")
    if "name" not in raw:
        raise InputError("the scenario has no 'name'", path=p, hint="Add a line like 'name: qinzhou'")
    base = p.resolve().parent

    def rel(value: Any, key: str, mapping: dict[str, Any] = raw) -> Path | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise InputError(f"line {_line(mapping, key)}: '{key}' must be a path", path=p)
        q = Path(value).expanduser()
        return q if q.is_absolute() else (base / q).resolve()

    def number(mapping: dict[str, Any], key: str, default: float | None) -> float | None:
        if key not in mapping or mapping[key] is None:
            return default
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InputError(f"line {_line(mapping, key)}: '{key}' must be a positive number, not {value!r}", path=p)
        return float(value)

    sc = Scenario(name=str(raw["name"]), path=p.resolve(), raw=strip_lines(raw))
    sc.title = str(raw.get("title", "") or "")
    sc.description = str(raw.get("description", "") or "")
    rules = raw.get("rules")
    if rules is not None:
        if not isinstance(rules, str):
            raise InputError(f"line {_line(raw, 'rules')}: 'rules' must be a pack name or a path", path=p)
        # A built-in pack name stays a name; anything that looks like a file becomes absolute.
        sc.rules = str(rel(rules, "rules")) if rules.endswith((".yaml", ".yml")) else rules
    sc.crs = str(raw.get("crs", "wgs84"))
    from siting.coords import INPUT_CRS

    if sc.crs.lower() not in INPUT_CRS:
        raise InputError(f"line {_line(raw, 'crs')}: unknown crs '{sc.crs}'", path=p, hint=f"Use one of {', '.join(INPUT_CRS)}")
    sc.facilities = rel(raw.get("facilities"), "facilities")
    sc.hospitals = rel(raw.get("hospitals"), "hospitals")
    types = raw.get("facility_types", []) or []
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise InputError(f"line {_line(raw, 'facility_types')}: 'facility_types' must be a list of names", path=p)
    sc.facility_types = [t.strip().lower() for t in types]
    sc.projects = rel(raw.get("projects"), "projects")
    sc.candidates = rel(raw.get("candidates"), "candidates")
    sc.out = rel(raw.get("out"), "out")

    bl = _section(raw, "baselines", p, scalar_key="file")
    _check_keys(bl, {"file", "key"}, p, "'baselines'")
    sc.baselines = rel(bl.get("file"), "file", bl)
    sc.baselines_key = None if bl.get("key") is None else str(bl["key"])

    un = _section(raw, "units", p, scalar_key="boundaries")
    _check_keys(un, {"boundaries", "table"}, p, "'units'")
    sc.units_boundaries = rel(un.get("boundaries"), "boundaries", un)
    sc.units_table = rel(un.get("table"), "table", un)

    pop = _section(raw, "population", p, scalar_key="file")
    _check_keys(pop, {"file", "key", "year"}, p, "'population'")
    sc.population = rel(pop.get("file"), "file", pop)
    sc.population_key = None if pop.get("key") is None else str(pop["key"])
    year = pop.get("year")
    sc.population_year = None if year is None else int(year)

    net = _section(raw, "network", p, scalar_key="source")
    _check_keys(net, {"source", "mode", "walk_kmh", "bike_kmh", "hospital_mode"}, p, "'network'")
    mode = str(net.get("mode", "walk"))
    hmode = str(net.get("hospital_mode", "drive"))
    for key, value in (("mode", mode), ("hospital_mode", hmode)):
        if value not in MODES:
            raise InputError(f"line {_line(net, key)}: network {key} '{value}' is not one of {', '.join(MODES)}", path=p)
    sc.network = NetworkSpec(
        source=rel(net.get("source"), "source", net), mode=mode, hospital_mode=hmode,
        walk_kmh=number(net, "walk_kmh", None), bike_kmh=number(net, "bike_kmh", None),
    )

    sa = _section(raw, "study_area", p, scalar_key="boundaries")
    _check_keys(sa, {"boundaries", "adcode", "name", "crs", "buffer_m"}, p, "'study_area'")
    sc.study_area = StudyArea(
        boundaries=rel(sa.get("boundaries"), "boundaries", sa),
        adcode=None if sa.get("adcode") is None else str(sa["adcode"]),
        name=None if sa.get("name") is None else str(sa["name"]),
        crs=str(sa.get("crs", "wgs84")),
        buffer_m=float(sa.get("buffer_m", 0.0) or 0.0),
    )

    fe = _section(raw, "fetch", p, scalar_key="url")
    _check_keys(fe, {"url", "output", "download", "licence"}, p, "'fetch'")
    url = fe.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        raise InputError(f"line {_line(fe, 'url')}: fetch url must start with https://", path=p)
    sc.fetch = FetchSpec(
        url=url, output=rel(fe.get("output"), "output", fe), download=rel(fe.get("download"), "download", fe),
        licence=str(fe.get("licence", FetchSpec.licence)),
    )
    if sc.fetch.output is None and sc.network.source is not None:
        sc.fetch.output = sc.network.source

    sc.demand = _demand_spec(_section(raw, "demand", p), p, rel)
    sc.place = _place_spec(_section(raw, "place", p), p, rel)
    ov = raw.get("overrides") or {}
    if not isinstance(ov, dict):
        raise InputError(f"line {_line(raw, 'overrides')}: 'overrides' must map rule ids to params/applies_to", path=p)
    sc.overrides = ov  # keeps line numbers; validated against the pack by siting.rules
    minutes = number(raw, "minutes", 15.0)
    sc.minutes = 15.0 if minutes is None else minutes
    return sc


def _demand_spec(dm: dict[str, Any], path: Path, rel: Any) -> DemandSpec:
    """The ``demand`` section as a :class:`DemandSpec` (paths made absolute, types checked)."""
    _check_keys(dm, DEMAND_KEYS, path, "'demand'")
    shares = dm.get("shares") or {}
    if not isinstance(shares, dict) or not all(isinstance(v, int | float | str) and not isinstance(v, bool)
                                               for k, v in shares.items() if not str(k).startswith("__")):
        raise InputError(f"line {_line(dm, 'shares')}: demand shares map groups to fractions or census columns, "
                         "e.g. {'60+': 0.1577}", path=path)
    population = dm.get("population")
    if population is not None and (isinstance(population, bool) or not isinstance(population, int | float)
                                   or population < 0):
        raise InputError(f"line {_line(dm, 'population')}: demand population must be a number >= 0", path=path)
    year = dm.get("year")
    return DemandSpec(
        file=rel(dm.get("file"), "file", dm), population_column=str(dm.get("population_column", "population")),
        population=None if population is None else float(population), name=str(dm.get("name", "study area")),
        level=str(dm.get("level", "city")), year=None if year is None else int(year),
        shares={str(k): v for k, v in strip_lines(shares).items()}, buildings=rel(dm.get("buildings"), "buildings", dm),
        units=rel(dm.get("units"), "units", dm), census=rel(dm.get("census"), "census", dm),
        unit_key=str(dm.get("unit_key", "name")), default_levels=float(dm.get("default_levels", 3.0)),
    )


def _place_spec(pl: dict[str, Any], path: Path, rel: Any) -> PlaceSpec:
    """The ``place`` section as a :class:`PlaceSpec`."""
    _check_keys(pl, PLACE_KEYS, path, "'place'")
    projects = pl.get("projects")
    if isinstance(projects, str):
        projects = rel(projects, "projects", pl)
    elif projects is not None:
        projects = strip_lines(projects)

    def number(key: str) -> float | None:
        value = pl.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InputError(f"line {_line(pl, key)}: place {key} must be a positive number, not {value!r}", path=path)
        return value  # as written (an int stays an int in the outputs)

    kinds = pl.get("candidate_kinds")
    max_candidates = number("max_candidates")
    return PlaceSpec(
        projects=projects, grid_m=number("grid_m"), max_candidates=None if max_candidates is None else int(max_candidates),
        town_radius_m=number("town_radius_m"), distance=None if pl.get("distance") is None else str(pl["distance"]),
        time_limit=number("time_limit"),
        candidates_from=None if pl.get("candidates_from") is None else str(pl["candidates_from"]),
        candidate_kinds=None if kinds is None else tuple(str(k) for k in (kinds if isinstance(kinds, list) else [kinds])),
    )
