"""Networks fetched through osmnx by place name or bbox (needs internet)."""

from __future__ import annotations

from siting.errors import SitingError
from siting.network.build import from_networkx
from siting.network.graph import RoadNetwork
from siting.network.speeds import SpeedProfile


def _require_host(url: str, source: str) -> None:
    """Fail at once when the Overpass host cannot be resolved (offline).

    Without this, osmnx waits 60 s for the Overpass status before its request fails.
    """
    import socket
    from urllib.parse import urlparse

    host = urlparse(url).hostname or url
    try:
        socket.getaddrinfo(host, 443)
    except OSError as exc:
        raise SitingError(
            f"could not download the network for '{source}': {host} cannot be reached ({exc}). "
            "Place names and bboxes need internet; offline, pass an OSM file (.osm.pbf, .osm, .osm.bz2) or GraphML"
        ) from exc


def load_online(source: str, mode: str, profile: SpeedProfile, strongly_connected: bool) -> RoadNetwork:
    """Fetch a network through osmnx by bbox or place name (needs internet)."""
    import osmnx as ox

    network_type = {"walk": "walk", "bike": "bike", "drive": "drive"}[mode]
    try:
        parts = [float(p) for p in source.split(",")]
    except ValueError:
        parts = []
    _require_host(ox.settings.overpass_url, source)
    try:
        if len(parts) == 4:
            graph = ox.graph_from_bbox((parts[0], parts[1], parts[2], parts[3]), network_type=network_type, simplify=False, retain_all=True)
        else:
            graph = ox.graph_from_place(source, network_type=network_type, simplify=False, retain_all=True)
    except Exception as exc:  # network errors, geocoder misses
        raise SitingError(
            f"could not download the network for '{source}' through osmnx ({type(exc).__name__}: {exc}). "
            "Place names and bboxes need internet; offline, pass an OSM file (.osm.pbf, .osm, .osm.bz2) or GraphML"
        ) from exc
    net = from_networkx(graph, mode, profile, strongly_connected)
    net.info.update({"source": source, "cached": False})
    return net
