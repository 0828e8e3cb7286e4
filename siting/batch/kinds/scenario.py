"""The kinds that read a scenario: ``check`` (its rule checks) and ``score`` (candidate sites against it).

``check``
    A scenario's rule checks (:func:`siting.rules.check`).
``score``
    Candidate sites scored against a scenario (:func:`siting.planning.scoring.score_candidates`).

The files a scenario names count as the job's inputs: editing one gives the job a new id.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any

import pandas as pd

from siting.batch.caches import network_spec
from siting.batch.kinds.common import check_minutes
from siting.batch.registry import register_kind
from siting.units import MODES

#: The scenario's fields that name input files.
SCENARIO_FILES = ("facilities", "hospitals", "projects", "baselines", "units_boundaries", "units_table",
                  "population", "candidates")


def scenario_networks(params: dict[str, Any]) -> list[Hashable]:
    """The networks a scenario job needs: its mode's and the hospital rule's (none when the source is missing)."""
    from siting.inputs.scenario import load_scenario

    sc = load_scenario(params["scenario"])
    source = params.get("network") or sc.network.source
    if source is None or not os.path.exists(source):
        return []
    speeds = {"walk_kmh": sc.network.walk_kmh, "bike_kmh": sc.network.bike_kmh}
    modes = [params.get("mode") or sc.network.mode, sc.network.hospital_mode]
    return [network_spec({"network": str(source), "mode": m, **speeds}) for m in dict.fromkeys(modes)]


def scenario_inputs(params: dict[str, Any]) -> dict[str, str]:
    """The files a scenario names (their bytes make part of the job id)."""
    from siting.inputs.scenario import load_scenario

    sc = load_scenario(params["scenario"])
    files = {f"scenario.{name}": getattr(sc, name) for name in SCENARIO_FILES}
    if params.get("network") is None:
        files["scenario.network"] = sc.network.source
    return {k: str(v) for k, v in files.items() if v is not None}


def check_check(params: dict[str, Any]) -> None:
    if params.get("rules") is not None and params.get("rules_file") is not None:
        raise ValueError("give either rules (a built-in pack name) or rules_file (a pack YAML), not both")
    if params.get("mode") is not None and params["mode"] not in MODES:
        raise ValueError(f"mode '{params['mode']}' is not one of {', '.join(MODES)}")
    check_minutes(params, required=False)
    only = params.get("only")
    if only is not None and (not isinstance(only, list) or not all(isinstance(r, str) for r in only)):
        raise ValueError("only must be a list of rule ids, e.g. [A1, A4]")


@register_kind(
    "check",
    required=("scenario",),
    optional={"rules": None, "rules_file": None, "only": None, "network": None, "mode": None, "minutes": None},
    paths=("scenario", "rules_file", "network"),
    slug=("scenario", "rules", "rules_file", "mode", "minutes"),
    networks=scenario_networks,
    check=check_check,
    extra_inputs=scenario_inputs,
)
def check_job(params: dict[str, Any]) -> dict[str, Any]:
    """Check a scenario's plan against a rule pack (:func:`siting.rules.check`).

    ``rules`` (a built-in pack: qinzhou, guangxi, jingdezhen, gb50180) or
    ``rules_file`` (a pack YAML) replaces the scenario's pack; ``network``,
    ``mode`` and ``minutes`` override the scenario's; ``only`` limits the
    rules run. The result is the compliance report without the machine's
    paths: pack, counts, documents and every rule's result.
    """
    from siting.rules import check

    overrides: dict[str, Any] = {}
    if params.get("network") is not None:
        overrides["osm"] = params["network"]
    if params.get("mode") is not None:
        overrides["network_mode"] = params["mode"]
    if params.get("minutes") is not None:
        overrides["minutes"] = float(params["minutes"])
    report = check(params["scenario"], rules=params.get("rules") or params.get("rules_file"),
                   only=params.get("only"), **overrides)
    doc = report.to_json()
    # The scenario and input paths are this machine's; the job's inputs are in the result file.
    return {k: v for k, v in doc.items() if k not in ("scenario", "inputs")}


def check_score(params: dict[str, Any]) -> None:
    check_minutes(params, required=False)
    if params.get("distance") not in (None, "straight_line", "network"):
        raise ValueError(f"distance must be straight_line or network, not {params.get('distance')!r}")
    if not isinstance(params.get("candidates"), str | list):
        raise ValueError("candidates must be a CSV path or a list of {id, lon, lat[, type, name, owner_kind, capacity]}")


@register_kind(
    "score",
    required=("scenario", "candidates"),
    optional={"network": None, "hospitals": None, "facilities": None, "minutes": None, "distance": None,
              "type": "elderly"},
    paths=("scenario", "candidates", "network", "hospitals", "facilities"),
    slug=("scenario", "candidates", "type", "minutes"),
    networks=scenario_networks,
    check=check_score,
    extra_inputs=scenario_inputs,
)
def score_job(params: dict[str, Any]) -> dict[str, Any]:
    """Score candidate sites against a scenario (:func:`siting.planning.scoring.score_candidates`).

    ``candidates`` is a CSV (``id,lon,lat`` and optional ``type, name,
    owner_kind, capacity``) or an inline list; ``network``, ``hospitals``,
    ``facilities`` and ``minutes`` override the scenario's; ``distance``
    (straight_line or network) judges the hospital rule. The result is the
    document of ``siting score --json``: settings, ranked candidates with
    coverage gain, hospital distance, rule status and accessibility change,
    the skipped rows and what could not be evaluated.
    """
    from siting.planning.scoring import score_candidates, score_json

    candidates = params["candidates"]
    if isinstance(candidates, list):
        candidates = pd.DataFrame([dict(c) for c in candidates])
        candidates.attrs["source"] = "candidates"
    frame = score_candidates(
        params["scenario"], candidates, osm=params.get("network"), hospitals=params.get("hospitals"),
        facilities=params.get("facilities"),
        minutes=None if params.get("minutes") is None else float(params["minutes"]),
        distance=params.get("distance"), default_type=str(params["type"]),
    )
    return score_json(frame)
