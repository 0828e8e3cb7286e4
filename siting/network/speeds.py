"""Travel speeds per mode.

Walking
    The default walking speed is 1.0 m/s (3.6 km/h), chosen for older
    pedestrians, who are the users of elderly-care service circles. GB
    50180-2018 equates a 15-minute walk with 800–1,000 m, i.e. 0.9–1.1 m/s, and
    the US MUTCD (2009, 4E.06) designs crossings for slower pedestrians at
    3.5 ft/s (1.07 m/s); healthy adults walk at about 1.3–1.4 m/s. Steps are
    walked at half speed.
Cycling
    12 km/h by default (a relaxed pace, suitable for older riders).
Driving
    From the way's ``maxspeed`` tag where it parses; otherwise from the
    highway-class defaults in :data:`DRIVE_DEFAULTS_KMH` (free-flow urban
    speeds, editable).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from siting.errors import SitingError
from siting.units import BIKE_SPEED_KMH, WALK_SPEED_KMH

STEPS_FACTOR = 0.5

DRIVE_DEFAULTS_KMH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
    "busway": 30.0,
}
DRIVE_FALLBACK_KMH = 30.0

# Implicit maxspeed values such as "FR:urban" or "CN:rural", by their suffix.
_IMPLICIT_KMH = {"urban": 50.0, "rural": 80.0, "motorway": 120.0, "trunk": 100.0, "living_street": 20.0, "walk": 6.0}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")


@dataclass(frozen=True)
class SpeedProfile:
    """Speeds used to turn lengths into travel times.

    Parameters
    ----------
    walk_kmh
        Walking speed on level ways (default 3.6 km/h = 1.0 m/s, older pedestrians).
    bike_kmh
        Cycling speed.
    steps_factor
        Walking speed on ``highway=steps`` as a fraction of ``walk_kmh``.
    drive_defaults_kmh
        Highway-class speeds used when ``maxspeed`` is missing or unreadable.
    """

    walk_kmh: float = WALK_SPEED_KMH
    bike_kmh: float = BIKE_SPEED_KMH
    steps_factor: float = STEPS_FACTOR
    drive_defaults_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DRIVE_DEFAULTS_KMH))

    @classmethod
    def with_speeds(cls, walk_kmh: float | None = None, bike_kmh: float | None = None) -> SpeedProfile:
        """The default profile with the walking and cycling speeds a user gave (None keeps the default).

        The one place a command, a scenario or a batch job turns its speed options into a profile.
        """
        walk = WALK_SPEED_KMH if walk_kmh is None else float(walk_kmh)
        bike = BIKE_SPEED_KMH if bike_kmh is None else float(bike_kmh)
        if walk <= 0 or bike <= 0:
            raise SitingError(f"speeds must be positive (walk {walk:g} km/h, bike {bike:g} km/h)")
        return cls(walk_kmh=walk, bike_kmh=bike)

    def as_dict(self) -> dict[str, object]:
        return {
            "walk_kmh": self.walk_kmh,
            "bike_kmh": self.bike_kmh,
            "steps_factor": self.steps_factor,
            "drive_defaults_kmh": dict(sorted(self.drive_defaults_kmh.items())),
        }


def parse_maxspeed(value: str | None) -> float | None:
    """Parse an OSM ``maxspeed`` value to km/h; None when it has no usable number.

    Handles plain numbers, ``mph`` and ``knots`` units, lists separated by ``;``
    (their mean, as osmnx does) and implicit values such as ``RU:urban``.

    Examples
    --------
    >>> parse_maxspeed("50"), parse_maxspeed("30 mph"), parse_maxspeed("50;30")
    (50.0, 48.28032, 40.0)
    >>> parse_maxspeed("none") is None
    True
    """
    if value is None:
        return None
    speeds = []
    for part in str(value).split(";"):
        part = part.strip().lower()
        m = _NUMBER.match(part)
        if m:
            speed = float(m.group(1))
            unit = m.group(2)
            if unit == "mph":
                speed *= 1.609344
            elif unit == "knots":
                speed *= 1.852
            if speed > 0:
                speeds.append(speed)
        elif ":" in part:
            implicit = _IMPLICIT_KMH.get(part.split(":", 1)[1])
            if implicit is not None:
                speeds.append(implicit)
    if not speeds:
        return None
    return sum(speeds) / len(speeds)


def speed_kmh(mode: str, highway: str, maxspeed: str | None, profile: SpeedProfile) -> float:
    """Travel speed in km/h on one way for ``mode``."""
    if mode == "walk":
        return profile.walk_kmh * (profile.steps_factor if highway == "steps" else 1.0)
    if mode == "bike":
        return profile.bike_kmh
    parsed = parse_maxspeed(maxspeed)
    if parsed is not None:
        return parsed
    return float(profile.drive_defaults_kmh.get(highway, DRIVE_FALLBACK_KMH))
