"""Capacity rules (the C rules): places per 1,000 people, total beds or places against a
target, and shares such as nursing beds / beds.

Supply is the plan's baseline stock (from the baselines file) plus the planned
projects (and the facility file, when the rule says so). A figure that is
missing makes the rule ``not_evaluable`` unless the known part already decides
it (e.g. planned beds alone reach the target).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.rules.context import CheckInputs
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule

EPS = 1e-9

_SUPPLY_PARAMS = {
    "quantity": Param("str", doc="column summed as supply", choices=("places", "beds", "nursing_beds")),
    "baseline": Param("str?", None, doc="baselines key of the existing stock (city-wide), e.g. childcare_places_existing"),
    "include_projects": Param("bool", True, doc="add the planned projects"),
    "include_facilities": Param("bool", False, doc="add the facility file (when it lists facilities not in the baseline)"),
}


def _supply(rule: Rule, ctx: CheckInputs) -> tuple[pd.DataFrame, list[str]]:
    """Rows that add supply, after ``applies_to``; and the names of the sources used."""
    p = rule.params
    origins = []
    if p["include_projects"]:
        origins.append("projects")
    if p["include_facilities"]:
        origins.append("facilities")
    applies = dict(rule.applies_to)
    applies["from"] = [o for o in applies.get("from", origins) if o in origins]
    rows = ctx.subjects(applies)
    used = [o for o in applies["from"] if getattr(ctx, o) is not None]
    return rows, used


def _baseline(rule: Rule, ctx: CheckInputs, res: RuleResult) -> tuple[float | None, str | None]:
    key = rule.params.get("baseline")
    if key is None:
        return 0.0, None
    value, entry = ctx.baseline(key)
    if value is None:
        return None, f"baseline '{key}' missing: give the scenario a baselines file with that key"
    res.figures["baseline"] = value
    if entry and entry.get("source"):
        res.notes.append(f"baseline {key} = {value:g} ({entry.get('source')}: 「{entry.get('quote', '')}」)")
    return value, None


@register(
    "capacity_total",
    {**_SUPPLY_PARAMS, "min_total": Param("number", doc="target: supply must reach at least this")},
)
def capacity_total(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Baseline stock + planned supply must reach ``min_total``."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    rows, used = _supply(rule, ctx)
    planned = float(np.nansum(rows[p["quantity"]].to_numpy(float))) if len(rows) else 0.0
    unknown = int(rows[p["quantity"]].isna().sum()) if len(rows) else 0
    base, why = _baseline(rule, ctx, res)
    res.figures.update({"added_" + "_".join(used or ["none"]): planned, "target": p["min_total"]})
    if unknown:
        res.notes.append(f"{unknown} project(s)/facilities state no {p['quantity']} and add nothing")
    if not used and p["baseline"] is None:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no supply data: give planned projects or a facility file", params=dict(p))
    if base is None:
        if planned >= p["min_total"] - EPS:
            res.notes.append("the planned supply alone reaches the target; the baseline is not needed")
            res.figures["total"] = planned
            return res
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", str(why), figures=res.figures,
                          notes=res.notes, params=dict(p))
    total = base + planned
    res.figures["total"] = total
    res.figures["gap"] = max(0.0, p["min_total"] - total)
    if total < p["min_total"] - EPS:
        res.status = "fail"
        res.violations.append({"unit": "city", "total": total, "target": p["min_total"], "gap": p["min_total"] - total})
    return res


@register(
    "capacity_ratio",
    {
        **_SUPPLY_PARAMS,
        "min_per_1000": Param("number", doc="minimum supply per 1,000 people"),
        "population_indicator": Param("str", "population", doc="census indicator used as the denominator"),
        "population_year": Param("int?", None, doc="census year (null: the scenario's, else any)"),
        "levels": Param("list[str]", ["city", "county"], doc="levels to judge: city and/or county"),
    },
)
def capacity_ratio(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Supply per 1,000 people, city-wide and per county, against ``min_per_1000`` (a ratio equal to it passes)."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    if ctx.population is None:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no population: give the scenario a population (census) file", params=dict(p))
    rows, used = _supply(rule, ctx)
    base, why = _baseline(rule, ctx, res)
    q = p["quantity"]
    year = p["population_year"]
    table: list[dict[str, Any]] = []
    if "city" in p["levels"]:
        pop = ctx.population_by("city", p["population_indicator"], year)
        planned = float(np.nansum(rows[q].to_numpy(float))) if len(rows) else 0.0
        row: dict[str, Any] = {"level": "city", "unit": pop["unit"].iloc[0] if len(pop) else "city",
                               "population": float(pop["value"].iloc[0]) if len(pop) else np.nan,
                               "baseline": base, "added": planned}
        if len(pop) == 0:
            row.update(status="not_evaluable", reason=f"no city {p['population_indicator']} in the population file")
        elif base is None:
            row.update(status="not_evaluable", reason=str(why))
        else:
            row["supply"] = base + planned
        table.append(row)
    if "county" in p["levels"]:
        pops = ctx.population_by("county", p["population_indicator"], year)
        counties = sorted(set(rows["county"].astype(str)) - {""}) if len(rows) else []
        names = list(pops["unit"]) + [c for c in counties if c not in set(pops["unit"])]
        for name in names:
            mine = rows[rows["county"].astype(str) == name] if len(rows) else rows
            added = float(np.nansum(mine[q].to_numpy(float))) if len(mine) else 0.0
            pop_row = pops[pops["unit"] == name]
            row = {"level": "county", "unit": name, "population": float(pop_row["value"].iloc[0]) if len(pop_row) else np.nan,
                   "baseline": np.nan, "added": added}
            if len(pop_row) == 0:
                row.update(status="not_evaluable", reason=f"no {p['population_indicator']} for {name}")
            elif p["baseline"] is not None:
                # Baselines are stated city-wide only; the county stock is unknown.
                row.update(status="not_evaluable", reason="the baseline stock is stated city-wide only; county stock unknown")
            else:
                row["supply"] = added
            table.append(row)
    for row in table:
        if "supply" in row:
            ratio = row["supply"] / row["population"] * 1000.0
            row["per_1000"] = ratio
            row["needed"] = p["min_per_1000"] * row["population"] / 1000.0
            row["status"] = "pass" if ratio >= p["min_per_1000"] - EPS else "fail"
            row["reason"] = ""
    details = pd.DataFrame(table)
    res.details = details
    for row in table:
        if row.get("status") == "fail":
            res.violations.append({"unit": row["unit"], "level": row["level"], "per_1000": round(row["per_1000"], 4),
                                   "supply": row["supply"], "population": row["population"],
                                   "needed": round(row["needed"], 1), "gap": round(row["needed"] - row["supply"], 1)})
        if row["level"] == "city" and "per_1000" in row:
            res.figures.update({"city_per_1000": row["per_1000"], "city_supply": row["supply"],
                                "city_population": row["population"], "city_needed": row["needed"]})
    res.figures["min_per_1000"] = p["min_per_1000"]
    res.figures["added_from"] = " + ".join(used) or "none"
    statuses = [r.get("status") for r in table]
    if not table:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", "no units to judge", params=dict(p))
    if "fail" in statuses:
        res.status = "fail"
        skipped = [f"{r['unit']}: {r['reason']}" for r in table if r.get("status") == "not_evaluable"]
        if skipped:
            res.notes.append("not judged: " + "; ".join(skipped))
    elif "not_evaluable" in statuses:
        res.status = "not_evaluable"
        res.reason = "; ".join(f"{r['unit']}: {r['reason']}" for r in table if r.get("status") == "not_evaluable")
    return res


@register(
    "share",
    {
        "numerator": Param("str", doc="column counted in the share, e.g. nursing_beds", choices=("nursing_beds", "beds", "places")),
        "denominator": Param("str", doc="column of the whole, e.g. beds", choices=("beds", "places")),
        "min_share": Param("number", doc="minimum share, 0-1 (0.55 for 55 %)"),
        "baseline_denominator": Param("str?", None, doc="baselines key of the existing whole (e.g. elderly_beds_existing)"),
        "baseline_share_pct": Param("str?", None, doc="baselines key of the existing share in percent"),
        "include_projects": Param("bool", True),
        "include_facilities": Param("bool", True),
    },
)
def share(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """numerator / denominator over the institutions (plus the baseline) must reach ``min_share``.

    Institutions that state the whole but not the part are bounded both ways: counted as 0
    and as all; only when both bounds agree is the rule judged, otherwise ``not_evaluable``.
    """
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    origins = [o for o, on in (("projects", p["include_projects"]), ("facilities", p["include_facilities"])) if on]
    applies = dict(rule.applies_to)
    applies["from"] = [o for o in applies.get("from", origins) if o in origins]
    rows = ctx.subjects(applies)
    den = rows[p["denominator"]].to_numpy(float) if len(rows) else np.zeros(0)
    num = rows[p["numerator"]].to_numpy(float) if len(rows) else np.zeros(0)
    has_den = ~np.isnan(den)
    known = has_den & ~np.isnan(num)
    unknown = has_den & np.isnan(num)
    base_num = base_den = 0.0
    base_unknown = 0.0
    if p["baseline_denominator"] is not None:
        bd, entry = ctx.baseline(p["baseline_denominator"])
        if bd is None:
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                              f"baseline '{p['baseline_denominator']}' missing: give the scenario a baselines file with that key",
                              params=dict(p))
        bs, sentry = ctx.baseline(p["baseline_share_pct"]) if p["baseline_share_pct"] else (None, None)
        base_den = bd
        if bs is None:
            # The existing whole is known but its share is not: it widens the bounds.
            base_unknown = bd
            res.notes.append(f"baseline: {bd:g} {p['denominator']} with an unknown share ({(entry or {}).get('source', '')})")
        else:
            base_num = bd * bs / 100.0
            res.notes.append(f"baseline: {bd:g} {p['denominator']} at {bs:g} % ({(sentry or {}).get('source', '')})")
    total_den = base_den + float(den[has_den].sum())
    low = base_num + float(num[known].sum())
    high = low + float(den[unknown].sum()) + base_unknown
    res.figures.update({"institutions": int(has_den.sum()), "part_unknown": int(unknown.sum()),
                        "whole": total_den, "part_known": low, "min_share": p["min_share"]})
    if total_den <= 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no {p['denominator']} stated by any institution or baseline", figures=res.figures, params=dict(p))
    lo, hi = low / total_den, high / total_den
    res.figures["share_low"] = lo
    res.figures["share_high"] = hi
    if lo >= p["min_share"] - EPS:
        res.figures["share"] = lo
        if unknown.any():
            res.notes.append("passes even if the unknown institutions have no " + p["numerator"])
    elif hi < p["min_share"] - EPS:
        res.status = "fail"
        res.figures["share"] = hi
        res.violations.append({"unit": "all", "share": round(hi, 4), "min_share": p["min_share"]})
        if unknown.any() or base_unknown:
            res.notes.append(f"fails even if all {p['denominator']} of the {int(unknown.sum())} unknown institutions were {p['numerator']}")
    else:
        ids = ", ".join(rows.loc[unknown, "id"].astype(str))
        what = [f"{p['numerator']} unknown for {int(unknown.sum())} of {int(has_den.sum())} institutions ({ids})"] if unknown.any() else []
        if base_unknown:
            what.append(f"the share of the {base_unknown:g} existing {p['denominator']} is not stated")
        res.status = "not_evaluable"
        res.reason = "; ".join(what) + f"; the share lies between {lo:.1%} and {hi:.1%}"
    return res
