"""Map layers: each function takes GeoDataFrames and returns a :class:`MapLayer`.

A :class:`MapLayer` holds the data and draws itself onto a folium map for a
given basemap (shifting coordinates to GCJ-02 for Amap), so callers compose
layers freely and pick the basemap once, in :func:`siting.maps.make_map`.
Input frames may be in any CRS (WGS84 when they have none); labels come from
the data, Chinese included, HTML-escaped. Every layer takes ``lang`` ('en' or 'zh'): its
name in the layer control, its legend and its popup labels come from the message catalogue
(:mod:`siting.i18n`, keys ``map.*``), as do the words for facility types and statuses.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.plugins import HeatMap

from siting.errors import InputError
from siting.i18n import label, t
from siting.maps.basemaps import display_frame

#: Minute-band colours, short (dark blue) to long (pale), from ColorBrewer GnBu.
BAND_COLOURS = ("#084081", "#0868ac", "#2b8cbe", "#4eb3d3", "#7bccc4", "#a8ddb5", "#ccebc5", "#e0f3db")
#: Coverage classes (share of demand covered) and their colours, red (poor) to green (good).
COVERAGE_BINS = (0.0, 0.5, 0.75, 0.9, 1.0)
COVERAGE_COLOURS = ("#d7191c", "#fdae61", "#a6d96a", "#1a9641")
NO_DATA = "#bdbdbd"
VIOLATION = "#d62728"

#: Facility kinds -> (marker colour, Font Awesome icon, words that identify the kind).
FACILITY_STYLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "elderly": ("purple", "person-cane", ("elder", "nursing", "senior", "aged", "养老", "敬老", "老年", "护理", "颐养")),
    "childcare": ("orange", "baby", ("child", "kinder", "nursery", "creche", "crèche", "托育", "幼", "托儿", "早教")),
    "hospital": ("red", "hospital", ("hospital", "clinic", "医院", "卫生")),
    "community": ("blue", "people-roof", ("community", "社区", "综合", "integrated", "service")),
}
DEFAULT_STYLE = ("cadetblue", "circle", ())


@dataclass
class MapLayer:
    """Data plus how to draw it: ``render(basemap)`` gives folium feature groups.

    Attributes
    ----------
    name
        Name in the layer control (for multi-group layers, a prefix).
    render
        ``render(basemap) -> list[folium.map.Layer]`` (feature groups; a base layer
        such as the extract basemap of :mod:`siting.maps.basemap_osm`).
    legend
        ``(colour, label)`` pairs shown in the map legend under ``name``; a colour
        written ``dashed:#rrggbb`` is shown as a dashed outline.
    bounds
        ``(minx, miny, maxx, maxy)`` in WGS84, or None when the layer is empty.
    adcode
        True when the layer shows Chinese administrative units from the adcode
        project, whose CC-BY-4.0 licence asks for attribution on the map.
    """

    name: str
    render: Callable[[str], Sequence[folium.map.Layer]]
    legend: list[tuple[str, str]] = field(default_factory=list)
    bounds: tuple[float, float, float, float] | None = None
    adcode: bool = False

    def to_folium(self, basemap: str = "osm") -> list[folium.map.Layer]:
        """The feature groups for ``basemap`` (coordinates shifted when it needs GCJ-02)."""
        return list(self.render(basemap))

    def add_to(self, m: folium.Map, basemap: str = "osm") -> list[folium.map.Layer]:
        """Add the layer's groups to ``m``; return them."""
        groups = list(self.render(basemap))
        for g in groups:
            g.add_to(m)
        return groups


