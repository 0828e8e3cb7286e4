"""The community gap list (B30): every community without an elderly-care or a childcare facility,
listed with a rectification column for the planner to fill — the plan's own deliverable
(「对未建设养老托育服务设施的社区逐一制定整改方案」).

A community with a gap passes once the units table states its rectification plan (``rectification``,
整改方案). A community is judged to lack a kind of facility only when no facility that may be of
that kind could be in it (a facility without a unit could be anywhere; without the facility file
the existing stock is unknown).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from siting.rules.context import CheckInputs
from siting.rules.kinds.units import assign_units, units_at
from siting.rules.registry import Param, register
from siting.rules.result import RuleResult
from siting.rules.rule import Rule
from siting.rules.unknowns import absent_sources, ids_where

DEFAULT_GROUPS = {"elderly": ["elderly", "integrated", "community_centre"], "childcare": ["childcare", "kindergarten"]}


def group_states(ctx: CheckInputs, rule: Rule, units: pd.DataFrame, types: list[str]) -> tuple[list[Any], str]:
    """Per unit: True (a facility of ``types`` surely in it), False (none could be), None; and why open."""
    p = rule.params
    applies = {**rule.applies_to, "type": types}
    sure, maybe = ctx.subjects(applies), ctx.undetermined(applies)
    level_units = units_at(ctx, p["unit_level"])
    codes = assign_units(ctx, sure, level_units, p["unit_level"])[0] if len(sure) else np.zeros(0, dtype=object)
    m_codes = assign_units(ctx, maybe, level_units, p["unit_level"])[0] if len(maybe) else np.zeros(0, dtype=object)
    absent = absent_sources(applies.get("from", ["facilities", "projects"]), ctx)
    anywhere = bool(absent) or (codes == "").any() or (m_codes == "").any()
    states: list[Any] = []
    for code in units["code"].astype(str):
        if any(code in str(c).split(";") for c in codes):
            states.append(True)
        elif anywhere or any(code in str(c).split(";") for c in m_codes):
            states.append(None)
        else:
            states.append(False)
    why = [f"no {s} file: its facilities are unknown" for s in absent]
    if (codes == "").any():
        why.append(f"{int((codes == '').sum())} facilit(ies) could not be placed in a unit ({ids_where(sure, codes == '')}): "
                   "add a 'unit' column (unit code or name)")
    if len(maybe):
        why.append(f"{len(maybe)} facilit(ies) may or may not count ({ids_where(maybe, np.ones(len(maybe), bool))})")
    return states, "; ".join(why)


def community_gap_list(rule: Rule, ctx: CheckInputs) -> RuleResult:
    """Every community lacking a kind of facility (``groups``) is listed; it needs a rectification plan."""
    p = rule.params
    if ctx.units is None and ctx.unit_boundaries is None:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable",
                          f"no {p['unit_level']} units: give the scenario a units table (units.table)", params=dict(p))
    units = units_at(ctx, p["unit_level"])
    if p["unit_name_matches"]:
        units = units[units["name"].astype(str).str.contains(p["unit_name_matches"], regex=True)].reset_index(drop=True)
    if len(units) == 0:
        return RuleResult(rule.id, rule.kind, rule.title, "not_evaluable", "no unit matches the filter", params=dict(p))
    groups = p["groups"] or DEFAULT_GROUPS
    states, why = {}, []
    for name, types in groups.items():
        states[name], text = group_states(ctx, rule, units, list(types))
        why += [text] if text else []
    plans = _rectification(ctx, units)
    table = _gap_table(ctx, units, p["unit_level"], states, plans)
    res = RuleResult(rule.id, rule.kind, rule.title, "pass", params=dict(p), details=table)
    res.tables["gaps"] = table[table["gap"] != "no"].drop(columns="gap").reset_index(drop=True)
    surely = (table["gap"] == "yes") & (table["rectification"] == "")
    open_ = (table["gap"] == "unknown") & (table["rectification"] == "")
    res.figures.update({"units": len(units), "with_gap": int((table["gap"] == "yes").sum()),
                        "gap_unknown": int((table["gap"] == "unknown").sum()),
                        "with_plan": int(((table["gap"] != "no") & (table["rectification"] != "")).sum())})
    for row in table[surely].to_dict("records"):
        res.violations.append({"unit_code": row["unit_code"], "unit": row["unit"], "county": row["county"],
                               "problem": f"no {row['missing']} facility and no rectification plan"})
    if surely.any():
        res.status = "fail"
        res.notes += [f"also open: {int(open_.sum())} unit(s); " + "; ".join(why)] if open_.any() else []
    elif open_.any():
        res.status = "not_evaluable"
        res.reason = f"{int(open_.sum())} of {len(units)} units may lack a facility; " + "; ".join(why)
    return res


register(
    "community_gap_list",
    {
        "unit_level": Param("str", "village", ("village", "town"), doc="the communities (社区/村) or towns"),
        "unit_name_matches": Param("str?", None, doc="only units whose name matches (社区: built-up communities)"),
        "groups": Param("mapping", {}, doc="kinds of facility every unit needs: name -> facility types "
                                           "(default elderly and childcare)"),
    },
)(community_gap_list)


def _rectification(ctx: CheckInputs, units: pd.DataFrame) -> dict[str, str]:
    """Rectification plans stated in the units table (整改方案), by unit code."""
    u = ctx.units
    if u is None or "rectification" not in u.columns:
        return {}
    return {str(c): str(v).strip() for c, v in zip(u["code"], u["rectification"].fillna("")) if str(v).strip()}


def _gap_table(ctx: CheckInputs, units: pd.DataFrame, level: str, states: dict[str, list[Any]],
               plans: dict[str, str]) -> pd.DataFrame:
    """One row per unit: what it surely lacks, what it may lack, its population and its plan ('' to fill)."""
    pops = ctx.population_by(level)
    by_code = dict(zip(pops["code"].astype(str), pops["value"])) if "code" in pops.columns else {}
    rows = []
    for i, u in enumerate(units.to_dict("records")):
        missing = [g for g, s in states.items() if s[i] is False]
        maybe = [g for g, s in states.items() if s[i] is None]
        rows.append({"unit_code": u["code"], "unit": u["name"], "county": u.get("county", ""),
                     "population": by_code.get(str(u["code"]), np.nan), "missing": ", ".join(missing),
                     "may_be_missing": ", ".join(maybe), "gap": "yes" if missing else "unknown" if maybe else "no",
                     "rectification": plans.get(str(u["code"]), "")})
    return pd.DataFrame(rows)
