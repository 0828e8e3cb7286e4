"""The rule kinds, one module per family; importing this package registers them all."""

from siting.rules.kinds import (
    areas,
    attributes,
    capacity,
    circles,
    distances,
    gaps,
    presence,
    proximity,
    units,
)

__all__ = ["areas", "attributes", "capacity", "circles", "distances", "gaps", "presence", "proximity", "units"]
