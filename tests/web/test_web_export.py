"""Downloads: the long table of figures as CSV and xlsx, with user text never read as a formula."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from estimator.app.web.export import (
    COLUMNS,
    Record,
    assumption_records,
    header_records,
    price_records,
    safe_text,
    table_records,
    to_csv,
    to_xlsx,
)
from estimator.app.web.present import Cell, Row, Table

FORMULAS = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://example.invalid","x")']


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_gets_an_apostrophe(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["GPU-hours", "1e12", "http://example.invalid", "a = b", ""])
def test_other_text_is_kept(text):
    assert safe_text(text) == text


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_numbers_raw_text_neutralised():
    records = [Record("T", name, "Mid", name, "USD") for name in FORMULAS] + [
        Record("T", "GPU-hours", "Mid", 31_300_000.5, "GPU·h", key="gpu_hours.mid"),
        Record("T", "negative", "Mid", -2.5),
        Record("T", "missing", "Mid", None),
        Record("T", "infinite", "Mid", float("inf")),
        Record("T", "flag", "", True),
    ]
    rows = read_csv(to_csv(records))
    assert rows[0] == list(COLUMNS)
    for row, text in zip(rows[1:], FORMULAS, strict=False):
        assert row[1] == row[3] == "'" + text
    by_row = {r[1]: r for r in rows[1:]}
    assert by_row["GPU-hours"] == ["T", "GPU-hours", "Mid", "31300000.5", "GPU·h", "", "gpu_hours.mid"]
    assert by_row["negative"][3] == "-2.5"  # a number we computed, not text: left as it is
    assert by_row["missing"][3] == by_row["infinite"][3] == ""
    assert by_row["flag"][3] == "yes"


def test_xlsx_types_and_no_formulas_or_links():
    records = [Record("T", text, "", text) for text in (*FORMULAS, "http://example.invalid", "00123")]
    records.append(Record("T", "n", "Mid", 2.63804e25, "FLOP"))
    records.append(Record("T", "inf", "Mid", float("nan")))
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(records)))
    sheet = book["Result"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    for row, text in zip(rows[1:], (*FORMULAS, "http://example.invalid", "00123"), strict=False):
        if "\r" not in text:  # (XlsxWriter stores a CR as _x000D_, which openpyxl does not decode)
            assert row[3] == text  # kept as typed, as a string
    for cells in sheet.iter_rows(min_row=2):
        assert cells[3].data_type in ("s", "n"), cells[3].value  # never "f" (formula)
        assert cells[3].hyperlink is None
    assert rows[-2][3] == 2.63804e25 and rows[-2][4] == "FLOP"
    assert rows[-1][3] is None
    assert sheet.freeze_panes == "A2"


def test_table_records_take_the_unit_column_or_the_tables_unit():
    band = Table(
        "Compute",
        ("Figure", "Unit", "Low", "Mid", "High"),
        (Row("GPU-hours", (Cell("GPU·h"), Cell("1", 1, "g.low"), Cell("2", 2, "g.mid"), Cell("3", 3, "g.high"))),),
    )
    cost = Table(
        "Cost per million tokens, USD",
        ("Tokens", "Low", "Mid", "Public API price"),
        (Row("Output", (Cell("1", 1.0, "c.low"), Cell("2", 2.0, "c.mid"), Cell("–"))),),
        unit="USD per million tokens",
    )
    assert table_records([band, cost]) == [
        Record("Compute", "GPU-hours", "Low", 1, "GPU·h", key="g.low"),
        Record("Compute", "GPU-hours", "Mid", 2, "GPU·h", key="g.mid"),
        Record("Compute", "GPU-hours", "High", 3, "GPU·h", key="g.high"),
        Record("Cost per million tokens, USD", "Output", "Low", 1.0, "USD per million tokens", key="c.low"),
        Record("Cost per million tokens, USD", "Output", "Mid", 2.0, "USD per million tokens", key="c.mid"),
        Record("Cost per million tokens, USD", "Output", "Public API price", "–", "USD per million tokens"),
    ]


def test_assumption_and_header_records():
    assumptions = [
        {"name": "goodput", "value": {"low": 0.6, "mid": 0.8, "high": 0.9}, "unit": "fraction", "source": "papers"},
        {"name": "recompute", "value": "none", "unit": "", "source": "request"},
    ]
    assert assumption_records(assumptions) == [
        Record("Assumptions", "Goodput (useful share of reserved GPU time)", "Used for the low estimate", 0.6,
               "fraction", "papers", "assumptions.0.value.low"),
        Record("Assumptions", "Goodput (useful share of reserved GPU time)", "Used for the mid estimate", 0.8,
               "fraction", "papers", "assumptions.0.value.mid"),
        Record("Assumptions", "Goodput (useful share of reserved GPU time)", "Used for the high estimate", 0.9,
               "fraction", "papers", "assumptions.0.value.high"),
        Record("Assumptions", "Activation recomputation", "Value", "none", "", "request", "assumptions.1.value"),
    ]
    inputs = {"model": {"name": "=evil", "layers": 80}, "models": ["a", "b"], "gpus": 8}
    assert header_records("http://h/training?gpus=8", inputs, "1.0") == [
        Record("Estimate", "Permalink", "", "http://h/training?gpus=8"),
        Record("Estimate", "Estimator version", "", "1.0"),
        Record("Inputs", "model.name", "", "=evil", key="model.name"),
        Record("Inputs", "model.layers", "", 80, key="model.layers"),
        Record("Inputs", "models", "", "a, b", key="models"),
        Record("Inputs", "gpus", "", 8, key="gpus"),
    ]


def test_a_tables_subject_names_it_in_the_download():
    table = Table(
        "Fleet",
        ("Figure", "Value", "Unit"),
        (Row("GPUs", (Cell("8", 8, "rows.1.gpu_count"), Cell("GPUs"))),),
        subject="DeepSeek-V3",
    )
    assert table.title == "DeepSeek-V3: Fleet"
    assert table_records([table]) == [Record("DeepSeek-V3: Fleet", "GPUs", "Value", 8, "GPUs", key="rows.1.gpu_count")]


def test_price_records():
    pricing = {
        "table": "acme",
        "version": 3,
        "prices": [
            {
                "kind": "rent",
                "value": 2.5,
                "unit": "usd_per_gpu_hour",
                "effective_date": "2025-06-01",
                "source": "Quote 7",
                "table": "acme@3",
                "provider": "Acme",
                "product": "8x H100",
                "region": "",
                "pricing_model": "on_demand",
            },
            {
                "kind": "electricity",
                "value": 0.08,
                "unit": "usd_per_kwh",
                "effective_date": "2024-03-18",
                "source": "EIA",
                "table": "seed",
            },
        ],
    }
    caption = "Prices used, from pricing table acme, version 3"
    assert price_records({"pricing": pricing}) == [
        Record(
            caption,
            "Rent: Acme, 8x H100, on_demand",
            "Value",
            2.5,
            "USD per GPU-hour",
            "Quote 7",
            "pricing.prices.0.value",
        ),
        Record(
            caption,
            "Rent: Acme, 8x H100, on_demand",
            "Effective date",
            "2025-06-01",
            key="pricing.prices.0.effective_date",
        ),
        Record(caption, "Rent: Acme, 8x H100, on_demand", "Pricing table", "acme@3", key="pricing.prices.0.table"),
        Record(caption, "Electricity", "Value", 0.08, "USD per kWh", "EIA", "pricing.prices.1.value"),
        Record(caption, "Electricity", "Effective date", "2024-03-18", key="pricing.prices.1.effective_date"),
        Record(caption, "Electricity", "Pricing table", "seed", key="pricing.prices.1.table"),
    ]
    mine = price_records({"pricing": pricing}, "My 70B", "rows.2.")
    assert {r.table for r in mine} == {f"My 70B: {caption}"}
    assert [r.key for r in mine][:2] == ["rows.2.pricing.prices.0.value", "rows.2.pricing.prices.0.effective_date"]
    assert price_records({"pricing": {"table": "seed", "version": None, "prices": []}}) == []
    assert price_records({}) == []


def test_a_models_assumptions_are_under_its_name():
    assumptions = [{"name": "pue", "value": {"low": 1.1, "mid": 1.2, "high": 1.4}, "unit": "", "source": "Uptime"}]
    assert assumption_records(assumptions, "DeepSeek-V3", "rows.1.") == [
        Record("DeepSeek-V3: Assumptions", "PUE (facility power / IT power)", f"Used for the {s} estimate", v, "",
               "Uptime", f"rows.1.assumptions.0.value.{s}")
        for s, v in (("low", 1.1), ("mid", 1.2), ("high", 1.4))
    ]
