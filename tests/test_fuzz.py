"""Fuzzed inputs through every reader and every command (issue 11).

Valid CSV, YAML and GeoJSON inputs are broken the ways real files break: wrong types, empty
cells, stray bytes, wrong delimiters, huge numbers, duplicate ids, swapped or missing columns,
truncation. Whatever the damage, a reader returns a table or raises a located
:class:`~siting.errors.SitingError` naming the file; a command exits 0 or 2 (the error on
stderr naming the file), never with a traceback, and leaves no output file behind when it fails.

Bounded for CI: a dozen or two examples per reader and command, on the small ladder network
(``SITING_FUZZ_EXAMPLES=500`` hunts longer).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, bottom, ladder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siting.cli import main
from siting.errors import SitingError

# SITING_FUZZ_EXAMPLES=500 for a longer hunt (the counts below scale with it).
SCALE = int(os.environ.get("SITING_FUZZ_EXAMPLES", "20")) / 20
settings.register_profile("fuzz", max_examples=int(20 * SCALE), deadline=None, derandomize=os.environ.get("CI") == "true",
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                 HealthCheck.data_too_large])

NASTY = ["", " ", "abc", "nan", "NaN", "inf", "-inf", "-1", "1e400", "9" * 40, "0x1F", "是", "1,5", '"', "'",
         "None", "true", "1e-400", "-0", "١٢"]


def _lon(k: int) -> str:
    return repr(bottom(k)[0])


FILES: dict[str, str] = {
    "facilities.csv": "id,name,type,lon,lat,beds,places,owner,has_clinic,category\n"
                      f"e0,Home,elderly,{_lon(0)},0.0,60,,市民政局,yes,\n"
                      f"c5,Nursery,childcare,{_lon(5)},0.0,,30,,no,\n"
                      f"h9,General,hospital,{_lon(9)},0.0,,,,,general\n",
    "points.csv": f"id,lon,lat\na,{_lon(1)},0.0\nb,{_lon(7)},0.0\n",
    "demand.csv": "lon,lat,population,pop_60plus\n" + "".join(f"{_lon(k)},0.0,{10 * (k + 1)},{k + 1}\n" for k in range(0, 11, 2)),
    "projects.csv": "id,name,type,county,beds,places,owner_kind,lon,lat\n"
                    f"P1,New home,elderly,甲县,45,,government,{_lon(3)},0.0\nP2,Nursery,childcare,,,20,company,,\n",
    "alloc_demand.csv": "id,weight\nd0,5\nd1,7\nd2,1\n",
    "alloc_candidates.csv": "id,fixed,capacity\nA,,100\nB,no,100\nC,,45\n",
    "alloc_matrix.csv": "origin_id,destination_id,cost\nd0,A,1\nd0,B,4\nd1,B,2\nd1,C,3\nd2,C,1\n",
}


def mutations() -> st.SearchStrategy[list[tuple[str, Any]]]:
    op = st.one_of(
        st.tuples(st.just("cell"), st.tuples(st.integers(0, 50), st.integers(0, 20), st.sampled_from(NASTY))),
        st.tuples(st.just("header"), st.tuples(st.integers(0, 20), st.integers(0, 20))),
        st.tuples(st.just("drop_column"), st.integers(0, 20)),
        st.tuples(st.just("delimiter"), st.sampled_from([";", "\t", "|", "，"])),
        st.tuples(st.just("bytes"), st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=6))),
        st.tuples(st.just("duplicate_row"), st.integers(0, 50)),
        st.tuples(st.just("truncate"), st.integers(0, 10_000)),
        st.tuples(st.just("only_header"), st.none()),
    )
    return st.lists(op, min_size=1, max_size=3)


def mutate(text: str, ops: list[tuple[str, Any]]) -> bytes:
    """Apply the mutations to a CSV text; the result may be any bytes."""
    lines = text.rstrip("\n").split("\n")
    rows = [line.split(",") for line in lines]
    raw: bytes | None = None
    for name, arg in ops:
        if (raw is not None and name not in ("bytes", "truncate")) or not rows[0] or not all(rows):
            continue
        if name == "cell" and len(rows) > 1:
            r = 1 + arg[0] % (len(rows) - 1)
            rows[r][arg[1] % len(rows[r])] = arg[2]
        elif name == "header":
            i, j = arg[0] % len(rows[0]), arg[1] % len(rows[0])
            rows[0][i], rows[0][j] = rows[0][j], rows[0][i]
        elif name == "drop_column":
            k = arg % len(rows[0])
            rows = [[c for i, c in enumerate(r) if i != k] for r in rows]
        elif name == "duplicate_row" and len(rows) > 1:
            rows.append(list(rows[1 + arg % (len(rows) - 1)]))
        elif name == "only_header":
            rows = rows[:1]
        elif name in ("bytes", "truncate", "delimiter"):
            if raw is None:
                raw = "\n".join(",".join(r) for r in rows).encode("utf-8") + b"\n"
            if name == "bytes":
                pos = arg[0] % (len(raw) + 1)
                raw = raw[:pos] + arg[1] + raw[pos:]
            elif name == "truncate":
                raw = raw[: arg % (len(raw) + 1)]
            else:
                raw = raw.replace(b",", arg.encode("utf-8"))
    return raw if raw is not None else ("\n".join(",".join(r) for r in rows) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the ladder network (.npz), the valid inputs, a scenario, a rule pack and a manifest."""
    from siting.network.store import save_npz

    folder = tmp_path_factory.mktemp("fuzz")
    save_npz(ladder(), folder / "ladder.npz")
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "scenario.yaml").write_text(
        "name: ladder\nrules: qinzhou\nfacilities: facilities.csv\nprojects: projects.csv\ndemand: {file: demand.csv}\n"
        "network: {source: ladder.npz, mode: walk, hospital_mode: walk}\nminutes: 2\n"
        "place:\n  projects:\n    - {id: X1, name: New home, type: elderly, beds: 45, owner_kind: government}\n",
        encoding="utf-8")
    shutil.copy(REPO / "siting" / "rules" / "packs" / "qinzhou-2023.yaml", folder / "pack.yaml")
    (folder / "manifest.yaml").write_text(
        "jobs:\n  - {kind: access, network: ladder.npz, mode: walk, minutes: 3, facilities: points.csv}\n"
        "  - {kind: coverage, network: ladder.npz, facilities: facilities.csv, facility_type: elderly,"
        " demand: demand.csv, minutes: [2, 4]}\n", encoding="utf-8")
    return folder


