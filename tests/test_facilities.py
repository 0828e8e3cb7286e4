"""Reading facility CSVs: types, numbers, clinics, hospital categories and levels, coordinates."""

from __future__ import annotations

import numpy as np
import pytest

from siting.coords import wgs84_to_gcj02
from siting.errors import InputError
from siting.inputs.facilities import read_facilities

HEADER = "id,name,type,beds,places,owner,has_clinic,lon,lat"


def _file(tmp_path, lines, header=HEADER):
    p = tmp_path / "fac.csv"
    p.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return p


def test_reads_and_normalises(tmp_path):
    p = _file(tmp_path, [
        "e1,养老院,elderly,149,,钦南区民政局,no,108.6,21.9,,",
        "h1,某医院,hospital,,,,,108.61,21.91,,三级甲等",
        "h2,中医医院,Hospital,,,,,108.62,21.92,中医,2",
        "c1,托育中心,childcare,,150,某公司,,108.63,21.93,,",
    ], HEADER + ",category,level")
    f = read_facilities(p)
    assert list(f["type"]) == ["elderly", "hospital", "hospital", "childcare"]
    assert f.loc[0, "beds"] == 149 and np.isnan(f.loc[0, "places"]) and f.loc[3, "places"] == 150
    assert f.loc[0, "has_clinic"] == False  # noqa: E712 (nullable boolean)
    assert f["has_clinic"].isna().sum() == 3
    assert list(f["category"]) == ["", "general", "tcm", ""]
    assert list(f["category_assumed"]) == [False, True, False, False]  # 某医院: the name cannot tell
    assert list(f["category_reason"]) == ["", "assumed", "column:category=中医", ""]
    assert f.loc[1, "level"] == 3 and f.loc[2, "level"] == 2
    assert f.loc[0, "owner_kind"] == "government"  # 局 at the end of the owner name
    assert f.loc[3, "owner_kind"] == "unknown"


def test_gcj02_input_is_converted(tmp_path):
    glon, glat = wgs84_to_gcj02(108.65, 21.95)
    p = _file(tmp_path, [f"e1,x,elderly,10,,,,{float(glon):.9f},{float(glat):.9f}"])
    f = read_facilities(p, crs="gcj02")
    assert f.loc[0, "lon"] == pytest.approx(108.65, abs=1e-7) and f.loc[0, "lat"] == pytest.approx(21.95, abs=1e-7)
    assert f.loc[0, "lon_input"] == pytest.approx(float(glon))


@pytest.mark.parametrize(
    ("line", "header", "words"),
    [
        ("e1,x,nursing_home,10,,,,108.6,21.9", HEADER, r"row 1, field 'type': unknown facility type 'nursing_home'"),
        ("e1,x,elderly,ten,,,,108.6,21.9", HEADER, r"row 1, field 'beds': 'ten' is not a number"),
        ("e1,x,elderly,-3,,,,108.6,21.9", HEADER, r"row 1, field 'beds'"),
        ("e1,x,elderly,10,,,maybe,108.6,21.9", HEADER, r"row 1, field 'has_clinic': 'maybe' is not yes/no"),
        ("h1,x,hospital,,,,,108.6,21.9,dental", HEADER + ",category", r"field 'category': unknown category 'dental'"),
        ("h1,x,hospital,,,,,108.6,21.9,top", HEADER + ",level", r"field 'level': 'top' is not a hospital level"),
        ("e1,x,elderly,10,,,,108.6,121.9", HEADER, r"field 'lat'"),
        ("e1,x,elderly,10,,,,108.6,21.9,village-ish", HEADER + ",tier", r"field 'tier': unknown tier"),
        ("e1,x,elderly,10,,,,108.6,21.9,20", HEADER + ",nursing_beds", r"field 'nursing_beds': nursing_beds 20 exceed beds 10"),
    ],
)
def test_bad_rows_name_file_row_field(tmp_path, line, header, words):
    p = _file(tmp_path, ["ok,fine,elderly,1,,,,108.6,21.9" + "," * (header.count(",") - HEADER.count(",")), line], header)
    with pytest.raises(InputError, match=words.replace("row 1", "row 2")) as err:
        read_facilities(p)
    assert str(p) in str(err.value)


def test_extra_types_and_missing_type_column(tmp_path):
    p = _file(tmp_path, ["x1,老年大学,university,,,,,108.6,21.9"])
    with pytest.raises(InputError, match="unknown facility type"):
        read_facilities(p)
    assert read_facilities(p, extra_types=["university"]).loc[0, "type"] == "university"
    q = tmp_path / "h.csv"
    q.write_text("id,name,lon,lat\nh1,医院,108.6,21.9\n", encoding="utf-8")
    assert read_facilities(q, default_type="hospital").loc[0, "type"] == "hospital"
    with pytest.raises(InputError, match="missing column 'type'"):
        read_facilities(q)
