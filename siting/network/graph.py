"""The road network as a directed travel-time graph in flat numpy arrays (:class:`RoadNetwork`).

Nodes and edges are plain arrays: fast to build, to cache and to search with
compiled code. ``net.to_networkx()`` gives the same graph as a networkx
``MultiDiGraph`` for cross-checks and interop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import networkx as nx
import numpy as np
import scipy.sparse as sp

from siting.errors import SitingError
from siting.units import MODES

Weight = Literal["time", "length"]


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is one of walk, bike, drive; else raise a clear error."""
    if mode not in MODES:
        raise SitingError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
    return mode




@dataclass
class RoadNetwork:
    """A directed travel-time graph in flat arrays.

    Attributes
    ----------
    mode
        'walk', 'bike' or 'drive'.
    node_osmid, lon, lat, x, y
        Per node: OSM id, WGS84 position, metric position in ``crs``.
    u, v, length_m, time_s, highway, way_id
        Per directed edge: endpoints (node indices), length in metres, travel
        time in seconds, highway class, OSM way id.
    crs
        The metric CRS of ``x``/``y`` (a UTM zone, e.g. 'EPSG:32632').
    info
        Provenance and build figures: source, sha256, parameters,
        ``dropped_nodes``, ``dropped_edges``, OSM timestamp.
    """

    mode: str
    node_osmid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    time_s: np.ndarray
    highway: np.ndarray
    way_id: np.ndarray
    crs: str
    info: dict[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    """Derived arrays (search structures) kept for reuse; never saved."""

    @property
    def n_nodes(self) -> int:
        return int(self.lon.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.u.shape[0])

    def weights(self, weight: Weight) -> np.ndarray:
        """Edge costs: seconds for 'time', metres for 'length'."""
        if weight == "time":
            return self.time_s
        if weight == "length":
            return self.length_m
        raise SitingError(f"unknown weight '{weight}': use 'time' or 'length'")

    def csr(self, weight: Weight = "time") -> sp.csr_array:
        """Adjacency matrix with edge costs (parallel edges keep the cheapest)."""
        self.weights(weight)  # a clear error for an unknown weight
        return self._csr_cache[weight][0]

    def edge_order(self, weight: Weight = "time") -> np.ndarray:
        """Edge index behind each stored entry of :meth:`csr` (for the other weight)."""
        self.weights(weight)
        return self._csr_cache[weight][1]

    @cached_property
    def _csr_cache(self) -> dict[str, tuple[sp.csr_array, np.ndarray]]:
        # Edges sorted by (u, v), ties by index: one integer sort shared by both weights (a three-key
        # lexsort per weight took seconds on a province-sized city's 2.6 M edges).
        key = self.u.astype(np.int64) * max(self.n_nodes, 1) + self.v
        by_pair = np.argsort(key, kind="stable")
        sorted_key = key[by_pair]
        first = np.ones(len(by_pair), dtype=bool)
        first[1:] = sorted_key[1:] != sorted_key[:-1]
        # Parallel edges (rare): the positions of their pairs, re-sorted by weight below.
        shared = np.flatnonzero(~first)
        shared = np.unique(np.concatenate([shared, shared - 1]))
        out = {}
        for weight in ("time", "length"):
            w = self.weights(weight)  # type: ignore[arg-type]
            order = by_pair.copy()
            if len(shared):
                # lexsort is stable: among equal weights the lower edge index stays first.
                order[shared] = by_pair[shared][np.lexsort((w[by_pair[shared]], sorted_key[shared]))]
            keep = order[first]
            # csgraph treats stored zeros as missing edges: keep coincident nodes connected.
            data = np.maximum(w[keep], 1e-9)
            indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.u[keep], minlength=self.n_nodes), out=indptr[1:])
            mat = sp.csr_array((data, self.v[keep].astype(np.int32), indptr), shape=(self.n_nodes, self.n_nodes))
            out[weight] = (mat, keep)
        return out

    def summary(self) -> dict[str, Any]:
        """Size and provenance, for ``--json`` output."""
        return {
            "mode": self.mode,
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "dropped_nodes": int(self.info.get("dropped_nodes", 0)),
            "dropped_edges": int(self.info.get("dropped_edges", 0)),
            "length_km": round(float(self.length_m.sum()) / 1000.0, 3),
            "crs": self.crs,
            "bbox": [float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max())]
            if self.n_nodes
            else None,
            **{k: self.info[k] for k in ("source", "sha256", "osm_timestamp", "speeds", "cached") if k in self.info},
        }

    def to_networkx(self) -> nx.MultiDiGraph:
        """The same graph for networkx/osmnx: nodes are indices, with x=lon, y=lat."""
        g = nx.MultiDiGraph(crs="epsg:4326", mode=self.mode)
        g.add_nodes_from(
            (i, {"x": float(self.lon[i]), "y": float(self.lat[i]), "osmid": int(self.node_osmid[i])})
            for i in range(self.n_nodes)
        )
        g.add_edges_from(
            (
                int(self.u[e]),
                int(self.v[e]),
                {
                    "length": float(self.length_m[e]),
                    "travel_time": float(self.time_s[e]),
                    "highway": str(self.highway[e]),
                    "osmid": int(self.way_id[e]),
                },
            )
            for e in range(self.n_edges)
        )
        return g

    def edges_frame(self) -> Any:
        """Edges as a GeoDataFrame of straight segments (EPSG:4326)."""
        import geopandas as gpd
        import shapely

        coords = np.stack(
            [np.column_stack([self.lon[self.u], self.lat[self.u]]), np.column_stack([self.lon[self.v], self.lat[self.v]])],
            axis=1,
        )
        return gpd.GeoDataFrame(
            {
                "u": self.u,
                "v": self.v,
                "length_m": self.length_m,
                "time_s": self.time_s,
                "highway": self.highway,
                "way_id": self.way_id,
            },
            geometry=shapely.linestrings(coords),
            crs="EPSG:4326",
        )

    def nodes_frame(self) -> Any:
        """Nodes as a GeoDataFrame of points (EPSG:4326)."""
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {"osmid": self.node_osmid, "x_m": self.x, "y_m": self.y},
            geometry=gpd.points_from_xy(self.lon, self.lat),
            crs="EPSG:4326",
        )


