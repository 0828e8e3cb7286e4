"""Rules over administrative units (the B rules and A19): the share of units with a facility,
at least N facilities per county, and the county-township-village tiers.

A facility belongs to a unit through its ``unit`` column (unit code or name), its
``county`` column, or, failing those, the unit polygon that contains it.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from siting.rules.context import CheckInputs
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule
from siting.rules.unknowns import ids_where, undetermined_note

_SUFFIX = re.compile(r"(办事处|居委会|村委会|居民委员会|村民委员会)$")


def _short(name: str) -> str:
    return _SUFFIX.sub("", str(name).strip())


def existing_unknown(rule: Rule, ctx: CheckInputs) -> bool:
    """True when the rule counts existing facilities but only planned projects were given.

    A plan's project list holds new builds only, so a shortfall among them says nothing
    about the units that already have a facility.
    """
    origins = rule.applies_to.get("from", ["facilities", "projects"])
    return "facilities" in origins and ctx.facilities is None


def _demote(res: RuleResult, what: str) -> None:
    """Turn a fail on planned projects alone into not_evaluable, keeping the gap list as a note."""
    res.status = "not_evaluable"
    res.reason = (f"the planned projects alone leave {what}; existing facilities are unknown: "
                  "pass --facilities F.csv (existing facilities) to judge")
    if res.violations:
        res.notes.append("gaps on planned projects alone: " + "; ".join(
            ", ".join(f"{k}={v}" for k, v in v_.items()) for v_ in res.violations))
    res.violations = []


def units_at(ctx: CheckInputs, level: str) -> pd.DataFrame:
    """Units of ``level`` (county, town, village) with columns code, name, county, ur_code."""
    if ctx.units is not None:
        u = ctx.units[ctx.units["level"] == level].copy()
        u["county"] = u["county"] if "county" in u.columns else ""
        u["ur_code"] = u["ur_code"] if "ur_code" in u.columns else ""
        return u[["code", "name", "county", "ur_code"]].reset_index(drop=True)
    if ctx.unit_boundaries is not None and "level" in ctx.unit_boundaries.columns:
        b = ctx.unit_boundaries[ctx.unit_boundaries["level"] == level]
        code = b["adcode"].astype(str) if "adcode" in b.columns else b.index.astype(str)
        return pd.DataFrame({"code": code.to_numpy(), "name": b["name"].to_numpy(),
                             "county": b["name"].to_numpy() if level == "county" else "", "ur_code": ""})
    return pd.DataFrame(columns=["code", "name", "county", "ur_code"])


def assign_units(ctx: CheckInputs, subjects: pd.DataFrame, units: pd.DataFrame, level: str) -> tuple[np.ndarray, str]:
    """The unit code of each subject ('' when unknown) and how it was found."""
    codes = np.full(len(subjects), "", dtype=object)
    by_code = {str(c): str(c) for c in units["code"]}
    by_name: dict[str, str] = {}
    for c, n in zip(units["code"], units["name"]):
        by_name.setdefault(str(n), str(c))
        by_name.setdefault(_short(n), str(c))
    columns = ["county"] if level == "county" else (["unit", "town"] if level == "town" else ["unit"])
    how = ""
    for i in range(len(subjects)):
        found = []
        for column in columns:
            for v in str(subjects[column].iloc[i]).replace("；", ";").split(";"):
                v = v.strip()
                if not v:
                    continue
                c = by_code.get(v) or by_name.get(v) or by_name.get(_short(v))
                if c:
                    found.append(c)
            if found:
                break
        codes[i] = ";".join(dict.fromkeys(found))
    if (codes != "").any():
        how = f"the facilities' {' / '.join(repr(c) for c in columns)} column"
    b = ctx.unit_boundaries
    if b is not None and "level" in b.columns and (b["level"] == level).any():
        import geopandas as gpd

        todo = (codes == "") & ~(subjects["lon"].isna() | subjects["lat"].isna()).to_numpy()
        if todo.any():
            pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(subjects.loc[todo, "lon"], subjects.loc[todo, "lat"]), crs=4326)
            polys = b[b["level"] == level].reset_index(drop=True)
            joined = gpd.sjoin(pts, polys[["geometry"]].assign(_k=np.arange(len(polys))), predicate="within", how="left")
            joined = joined[~joined.index.duplicated()]
            names = polys["name"].astype(str).to_numpy()
            k = joined["_k"].to_numpy()
            found = ~pd.isna(k)
            idx = np.flatnonzero(todo)
            for j, (ok, kk) in enumerate(zip(found, k)):
                if ok:
                    codes[idx[j]] = by_name.get(names[int(kk)], names[int(kk)])
            how = (how + " and " if how else "") + "point in polygon"
    return codes, how


def unit_coverage(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Share of units (街道, 社区, 村) with at least one matching facility, against ``min_share``."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    units = all_units = units_at(ctx, p["unit_level"])
    if len(units) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no {p['unit_level']} units: give the scenario a units table (units.table)", params=dict(p))
    if p["unit_name_matches"]:
        units = units[units["name"].astype(str).str.contains(p["unit_name_matches"], regex=True)]
    if p["urban_only"]:
        units = units[units["ur_code"].astype(str).str.startswith("1")]
    if p["population_range"] is not None:
        lo, hi = p["population_range"]
        pops = ctx.population_by(p["unit_level"], p["population_indicator"])
        if len(pops) == 0:
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                              f"no {p['population_indicator']} for {p['unit_level']} units: the {lo:g}-{hi:g} population band "
                              "cannot be applied (add unit populations to the population file)", params=dict(p))
        code_pop = dict(zip(pops["code"].astype(str), pops["value"])) if "code" in pops.columns else {}
        known = units["code"].astype(str).map(code_pop)
        if known.isna().any():
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                              f"population unknown for {int(known.isna().sum())} of {len(units)} units", params=dict(p))
        units = units[(known >= lo) & (known <= hi)]
    units = units.reset_index(drop=True)
    if not ctx.have_subject_data(rule.applies_to):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no facility data: pass --facilities F.csv with a 'unit' column or coordinates", params=dict(p))
    subjects, maybe = ctx.subjects(rule.applies_to), ctx.undetermined(rule.applies_to)
    # Place facilities among all units of the level, so one outside the filter is not 'unplaced'.
    codes, how = assign_units(ctx, subjects, all_units, p["unit_level"])
    maybe_codes, maybe_how = assign_units(ctx, maybe, all_units, p["unit_level"])
    if (len(subjects) and not how) or (not len(subjects) and len(maybe) and not maybe_how):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"cannot place facilities in {p['unit_level']} units: add a 'unit' column (unit code or name) "
                          f"or give {p['unit_level']} polygons in units.boundaries", params=dict(p))
    has = units["code"].astype(str).isin(_codes(codes)).to_numpy()
    n = len(units)
    res.figures.update({"units": n, "covered": int(has.sum()), "min_share": p["min_share"],
                        "facilities": len(subjects), "facilities_unplaced": int((codes == "").sum())})
    if n == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", "no unit matches the filter",
                          figures=res.figures, params=dict(p))
    share = has.sum() / n
    res.figures["share"] = float(share)
    res.details = units.assign(has_facility=has)
    if how:
        res.notes.append(f"facilities placed by {how}")
    _list_unsettled(res, subjects, codes, maybe)
    if share < p["min_share"] - 1e-9:
        # Facilities without a unit, and rows the rule may mean, could each cover one more unit.
        could = units["code"].astype(str).isin(_codes(codes) | _codes(maybe_codes)).to_numpy()
        unplaced = int((codes == "").sum()) + int((maybe_codes == "").sum())
        if (could.sum() + unplaced) / n >= p["min_share"] - 1e-9:
            res.status = "not_evaluable"
            res.reason = (f"{int(could.sum() - has.sum()) + unplaced} facilities could not be placed in a unit"
                          + (" or may not be meant by the rule" if len(maybe) else "") + "; they could close the gap")
        else:
            res.status = "fail"
            for _, u in units[~has].iterrows():
                res.violations.append({"unit_code": u["code"], "unit": u["name"], "county": u["county"],
                                       "problem": "no facility"})
            if existing_unknown(rule, ctx):
                _demote(res, f"{n - int(has.sum())} of {n} units without a facility ({share:.0%} covered)")
    return res


register(
    "unit_coverage",
    {
        "unit_level": Param("str", choices=("county", "town", "village")),
        "unit_name_matches": Param("str?", None, doc="regex on unit names, e.g. 街道 (sub-districts) or 社区 (communities)"),
        "urban_only": Param("bool", False, doc="only units whose urban-rural code starts with 1 (城镇)"),
        "min_share": Param("number", doc="minimum share of units with at least one facility, 0-1"),
        "population_range": Param("list[number]?", None, doc="only units whose population lies in [min, max]"),
        "population_indicator": Param("str", "population"),
    },
)(unit_coverage)


def _codes(codes: np.ndarray) -> set[str]:
    """The unit codes in :func:`assign_units` output (a facility may name several, ';'-joined)."""
    return {c for cs in codes if cs for c in str(cs).split(";")}


def _list_unsettled(res: RuleResult, subjects: pd.DataFrame, codes: np.ndarray, maybe: pd.DataFrame) -> None:
    """Note the facilities placed in no unit and the rows the rule may or may not mean, by id."""
    if (codes == "").any():
        res.notes.append(f"{int((codes == '').sum())} facilit(ies) could not be placed in a unit "
                         f"({ids_where(subjects, codes == '')})")
    if len(maybe):
        res.notes.append(undetermined_note(maybe))


def _county_of(ctx: CheckInputs, subjects: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    counties = units_at(ctx, "county")
    codes, _ = assign_units(ctx, subjects, counties, "county")
    names = dict(zip(counties["code"].astype(str), counties["name"].astype(str)))
    return counties, np.array([names.get(c, "") for c in codes], dtype=object)


def count_per_unit(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Every county needs at least ``min_count`` matching facilities (existing or planned)."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    if not ctx.have_subject_data(rule.applies_to):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no facility data: pass --facilities F.csv (or projects in the scenario)", params=dict(p))
    subjects, maybe = ctx.subjects(rule.applies_to), ctx.undetermined(rule.applies_to)
    counties, where = _county_of(ctx, subjects)
    if len(counties) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no county list: give the scenario a units table or county boundaries", params=dict(p))
    maybe_where = _county_of(ctx, maybe)[1]
    counts = {n: int((where == n).sum()) for n in counties["name"].astype(str)}
    unplaced = int((where == "").sum())
    res.details = pd.DataFrame({"county": list(counts), "count": list(counts.values())})
    res.figures.update({"counties": len(counts), "facilities": len(subjects), "facilities_without_county": unplaced,
                        "min_count": p["min_count"],
                        "counties_meeting": sum(v >= p["min_count"] for v in counts.values())})
    short = [n for n, v in counts.items() if v < p["min_count"]]
    if unplaced:
        res.notes.append(f"{unplaced} facilit(ies) have no county: " + ", ".join(subjects.loc[where == "", "id"].astype(str)))
    if len(maybe):
        res.notes.append(undetermined_note(maybe))
    # Rows the rule may mean count where they are; those without a county could go anywhere.
    still = sum(max(0, p["min_count"] - counts[n] - int((maybe_where == n).sum())) for n in short)
    if short:
        if unplaced + int((maybe_where == "").sum()) >= still:
            res.status = "not_evaluable"
            res.reason = f"{', '.join(short)} short of {p['min_count']}, but {unplaced} facilities have no county" + (
                f" and {len(maybe)} may or may not count" if len(maybe) else "")
        else:
            res.status = "fail"
            for n in short:
                res.violations.append({"county": n, "count": counts[n], "needed": p["min_count"]})
            if existing_unknown(rule, ctx):
                _demote(res, f"{', '.join(short)} short of {p['min_count']}")
    matched = subjects.assign(county_found=where)[["id", "name", "county_found", "owner_kind", "origin"]]
    listed = [f"{i} {n} ({c or '?'})" for i, n, c in zip(matched["id"], matched["name"], matched["county_found"])]
    res.notes.append("counted: " + "; ".join(listed) if listed else "no matching facility")
    return res


register(
    "count_per_unit",
    {
        "unit_level": Param("str", "county", choices=("county",)),
        "min_count": Param("int", 1, doc="facilities needed in every unit"),
    },
)(count_per_unit)


def tier_completeness(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Every county has facilities of each tier (county, township, village)."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    if not ctx.have_subject_data(rule.applies_to):
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no facility data: pass --facilities F.csv with a 'tier' column", params=dict(p))
    subjects, maybe = ctx.subjects(rule.applies_to), ctx.undetermined(rule.applies_to)
    if len(subjects) == 0 or (subjects["tier"].astype(str) == "").all():
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no facility tiers: add a 'tier' column (county, township, village) to the facility file",
                          params=dict(p))
    counties, where = _county_of(ctx, subjects)
    if len(counties) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no county list: give the scenario a units table or county boundaries", params=dict(p))
    # Who could fill a missing tier: any row (counted or maybe) whose county and tier are that one or unknown.
    anyone = pd.DataFrame({"county": np.concatenate([where, _county_of(ctx, maybe)[1]]),
                           "tier": np.concatenate([subjects["tier"].astype(str), maybe["tier"].astype(str)])})
    rows: list[dict[str, Any]] = []
    open_: list[str] = []
    complete = 0
    for name in counties["name"].astype(str):
        mine = subjects[where == name]
        present = {t: int((mine["tier"] == t).sum()) for t in p["tiers"]}
        # n_<tier>: a tier named 'county' must not overwrite the county's name
        rows.append({"county": name, **{f"n_{t}": v for t, v in present.items()}})
        missing = [t for t, v in present.items() if v == 0]
        complete += not missing
        fillable = [t for t in missing if (anyone["county"].isin([name, ""]) & anyone["tier"].isin([t, ""])).any()]
        if missing and len(fillable) < len(missing):
            res.violations.append({"county": name, "missing_tiers": ", ".join(t for t in missing if t not in fillable)})
        open_ += [f"{name}: {t}" for t in fillable]
    res.details = pd.DataFrame(rows)
    untiered = int((subjects["tier"].astype(str) == "").sum())
    res.figures.update({"counties": len(rows), "complete": complete, "facilities_without_tier": untiered})
    unsettled = ([f"{untiered} facilities have no tier ({ids_where(subjects, subjects['tier'].astype(str) == '')})"]
                 if untiered else []) + ([undetermined_note(maybe)] if len(maybe) else [])
    if res.violations:
        res.status = "fail"
        res.notes += ([f"also open: {', '.join(open_)}"] if open_ else []) + unsettled
        if existing_unknown(rule, ctx):
            _demote(res, f"{len(res.violations)} county(ies) missing a tier")
    elif open_:
        res.status = "not_evaluable"
        res.reason = (f"{len(open_)} missing tier(s) ({', '.join(open_)}) could be filled by facilities without a tier "
                      "or county, or that the rule may mean; " + "; ".join(unsettled or ["state their tier and county"]))
    return res


register(
    "tier_completeness",
    {"tiers": Param("list[str]", ["county", "township", "village"], doc="tiers every county needs")},
)(tier_completeness)
