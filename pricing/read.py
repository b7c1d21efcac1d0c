"""Read an uploaded pricing file (xlsx, ods or csv) into raw sheets of cell text.

``read_upload(data, file_name)`` returns a ``RawFile``: its kind and, for each sheet, the sheet's
name, its header cells (row 1) and its data rows, each with the row number the user sees in a
spreadsheet program (the header is row 1; a blank line or row keeps its number). Every cell is
text, the way a spreadsheet user would type it: a date cell reads ``2025-03-01``, the number 2.5
reads ``2.5`` and 8.0 reads ``8``; a formula reads as its last computed value, and a formula
error (``#N/A``) as blank. Nothing is validated here (``pricing.validate`` does that).

Engines: xlsx and ods go through ``pandas.read_excel(engine="calamine")``; an xlsx that calamine
cannot read is tried once more with ``engine="openpyxl"``. CSV is decoded as UTF-8 (with or
without a byte-order mark) and read with ``pandas.read_csv(dtype=str, keep_default_na=False,
skip_blank_lines=False)`` so that a blank line keeps the row numbers true; its delimiter is the
comma, or the semicolon or tab when the header line has no comma (European spreadsheet exports).

Safety (see ``Limits``), checked before any spreadsheet engine sees the file:
- the upload's size;
- for a zip container (xlsx, ods): the number of entries, the total unpacked size and the
  compression ratio, counted by inflating every entry ourselves (declared sizes can lie), and
  the last row and column that hold a value in every sheet, found by scanning the sheet XML,
  with the cells of all sheets together (rows x columns from A1 to the last value), and the cell
  text those sheets expand to: every reference to an xlsx shared string, every repeat of an ods
  cell, counted with the bytes of the XML inside the string or cell (an upper bound of its text).
  Calamine allocates one cell for every position between A1 and the last cell that holds a
  value, whatever the ``<dimension>`` tag says: a 1.6 KB xlsx with values in A1 and XFD1048576
  makes it ask for 512 GiB and abort the process, and an ods row repeated 100,000 times over
  1,000 columns does the same. So the caps are enforced on the XML, before calamine reads it.
- for CSV: rows and columns are counted while reading and capped the same way.

Errors: ``FileTooLarge`` (413) for anything over a size, row or column cap; ``UnsupportedFile``
(415) for an unknown or mismatched extension or content, an encoding other than UTF-8, a
corrupt or suspicious zip (ratio, lying sizes, encryption, odd compression); ``ImportRejected``
(422) with code ``malformed_csv`` for a CSV that does not parse to its end (a quote that never
closes: a truncated upload must never import as a shorter table).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import math
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, NamedTuple

from pricing.errors import FileTooLarge, ImportRejected, PricingTableError, Problem, UnsupportedFile

ACCEPTED = ".xlsx (Excel), .ods (LibreOffice / OpenDocument) or .csv (UTF-8)"
#: The media types of the accepted kinds, as a multipart part's Content-Type names them (the API
#: document's ``encoding``): the kind of a file whose name has none of the accepted extensions.
MEDIA_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "text/csv": "csv",
}
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

MiB = 1024 * 1024

#: Characters no text cell, file name or request string may hold: C0 controls other than tab, line
#: feed and carriage return, DEL, C1 controls (ESC and CSI colour a terminal, NUL cuts C strings),
#: and the bidirectional formatting characters (embeddings, overrides, isolates and marks), which
#: show text in another order than it is stored.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BIDI_CHARACTER = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
UNSAFE_CHARACTER = re.compile(f"{CONTROL_CHARACTER.pattern[:-1]}{BIDI_CHARACTER.pattern[1:]}")


@dataclass(frozen=True)
class Limits:
    """Caps on what an upload may hold. The defaults suit a pricing table by a wide margin."""

    #: Size of the uploaded file itself (the HTTP layer enforces its own limit too).
    max_file_bytes: int = 16 * MiB
    #: Data rows per sheet (the header row is not counted).
    max_rows: int = 200_000
    #: Columns per sheet.
    max_columns: int = 100
    #: Cells of all sheets together (rows x columns from A1 to the last value): a reader holds them
    #: all in memory, about 250 bytes each on the way to validated rows.
    max_cells: int = 2_000_000  # ~250 B per cell while reading: ~0.5 GB and a few seconds at the cap
    #: Sheets per workbook.
    max_sheets: int = 50
    #: Entries in a zip container (xlsx, ods).
    max_zip_entries: int = 2_000
    #: Total size of a zip container's entries once inflated.
    max_unpacked_bytes: int = 200 * MiB
    #: Inflated size / packed size over the whole container, checked once it inflates past 1 MiB.
    #: Spreadsheet XML packs about 5-30 times; a zip bomb hundreds or thousands of times.
    max_compression_ratio: float = 200.0
    #: Problems reported for one file; past it the report ends with ``too_many_problems``.
    max_problems: int = 10_000
    #: Bytes of cell text the engine would materialise from a zip container's *repeated* text: an
    #: xlsx shared string once per cell that references it, an ods cell's text times its repeated
    #: columns and rows (and ``<text:s text:c="N"/>`` as N spaces). A 49 KB ods repeating a 100 KB
    #: text over 9,000 cells took a worker to 2.75 GiB. Text written out in the XML is bounded by
    #: ``max_unpacked_bytes``. 64 MiB is 200,000 rows of 300 characters.
    max_text_bytes: int = 64 * MiB


DEFAULT_LIMITS = Limits()


class RawRow(NamedTuple):
    number: int
    """The row number the user sees (the header is row 1)."""
    cells: tuple[str, ...]
    """Cell text, one per column of the sheet (padded with '' to the sheet's width)."""


@dataclass(frozen=True)
class RawSheet:
    name: str
    """The sheet's name in the workbook; '' for a CSV file."""
    header: list[str]
    """Row 1, padded with '' to the sheet's width."""
    rows: list[RawRow]
    """Rows 2 … n, blank rows included (they keep their numbers)."""


@dataclass(frozen=True)
class RawFile:
    kind: str
    """'xlsx', 'ods' or 'csv'."""
    sheets: list[RawSheet]


def read_upload(data: bytes, file_name: str, *, limits: Limits = DEFAULT_LIMITS, media_type: str = "") -> RawFile:
    """Read an uploaded file into raw sheets of text; raise UnsupportedFile / FileTooLarge (and
    PricingTableError for a file name holding a control or bidirectional formatting character).
    ``media_type``: the Content-Type the upload declared for the file (see ``detect_kind``)."""
    check_file_name(file_name)
    if len(data) > limits.max_file_bytes:
        raise FileTooLarge(
            f"'{_shown(file_name)}' is {len(data):,} bytes; the limit is {limits.max_file_bytes:,} bytes. "
            "Split the table into several files or remove rows.",
            field="file",
            limit=limits.max_file_bytes,
        )
    kind = detect_kind(data, file_name, media_type)
    if kind == "csv":
        return RawFile("csv", [read_csv(data, file_name, limits)])
    check_zip(data, kind, file_name, limits)
    return RawFile(kind, read_workbook(data, kind, file_name, limits))


# --- What kind of file -------------------------------------------------------------------------


def unsafe_character_text(character: str) -> str:
    """``the control character U+001B`` / ``the bidirectional formatting character U+202E``."""
    kind = "bidirectional formatting" if BIDI_CHARACTER.match(character) else "control"
    return f"the {kind} character U+{ord(character):04X}"


def check_file_name(file_name: str) -> None:
    """Refuse a file name holding an ``UNSAFE_CHARACTER`` (it is stored and shown on pages)."""
    bad = UNSAFE_CHARACTER.search(file_name)
    if bad:
        raise PricingTableError(
            f"The file name holds the character U+{ord(bad.group()):04X} (a control or bidirectional formatting "
            "character); rename the file and upload it again.",
            field="file",
        )


def _shown(file_name: str) -> str:
    return file_name if len(file_name) <= 80 else file_name[:77] + "..."


def _content_kind(data: bytes) -> str:
    """'xlsx', 'ods', 'zip' (another zip), 'xls', 'utf16', 'binary' or 'text'."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE:
                    return "ods"
                if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                    return "xlsx"
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError):
            return "damaged"
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf16"
    if b"\x00" in data[:8192]:
        return "binary"
    return "text"


def named_kind(file_name: str, media_type: str = "") -> str | None:
    """The kind a file claims to be: by its name's extension, else by the part's declared Content-Type
    (``media_type``, one of ``MEDIA_TYPES``); None when neither names an accepted kind."""
    by_extension = {".xlsx": "xlsx", ".ods": "ods", ".csv": "csv"}.get(PurePath(file_name).suffix.lower())
    return by_extension or MEDIA_TYPES.get(media_type.split(";")[0].strip().lower())


def detect_kind(data: bytes, file_name: str, media_type: str = "") -> str:
    """The file's kind by extension *and* content; anything else is an UnsupportedFile.

    A name without one of the accepted extensions (``file``, ``upload.zip``: what an HTTP client
    names a part it was given as bytes) takes its kind from ``media_type``, the part's declared
    Content-Type, when that is one of ``MEDIA_TYPES``. The content must match either way."""
    name = _shown(file_name)
    extension = PurePath(file_name).suffix.lower()
    content = _content_kind(data)
    by_extension = named_kind(file_name, media_type)
    named = f"named {extension}" if named_kind(file_name) else f"sent as {media_type.split(';')[0].strip()}"
    if by_extension is None:
        hint = " (an old Excel .xls: save it as .xlsx)" if content == "xls" else ""
        raise UnsupportedFile(
            f"'{name}' has the extension '{extension or '(none)'}'{hint}. Accepted: {ACCEPTED}"
            f"{'' if extension else ', or a file part sent with one of their media types'}.",
            field="file",
            accepted=["xlsx", "ods", "csv"],
        )
    if content == "damaged":
        raise UnsupportedFile(
            f"'{name}' is a damaged or incomplete zip container (an xlsx or ods file cut short?); save it again "
            "and upload the whole file.",
            field="file",
            accepted=["xlsx", "ods", "csv"],
        )
    found = {
        "xlsx": "an Excel workbook (xlsx)",
        "ods": "an OpenDocument spreadsheet (ods)",
        "zip": "a zip archive that is no spreadsheet",
        "xls": "an old Excel .xls workbook",
        "utf16": "UTF-16 text",
        "binary": "binary data",
        "text": "text",
    }[content]
    if content == "utf16" and by_extension == "csv":
        raise UnsupportedFile(
            f"'{name}' is encoded as UTF-16; only UTF-8 is read. In Excel use 'Save As' > 'CSV UTF-8 "
            "(Comma delimited)'; in LibreOffice choose the character set 'Unicode (UTF-8)'.",
            field="file",
            accepted=["xlsx", "ods", "csv"],
        )
    expected = "text" if by_extension == "csv" else by_extension
    if content != expected:
        raise UnsupportedFile(
            f"'{name}' is {named} but holds {found}. Accepted: {ACCEPTED}; "
            f"the {'extension' if named_kind(file_name) else 'media type'} must match the content (save the file "
            "again in one of these formats).",
            field="file",
            accepted=["xlsx", "ods", "csv"],
        )
    return by_extension


# --- Zip containers: sizes, ratio, and the extent of every sheet --------------------------------


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: int, file_name: str) -> Iterator[bytes]:
    """Yield an entry's inflated bytes in chunks, never more than ``budget`` bytes in all (and
    never more than the entry says it holds), without trusting the sizes it declares."""
    if info.flag_bits & 0x1:
        raise UnsupportedFile(
            f"'{_shown(file_name)}' is encrypted (password-protected); save it without a password.", field="file"
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnsupportedFile(
            f"'{_shown(file_name)}' uses an unusual zip compression ({info.compress_type}); "
            "save it again from a spreadsheet program.",
            field="file",
        )
    start = info.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise UnsupportedFile(f"'{_shown(file_name)}' is a damaged zip container; save it again.", field="file")
    fields = _LOCAL_HEADER.unpack(header)
    offset = start + _LOCAL_HEADER.size + fields[-2] + fields[-1]
    packed = data[offset : offset + info.compress_size]
    limit = min(budget, info.file_size) + 1
    if info.compress_type == zipfile.ZIP_STORED:
        if len(packed) > limit - 1:
            raise _too_big_unpacked(file_name, budget, info, lying=info.file_size < len(packed))
        yield packed
        return
    inflater = zlib.decompressobj(-15)
    produced = 0
    step = 1 << 20
    try:
        for pos in range(0, len(packed), step):
            chunk = packed[pos : pos + step]
            while chunk:
                out = inflater.decompress(chunk, step)
                chunk = inflater.unconsumed_tail
                produced += len(out)
                if produced >= limit:
                    raise _too_big_unpacked(file_name, budget, info, lying=produced > info.file_size)
                if out:
                    yield out
        out = inflater.flush()
    except zlib.error:
        raise UnsupportedFile(
            f"'{_shown(file_name)}' is a damaged zip container; save it again.", field="file"
        ) from None
    produced += len(out)
    if produced >= limit:
        raise _too_big_unpacked(file_name, budget, info, lying=produced > info.file_size)
    if out:
        yield out


def _too_big_unpacked(file_name: str, budget: int, info: zipfile.ZipInfo, *, lying: bool) -> Exception:
    if lying:
        return UnsupportedFile(
            f"'{_shown(file_name)}' is a suspicious zip container: its part '{info.filename[:80]}' inflates past "
            "the size it declares. Save the file again from a spreadsheet program.",
            field="file",
        )
    return FileTooLarge(
        f"'{_shown(file_name)}' unpacks to more than {budget // MiB:,} MiB (the limit); "
        "split the table into several files or remove rows.",
        field="file",
    )


class _Extent:
    """The last row and column that hold a value, per sheet, scanned from the sheet XML."""

    def __init__(self, file_name: str, limits: Limits) -> None:
        self.file_name = file_name
        self.max_row = limits.max_rows + 1  # the header is row 1
        self.max_column = limits.max_columns
        self.max_cells = limits.max_cells
        self.extents: dict[tuple[str, str | None], list[int]] = {}
        self.max_text = limits.max_text_bytes
        self.text = 0
        #: xlsx: references to shared strings by index (as written), and each part's string lengths.
        self.references: Counter[bytes] = Counter()
        self.shared_lengths: list[list[int]] = []

    def check(self, part: str, row: int, column: int, sheet: str | None = None) -> None:
        if row > 0 and column > 0:
            extent = self.extents.setdefault((part, sheet), [0, 0])
            extent[0] = max(extent[0], row)
            extent[1] = max(extent[1], column)
        where = f"sheet '{sheet[:80]}'" if sheet else f"a sheet ({part[:80]})"
        if row > self.max_row:
            raise FileTooLarge(
                f"'{_shown(self.file_name)}': {where} holds a value in row {row:,}; at most {self.max_row:,} rows "
                f"are read (the header and {self.max_row - 1:,} data rows). Delete the rows below the table "
                "(select them, then 'Delete rows') or split the table.",
                field="file",
                limit=self.max_row - 1,
            )
        if column > self.max_column:
            raise FileTooLarge(
                f"'{_shown(self.file_name)}': {where} holds a value in column {column_letter(column - 1)} "
                f"(column {column:,}); at most {self.max_column} columns are read. Delete the columns to the right "
                "of the table.",
                field="file",
                limit=self.max_column,
            )

    def add_text(self, size: int) -> None:
        """Count ``size`` more bytes of cell text; 413 past ``max_text_bytes``."""
        self.text += size
        if self.text > self.max_text:
            raise FileTooLarge(
                f"'{_shown(self.file_name)}' expands to more than {self.max_text:,} bytes of cell text once its "
                f"repeated cells and shared strings are expanded (the limit, {self.max_text / MiB:g} MiB). A pricing "
                "table holds far less: remove the long text repeated over many cells.",
                field="file",
                limit=self.max_text,
            )

    def add_shared_text(self) -> None:
        """Add the text of every shared-string reference (each index at its longest in any part
        holding ``<si>`` strings: the workbook's relationships name the one the engine reads)."""
        longest: list[int] = []
        for lengths in self.shared_lengths:
            if len(lengths) > len(longest):
                longest.extend([0] * (len(lengths) - len(longest)))
            longest[: len(lengths)] = map(max, longest[: len(lengths)], lengths)
        count = len(longest)
        total = 0
        for index, references in self.references.items():
            position = int(index)
            if position < count:
                total += longest[position] * references
        self.add_text(total)

    def check_cells(self) -> None:
        """The cells a reader allocates: every sheet's rectangle from A1 to its last value."""
        cells = sum(rows * columns for rows, columns in self.extents.values())
        if cells > self.max_cells:
            raise FileTooLarge(
                f"'{_shown(self.file_name)}' spans {cells:,} cells (rows x columns of its sheets, counted from A1 to "
                f"the last value); at most {self.max_cells:,} are read. Delete stray values far below or right of the "
                "tables, or split the file.",
                field="file",
                limit=self.max_cells,
            )


# One pass over the tags: (tag, column letters, row digits, '/' when self-closing). The r attribute
# is optional (cells and rows without it follow the previous one).
_XLSX_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])"
    rb"""(?:[^>]*?\sr\s*=\s*["']\$?([A-Za-z]{0,7})\$?([0-9]{0,12})["'])?[^>]*?(/?)>"""
)


