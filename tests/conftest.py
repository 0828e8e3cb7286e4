"""Shared fixtures: bundled OSM extracts, their XML conversions, and built networks.

Networks are built once per test session with ``cache_dir`` in a temporary
folder, and ``SITING_CACHE_DIR`` points there too, so no test reads or writes
``~/.cache/siting``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

REPO = Path(__file__).resolve().parents[1]
OSM_DIR = REPO / "data" / "osm"
MONACO_PBF = OSM_DIR / "monaco.osm.pbf"
KOTKA_PBF = OSM_DIR / "kotka_test.osm.pbf"
OAKLAND_BZ2 = OSM_DIR / "West-Oakland.osm.bz2"

# Mean Earth radius (IUGG R1, metres), the radius osmnx's great_circle uses too.
EARTH_RADIUS_M = 6_371_008.8


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


def pytest_configure(config: pytest.Config) -> None:
    # tests/test_notebooks.py executes the notebooks; deselect with -m "not notebooks"
    config.addinivalue_line("markers", "notebooks: executes the notebooks in notebooks/ (nbclient)")
