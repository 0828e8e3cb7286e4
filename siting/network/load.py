"""``load_network``: one entry point for OSM files, GraphML, saved networks and (online) place names."""

from __future__ import annotations

from pathlib import Path

from siting.errors import InputError
from siting.network.build import from_networkx, from_osm_ways
from siting.network.graph import RoadNetwork, check_mode
from siting.network.online import load_online
from siting.network.speeds import SpeedProfile
from siting.network.store import cache_key, default_cache_dir, file_sha256, load_npz, save_npz
from siting.osm.reader import is_osm_file, read_highways


def _looks_like_path(source: str) -> bool:
    return any(sep in source for sep in ("/", "\\")) or is_osm_file(source) or source.lower().endswith(
        (".graphml", ".npz")
    )


def load_network(
    source: str | Path,
    mode: str = "walk",
    profile: SpeedProfile | None = None,
    *,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    strongly_connected: bool = True,
) -> RoadNetwork:
    """Load or build the ``mode`` travel-time network from ``source``.

    Parameters
    ----------
    source
        An OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2``), a GraphML file, a
        network saved with :func:`save_npz`, or — with internet only — a place
        name ("Monaco") or a bbox "west,south,east,north" fetched through osmnx.
    mode
        'walk', 'bike' or 'drive'.
    profile
        Speeds; :class:`siting.network.speeds.SpeedProfile` defaults when None.
    cache
        Reuse a graph built earlier from the same file bytes and parameters
        (stored in ``cache_dir``, default :func:`default_cache_dir`).
    strongly_connected
        Keep only the largest strongly connected component (what was dropped
        is reported in ``info``).
    """
    check_mode(mode)
    profile = profile or SpeedProfile()
    text = str(source)
    path = Path(text)
    if not path.exists():
        if _looks_like_path(text):
            raise InputError("network source not found", path=path, hint="Check the path, or give a place name")
        return load_online(text, mode, profile, strongly_connected)
    if path.is_dir():
        raise InputError("the network source is a folder, not a file", path=path)
    sha = file_sha256(path)
    key = cache_key(sha, mode, profile, strongly_connected)
    cache_file = Path(cache_dir or default_cache_dir()) / f"{key}.npz"
    if cache and cache_file.exists():
        try:
            net = load_npz(cache_file)
            net.info["cached"] = True
            net.info["source"] = str(path)
            return net
        except (OSError, ValueError, KeyError):
            cache_file.unlink(missing_ok=True)  # a damaged cache entry is rebuilt
    suffix = path.name.lower()
    if suffix.endswith(".npz"):
        net = load_npz(path)
        if net.mode != mode:
            raise InputError(f"this saved network is for mode '{net.mode}', not '{mode}'", path=path)
        return net
    if suffix.endswith(".graphml"):
        import osmnx as ox

        try:
            graph = ox.load_graphml(path)
        except Exception as exc:  # osmnx raises many kinds on a bad file
            raise InputError(f"cannot read GraphML ({exc})", path=path) from exc
        net = from_networkx(graph, mode, profile, strongly_connected)
    else:
        ways = read_highways(path)
        if len(ways.way_id) == 0:
            raise InputError(
                "the OSM file has no highway ways",
                path=path,
                hint="Use an extract that covers streets (highway=*)",
            )
        try:
            net = from_osm_ways(ways, mode, profile, strongly_connected)
        except InputError as exc:
            raise InputError(str(exc), path=path) from exc
    net.info.update({"source": str(path), "sha256": sha, "cached": False})
    if cache:
        try:
            save_npz(net, cache_file)
        except OSError:
            pass  # a read-only cache folder must not stop the analysis
    return net


