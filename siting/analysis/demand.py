"""Population demand points: census totals spread over homes, rasters, or point tables.

Every demand layer is a GeoDataFrame of points (EPSG:4326) with ``demand_id``,
``unit``, ``source`` (``building``, ``landuse``, ``grid``, ``raster`` or
``table``), ``population`` and one column per age group (``pop_60plus``,
``pop_0_3``). Population is conserved: the points of a unit sum to the unit's
total (integers are split by largest remainders, so the sums are exact).

Census totals per unit are spread over OSM residential buildings by floor area
(footprint × levels, ``default_levels`` where ``building:levels`` is missing);
a unit without residential buildings falls back to residential land use, then to
a hexagonal grid over the whole unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from siting.coords import utm_epsg
from siting.errors import InputError, SitingError
from siting.inputs.scenario import DemandSpec
from siting.io import numeric_column, read_table, require_columns, require_file
from siting.osm.reader import is_osm_file
from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    from siting.network import RoadNetwork

#: Target groups and their columns in a demand layer.
GROUP_COLUMNS: dict[str, str] = {"all": "population", "60+": "pop_60plus", "0-3": "pop_0_3"}
_GROUP_ALIASES = {"all": "all", "total": "all", "population": "all", "60+": "60+", "60plus": "60+",
                  "elderly": "60+", "0-3": "0-3", "0_3": "0-3", "0–3": "0-3", "infants": "0-3", "childcare": "0-3"}

#: Qinzhou 60+ share of the resident population, 7th census (2020): 15.77 %.
#: 「全市60岁及以上老年人总数为52.0735万人，占常住人口总数的15.77%」 (EXTRACT.md; 000 L35).
QINZHOU_SHARE_60PLUS = 0.1577
#: Jingdezhen 60+ share, end 2020: 16.63 % (004 L35).
JINGDEZHEN_SHARE_60PLUS = 0.1663
#: Jingdezhen 0-3 share computed as 58,000 / 1,619,000 (004 L43 and L7). The plan itself
#: says 2.95 %, which does not match its own figures (EXTRACT.md §6 item 6).
JINGDEZHEN_SHARE_0_3 = 58_000 / 1_619_000
#: Monaco resident population, 2016 census (7 June 2016): 37,308.
#: Source: Gouvernement Princier de Monaco, "Résultats du recensement de la population 2016"
#: (http://www.gouv.mc/Actualites/Resultats-du-recensement-de-la-population-2016), reporting the
#: IMSEE (Monaco Statistics) census report: « 37 308 habitants au 7 juin 2016 ».
MONACO_CENSUS_2016 = 37_308
#: Monaco 65+ share in the 2016 census preliminary results, 25.9 % (IMSEE figures as reported by
#: Monaco Life, https://monacolife.net/census-results-show-growth-in-monacos-population). The 60+
#: and 0-3 shares could not be verified from a stored source; pass them explicitly.
MONACO_SHARE_65PLUS_2016 = 0.259

DEFAULT_LEVELS = 3.0
DEFAULT_HEX_M = 150.0


def group_column(group: str) -> str:
    """The demand column of a target group: 'all', '60+' or '0-3' (aliases accepted)."""
    key = _GROUP_ALIASES.get(str(group).strip().lower())
    if key is None:
        raise SitingError(f"unknown target group '{group}': use all, 60+ or 0-3")
    return GROUP_COLUMNS[key]


def group_name(group: str) -> str:
    """Canonical group name ('all', '60+', '0-3')."""
    group_column(group)
    return _GROUP_ALIASES[str(group).strip().lower()]


def allocate(total: float, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` over ``weights``; the parts sum to ``total``.

    An integral total is split into integers by largest remainders (the sum is
    exact); otherwise proportionally, with the rounding residue put on the
    largest part. All-zero weights split evenly.
    """
    w = np.asarray(weights, dtype=float)
    if len(w) == 0:
        if total != 0:
            raise SitingError(f"cannot place a population of {total:g} on no points")
        return np.zeros(0)
    if not (w >= 0).all() or not np.isfinite(w).all():
        raise SitingError("allocation weights must be finite and non-negative")
    if w.sum() <= 0:
        w = np.ones_like(w)
    share = w / w.sum()
    if float(total).is_integer():
        raw = share * total
        base = np.floor(raw)
        left = int(round(total - base.sum()))
        if left > 0:
            base[np.argsort(-(raw - base), kind="stable")[:left]] += 1
        return base
    out = share * total
    out[int(np.argmax(out))] += total - out.sum()
    return out


