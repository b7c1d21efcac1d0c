"""Hypothesis strategies for the files the service takes: pricing workbooks and batch scenario sheets.

One place for what the store fuzz (``tests/pricing/test_fuzz_store.py``, ``bench/bench_fuzz.py``), the
schemathesis hooks (``tests/schemathesis_hooks.py``) and their in-process check
(``tests/app/test_app_schemathesis.py``) upload:

- ``workbooks()``: a pricing table built from the sheet declarations in ``pricing/tables.py`` (every
  column's type, choices and plausible range), as xlsx, ods or a csv of one sheet, sometimes corrupted
  (a number past its range, a required cell blanked, the file cut short) unless ``valid``;
- ``pricing_files(kind)``: the bytes of a valid one of ``kind``;
- ``batch_files(kind)``: a scenarios sheet (``workload`` and the request fields, as the batch
  template has them), one to four rows of catalog models and GPUs. A row the estimate refuses is
  not an error of the upload (its ``error`` column says why), so any of them is answered 200.

The hardware and model ids are the seed catalog's (``seeds/``); a server with another catalog takes
the pricing rows whose GPU it knows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

import pandas as pd
from hypothesis import strategies as st

from estimator.app.batch_table import to_csv as scenarios_csv
from estimator.app.batch_table import to_xlsx as scenarios_xlsx
from pricing.export import to_csv, to_xlsx
from pricing.tables import TABLES, Column

KINDS = ("xlsx", "ods", "csv")
GPUS = ("h100-sxm", "a100-80gb-sxm", "b200")
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=12).map(str.strip).filter(bool)


def cell(column: Column) -> st.SearchStrategy[Any]:
    """A valid value of ``column`` as ``parse_upload`` returns it."""
    if column.type in ("number", "integer"):
        assert column.minimum is not None and column.maximum is not None
        if column.type == "integer":
            return st.integers(int(column.minimum), min(int(column.maximum), 1_000))
        return st.floats(column.minimum, min(column.maximum, 1e6)).map(lambda x: round(x, 4)).filter(
            lambda x: column.minimum <= x <= column.maximum and x > (column.exclusive_minimum or -1))  # type: ignore[operator]
    if column.type == "date":
        return st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31)).map(dt.date.isoformat)
    if column.type == "choice":
        return st.sampled_from(column.choices)
    if column.type == "gpu":
        return st.sampled_from(GPUS)
    if column.type == "id":
        return st.sampled_from(("deepseek-v3", "llama-3.1-70b"))
    return WORDS


@st.composite
def sheet_rows(draw: st.DrawFn, name: str) -> list[dict[str, Any]]:
    table = TABLES[name]
    rows = draw(st.lists(st.fixed_dictionaries({c.name: cell(c) for c in table.columns}), min_size=1, max_size=4,
                         unique_by=lambda r: tuple(r[k] for k in table.key)))
    return rows


def to_ods(sheets: dict[str, list[dict[str, Any]]]) -> bytes:
    """An OpenDocument spreadsheet of ``sheets`` (a sheet per table, row 1 the column names), as
    LibreOffice users upload them (pandas' odf writer)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="odf") as writer:
        for name, rows in sheets.items():
            pd.DataFrame(rows, columns=list(TABLES[name].column_names)).to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


@st.composite
def workbooks(draw: st.DrawFn, valid: bool = False,
              kinds: tuple[str, ...] = ("xlsx", "csv")) -> tuple[bytes, str, str | None, bool]:
    """(file bytes, file name, sheet for a csv, valid?): a workbook built from the declaration, and
    sometimes corrupted (never when ``valid``)."""
    names = draw(st.lists(st.sampled_from(list(TABLES)), min_size=1, max_size=3, unique=True))
    sheets = {name: draw(sheet_rows(name)) for name in names}
    corruption = "none" if valid else draw(st.sampled_from(("none", "none", "none", "range", "blank", "cut")))
    if corruption in ("range", "blank"):
        name = names[0]
        columns = [c for c in TABLES[name].columns if (c.type == "number" if corruption == "range" else c.required)]
        column = draw(st.sampled_from(columns))
        assert column.maximum is not None or corruption == "blank"
        sheets[name][0][column.name] = column.maximum * 10 if corruption == "range" else ""  # type: ignore[operator]
    kind = draw(st.sampled_from(kinds))
    if kind == "xlsx":
        data, file_name, sheet = to_xlsx(sheets), "fuzz.xlsx", None
    elif kind == "ods":
        data, file_name, sheet = to_ods(sheets), "fuzz.ods", None
    else:
        data, file_name, sheet = to_csv(names[0], sheets[names[0]]), "fuzz.csv", names[0]
    if corruption == "cut":
        data = data[: int(len(data) * draw(st.floats(0, 0.99)))]  # a share: an xlsx's length varies (its timestamp)
    return data, file_name, sheet, corruption == "none"


def pricing_files(kind: str) -> st.SearchStrategy[bytes]:
    """The bytes of a valid pricing table of ``kind`` (a csv holds one table: ``csv_table`` says which)."""
    return workbooks(valid=True, kinds=(kind,)).map(lambda workbook: workbook[0])


def _csv_header(data: bytes) -> tuple[str, ...]:
    text = data.decode("utf-8-sig", errors="replace")
    return tuple(next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or None])), []))


