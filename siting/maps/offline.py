"""Self-contained HTML: every script and stylesheet folium links is inlined.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and its plugins from
CDNs, which are slow or blocked in many Chinese offices and absent on offline
intranets. :func:`inline_assets` replaces each ``<script src>`` and
``<link rel=stylesheet>`` with the copy vendored in ``siting/maps/vendor/``
(fetched from the npm registry by ``tools/vendor_assets.sh``, with licences),
and turns the fonts and images those stylesheets use into ``data:`` URIs. A
CDN URL without a vendored copy is an error, so an export never silently
depends on the network; basemap tiles are the only thing a browser fetches.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

from siting.errors import SitingError

VENDOR_DIR = Path(__file__).parent / "vendor"

#: Every CDN URL folium 0.20 emits for the map and the plugins siting uses (and siting's own
#: extract basemap) -> vendored file.
ASSETS: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet@1.9.3/dist/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet@1.9.3/dist/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery@3.7.1/dist/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js":
        "bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css":
        "bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css":
        "bootstrap@3.4.1/css/glyphicons.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css":
        "fontawesome-free@6.2.0/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js":
        "leaflet.awesome-markers@2.0.5/dist/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css":
        "leaflet.awesome-markers@2.0.5/dist/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css":
        "folium@0.20.0/folium/templates/leaflet.awesome.rotate.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js":
        "folium@0.20.0/folium/templates/leaflet_heat.min.js",
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js":
        "leaflet-measure@2.1.7/dist/leaflet-measure.min.js",
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css":
        "leaflet-measure@2.1.7/dist/leaflet-measure.css",
    # the extract basemap's renderer (siting.maps.basemap_osm.PROTOMAPS_JS)
    "https://cdn.jsdelivr.net/npm/protomaps-leaflet@5.1.0/dist/protomaps-leaflet.js":
        "protomaps-leaflet@5.1.0/dist/protomaps-leaflet.js",
}

#: Hosts that serve code; none may remain in an offline export.
CDN_HOSTS = (
    "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "code.jquery.com", "netdna.bootstrapcdn.com",
    "maxcdn.bootstrapcdn.com", "stackpath.bootstrapcdn.com", "d3js.org", "teastman.github.io",
    "rawcdn.githack.com", "ajax.googleapis.com",
)

_MIME = {
    ".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
    ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".eot": "application/vnd.ms-fontobject",
}
_SCRIPT = re.compile(r"<script\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>\s*</script>", re.I)
_LINK = re.compile(r"<link\b[^>]*?\brel\s*=\s*[\"']stylesheet[\"'][^>]*?>", re.I)
_HREF = re.compile(r"\bhref\s*=\s*[\"']([^\"']+)[\"']", re.I)
_URL = re.compile(r"url\(\s*([\"']?)([^\"')]+)\1\s*\)")
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.I)
_SRC_DECL = re.compile(r"(src\s*:)([^;}]*)(;?)", re.I)
_SOURCEMAP = re.compile(r"(/\*#\s*sourceMappingURL=[^*]*\*/|//#\s*sourceMappingURL=\S*)")


def _is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def vendored_path(url: str) -> Path:
    """The vendored file that replaces ``url``; :class:`SitingError` when there is none."""
    rel = ASSETS.get(url)
    if rel is None:
        raise SitingError(
            f"offline export: no vendored copy of {url}; a map feature that needs it cannot be "
            "exported offline (add it to tools/vendor_assets.sh and siting.maps.offline.ASSETS, "
            "or export without --offline)"
        )
    path = VENDOR_DIR / rel
    if not path.is_file():
        raise SitingError(f"offline export: vendored file {path} is missing; run tools/vendor_assets.sh")
    return path


@lru_cache(maxsize=64)
def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _local(css_path: Path, ref: str) -> Path:
    return (css_path.parent / re.split(r"[?#]", ref, maxsplit=1)[0]).resolve()


def _inline_font_sources(css: str, css_path: Path) -> str:
    """Keep only the @font-face sources that are vendored (e.g. woff2), as data URIs.

    A face left without sources is removed, and so is a later face that reuses
    a file already inlined (alias families such as Font Awesome's v4/v5 names):
    each font's bytes appear once per page.
    """
    seen: set[Path] = set()

    def fix_face(face: re.Match[str]) -> str:
        kept: list[str] = []
        reused = False

        def fix_src(decl: re.Match[str]) -> str:
            nonlocal reused
            entries = []
            for entry in re.split(r",(?![^(]*\))", decl.group(2)):
                ref = _URL.search(entry)
                if ref is None:  # local(...) and the like
                    entries.append(entry.strip())
                    continue
                target = _local(css_path, ref.group(2))
                if not target.is_file():
                    continue
                if target in seen:
                    reused = True
                    continue
                seen.add(target)
                entries.append(entry.replace(ref.group(0), f'url("{_data_uri(target)}")').strip())
            kept.extend(entries)
            return f"{decl.group(1)}{','.join(entries)}{decl.group(3)}" if entries else ""

        text = _SRC_DECL.sub(fix_src, face.group(0))
        return text if kept and not reused else ""

    return _FONT_FACE.sub(fix_face, css)


def inline_css(css: str, css_path: Path) -> str:
    """Inline every ``url()`` of a vendored stylesheet as a ``data:`` URI.

    Font sources that are not vendored (dropped formats such as .ttf/.eot and
    the brand icons) are removed from ``@font-face``; any other missing file
    is an error.
    """
    css = _SOURCEMAP.sub("", _inline_font_sources(css, css_path))

    def repl(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):
            return match.group(0)
        if _is_remote(ref):
            raise SitingError(f"offline export: {css_path.name} links {ref}, which is not vendored")
        target = _local(css_path, ref)
        if not target.is_file():
            raise SitingError(f"offline export: {css_path.name} needs {ref}, missing from {target.parent}")
        return f'url("{_data_uri(target)}")'

    return _URL.sub(repl, css)


def _script_tag(js: str) -> str:
    # "</script" inside the code would end the element early.
    return "<script>" + _SOURCEMAP.sub("", js).replace("</script", "<\\/script") + "</script>"


def _leaflet_icon_fix() -> str:
    # Leaflet finds its default marker images from the stylesheet's path, which a
    # data: URI does not have; give it the images directly.
    img = VENDOR_DIR / "leaflet@1.9.3/dist/images"
    return _script_tag(
        "L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({"
        f"iconUrl:'{_data_uri(img / 'marker-icon.png')}',"
        f"iconRetinaUrl:'{_data_uri(img / 'marker-icon-2x.png')}',"
        f"shadowUrl:'{_data_uri(img / 'marker-shadow.png')}'}});"
    )


def inline_assets(html: str) -> str:
    """Replace every remote ``<script src>`` / stylesheet ``<link>`` in ``html`` by its vendored copy.

    Raises
    ------
    SitingError
        When a remote script or stylesheet has no vendored copy, or a CDN URL
        is still present afterwards.
    """

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        if not _is_remote(url):
            return match.group(0)
        path = vendored_path(url)
        tag = _script_tag(path.read_text(encoding="utf-8"))
        if path.name == "leaflet.js":
            tag += _leaflet_icon_fix()
        return tag

    def link(match: re.Match[str]) -> str:
        href = _HREF.search(match.group(0))
        if href is None or not _is_remote(href.group(1)):
            return match.group(0)
        path = vendored_path(href.group(1))
        css = inline_css(path.read_text(encoding="utf-8"), path.resolve())
        return "<style>" + css.replace("</style", "<\\/style") + "</style>"

    out = _LINK.sub(link, _SCRIPT.sub(script, html))
    check_offline(out)
    return out


def remote_references(html: str) -> list[str]:
    """CDN URLs and remote script/stylesheet links left in ``html`` (empty when self-contained)."""
    found = [m.group(1) for m in _SCRIPT.finditer(html) if _is_remote(m.group(1))]
    for m in _LINK.finditer(html):
        href = _HREF.search(m.group(0))
        if href is not None and _is_remote(href.group(1)):
            found.append(href.group(1))
    for host in CDN_HOSTS:
        if host not in html:  # cheap test first: offline pages are megabytes long
            continue
        for m in re.finditer(r"(?:https?:)?//" + re.escape(host) + r"[^\s\"'<>)]*", html):
            found.append(m.group(0))
    return sorted(set(found))


def check_offline(html: str) -> None:
    """Raise :class:`SitingError` when ``html`` still references a CDN."""
    left = remote_references(html)
    if left:
        raise SitingError(
            f"offline export still references {len(left)} remote file(s): {', '.join(left[:5])}; "
            "add them to tools/vendor_assets.sh and siting.maps.offline.ASSETS"
        )
