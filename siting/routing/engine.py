"""Travel-time searches in compiled code.

``reach``
    Bounded many-to-many Dijkstra: for each source, every node within the
    cutoff, as sparse ``(source, node, cost)`` triples. A 15-minute walk touches
    a few thousand nodes of a city graph, so dense per-source rows (what
    ``scipy.sparse.csgraph.dijkstra(limit=...)`` allocates) waste time and memory;
    this kernel only touches what it reaches and resets only that. It is
    compiled with numba, releases the GIL, and runs source blocks on threads.
``nearest``
    One multi-source search for "the nearest facility from every node"
    (``scipy.sparse.csgraph.dijkstra(min_only=True)``).
``od_matrix``
    Origin-destination pairs within a cutoff, with time and length.
``nearest_target``
    The nearest of many targets from each of many origins, with time and
    length along the path: one multi-source search on the reversed graph from
    the targets, then each origin's path walked forward (compiled), so the
    work does not grow with the number of origins.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numba import njit
from scipy.sparse.csgraph import dijkstra

from siting.errors import SitingError

if TYPE_CHECKING:
    from siting.network import RoadNetwork, Weight


@njit(cache=True, nogil=True)
def bounded_dijkstra(indptr, indices, weight, other, with_other, sources, positions, cutoff, n_nodes):  # type: ignore[no-untyped-def]
    """Dijkstra from each source up to ``cutoff``; returns the settled nodes as triples.

    ``positions[i]`` is written as the source label of ``sources[i]``. When
    ``with_other`` is true the second weight ``other`` is summed along each
    shortest path too. A binary heap with lazy deletion is written inline
    (numba calls that return arrays pay reference counting on every push and
    pop); a popped entry is stale when its key exceeds the node's distance.
    The heap is 4-ary, which halves its depth and measured twice as fast as a
    binary heap on a 300k-node grid.
    """
    dist = np.full(n_nodes, np.inf)
    aux = np.zeros(n_nodes if with_other else 1)
    touched = np.empty(n_nodes, dtype=np.int64)
    keys = np.empty(4096, dtype=np.float64)
    vals = np.empty(4096, dtype=np.int32)
    cap = max(4096, sources.shape[0] * 256)
    out_src = np.empty(cap, dtype=np.int32)
    out_node = np.empty(cap, dtype=np.int32)
    out_cost = np.empty(cap, dtype=np.float64)
    out_other = np.empty(cap if with_other else 0, dtype=np.float64)
    n_out = 0
    for si in range(sources.shape[0]):
        s = sources[si]
        dist[s] = 0.0
        if with_other:
            aux[s] = 0.0
        touched[0] = s
        n_touched = 1
        keys[0] = 0.0
        vals[0] = s
        size = 1
        while size > 0:
            d = keys[0]
            node = vals[0]
            size -= 1
            last_k = keys[size]
            last_v = vals[size]
            i = 0
            while True:  # sift down a 4-ary heap: half the depth of a binary one
                child = 4 * i + 1
                if child >= size:
                    break
                best = child
                best_k = keys[child]
                for c in range(child + 1, min(child + 4, size)):
                    if keys[c] < best_k:
                        best_k = keys[c]
                        best = c
                if last_k <= best_k:
                    break
                keys[i] = best_k
                vals[i] = vals[best]
                i = best
            keys[i] = last_k
            vals[i] = last_v
            if d > dist[node]:
                continue
            if n_out == out_src.shape[0]:
                grow = out_src.shape[0]
                out_src = np.concatenate((out_src, np.empty(grow, dtype=np.int32)))
                out_node = np.concatenate((out_node, np.empty(grow, dtype=np.int32)))
                out_cost = np.concatenate((out_cost, np.empty(grow, dtype=np.float64)))
                if with_other:
                    out_other = np.concatenate((out_other, np.empty(grow, dtype=np.float64)))
            out_src[n_out] = positions[si]
            out_node[n_out] = node
            out_cost[n_out] = d
            if with_other:
                out_other[n_out] = aux[node]
            n_out += 1
            for e in range(indptr[node], indptr[node + 1]):
                nxt = indices[e]
                nd = d + weight[e]
                if nd <= cutoff and nd < dist[nxt]:
                    if dist[nxt] == np.inf:
                        touched[n_touched] = nxt
                        n_touched += 1
                    dist[nxt] = nd
                    if with_other:
                        aux[nxt] = aux[node] + other[e]
                    if size == keys.shape[0]:
                        keys = np.concatenate((keys, np.empty(size, dtype=np.float64)))
                        vals = np.concatenate((vals, np.empty(size, dtype=np.int32)))
                    j = size
                    size += 1
                    while j > 0:
                        parent = (j - 1) >> 2
                        if keys[parent] <= nd:
                            break
                        keys[j] = keys[parent]
                        vals[j] = vals[parent]
                        j = parent
                    keys[j] = nd
                    vals[j] = nxt
        for k in range(n_touched):
            dist[touched[k]] = np.inf
    if not with_other:
        return out_src[:n_out], out_node[:n_out], out_cost[:n_out], out_other
    return out_src[:n_out], out_node[:n_out], out_cost[:n_out], out_other[:n_out]


def _other_weight(weight: Weight) -> Weight:
    return "length" if weight == "time" else "time"


def graph_arrays(net: RoadNetwork, weight: Weight, reverse: bool) -> tuple[np.ndarray, ...]:
    """CSR arrays (indptr, indices, cost, other cost) of the graph or its reverse, cached on ``net``."""
    key = ("engine", weight, reverse)
    if key not in net.cache:
        net.cache[key] = _build_graph_arrays(net, weight, reverse)
    return net.cache[key]


def _build_graph_arrays(net: RoadNetwork, weight: Weight, reverse: bool) -> tuple[np.ndarray, ...]:
    mat = net.csr(weight)
    order = net.edge_order(weight)
    # Entries of mat are edges `order`; fetch the other weight of the same edges.
    other = net.weights(_other_weight(weight))[order]
    coo_u = np.repeat(np.arange(net.n_nodes), np.diff(mat.indptr))
    if reverse:
        # Transpose by sorting entries by their target node.
        perm = np.argsort(mat.indices, kind="stable")
        indptr = np.zeros(net.n_nodes + 1, dtype=np.int64)
        np.add.at(indptr, mat.indices + 1, 1)
        np.cumsum(indptr, out=indptr)
        return indptr, coo_u[perm].astype(np.int32), mat.data[perm], other[perm]
    return mat.indptr.astype(np.int64), mat.indices.astype(np.int32), mat.data, other


def _transpose(net: RoadNetwork, weight: Weight) -> Any:
    """The reversed graph's CSR matrix for ``weight``, cached on ``net``."""
    key = ("transpose", weight)
    if key not in net.cache:
        net.cache[key] = net.csr(weight).T.tocsr()
    return net.cache[key]


