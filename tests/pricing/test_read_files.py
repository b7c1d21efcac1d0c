"""Reading uploads: kinds and encodings, row numbers, spreadsheet cell text, xlsx/ods/csv, and the
limits that keep a hostile file (zip bomb, sparse sheet, lying dimension tag) from ever reaching
the spreadsheet engine."""

from __future__ import annotations

import datetime as dt
import io
import random
import string
import struct
import zipfile

import pandas as pd
import pytest
import xlsxwriter

from estimator.catalog import load_catalog
from pricing.errors import FileTooLarge, ImportRejected, Problem, UnsupportedFile
from pricing.read import Limits, RawRow, cell_text, column_index, column_letter, read_upload
from pricing.validate import parse_upload

CATALOG = load_catalog()
TODAY = dt.date(2026, 1, 1)
HEADER = "provider,region,gpu,pricing_model,usd_per_gpu_hour,product,effective_date,source,notes"
ACCEPTED = ".xlsx (Excel), .ods (LibreOffice / OpenDocument) or .csv (UTF-8)"

# --- Hand-built containers (the engines' writers never produce the hostile shapes) ---------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="gpu_prices" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)

_SHARED_STRINGS_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/>'
)


def raw_xlsx(
    sheet_data: str | bytes, dimension: str = "A1", part: str = "xl/worksheets/sheet1.xml", shared_strings: str = ""
) -> bytes:
    """A minimal xlsx whose one sheet (gpu_prices) holds ``sheet_data`` inside <sheetData> (and
    ``shared_strings`` as xl/sharedStrings.xml, when given)."""
    body = sheet_data.encode() if isinstance(sheet_data, str) else sheet_data
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + f'<dimension ref="{dimension}"/><sheetData>'.encode()
        + body
        + b"</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        rels = _WORKBOOK_RELS.replace("worksheets/sheet1.xml", part[3:])
        if shared_strings:
            rels = rels.replace("</Relationships>", _SHARED_STRINGS_REL + "</Relationships>")
            zf.writestr("xl/sharedStrings.xml", shared_strings)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr(part, sheet)
    return buffer.getvalue()


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)


def raw_ods(tables: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
            zipfile.ZIP_DEFLATED,
        )
        zf.writestr(
            "content.xml",
            _ODS_HEAD + tables + "</office:spreadsheet></office:body></office:document-content>",
            zipfile.ZIP_DEFLATED,
        )
    return buffer.getvalue()


ODS_TEXT = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'


# --- Kinds and encodings -------------------------------------------------------------------------

XLSX = raw_xlsx(inline("A1", "provider"))
ODS = raw_ods(
    '<table:table table:name="gpu_prices"><table:table-row>'
    + ODS_TEXT.format("provider")
    + "</table:table-row></table:table>"
)
PLAIN_ZIP = io.BytesIO()
with zipfile.ZipFile(PLAIN_ZIP, "w") as _zf:
    _zf.writestr("hello.txt", "hi")

