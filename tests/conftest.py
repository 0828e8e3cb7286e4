"""Shared fixtures and helpers: bundled OSM extracts, their XML conversions, built networks, and the
small hand-made ladder graph (with its scenario) that scoring and placement are checked on by hand.

Networks are built once per test session with ``cache_dir`` in a temporary
folder, and ``SITING_CACHE_DIR`` points there too, so no test reads or writes
``~/.cache/siting``.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
OSM_DIR = REPO / "data" / "osm"
MONACO_PBF = OSM_DIR / "monaco.osm.pbf"
KOTKA_PBF = OSM_DIR / "kotka_test.osm.pbf"
OAKLAND_BZ2 = OSM_DIR / "West-Oakland.osm.bz2"

# Mean Earth radius (IUGG R1, metres), the radius osmnx's great_circle uses too.
EARTH_RADIUS_M = 6_371_008.8
# Metres per degree of longitude on the equator (WGS84).
M_PER_DEG = 111_319.49


def haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres, written out here independently of siting.coords."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def write_osm_xml(
    path: Path,
    nodes: Mapping[int, tuple[float, float]],
    ways: Sequence[tuple[int, Sequence[int], Mapping[str, str]]],
) -> Path:
    """Write a minimal OSM XML file.

    Parameters
    ----------
    nodes
        ``{osm id: (lon, lat)}``.
    ways
        ``(way id, node refs, tags)`` triples.
    """
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="siting-tests">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def convert_osm(source: Path, target: Path) -> Path:
    """Copy every object of an OSM file into another format (chosen by the suffix) with pyosmium."""
    import osmium

    processor = osmium.FileProcessor(str(source))
    with osmium.SimpleWriter(str(target), header=processor.header, overwrite=True) as writer:
        for obj in processor:
            writer.add(obj)
    return target


def ladder(n: int = 11, spacing: float = 60.0):  # type: ignore[no-untyped-def]
    """Two rows of ``n`` nodes, ``spacing`` m apart, with rungs; two-way, 1 m/s: one minute per edge.

    The bottom row lies on the equator from longitude 9; node OSM ids are 100+i on the bottom
    row, 200+i on the top row.
    """
    from siting.network.build import from_edges

    lon = 9.0 + np.tile(np.arange(n), 2) * spacing / M_PER_DEG
    lat = np.r_[np.zeros(n), np.full(n, spacing / M_PER_DEG)]
    osmid = np.r_[np.arange(n) + 100, np.arange(n) + 200]
    pairs = [(i, i + 1) for i in range(n - 1)] + [(n + i, n + i + 1) for i in range(n - 1)] + [(i, n + i) for i in range(n)]
    u = np.array([a for a, b in pairs] + [b for a, b in pairs])
    v = np.array([b for a, b in pairs] + [a for a, b in pairs])
    length = np.full(len(u), spacing)
    return from_edges("walk", osmid, lon, lat, u, v, length, length / 1.0, np.array(["footway"] * len(u)),
                      np.arange(len(u)))


def bottom(i: int, spacing: float = 60.0) -> tuple[float, float]:
    """(lon, lat) of the ladder's bottom node ``i``."""
    return 9.0 + i * spacing / M_PER_DEG, 0.0


def ladder_scenario(tmp_path: Path, demand: Sequence[tuple[int, int]] = ((1, 10), (8, 30), (9, 30), (10, 30)),
                    minutes: float = 2, rules: str | None = "qinzhou") -> Path:
    """A scenario on :func:`ladder`: existing elderly care and a general hospital at bottom node 0,
    ``demand`` as (bottom node, people aged 60+) (everyone: four times that), T = ``minutes``.

    By default 10 people at node 1 and 30 at each of nodes 8, 9 and 10, T = 2 minutes, Qinzhou's rules.
    """
    h = bottom(0)
    (tmp_path / "f.csv").write_text(
        "id,name,type,lon,lat,category\n"
        f"e0,Home,elderly,{h[0]!r},{h[1]!r},\n"
        f"h0,General,hospital,{h[0]!r},{h[1]!r},general\n", encoding="utf-8")
    rows = ["lon,lat,population,pop_60plus"]
    for i, pop in demand:
        x, y = bottom(i)
        rows.append(f"{x!r},{y!r},{pop * 4},{pop}")
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    sc = tmp_path / "s.yaml"
    text = f"name: ladder\nfacilities: f.csv\ndemand: {{file: d.csv}}\nminutes: {minutes:g}\n"
    sc.write_text(text + (f"rules: {rules}\n" if rules else ""), encoding="utf-8")
    return sc