class _ChunkedXml:
    """A scanner fed a part's XML in chunks: each feed reads up to the last complete tag (with
    ``cells``, up to the start of the last cell, so that a cell and its value are read in one
    piece) and keeps the rest for the next chunk. ``offset`` is where the buffer starts in the
    part, so that text spanning chunks is measured by positions."""

    part: str
    extent: _Extent
    carry: bytes
    offset: int = 0
    cells: bool = False

    def _complete_tags(self, chunk: bytes, final: bool) -> tuple[bytes, int]:
        """The buffer and where its complete tags (or cells) end; a tag or cell of over 4 MiB is malformed."""
        self.offset += len(getattr(self, "_cut_before", b""))
        buf = self.carry + chunk
        cut = len(buf)
        if not final:
            cell = _last_cell_start(buf) if self.cells else -1
            if cell >= 0:
                cut = cell
            else:
                lt = buf.rfind(b"<")
                if lt >= 0 and buf.find(b">", lt) < 0:
                    cut = lt
        self.carry = buf[cut:]
        if len(self.carry) > 4 * MiB:
            raise UnsupportedFile(
                f"'{_shown(self.extent.file_name)}' has malformed XML in '{self.part[:80]}'.", field="file"
            )
        return buf, cut

    def _advance(self, cut: int) -> None:
        """After a feed: the next buffer starts ``cut`` bytes further into the part."""
        self.offset += cut


