"""Validate an uploaded pricing file against the tables of ``pricing.tables``; report every problem.

``parse_upload(data, file_name, catalog=...)`` reads the file (``pricing.read``), maps its sheets
to tables and its header cells to columns, converts every cell through the marshmallow row
schema generated from the table's declaration (``row_schema``), runs the table checks, and
returns ``{sheet name: [row, …]}`` with typed values, or raises ``ImportRejected`` carrying every
``Problem`` found: the sheet, the row as the user sees it (header = row 1), the column as written
in the file and its letter, the raw cell text, a stable code and a message that says what would work.

Forgiving where a spreadsheet user would expect it:
- Sheet names match tables ignoring case, spaces, dashes (``GPU prices`` → ``gpu_prices``). A sheet
  named ``README`` (the template's documentation sheet) and a sheet with no value at all are
  skipped. In a workbook with rows in some sheets, a known sheet holding only its header is
  skipped (the template has all five); a table must have rows somewhere.
- Header cells match columns ignoring case, spaces, dashes and a unit suffix:
  ``USD per GPU hour``, ``usd_per_gpu_hour ($)``, ``usd_per_gpu_hour [USD/GPU-hour]`` and
  ``Effective Date`` all match.
- A CSV holds one table, named by the ``table`` argument or by a ``table`` column (every row
  naming the same table; blank cells allowed). A workbook whose only sheet has another name
  (``Sheet1``) is read as the ``table`` argument's table.
- Numbers: ``2.5``, ``1e3``, numbers stored as text, a leading ``$`` on a USD column,
  thousands separators ``1,234.5`` (→ 1234.5: groups of exactly three digits after a non-zero
  leading group). A decimal comma (``2,5``, ``1.234,5``) is rejected with a message rather than
  guessed, and so is ``0,250`` (250 or 0.25?), with both readings.
- Dates: ``2025-03-01`` or a date cell; never after ``today``.
- Choices ignore case and accept spaces or dashes for underscores (``On-Demand`` → ``on_demand``).
- GPUs are catalog ids or aliases (``h100`` → ``h100-sxm``) resolved by ``Catalog.get_hardware``.
- Text is stripped; in key columns (provider, region, product, …) it is also NFKC-normalised
  (``Ａｃｍｅ`` → ``Acme``, ``ﬁ`` → ``fi``) with invisible characters removed (zero-width space and
  joiners, soft hyphen, byte-order mark), so that ``Ac\\u200bme`` is a duplicate of ``Acme``; line breaks become ``\\n``; one leading apostrophe before ``= + - @`` (how
  ``pricing.export.to_csv`` neutralises formulas) is removed, so an export imports unchanged.

Blank rows are skipped (they keep the row numbers of the rows below them true).

Problem codes (stable; the API and tests rely on them):

File and sheet:
- ``malformed_csv``      the CSV does not parse to its end (a quote that never closes).
- ``no_known_sheet``     no sheet of the workbook is named after a table.
- ``unknown_sheet``      a sheet (with values) whose name is no table.
- ``duplicate_sheet``    two sheets name the same table.
- ``no_table_name``      a CSV without the ``table`` argument or a ``table`` column.
- ``unknown_table``      the ``table`` argument or a ``table`` cell names no table.
- ``table_mismatch``     a ``table`` cell names another table than the rest of the file.
- ``empty_sheet``        a sheet (or CSV) without data rows.
- ``missing_column``     a required column is not in the header row.
- ``unknown_column``     a header cell that is no column of the table.
- ``duplicate_column``   two header cells name the same column.
- ``unnamed_column``     values in a column whose header cell is blank.
- ``too_many_problems``  reporting stopped at ``Limits.max_problems``.
Cell:
- ``required_blank``     a required cell is blank.
- ``not_a_number``       not a (finite) number.
- ``decimal_comma``      a number written with a decimal comma.
- ``ambiguous_number``   ``0,250``: a thousands separator or a decimal comma (both readings shown).
- ``out_of_range``       a number outside the column's bounds (zero or negative prices, …).
- ``not_an_integer``     a whole number was expected.
- ``bad_choice``         not one of the column's choices.
- ``unknown_gpu``        not a hardware id or alias of the catalog (with the closest ids).
- ``bad_id``             an id with characters other than a-z, 0-9 and ``. _ - : / +``.
- ``bad_text``           text with a control character (C0 but tab and line breaks, C1), a
                         bidirectional formatting character, a word of a key column mixing
                         look-alike scripts (Latin, Cyrillic, Greek), or longer than a cell holds.
- ``bad_date``           not a date (YYYY-MM-DD), or no calendar date.
- ``future_date``        a date after today.
Row:
- ``duplicate_key``      a row repeating the key columns of an earlier row (named in the message).
- ``duplicate_row``      an xlsx whose sheet XML gives one row number to two rows (``pricing.read``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from estimator.catalog import Catalog
from estimator.checks import plain_text
from estimator.errors import UnknownIdError
from pricing.errors import ImportRejected, Problem
from pricing.read import (
    BIDI_CHARACTER,
    CONTROL_CHARACTER,
    DEFAULT_LIMITS,
    Limits,
    RawRow,
    RawSheet,
    cell_text,
    column_letter,
    read_upload,
)
from pricing.tables import TABLES, Column, Table, number_text

__all__ = ["CellError", "parse_upload", "row_schema", "validate_sheets", "header_key", "sheet_key"]

# ------------------------------------------------------------------------------------------------
# Names


def sheet_key(name: str) -> str:
    """``GPU prices`` / ``gpu-prices`` / `` GPU_Prices `` → ``gpu_prices``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