def add_groups(points: gpd.GeoDataFrame, shares: Mapping[str, float | str] | None) -> gpd.GeoDataFrame:
    """Add age-group columns from shares: a fraction for every point, or a column name per point.

    Parameters
    ----------
    shares
        ``{'60+': 0.1577, '0-3': 'share_0_3'}``; a string names a column of
        ``points`` holding per-point (per-unit) fractions in 0..1.
    """
    out = points.copy()
    for group, share in (shares or {}).items():
        column = group_column(group)
        if column == "population":
            raise SitingError("the share of group 'all' is 1 by definition")
        if isinstance(share, str):
            if share not in out.columns:
                raise SitingError(f"share column '{share}' for group {group} not found")
            values = pd.to_numeric(out[share], errors="coerce").to_numpy(float)
        else:
            values = np.full(len(out), float(share))
        bad = ~np.isfinite(values) | (values < 0) | (values > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SitingError(
                f"share of group {group} must be a fraction between 0 and 1, got {values[i]!r} "
                f"(unit '{out['unit'].iloc[i] if 'unit' in out.columns else i}')"
            )
        out[column] = out["population"].to_numpy(float) * values
    return out


# ------------------------------------------------------------------ census units


def read_census_table(path: str | Path, key: str, population_column: str = "population") -> pd.DataFrame:
    """Read a census CSV with a unit key column and a population column (validated).

    Missing or negative populations raise :class:`InputError` naming the row.
    """
    p = Path(path)
    table = read_table(p, "census table")
    require_columns(table, [key, population_column], p)
    if table.empty:
        raise InputError("the census table has a header but no rows", path=p)
    table[population_column] = numeric_column(table, population_column, p, minimum=0)
    table[key] = table[key].astype(str).str.strip()
    dup = table[key].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"unit '{table[key].iloc[i]}' appears more than once", path=p, row=i + 1, field=key)
    return table


