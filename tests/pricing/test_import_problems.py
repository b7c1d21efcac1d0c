"""Import validation: every problem code with its exact Problem, several problems at once, the
seed tables, forgiving headers and sheet names, typed values, and the generated row schemas."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import xlsxwriter

from estimator.catalog import Catalog, load_catalog
from pricing.errors import ImportRejected, PricingTableError, Problem
from pricing.read import Limits
from pricing.tables import TABLES
from pricing.validate import parse_upload, row_schema

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "pricing"
TODAY = dt.date(2026, 1, 1)
CATALOG = load_catalog()

GOOD = {
    "provider": "Lambda",
    "region": "us-east-1",
    "gpu": "h100-sxm",
    "pricing_model": "on_demand",
    "usd_per_gpu_hour": "2.99",
    "product": "8x H100",
    "effective_date": "2025-03-01",
    "source": "Lambda pricing page",
    "notes": "",
}
HARDWARE = {
    "item": "h100-sxm",
    "product": "DGX H100",
    "vendor": "NVIDIA",
    "scope": "server",
    "usd_capex": "300000",
    "gpus_per_unit": "8",
    "amortization_years": "5",
    "effective_date": "2024-05-01",
    "source": "quote 17",
    "notes": "",
}
API = {
    "provider": "DeepSeek",
    "model": "deepseek-v3",
    "product": "deepseek-chat",
    "usd_per_million_input_tokens": "0.27",
    "usd_per_million_output_tokens": "1.10",
    "usd_per_million_cached_input_tokens": "0.07",
    "effective_date": "2025-02-08",
    "source": "DeepSeek API docs",
    "notes": "",
}


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def one_row(base: dict[str, str], **changes: str) -> bytes:
    row = {**base, **changes}
    return csv_bytes([list(row), list(row.values())])


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


def problems(data: bytes, file_name: str = "prices.csv", **kwargs: object) -> list[Problem]:
    with pytest.raises(ImportRejected) as info:
        parse_upload(data, file_name, catalog=CATALOG, today=TODAY, **kwargs)  # type: ignore[arg-type]
    return info.value.problems


def gp(
    code: str,
    message: str,
    column: str | None,
    letter: str | None,
    value: str | None,
    row: int | None = 2,
    sheet: str | None = "gpu_prices",
) -> Problem:
    return Problem(code, message, sheet=sheet, row=row, column=column, column_letter=letter, value=value)


CHOICES = "on_demand, reserved_1y, reserved_3y, spot, capacity_block"

# One bad cell in an otherwise valid gpu_prices CSV, read with table="gpu_prices".
CELL_CASES = [
    (
        "required_blank",
        dict(provider=""),
        gp(
            "required_blank",
            "provider is required: write a value, e.g. Lambda (a cell with a formula error such as "
            "#N/A reads as blank).",
            "provider",
            "A",
            "",
        ),
    ),
    (
        "required_blank spaces",
        dict(source="   "),
        gp(
            "required_blank",
            "source is required: write a value, e.g. Lambda pricing page, 2025-03-01 (a cell with a "
            "formula error such as #N/A reads as blank).",
            "source",
            "H",
            "   ",
        ),
    ),
    (
        "not_a_number",
        dict(usd_per_gpu_hour="about 3"),
        gp(
            "not_a_number",
            "Not a number: write a number in USD/GPU-hour, e.g. 2.99.",
            "usd_per_gpu_hour",
            "E",
            "about 3",
        ),
    ),
    (
        "not_a_number infinite",
        dict(usd_per_gpu_hour="1e400"),
        gp(
            "not_a_number",
            "Too large to be a number here: write a number in USD/GPU-hour, e.g. 2.99.",
            "usd_per_gpu_hour",
            "E",
            "1e400",
        ),
    ),
    (
        "not_a_number nan",
        dict(usd_per_gpu_hour="nan"),
        gp("not_a_number", "Not a number: write a number in USD/GPU-hour, e.g. 2.99.", "usd_per_gpu_hour", "E", "nan"),
    ),
    (
        "decimal_comma",
        dict(usd_per_gpu_hour="2,99"),
        gp(
            "decimal_comma",
            "'2,99' looks like a decimal comma or '.' as thousands separator; write numbers with a "
            "decimal point and no grouping, e.g. 2.99.",
            "usd_per_gpu_hour",
            "E",
            "2,99",
        ),
    ),
    (
        "decimal_comma grouped",
        dict(usd_per_gpu_hour="1.234,5"),
        gp(
            "decimal_comma",
            "'1.234,5' looks like a decimal comma or '.' as thousands separator; write numbers with a "
            "decimal point and no grouping, e.g. 1234.5.",
            "usd_per_gpu_hour",
            "E",
            "1.234,5",
        ),
    ),
    (
        # issue 13: '0,250' was read as 250 (1000x); a thousands separator needs a non-zero leading group
        "ambiguous_number leading zero group",
        dict(usd_per_gpu_hour="0,250"),
        gp(
            "ambiguous_number",
            "'0,250' is ambiguous: 250 if ',' separates thousands, 0.25 if it is a decimal comma. Write the number "
            "with a decimal point and no grouping: 250 or 0.25.",
            "usd_per_gpu_hour",
            "E",
            "0,250",
        ),
    ),
    (
        "not_a_number leading zero group and a decimal point",
        dict(usd_per_gpu_hour="0,250.5"),
        gp("not_a_number", "Not a number: write a number in USD/GPU-hour, e.g. 2.99.", "usd_per_gpu_hour", "E",
           "0,250.5"),
    ),
    (
        "decimal_comma dots only",
        dict(usd_per_gpu_hour="1.234.567"),
        gp(
            "decimal_comma",
            "'1.234.567' looks like a decimal comma or '.' as thousands separator; write numbers with "
            "a decimal point and no grouping, e.g. 1234567.",
            "usd_per_gpu_hour",
            "E",
            "1.234.567",
        ),
    ),
    (
        "out_of_range zero price",
        dict(usd_per_gpu_hour="0"),
        gp(
            "out_of_range",
            "0 USD/GPU-hour is too small: a price must be greater than 0 USD/GPU-hour.",
            "usd_per_gpu_hour",
            "E",
            "0",
        ),
    ),
    (
        # issue 13: 1e-320 was accepted while 0 was refused
        "out_of_range implausibly small price",
        dict(usd_per_gpu_hour="1e-320"),
        gp(
            "out_of_range",
            "1e-320 USD/GPU-hour is too small: usd_per_gpu_hour must be at least 0.01 USD/GPU-hour (plausible: "
            "0.01 to 1,000 USD/GPU-hour).",
            "usd_per_gpu_hour",
            "E",
            "1e-320",
        ),
    ),
    (
        "out_of_range negative price",
        dict(usd_per_gpu_hour="-2.5"),
        gp(
            "out_of_range",
            "-2.5 USD/GPU-hour is too small: a price must be greater than 0 USD/GPU-hour.",
            "usd_per_gpu_hour",
            "E",
            "-2.5",
        ),
    ),
    (
        "out_of_range too large",
        dict(usd_per_gpu_hour="1,500"),
        gp(
            "out_of_range",
            "1500 USD/GPU-hour is too large: usd_per_gpu_hour must be at most 1,000 USD/GPU-hour (plausible: 0.01 to "
            "1,000 USD/GPU-hour).",
            "usd_per_gpu_hour",
            "E",
            "1,500",
        ),
    ),
    (
        "bad_choice",
        dict(pricing_model="weekly"),
        gp(
            "bad_choice",
            f"Not one of the choices: write one of {CHOICES}, e.g. on_demand.",
            "pricing_model",
            "D",
            "weekly",
        ),
    ),
    (
        "bad_choice close",
        dict(pricing_model="reserved-1yr"),
        gp(
            "bad_choice",
            f"Not one of the choices: write one of {CHOICES}, e.g. on_demand. Did you mean reserved_1y?",
            "pricing_model",
            "D",
            "reserved-1yr",
        ),
    ),
    (
        "unknown_gpu",
        dict(gpu="h100-sxm6"),
        gp(
            "unknown_gpu",
            "Unknown hardware 'h100-sxm6'. Closest: h100-sxm, h800-sxm, h200-sxm. See `estimator catalog "
            "hardware` for all ids.",
            "gpu",
            "C",
            "h100-sxm6",
        ),
    ),
    (
        "bad_text",
        dict(notes="bell\x07"),
        gp("bad_text", "Holds the control character U+0007; remove it.", "notes", "I", "bell\x07"),
    ),
    (
        "bad_text too long",
        dict(notes="x" * 32_768),
        gp(
            "bad_text",
            "32,768 characters is longer than a spreadsheet cell holds (32,767); shorten it.",
            "notes",
            "I",
            "x" * 32_768,
        ),
    ),
    (
        "bad_date",
        dict(effective_date="03/01/2025"),
        gp(
            "bad_date",
            "Not a date: write a date as YYYY-MM-DD (or a date cell), e.g. 2025-03-01. Day and month order "
            "differ between countries, so it is not guessed.",
            "effective_date",
            "G",
            "03/01/2025",
        ),
    ),
    (
        "bad_date serial",
        dict(effective_date="45717"),
        gp(
            "bad_date",
            "Not a date: write a date as YYYY-MM-DD (or a date cell), e.g. 2025-03-01. It looks like a "
            "spreadsheet date serial number: format the cell as a date.",
            "effective_date",
            "G",
            "45717",
        ),
    ),
    (
        "bad_date no such day",
        dict(effective_date="2025-02-30"),
        gp(
            "bad_date",
            "No such day in the calendar: write a date as YYYY-MM-DD (or a date cell), e.g. 2025-03-01.",
            "effective_date",
            "G",
            "2025-02-30",
        ),
    ),
    (
        "future_date",
        dict(effective_date="2026-01-02"),
        gp(
            "future_date",
            "2026-01-02 is in the future (today is 2026-01-01): use the date the price applies from or was read.",
            "effective_date",
            "G",
            "2026-01-02",
        ),
    ),
]


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in CELL_CASES], ids=[c[0] for c in CELL_CASES])
def test_cell_problem(changes: dict[str, str], expected: Problem) -> None:
    assert problems(one_row(GOOD, **changes), table="gpu_prices") == [expected]


OTHER_TABLE_CASES = [
    (
        "not_an_integer",
        "hardware_costs",
        one_row(HARDWARE, gpus_per_unit="8.5"),
        Problem(
            "not_an_integer",
            "8.5 is not a whole number: write a whole number of GPUs, e.g. 8.",
            sheet="hardware_costs",
            row=2,
            column="gpus_per_unit",
            column_letter="F",
            value="8.5",
        ),
    ),
    (
        "out_of_range minimum",
        "hardware_costs",
        one_row(HARDWARE, gpus_per_unit="0"),
        Problem(
            "out_of_range",
            "0 GPUs is too small: gpus_per_unit must be at least 1 GPUs (plausible: 1 to 100,000 GPUs).",
            sheet="hardware_costs",
            row=2,
            column="gpus_per_unit",
            column_letter="F",
            value="0",
        ),
    ),
    (
        # issue 13: 1e-300 years of amortisation made an own cost of 2.48e+307 USD
        "out_of_range implausibly short amortisation",
        "hardware_costs",
        one_row(HARDWARE, amortization_years="1e-300"),
        Problem(
            "out_of_range",
            "1e-300 years is too small: amortization_years must be at least 1 years (plausible: 1 to 30 years).",
            sheet="hardware_costs",
            row=2,
            column="amortization_years",
            column_letter="G",
            value="1e-300",
        ),
    ),
    (
        "bad_id",
        "api_prices",
        one_row(API, model="GPT 4o"),
        Problem(
            "bad_id",
            "Not an id: write an id of lower-case letters, digits and . _ - : / +, e.g. deepseek-v3 (at most "
            "100 characters, no spaces).",
            sheet="api_prices",
            row=2,
            column="model",
            column_letter="B",
            value="GPT 4o",
        ),
    ),
]


@pytest.mark.parametrize(
    ("table", "data", "expected"), [c[1:] for c in OTHER_TABLE_CASES], ids=[c[0] for c in OTHER_TABLE_CASES]
)
def test_cell_problem_other_tables(table: str, data: bytes, expected: Problem) -> None:
    assert problems(data, table=table) == [expected]


HEADER = list(GOOD)
ROW = list(GOOD.values())
TABLE_NAMES = "gpu_prices, hardware_costs, energy, colocation, api_prices"
GPU_COLUMNS = "provider, region, gpu, pricing_model, usd_per_gpu_hour, product, effective_date, source, notes"

SHEET_CASES = [
    (
        "missing_column",
        csv_bytes([HEADER[:4] + HEADER[5:], ROW[:4] + ROW[5:]]),
        dict(table="gpu_prices"),
        [
            gp(
                "missing_column",
                "The required column usd_per_gpu_hour (USD/GPU-hour) is missing: add it to row 1 (Price of "
                "one GPU for one hour).",
                "usd_per_gpu_hour",
                None,
                None,
                row=1,
            )
        ],
    ),
    (
        "unknown_column",
        csv_bytes([HEADER + ["discount"], ROW + ["5%"]]),
        dict(table="gpu_prices"),
        [
            gp(
                "unknown_column",
                f"'discount' is no column of gpu_prices. The columns are: {GPU_COLUMNS}. Rename or delete it.",
                "discount",
                "J",
                "discount",
                row=1,
            )
        ],
    ),
    (
        "unknown_column close",
        csv_bytes([HEADER[:-1] + ["note"], ROW]),
        dict(table="gpu_prices"),
        [
            gp(
                "unknown_column",
                f"'note' is no column of gpu_prices. Did you mean notes? The columns are: {GPU_COLUMNS}. "
                "Rename or delete it.",
                "note",
                "I",
                "note",
                row=1,
            )
        ],
    ),
    (
        "duplicate_column",
        csv_bytes([HEADER + ["Source (URL)"], ROW + ["again"]]),
        dict(table="gpu_prices"),
        [
            gp(
                "duplicate_column",
                "'Source (URL)' names source again (already column H, 'source'): keep one of them.",
                "Source (URL)",
                "J",
                "Source (URL)",
                row=1,
            )
        ],
    ),
    (
        "unnamed_column",
        csv_bytes([HEADER + [""], ROW + ["stray"]]),
        dict(table="gpu_prices"),
        [
            gp(
                "unnamed_column",
                f"Column J holds values but no header: write the column name in row 1 (one of "
                f"{GPU_COLUMNS}) or delete the column.",
                None,
                "J",
                "stray",
            )
        ],
    ),
    (
        "empty_sheet",
        csv_bytes([HEADER, [""] * 9]),
        dict(table="gpu_prices"),
        [
            Problem(
                "empty_sheet",
                f"The file has no data rows: write the gpu_prices rows below the header ({GPU_COLUMNS}).",
                sheet="gpu_prices",
            )
        ],
    ),
    (
        "no_table_name",
        csv_bytes([HEADER, ROW]),
        {},
        [
            Problem(
                "no_table_name",
                "A CSV file holds one table, and nothing says which: name it with the upload's table "
                f"argument, or add a column 'table' holding one of {TABLE_NAMES}.",
            )
        ],
    ),
    (
        "unknown_table argument",
        csv_bytes([HEADER, ROW]),
        dict(table="gpus"),
        [Problem("unknown_table", f"'gpus' is no pricing sheet; the sheets are: {TABLE_NAMES}.", value="gpus")],
    ),
    (
        "unknown_table column",
        csv_bytes([["table"] + HEADER, ["gpus"] + ROW]),
        {},
        [
            Problem(
                "unknown_table",
                f"'gpus' is no pricing sheet; write one of {TABLE_NAMES}.",
                row=2,
                column="table",
                column_letter="A",
                value="gpus",
            )
        ],
    ),
    (
        "table_mismatch",
        csv_bytes([["Table"] + HEADER, ["GPU prices"] + ROW, ["energy"] + ROW[:2] + ["a100"] + ROW[3:]]),
        {},
        [
            Problem(
                "table_mismatch",
                "A CSV holds one table: this file is read as gpu_prices, but this row names 'energy'. Put "
                "each table in its own file (or its own sheet of a workbook).",
                sheet="gpu_prices",
                row=3,
                column="Table",
                column_letter="A",
                value="energy",
            )
        ],
    ),
    (
        "table_mismatch with argument",
        csv_bytes([["table"] + HEADER, ["energy"] + ROW]),
        dict(table="gpu_prices"),
        [
            Problem(
                "table_mismatch",
                "A CSV holds one table: this file is read as gpu_prices, but this row names "
                "'energy'. Put each table in its own file (or its own sheet of a workbook).",
                sheet="gpu_prices",
                row=2,
                column="table",
                column_letter="A",
                value="energy",
            )
        ],
    ),
    (
        "malformed_csv",
        b'provider,region\nLambda,"us-east-1\n',
        dict(table="gpu_prices"),
        [
            Problem(
                "malformed_csv",
                "The CSV could not be read to its end (a quoted cell starting in row 2 never closes). A "
                'quote (") that never closes usually means the file was cut short or a cell holds an unpaired quote: write '
                'it as two quotes ("") inside a quoted cell, or save the file again from a spreadsheet program.',
                row=2,
            )
        ],
    ),
    (
        "duplicate_key",
        csv_bytes([HEADER, ROW, ["LAMBDA"] + ROW[1:3] + ["On-Demand", "3.10"] + ROW[5:]]),
        dict(table="gpu_prices"),
        [
            gp(
                "duplicate_key",
                "Row 3 repeats row 2: the same provider=LAMBDA, region=us-east-1, gpu=h100-sxm, "
                "pricing_model=on_demand, product=8x H100, effective_date=2025-03-01. Keep one of them, or tell them apart "
                "by a key column.",
                None,
                None,
                None,
                row=3,
            )
        ],
    ),
]


@pytest.mark.parametrize(("data", "kwargs", "expected"), [c[1:] for c in SHEET_CASES], ids=[c[0] for c in SHEET_CASES])
def test_file_and_sheet_problem(data: bytes, kwargs: dict[str, str], expected: list[Problem]) -> None:
    assert problems(data, **kwargs) == expected


def test_no_table_name_hints_at_the_file_name() -> None:
    [problem] = problems(csv_bytes([HEADER, ROW]), file_name="exports/gpu_prices.csv")
    assert problem.message == (
        "A CSV file holds one table, and nothing says which: name it with the upload's table argument (for this file "
        f"probably gpu_prices), or add a column 'table' holding one of {TABLE_NAMES}."
    )


WORKBOOK_CASES = [
    (
        "no_known_sheet",
        {"Prices": [HEADER, ROW]},
        [
            Problem(
                "unknown_sheet",
                f"Sheet 'Prices' is no pricing table: rename it to one of {TABLE_NAMES}, or delete it.",
                sheet="Prices",
            ),
            Problem(
                "no_known_sheet",
                f"No sheet is named after a pricing table (sheets found: 'Prices'). Name each sheet after its "
                f"table: {TABLE_NAMES}.",
            ),
        ],
    ),
    (
        "unknown_sheet",
        {"GPU prices": [HEADER, ROW], "Notes": [["remember the discount"]]},
        [
            Problem(
                "unknown_sheet",
                f"Sheet 'Notes' is no pricing table: rename it to one of {TABLE_NAMES}, or delete it.",
                sheet="Notes",
            )
        ],
    ),
    (
        "duplicate_sheet",
        {"gpu_prices": [HEADER, ROW], "GPU-Prices": [HEADER, ROW]},
        [
            Problem(
                "duplicate_sheet",
                "Sheets 'gpu_prices' and 'GPU-Prices' both name gpu_prices: merge them into one sheet.",
                sheet="GPU-Prices",
            )
        ],
    ),
    (
        "empty_sheet",
        {"gpu_prices": [HEADER], "energy": [["region", "usd_per_kwh"]]},
        [
            Problem(
                "empty_sheet",
                "Sheet 'gpu_prices' has no data rows: write the gpu_prices rows below the header.",
                sheet="gpu_prices",
            ),
            Problem(
                "empty_sheet",
                "Sheet 'energy' has no data rows: write the energy rows below the header.",
                sheet="energy",
            ),
        ],
    ),
]


@pytest.mark.parametrize(("sheets", "expected"), [c[1:] for c in WORKBOOK_CASES], ids=[c[0] for c in WORKBOOK_CASES])
def test_workbook_problem(sheets: dict[str, list[list[object]]], expected: list[Problem]) -> None:
    assert problems(xlsx_bytes(sheets), file_name="prices.xlsx") == expected


def test_too_many_problems_stops_the_report() -> None:
    rows = [HEADER] + [["", *ROW[1:4], "-1", f"p{i}", *ROW[6:]] for i in range(5)]
    found = problems(csv_bytes(rows), table="gpu_prices", limits=Limits(max_problems=3))
    assert [p.code for p in found] == ["required_blank", "out_of_range", "required_blank", "too_many_problems"]
    assert found[-1] == Problem(
        "too_many_problems", "Stopped after 3 problems: fix these and upload again to see the rest."
    )


def test_every_problem_of_a_file_is_reported_in_row_then_column_order() -> None:
    rows = [
        ["Provider", "Region", "GPU", "Pricing model", "USD per GPU hour", "Effective Date", "source", "discount"],
        ["AWS", "us-east-1", "h100", "on_demand", "12.29", "2025-03-17", "AWS page", ""],
        ["", "us-east-1", "h999", "weekly", "0", "2099-01-01", "", ""],
        ["", "", "", "", "", "", "", ""],
        ["AWS", "us-east-1", "h100-sxm", "On Demand", "$1,234.5", "17.03.2025", "AWS page", "x"],
        ["AWS", "US-EAST-1", "H100", "on_demand", "12,29", "2025-03-17", "AWS page", ""],
    ]
    found = problems(csv_bytes(rows), table="GPU Prices")
    assert [(p.code, p.row, p.column, p.column_letter, p.value) for p in found] == [
        ("unknown_column", 1, "discount", "H", "discount"),
        ("required_blank", 3, "Provider", "A", ""),
        ("unknown_gpu", 3, "GPU", "C", "h999"),
        ("bad_choice", 3, "Pricing model", "D", "weekly"),
        ("out_of_range", 3, "USD per GPU hour", "E", "0"),
        ("future_date", 3, "Effective Date", "F", "2099-01-01"),
        ("required_blank", 3, "source", "G", ""),
        ("out_of_range", 5, "USD per GPU hour", "E", "$1,234.5"),
        ("bad_date", 5, "Effective Date", "F", "17.03.2025"),
        ("decimal_comma", 6, "USD per GPU hour", "E", "12,29"),
        ("duplicate_key", 6, None, None, None),
    ]
    assert all(p.sheet == "gpu_prices" for p in found)
    assert found[-1].message.startswith("Row 6 repeats row 2: ")


def test_blank_sheet_named_after_a_table_is_an_empty_sheet() -> None:
    assert problems(xlsx_bytes({"gpu_prices": [], "Sheet2": []}), file_name="p.xlsx") == [
        Problem(
            "empty_sheet",
            "Sheet 'gpu_prices' has no data rows: write the gpu_prices rows below the header.",
            sheet="gpu_prices",
        )
    ]


def test_numbers_stored_as_text_and_number_cells_in_a_workbook() -> None:
    data = xlsx_bytes({"gpu_prices": [HEADER, ROW[:4] + ["2.50"] + ROW[5:], ROW[:4] + [3, "other"] + ROW[6:]]})
    rows = parse_upload(data, "p.xlsx", catalog=CATALOG, today=TODAY)["gpu_prices"]
    assert [r["usd_per_gpu_hour"] for r in rows] == [2.5, 3.0]


def test_several_sheets_report_their_own_problems() -> None:
    data = xlsx_bytes(
        {
            "gpu_prices": [HEADER, ROW[:4] + ["free"] + ROW[5:]],
            "Energy": [["region", "usd_per_kwh", "effective_date", "source"], ["Texas", 0, "2024-10-01", "EIA"]],
            "README": [["anything at all"]],
            "Sheet3": [],
        }
    )
    found = problems(data, file_name="book.xlsx")
    assert [(p.code, p.sheet, p.row, p.column_letter) for p in found] == [
        ("not_a_number", "gpu_prices", 2, "E"),
        ("out_of_range", "Energy", 2, "B"),
    ]


# --- What imports -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.csv")), ids=lambda p: p.name)
def test_seed_csvs_import_cleanly(path: Path) -> None:
    sheets = parse_upload(path.read_bytes(), path.name, catalog=CATALOG, table=path.stem)
    with path.open(newline="", encoding="utf-8") as handle:
        expected = list(csv.DictReader(handle))
    rows = sheets[path.stem]
    assert len(rows) == len(expected) > 0
    assert list(rows[0]) == list(TABLES[path.stem].column_names)
    for row, raw in zip(rows, expected, strict=True):
        assert row["source"] == raw["source"].strip()
        assert row["effective_date"] == raw["effective_date"]


def test_typed_values_and_forgiving_headers() -> None:
    rows = [
        [
            "PROVIDER",
            "region ",
            "Gpu",
            "Pricing-Model",
            "usd_per_gpu_hour ($)",
            "Effective Date",
            "Source [URL]",
            "notes (free text)",
        ],
        ["  Lambda ", "", "H100", "On-Demand", "$1,000.0", "2025-03-01", "'=page", ""],
        ["RunPod", "eu", "a100", "spot", "2.5e-1", "2024-12-31 00:00:00", "site", "a\r\nb"],
    ]
    sheets = parse_upload(csv_bytes(rows), "x.csv", catalog=CATALOG, table="gpu-prices", today=TODAY)
    assert sheets == {
        "gpu_prices": [
            {
                "provider": "Lambda",
                "region": "",
                "gpu": "h100-sxm",
                "pricing_model": "on_demand",
                "usd_per_gpu_hour": 1000.0,
                "product": "",
                "effective_date": "2025-03-01",
                "source": "=page",
                "notes": "",
            },
            {
                "provider": "RunPod",
                "region": "eu",
                "gpu": "a100-80gb-sxm",
                "pricing_model": "spot",
                "usd_per_gpu_hour": 0.25,
                "product": "",
                "effective_date": "2024-12-31",
                "source": "site",
                "notes": "a\nb",
            },
        ]
    }


def test_header_with_unit_words_matches() -> None:
    header = ["provider", "gpu", "pricing model", "usd_per_gpu_hour USD/GPU-hour", "effective date", "source"]
    data = csv_bytes([header, ["Lambda", "h100", "spot", "2", "2025-01-01", "x"]])
    rows = parse_upload(data, "x.csv", catalog=CATALOG, table="gpu_prices", today=TODAY)["gpu_prices"]
    assert rows[0]["usd_per_gpu_hour"] == 2.0


def test_integers_and_optional_numbers() -> None:
    data = one_row(HARDWARE, gpus_per_unit="8.0", amortization_years="", usd_capex="1,234,567")
    [row] = parse_upload(data, "h.csv", catalog=CATALOG, table="hardware_costs", today=TODAY)["hardware_costs"]
    assert row["gpus_per_unit"] == 8 and type(row["gpus_per_unit"]) is int
    assert row["amortization_years"] is None
    assert row["usd_capex"] == 1234567.0


def test_table_column_names_the_table_and_is_not_a_column() -> None:
    data = csv_bytes([["table", *HEADER], ["gpu_prices", *ROW], ["", *ROW[:5], "other product", *ROW[6:]]])
    sheets = parse_upload(data, "x.csv", catalog=CATALOG, today=TODAY)
    assert [r["product"] for r in sheets["gpu_prices"]] == ["8x H100", "other product"]


def test_workbook_with_one_sheet_of_another_name_reads_as_the_table_argument() -> None:
    data = xlsx_bytes({"Sheet1": [HEADER, ROW]})
    assert list(parse_upload(data, "x.xlsx", catalog=CATALOG, table="gpu_prices", today=TODAY)) == ["gpu_prices"]


def test_header_only_sheets_are_skipped_when_another_sheet_has_rows() -> None:
    data = xlsx_bytes({"gpu_prices": [HEADER, ROW], "energy": [["region", "usd_per_kwh"]]})
    assert list(parse_upload(data, "x.xlsx", catalog=CATALOG, today=TODAY)) == ["gpu_prices"]


def test_custom_catalog_resolves_its_own_ids() -> None:
    hardware = CATALOG.hardware["h100-sxm"]
    catalog = Catalog.build([hardware], [])
    with pytest.raises(ImportRejected) as info:
        parse_upload(one_row(GOOD, gpu="a100"), "x.csv", catalog=catalog, table="gpu_prices", today=TODAY)
    assert info.value.problems[0].code == "unknown_gpu"


# --- The generated row schemas ------------------------------------------------------------------


def test_row_schema_is_generated_from_the_declaration() -> None:
    for table in TABLES.values():
        schema = row_schema(table, catalog=CATALOG, today=TODAY)()
        assert type(schema).__name__ == "".join(p.title() for p in table.name.split("_")) + "RowSchema"
        assert list(schema.fields) == list(table.column_names)
        for column in table.columns:
            field = schema.fields[column.name]
            assert field.required == column.required
            assert field.metadata["description"] == column.description


def test_row_schema_loads_a_row_and_reports_by_field() -> None:
    schema = row_schema(TABLES["gpu_prices"], catalog=CATALOG, today=TODAY)()
    assert schema.load({**GOOD, "usd_per_gpu_hour": 2.5, "gpu": "h100"})["gpu"] == "h100-sxm"
    from marshmallow import ValidationError

    with pytest.raises(ValidationError) as info:
        schema.load({**GOOD, "usd_per_gpu_hour": "0", "extra": "x"})
    assert info.value.messages == {
        "usd_per_gpu_hour": ["0 USD/GPU-hour is too small: a price must be greater than 0 USD/GPU-hour."],
        "extra": ["Unknown field."],
    }


# --- Invisible differences (issue 13): "Acme" and "Ac\u200bme" were two providers, and pulled a low band ----


def _twice(provider: str) -> bytes:
    """Two gpu_prices rows, the second naming ``provider`` where the first has 'Lambda'."""
    return csv_bytes([HEADER, ROW, [provider, *ROW[1:4], "1.10", *ROW[5:]]])


def _duplicate_of_row_2(provider: str) -> Problem:
    return gp(
        "duplicate_key",
        f"Row 3 repeats row 2: the same provider={provider}, region=us-east-1, gpu=h100-sxm, pricing_model=on_demand, "
        "product=8x H100, effective_date=2025-03-01. Keep one of them, or tell them apart by a key column.",
        None,
        None,
        None,
        row=3,
    )


@pytest.mark.parametrize(
    "written",
    ["Lam\u200bbda", "\ufeffLambda", "Lamb\u00adda", "Ｌａｍｂｄａ", "Lam\u2060bda"],
    ids=["zero-width space", "byte-order mark", "soft hyphen", "full-width", "word joiner"],
)
def test_text_is_normalised_so_invisible_differences_are_duplicates(written: str) -> None:
    assert problems(_twice(written), table="gpu_prices") == [_duplicate_of_row_2("Lambda")]


def test_key_text_is_stored_normalised_and_free_text_as_written() -> None:
    sheets = parse_upload(one_row(GOOD, provider="Ｌａｍ\u200bｂｄａ", notes="ﬁne print, 5 µs, Аcme"), "p.csv",
                          catalog=CATALOG, today=TODAY, table="gpu_prices")
    assert (sheets["gpu_prices"][0]["provider"], sheets["gpu_prices"][0]["notes"]) == ("Lambda", "ﬁne print, 5 µs, Аcme")


def test_a_greek_numeral_beside_latin_letters_is_no_look_alike() -> None:
    """Only letters count for the mixed-script check: 'A\U00010140' (U+10140 GREEK ACROPHONIC ATTIC ONE QUARTER,
    a letter-number) was refused as 'mixes Greek and Latin letters' (found by the export round-trip property)."""
    sheets = parse_upload(one_row(GOOD, provider="A\U00010140"), "p.csv", catalog=CATALOG, today=TODAY,
                          table="gpu_prices")
    assert sheets["gpu_prices"][0]["provider"] == "A\U00010140"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("Acme\x1b[31m", "Holds the control character U+001B; remove it."),
        ("Acme\x9b31m", "Holds the control character U+009B; remove it."),
        ("Acme\u202eemcA", "Holds the bidirectional formatting character U+202E; remove it."),
        ("Acme\u2066x\u2069", "Holds the bidirectional formatting character U+2066; remove it."),
        (
            "\u0410cme",  # Cyrillic capital A
            "'\u0410cme' mixes Cyrillic and Latin letters in one word (a look-alike letter?); write it in one script.",
        ),
    ],
    ids=["ESC (C0)", "CSI (C1)", "right-to-left override", "left-to-right isolate", "Cyrillic look-alike"],
)
def test_control_bidi_and_mixed_script_text_is_refused(written: str, message: str) -> None:
    assert problems(one_row(GOOD, provider=written), table="gpu_prices") == [
        gp("bad_text", message, "provider", "A", written)
    ]


@pytest.mark.parametrize(
    ("file_name", "shown"),
    [("prices\x00.csv", "U+0000"), ("prices\x1b.csv", "U+001B"), ("prices\x85.csv", "U+0085"),
     ("\u202evsc.csv", "U+202E")],
    ids=["NUL", "ESC", "NEL (C1)", "right-to-left override"],
)
def test_file_names_with_control_or_bidi_characters_are_refused(file_name: str, shown: str) -> None:
    with pytest.raises(PricingTableError) as info:
        parse_upload(one_row(GOOD), file_name, catalog=CATALOG, today=TODAY, table="gpu_prices")
    assert info.value.message == (
        f"The file name holds the character {shown} (a control or bidirectional formatting character); rename the "
        "file and upload it again."
    )
    assert info.value.field == "file"


@pytest.mark.parametrize(("count", "expected"), [
    (1, "'p.csv' was not imported: 1 problem found. Fix it and upload again; nothing was changed."),
    (2, "'p.csv' was not imported: 2 problems found. Fix them and upload again; nothing was changed."),
])
def test_the_rejection_counts_its_problems_in_words_that_agree(count: int, expected: str) -> None:
    """Issue 13: one problem read '1 problem found. Fix them'."""
    problems = [Problem("bad", "bad cell", sheet="gpu_prices", row=2 + i) for i in range(count)]
    assert str(ImportRejected(problems, file_name="p.csv")) == expected
