"""Hospital classification for the 综合性医院 rule (A4): names, OSM tags, Amap and Baidu exports.

The expected category of every name below was worked out by hand from what the name says (the
hospital-type words at its end, a campus suffix set aside), not from the classifier's rules.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from siting.cli import main
from siting.coords import gcj02_to_bd09, wgs84_to_gcj02
from siting.inputs.hospitals import classify_name, classify_osm
from siting.inputs.poi import classify_poi, read_poi_export
from siting.rules import check

SHARED = Path(__file__).resolve().parents[2] / "shared"
BEIJING = Path("/work/shared/data/osm_extra/beijing_cau.osm")

#: (name, category, level) — real names: Qinzhou's hospitals, the seed documents
#: (seed_named_health_projects_qinzhou.csv, 003 L242-L466), and the Beijing OSM extract.
NAMES = [
    ("钦州市第一人民医院", "general", math.nan),          # 人民医院: the city's general hospital
    ("钦州市第二人民医院白石湖院区", "general", math.nan),  # a campus of a 人民医院
    ("灵山县人民医院", "general", math.nan),
    ("浦北县人民医院 (创建三级)", "general", math.nan),     # 创建三级: an aim, not a level
    ("灵山县人民医院 (创建三级甲等)", "general", math.nan),
    ("钦州市第一人民医院（三级甲等）", "general", 3.0),     # a stated level
    ("广西医科大学第一附属医院", "general", math.nan),      # 附属医院 of a medical university
    ("县级综合医院传染病区", "general", math.nan),          # a ward of a 综合医院
    ("钦州市中医医院", "tcm", math.nan),
    ("浦北县中医医院", "tcm", math.nan),
    ("北京市昌平区中西医结合医院", "tcm", math.nan),
    ("钦州市妇幼保健院", "maternity", math.nan),
    ("钦州市妇幼保健院茶山院区", "maternity", math.nan),
    ("北京京城皮肤病医院", "specialist", math.nan),        # dermatology
    ("钦州市精神病医院扩建", "specialist", math.nan),      # psychiatric
    ("钦州市精神卫生福利医院", "specialist", math.nan),
    ("钦南区精神病医院", "specialist", math.nan),
    ("钦州市公共卫生应急救治中心", "specialist", math.nan),  # infectious-disease treatment centre
    ("首都医科大学附属北京儿童医院", "specialist", math.nan),  # children's hospital, though 附属
    ("北京大学口腔医院", "specialist", math.nan),
    ("南通市肿瘤医院", "specialist", math.nan),
    ("中国农业大学东区社区卫生服务中心", "primary", math.nan),
    ("镇卫生院/社区卫生服务中心 发热门诊（哨点）", "primary", math.nan),
    ("那丽镇卫生院", "primary", math.nan),
    ("某某中医诊所", "primary", math.nan),                  # a clinic, not a TCM hospital
    ("钦州市医疗急救中心", "other", math.nan),              # EMS, not a hospital
    ("钦州港急救站", "other", math.nan),
    ("钦州市中心血站采供血业务综合大楼", "other", math.nan),
    ("钦北区北部湾中医药产业园", "other", math.nan),        # an industrial park
    ("北京熙仁医院", "", math.nan),                          # the name does not say
]


@pytest.mark.parametrize(("name", "category", "level"), NAMES)
def test_names_of_real_hospitals(name, category, level):
    got = classify_name(name)
    assert got.category == category
    assert (math.isnan(got.level) and math.isnan(level)) or got.level == level
    if category:
        word = got.reason.removeprefix("name:")
        assert got.reason.startswith("name:") and word in name.lower().replace(" ", "")


def test_seed_names_are_all_classified_as_the_table_says():
    seeds = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "plans" / "sources"
                        / "seed_named_health_projects_qinzhou.csv")
    hospitals = seeds[seeds["name_zh"].str.contains("医院|保健院")]
    expected = {"hospital campus": "general", "MCH hospital campus": "maternity", "hospital upgrade": "general",
                "psychiatric hospital expansion": "specialist", "psychiatric welfare hospital": "specialist",
                "psychiatric hospital": "specialist", "infectious ward in county general hospitals": "general"}
    assert len(hospitals) == 11
    for name, kind in zip(hospitals["name_zh"], hospitals["kind"]):
        assert classify_name(name).category == expected[kind], name


@pytest.mark.parametrize(
    ("tags", "category", "reason"),
    [
        ({"amenity": "hospital", "name": "北京京城皮肤病医院"}, "specialist", "name:皮肤病"),
        ({"amenity": "hospital", "name": "X", "healthcare:speciality": "dermatology"}, "specialist",
         "tag:healthcare:speciality=dermatology"),
        ({"amenity": "hospital", "name": "某医院", "healthcare:speciality": "traditional_chinese_medicine"}, "tcm",
         "tag:healthcare:speciality=traditional_chinese_medicine"),
        ({"amenity": "hospital", "name": "某医院", "healthcare:speciality": "general"}, "general",
         "tag:healthcare:speciality=general"),
        ({"healthcare": "centre", "name": "某中心"}, "primary", "tag:healthcare=centre"),
        ({"amenity": "hospital", "name": "某医院"}, "", ""),
    ],
)
def test_osm_tags_then_name(tags, category, reason):
    got = classify_osm(tags)
    assert (got.category, got.reason) == (category, reason)


# ------------------------------------------------------------------ a real Beijing extract


@pytest.mark.skipif(not BEIJING.exists(), reason="the shared Beijing extract is not on this machine")
def test_dermatology_hospital_never_satisfies_a4_on_the_real_beijing_extract(tmp_path):
    # A government elderly-care home 300 m from 北京京城皮肤病医院 (n1734208818, 116.3593681, 40.0071707)
    # and 1 km from the community health centre: neither is a 综合性医院.
    fac = tmp_path / "fac.csv"
    fac.write_text("id,name,type,owner_kind,lon,lat\nE1,某公办养老院,elderly,government,116.3593681,40.0098700\n",
                   encoding="utf-8")
    report = check(rules="qinzhou", only=["A4"], facilities=fac, hospitals=f"osm:{BEIJING}")
    r = report.result("A4")
    assert r.status == "not_evaluable" and "no hospital of category general among 2 hospital(s)" in r.reason
    table = r.tables["hospitals"].set_index("name")
    assert table.loc["北京京城皮肤病医院", "category"] == "specialist"
    assert table.loc["北京京城皮肤病医院", "category_reason"] == "name:皮肤病"
    assert not table["counted"].any()
    assert table.loc["中国农业大学东区社区卫生服务中心", "why_not"] == \
        "category primary does not count (hospital_category: general)"
    out = r.to_dict()
    assert [h["category"] for h in out["hospitals"]] == ["specialist", "primary"]
    # the same check in Chinese carries the category and its reason into the JSON, CSV and HTML
    written = report.write(tmp_path / "out", lang="zh")
    csv = pd.read_csv(written["hospitals_A4"], encoding="utf-8-sig")
    assert list(csv["category_reason"]) == ["name:皮肤病", "name:社区卫生服务中心"]
    page = written["html"].read_text(encoding="utf-8")
    assert "北京京城皮肤病医院" in page and "专科医院" in page and "基层医疗卫生机构" in page
    assert "类别 specialist 不计入" not in page or "专科医院" in page


def test_tcm_counts_only_when_the_pack_says_so_and_unclassified_can_be_excluded(tmp_path):
    rows = "id,name,type,owner_kind,lon,lat\n" \
           "E1,公办养老院,elderly,government,108.6500,21.9500\n" \
           "H1,钦州市中医医院,hospital,,108.6500,21.9700\n" \
           "H2,北京熙仁医院,hospital,,108.6500,21.9900\n"  # 2.2 km and 4.4 km north
    fac = tmp_path / "f.csv"
    fac.write_text(rows, encoding="utf-8")
    pack = tmp_path / "p.yaml"

    def a4(**params):
        import yaml

        rule = {"id": "A4", "kind": "hospital_proximity", "applies_to": {"type": ["elderly"]},
                "params": {"max_km": 3, **params}, "source": {"document": "000", "quote": "q"}}
        pack.write_text(yaml.safe_dump({"pack": "t", "rules": [rule]}, allow_unicode=True), encoding="utf-8")
        return check(rules=pack, facilities=fac).result("A4")

    r = a4()  # the TCM hospital does not count; the unclassified one is assumed general, 4.4 km away
    assert r.status == "fail" and r.violations[0]["nearest_hospital"] == "北京熙仁医院"
    assert r.violations[0]["nearest_hospital_category"] == "general" and r.figures["hospitals_assumed_general"] == 1
    assert a4(hospital_category=["general", "tcm"]).status == "pass"
    excluded = a4(assume_general=False)
    assert excluded.status == "not_evaluable"
    why = dict(zip(excluded.tables["hospitals"]["id"], excluded.tables["hospitals"]["why_not"]))
    assert why["H2"].startswith("category unknown") and why["H1"].startswith("category tcm does not count")


# ------------------------------------------------------------------ Amap and Baidu exports


def _amap_export(tmp_path: Path, suffix: str = ".csv") -> Path:
    """An Amap place-search export: the API's own fields (id, name, type, typecode, address, location,
    pname, cityname, adname), coordinates in GCJ-02 computed from known WGS84 points."""
    rows = [("B0FFG1", "钦州市第一人民医院", "医疗保健服务;综合医院;三级甲等医院", "090101", 108.6200, 21.9600),
            ("B0FFG2", "钦州市妇幼保健院", "医疗保健服务;综合医院;综合医院", "090100", 108.6300, 21.9650),
            ("B0FFG3", "北京京城皮肤病医院", "医疗保健服务;专科医院;专科医院", "090200", 108.6400, 21.9700),
            ("B0FFG4", "钦州市中医医院", "医疗保健服务;综合医院;综合医院", "090100", 108.6100, 21.9550),
            ("B0FFG5", "那丽镇卫生院", "医疗保健服务;综合医院;卫生院", "090102", 108.7000, 21.9000),
            ("B0FFG6", "益丰大药房", "医疗保健服务;医药保健销售店;药房", "090601", 108.6210, 21.9610),
            ("B0FFG7", "钦州市社会福利院", "生活服务;生活服务场所;生活服务场所", "070000", 108.6250, 21.9620)]
    records = []
    for pid, name, kind, code, lon, lat in rows:
        glon, glat = wgs84_to_gcj02(lon, lat)
        records.append({"id": pid, "name": name, "type": kind, "typecode": code, "address": "钦州市",
                        "location": f"{float(glon):.6f},{float(glat):.6f}", "pname": "广西壮族自治区",
                        "cityname": "钦州市", "adname": "钦南区"})
    frame = pd.DataFrame(records)
    path = tmp_path / f"amap{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False, engine="openpyxl")
    else:
        path.write_bytes(frame.to_csv(index=False).encode("gbk"))  # as a Chinese Excel saves it
    return path


def test_amap_export_types_categories_levels_and_coordinates(tmp_path):
    f = read_poi_export(_amap_export(tmp_path), "amap").set_index("name")
    assert list(f.index) == ["钦州市第一人民医院", "钦州市妇幼保健院", "北京京城皮肤病医院", "钦州市中医医院",
                             "那丽镇卫生院", "钦州市社会福利院"]  # the pharmacy is left out
    assert f.loc["钦州市第一人民医院", ["type", "category", "level"]].tolist() == ["hospital", "general", 3.0]
    assert f.loc["钦州市第一人民医院", "category_reason"] == "amap:090101"
    # filed under 综合医院, but the name says maternity / TCM: the name wins and the reason says both
    assert f.loc["钦州市妇幼保健院", "category"] == "maternity"
    assert f.loc["钦州市妇幼保健院", "category_reason"] == "name:妇幼保健院 (amap:090100)"
    assert f.loc["钦州市中医医院", "category"] == "tcm"
    assert f.loc["北京京城皮肤病医院", "category"] == "specialist"
    assert f.loc["那丽镇卫生院", "category"] == "primary"
    assert f.loc["钦州市社会福利院", "type"] == "elderly"
    # GCJ-02 back to WGS84 within a few centimetres
    assert f.loc["钦州市第一人民医院", "lon"] == pytest.approx(108.62, abs=1e-6)
    assert f.loc["钦州市第一人民医院", "lat"] == pytest.approx(21.96, abs=1e-6)
    assert any("1 POI(s) left out" in n and "药房" in n for n in f.attrs["notes"])


def test_baidu_export(tmp_path):
    """A Baidu Place API export: uid, name, lat, lng (BD-09), address, province, city, area, tag."""
    rows = [("u1", "灵山县人民医院", "医疗;综合医院", 109.2900, 22.4200),
            ("u2", "北京京城皮肤病医院", "医疗;专科医院", 109.3000, 22.4300),
            ("u3", "育苗幼儿园", "教育培训;幼儿园", 109.2950, 22.4250),
            ("u4", "新建区疾病预防控制中心", "医疗;疾控中心", 109.2960, 22.4260)]
    records = []
    for uid, name, tag, lon, lat in rows:
        glon, glat = wgs84_to_gcj02(lon, lat)
        blon, blat = gcj02_to_bd09(glon, glat)
        records.append({"uid": uid, "name": name, "lat": f"{float(blat):.6f}", "lng": f"{float(blon):.6f}",
                        "address": "灵山县", "province": "广西壮族自治区", "city": "钦州市", "area": "灵山县", "tag": tag})
    p = tmp_path / "baidu.csv"
    pd.DataFrame(records).to_csv(p, index=False, encoding="utf-8-sig")
    f = read_poi_export(p, "baidu").set_index("id")
    assert list(f.index) == ["u1", "u2", "u3"]
    assert f.loc["u1", ["type", "category", "category_reason"]].tolist() == ["hospital", "general", "baidu:医疗;综合医院"]
    assert f.loc["u2", "category"] == "specialist" and f.loc["u3", "type"] == "kindergarten"
    assert f.loc["u1", "lon"] == pytest.approx(109.29, abs=2e-6) and f.loc["u1", "lat"] == pytest.approx(22.42, abs=2e-6)


def test_classify_poi_examples():
    assert classify_poi("amap", "某口腔医院", "090202", "")[1].speciality == "dentistry"
    assert classify_poi("amap", "某诊所", "090300", "")[0] == "clinic"
    assert classify_poi("amap", "某急救中心", "090400", "")[0] == ""


# ------------------------------------------------------------------ through `siting check`


def _site_rows() -> str:
    # E1: a government home 1 km north of 钦州市第一人民医院 (108.62, 21.96); E2: 1 km north of the dermatology
    # hospital, put 12 km east (108.74, 21.97), where no general hospital is within 5 km
    return "编号,名称,类型,性质,经度,纬度\nE1,城北公办养老院,养老院,公办,108.6200,21.9690\nE2,远郊公办养老院,养老院,公办,108.7400,21.9790\n"


@pytest.mark.parametrize("form", ["gbk_csv", "xlsx", "amap"])
def test_planner_files_run_through_siting_check(tmp_path, capsys, form):
    sites = tmp_path / "sites.csv"
    sites.write_bytes(_site_rows().encode("gbk"))
    if form == "gbk_csv":
        hosp = tmp_path / "h.csv"
        hosp.write_bytes("名称,经度,纬度,等级\n钦州市第一人民医院,108.62,21.96,三级甲等\n北京京城皮肤病医院,108.74,21.97,\n"
                         .encode("gbk"))
        arg = str(hosp)
    elif form == "xlsx":
        hosp = tmp_path / "h.xlsx"
        book = openpyxl.Workbook()
        book.active.append(["名称", "经度", "纬度", "等级"])
        book.active.append(["钦州市第一人民医院", 108.62, 21.96, "三级甲等"])
        book.active.append(["北京京城皮肤病医院", 108.74, 21.97, None])
        book.save(hosp)
        arg = str(hosp)
    else:
        export = _amap_export(tmp_path, ".xlsx")
        table = pd.read_excel(export, dtype=str)
        far = table["name"] == "北京京城皮肤病医院"
        glon, glat = wgs84_to_gcj02(108.74, 21.97)
        table.loc[far, "location"] = f"{float(glon):.6f},{float(glat):.6f}"
        table.to_excel(export, index=False)
        arg = f"amap:{export}"
    assert main(["check", "--rules", "qinzhou", "--only", "A4", "--facilities", str(sites), "--hospitals", arg,
                 "--json", "--lang", "en"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    a4 = doc["results"][0]
    cats = {h["name"]: h["category"] for h in a4["hospitals"]}
    assert cats["钦州市第一人民医院"] == "general" and cats["北京京城皮肤病医院"] == "specialist"
    # E1 is 1 km from the general hospital; E2 is 1 km from the dermatology hospital, 12 km from the general one
    assert a4["status"] == "fail" and [v["id"] for v in a4["violations"]] == ["E2"]
    assert a4["violations"][0]["straight_km"] == pytest.approx(12.4, abs=0.2)
    counted = {h["name"]: h["counted"] for h in a4["hospitals"]}
    assert counted == {"钦州市第一人民医院": True, "北京京城皮肤病医院": False} or form == "amap"
    levels = {h["name"]: h["level"] for h in a4["hospitals"]}
    assert levels["钦州市第一人民医院"] == 3
    assert np.isfinite(levels["钦州市第一人民医院"])