def _frame(frame: gpd.GeoDataFrame | pd.DataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        if isinstance(frame, pd.DataFrame) and {"lon", "lat"} <= set(frame.columns):
            lon = pd.to_numeric(frame["lon"], errors="coerce")
            lat = pd.to_numeric(frame["lat"], errors="coerce")
            keep = (lon.notna() & lat.notna()).to_numpy()  # unlocated rows (e.g. projects) cannot be drawn
            return gpd.GeoDataFrame(frame[keep], geometry=gpd.points_from_xy(lon[keep], lat[keep]), crs=4326)
        raise InputError(f"{what}: expected a GeoDataFrame (or a table with lon/lat columns)")
    out = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    return out if out.crs is None else out.to_crs(4326)


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    if frame.empty:
        return None
    b = frame.total_bounds
    return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _require(frame: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}"
        )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _popup_table(row: pd.Series, fields: Sequence[tuple[str, str]], title: str | None = None,
                 lang: str = "en") -> str:
    rows = []
    for col, name in fields:
        if col in row.index and _text(row[col]) != "":
            value = _text(row[col])
            if col in ("type", "category", "owner_kind"):
                value = label(col, value, lang)
            rows.append(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>")
    head = f"<b>{html.escape(title)}</b>" if title else ""
    return f'<div class="siting-popup">{head}<table>{"".join(rows)}</table></div>'


def _round_coords(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # 1e-6 degrees is about 0.1 m: keeps exported files small without visible change.
    return frame.set_geometry(frame.geometry.set_precision(1e-6))


def _json_ready(frame: gpd.GeoDataFrame, keep: Sequence[str]) -> gpd.GeoDataFrame:
    cols = [c for c in keep if c in frame.columns]
    out = frame[cols + [frame.geometry.name]].copy()
    for c in cols:
        if not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].map(_text)
    return out


def band_colour(rank: int, n: int) -> str:
    """Colour of the ``rank``-th shortest of ``n`` minute bands."""
    if n <= 1:
        return BAND_COLOURS[1]
    idx = math.floor(rank * (len(BAND_COLOURS) - 1) / (n - 1) + 0.5)
    return BAND_COLOURS[idx]


def band_rings(frame: gpd.GeoDataFrame, minutes_col: str, bands: Sequence[float]) -> gpd.GeoDataFrame:
    """One polygon per minute band, dissolved over every facility: within ``b`` minutes of some
    facility but not within the band before, so each place has exactly one band colour."""
    rings, inner = [], None
    minutes = frame[minutes_col].to_numpy()
    for b in bands:
        within = shapely.union_all(frame.geometry.to_numpy()[minutes <= b])
        rings.append(within if inner is None else shapely.difference(within, inner))
        inner = within
    return gpd.GeoDataFrame({minutes_col: list(bands)}, geometry=rings, crs=4326)


def band_labels(bands: Sequence[float], lang: str = "en") -> list[str]:
    """Legend labels of minute bands: '≤ 5 min', '5–10 min', '10–15 min' (or '≤ 5 分钟', ...)."""
    return [t("map.minutes_band", lang, minutes=_text(b)) if i == 0 else
            t("map.minutes_range", lang, low=_text(bands[i - 1]), high=_text(b)) for i, b in enumerate(bands)]


def isochrone_layer(
    isochrones: gpd.GeoDataFrame, minutes_col: str = "minutes", name: str | None = None,
    label_col: str | None = None, lang: str = "en",
) -> MapLayer:
    """Isochrones graded by minute band, one colour per band (shortest darkest), as in the legend.

    Without ``label_col`` the polygons are dissolved into bands (``≤ 5``, ``5–10``,
    ``10–15`` minutes) over all facilities, so overlapping circles never stack
    into colours the legend does not show. With ``label_col`` (e.g. the facility
    name, shown in the tooltip) each facility's polygons are drawn as they are,
    longest band first so shorter ones stay visible on top.

    Parameters
    ----------
    isochrones
        Polygons with a ``minutes_col`` column (the band's upper bound in minutes).
    """
    name = name or t("map.isochrones", lang)
    frame = _frame(isochrones, "isochrones")
    _require(frame, [minutes_col], "isochrones")
    minutes = pd.to_numeric(frame[minutes_col], errors="coerce")
    if minutes.isna().any():
        i = int(np.flatnonzero(minutes.isna().to_numpy())[0])
        raise InputError(f"isochrones: '{frame[minutes_col].iloc[i]}' is not a number of minutes", row=i + 1,
                         field=minutes_col)
    frame = frame.assign(**{minutes_col: minutes})
    bands = sorted(pd.unique(minutes))
    colours = {b: band_colour(i, len(bands)) for i, b in enumerate(bands)}
    labels = band_labels(bands, lang) if label_col is None else [t("map.minutes_band", lang, minutes=_text(b))
                                                                 for b in bands]
    legend = [(colours[b], text) for b, text in zip(bands, labels)]
    drawn = band_rings(frame, minutes_col, bands).assign(band=labels) if label_col is None else frame
    keep = [minutes_col, "band"] if label_col is None else [minutes_col, label_col]
    aliases = [t("map.minutes", lang), t("map.band", lang) if label_col is None else t("map.popup.name", lang)]

    def render(basemap: str) -> list[folium.FeatureGroup]:
        group = folium.FeatureGroup(name=name)
        shown = _round_coords(display_frame(drawn, basemap))
        # longest band first so shorter ones stay visible on top
        shown = _json_ready(shown.sort_values(minutes_col, ascending=False), keep)
        shown = shown[~shown.geometry.is_empty]
        if len(shown):
            folium.GeoJson(
                shown,
                name=name,
                style_function=lambda f: {
                    "fillColor": colours.get(f["properties"][minutes_col], BAND_COLOURS[-1]),
                    "color": colours.get(f["properties"][minutes_col], BAND_COLOURS[-1]),
                    "weight": 1, "fillOpacity": 0.4,
                },
                tooltip=folium.GeoJsonTooltip(keep, aliases=aliases),
            ).add_to(group)
        return [group]

    return MapLayer(name, render, legend, _bounds(frame))


def facility_style(kind: Any) -> tuple[str, str]:
    """(marker colour, Font Awesome icon) for a facility type, matched on its words (Chinese too)."""
    text = _text(kind).lower()
    for colour, icon, words in FACILITY_STYLES.values():
        if text and any(w in text for w in words):
            return colour, icon
    return DEFAULT_STYLE[0], DEFAULT_STYLE[1]


def _facility_fields(frame: gpd.GeoDataFrame, extra: Sequence[str], lang: str = "en") -> list[tuple[str, str]]:
    fields = [(c, t(f"map.popup.{c}", lang)) for c in ("type", "beds", "places", "owner", "status", "county")]
    return fields + [(c, label("column", c, lang)) for c in extra if c in frame.columns]


def facility_layer(
    facilities: gpd.GeoDataFrame, type_col: str = "type", name_col: str = "name",
    name: str | None = None, popup_columns: Sequence[str] = (), lang: str = "en",
) -> MapLayer:
    """Facilities as icon markers, one layer-control entry per type.

    Popups show name, type, beds or places, owner and rule status (columns
    ``beds``, ``places``, ``owner``, ``status`` when present) plus ``popup_columns``.
    """
    name = name or t("map.facilities", lang)
    frame = _frame(facilities, "facilities")
    if type_col not in frame.columns:
        frame = frame.assign(**{type_col: "facility"})
    kinds = list(dict.fromkeys(frame[type_col].map(_text).replace("", "other")))
    legend = []
    for k in kinds:
        colour, _ = facility_style(k)
        legend.append((_ICON_CSS.get(colour, colour), label("type", k, lang)))
    fields = _facility_fields(frame, popup_columns, lang)

    def render(basemap: str) -> list[folium.FeatureGroup]:
        shown = display_frame(frame, basemap)
        groups = []
        types = shown[type_col].map(_text).replace("", "other")
        for kind in kinds:
            group = folium.FeatureGroup(name=f"{name}: {label('type', kind, lang)}")
            colour, icon = facility_style(kind)
            for _, row in shown[types == kind].iterrows():
                pt = row.geometry.representative_point()
                title = _text(row.get(name_col, "")) or _text(row.get("id", ""))
                folium.Marker(
                    [pt.y, pt.x],
                    icon=folium.Icon(color=colour, icon=icon, prefix="fa"),
                    popup=folium.Popup(_popup_table(row, fields, title, lang), max_width=320),
                    tooltip=html.escape(title) if title else None,
                ).add_to(group)
            groups.append(group)
        return groups

    return MapLayer(name, render, legend, _bounds(frame))


# folium.Icon colour names -> the CSS colour of the awesome-markers sprite, for the legend.
_ICON_CSS = {
    "purple": "#d252b9", "orange": "#f69730", "red": "#d63e2a", "blue": "#38aadd",
    "cadetblue": "#436978", "green": "#72b026", "darkred": "#a23336", "gray": "#575757",
    "lightgray": "#a3a3a3", "darkgreen": "#728224",
}


def hospital_layer(
    hospitals: gpd.GeoDataFrame, radius_m: float = 5000.0, name_col: str = "name",
    name: str | None = None, lang: str = "en", colour: str = "red",
) -> MapLayer:
    """Hospitals as markers with a ring of ``radius_m`` metres around each.

    The rings are dashed outlines without fill: a city's hospital rings overlap
    many times over, and filled discs would wash the whole map in red. The popup
    shows the hospital's category, level and the reason for its category
    (``category``, ``level``, ``category_reason`` columns, when present).
    ``colour`` is the marker's (a folium.Icon colour name); the rings take its CSS colour
    (scenario maps use 'cadetblue': red says *fails a rule* there).
    """
    frame = _frame(hospitals, "hospitals")
    ring = f"{_text(radius_m / 1000.0)} km" if radius_m % 1000 == 0 else f"{radius_m:g} m"
    name = name or t("map.hospitals", lang, ring=ring)
    css = _ICON_CSS.get(colour, colour)
    legend = [(css, t("map.hospital", lang)), (f"dashed:{css}", t("map.hospital_ring_outline", lang, ring=ring))]
    fields = [(c, t(f"map.popup.{c}", lang)) for c in ("category", "level", "category_reason", "beds", "owner")]

    def render(basemap: str) -> list[folium.FeatureGroup]:
        group = folium.FeatureGroup(name=name)
        for _, row in display_frame(frame, basemap).iterrows():
            pt = row.geometry.representative_point()
            title = _text(row.get(name_col, "")) or t("map.hospital", lang)
            folium.Circle(
                [pt.y, pt.x], radius=radius_m, color=css, weight=2, opacity=0.8, fill=False,
                dash_array="8 6", class_name="siting-hospital-ring",
            ).add_to(group)
            folium.Marker(
                [pt.y, pt.x], icon=folium.Icon(color=colour, icon="hospital", prefix="fa"),
                popup=folium.Popup(_popup_table(row, fields, title, lang), max_width=320),
                tooltip=html.escape(title),
            ).add_to(group)
        return [group]

    return MapLayer(name, render, legend, _bounds(frame))


def violation_layer(
    violations: gpd.GeoDataFrame, rule_col: str = "rule_id", reason_col: str = "reason",
    name_col: str = "name", name: str | None = None, lang: str = "en",
) -> MapLayer:
    """What breaks a rule, in red: points as circle markers, lines and areas as red outlines."""
    name = name or t("map.violations", lang)
    frame = _frame(violations, "violations")
    legend = [(VIOLATION, t("map.breaks_rule", lang))]
    fields = [(rule_col, t("map.popup.rule", lang)), (reason_col, t("map.popup.reason", lang))]

    def render(basemap: str) -> list[folium.FeatureGroup]:
        group = folium.FeatureGroup(name=name)
        shown = display_frame(frame, basemap)
        points = shown.geom_type == "Point"
        for _, row in shown[points].iterrows():
            title = _text(row.get(name_col, "")) or _text(row.get(rule_col, ""))
            folium.CircleMarker(
                [row.geometry.y, row.geometry.x], radius=9, color=VIOLATION, weight=3, fill=True,
                fill_color=VIOLATION, fill_opacity=0.6,
                popup=folium.Popup(_popup_table(row, fields, title, lang), max_width=320),
                tooltip=html.escape(title) if title else None,
            ).add_to(group)
        other = _json_ready(_round_coords(shown[~points]), [c for c, _ in fields] + [name_col])
        if len(other):
            folium.GeoJson(
                other, style_function=lambda f: {"color": VIOLATION, "weight": 3, "fillOpacity": 0.15,
                                                  "fillColor": VIOLATION},
                tooltip=folium.GeoJsonTooltip([c for c, _ in fields if c in other.columns],
                                              aliases=[a for c, a in fields if c in other.columns]),
            ).add_to(group)
        return [group]

    return MapLayer(name, render, legend, _bounds(frame))


def coverage_class(value: float) -> int:
    """Index into :data:`COVERAGE_COLOURS` for a coverage share in 0..1 (-1 for missing)."""
    if value is None or not np.isfinite(value):
        return -1
    for i in range(len(COVERAGE_BINS) - 2, -1, -1):
        if value >= COVERAGE_BINS[i]:
            return i
    return 0


def coverage_layer(
    units: gpd.GeoDataFrame, value_col: str = "coverage", name_col: str = "name",
    name: str | None = None, extra_columns: Sequence[str] = (), simplify_m: float = 10.0,
    adcode: bool | None = None, lang: str = "en",
) -> MapLayer:
    """Choropleth of the share of demand covered (0..1) per district or town polygon.

    Boundaries are simplified to about ``simplify_m`` metres (0 keeps every vertex):
    county outlines carry tens of thousands of vertices no one sees on a map.
    ``adcode`` credits the adcode project on the map; by default it is on when
    the frame has an ``adcode`` column (the bundled Chinese boundaries do).
    """
    name = name or t("map.coverage", lang)
    frame = _frame(units, "coverage units")
    if simplify_m > 0 and len(frame):
        # degrees per metre of latitude; good enough for a drawing tolerance
        frame = frame.assign(geometry=frame.geometry.simplify(simplify_m / 111_320.0, preserve_topology=True))
    _require(frame, [value_col], "coverage units")
    values = pd.to_numeric(frame[value_col], errors="coerce")
    bad = values.notna() & ((values < 0) | (values > 1.0 + 1e-9))
    if bad.any():
        first = frame.index[bad.to_numpy()][0]
        raise InputError(
            f"coverage units: '{value_col}' must be a share between 0 and 1, found {values[first]:g}",
            row=int(np.flatnonzero(bad.to_numpy())[0]) + 1, field=value_col,
            hint="Divide percentages by 100",
        )
    labels = [f"{COVERAGE_BINS[i]:.0%}–{COVERAGE_BINS[i + 1]:.0%}" for i in range(len(COVERAGE_COLOURS))]
    legend = list(zip(COVERAGE_COLOURS, labels)) + [(NO_DATA, t("map.no_data", lang))]

    def render(basemap: str) -> list[folium.FeatureGroup]:
        group = folium.FeatureGroup(name=name)
        shown = _round_coords(display_frame(frame, basemap))
        shown = _json_ready(shown.assign(**{value_col: values.to_numpy()}), [name_col, value_col, *extra_columns])
        shown["coverage_pct"] = [("" if not np.isfinite(v) else f"{v:.1%}") for v in shown[value_col]]
        if len(shown):
            def style(f: dict[str, Any]) -> dict[str, Any]:
                v = f["properties"].get(value_col)
                k = coverage_class(float(v) if v is not None else float("nan"))
                return {"fillColor": NO_DATA if k < 0 else COVERAGE_COLOURS[k], "color": "#555555",
                        "weight": 1, "fillOpacity": 0.55}

            tip = [c for c in (name_col, "coverage_pct", *extra_columns) if c in shown.columns]
            aliases = [t("map.popup.name", lang) if c == name_col else t("map.popup.coverage", lang)
                       if c == "coverage_pct" else label("column", c, lang) for c in tip]
            folium.GeoJson(shown, style_function=style,
                           tooltip=folium.GeoJsonTooltip(tip, aliases=aliases if lang != "en" else None)).add_to(group)
        return [group]

    from_adcode = "adcode" in frame.columns if adcode is None else adcode
    return MapLayer(name, render, legend, _bounds(frame), adcode=from_adcode)


def heatmap_layer(
    demand: gpd.GeoDataFrame, weight_col: str | None = "uncovered", name: str | None = None,
    radius: int = 18, lang: str = "en",
) -> MapLayer:
    """Heat map of demand points not covered (weight = ``weight_col``, e.g. uncovered people).

    Listed in the layer control but off when the map opens: drawn over everything,
    it hides the streets and sites a reader looks for first.
    """
    name = name or t("map.heat", lang)
    frame = _frame(demand, "demand")
    if weight_col is not None:
        _require(frame, [weight_col], "demand")
        w = pd.to_numeric(frame[weight_col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        frame = frame[w > 0]
        w = w[w > 0]
    else:
        w = np.ones(len(frame))
    legend = [("#ff0000", t("map.heat_most", lang)), ("#00ff00", t("map.heat_some", lang)),
              ("#0000ff", t("map.heat_few", lang))]  # leaflet.heat gradient

    def render(basemap: str) -> list[folium.FeatureGroup]:
        group = folium.FeatureGroup(name=name, show=False)
        pts = display_frame(frame, basemap).geometry.representative_point()
        if len(pts):
            top = float(w.max())
            data = [[round(p.y, 6), round(p.x, 6), round(float(v) / top, 4)] for p, v in zip(pts, w)]
            HeatMap(data, radius=radius, blur=15, min_opacity=0.3, max_zoom=16).add_to(group)
        return [group]

    return MapLayer(name, render, legend, _bounds(frame))


def planned_layers(
    before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, name_col: str = "name",
    name: str | None = None, popup_columns: Sequence[str] = (), lang: str = "en",
) -> MapLayer:
    """Planned sites before and after siting: two toggleable groups (grey before, green after)."""
    name = name or t("map.planned", lang)
    b, a = _frame(before, "planned sites (before)"), _frame(after, "planned sites (after)")
    legend = [("#575757", t("map.before_legend", lang)), ("#72b026", t("map.after_legend", lang))]
    fields = [(c, t(f"map.popup.{c}", lang)) for c in ("type", "beds", "places", "owner", "status")] + [
        (c, label("column", c, lang)) for c in popup_columns]

    def render(basemap: str) -> list[folium.FeatureGroup]:
        groups = []
        for frame, when, colour, icon in ((b, t("map.before", lang), "gray", "location-dot"),
                                          (a, t("map.after", lang), "green", "square-plus")):
            group = folium.FeatureGroup(name=f"{name}: {when}")
            for _, row in display_frame(frame, basemap).iterrows():
                pt = row.geometry.representative_point()
                title = _text(row.get(name_col, "")) or _text(row.get("id", ""))
                folium.Marker(
                    [pt.y, pt.x], icon=folium.Icon(color=colour, icon=icon, prefix="fa"),
                    popup=folium.Popup(_popup_table(row, fields, f"{title} ({when})", lang), max_width=320),
                    tooltip=html.escape(f"{title} ({when})"),
                ).add_to(group)
            groups.append(group)
        return groups

    bounds = [x for x in (_bounds(b), _bounds(a)) if x is not None]
    union = (min(x[0] for x in bounds), min(x[1] for x in bounds), max(x[2] for x in bounds),
             max(x[3] for x in bounds)) if bounds else None
    return MapLayer(name, render, legend, union)


def standard_layers(
    *,
    isochrones: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | pd.DataFrame | None = None,
    hospitals: gpd.GeoDataFrame | pd.DataFrame | None = None,
    violations: gpd.GeoDataFrame | pd.DataFrame | None = None,
    coverage: gpd.GeoDataFrame | None = None,
    uncovered: gpd.GeoDataFrame | pd.DataFrame | None = None,
    planned_before: gpd.GeoDataFrame | pd.DataFrame | None = None,
    planned_after: gpd.GeoDataFrame | pd.DataFrame | None = None,
    hospital_radius_m: float = 5000.0,
    lang: str = "en",
) -> list[MapLayer]:
    """The usual layers, in drawing order, for whichever inputs are given (None ones are left out).

    Frames use the default column names of the layer functions (``minutes``,
    ``type``/``name``, ``rule_id``/``reason``, ``coverage``, ``uncovered``).
    Tables with ``lon``/``lat`` columns are accepted for point layers.

    Examples
    --------
    >>> m = make_map(standard_layers(facilities=fac, hospitals=hosp), title="Monaco")  # doctest: +SKIP
    """
    layers: list[MapLayer] = []
    if coverage is not None:
        layers.append(coverage_layer(coverage, lang=lang))
    if isochrones is not None:
        layers.append(isochrone_layer(isochrones, lang=lang))
    if uncovered is not None:
        layers.append(heatmap_layer(uncovered, lang=lang))
    if hospitals is not None:
        layers.append(hospital_layer(hospitals, hospital_radius_m, lang=lang))
    if facilities is not None:
        layers.append(facility_layer(facilities, lang=lang))
    if planned_before is not None or planned_after is not None:
        empty = gpd.GeoDataFrame(geometry=[], crs=4326)
        layers.append(planned_layers(planned_before if planned_before is not None else empty,
                                     planned_after if planned_after is not None else empty, lang=lang))
    if violations is not None:
        layers.append(violation_layer(violations, lang=lang))
    return layers
