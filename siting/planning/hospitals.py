"""The hospital-proximity rule (Qinzhou A4) applied to sites: counted hospitals, distances, verdicts.

A rule pack's ``hospital_proximity`` rule says that some facilities (A4: government
elderly care) must lie within ``max_km`` of a counted hospital (general, of a minimum
level), by straight line or by road. These functions give the hospitals it counts,
the rows it applies to, the distance of any point to the nearest counted hospital,
and its verdict: in the ``hospital_rule_*`` columns of the placement and score tables,
which name the rule in ``hospital_rule`` (e.g. 'A4').
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from siting.errors import SitingError
from siting.rules import evaluate
from siting.rules.context import filter_frame, subject_table
from siting.rules.kinds.proximity import facility_labels, hospital_sets, nearest_network, nearest_straight

if TYPE_CHECKING:
    from siting.network import RoadNetwork
    from siting.rules.context import CheckInputs
    from siting.rules.pack import Pack
    from siting.rules.rule import Rule

#: The verdict columns of the placement and score tables.
RULE_COLUMNS = ["hospital_rule", "hospital_rule_applies", "hospital_rule_status", "hospital_rule_judged_on"]
#: The distance columns of :func:`hospital_distances`.
DISTANCE_COLUMNS = ["hospital_straight_km", "hospital_network_km", "nearest_hospital"]


def with_distance(rule: Rule | None, distance: str | None) -> Rule | None:
    """A copy of ``rule`` judged on ``distance`` ('straight_line' or 'network'); unchanged when None."""
    if rule is None or distance is None:
        return rule
    if distance not in ("straight_line", "network"):
        raise SitingError(f"unknown distance '{distance}': use straight_line or network")
    return dataclasses.replace(rule, params={**rule.params, "distance": distance})


def judged_on(rule: Rule, road: RoadNetwork | None) -> str:
    """'network' when the rule asks for road distance and there is a road network, else 'straight'."""
    return "network" if rule.params.get("distance") == "network" and road is not None else "straight"


def counted_hospitals(rule: Rule | None, inputs: CheckInputs) -> pd.DataFrame:
    """The located hospitals that count for the proximity rule (as the rule's check counts them)."""
    hospitals = inputs.all_hospitals()
    if rule is None or len(hospitals) == 0:
        return hospitals.reset_index(drop=True)
    return hospital_sets(rule.params, hospitals)[0]


def rule_applies(rule: Rule | None, frame: pd.DataFrame) -> np.ndarray:
    """Rows of ``frame`` (type, owner_kind, ...) that the rule's ``applies_to`` selects."""
    if rule is None or len(frame) == 0:
        return np.zeros(len(frame), dtype=bool)
    keyed = subject_table(frame.reset_index(drop=True).assign(_row=np.arange(len(frame))))
    hit = filter_frame(keyed, {k: v for k, v in rule.applies_to.items() if k != "from"})["_row"].to_numpy(int)
    out = np.zeros(len(frame), dtype=bool)
    out[hit] = True
    return out


def hospital_distances(lon: np.ndarray, lat: np.ndarray, hospitals: pd.DataFrame,
                       road: RoadNetwork | None) -> pd.DataFrame:
    """Straight-line and (with ``road``) road distance in km to the nearest counted hospital, and its name.

    Rows without coordinates, and every row when there is no hospital, get NaN and ''.
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    n = len(lon)
    out = pd.DataFrame({"hospital_straight_km": np.full(n, np.nan), "hospital_network_km": np.full(n, np.nan),
                        "nearest_hospital": [""] * n})
    located = np.isfinite(lon) & np.isfinite(lat)
    if len(hospitals) == 0 or not located.any():
        return out
    hlon, hlat = hospitals["lon"].to_numpy(float), hospitals["lat"].to_numpy(float)
    names = facility_labels(hospitals)
    d, which = nearest_straight(lon[located], lat[located], hlon, hlat)
    out.loc[located, "hospital_straight_km"] = d / 1000.0
    out.loc[located, "nearest_hospital"] = [str(names[w]) for w in which]
    if road is not None:
        nn = nearest_network(road, lon[located], lat[located], hlon, hlat, weight="length")
        ok = nn["which"].to_numpy() >= 0
        out.loc[located, "hospital_network_km"] = np.where(ok, nn["length_m"].to_numpy(float) / 1000.0, np.inf)
    return out


def beyond_limit(rule: Rule, lon: np.ndarray, lat: np.ndarray, hospitals: pd.DataFrame,
                 road: RoadNetwork | None) -> np.ndarray:
    """True where a point is farther than the rule's ``max_km`` from every counted hospital (as the rule judges)."""
    on = judged_on(rule, road)
    d = hospital_distances(lon, lat, hospitals, road if on == "network" else None)
    return np.asarray(d[f"hospital_{on}_km"].to_numpy(float) > float(rule.params["max_km"]) + 1e-9)


def undecided(rule: Rule | None, applies: np.ndarray) -> pd.DataFrame:
    """The :data:`RULE_COLUMNS` before any verdict: not_evaluable where the rule applies, else not_applicable."""
    return pd.DataFrame({"hospital_rule": [None if rule is None else rule.id] * len(applies),
                         "hospital_rule_applies": np.asarray(applies, bool),
                         "hospital_rule_status": np.where(applies, "not_evaluable", "not_applicable"),
                         "hospital_rule_judged_on": [""] * len(applies)})


def verdicts_by_distance(rule: Rule | None, applies: np.ndarray, distances: pd.DataFrame, hospitals: pd.DataFrame,
                         road: RoadNetwork | None) -> tuple[pd.DataFrame, list[str]]:
    """The rule's verdict from :func:`hospital_distances` (as ``siting score`` judges): columns and notes."""
    out = undecided(rule, applies)
    notes: list[str] = []
    if rule is None or not applies.any():
        return out, notes
    if len(hospitals) == 0:
        return out, [f"{rule.id}: no located general hospital; pass --hospitals H.csv"]
    if rule.params.get("distance") == "network" and road is None:
        notes.append(f"{rule.id}: road distance needs a network; judged on straight line")
    on = judged_on(rule, road)
    ok = distances[f"hospital_{on}_km"].to_numpy(float) <= float(rule.params["max_km"]) + 1e-9
    out.loc[applies, "hospital_rule_status"] = np.where(ok[applies], "pass", "fail")
    out.loc[applies, "hospital_rule_judged_on"] = on
    return out, notes


def verdicts_by_engine(pack: Pack | None, rule: Rule | None, inputs: CheckInputs,
                       placed: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rules engine's own verdict on placed projects: :data:`RULE_COLUMNS` and a reason per row ('' if none).

    ``placed`` is the project table with the chosen ``lon``, ``lat`` and ``location_precision``.
    """
    applies = rule_applies(rule, placed)
    out, reasons = undecided(rule, applies), [""] * len(placed)
    if rule is None or pack is None or not applies.any():
        return out, reasons
    result = evaluate(dataclasses.replace(pack, rules=[rule]), dataclasses.replace(inputs, projects=placed)).results[0]
    details = result.details
    if details is None or len(details) == 0:
        return out, [f"{rule.id}: {result.reason}" if a else "" for a in applies]
    within = details[details["origin"] == "projects"].drop_duplicates("id").set_index("id")["within"]
    judged = str(result.figures.get("judged_on", ""))
    for i, pid in enumerate(placed["id"].astype(str)):
        if applies[i] and pid in within.index:
            w = within.loc[pid]
            out.loc[i, "hospital_rule_status"] = "not_evaluable" if pd.isna(w) else ("pass" if w else "fail")
            out.loc[i, "hospital_rule_judged_on"] = judged
    return out, reasons
