"""Tests for siting.coords against published reference values and a scalar re-implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from siting.coords import (
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84,
    utm_epsg,
    wgs84_to_gcj02,
)
from siting.errors import SitingError

# Reference outputs printed in wandergis/coordtransform test/app.js for the input (116.404, 39.915).
COORDTRANSFORM = {
    "bd09togcj02": (116.39762729119315, 39.90865673957631),
    "gcj02tobd09": (116.41036949371029, 39.92133699351021),
    "wgs84togcj02": (116.41024449916938, 39.91640428150164),
    # coordtransform's gcj02towgs84 is the one-step approximation lon*2 - f(lon), not the exact inverse
    "gcj02towgs84_approx": (116.39775550083061, 39.91359571849836),
}


def _scalar_wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The published GCJ-02 formula, written again with math on scalars (independent of numpy code)."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    dlat = dlat * 180.0 / ((a * (1 - ee)) / (magic * math.sqrt(magic)) * math.pi)
    dlon = dlon * 180.0 / (a / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def test_wgs84_to_gcj02_matches_coordtransform_reference():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(COORDTRANSFORM["wgs84togcj02"][0], abs=1e-12)
    assert lat == pytest.approx(COORDTRANSFORM["wgs84togcj02"][1], abs=1e-12)


def test_bd09_matches_coordtransform_reference():
    assert bd09_to_gcj02(116.404, 39.915) == pytest.approx(COORDTRANSFORM["bd09togcj02"], abs=1e-12)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx(COORDTRANSFORM["gcj02tobd09"], abs=1e-12)


def test_forward_matches_scalar_reimplementation_across_china():
    rng = np.random.default_rng(7)
    lon = rng.uniform(74, 134, 200)
    lat = rng.uniform(19, 53, 200)
    glon, glat = wgs84_to_gcj02(lon, lat)
    expected = np.array([_scalar_wgs84_to_gcj02(x, y) for x, y in zip(lon, lat)])
    np.testing.assert_allclose(glon, expected[:, 0], rtol=0, atol=1e-11)
    np.testing.assert_allclose(glat, expected[:, 1], rtol=0, atol=1e-11)


def test_gcj02_to_wgs84_is_exact_inverse():
    rng = np.random.default_rng(11)
    lon = rng.uniform(74, 134, 500)
    lat = rng.uniform(19, 53, 500)
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    back_lon, back_lat = wgs84_to_gcj02(wlon, wlat)
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7
    # and the scalar formula agrees that the WGS84 point maps back to the input
    for x, y, gx, gy in zip(wlon[:20], wlat[:20], lon[:20], lat[:20]):
        sx, sy = _scalar_wgs84_to_gcj02(float(x), float(y))
        assert abs(sx - gx) < 1e-7 and abs(sy - gy) < 1e-7


def test_exact_inverse_is_better_than_one_step_approximation():
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    approx = COORDTRANSFORM["gcj02towgs84_approx"]
    # the one-step approximation is off by a few decimetres; ours maps back exactly
    assert abs(lon - approx[0]) < 2e-6 and abs(lat - approx[1]) < 2e-6
    err_ours = np.hypot(*(np.subtract(wgs84_to_gcj02(lon, lat), (116.404, 39.915))))
    err_approx = np.hypot(*(np.subtract(wgs84_to_gcj02(*approx), (116.404, 39.915))))
    assert err_ours < 1e-9 < err_approx


def test_shift_near_qinzhou_is_about_400_m_east_and_300_m_south():
    # GCJ-02 places a point east and south of its WGS84 position in Qinzhou (data/README.md).
    lon, lat = 108.654, 21.942  # Qinnan district seat, WGS84
    glon, glat = wgs84_to_gcj02(lon, lat)
    east = (glon - lon) * math.pi / 180 * 6371008.8 * math.cos(math.radians(lat))
    north = (glat - lat) * math.pi / 180 * 6371008.8
    assert 300 < east < 500
    assert -400 < north < -200
    assert float(haversine_m(lon, lat, glon, glat)) == pytest.approx(math.hypot(east, north), rel=1e-3)


def test_outside_china_is_unchanged():
    for lon, lat in [(7.4246, 43.7384), (-122.28, 37.81), (151.2, -33.9)]:  # Monaco, Oakland, Sydney
        assert wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert gcj02_to_wgs84(lon, lat) == (lon, lat)
        assert tuple(to_wgs84(lon, lat, "gcj02")) == (lon, lat)


def test_bd09_round_trip():
    rng = np.random.default_rng(3)
    lon = rng.uniform(74, 134, 200)
    lat = rng.uniform(19, 53, 200)
    blon, blat = gcj02_to_bd09(lon, lat)
    glon, glat = bd09_to_gcj02(blon, blat)
    # the published BD-09 inverse is itself approximate: a few decimetres at most
    assert np.abs(glon - lon).max() < 3e-6 and np.abs(glat - lat).max() < 3e-6
    wlon, wlat = to_wgs84(blon, blat, "bd09")
    direct_lon, direct_lat = gcj02_to_wgs84(lon, lat)
    assert np.abs(wlon - direct_lon).max() < 3e-6 and np.abs(wlat - direct_lat).max() < 3e-6
    # BD-09 sits about 1 km from GCJ-02: the conversion is not a no-op
    assert haversine_m(lon, lat, blon, blat).min() > 300


def test_to_wgs84_names_and_errors():
    lon, lat = wgs84_to_gcj02(108.65, 21.94)
    for name in ("gcj02", "GCJ-02", "gcj_02"):
        x, y = to_wgs84(lon, lat, name)
        assert abs(x - 108.65) < 1e-9 and abs(y - 21.94) < 1e-9
    assert to_wgs84(1.0, 2.0, "EPSG:4326") == (1.0, 2.0)
    with pytest.raises(SitingError, match="unknown input coordinate system 'utm'"):
        to_wgs84(1.0, 2.0, "utm")


def test_utm_epsg():
    assert utm_epsg(7.4246, 43.7384) == 32632  # Monaco
    assert utm_epsg(108.654, 21.942) == 32649  # Qinzhou
    assert utm_epsg(117.2, 29.3) == 32650  # Jingdezhen
    assert utm_epsg(-58.38, -34.6) == 32721  # Buenos Aires, southern hemisphere
    assert utm_epsg(-180.0, 10.0) == 32601 and utm_epsg(179.99, 10.0) == 32660


def test_haversine_one_degree_of_latitude():
    # one degree on a sphere of radius 6,371,008.8 m
    assert float(haversine_m(0.0, 0.0, 0.0, 1.0)) == pytest.approx(6371008.8 * math.pi / 180, rel=1e-12)
    assert float(haversine_m(10.0, 60.0, 10.0, 60.0)) == 0.0
