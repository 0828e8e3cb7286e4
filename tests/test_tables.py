"""Tables as planners keep them: real encodings, real workbooks, Chinese headers and values, units.

Every file here is written by the test itself with the encoder or writer a planner's software
uses (Python's GBK/GB18030 codecs are the same tables Windows uses for code page 936; openpyxl
is the library that reads and writes .xlsx), then read through the one table reader.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from siting.errors import InputError
from siting.inputs.facilities import read_facilities
from siting.io import numeric_column, read_points, read_table
from siting.io.values import owner_kind_word, parse_quantity

HEADER_ZH = "编号,名称,类型,床位数（张）,托位数,举办主体,性质,是否设医务室,经度,纬度,所属区县,乡镇/街道"
ROWS_ZH = [
    "E1,钦州市社会福利院,养老院,180张,,钦州市民政局,公办,是,108.6241,21.9671,钦南区,向阳街道",
    "E2,幸福颐养中心,养老机构,1.2万,,某养老公司,民办,否,108.6400,21.9800,钦北区,长田街道",
    "C1,阳光托育中心,托育机构,,３００,某公司,民办,,108.6300,21.9500,钦南区,文峰街道",
    "H1,钦州市第一人民医院,医院,150 床,,钦州市卫生健康委员会,公办,,108.6200,21.9600,钦南区,",
]


def _write(tmp_path, text: str, encoding: str, name: str = "f.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_every_planner_encoding_reads_the_same_table(tmp_path, encoding):
    text = "\r\n".join([HEADER_ZH, *ROWS_ZH]) + "\r\n"  # Excel on Windows writes CRLF
    f = read_facilities(_write(tmp_path, text, encoding))
    assert list(f["id"]) == ["E1", "E2", "C1", "H1"]
    assert list(f["type"]) == ["elderly", "elderly", "childcare", "hospital"]
    assert list(f["name"])[0] == "钦州市社会福利院"
    # 180张 -> 180; 1.2万 -> 12,000; full-width ３００ -> 300; 150 床 -> 150
    assert f["beds"].tolist()[:2] == [180.0, 12000.0] and f.loc[3, "beds"] == 150.0
    assert f.loc[2, "places"] == 300.0
    assert list(f["owner_kind"]) == ["government", "company", "company", "government"]
    assert f["has_clinic"].tolist()[:2] == [True, False]
    assert list(f["county"]) == ["钦南区", "钦北区", "钦南区", "钦南区"] and list(f["town"])[0] == "向阳街道"
    assert f.loc[3, "category"] == "general" and f.loc[3, "category_reason"] == "name:人民医院"
    expected = {"gbk": "gb18030", "gb18030": "gb18030", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}[encoding]
    assert f.attrs["encoding"] == expected
    notes = " | ".join(f.attrs["notes"])
    assert ("GB18030" in notes) == (expected == "gb18030")
    assert "床位数（张） -> beds" in notes and "经度 -> lon" in notes
    assert "row 1 '180张' -> 180" in notes and "row 2 '1.2万' -> 12000" in notes and "'３００' -> 300" in notes


def test_gb18030_characters_outside_gbk(tmp_path):
    # 㐀 (U+3400) is in GB18030 but not in GBK: a GB18030 file with it still reads.
    p = _write(tmp_path, "id,name,type,lon,lat\nE1,㐀养老院,elderly,108.6,21.9\n", "gb18030")
    assert read_facilities(p).loc[0, "name"] == "㐀养老院"


def test_undecodable_bytes_are_a_located_error(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes("id,name\nE1,养老院\n".encode() + b"E2,\xff\xfe\x80\n")
    with pytest.raises(InputError, match=r"row 2: line 3: bytes that are neither UTF-8 nor GB18030") as err:
        read_table(p)
    assert str(p) in str(err.value) and "CSV UTF-8" in str(err.value)


def test_excel_workbook_first_sheet_and_named_sheet(tmp_path):
    p = tmp_path / "fac.xlsx"
    book = openpyxl.Workbook()
    first = book.active
    first.title = "说明"
    first.append(["这一页是说明，不是数据"])
    sheet = book.create_sheet("养老机构")
    sheet.append(["编号", "名称", "类型", "床位数", "经度", "纬度", "性质"])
    sheet.append(["E1", "某养老院", "养老院", 120, 108.6, 21.9, "公建民营"])
    sheet.append(["E2", "另一养老院", "敬老院", 60.0, 108.61, 21.91, "民办"])
    sheet.append([None] * 7)  # Excel often keeps an empty row at the end
    book.save(p)
    f = read_facilities(f"{p}#养老机构")
    assert list(f["id"]) == ["E1", "E2"] and list(f["beds"]) == [120.0, 60.0]
    assert list(f["owner_kind"]) == ["government", "company"]  # 公建民营: the government provides the building
    assert f.attrs["encoding"] == "xlsx" and f.attrs["sheet"] == "养老机构"
    assert read_table(p, sheet="养老机构").loc[1, "beds"] == "60"  # whole numbers without .0
    with pytest.raises(InputError, match="missing column"):
        read_facilities(p)  # the first sheet is the explanation page
    with pytest.raises(InputError, match=r"no sheet '表2' in the workbook. Sheets: 说明, 养老机构"):
        read_table(f"{p}#表2")
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"\.xls is not read"):
        read_table(xls)


def test_location_column_and_lng_alias(tmp_path):
    p = _write(tmp_path, "id,name,location\nP1,某点,\"108.654,21.967\"\n", "utf-8")
    pts = read_points(p)
    assert (pts.loc[0, "lon"], pts.loc[0, "lat"]) == (108.654, 21.967)
    q = _write(tmp_path, "uid,name,lng,lat\nb1,某点,108.6,21.9\n", "utf-8", "b.csv")
    assert read_points(q).loc[0, "id"] == "b1"
    bad = _write(tmp_path, "id,name,location\nP1,某点,108.654\n", "utf-8", "c.csv")
    with pytest.raises(InputError, match=r"row 1, field 'location': '108.654' is not 'lng,lat'"):
        read_points(bad)


def test_two_headers_for_one_column_and_weak_aliases(tmp_path):
    p = _write(tmp_path, "序号,编号,名称,类型,经度,纬度\n1,E1,某养老院,养老院,108.6,21.9\n", "utf-8")
    f = read_facilities(p)
    assert f.loc[0, "id"] == "E1" and f.loc[0, "序号"] == "1"  # 编号 is the id; 序号 stays a row number
    q = _write(tmp_path, "id,名称,name,type,lon,lat\nE1,a,b,elderly,108.6,21.9\n", "utf-8", "q.csv")
    with pytest.raises(InputError, match="the columns 名称 and name both mean 'name'"):
        read_table(q)


@pytest.mark.parametrize(
    ("cell", "value", "converted"),
    [("180", 180.0, False), ("180张", 180.0, True), ("150 床", 150.0, True), ("1.2万", 12000.0, True),
     ("３００", 300.0, True), ("1,200", 1200.0, True), ("40 places", 40.0, True), ("2千", 2000.0, True),
     ("", np.nan, False)],
)
def test_parse_quantity(cell, value, converted):
    got, was = parse_quantity(cell)
    assert (np.isnan(got) and np.isnan(value)) or got == value
    assert was is converted


@pytest.mark.parametrize("cell", ["约180", "180余", "一百八十", "180张左右", "1.2.3"])
def test_anything_else_is_still_a_located_error(tmp_path, cell):
    p = _write(tmp_path, f"id,name,type,beds,lon,lat\nE1,a,elderly,10,108.6,21.9\nE2,b,elderly,{cell},108.6,21.9\n",
               "utf-8")
    with pytest.raises(InputError, match=rf"row 2, field 'beds': '{cell}' is not a number"):
        read_facilities(p)


def test_owner_words_and_unknown_type(tmp_path):
    assert [owner_kind_word(w) for w in ("公办", "民办", "国企", "事业单位", "公建民营", "其他")] == [
        "government", "company", "state_company", "public_institution", "government", None]
    p = _write(tmp_path, "id,name,type,lon,lat\nE1,a,老年大学,108.6,21.9\n", "gbk")
    with pytest.raises(InputError, match=r"row 1, field 'type': unknown facility type '老年大学'"):
        read_facilities(p)


def test_numeric_column_notes_only_converted_cells():
    import pandas as pd

    frame = pd.DataFrame({"beds": ["10", "20张", ""]})
    assert list(numeric_column(frame, "beds", "x.csv", required=False)[:2]) == [10.0, 20.0]
    assert frame.attrs["notes"] == ["beds: 1 cell(s) with units or Chinese numerals converted (row 2 '20张' -> 20)"]


def test_check_writes_one_workbook_for_reviewers(tmp_path):
    from siting.cli import main

    fac = tmp_path / "f.csv"
    fac.write_bytes("名称,类型,性质,床位数,经度,纬度\n某公办养老院,养老院,公办,200张,108.62,21.969\n"
                    "钦州市第一人民医院,医院,公办,,108.62,21.96\n".encode("gbk"))
    out = tmp_path / "compliance.xlsx"
    assert main(["check", "--rules", "qinzhou", "--only", "A4,A5", "--facilities", str(fac), "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[:2] == ["规则", "不符合项"] and "A4 医院" in book.sheetnames
    rules = list(book["规则"].iter_rows(values_only=True))
    assert rules[0][:4] == ("rule", "kind", "title", "status") and rules[1][0] == "A4"
    assert rules[1][2] == "政府提供的养老机构用地、用房距综合性医院不超过 5 km"
    hospitals = list(book["A4 医院"].iter_rows(values_only=True))
    assert hospitals[1][1:3] == ("钦州市第一人民医院", "general") and hospitals[1][4] == "name:人民医院"
    book.close()


def test_attribute_columns_of_planners_tables(tmp_path):
    """科室, 是否普惠, 是否示范, 是否公办, staff counts and sports facilities (issue 15), read once with located errors."""
    text = ("名称,类型,科室,是否普惠,是否示范,是否公办,公共卫生医师数,经度,纬度\n"
            "市妇幼保健院,妇幼保健院,婴幼儿照护服务指导中心、儿科,,,是,2人,108.62,21.96\n"
            "阳光托育中心,托育机构,,是,否,否,,108.63,21.95\n"
            "龙湾体育公园,体育公园,,,,,,108.64,21.94\n")
    f = read_facilities(_write(tmp_path, text, "gbk"))
    assert list(f["type"]) == ["hospital", "childcare", "sports"]
    assert f["departments"].iloc[0] == "婴幼儿照护服务指导中心、儿科"
    assert f["inclusive"].iloc[1] == True and f["demonstration"].iloc[1] == False  # noqa: E712 -- nullable boolean
    assert f["inclusive"].isna().iloc[0] and f["public_health_physicians"].iloc[0] == 2.0
    # 是否公办 fills the owner kind where no owner is stated: 是 -> government, 否 -> company.
    assert list(f["owner_kind"]) == ["government", "company", "unknown"]
    bad = _write(tmp_path, "名称,类型,是否普惠,经度,纬度\n某托育点,托育机构,大概,108.6,21.9\n", "utf-8")
    with pytest.raises(InputError, match="'大概' is not yes/no") as err:
        read_facilities(bad)
    assert err.value.row == 1 and err.value.field == "inclusive"