KIND_CASES = [
    (
        "prices.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        f"'prices.xls' has the extension '.xls' (an old Excel .xls: save it as .xlsx). Accepted: {ACCEPTED}.",
    ),
    ("prices.txt", b"provider\nLambda\n", f"'prices.txt' has the extension '.txt'. Accepted: {ACCEPTED}."),
    ("prices", b"provider\nLambda\n", f"'prices' has the extension '(none)'. Accepted: {ACCEPTED}, or a file part sent with one of their "
     "media types."),
    (
        "prices.csv",
        XLSX,
        f"'prices.csv' is named .csv but holds an Excel workbook (xlsx). Accepted: {ACCEPTED}; the "
        "extension must match the content (save the file again in one of these formats).",
    ),
    (
        "prices.xlsx",
        b"provider\nLambda\n",
        f"'prices.xlsx' is named .xlsx but holds text. Accepted: {ACCEPTED}; the "
        "extension must match the content (save the file again in one of these formats).",
    ),
    (
        "prices.xlsx",
        ODS,
        f"'prices.xlsx' is named .xlsx but holds an OpenDocument spreadsheet (ods). Accepted: "
        f"{ACCEPTED}; the extension must match the content (save the file again in one of these formats).",
    ),
    (
        "prices.ods",
        PLAIN_ZIP.getvalue(),
        f"'prices.ods' is named .ods but holds a zip archive that is no spreadsheet. "
        f"Accepted: {ACCEPTED}; the extension must match the content (save the file again in one of these formats).",
    ),
    (
        "prices.xlsx",
        XLSX[: len(XLSX) // 2],
        "'prices.xlsx' is a damaged or incomplete zip container (an xlsx or ods file cut short?); save it again and "
        "upload the whole file.",
    ),
    (
        "prices.csv",
        b"provider\x00\x01\x02",
        f"'prices.csv' is named .csv but holds binary data. Accepted: {ACCEPTED}; "
        "the extension must match the content (save the file again in one of these formats).",
    ),
    (
        "prices.csv",
        "provider\nLambda\n".encode("utf-16"),
        "'prices.csv' is encoded as UTF-16; only UTF-8 is read. In "
        "Excel use 'Save As' > 'CSV UTF-8 (Comma delimited)'; in LibreOffice choose the character set 'Unicode (UTF-8)'.",
    ),
    (
        "prices.csv",
        "provider\nZürich AG\n".encode("cp1252"),
        "'prices.csv' is not UTF-8 text (byte 0xfc on line 2); "
        "it was probably saved as Windows-1252 / Latin-1. In Excel use 'Save As' > 'CSV UTF-8 (Comma delimited)'; in "
        "LibreOffice choose the character set 'Unicode (UTF-8)'.",
    ),
]


@pytest.mark.parametrize(
    ("file_name", "data", "message"), KIND_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(KIND_CASES)]
)
def test_unsupported_kinds_say_what_is_accepted(file_name: str, data: bytes, message: str) -> None:
    with pytest.raises(UnsupportedFile) as info:
        read_upload(data, file_name)
    assert info.value.message == message
    assert info.value.code == "unsupported_file"


def test_extensions_are_case_insensitive_and_content_decides_the_rest() -> None:
    assert read_upload(XLSX, "PRICES.XLSX").kind == "xlsx"
    assert read_upload(ODS, "Prices.Ods").kind == "ods"
    assert read_upload(b"provider\n", "p.CSV").kind == "csv"


def test_csv_with_and_without_byte_order_mark() -> None:
    body = (HEADER + "\nLambda,,h100,on_demand,2.99,,2025-03-01,Zürich quote,\n").encode()
    plain = parse_upload(body, "p.csv", catalog=CATALOG, table="gpu_prices", today=TODAY)
    with_bom = parse_upload(b"\xef\xbb\xbf" + body, "p.csv", catalog=CATALOG, table="gpu_prices", today=TODAY)
    assert plain == with_bom
    assert plain["gpu_prices"][0]["source"] == "Zürich quote"


def test_semicolon_and_tab_separated_exports() -> None:
    raw = read_upload(b"provider;usd_per_gpu_hour\nLambda;2,99\n", "p.csv").sheets[0]
    assert raw.header == ["provider", "usd_per_gpu_hour"]
    assert raw.rows == [RawRow(2, ("Lambda", "2,99"))]
    assert read_upload(b"a\tb\n1\t2\n", "p.csv").sheets[0].rows == [RawRow(2, ("1", "2"))]


# --- Row numbers ----------------------------------------------------------------------------------


def test_blank_lines_keep_csv_row_numbers_true() -> None:
    data = (
        HEADER + "\n\nLambda,,h100,on_demand,2.99,,2025-03-01,x,\n\n\nLambda,,h100,spot,-1,,2025-03-01,x,\n"
    ).encode()
    with pytest.raises(ImportRejected) as info:
        parse_upload(data, "p.csv", catalog=CATALOG, table="gpu_prices", today=TODAY)
    [problem] = info.value.problems
    assert (problem.row, problem.column_letter, problem.value) == (6, "E", "-1")


def test_quoted_line_breaks_count_as_one_row_like_a_spreadsheet_shows_them() -> None:
    data = (
        HEADER + '\nLambda,,h100,on_demand,2.99,,2025-03-01,"two\nlines",\nLambda,,h100,spot,zero,,2025-03-01,x,\n'
    ).encode()
    with pytest.raises(ImportRejected) as info:
        parse_upload(data, "p.csv", catalog=CATALOG, table="gpu_prices", today=TODAY)
    assert [(p.row, p.value) for p in info.value.problems] == [(3, "zero")]


def test_rows_longer_and_shorter_than_the_header() -> None:
    raw = read_upload(b"a,b\n1\n1,2,3\n", "p.csv").sheets[0]
    assert raw.header == ["a", "b", ""]
    assert raw.rows == [RawRow(2, ("1", "", "")), RawRow(3, ("1", "2", "3"))]


