"""Paths and loaders for the bundled data in ``data/``.

The folder holds real data only (see ``data/README.md`` for sources and
licences): OpenStreetMap extracts (``data/osm``), Chinese administrative units
and county boundaries converted to WGS84 (``data/china``), the plans'
planned-facility tables and baseline figures (``data/plans``).

The folder is the repository's ``data/``; set the environment variable
``SITING_DATA`` to use another copy.

Examples
--------
>>> from siting.inputs.bundled import data_path, load_planned_projects
>>> pbf = data_path("osm", "monaco.osm.pbf")  # doctest: +SKIP
>>> projects = load_planned_projects("qinzhou")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.errors import SitingError

CITIES: tuple[str, ...] = ("qinzhou", "jingdezhen")

# A bare file name is also looked up in these sub-folders, so data_path("monaco.osm.pbf") works.
_SUBFOLDERS = ("osm", "china", "plans")

_UNIT_FLOATS = ("longitude", "latitude", "lon_wgs84", "lat_wgs84")
_PROJECT_FLOATS = ("beds", "nursing_beds", "places", "kindergarten_places", "lon", "lat")


def data_dir() -> Path:
    """The bundled data folder.

    Returns
    -------
    pathlib.Path
        ``$SITING_DATA`` when set, else the repository's ``data/`` folder.
    """
    env = os.environ.get("SITING_DATA")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / "data"


def data_path(*parts: str) -> Path:
    """Path of a bundled data file, checked to exist.

    Parameters
    ----------
    *parts
        Path components below the data folder, e.g. ``("osm", "monaco.osm.pbf")``.
        A single bare file name is also searched for in ``osm/``, ``china/`` and ``plans/``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SitingError
        When the file does not exist (the message names the folder searched and
        how to point ``SITING_DATA`` elsewhere).
    """
    base = data_dir()
    path = base.joinpath(*parts)
    if path.exists():
        return path
    if len(parts) == 1:
        for sub in _SUBFOLDERS:
            alt = base / sub / parts[0]
            if alt.exists():
                return alt
    raise SitingError(
        f"bundled data file '{'/'.join(parts)}' not found in {base}. "
        "Use a full checkout of the repository, or set SITING_DATA to its data folder"
    )


def _check_city(city: str) -> str:
    name = city.strip().lower()
    if name not in CITIES:
        raise SitingError(f"unknown city '{city}': bundled data exist for {', '.join(CITIES)}")
    return name


def _read_csv(path: Path) -> pd.DataFrame:
    # Codes ('450702000000', area code '0777') must stay text; empty cells stay empty strings.
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _floats(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    for col in columns:
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col].replace("", np.nan), errors="raise").astype(float)


def _points(frame: pd.DataFrame, lon: str, lat: str) -> gpd.GeoDataFrame:
    has = frame[lon].notna() & frame[lat].notna()
    geometry = gpd.GeoSeries(
        gpd.points_from_xy(frame[lon].fillna(0.0), frame[lat].fillna(0.0)), index=frame.index, crs=4326
    )
    geometry[~has] = None
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


def load_units(city: str) -> gpd.GeoDataFrame:
    """Administrative units (county, town, village) of a city, with WGS84 points.

    Parameters
    ----------
    city
        ``'qinzhou'`` or ``'jingdezhen'``.

    Returns
    -------
    geopandas.GeoDataFrame
        All adcode columns (codes as text; ``longitude``/``latitude`` are the
        original GCJ-02 values) plus ``lon_wgs84``/``lat_wgs84`` and a point
        geometry in EPSG:4326. Units without coordinates have NaN and an empty
        geometry.
    """
    frame = _read_csv(data_path("china", f"units_{_check_city(city)}.csv"))
    _floats(frame, _UNIT_FLOATS)
    frame["rank"] = frame["rank"].astype(int)
    return _points(frame, "lon_wgs84", "lat_wgs84")


def load_boundaries(city: str) -> gpd.GeoDataFrame:
    """County and city boundary polygons in WGS84.

    Parameters
    ----------
    city
        ``'qinzhou'`` or ``'jingdezhen'``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``adcode`` (text), ``name``, ``level`` (``'city'`` or ``'county'``)
        and the (multi)polygon geometry, EPSG:4326.
    """
    path = data_path("china", f"boundaries_{_check_city(city)}.geojson")
    frame = gpd.read_file(path)
    frame["adcode"] = frame["adcode"].astype(str)
    return frame.set_crs(4326, allow_override=True)


def load_census() -> pd.DataFrame:
    """The sourced census figures (long format, one figure per row).

    Returns
    -------
    pandas.DataFrame
        Columns ``city, unit, level, adcode, code, indicator, value, year, source,
        quote, note``; ``value`` is a float. Indicators: ``population`` (resident,
        by ``year``), ``population_urban``, ``pop_60plus``, ``share_60plus_pct``,
        ``pop_65plus``, ``share_65plus_pct``, ``pop_0_3``. ``code`` is the 12-digit
        unit code that joins to :func:`load_units`.

    Examples
    --------
    >>> c = load_census()  # doctest: +SKIP
    >>> c.query("indicator == 'population' and year == '2020'").set_index("unit")["value"]  # doctest: +SKIP
    """
    frame = _read_csv(data_path("china", "census_2020.csv"))
    frame["value"] = frame["value"].astype(float)
    return frame


def load_planned_projects(city: str) -> gpd.GeoDataFrame:
    """Planned facilities of a city's plan, with their location precision.

    Parameters
    ----------
    city
        ``'qinzhou'`` or ``'jingdezhen'``.

    Returns
    -------
    geopandas.GeoDataFrame
        Normalised columns ``id, name, type, county, county_adcode, town, beds,
        nursing_beds, places, kindergarten_places, owner, owner_kind,
        location_precision, lon, lat, place`` followed by the seed table's own
        columns. Counts are floats (NaN where the plan states none). Points are
        WGS84; rows with ``location_precision == 'unknown'`` have no geometry.
        See ``data/README.md`` for the type, owner and precision rules.
    """
    frame = _read_csv(data_path("plans", f"{_check_city(city)}_projects.csv"))
    _floats(frame, _PROJECT_FLOATS)
    return _points(frame, "lon", "lat")


def load_baselines() -> dict[str, Any]:
    """Baseline figures and targets of the plans, each with its quote and source line.

    Returns
    -------
    dict
        ``{'documents': {...}, 'qinzhou': {key: entry}, 'jingdezhen': {...}, 'guangxi': {...}}``;
        each entry has ``value, unit, year, kind, source, quote`` and maybe ``note``.
        ``source`` is ``"NNN Lnn"``: line ``nn`` of ``data/plans/sources/<documents[NNN].file>``.
    """
    import yaml

    with data_path("plans", "baselines.yaml").open(encoding="utf-8") as fh:
        loaded = yaml.safe_load(fh)
    if not isinstance(loaded, dict):
        raise SitingError(f"{data_path('plans', 'baselines.yaml')}: expected a mapping at the top level")
    return loaded
