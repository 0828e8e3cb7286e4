"""Rebuild the derived China data in data/ from the read-only originals.

Usage (from the repository root)::

    .venv/bin/python tools/build_data.py --shared ../shared

Reads ``<shared>/data/china`` (adcode CSVs, fences, census) and
``<shared>/seeds`` (plan texts and project tables) and writes:

- ``data/china/units_<city>.csv``: every adcode row with a header, plus
  ``lon_wgs84, lat_wgs84`` converted from GCJ-02 by :func:`siting.coords.gcj02_to_wgs84`;
- ``data/china/boundaries_<city>.geojson``: county and city polygons in WGS84;
- ``data/china/census_2020.csv``: the sourced census figures (long format);
- ``data/plans/<city>_projects.csv``: the planned-project tables with normalised columns;
- ``data/plans/sources/``: verbatim copies of the seed texts that the tables cite.

``data/plans/baselines.yaml`` is curated by hand (every value carries its quote and
source line; ``tests/test_data.py`` checks each quote against ``data/plans/sources``).
Running the script twice gives identical files.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from siting.coords import gcj02_to_wgs84  # noqa: E402
from siting.io import write_text  # noqa: E402

ADCODE_COLUMNS = [
    "code", "parent", "name", "level", "rank", "adcode", "post_code", "area_code", "ur_code",
    "municipality", "virtual", "dummy", "longitude", "latitude", "center_wkb", "province", "city",
    "county", "town", "village",
]  # fmt: skip

CITIES: dict[str, dict[str, object]] = {
    "qinzhou": {"name": "钦州市", "adcode": "450700", "counties": ["450702", "450703", "450721", "450722"]},
    "jingdezhen": {"name": "景德镇市", "adcode": "360200", "counties": ["360202", "360203", "360222", "360281"]},
}

SEED_TEXTS = [
    "000_e5b07f1f8146fad4.txt",
    "001_287436a910dfd516.txt",
    "002_1133f5b932e28556.txt",
    "003_4fa51047010d1a00.txt",
    "004_4e88682039944ece.txt",
    "EXTRACT.md",
    "seed_projects_qinzhou.csv",
    "seed_projects_jingdezhen.csv",
    "seed_named_health_projects_qinzhou.csv",
]

DIGITS = 6  # ~0.1 m; plenty for town points and boundaries


# ---------------------------------------------------------------- units


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    # Same bytes on every platform: '\n' line ends, UTF-8, no index.
    write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def build_units(china: Path, city: str) -> pd.DataFrame:
    """Concatenate a city's county adcode files and add WGS84 coordinates."""
    frames = [
        pd.read_csv(china / "adcode" / f"{c}.csv", header=None, names=ADCODE_COLUMNS, dtype=str,
                    keep_default_na=False)
        for c in CITIES[city]["counties"]  # type: ignore[attr-defined]
    ]
    units = pd.concat(frames, ignore_index=True)
    lon = pd.to_numeric(units["longitude"].replace("", None), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(units["latitude"].replace("", None), errors="coerce").to_numpy(float)
    has = ~(np.isnan(lon) | np.isnan(lat))
    wlon = np.full(len(units), np.nan)
    wlat = np.full(len(units), np.nan)
    wlon[has], wlat[has] = gcj02_to_wgs84(lon[has], lat[has])
    units["lon_wgs84"] = [f"{v:.{DIGITS}f}" if ok else "" for v, ok in zip(wlon, has)]
    units["lat_wgs84"] = [f"{v:.{DIGITS}f}" if ok else "" for v, ok in zip(wlat, has)]
    return units


# ---------------------------------------------------------------- boundaries


def _convert_coords(coords: list) -> list:
    """Convert a (nested) GeoJSON coordinate list from GCJ-02 to WGS84, rounded."""
    arr = np.asarray(coords, dtype=float)
    if arr.ndim == 2:
        x, y = gcj02_to_wgs84(arr[:, 0], arr[:, 1])
        return [[round(float(a), DIGITS), round(float(b), DIGITS)] for a, b in zip(x, y)]
    return [_convert_coords(c) for c in coords]


def _convert_ragged(coords: list, depth: int) -> list:
    # MultiPolygon rings have different lengths: walk down to the rings (depth 2 below polygons).
    if depth == 0:
        return _convert_coords(coords)
    return [_convert_ragged(c, depth - 1) for c in coords]


def build_boundaries(china: Path, city: str, units: pd.DataFrame) -> dict:
    """County and city polygons as a GeoJSON FeatureCollection in WGS84."""
    info = CITIES[city]
    counties = units[units["level"] == "county"].set_index("adcode")
    features = []
    for code in [info["adcode"], *info["counties"]]:  # type: ignore[misc]
        geom = json.loads((china / "fences" / f"{code}.json").read_text(encoding="utf-8"))
        depth = {"Polygon": 1, "MultiPolygon": 2}[geom["type"]]
        geometry = {"type": geom["type"], "coordinates": _convert_ragged(geom["coordinates"], depth)}
        if code == info["adcode"]:
            props = {"adcode": code, "name": info["name"], "level": "city"}
        else:
            props = {"adcode": code, "name": counties.loc[code, "name"], "level": "county"}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "name": f"boundaries_{city}", "features": features}


