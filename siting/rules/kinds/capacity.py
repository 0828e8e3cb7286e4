"""Capacity rules (the C rules): places per 1,000 people, total beds or places against a
target, and shares such as nursing beds / beds.

Supply is the plan's baseline stock (from the baselines file) plus the planned projects
(and the facility file, when the rule says so). What is not known is bounded, never counted
as 0: a project that states no places adds at least nothing and at most any number, and so
does a source the rule counts but the inputs lack (no projects file). The supply therefore
lies between a lower and an upper bound; the rule passes when the lower bound reaches the
target, fails when the upper bound misses it, and is ``not_evaluable`` in between, naming
what is unknown (docs/VERDICTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from siting.rules.context import CheckInputs, several_years
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule
from siting.rules.unknowns import absent_sources, ids_where, listing, settle

EPS = 1e-9

_SUPPLY_PARAMS = {
    "quantity": Param("str", doc="column summed as supply", choices=("places", "beds", "nursing_beds")),
    "baseline": Param("str?", None, doc="baselines key of the existing stock (city-wide), e.g. childcare_places_existing"),
    "include_projects": Param("bool", True, doc="add the planned projects"),
    "include_facilities": Param("bool", False, doc="add the facility file (when it lists facilities not in the baseline)"),
}


@dataclass
class Supply:
    """Bounds on the supply some rows add: ``low`` counts every unknown quantity as 0, ``high`` is
    infinite when a quantity (or a whole source) is unknown; ``unknown`` says what is."""

    low: float = 0.0
    high: float = 0.0
    unknown: list[str] = field(default_factory=list)


def supply_bounds(rows: pd.DataFrame, maybe: pd.DataFrame, quantity: str, absent: list[str]) -> Supply:
    """The :class:`Supply` of ``rows`` (counted) and ``maybe`` (rows that may count; ``unknown`` says why).

    ``absent`` names the sources the rule counts but the inputs lack.
    """
    q = rows[quantity].to_numpy(float) if len(rows) else np.zeros(0)
    m = maybe[quantity].to_numpy(float) if len(maybe) else np.zeros(0)
    out = Supply(float(np.nansum(q)), float(np.nansum(q) + np.nansum(m)))
    if np.isnan(q).any():
        out.unknown.append(f"{quantity} unknown for {int(np.isnan(q).sum())} row(s) ({ids_where(rows, np.isnan(q))})")
    if len(maybe):
        items = [f"{i} ({u} unknown)" for i, u in zip(maybe["id"].astype(str), maybe["unknown"].astype(str))]
        out.unknown.append(f"{len(maybe)} row(s) may count ({listing(items)})")
    out.unknown += [f"no {source} file: its {quantity} are unknown" for source in absent]
    if np.isnan(q).any() or np.isnan(m).any() or absent:
        out.high = float("inf")
    return out


def _supply(rule: Rule, ctx: CheckInputs) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """Rows that add supply and rows that may (after ``applies_to``); the sources used and those absent."""
    p = rule.params
    origins = [o for o, on in (("projects", p["include_projects"]), ("facilities", p["include_facilities"])) if on]
    applies = dict(rule.applies_to)
    applies["from"] = [o for o in applies.get("from", origins) if o in origins]
    absent = absent_sources(applies["from"], ctx)
    used = [o for o in applies["from"] if o not in absent]
    return ctx.subjects(applies), ctx.undetermined(applies), used, absent


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


def judge_bounds(low: float, high: float, target: float) -> str:
    """'pass' when even ``low`` reaches ``target``, 'fail' when even ``high`` misses it, else 'not_evaluable'."""
    if low >= target - EPS:
        return "pass"
    if high < target - EPS:
        return "fail"
    return "not_evaluable"


def capacity_total(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Baseline stock + planned supply must reach ``min_total``."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    rows, maybe, used, absent = _supply(rule, ctx)
    if not used and p["baseline"] is None:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no supply data: give planned projects or a facility file", params=dict(p))
    s = supply_bounds(rows, maybe, p["quantity"], absent)
    base, why = _baseline(rule, ctx, res)
    res.figures.update({"added_" + "_".join(used or ["none"]): s.low, "target": p["min_total"]})
    if base is None:
        base, s.high = 0.0, float("inf")
        s.unknown.insert(0, str(why))
    low, high = base + s.low, base + s.high
    res.figures["total"] = low
    if low < high < float("inf"):
        res.figures["total_high"] = high
    res.status = judge_bounds(low, high, p["min_total"])
    if res.status == "fail":
        res.figures["gap"] = p["min_total"] - high
        res.violations.append({"unit": "city", "total": high, "target": p["min_total"], "gap": p["min_total"] - high})
    elif res.status == "pass":
        res.figures["gap"] = 0.0
    else:
        res.reason = "; ".join(s.unknown) + (f"; the supply is at least {low:,.0f} of the {p['min_total']:,.0f} needed"
                                             if low > 0 else "")
    if s.unknown and res.status != "not_evaluable":
        res.notes.append(("at least" if res.status == "pass" else "at most") + f" {low if res.status == 'pass' else high:,.0f}"
                         + " whatever the unknowns: " + "; ".join(s.unknown))
    return res


register(
    "capacity_total",
    {**_SUPPLY_PARAMS, "min_total": Param("number", doc="target: supply must reach at least this")},
)(capacity_total)


def _population(ctx: CheckInputs, level: str, indicator: str, year: int | None) -> tuple[pd.DataFrame, list[str]]:
    """Population rows of ``level`` and the units given more than once (several years, no year chosen)."""
    pops = ctx.population_by(level, indicator, year)
    return pops, several_years(pops)


def _ratio_rows(rule: Rule, ctx: CheckInputs, base: float | None,
                why: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per judged unit (city, counties): population, supply bounds and what is unknown; the sources used."""
    p = rule.params
    rows, maybe, used, absent = _supply(rule, ctx)
    q, ind, year = p["quantity"], p["population_indicator"], p["population_year"]
    table: list[dict[str, Any]] = []
    if "city" in p["levels"]:
        pop, twice = _population(ctx, "city", ind, year)
        s = supply_bounds(rows, maybe, q, absent)
        if base is None:
            s.unknown.insert(0, str(why))
        table.append({"level": "city", "unit": pop["unit"].iloc[0] if len(pop) else "city",
                      "population": float(pop["value"].iloc[0]) if len(pop) == 1 else np.nan,
                      "baseline": base, "added": s.low, "supply": (base or 0.0) + s.low,
                      "supply_high": (base or 0.0) + s.high if base is not None else float("inf"),
                      "unknown": s.unknown,
                      "missing": f"no city {ind} in the population file" if len(pop) == 0 else
                      f"city {ind} given for several years: set population_year" if twice else ""})
    if "county" in p["levels"]:
        pops, twice = _population(ctx, "county", ind, year)
        county = rows["county"].astype(str) if len(rows) else pd.Series([], dtype=str)
        m_county = maybe["county"].astype(str) if len(maybe) else pd.Series([], dtype=str)
        counties = sorted(set(county) - {""})
        unplaced = pd.concat([rows[(county == "").to_numpy()].assign(unknown="county"), maybe[(m_county == "").to_numpy()]],
                             ignore_index=True)
        for name in dict.fromkeys(list(pops["unit"].astype(str)) + [c for c in counties if c not in set(pops["unit"])]):
            s = supply_bounds(rows[(county == name).to_numpy()],
                              pd.concat([maybe[(m_county == name).to_numpy()], unplaced], ignore_index=True), q, absent)
            pop_row = pops[pops["unit"].astype(str) == name]
            missing = (f"no {ind} for {name}" if len(pop_row) == 0 else f"{ind} of {name} given for several years: "
                       "set population_year" if name in twice else
                       "the baseline stock is stated city-wide only; county stock unknown" if p["baseline"] is not None else "")
            table.append({"level": "county", "unit": name,
                          "population": float(pop_row["value"].iloc[0]) if len(pop_row) == 1 else np.nan,
                          "baseline": np.nan, "added": s.low, "supply": s.low, "supply_high": s.high,
                          "unknown": s.unknown, "missing": missing})
    return table, used


