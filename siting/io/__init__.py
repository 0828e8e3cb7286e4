"""Reading user tables and writing outputs safely.

- :mod:`~siting.io.tables`: tables (CSV in UTF-8 or GBK, .xlsx; Chinese headers) with located errors;
- :mod:`~siting.io.values`: cell values as planners write them (yes/no, numbers with units, types, owners);
- :mod:`~siting.io.points`: point tables ``id,lon,lat`` converted to WGS84;
- :mod:`~siting.io.write`: atomic writers (JSON, CSV with BOM, .xlsx, text, GeoJSON/GPKG) and strict JSON.
"""

from siting.io.points import points_frame, read_points, split_location
from siting.io.tables import (
    COLUMN_ALIASES,
    id_column,
    numeric_column,
    read_table,
    require_columns,
    require_file,
)
from siting.io.write import (
    atomic_path,
    atomic_write,
    json_safe,
    to_json,
    write_csv,
    write_geodataframe,
    write_json,
    write_table,
    write_text,
    write_xlsx,
)

__all__ = [
    "COLUMN_ALIASES", "atomic_path", "atomic_write", "id_column", "json_safe", "numeric_column", "points_frame", "read_points", "read_table", "split_location",
    "require_columns", "require_file", "to_json", "write_csv", "write_geodataframe", "write_json", "write_table", "write_text", "write_xlsx",
]
