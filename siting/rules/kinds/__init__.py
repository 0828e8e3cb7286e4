"""The rule kinds, one module per family; importing this package registers them all."""

from siting.rules.kinds import capacity, circles, proximity, units

__all__ = ["capacity", "circles", "proximity", "units"]