def test_blank_rows_keep_xlsx_row_numbers_true() -> None:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet("gpu_prices")
        sheet.write_row(0, 0, HEADER.split(","))
        sheet.write_row(4, 0, ["Lambda", "", "h100", "on_demand", 0, "", "2025-03-01", "x"])
    with pytest.raises(ImportRejected) as info:
        parse_upload(buffer.getvalue(), "p.xlsx", catalog=CATALOG, today=TODAY)
    [problem] = info.value.problems
    assert (problem.sheet, problem.row, problem.column_letter, problem.value) == ("gpu_prices", 5, "E", "0")


# --- Cell text ------------------------------------------------------------------------------------


def workbook_cells() -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False}) as workbook:
        date = workbook.add_format({"num_format": "dd/mm/yyyy"})
        sheet = workbook.add_worksheet("cells")
        sheet.write_row(0, 0, ["date", "datetime", "2.5", "8.0", "text 2.50", "bool", "sum", "tiny", "big"])
        sheet.write_datetime(1, 0, dt.datetime(2025, 3, 1), date)
        sheet.write_datetime(1, 1, dt.datetime(2025, 3, 1, 12, 30), date)
        sheet.write_number(1, 2, 2.5)
        sheet.write_number(1, 3, 8.0)
        sheet.write_string(1, 4, "2.50")
        sheet.write_boolean(1, 5, True)
        sheet.write_number(1, 6, 0.1 + 0.2)
        sheet.write_number(1, 7, 1e-05)
        sheet.write_number(1, 8, 123456789012.0)
    return buffer.getvalue()


EXPECTED_CELLS = ("2025-03-01", "2025-03-01 12:30:00", "2.5", "8", "2.50", "TRUE", "0.3", "1e-05", "123456789012")


def test_xlsx_cells_read_as_a_spreadsheet_user_expects() -> None:
    [sheet] = read_upload(workbook_cells(), "cells.xlsx").sheets
    assert sheet.rows == [RawRow(2, EXPECTED_CELLS)]


def test_openpyxl_reads_when_calamine_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real = pd.read_excel
    engines: list[str] = []

    def flaky(*args: object, engine: str, **kwargs: object) -> object:
        engines.append(engine)
        if engine == "calamine":
            raise ValueError("calamine could not read it")
        return real(*args, engine=engine, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd, "read_excel", flaky)
    [sheet] = read_upload(workbook_cells(), "cells.xlsx").sheets
    assert engines == ["calamine", "openpyxl"]
    assert sheet.rows == [RawRow(2, EXPECTED_CELLS)]


def test_workbook_no_engine_can_read_is_unsupported() -> None:
    broken = raw_xlsx("<row><c><v>1</v></x></row>")  # mismatched tag
    with pytest.raises(UnsupportedFile) as info:
        read_upload(broken, "broken.xlsx")
    assert info.value.message.startswith("'broken.xlsx' could not be read as xlsx (")
    assert info.value.message.endswith("); open it in a spreadsheet program and save it again.")


def test_ods_from_pandas_with_date_and_number_cells() -> None:
    frame = pd.DataFrame(
        {
            "Provider": ["Lambda", "RunPod"],
            "GPU": ["h100", "a100"],
            "Pricing model": ["on_demand", "spot"],
            "USD per GPU hour": [2.99, 8.0],
            "Effective date": [dt.date(2025, 3, 1), dt.date(2024, 12, 1)],
            "Source": ["page", "page"],
        }
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, engine="odf", index=False, sheet_name="GPU prices")
    [sheet] = read_upload(buffer.getvalue(), "p.ods").sheets
    assert sheet.rows[1] == RawRow(3, ("RunPod", "a100", "spot", "8", "2024-12-01", "page"))
    rows = parse_upload(buffer.getvalue(), "p.ods", catalog=CATALOG, today=TODAY)["gpu_prices"]
    assert [(r["gpu"], r["usd_per_gpu_hour"], r["effective_date"]) for r in rows] == [
        ("h100-sxm", 2.99, "2025-03-01"),
        ("a100-80gb-sxm", 8.0, "2024-12-01"),
    ]


