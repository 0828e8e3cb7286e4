"""Where a facility or hospital list comes from: a planner's table, an Amap/Baidu export or an OSM file.

A scenario writes ``hospitals: {osm: FILE}`` (or ``{amap: FILE}``, ``{baidu: FILE}``,
``{table: FILE}``, or a plain path for a table); a command-line option writes the same as
``osm:FILE``, ``amap:FILE``, ``baidu:FILE`` (a path ending in ``.osm``, ``.osm.pbf`` or
``.osm.bz2`` is read as OSM without the prefix). :func:`siting.osm.inventory.read_inventory`
reads any of them into one validated facility table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The kinds of source, with what each reads.
SOURCE_KINDS: dict[str, str] = {
    "table": "a facility table (CSV in UTF-8 or GBK, or .xlsx; Chinese headers accepted)",
    "osm": "an OpenStreetMap file (.osm.pbf, .osm, .osm.bz2): hospitals, clinics, elderly care, childcare",
    "amap": "an Amap (高德) POI export (typecode, location in GCJ-02)",
    "baidu": "a Baidu (百度) POI export (tag, lng/lat in BD-09)",
}
OSM_SUFFIXES = (".osm", ".pbf", ".osm.bz2", ".o5m")


@dataclass(frozen=True)
class InventorySource:
    """A facility list to read: ``kind`` (table, osm, amap, baidu) and ``path``."""

    kind: str
    path: Path

    def label(self) -> str:
        """How reports name it: the path, prefixed by the kind unless it is a table."""
        return str(self.path) if self.kind == "table" else f"{self.kind}: {self.path}"


def parse_source(value: str | Path | InventorySource) -> InventorySource:
    """``amap:hospitals.xlsx`` -> InventorySource('amap', ...); an OSM file name -> 'osm'; else 'table'."""
    if isinstance(value, InventorySource):
        return value
    text = str(value)
    kind, sep, rest = text.partition(":")
    if sep and kind.lower() in SOURCE_KINDS and not Path(text).exists():
        return InventorySource(kind.lower(), Path(rest).expanduser())
    path = Path(text).expanduser()
    return InventorySource("osm" if path.name.lower().endswith(OSM_SUFFIXES) else "table", path)