def join_census(
    boundaries: gpd.GeoDataFrame, table: pd.DataFrame, boundary_key: str, table_key: str | None = None,
    *, path: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """Join a census table to unit boundaries; every name must match both ways.

    Raises
    ------
    InputError
        Listing the table's units with no boundary and the boundaries with no
        census row (nothing is dropped silently).
    """
    table_key = table_key or boundary_key
    if boundary_key not in boundaries.columns:
        raise InputError(f"the boundaries have no column '{boundary_key}'", path=path,
                         hint=f"Columns: {', '.join(map(str, boundaries.columns))}")
    left = boundaries[boundary_key].astype(str).str.strip()
    right = table[table_key].astype(str).str.strip()
    no_boundary = sorted(set(right) - set(left))
    no_census = sorted(set(left) - set(right))
    if no_boundary or no_census:
        parts = []
        if no_boundary:
            parts.append(f"census units without a boundary: {', '.join(no_boundary[:20])}")
        if no_census:
            parts.append(f"boundaries without a census row: {', '.join(no_census[:20])}")
        raise InputError("unit names do not match: " + "; ".join(parts), path=path, field=table_key,
                         hint="Fix the spelling so every unit appears in both files")
    merged = boundaries.assign(**{boundary_key: left}).merge(
        table.assign(**{table_key: right}), left_on=boundary_key, right_on=table_key, how="left",
        suffixes=("", "_census"),
    )
    return gpd.GeoDataFrame(merged, geometry=boundaries.geometry.name, crs=boundaries.crs)


def _check_units(units: gpd.GeoDataFrame, population_column: str, unit_column: str | None) -> tuple[np.ndarray, list[str]]:
    if population_column not in units.columns:
        raise SitingError(f"the units have no population column '{population_column}'")
    pop = pd.to_numeric(units[population_column], errors="coerce").to_numpy(float)
    names = (units[unit_column].astype(str).tolist() if unit_column else [str(i) for i in units.index])
    for i, value in enumerate(pop):
        if not np.isfinite(value):
            raise InputError(f"population of unit '{names[i]}' is missing or not a number", row=i + 1,
                             field=population_column, hint="Give a population for every unit")
        if value < 0:
            raise InputError(f"population of unit '{names[i]}' is negative ({value:g})", row=i + 1,
                             field=population_column)
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise InputError(f"unit '{name}' appears more than once", row=i + 1, field=unit_column or "index",
                             hint="Give every unit its own name (merge the polygons of one unit first)")
        seen.add(name)
    empty = units.geometry.isna() | units.geometry.is_empty
    if empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError(f"unit '{names[i]}' has no boundary geometry", row=i + 1, field="geometry")
    return pop, names


def hex_cells(polygon: shapely.Geometry, size_m: float) -> np.ndarray:
    """Hexagons (flat-topped, ``size_m`` across the flats) covering ``polygon``, clipped to it (metric CRS)."""
    x0, y0, x1, y1 = polygon.bounds
    r = size_m / np.sqrt(3.0)  # circumradius
    dx, dy = 1.5 * r, size_m
    cols = np.arange(x0 - r, x1 + 2 * r, dx)
    rows = np.arange(y0 - size_m, y1 + 2 * size_m, dy)
    cx, cy = np.meshgrid(cols, rows)
    cy = cy + (np.arange(len(cols)) % 2)[None, :] * dy / 2.0
    angles = np.deg2rad(np.arange(0, 360, 60))
    ring = np.stack([r * np.cos(angles), r * np.sin(angles)], axis=1)
    centres = np.column_stack([cx.ravel(), cy.ravel()])
    coords = centres[:, None, :] + ring[None, :, :]
    cells = shapely.polygons(np.concatenate([coords, coords[:, :1]], axis=1))
    cells = cells[shapely.intersects(cells, polygon)]
    clipped = shapely.intersection(cells, polygon)
    return clipped[~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)]


