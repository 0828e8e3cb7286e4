"""Scenario files: one YAML that names every input of a study.

A scenario is shared by ``siting check``, ``place``, ``score``, ``report`` and
``batch``. Paths are relative to the scenario file. Every section except
``name`` is optional; a command says which input it is missing when it needs
one. Example (``scenarios/qinzhou.yaml``)::

    name: qinzhou
    title: 钦州市“一老一小”整体解决方案 (2023)
    rules: qinzhou                      # built-in pack name or a path to a pack YAML
    crs: wgs84                          # coordinates of the CSV inputs: wgs84 | gcj02 | bd09
    lang: zh                            # reports and summaries: zh | en (default: the title's language)
    facilities: ../data/qinzhou_facilities.csv          # a table (CSV in UTF-8 or GBK, .xlsx), or
    hospitals: {amap: ../data/qinzhou_hospitals.xlsx}   # {table|osm|amap|baidu: FILE}
    facility_types: [integrated, medical, kindergarten]   # accepted besides the built-in types
    projects: ../data/plans/qinzhou_projects.csv
    baselines: {file: ../data/plans/baselines.yaml, key: qinzhou}
    units:
      boundaries: ../data/china/boundaries_qinzhou.geojson
      table: ../data/china/units_qinzhou.csv
    population: {file: ../data/china/census_2020.csv, key: qinzhou, year: 2020}
    network: {source: ../data/osm/qinzhou.osm.pbf, mode: walk, walk_kmh: 3.6}
    study_area: {boundaries: ../data/china/boundaries_qinzhou.geojson, adcode: "450700", crs: wgs84,
                 central: [钦南区, 钦北区]}   # 中心城区 for A1: unit names/adcodes, or a boundary file
    fetch: {url: https://download.geofabrik.de/asia/china/guangxi-latest.osm.pbf,
            output: ../data/osm/qinzhou.osm.pbf}
    demand: {level: city, shares: {"60+": 0.1577}}   # or {file: pop.tif} or {population: 37308}
    minutes: 15
    place: {grid_m: 500, distance: straight_line}   # options of `siting place` (siting.planning.place)
    overrides:                          # change a pack's rule for this study only
      A4: {params: {distance: network}, applies_to: {type: [elderly]}}
    estates: ../data/qinzhou_estates.xlsx   # residential estates for the per-estate norms (siting.inputs.estates)
    questions:                          # the plan's siting questions, answered by `siting report`
      - {id: A15, source: {document: "003", line: "003 L332", quote: ...},
         demand: {level: town, weight: population}, models: [{model: pmedian, p: 4}]}

``demand`` (for service-circle rules): ``file`` (population raster or points/polygons table,
``population_column``), or ``population`` (one census total over the network's extent, ``name``),
or ``level`` (unit boundaries of that level with the census population, joined by adcode); plus
``shares`` of the age groups and ``buildings`` (OSM file whose homes spread the totals; default
the network file); its census ``year`` defaults to the ``population`` section's.

``facilities`` and ``hospitals`` may name the scenario's own extract (``{osm: FILE}`` with the file
of ``network.source`` / ``fetch.output``): until ``siting fetch-osm`` has written it, they are
treated as not given, so the rules say what is missing instead of failing on a missing file.

Unknown keys are errors naming the file and line, so a typo never passes silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from siting.errors import InputError
from siting.inputs.sources import SOURCE_KINDS, InventorySource
from siting.io.tables import require_file
from siting.units import MODES

TOP_KEYS = {
    "name", "title", "description", "rules", "crs", "lang", "facilities", "hospitals", "facility_types",
    "projects", "baselines", "units", "population", "network", "study_area", "fetch", "demand",
    "minutes", "candidates", "out", "overrides", "place", "estates", "questions",
}
#: Keys of the ``place`` section (read by :mod:`siting.planning.place`).
PLACE_KEYS = {
    "projects", "grid_m", "max_candidates", "town_radius_m", "distance", "time_limit", "candidates_from", "candidate_kinds",
}
#: Keys of a siting question (``questions``, read by :mod:`siting.planning.questions`).
QUESTION_KEYS = {"id", "title", "title_zh", "source", "demand", "candidates", "distance", "models", "note", "note_zh"}
QUESTION_MODEL_KEYS = {"model", "p", "cutoff_km", "balance"}
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


@dataclass(frozen=True)
class QuestionSpec:
    """A siting question a plan poses in its own words (A15: 「根据人口数量和地域分布，布局建设若干个公共卫生应急物资储备中心」).

    ``demand`` and ``candidates`` are the points of the scenario's units of a level (towns by
    default): demand weighted by ``weight`` (``population`` or ``pop_60plus``, census figures or
    labelled estimates), candidates optionally those whose name matches ``candidate_name_matches``.
    ``models`` are location-allocation runs (``{model: pmedian, p: 4}``, ``{model: mclp, p: 4,
    cutoff_km: 30}``, ``{model: cpmedian, p: 8, balance: 1.25}``: each centre serves at most 1.25
    times an equal share). ``distance``: straight_line, or network (the drive network, when the
    scenario's extract is present). ``source`` quotes the clause; ``line`` is where the question is
    written in the scenario file.
    """

    id: str
    title: str = ""
    title_zh: str = ""
    source: dict[str, str] = field(default_factory=dict)
    demand_level: str = "town"
    weight: str = "population"
    candidate_level: str = "town"
    candidate_name_matches: str | None = None
    distance: str = "straight_line"
    models: tuple[dict[str, Any], ...] = ()
    note: str = ""
    note_zh: str = ""
    line: int = 0


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
    """The boundary polygon of the study: a GeoJSON file and, optionally, which feature.

    ``central_file`` / ``central_units`` give the central urban area (中心城区) that service-circle
    rules such as Qinzhou's A1 are limited to: a boundary file, or names or adcodes of units of
    the scenario's unit boundaries (or units table).
    """

    boundaries: Path | None = None
    adcode: str | None = None
    name: str | None = None
    crs: str = "wgs84"
    buffer_m: float = 0.0
    central_file: Path | None = None
    central_units: tuple[str, ...] = ()

    def has_central(self) -> bool:
        """Whether a central urban area is given."""
        return self.central_file is not None or bool(self.central_units)


@dataclass
class Scenario:
    """A study's inputs, with absolute paths. Built by :func:`load_scenario`."""

    name: str
    path: Path | None = None
    title: str = ""
    description: str = ""
    rules: str | None = None
    crs: str = "wgs84"
    lang: str | None = None
    facilities: Path | None = None
    hospitals: Path | None = None
    #: What ``facilities``/``hospitals`` are: table, osm, amap or baidu (see siting.inputs.sources).
    facilities_kind: str = "table"
    hospitals_kind: str = "table"
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
    #: Residential estates (小区) for the per-estate norms (siting.inputs.estates).
    estates: Path | None = None
    #: The plan's own siting questions, answered by `siting report` (siting.planning.questions).
    questions: tuple[QuestionSpec, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    def inventory(self, key: str) -> InventorySource | None:
        """The ``facilities`` or ``hospitals`` source with its kind, or None."""
        path = getattr(self, key)
        return None if path is None else InventorySource(getattr(self, f"{key}_kind"), path)

    def awaits_extract(self, path: Path) -> bool:
        """Whether ``path`` is the OSM extract ``siting fetch-osm`` writes for this scenario
        (``fetch.output`` or ``network.source``) and is not there yet."""
        return path in (self.fetch.output, self.network.source) and not path.exists()

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
    p = require_file(path, what)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}: {exc.reason})", path=p,
                         hint="Save the file as UTF-8") from exc
    try:
        loader = _LineLoader(text)
    except yaml.YAMLError as exc:  # e.g. a control character: the reader refuses the text outright
        raise InputError(f"not valid YAML ({exc})", path=p) from exc
    loader.name = str(p)  # type: ignore[attr-defined]
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise InputError(f"line {line}: not valid YAML ({exc.problem})", path=p) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML ({exc})", path=p) from exc
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