def run_cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, err.getvalue()


def check_command(world: Path, tmp: Path, broken: str, data: bytes, args: Callable[[Path, Path], list[str]],
                  outputs: list[str]) -> None:
    """Run a command on a copy of the world with ``broken`` replaced by ``data``; check the contract."""
    case = tmp / "case"
    if case.exists():
        shutil.rmtree(case)
    shutil.copytree(world, case)
    (case / broken).write_bytes(data)
    out = tmp / "out"
    if out.exists():
        shutil.rmtree(out)
    code, err = run_cli(args(case, out))
    assert code in (0, 2), (code, err)
    if code == 2:
        # One clear line in the user's language (Chinese packs answer in Chinese), never a traceback.
        assert ("siting: error: " in err or "siting: 错误: " in err) and "Traceback" not in err, err
        # Located: it names the broken file, or (a clash between two files, such as an id of the
        # matrix missing from the broken demand file) the file it was checking against it.
        # A path the broken file names (a missing file it points to) counts: it is in the same folder.
        named = [name for name in os.listdir(case) if name in err] + ([str(case)] if str(case) in err else [])
        assert broken in err or named, f"the error names no input file: {err}"
        left = [p for p in out.rglob("*") if p.is_file()] if out.is_dir() else ([out] if out.exists() else [])
        left += [case / o for o in outputs if (case / o).exists()]
        assert left == [], f"a failed command left {left}"


# ---- the commands -------------------------------------------------------------------------------

@settings(settings.get_profile("fuzz"))
@given(ops=mutations(), which=st.sampled_from(["points.csv"]))
def test_fuzz_matrix(world: Path, tmp_path_factory: pytest.TempPathFactory, ops: list, which: str) -> None:
    tmp = tmp_path_factory.mktemp("m")
    check_command(world, tmp, which, mutate(FILES[which], ops),
                  lambda c, out: ["matrix", "--network", str(c / "ladder.npz"), "--origins", str(c / "points.csv"),
                                  "--destinations", str(c / "points.csv"), "--out", str(out)], [])


@settings(settings.get_profile("fuzz"))
@given(ops=mutations())
def test_fuzz_isochrones(world: Path, tmp_path_factory: pytest.TempPathFactory, ops: list) -> None:
    tmp = tmp_path_factory.mktemp("i")
    check_command(world, tmp, "facilities.csv", mutate(FILES["facilities.csv"], ops),
                  lambda c, out: ["isochrones", "--network", str(c / "ladder.npz"), "--facilities",
                                  str(c / "facilities.csv"), "--minutes", "2,4", "--out", str(out)], [])


