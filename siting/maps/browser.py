"""Open an exported map in headless Chromium and report what Leaflet actually built.

Used by the real-browser test and by anyone who wants a screenshot of a map.
Needs Debian's ``chromium`` and ``chromium-driver`` (``tools/install_browser.sh``)
and the ``selenium`` package (the ``test`` extra).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from siting.errors import SitingError

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN",
)

#: Walks the live Leaflet objects: every L.Map on the page, its layers and its layer control.
INSPECT_JS = r"""
const maps = Object.keys(window).filter(k => { try { return window[k] instanceof L.Map; } catch (e) { return false; } });
if (!maps.length) { return {maps: 0}; }
const map = window[maps[0]];
let markers = 0, circles = 0, circleMarkers = 0, features = 0, geojson = 0, heat = 0, tiles = 0;
const names = new Set();
map.eachLayer(l => {
  if (l instanceof L.Marker) markers++;
  else if (l instanceof L.Circle) circles++;
  else if (l instanceof L.CircleMarker) circleMarkers++;
  if (l instanceof L.GeoJSON) geojson++;
  if (l.feature) features++;
  if (L.HeatLayer && l instanceof L.HeatLayer) heat++;
  if (l instanceof L.TileLayer) tiles++;
});
const labels = Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label span span, '
  + '.leaflet-control-layers-overlays label span')).map(e => e.textContent.trim()).filter(t => t.length);
const bases = Array.from(document.querySelectorAll('.leaflet-control-layers-base label span span'))
  .map(e => e.textContent.trim());
const checked = sel => Array.from(document.querySelectorAll(sel + ' label'))
  .filter(l => l.querySelector('input') && l.querySelector('input').checked).map(l => l.textContent.trim());
const markerLatLngs = [], popupTexts = [];
map.eachLayer(l => {
  if (l instanceof L.Marker) { const p = l.getLatLng(); markerLatLngs.push([p.lat, p.lng]); }
  const pop = l.getPopup ? l.getPopup() : null;
  if (pop) { const c = pop.getContent(); popupTexts.push(typeof c === 'string' ? c : (c && c.textContent) || ''); }
});
return {
  maps: maps.length, markers: markers, circles: circles, circle_markers: circleMarkers,
  geojson_layers: geojson, features: features, heat_layers: heat, tile_layers: tiles,
  overlay_labels: Array.from(new Set(labels)), base_labels: bases, marker_latlngs: markerLatLngs, popup_texts: popupTexts,
  overlays_on: checked('.leaflet-control-layers-overlays'), base_on: checked('.leaflet-control-layers-base'),
  scale: document.querySelectorAll('.leaflet-control-scale').length,
  attribution: (document.querySelector('.leaflet-control-attribution') || {}).textContent || '',
  title: (document.getElementById('siting-title') || {}).textContent || '',
  legend: (document.getElementById('siting-legend') || {}).textContent || '',
  body_text: document.body.innerText,
  scripts_remote: Array.from(document.scripts).filter(s => s.src && !s.src.startsWith('file:')).map(s => s.src),
  zoom: map.getZoom(),
  basemap: basemapState(map),
  ring_styles: Array.from(document.querySelectorAll('path.siting-hospital-ring')).map(p => ({
    fill: p.getAttribute('fill'), stroke: p.getAttribute('stroke'), dash: p.getAttribute('stroke-dasharray')})),
};