_UNIT_SUFFIX = re.compile(r"\s*[(\[{][^()\[\]{}]*[)\]}]\s*$")


def header_key(text: str) -> str:
    """A header cell without case, spacing, dashes and a bracketed unit suffix."""
    return sheet_key(_UNIT_SUFFIX.sub("", text))


def _column_keys(table: Table) -> dict[str, Column]:
    keys: dict[str, Column] = {}
    for column in table.columns:
        keys[column.name] = column
        if column.unit:  # usd_per_gpu_hour USD/GPU-hour
            keys[sheet_key(f"{column.name} {column.unit}")] = column
    return keys


# ------------------------------------------------------------------------------------------------
# Fields: one marshmallow field per column type, raising coded errors


class CellError(ValidationError):
    """A cell that does not validate: ``code`` is one of the problem codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)  # kwargs survive marshmallow's validator chaining
        self.code = code

    @classmethod
    def of(cls, exc: ValidationError) -> CellError:
        if isinstance(exc, CellError):
            return exc
        messages = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
        return cls(str(exc.kwargs.get("code", "invalid")), "; ".join(str(m) for m in messages))


#: The most characters a spreadsheet cell holds (Excel's limit); longer text could not be exported.
MAX_TEXT = 32_767
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")
#: Invisible characters that would tell "Acme" from "Ac\u200bme": soft hyphen, Mongolian vowel
#: separator, zero-width space / non-joiner / joiner, word joiner, byte-order mark.
#: Scripts whose letters look alike ("A" Latin, "А" Cyrillic, "Α" Greek): one word mixing them is refused.
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
_WORD = re.compile(r"[^\W\d_]+")


def _clean_text(value: Any) -> str:
    text = value if type(value) is str else cell_text(value)
    text = text.strip()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("'"):
        text = _NEUTRALISED.sub("", text)
    return text


class _CellField(fields.Field):
    """A spreadsheet cell of one declared column; blank → ``blank`` or ``required_blank``."""

    blank: Any = None

    def __init__(self, column: Column, **kwargs: Any) -> None:
        metadata = {
            "description": column.description,
            "example": column.example,
            "unit": column.unit,
            "type": column.type,
        }
        super().__init__(required=column.required, allow_none=not column.required, metadata=metadata, **kwargs)
        self.column = column

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = _clean_text(value)
        if not text:
            if self.column.required:
                raise CellError(
                    "required_blank",
                    f"{self.column.name} is required: {self._what()} "
                    "(a cell with a formula error such as #N/A reads as blank).",
                )
            return self.blank
        return self.convert(text)

    def compiled(self) -> Callable[[Any], Any]:
        """``deserialize`` without marshmallow's per-call bookkeeping (missing values, ``None``,
        pre- and post-load hooks: a cell is always text): the same conversion and validators,
        for the hot loop over an upload's distinct cell texts."""
        convert = self._deserialize
        validators = tuple(self.validators)
        if not validators:
            return lambda raw: convert(raw, None, None)

        def run(raw: Any) -> Any:
            value = convert(raw, None, None)
            for check in validators:
                check(value)
            return value

        return run

    def _what(self) -> str:
        example = f", e.g. {self.column.example}" if self.column.example else ""
        return f"write {self._kind()}{example}"

    def _kind(self) -> str:
        return "a value"

    def convert(self, text: str) -> Any:
        return text