def qinzhou_scenario(tmp_path: Path, hospital: tuple[float, float]) -> Path:
    """The bundled Qinzhou scenario (offline: no network) with one general hospital at ``hospital``."""
    (tmp_path / "h.csv").write_text(f"id,name,category,lon,lat\nh1,人民医院,综合,{hospital[0]!r},{hospital[1]!r}\n",
                                    encoding="utf-8")
    text = (REPO / "scenarios" / "qinzhou.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^hospitals: .*$", "hospitals: h.csv", text.replace("../", str(REPO) + "/"), flags=re.MULTILINE)
    sc = tmp_path / "q.yaml"
    sc.write_text(text, encoding="utf-8")
    return sc


def whatif_scenario_files(folder: Path) -> Path:
    """A scenario on Monaco for the scenario map and its what-if panel: the Qinzhou rules; Monaco's
    facilities plus an elderly home of 200 beds without a clinic (it fails A5); three located planned
    projects and one without a site; Monaco's census total with the Qinzhou 60+ and Jingdezhen 0-3
    shares; the Qinzhou baselines (C8: 15,855 beds). Candidates: ``data/monaco_candidates.csv``."""
    facilities = (REPO / "data" / "monaco_facilities.csv").read_text(encoding="utf-8")
    (folder / "facilities.csv").write_text(
        facilities.rstrip("\n") + "\nT-E1,Test elderly home,elderly,200,,,no,7.4250,43.7395,,\n", encoding="utf-8")
    (folder / "projects.csv").write_text(
        "id,name,type,beds,places,owner_kind,lon,lat\n"
        "P-E1,Planned elderly home 1,elderly,120,,government,7.4185,43.7310\n"
        "P-E2,Planned elderly home 2,elderly,90,,government,7.4290,43.7440\n"
        "P-C1,Planned crèche 1,childcare,,60,company,7.4230,43.7380\n"
        "P-C2,Planned crèche 2,childcare,,40,company,,\n", encoding="utf-8")
    sc = folder / "whatif.yaml"
    sc.write_text(
        "name: whatif\ntitle: What-if on Monaco\nrules: qinzhou\nfacilities: facilities.csv\nprojects: projects.csv\n"
        f"baselines: {{file: {REPO / 'data/plans/baselines.yaml'}, key: qinzhou}}\n"
        f"network: {{source: {REPO / 'data/osm/monaco.osm.pbf'}, mode: walk, hospital_mode: drive}}\n"
        'demand: {population: 37308, name: Monaco, shares: {"60+": 0.1577, "0-3": 0.0358}}\nminutes: 15\n',
        encoding="utf-8")
    return sc