def _last_cell_start(buf: bytes) -> int:
    """Where the last ``<c`` (or ``<x:c``) tag starts in ``buf``, or a tag like ``<col`` after it
    (cutting there is as good); -1 if none."""
    found = buf.rfind(b"<c")
    prefixed = buf.rfind(b":c", found + 1)
    if prefixed > found:  # '<x:c': the tag starts at the '<' before its prefix
        found = buf.rfind(b"<", 0, prefixed)
    return found


#: A cell holding a shared string's index, as spreadsheet programs write it: ``t="s"`` up to its
#: value. ``_SHARED_CELL`` is the general form (quotes, spaces, a formula before the value), used
#: when the part holds a ``t="s"`` the quick form did not match, or ``t`` written otherwise.
_SHARED_QUICK = re.compile(rb't="s"[^>]*>\s*<(?:[A-Za-z_][\w.-]*:)?v\s*>\s*([0-9]+)')
_SHARED_CELL = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?(?<=\s)t\s*=\s*["']s["'][^>]*?(?<!/)>"""
    rb"""(?:(?!</?(?:[A-Za-z_][\w.-]*:)?c[\s/>]).)*?<(?:[A-Za-z_][\w.-]*:)?v\s*>\s*([0-9]+)""",
    re.DOTALL,
)
_UNUSUAL_T = (b"t='s'", b"t =", b"t\t=", b"t\n=", b"t\r=", b"t= ", b"t=\t", b"t=\n", b"t=\r")
_XLSX_STRING = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])[^>]*?(/?)>")


