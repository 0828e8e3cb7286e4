"""Rules per area: a share in the city and in every county (C13 inclusive beds ≥ 60 % per county,
C14 inclusive childcare places ≥ 65 %), and a supply per 1,000 people or per 100 households in a
class of areas (C5 10 places per 1,000 residents of new estates, D1-D7 m² per 100 households,
C16-C18 beds and staff per 1,000 people in the city or a county).

Unknowns are bounded as in :mod:`siting.rules.kinds.capacity`: an institution whose inclusive
status is unknown counts as inclusive and as not; one without a county may be in any county; an
estate whose supply, households or class is not stated is not judged and is named.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.rules.context import CheckInputs
from siting.rules.kinds.capacity import ShareBounds, judge_bounds, supply_bounds
from siting.rules.kinds.units import assign_units, units_at
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule
from siting.rules.unknowns import absent_sources, bounded_share, settle


def part_column(frame: pd.DataFrame, p: dict[str, Any]) -> np.ndarray:
    """The part of each row's whole: the part column where stated (``part``, or ``inclusive_beds`` for
    the flag ``inclusive`` over ``beds``), else the whole when the ``part_flag`` is yes and 0 when it
    is no; NaN (unknown) otherwise."""
    n = len(frame)
    whole = pd.to_numeric(frame[p["whole"]], errors="coerce").to_numpy(float) if n else np.zeros(0)
    part = np.full(n, np.nan)
    if part_name(p) in frame.columns:
        part = pd.to_numeric(frame[part_name(p)], errors="coerce").to_numpy(float)
    if p["part_flag"] and p["part_flag"] in frame.columns:
        flag = frame[p["part_flag"]].astype("boolean")
        by_flag = np.where(flag.fillna(False).to_numpy(bool), whole, 0.0)
        part = np.where(np.isnan(part) & ~flag.isna().to_numpy(), by_flag, part)
    return part


def part_name(p: dict[str, Any]) -> str:
    """The name of the part column (``inclusive_beds`` for the flag ``inclusive`` over ``beds``)."""
    return str(p["part"] or f"{p['part_flag']}_{p['whole']}")


def share_per_unit(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """part / whole must reach ``min_share`` city-wide and in every county (each bounded over the unknowns)."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    origins = [o for o, on in (("projects", p["include_projects"]), ("facilities", p["include_facilities"])) if on]
    applies = {**rule.applies_to, "from": [o for o in rule.applies_to.get("from", origins) if o in origins]}
    absent = absent_sources(applies["from"], ctx)
    rows, maybe = ctx.subjects(applies), ctx.undetermined(applies)
    part = part_name(p)
    rows, maybe = rows.assign(**{part: part_column(rows, p)}), maybe.assign(**{part: part_column(maybe, p)})
    base = [0.0, 0.0]
    if p["baseline_whole"]:
        whole, _ = ctx.baseline(p["baseline_whole"])
        stated, _ = ctx.baseline(p["baseline_part"]) if p["baseline_part"] else (None, None)
        if whole is None:
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                              f"baseline '{p['baseline_whole']}' missing: give the scenario a baselines file with that key",
                              params=dict(p))
        base = [0.0 if stated is None else stated, whole]
        res.notes.append(f"baseline: {'unknown' if stated is None else f'{stated:g}'} of {whole:g} {p['whole']}")
    table = []
    if "city" in p["levels"]:
        table.append(_share_row("city", "city", rows, maybe, p, base, absent, base_open=p["baseline_whole"] is not None
                                and not p["baseline_part"]))
    if "county" in p["levels"]:
        table += _county_rows(ctx, rows, maybe, p, absent)
    return _share_verdict(res, table, p)