def _check_sources(net: RoadNetwork, sources: np.ndarray) -> np.ndarray:
    src = np.asarray(sources, dtype=np.int64).ravel()
    if len(src) and (src.min() < 0 or src.max() >= net.n_nodes):
        raise SitingError(f"source node index out of range 0..{net.n_nodes - 1}")
    return src


def reach(
    net: RoadNetwork,
    sources: np.ndarray,
    cutoff: float,
    weight: Weight = "time",
    reverse: bool = False,
    threads: int | None = None,
    with_other: bool = True,
) -> pd.DataFrame:
    """Every node within ``cutoff`` of each source, as sparse triples.

    Parameters
    ----------
    net
        The network.
    sources
        Node indices to search from (duplicates allowed; each gets its own rows).
    cutoff
        Largest cost kept, in seconds (``weight='time'``) or metres (``'length'``).
    weight
        'time' or 'length'.
    reverse
        Search the reversed graph: costs from each node *to* the source.
    threads
        Worker threads (default: the machine's cores).
    with_other
        Also sum the other weight (length for time, time for length) along
        each path; False saves time and memory when only ``cost`` is needed.

    Returns
    -------
    pandas.DataFrame
        Columns ``source`` (position in ``sources``), ``node``, ``cost`` and,
        with ``with_other``, ``other`` (the other weight along the same path);
        rows are grouped by source, each group in order of increasing cost.
    """
    src = _check_sources(net, sources)
    indptr, indices, data, other = graph_arrays(net, weight, reverse)
    threads = max(1, threads or os.cpu_count() or 1)
    n_blocks = min(len(src), threads) or 1
    blocks = np.array_split(np.arange(len(src), dtype=np.int64), n_blocks)

    def run(block: np.ndarray) -> tuple[np.ndarray, ...]:
        return bounded_dijkstra(
            indptr, indices, data, other, with_other, src[block], block, float(cutoff), net.n_nodes
        )

    if threads == 1 or len(blocks) == 1:
        parts = [run(b) for b in blocks]
    else:
        with ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(run, blocks))
    cols = [np.concatenate([p[i] for p in parts]) for i in range(4)]
    frame = {"source": cols[0], "node": cols[1], "cost": cols[2]}
    if with_other:
        frame["other"] = cols[3]
    return pd.DataFrame(frame, copy=False)


