"""Export a pricing table version as xlsx or CSV, and the empty template with its README sheet.

- ``to_xlsx(sheets)``: one sheet per table, in the order of ``pricing.tables.TABLES``, columns in
  their declared order, header in row 1. Numbers and whole numbers are number cells, dates are
  real date cells shown as ``yyyy-mm-dd`` (a spreadsheet user can sort and filter them; the
  importer reads them back as ``2025-03-01``), text is always a text cell: XlsxWriter's
  ``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` are off, so ``=cmd()``
  stays text and ``00123`` keeps its zeros.
- ``to_csv(sheet_name, rows)``: UTF-8 with a byte-order mark (so Excel reads non-ASCII text
  correctly; the importer accepts it), comma-separated, CRLF line ends (RFC 4180). A text cell
  starting with ``= + - @`` (or a tab or carriage return) gets a leading ``'`` so no spreadsheet
  runs it as a formula; the importer removes that apostrophe again.
- ``template_xlsx()``: the five sheets with their header rows only (a note on every header cell,
  drop-down lists for choice columns, date format on date columns) and a final ``README`` sheet
  documenting every column from ``pricing.tables``.

- ``download_files(sheets)``: every file the download endpoint answers for a version (``download_name``
  names them): the xlsx and one CSV per declared sheet, built once when the version is imported and
  stored with it, so an anonymous download only reads bytes (issue 13, defect 9).

Round trip: ``parse_upload(to_xlsx(rows))`` and ``parse_upload(to_csv(name, rows), table=name)``
give back the rows that ``parse_upload`` returned.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from pricing.tables import TABLES, Column, Table

WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

README_SHEET = "README"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise ValueError(f"unknown pricing sheet {name!r}; the sheets are: {', '.join(TABLES)}") from None


def _ordered(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[tuple[Table, Sequence[Mapping[str, Any]]]]:
    for name in sheets:
        _table(name)
    return [(table, sheets[name]) for name, table in TABLES.items() if name in sheets]


def _width(column: Column) -> int:
    if column.type == "date":
        return 12
    if column.name in ("source", "notes", "description"):
        return 48
    return max(12, min(40, len(column.name) + 2))


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def to_xlsx(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> bytes:
    """The sheets (table name → rows as returned by ``parse_upload``) as an xlsx workbook.

    XlsxWriter writes the workbook: styles, each sheet with its header row, column widths and frozen
    header. The data rows are then streamed into each sheet's ``<sheetData>`` (``_cell_xml``: number cells,
    date cells in the date style, text as inline strings, escaped as XlsxWriter escapes them): XlsxWriter's own cell calls and XML cost ~5 µs a cell, 6.9 s of
    CPU for 150,000 rows of 9 columns (constant_memory mode no less: 7.4 s), this ~1 s (issue 13)."""
    tables = _ordered(sheets)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for table, _rows in tables:
        _table_sheet(workbook, table, bold, date_format)
    workbook.close()
    date_style = date_format.xf_index  # set by close()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as frame, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        data_parts = {f"xl/worksheets/sheet{i}.xml": entry for i, entry in enumerate(tables, start=1) if entry[1]}
        for info in frame.infolist():
            part = frame.read(info)
            if info.filename not in data_parts:
                book.writestr(info, part)
                continue
            table, rows = data_parts[info.filename]
            head, tail = part.decode("utf-8").split("</sheetData>", 1)
            last = xl_col_to_name(len(table.columns) - 1)
            head = head.replace(f'<dimension ref="A1:{last}1"/>', f'<dimension ref="A1:{last}{len(rows) + 1}"/>', 1)
            with book.open(info.filename, "w") as sheet:
                sheet.write(head.encode("utf-8"))
                for chunk in _rows_xml(table, rows, date_style):
                    sheet.write(chunk.encode("utf-8"))
                sheet.write(("</sheetData>" + tail).encode("utf-8"))
    return out.getvalue()


_XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 of Excel's 1900 date system, for days from 1900-03-01 on
_EXCEL_LEAP_BUG = dt.date(1900, 3, 1)  # before it, serials are one lower (Excel counts a 29 February 1900)
_ROWS_PER_CHUNK = 2_000


def _inline_text(text: str) -> str:
    """The rest of an inline-string cell after its reference (``' t="inlineStr"><is><t>…</t></is></c>'``),
    escaped as XlsxWriter escapes text: control characters as ``_xHHHH_`` (a literal ``_xHHHH_`` gets its
    underscore escaped, ``_x005F``), then ``& < >``; leading or trailing whitespace preserved."""
    if _XML_SPECIAL.search(text):
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", _ESCAPED.sub(r"_x005F\1", text))
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _cell_xml(column: Column, value: Any, date_style: int) -> str:
    """The rest of a ``<c>`` element after its reference for ``value`` in ``column``; "" for no cell (empty).
    A number in a number column is a number cell (a float as its shortest exact text); a date (ISO text or a
    date) in a date column from 1900 on is a date cell (Excel's 1900 serial) in the date style; anything else
    is a text cell of its text, never a formula, link or number."""
    if value is None or value == "":
        return ""
    if column.type in ("number", "integer") and isinstance(value, int | float) and not isinstance(value, bool):
        return f"><v>{value!r}</v></c>" if isinstance(value, float) else f"><v>{int(value)}</v></c>"
    if column.type == "date":
        day = _as_date(value)
        if day is not None and day >= dt.date(1900, 1, 1):
            serial = (day - _EXCEL_EPOCH).days - (day < _EXCEL_LEAP_BUG)
            return f' s="{date_style}"><v>{serial}</v></c>'
    return _inline_text(value if isinstance(value, str) else str(value))


def _rows_xml(table: Table, rows: Sequence[Mapping[str, Any]], date_style: int) -> Iterator[str]:
    """The ``<row>`` elements of ``rows`` (from spreadsheet row 2), a few thousand rows per string. Cells
    are memoised per column by value (the same provider, date or source recurs down a column)."""
    columns: list[tuple[str, Column, dict[tuple[type, Any], str]]] = [
        (xl_col_to_name(i), column, {}) for i, column in enumerate(table.columns)]
    parts: list[str] = []
    for r, row in enumerate(rows, start=2):
        parts.append(f'<row r="{r}">')
        for letter, column, seen in columns:
            value = row.get(column.name)
            key = (type(value), value)  # by type too: 1, 1.0 and True are one dict key
            try:
                cell = seen[key]
            except KeyError:
                cell = seen[key] = _cell_xml(column, value, date_style)
            except TypeError:  # not hashable: not a value pricing rows hold, written as its text
                cell = _cell_xml(column, value, date_style)
            if cell:
                parts.append(f'<c r="{letter}{r}"{cell}')
        parts.append("</row>")
        if r % _ROWS_PER_CHUNK == 0:
            yield "".join(parts)
            parts.clear()
    yield "".join(parts)


def _table_sheet(workbook: Any, table: Table, bold: Any, date_format: Any) -> Any:
    """A worksheet for ``table``: its header row in bold and frozen, each column as wide as
    ``_width`` says, date columns formatted as dates."""
    sheet = workbook.add_worksheet(table.name)
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, column.name, bold)
        sheet.set_column(col, col, _width(column), date_format if column.type == "date" else None)
    sheet.freeze_panes(1, 0)
    return sheet


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(sheet_name: str, rows: Sequence[Mapping[str, Any]], *, table_column: bool = False) -> bytes:
    """One sheet as CSV bytes (UTF-8 with BOM). ``table_column`` adds a first column ``table``
    naming the sheet, so the file imports without naming its table."""
    table = _table(sheet_name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = table.column_names
    writer.writerow((["table"] if table_column else []) + list(names))
    lead = [table.name] if table_column else []
    for row in rows:
        writer.writerow(lead + [_csv_text(row.get(name)) for name in names])
    return out.getvalue().encode("utf-8-sig")


def download_name(fmt: str, sheet: str = "") -> str:
    """The stored file a download answers: ``xlsx``, or ``csv:<sheet>``."""
    return "xlsx" if fmt == "xlsx" else f"csv:{sheet}"


def download_files(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, bytes]:
    """Every download of a version with these sheets, by ``download_name``: the workbook, and a CSV of
    each declared sheet (a header alone for a sheet the version lacks, as the download answers)."""
    files = {download_name("xlsx"): to_xlsx(sheets)}
    files.update({download_name("csv", name): to_csv(name, sheets.get(name, ())) for name in TABLES})
    return files


def _allowed(column: Column) -> str:
    if column.choices:
        return "one of: " + ", ".join(column.choices)
    bounds = []
    if column.type in ("number", "integer"):
        bounds.append(f"plausible: {column.range_text}")
    if column.type == "date":
        bounds.append("YYYY-MM-DD or a date cell, not in the future")
    if column.type == "gpu":
        bounds.append("a hardware id or alias of the catalog (estimator catalog hardware)")
    if column.type == "id":
        bounds.append("lower-case letters, digits and . _ - : / +")
    return ", ".join(bounds)


README_COLUMNS = ("table", "column", "type", "unit", "required", "allowed values", "description", "example")


def template_xlsx() -> bytes:
    """An empty workbook: one sheet per table (header row only) and a README sheet that documents
    every column (table, column, type, unit, required, allowed values, description, example)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for table in TABLES.values():
        sheet = _table_sheet(workbook, table, bold, date_format)
        for col, column in enumerate(table.columns):
            unit = f" Unit: {column.unit}." if column.unit else ""
            need = "Required." if column.required else "Optional."
            sheet.write_comment(0, col, f"{column.description}{unit} {need}"[:1000], {"x_scale": 2, "y_scale": 1.5})
            if column.choices:
                sheet.data_validation(
                    1,
                    col,
                    100_000,
                    col,
                    {
                        "validate": "list",
                        "source": list(column.choices),
                        "error_title": column.name,
                        "error_message": _allowed(column)[:255],
                    },
                )
    readme = workbook.add_worksheet(README_SHEET)
    for col, title in enumerate(README_COLUMNS):
        readme.write_string(0, col, title, bold)
    widths = (16, 36, 10, 16, 10, 40, 70, 28)
    for col, width in enumerate(widths):
        readme.set_column(col, col, width, wrap)
    r = 1
    for table in TABLES.values():
        for column in table.columns:
            readme.write_row(
                r,
                0,
                [
                    table.name,
                    column.name,
                    column.type,
                    column.unit,
                    "yes" if column.required else "no",
                    _allowed(column),
                    column.description,
                    column.example,
                ],
            )
            r += 1
    r += 1
    readme.write_string(r, 0, "Notes", bold)
    notes = [
        "Each sheet is one table; keep the sheet names. Row 1 holds the column names (case, spaces and a unit "
        "in brackets do not matter). Sheets you leave empty are ignored; the README sheet is never imported.",
        "Rows must be unique by: " + "; ".join(f"{t.name}: {', '.join(t.key)}" for t in TABLES.values()) + ".",
        "Numbers use a decimal point (2.5); thousands separators (1,234.5) are fine, a decimal comma is not.",
    ]
    for note in notes:
        r += 1
        readme.write_string(r, 0, note)
    readme.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
