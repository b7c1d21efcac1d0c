"""A result page as a download: CSV or xlsx, one long table that a spreadsheet can filter and pivot.

Each line is one figure: ``table, row, column, value, unit, source, key`` — the table and row
labels the page shows, the column (Low / Mid / High, or the metric of a comparison), the raw
number (not the rounded text), its unit, a source where the figure is an assumption or a price,
and its path in the JSON result (``gpu_hours.mid``) to check it against the API. The file starts
with the page's permalink and the inputs, then has every figure of the page's tables, the prices
used and the assumptions (a comparison's: each model's, under tables named after the model, with
paths ``rows.<i>.…``), and ends with the warnings.

User text reaches these files (the name of a custom model, a catalog loaded from an upload), so
a spreadsheet must never read it as a formula or a link: CSV text starting with ``= + - @``, a
tab or a carriage return gets a leading apostrophe (OWASP's CSV-injection advice), and the
workbook is written with ``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers``
off, every cell by its explicit type.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import xlsxwriter

from estimator import figures

from .present import (
    SCENARIOS,
    ModelSection,
    Table,
    price_kind,
    price_offer,
    price_unit,
    prices_caption,
    unit_text,
    used_prices,
)

COLUMNS = ("table", "row", "column", "value", "unit", "source", "key")
#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_MAX_TEXT = 32_767  # longest text an Excel cell holds


class Record(NamedTuple):
    table: str
    row: str
    column: str
    value: Any
    unit: str = ""
    source: str = ""
    key: str = ""


def _flat(values: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for name, value in values.items():
        if isinstance(value, Mapping):
            yield from _flat(value, f"{prefix}{name}.")
        elif isinstance(value, list | tuple):
            yield f"{prefix}{name}", ", ".join(str(v) for v in value)
        else:
            yield f"{prefix}{name}", value


def header_records(permalink: str, inputs: Mapping[str, Any], version: str) -> list[Record]:
    """Where the figures come from: the permalink, the version, and every input given."""
    out = [
        Record("Estimate", "Permalink", "", permalink),
        Record("Estimate", "Estimator version", "", version),
    ]
    out.extend(Record("Inputs", name, "", value, key=name) for name, value in _flat(inputs))
    return out


def table_records(tables: Sequence[Table]) -> list[Record]:
    """Every figure of the page's tables; the unit from the row's Unit cell or the table's."""
    out = []
    for table in tables:
        columns = table.head[1:]
        unit_at = columns.index("Unit") if "Unit" in columns else None
        for row in table.rows:
            unit = row.cells[unit_at].text if unit_at is not None else table.unit
            for i, (heading, cell) in enumerate(zip(columns, row.cells, strict=False)):
                if i == unit_at:
                    continue
                value = cell.value if cell.key else cell.text
                out.append(Record(table.title, row.label, heading, value, unit, key=cell.key or ""))
    return out


def price_records(result: Mapping[str, Any], subject: str = "", prefix: str = "") -> list[Record]:
    """Every price point the estimate used, as the page's "Prices used" table lists them: one line
    for the price (its unit and source), one for the date it took effect and one for the pricing
    table it came from, each row labelled with the kind and the offer (``Rent: AWS, p5 …``)."""
    used = used_prices(result)
    if used is None:
        return []
    pricing, prices = used
    table = f"{subject}: {prices_caption(pricing)}" if subject else prices_caption(pricing)
    out = []
    for i, p in enumerate(prices):
        offer = price_offer(p)
        row = f"{price_kind(p)}: {offer}" if offer else price_kind(p)
        key = f"{prefix}pricing.prices.{i}"
        out += [
            Record(table, row, "Value", p.get("value"), price_unit(p), str(p.get("source", "")), f"{key}.value"),
            Record(table, row, "Effective date", p.get("effective_date"), key=f"{key}.effective_date"),
            Record(table, row, "Pricing table", p.get("table"), key=f"{key}.table"),
        ]
    return out


