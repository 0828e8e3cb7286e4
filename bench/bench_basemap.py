"""Size, build time and first render of the offline basemap (siting.maps.basemap_osm).

Two cases, each an offline HTML map (every script, style, font and tile inside):

- ``basemap_monaco``: the demo map ``maps/monaco_demo.html`` of ``siting demo --offline``,
  everything included (isochrones, facilities, hospital rings, heat layer, basemap);
  budget 4 MB.
- ``basemap_city_1M``: the generated 1M-edge city of ``bench/make_pbf.py`` (about 40 x 40 km
  of streets near Qinzhou: a Qinzhou-sized city) with its basemap and a few facilities;
  budget 25 MB.

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


def monaco(folder: Path) -> bool:
    from siting.demo import run_demo
    from siting.inputs.bundled import data_path

    _, build_s = build(data_path("osm", "monaco.osm.pbf"))
    summary = run_demo(folder / "monaco", offline=True)
    path = Path(summary["outputs"]["map"])
    size = path.stat().st_size / 1e6
    ms, base = first_render(path)
    print(f"RESULT case=basemap_monaco size_mb={size:.2f} build_s={build_s:.2f} tiles={base.get('tiles_embedded')} "
          f"first_render_ms={ms if ms is None else round(ms)} budget_mb={MONACO_BUDGET_MB}")
    return size <= MONACO_BUDGET_MB


def city(folder: Path, pbf: Path | None, edges: int) -> bool:
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
    return size <= CITY_BUDGET_MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, help="a city PBF made by bench/make_pbf.py (else one is generated)")
    parser.add_argument("--edges", type=int, default=1_000_000, help="size of the generated city")
    parser.add_argument("--quick", action="store_true", help="a 250k-edge city")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    with tempfile.TemporaryDirectory(prefix="siting-bench-basemap-") as tmp:
        ok = monaco(Path(tmp))
        ok = city(Path(tmp), args.pbf, 250_000 if args.quick else args.edges) and ok
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# peak memory {peak:.0f} MB")
    if not ok:
        print("over budget", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
