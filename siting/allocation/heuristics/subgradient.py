"""The step size of the subgradient method shared by the Lagrangian bounds."""

from __future__ import annotations


class StepSize:
    """Held–Karp step factor ``theta``: starts at 2 and halves after ``patience`` steps without a better bound."""

    def __init__(self, patience: int) -> None:
        self.theta = 2.0
        self.patience = patience
        self.stall = 0

    def record(self, improved: bool) -> None:
        """Note whether the last step gave a better bound."""
        if improved:
            self.stall = 0
            return
        self.stall += 1
        if self.stall >= self.patience:
            self.theta /= 2
            self.stall = 0