register(
    "share_per_unit",
    {
        "whole": Param("str", doc="column of the whole", choices=("beds", "places")),
        "part": Param("str?", None, doc="column of the part where stated, e.g. inclusive_beds"),
        "part_flag": Param("str?", None, doc="yes/no column: yes makes the whole the part, e.g. inclusive"),
        "min_share": Param("number", doc="minimum share, 0-1"),
        "levels": Param("list[str]", ["city", "county"], doc="city and/or county"),
        "baseline_whole": Param("str?", None, doc="baselines key of the existing whole (city-wide)"),
        "baseline_part": Param("str?", None, doc="baselines key of the existing part (city-wide)"),
        "include_projects": Param("bool", True),
        "include_facilities": Param("bool", True),
    },
)(share_per_unit)


def _share_row(level: str, unit: str, rows: pd.DataFrame, maybe: pd.DataFrame, p: dict[str, Any], base: list[float],
               absent: list[str], base_open: bool = False) -> dict[str, Any]:
    b = ShareBounds(rows, maybe, part_name(p), p["whole"], base[0], base[1], base[1] if base_open else 0.0)
    low, high = (0.0, 1.0) if absent else b.bounds()
    unknown = b.unknown(rows, maybe) + [f"no {o} file: its institutions are unknown" for o in absent]
    if b.whole <= 0 or (not len(rows) and base[1] <= 0):
        # No whole surely counted: the complete table may have none either (0 / 0), so no verdict.
        return {"level": level, "unit": unit, "share_low": np.nan, "share_high": np.nan, "status": "not_evaluable",
                "reason": "; ".join([f"no {p['whole']} stated"] + unknown)}
    return {"level": level, "unit": unit, "whole": b.whole, "part_known": b.part_known, "share_low": low,
            "share_high": high, "status": judge_bounds(low, high, p["min_share"]), "reason": "; ".join(unknown)}


def _county_rows(ctx: CheckInputs, rows: pd.DataFrame, maybe: pd.DataFrame, p: dict[str, Any],
                 absent: list[str]) -> list[dict[str, Any]]:
    counties = units_at(ctx, "county")
    if len(counties) == 0:
        return [{"level": "county", "unit": "counties", "status": "not_evaluable",
                 "reason": "no county list: give the scenario a units table or county boundaries"}]
    names = dict(zip(counties["code"].astype(str), counties["name"].astype(str)))
    where = np.array([names.get(c.split(";")[0], "") for c in assign_units(ctx, rows, counties, "county")[0]], dtype=object) \
        if len(rows) else np.zeros(0, dtype=object)
    m_where = np.array([names.get(c.split(";")[0], "") for c in assign_units(ctx, maybe, counties, "county")[0]],
                       dtype=object) if len(maybe) else np.zeros(0, dtype=object)
    nowhere = pd.concat([rows[where == ""].assign(unknown="county"), maybe[m_where == ""]], ignore_index=True)
    out = []
    for name in counties["name"].astype(str):
        if p["baseline_whole"]:
            out.append({"level": "county", "unit": name, "status": "not_evaluable",
                        "reason": "the baseline stock is stated city-wide only; county stock unknown"})
            continue
        mine = pd.concat([maybe[m_where == name], nowhere], ignore_index=True)
        out.append(_share_row("county", name, rows[where == name].reset_index(drop=True), mine, p, [0.0, 0.0], absent))
    return out


def _share_verdict(res: RuleResult, table: list[dict[str, Any]], p: dict[str, Any]) -> RuleResult:
    res.details = pd.DataFrame(table)
    res.figures["min_share"] = p["min_share"]
    for row in table:
        if row["level"] == "city" and row["status"] != "not_evaluable":
            res.figures["share"] = row["share_low"] if row["status"] == "pass" else row["share_high"]
        if row["status"] == "fail":
            res.violations.append({"unit": row["unit"], "level": row["level"], "share": round(row["share_high"], 4),
                                   "min_share": p["min_share"]})
        elif row["status"] == "not_evaluable":
            low, high = row.get("share_low", np.nan), row.get("share_high", np.nan)
            span = f"; the share lies between {low:.1%} and {high:.1%}" if np.isfinite(low) and np.isfinite(high) else ""
            row["reason"] = (row["reason"] or "") + span
    statuses = [r["status"] for r in table]
    skipped = [f"{r['unit']}: {r['reason']}" for r in table if r["status"] == "not_evaluable"]
    settle(res, skipped, failed="fail" in statuses, note_prefix="not judged: ")
    return res


