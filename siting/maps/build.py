"""Assemble layers into one folium map, and write it (optionally self-contained)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import folium
from branca.element import Element, Figure, MacroElement, Template
from folium.plugins import MeasureControl

from siting.io import write_text
from siting.maps.basemap_osm import VectorBasemap
from siting.maps.basemaps import ADCODE_ATTRIBUTION, DATA_ATTRIBUTION, add_basemap, display_point
from siting.maps.layers import MapLayer
from siting.maps.offline import inline_assets

_CSS = """
<style>
.siting-title {position: fixed; top: 10px; left: 50%; transform: translateX(-50%); z-index: 1000;
  background: rgba(255,255,255,0.92); padding: 6px 14px; border-radius: 6px; font-size: 16px;
  font-weight: 600; box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 70%; text-align: center;
  font-family: "Helvetica Neue", Arial, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;}
.siting-legend {position: fixed; bottom: 60px; left: 10px; z-index: 1000; background: rgba(255,255,255,0.92);
  padding: 8px 10px; border-radius: 6px; font-size: 12px; line-height: 1.4; max-height: 45%; overflow-y: auto;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3);
  font-family: "Helvetica Neue", Arial, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;}
.siting-legend h4 {font-size: 12px; margin: 4px 0 2px 0; font-weight: 600;}
.siting-legend i {display: inline-block; width: 14px; height: 10px; margin-right: 6px; opacity: 0.8;
  border: 1px solid #666;}
.siting-popup table th {padding-right: 8px; font-weight: 600; vertical-align: top;}
.siting-popup {font-size: 12px;}
</style>
"""


class _Attribution(MacroElement):
    """Adds data attributions to the map's attribution control (after the tiles' own)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {% for text in this.texts %}{{ this._parent.get_name() }}.attributionControl.addAttribution({{ text|tojson }});
        {% endfor %}{% endmacro %}"""
    )

    def __init__(self, texts: Sequence[str]) -> None:
        super().__init__()
        self._name = "SitingAttribution"
        self.texts = list(texts)


def legend_swatch(colour: str) -> str:
    """CSS of a legend swatch: a filled box, a dashed outline for ``dashed:#rrggbb``, a glow for ``glow:#rrggbb``."""
    if colour.startswith("dashed:"):
        edge = html.escape(colour.removeprefix("dashed:"))
        return f"background:transparent;border:2px dashed {edge};border-radius:50%;opacity:1"
    if colour.startswith("glow:"):
        edge = html.escape(colour.removeprefix("glow:"))
        return f"background:#fff;border:1px solid {edge};box-shadow:0 0 4px 2px {edge};border-radius:50%;opacity:1"
    return f"background:{html.escape(colour)}"


def legend_html(layers: Sequence[MapLayer]) -> str:
    """The legend box: one heading per layer, one swatch per class."""
    parts = ['<div class="siting-legend" id="siting-legend">']
    for layer in layers:
        if not layer.legend:
            continue
        parts.append(f"<h4>{html.escape(layer.name)}</h4>")
        for colour, label in layer.legend:
            parts.append(f'<div><i style="{legend_swatch(colour)}"></i>{html.escape(label)}</div>')
    parts.append("</div>")
    return "".join(parts)


