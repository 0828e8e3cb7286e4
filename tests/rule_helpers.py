"""What the rule-kind tests share: points placed by distance north of a fixed origin near Qinzhou,
and one rule run from a pack written on the fly."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from siting.rules import evaluate, load_pack
from siting.rules.context import CheckInputs

R_EARTH = 6371008.8
LON0, LAT0 = 108.65, 21.95
SRC = {"document": "000", "quote": "q", "line": "000 L1"}


def lat_at(km: float) -> float:
    """The latitude ``km`` north of ``LAT0`` on the sphere the distances use."""
    return LAT0 + math.degrees(km * 1000.0 / R_EARTH)


def run_rule(tmp_path: Path, rule: dict[str, Any], inputs: CheckInputs) -> Any:
    """The result of ``rule`` (id X1, a placeholder source) on ``inputs``, through a pack file."""
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump({"pack": "t", "rules": [{"id": "X1", "source": SRC, **rule}]}, allow_unicode=True),
                    encoding="utf-8")
    return evaluate(load_pack(path), inputs).result("X1")
