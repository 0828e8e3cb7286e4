"""Tests for siting.io: point tables with clear errors, and atomic writers that never leave half a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siting.errors import InputError
from siting.io import atomic_write, read_points, write_csv, write_json, write_text


def csv(tmp_path: Path, text: str, name: str = "points.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_points_ok(tmp_path: Path) -> None:
    path = csv(tmp_path, "\ufeffid,lon,lat,name\n a ,7.42,43.74,Casino\nb, 7.4 ,43.73,\n")
    got = read_points(path)
    assert got["id"].tolist() == ["a", "b"]
    assert got["lon"].tolist() == [7.42, 7.4] and got["lat"].tolist() == [43.74, 43.73]
    assert got["name"].tolist() == ["Casino", ""]
    assert "lon_input" not in got.columns


@pytest.mark.parametrize(
    ("body", "row", "field", "says"),
    [
        ("a,7.42,43.74\nb,,43.73\n", 2, "lon", "missing"),
        ("a,7.42,43.74\nb,7.4,43.73\nc,7.4,\n", 3, "lat", "missing"),
        ("a,east,43.74\n", 1, "lon", "'east' is not a number"),
        ("a,7.42,43.74\nb,7.42,43°44'\n", 2, "lat", "is not a number"),
        ("a,7.42,43.74\nb,43.74,95.0\n", 2, "lat", "outside -90..90"),
        ("a,190,43.74\n", 1, "lon", "outside -180..180"),
        ("a,7.42,43.74\n,7.42,43.74\n", 2, "id", "empty"),
        ("a,7.42,43.74\na,7.43,43.75\n", 2, "id", "more than once"),
    ],
)
def test_read_points_names_the_row(tmp_path: Path, body: str, row: int, field: str, says: str) -> None:
    path = csv(tmp_path, "id,lon,lat\n" + body)
    with pytest.raises(InputError) as err:
        read_points(path)
    e = err.value
    assert (e.path, e.row, e.field) == (str(path), row, field)
    text = str(e)
    assert text.startswith(f"{path}, row {row}, field '{field}': ")
    assert says in text


def test_read_points_swapped_hint(tmp_path: Path) -> None:
    path = csv(tmp_path, "id,lon,lat\na,43.74,107.42\n")
    with pytest.raises(InputError, match="swapped"):
        read_points(path)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("id,lon,lat\n", "no rows"),
        ("id,x,y\na,1,2\n", "missing column(s) lon, lat"),
    ],
)
def test_read_points_bad_files(tmp_path: Path, text: str, says: str) -> None:
    path = csv(tmp_path, text)
    with pytest.raises(InputError, match=r"points\.csv") as err:
        read_points(path)
    assert says in str(err.value)


def test_read_points_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found") as err:
        read_points(tmp_path / "nope.csv")
    assert "nope.csv" in str(err.value)


def test_read_points_converts_gcj02(tmp_path: Path) -> None:
    # The conversion itself is tested in test_coords.py; here: originals kept, output moved.
    path = csv(tmp_path, "id,lon,lat\na,108.62,21.95\n")
    got = read_points(path, crs="gcj02")
    assert got["lon_input"].tolist() == [108.62] and got["lat_input"].tolist() == [21.95]
    shift = np.hypot(got["lon"].iloc[0] - 108.62, got["lat"].iloc[0] - 21.95)
    assert 1e-4 < shift < 1e-2  # GCJ-02 offsets are tens to hundreds of metres


# ----------------------------------------------------------------------------------------------
# Atomic writers


def test_writers_write_and_leave_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "table.csv"
    write_csv(out, pd.DataFrame({"a": [1, 2], "名": ["钦州", "景德镇"]}))
    assert out.read_text(encoding="utf-8") == "\ufeffa,名\n1,钦州\n2,景德镇\n"  # BOM: Excel shows the Chinese
    write_json(tmp_path / "x.json", {"n": np.int64(3), "v": np.float64(0.5), "ok": np.bool_(True), "城": "钦州"})
    assert (tmp_path / "x.json").read_text(encoding="utf-8") == (
        '{\n  "n": 3,\n  "v": 0.5,\n  "ok": true,\n  "城": "钦州"\n}\n'
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["sub", "table.csv", "x.json"]


def test_write_json_nan_is_valid_json(tmp_path: Path) -> None:
    import json

    out = write_json(tmp_path / "x.json", {"a": np.float64("nan"), "b": float("nan"), "c": [np.float64(1.0)]})
    text = out.read_text(encoding="utf-8")
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"invalid JSON constant {c}")) == {
        "a": None, "b": None, "c": [1.0]
    }


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    out = write_text(tmp_path / "report.txt", "old contents\n")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(out) as fh:
            fh.write("half of the new")
            raise RuntimeError("boom")
    assert out.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
    with pytest.raises(TypeError):
        write_json(out, {"bad": object()})
    assert out.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


# ----------------------------------------------------------------------------------------------
# Bad point files through the command line


@pytest.mark.parametrize(
    ("body", "row", "field"),
    [("a,7.42,43.74\nb,,43.73\n", 2, "lon"), ("a,7.42,43.74\nb,7.42,north\n", 2, "lat")],
)
def test_cli_matrix_bad_csv(
    monaco_pbf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, row: int, field: str
) -> None:
    from siting.cli import main

    good = csv(tmp_path, "id,lon,lat\nx,7.42,43.74\n", "good.csv")
    bad = csv(tmp_path, "id,lon,lat\n" + body, "bad.csv")
    out = tmp_path / "od.csv"
    code = main(["matrix", "--network", str(monaco_pbf), "--origins", str(bad), "--destinations", str(good), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and err.count("\n") == 1
    assert f"{bad}, row {row}, field '{field}'" in err
    assert not out.exists()


def test_cli_matrix_writes_pairs_and_snaps(monaco_pbf: Path, tmp_path: Path) -> None:
    """The matrix holds the pairs within the cutoff; every point's snap goes to OUT_snap.csv."""
    import networkx as nx

    from siting.cli import main
    from siting.network import load_network
    from siting.routing.snap import snap

    pts = csv(tmp_path, "id,lon,lat\na,7.4200,43.7400\nb,7.4230,43.7390\nfar,7.6000,43.7400\n")
    out = tmp_path / "od.csv"
    code = main(["matrix", "--network", str(monaco_pbf), "--origins", str(pts), "--destinations", str(pts),
                 "--cutoff-min", "15", "--out", str(out)])
    assert code == 0
    od = pd.read_csv(out)
    snaps = pd.read_csv(tmp_path / "od_snap.csv")
    assert len(snaps) == 6 and set(snaps["role"]) == {"origin", "destination"}
    far = snaps[snaps["id"] == "far"]
    assert far["beyond_tolerance"].all() and far["outside_extent"].all()
    # a -> b equals networkx on the same graph, between the snapped nodes.
    net = load_network(monaco_pbf, "walk")
    nodes = snap(net, [7.42, 7.423], [43.74, 43.739])["node"].tolist()
    g = nx.DiGraph()
    for u, v, t in zip(net.u.tolist(), net.v.tolist(), net.time_s.tolist()):
        if not g.has_edge(u, v) or g[u][v]["weight"] > t:
            g.add_edge(u, v, weight=t)
    expected = nx.shortest_path_length(g, nodes[0], nodes[1], weight="weight")
    row = od[(od["origin_id"] == "a") & (od["destination_id"] == "b")]
    assert expected <= 900 and len(row) == 1
    assert row["travel_time_s"].iloc[0] == pytest.approx(expected, abs=1e-3)
    assert (od["travel_time_s"] <= 900).all()
