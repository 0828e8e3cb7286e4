"""The central urban area (中心城区) for A1: only demand inside it counts, and the report says so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
import yaml

from siting.errors import InputError
from siting.inputs.scenario import load_scenario
from siting.rules import check, inputs_from_scenario

REPO = Path(__file__).resolve().parents[1]
# The western half of Monaco (Fontvieille, Monaco-Ville, La Condamine): west of 7.420 E.
CENTRAL = shapely.box(7.40, 43.72, 7.420, 43.76)


def _scenario(tmp_path: Path, central) -> Path:
    raw = yaml.safe_load((REPO / "scenarios" / "monaco_demo.yaml").read_text(encoding="utf-8"))
    for key in ("facilities",):
        raw[key] = str((REPO / "scenarios" / raw[key]).resolve())
    raw["network"]["source"] = str((REPO / "scenarios" / raw["network"]["source"]).resolve())
    raw.pop("fetch"), raw.pop("place")
    raw["study_area"] = {"central": central}
    path = tmp_path / "monaco_central.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_a1_counts_only_the_demand_in_the_central_area(tmp_path):
    area = tmp_path / "central.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "west"}, "geometry": shapely.geometry.mapping(CENTRAL)}]}))
    sc = load_scenario(_scenario(tmp_path, str(area)))
    r = check(sc, only=["A1"]).result("A1")
    # the same demand points the rule builds, filtered here with shapely on their coordinates
    inputs = inputs_from_scenario(sc)
    demand, _ = inputs.demand_points(inputs.network("walk"))
    inside = shapely.contains_xy(CENTRAL, demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy())
    assert 0 < inside.sum() < len(demand)
    assert r.figures["area"] == "central" and r.figures["central_area"] == "central.geojson"
    assert r.figures["population"] == pytest.approx(float(demand["population"].to_numpy()[inside].sum()))
    assert r.figures["demand_points_outside"] == int((~inside).sum())
    assert any(f"{int(inside.sum()):,} of {len(demand):,} demand points" in n for n in r.notes)
    whole = check(load_scenario(REPO / "scenarios" / "monaco_demo.yaml"), only=["A1"]).result("A1")
    assert whole.figures["area"] == "whole" and whole.figures["population"] == pytest.approx(37308)
    assert any(n.startswith("computed over the whole study area") for n in whole.notes)
    assert r.figures["share"] != pytest.approx(whole.figures["share"])  # the west differs from the whole


def test_central_by_unit_names_and_errors(tmp_path):
    from siting.inputs.bundled import load_boundaries
    from siting.rules.context import central_area

    b = load_boundaries("qinzhou")
    area, label = central_area(["钦南区", "450703"], b, None)
    assert label == "钦南区, 450703" and len(area) == 2
    assert np.isclose(area.geometry.union_all().area, b[b["name"].isin(["钦南区", "钦北区"])].geometry.union_all().area)
    with pytest.raises(InputError, match="no boundary polygon for '文峰街道'"):
        central_area(["文峰街道"], b, None)
    sc = load_scenario(_scenario(tmp_path, ["钦南区"]))
    assert sc.study_area.central_units == ("钦南区",)
    with pytest.raises(InputError, match="no unit boundaries"):
        inputs_from_scenario(sc)
