"""The result of placing a plan's projects: one row per project, the group solves, what was not evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.io import json_safe, write_csv, write_geodataframe, write_json

#: Columns of :attr:`PlacementResult.table`, in order.
PLACED_COLUMNS = [
    "id", "name", "type", "owner_kind", "county", "town", "region", "region_kind", "location_precision",
    "stated_lon", "stated_lat", "lon", "lat", "chosen_precision", "how_chosen", "candidate", "moved_m",
    "candidates", "eligible_candidates", "candidate_source", "group", "minutes", "covered_before",
    "covered_after", "share_before", "share_after", "gain", "demand_within", "capacity", "capacity_column",
    "capacity_per_1000", "hospital_straight_km", "hospital_network_km", "nearest_hospital",
    "hospital_rule", "hospital_rule_applies", "hospital_rule_status", "hospital_rule_judged_on",
    "region_status", "not_evaluated",
]


@dataclass
class PlacementResult:
    """Chosen sites, one row per project (:data:`PLACED_COLUMNS`), and what could not be evaluated.

    ``groups`` has one entry per MCLP solve (target group); ``hospitals`` are the hospitals the
    rule counted and ``existing`` the facilities already serving the projects' groups (for the map).
    """

    table: pd.DataFrame
    groups: list[dict[str, Any]]
    not_evaluated: list[str]
    notes: list[str]
    settings: dict[str, Any]
    scenario: str
    hospitals: pd.DataFrame | None = None
    existing: pd.DataFrame | None = None

    def sites(self) -> gpd.GeoDataFrame:
        """The chosen sites as points (projects that could not be placed are left out)."""
        t = self.table[self.table["lon"].notna() & self.table["lat"].notna()]
        return gpd.GeoDataFrame(t.reset_index(drop=True), geometry=gpd.points_from_xy(t["lon"], t["lat"]), crs=4326)

    def stated(self) -> gpd.GeoDataFrame:
        """The projects at their stated locations (town point, county seat), where the plan gives one."""
        t = self.table[self.table["stated_lon"].notna() & self.table["stated_lat"].notna()]
        return gpd.GeoDataFrame(t.reset_index(drop=True), geometry=gpd.points_from_xy(t["stated_lon"], t["stated_lat"]),
                                crs=4326)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: settings, per-group coverage, the projects, and what was not evaluated."""
        return json_safe({"scenario": self.scenario, "settings": self.settings, "groups": self.groups,
                          "projects": self.table.replace([np.inf, -np.inf], np.nan).to_dict(orient="records"),
                          "not_evaluated": self.not_evaluated, "notes": self.notes})

    def write(self, out_dir: str | Path) -> dict[str, str]:
        """Write ``placed.csv``, ``placed.json`` and ``placed_sites.geojson`` (the map: :func:`siting.maps.placement.write_placement`)."""
        d = Path(out_dir)
        plain = self.sites()
        for col in plain.columns:
            if plain[col].dtype == object and col != "geometry":
                plain[col] = plain[col].astype(str)
        plain = plain.replace([np.inf, -np.inf], np.nan)
        files = {
            "table": write_csv(d / "placed.csv", self.table),
            "json": write_json(d / "placed.json", self.to_dict()),
            "sites": write_geodataframe(d / "placed_sites.geojson", plain),
        }
        return {k: str(v) for k, v in files.items()}