class _XlsxScanner(_ChunkedXml):
    """Feed a part's XML in chunks: checks every cell that holds a value, counts the references
    to each shared string, and measures the shared strings (``<si>``) a part holds."""

    cells = True

    def __init__(self, part: str, extent: _Extent) -> None:
        self.part, self.extent = part, extent
        self.row = 0
        self.column = 0
        self.carry = b""
        self.letters: dict[bytes, int] = {}
        self.rows_seen: set[int] = set()
        #: The first row number given to two <row> elements (calamine keeps the last: a row lost).
        self.duplicate_row: int | None = None
        self.string_start: int | None = None
        self.string_lengths: list[int] = []

    def feed(self, chunk: bytes, final: bool = False) -> None:
        buf, cut = self._complete_tags(chunk, final)
        self._cells(buf, cut)
        self._references(buf, cut)
        if self.string_start is not None or b"<si" in buf or b":si" in buf:
            self._strings(buf, cut)
        self._advance(cut)
        if final and self.string_lengths:
            self.extent.shared_lengths.append(self.string_lengths)

    def _references(self, buf: bytes, cut: int) -> None:
        """Count the shared-string references of the cells in ``buf[:cut]``."""
        region = buf[:cut]
        found = _SHARED_QUICK.findall(region)
        if len(found) != region.count(b't="s"') or any(unusual in region for unusual in _UNUSUAL_T):
            found = _SHARED_CELL.findall(region)
        self.extent.references.update(found)

    def _strings(self, buf: bytes, cut: int) -> None:
        """The length of each ``<si>`` (its bytes of XML, text and run markup) in ``buf[:cut]``."""
        lengths = self.string_lengths
        for m in _XLSX_STRING.finditer(buf, 0, cut):
            closing, slash = m.group(1), m.group(2)
            if slash:
                lengths.append(0)
            elif not closing:
                self.string_start = self.offset + m.end()
            elif self.string_start is not None:
                lengths.append(self.offset + m.start() - self.string_start)
                self.string_start = None

    def _cells(self, buf: bytes, cut: int) -> None:
        """The extent of the cells in ``buf[:cut]`` that hold a value, and rows numbered twice."""
        max_row, max_column = 0, 0
        row, column = self.row, self.column
        row_digits = b""
        letters_index = self.letters
        rows_seen = self.rows_seen
        for tag, letters, digits, slash in _XLSX_TAG.findall(buf, 0, cut):
            if tag == b"row":
                if digits:
                    row, row_digits = int(digits), digits
                    if row in rows_seen and self.duplicate_row is None:
                        self.duplicate_row = row
                    rows_seen.add(row)
                else:
                    row, row_digits = row + 1, b""
                column = 0
                continue
            if letters:
                index = letters_index.get(letters)
                if index is None:
                    index = letters_index[letters] = column_index(letters.decode("ascii")) + 1
                column = index
            else:
                column += 1
            if digits and digits != row_digits:
                row, row_digits = int(digits), digits
            if not slash:  # <c .../> holds no value (calamine skips it too)
                if row > max_row:
                    max_row = row
                if column > max_column:
                    max_column = column
        self.row, self.column = row, column
        self.extent.check(self.part, max_row, max_column)


