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