def test_ods_problems_are_located_like_xlsx() -> None:
    row = "".join(ODS_TEXT.format(v) for v in ["Lambda", "h100", "weekly", "2", "2025-03-01", "x"])
    header = "".join(
        ODS_TEXT.format(v) for v in ["provider", "gpu", "pricing_model", "usd_per_gpu_hour", "effective_date", "source"]
    )
    data = raw_ods(
        f'<table:table table:name="gpu_prices"><table:table-row>{header}</table:table-row>'
        '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated='
        f'"6"/></table:table-row><table:table-row>{row}</table:table-row></table:table>'
    )
    with pytest.raises(ImportRejected) as info:
        parse_upload(data, "p.ods", catalog=CATALOG, today=TODAY)
    assert [(p.sheet, p.row, p.column, p.column_letter, p.value) for p in info.value.problems] == [
        ("gpu_prices", 4, "pricing_model", "C", "weekly")
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.5, "2.5"),
        (8.0, "8"),
        (8, "8"),
        (-0.0, "0"),
        (1e20, "1e+20"),
        (float("inf"), "inf"),
        (True, "TRUE"),
        (None, ""),
        (dt.date(2025, 3, 1), "2025-03-01"),
        (dt.datetime(2025, 3, 1), "2025-03-01"),
        (dt.time(12, 30), "12:30:00"),
        ("  as is ", "  as is "),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, 16383)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
        "XFD",
    ]
    assert all(column_index(column_letter(i)) == i for i in range(2000))


# --- Limits ---------------------------------------------------------------------------------------


def test_upload_over_the_file_size_limit() -> None:
    with pytest.raises(FileTooLarge) as info:
        read_upload(b"x" * 101, "p.csv", limits=Limits(max_file_bytes=100))
    assert info.value.message == (
        "'p.csv' is 101 bytes; the limit is 100 bytes. Split the table into several files or remove rows."
    )


def test_csv_row_and_column_caps() -> None:
    limits = Limits(max_rows=3, max_columns=4)
    assert len(read_upload(b"a\n1\n2\n3\n", "p.csv", limits=limits).sheets[0].rows) == 3
    with pytest.raises(FileTooLarge) as info:
        read_upload(b"a\n1\n2\n3\n4\n", "p.csv", limits=limits)
    assert info.value.message == "'p.csv' has more than 3 data rows (the limit); split the table into several files."
    with pytest.raises(FileTooLarge) as info:
        read_upload(b"a,b,c,d,e\n", "p.csv", limits=limits)
    assert info.value.message == "'p.csv' has 5 columns; at most 4 are read."
    with pytest.raises(FileTooLarge):
        read_upload(b"a\n1,2,3,4,5,6\n", "p.csv", limits=limits)


def test_xlsx_row_and_column_caps() -> None:
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 6))
    limits = Limits(max_rows=4, max_columns=2)
    assert len(read_upload(raw_xlsx(rows), "p.xlsx", limits=limits).sheets[0].rows) == 4
    with pytest.raises(FileTooLarge) as info:
        read_upload(raw_xlsx(rows + '<row r="6"><c r="A6"><v>6</v></c></row>'), "p.xlsx", limits=limits)
    assert info.value.message == (
        "'p.xlsx': a sheet (xl/worksheets/sheet1.xml) holds a value in row 6; at most 5 rows are read (the header and "
        "4 data rows). Delete the rows below the table (select them, then 'Delete rows') or split the table."
    )
    with pytest.raises(FileTooLarge) as info:
        read_upload(raw_xlsx('<row r="1"><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>'), "p.xlsx", limits=limits)
    assert info.value.message == (
        "'p.xlsx': a sheet (xl/worksheets/sheet1.xml) holds a value in column C (column 3); at most 2 columns are "
        "read. Delete the columns to the right of the table."
    )