def demand_from_census(
    units: gpd.GeoDataFrame,
    population_column: str,
    buildings: gpd.GeoDataFrame | None = None,
    landuse: gpd.GeoDataFrame | None = None,
    *,
    unit_column: str | None = None,
    shares: Mapping[str, float | str] | None = None,
    default_levels: float = DEFAULT_LEVELS,
    hex_m: float = DEFAULT_HEX_M,
) -> gpd.GeoDataFrame:
    """Spread census totals per unit over homes, as demand points.

    Parameters
    ----------
    units
        Unit polygons (any CRS) with a population column (e.g. from :func:`join_census`).
    population_column
        The column holding each unit's total.
    buildings
        Building footprints as from :func:`siting.osm.features.read_buildings`
        (``residential``, ``levels``, ``id``, polygon geometry). Only residential
        buildings are used when the ``residential`` column is present.
    landuse
        Land-use polygons as from :func:`siting.osm.features.read_landuse`; the
        ``landuse == 'residential'`` ones are the first fallback.
    unit_column
        Column naming each unit (default: the index).
    shares
        Age-group shares, e.g. ``{'60+': QINZHOU_SHARE_60PLUS}``, or a column of
        ``units`` per group for per-unit shares.
    default_levels
        Storeys assumed where ``building:levels`` is missing.
    hex_m
        Hexagon size (metres across) of the fallback grids.

    Returns
    -------
    geopandas.GeoDataFrame
        Demand points (EPSG:4326): ``demand_id``, ``unit``, ``source``
        (building / landuse / grid), ``feature_id``, ``weight`` (floor area m²
        or area m²), ``population``, the group columns, ``lon``, ``lat``.
        ``attrs['units']`` summarises each unit (total, points, source).
    """
    if units.crs is None:
        raise SitingError("the unit boundaries have no CRS; set one (e.g. EPSG:4326)")
    pop, names = _check_units(units, population_column, unit_column)
    bounds = units.to_crs(4326).total_bounds
    metric_crs = f"EPSG:{utm_epsg((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)}"
    unit_geoms = units.to_crs(metric_crs).geometry.to_numpy()
    homes = _homes(buildings, metric_crs, unit_geoms, default_levels)
    zones = _residential_zones(landuse, metric_crs)
    pieces: list[pd.DataFrame] = []
    summary = []
    for k, (geom, total, name) in enumerate(zip(unit_geoms, pop, names)):
        source, pts, weight, fid = _unit_places(k, geom, str(name), homes, zones, hex_m)
        values = allocate(float(total), weight)
        pieces.append(pd.DataFrame({"unit": name, "source": source, "feature_id": fid, "weight": weight,
                                    "population": values, "geometry": pts}))
        summary.append({"unit": name, "population": float(total), "points": int(len(pts)), "source": source})
    frame = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(
        {"unit": [], "source": [], "feature_id": [], "weight": [], "population": [], "geometry": []})
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=metric_crs).to_crs(4326)
    out.insert(0, "demand_id", np.arange(len(out)))
    out["lon"], out["lat"] = out.geometry.x.to_numpy(), out.geometry.y.to_numpy()
    if shares:
        out = _unit_shares(out, units, names, shares)
    out.attrs["units"] = summary
    return out


