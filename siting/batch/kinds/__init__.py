"""The built-in job kinds, one module per family; importing this package registers them all.

=============  ====================================================================
``network``    build a network and report its size (:mod:`.access`)
``access``     who reaches a set of facilities within a time limit (:mod:`.access`)
``isochrones`` service-circle polygons per facility and limit (:mod:`.coverage`)
``coverage``   coverage scores of a facility type for a group (:mod:`.coverage`)
``check``      a scenario's rule checks (:mod:`.scenario`)
``score``      candidate sites scored against a scenario (:mod:`.scenario`)
``allocate``   a location-allocation model on network travel times (:mod:`.allocate`)
=============  ====================================================================

Each kind is a plain function ``func(params) -> dict`` registered with
:func:`siting.batch.registry.register_kind`; what they keep between jobs on a
worker is in :mod:`siting.batch.caches`.
"""

from siting.batch.kinds import access, allocate, coverage, scenario

__all__ = ["access", "allocate", "coverage", "scenario"]