@settings(settings.get_profile("fuzz"))
@given(ops=mutations(), which=st.sampled_from(["facilities.csv", "demand.csv"]))
def test_fuzz_coverage(world: Path, tmp_path_factory: pytest.TempPathFactory, ops: list, which: str) -> None:
    tmp = tmp_path_factory.mktemp("c")
    check_command(world, tmp, which, mutate(FILES[which], ops),
                  lambda c, out: ["coverage", "--network", str(c / "ladder.npz"), "--facilities", str(c / "facilities.csv"),
                                  "--type", "elderly", "--group", "60+", "--minutes", "2,4", "--demand", str(c / "demand.csv"),
                                  "--out", str(out)], [])


@settings(settings.get_profile("fuzz"))
@given(ops=mutations(), which=st.sampled_from(["facilities.csv", "projects.csv"]))
def test_fuzz_check(world: Path, tmp_path_factory: pytest.TempPathFactory, ops: list, which: str) -> None:
    tmp = tmp_path_factory.mktemp("k")
    check_command(world, tmp, which, mutate(FILES[which], ops),
                  lambda c, out: ["check", "--rules", "qinzhou", "--facilities", str(c / "facilities.csv"),
                                  "--projects", str(c / "projects.csv"), "--out", str(out)], [])


@settings(settings.get_profile("fuzz"))
@given(ops=mutations(), which=st.sampled_from(["alloc_demand.csv", "alloc_candidates.csv", "alloc_matrix.csv"]))
def test_fuzz_allocate(world: Path, tmp_path_factory: pytest.TempPathFactory, ops: list, which: str) -> None:
    tmp = tmp_path_factory.mktemp("a")
    check_command(world, tmp, which, mutate(FILES[which], ops),
                  lambda c, out: ["allocate", "--model", "mclp", "--p", "1", "--cutoff", "2",
                                  "--demand", str(c / "alloc_demand.csv"), "--candidates", str(c / "alloc_candidates.csv"),
                                  "--matrix", str(c / "alloc_matrix.csv"), "--out", str(out)], [])


@settings(settings.get_profile("fuzz"), max_examples=int(10 * SCALE))
@given(ops=mutations(), which=st.sampled_from(["points.csv", "facilities.csv", "demand.csv"]))
def test_fuzz_score(world: Path, tmp_path_factory: pytest.TempPathFactory, ops: list, which: str) -> None:
    tmp = tmp_path_factory.mktemp("s")
    check_command(world, tmp, which, mutate(FILES[which], ops),
                  lambda c, out: ["score", "--scenario", str(c / "scenario.yaml"), "--candidates", str(c / "points.csv"),
                                  "--out", str(out)], [])


@settings(settings.get_profile("fuzz"), max_examples=int(8 * SCALE))
@given(ops=mutations(), which=st.sampled_from(["projects.csv", "facilities.csv"]))
def test_fuzz_place(world: Path, tmp_path_factory: pytest.TempPathFactory, ops: list, which: str) -> None:
    tmp = tmp_path_factory.mktemp("p")
    check_command(world, tmp, which, mutate(FILES[which], ops),
                  lambda c, out: ["place", "--scenario", str(c / "scenario.yaml"), "--offline", "--out", str(out)], [])


@settings(settings.get_profile("fuzz"), max_examples=int(10 * SCALE))
@given(ops=mutations())
def test_fuzz_map(world: Path, tmp_path_factory: pytest.TempPathFactory, ops: list) -> None:
    tmp = tmp_path_factory.mktemp("mp")
    check_command(world, tmp, "facilities.csv", mutate(FILES["facilities.csv"], ops),
                  lambda c, out: ["map", "--facilities", str(c / "facilities.csv"), "--offline", "--out",
                                  str(out / "map.html")], [])


# ---- YAML: scenario, rule pack, batch manifest --------------------------------------------------

YAML_NASTY = ["", "[", "{", ": :", "\t", "null", "-1", "1e999", ".nan", "[1, 2]", "{a: 1}", "是", "'", "!!python/object:os.system"]


@st.composite
def yaml_mutation(draw: st.DrawFn, text: str) -> bytes:
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "drop", "indent", "bytes", "truncate", "duplicate"]))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if kind == "value" and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(YAML_NASTY))}"
        elif kind == "drop":
            lines.pop(i)
        elif kind == "indent":
            lines[i] = draw(st.sampled_from(["  ", "\t", " "])) + lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "bytes":
            lines[i] += draw(st.binary(min_size=1, max_size=4)).decode("latin-1")
        else:
            lines = lines[: i + 1]
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        if not lines:
            lines = [""]
    return "\n".join(lines).encode("utf-8", errors="surrogateescape")


