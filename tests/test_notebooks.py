"""Execute the planners' notebooks top to bottom and check the figures they compute.

Each notebook is copied to a temporary folder and run there with nbclient (the
``python3`` kernel resolves to this interpreter), so nothing is written into
``notebooks/``. Every notebook ends with its own ``assert`` cell and leaves its
key figures in ``RESULTS``; the tests read them back and compare with values
worked out here from the bundled tables. Deselect with ``-m "not notebooks"``.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
DATA = REPO / "data"
NAMES = [
    "01_quickstart.ipynb",
    "02_qinzhou_plan_review.ipynb",
    "03_service_circles_and_gaps.ipynb",
    "04_siting_new_facilities.ipynb",
]
CELL_TIMEOUT_S = 300


def execute(name: str, workdir: Path) -> tuple[dict[str, Any], Any]:
    """Run a copy of ``notebooks/name`` in ``workdir``; return its ``RESULTS`` and the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(shutil.copy(NOTEBOOKS / name, workdir / name))
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import json as _j\nprint('RESULTS=' + _j.dumps(RESULTS, default=str))"))
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next(x for x in text.splitlines() if x.startswith("RESULTS="))
    return json.loads(line[len("RESULTS="):]), nb


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def number(text: str) -> float:
    return float(text) if text.strip() else 0.0


# ----------------------------------------------------------------------------- cheap checks


def test_committed_notebooks_have_no_outputs() -> None:
    import nbformat

    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code, name
        assert all(not c.outputs and c.execution_count is None for c in code), f"{name}: strip the outputs"


def test_notebooks_match_their_generator(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import make_notebooks
    finally:
        sys.path.pop(0)
    assert make_notebooks.main([str(tmp_path)]) == 0
    for name in NAMES:
        assert (tmp_path / name).read_bytes() == (NOTEBOOKS / name).read_bytes(), (
            f"{name} differs from tools/make_notebooks.py: run .venv/bin/python tools/make_notebooks.py")


# ----------------------------------------------------------------------------- executed


@pytest.mark.notebooks
def test_01_quickstart(tmp_path: Path) -> None:
    res, _ = execute(NAMES[0], tmp_path)
    facilities = csv_rows(DATA / "monaco_facilities.csv")
    assert res["facilities"] == len(facilities)
    # one 15-minute circle per elderly-care and childcare facility
    assert res["isochrones"] == sum(r["type"] in ("elderly", "childcare") for r in facilities)
    assert res["demand_population"] == pytest.approx(37308.0)     # Monaco's 2016 census, conserved
    assert 0.0 < res["share_60plus_15min"] < 1.0
    assert (tmp_path / "out" / "01_monaco.html").exists()
    assert not (NOTEBOOKS / "out").exists()


@pytest.mark.notebooks
def test_02_qinzhou_plan_review(tmp_path: Path) -> None:
    import yaml

    res, nb = execute(NAMES[1], tmp_path)
    projects = csv_rows(DATA / "plans" / "qinzhou_projects.csv")
    beds = sum(number(r["beds"]) for r in projects)
    places = sum(number(r["places"]) for r in projects)
    base = yaml.safe_load((DATA / "plans" / "baselines.yaml").read_text(encoding="utf-8"))["qinzhou"]
    census = csv_rows(DATA / "china" / "census_2020.csv")
    pop = next(float(r["value"]) for r in census if r["city"] == "qinzhou" and r["unit"] == "钦州市"
               and r["indicator"] == "population" and r["year"] == "2020")
    assert res["projects"] == len(projects) == 20
    assert res["beds_planned"] == beds == 3200
    assert res["places_planned"] == places == 1300
    per_1000 = 1000 * (base["childcare_places_existing"]["value"] + places) / pop
    assert res["places_per_1000"] == pytest.approx(per_1000)       # 5,913 / 3,302,238 ≈ 1.79 < 4.5
    assert res["status"]["C1"] == "fail"
    assert res["status"]["C8"] == ("pass" if base["elderly_beds_existing"]["value"] + beds >= 16000 else "fail")
    # Chinese text is kept in the outputs (the project table and the rule quotes)
    shown = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
    assert "钦北区综合养老院" in shown and "4.5 个" in shown
    from siting.reporting.report import CJK_FONT_FILES

    if any(Path(f).is_file() for f in CJK_FONT_FILES):   # tools/install_browser.sh installs one
        assert "missing from font" not in shown, "Chinese chart labels fell back to a font without CJK glyphs"


@pytest.mark.notebooks
def test_03_service_circles_and_gaps(tmp_path: Path) -> None:
    res, _ = execute(NAMES[2], tmp_path)
    shares = [res["shares"][k] for k in ("5", "10", "15")]
    assert shares == sorted(shares) and 0.0 <= shares[0] and shares[-1] < 1.0
    assert res["gini_hospitals"] == pytest.approx(res["gini_pairs"], abs=1e-3)
    assert 0.0 < res["gini_hospitals"] < 1.0
    assert res["cells"] >= 4


@pytest.mark.notebooks
def test_04_siting_new_facilities(tmp_path: Path) -> None:
    res, _ = execute(NAMES[3], tmp_path)
    assert res["status"] == "optimal" and res["gap"] <= 1e-6
    assert len(res["selected"]) == 3 and len(set(res["selected"])) == 3
    assert all(s.startswith("osm:") for s in res["selected"])
    assert res["share_after"] > res["share_before"]
    assert res["share_after"] == pytest.approx(res["mclp_pct"] / 100, abs=0.03)
    assert res["pmedian_mean_cost_s"] > 0
    # siting.planning.scoring / siting.planning.place agree with siting.analysis.coverage on the same sites
    assert res["placed_share_before"] == pytest.approx(res["share_before"], abs=1e-3)
    assert res["placed_share_after"] > res["placed_share_before"]
    assert res["top_covered"] == pytest.approx(res["top_covered_coverage"], rel=0.02)
    assert res["scored"] == res["osm_candidates"]