class TextCell(_CellField):
    """Free text. In a key column (``key``: providers, regions, products) it is compared and stored
    NFKC-normalised (full-width letters, ligatures and other compatibility forms become plain
    letters) with invisible characters removed, and a word may not mix look-alike scripts."""

    blank = ""

    def __init__(self, column: Column, *, key: bool = False, **kwargs: Any) -> None:
        super().__init__(column, **kwargs)
        self.key = key

    def convert(self, text: str) -> str:
        bad = CONTROL_CHARACTER.search(text)
        if bad:
            raise CellError("bad_text", f"Holds the control character U+{ord(bad.group()):04X}; remove it.")
        if not text.isascii():
            bidi = BIDI_CHARACTER.search(text)
            if bidi:
                raise CellError(
                    "bad_text", f"Holds the bidirectional formatting character U+{ord(bidi.group()):04X}; remove it."
                )
            if self.key:
                text = plain_text(text).strip()
                _check_scripts(text)
        if len(text) > MAX_TEXT:
            raise CellError(
                "bad_text",
                f"{len(text):,} characters is longer than a spreadsheet cell holds ({MAX_TEXT:,}); shorten it.",
            )
        return text


def _check_scripts(text: str) -> None:
    """Refuse a word mixing look-alike scripts ("Аcme" with a Cyrillic А)."""
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        # Letters only: a Greek numeral such as U+10140 (a letter-number, part of a word to ``_WORD``) is no
        # look-alike of a Latin letter, and the message speaks of letters.
        scripts = {unicodedata.name(ch, "?").split(" ", 1)[0] for ch in word
                   if unicodedata.category(ch).startswith("L")} & _CONFUSABLE_SCRIPTS
        if len(scripts) > 1:
            names = " and ".join(sorted(s.title() for s in scripts))
            raise CellError(
                "bad_text",
                f"'{word[:80]}' mixes {names} letters in one word (a look-alike letter?); write it in one script.",
            )


_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
#: A thousands separator groups exactly three digits after a non-zero leading group of one to three.
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
#: '0,250': 250 with a thousands separator, 0.25 with a decimal comma; neither is guessed.
_AMBIGUOUS = re.compile(r"[+-]?0+,\d{3}")
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:[.\s\u00a0\u202f]\d{3})+|\d+),\d*|[+-]?\d{1,3}(?:\.\d{3}){2,}")


def _plain(value: float) -> str:
    """A number as written, without grouping: ``1500``, ``2.99``, ``1e-320`` (the shorter of 15
    significant digits and the shortest round-trip text)."""
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = f"{value:.15g}"
    return text if len(text) <= len(repr(float(value))) else repr(float(value))


class NumberCell(_CellField):
    def _kind(self) -> str:
        return f"a number in {self.column.unit}" if self.column.unit else "a number"

    def convert(self, text: str) -> float:
        raw = text
        if text[0] == "$" and self.column.unit.startswith("USD"):
            text = text[1:].lstrip()
        if _PLAIN.fullmatch(text):
            value = float(text)
        elif _THOUSANDS.fullmatch(text):
            value = float(text.replace(",", ""))
        elif _AMBIGUOUS.fullmatch(text):
            thousands, decimal = _plain(float(text.replace(",", ""))), _plain(float(text.replace(",", ".")))
            raise CellError(
                "ambiguous_number",
                f"'{raw}' is ambiguous: {thousands} if ',' separates thousands, {decimal} if it is a decimal comma. "
                f"Write the number with a decimal point and no grouping: {thousands} or {decimal}.",
            )
        elif _DECIMAL_COMMA.fullmatch(text):
            if "," in text:
                whole, _, frac = text.rpartition(",")
                suggestion = re.sub(r"[.\s\u00a0\u202f]", "", whole) + ("." + frac if frac else "")
            else:
                suggestion = text.replace(".", "")
            raise CellError(
                "decimal_comma",
                f"'{raw}' looks like a decimal comma or '.' as thousands separator; "
                f"write numbers with a decimal point and no grouping, e.g. {suggestion}.",
            )
        else:
            raise CellError("not_a_number", f"Not a number: {self._what()}.")
        if not math.isfinite(value):
            raise CellError("not_a_number", f"Too large to be a number here: {self._what()}.")
        return value


