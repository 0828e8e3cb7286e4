"""The what-if panel's numbers, precomputed: which demand points each site covers, and what counts.

A reviewer ticks planned projects and candidate sites on and off, and the page recomputes the
covered population and share of each target (a service-circle rule such as A1, or "60+ within
15 minutes of elderly care" for the kinds of the sites on the map), the rules' status against
their ``min_share``, and the capacity totals against the capacity rules' targets. Python does the
travel-time work once, here:

- per target: its demand group, threshold and travel mode, the demand points it counts (the
  central urban area only, for a rule that asks for it), and the union of the points the
  *existing* facilities of its types cover (always on);
- per (mode, minutes) and per site that can be ticked, the demand points within that many
  minutes of it: the access leg plus the network time towards the site, exactly as
  :func:`siting.analysis.coverage.coverage` measures it (:func:`siting.routing.access.demand_site_times`);
- the population of each group at each demand point.

Point sets travel as short texts (:mod:`siting.maps.idsets`); the page unites the sets of the
sites ticked and sums the populations. The site table (``sites``) these functions read has one
row per site with ``key`` (unique text), ``id``, ``name``, ``type``, ``origin`` ('facilities',
'projects' or 'candidates'), ``toggle`` (a checkbox: projects and candidates), ``on`` (ticked
when the page opens), ``lon``/``lat`` (NaN when unlocated) and the capacity columns (``beds``,
``places``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from siting.analysis.demand import group_column, snap_demand
from siting.i18n import label, t
from siting.maps.idsets import encode_ids
from siting.routing.access import access_legs_s, demand_site_times
from siting.routing.snap import snap
from siting.rules.context import filter_frame, subject_table
from siting.units import DEFAULT_SNAP_TOLERANCE_M

if TYPE_CHECKING:
    from siting.rules.context import CheckInputs
    from siting.rules.result import ComplianceReport
    from siting.rules.rule import Rule

#: Rule kinds whose verdict is a share of people within reach (targets of the panel).
CIRCLE_KINDS = ("service_coverage",)
#: Rule kinds that add up beds or places against a target (the panel's capacity lines).
CAPACITY_KINDS = ("capacity_total", "capacity_ratio")
#: Site kinds that get a target of their own: the group each serves and the facility types serving it.
KIND_TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "elderly": ("60+", ("elderly", "integrated")),
    "integrated": ("60+", ("elderly", "integrated")),
    "childcare": ("0-3", ("childcare",)),
    "kindergarten": ("0-3", ("kindergarten", "childcare")),
}
#: Capacity column of each site type (what a candidate's ``capacity`` adds to).
CAPACITY_OF = {"elderly": "beds", "integrated": "beds", "childcare": "places", "kindergarten": "kindergarten_places",
               "medical": "beds"}
EPS = 1e-9


@dataclass
class Target:
    """One coverage figure of the panel: ``group`` within ``minutes`` by ``mode`` of sites matching ``applies_to``."""

    id: str
    what: str
    group: str
    minutes: float
    mode: str
    applies_to: dict[str, Any]
    rule: str | None = None
    min_share: float | None = None
    central: bool = False
    #: What the panel calls it (``A1: 60+ residents within 15 min of ...`` for a rule); ``what`` when empty.
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.what

    @property
    def key(self) -> str:
        """The reach table this target reads: ``mode|minutes``."""
        return f"{self.mode}|{self.minutes:g}"


def matching(sites: pd.DataFrame, applies_to: dict[str, Any]) -> pd.Series:
    """Keys of the sites a rule's ``applies_to`` selects (candidates count as projects for ``from``)."""
    if sites.empty:
        return pd.Series([], dtype=object)
    origins = applies_to.get("from", ["facilities", "projects"])
    as_subject = sites.assign(origin=sites["origin"].replace("candidates", "projects"))
    keep = as_subject[as_subject["origin"].isin(origins)]
    chosen = filter_frame(subject_table(keep), {k: v for k, v in applies_to.items() if k != "from"})
    return chosen["key"]


