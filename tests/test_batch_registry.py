"""The job-kind registry (siting.batch.registry) and the import graph of siting.batch."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from siting.batch import make_job
from siting.batch.registry import get_kind, kind_names
from siting.batch.worker import execute
from siting.errors import SitingError

BATCH = Path(__file__).resolve().parents[1] / "siting" / "batch"


def test_builtin_kinds_are_registered() -> None:
    assert kind_names() == ["access", "allocate", "check", "coverage", "isochrones", "network", "score"]
    assert get_kind("access").summary == "Travel-time access to facilities within ``minutes`` on a network."


def test_a_function_named_module_colon_function_is_a_kind() -> None:
    # dict(params) returns the parameters: a kind with no declared parameters takes any.
    job = make_job({"kind": "builtins:dict", "a": 1, "b": [2.0, 3.5]})
    assert job.slug == "dict" and job.params == {"a": 1, "b": [2, 3.5]}
    outcome = execute(job.payload())
    assert outcome["ok"], outcome.get("traceback")
    assert json.loads(outcome["text"])["result"] == {"a": 1, "b": [2, 3.5]}
    # A function that does not return a mapping fails its job, with the reason.
    failed = execute(make_job({"kind": "json:dumps"}).payload())
    assert not failed["ok"] and failed["error"] == "job kind 'json:dumps' returned str, not a dict"


@pytest.mark.parametrize(
    ("name", "words"),
    [("acess", "unknown job kind 'acess'"), ("no_such_module_xyz:f", "cannot import the job kind module"),
     ("json:no_such_function", "'json' has no function 'no_such_function'")],
)
def test_unknown_kinds_are_clear_errors(name: str, words: str) -> None:
    with pytest.raises(SitingError, match=words):
        get_kind(name)


def _batch_imports() -> dict[str, set[str]]:
    """siting.batch module -> the siting.batch modules it imports (at module level or in a function)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(BATCH.rglob("*.py")):
        parts = path.relative_to(BATCH.parents[1]).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {t for t in targets if t.startswith("siting.batch")}
    return {name: {t for t in targets if t in graph and t != name} for name, targets in graph.items()}


def test_registry_imports_nothing_back_and_siting_batch_has_no_import_cycle() -> None:
    graph = _batch_imports()
    assert "siting.batch.kinds.access" in graph and "siting.batch.registry" in graph["siting.batch.kinds.access"]
    assert graph["siting.batch.registry"] == set()
    # Depth-first search for a cycle.
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            assert state.get(target) != 1, f"import cycle: {' -> '.join([*trail, name, target])}"
            if target not in state:
                visit(target, [*trail, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
