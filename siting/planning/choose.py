"""Choosing a project's site among its candidates: by a maximal-covering model, or the nearest eligible one.

With a road network and demand, :func:`choose_by_mclp` places the projects of one
target group together (one MCLP, each project on its own site in its own region,
existing facilities fixed). Without, or for a project the model left without a
site, :func:`fallback_choice` keeps the stated point or takes the eligible candidate
nearest to it, and otherwise says why the project is not placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.allocation import MCLP, Project
from siting.coords import haversine_m
from siting.planning.kinds import group_weights
from siting.routing.access import access_legs_s, demand_site_times
from siting.routing.snap import snap
from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.network import RoadNetwork
    from siting.planning.regions import Region


@dataclass(frozen=True)
class Choice:
    """The site chosen for a project: where, which candidate ('stated', a candidate id, '' if none) and how."""

    lon: float
    lat: float
    candidate: str
    how: str

    @classmethod
    def not_placed(cls, why: str) -> Choice:
        """No site: ``how`` says 'not placed: <why>'."""
        return cls(np.nan, np.nan, "", f"not placed: {why}")

    def precision(self, stated_precision: str) -> str:
        """How precise the chosen location is: the stated one's when kept, 'site' for a candidate, else 'unknown'."""
        return stated_precision if self.candidate == "stated" else ("site" if self.candidate else "unknown")


def choose_by_mclp(net: RoadNetwork, points: gpd.GeoDataFrame, cands: pd.DataFrame, projects: dict[int, str],
                   group: str, existing: pd.DataFrame, minutes: float,
                   time_limit: float) -> tuple[dict[int, Choice], dict[str, Any]]:
    """One MCLP for the ``projects`` (row number -> id) of one target group: each on its own site in its own region.

    ``cands`` are the projects' candidates (``project``, ``cid``, ``lon``, ``lat``, ``node``,
    ``eligible``), ``existing`` the facilities already serving the group (fixed). Returns the
    choices (a project the solve left without a site is missing) and the group's summary:
    status, objective, bound, gap, method and the covered weight before and after.
    """
    weights, used, note = group_weights(points, group)
    sel = cands.reset_index(drop=True)
    ids = np.concatenate([existing["id"].astype(str).to_numpy(),
                          (sel["project"].astype(str) + "#" + sel["cid"].astype(str)).to_numpy()])
    model = _mclp(net, points, weights, existing, sel, ids, list(projects), minutes)
    res = model.solve(time_limit=time_limit)
    placement = res.details.get("placement", {})
    chosen: dict[int, Choice] = {}
    for k in projects:
        cid = placement.get(str(k))
        if cid is None:
            continue
        c = sel.iloc[int(np.flatnonzero(ids == cid)[0]) - len(existing)]
        chosen[k] = Choice(float(c["lon"]), float(c["lat"]), str(c["cid"]),
                           f"MCLP: most {used} within {minutes:g} min ({res.status}, {res.method})")
    info = {"group": used, "target_group": group, "projects": list(projects.values()), "existing": int(len(existing)),
            "status": res.status, "objective": res.objective, "bound": res.bound, "gap": res.gap,
            "method": res.method, "covered_before": res.coverage.get("covered_weight_fixed_only"),
            "covered_after": res.coverage.get("covered_weight"), "total": res.coverage.get("total_weight"),
            "note": note}
    return chosen, info


def _mclp(net: RoadNetwork, points: gpd.GeoDataFrame, weights: np.ndarray, existing: pd.DataFrame,
          sel: pd.DataFrame, ids: np.ndarray, ks: list[int], minutes: float) -> Any:
    """The MCLP of :func:`choose_by_mclp`: existing sites fixed, then the candidates, region = project row."""
    ne = len(existing)
    enodes = snap(net, existing["lon"].to_numpy(float), existing["lat"].to_numpy(float),
                  DEFAULT_SNAP_TOLERANCE_M)["node"].to_numpy() if ne else np.zeros(0, np.int64)
    nodes = np.concatenate([enodes, sel["node"].to_numpy(np.int64)]).astype(np.int64)
    pairs = demand_site_times(net, nodes, points["node"], access_legs_s(net, points), minutes * 60.0)
    cost = sp.coo_matrix((pairs["time_s"].to_numpy() + 1e-9, (pairs["point"].to_numpy(), pairs["site"].to_numpy())),
                         shape=(len(points), len(ids)))
    region = np.concatenate([np.full(ne, "existing", dtype=object), sel["project"].astype(str).to_numpy()])
    fixed = np.concatenate([np.ones(ne, bool), np.zeros(len(sel), bool)])
    eligible = np.concatenate([np.ones(ne, bool), sel["eligible"].to_numpy(bool)])
    plist = [Project(str(k), frozenset({str(k)})) for k in ks]
    return MCLP.from_cost_matrix(cost, weights, candidate_ids=ids, fixed=fixed, eligible=eligible, region=region,
                                 projects=plist, cutoff=minutes * 60.0 + 1e-6)


def nearest_eligible(eligible: pd.DataFrame, stated: tuple[float, float], optimised: bool) -> Choice:
    """The eligible candidate nearest the stated point (or, without one, the candidates' centre); ties by id."""
    slon, slat = stated
    lon, lat = eligible["lon"].to_numpy(), eligible["lat"].to_numpy()
    has_point = bool(np.isfinite(slon))
    ref = (slon, slat) if has_point else (eligible["lon"].mean(), eligible["lat"].mean())
    d = haversine_m(lon, lat, ref[0], ref[1])
    best = eligible.iloc[int(np.lexsort((eligible["cid"].to_numpy(str), d))[0])]
    how = ("stated point kept" if best["cid"] == "stated" else
           "eligible candidate nearest the stated point" if has_point else
           "eligible candidate nearest the region's centre")
    if not optimised:
        how += " (no coverage optimisation: see not_evaluated)"
    return Choice(float(best["lon"]), float(best["lat"]), str(best["cid"]), how)


def fallback_choice(cands: pd.DataFrame, stated: tuple[float, float], region: Region, *, source: str,
                    from_table: bool, optimised: bool) -> Choice:
    """The site of a project without an MCLP choice, or why it is not placed.

    ``cands`` are the project's candidates (any, eligible or not), ``source`` where they came
    from ('table', 'grid', 'osm') and ``from_table`` whether a candidate table was searched;
    ``optimised`` says whether coverage could be optimised at all (network and demand).
    """
    eligible = cands[cands["eligible"].astype(bool)] if len(cands) else cands
    located = bool(np.isfinite(stated[0]))
    if len(eligible) and not located:
        # Nothing says where in the region it goes, and nothing to optimise: do not invent a site.
        return Choice.not_placed("the plan gives no location and coverage cannot be optimised (see not_evaluated); "
                                 "give a site, a network or a candidate table")
    if len(eligible):
        return nearest_eligible(eligible, stated, optimised)
    if len(cands):
        reasons = sorted(set(cands["why_not"]) - {""})
        return Choice.not_placed("no eligible candidate in the region (" + "; ".join(reasons) + ")")
    if located:
        return Choice(stated[0], stated[1], "stated", "stated point kept (no region to search)")
    if region.kind not in ("none", "site") and from_table:
        return Choice.not_placed(f"no candidate site in {region.label} ({source})")
    return Choice.not_placed(region.label)
