"""pytest plugin for tools/mutation.sh: run a mutant's tests fastest first.

mutmut runs, for each mutant, every selected test that reached the mutated function, with
``-x``: the first failing test kills the mutant and ends the run. It hands pytest the tests
in no particular order, so a mutant that a 20 ms test kills may first wait for a 2 s one.
Sorting by the durations mutmut measured in its first (stats) run puts the quick planted
cases before the property and scenario tests. Loaded with ``-p mutation_plugin`` (the
script puts ``tools/`` on ``PYTHONPATH``); it changes the order only, never the selection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def durations() -> dict[str, float]:
    """Seconds per test id from mutmut's stats (the test runs happen inside ``mutants/``)."""
    for path in (Path("mutmut-stats.json"), Path("mutants") / "mutmut-stats.json"):
        if path.exists():
            try:
                return dict(json.loads(path.read_text(encoding="utf-8"))["duration_by_test"])
            except (ValueError, KeyError):
                return {}
    return {}


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    seconds = durations()
    if seconds:
        items.sort(key=lambda item: seconds.get(item.nodeid, float("inf")))