# ---- supply per 1,000 people (or per 100 households) in a class of areas ---------------------------

def ratio_per_area(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Supply per ``per`` people (or households) in each area must reach ``min_ratio``, in at least
    ``min_share`` of the areas: residential estates of a class (the estates table) or the city/counties."""
    p = rule.params
    if p["areas"] == "estate":
        table = _estate_rows(ctx, p)
        if isinstance(table, str):
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", table, params=dict(p))
    else:
        table = _census_rows(rule, ctx)
        if isinstance(table, str):
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", table, params=dict(p))
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p), details=pd.DataFrame(table))
    sure = [r["state"] for r in table if r["meant"]]
    maybe = [r["state"] for r in table if not r["meant"]]
    low, high = bounded_share(sure, maybe) if sure else (np.nan, np.nan)
    res.figures.update({"areas": len(sure), "areas_meeting": sum(s is True for s in sure), "min_ratio": p["min_ratio"],
                        "min_share": p["min_share"], "share_low": low, "share_high": high})
    if not sure:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", f"no {p['areas']} matches the rule",
                          figures=res.figures, params=dict(p), details=res.details)
    res.status = judge_bounds(low, high, p["min_share"])
    res.figures["share"] = low if res.status == "pass" else high
    for r in table:
        if r["meant"] and r["state"] is False:
            most = r.get("supply_high", r["supply"])
            res.violations.append({"id": r["id"], "unit": r["name"], "supply": most, "needed": round(r["needed"], 2),
                                   "gap": round(r["needed"] - most, 2)})
    open_ = [f"{r['name']}: {r['why']}" for r in table if r["state"] is None]
    if res.status == "not_evaluable":
        res.violations = []
        res.reason = "; ".join(open_) + f"; the share lies between {low:.1%} and {high:.1%}"
    elif open_:
        res.notes.append(("passes" if res.status == "pass" else "fails") + " whatever the unknowns: " + "; ".join(open_))
    return res


register(
    "ratio_per_area",
    {
        "areas": Param("str", doc="estate (the estates table), county or city (census population)",
                       choices=("estate", "county", "city")),
        "area_class": Param("list[str]?", None, doc="estate classes judged: new, under_construction, old, built, renewal"),
        "quantity": Param("str", doc="the supply: an estate column (places, elderly_floor_area, childcare_floor_area) "
                                     "or a facility column summed per county/city (beds, doctors, ...)"),
        "base": Param("str", "population", ("population", "households", "none"),
                      doc="what the ratio is per: people, households, or none (an absolute minimum per area)"),
        "per": Param("number", 1000, doc="per how many (1,000 people; 100 households; 100,000 people)"),
        "min_ratio": Param("number", doc="minimum supply per `per` of the base (or per area with base none)"),
        "min_share": Param("number", 1.0, doc="share of the areas that must meet it, 0-1 (达标率)"),
        "population_indicator": Param("str", "population", doc="census indicator (county/city areas)"),
        "population_year": Param("int?", None, doc="census year (null: the scenario's)"),
    },
)(ratio_per_area)


def _needed(p: dict[str, Any], base: float) -> float:
    return p["min_ratio"] if p["base"] == "none" else p["min_ratio"] * base / p["per"]


def _estate_rows(ctx: CheckInputs, p: dict[str, Any]) -> list[dict[str, Any]] | str:
    e = ctx.estates
    if e is None:
        if p["base"] == "none":
            return f"no estates table: set estates in the scenario (a table of residential estates with estate_class and {p['quantity']})"
        return ("no estates table: set estates in the scenario (a table of residential estates with estate_class, "
                f"{p['base']} and {p['quantity']})")
    supply = pd.to_numeric(e[p["quantity"]], errors="coerce").to_numpy(float) if p["quantity"] in e.columns \
        else np.full(len(e), np.nan)
    base = np.ones(len(e)) if p["base"] == "none" else (pd.to_numeric(e[p["base"]], errors="coerce").to_numpy(float)
                                                         if p["base"] in e.columns else np.full(len(e), np.nan))
    rows = []
    for i, est in enumerate(e.to_dict("records")):
        cls = str(est.get("estate_class", ""))
        if p["area_class"] and cls and cls not in p["area_class"]:
            continue
        needed = _needed(p, base[i])
        why = "; ".join([f"the estate states no {p['quantity']}"] * bool(np.isnan(supply[i]))
                        + [f"the estate states no {p['base']}"] * bool(np.isnan(base[i])))
        state = None if why else bool(supply[i] >= needed - 1e-9)
        rows.append({"id": est["id"], "name": est["name"], "estate_class": cls or "unknown",
                     "meant": bool(cls) or not p["area_class"], "supply": supply[i], "base": base[i], "needed": needed,
                     "state": state, "why": why or ""})
    return rows


def _census_rows(rule: Rule, ctx: CheckInputs) -> list[dict[str, Any]] | str:
    p = rule.params
    if ctx.population is None:
        return "no population: give the scenario a population (census) file"
    if not ctx.have_subject_data(rule.applies_to):
        return "no facility data: pass --facilities F.csv (or --hospitals H.csv)"
    origins = rule.applies_to.get("from", ["facilities", "projects"])
    absent = absent_sources(origins, ctx)
    subjects, maybe = ctx.subjects(rule.applies_to), ctx.undetermined(rule.applies_to)
    for frame in (subjects, maybe):
        if p["quantity"] not in frame.columns:
            frame[p["quantity"]] = np.nan
        frame[p["quantity"]] = pd.to_numeric(frame[p["quantity"]], errors="coerce")
    pops = ctx.population_by(p["areas"], p["population_indicator"], p["population_year"])
    if p["areas"] == "city":
        return [_census_row("city", pops, subjects, maybe, p, absent)]
    counties = units_at(ctx, "county")
    names = dict(zip(counties["code"].astype(str), counties["name"].astype(str)))
    where = np.array([names.get(c.split(";")[0], "") for c in assign_units(ctx, subjects, counties, "county")[0]],
                     dtype=object) if len(subjects) else np.zeros(0, dtype=object)
    unplaced = subjects[where == ""].assign(unknown="county")
    return [_census_row(n, pops[pops["unit"].astype(str) == n], subjects[where == n],
                        pd.concat([maybe, unplaced], ignore_index=True), p, absent) for n in counties["name"].astype(str)]


def _census_row(name: str, pops: pd.DataFrame, rows: pd.DataFrame, maybe: pd.DataFrame, p: dict[str, Any],
                absent: list[str]) -> dict[str, Any]:
    s = supply_bounds(rows, maybe, p["quantity"], absent)
    row: dict[str, Any] = {"id": name, "name": name, "meant": True, "supply": s.low, "supply_high": s.high,
                           "base": np.nan, "needed": np.nan, "state": None, "why": ""}
    if len(pops) != 1:
        row["why"] = f"no {p['population_indicator']} for {name}" if len(pops) == 0 else \
            f"{p['population_indicator']} of {name} given for several years: set population_year"
        return row
    base = float(pops["value"].iloc[0])
    needed = _needed(p, base)
    row.update(base=base, needed=needed)
    verdict = judge_bounds(s.low, s.high, needed)
    row["state"] = {"pass": True, "fail": False}.get(verdict)
    if verdict == "not_evaluable":
        row["why"] = "; ".join(s.unknown) + f"; at least {s.low:,.0f} counted of the {needed:,.0f} needed"
    return row