_ODS_TAG = re.compile(
    rb"<(/?)(?:[A-Za-z_][\w.-]*:)(table|table-row|table-cell|covered-table-cell|s)(?=[\s/>])([^>]*)>"
)
_ODS_NAME = re.compile(rb"""[\s:]name\s*=\s*["']([^"']*)["']""")
_ODS_ROWS_REPEATED = re.compile(rb"""number-rows-repeated\s*=\s*["']([0-9]+)["']""")
_ODS_COLUMNS_REPEATED = re.compile(rb"""number-columns-repeated\s*=\s*["']([0-9]+)["']""")
_ODS_STRING_VALUE = re.compile(rb"""string-value\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ODS_SPACES = re.compile(rb"""[\s:]c\s*=\s*["']([0-9]+)["']""")


class _OdsScanner(_ChunkedXml):
    """Feed content.xml in chunks; expands repeated rows and cells (arithmetically, never in
    memory), checks every one that holds a value, and counts the text they expand to: a cell's
    bytes of XML (its text and markup), its ``string-value`` and its ``<text:s text:c="N"/>``
    spaces, times its repeated columns, times its row's repeats."""

    def __init__(self, part: str, extent: _Extent) -> None:
        self.part, self.extent = part, extent
        self.sheet: str | None = None
        self.row = 0  # rows before the current one
        self.repeat = 1
        self.column = 0
        self.row_has_value = False
        self.carry = b""
        self.row_text = 0  # bytes of text of the current row, once
        self.cell_start: int | None = None  # where the open cell's content starts in the part
        self.cell_repeat = 1
        self.cell_text = 0  # its string-value and spaces

    def feed(self, chunk: bytes, final: bool = False) -> None:
        buf, cut = self._complete_tags(chunk, final)
        for m in _ODS_TAG.finditer(buf, 0, cut):
            closing, tag, attrs = m.group(1), m.group(2), m.group(3)
            if tag == b"s":
                spaces = _ODS_SPACES.search(attrs)
                self.cell_text += int(spaces.group(1)) if spaces else 1
            elif tag == b"table":
                if not closing:
                    name = _ODS_NAME.search(attrs)
                    self.sheet = name.group(1).decode("utf-8", "replace") if name else None
                    self.row, self.column = 0, 0
            elif tag == b"table-row":
                self._row_tag(closing, attrs)
            elif closing:
                self._end_cell(self.offset + m.start())
            else:
                self._cell(attrs, self.offset + m.end())
        self._advance(cut)

    def _row_tag(self, closing: bytes, attrs: bytes) -> None:
        if closing:
            self._end_row()
            return
        rep = _ODS_ROWS_REPEATED.search(attrs)
        self.repeat = max(1, int(rep.group(1))) if rep else 1
        self.column = 0
        self.row_has_value = False
        if attrs.endswith(b"/"):
            self._end_row()

    def _cell(self, attrs: bytes, content_start: int) -> None:
        rep = _ODS_COLUMNS_REPEATED.search(attrs)
        count = max(1, int(rep.group(1))) if rep else 1
        if not attrs.endswith(b"/") or b"value-type" in attrs:
            self.row_has_value = True
            self.extent.check(self.part, self.row + 1, self.column + count, self.sheet)
        self.column += count
        value = _ODS_STRING_VALUE.search(attrs)
        self.cell_text = len(value.group(1) or value.group(2) or b"") if value else 0
        self.cell_repeat = count
        if attrs.endswith(b"/"):
            self.row_text += self.cell_text * count
            self.cell_text, self.cell_start = 0, None
        else:
            self.cell_start = content_start

    def _end_cell(self, content_end: int) -> None:
        inside = content_end - self.cell_start if self.cell_start is not None else 0
        self.row_text += (inside + self.cell_text) * self.cell_repeat
        self.cell_text, self.cell_start = 0, None

    def _end_row(self) -> None:
        if self.row_has_value:
            self.extent.check(self.part, self.row + self.repeat, 1, self.sheet)
        if self.row_text:
            self.extent.add_text(self.row_text * self.repeat)
        self.row += self.repeat
        self.repeat = 1
        self.row_has_value = False
        self.row_text = 0


def check_zip(data: bytes, kind: str, file_name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Check an xlsx / ods container before any engine reads it (see the module docstring)."""
    name = _shown(file_name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError):
        raise UnsupportedFile(f"'{name}' is a damaged {kind} file; save it again.", field="file") from None
    if len(infos) > limits.max_zip_entries:
        raise UnsupportedFile(
            f"'{name}' holds {len(infos):,} parts; a {kind} workbook has far fewer "
            f"(the limit is {limits.max_zip_entries:,}).",
            field="file",
        )
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_unpacked_bytes:
        raise FileTooLarge(
            f"'{name}' unpacks to {declared // MiB:,} MiB; the limit is "
            f"{limits.max_unpacked_bytes // MiB:,} MiB. Split the table into several files or remove "
            "rows.",
            field="file",
            limit=limits.max_unpacked_bytes,
        )
    packed_total = max(1, sum(i.compress_size for i in infos))
    extent = _Extent(file_name, limits)
    unpacked = 0
    duplicates: list[tuple[str, int]] = []
    for info in infos:
        if info.is_dir():
            continue
        scanner: _XlsxScanner | _OdsScanner | None = None
        if kind == "ods" and info.filename == "content.xml":  # the only part calamine reads sheets from
            scanner = _OdsScanner(info.filename, extent)
        elif kind == "xlsx":
            # Every part: the workbook's relationships may name a worksheet part anything. A stray
            # match in another part (an image) only counts a cell or row more.
            scanner = _XlsxScanner(info.filename, extent)
        for chunk in _inflate(data, info, limits.max_unpacked_bytes - unpacked, file_name):
            unpacked += len(chunk)
            if unpacked > MiB and unpacked / packed_total > limits.max_compression_ratio:
                raise UnsupportedFile(
                    f"'{name}' is a suspicious zip container: it inflates more than "
                    f"{limits.max_compression_ratio:g} times (a zip bomb?). Save the file again from a spreadsheet "
                    "program.",
                    field="file",
                )
            if scanner is not None:
                scanner.feed(chunk)
        if scanner is not None:
            scanner.feed(b"", final=True)
            if isinstance(scanner, _XlsxScanner) and scanner.duplicate_row is not None:
                duplicates.append((info.filename, scanner.duplicate_row))
    extent.check_cells()
    if kind == "xlsx":
        extent.add_shared_text()
    if duplicates:
        _duplicate_rows(data, file_name, duplicates)


_XLSX_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\s[^>]*>")
_XLSX_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\s[^>]*>")


def _attribute(tag: bytes, name: bytes) -> str:
    found = re.search(rb"""[\s:]""" + name + rb"""\s*=\s*["']([^"']*)["']""", tag)
    return html.unescape(found.group(1).decode("utf-8", "replace")) if found else ""


def _xlsx_sheet_names(data: bytes) -> dict[str, str]:
    """Worksheet part → sheet name, from the workbook and its relationships (already size-checked)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        workbook = zf.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
        rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    targets = {_attribute(t, b"Id"): _attribute(t, b"Target") for t in _XLSX_RELATIONSHIP.findall(rels)}
    parts = {}
    for tag in _XLSX_SHEET.findall(workbook):
        target = targets.get(_attribute(tag, b"id"), "")
        if target:
            parts[target.lstrip("/") if target.startswith("/") else f"xl/{target}"] = _attribute(tag, b"name")
    return parts


def _duplicate_rows(data: bytes, file_name: str, duplicates: list[tuple[str, int]]) -> None:
    """A row number given to two rows of one sheet: a row problem (never a row silently dropped)."""
    sheets = _xlsx_sheet_names(data)
    raise ImportRejected(
        [
            Problem(
                "duplicate_row",
                f"Row {row} is written twice in the file (the second time in place of the first, so a spreadsheet "
                "program would show only one of them): the file is damaged or was written by a faulty program. Open "
                "it in a spreadsheet program, check the rows and save it again.",
                sheet=sheets.get(part, part),
                row=row,
            )
            for part, row in duplicates
        ],
        file_name=file_name,
    )


# --- Workbooks ----------------------------------------------------------------------------------


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)  # 'inf' / 'nan': the validator says it is not a finite number
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    # The shortest text that reads back as the same double: an exported workbook imports back
    # unchanged. (A spreadsheet *shows* 15 digits; a formula's 0.1 + 0.2 keeps its 17 here.)
    return repr(value)


def cell_text(value: Any) -> str:
    """A cell value as the text a spreadsheet user would expect to see (and type)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return _float_text(value)
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value != value:  # NaT
            return ""
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):  # numpy float64
        return _float_text(float(value))
    if isinstance(value, int):  # numpy integers
        return str(int(value))
    return str(value)


def _text_column(values: list[Any]) -> list[str]:
    return [v if type(v) is str else cell_text(v) for v in values]


def _sheet_from_columns(name: str, columns: list[list[str]]) -> RawSheet:
    """A sheet from its columns of cell text (all of one length); row 1 is the header."""
    if not columns or not columns[0]:
        return RawSheet(name, [], [])
    rows = list(zip(*columns, strict=True))
    while len(rows) > 1 and not any(rows[-1]):
        rows.pop()  # trailing blank rows (formatted, never filled) are no part of the table
    return RawSheet(name, list(rows[0]), [RawRow(number, cells) for number, cells in enumerate(rows[1:], start=2)])


def read_workbook(data: bytes, kind: str, file_name: str, limits: Limits = DEFAULT_LIMITS) -> list[RawSheet]:
    """Every worksheet of an xlsx / ods workbook (call ``check_zip`` first)."""
    import pandas as pd

    engines = ["calamine", "openpyxl"] if kind == "xlsx" else ["calamine"]
    frames: dict[str, Any] | None = None
    failure: Exception | None = None
    for engine in engines:
        try:
            frames = pd.read_excel(
                io.BytesIO(data),
                sheet_name=None,
                header=None,
                dtype=object,
                engine=engine,
                na_filter=False,
                nrows=limits.max_rows + 2,
            )
            break
        except Exception as exc:  # noqa: BLE001 - any engine failure: try the next, then report
            failure = exc
    if frames is None:
        detail = str(failure).splitlines()[0][:200] if failure and str(failure) else type(failure).__name__
        raise UnsupportedFile(
            f"'{_shown(file_name)}' could not be read as {kind} ({detail}); open it in a "
            "spreadsheet program and save it again.",
            field="file",
        )
    if len(frames) > limits.max_sheets:
        raise FileTooLarge(
            f"'{_shown(file_name)}' has {len(frames)} sheets; at most {limits.max_sheets} are read.",
            field="file",
            limit=limits.max_sheets,
        )
    sheets = []
    extent = _Extent(file_name, limits)
    for name, frame in frames.items():
        extent.check("", len(frame), frame.shape[1], str(name))
    extent.check_cells()
    for name, frame in frames.items():
        columns = [_text_column(frame[c].tolist()) for c in frame.columns] if frame.size else []
        sheets.append(_sheet_from_columns(str(name), columns))
    return sheets


# --- CSV ----------------------------------------------------------------------------------------


def _decode(data: bytes, file_name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UnsupportedFile(
            f"'{_shown(file_name)}' is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); it was probably "
            "saved as Windows-1252 / Latin-1. In Excel use 'Save As' > 'CSV UTF-8 (Comma delimited)'; in LibreOffice "
            "choose the character set 'Unicode (UTF-8)'.",
            field="file",
            accepted=["xlsx", "ods", "csv"],
        ) from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    if ";" in first:
        return ";"
    if "\t" in first:
        return "\t"
    return ","


_EXPECTED_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_csv(data: bytes, file_name: str, limits: Limits = DEFAULT_LIMITS) -> RawSheet:
    """A UTF-8 CSV file (BOM or not) as one raw sheet named ''."""
    import pandas as pd

    text = _decode(data, file_name)
    if not text.strip():
        return RawSheet("", [], [])
    sep = _delimiter(text)
    options: dict[str, Any] = dict(
        sep=sep,
        header=None,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        nrows=limits.max_rows + 2,
        engine="c",
    )
    try:
        try:
            frame = pd.read_csv(io.StringIO(text), **options)
        except pd.errors.ParserError as exc:
            found = _EXPECTED_FIELDS.search(str(exc))
            if not found:
                raise
            # A row longer than the header: read again with room for the widest row.
            widest = max((len(r) for r in csv.reader(io.StringIO(text), delimiter=sep)), default=0)
            if widest > limits.max_columns:
                raise _too_many_columns(file_name, widest, limits) from None
            frame = pd.read_csv(io.StringIO(text), names=list(range(widest)), **options)
    except pd.errors.ParserError as exc:
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        message = message.removeprefix("Error tokenizing data. ").removeprefix("C error: ")
        start = re.search(r"starting at row (\d+)", message)
        row = int(start.group(1)) + 1 if start else None  # pandas counts records from 0
        if start:
            message = f"a quoted cell starting in row {row} never closes"
        raise ImportRejected(
            [
                Problem(
                    "malformed_csv",
                    f'The CSV could not be read to its end ({message}). A quote (") that never closes usually means the '
                    'file was cut short or a cell holds an unpaired quote: write it as two quotes ("") inside a quoted '
                    "cell, or save the file again from a spreadsheet program.",
                    row=row,
                )
            ],
            file_name=file_name,
        ) from None
    if len(frame) > limits.max_rows + 1:
        raise FileTooLarge(
            f"'{_shown(file_name)}' has more than {limits.max_rows:,} data rows (the limit); split the table into "
            "several files.",
            field="file",
            limit=limits.max_rows,
        )
    if frame.shape[1] > limits.max_columns:
        raise _too_many_columns(file_name, frame.shape[1], limits)
    extent = _Extent(file_name, limits)
    extent.check("", len(frame), frame.shape[1], "")
    extent.check_cells()
    # A blank line (or a short row) reads as missing values: blank cells.
    columns = [[v if type(v) is str else "" for v in frame[c].tolist()] for c in frame.columns]
    sheet = _sheet_from_columns("", columns)
    return sheet


def _too_many_columns(file_name: str, count: int, limits: Limits) -> FileTooLarge:
    return FileTooLarge(
        f"'{_shown(file_name)}' has {count:,} columns; at most {limits.max_columns} are read.",
        field="file",
        limit=limits.max_columns,
    )


# --- Column letters -----------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA' (spreadsheet column letters)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """'A' → 0, 'AA' → 26 (the inverse of ``column_letter``)."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1
