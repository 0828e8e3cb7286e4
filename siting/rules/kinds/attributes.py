"""Attribute rules: every facility of a category has something (A6, A16, B8, B17, B20: a department,
a fever clinic, a guidance centre), a count of facilities or units with it (F1, F2, F9-F11), and
its presence in the city and in every county or town (A17, B9, B22, B6, A29).

What a facility has is read from its attribute columns (:mod:`siting.inputs.attributes`): a
``departments`` list (老年病科、发热门诊), yes/no flags (``inclusive``, ``demonstration``) or
numbers (staff counts, rates). An empty cell is unknown: the rule bounds it both ways and names
the facilities (docs/VERDICTS.md), never reading it as 'no'.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from siting.inputs.attributes import list_state
from siting.rules.context import CheckInputs
from siting.rules.kinds.capacity import judge_bounds
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule
from siting.rules.unknowns import (
    absent_sources,
    bounded_share,
    ids_where,
    listing,
    states_count,
    three_valued_and,
)

#: What a facility (or unit) must have, shared by the attribute kinds.
QUALIFY_PARAMS: dict[str, Param] = {
    "attribute": Param("str?", None, doc="column holding what is required: a list (departments), a yes/no flag or a number"),
    "matches": Param("str?", None, doc="regex an item of a list column must match, e.g. 老年病科|老年医学科"),
    "min_matches": Param("int", 1, doc="items of the list that must match (2 for 2 specialty departments)"),
    "name_counts": Param("bool", False, doc="a name matching `matches` counts too (传染病医院 has infectious wards)"),
    "flags": Param("list[str]", [], doc="yes/no columns that must all be yes, e.g. [inclusive, demonstration]"),
    "min_value": Param("number?", None, doc="the numeric attribute (divided by `divide_by`) must be at least this"),
    "max_value": Param("number?", None, doc="the numeric attribute (divided by `divide_by`) must be at most this"),
    "divide_by": Param("str?", None, doc="numeric column the attribute is divided by (a share per facility)"),
    "min_level": Param("int?", None, doc="only hospitals of this level or above (二级以上: 2); unknown levels may count"),
}


def requirement(p: dict[str, Any]) -> str:
    """The requirement in words, for reasons and violations ('departments lists 老年病科', 'inclusive = yes')."""
    parts = [f"{f} = yes" for f in p["flags"]]
    if p["attribute"] and p["matches"]:
        parts.append(f"{p['attribute']} lists {p['matches']}" + (f" at least {p['min_matches']} times"
                                                                  if p["min_matches"] > 1 else ""))
    elif p["attribute"] and (p["min_value"] is not None or p["max_value"] is not None):
        what = p["attribute"] + (f" / {p['divide_by']}" if p["divide_by"] else "")
        parts += [f"{what} ≥ {p['min_value']:g}"] if p["min_value"] is not None else []
        parts += [f"{what} ≤ {p['max_value']:g}"] if p["max_value"] is not None else []
    elif p["attribute"]:
        parts.append(f"{p['attribute']} = yes")
    return " & ".join(parts) or "any"  # not '; ': a reason joins its texts with that


def _columns(p: dict[str, Any]) -> list[str]:
    """The columns a requirement reads."""
    return list(p["flags"]) + ([p["attribute"]] if p["attribute"] else []) + ([p["divide_by"]] if p["divide_by"] else [])


def _flag_states(frame: pd.DataFrame, column: str) -> list[Any]:
    if column not in frame.columns:
        return [None] * len(frame)
    return [None if pd.isna(v) else bool(v) for v in frame[column]]


def _number_states(frame: pd.DataFrame, p: dict[str, Any]) -> list[Any]:
    if p["attribute"] not in frame.columns or (p["divide_by"] and p["divide_by"] not in frame.columns):
        return [None] * len(frame)
    value = pd.to_numeric(frame[p["attribute"]], errors="coerce").to_numpy(float)
    if p["divide_by"]:
        whole = pd.to_numeric(frame[p["divide_by"]], errors="coerce").to_numpy(float)
        value = np.where(whole > 0, value / np.where(whole > 0, whole, 1.0), np.nan)
    low = -np.inf if p["min_value"] is None else p["min_value"] - 1e-9
    high = np.inf if p["max_value"] is None else p["max_value"] + 1e-9
    return [None if np.isnan(v) else bool(low <= v <= high) for v in value]


def qualify_states(frame: pd.DataFrame, p: dict[str, Any]) -> np.ndarray:
    """Per row: True (has what the rule asks), False (surely has not) or None (unknown)."""
    parts = [_flag_states(frame, f) for f in p["flags"]]
    attribute = p["attribute"]
    if attribute and p["matches"]:
        pattern = re.compile(p["matches"])
        cells = frame[attribute] if attribute in frame.columns else pd.Series([""] * len(frame), index=frame.index)
        states = [list_state(c, pattern, p["min_matches"]) for c in cells]
        if p["name_counts"]:
            states = [True if pattern.search(str(n)) else s for n, s in zip(frame["name"], states)]
        parts.append(states)
    elif attribute and (p["min_value"] is not None or p["max_value"] is not None):
        parts.append(_number_states(frame, p))
    elif attribute:
        parts.append(_flag_states(frame, attribute))
    return three_valued_and(parts, len(frame))


def meant_rows(ctx: CheckInputs, rule: Rule) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows the rule surely means and those it may mean (``unknown`` names the field), with
    ``min_level`` applied: a hospital of unknown level, or of a category only assumed, may be meant."""
    applies, p = rule.applies_to, rule.params
    sure, maybe = ctx.subjects(applies), ctx.undetermined(applies)
    if "category" in applies and len(sure):
        assumed = sure["category_assumed"].fillna(False).astype(bool).to_numpy()
        maybe = pd.concat([maybe, sure[assumed].assign(unknown="category")], ignore_index=True)
        sure = sure[~assumed].reset_index(drop=True)
    if p.get("only_flagged"):
        sure, maybe = _flagged(sure, maybe, p["only_flagged"])
    if p.get("min_level") is not None:
        level = pd.to_numeric(sure["level"], errors="coerce").to_numpy(float)
        maybe = pd.concat([maybe, sure[np.isnan(level)].assign(unknown="level")], ignore_index=True)
        sure = sure[level >= p["min_level"]].reset_index(drop=True)
        m_level = pd.to_numeric(maybe["level"], errors="coerce").to_numpy(float)
        maybe = maybe[np.isnan(m_level) | (m_level >= p["min_level"])].reset_index(drop=True)
    return sure.reset_index(drop=True), maybe.reset_index(drop=True)