def _homes(buildings: gpd.GeoDataFrame | None, metric_crs: str, unit_geoms: np.ndarray,
           default_levels: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Residential buildings as (point, unit index, floor area, id); a building in overlapping units goes to the first."""
    if buildings is None or len(buildings) == 0:
        return np.empty(0, dtype=object), np.zeros(0, dtype=np.int64), np.zeros(0), np.empty(0, dtype=object)
    b = buildings
    if "residential" in b.columns:
        b = b[b["residential"].astype(bool)]
    polys = b.to_crs(metric_crs).geometry.to_numpy()
    levels = pd.to_numeric(b["levels"], errors="coerce").to_numpy(float) if "levels" in b.columns \
        else np.full(len(b), np.nan)
    levels = np.where(np.isfinite(levels) & (levels > 0), levels, default_levels)
    floor = shapely.area(polys) * levels
    points = shapely.point_on_surface(polys)
    # The units query a tree of the points: each unit polygon is then prepared once, where asking for
    # every point 'within which unit' tests each point against an unprepared polygon (a city boundary
    # of 10,000 vertices: 0.1 s against 5 s for 40,000 homes).
    ui, pi = shapely.STRtree(points).query(unit_geoms, predicate="contains")
    order = np.lexsort((ui, pi))  # by point, then unit: the first unit of each point first
    pi, ui = pi[order], ui[order]
    first = np.unique(pi, return_index=True)[1]
    pi, ui = pi[first], ui[first]
    ids = (b["id"].astype(str).to_numpy() if "id" in b.columns else b.index.astype(str).to_numpy())[pi]
    return points[pi], ui, floor[pi], ids


def _residential_zones(landuse: gpd.GeoDataFrame | None, metric_crs: str) -> Any:
    """The union of residential land-use polygons in ``metric_crs``, or None."""
    if landuse is None or len(landuse) == 0 or "landuse" not in landuse.columns:
        return None
    lu = landuse[landuse["landuse"] == "residential"]
    return shapely.union_all(lu.to_crs(metric_crs).geometry.to_numpy()) if len(lu) else None


def _unit_places(k: int, geom: Any, name: str, homes: tuple[np.ndarray, ...], zones: Any,
                 hex_m: float) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """Where unit ``k``'s people live: its homes, else hexagons over its residential land, else over the unit."""
    bpts, bunit, bweight, bids = homes
    sel = bunit == k
    if sel.any() and bweight[sel].sum() > 0:
        return "building", bpts[sel], bweight[sel], bids[sel]
    cells = np.empty(0, dtype=object)
    source = "landuse"
    if zones is not None:
        area = shapely.intersection(geom, zones)
        if not area.is_empty and area.area > 0:
            cells = hex_cells(area, hex_m)
    if len(cells) == 0:
        source, cells = "grid", hex_cells(geom, hex_m)
    if len(cells) == 0:
        raise SitingError(f"unit '{name}' has no area to place its population on")
    return source, shapely.point_on_surface(cells), shapely.area(cells), np.full(len(cells), "", dtype=object)


def _unit_shares(out: gpd.GeoDataFrame, units: gpd.GeoDataFrame, names: list[str],
                 shares: Mapping[str, float | str]) -> gpd.GeoDataFrame:
    """Age-group columns from shares that are fractions or per-unit columns of ``units``."""
    per_unit = {g: (units[s].to_numpy() if isinstance(s, str) else s) for g, s in shares.items()}
    index = pd.Series(range(len(names)), index=names)
    for g, s in per_unit.items():
        if isinstance(s, np.ndarray):
            out[f"_share_{g}"] = pd.to_numeric(pd.Series(s), errors="coerce").to_numpy(float)[
                index.loc[out["unit"]].to_numpy()]
    out = add_groups(out, {g: (f"_share_{g}" if isinstance(s, np.ndarray) else s) for g, s in per_unit.items()})
    return out.drop(columns=[c for c in out.columns if str(c).startswith("_share_")])


def extent_unit(net: RoadNetwork, name: str, population: float, buffer_m: float = 50.0) -> gpd.GeoDataFrame:
    """One unit covering the network's extent (its nodes' convex hull plus ``buffer_m``).

    For a place whose census total covers the whole network area (e.g. Monaco's
    2016 census, :data:`MONACO_CENSUS_2016`).
    """
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([net.x, net.y]))).buffer(buffer_m)
    return gpd.GeoDataFrame({"unit": [name], "population": [float(population)]}, geometry=[hull],
                            crs=net.crs).to_crs(4326)


def build_demand(spec: DemandSpec, net: RoadNetwork | None = None, *,
                 units: gpd.GeoDataFrame | None = None, unit_column: str = "unit") -> gpd.GeoDataFrame:
    """Demand points from a :class:`~siting.inputs.scenario.DemandSpec`: the one builder that
    ``siting coverage``, the batch ``coverage`` kind and the service-circle rules all use.

    Parameters
    ----------
    spec
        A demand file; or unit polygons with census totals (``spec.units`` + ``spec.census``, or
        ``units`` given here); or one total (``spec.population``) over ``net``'s extent.
    net
        The network; needed for a total over its extent, and its source file is where homes are
        read from when ``spec.buildings`` is not set.
    units
        Unit polygons with a ``population`` column and ``unit_column`` names, already joined
        (the rules build them from the scenario's boundaries and census); overrides ``spec``.

    Returns
    -------
    geopandas.GeoDataFrame
        Points with ``population`` and the age-group columns of ``spec.shares`` (not snapped).
    """
    shares = dict(spec.shares)
    if spec.file is not None and units is None:
        # A share given as a column name reads that column of the demand file (per-point fractions).
        return add_groups(read_demand(spec.file, spec.population_column), shares)
    population_column = spec.population_column
    if units is not None:
        population_column = "population"
    elif spec.units is not None or spec.census is not None:
        if spec.units is None or spec.census is None:
            raise SitingError("unit boundaries and a census table go together (--units and --census)")
        boundaries = read_units_file(spec.units)
        table = read_census_table(spec.census, spec.unit_key, spec.population_column)
        units = join_census(boundaries, table, spec.unit_key, path=spec.census)
        unit_column = spec.unit_key
    elif spec.population is not None:
        if net is None:
            raise SitingError("a population total is spread over a network's extent: give the network")
        units = extent_unit(net, spec.name, spec.population)
        population_column = "population"
    else:
        raise SitingError("give the demand: a demand file, unit boundaries with a census, or a population total")
    source = spec.buildings if spec.buildings is not None else (net.info.get("source") if net is not None else None)
    buildings = landuse = None
    if source is not None and is_osm_file(str(source)):
        from siting.osm.features import read_buildings_and_landuse

        buildings, landuse = read_buildings_and_landuse(source)
    return demand_from_census(units, population_column, buildings, landuse, unit_column=unit_column,
                              shares=shares, default_levels=spec.default_levels)