def test_cell_cap_counts_the_rectangle_a_reader_allocates() -> None:
    limits = Limits(max_cells=10)
    sparse = raw_xlsx(inline("A1", "a") + '<row r="4"><c r="C4"><v>1</v></c></row>')  # 4 rows x 3 columns
    with pytest.raises(FileTooLarge) as info:
        read_upload(sparse, "p.xlsx", limits=limits)
    assert info.value.message == (
        "'p.xlsx' spans 12 cells (rows x columns of its sheets, counted from A1 to the last value); at most 10 are "
        "read. Delete stray values far below or right of the tables, or split the file."
    )
    assert read_upload(
        raw_xlsx(inline("A1", "a") + '<row r="3"><c r="C3"><v>1</v></c></row>'), "p.xlsx", limits=limits
    ).sheets[0].rows[-1] == RawRow(3, ("", "", "1"))
    with pytest.raises(FileTooLarge):
        read_upload(b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n", "p.csv", limits=limits)
    odd = raw_ods(
        '<table:table table:name="s"><table:table-row table:number-rows-repeated="4">'
        '<table:table-cell table:number-columns-repeated="3" office:value-type="float" office:value="1"/>'
        "</table:table-row></table:table>"
    )
    with pytest.raises(FileTooLarge):
        read_upload(odd, "p.ods", limits=limits)


def test_empty_formatted_cells_beyond_the_caps_are_no_values() -> None:
    data = raw_xlsx(
        '<row r="1">' + inline("A1", "provider") + '</row><row r="900000" s="1" customFormat="1">'
        '<c r="XFD900000" s="1"/></row>'
    )
    assert read_upload(data, "p.xlsx").sheets[0].header == ["provider"]


def test_sparse_sheet_that_would_make_calamine_allocate_terabytes() -> None:
    # Values in A1 and XFD1048576 only: calamine would allocate 17 billion cells and abort the process.
    data = raw_xlsx(inline("A1", "provider") + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    assert len(data) < 2000
    with pytest.raises(FileTooLarge) as info:
        read_upload(data, "sparse.xlsx")
    assert "holds a value in row 1,048,576" in info.value.message


def test_a_worksheet_part_with_any_name_is_scanned() -> None:
    rows = "".join(f'<row r="{i}"><c r="B{i}"><v>{i}</v></c></row>' for i in range(1, 4))
    renamed = raw_xlsx(rows, part="xl/data/cells")
    assert read_upload(renamed, "p.xlsx").sheets[0].rows[-1] == RawRow(3, ("", "3"))  # calamine reads it
    with pytest.raises(FileTooLarge) as info:
        read_upload(renamed, "p.xlsx", limits=Limits(max_rows=1))
    assert "a sheet (xl/data/cells) holds a value in row 3" in info.value.message  # found by the scan


def test_cells_without_references_are_counted_too() -> None:
    data = raw_xlsx('<row r="1"><c><v>1</v></c></row><row r="250000"><c><v>1</v></c><c><v>2</v></c></row>')
    with pytest.raises(FileTooLarge) as info:
        read_upload(data, "p.xlsx")
    assert "holds a value in row 250,000" in info.value.message


def test_million_row_xlsx_whose_dimension_claims_one_row_is_rejected() -> None:
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 1_000_001))
    data = raw_xlsx(rows, dimension="A1")
    with pytest.raises(FileTooLarge) as info:  # found by the scan before any parser reads the sheet
        parse_upload(data, "million.xlsx", catalog=CATALOG)
    assert "at most 200,001 rows are read (the header and 200,000 data rows)" in info.value.message


def test_ods_rows_repeated_past_the_caps() -> None:
    cell = '<table:table-cell table:number-columns-repeated="50" office:value-type="string"><text:p>x</text:p>'
    data = raw_ods(
        f'<table:table table:name="gpu_prices"><table:table-row table:number-rows-repeated="1000000">'
        f"{cell}</table:table-cell></table:table-row></table:table>"
    )
    assert len(data) < 2000
    with pytest.raises(FileTooLarge) as info:
        read_upload(data, "bomb.ods")
    assert info.value.message == (
        "'bomb.ods': sheet 'gpu_prices' holds a value in row 1,000,000; at most 200,001 rows are read (the header and "
        "200,000 data rows). Delete the rows below the table (select them, then 'Delete rows') or split the table."
    )
    wide = raw_ods(
        '<table:table table:name="wide"><table:table-row><table:table-cell '
        'table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
        "</table:table-row></table:table>"
    )
    with pytest.raises(FileTooLarge) as info:
        read_upload(wide, "wide.ods")
    assert "sheet 'wide' holds a value in column XFD (column 16,384)" in info.value.message


def test_ods_empty_rows_repeated_to_the_sheet_end_are_fine() -> None:
    data = raw_ods(
        '<table:table table:name="gpu_prices"><table:table-row>'
        + ODS_TEXT.format("provider")
        + '</table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row></table:table>'
    )
    assert read_upload(data, "p.ods").sheets[0].header == ["provider"]


