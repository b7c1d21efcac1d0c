"""The table declarations are the single source: the core reads the same sheets, the seed CSVs
have exactly the declared columns, and seeds/README.md shows the current declaration."""

from __future__ import annotations

import csv

import pytest

from estimator.catalog import SEEDS_DIR
from estimator.cost import SHEETS
from pricing.tables import TABLES, markdown


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