class IntegerCell(NumberCell):
    def _kind(self) -> str:
        return f"a whole number of {self.column.unit}" if self.column.unit else "a whole number"

    def convert(self, text: str) -> int:  # type: ignore[override]
        value = super().convert(text)
        if not value.is_integer():
            raise CellError("not_an_integer", f"{_plain(value)} is not a whole number: {self._what()}.")
        return int(value)


class _Bounds(validate.Validator):
    """The declared bounds of a number column: above ``exclusive_minimum`` (zero prices), then
    within its plausible range, ``minimum`` to ``maximum``."""

    def __init__(self, column: Column) -> None:
        self.column = column

    def __call__(self, value: Any) -> Any:
        if value is None:
            return value
        c = self.column
        unit = f" {c.unit}" if c.unit else ""
        if c.exclusive_minimum is not None and value <= c.exclusive_minimum:
            what = "a price" if c.unit.startswith("USD") else c.name
            raise CellError(
                "out_of_range",
                f"{_plain(value)}{unit} is too small: {what} must be greater than {_plain(c.exclusive_minimum)}{unit}.",
            )
        plausible = f" (plausible: {c.range_text})"
        if c.minimum is not None and value < c.minimum:
            raise CellError(
                "out_of_range",
                f"{_plain(value)}{unit} is too small: {c.name} must be at least {number_text(c.minimum)}{unit}"
                f"{plausible}.",
            )
        if c.maximum is not None and value > c.maximum:
            raise CellError(
                "out_of_range",
                f"{_plain(value)}{unit} is too large: {c.name} must be at most {number_text(c.maximum)}{unit}"
                f"{plausible}.",
            )
        return value


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")


class DateCell(_CellField):
    def __init__(self, column: Column, *, today: dt.date, **kwargs: Any) -> None:
        super().__init__(column, **kwargs)
        self.today = today

    def _kind(self) -> str:
        return "a date as YYYY-MM-DD (or a date cell)"

    def convert(self, text: str) -> str:
        found = _ISO_DATE.fullmatch(text)
        if not found:
            hint = ""
            if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
                hint = " It looks like a spreadsheet date serial number: format the cell as a date."
            elif re.fullmatch(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}", text):
                hint = " Day and month order differ between countries, so it is not guessed."
            raise CellError("bad_date", f"Not a date: {self._what()}.{hint}")
        try:
            day = dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        except ValueError:
            raise CellError("bad_date", f"No such day in the calendar: {self._what()}.") from None
        if day > self.today:
            raise CellError(
                "future_date",
                f"{day.isoformat()} is in the future (today is {self.today.isoformat()}): "
                "use the date the price applies from or was read.",
            )
        return day.isoformat()


