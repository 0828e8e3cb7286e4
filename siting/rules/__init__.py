"""Policy rules engine: rule packs (YAML), their checks, and the compliance report.

Examples
--------
>>> from siting.rules import check
>>> report = check("scenarios/qinzhou.yaml")            # doctest: +SKIP
>>> report.to_frame()[["rule", "status", "reason"]]      # doctest: +SKIP
>>> report.write("out/qinzhou")                          # doctest: +SKIP

Or with files instead of a scenario::

    check(rules="qinzhou", facilities="f.csv", hospitals="h.csv", osm="city.osm.pbf")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import siting.rules.kinds  # noqa: F401  (its modules fill the registry)
from siting.rules.context import CheckInputs, gather_inputs, inputs_from_scenario
from siting.rules.pack import BUILTIN_PACKS, Pack, apply_overrides, load_pack
from siting.rules.registry import rule_kinds
from siting.rules.result import ComplianceReport, RuleResult
from siting.rules.rule import Rule

__all__ = [
    "BUILTIN_PACKS", "CheckInputs", "ComplianceReport", "Pack", "Rule", "RuleResult",
    "check", "evaluate", "gather_inputs", "inputs_from_scenario", "load_pack", "pack_for",
]


def evaluate(pack: Pack, inputs: CheckInputs, *, scenario: str | None = None) -> ComplianceReport:
    """Run every rule of ``pack`` on ``inputs``."""
    registry = rule_kinds()
    results: list[RuleResult] = []
    for rule in pack.rules:
        result = registry[rule.kind].func(rule, inputs)
        result.source = dict(rule.source)
        result.verified = rule.verified
        result.title = result.title or rule.title
        result.title_zh, result.note, result.note_zh = rule.title_zh, rule.note, rule.note_zh
        if rule.note:
            result.notes.append(rule.note)
        results.append(result)
    documents = dict(inputs.documents)
    documents.update(pack.documents)
    summary: dict[str, Any] = dict(inputs.paths)
    summary["rule pack file"] = str(pack.path)
    if not inputs.has_network():
        summary["network"] = inputs.network_reason()
    for key, notes in inputs.notes.items():
        summary[f"{key} (read as)"] = "; ".join(notes)
    if inputs.central is not None:
        summary["central urban area"] = inputs.central_label
    return ComplianceReport(pack=pack.name, pack_title=pack.title, results=results, inputs=summary,
                            scenario=scenario, documents=documents, pack_title_zh=pack.title_zh)


def check(
    scenario: str | Path | Any | None = None,
    *,
    rules: str | Path | Pack | None = None,
    only: list[str] | None = None,
    **inputs: Any,
) -> ComplianceReport:
    """Check a plan's rules: ``check("scenarios/qinzhou.yaml")`` or ``check(rules=..., facilities=...)``.

    Parameters
    ----------
    scenario
        A scenario path or a loaded :class:`siting.inputs.scenario.Scenario`; its inputs are used,
        and keyword ``inputs`` override them (e.g. ``osm="qinzhou.osm.pbf"``).
    rules
        A pack name (qinzhou, guangxi, jingdezhen, gb50180), a pack path or a :class:`Pack`;
        defaults to the scenario's ``rules``.
    only
        Rule ids to run (all when None); unknown ids are an error.
    **inputs
        Keyword arguments of :func:`siting.rules.context.gather_inputs` (facilities, hospitals,
        projects, baselines, units, unit_boundaries, population, osm, ...).

    Returns
    -------
    ComplianceReport
        ``.to_frame()`` for a DataFrame, ``.to_json()`` for a dict, ``.write(dir)`` for files.
    """
    from siting.inputs.scenario import Scenario, load_scenario

    sc = None
    if scenario is not None:
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    pack = pack_for(sc, rules, only)
    ci = inputs_from_scenario(sc, **inputs) if sc is not None else gather_inputs(**inputs)
    return evaluate(pack, ci, scenario=None if sc is None or sc.path is None else str(sc.path))


def pack_for(scenario: Any | None, rules: str | Path | Pack | None = None, only: list[str] | None = None) -> Pack:
    """The rule pack a check runs: ``rules`` as given, else the scenario's own with its overrides.

    ``scenario`` is a loaded :class:`siting.inputs.scenario.Scenario` or None; ``only`` keeps
    those rule ids (unknown ids are an error). A caller holding a scenario's
    :class:`CheckInputs` already (e.g. the report, which also draws its networks) runs
    ``evaluate(pack_for(sc), inputs)`` instead of :func:`check`, so nothing is read twice.
    """
    from siting.errors import InputError, SitingError

    scenario_pack = rules is None
    if rules is None:
        if scenario is None or scenario.rules is None:
            where = f"{scenario.path}: " if scenario is not None and scenario.path is not None else ""
            raise SitingError(f"{where}no rule pack: pass --rules qinzhou|guangxi|jingdezhen|PATH.yaml "
                              "(or set rules in the scenario)")
        rules = scenario.rules
    try:
        pack = rules if isinstance(rules, Pack) else load_pack(rules)
    except InputError as exc:
        if not scenario_pack or scenario is None or scenario.path is None or exc.path is not None:
            raise
        raise InputError(f"rules: {exc}", path=scenario.path) from exc
    # A scenario's overrides refer to its own pack; another pack given explicitly runs as shipped.
    if scenario_pack and scenario is not None and scenario.overrides and scenario.path is not None:
        pack = apply_overrides(pack, scenario.overrides, scenario.path)
    if only:
        pack = pack.select(list(only))
    return pack
