"""Storing built networks: the ``.npz`` format and the disk cache keyed by the source's content hash."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from siting.io import atomic_path
from siting.network.build import BUILDER_VERSION
from siting.network.graph import RoadNetwork
from siting.network.speeds import SpeedProfile

# ----------------------------------------------------------------------------------------------
# Loading with a disk cache


def default_cache_dir() -> Path:
    """``$SITING_CACHE_DIR``, else ``~/.cache/siting``."""
    env = os.environ.get("SITING_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "siting"


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_key(sha256: str, mode: str, profile: SpeedProfile, strongly_connected: bool) -> str:
    """Key of a built graph: the source file's hash and every build parameter."""
    params = {
        "builder": BUILDER_VERSION,
        "mode": mode,
        "speeds": profile.as_dict(),
        "strongly_connected": strongly_connected,
    }
    return hashlib.sha256((sha256 + json.dumps(params, sort_keys=True)).encode()).hexdigest()[:32]


_ARRAYS = ("node_osmid", "lon", "lat", "x", "y", "u", "v", "length_m", "time_s", "highway", "way_id")


def save_npz(net: RoadNetwork, path: str | Path) -> Path:
    """Write the network to a compressed ``.npz`` file atomically."""
    target = Path(path)
    arrays: dict[str, Any] = {name: getattr(net, name) for name in _ARRAYS}
    arrays["highway"] = net.highway.astype(str)
    meta = {"mode": net.mode, "crs": net.crs, "info": net.info}
    with atomic_path(target, suffix=".npz") as tmp:  # np.savez adds .npz to other names
        np.savez(tmp, meta=np.array(json.dumps(meta, default=str)), **arrays)
    return target


def load_npz(path: str | Path) -> RoadNetwork:
    """Read a network written by :func:`save_npz`."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {name: z[name] for name in _ARRAYS}
    return RoadNetwork(mode=meta["mode"], crs=meta["crs"], info=meta["info"], **arrays)