def csv_table(data: bytes) -> str | None:
    """The table a csv from ``pricing_files("csv")`` holds, by its header (None: not one of them)."""
    header = _csv_header(data)
    return next((t.name for t in TABLES.values() if header == t.column_names), None)


#: The name the scenarios sheet of ``batch_files`` has in a workbook.
SCENARIOS_SHEET = "Scenarios"


def file_sort(data: bytes, kind: str) -> str | None:
    """'pricing' or 'scenarios': which of these strategies drew ``data`` (a file of ``kind``); None
    for anything else (bytes that are no such file)."""
    if kind == "csv":
        return "pricing" if csv_table(data) else "scenarios" if "workload" in _csv_header(data) else None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            book = archive.read("xl/workbook.xml" if kind == "xlsx" else "content.xml")
    except (zipfile.BadZipFile, KeyError):
        return None
    if f'name="{SCENARIOS_SHEET}"'.encode() in book:
        return "scenarios"
    return "pricing" if any(f'name="{name}"'.encode() in book for name in TABLES) else None


#: Scenario rows: the batch template's examples (the API's own), with another model, GPU and size.
_TRAINING = st.fixed_dictionaries(
    {"workload": st.just("training"),
     "model": st.sampled_from(("llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "deepseek-v3")),
     "tokens": st.sampled_from((1e11, 2e12, 15.6e12)),
     "hardware": st.sampled_from(GPUS),
     "gpus": st.sampled_from((64, 512, 1024, 4096))},
    optional={"usd_per_gpu_hour": st.sampled_from((1.5, 2.99)), "pue": st.sampled_from((1.1, 1.4))})
_SERVING = st.fixed_dictionaries(
    {"workload": st.sampled_from(("inference", "serving")),
     "model": st.sampled_from(("llama-3.1-8b", "llama-2-70b", "mixtral-8x7b")),
     "hardware": st.sampled_from(GPUS),
     "input_tokens": st.sampled_from((300, 2000)),
     "output_tokens": st.sampled_from((294, 500)),
     "requests_per_s": st.sampled_from((1, 20, 100))},
    optional={"precision": st.sampled_from(("fp8", "bf16")), "tpot_ms": st.sampled_from((50, 100))})


@st.composite
def batch_files(draw: st.DrawFn, kind: str) -> bytes:
    """The bytes of a scenarios sheet of ``kind``: row 1 the fields (``workload`` first), a row per scenario."""
    rows = draw(st.lists(_TRAINING | _SERVING, min_size=1, max_size=4))
    columns = list(dict.fromkeys(key for row in rows for key in row))
    table = pd.DataFrame(rows, columns=columns)
    if kind == "csv":
        return scenarios_csv(table)
    if kind == "xlsx":
        return scenarios_xlsx(table, sheet=SCENARIOS_SHEET)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="odf") as writer:
        table.to_excel(writer, sheet_name=SCENARIOS_SHEET, index=False)
    return buffer.getvalue()