def read_units_file(path: str | Path) -> gpd.GeoDataFrame:
    """Unit boundaries from a vector file (GeoJSON, GeoPackage, ...), with a located error when unreadable."""
    p = require_file(path, "unit boundaries")
    try:
        return gpd.read_file(p)
    except Exception as exc:  # pyogrio raises many kinds on a bad file
        raise InputError(f"not a readable vector file ({exc})", path=p) from exc


def demand_for_extent(
    net: RoadNetwork,
    osm_file: str | Path,
    population: float,
    name: str = "extent",
    shares: Mapping[str, float | str] | None = None,
    default_levels: float = DEFAULT_LEVELS,
    tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
) -> gpd.GeoDataFrame:
    """One census total spread over the residential buildings of an OSM file inside the network's
    extent, snapped to the network.

    Examples
    --------
    >>> demand = demand_for_extent(net, "data/osm/monaco.osm.pbf", MONACO_CENSUS_2016, "Monaco")  # doctest: +SKIP
    """
    spec = DemandSpec(population=population, name=name, shares=dict(shares or {}), buildings=Path(osm_file),
                      default_levels=default_levels)
    points = build_demand(spec, net)
    return snap_demand(net, points, tolerance_m)


# ------------------------------------------------------------------ rasters and tables


def demand_from_raster(path: str | Path, band: int = 1, unit: str = "") -> gpd.GeoDataFrame:
    """Demand points at the centres of populated raster cells (e.g. WorldPop GeoTIFF).

    A raster in another CRS is not resampled (resampling would change the
    total); its cell centres are transformed to WGS84 instead, so every person
    is kept. Negative cells raise an error; nodata cells are skipped.
    """
    import rasterio

    p = require_file(path, "population raster")
    try:
        ds = rasterio.open(p)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"not a readable raster ({exc})", path=p) from exc
    with ds:
        if ds.crs is None:
            raise InputError("the raster has no coordinate reference system", path=p,
                             hint="Assign one (e.g. gdal_edit.py -a_srs EPSG:4326) and retry")
        data = ds.read(band, masked=True).astype(float)
        values = np.ma.filled(data, np.nan)
        transform, crs = ds.transform, ds.crs
    valid = np.isfinite(values)
    if (values[valid] < 0).any():
        r, c = np.argwhere(valid & (values < 0))[0]
        raise InputError(f"negative population {values[r, c]:g} in cell row {r + 1}, column {c + 1}", path=p,
                         hint="A population raster holds counts of people per cell (0 or more)")
    rows, cols = np.nonzero(valid & (values > 0))
    xs = transform.c + (cols + 0.5) * transform.a + (rows + 0.5) * transform.b
    ys = transform.f + (cols + 0.5) * transform.d + (rows + 0.5) * transform.e
    if not crs.is_geographic or crs.to_epsg() != 4326:
        xs, ys = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    out = gpd.GeoDataFrame(
        {"demand_id": np.arange(len(rows)), "unit": unit, "source": "raster", "feature_id": "",
         "population": values[rows, cols], "lon": np.asarray(xs, float), "lat": np.asarray(ys, float)},
        geometry=gpd.points_from_xy(xs, ys), crs=4326,
    )
    out.attrs["raster_crs"] = str(crs)
    return out


