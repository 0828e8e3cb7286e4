"""Size, build time and first render of the offline basemap (siting.maps.basemap_osm).

Two cases, each an offline HTML map (every script, style, font and tile inside):

- ``basemap_monaco``: the demo map ``maps/monaco_demo.html`` of ``siting demo --offline``,
  everything included (isochrones, facilities, hospital rings, heat layer, basemap);
  budget 4 MB.
- ``basemap_city_1M``: the generated 1M-edge city of ``bench/make_pbf.py`` (about 40 x 40 km
  of streets near Qinzhou: a Qinzhou-sized city) with its basemap and a few facilities;
  budget 25 MB.
- ``whatif_city``: the scenario map (siting.maps.scenario) of that city with 100,000 demand
  points, 300 facilities and 40 planned projects: basemap, verdicts, rule table and what-if data;
  budget 25 MB.

The Monaco and city-scenario lines also give the what-if panel's data: its JSON (``whatif_kb``),
its point sets as shipped (``sets_kb``: each the shorter of varint gaps and a bitset) and the same
sets written only one way (``varint_only_kb``, ``bitset_only_kb``).

``build_s`` is reading the OSM file plus cutting the tiles; ``first_render_ms`` is the time
from the page starting to load in headless Chromium (Debian's ``chromium``, as the tests) to
the basemap's first view painted (Leaflet's ``load`` event of the layer). Exits 1 when a
file is over its budget.

    .venv/bin/python bench/bench_basemap.py                   # about 2 minutes on 2 cores
    .venv/bin/python bench/bench_basemap.py --pbf city.osm.pbf  # reuse a generated city
    .venv/bin/python bench/bench_basemap.py --quick           # a 250k-edge city
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

MONACO_BUDGET_MB = 4.0
CITY_BUDGET_MB = 25.0


def first_render(path: Path) -> tuple[float | None, dict]:
    """Milliseconds to the basemap's first painted view in headless Chromium, and what was drawn."""
    from siting.maps.browser import chromium_available, inspect_map

    if not chromium_available():
        print("# Chromium is not installed (tools/install_browser.sh): no render time")
        return None, {}
    info = inspect_map(path, wait_s=1.0)
    if info["errors"]:
        raise SystemExit(f"{path}: JavaScript errors {info['errors']}")
    base = info["basemap"] or {}
    return base.get("first_render_ms"), base


def build(pbf: Path) -> tuple[object, float]:
    """The basemap layer of ``pbf`` with its tiles cut, and the seconds it took."""
    from siting.maps.basemap_osm import basemap_layer

    start = time.perf_counter()
    layer = basemap_layer(pbf)
    layer.to_folium("osm")  # cuts the tiles (cached in the layer for the map below)
    return layer, time.perf_counter() - start