@dataclass
class _Reader:
    """Reads the sections of one scenario file: paths made absolute, errors with the file and line."""

    path: Path
    raw: dict[str, Any]

    def section(self, key: str, allowed: set[str], scalar_key: str | None = None) -> dict[str, Any]:
        """The mapping under ``key`` (a scalar stands for ``{scalar_key: value}``), its keys checked."""
        mapping = _section(self.raw, key, self.path, scalar_key)
        _check_keys(mapping, allowed, self.path, f"'{key}'")
        return mapping

    def file(self, mapping: dict[str, Any], key: str) -> Path | None:
        """A path relative to the scenario's folder, made absolute (None when absent)."""
        value = mapping.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise InputError(f"line {_line(mapping, key)}: '{key}' must be a path", path=self.path)
        q = Path(value).expanduser()
        return q if q.is_absolute() else (self.path.resolve().parent / q).resolve()

    def number(self, mapping: dict[str, Any], key: str, default: float | None) -> float | None:
        """A positive number (``default`` when absent)."""
        if key not in mapping or mapping[key] is None:
            return default
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InputError(f"line {_line(mapping, key)}: '{key}' must be a positive number, not {value!r}",
                             path=self.path)
        return float(value)

    def text(self, mapping: dict[str, Any], key: str) -> str | None:
        return None if mapping.get(key) is None else str(mapping[key])

    def fail(self, mapping: dict[str, Any], key: str, message: str, hint: str | None = None) -> InputError:
        return InputError(f"line {_line(mapping, key)}: {message}", path=self.path, hint=hint)


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
    r = _Reader(p, raw)
    sc = Scenario(name=str(raw["name"]), path=p.resolve(), raw=strip_lines(raw))
    sc.title = str(raw.get("title", "") or "")
    sc.description = str(raw.get("description", "") or "")
    sc.rules = _rules(r)
    sc.crs = _crs(r)
    sc.lang = _lang(r)
    sc.facilities, sc.facilities_kind = _inventory(r, "facilities")
    sc.hospitals, sc.hospitals_kind = _inventory(r, "hospitals")
    sc.facility_types = _facility_types(r)
    sc.projects, sc.candidates, sc.out = r.file(raw, "projects"), r.file(raw, "candidates"), r.file(raw, "out")
    sc.estates = r.file(raw, "estates")
    sc.questions = _questions(r)
    bl = r.section("baselines", {"file", "key"}, scalar_key="file")
    sc.baselines, sc.baselines_key = r.file(bl, "file"), r.text(bl, "key")
    un = r.section("units", {"boundaries", "table"}, scalar_key="boundaries")
    sc.units_boundaries, sc.units_table = r.file(un, "boundaries"), r.file(un, "table")
    pop = r.section("population", {"file", "key", "year"}, scalar_key="file")
    sc.population, sc.population_key = r.file(pop, "file"), r.text(pop, "key")
    sc.population_year = None if pop.get("year") is None else int(pop["year"])
    sc.network = _network_spec(r)
    sc.study_area = _study_area(r)
    sc.fetch = _fetch_spec(r, sc.network)
    sc.demand = _demand_spec(r, sc.population_year)
    sc.place = _place_spec(r)
    overrides = raw.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise r.fail(raw, "overrides", "'overrides' must map rule ids to params/applies_to")
    sc.overrides = overrides  # keeps line numbers; validated against the pack by siting.rules
    minutes = r.number(raw, "minutes", 15.0)
    sc.minutes = 15.0 if minutes is None else minutes
    return sc


