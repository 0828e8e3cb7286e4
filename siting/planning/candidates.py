"""Candidate sites: from a user table, from OSM buildings and land use, or a regular grid.

The readers return a GeoDataFrame of points in WGS84 with at least ``id`` and
``source``; columns the allocation models read (``fixed``, ``eligible``,
``capacity``, ``region``) are kept when given. :func:`candidate_table` is the
table ``siting place`` lays in each region; :func:`read_candidate_rows` the rows
``siting score`` scores.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from siting.coords import to_wgs84, utm_epsg
from siting.errors import InputError, SitingError
from siting.io import read_table, write_csv
from siting.io.values import yes_no_flags
from siting.planning.kinds import KINDS
from siting.units import DEFAULT_SNAP_TOLERANCE_M

#: OSM ``building`` values for public / government premises (idle state premises in the plans).
PUBLIC_BUILDINGS = frozenset({"public", "government", "civic", "office", "community_centre", "townhall"})
#: OSM ``building`` values for commercial buildings (the plans' "commercial buildings in the central city").
COMMERCIAL_BUILDINGS = frozenset({"commercial", "retail", "supermarket", "kiosk"})
#: ``read_landuse`` categories that mean land free for building.
VACANT_LANDUSE = frozenset({"brownfield", "vacant", "construction"})
#: Where ``siting place`` takes candidate sites from.
CANDIDATE_SOURCES = ("table", "grid", "osm")
#: The kinds of OSM candidate sites (:func:`candidates_from_osm`).
OSM_KINDS = ("public", "vacant", "commercial")


def validate_candidates(path: str | Path, crs: str = "wgs84") -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read a candidate CSV (``id,lon,lat[,region,capacity,fixed,eligible]``) row by row.

    Bad rows are reported and left out, never fatal (a missing ``id``/``lon``/``lat``
    column or an empty file still raises :class:`~siting.errors.InputError`).

    Returns
    -------
    (good, bad)
        ``good``: the valid rows as points (WGS84, converted from ``crs``); ``bad``: one row per
        rejected line with ``row`` (1-based data row), ``id``, ``field`` and ``problem``.
    """
    p = Path(path)
    frame = read_table(p, "candidate file")
    missing = [c for c in ("id", "lon", "lat") if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", path=p, hint="The file needs id,lon,lat")
    problems: list[dict[str, Any]] = []

    def flag(mask: np.ndarray, field: str, text: Any) -> None:
        for i in np.flatnonzero(mask):
            problems.append({"row": int(i) + 1, "id": str(frame["id"].iloc[i]), "field": field,
                             "problem": text(i) if callable(text) else text})

    ids = frame["id"].astype(str).str.strip()
    flag((ids == "").to_numpy(), "id", "the id is empty")
    flag((ids.duplicated() & (ids != "")).to_numpy(), "id", "the id appears on an earlier row")
    lon = pd.to_numeric(frame["lon"].str.strip(), errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"].str.strip(), errors="coerce").to_numpy(dtype=float)
    flag(np.isnan(lon), "lon", lambda i: f"'{frame['lon'].iloc[i]}' is not a number")
    flag(np.isnan(lat), "lat", lambda i: f"'{frame['lat'].iloc[i]}' is not a number")
    flag(np.abs(lon) > 180, "lon", lambda i: f"longitude {lon[i]:g} is outside -180..180")
    flag(np.abs(lat) > 90, "lat", lambda i: f"latitude {lat[i]:g} is outside -90..90")
    out = pd.DataFrame({"id": ids})
    if "capacity" in frame.columns:
        raw = frame["capacity"].str.strip()
        cap = pd.to_numeric(raw.where(raw != "", None), errors="coerce").to_numpy(dtype=float)
        flag((np.isnan(cap) & (raw != "").to_numpy()) | (cap < 0), "capacity",
             lambda i: f"'{raw.iloc[i]!s}' is not a capacity >= 0")
        out["capacity"] = cap
    for col, default in (("fixed", False), ("eligible", True)):
        if col in frame.columns:
            values, bad_rows = yes_no_flags(frame, col)
            flag(np.isin(np.arange(len(frame)), bad_rows), col, lambda i, c=col: f"'{frame[c].iloc[i]!s}' is not yes/no")
            out[col] = np.array([default if v is None else v for v in values], dtype=bool)
    if "region" in frame.columns:
        out["region"] = frame["region"].str.strip()
    bad = pd.DataFrame(problems, columns=["row", "id", "field", "problem"]).sort_values("row", kind="stable")
    keep = np.ones(len(frame), dtype=bool)
    keep[bad["row"].to_numpy(dtype=int) - 1] = False
    glon, glat = to_wgs84(lon[keep], lat[keep], crs)
    good = gpd.GeoDataFrame(out[keep].reset_index(drop=True), geometry=gpd.points_from_xy(glon, glat), crs=4326)
    good["source"] = "table"
    return good, bad.reset_index(drop=True)


def candidates_from_osm(
    path: str | Path,
    kinds: tuple[str, ...] = ("public", "vacant", "commercial"),
    *,
    min_area_m2: float = 100.0,
) -> gpd.GeoDataFrame:
    """Candidate sites from OSM: public/government and commercial buildings, vacant or brownfield land.

    Parameters
    ----------
    path
        An OSM file (PBF, XML or .osm.bz2).
    kinds
        Which of 'public' (``building`` in :data:`PUBLIC_BUILDINGS`, or land-use category
        'public'), 'commercial' (``building`` in :data:`COMMERCIAL_BUILDINGS`) and 'vacant'
        (land use in :data:`VACANT_LANDUSE`) to return.
    min_area_m2
        Smallest footprint or parcel kept.

    Returns
    -------
    geopandas.GeoDataFrame
        Points (a representative point of each polygon) with ``id`` (``osm:<id>``), ``kind``,
        ``tag`` (the OSM value that made it a candidate), ``name``, ``area_m2`` and ``source``.
    """
    from siting.osm.features import read_buildings, read_landuse

    unknown = set(kinds) - set(OSM_KINDS)
    if unknown:
        raise SitingError(f"unknown candidate kind(s) {sorted(unknown)}; use public, vacant, commercial")
    parts = []
    if {"public", "commercial"} & set(kinds):
        b = read_buildings(path)
        b = b[b["area_m2"] >= min_area_m2]
        for kind, values in (("public", PUBLIC_BUILDINGS), ("commercial", COMMERCIAL_BUILDINGS)):
            if kind in kinds:
                sel = b[b["building"].isin(values)]
                parts.append(pd.DataFrame({"osm_id": sel["id"], "kind": kind, "tag": "building=" + sel["building"],
                                           "name": sel["name"], "area_m2": sel["area_m2"], "geometry": sel.geometry}))
    if {"public", "vacant"} & set(kinds):
        lu = read_landuse(path)
        lu = lu[lu["area_m2"] >= min_area_m2]
        if "public" in kinds:
            sel = lu[lu["category"] == "public"]
            tag = np.where(sel["landuse"] != "", "landuse=" + sel["landuse"], "amenity=" + sel["amenity"])
            parts.append(pd.DataFrame({"osm_id": sel["id"], "kind": "public", "tag": tag, "name": sel["name"],
                                       "area_m2": sel["area_m2"], "geometry": sel.geometry}))
        if "vacant" in kinds:
            sel = lu[lu["landuse"].isin(VACANT_LANDUSE)]
            parts.append(pd.DataFrame({"osm_id": sel["id"], "kind": "vacant", "tag": "landuse=" + sel["landuse"],
                                       "name": sel["name"], "area_m2": sel["area_m2"], "geometry": sel.geometry}))
    cols = ["id", "kind", "tag", "name", "area_m2", "source"]
    if not parts:
        return gpd.GeoDataFrame(columns=cols, geometry=[], crs=4326)
    frame = pd.concat(parts, ignore_index=True).drop_duplicates(["osm_id", "kind"])
    pts = gpd.GeoSeries(frame["geometry"], crs=4326).representative_point()
    out = gpd.GeoDataFrame({"id": "osm:" + frame["osm_id"].astype(str) + ":" + frame["kind"], "kind": frame["kind"],
                            "tag": frame["tag"], "name": frame["name"], "area_m2": frame["area_m2"]},
                           geometry=pts.to_numpy(), crs=4326)
    out["source"] = "osm"
    return out.reset_index(drop=True)


def osm_candidate_table(path: str | Path, kinds: tuple[str, ...] = OSM_KINDS) -> gpd.GeoDataFrame:
    """OSM candidate sites (:func:`candidates_from_osm`) as a candidate table.

    ``source`` says why each one is a candidate (``osm public``, ``osm vacant``, ``osm commercial``).
    """
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


def candidate_source(requested: str | None, table: str | Path | None) -> str:
    """Where candidates come from: ``requested`` ('table', 'grid', 'osm'), else 'table' with a table, else 'grid'."""
    source = requested or ("table" if table is not None else "grid")
    if source not in CANDIDATE_SOURCES:
        raise SitingError(f"unknown candidate source '{source}': use {', '.join(CANDIDATE_SOURCES)}")
    if source == "table" and table is None:
        raise SitingError("candidates from a table need one: pass --candidates C.csv (id,lon,lat) "
                          "or set 'candidates' in the scenario")
    return source


def candidate_table(source: str, *, table: str | Path | None = None, osm: str | Path | None = None,
                    kinds: tuple[str, ...] = OSM_KINDS, crs: str = "wgs84") -> tuple[gpd.GeoDataFrame | None, list[str]]:
    """(candidate table, notes) for ``source``: the ``table`` file, the ``osm`` file's sites, or None for a grid."""
    if source == "osm":
        if osm is None:
            raise SitingError("candidates from OSM need an OSM file: pass --osm FILE or set network.source in the scenario")
        sites = osm_candidate_table(osm, kinds)
        return sites, ([] if len(sites) else [f"{osm} has no {'/'.join(kinds)} candidate site"])
    if source == "table" and table is not None:
        good, bad = validate_candidates(table, crs=crs)
        return good, ([f"{len(bad)} candidate row(s) of {table} skipped (see `siting score` for the list)"]
                      if len(bad) else [])
    return None, []


def read_candidate_rows(candidates: str | Path | pd.DataFrame, crs: str = "wgs84",
                        default_type: str = "elderly") -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The rows ``siting score`` scores, and the skipped ones.

    Returns
    -------
    (rows, skipped)
        ``rows``: ``row`` (1-based data row), ``id``, ``lon``, ``lat`` (WGS84), ``name``, ``type`` (a
        :data:`~siting.planning.kinds.KINDS` key; ``default_type`` when empty), ``owner``,
        ``owner_kind`` and ``capacity``; ``attrs['source']`` names the file. ``skipped``: one dict
        per bad row with ``file``, ``row``, ``id``, ``field`` and ``reason``.
    """
    if isinstance(candidates, pd.DataFrame):
        source = str(candidates.attrs.get("source", "candidates"))
        raw = candidates.reset_index(drop=True).astype(str)
        with tempfile.TemporaryDirectory() as tmp:
            good, bad = validate_candidates(write_csv(Path(tmp) / "candidates.csv", raw), crs=crs)
    else:
        source = str(candidates)
        raw = read_table(Path(candidates), "candidate file")
        good, bad = validate_candidates(candidates, crs=crs)
    skipped = [skipped_row(source, r["row"], r["id"], r["field"], r["problem"]) for r in bad.to_dict(orient="records")]
    bad_rows = set(bad["row"].astype(int))
    kept = np.array([i + 1 for i in range(len(raw)) if i + 1 not in bad_rows], dtype=int)
    out = pd.DataFrame({"row": kept, "id": good["id"].astype(str).to_numpy(),
                        "lon": good.geometry.x.to_numpy(), "lat": good.geometry.y.to_numpy()})
    for col in ("name", "type", "owner", "owner_kind", "capacity"):
        if col == "capacity" and "capacity" in good.columns:
            out[col] = good["capacity"].to_numpy(float)
        elif col in raw.columns:
            out[col] = raw[col].iloc[kept - 1].astype(str).str.strip().to_numpy()
        else:
            out[col] = np.nan if col == "capacity" else ""
    out["type"] = out["type"].str.lower().replace("", default_type)
    unknown = ~out["type"].isin(list(KINDS)).to_numpy()
    skipped += [skipped_row(source, out["row"].iloc[i], out["id"].iloc[i], "type",
                            f"unknown type '{out['type'].iloc[i]}': use one of {', '.join(KINDS)}")
                for i in np.flatnonzero(unknown)]
    out = out[~unknown].reset_index(drop=True)
    out.attrs["source"] = source
    return out, skipped


def skipped_row(source: str, row: int, cid: str, field: str, reason: str) -> dict[str, Any]:
    """One entry of a skipped-rows list: file, row, id, field and reason."""
    return {"file": source, "row": int(row), "id": cid, "field": field, "reason": reason}


def grid_candidates(area: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries, spacing_m: float,
                    kind: str = "square") -> gpd.GeoDataFrame:
    """A regular square or hexagonal grid of candidate points inside a study area.

    The grid is laid in the area's UTM zone (spacing in metres), starting half a
    spacing in from the south-west corner of its bounds, and returned in WGS84.
    In a 'hex' grid every point's six nearest neighbours are ``spacing_m`` away.

    Parameters
    ----------
    area
        A WGS84 polygon, or a GeoDataFrame / GeoSeries (any CRS; its union is used).
    spacing_m
        Distance between neighbouring points, in metres.
    kind
        'square' or 'hex'.
    """
    if spacing_m <= 0:
        raise SitingError(f"the grid spacing must be > 0 metres, got {spacing_m}")
    if kind not in ("square", "hex"):
        raise SitingError(f"unknown grid kind '{kind}'; use square or hex")
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        geom = area.to_crs(4326).union_all() if area.crs is not None else area.union_all()
    else:
        geom = area
    if geom.is_empty:
        raise SitingError("the study area is empty")
    c = geom.centroid
    epsg = utm_epsg(c.x, c.y)
    g_utm = gpd.GeoSeries([geom], crs=4326).to_crs(epsg).iloc[0]
    x0, y0, x1, y1 = g_utm.bounds
    gx: np.ndarray
    gy: np.ndarray
    if kind == "square":
        xs = np.arange(x0 + spacing_m / 2, x1, spacing_m)
        ys = np.arange(y0 + spacing_m / 2, y1, spacing_m)
        gx, gy = np.meshgrid(xs, ys)
    else:
        dy = spacing_m * np.sqrt(3) / 2
        ys = np.arange(y0 + dy / 2, y1, dy)
        rows_x = []
        rows_y = []
        for r, y in enumerate(ys):
            xs = np.arange(x0 + spacing_m / 2 + (spacing_m / 2 if r % 2 else 0.0), x1, spacing_m)
            rows_x.append(xs)
            rows_y.append(np.full(len(xs), y))
        gx = np.concatenate(rows_x) if rows_x else np.empty(0)
        gy = np.concatenate(rows_y) if rows_y else np.empty(0)
    pts = gpd.GeoSeries(gpd.points_from_xy(np.ravel(gx), np.ravel(gy)), crs=epsg)
    inside = pts[pts.within(g_utm)].to_crs(4326)
    if inside.empty:
        raise SitingError(f"no grid point falls inside the study area at a spacing of {spacing_m:g} m; use a smaller spacing")
    return gpd.GeoDataFrame({"id": [f"grid{i}" for i in range(len(inside))], "kind": kind, "source": "grid"},
                            geometry=inside.to_numpy(), crs=4326)


def near_mask(
    candidates: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    distance_m: float,
    *,
    network: Any = None,
    tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
) -> np.ndarray:
    """Eligibility mask: True for candidates within ``distance_m`` of any target (e.g. a general hospital).

    Parameters
    ----------
    candidates, targets
        Point layers (any CRS).
    distance_m
        The limit in metres.
    network
        None: straight-line distance (in the UTM zone of the candidates). A
        :class:`~siting.network.RoadNetwork`: road distance from the candidate to the
        nearest target along the network (both snapped to it; a candidate snapped beyond
        ``tolerance_m`` is not eligible).
    """
    from scipy.spatial import cKDTree

    cand = candidates.to_crs(4326) if candidates.crs is not None else candidates
    targ = targets.to_crs(4326) if targets.crs is not None else targets
    if len(cand) == 0:
        return np.zeros(0, dtype=bool)
    if len(targ) == 0:
        return np.zeros(len(cand), dtype=bool)
    cp = cand.geometry.representative_point()
    tp = targ.geometry.representative_point()
    if network is None:
        epsg = utm_epsg(float(cp.x.mean()), float(cp.y.mean()))
        cu = gpd.GeoSeries(cp, crs=4326).to_crs(epsg)
        tu = gpd.GeoSeries(tp, crs=4326).to_crs(epsg)
        d, _ = cKDTree(np.column_stack([tu.x, tu.y])).query(np.column_stack([cu.x, cu.y]), k=1)
        return np.asarray(d <= distance_m)
    from siting.routing.engine import nearest
    from siting.routing.snap import snap

    ts = snap(network, tp.x.to_numpy(), tp.y.to_numpy(), tolerance_m=tolerance_m)
    cs = snap(network, cp.x.to_numpy(), cp.y.to_numpy(), tolerance_m=tolerance_m)
    sources = np.unique(ts["node"].to_numpy()[~ts["beyond_tolerance"].to_numpy()])
    if len(sources) == 0:
        return np.zeros(len(cand), dtype=bool)
    # reverse: the cost from each node to the nearest target
    cost, _ = nearest(network, sources, weight="length", cutoff=distance_m, reverse=True)
    out = np.asarray(cost[cs["node"].to_numpy()] <= distance_m)
    return out & ~cs["beyond_tolerance"].to_numpy()
