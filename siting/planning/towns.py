"""Town points with their population: census figures where the census gives them, labelled
estimates elsewhere — the demand of the plans' siting questions (A15, A26, A30).

The bundled census (``data/china/census_2020.csv``) lists the city total, the 钦南区 total and
nine of its towns; the other towns' figures have no citable source. They are estimated, and each
row says so in ``source``:

- a town of a county whose total is known gets an equal share of that total minus the county's
  listed towns (``estimate: 钦南区 total minus its 9 listed towns, shared by 7``);
- a town of a county whose total is not known gets an equal share of the city total minus the
  known county totals, over the towns of those counties.

Only census units count (names ending in 镇, 乡 or 街道/街道办事处); farms and development zones of
the statistics codes get no population. The 60+ population of a town is its population times the
city's 60+ share (an estimate too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from siting.rules.context import CheckInputs

#: Names of the units a census reports on (towns, townships, sub-districts).
CENSUS_UNIT = r"(?:镇|乡|街道|街道办事处)$"


def _known(ctx: CheckInputs, level: str) -> dict[str, float]:
    """Census population by unit code (and by name) at ``level``."""
    pops = ctx.population_by(level, "population")
    out: dict[str, float] = {}
    for _, row in pops.iterrows():
        for key in (row.get("code"), row.get("adcode"), row.get("unit")):
            if key is not None and str(key) not in ("", "nan"):
                out[str(key)] = float(row["value"])
    return out


def unit_populations(ctx: CheckInputs, level: str = "town") -> pd.DataFrame:
    """The units of ``level`` with ``lon, lat`` (WGS84), ``county``, ``population``, ``pop_60plus``,
    ``source`` ('census' or 'estimate: ...') and ``location`` ('unit', or 'county seat' for a census unit
    the statistics codes give no point: the urban sub-districts of a county seat); NaN population for
    units no census reports on."""
    if ctx.units is None:
        return pd.DataFrame(columns=["code", "name", "county", "lon", "lat", "population", "pop_60plus", "source"])
    u = ctx.units[ctx.units["level"] == level]
    out = pd.DataFrame({"code": u["code"].astype(str).to_numpy(), "name": u["name"].astype(str).to_numpy(),
                        "county": (u["county"].astype(str) if "county" in u.columns else pd.Series([""] * len(u))).to_numpy(),
                        "lon": pd.to_numeric(u.get("lon_wgs84"), errors="coerce").to_numpy(float),
                        "lat": pd.to_numeric(u.get("lat_wgs84"), errors="coerce").to_numpy(float)})
    towns, counties, city = _known(ctx, level), _known(ctx, "county"), ctx.population_by("city", "population")
    census_unit = out["name"].str.contains(CENSUS_UNIT, regex=True).to_numpy()
    pop = np.array([towns.get(c, np.nan) for c in out["code"]], dtype=float)
    source = np.where(np.isnan(pop), "", "census").astype(object)
    _estimate_within_counties(out, pop, source, census_unit, counties)
    if len(city) == 1:
        _estimate_from_city(out, pop, source, census_unit, counties, float(city["value"].iloc[0]))
    source[~census_unit & np.isnan(pop)] = "not a census unit"
    out["population"], out["source"] = pop, source
    _county_seat_points(ctx, out, census_unit)
    share = ctx.population_by("city", "share_60plus_pct")
    out["pop_60plus"] = pop * (float(share["value"].iloc[0]) / 100.0 if len(share) == 1 else np.nan)
    return out


def _estimate_within_counties(out: pd.DataFrame, pop: np.ndarray, source: np.ndarray, census_unit: np.ndarray,
                              counties: dict[str, float]) -> None:
    """Towns of a county with a known total: an equal share of what its listed towns leave."""
    for county, total in counties.items():
        mine = (out["county"] == county).to_numpy() & census_unit
        if not mine.any():
            continue
        listed, todo = mine & ~np.isnan(pop), mine & np.isnan(pop)
        if todo.any():
            rest = max(0.0, total - float(pop[listed].sum()))
            pop[todo] = rest / int(todo.sum())
            source[todo] = (f"estimate: {county} total minus its {int(listed.sum())} listed towns, "
                            f"shared by {int(todo.sum())}")


def _estimate_from_city(out: pd.DataFrame, pop: np.ndarray, source: np.ndarray, census_unit: np.ndarray,
                        counties: dict[str, float], city: float) -> None:
    """Towns of counties without a known total: an equal share of the city total the known counties leave."""
    known = {c for c in counties if (out["county"] == c).any()}
    todo = census_unit & np.isnan(pop) & ~out["county"].isin(list(known)).to_numpy()
    if not todo.any():
        return
    rest = city - sum(v for c, v in counties.items() if c in known)
    pop[todo] = max(0.0, rest) / int(todo.sum())
    names = ", ".join(sorted(set(out.loc[todo, "county"])))
    source[todo] = f"estimate: city total minus the known county totals, shared by the {int(todo.sum())} towns of {names}"


def _county_seat_points(ctx: CheckInputs, out: pd.DataFrame, census_unit: np.ndarray) -> None:
    """Give census units without a point their county's point (the county seat), and say so in ``location``."""
    out["location"] = np.where(np.isfinite(out["lon"]) & np.isfinite(out["lat"]), "unit", "")
    u = ctx.units
    if u is None or "lon_wgs84" not in u.columns:
        return
    seats = u[u["level"] == "county"]
    points = {str(n): (float(x), float(y)) for n, x, y in zip(seats["name"], pd.to_numeric(seats["lon_wgs84"], errors="coerce"),
                                                              pd.to_numeric(seats["lat_wgs84"], errors="coerce"))}
    for i in np.flatnonzero(census_unit & (out["location"] == "").to_numpy()):
        seat = points.get(str(out.at[i, "county"]))
        if seat is not None and np.isfinite(seat[0]) and np.isfinite(seat[1]):
            out.loc[i, ["lon", "lat", "location"]] = [seat[0], seat[1], "county seat"]