def write_geojson(path: Path, collection: dict) -> None:
    # One feature per line keeps diffs readable and files small.
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    text = (
        '{"type":"FeatureCollection","name":' + json.dumps(collection["name"]) + ","
        '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},\n"features":[\n'
        + ",\n".join(lines) + "\n]}\n"
    )
    write_text(path, text)


# ---------------------------------------------------------------- census

SOURCE_000 = "钦州市“一老一小”整体解决方案 (钦政办〔2023〕3号), data/plans/sources/000_e5b07f1f8146fad4.txt"
SOURCE_004 = "景德镇市“一老一小”整体解决方案（征求意见稿）, data/plans/sources/004_4e88682039944ece.txt"


def build_census(china: Path, units_by_city: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long table: one sourced figure per row (unit, indicator, value, source, quote)."""
    src = pd.read_csv(china / "census_2020_qinzhou.csv", dtype=str, keep_default_na=False)
    towns = units_by_city["qinzhou"]
    towns = towns[towns["level"] == "town"]
    rows: list[dict[str, str]] = []

    def town_code(name: str, county: str) -> str:
        # census '向阳街道' ↔ adcode '向阳街道办事处'
        hit = towns[(towns["adcode"] == county) & towns["name"].str.startswith(name)]
        return hit["code"].iloc[0] if len(hit) == 1 else ""

    for r in src.itertuples(index=False):
        code = town_code(r.unit, r.adcode) if r.level == "town" else r.adcode + "000000"
        base = {"city": "qinzhou", "unit": r.unit, "level": r.level, "adcode": r.adcode, "code": code}
        rows.append({**base, "indicator": "population", "value": r.population_2020, "year": "2020",
                     "source": r.source, "quote": "", "note": ""})
        if r.population_2010:
            rows.append({**base, "indicator": "population", "value": r.population_2010, "year": "2010",
                         "source": r.source, "quote": "", "note": ""})

    qz = {"city": "qinzhou", "unit": "钦州市", "level": "city", "adcode": "450700", "code": "450700000000"}
    q35 = "全市60岁及以上老年人总数为52.0735万人，占常住人口总数的15.77%，其中65岁及以上人口占11.46%"
    for ind, val in (("pop_60plus", "520735"), ("share_60plus_pct", "15.77"), ("share_65plus_pct", "11.46")):
        rows.append({**qz, "indicator": ind, "value": val, "year": "2020", "source": f"{SOURCE_000} L35",
                     "quote": q35, "note": "7th census, as quoted in the plan"})

    jdz = {"city": "jingdezhen", "unit": "景德镇市", "level": "city", "adcode": "360200", "code": "360200000000"}
    q7 = "2020 年 11 月第七次人口普查全市常住人口总数为 161.90 万人,其中城镇人口为 105.26 万人"
    q35j = "全市60岁及以上常住老年人口数为26.92万人,占总人口的16.63%,其中65岁及以上老年人18.40万人,占比约11.37%"
    q43 = "全市现有0-3岁婴幼儿5.8万人,占总人口 的 2.95%"
    for ind, val, line, quote, note in (
        ("population", "1619000", 7, q7, "7th census (161.90万)"),
        ("population_urban", "1052600", 7, q7, "7th census (105.26万)"),
        ("pop_60plus", "269200", 35, q35j, "end of 2020 (26.92万)"),
        ("share_60plus_pct", "16.63", 35, q35j, "end of 2020"),
        ("pop_65plus", "184000", 35, q35j, "end of 2020 (18.40万)"),
        ("share_65plus_pct", "11.37", 35, q35j, "stated as 'about' 11.37%"),
        ("pop_0_3", "58000", 43, q43, "survey (5.8万); the stated share 2.95% does not match 5.8万/161.9万=3.58%"),
    ):
        rows.append({**jdz, "indicator": ind, "value": val, "year": "2020", "source": f"{SOURCE_004} L{line}",
                     "quote": quote, "note": note})
    return pd.DataFrame(rows, columns=["city", "unit", "level", "adcode", "code", "indicator", "value", "year",
                                       "source", "quote", "note"])


# ---------------------------------------------------------------- projects

TYPE_WORDS = ("elderly", "childcare", "integrated", "medical", "kindergarten")
STATE_COMPANY = re.compile(r"国有|国资|城市建设投资|资产经营")
# Typo fix: 000 writes 惠普 where 003 (and the sense) give 普惠; the original column keeps 000's text.
NAME_FIXES = {"QZ-C03": "钦南区公办普惠托育服务中心"}
ZONE_ALIASES = {"高新区": "高新技术开发区"}  # Jingdezhen: adcode lists the zone as a town-level unit


def project_type(service_type: str) -> str:
    """The first kind named in the seed's ``service_type`` (e.g. 'elderly (rural)' -> 'elderly')."""
    first = re.split(r"[\s/(_]", service_type.strip(), maxsplit=1)[0].lower()
    if first not in TYPE_WORDS:
        raise ValueError(f"unknown service_type {service_type!r}")
    return first


def owner_kind(owner: str) -> str:
    """government (局/委/政府), public_institution (hospital, MCH), state_company, company.

    The words are those of ``siting.inputs.facilities.OWNER_KINDS``. A company counts as a state
    company only when its name says so (国有/国资/城市建设投资/资产经营); other companies are 'company'.
    """
    if re.search(r"(局|委|政府)$", owner):
        return "government"
    if re.search(r"(医院|保健院)$", owner):
        return "public_institution"
    if "公司" in owner:
        return "state_company" if STATE_COMPANY.search(owner) else "company"
    raise ValueError(f"cannot classify owner {owner!r}")


def _split_towns(text: str) -> list[str]:
    # '小董镇、平吉镇、…等 14 个乡镇敬老院' -> town names ending in 镇/乡/街道
    return re.findall(r"[\u4e00-\u9fff]{1,6}?(?:镇|乡|街道)(?=、|等|$)", text)


def locate(units: pd.DataFrame, county: str, towns: list[str]) -> dict[str, str]:
    """Point and precision for a project: town point, county seat or unknown."""
    empty = {"county_adcode": "", "location_precision": "unknown", "lon": "", "lat": ""}
    county_rows = units[(units["level"] == "county") & (units["name"] == county)]
    if county_rows.empty:
        return empty
    crow = county_rows.iloc[0]
    seat = {"county_adcode": crow["adcode"], "location_precision": "county_seat",
            "lon": crow["lon_wgs84"], "lat": crow["lat_wgs84"]}
    if len(towns) == 1:
        hit = units[(units["level"] == "town") & (units["adcode"] == crow["adcode"])
                    & (units["name"] == towns[0])]
        if len(hit) == 1 and hit.iloc[0]["lon_wgs84"]:
            return {"county_adcode": crow["adcode"], "location_precision": "town",
                    "lon": hit.iloc[0]["lon_wgs84"], "lat": hit.iloc[0]["lat_wgs84"]}
    return seat


def _num(value: str) -> str:
    v = value.strip()
    return str(int(float(v))) if v else ""


NORMALISED = ["id", "name", "type", "county", "county_adcode", "town", "beds", "nursing_beds", "places",
              "kindergarten_places", "owner", "owner_kind", "location_precision", "lon", "lat", "place"]


def build_projects_qinzhou(seeds: Path, units: pd.DataFrame) -> pd.DataFrame:
    seed = pd.read_csv(seeds / "seed_projects_qinzhou.csv", dtype=str, keep_default_na=False)
    rows = []
    for r in seed.to_dict("records"):
        county = r["county_district"] if r["county_district"] in set(units["county"]) else ""
        towns = _split_towns(r["town_or_site"])
        loc = locate(units, county, towns)
        rows.append({
            "id": r["project_id"], "name": NAME_FIXES.get(r["project_id"], r["name_zh_000"]),
            "type": project_type(r["service_type"]), "county": county, "town": ";".join(towns),
            "beds": _num(r["beds"]), "nursing_beds": _num(r["nursing_beds"]), "places": _num(r["childcare_slots"]),
            "kindergarten_places": "", "owner": r["owner"], "owner_kind": owner_kind(r["owner"]),
            "place": r["county_district"], **loc,
        })
    norm = pd.DataFrame(rows, columns=NORMALISED)
    # 'beds' and 'nursing_beds' exist in the seed with the same meaning; keep one copy.
    rest = seed.drop(columns=[c for c in seed.columns if c in norm.columns])
    return pd.concat([norm, rest], axis=1)


def build_projects_jingdezhen(seeds: Path, units: pd.DataFrame) -> pd.DataFrame:
    seed = pd.read_csv(seeds / "seed_projects_jingdezhen.csv", dtype=str, keep_default_na=False)
    town_units = units[units["level"] == "town"]
    rows = []
    for r in seed.to_dict("records"):
        where = r["location_建设地点"].strip()
        county = where if where in set(units["county"]) else ""
        if not county and where in ZONE_ALIASES:
            zone = town_units[town_units["name"] == ZONE_ALIASES[where]]
            county = zone["county"].iloc[0] if len(zone) == 1 else ""
        # towns named in the content ('新建高家镇敬老院、双田镇敬老院…') -> kept as a list
        towns = [t for t in re.findall(r"([\u4e00-\u9fff]{2}镇)敬老院", r["content_zh"])]
        loc = locate(units, county, towns)
        places = re.search(r"(\d+)\s*个学位", r["childcare_capacity_note"])
        rows.append({
            "id": r["project_id"], "name": r["name_zh"], "type": project_type(r["service_type"]),
            "county": county, "town": ";".join(towns), "beds": _num(r["beds_new"]), "nursing_beds": "",
            "places": "", "kindergarten_places": places.group(1) if places else "",
            "owner": r["owner_组织实施单位"], "owner_kind": owner_kind(r["owner_组织实施单位"]),
            "place": where, **loc,
        })
    norm = pd.DataFrame(rows, columns=NORMALISED)
    return pd.concat([norm, seed], axis=1)


# ---------------------------------------------------------------- figures


def print_stats(data: Path) -> None:
    """Unit counts, share of towns with a point and the mean GCJ-02 shift, from the bundled files."""
    for city in CITIES:
        u = pd.read_csv(data / "china" / f"units_{city}.csv", dtype=str, keep_default_na=False)
        counts = u["level"].value_counts().to_dict()
        towns = u[u["level"] == "town"]
        has = u[u["lon_wgs84"] != ""]
        glon, glat = has["longitude"].astype(float), has["latitude"].astype(float)
        wlon, wlat = has["lon_wgs84"].astype(float), has["lat_wgs84"].astype(float)
        east = np.radians(glon - wlon) * 6371008.8 * np.cos(np.radians(wlat))
        north = np.radians(glat - wlat) * 6371008.8
        print(f"{city}: {len(u)} units {counts}; towns with a point {(towns['lon_wgs84'] != '').sum()}/{len(towns)}"
              f" ({(towns['lon_wgs84'] != '').mean():.1%}); GCJ-02 minus WGS84 mean east {east.mean():.0f} m,"
              f" north {north.mean():.0f} m, distance {np.hypot(east, north).mean():.0f} m")


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the read-only originals")
    parser.add_argument("--out", type=Path, default=REPO / "data", help="the data folder to write")
    parser.add_argument("--stats", action="store_true", help="only print figures of the bundled files")
    args = parser.parse_args(argv)
    if args.stats:
        print_stats(args.out)
        return 0
    china, seeds, out = args.shared / "data" / "china", args.shared / "seeds", args.out

    units_by_city = {}
    for city in CITIES:
        units = build_units(china, city)
        units_by_city[city] = units
        write_csv(out / "china" / f"units_{city}.csv", units)
        write_geojson(out / "china" / f"boundaries_{city}.geojson", build_boundaries(china, city, units))
    write_csv(out / "china" / "census_2020.csv", build_census(china, units_by_city))
    shutil.copyfile(china / "ADCODE_LICENSE.md", out / "china" / "ADCODE_LICENSE.md")

    write_csv(out / "plans" / "qinzhou_projects.csv", build_projects_qinzhou(seeds, units_by_city["qinzhou"]))
    write_csv(out / "plans" / "jingdezhen_projects.csv",
              build_projects_jingdezhen(seeds, units_by_city["jingdezhen"]))
    (out / "plans" / "sources").mkdir(parents=True, exist_ok=True)
    for name in SEED_TEXTS:
        shutil.copyfile(seeds / name, out / "plans" / "sources" / name)
    print(f"wrote {out}/china and {out}/plans")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