def _streamed_bomb(megabytes: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/sharedStrings.xml", "w") as part:
            chunk = b"\x20" * (1 << 20)
            for _ in range(megabytes):
                part.write(chunk)
    return buffer.getvalue()


def test_zip_bomb_over_the_unpacked_limit() -> None:
    data = _streamed_bomb(250)
    assert len(data) < 1_000_000
    with pytest.raises(FileTooLarge) as info:
        read_upload(data, "bomb.xlsx")
    assert info.value.message == (
        "'bomb.xlsx' unpacks to 250 MiB; the limit is 200 MiB. Split the table into several files or remove rows."
    )


def test_zip_bomb_under_the_size_limit_caught_by_its_ratio() -> None:
    with pytest.raises(UnsupportedFile) as info:
        read_upload(_streamed_bomb(20), "bomb.xlsx")
    assert info.value.message == (
        "'bomb.xlsx' is a suspicious zip container: it inflates more than 200 times (a zip "
        "bomb?). Save the file again from a spreadsheet program."
    )


def _patch_declared_size(data: bytes, name: bytes, size: int) -> bytes:
    """Make both headers of entry ``name`` declare ``size`` uncompressed bytes."""
    out = bytearray(data)
    pos = 0
    while True:
        local = out.find(b"PK\x03\x04", pos)
        if local < 0:
            break
        name_len, extra_len = struct.unpack_from("<HH", out, local + 26)
        if out[local + 30 : local + 30 + name_len] == name:
            struct.pack_into("<L", out, local + 22, size)
        pos = local + 30 + name_len + extra_len
    pos = 0
    while True:
        central = out.find(b"PK\x01\x02", pos)
        if central < 0:
            break
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<L", out, central + 24, size)
        pos = central + 46
    return bytes(out)


def test_zip_entry_that_inflates_past_its_declared_size() -> None:
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 2000))
    data = _patch_declared_size(raw_xlsx(rows), b"xl/worksheets/sheet1.xml", 1000)
    with pytest.raises(UnsupportedFile) as info:
        read_upload(data, "liar.xlsx")
    assert info.value.message == (
        "'liar.xlsx' is a suspicious zip container: its part 'xl/worksheets/sheet1.xml' inflates past the size it "
        "declares. Save the file again from a spreadsheet program."
    )


def test_workbook_sheet_count_cap() -> None:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        for i in range(4):
            workbook.add_worksheet(f"s{i}").write(0, 0, "x")
    with pytest.raises(FileTooLarge) as info:
        read_upload(buffer.getvalue(), "many.xlsx", limits=Limits(max_sheets=3))
    assert info.value.message == "'many.xlsx' has 4 sheets; at most 3 are read."


# --- A row written twice (issue 13): calamine keeps the last, so a row was silently dropped -------------


def test_xlsx_row_written_twice_is_a_row_problem() -> None:
    header = "".join(inline(f"{c}1", h) for c, h in zip("ABCDEFGHI", HEADER.split(","), strict=True))
    values = ["Lambda", "", "h100", "on_demand", "2.99", "", "2025-03-01", "x", ""]
    second = "".join(inline(f"{c}2", v) for c, v in zip("ABCDEFGHI", values, strict=True) if v)
    third = second.replace("Lambda", "Acme").replace('2"', '3"')
    data = raw_xlsx(f'<row r="1">{header}</row><row r="2">{second}</row><row r="2">{third}</row>')
    with pytest.raises(ImportRejected) as info:
        parse_upload(data, "twice.xlsx", catalog=CATALOG, today=TODAY)
    assert info.value.problems == [
        Problem(
            "duplicate_row",
            "Row 2 is written twice in the file (the second time in place of the first, so a spreadsheet program "
            "would show only one of them): the file is damaged or was written by a faulty program. Open it in a "
            "spreadsheet program, check the rows and save it again.",
            sheet="gpu_prices",
            row=2,
        )
    ]


def test_xlsx_rows_in_order_with_gaps_are_fine() -> None:
    data = raw_xlsx('<row r="1">' + inline("A1", "provider") + '</row><row r="5">' + inline("A5", "x") + "</row>")
    assert [r.number for r in read_upload(data, "p.xlsx").sheets[0].rows] == [2, 3, 4, 5]


