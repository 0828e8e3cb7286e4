"""Project types: the group each one serves, the facilities that already serve it, its capacity column.

An elderly-care project serves the 60+, a childcare centre the 0-3; each kind is
served today by facilities of some types (an elderly home and an integrated centre
both serve the 60+), and states its size in one capacity column (beds or places).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from siting.analysis.demand import group_column
from siting.errors import SitingError

if TYPE_CHECKING:
    from siting.rules.context import CheckInputs

#: Project type -> (target group, existing facility types that serve it, capacity column).
KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "elderly": ("60+", ("elderly", "integrated"), "beds"),
    "integrated": ("60+", ("elderly", "integrated"), "beds"),
    "childcare": ("0-3", ("childcare",), "places"),
    "kindergarten": ("0-3", ("kindergarten", "childcare"), "kindergarten_places"),
    "medical": ("all", ("medical", "hospital", "clinic"), "beds"),
}


def kind_of(facility_type: str) -> tuple[str, tuple[str, ...], str]:
    """Target group, serving facility types and capacity column of a project or candidate type."""
    t = str(facility_type).strip().lower()
    if t not in KINDS:
        raise SitingError(f"no target group for facility type '{facility_type}': use one of {', '.join(KINDS)}")
    return KINDS[t]


def group_weights(points: pd.DataFrame, group: str) -> tuple[np.ndarray, str, str | None]:
    """(weights, group used, note): ``group`` per demand point, or everyone (with a note) when the column is missing."""
    col = group_column(group)
    if col in points.columns:
        return points[col].to_numpy(float), group, None
    return (points["population"].to_numpy(float), "all",
            f"the demand has no {group} figures ('{col}'; set demand.shares in the scenario): all residents counted")


def existing_of(inputs: CheckInputs, types: tuple[str, ...]) -> pd.DataFrame:
    """Located existing facilities of the given types (the scenario's facility file)."""
    f = inputs.facilities
    if f is None or len(f) == 0:
        return pd.DataFrame(columns=["id", "name", "type", "lon", "lat"])
    sel = f[f["type"].isin(types) & ~(f["lon"].isna() | f["lat"].isna())]
    return sel.reset_index(drop=True)