def _rules(r: _Reader) -> str | None:
    rules = r.raw.get("rules")
    if rules is None:
        return None
    if not isinstance(rules, str):
        raise r.fail(r.raw, "rules", "'rules' must be a pack name or a path")
    # A built-in pack name stays a name; anything that looks like a file becomes absolute.
    return str(r.file(r.raw, "rules")) if rules.endswith((".yaml", ".yml")) else rules


def _crs(r: _Reader) -> str:
    from siting.coords import INPUT_CRS

    crs = str(r.raw.get("crs", "wgs84"))
    if crs.lower() not in INPUT_CRS:
        raise r.fail(r.raw, "crs", f"unknown crs '{crs}'", hint=f"Use one of {', '.join(INPUT_CRS)}")
    return crs


def _lang(r: _Reader) -> str | None:
    lang = r.raw.get("lang")
    if lang is None:
        return None
    if lang not in ("zh", "en"):
        raise r.fail(r.raw, "lang", f"unknown language '{lang}'", hint="Use zh (中文) or en")
    return str(lang)


def _inventory(r: _Reader, key: str) -> tuple[Path | None, str]:
    """``facilities: FILE`` or ``{table|osm|amap|baidu: FILE}``: the path and its kind."""
    value = r.raw.get(key)
    if not isinstance(value, dict):
        return r.file(r.raw, key), "table"
    kinds = [k for k in value if k not in ("__lines__", "__line__")]
    if len(kinds) != 1 or kinds[0] not in SOURCE_KINDS:
        raise r.fail(r.raw, key, f"'{key}' must be a path or one of {{table|osm|amap|baidu: FILE}}",
                     hint="; ".join(f"{k}: {v}" for k, v in SOURCE_KINDS.items()))
    return r.file(value, kinds[0]), kinds[0]


