"""The table declarations are the single source: the core reads the same sheets, the seed CSVs
have exactly the declared columns, and seeds/README.md shows the current declaration."""

from __future__ import annotations

import csv

import pytest

from estimator.catalog import SEEDS_DIR
from estimator.cost import SHEETS
from pricing.tables import TABLES, Column, markdown


def test_core_reads_the_declared_sheets():
    assert tuple(TABLES) == SHEETS


@pytest.mark.parametrize("name", list(TABLES))
def test_seed_csv_has_the_declared_columns_in_order(name):
    with (SEEDS_DIR / "pricing" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert tuple(header) == TABLES[name].column_names


def test_seed_readme_shows_the_current_declaration():
    readme = (SEEDS_DIR / "README.md").read_text(encoding="utf-8")
    assert f"<!-- pricing-columns:start -->\n{markdown()}<!-- pricing-columns:end -->" in readme, (
        "seeds/README.md is out of date: run `python -m pricing.tables`")


# The plausible range of every numeric column (issue 13): a value outside it is refused at import and
# by an estimate naming a version stored before the range was declared. Bounds are generous: the seed
# rows lie well inside (GPU-hours 1.84-12.29 USD, capex 17,499-3,000,000 USD, electricity 0.066-0.089
# USD/kWh, colocation 163-184 USD/kW-month, API prices 0.07-60 USD per million tokens).
RANGES = {
    ("gpu_prices", "usd_per_gpu_hour"): "0.01 to 1,000 USD/GPU-hour",
    ("hardware_costs", "usd_capex"): "100 to 1,000,000,000 USD",
    ("hardware_costs", "gpus_per_unit"): "1 to 100,000 GPUs",
    ("hardware_costs", "amortization_years"): "1 to 30 years",
    ("energy", "usd_per_kwh"): "0.001 to 10 USD/kWh",
    ("energy", "pue"): "1 to 5",
    ("energy", "grid_kgco2_per_kwh"): "0 to 2 kg CO2/kWh",
    ("colocation", "usd_per_kw_month"): "1 to 10,000 USD/kW-month",
    ("api_prices", "usd_per_million_input_tokens"): "0.001 to 10,000 USD/1M tokens",
    ("api_prices", "usd_per_million_output_tokens"): "0.001 to 10,000 USD/1M tokens",
    ("api_prices", "usd_per_million_cached_input_tokens"): "0.001 to 10,000 USD/1M tokens",
}


def test_every_numeric_column_declares_a_plausible_range():
    numeric = {(t.name, c.name): c for t in TABLES.values() for c in t.columns if c.type in ("number", "integer")}
    assert set(numeric) == set(RANGES)
    assert {key: column.range_text for key, column in numeric.items()} == RANGES


def test_a_numeric_column_without_a_range_is_refused():
    with pytest.raises(ValueError, match="x: a number column declares its plausible range"):
        Column("x", "number", "no range", minimum=0)


ENERGY_ROW = {"region": "Texas", "usd_per_kwh": 0.066, "pue": None, "grid_kgco2_per_kwh": None,
              "effective_date": "2024-10-01", "source": "EIA", "notes": ""}


def test_a_column_declared_later_leaves_the_digests_of_rows_without_it_as_they_were():
    """energy.market came after versions were stored (their rows have no such key): a row without it, or
    with it blank, digests as before, so a diff of an old version and its re-import finds no change; a
    row that gives a market digests apart."""
    from pricing.store import SheetDigests

    assert TABLES["energy"].column("market").added
    old = SheetDigests.of("energy", [ENERGY_ROW])
    for market in (None, ""):
        again = SheetDigests.of("energy", [{**ENERGY_ROW, "market": market}])
        assert (again.keys.tolist(), again.rows.tolist()) == (old.keys.tolist(), old.rows.tolist())
    given = SheetDigests.of("energy", [{**ENERGY_ROW, "market": "United States"}])
    assert given.keys.tolist() == old.keys.tolist() and given.rows.tolist() != old.rows.tolist()


def test_the_market_column_reaches_the_export_and_the_template_and_old_rows_export_it_blank():
    import io

    from openpyxl import load_workbook

    from pricing.export import template_xlsx, to_csv

    text = to_csv("energy", [ENERGY_ROW]).decode("utf-8-sig")  # a row stored before the column: blank market
    assert text.splitlines()[:2] == ["region,market,usd_per_kwh,pue,grid_kgco2_per_kwh,effective_date,source,notes",
                                     "Texas,,0.066,,,2024-10-01,EIA,"]
    book = load_workbook(io.BytesIO(template_xlsx()), read_only=True)
    assert [c.value for c in next(book["energy"].iter_rows(max_row=1))][:3] == ["region", "market", "usd_per_kwh"]
    readme = [[c for c in row if c is not None] for row in book["README"].iter_rows(values_only=True)]
    assert any("market" in row and "United States" in row for row in readme)