@settings(settings.get_profile("fuzz"), max_examples=int(12 * SCALE))
@given(st.data())
def test_fuzz_scenario_yaml(world: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("y")
    text = (world / "scenario.yaml").read_text(encoding="utf-8")
    check_command(world, tmp, "scenario.yaml", data.draw(yaml_mutation(text)),
                  lambda c, out: ["check", "--scenario", str(c / "scenario.yaml"), "--out", str(out)], [])


@settings(settings.get_profile("fuzz"), max_examples=int(12 * SCALE))
@given(st.data())
def test_fuzz_rule_pack(world: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("r")
    text = (world / "pack.yaml").read_text(encoding="utf-8")
    check_command(world, tmp, "pack.yaml", data.draw(yaml_mutation(text)),
                  lambda c, out: ["check", "--rules", str(c / "pack.yaml"), "--facilities", str(c / "facilities.csv"),
                                  "--out", str(out)], [])


@settings(settings.get_profile("fuzz"), max_examples=int(10 * SCALE))
@given(st.data())
def test_fuzz_batch_manifest(world: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("b")
    text = (world / "manifest.yaml").read_text(encoding="utf-8")
    check_command(world, tmp, "manifest.yaml", data.draw(yaml_mutation(text)),
                  lambda c, out: ["batch", str(c / "manifest.yaml"), "--out", str(out), "--workers", "1",
                                  "--no-progress"], [])


# ---- the readers, directly ----------------------------------------------------------------------

def _readers() -> dict[str, tuple[str, Callable[[Path], Any]]]:
    from siting.analysis.demand import read_demand, read_demand_table
    from siting.inputs.facilities import read_facilities
    from siting.inputs.projects import read_projects
    from siting.io import read_points, read_table
    from siting.planning.candidates import validate_candidates

    return {
        "table": ("points.csv", lambda p: read_table(p)),
        "points": ("points.csv", lambda p: read_points(p)),
        "points_gcj02": ("points.csv", lambda p: read_points(p, crs="gcj02")),
        "facilities": ("facilities.csv", lambda p: read_facilities(p)),
        "hospitals": ("facilities.csv", lambda p: read_facilities(p, default_type="hospital")),
        "projects": ("projects.csv", lambda p: read_projects(p)),
        "demand_table": ("demand.csv", lambda p: read_demand_table(p)),
        "demand": ("demand.csv", lambda p: read_demand(p)),
        "candidates": ("points.csv", lambda p: validate_candidates(p)),
    }


@settings(settings.get_profile("fuzz"), max_examples=int(60 * SCALE))
@given(ops=mutations(), reader=st.sampled_from(sorted(_readers())))
def test_fuzz_readers(tmp_path_factory: pytest.TempPathFactory, ops: list, reader: str) -> None:
    name, read = _readers()[reader]
    path = tmp_path_factory.mktemp("rd") / name
    path.write_bytes(mutate(FILES[name], ops))
    try:
        read(path)
    except SitingError as exc:
        assert str(path) in str(exc) or name in str(exc), f"{reader}: the error does not name the file: {exc}"


GEOJSON = ('{"type": "FeatureCollection", "features": ['
           '{"type": "Feature", "properties": {"name": "一街道", "population": 100},'
           ' "geometry": {"type": "Polygon", "coordinates": [[[9.0, 0.0], [9.001, 0.0], [9.001, 0.001], [9.0, 0.0]]]}},'
           '{"type": "Feature", "properties": {"name": "二街道", "population": 50},'
           ' "geometry": {"type": "Point", "coordinates": [9.002, 0.0005]}}]}')
GEO_NASTY = ['"x"', "null", "1e999", "NaN", "[]", "{}", "-1", '"是"', "[[1]]", "true"]


@settings(settings.get_profile("fuzz"), max_examples=int(30 * SCALE))
@given(st.data())
def test_fuzz_geojson_readers(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    from siting.analysis.demand import read_demand, read_units_file

    text = GEOJSON
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["value", "bytes", "truncate"]))
        if kind == "value":
            targets = ["100", "50", "9.001", '"Polygon"', '"Point"', '"一街道"', "[9.002, 0.0005]"]
            target = data.draw(st.sampled_from(targets))
            text = text.replace(target, data.draw(st.sampled_from(GEO_NASTY)), 1)
        elif kind == "bytes":
            pos = data.draw(st.integers(0, len(text)))
            text = text[:pos] + data.draw(st.sampled_from(["\x00", "\ufffd", ",", "]", "}"])) + text[pos:]
        else:
            text = text[: data.draw(st.integers(0, len(text)))]
    path = tmp_path_factory.mktemp("gj") / "units.geojson"
    path.write_text(text, encoding="utf-8")
    for read in (read_units_file, read_demand):
        try:
            read(path)
        except SitingError as exc:
            assert "units.geojson" in str(exc), f"the error does not name the file: {exc}"