def _facility_types(r: _Reader) -> list[str]:
    types = r.raw.get("facility_types", []) or []
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise r.fail(r.raw, "facility_types", "'facility_types' must be a list of names")
    return [t.strip().lower() for t in types]


def _network_spec(r: _Reader) -> NetworkSpec:
    net = r.section("network", {"source", "mode", "walk_kmh", "bike_kmh", "hospital_mode"}, scalar_key="source")
    mode, hmode = str(net.get("mode", "walk")), str(net.get("hospital_mode", "drive"))
    for key, value in (("mode", mode), ("hospital_mode", hmode)):
        if value not in MODES:
            raise r.fail(net, key, f"network {key} '{value}' is not one of {', '.join(MODES)}")
    return NetworkSpec(source=r.file(net, "source"), mode=mode, hospital_mode=hmode,
                       walk_kmh=r.number(net, "walk_kmh", None), bike_kmh=r.number(net, "bike_kmh", None))


def _study_area(r: _Reader) -> StudyArea:
    sa = r.section("study_area", {"boundaries", "adcode", "name", "crs", "buffer_m", "central"},
                   scalar_key="boundaries")
    central = sa.get("central")
    central_file: Path | None = None
    central_units: tuple[str, ...] = ()
    if isinstance(central, str) and Path(central).suffix.lower() in (".geojson", ".json", ".gpkg", ".shp"):
        central_file = r.file(sa, "central")
    elif isinstance(central, str | int):
        central_units = (str(central),)
    elif isinstance(central, list) and central and all(isinstance(c, str | int) for c in central):
        central_units = tuple(str(c) for c in central)
    elif central is not None:
        raise r.fail(sa, "central", "'central' must be a boundary file or a list of unit names or adcodes",
                     hint="e.g. central: [钦南区, 钦北区] or central: central_area.geojson")
    return StudyArea(boundaries=r.file(sa, "boundaries"), adcode=r.text(sa, "adcode"), name=r.text(sa, "name"),
                     crs=str(sa.get("crs", "wgs84")), buffer_m=float(sa.get("buffer_m", 0.0) or 0.0),
                     central_file=central_file, central_units=central_units)


def _fetch_spec(r: _Reader, network: NetworkSpec) -> FetchSpec:
    fe = r.section("fetch", {"url", "output", "download", "licence"}, scalar_key="url")
    url = fe.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        raise r.fail(fe, "url", "fetch url must start with https:// or http://")
    output = r.file(fe, "output") or network.source
    return FetchSpec(url=url, output=output, download=r.file(fe, "download"),
                     licence=str(fe.get("licence", FetchSpec.licence)))


