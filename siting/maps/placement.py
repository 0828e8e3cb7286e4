"""The map of a placement: the projects as planned and as sited, with the hospital rule's verdict."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import folium
import numpy as np

from siting.i18n import label, t
from siting.maps.build import export_map, make_map
from siting.maps.layers import facility_layer, hospital_layer, planned_layers

if TYPE_CHECKING:
    from siting.planning.result import PlacementResult


def placement_map(result: PlacementResult, lang: str = "en") -> folium.Map:
    """Projects as planned (grey) and as sited (green, with the hospital rule's verdict), hospitals
    with their rings, and the existing facilities of the projects' kinds."""
    sites = result.sites()
    verdict = sites["hospital_rule_status"].astype(str).map(lambda v: label("status", v, lang))
    rule = sites["hospital_rule"]
    after = sites.assign(status=np.where(rule.notna(), rule.astype(str) + " " + verdict, verdict))
    layers = []
    if result.hospitals is not None and len(result.hospitals):
        layers.append(hospital_layer(result.hospitals, float(result.settings.get("max_km") or 5) * 1000.0, lang=lang))
    if result.existing is not None and len(result.existing):
        layers.append(facility_layer(result.existing[["id", "name", "type", "lon", "lat"]], lang=lang))
    layers.append(planned_layers(result.stated().assign(status=t("map.as_planned", lang)), after,
                                 popup_columns=("how_chosen", "region", "hospital_straight_km"), lang=lang))
    return make_map(layers, title=t("map.placed_title", lang, scenario=result.scenario))


def write_placement(result: PlacementResult, out_dir: str | Path, offline: bool = False,
                    lang: str = "en") -> dict[str, str]:
    """The placement's tables (:meth:`PlacementResult.write`) and ``placed_map.html`` (its texts in ``lang``)."""
    files = result.write(out_dir)
    files["map"] = str(export_map(placement_map(result, lang), Path(out_dir) / "placed_map.html", offline=offline))
    return files
