"""Travel times on a :class:`~siting.network.RoadNetwork`.

- :mod:`~siting.routing.engine`: the compiled bounded Dijkstra (``reach``), ``nearest``, ``od_matrix``;
- :mod:`~siting.routing.snap`: points to network nodes, in metres, flagged never dropped.
"""