# --- Text amplification (issue 13): a short file whose cells repeat a long text ------------------------
# A 49 KB ods repeating one 100 KB text over 9,000 cells took a worker from 61 MiB to 2.75 GiB; an xlsx
# whose one 1 MB shared string was referenced by 20,000 cells killed it. The zip and extent checks pass
# both (few cells, a packing ratio of ~1.3 for random letters). The scan now adds up the text every cell
# expands to, repeats and references counted, and stops past Limits.max_text_bytes (64 MiB).

TEXT_LIMIT = (
    "of cell text once its repeated cells and shared strings are expanded (the limit, 64 MiB). A pricing table "
    "holds far less: remove the long text repeated over many cells."
)


def _letters(count: int) -> str:
    """Random letters: they pack about 1.3 times, so a zip-ratio check does not see them."""
    return "".join(random.Random(13).choices(string.ascii_letters, k=count))


def _ods_text_bomb(text: str, columns: int, rows: int) -> bytes:
    cell = (f'<table:table-cell table:number-columns-repeated="{columns}" office:value-type="string">'
            f"<text:p>{text}</text:p></table:table-cell>")
    return raw_ods(f'<table:table table:name="gpu_prices"><table:table-row table:number-rows-repeated="{rows}">'
                   f"{cell}</table:table-row></table:table>")


def _xlsx_shared_string_bomb(text: str, references: int, cell: str = '<c r="A{r}" t="s"><v>0</v></c>') -> bytes:
    cells = "".join(f'<row r="{r}">{cell.format(r=r)}</row>' for r in range(1, references + 1))
    strings = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        f"<si><t>{text}</t></si></sst>"
    )
    return raw_xlsx(cells, shared_strings=strings)


def test_ods_text_repeated_over_many_cells_is_refused_before_any_engine_reads_it() -> None:
    data = _ods_text_bomb(_letters(100_000), columns=9, rows=80)  # 72 MB of text once expanded
    assert len(data) < 100_000
    with pytest.raises(FileTooLarge) as info:
        read_upload(data, "bomb.ods")
    assert info.value.message == f"'bomb.ods' expands to more than 67,108,864 bytes {TEXT_LIMIT}"
    assert info.value.data["limit"] == 64 * 1024 * 1024


def test_xlsx_shared_string_referenced_by_many_cells_is_refused() -> None:
    data = _xlsx_shared_string_bomb(_letters(100_000), references=700)  # 70 MB of text once expanded
    assert len(data) < 100_000
    with pytest.raises(FileTooLarge) as info:
        read_upload(data, "bomb.xlsx")
    assert info.value.message == f"'bomb.xlsx' expands to more than 67,108,864 bytes {TEXT_LIMIT}"


def test_ods_spaces_element_counts_its_repeats() -> None:
    cell = '<table:table-cell office:value-type="string"><text:p>a<text:s text:c="99999999"/>b</text:p></table:table-cell>'
    data = raw_ods(f'<table:table table:name="s"><table:table-row>{cell}</table:table-row></table:table>')
    with pytest.raises(FileTooLarge):
        read_upload(data, "spaces.ods")


@pytest.mark.parametrize(
    ("data", "expanded"),
    [
        # 40 letters in 3 columns x 5 rows; '<text:p>' and '</text:p>' are counted with the text (17 bytes)
        (_ods_text_bomb("x" * 40, columns=3, rows=5), (40 + 17) * 3 * 5),
        # 40 letters referenced 6 times; the 7 bytes of '<t></t>' around it are counted with it
        (_xlsx_shared_string_bomb("x" * 40, references=6), (40 + 7) * 6),
        # the sheet's XML inflates in 1 MiB chunks: no reference is lost or counted twice at their seams
        (_xlsx_shared_string_bomb("x" * 40, references=60_000), (40 + 7) * 60_000),
        # written another way (quotes, spaces, a formula before the value): the general pattern counts it
        (_xlsx_shared_string_bomb("x" * 40, references=6, cell='<c r="A{r}" t = \'s\'><f>A1</f><v>0</v></c>'),
         (40 + 7) * 6),
    ],
    ids=["ods", "xlsx", "xlsx-in-chunks", "xlsx-written-otherwise"],
)
def test_text_cap_counts_repeats_and_references_exactly(data: bytes, expanded: int) -> None:
    kind = "ods" if data.find(b"mimetype") >= 0 else "xlsx"
    read_upload(data, f"p.{kind}", limits=Limits(max_text_bytes=expanded))
    with pytest.raises(FileTooLarge):
        read_upload(data, f"p.{kind}", limits=Limits(max_text_bytes=expanded - 1))