def read_demand_table(path: str | Path, population_column: str = "population") -> gpd.GeoDataFrame:
    """Demand from a CSV (``lon,lat,population`` and optional ``id``, ``unit``, group columns)
    or a vector file of points or polygons (polygons become a point inside them)."""
    p = require_file(path, "demand file")
    if p.suffix.lower() == ".csv":
        table = read_table(p, "demand table")
        require_columns(table, ["lon", "lat", population_column], p)
        if table.empty:
            raise InputError("the demand table has a header but no rows", path=p)
        lon = numeric_column(table, "lon", p)
        lat = numeric_column(table, "lat", p)
        for name, values, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
            bad = ~(np.abs(values) <= limit)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(f"{values[i]:g} is outside -{limit:g}..{limit:g}", path=p, row=i + 1, field=name)
        geometry = gpd.points_from_xy(lon, lat)
        frame = gpd.GeoDataFrame(table, geometry=geometry, crs=4326)
    else:
        try:
            frame = gpd.read_file(p)
        except Exception as exc:  # pyogrio raises many kinds on a bad file
            raise InputError(f"not a readable vector file ({exc})", path=p) from exc
        if frame.crs is None:
            raise InputError("the file has no CRS", path=p, hint="Save it with a CRS (e.g. EPSG:4326)")
        require_columns(frame, [population_column], p)
        frame = frame.to_crs(4326)
        empty = frame.geometry.isna() | frame.geometry.is_empty
        if empty.any():
            raise InputError("the feature has no geometry", path=p, row=int(np.flatnonzero(empty.to_numpy())[0]) + 1)
        frame = frame.set_geometry(frame.geometry.representative_point())
        frame[population_column] = frame[population_column].astype(str)
    values = numeric_column(frame, population_column, p, minimum=0)
    out = gpd.GeoDataFrame(
        {"demand_id": frame["id"].astype(str).to_numpy() if "id" in frame.columns else np.arange(len(frame)),
         "unit": frame["unit"].astype(str).to_numpy() if "unit" in frame.columns else "",
         "source": "table", "feature_id": "", "population": values},
        geometry=frame.geometry.to_numpy(), crs=4326,
    )
    for column in ("pop_60plus", "pop_0_3"):
        if column in frame.columns:
            out[column] = numeric_column(frame.assign(**{column: frame[column].astype(str)}), column, p, minimum=0)
    out["lon"], out["lat"] = out.geometry.x.to_numpy(), out.geometry.y.to_numpy()
    out.attrs["source"] = str(p)
    return out


def read_demand(path: str | Path, population_column: str = "population") -> gpd.GeoDataFrame:
    """A raster (.tif/.tiff) or a points/polygons table, by file suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in (".tif", ".tiff"):
        return demand_from_raster(path)
    return read_demand_table(path, population_column)


def snap_demand(net: RoadNetwork, points: gpd.GeoDataFrame, tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Snap demand points to the network; adds ``node``, ``snap_m`` and the snap flags (nothing dropped)."""
    from siting.routing.snap import snap

    snapped = snap(net, points["lon"].to_numpy(float), points["lat"].to_numpy(float), tolerance_m)
    out = points.copy()
    for col in snapped.columns:
        out[col] = snapped[col].to_numpy()
    return out


def totals(points: pd.DataFrame) -> dict[str, Any]:
    """Population per group in a demand layer (for summaries)."""
    return {g: float(points[c].sum()) for g, c in GROUP_COLUMNS.items() if c in points.columns}
