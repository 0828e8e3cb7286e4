"""Properties that hold for any input (hypothesis): generated facility, hospital, project and unit
tables, some values blanked.

The central one is the verdict contract (docs/VERDICTS.md): a table with missing values stands for
every table that fills them in. If a rule passes (or fails) on the table with holes, it must pass
(or fail) on the complete table it was made from, for every rule kind; only ``not_evaluable`` may
depend on what is missing. Then: adding a hospital never turns A4 from pass to fail, adding a
facility never lowers coverage, demand is conserved, isochrones nest (5 ⊆ 10 ⊆ 15) and a share is
covered / population.

Bounded for CI: a few dozen examples per property, no deadline (the machine is shared); with
``CI=true`` the examples are derandomised so that a run is reproducible.
"""

from __future__ import annotations

import math
import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from conftest import bottom, ladder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.analysis.coverage import coverage
from siting.analysis.demand import allocate
from siting.analysis.isochrones import isochrones
from siting.rules.context import CheckInputs
from siting.rules.registry import rule_kinds
from siting.rules.rule import Rule

# SITING_PROPERTY_EXAMPLES scales the run (tools/mutation.sh lowers it; raise it to hunt longer).
SCALE = int(os.environ.get("SITING_PROPERTY_EXAMPLES", "40")) / 40
settings.register_profile("siting", max_examples=int(40 * SCALE), deadline=None,
                          derandomize=os.environ.get("CI") == "true",
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("siting")

LON0, LAT0 = 108.65, 21.95
KM_LAT = 1.0 / 111.195  # degrees of latitude per km on the haversine sphere (R = 6371.0088 km)
COUNTIES = ["甲县", "乙县"]
TOWNS = ["1", "2", "3"]


def rule(kind: str, params: dict[str, Any], applies_to: dict[str, Any] | None = None) -> Rule:
    """A rule with the kind's defaults filled in, as a pack would give it."""
    spec = rule_kinds()[kind].params
    full = {k: p.default for k, p in spec.items() if not p.required}
    full.update(params)
    return Rule(id="X1", kind=kind, title="", params=full, applies_to=applies_to or {}, source={})


def verdict(r: Rule, ctx: CheckInputs) -> str:
    return rule_kinds()[r.kind].func(r, ctx).status


# ---- generated tables ---------------------------------------------------------------------------

#: How a missing cell looks after the readers (siting.inputs): the one spelling each rule sees.
MISSING = {"beds": np.nan, "places": np.nan, "nursing_beds": np.nan, "level": np.nan, "owner_kind": "unknown",
           "has_clinic": pd.NA, "tier": "", "county": "", "unit": "", "name": "", "lon": np.nan,
           "departments": "", "inclusive": pd.NA, "estate_class": "", "households": np.nan, "elderly_floor_area": np.nan}


@st.composite
def sites(draw: st.DrawFn, types: tuple[str, ...], n_max: int = 6, prefix: str = "s") -> pd.DataFrame:
    """A complete table of sites (facilities or projects) of ``types`` near (LON0, LAT0)."""
    n = draw(st.integers(1, n_max))
    rows = []
    for i in range(n):
        beds = draw(st.integers(0, 300))
        rows.append({
            "id": f"{prefix}{i}", "type": draw(st.sampled_from(types)),
            "name": draw(st.sampled_from(["综合中心", "敬老院", "home"])),
            "beds": float(beds), "nursing_beds": float(draw(st.integers(0, beds))),
            "places": float(draw(st.integers(0, 300))),
            "owner_kind": draw(st.sampled_from(["government", "company"])),
            "has_clinic": draw(st.booleans()), "tier": draw(st.sampled_from(["county", "township", "village"])),
            "county": draw(st.sampled_from(COUNTIES)), "unit": draw(st.sampled_from(TOWNS)),
            "level": float(draw(st.integers(1, 3))), "category": draw(st.sampled_from(["general", "tcm"])),
            "category_assumed": False,
            "lon": LON0 + draw(st.floats(-0.08, 0.08)), "lat": LAT0 + draw(st.floats(-0.08, 0.08)),
        })
    frame = pd.DataFrame(rows)
    frame["has_clinic"] = frame["has_clinic"].astype("boolean")
    return frame


@st.composite
def with_holes(draw: st.DrawFn, frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with some cells of ``columns`` blanked the way the readers write a missing value."""
    out = frame.copy()
    for i in range(len(out)):
        for col in columns:
            if draw(st.booleans()):  # about half the cells
                if col == "lon":
                    out.loc[i, ["lon", "lat"]] = np.nan
                else:
                    out.loc[i, col] = MISSING[col]
    return out


def population() -> pd.DataFrame:
    return pd.DataFrame({"unit": ["City", *COUNTIES], "level": ["city", "county", "county"], "indicator": "population",
                         "value": [300_000.0, 100_000.0, 200_000.0], "code": ["0", "1", "2"], "year": "2020"})


def units() -> pd.DataFrame:
    return pd.DataFrame({"code": ["1", "2", "3", "c1", "c2"], "name": ["一街道", "二街道", "三镇", *COUNTIES],
                         "level": ["town", "town", "town", "county", "county"], "county": ["甲县", "甲县", "乙县", *COUNTIES]})


def consistent(r: Rule, with_missing: CheckInputs, complete: CheckInputs) -> None:
    """The contract: a verdict given with values missing is the verdict of the complete inputs."""
    given_ = verdict(r, with_missing)
    if given_ != "not_evaluable":
        assert verdict(r, complete) == given_, (r.kind, r.params, r.applies_to)


OWNER = st.sampled_from([{}, {"owner_kind": ["government"]}])


# ---- the contract, one property per rule kind ---------------------------------------------------

@given(st.data())
def test_capacity_total_never_guesses(data: st.DataObject) -> None:
    full = data.draw(sites(("childcare", "elderly")))
    holes = data.draw(with_holes(full, ("places", "owner_kind")))
    # Targets around what the complete table supplies, where a guess would show.
    supply = 500.0 + full.loc[full["type"] == "childcare", "places"].sum()
    r = rule("capacity_total", {"quantity": "places", "baseline": "base",
                                "min_total": supply * data.draw(st.floats(0.5, 1.5))},
             {"type": ["childcare"], **data.draw(OWNER)})
    base = data.draw(st.sampled_from([None, {"base": {"value": 500.0}}]))
    projects_known = data.draw(st.booleans())
    consistent(r, CheckInputs(projects=holes if projects_known else None, baselines=base),
               CheckInputs(projects=full, baselines=base))


@given(st.data())
def test_capacity_ratio_never_guesses(data: st.DataObject) -> None:
    full = data.draw(sites(("childcare",)))
    holes = data.draw(with_holes(full, ("places", "county", "owner_kind")))
    per_1000 = full["places"].sum() / 100.0  # per 1,000 in the smaller county, had it every place
    r = rule("capacity_ratio", {"quantity": "places", "min_per_1000": per_1000 * data.draw(st.floats(0, 1.2)),
                                "levels": data.draw(st.sampled_from([["city"], ["county"], ["city", "county"]]))},
             {"type": ["childcare"], **data.draw(OWNER)})
    consistent(r, CheckInputs(projects=holes, population=population()), CheckInputs(projects=full, population=population()))


@given(st.data())
def test_share_never_guesses(data: st.DataObject) -> None:
    full = data.draw(sites(("elderly", "integrated")))
    holes = data.draw(with_holes(full, ("beds", "nursing_beds", "owner_kind")))
    baseline = data.draw(st.sampled_from([{}, {"baseline_denominator": "beds0"},
                                          {"baseline_denominator": "beds0", "baseline_share_pct": "pct"}]))
    r = rule("share", {"numerator": "nursing_beds", "denominator": "beds", "min_share": data.draw(st.floats(0, 1)),
                       "include_facilities": False, **baseline}, {"type": ["elderly"], **data.draw(OWNER)})
    base = {"beds0": {"value": 200.0}, "pct": {"value": 40.0}}
    consistent(r, CheckInputs(projects=holes, baselines=base), CheckInputs(projects=full, baselines=base))


@given(st.data())
def test_hospital_proximity_never_guesses(data: st.DataObject) -> None:
    homes = data.draw(sites(("elderly", "integrated")))
    hosp = data.draw(sites(("hospital",), n_max=3, prefix="h"))
    homes_h = data.draw(with_holes(homes, ("lon", "owner_kind")))
    hosp_h = data.draw(with_holes(hosp, ("lon", "level")))
    r = rule("hospital_proximity", {"max_km": data.draw(st.floats(1, 15)),
                                    "hospital_min_level": data.draw(st.sampled_from([None, 2])),
                                    "hospital_category": data.draw(st.sampled_from([["general"], ["general", "tcm"]]))},
             {"type": ["elderly"], **data.draw(OWNER)})
    consistent(r, CheckInputs(facilities=homes_h, hospitals=hosp_h), CheckInputs(facilities=homes, hospitals=hosp))


@given(st.data())
def test_clinic_partner_never_guesses(data: st.DataObject) -> None:
    homes = data.draw(sites(("elderly", "hospital", "clinic")))
    holes = data.draw(with_holes(homes, ("beds", "has_clinic", "lon", "owner_kind")))
    r = rule("clinic_partner", {"min_beds": data.draw(st.floats(1, 300)),
                                "max_partner_km": data.draw(st.sampled_from([None, 3.0, 8.0]))},
             {"type": ["elderly"], **data.draw(OWNER)})
    consistent(r, CheckInputs(facilities=holes), CheckInputs(facilities=homes))


@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_unit_rules_never_guess(data: st.DataObject) -> None:
    full = data.draw(sites(("elderly", "childcare")))
    holes = data.draw(with_holes(full, ("unit", "county", "tier", "owner_kind", "name")))
    applies = {"type": ["elderly"], **data.draw(OWNER), **data.draw(st.sampled_from([{}, {"name_matches": "中心"}]))}
    for r in (rule("unit_coverage", {"unit_level": "town", "min_share": data.draw(st.floats(0, 1))}, applies),
              rule("count_per_unit", {"min_count": data.draw(st.integers(1, 3))}, applies),
              rule("tier_completeness", {}, applies)):
        existing = data.draw(st.booleans())  # planned projects only, or existing facilities too
        ctx = (lambda f: CheckInputs(facilities=f, units=units())) if existing else \
            (lambda f: CheckInputs(projects=f, units=units()))
        consistent(r, ctx(holes), ctx(full))


@settings(max_examples=max(1, int(15 * SCALE)))
@given(st.data())
def test_service_coverage_never_guesses(data: st.DataObject) -> None:
    net = ladder()
    at = data.draw(st.lists(st.integers(0, 10), min_size=1, max_size=4))
    full = pd.DataFrame({"id": [f"f{i}" for i in range(len(at))], "name": "x", "type": "elderly",
                         "owner_kind": [data.draw(st.sampled_from(["government", "company"])) for _ in at],
                         "lon": [bottom(k)[0] for k in at], "lat": [bottom(k)[1] for k in at]})
    holes = data.draw(with_holes(full, ("lon", "owner_kind")))
    demand = gpd.GeoDataFrame({"demand_id": range(11), "population": 10.0, "lon": [bottom(k)[0] for k in range(11)],
                               "lat": 0.0}, geometry=gpd.points_from_xy([bottom(k)[0] for k in range(11)], [0.0] * 11),
                              crs=4326)
    r = rule("service_coverage", {"minutes": 2, "min_share": data.draw(st.floats(0, 1))},
             {"type": ["elderly"], **data.draw(OWNER)})

    def ctx(f: pd.DataFrame) -> CheckInputs:
        return CheckInputs(facilities=f, networks={"walk": net}, demand_layer=(demand, ""))

    consistent(r, ctx(holes), ctx(full))


# ---- the kinds of issue 15 -------------------------------------------------------------------------

@st.composite
def with_attributes(draw: st.DrawFn, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a departments list and an inclusive flag on every row (complete)."""
    n = len(frame)
    out = frame.assign(departments=[draw(st.sampled_from(["老年病科、内科", "内科", "传染病区", "无"])) for _ in range(n)],
                       inclusive=pd.array([draw(st.booleans()) for _ in range(n)], dtype="boolean"))
    return out


@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_attribute_completeness_never_guesses(data: st.DataObject) -> None:
    full = data.draw(with_attributes(data.draw(sites(("hospital", "elderly")))))
    holes = data.draw(with_holes(full, ("departments", "level", "owner_kind", "inclusive")))
    count = data.draw(st.booleans())
    r = rule("attribute_completeness",
             {"attribute": "departments", "matches": "老年", "min_level": data.draw(st.sampled_from([None, 2])),
              "flags": data.draw(st.sampled_from([[], ["inclusive"]])),
              "min_share": data.draw(st.floats(0, 1)), "min_total": data.draw(st.integers(0, 4)) if count else None},
             {"type": ["hospital"], **data.draw(OWNER)})
    empty = full.iloc[:0]
    consistent(r, CheckInputs(facilities=holes, projects=empty), CheckInputs(facilities=full, projects=empty))


@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_presence_per_unit_never_guesses(data: st.DataObject) -> None:
    full = data.draw(with_attributes(data.draw(sites(("hospital",)))))
    holes = data.draw(with_holes(full, ("departments", "county", "owner_kind", "lon")))
    r = rule("presence_per_unit", {"attribute": "departments", "matches": "传染病", "name_counts": True,
                                   "include_city": data.draw(st.booleans()), "min_count": data.draw(st.integers(1, 2)),
                                   "min_share": data.draw(st.floats(0, 1))}, {"type": ["hospital"], **data.draw(OWNER)})
    empty = full.iloc[:0]
    consistent(r, CheckInputs(facilities=holes, projects=empty, units=units()),
               CheckInputs(facilities=full, projects=empty, units=units()))


@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_share_per_unit_never_guesses(data: st.DataObject) -> None:
    full = data.draw(with_attributes(data.draw(sites(("elderly",)))))
    holes = data.draw(with_holes(full, ("beds", "inclusive", "county", "owner_kind")))
    r = rule("share_per_unit", {"whole": "beds", "part_flag": "inclusive", "min_share": data.draw(st.floats(0, 1)),
                                "levels": data.draw(st.sampled_from([["city"], ["county"], ["city", "county"]])),
                                "include_projects": False}, {"type": ["elderly"], **data.draw(OWNER)})
    consistent(r, CheckInputs(facilities=holes, units=units()), CheckInputs(facilities=full, units=units()))


@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_ratio_per_estate_never_guesses(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 5))
    full = pd.DataFrame({"id": [f"e{i}" for i in range(n)], "name": [f"苑{i}" for i in range(n)],
                         "estate_class": [data.draw(st.sampled_from(["new", "old"])) for _ in range(n)],
                         "households": [float(data.draw(st.integers(1, 900))) for _ in range(n)],
                         "elderly_floor_area": [float(data.draw(st.integers(0, 200))) for _ in range(n)]})
    holes = data.draw(with_holes(full, ("estate_class", "households", "elderly_floor_area")))
    r = rule("ratio_per_area", {"areas": "estate", "area_class": ["new"], "quantity": "elderly_floor_area",
                                "base": "households", "per": 100, "min_ratio": 20, "min_share": data.draw(st.floats(0, 1))})
    consistent(r, CheckInputs(estates=holes), CheckInputs(estates=full))


@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_distance_distribution_never_guesses(data: st.DataObject) -> None:
    homes = data.draw(sites(("elderly",)))
    hosp = data.draw(with_attributes(data.draw(sites(("hospital",), n_max=3, prefix="h"))))
    homes_h = data.draw(with_holes(homes, ("lon", "owner_kind")))
    hosp_h = data.draw(with_holes(hosp, ("lon", "departments")))
    r = rule("distance_distribution", {"target_types": ["hospital"], "target_from": ["hospitals"],
                                       "target_attribute": data.draw(st.sampled_from([None, "departments"])),
                                       "target_matches": "老年|内科", "max_km": data.draw(st.floats(1, 15)),
                                       "min_share": data.draw(st.floats(0, 1))}, {"type": ["elderly"], **data.draw(OWNER)})
    empty = homes.iloc[:0]
    consistent(r, CheckInputs(facilities=homes_h, hospitals=hosp_h, projects=empty),
               CheckInputs(facilities=homes, hospitals=hosp, projects=empty))


@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_community_gap_list_never_guesses(data: st.DataObject) -> None:
    full = data.draw(sites(("elderly", "childcare")))
    holes = data.draw(with_holes(full, ("unit", "owner_kind")))
    r = rule("community_gap_list", {"unit_level": "town"}, data.draw(OWNER))
    empty = full.iloc[:0]
    plans = units().assign(rectification=[data.draw(st.sampled_from(["", "整改"])) for _ in range(5)])
    consistent(r, CheckInputs(facilities=holes, projects=empty, units=plans),
               CheckInputs(facilities=full, projects=empty, units=plans))


# ---- monotone and conserved ---------------------------------------------------------------------

@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_adding_a_hospital_never_turns_a4_from_pass_to_fail(data: st.DataObject) -> None:
    homes = data.draw(with_holes(data.draw(sites(("elderly",))), ("lon", "owner_kind")))
    hosp = data.draw(with_holes(data.draw(sites(("hospital",), n_max=3, prefix="h")), ("lon", "level")))
    extra = data.draw(with_holes(data.draw(sites(("hospital",), n_max=1, prefix="new")), ("lon", "level")))
    r = rule("hospital_proximity", {"max_km": data.draw(st.floats(1, 15)),
                                    "hospital_min_level": data.draw(st.sampled_from([None, 2]))},
             {"type": ["elderly"], "owner_kind": ["government"]})
    before = verdict(r, CheckInputs(facilities=homes, hospitals=hosp))
    after = verdict(r, CheckInputs(facilities=homes, hospitals=pd.concat([hosp, extra], ignore_index=True)))
    if before == "pass":
        assert after == "pass"


@settings(max_examples=max(1, int(25 * SCALE)))
@given(st.data())
def test_adding_a_facility_never_lowers_coverage(data: st.DataObject) -> None:
    net = ladder()
    pops = data.draw(st.lists(st.integers(0, 50), min_size=22, max_size=22))
    demand = gpd.GeoDataFrame({"demand_id": range(22), "population": np.asarray(pops, float),
                               "lon": net.lon, "lat": net.lat}, geometry=gpd.points_from_xy(net.lon, net.lat), crs=4326)
    at = data.draw(st.lists(st.integers(0, 21), min_size=2, max_size=5))
    fac = pd.DataFrame({"id": [f"f{i}" for i in range(len(at))], "type": "elderly",
                        "lon": net.lon[at], "lat": net.lat[at] + data.draw(st.floats(0, 2e-4))})
    minutes = [1.0, 3.0, 5.0]
    fewer = coverage(net, demand, fac.iloc[:-1], "elderly", "all", minutes).summary
    more = coverage(net, demand, fac, "elderly", "all", minutes).summary
    assert (more["covered"].to_numpy() >= fewer["covered"].to_numpy() - 1e-9).all()
    for s in (fewer, more):
        share = s["covered"] / s["population"]
        assert np.allclose(s["share"].to_numpy(), share.to_numpy(), equal_nan=True)  # share == covered / population
        assert (np.diff(s["covered"].to_numpy()) >= 0).all()  # a longer limit never covers fewer


@given(st.integers(0, 10**7), st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_demand_is_conserved(total: int, weights: list[float]) -> None:
    parts = allocate(float(total), np.asarray(weights))
    assert parts.sum() == total and (parts >= 0).all() and np.array_equal(parts, np.floor(parts))
    frac = allocate(total + 0.25, np.asarray(weights))
    assert math.isclose(frac.sum(), total + 0.25, rel_tol=1e-12, abs_tol=1e-9)


@settings(max_examples=max(1, int(15 * SCALE)))
@given(st.lists(st.integers(0, 21), min_size=1, max_size=3), st.floats(0, 3e-4))
def test_isochrones_nest(nodes: list[int], offset: float) -> None:
    net = ladder()
    fac = pd.DataFrame({"id": [f"f{i}" for i in range(len(nodes))], "lon": net.lon[nodes],
                        "lat": net.lat[nodes] + offset})
    iso = isochrones(net, fac, [5, 10, 15], threads=1).to_crs(net.crs)
    for _, g in iso.groupby("facility_id"):
        polys = g.sort_values("minutes").geometry.to_numpy()
        for small, big in zip(polys[:-1], polys[1:]):
            assert shapely.difference(small, big).area < 1e-6  # 5 ⊆ 10 ⊆ 15