def north(lon: float, lat: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` due north of (lon, lat) on the sphere of :data:`EARTH_RADIUS_M`."""
    return lon, lat + math.degrees(metres / EARTH_RADIUS_M)


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep every network cache of the session (CLI included) out of ``~/.cache``."""
    path = tmp_path_factory.mktemp("siting-cache")
    old = os.environ.get("SITING_CACHE_DIR")
    os.environ["SITING_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("SITING_CACHE_DIR", None)
    else:
        os.environ["SITING_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def whatif_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`whatif_scenario_files` in a folder of its own."""
    return whatif_scenario_files(tmp_path_factory.mktemp("whatif"))


@pytest.fixture(scope="session")
def cache_dir(_private_cache_dir: Path) -> Path:
    return _private_cache_dir


@pytest.fixture(scope="session")
def monaco_pbf() -> Path:
    return MONACO_PBF


@pytest.fixture(scope="session")
def kotka_pbf() -> Path:
    return KOTKA_PBF


@pytest.fixture(scope="session")
def oakland_bz2() -> Path:
    return OAKLAND_BZ2


@pytest.fixture(scope="session")
def monaco_xml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Monaco extract converted to OSM XML (``.osm``) by pyosmium."""
    return convert_osm(MONACO_PBF, tmp_path_factory.mktemp("xml") / "monaco.osm")


@pytest.fixture(scope="session")
def monaco_walk(cache_dir: Path):  # type: ignore[no-untyped-def]
    from siting.network import load_network

    return load_network(MONACO_PBF, "walk", cache_dir=cache_dir)


@pytest.fixture(scope="session")
def monaco_drive(cache_dir: Path):  # type: ignore[no-untyped-def]
    from siting.network import load_network

    return load_network(MONACO_PBF, "drive", cache_dir=cache_dir)


# Real OpenStreetMap points of the bundled extracts (node ids in the ids), for batch jobs.
KOTKA_POINTS = [
    {"id": "kindergarten-1324225776", "lon": 26.959021, "lat": 60.534777},
    {"id": "fuel-894396069", "lon": 26.945165, "lat": 60.523051},
    {"id": "parking-4891814772", "lon": 26.93978, "lat": 60.522733},
]
MONACO_POINTS = [
    {"id": "pharmacy-1712696734", "lon": 7.418789, "lat": 43.732746},
    {"id": "pharmacy-3087473845", "lon": 7.424074, "lat": 43.73983},
    {"id": "school-1872391440", "lon": 7.435066, "lat": 43.748674},
]


@pytest.fixture()
def kotka_points() -> list[dict[str, Any]]:
    """Three points of the Kotka extract as inline batch facilities ``{id, lon, lat}``."""
    return [dict(p) for p in KOTKA_POINTS]


@pytest.fixture()
def monaco_points() -> list[dict[str, Any]]:
    """Three points of the Monaco extract as inline batch facilities ``{id, lon, lat}``."""
    return [dict(p) for p in MONACO_POINTS]


@pytest.fixture()
def batch_study(tmp_path: Path) -> Path:
    """A batch study folder: the two extracts under data/, a facilities CSV and a manifest with a planted failure.

    The manifest: a grid of 4 access jobs on Kotka (walk/drive x 3/6 minutes), an access job on Monaco
    with inline facilities (``monaco-walk``), a network job, and ``planted-missing``, whose facilities
    file does not exist. Returns the manifest's path.
    """
    import yaml

    data = tmp_path / "study" / "data"
    data.mkdir(parents=True)
    shutil.copy(KOTKA_PBF, data / "kotka.osm.pbf")
    shutil.copy(MONACO_PBF, data / "monaco.osm.pbf")
    lines = ["id,lon,lat"] + [f"{p['id']},{p['lon']},{p['lat']}" for p in KOTKA_POINTS]
    (data / "kotka_points.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = {
        "defaults": {"snap_tolerance_m": 300},
        "grids": [
            {
                "kind": "access",
                "network": "data/kotka.osm.pbf",
                "facilities": "data/kotka_points.csv",
                "vary": {"mode": ["walk", "drive"], "minutes": [3, 6]},
            }
        ],
        "jobs": [
            {"kind": "access", "name": "monaco-walk", "network": "data/monaco.osm.pbf", "mode": "walk",
             "minutes": 5, "facilities": MONACO_POINTS},
            {"kind": "network", "network": "data/monaco.osm.pbf", "mode": "drive"},
            # Planted failure: the facilities file does not exist.
            {"kind": "access", "name": "planted-missing", "network": "data/kotka.osm.pbf", "mode": "walk",
             "minutes": 5, "facilities": "data/missing.csv"},
        ],
    }
    path = tmp_path / "study" / "batch.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


def pytest_configure(config: pytest.Config) -> None:
    # tests/test_notebooks.py executes the notebooks; deselect with -m "not notebooks"
    config.addinivalue_line("markers", "notebooks: executes the notebooks in notebooks/ (nbclient)")