def targets_of(compliance: ComplianceReport, rules: dict[str, Rule], sites: pd.DataFrame, inputs: CheckInputs,
               columns: set[str], lang: str = "en") -> list[Target]:
    """The panel's coverage targets: every service-circle rule that was computed, then one per kind of site
    that can be ticked (60+ near elderly care, 0–3 near childcare) unless a rule already is that target.

    ``columns`` are the demand's columns: a kind whose group has no figures there counts all residents.
    """
    out = []
    for r in compliance.results:
        rule, share = rules.get(r.id), r.figures.get("share")
        if r.kind not in CIRCLE_KINDS or rule is None or not isinstance(share, float) or not np.isfinite(share):
            continue
        group, minutes, mode = str(r.figures["group"]), float(r.params["minutes"]), str(r.figures["mode"])
        names = t("report.list_sep", lang).join(label("type", k, lang) for k in rule.applies_to.get("type", []))
        what = t("whatif.target", lang, group=label("group", group, lang), minutes=f"{minutes:g}", types=names)
        out.append(Target(r.id, what, group, minutes, mode, dict(rule.applies_to), r.id,
                          float(r.figures["min_share"]), r.figures.get("area") == "central",
                          t("whatif.rule_target", lang, rule=r.id, what=what)))
    seen = {(x.group, x.minutes, x.mode, tuple(sorted(x.applies_to.get("type", [])))) for x in out}
    for kind in sorted(set(sites.loc[sites["toggle"], "type"].astype(str)) & set(KIND_TARGETS)):
        group, serving = KIND_TARGETS[kind]
        group = group if group_column(group) in columns else "all"
        ident = (group, float(inputs.minutes), inputs.network_mode, tuple(sorted(serving)))
        if ident in seen or not inputs.has_network():
            continue
        seen.add(ident)
        names = t("report.list_sep", lang).join(label("type", k, lang) for k in serving)
        out.append(Target(f"kind:{kind}", t("whatif.target", lang, group=label("group", group, lang),
                                            minutes=f"{inputs.minutes:g}", types=names),
                          group, float(inputs.minutes), inputs.network_mode, {"type": list(serving)}))
    return out


def demand_for(inputs: CheckInputs, net: Any) -> Any:
    """The scenario's demand points snapped to ``net`` as the coverage engine snaps them; None without demand."""
    demand, _ = inputs.demand_points(net)
    if demand is None:
        return None
    if "node" in demand.columns and "snap_m" in demand.columns:
        return demand
    return snap_demand(net, demand, DEFAULT_SNAP_TOLERANCE_M)


def central_positions(inputs: CheckInputs, demand: Any) -> np.ndarray:
    """Positions of the demand points inside the scenario's central urban area (as service-circle rules count)."""
    from siting.rules.kinds.circles import central_demand

    kept, _ = central_demand(demand.assign(_position=np.arange(len(demand))), inputs, "central", {})
    return np.sort(kept["_position"].to_numpy(np.int64))


def reach_sets(inputs: CheckInputs, sites: pd.DataFrame, mode: str, minutes: float,
               demand: Any) -> dict[str, np.ndarray]:
    """Per located site (by key), the sorted positions of the demand points within ``minutes`` of it."""
    net = inputs.network(mode)
    located = sites[sites["lon"].notna() & sites["lat"].notna()]
    if net is None or located.empty:
        return {}
    nodes = snap(net, located["lon"].to_numpy(float), located["lat"].to_numpy(float),
                 DEFAULT_SNAP_TOLERANCE_M)["node"].to_numpy(np.int64)
    legs = access_legs_s(net, demand)
    pairs = demand_site_times(net, nodes, demand["node"].to_numpy(np.int64), legs, minutes * 60.0)
    by_site = pairs.groupby("site")["point"]
    keys = located["key"].to_numpy()
    out = {str(k): np.zeros(0, dtype=np.int64) for k in keys}
    for pos, points in by_site:
        out[str(keys[int(pos)])] = np.unique(points.to_numpy(np.int64))
    return out