def assumption_column(scenario: str) -> str:
    """A band assumption's column: the input behind that estimate, not a sorted range (the low
    estimate takes the most favourable input), as the pages say."""
    return f"Used for the {scenario} estimate"


def assumption_records(assumptions: Sequence[Mapping[str, Any]], subject: str = "", prefix: str = "") -> list[Record]:
    table = f"{subject}: Assumptions" if subject else "Assumptions"
    out = []
    for i, a in enumerate(assumptions):
        name = figures.assumption_label(str(a.get("name", "")))
        unit, source = unit_text(str(a.get("unit", ""))), str(a.get("source", ""))
        value = a.get("value")
        key = f"{prefix}assumptions.{i}.value"
        if isinstance(value, Mapping) and set(SCENARIOS) <= set(value):
            for s in SCENARIOS:
                out.append(Record(table, name, assumption_column(s), value[s], unit, source, f"{key}.{s}"))
        else:
            out.append(Record(table, name, "Value", value, unit, source, key))
    return out


def estimate_records(result: Mapping[str, Any], tables: Sequence[Table]) -> list[Record]:
    """A single estimate's figures, in the page's order: its tables, the prices, the assumptions."""
    return table_records(tables) + price_records(result) + assumption_records(result.get("assumptions", ()))


def model_records(result: Mapping[str, Any], sections: Sequence[ModelSection]) -> list[Record]:
    """Each model of a comparison as its own estimate: the tables of its section on the page, the
    prices and the assumptions it used, under tables named after the model."""
    rows = result.get("rows") or []
    out = []
    for section in sections:
        row = rows[section.row]
        out += table_records(section.tables)
        out += price_records(row, section.name, section.prefix)
        out += assumption_records(row.get("assumptions", ()), section.name, section.prefix)
    return out


def comparison_records(result: Mapping[str, Any], names: Mapping[str, str]) -> list[Record]:
    """Each model's headline figures (mid) and their ratios to the baseline."""
    baseline = str(result.get("baseline", ""))
    out = []
    for key, table in (
        ("metrics", "Headline figures per model (mid estimates)"),
        ("ratios", f"Ratio to the baseline, {names.get(baseline, baseline)}"),
    ):
        for model, values in (result.get(key) or {}).items():
            for metric, value in values.items():
                declared = figures.metric(metric)
                label, unit = (declared.label, declared.unit) if declared else (metric.replace("_", " "), "")
                out.append(
                    Record(
                        table,
                        names.get(model, model),
                        label,
                        value,
                        "× baseline" if key == "ratios" else unit,
                        key=f"{key}.{model}.{metric}",
                    )
                )
    return out


def note_records(table: str, notes: Iterable[tuple[str, str]]) -> list[Record]:
    """Warnings and row errors: (row label, text)."""
    return [Record(table, row, "", text) for row, text in notes]


# --- Writing ---------------------------------------------------------------------------------------
def safe_text(text: str) -> str:
    """Text a spreadsheet shows as text: a leading ``= + - @`` (or tab, CR) gets an apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _number(value):
        return value if math.isfinite(value) else ""
    return safe_text(str(value))


def to_csv(records: Iterable[Record]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the units' ·, × and ² right), CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([_csv_cell(v) for v in record])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(records: Iterable[Record], sheet: str = "Result") -> bytes:
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    workbook = xlsxwriter.Workbook(buffer, options)
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True, "bottom": 1})
    worksheet.write_row(0, 0, COLUMNS, bold)
    rows = 0
    for r, record in enumerate(records, start=1):
        rows = r
        for c, value in enumerate(record):
            if _number(value) and math.isfinite(value):
                worksheet.write_number(r, c, value)
            elif value is None or (_number(value) and not math.isfinite(value)):
                worksheet.write_blank(r, c, None)
            else:
                text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
                worksheet.write_string(r, c, text[:_XLSX_MAX_TEXT])
    for c, width in enumerate((34, 40, 20, 16, 14, 60, 36)):
        worksheet.set_column(c, c, width)
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, max(rows, 1), len(COLUMNS) - 1)
    workbook.close()
    return buffer.getvalue()