def _judge_ratio_row(row: dict[str, Any], min_per_1000: float) -> None:
    """Fill ``per_1000``, ``needed``, ``status`` and ``reason`` of one :func:`_ratio_rows` row."""
    unknown = row.pop("unknown")
    row["unknown"] = "; ".join(unknown)
    missing = row.pop("missing")
    if missing:
        row.update(status="not_evaluable", reason=missing)
        return
    row["per_1000"] = row["supply"] / row["population"] * 1000.0
    row["needed"] = min_per_1000 * row["population"] / 1000.0
    row["status"] = judge_bounds(row["supply"], row["supply_high"], row["needed"])
    row["reason"] = "" if row["status"] != "not_evaluable" else (
        "; ".join(unknown) + f"; at least {row['per_1000']:.3f} per 1,000 of the {min_per_1000:g} needed")


def capacity_ratio(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Supply per 1,000 people, city-wide and per county, against ``min_per_1000`` (a ratio equal to it passes)."""
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    if ctx.population is None:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "no population: give the scenario a population (census) file", params=dict(p))
    base, why = _baseline(rule, ctx, res)
    table, used = _ratio_rows(rule, ctx, base, why)
    if not table:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", "no units to judge", params=dict(p))
    for row in table:
        _judge_ratio_row(row, p["min_per_1000"])
    res.details = pd.DataFrame(table)
    for row in table:
        if row["status"] == "fail":
            high = row["supply_high"]
            res.violations.append({"unit": row["unit"], "level": row["level"],
                                   "per_1000": round(high / row["population"] * 1000.0, 4),
                                   "supply": high, "population": row["population"],
                                   "needed": round(row["needed"], 1), "gap": round(row["needed"] - high, 1)})
        if row["level"] == "city" and "per_1000" in row:
            res.figures.update({"city_per_1000": row["per_1000"], "city_supply": row["supply"],
                                "city_population": row["population"], "city_needed": row["needed"]})
        if row["unknown"] and row["status"] != "not_evaluable":
            res.notes.append(f"{row['unit']}: {row['status']} whatever the unknowns ({row['unknown']})")
    res.figures["min_per_1000"] = p["min_per_1000"]
    res.figures["added_from"] = " + ".join(used) or "none"
    statuses = [r["status"] for r in table]
    skipped = [f"{r['unit']}: {r['reason']}" for r in table if r["status"] == "not_evaluable"]
    settle(res, skipped, failed="fail" in statuses, note_prefix="not judged: ")
    return res


register(
    "capacity_ratio",
    {
        **_SUPPLY_PARAMS,
        "min_per_1000": Param("number", doc="minimum supply per 1,000 people"),
        "population_indicator": Param("str", "population", doc="census indicator used as the denominator"),
        "population_year": Param("int?", None, doc="census year (null: the scenario's, else any)"),
        "levels": Param("list[str]", ["city", "county"], doc="levels to judge: city and/or county"),
    },
)(capacity_ratio)


def share(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """numerator / denominator over the institutions (plus the baseline) must reach ``min_share``.

    What is unknown is bounded: an institution that states the whole but not the part counts
    as none of it and as all of it; one that states no whole could be any size (the share
    could fall towards 0, or rise to its part alone); a row that may or may not be meant
    is left out or taken in, whichever moves the share further. The rule is judged only when
    both bounds agree, otherwise it is ``not_evaluable`` naming the rows.
    """
    p = rule.params
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p))
    origins = [o for o, on in (("projects", p["include_projects"]), ("facilities", p["include_facilities"])) if on]
    applies = dict(rule.applies_to)
    applies["from"] = [o for o in applies.get("from", origins) if o in origins]
    absent = [o for o in absent_sources(applies["from"], ctx)
              if not (o == "facilities" and p["baseline_denominator"] is not None)]
    rows, maybe = ctx.subjects(applies), ctx.undetermined(applies)
    base = _share_baseline(rule, ctx, res)
    if isinstance(base, RuleResult):
        return base
    b = ShareBounds(rows, maybe, p["numerator"], p["denominator"], *base)
    res.figures.update({"institutions": b.institutions, "part_unknown": b.part_unknown, "whole": b.whole,
                        "part_known": b.part_known, "min_share": p["min_share"]})
    if b.whole_unknown:
        res.figures["whole_unknown"] = b.whole_unknown
    unknown = b.unknown(rows, maybe) + [f"no {o} file: its institutions are unknown" for o in absent]
    if b.whole <= 0:
        # no whole is known: the complete table may still have none (0 / 0), so even a share of 0 cannot pass
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          "; ".join([f"no {p['denominator']} stated by any institution or baseline", *unknown]),
                          figures=res.figures, params=dict(p))
    lo, hi = (0.0, 1.0) if absent else b.bounds()
    res.figures["share_low"] = lo
    res.figures["share_high"] = hi
    res.status = judge_bounds(lo, hi, p["min_share"])
    if res.status == "pass":
        res.figures["share"] = lo
        if unknown:
            res.notes.append("passes whatever the unknowns: " + "; ".join(unknown))
    elif res.status == "fail":
        res.figures["share"] = hi
        res.violations.append({"unit": "all", "share": round(hi, 4), "min_share": p["min_share"]})
        if unknown:
            res.notes.append("fails whatever the unknowns: " + "; ".join(unknown))
    else:
        res.reason = "; ".join(unknown) + f"; the share lies between {lo:.1%} and {hi:.1%}"
    return res


register(
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
)(share)


def _share_baseline(rule: Rule, ctx: CheckInputs, res: RuleResult) -> tuple[float, float, float] | RuleResult:
    """(part, whole, whole of unknown share) of the existing stock, or a not_evaluable result without it."""
    p = rule.params
    if p["baseline_denominator"] is None:
        return 0.0, 0.0, 0.0
    bd, entry = ctx.baseline(p["baseline_denominator"])
    if bd is None:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"baseline '{p['baseline_denominator']}' missing: give the scenario a baselines file with that key",
                          params=dict(p))
    bs, sentry = ctx.baseline(p["baseline_share_pct"]) if p["baseline_share_pct"] else (None, None)
    if bs is None:
        # The existing whole is known but its share is not: it widens the bounds.
        res.notes.append(f"baseline: {bd:g} {p['denominator']} with an unknown share ({(entry or {}).get('source', '')})")
        return 0.0, bd, bd
    res.notes.append(f"baseline: {bd:g} {p['denominator']} at {bs:g} % ({(sentry or {}).get('source', '')})")
    return bd * bs / 100.0, bd, 0.0


class ShareBounds:
    """Lower and upper bounds of sum(part) / sum(whole) over institutions with unknowns.

    Rows are ``rows`` (counted) and ``maybe`` (counted or not); the baseline adds ``base_part``
    of ``base_whole``, of which ``base_unknown`` has an unknown part.
    """

    def __init__(self, rows: pd.DataFrame, maybe: pd.DataFrame, numerator: str, denominator: str,
                 base_part: float, base_whole: float, base_unknown: float) -> None:
        self.numerator, self.denominator, self.base_unknown = numerator, denominator, base_unknown
        self.num, self.den = rows[numerator].to_numpy(float), rows[denominator].to_numpy(float)
        self.m_num, self.m_den = maybe[numerator].to_numpy(float), maybe[denominator].to_numpy(float)
        has = ~np.isnan(self.den)
        self.institutions = int(has.sum())
        self.part_unknown = int((has & np.isnan(self.num)).sum())
        self.whole_unknown = int((~has).sum())
        self.whole = base_whole + float(self.den[has].sum())
        self.part_known = base_part + float(np.nansum(np.where(has, self.num, np.nan)))
        self.base_part = base_part

    def bounds(self) -> tuple[float, float]:
        """(lowest, highest) share the unknowns allow (an infimum or supremum where none is reached)."""
        num, den = self.num, self.den
        known_den = ~np.isnan(den)
        # Low: an unknown part is 0; an unknown whole could be arbitrarily large, so the share tends to 0.
        low_p = self.base_part + float(np.nansum(np.where(known_den, num, np.nan)))
        low_w = self.whole
        # High: an unknown part is the whole; an unknown whole is its part (the smallest it can be),
        # or, with both unknown, arbitrarily large with a share of 1.
        part_as_whole = np.where(np.isnan(num), den, num)
        high_p = self.base_part + self.base_unknown + float(np.nansum(part_as_whole))
        high_w = self.whole + float(np.nansum(np.where(known_den, 0.0, num)))
        low = 0.0 if (~known_den).any() or np.isnan(self.m_den).any() else extreme_share(
            low_p, low_w, np.nan_to_num(self.m_num), self.m_den, lowest=True)
        both_unknown = (np.isnan(num) & ~known_den).any() or (np.isnan(self.m_num) & np.isnan(self.m_den)).any()
        m_high_w = np.where(np.isnan(self.m_den), self.m_num, self.m_den)
        high = 1.0 if both_unknown else extreme_share(high_p, high_w, np.where(np.isnan(self.m_num), self.m_den, self.m_num),
                                                 m_high_w, lowest=False)
        return low, high

    def unknown(self, rows: pd.DataFrame, maybe: pd.DataFrame) -> list[str]:
        """What the bounds leave open, naming the rows."""
        out = []
        has = ~np.isnan(self.den)
        part = has & np.isnan(self.num)
        if part.any():
            out.append(f"{self.numerator} unknown for {int(part.sum())} of {self.institutions} institutions "
                       f"({ids_where(rows, part)})")
        if (~has).any():
            out.append(f"{self.denominator} unknown for {int((~has).sum())} institution(s) ({ids_where(rows, ~has)})")
        if self.base_unknown:
            out.append(f"the share of the {self.base_unknown:g} existing {self.denominator} is not stated")
        if len(maybe):
            items = [f"{i} ({u} unknown)" for i, u in zip(maybe["id"].astype(str), maybe["unknown"].astype(str))]
            out.append(f"{len(maybe)} institution(s) may or may not count ({listing(items)})")
        return out


def extreme_share(part: float, whole: float, m_part: np.ndarray, m_whole: np.ndarray, *, lowest: bool) -> float:
    """The lowest (or highest) part / whole when any of the optional rows (m_part, m_whole) may be added.

    Adding a row moves the share towards the row's own share, so the best set takes the rows
    in order of their share while each still moves it the wanted way.
    """
    keep = m_whole > 0
    m_part, m_whole = m_part[keep], m_whole[keep]
    order = np.argsort(m_part / m_whole, kind="stable")
    if not lowest:
        order = order[::-1]
    for i in order:
        ratio = m_part[i] / m_whole[i]
        current = part / whole if whole > 0 else None
        if current is None or (ratio < current if lowest else ratio > current):
            part, whole = part + m_part[i], whole + m_whole[i]
    if whole <= 0:
        return 0.0 if lowest else 1.0
    return part / whole
