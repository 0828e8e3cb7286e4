"""Decisions about sites: placing a plan's projects, scoring candidate sites.

One module per step, in the order the data goes through them:

- :mod:`~siting.planning.kinds`: the group a project type serves, the facilities already serving it;
- :mod:`~siting.planning.context`: the scenario's inputs, networks and hospital rule, read once;
- :mod:`~siting.planning.candidates`: candidate tables, OSM candidate sites, grids;
- :mod:`~siting.planning.regions`: where a project may go (county, town disk, study area);
- :mod:`~siting.planning.hospitals`: the hospital-proximity rule on sites (distances, verdicts);
- :mod:`~siting.planning.eligibility`: a project's candidates, eligible or not;
- :mod:`~siting.planning.choose`: the MCLP choice per target group, and the fallback;
- :mod:`~siting.planning.outcomes`: coverage before and after, capacity per 1,000;
- :mod:`~siting.planning.place`: :func:`place_projects`, and :mod:`~siting.planning.result` its result;
- :mod:`~siting.planning.scoring`: :func:`score_candidates`, each candidate on its own.
"""
