"""Reading user tables as planners keep them: CSV in UTF-8 or GBK, Excel workbooks, Chinese headers,
numbers with units; located errors (file, row, field) for missing files, columns, numbers and ids."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from siting.errors import InputError
from siting.io.values import parse_quantity, quantity_note


def require_file(path: str | Path, what: str = "input file") -> Path:
    """Return ``path`` as a Path, or raise a clear error when it does not exist."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found", path=p, hint="Check the path and spelling")
    if p.is_dir():
        raise InputError(f"{what} is a folder, not a file", path=p)
    return p


#: Chinese (and common export) column names -> siting's names. One table for every reader, so a
#: planner's headers work in facility, hospital, project, candidate, point and unit tables alike.
#: Headers are compared after Unicode NFKC (full-width brackets become ASCII), without spaces and
#: without a trailing unit in brackets (``床位数（张）`` is ``床位数``). English names pass unchanged.
COLUMN_ALIASES: dict[str, str] = {
    **{w: "id" for w in ("编号", "序号", "代码", "机构编号", "项目编号", "poiid", "uid")},
    **{w: "name" for w in ("名称", "机构名称", "设施名称", "医院名称", "单位名称", "项目名称", "养老机构名称",
                           "托育机构名称", "小区名称", "社区名称")},
    **{w: "type" for w in ("类型", "设施类型", "机构类型", "项目类型")},
    **{w: "category" for w in ("医院类别", "医院类型", "类别")},
    **{w: "beds" for w in ("床位数", "床位", "床位总数", "养老床位数", "核定床位数", "设置床位")},
    **{w: "nursing_beds" for w in ("护理型床位数", "护理型床位", "护理床位数", "护理床位")},
    **{w: "places" for w in ("托位数", "托位", "托位总数", "学位数")},
    **{w: "lon" for w in ("经度", "lng", "x坐标")},
    **{w: "lat" for w in ("纬度", "y坐标")},
    **{w: "location" for w in ("坐标", "经纬度", "位置")},
    **{w: "address" for w in ("地址", "详细地址", "机构地址")},
    **{w: "owner" for w in ("举办主体", "举办单位", "主办单位", "运营主体", "运营单位", "建设单位", "业主单位")},
    **{w: "owner_kind" for w in ("性质", "举办性质", "机构性质", "单位性质", "公办民办", "办别")},
    **{w: "county" for w in ("所属区县", "区县", "县区", "县(市、区)", "县市区", "所在区县")},
    **{w: "town" for w in ("乡镇/街道", "乡镇街道", "乡镇(街道)", "乡镇", "街道", "所属乡镇", "所属街道")},
    **{w: "unit" for w in ("所属社区", "服务单元", "社区/村", "村(社区)")},
    **{w: "level" for w in ("等级", "医院等级", "级别")},
    **{w: "departments" for w in ("科室", "开设科室", "设置科室", "内设科室", "内设机构", "职能", "挂牌", "称号")},
    **{w: "inclusive" for w in ("是否普惠", "普惠", "普惠性", "普惠型", "是否普惠性", "puhui")},
    **{w: "has_clinic" for w in ("是否设医务室", "内设医务室", "医务室", "内设医疗机构", "是否内设医疗机构")},
    **{w: "tier" for w in ("层级", "服务层级")},
    **{w: "note" for w in ("备注", "说明")},
    # attributes the plans' rules ask about (siting.inputs.attributes)
    **{w: "demonstration" for w in ("是否示范", "示范", "示范性", "是否示范性")},
    **{w: "public" for w in ("是否公办", "公办")},
    **{w: "registered" for w in ("是否备案", "登记备案", "是否登记备案")},
    **{w: "inclusive_beds" for w in ("普惠床位数", "普惠型床位数", "普惠性床位数", "普惠床位")},
    **{w: "inclusive_places" for w in ("普惠托位数", "普惠性托位数", "普惠托位")},
    **{w: "floor_area" for w in ("建筑面积", "总建筑面积")},
    **{w: "doctors" for w in ("执业(助理)医师数", "执业医师数", "医师数")},
    **{w: "nurses" for w in ("注册护士数", "护士数")},
    **{w: "psychiatrists" for w in ("精神科医师数",)},
    **{w: "psychiatric_nurses" for w in ("精神科注册护士数", "精神科护士数")},
    **{w: "primary_health_workers" for w in ("基层卫生人员数",)},
    **{w: "general_practitioners" for w in ("全科医生数", "合格全科医生数")},
    **{w: "public_health_physicians" for w in ("公共卫生医师数",)},
    **{w: "public_health_staff" for w in ("公共卫生人员数",)},
    **{w: "technical_staff" for w in ("专业技术人员数", "卫生技术人员数")},
    **{w: "trained_staff" for w in ("复合型人员数",)},
    **{w: "avg_stay_days" for w in ("平均住院日",)},
    **{w: "ranking_gain" for w in ("绩效考核排名提升", "排名提升")},
    **{w: "approved_preparations" for w in ("院内制剂备案数", "院内制剂数")},
    **{w: "infant_class_fee" for w in ("乳儿班收费", "乳儿班月收费")},
    # units (乡镇, 社区) and residential estates (小区)
    **{w: "sanitary" for w in ("卫生镇", "是否卫生镇", "卫生县城", "是否卫生县城")},
    **{w: "immunisation_rate" for w in ("免疫规划疫苗接种率", "疫苗接种率")},
    **{w: "elderly_friendly" for w in ("老年人宜居社区", "老年友好示范社区", "老年友好社区")},
    **{w: "child_friendly" for w in ("儿童友好示范社区", "儿童友好社区")},
    **{w: "converted" for w in ("培训疗养机构转型", "是否转型")},
    **{w: "rectification" for w in ("整改方案", "整改措施")},
    **{w: "estate_class" for w in ("小区类型", "小区类别", "建设类型", "新旧类型")},
    **{w: "households" for w in ("户数", "住户数", "总户数", "居民户数")},
    **{w: "population" for w in ("人口", "常住人口", "居住人口")},
    **{w: "elderly_floor_area" for w in ("养老服务设施建筑面积", "养老用房面积", "养老服务用房面积", "配建养老用房面积")},
    **{w: "childcare_floor_area" for w in ("托育服务设施建筑面积", "托育用房面积", "托育场地面积", "配建托育用房面积")},
    **{w: "estate" for w in ("所属小区",)},
}
#: Headers that give way when another column means the same (a table with 序号 and 编号 keeps
#: 编号 as the id and 序号 as it is).
WEAK_ALIASES = frozenset({"序号", "位置", "类别", "级别", "代码"})
#: Suffixes of spreadsheets read with openpyxl.
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def split_sheet(path: str | Path) -> tuple[Path, str | None]:
    """``book.xlsx#Sheet`` -> (``book.xlsx``, ``'Sheet'``); any other path -> (path, None).

    The ``#`` suffix is how a command-line option or a scenario names the sheet of a workbook.
    """
    text = str(path)
    head, sep, sheet = text.rpartition("#")
    if sep and head.lower().endswith(EXCEL_SUFFIXES) and not Path(text).exists():
        return Path(head), sheet
    return Path(text), None