def _normal_choice(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


class ChoiceCell(_CellField):
    def _kind(self) -> str:
        return "one of " + ", ".join(self.column.choices)

    def convert(self, text: str) -> str:
        value = _normal_choice(text)
        if value not in self.column.choices:
            closest = difflib.get_close_matches(value, self.column.choices, n=1, cutoff=0.6)
            hint = f" Did you mean {closest[0]}?" if closest else ""
            raise CellError("bad_choice", f"Not one of the choices: {self._what()}.{hint}")
        return value


class GpuCell(_CellField):
    def __init__(self, column: Column, *, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(column, **kwargs)
        self.catalog = catalog

    def _kind(self) -> str:
        return "a hardware id of the catalog"

    def convert(self, text: str) -> str:
        try:
            return self.catalog.get_hardware(text).id
        except UnknownIdError as exc:
            raise CellError("unknown_gpu", exc.message) from None


_ID = re.compile(r"[a-z0-9][a-z0-9._:/+\-]{0,99}")


class IdCell(_CellField):
    def _kind(self) -> str:
        return "an id of lower-case letters, digits and . _ - : / +"

    def convert(self, text: str) -> str:
        value = text.lower()
        if not _ID.fullmatch(value):
            raise CellError("bad_id", f"Not an id: {self._what()} (at most 100 characters, no spaces).")
        return value


def _field(column: Column, *, catalog: Catalog, today: dt.date, key: bool = False) -> _CellField:
    if column.type == "text":
        return TextCell(column, key=key)
    if column.type == "number":
        return NumberCell(column, validate=_Bounds(column))
    if column.type == "integer":
        return IntegerCell(column, validate=_Bounds(column))
    if column.type == "date":
        return DateCell(column, today=today)
    if column.type == "choice":
        return ChoiceCell(column)
    if column.type == "gpu":
        return GpuCell(column, catalog=catalog)
    if column.type == "id":
        return IdCell(column)
    raise ValueError(f"no field for column type {column.type!r}")  # tables.py rejects unknown types


def row_schema(table: Table, *, catalog: Catalog, today: dt.date | None = None) -> type[Schema]:
    """A marshmallow schema for one row of ``table`` (values as cell text, or numbers), generated
    from its declaration: ``GpuPricesRowSchema().load({...})`` returns the typed row."""
    today = today or dt.date.today()
    declared = {c.name: _field(c, catalog=catalog, today=today, key=c.name in table.key) for c in table.columns}
    name = "".join(part.title() for part in table.name.split("_")) + "RowSchema"
    return Schema.from_dict(declared, name=name)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# Sheets and tables


@dataclass
class _Report:
    sheet_label: str | None
    limit: int
    problems: list[Problem] = field(default_factory=list)
    full: bool = False

    def add(
        self,
        code: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        index: int | None = None,
        value: str | None = None,
        sheet: str | None = None,
    ) -> None:
        if len(self.problems) >= self.limit:
            self.full = True
            return
        self.problems.append(
            Problem(
                code,
                message,
                sheet=sheet if sheet is not None else self.sheet_label,
                row=row,
                column=column,
                column_letter=column_letter(index) if index is not None else None,
                value=value,
            )
        )


def _is_blank(cells: Sequence[str]) -> bool:
    for c in cells:
        if c and not c.isspace():
            return False
    return True


def _data_rows(sheet: RawSheet) -> list[RawRow]:
    return [r for r in sheet.rows if not _is_blank(r.cells)]


def _columns_listing(table: Table) -> str:
    return ", ".join(table.column_names)


def _validate_sheet(
    sheet: RawSheet, table: Table, rows: list[RawRow], schema: Schema, report: _Report, *, skip: int | None = None
) -> list[dict[str, Any]]:
    """Header mapping, cell conversion and the duplicate-key check of one sheet; ``skip`` is the
    index of a CSV's ``table`` column. Returns one dict per row (a bad cell is None) and adds the
    problems to ``report`` ordered by row, then column."""
    mapped = _map_header(sheet.header, table, rows, report, skip=skip)
    converted, bad_rows, cell_problems = _convert_columns(table, rows, mapped, schema, report)
    names = table.column_names
    result_rows = [dict(zip(names, values, strict=True)) for values in zip(*(converted[n] for n in names), strict=True)]
    # A missing key column is reported above; without it every row would look like a duplicate.
    if all(not table.column(name).required or name in mapped for name in table.key):
        cell_problems += _duplicate_keys(table, rows, converted, bad_rows, report)
    cell_problems.sort(key=lambda p: (p[0], p[1]))
    for _, _, problem in cell_problems:
        if len(report.problems) >= report.limit:
            report.full = True
            break
        report.problems.append(problem)
    return result_rows


def _map_header(
    header: Sequence[str], table: Table, rows: list[RawRow], report: _Report, *, skip: int | None
) -> dict[str, tuple[int, str]]:
    """Column name → (index, header as written) for each recognised header cell; unnamed,
    unknown, repeated and missing required columns are reported."""
    known = _column_keys(table)
    mapped: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(header):
        written = cell.strip()
        if index == skip:
            continue
        if not written:
            first = next((r for r in rows if index < len(r.cells) and r.cells[index].strip()), None)
            if first is not None:
                report.add(
                    "unnamed_column",
                    f"Column {column_letter(index)} holds values but no header: write the "
                    f"column name in row 1 (one of {_columns_listing(table)}) or delete the column.",
                    row=first.number,
                    column=None,
                    index=index,
                    value=first.cells[index],
                )
            continue
        column = known.get(header_key(written))
        if column is None:
            closest = difflib.get_close_matches(header_key(written), table.column_names, n=1, cutoff=0.6)
            hint = f"Did you mean {closest[0]}? " if closest else ""
            report.add(
                "unknown_column",
                f"'{written[:80]}' is no column of {table.name}. {hint}The columns are: "
                f"{_columns_listing(table)}. Rename or delete it.",
                row=1,
                column=written,
                index=index,
                value=cell,
            )
            continue
        if column.name in mapped:
            earlier = mapped[column.name]
            report.add(
                "duplicate_column",
                f"'{written[:80]}' names {column.name} again (already column "
                f"{column_letter(earlier[0])}, '{earlier[1][:80]}'): keep one of them.",
                row=1,
                column=written,
                index=index,
                value=cell,
            )
            continue
        mapped[column.name] = (index, written)
    for column in table.columns:
        if column.required and column.name not in mapped:
            unit = f" ({column.unit})" if column.unit else ""
            report.add(
                "missing_column",
                f"The required column {column.name}{unit} is missing: add it to row 1 ({column.description.rstrip('.')}).",
                row=1,
                column=column.name,
                value=None,
            )
    return mapped


_Placed = tuple[int, int, Problem]  # (row number, column index, problem): the report's order


def _convert_columns(
    table: Table, rows: list[RawRow], mapped: dict[str, tuple[int, str]], schema: Schema, report: _Report
) -> tuple[dict[str, list[Any]], set[int], list[_Placed]]:
    """Each column's converted values (a bad cell becomes None, an absent column its blank), the
    positions of rows with a bad key cell, and the cell problems (at most ``report.limit`` per
    column: the report keeps the first ones by row anyway)."""
    count = len(rows)
    columns = list(zip(*(r.cells for r in rows), strict=True)) if rows else []
    converted: dict[str, list[Any]] = {}
    bad_rows: set[int] = set()
    cell_problems: list[_Placed] = []
    for column in table.columns:
        where = mapped.get(column.name)
        if where is None:
            blank = schema.fields[column.name].blank  # type: ignore[attr-defined]
            converted[column.name] = [blank] * count
            continue
        index, written = where
        cells = columns[index]
        # Each distinct cell text goes through the marshmallow field once (most columns repeat
        # their values: providers, GPUs, dates); every cell then costs one dict look-up.
        deserialize = schema.fields[column.name].compiled()  # type: ignore[attr-defined]
        memo: dict[str, Any] = {}
        failed = False
        for raw in set(cells):
            try:
                memo[raw] = deserialize(raw)
            except ValidationError as exc:
                memo[raw] = CellError.of(exc)
                failed = True
        values = [memo[raw] for raw in cells]
        if failed:
            letter = column_letter(index)
            room = report.limit
            for position, value in enumerate(values):
                if type(value) is not CellError:
                    continue
                values[position] = None
                if column.name in table.key:
                    bad_rows.add(position)
                if room <= 0:
                    report.full = True
                    continue
                room -= 1
                number = rows[position].number
                problem = Problem(
                    value.code,
                    str(value.messages[0]),
                    sheet=report.sheet_label,
                    row=number,
                    column=written,
                    column_letter=letter,
                    value=cells[position],
                )
                cell_problems.append((number, index, problem))
        converted[column.name] = values
    return converted, bad_rows, cell_problems


def _duplicate_keys(
    table: Table, rows: list[RawRow], converted: dict[str, list[Any]], bad_rows: set[int], report: _Report
) -> list[_Placed]:
    """A problem for each row whose key repeats an earlier row's (text keys compared without
    case; rows with a bad key cell are left to their cell problem)."""
    seen: dict[tuple[Any, ...], int] = {}
    folded_columns = []
    for name in table.key:
        values = converted[name]
        if table.column(name).type in ("text", "id"):  # providers, regions, products: case does not tell apart
            values = [v.casefold() if v else v for v in values]
        folded_columns.append(values)
    problems: list[_Placed] = []
    room = report.limit
    for position, folded in enumerate(zip(*folded_columns, strict=True)):
        first_position = seen.setdefault(folded, position)
        if first_position == position or position in bad_rows or first_position in bad_rows:
            continue
        if room <= 0:
            report.full = True
            continue
        room -= 1
        key = [converted[k][position] for k in table.key]
        first_row = rows[first_position].number
        shown = ", ".join(
            f"{k}={v!s}" if v not in ("", None) else f"{k} blank" for k, v in zip(table.key, key, strict=True)
        )
        number = rows[position].number
        problems.append(
            (
                number,
                10**6,  # after the row's cell problems
                Problem(
                    "duplicate_key",
                    f"Row {number} repeats row {first_row}: the same {shown}. Keep one of them, "
                    "or tell them apart by a key column.",
                    sheet=report.sheet_label,
                    row=number,
                ),
            )
        )
    return problems


def validate_sheets(
    sheets: Sequence[RawSheet],
    *,
    kind: str,
    catalog: Catalog,
    table: str | None = None,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
    file_name: str = "",
) -> dict[str, list[dict[str, Any]]]:
    """Validate raw sheets (from ``pricing.read``); see ``parse_upload``."""
    today = today or dt.date.today()
    report = _Report(None, limits.max_problems)
    result: dict[str, list[dict[str, Any]]] = {}
    schemas: dict[str, Schema] = {}

    def schema_for(t: Table) -> Schema:
        if t.name not in schemas:
            schemas[t.name] = row_schema(t, catalog=catalog, today=today)()
        return schemas[t.name]

    given: Table | None = None
    if table is not None:
        given = TABLES.get(sheet_key(table))
        if given is None:
            report.add(
                "unknown_table",
                f"'{table[:80]}' is no pricing sheet; the sheets are: {', '.join(TABLES)}.",
                value=table,
            )
            raise ImportRejected(report.problems, file_name=file_name)

    if kind == "csv":
        _validate_csv(sheets[0], given, report, schema_for, result, file_name)
    else:
        _validate_workbook(sheets, given, report, schema_for, result)
    if report.full:
        report.problems.append(
            Problem(
                "too_many_problems",
                f"Stopped after {limits.max_problems:,} problems: fix these and upload again to see the rest.",
            )
        )
    if report.problems:
        raise ImportRejected(report.problems, file_name=file_name)
    return result


def _validate_csv(
    sheet: RawSheet,
    given: Table | None,
    report: _Report,
    schema_for: Callable[[Table], Schema],
    result: dict[str, list[dict[str, Any]]],
    file_name: str,
) -> None:
    rows = _data_rows(sheet)
    column = next((i for i, h in enumerate(sheet.header) if header_key(h) == "table"), None)
    table = given
    if column is not None:
        names: dict[str, int] = {}
        for row in rows:
            value = row.cells[column].strip()
            if value:
                names.setdefault(sheet_key(value), row.number)
        if table is None and names:
            first = min(names, key=names.__getitem__)
            table = TABLES.get(first)
            if table is None:
                row = next(r for r in rows if sheet_key(r.cells[column]) == first)
                report.add(
                    "unknown_table",
                    f"'{row.cells[column].strip()[:80]}' is no pricing sheet; write one of {', '.join(TABLES)}.",
                    row=row.number,
                    column=sheet.header[column].strip(),
                    index=column,
                    value=row.cells[column],
                )
                return
        if table is not None:
            for row in rows:
                value = row.cells[column].strip()
                if value and sheet_key(value) != table.name:
                    report.add(
                        "table_mismatch",
                        f"A CSV holds one table: this file is read as {table.name}, but this "
                        f"row names '{value[:80]}'. Put each table in its own file (or its own sheet of a "
                        "workbook).",
                        sheet=table.name,
                        row=row.number,
                        column=sheet.header[column].strip(),
                        index=column,
                        value=row.cells[column],
                    )
    if table is None:
        stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        hint = f" (for this file probably {sheet_key(stem)})" if sheet_key(stem) in TABLES else ""
        report.add(
            "no_table_name",
            "A CSV file holds one table, and nothing says which: name it with the upload's "
            f"table argument{hint}, or add a column 'table' holding one of {', '.join(TABLES)}.",
        )
        return
    report.sheet_label = table.name
    if not rows:
        report.add(
            "empty_sheet",
            f"The file has no data rows: write the {table.name} rows below the header ({_columns_listing(table)}).",
        )
        return
    result[table.name] = _validate_sheet(sheet, table, rows, schema_for(table), report, skip=column)


def _validate_workbook(
    sheets: Sequence[RawSheet],
    given: Table | None,
    report: _Report,
    schema_for: Callable[[Table], Schema],
    result: dict[str, list[dict[str, Any]]],
) -> None:
    known: list[tuple[RawSheet, Table]] = []
    unknown: list[RawSheet] = []
    taken: dict[str, str] = {}
    for sheet in sheets:
        key = sheet_key(sheet.name)
        if key == "readme":
            continue
        table = TABLES.get(key)
        if table is None:
            if not _is_blank(sheet.header) or _data_rows(sheet):  # skip Excel's empty default Sheet2
                unknown.append(sheet)
            continue
        if table.name in taken:
            report.add(
                "duplicate_sheet",
                f"Sheets '{taken[table.name][:80]}' and '{sheet.name[:80]}' both name "
                f"{table.name}: merge them into one sheet.",
                sheet=sheet.name,
            )
            continue
        taken[table.name] = sheet.name
        known.append((sheet, table))
    if not known and given is not None and len(unknown) == 1:
        known, unknown = [(unknown[0], given)], []
    for sheet in unknown:
        report.add(
            "unknown_sheet",
            f"Sheet '{sheet.name[:80]}' is no pricing table: rename it to one of {', '.join(TABLES)}, or delete it.",
            sheet=sheet.name,
        )
    if not known:
        found = ", ".join(f"'{s.name[:80]}'" for s in sheets) or "none"
        report.add(
            "no_known_sheet",
            f"No sheet is named after a pricing table (sheets found: {found}). Name each "
            f"sheet after its table: {', '.join(TABLES)}.",
        )
        return
    filled = [(sheet, table, _data_rows(sheet)) for sheet, table in known]
    any_rows = any(rows for _, _, rows in filled)
    for sheet, table, rows in filled:
        report.sheet_label = sheet.name
        if not rows:
            if not any_rows:
                report.add(
                    "empty_sheet",
                    f"Sheet '{sheet.name[:80]}' has no data rows: write the {table.name} rows below the header.",
                )
            continue
        result[table.name] = _validate_sheet(sheet, table, rows, schema_for(table), report)
    report.sheet_label = None


def parse_upload(
    data: bytes,
    file_name: str,
    *,
    catalog: Catalog,
    table: str | None = None,
    today: dt.date | None = None,
    limits: Limits = DEFAULT_LIMITS,
    media_type: str = "",
) -> dict[str, list[dict[str, Any]]]:
    """Read and validate an uploaded pricing file (``media_type``: the upload's declared Content-Type,
    ``pricing.read.detect_kind``).

    Returns ``{table name: rows}``, each row a dict of every column of the table with typed values:
    text → str ('' when a blank optional), number → float or None, integer → int or None,
    date → ISO string, choice → lower-case str, gpu → canonical catalog id, id → lower-case str.
    Raises ``ImportRejected`` (every problem), ``UnsupportedFile`` or ``FileTooLarge``.
    """
    raw = read_upload(data, file_name, limits=limits, media_type=media_type)
    return validate_sheets(
        raw.sheets, kind=raw.kind, catalog=catalog, table=table, today=today, limits=limits, file_name=file_name
    )