// The extract basemap (siting.maps.basemap_osm): tiles embedded, features decoded from the tiles on
// screen (per layer), and how many of its tile canvases have pixels other than the background.
function basemapState(map) {
  let layer = null;
  map.eachLayer(l => { if (l.sitingTileCount !== undefined) layer = l; });
  if (!layer) { return null; }
  const features = {};
  for (const view of layer.views.values()) {
    for (const entry of view.tileCache.cache.values()) {
      for (const [name, list] of entry.data) { features[name] = (features[name] || 0) + list.length; }
    }
  }
  const bg = layer.backgroundColor.match(/[0-9a-f]{2}/gi).map(h => parseInt(h, 16));
  let canvases = 0, painted = 0;
  for (const key in layer._tiles) {
    const el = layer._tiles[key].el;
    if (!el.width) { continue; }
    canvases++;
    const px = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
    for (let i = 0; i < px.length; i += 4 * 7) {
      if (Math.abs(px[i] - bg[0]) + Math.abs(px[i + 1] - bg[1]) + Math.abs(px[i + 2] - bg[2]) > 24) { painted++; break; }
    }
  }
  return {tiles_embedded: layer.sitingTileCount, first_render_ms: layer.sitingFirstRenderMs || null,
          features: features, canvases: canvases, painted_canvases: painted};
}
"""

#: Sets the zoom of the page's map and calls back when the extract basemap (if shown) has painted.
ZOOM_JS = r"""
const done = arguments[arguments.length - 1];
const zoom = arguments[0];
const maps = Object.keys(window).filter(k => { try { return window[k] instanceof L.Map; } catch (e) { return false; } });
const map = window[maps[0]];
let basemap = null;
map.eachLayer(l => { if (l.sitingTileCount !== undefined) basemap = l; });
const timer = setTimeout(() => done(map.getZoom()), 5000);
if (basemap && map.getZoom() !== zoom) {
  basemap.once('load', () => { clearTimeout(timer); setTimeout(() => done(map.getZoom()), 300); });
  map.setZoom(zoom, {animate: false});
} else {
  clearTimeout(timer);
  map.setZoom(zoom, {animate: false});
  setTimeout(() => done(map.getZoom()), 500);
}
"""


def chromium_available() -> bool:
    """True when Chromium and its WebDriver are installed."""
    return Path(CHROMEDRIVER).exists() and (Path(CHROMIUM).exists() or shutil.which("chromium") is not None)


def open_chromium(profile_dir: str | Path) -> Any:
    """A selenium WebDriver for headless Chromium with a fresh profile in ``profile_dir``."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:  # pragma: no cover - selenium is in the test extra
        raise SitingError("selenium is not installed: pip install 'siting[test]'") from exc
    if not chromium_available():
        raise SitingError("Chromium is not installed: run tools/install_browser.sh (as root)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile_dir}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def is_tile_failure(entry: dict[str, Any]) -> bool:
    """True for a console entry that is only a basemap tile failing to load (expected offline)."""
    msg = str(entry.get("message", ""))
    tile_hosts = ("tile.openstreetmap.org", "autonavi.com", "tianditu.gov.cn")
    return any(h in msg for h in tile_hosts) or ("/appmaptile" in msg) or ("/wmts?" in msg)


class MapPage:
    """A map page open in headless Chromium (from :func:`map_page`): run scripts, take screenshots,
    and read what the console said.

    ``run(script, *args)`` executes JavaScript in the map's document (the ``iframe`` given to
    :func:`map_page`, else the page) and returns its value; ``inspect()`` describes the live map
    (see ``INSPECT_JS``); ``log()`` returns every console entry so far, ``errors()`` the SEVERE ones
    that are not tile failures.
    """

    def __init__(self, driver: Any, iframe: str | None) -> None:
        self.driver = driver
        self.iframe = iframe
        self.entries: list[dict[str, Any]] = []

    def enter(self) -> None:
        """Switch to the map's document (the iframe holding it, if any)."""
        self.driver.switch_to.default_content()
        if self.iframe is not None:
            from selenium.webdriver.common.by import By

            self.driver.switch_to.frame(self.driver.find_element(By.CSS_SELECTOR, self.iframe))

    def run(self, script: str, *args: Any) -> Any:
        self.enter()
        return self.driver.execute_script(script, *args)

    def inspect(self) -> dict[str, Any]:
        info: dict[str, Any] = self.run(INSPECT_JS)
        return info

    def screenshot(self, path: str | Path) -> None:
        self.driver.switch_to.default_content()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))

    def log(self) -> list[dict[str, Any]]:
        self.entries += self.driver.get_log("browser")
        return list(self.entries)

    def errors(self) -> list[str]:
        return [e["message"] for e in self.log() if e.get("level") == "SEVERE" and not is_tile_failure(e)]


@contextmanager
def map_page(path: str | Path, wait_s: float = 1.0, iframe: str | None = None) -> Iterator[MapPage]:
    """Open ``path`` (an exported map, or a report with the map in ``iframe``) in headless Chromium,
    wait until it has loaded and ``wait_s`` more, and yield a :class:`MapPage`; the browser quits after."""
    import time

    page = Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="siting-chromium-") as profile:
        driver = open_chromium(profile)
        try:
            driver.set_page_load_timeout(60)
            driver.get(page.as_uri())
            deadline = time.monotonic() + 20
            while driver.execute_script("return document.readyState") != "complete":
                if time.monotonic() > deadline:
                    raise SitingError(f"{page} did not finish loading in Chromium")
                time.sleep(0.1)
            time.sleep(wait_s)  # let Leaflet finish drawing (heat map canvas, fitBounds)
            yield MapPage(driver, iframe)
        finally:
            driver.quit()


def inspect_map(
    path: str | Path, screenshot: str | Path | None = None, wait_s: float = 1.0, iframe: str | None = None,
    zoom_screenshots: dict[int, str | Path] | None = None,
) -> dict[str, Any]:
    """Open ``path`` (an exported map HTML) in headless Chromium and describe it.

    Returns a dict with the counts of markers, circles, GeoJSON features, heat
    layers, the layer-control labels, the attribution text, the page text,
    ``basemap`` (the extract basemap's state, see ``INSPECT_JS``; None without
    one), ``ring_styles`` (fill, stroke and dashes of the hospital rings as drawn),
    ``errors`` (console entries of level SEVERE that are not tile failures) and
    ``tile_errors``. With ``screenshot`` a PNG is saved there; ``zoom_screenshots``
    ({zoom: path}) saves one more per zoom level, after the basemap repainted.
    ``iframe`` is a CSS selector of an iframe holding the map (e.g. a report's
    ``iframe.map``); ``page_text`` is then the outer page's text.
    """
    with map_page(path, wait_s, iframe) as page:
        page.driver.switch_to.default_content()
        page_text = page.driver.execute_script("return document.body.innerText")
        info = page.inspect()
        info["page_text"] = page_text
        if screenshot is not None:
            page.screenshot(screenshot)
        info["zooms"] = _zoom_screenshots(page, zoom_screenshots or {})
        log = page.log()
    severe = [e for e in log if e.get("level") == "SEVERE"]
    info["errors"] = [e["message"] for e in severe if not is_tile_failure(e)]
    info["tile_errors"] = [e["message"] for e in severe if is_tile_failure(e)]
    info["log"] = [f"{e.get('level')}: {e.get('message')}" for e in log]
    return info


def _zoom_screenshots(page: MapPage, shots: dict[int, str | Path]) -> dict[int, Any]:
    """Zoom the map to each level and save a screenshot; returns the basemap's state at each."""
    out = {}
    for zoom, target in shots.items():
        page.enter()
        page.driver.set_script_timeout(15)
        reached = page.driver.execute_async_script(ZOOM_JS, zoom)
        out[zoom] = {"zoom": reached, "basemap": page.run(INSPECT_JS)["basemap"]}
        page.screenshot(target)
    return out
