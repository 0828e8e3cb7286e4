"""Tests for siting.network.speeds: maxspeed parsing and per-mode speeds (values worked out by hand)."""

from __future__ import annotations

import json

import pytest

from siting.network.speeds import DRIVE_FALLBACK_KMH, SpeedProfile, parse_maxspeed, speed_kmh


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        (" 60 ", 60.0),
        ("50 km/h", 50.0),
        ("20kph", 20.0),
        ("30 mph", 30 * 1.609344),  # international mile = 1.609344 km
        ("10 knots", 18.52),  # 1 knot = 1.852 km/h
        ("12.5", 12.5),
        ("50;30", 40.0),  # mean of the listed values, as osmnx does
        ("40 mph;50", (40 * 1.609344 + 50) / 2),
        ("FR:urban", 50.0),
        ("FR:rural", 80.0),
        ("none", None),
        ("signals", None),
        ("walk", None),
        ("0", None),
        ("", None),
        (None, None),
        ("fast", None),
    ],
)
def test_parse_maxspeed(value: str | None, kmh: float | None) -> None:
    got = parse_maxspeed(value)
    if kmh is None:
        assert got is None
    else:
        assert got == pytest.approx(kmh, rel=1e-12)


def test_walk_speeds() -> None:
    profile = SpeedProfile()
    # 1.0 m/s for older pedestrians; steps at half speed; maxspeed and class do not matter.
    assert speed_kmh("walk", "residential", None, profile) == pytest.approx(3.6)
    assert speed_kmh("walk", "primary", "70", profile) == pytest.approx(3.6)
    assert speed_kmh("walk", "steps", None, profile) == pytest.approx(1.8)
    slow = SpeedProfile(walk_kmh=2.7, steps_factor=0.4)
    assert speed_kmh("walk", "footway", None, slow) == pytest.approx(2.7)
    assert speed_kmh("walk", "steps", None, slow) == pytest.approx(1.08)


def test_bike_speeds() -> None:
    assert speed_kmh("bike", "cycleway", None, SpeedProfile()) == pytest.approx(12.0)
    assert speed_kmh("bike", "primary", "80", SpeedProfile(bike_kmh=15.0)) == pytest.approx(15.0)


def test_drive_speeds() -> None:
    profile = SpeedProfile()
    assert speed_kmh("drive", "residential", "20", profile) == pytest.approx(20.0)
    assert speed_kmh("drive", "primary", "30 mph", profile) == pytest.approx(48.28032)
    assert speed_kmh("drive", "primary", None, profile) == pytest.approx(60.0)
    assert speed_kmh("drive", "motorway", "none", profile) == pytest.approx(100.0)
    assert speed_kmh("drive", "residential", None, profile) == pytest.approx(30.0)
    assert speed_kmh("drive", "made_up_class", None, profile) == pytest.approx(DRIVE_FALLBACK_KMH)
    custom = SpeedProfile(drive_defaults_kmh={"primary": 45.0})
    assert speed_kmh("drive", "primary", None, custom) == pytest.approx(45.0)
    assert speed_kmh("drive", "primary", "70", custom) == pytest.approx(70.0)


def test_profile_as_dict_is_stable() -> None:
    # The cache key is built from as_dict(): equal profiles must give equal dicts, whatever the key order.
    a = SpeedProfile(drive_defaults_kmh={"primary": 60.0, "residential": 30.0})
    b = SpeedProfile(drive_defaults_kmh={"residential": 30.0, "primary": 60.0})
    assert json.dumps(a.as_dict()) == json.dumps(b.as_dict())
    assert SpeedProfile().as_dict() != SpeedProfile(walk_kmh=4.0).as_dict()
