"""The layout's rules, checked on the source: no import cycles, stages import only earlier stages,
no private names across modules, library functions that fit on a screen.

The import graph is read from the source with ``ast`` (module-level, function-level and
``TYPE_CHECKING`` imports alike), so a cycle hidden inside a function is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "siting"

#: Stages in the order the data flows; a module may import its own stage or an earlier one.
STAGES: list[tuple[str, ...]] = [
    ("siting.errors", "siting.units", "siting.coords", "siting.i18n"),
    ("siting.io",),
    ("siting.inputs",),
    ("siting.osm",),
    ("siting.network",),
    ("siting.routing",),
    ("siting.analysis",),
    ("siting.rules", "siting.allocation"),
    ("siting.planning",),
    ("siting.maps", "siting.reporting"),
    ("siting.batch", "siting.demo", "siting.cli", "siting.__main__", "siting"),
]
#: Functions allowed past the length limit, with the reason.
LONG_FUNCTIONS = {
    "siting.routing.engine.bounded_dijkstra": "numba kernel: one loop, its comments say why it is not split",
}
MAX_FUNCTION_LINES = 80  # lines of code, the docstring not counted


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        mods[name.removesuffix(".__init__")] = path
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((module, [a.name for a in node.names], node.lineno))
    return out


def _target(module: str, names: list[str]) -> list[str]:
    """The siting modules an import statement loads (a submodule named in the import counts)."""
    found = []
    for cand in [module] + [f"{module}.{n}" for n in names]:
        while cand and cand not in MODULES:
            cand = cand.rpartition(".")[0]
        if cand:
            found.append(cand)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for module, names, _ in _imports(name, path):
            if module.startswith("siting"):
                graph[name].update(t for t in _target(module, names) if t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _stage(module: str) -> int:
    best = (-1, -1)  # (length of the matching prefix, stage)
    for i, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), i)
    assert best[1] >= 0, f"{module} belongs to no stage: add it to STAGES"
    return best[1]


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_stages_import_only_earlier_stages():
    wrong = [f"{m} (stage {_stage(m)}) imports {t} (stage {_stage(t)})"
             for m, targets in _graph().items() for t in sorted(targets) if _stage(t) > _stage(m)]
    assert wrong == []


def test_no_private_names_across_modules():
    wrong = []
    for name, path in MODULES.items():
        for module, names, line in _imports(name, path):
            if module.startswith("siting") and module != name:
                wrong += [f"{path.name}:{line} imports {module}.{n}" for n in names
                          if n.startswith("_") and not n.startswith("__")]
    assert wrong == []


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function without its docstring."""
    lines = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines -= (first.end_lineno or first.lineno) - first.lineno + 1
    return lines


def test_library_functions_fit_on_a_screen():
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = _code_lines(node)
                if lines > MAX_FUNCTION_LINES and f"{name}.{node.name}" not in LONG_FUNCTIONS:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []


@pytest.mark.parametrize("name", sorted(__import__("siting").__all__))
def test_public_api_names_resolve(name):
    import siting

    assert getattr(siting, name) is not None
