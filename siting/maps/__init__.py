"""Interactive maps for planners and reviewers (folium / Leaflet).

Build layers from GeoDataFrames, compose them into a map, export it::

    from siting.maps import make_map, export_map, facility_layer, hospital_layer
    m = make_map([facility_layer(fac), hospital_layer(hosp)], title="钦州市", basemap="osm")
    export_map(m, "maps/qinzhou.html", offline=True)   # one self-contained file

Basemaps: 'osm' (default), 'amap' (overlays shifted to GCJ-02), 'tianditu' (needs a key); and
``basemap_layer(osm_file)``, drawn from the OSM extract itself, which needs no internet::

    m = make_map([basemap_layer("data/osm/monaco.osm.pbf"), facility_layer(fac)])

The map of a scenario — every site coloured by its verdict, the rule table and the what-if panel —
is one call (the map of ``siting map --scenario``, of the report and of the demo)::

    m = scenario_map("scenarios/monaco_demo.yaml", candidates="data/monaco_candidates.csv", lang="zh")
"""

from siting.maps.basemap_osm import basemap_layer
from siting.maps.basemaps import BASEMAPS, add_basemap, display_frame, display_point, needs_gcj02
from siting.maps.build import export_map, legend_html, make_map, map_html
from siting.maps.layers import (
    MapLayer,
    coverage_layer,
    facility_layer,
    heatmap_layer,
    hospital_layer,
    isochrone_layer,
    planned_layers,
    standard_layers,
    violation_layer,
)
from siting.maps.offline import check_offline, inline_assets, remote_references
from siting.maps.scenario import scenario_map

__all__ = [
    "BASEMAPS",
    "MapLayer",
    "add_basemap",
    "basemap_layer",
    "make_map",
    "check_offline",
    "coverage_layer",
    "display_frame",
    "display_point",
    "export_map",
    "facility_layer",
    "heatmap_layer",
    "hospital_layer",
    "inline_assets",
    "isochrone_layer",
    "legend_html",
    "map_html",
    "needs_gcj02",
    "planned_layers",
    "remote_references",
    "scenario_map",
    "standard_layers",
    "violation_layer",
]