def whatif_sizes(path: Path) -> dict[str, float]:
    """Sizes in the page of the what-if panel's data (siting.maps.whatif): the whole JSON, its point sets
    as shipped, and the same sets written only as varint gaps or only as bitsets (siting.maps.idsets)."""
    import base64
    import json
    import re

    import numpy as np

    from siting.maps.idsets import decode_ids, varint_bytes

    page = path.read_text(encoding="utf-8")
    found = re.search(r"= sitingPanel\(\w+, \{[^}]*\}, (.*),\n  \{[^\n]*\}\);", page)
    if found is None or found.group(1) == "null":
        return {"json_kb": 0.0, "sets_kb": 0.0, "varint_kb": 0.0, "bitset_kb": 0.0, "points": 0, "sets": 0}
    data = json.loads(found.group(1))
    n = data["n"]
    texts = [x for t in data["targets"] for x in (t["base"], t["area"]) if x] + \
        [x for sets in data["reach"].values() for x in sets.values()]
    varint = sum(len(base64.b64encode(varint_bytes(np.diff(decode_ids(x, n), prepend=-1) - 1))) for x in texts)
    bitset = len(texts) * len(base64.b64encode(bytes((n + 7) // 8)))
    return {"json_kb": len(found.group(1)) / 1e3, "sets_kb": sum(len(x) for x in texts) / 1e3,
            "varint_kb": varint / 1e3, "bitset_kb": bitset / 1e3, "points": n, "sets": len(texts)}


def monaco(folder: Path) -> bool:
    from siting.demo import run_demo
    from siting.inputs.bundled import data_path

    _, build_s = build(data_path("osm", "monaco.osm.pbf"))
    summary = run_demo(folder / "monaco", offline=True)
    path = Path(summary["outputs"]["map"])
    size = path.stat().st_size / 1e6
    ms, base = first_render(path)
    w = whatif_sizes(path)
    print(f"RESULT case=basemap_monaco size_mb={size:.2f} build_s={build_s:.2f} tiles={base.get('tiles_embedded')} "
          f"first_render_ms={ms if ms is None else round(ms)} budget_mb={MONACO_BUDGET_MB} "
          f"whatif_kb={w['json_kb']:.1f} demand_points={w['points']} sets={w['sets']} sets_kb={w['sets_kb']:.1f} "
          f"varint_only_kb={w['varint_kb']:.1f} bitset_only_kb={w['bitset_kb']:.1f}")
    return size <= MONACO_BUDGET_MB


def whatif_city(folder: Path, pbf: Path, points: int = 100_000, seed: int = 0) -> bool:
    """The scenario map of the generated city (no isochrones): ``points`` demand points, 300 existing
    elderly-care and childcare facilities, 40 planned projects; the Qinzhou rules (A1 is the coverage
    target). Its size with the basemap and the what-if data, the time to build it, the first render."""
    import numpy as np

    from siting.maps import export_map
    from siting.maps.scenario import scenario_map

    rng = np.random.default_rng(seed)
    west, south, east, north = _extent(pbf)

    def points_in(k: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(west, east, k), rng.uniform(south, north, k)

    lon, lat = points_in(points)
    (folder / "demand.csv").write_text("lon,lat,population\n" + "".join(
        f"{x:.6f},{y:.6f},{p}\n" for x, y, p in zip(lon, lat, rng.integers(5, 120, points))), encoding="utf-8")
    lon, lat = points_in(340)
    kinds = ["elderly", "childcare"]
    (folder / "facilities.csv").write_text("id,name,type,lon,lat\n" + "".join(
        f"F{i},设施{i},{kinds[i % 2]},{lon[i]:.6f},{lat[i]:.6f}\n" for i in range(300)), encoding="utf-8")
    (folder / "projects.csv").write_text("id,name,type,beds,places,owner_kind,lon,lat\n" + "".join(
        f"P{i},规划项目{i},{kinds[i % 2]},{'' if i % 2 else 100},{60 if i % 2 else ''},government,"
        f"{lon[300 + i]:.6f},{lat[300 + i]:.6f}\n" for i in range(40)), encoding="utf-8")
    (folder / "city.yaml").write_text(
        "name: city\ntitle: 生成的城市\nrules: qinzhou\nfacilities: facilities.csv\nprojects: projects.csv\n"
        f"network: {{source: {pbf}, mode: walk, hospital_mode: walk}}\n"
        'demand: {file: demand.csv, shares: {"60+": 0.1577, "0-3": 0.0358}}\nminutes: 15\n', encoding="utf-8")
    start = time.perf_counter()
    m = scenario_map(folder / "city.yaml", isochrones=False)
    assert m is not None
    path = export_map(m, folder / "city_whatif.html", offline=True)
    build_s = time.perf_counter() - start
    size = path.stat().st_size / 1e6
    ms, _ = first_render(path)
    w = whatif_sizes(path)
    print(f"RESULT case=whatif_city size_mb={size:.2f} build_s={build_s:.1f} first_render_ms={ms if ms is None else round(ms)} "
          f"whatif_kb={w['json_kb']:.1f} demand_points={w['points']} sets={w['sets']} sets_kb={w['sets_kb']:.1f} "
          f"varint_only_kb={w['varint_kb']:.1f} bitset_only_kb={w['bitset_kb']:.1f} budget_mb={CITY_BUDGET_MB}")
    return size <= CITY_BUDGET_MB


def _extent(pbf: Path) -> tuple[float, float, float, float]:
    """The generated city's streets' extent, shrunk by a tenth on each side."""
    from siting.osm.mapdata import read_map_data

    west, south, east, north = read_map_data(pbf).bounds()
    dx, dy = (east - west) / 10, (north - south) / 10
    return west + dx, south + dy, east - dx, north - dy


def city(folder: Path, pbf: Path | None, edges: int) -> tuple[bool, Path]:
    import geopandas as gpd
    from make_pbf import CENTRE, write_city
    from shapely.geometry import Point

    from siting.maps import export_map, facility_layer, make_map

    if pbf is None:
        pbf = folder / "city.osm.pbf"
        start = time.perf_counter()
        counts = write_city(pbf, edges)
        print(f"# generated {pbf.name}: {counts['ways']:,} ways, {counts['segments']:,} segments "
              f"in {time.perf_counter() - start:.1f} s")
    layer, build_s = build(pbf)
    fac = gpd.GeoDataFrame({"name": ["养老服务中心", "托育中心", "人民医院"], "type": ["elderly", "childcare", "hospital"]},
                           geometry=[Point(CENTRE[0] + d, CENTRE[1] + d) for d in (0.0, 0.01, -0.01)], crs=4326)
    path = export_map(make_map([layer, facility_layer(fac)], title="1M-edge city"), folder / "city.html", offline=True)
    size = path.stat().st_size / 1e6
    ms, base = first_render(path)
    label = "basemap_city_1M" if edges == 1_000_000 else f"basemap_city_{edges // 1000}k"
    print(f"RESULT case={label} size_mb={size:.2f} build_s={build_s:.2f} tiles={base.get('tiles_embedded')} "
          f"first_render_ms={ms if ms is None else round(ms)} budget_mb={CITY_BUDGET_MB}")
    return size <= CITY_BUDGET_MB, pbf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, help="a city PBF made by bench/make_pbf.py (else one is generated)")
    parser.add_argument("--edges", type=int, default=1_000_000, help="size of the generated city")
    parser.add_argument("--quick", action="store_true", help="a 250k-edge city (and 25,000 demand points)")
    parser.add_argument("--no-whatif-city", action="store_true", help="skip the city's scenario map")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    with tempfile.TemporaryDirectory(prefix="siting-bench-basemap-") as tmp:
        ok = monaco(Path(tmp))
        city_ok, pbf = city(Path(tmp), args.pbf, 250_000 if args.quick else args.edges)
        ok = city_ok and ok
        if not args.no_whatif_city:
            ok = whatif_city(Path(tmp), pbf, 25_000 if args.quick else 100_000) and ok
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# peak memory {peak:.0f} MB")
    if not ok:
        print("over budget", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