def make_map(
    layers: Sequence[MapLayer] = (),
    title: str | None = None,
    basemap: str = "osm",
    *,
    tianditu_key: str | None = None,
    adcode: bool = False,
    measure: bool = False,
    location: tuple[float, float] | None = None,
    zoom_start: int = 13,
    width: str | int = "100%",
    height: str | int = "100%",
    collapse_layers: bool = False,
) -> folium.Map:
    """A folium map of ``layers`` with layer control, legend, scale bar, title and attribution.

    Parameters
    ----------
    layers
        :class:`MapLayer` objects from :mod:`siting.maps.layers`, drawn in order.
    title
        Text shown at the top of the map (and as the page title).
    basemap
        'osm' (default), 'amap' (overlays shifted to GCJ-02) or 'tianditu' (needs a key).
    adcode
        Credit the adcode project (CC-BY-4.0); on by itself when a layer shows adcode units.
    measure
        Add a distance/area measuring tool.
    location
        (lat, lon) centre in WGS84; by default the map fits all layers.
    collapse_layers
        Show the layer control as a button that opens on hover (maps with a side panel).
    """
    m = folium.Map(location=None, tiles=None, control_scale=True, zoom_start=zoom_start, width=width,
                   height=height, prefer_canvas=False)
    add_basemap(m, basemap, tianditu_key)
    for layer in layers:
        layer.add_to(m, basemap)

    bounds = [lay.bounds for lay in layers if lay.bounds is not None]
    if location is not None:
        lon, lat = display_point(location[1], location[0], basemap)
        m.location = [lat, lon]
        m.options["zoom"] = zoom_start
    elif bounds:
        x0, y0 = display_point(min(b[0] for b in bounds), min(b[1] for b in bounds), basemap)
        x1, y1 = display_point(max(b[2] for b in bounds), max(b[3] for b in bounds), basemap)
        m.location = [(y0 + y1) / 2, (x0 + x1) / 2]
        m.fit_bounds([[y0, x0], [y1, x1]], padding=(20, 20))
    else:
        m.location = [0.0, 0.0]
        m.options["zoom"] = 2

    folium.LayerControl(collapsed=collapse_layers).add_to(m)
    if measure:
        MeasureControl(position="topleft", primary_length_unit="meters", primary_area_unit="sqmeters").add_to(m)
    adcode = adcode or any(layer.adcode for layer in layers)
    attributions = [DATA_ATTRIBUTION] + ([ADCODE_ATTRIBUTION] if adcode else [])
    m.add_child(_Attribution(attributions))

    root = m.get_root()
    assert isinstance(root, Figure)  # a Map's root is always its Figure
    root.header.add_child(Element(_CSS), name="siting_css")
    if title:
        root.header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="siting_page_title")
        root.html.add_child(Element(f'<div class="siting-title" id="siting-title">{html.escape(title)}</div>'),
                            name="siting_title")
    if any(layer.legend for layer in layers):
        root.html.add_child(Element(legend_html(layers)), name="siting_legend")
    # names of the overlays, for scripts and tests that check what a map should show
    names = [g.layer_name for g in m._children.values() if isinstance(g, folium.FeatureGroup)]
    root.header.add_child(
        Element(f'<meta name="siting-layers" content="{html.escape(json.dumps(names, ensure_ascii=False))}"/>'),
        name="siting_layers_meta",
    )
    return m


@contextmanager
def _extract_basemap_shown(m: folium.Map) -> Iterator[None]:
    """While rendering, show the extract basemap on open instead of the tile basemap (which needs internet)."""
    bases = [c for c in m._children.values() if isinstance(c, folium.map.Layer) and not c.overlay]
    extract = [c for c in bases if isinstance(c, VectorBasemap)]
    saved = [(c, c.show) for c in bases]

    def show(layer: folium.map.Layer, on: bool) -> None:
        layer.show = on
        if not on:  # folium adds a layer to the map by a child (and its script) left behind by a render
            added = layer._children.pop(layer.get_name() + "_add", None)
            root = m.get_root()
            if added is not None and isinstance(root, Figure):
                root.script._children.pop(added.get_name(), None)

    if extract:
        for c in bases:
            show(c, c is extract[0])
    try:
        yield
    finally:
        for c, was in saved:
            show(c, was)


def map_html(m: folium.Map, offline: bool = False) -> str:
    """The full HTML page of ``m``; with ``offline`` every script, style, font and image is inlined.

    An offline page opens on the extract basemap (:func:`siting.maps.basemap_osm.basemap_layer`)
    when the map has one; the tile basemaps stay in the layer control for readers online.
    """
    if not offline:
        return m.get_root().render()
    with _extract_basemap_shown(m):
        text = m.get_root().render()
    return inline_assets(text)


def export_map(m: folium.Map, path: str | Path, offline: bool = False) -> Path:
    """Write ``m`` as one HTML file (atomically); return the path.

    With ``offline=True`` the file carries Leaflet and every plugin's JS/CSS
    itself and loads nothing from a CDN; only tile basemaps are fetched, and a
    map with the extract basemap opens on it (see :func:`map_html`).
    """
    return write_text(path, map_html(m, offline))
