"""Where a project may go: its county, a disk around its town, the study area or the network's extent.

:func:`project_region` gives a project's region from the bundled (or the
scenario's) administrative boundaries; :func:`region_candidates` lays the
candidate sites inside it; :func:`region_status` checks a chosen site against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from siting.coords import utm_epsg
from siting.errors import SitingError
from siting.planning.candidates import grid_candidates

if TYPE_CHECKING:
    from siting.network import RoadNetwork
    from siting.planning.context import SiteContext

#: Region kinds whose boundary is stated by the plan (and so checked in ``region_status``).
STATED_KINDS = ("town", "county")


@dataclass(frozen=True)
class Region:
    """The area a project may go in.

    ``kind`` is 'town' (a disk around the town point, inside the county), 'county',
    'study_area', 'network_extent', 'site' (no area, only the stated point) or 'none'.
    """

    geometry: BaseGeometry | None
    kind: str
    label: str

    def is_empty(self) -> bool:
        """True when there is no area to lay candidates in."""
        return self.geometry is None or self.geometry.is_empty


def unit_boundaries(site: SiteContext) -> gpd.GeoDataFrame | None:
    """Administrative boundaries (``adcode``, ``name``, ``level`` as text): the scenario's units, else its study area."""
    b = site.inputs.unit_boundaries
    study = site.scenario.study_area.boundaries
    if b is None and study is not None and study.exists():
        b = gpd.read_file(study).to_crs(4326)
    if b is None:
        return None
    out = b.copy()
    for col in ("adcode", "name", "level"):
        out[col] = out[col].astype(str) if col in out.columns else ""
    return out


def study_area_polygon(site: SiteContext) -> Any:
    """The study-area polygon (study_area boundaries, its adcode feature or the city row), or None."""
    sa = site.scenario.study_area
    if sa.boundaries is None or not sa.boundaries.exists():
        return None
    b = gpd.read_file(sa.boundaries).to_crs(4326)
    if sa.adcode and "adcode" in b.columns:
        hit = b[b["adcode"].astype(str) == str(sa.adcode)]
        if len(hit):
            b = hit
    geom = b.geometry.union_all()
    return geom if sa.buffer_m <= 0 else geom.buffer(0)  # buffer_m is applied by the fetcher, not here


def disk(lon: float, lat: float, radius_m: float) -> BaseGeometry:
    """A WGS84 disk of ``radius_m`` metres around a point (drawn in its UTM zone)."""
    epsg = utm_epsg(lon, lat)
    shape = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(epsg).buffer(radius_m, 64)
    return shape.to_crs(4326).iloc[0]


def county_of(project: pd.Series, boundaries: gpd.GeoDataFrame) -> tuple[BaseGeometry, str] | None:
    """(polygon, name) of the project's county, by ``county_adcode`` then by ``county`` name; None if not found."""
    code, name = str(project.get("county_adcode", "")), str(project.get("county", ""))
    hit = boundaries[boundaries["adcode"] == code] if code else boundaries.iloc[0:0]
    if hit.empty and name:
        hit = boundaries[boundaries["name"] == name]
    return None if hit.empty else (hit.geometry.union_all(), str(hit["name"].iloc[0]))


def project_region(project: pd.Series, boundaries: gpd.GeoDataFrame | None, *, study_adcode: str | None,
                   net: RoadNetwork | None, town_radius_m: float) -> Region:
    """The area a project may go in: town, county, study area (``study_adcode``) or network extent."""
    county = county_of(project, boundaries) if boundaries is not None else None
    located = np.isfinite(float(project["lon"])) and np.isfinite(float(project["lat"]))
    if county is not None:
        if str(project.get("location_precision", "")) == "town" and located:
            around = disk(float(project["lon"]), float(project["lat"]), town_radius_m)
            town = str(project.get("town", "")) or "town"
            return Region(around.intersection(county[0]), "town",
                          f"{town} ({town_radius_m / 1000:g} km around the town point, inside {county[1]})")
        return Region(county[0], "county", county[1])
    if boundaries is not None:
        city = boundaries[boundaries["adcode"] == str(study_adcode)] if study_adcode else boundaries.iloc[0:0]
        if city.empty:
            city = boundaries[boundaries["level"] == "city"]
        if not city.empty:
            return Region(city.geometry.union_all(), "study_area", f"{city['name'].iloc[0]} (no county stated)")
    if net is not None:
        hull = shapely.convex_hull(shapely.multipoints(np.column_stack([net.lon, net.lat])))
        return Region(hull, "network_extent", "the network's extent (no boundaries given)")
    if located:
        return Region(None, "site", "the stated point")
    return Region(None, "none", "no region: no county stated, no boundaries and no network")


def region_candidates(region: BaseGeometry, table: gpd.GeoDataFrame | None, grid_m: float | None,
                      max_candidates: int) -> gpd.GeoDataFrame:
    """Candidates inside ``region`` (``cid``, ``source``): the given table (user or OSM), or a square grid.

    The grid has at most about ``max_candidates`` points and is never finer than ``grid_m``.
    """
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


def region_status(region: Region, lon: float, lat: float) -> tuple[str, str]:
    """(status, reason): is the chosen point inside the stated county or town disk?

    'pass' or 'fail' for a stated region; 'not_evaluable' with the reason otherwise.
    """
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return "not_evaluable", "no site chosen"
    if region.kind in STATED_KINDS and region.geometry is not None:
        inside = region.geometry.buffer(1e-9).contains(shapely.Point(float(lon), float(lat)))
        return ("pass" if inside else "fail"), ""
    return "not_evaluable", "region: no county stated, only the study area is enforced"
