"""Units at the edges of the API: minutes, travel modes and speeds, and the default snap tolerance.

Inside, costs are seconds (``weight="time"``) or metres (``weight="length"``); people give
minutes and km/h. Every conversion between the two lives here, so no stage has to import
another stage's module to parse a threshold or a speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from siting.errors import SitingError


class _HasSpeeds(Protocol):
    """A network: its ``info['speeds']`` holds the speed profile it was built with."""

    info: dict[str, Any]

#: Travel modes, after osmnx's network types: walking and cycling at a set speed, driving by ``maxspeed``.
MODES: tuple[str, ...] = ("walk", "bike", "drive")
#: Walking speed in km/h when none is given: 1.0 m/s, suited to older pedestrians
#: (GB 50180-2018 equates a 15-minute walk with 800-1,000 m).
WALK_SPEED_KMH = 3.6
#: Cycling speed in km/h when none is given.
BIKE_SPEED_KMH = 12.0
#: Points farther than this from the network (metres) are flagged, never dropped.
DEFAULT_SNAP_TOLERANCE_M = 250.0


def parse_minutes(text: str | Sequence[float]) -> list[float]:
    """Thresholds from '5,10,15' (or a sequence), sorted, positive, without duplicates."""
    if isinstance(text, str):
        try:
            values = [float(p) for p in text.replace(" ", "").split(",") if p]
        except ValueError:
            raise SitingError(f"minutes '{text}' must be numbers separated by commas, e.g. 5,10,15") from None
    else:
        values = [float(v) for v in text]
    if not values or any(not np.isfinite(v) or v <= 0 for v in values):
        raise SitingError(f"minutes must be positive numbers, got {text!r}")
    return sorted(set(values))


def kmh_to_ms(kmh: float) -> float:
    """km/h to m/s."""
    return float(kmh) / 3.6


def walk_speed_ms(net: _HasSpeeds) -> float:
    """Walking speed (m/s) of the network's speed profile: the pace of every access leg
    (home to its snapped node), whatever the network's mode."""
    return kmh_to_ms(float(net.info.get("speeds", {}).get("walk_kmh", WALK_SPEED_KMH)))