def canonical_header(name: object) -> str:
    """A header as :data:`COLUMN_ALIASES` compares it: NFKC, no spaces, no trailing (unit)."""
    text = unicodedata.normalize("NFKC", str(name)).strip().replace(" ", "")
    return re.sub(r"\([^()]*\)$", "", text) or text


def rename_columns(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Map Chinese headers onto siting's names (:data:`COLUMN_ALIASES`), noting what was renamed.

    Two headers meaning the same column (``名称`` and ``name``) are an error naming both.
    """
    mapping: dict[str, str] = {}
    for column in frame.columns:
        key = canonical_header(column)
        target = COLUMN_ALIASES.get(key, COLUMN_ALIASES.get(key.lower(), str(column)))
        if target != column:
            mapping[str(column)] = target
    for _ in range(2):  # weak aliases give way first; a conflict left after that is an error
        targets = [mapping.get(str(c), str(c)) for c in frame.columns]
        for target in dict.fromkeys(targets):
            both = [str(c) for c, t in zip(frame.columns, targets) if t == target]
            weak = [c for c in both if canonical_header(c) in WEAK_ALIASES and c in mapping]
            if len(both) > 1 and weak and len(weak) < len(both):
                for c in weak:
                    mapping.pop(c)
            elif len(both) > 1 and _:
                raise InputError(f"the columns {' and '.join(both)} both mean '{target}'", path=path,
                                 hint="Keep one of them (or rename the other)")
    if not mapping:
        return frame
    out = frame.rename(columns=mapping)
    out.attrs = dict(frame.attrs)
    out.attrs.setdefault("notes", []).append(
        "columns read as: " + ", ".join(f"{k} -> {v}" for k, v in mapping.items()))
    return out


def decode_csv(p: Path) -> tuple[str, str]:
    """The text of a CSV file and the encoding used: strict UTF-8 (with or without BOM), else GB18030.

    GB18030 is the superset of GBK and GB2312 that Excel's "CSV (逗号分隔)" writes on Chinese
    Windows. Bytes neither can decode are an error naming the line.
    """
    data = p.read_bytes()
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "utf-8-sig"
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_at = exc.start
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        at = max(utf8_at, exc.start)  # the decoder that got further is the one the file was meant for
        line = data.count(b"\n", 0, at) + 1
        raise InputError(
            f"line {line}: bytes that are neither UTF-8 nor GB18030/GBK ({data[at:at + 4]!r})",
            path=p, row=line - 1 if line > 1 else None,
            hint="Save the table again as 'CSV UTF-8' (Excel: 另存为 → CSV UTF-8) or as .xlsx",
        ) from exc


def read_table(path: str | Path, what: str = "table", *, sheet: str | None = None) -> pd.DataFrame:
    """Read a table of strings, keeping every row: CSV in UTF-8 or GB18030/GBK, or Excel .xlsx.

    Parameters
    ----------
    path
        A ``.csv`` (or any text table) or a ``.xlsx``/``.xlsm`` workbook; ``book.xlsx#Sheet``
        names a sheet.
    sheet
        The sheet of a workbook (default: the first one; the ``#`` suffix of ``path`` also works).

    Returns
    -------
    pandas.DataFrame
        Strings (empty cells ``''``), Chinese headers renamed by :data:`COLUMN_ALIASES`.
        ``attrs['encoding']`` says how the file was read (``utf-8``, ``utf-8-sig``, ``gb18030``
        or ``xlsx``) and ``attrs['notes']`` lists what a reader should know (a GBK file, renamed
        columns, converted numbers).
    """
    p, named = split_sheet(path)
    p = require_file(p, what)
    if p.suffix.lower() == ".xls":
        raise InputError("the old Excel format .xls is not read", path=p,
                         hint="Save it as .xlsx (Excel: 另存为 → Excel 工作簿) or as CSV UTF-8")
    if p.suffix.lower() in EXCEL_SUFFIXES:
        frame = read_excel_sheet(p, sheet or named)
    else:
        text, encoding = decode_csv(p)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError as exc:
            raise InputError("the file is empty", path=p, hint="Give a header line and at least one row") from exc
        except pd.errors.ParserError as exc:
            raise InputError(f"not a readable CSV table ({exc})", path=p) from exc
        frame.attrs["encoding"] = encoding
        frame.attrs["notes"] = [] if encoding.startswith("utf-8") else \
            ["read as GB18030 (GBK), the encoding of Excel's 'CSV (逗号分隔)' on Chinese Windows"]
    return rename_columns(frame, p)


def read_excel_sheet(p: Path, sheet: str | None = None) -> pd.DataFrame:
    """One sheet of an .xlsx workbook as strings (the first row is the header).

    openpyxl reads it: the reader pandas itself uses for .xlsx, pure Python (it installs on an
    intranet machine without a compiler) and it also writes workbooks, so one library serves the
    tables we read and the ones we write. Formulas give their cached values; whole numbers stored
    as floats are written without ``.0``.
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException: all "not a workbook"
        raise InputError(f"not a readable Excel workbook ({exc})", path=p) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(f"no sheet '{sheet}' in the workbook", path=p,
                             hint=f"Sheets: {', '.join(book.sheetnames)}")
        rows = [[excel_cell(v) for v in row] for row in book[sheet or book.sheetnames[0]].iter_rows(values_only=True)]
    finally:
        book.close()
    rows = [r for r in rows if any(c != "" for c in r)]
    if not rows:
        raise InputError("the sheet is empty", path=p, hint="Give a header row and at least one row")
    width = max(len(r) for r in rows)
    header = [h or f"column_{i + 1}" for i, h in enumerate(rows[0] + [""] * (width - len(rows[0])))]
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows[1:]], columns=header, dtype=str)
    frame.attrs.update({"encoding": "xlsx", "sheet": sheet or book.sheetnames[0], "notes": []})
    return frame