def _demand_spec(r: _Reader, population_year: int | None = None) -> DemandSpec:
    """The ``demand`` section as a :class:`DemandSpec` (paths made absolute, types checked).

    Its census ``year`` defaults to the ``population`` section's: a census table holding several
    years (the bundled one has 2010 and 2020) must not spread another year's totals.
    """
    dm = r.section("demand", DEMAND_KEYS)
    shares = dm.get("shares") or {}
    if not isinstance(shares, dict) or not all(isinstance(v, int | float | str) and not isinstance(v, bool)
                                               for k, v in shares.items() if not str(k).startswith("__")):
        raise r.fail(dm, "shares", "demand shares map groups to fractions or census columns, e.g. {'60+': 0.1577}")
    population = dm.get("population")
    if population is not None and (isinstance(population, bool) or not isinstance(population, int | float)
                                   or population < 0):
        raise r.fail(dm, "population", "demand population must be a number >= 0")
    year = dm.get("year")
    return DemandSpec(
        file=r.file(dm, "file"), population_column=str(dm.get("population_column", "population")),
        population=None if population is None else float(population), name=str(dm.get("name", "study area")),
        level=str(dm.get("level", "city")), year=population_year if year is None else int(year),
        shares={str(k): v for k, v in strip_lines(shares).items()}, buildings=r.file(dm, "buildings"),
        units=r.file(dm, "units"), census=r.file(dm, "census"), unit_key=str(dm.get("unit_key", "name")),
        default_levels=float(dm.get("default_levels", 3.0)),
    )


def _place_spec(r: _Reader) -> PlaceSpec:
    """The ``place`` section as a :class:`PlaceSpec`."""
    pl = r.section("place", PLACE_KEYS)
    projects = pl.get("projects")
    projects = r.file(pl, "projects") if isinstance(projects, str) else strip_lines(projects)

    def number(key: str) -> Any:
        value = r.number(pl, key, None)
        return None if value is None else pl[key]  # as written: an int stays an int in the outputs

    kinds = pl.get("candidate_kinds")
    max_candidates = number("max_candidates")
    return PlaceSpec(
        projects=projects, grid_m=number("grid_m"),
        max_candidates=None if max_candidates is None else int(max_candidates),
        town_radius_m=number("town_radius_m"), distance=r.text(pl, "distance"), time_limit=number("time_limit"),
        candidates_from=r.text(pl, "candidates_from"),
        candidate_kinds=None if kinds is None else tuple(str(k) for k in (kinds if isinstance(kinds, list) else [kinds])),
    )


def _questions(r: _Reader) -> tuple[QuestionSpec, ...]:
    """The ``questions`` section: a list of siting questions, keys checked, lines kept."""
    raw = r.raw.get("questions")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(q, dict) for q in raw):
        raise r.fail(r.raw, "questions", "'questions' must be a list of mappings (id, title, source, models, ...)")
    out = []
    for q in raw:
        _check_keys(q, QUESTION_KEYS, r.path, "a question")
        if "id" not in q or not q.get("models"):
            raise InputError(f"line {q.get('__line__', 0)}: a question needs an id and models", path=r.path,
                             hint="e.g. {id: A15, models: [{model: pmedian, p: 4}]}")
        models = q["models"]
        if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
            raise r.fail(q, "models", "'models' must be a list like [{model: pmedian, p: 4}]")
        for m in models:
            _check_keys(m, QUESTION_MODEL_KEYS, r.path, "a question's model")
        demand = q.get("demand") or {}
        cands = q.get("candidates") or {}
        _check_keys(demand, {"level", "weight"}, r.path, f"the demand of question {q['id']}")
        _check_keys(cands, {"level", "name_matches"}, r.path, f"the candidates of question {q['id']}")
        distance = str(q.get("distance", "straight_line"))
        if distance not in ("straight_line", "network"):
            raise r.fail(q, "distance", f"question distance '{distance}' is not straight_line or network")
        out.append(QuestionSpec(
            id=str(q["id"]), title=str(q.get("title", "") or ""), title_zh=str(q.get("title_zh", "") or ""),
            source={k: str(v) for k, v in strip_lines(q.get("source") or {}).items()},
            demand_level=str(demand.get("level", "town")), weight=str(demand.get("weight", "population")),
            candidate_level=str(cands.get("level", "town")), candidate_name_matches=cands.get("name_matches"),
            distance=distance, models=tuple({**strip_lines(m), "__line__": m.get("__line__", 0)} for m in models),
            note=str(q.get("note", "") or ""), note_zh=str(q.get("note_zh", "") or ""), line=int(q.get("__line__", 0))))
    return tuple(out)
