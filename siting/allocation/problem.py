"""The data every allocation model shares: demand, candidates, a sparse cost matrix and the rules.

A problem is built once, from a dense matrix, a long table
``origin, destination, cost`` or GeoDataFrames plus a road network, and every
model reads the same arrays. Missing pairs (no path, or beyond the search
cutoff) are simply absent: nothing is ever expanded to a dense Python loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.errors import InputError, SitingError
from siting.units import DEFAULT_SNAP_TOLERANCE_M


@dataclass(frozen=True)
class Project:
    """One planned facility to place (e.g. a row of a plan's project table).

    Parameters
    ----------
    name
        Shown in the result.
    regions
        Region labels the project may go in (its county or town); None: anywhere.
    capacity
        Beds or places it brings (capacitated models); None: the candidate's capacity.
    """

    name: str
    regions: frozenset[str] | None = None
    capacity: float | None = None


def _ids(values: Any, n: int, what: str) -> np.ndarray:
    if values is None:
        return np.arange(n).astype(str).astype(object)
    out = np.asarray([str(v) for v in values], dtype=object)
    if len(out) != n:
        raise SitingError(f"{what}: {len(out)} ids given for {n} rows")
    dup = pd.Index(out).duplicated()
    if dup.any():
        raise SitingError(f"{what}: id '{out[np.flatnonzero(dup)[0]]}' appears more than once")
    return out


def _mask(values: Any, n: int, default: bool, what: str) -> np.ndarray:
    if values is None:
        return np.full(n, default)
    out = np.asarray(values, dtype=bool)
    if out.shape != (n,):
        raise SitingError(f"{what} needs one value per candidate ({n}), got shape {out.shape}")
    return out


def listing(values: Iterable[Any], limit: int = 5) -> str:
    """``a, b, c and 7 more``: the first ``limit`` values for an error message."""
    vals = list(values)
    shown = ", ".join(map(str, vals[:limit]))
    return shown + (f" and {len(vals) - limit} more" if len(vals) > limit else "")


@dataclass
class AllocationProblem:
    """Demand, candidates and the sparse cost between them.

    Attributes
    ----------
    demand_ids, weights
        One entry per demand point (weights: people, or 1).
    load
        What each demand point takes of its site's capacity, when it is not its weight (e.g.
        the beds a village needs while its cost is weighted by people), else None.
    candidate_ids
        One entry per candidate site (existing facilities included, flagged ``fixed``).
    rows, cols, cost
        The known pairs: demand position, candidate position, cost (seconds, metres or any unit).
        Absent pairs cannot serve each other.
    fixed
        Existing facilities: always open, never counted in ``p``.
    eligible
        Candidates that may be opened (fixed ones are open regardless).
    region
        A region label per candidate (county, town), or None.
    capacity
        Beds or places per candidate (NaN: unknown), or None.
    projects
        Planned facilities with their allowed regions and capacity, or None (``p`` anonymous sites).
    """

    demand_ids: np.ndarray
    weights: np.ndarray
    candidate_ids: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    cost: np.ndarray
    fixed: np.ndarray
    eligible: np.ndarray
    region: np.ndarray | None = None
    capacity: np.ndarray | None = None
    projects: list[Project] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    load: np.ndarray | None = None

    @property
    def n_demand(self) -> int:
        return len(self.demand_ids)

    @property
    def n_candidates(self) -> int:
        return len(self.candidate_ids)

    @property
    def demand_load(self) -> np.ndarray:
        """What each demand point takes of its site's capacity: ``load``, else its weight."""
        return self.weights if self.load is None else self.load

    @property
    def openable(self) -> np.ndarray:
        """Candidates a model may open: eligible and not already open."""
        return self.eligible & ~self.fixed

    def pairs(self, cutoff: float | None = None, usable_only: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (row, col, cost) pairs within ``cutoff`` (inclusive) whose candidate can be open."""
        keep = np.ones(len(self.cost), dtype=bool)
        if cutoff is not None:
            keep &= self.cost <= cutoff
        if usable_only:
            keep &= (self.openable | self.fixed)[self.cols]
        return self.rows[keep], self.cols[keep], self.cost[keep]

    def coverage(self, cutoff: float) -> sp.csr_matrix:
        """Boolean CSR (demand x candidate): True where the candidate covers the demand."""
        r, c, _ = self.pairs(cutoff)
        a = sp.csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(self.n_demand, self.n_candidates))
        a.sum_duplicates()
        a.sort_indices()
        a.data[:] = 1.0
        return a

    def dense_cost(self, missing: float = np.inf) -> np.ndarray:
        """The full cost matrix (demand x candidate); absent pairs get ``missing``."""
        d = np.full((self.n_demand, self.n_candidates), missing, dtype=np.float64)
        d[self.rows, self.cols] = self.cost
        return d

    def region_allowed(self) -> np.ndarray | None:
        """Boolean (project x candidate): may project k go to candidate j; None without projects."""
        if not self.projects:
            return None
        m = self.n_candidates
        out = np.zeros((len(self.projects), m), dtype=bool)
        for k, pr in enumerate(self.projects):
            if pr.regions is None:
                out[k] = True
            else:
                if self.region is None:
                    raise SitingError(
                        f"project '{pr.name}' is limited to regions {sorted(pr.regions)} but the candidates "
                        "have no region labels; give a 'region' per candidate"
                    )
                out[k] = np.isin(self.region.astype(str), list(pr.regions))
        return out & self.openable[None, :]


def group_rows(A: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Label rows of a sparse 0/1 matrix by their pattern: rows with the same covering set share a label.

    Models merge such rows into one, which keeps their MIPs small.

    Returns
    -------
    (labels, first)
        ``labels[i]`` is the group of row ``i``; ``first[g]`` one row of group ``g``.
    """
    A = sp.csr_matrix(A)
    A.sort_indices()
    ind = A.indices.astype(np.int32)
    keys = [ind[a:b].tobytes() for a, b in zip(A.indptr[:-1], A.indptr[1:])]
    labels, uniq = pd.factorize(pd.Series(keys, dtype=object))
    first = np.zeros(len(uniq), dtype=np.int64)
    first[labels[::-1]] = np.arange(len(labels))[::-1]
    return labels.astype(np.int64), first


def build_problem(
    cost: np.ndarray | pd.DataFrame | sp.spmatrix,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    demand_ids: Sequence[Any] | None = None,
    candidate_ids: Sequence[Any] | None = None,
    fixed: Sequence[bool] | np.ndarray | None = None,
    eligible: Sequence[bool] | np.ndarray | None = None,
    region: Sequence[Any] | None = None,
    capacity: Sequence[float] | np.ndarray | None = None,
    projects: Sequence[Project] | None = None,
    allowed_regions: Iterable[str] | None = None,
    load: Sequence[float] | np.ndarray | None = None,
    origin_col: str = "origin",
    destination_col: str = "destination",
    cost_col: str = "cost",
    source: str = "cost matrix",
) -> AllocationProblem:
    """Validate inputs and assemble an :class:`AllocationProblem`.

    Parameters
    ----------
    cost
        A dense ``(n_demand, n_candidates)`` array (``inf`` or NaN: no path), a scipy sparse
        matrix (stored entries are the pairs, explicit zeros included), or a long DataFrame
        with ``origin_col``, ``destination_col``, ``cost_col`` holding demand and candidate ids.
    weights
        Demand weight per demand point (default 1).
    demand_ids, candidate_ids
        Ids; required with a long DataFrame (its ids are matched against them).
    fixed, eligible, region, capacity
        Per candidate: existing (forced open), may be opened, region label, capacity.
    projects
        Planned facilities with allowed regions / capacity (sets ``p`` to their number).
    allowed_regions
        Regions new facilities may go in at all (an eligibility mask on ``region``).
    load
        Per demand point: what it takes of its site's capacity (default: its weight). Capacitated
        models weigh costs by the weight (or not at all, ``cost_weight='none'``) and fill sites by the load.
    source
        Name used in error messages (e.g. the matrix file).
    """
    if isinstance(cost, pd.DataFrame):
        if demand_ids is None or candidate_ids is None:
            raise SitingError("a long-format cost table needs demand_ids and candidate_ids")
        d_ids = _ids(demand_ids, len(demand_ids), "demand")
        c_ids = _ids(candidate_ids, len(candidate_ids), "candidates")
        rows, cols, vals = _table_pairs(cost, d_ids, c_ids, (origin_col, destination_col, cost_col), source)
    else:
        d_ids, c_ids, rows, cols, vals = _matrix_pairs(cost, demand_ids, candidate_ids)
    n, m = len(d_ids), len(c_ids)
    if len(rows) and not isinstance(cost, np.ndarray):  # a dense array has no duplicate pairs
        rows, cols, vals = _cheapest_pairs(rows, cols, vals)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise SitingError(f"weights need one value per demand point ({n}), got shape {w.shape}")
    if (~np.isfinite(w)).any() or (w < 0).any():
        raise SitingError("demand weights must be finite and >= 0")
    q = None if load is None else np.asarray(load, dtype=float)
    if q is not None and (q.shape != (n,) or (~np.isfinite(q)).any() or (q < 0).any()):
        raise SitingError(f"load needs one finite value >= 0 per demand point ({n})")
    fx = _mask(fixed, m, False, "fixed")
    el = _mask(eligible, m, True, "eligible")
    reg = None if region is None else np.asarray([None if r is None else str(r) for r in region], dtype=object)
    if reg is not None and len(reg) != m:
        raise SitingError(f"region needs one label per candidate ({m}), got {len(reg)}")
    if allowed_regions is not None:
        if reg is None:
            raise SitingError("allowed_regions needs a region label per candidate")
        el = el & np.isin(reg.astype(str), [str(r) for r in allowed_regions])
    cap = None if capacity is None else np.asarray(capacity, dtype=float)
    if cap is not None and cap.shape != (m,):
        raise SitingError(f"capacity needs one value per candidate ({m}), got shape {cap.shape}")
    return AllocationProblem(
        demand_ids=d_ids, weights=w, candidate_ids=c_ids, rows=rows, cols=cols, cost=vals,
        fixed=fx, eligible=el, region=reg, capacity=cap,
        projects=None if projects is None else list(projects), info={"source": source}, load=q,
    )


Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


def _table_pairs(table: pd.DataFrame, d_ids: np.ndarray, c_ids: np.ndarray, columns: tuple[str, str, str],
                 source: str) -> Pairs:
    """(demand position, candidate position, cost) of each row of a long cost table, with located errors."""
    origin_col, destination_col, cost_col = columns
    for col in columns:
        if col not in table.columns:
            raise InputError(f"missing column '{col}'", path=source, hint=f"Columns found: {', '.join(map(str, table.columns))}")
    o = table[origin_col].astype(str).str.strip()
    t = table[destination_col].astype(str).str.strip()
    ri = pd.Index(d_ids).get_indexer(o)
    ci = pd.Index(c_ids).get_indexer(t)
    if (ri < 0).any():
        missing = pd.unique(o[ri < 0])
        raise InputError(
            f"{len(missing)} origin id(s) are not in the demand file: {listing(missing)}",
            path=source, row=int(np.flatnonzero(ri < 0)[0]) + 1, field=origin_col,
            hint="Every origin_id must be a demand id",
        )
    if (ci < 0).any():
        missing = pd.unique(t[ci < 0])
        raise InputError(
            f"{len(missing)} destination id(s) are not in the candidate file: {listing(missing)}",
            path=source, row=int(np.flatnonzero(ci < 0)[0]) + 1, field=destination_col,
            hint="Every destination_id must be a candidate id",
        )
    vals = pd.to_numeric(table[cost_col], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(vals) | (vals < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"cost '{table[cost_col].iloc[i]}' is not a non-negative number", path=source, row=i + 1,
            field=cost_col, hint="Give a cost (time or distance) >= 0 on every row, or leave the pair out",
        )
    return ri.astype(np.int64), ci.astype(np.int64), vals


def _matrix_pairs(cost: np.ndarray | sp.spmatrix, demand_ids: Any, candidate_ids: Any
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(demand ids, candidate ids, pairs) of a sparse matrix (its stored entries) or a dense one (its finite entries)."""
    if sp.issparse(cost):
        coo = sp.coo_matrix(cost)
        d_ids = _ids(demand_ids, coo.shape[0], "demand")
        c_ids = _ids(candidate_ids, coo.shape[1], "candidates")
        return d_ids, c_ids, coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(float)
    arr = np.asarray(cost, dtype=float)
    if arr.ndim != 2:
        raise SitingError(f"the cost matrix must be 2-D (demand x candidates), got shape {arr.shape}")
    d_ids = _ids(demand_ids, arr.shape[0], "demand")
    c_ids = _ids(candidate_ids, arr.shape[1], "candidates")
    finite = np.isfinite(arr)
    if (arr[finite] < 0).any():
        raise SitingError("the cost matrix has negative costs")
    rows, cols = np.nonzero(finite)
    return d_ids, c_ids, rows, cols, arr[rows, cols]


def _cheapest_pairs(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> Pairs:
    """The pairs with duplicates (long tables, sparse input) reduced to the cheapest, sorted by row and column."""
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return rows[first], cols[first], vals[first]


def problem_from_geodataframes(
    demand: Any,
    candidates: Any,
    network: Any,
    *,
    weight_col: str | None = None,
    demand_id_col: str | None = None,
    candidate_id_col: str | None = None,
    weight: str = "time",
    search_cutoff: float = np.inf,
    tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    fixed_col: str | None = None,
    eligible_col: str | None = None,
    region_col: str | None = None,
    capacity_col: str | None = None,
    **kwargs: Any,
) -> AllocationProblem:
    """Build a problem from point GeoDataFrames and a :class:`~siting.network.RoadNetwork`.

    Both layers are snapped to the network (:func:`siting.routing.snap.snap`) and the
    sparse cost matrix comes from :func:`siting.routing.engine.od_matrix` (network cost
    between the snapped nodes; ``weight`` 'time' gives seconds, 'length' metres),
    searched up to ``search_cutoff``. The result is the same as calling
    :func:`build_problem` with that matrix.
    """
    from siting.routing import engine
    from siting.routing.snap import snap

    def lonlat(gdf: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
        g = gdf.to_crs(4326) if gdf.crs is not None else gdf
        pts = g.geometry.representative_point()
        lon, lat = pts.x.to_numpy(float), pts.y.to_numpy(float)
        bad = g.geometry.isna().to_numpy() | ~(np.isfinite(lon) & np.isfinite(lat))
        if bad.any():
            # A missing or empty geometry would snap nowhere: never computed with, always named.
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{what} {gdf.index[i]!r} has no location ({int(bad.sum())} of {len(gdf)} without)",
                             path=gdf.attrs.get("source"), row=i + 1, field="geometry",
                             hint="Give every row a point or polygon geometry, or leave the row out")
        return lon, lat

    dlon, dlat = lonlat(demand, "demand point")
    clon, clat = lonlat(candidates, "candidate")
    ds = snap(network, dlon, dlat, tolerance_m=tolerance_m)
    cs = snap(network, clon, clat, tolerance_m=tolerance_m)
    dn = ds["node"].to_numpy()
    cn = cs["node"].to_numpy()
    od = engine.od_matrix(network, dn, cn, search_cutoff, weight=weight)  # type: ignore[arg-type]
    col = "time_s" if weight == "time" else "length_m"
    n, m = len(dn), len(cn)
    mat = sp.coo_matrix(
        (od[col].to_numpy(dtype=float), (od["origin"].to_numpy(), od["destination"].to_numpy())), shape=(n, m)
    )

    def column(gdf: Any, name: str | None) -> Any:
        return None if name is None else gdf[name].to_numpy()

    prob = build_problem(
        mat,
        weights=column(demand, weight_col),
        demand_ids=demand.index if demand_id_col is None else demand[demand_id_col],
        candidate_ids=candidates.index if candidate_id_col is None else candidates[candidate_id_col],
        fixed=column(candidates, fixed_col),
        eligible=column(candidates, eligible_col),
        region=column(candidates, region_col),
        capacity=column(candidates, capacity_col),
        source="network",
        **kwargs,
    )
    prob.info.update(
        weight=weight,
        demand_snap_m=ds["snap_m"].to_numpy(),
        candidate_snap_m=cs["snap_m"].to_numpy(),
        demand_beyond_tolerance=int(ds["beyond_tolerance"].sum()),
        candidate_beyond_tolerance=int(cs["beyond_tolerance"].sum()),
    )
    return prob
