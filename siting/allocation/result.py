"""The result of a location-allocation solve, ready for JSON."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@dataclass
class AllocationResult:
    """What a model found, and how sure we are.

    Attributes
    ----------
    model
        'lscp', 'mclp', 'pmedian', 'pcenter', 'cmclp', 'cpmedian' or 'target'.
    status
        'optimal' (HiGHS proved it within the gap tolerance), 'time_limit' (stopped with the gap
        shown), 'heuristic' (no MIP was run), 'infeasible', ...
    objective
        Value of the returned solution, in the model's own terms (covered weight, weighted cost,
        number of sites, maximum cost).
    bound
        The best proven bound on the optimum (None when none is known).
    gap
        ``|objective - bound| / |objective|``; None when no bound is known.
    selected
        Ids of the opened new sites (fixed facilities are in ``fixed``).
    fixed
        Ids of the existing facilities (always open).
    assignment
        Demand id -> facility id (``share`` < 1 where capacitated demand is split), with ``cost``.
    coverage
        Figures such as covered weight, total weight and percentage.
    method
        'mip' (HiGHS), 'mip+warmstart', 'heuristic', 'heuristic+lagrangian' ...
    seconds
        Wall time of the whole solve.
    details
        Model-specific extras (modules per site, project placement, iterations ...).
    """

    model: str
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    selected: list[str]
    fixed: list[str] = field(default_factory=list)
    assignment: pd.DataFrame | None = None
    coverage: dict[str, Any] = field(default_factory=dict)
    method: str = "mip"
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def open_ids(self) -> list[str]:
        """Every open facility: fixed plus selected."""
        return [*self.fixed, *self.selected]

    def to_dict(self, assignment: bool = True) -> dict[str, Any]:
        """A JSON-ready dict (floats that are not finite become null)."""
        out: dict[str, Any] = {
            "model": self.model,
            "status": self.status,
            "objective": _clean(self.objective),
            "bound": _clean(self.bound),
            "gap": _clean(self.gap),
            "method": self.method,
            "selected": list(self.selected),
            "fixed": list(self.fixed),
            "coverage": {k: _clean(v) for k, v in self.coverage.items()},
            "seconds": round(self.seconds, 4),
        }
        if self.details:
            out["details"] = self.details
        if assignment and self.assignment is not None:
            out["assignment"] = [
                {k: _clean(v) for k, v in rec.items()} for rec in self.assignment.to_dict(orient="records")
            ]
        return out