def capacity_items(compliance: ComplianceReport, rules: dict[str, Rule], sites: pd.DataFrame,
                   lang: str = "en") -> list[dict[str, Any]]:
    """The panel's capacity lines: per capacity rule, the baseline, what the always-on facilities add,
    what each site that can be ticked adds, and the target (city-wide for a per-1,000 rule).

    Read from the rule's parameters and figures: ``quantity``, ``include_projects``/``include_facilities``,
    ``baseline`` (a key; its value in the figures when the scenario gives it), ``min_total`` or
    ``min_per_1000`` with the ``city_population``.
    """
    out = []
    for r in compliance.results:
        rule, p = rules.get(r.id), r.params
        if r.kind not in CAPACITY_KINDS or rule is None or p.get("quantity") not in sites.columns:
            continue
        if r.kind == "capacity_ratio" and not isinstance(r.figures.get("city_population"), float):
            continue  # no city population: nothing to judge against
        origins = [o for o, on in (("projects", p.get("include_projects")), ("facilities", p.get("include_facilities")))
                   if on]
        applies = dict(rule.applies_to)
        applies["from"] = [o for o in applies.get("from", origins) if o in origins]
        chosen = sites[sites["key"].isin(matching(sites, applies))]
        values = pd.to_numeric(chosen[p["quantity"]], errors="coerce").fillna(0.0)
        fixed = float(values[~chosen["toggle"].to_numpy(bool)].sum())
        toggles = [[str(k), float(v)] for k, v, on in zip(chosen["key"], values, chosen["toggle"]) if on]
        baseline = 0.0 if p.get("baseline") is None else r.figures.get("baseline")
        item = {"id": r.id, "rule": r.id, "quantity": p["quantity"], "baseline": baseline, "fixed": fixed,
                "sites": toggles, "label": t("whatif.capacity", lang, rule=r.id, quantity=label("column", p["quantity"], lang))}
        if r.kind == "capacity_total":
            item["target"] = float(p["min_total"])
        else:
            item.update(population=float(r.figures["city_population"]), min_per_1000=float(p["min_per_1000"]),
                        target=float(p["min_per_1000"]) * float(r.figures["city_population"]) / 1000.0)
        out.append(item)
    return out


def whatif_data(compliance: ComplianceReport, rules: dict[str, Rule], sites: pd.DataFrame, inputs: CheckInputs,
                lang: str = "en") -> tuple[dict[str, Any] | None, dict[str, list[dict[str, Any]]]]:
    """The panel's data (JSON-ready; None when nothing can be recomputed) and, per site key, the coverage
    lines of its popup (``label``, ``minutes``, ``group``, ``residents``, ``group_people``)."""
    toggles = sites[sites["toggle"].to_numpy(bool)]
    data: dict[str, Any] = {
        "sites": [{"key": str(k), "on": bool(o)} for k, o in zip(toggles["key"], toggles["on"])],
        "capacity": capacity_items(compliance, rules, sites, lang), "targets": [], "reach": {}, "pop": {}, "n": 0,
        "points": ""}
    net = inputs.network() if inputs.has_network() else None
    base_demand = demand_for(inputs, net) if net is not None else None
    popups: dict[str, list[dict[str, Any]]] = {}
    if base_demand is not None:
        targets = targets_of(compliance, rules, sites, inputs, set(base_demand.columns), lang)
        coverage_data(data, popups, targets, sites, inputs)
    if not data["targets"] and not data["capacity"]:
        return None, popups
    return data, popups