def excel_cell(value: object) -> str:
    """A cell of a workbook as the text a CSV of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())  # dates and times
    return str(value).strip()


def require_columns(frame: pd.DataFrame, columns: list[str], path: str | Path) -> None:
    """Raise a clear error naming the missing columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns)) or 'none'}",
            path=path,
            hint=f"The file needs the columns {', '.join(columns)}",
        )


def numeric_column(
    frame: pd.DataFrame, column: str, path: str | Path, *, required: bool = True, minimum: float | None = None
) -> np.ndarray:
    """Parse one column as float; name the first bad row (1-based data row) on failure.

    Cells with a unit or a Chinese magnitude (``180张``, ``1.2万``, ``３００``) are read by
    :func:`siting.io.values.parse_quantity`, and a note listing them is added to
    ``frame.attrs['notes']``. Empty cells become NaN when ``required`` is False.
    """
    raw = frame[column].astype(str).str.strip()
    values = np.array(pd.to_numeric(raw.where(raw != "", None), errors="coerce"), dtype=float)  # writable
    converted: list[tuple[int, str, float]] = []
    for k in np.flatnonzero(np.isnan(values) & (raw != "").to_numpy()):
        try:
            value, _ = parse_quantity(raw.iloc[k])
        except ValueError:
            continue
        values[k] = value
        converted.append((int(k) + 1, raw.iloc[k], value))
    # 'inf', '1e400' and 'nan' written out are not numbers a planner means: located errors too.
    bad = ~np.isfinite(values) & (raw != "").to_numpy()
    if required:
        bad |= np.isnan(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = raw.iloc[i]
        raise InputError(
            f"'{shown}' is not a number" if shown else "the value is missing",
            path=path,
            row=i + 1,
            field=column,
            hint=f"Give a number in '{column}' on every row" if required else f"Leave '{column}' empty or give a number",
        )
    if minimum is not None and (values[~np.isnan(values)] < minimum).any():
        i = int(np.flatnonzero(values < minimum)[0])
        raise InputError(
            f"{values[i]:g} is below the allowed minimum {minimum:g}", path=path, row=i + 1, field=column
        )
    if converted:
        frame.attrs.setdefault("notes", []).append(quantity_note(column, converted))
    return values


def id_column(frame: pd.DataFrame, path: str | Path, column: str = "id") -> pd.Series:
    """The stripped ids of a table; an error naming the row when one is empty or repeated."""
    ids = frame[column].astype(str).str.strip()
    if (ids == "").any():
        i = int(np.flatnonzero((ids == "").to_numpy())[0])
        raise InputError(f"the {column} is empty", path=path, row=i + 1, field=column)
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"{column} '{ids.iloc[i]}' appears more than once", path=path, row=i + 1, field=column)
    return ids


