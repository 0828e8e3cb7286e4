"""Basemaps and the coordinate shift overlays need to sit on them.

OpenStreetMap tiles (the default) and Tianditu (CGCS2000, within a metre of
WGS84) take WGS84 overlays as they are. Amap (Gaode) tiles are drawn in GCJ-02,
so every overlay coordinate is shifted with :func:`siting.coords.wgs84_to_gcj02`
before it is drawn; otherwise points land 300-600 m off their streets in China.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from siting.coords import wgs84_to_gcj02
from siting.errors import SitingError

OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
DATA_ATTRIBUTION = (
    'Data &copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL)'
)
ADCODE_ATTRIBUTION = (
    'Administrative units &copy; <a href="https://github.com/Vonng/adcode">Vonng/adcode</a>, CC-BY-4.0'
)
TIANDITU_KEY_ENV = "SITING_TIANDITU_KEY"


@dataclass(frozen=True)
class Basemap:
    """A tile basemap: URL templates (a base and optional label overlay) and the datum its tiles use."""

    name: str
    label: str
    tiles: tuple[str, ...]
    attribution: str
    datum: str  # 'wgs84' or 'gcj02'
    subdomains: str = "abc"
    max_zoom: int = 19


BASEMAPS: dict[str, Basemap] = {
    "osm": Basemap(
        "osm", "OpenStreetMap", ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",), OSM_ATTRIBUTION, "wgs84"
    ),
    "amap": Basemap(
        "amap",
        "高德地图 Amap",
        ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",),
        '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>',
        "gcj02",
        subdomains="1234",
        max_zoom=18,
    ),
    "tianditu": Basemap(
        "tianditu",
        "天地图 Tianditu",
        (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
            "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
        ),
        '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>',
        "wgs84",
        subdomains="01234567",
        max_zoom=18,
    ),
}


def get_basemap(name: str) -> Basemap:
    """The :class:`Basemap` called ``name`` ('osm', 'amap' or 'tianditu')."""
    key = name.lower().strip()
    if key in ("gaode", "autonavi"):
        key = "amap"
    if key not in BASEMAPS:
        raise SitingError(f"unknown basemap '{name}': use one of {', '.join(BASEMAPS)}")
    return BASEMAPS[key]


def add_basemap(m: folium.Map, name: str = "osm", tianditu_key: str | None = None) -> Basemap:
    """Add the tile layer(s) of basemap ``name`` to ``m``; return the basemap.

    Tianditu needs a (free) user key: pass ``tianditu_key`` or set the
    ``SITING_TIANDITU_KEY`` environment variable.
    """
    bm = get_basemap(name)
    key = ""
    if bm.name == "tianditu":
        key = tianditu_key or os.environ.get(TIANDITU_KEY_ENV, "")
        if not key.strip():
            raise SitingError(
                "the Tianditu basemap needs a user key: pass --tianditu-key KEY or set "
                f"{TIANDITU_KEY_ENV} (get one free at https://console.tianditu.gov.cn/)"
            )
    for i, url in enumerate(bm.tiles):
        folium.TileLayer(
            tiles=url.replace("{key}", key.strip()),
            attr=bm.attribution,
            name=bm.label if i == 0 else f"{bm.label} labels",
            subdomains=bm.subdomains,
            max_zoom=bm.max_zoom,
            overlay=i > 0,
            control=i == 0,
        ).add_to(m)
    return bm


def needs_gcj02(basemap: str) -> bool:
    """True when overlays must be shifted to GCJ-02 to match the basemap's tiles."""
    return get_basemap(basemap).datum == "gcj02"


def _gcj_coords(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def display_frame(frame: gpd.GeoDataFrame, basemap: str = "osm") -> gpd.GeoDataFrame:
    """``frame`` in WGS84, shifted vertex by vertex to GCJ-02 when the basemap needs it.

    A frame without a CRS is taken to be WGS84 longitude/latitude.
    """
    out = frame if frame.crs is None else frame.to_crs(4326)
    out = out.copy()
    if needs_gcj02(basemap) and len(out):
        out = out.set_geometry(shapely.transform(out.geometry.to_numpy(), _gcj_coords))
    out = out.set_crs(4326, allow_override=True)
    return out


def display_point(lon: float, lat: float, basemap: str = "osm") -> tuple[float, float]:
    """One WGS84 point as drawn on ``basemap`` (shifted to GCJ-02 for Amap)."""
    if needs_gcj02(basemap):
        x, y = wgs84_to_gcj02(lon, lat)
        return float(x), float(y)
    return float(lon), float(lat)