def _flagged(sure: pd.DataFrame, maybe: pd.DataFrame, column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose yes/no ``column`` is yes stay meant; unknown ones may be meant; no ones are dropped."""
    def flag(frame: pd.DataFrame) -> pd.Series:
        return frame[column].astype("boolean") if column in frame.columns else pd.Series(pd.NA, index=frame.index,
                                                                                            dtype="boolean")
    f, mf = flag(sure), flag(maybe)
    unknown = f.isna().to_numpy()
    maybe = pd.concat([maybe[~(mf == False).fillna(False).to_numpy(bool)],  # noqa: E712 -- nullable boolean
                       sure[unknown].assign(unknown=column)], ignore_index=True)
    return sure[f.fillna(False).to_numpy(bool)].reset_index(drop=True), maybe


def unit_rows(ctx: CheckInputs, level: str, name_matches: str | None) -> pd.DataFrame:
    """The units table's rows of ``level`` (all columns), optionally those whose name matches."""
    u = ctx.units[ctx.units["level"] == level] if ctx.units is not None else pd.DataFrame(columns=["code", "name"])
    if name_matches:
        u = u[u["name"].astype(str).str.contains(name_matches, regex=True)]
    out = u.reset_index(drop=True).copy()
    out["id"] = out["code"].astype(str) if "code" in out.columns else []
    return out


def _unknown_reasons(frame: pd.DataFrame, states: np.ndarray, p: dict[str, Any]) -> list[str]:
    """Per column the requirement reads: the undecided rows whose cell is empty (or the column absent)."""
    open_ = np.array([s is None for s in states], dtype=bool)
    out = []
    for column in _columns(p):
        if column not in frame.columns:
            empty = np.ones(len(frame), dtype=bool)
        else:
            cells = frame[column]
            empty = cells.isna().to_numpy() | (cells.astype(str).str.strip().isin(["", "<NA>", "nan"])).to_numpy()
        rows = open_ & empty
        if rows.any():
            out.append(f"{column} unknown for {int(rows.sum())} row(s) ({ids_where(frame, rows)}): "
                       f"state it in the table ({requirement(p)})")
    return out


def attribute_completeness(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """The facilities (or units) the rule means have what it asks, in share (``min_share``) or number (``min_total``).

    Unknown attributes count as having it and as not having it; the rule is judged only when
    both bounds agree. Rows it may or may not mean (level, category or owner unknown) are taken
    in or left out, whichever moves the bound. ``other_areas_unknown`` marks a region-wide total
    checked on one city's data: the count is then only a lower bound.
    """
    p = rule.params
    figures: dict[str, Any] = {"requirement": requirement(p)}
    if p["unit_level"]:
        if ctx.units is None:
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                              f"no {p['unit_level']} units: give the scenario a units table (units.table)", params=dict(p))
        sure, maybe, absent = unit_rows(ctx, p["unit_level"], p["unit_name_matches"]), pd.DataFrame(), []
    else:
        if not ctx.have_subject_data(rule.applies_to):
            return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", missing_source_reason(rule), params=dict(p))
        sure, maybe = meant_rows(ctx, rule)
        absent = absent_sources(rule.applies_to.get("from", ["facilities", "projects"]), ctx)
    states = qualify_states(sure, p) if len(sure) else np.zeros(0, dtype=object)
    m_states = qualify_states(maybe, p) if len(maybe) else np.zeros(0, dtype=object)
    yes, no, unknown = states_count(states)
    figures.update({"subjects": len(sure), "with": yes, "without": no, "unknown": unknown, "may_count": len(maybe)})
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", figures=figures, params=dict(p))
    res.details = _completeness_details(sure, states, maybe, m_states)
    if p["min_total"] is not None:
        _judge_total(res, p, states, m_states, absent or p["other_areas_unknown"])
    else:
        _judge_share(res, p, states, m_states, absent)
    if res.status == "fail":
        lacking = np.array([s is False for s in states], dtype=bool)
        res.violations = [{"id": r["id"], "name": r.get("name", ""), "problem": f"lacks {requirement(p)}"}
                          for r in sure[lacking].to_dict("records")][:200]
    open_ = _open_reasons(sure, states, maybe, m_states, p, absent)
    if res.status == "not_evaluable":
        res.reason = "; ".join(open_ + ([res.reason] if res.reason else []))
    elif open_:
        res.notes.append(("passes" if res.status == "pass" else "fails") + " whatever the unknowns: " + "; ".join(open_))
    return res


register(
    "attribute_completeness",
    {
        **QUALIFY_PARAMS,
        "min_share": Param("number", 1.0, doc="share of the facilities (units) that must have it, 0-1"),
        "min_total": Param("int?", None, doc="instead of a share: how many must have it (a count target)"),
        "other_areas_unknown": Param("bool", False, doc="a region-wide count judged on one city's data (a lower bound)"),
        "unit_level": Param("str?", None, ("county", "town", "village"), doc="judge units of the units table instead of facilities"),
        "unit_name_matches": Param("str?", None, doc="with unit_level: only units whose name matches (社区)"),
        "only_flagged": Param("str?", None, doc="only rows whose yes/no column is yes (inclusive: the 普惠 ones); "
                                                "unknown ones may be meant"),
    },
)(attribute_completeness)


def missing_source_reason(rule: Rule) -> str:
    """What to pass when none of the sources a rule reads is given."""
    origins = rule.applies_to.get("from", ["facilities", "projects"])
    if origins == ["hospitals"]:
        return "no hospitals: pass --hospitals H.csv or add type=hospital rows to the facility file"
    return "no facility data: pass --facilities F.csv (or projects in the scenario)"


def _completeness_details(sure: pd.DataFrame, states: np.ndarray, maybe: pd.DataFrame, m_states: np.ndarray) -> pd.DataFrame:
    cols = [c for c in ("id", "name", "type", "category", "level", "county", "origin") if c in sure.columns]
    parts = [sure[cols].assign(applies="yes", has=list(states))]
    if len(maybe):
        parts.append(maybe[[c for c in cols if c in maybe.columns]].assign(
            applies="unknown: " + maybe["unknown"].astype(str), has=list(m_states)))
    out = pd.concat(parts, ignore_index=True)
    out["has"] = out["has"].map({True: "yes", False: "no"}).fillna("unknown")
    return out


def _judge_share(res: RuleResult, p: dict[str, Any], states: np.ndarray, m_states: np.ndarray, absent: list[str]) -> None:
    if not len(states):
        res.status = "not_evaluable"
        res.reason = "no row surely matches the rule's filter"
        return
    low, high = (0.0, 1.0) if absent else bounded_share(states, m_states)
    res.figures.update({"share_low": low, "share_high": high, "min_share": p["min_share"]})
    res.status = judge_bounds(low, high, p["min_share"])
    if res.status != "not_evaluable":
        res.figures["share"] = low if res.status == "pass" else high
    else:
        res.reason = f"the share lies between {low:.1%} and {high:.1%}"


def _judge_total(res: RuleResult, p: dict[str, Any], states: np.ndarray, m_states: np.ndarray, open_ended: Any) -> None:
    yes, _, unknown = states_count(states)
    m_yes, _, m_unknown = states_count(m_states)
    high = float("inf") if open_ended else float(yes + unknown + m_yes + m_unknown)
    res.figures.update({"count": yes, "target": p["min_total"]})
    if high < float("inf"):
        res.figures["count_high"] = high
    res.status = judge_bounds(float(yes), high, float(p["min_total"]))
    if res.status == "not_evaluable":
        res.reason = f"at least {yes} counted of the {p['min_total']} needed"


def _open_reasons(sure: pd.DataFrame, states: np.ndarray, maybe: pd.DataFrame, m_states: np.ndarray,
                  p: dict[str, Any], absent: list[str]) -> list[str]:
    """What the bounds leave open, naming the rows and what to add."""
    out = []
    if any(s is None for s in states):
        out += _unknown_reasons(sure, states, p)
    if len(maybe):
        items = [f"{i} ({u} unknown)" for i, u in zip(maybe["id"].astype(str), maybe["unknown"].astype(str))]
        out.append(f"{len(maybe)} row(s) may or may not be meant ({listing(items)})")
    out += [f"no {source} file: its rows are unknown" for source in absent]
    if p.get("other_areas_unknown"):
        out.append("a region-wide target: the other cities' facilities are not in the inputs")
    return out
