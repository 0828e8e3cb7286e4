"""The plans' own siting questions, answered with the location-allocation models.

A scenario states a question in its ``questions`` section (:class:`siting.inputs.scenario.QuestionSpec`):
the clause it comes from, the demand (town points weighted by census population or 60+ population,
estimates labelled), the candidate towns, and the models to run. For example A15
(「根据人口数量和地域分布，布局建设若干个公共卫生应急物资储备中心」, 003 L332)::

    questions:
      - id: A15
        source: {document: "003", line: "003 L332", quote: 根据人口数量和地域分布，布局建设若干个公共卫生应急物资储备中心}
        demand: {level: town, weight: population}
        candidates: {level: town}
        models: [{model: pmedian, p: 4}, {model: mclp, p: 4, cutoff_km: 30}]

Costs are straight-line kilometres between the town points, or road kilometres on the drive
network when ``distance: network`` and the scenario's extract is present. Each run reports the
chosen towns, its objective, its status and gap, and the catchments (the towns each chosen town
serves). ``siting report`` shows one section per question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from siting.allocation import build_problem
from siting.allocation.catalogue import model_arguments, model_info
from siting.coords import haversine_m
from siting.errors import InputError
from siting.inputs.scenario import QuestionSpec, Scenario
from siting.planning.towns import unit_populations
from siting.rules.context import CheckInputs

WEIGHTS = ("population", "pop_60plus")


@dataclass
class ModelRun:
    """One model's answer to a question."""

    model: str
    p: int | None
    status: str
    objective: float | None
    gap: float | None
    chosen: list[str]
    mean_km: float | None
    max_km: float | None
    covered_share: float | None = None
    catchments: pd.DataFrame = field(default_factory=pd.DataFrame)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class QuestionResult:
    """A question, the demand it was answered on, and each model's answer."""

    spec: QuestionSpec
    distance: str
    demand: pd.DataFrame
    candidates: pd.DataFrame
    runs: list[ModelRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def demand_summary(self) -> dict[str, Any]:
        """How many towns, how many by census or estimate, the total weight, and those left out."""
        d = self.demand
        used = d["used"].to_numpy(bool)
        return {"towns": int(used.sum()), "census": int((used & (d["source"] == "census").to_numpy()).sum()),
                "estimated": int((used & d["source"].str.startswith("estimate")).sum()),
                "weight": float(d.loc[used, "weight"].sum()),
                "left_out": ", ".join(d.loc[~used, "name"].astype(str)), "weight_name": self.spec.weight}


def answer_questions(sc: Scenario, inputs: CheckInputs, time_limit: float = 30.0) -> list[QuestionResult]:
    """Every question of the scenario, answered."""
    return [answer(q, inputs, sc, time_limit) for q in sc.questions]


def answer(q: QuestionSpec, ctx: CheckInputs, sc: Scenario | None = None, time_limit: float = 30.0) -> QuestionResult:
    """Run the question's models on its town points; an error naming the scenario line for a bad model."""
    where = None if sc is None else sc.path
    if q.weight not in WEIGHTS:
        raise InputError(f"line {q.line}: question {q.id}: demand weight '{q.weight}' is not one of {', '.join(WEIGHTS)}",
                         path=where)
    towns = unit_populations(ctx, q.demand_level)
    towns["weight"] = towns[q.weight]
    towns["used"] = np.isfinite(towns["lon"]) & np.isfinite(towns["lat"]) & np.isfinite(towns["weight"]) & (towns["weight"] > 0)
    demand = towns[towns["used"]].reset_index(drop=True)
    cands = unit_populations(ctx, q.candidate_level)
    cands = cands[np.isfinite(cands["lon"]) & np.isfinite(cands["lat"])]
    if q.candidate_name_matches:
        cands = cands[cands["name"].str.contains(q.candidate_name_matches, regex=True)]
    cands = cands.reset_index(drop=True)
    if not len(demand) or not len(cands):
        raise InputError(f"line {q.line}: question {q.id}: no {q.demand_level} points with a population, or no candidates",
                         path=where, hint="Give the scenario a units table with points and a population (census) file")
    km, distance, notes = cost_km(ctx, demand, cands, q.distance)
    seats = demand[demand["location"] == "county seat"]
    if len(seats):
        notes.append(f"{len(seats)} unit(s) without a point placed at their county seat: {'、'.join(seats['name'])}")
    if q.weight == "pop_60plus":
        notes.append("60+ residents of a town estimated as its population times the city's 60+ share")
    result = QuestionResult(q, distance, towns, cands, notes=notes)
    for spec in q.models:
        result.runs.append(run_model(spec, km, demand, cands, q, where, time_limit))
    return result


def cost_km(ctx: CheckInputs, demand: pd.DataFrame, cands: pd.DataFrame, distance: str) -> tuple[np.ndarray, str, list[str]]:
    """Demand x candidate kilometres: on the drive network when asked for and present, else in a straight line."""
    if distance == "network" and ctx.has_network():
        from siting.routing.engine import od_matrix
        from siting.routing.snap import snap

        net = ctx.network("drive")
        d = snap(net, demand["lon"].to_numpy(float), demand["lat"].to_numpy(float))
        c = snap(net, cands["lon"].to_numpy(float), cands["lat"].to_numpy(float))
        od = od_matrix(net, d["node"].to_numpy(), c["node"].to_numpy(), np.inf, weight="length")  # type: ignore[arg-type]
        km = np.full((len(demand), len(cands)), np.inf)
        km[od["origin"].to_numpy(), od["destination"].to_numpy()] = (
            od["length_m"].to_numpy() + d["snap_m"].to_numpy()[od["origin"].to_numpy()]
            + c["snap_m"].to_numpy()[od["destination"].to_numpy()]) / 1000.0
        return km, "network", ["road kilometres on the drive network, including the snapping legs"]
    note = "straight-line kilometres between the town points" + (
        "" if distance == "straight_line" else f" ({ctx.network_reason()})")
    km = haversine_m(demand["lon"].to_numpy(float)[:, None], demand["lat"].to_numpy(float)[:, None],
                     cands["lon"].to_numpy(float)[None, :], cands["lat"].to_numpy(float)[None, :]) / 1000.0
    return np.asarray(km, dtype=float), "straight_line", [note]


def run_model(spec: dict[str, Any], km: np.ndarray, demand: pd.DataFrame, cands: pd.DataFrame, q: QuestionSpec,
              where: Any, time_limit: float) -> ModelRun:
    """Solve one model of a question and summarise it (chosen towns, objective, catchments)."""
    name, p = str(spec.get("model", "")), spec.get("p")
    try:
        info = model_info(name)
        capacity = None
        if name in ("cpmedian", "cmclp"):
            balance = float(spec.get("balance", 1.25))
            capacity = np.full(len(cands), balance * float(demand["weight"].sum()) / float(p or 1))
        args = model_arguments(name, p=p, cutoff=spec.get("cutoff_km"))
    except Exception as exc:  # SitingError: unknown model, p missing, ...
        raise InputError(f"line {spec.get('__line__', q.line)}: question {q.id}: {exc}", path=where) from exc
    problem = build_problem(km, demand["weight"].to_numpy(float), demand_ids=demand["code"], candidate_ids=cands["code"],
                            capacity=capacity, source=f"question {q.id}")
    result = info.model_class()(problem, **args).solve(time_limit=time_limit)
    return summarise(name, p, result, km, demand, cands)


def summarise(name: str, p: Any, result: Any, km: np.ndarray, demand: pd.DataFrame, cands: pd.DataFrame) -> ModelRun:
    """A :class:`ModelRun` from an allocation result: the chosen towns and who each serves."""
    names = dict(zip(cands["code"].astype(str), cands["name"].astype(str)))
    a = result.assignment if result.assignment is not None else pd.DataFrame(columns=["demand_id", "facility_id"])
    share = a["share"].to_numpy(float) if "share" in a.columns else np.ones(len(a))
    row = pd.Index(demand["code"].astype(str)).get_indexer(a["demand_id"].astype(str))
    col = pd.Index(cands["code"].astype(str)).get_indexer(a["facility_id"].astype(str))
    ok = (row >= 0) & (col >= 0)
    weight = demand["weight"].to_numpy(float)[row[ok]] * share[ok]
    dist = km[row[ok], col[ok]]
    frame = pd.DataFrame({"site": [names[c] for c in a["facility_id"].astype(str)[ok]], "town": demand["name"].to_numpy()[row[ok]],
                          "weight": weight, "km": dist})
    catch = frame.groupby("site", sort=False).agg(towns=("town", "count"), weight=("weight", "sum"),
                                                  farthest_km=("km", "max"), members=("town", lambda s: "、".join(s)))
    total = float(demand["weight"].sum())
    covered = result.coverage.get("covered_weight")
    return ModelRun(
        model=name, p=p, status=result.status, objective=result.objective, gap=result.gap,
        chosen=[names.get(str(s), str(s)) for s in result.selected],
        mean_km=float((weight * dist).sum() / weight.sum()) if weight.sum() > 0 else None,
        max_km=float(dist.max()) if len(dist) else None,
        covered_share=None if covered is None or not total else float(covered) / total,
        catchments=catch.reset_index(), details={"method": result.method, "bound": result.bound})