def coverage_data(data: dict[str, Any], popups: dict[str, list[dict[str, Any]]], targets: list[Target],
                  sites: pd.DataFrame, inputs: CheckInputs) -> None:
    """Fill ``data`` (``n``, ``points``, ``pop``, ``reach``, ``targets``) and ``popups`` for the coverage ``targets``.

    Only the points some site that can be ticked reaches change state, so only their populations are
    shipped (``points``: their positions; ``pop``: a list per group column, in that order); the points
    the existing facilities cover are summed here (``base_covered``).
    """
    toggle = set(sites.loc[sites["toggle"].to_numpy(bool), "key"].astype(str))
    wanted: dict[str, set[str]] = {}
    for target in targets:
        wanted.setdefault(target.key, set()).update(matching(sites, target.applies_to).astype(str))
    demands: dict[str, Any] = {}
    reaches: dict[str, dict[str, np.ndarray]] = {}
    pops: dict[str, np.ndarray] = {}
    for target in targets:
        if target.mode not in demands:
            net = inputs.network(target.mode)
            demands[target.mode] = None if net is None else demand_for(inputs, net)
        demand = demands[target.mode]
        if demand is None:
            continue
        if target.key not in reaches:
            chosen = sites[sites["key"].astype(str).isin(wanted[target.key])]
            reaches[target.key] = reach_sets(inputs, chosen, target.mode, target.minutes, demand)
        sets = reaches[target.key]
        keys = [k for k in matching(sites, target.applies_to).astype(str) if k in sets]
        entry, lines = target_entry(target, keys, sets, demand, toggle, inputs)
        data["targets"].append(entry)
        data["reach"].setdefault(target.key, {}).update(
            {k: encode_ids(sets[k], len(demand)) for k in entry["sites"]})
        pops[entry["column"]] = demand[entry["column"]].to_numpy(float)
        data["n"] = len(demand)
        for k, line in lines.items():
            popups.setdefault(k, []).append(line)
    reached = [sets[k] for sets in reaches.values() for k in sets if k in toggle]
    points = np.unique(np.concatenate(reached)) if reached else np.zeros(0, dtype=np.int64)
    data["points"] = encode_ids(points, data["n"])
    data["pop"] = {column: pop[points].tolist() for column, pop in pops.items()}


def target_entry(target: Target, keys: list[str], sets: dict[str, np.ndarray], demand: Any, toggle: set[str],
                 inputs: CheckInputs) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """One target of the panel's data, and per site it counts (``keys``, located), its popup's coverage line."""
    n = len(demand)
    column = group_column(target.group)
    pop, everyone = demand[column].to_numpy(float), demand["population"].to_numpy(float)
    in_area = np.ones(n, dtype=bool)
    if target.central:
        in_area[:] = False
        in_area[central_positions(inputs, demand)] = True
    base_sets = [sets[k] for k in keys if k not in toggle]
    base = np.unique(np.concatenate(base_sets)) if base_sets else np.zeros(0, dtype=np.int64)
    entry = {"id": target.id, "rule": target.rule, "label": target.label, "column": column, "key": target.key,
             "min_share": target.min_share, "area": encode_ids(np.flatnonzero(in_area), n) if target.central else None,
             "base": encode_ids(base, n), "base_covered": float(pop[base[in_area[base]]].sum()),
             "sites": [k for k in keys if k in toggle], "population": float(pop[in_area].sum())}
    lines = {}
    for k in keys:
        inside = sets[k][in_area[sets[k]]]
        lines[k] = {"label": target.what, "rule": target.rule, "minutes": target.minutes, "group": target.group,
                    "residents": float(everyone[inside].sum()), "group_people": float(pop[inside].sum())}
    return entry, lines


def covered_by(data: dict[str, Any], target_id: str, ticked: set[str]) -> float:
    """The covered population the page shows for target ``target_id`` with the sites ``ticked`` (keys) on:
    the Python twin of ``coverage()`` in ``static/panel.js``, summing in the same order."""
    from siting.maps.idsets import decode_ids

    t = next(x for x in data["targets"] if x["id"] == target_id)
    n = data["n"]
    index = np.full(n, -1, dtype=np.int64)
    index[decode_ids(data["points"], n)] = np.arange(len(data["pop"][t["column"]]))
    counted = np.zeros(n, dtype=bool)
    counted[decode_ids(t["base"], n)] = True
    area = np.ones(n, dtype=bool)
    if t["area"] is not None:
        area[:] = False
        area[decode_ids(t["area"], n)] = True
    covered = t["base_covered"]
    for k in t["sites"]:
        if k in ticked:
            for i in decode_ids(data["reach"][t["key"]][k], n):
                if not counted[i]:
                    counted[i] = True
                    covered += data["pop"][t["column"]][index[i]] if area[i] else 0.0
    return float(covered)