def nearest(
    net: RoadNetwork,
    sources: np.ndarray,
    weight: Weight = "time",
    cutoff: float = np.inf,
    reverse: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost of the nearest source from every node, in one multi-source search.

    Parameters
    ----------
    reverse
        When True the cost is measured from each node *to* the sources (the
        direction a resident travels to a facility on a directed network).

    Returns
    -------
    (cost, which)
        ``cost[i]`` is the cost between node ``i`` and its nearest source
        (``inf`` beyond ``cutoff``); ``which[i]`` is that source's position in
        ``sources`` (-1 where none). With duplicate nodes in ``sources`` the
        first position is given.
    """
    src = _check_sources(net, sources)
    if len(src) == 0:
        return np.full(net.n_nodes, np.inf), np.full(net.n_nodes, -1, dtype=np.int64)
    graph = _transpose(net, weight) if reverse else net.csr(weight)
    dist, _, origin = dijkstra(graph, directed=True, indices=src, min_only=True, limit=cutoff, return_predecessors=True)
    position = np.full(net.n_nodes, -1, dtype=np.int64)
    # Map graph node -> first position in `sources`.
    rev = src[::-1]
    position[rev] = np.arange(len(src))[::-1]
    which = np.where(origin >= 0, position[np.maximum(origin, 0)], -1)
    return dist, which


def od_matrix(
    net: RoadNetwork,
    origin_nodes: np.ndarray,
    destination_nodes: np.ndarray,
    cutoff: float = np.inf,
    weight: Weight = "time",
) -> pd.DataFrame:
    """Origin-destination pairs reached within ``cutoff``.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin`` and ``destination`` (positions in the two input
        arrays), ``time_s`` and ``length_m`` along the path that minimises
        ``weight``.
    """
    reached = reach(net, origin_nodes, cutoff, weight=weight)
    dest = pd.DataFrame({"node": np.asarray(destination_nodes, dtype=np.int64), "destination": np.arange(len(destination_nodes))})
    pairs = reached.merge(dest, on="node", how="inner")
    if weight == "time":
        time_s, length_m = pairs["cost"], pairs["other"]
    else:
        time_s, length_m = pairs["other"], pairs["cost"]
    out = pd.DataFrame(
        {
            "origin": pairs["source"].to_numpy(np.int64),
            "destination": pairs["destination"].to_numpy(np.int64),
            "time_s": time_s.to_numpy(float),
            "length_m": length_m.to_numpy(float),
        }
    )
    return out.sort_values(["origin", "destination"], kind="stable").reset_index(drop=True)


@njit(cache=True, nogil=True)
def walk_to_target(indptr, indices, weight, other, towards, starts):  # type: ignore[no-untyped-def]
    """Follow ``towards`` (the next node on each node's path, -1 or less at a target) from every start.

    Sums ``weight`` and ``other`` of the CSR entries along the path in the order a forward
    search from the start adds them, so the sums equal that search's to the last bit.
    Returns (weight sum, other sum, end node) per start.
    """
    n = starts.shape[0]
    cost = np.zeros(n)
    aux = np.zeros(n)
    end = np.empty(n, dtype=np.int64)
    for i in range(n):
        node = starts[i]
        c = 0.0
        a = 0.0
        while towards[node] >= 0:
            nxt = towards[node]
            best = np.inf
            best_other = 0.0
            for e in range(indptr[node], indptr[node + 1]):
                if indices[e] == nxt and weight[e] < best:
                    best = weight[e]
                    best_other = other[e]
            c += best
            a += best_other
            node = nxt
        cost[i] = c
        aux[i] = a
        end[i] = node
    return cost, aux, end


def nearest_target(
    net: RoadNetwork,
    origin_nodes: np.ndarray,
    target_nodes: np.ndarray,
    cutoff: float = np.inf,
    weight: Weight = "time",
) -> pd.DataFrame:
    """The nearest target of each origin along the network, with time and length along its path.

    The same rows as keeping, of :func:`od_matrix` ``(origins, targets, cutoff, weight)``, each
    origin's cheapest destination, but in one multi-source search from the targets on the
    reversed graph (``scipy.sparse.csgraph.dijkstra(min_only=True)``) whatever the number of
    origins: a province's worth of candidate sites against a few hospitals costs one search,
    not one whole-graph search per site. Each origin's path is then walked forward, so ``time_s``
    and ``length_m`` are summed in the order a search from the origin sums them. Between
    targets at exactly the same cost, which one is named is not specified.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin`` and ``destination`` (positions in the two input arrays; with
        duplicate target nodes the first position), ``time_s`` and ``length_m``; one row per
        origin that reaches a target within ``cutoff``, in origin order.
    """
    org = _check_sources(net, origin_nodes)
    tgt = _check_sources(net, target_nodes)
    columns = ["origin", "destination", "time_s", "length_m"]
    if len(org) == 0 or len(tgt) == 0:
        return pd.DataFrame({c: np.zeros(0, dtype=np.int64 if c in columns[:2] else float) for c in columns})
    dist, towards, _ = dijkstra(_transpose(net, weight), directed=True, indices=np.unique(tgt), min_only=True,
                                limit=cutoff, return_predecessors=True)
    ok = np.flatnonzero(np.isfinite(dist[org]))
    indptr, indices, data, other = graph_arrays(net, weight, reverse=False)
    cost, aux, end = walk_to_target(indptr, indices, data, other, towards.astype(np.int64), org[ok])
    first = np.full(net.n_nodes, -1, dtype=np.int64)
    first[tgt[::-1]] = np.arange(len(tgt))[::-1]
    time_s, length_m = (cost, aux) if weight == "time" else (aux, cost)
    return pd.DataFrame({"origin": ok.astype(np.int64), "destination": first[end], "time_s": time_s,
                         "length_m": length_m})
