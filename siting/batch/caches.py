"""What a worker process keeps between jobs: networks, demand layers, allocation cost matrices.

Jobs on the same network are queued back to back (:mod:`siting.batch.runner`),
so a worker that keeps the last few networks it built rarely builds one
twice; :func:`siting.network.load_network` also keeps built graphs on disk, so
another worker on the same machine loads rather than rebuilds. Coverage jobs
that differ only in the facility type or group share a demand layer, and
allocate jobs that differ only in the model or ``p`` share a cost matrix.
Each cache is bounded and forgets the entry used longest ago.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

Value = TypeVar("Value")


class RecentCache(Generic[Value]):
    """A mapping of at most ``size`` entries that forgets the least recently used one."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.entries: OrderedDict[Hashable, Value] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], Value]) -> Value:
        """The value of ``key``, built with ``build()`` when it is not kept."""
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        value = build()
        self.entries[key] = value
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value


#: Built networks by :func:`network_spec` (``SITING_BATCH_NETWORKS`` bounds the memory a worker uses).
NETWORKS: RecentCache[Any] = RecentCache(int(os.environ.get("SITING_BATCH_NETWORKS", "4")))
#: Demand layers of recent coverage jobs.
DEMAND_LAYERS: RecentCache[Any] = RecentCache(4)
#: Allocation problems (demand-to-candidate cost matrices) of recent allocate jobs.
COST_MATRICES: RecentCache[Any] = RecentCache(8)


def network_spec(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The hashable identity of the network a job needs: (source, size, mtime, mode, speeds)."""
    source = str(params["network"])
    try:
        st = os.stat(source)
        stamp: tuple[int, int] = (st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = (-1, -1)
    return (source, *stamp, params.get("mode", "walk"), params.get("walk_kmh"), params.get("bike_kmh"))


def warm_network(spec: Hashable) -> Any:
    """The network for ``spec``, from this worker's cache or built (and cached on disk)."""
    return NETWORKS.get(spec, lambda: _build_network(spec))


def _build_network(spec: Hashable) -> Any:
    from siting.network import load_network
    from siting.network.speeds import SpeedProfile

    parts: tuple[Any, ...] = tuple(spec)  # type: ignore[arg-type]
    source, _, _, mode, walk_kmh, bike_kmh = parts
    return load_network(source, mode, SpeedProfile.with_speeds(walk_kmh, bike_kmh))


def get_network(params: Mapping[str, Any]) -> Any:
    """The network of a job's parameters (``network``, ``mode``, ``walk_kmh``, ``bike_kmh``)."""
    return warm_network(network_spec(params))


def input_key(value: Any) -> Hashable:
    """Identity of a points input: a file by path, size and mtime; an inline list by its content."""
    if isinstance(value, str):
        try:
            st = os.stat(value)
            return (value, st.st_size, st.st_mtime_ns)
        except OSError:
            return (value, -1, -1)
    return json.dumps(value, sort_keys=True, default=str)
