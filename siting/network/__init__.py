"""Road networks: from an OpenStreetMap file (or GraphML, a saved network, a place name online)
to a travel-time graph in flat arrays.

- :mod:`~siting.network.graph`: :class:`RoadNetwork`, the graph every later stage reads;
- :mod:`~siting.network.build`: which ways each mode uses, one-ways, assembling the graph;
- :mod:`~siting.network.speeds`: walking, cycling and driving speeds;
- :mod:`~siting.network.store`: the ``.npz`` format and the content-hash cache;
- :mod:`~siting.network.online`: place names and bboxes through osmnx (internet only);
- :mod:`~siting.network.load`: :func:`load_network`, the one entry point.
"""

from siting.network.graph import MODES, RoadNetwork, Weight, check_mode
from siting.network.load import load_network
from siting.network.speeds import SpeedProfile

__all__ = ["MODES", "RoadNetwork", "SpeedProfile", "Weight", "check_mode", "load_network"]
