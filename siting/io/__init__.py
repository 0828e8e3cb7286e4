"""Reading user tables and writing outputs safely.

- :mod:`~siting.io.tables`: CSV tables with located errors (file, row, field);
- :mod:`~siting.io.points`: point tables ``id,lon,lat`` converted to WGS84;
- :mod:`~siting.io.write`: atomic writers (JSON, CSV, text, GeoJSON/GPKG) and strict JSON.
"""

from siting.io.points import read_points
from siting.io.tables import id_column, numeric_column, read_table, require_columns, require_file
from siting.io.write import (
    atomic_path,
    atomic_write,
    json_safe,
    to_json,
    write_csv,
    write_geodataframe,
    write_json,
    write_text,
)

__all__ = [
    "atomic_path", "atomic_write", "id_column", "json_safe", "numeric_column", "read_points", "read_table",
    "require_columns", "require_file", "to_json", "write_csv", "write_geodataframe", "write_json", "write_text",
]
