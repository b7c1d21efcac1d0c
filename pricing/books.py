"""From a pricing-table reference to the core's ``PriceBook``: the one place both the app and the
CLI resolve ``pricing_table`` (``name`` = its active version, ``name@version``, or ``seed``).

Stored versions are immutable, so the book built from one is cached by (name, number) for as
long as the process lives (least recently used first out).

A stored value outside its column's plausible range (``pricing.tables``; a version stored before
the ranges were declared) makes the version unusable for estimates: ``resolve`` refuses it, naming
the row, rather than answer a figure like 2.5e307 USD.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from estimator.catalog import Catalog
from estimator.cost import PriceBook

from .cache import BoundedCache
from .errors import NoActiveVersion, PricingTableError, UnknownPricingTable
from .store import PricingStore, TableInfo, parse_ref
from .tables import SEED_TABLE, TABLES, number_text

CACHE_SIZE = 64
#: Rows (price points) of all cached books together: a 150,000-row version is ~0.4 s of an
#: estimate's CPU to build and tens of MB to keep, and any anonymous estimate may name any version.
CACHE_ROWS = 1_000_000


class BookCache(BoundedCache[tuple[str, int], PriceBook]):
    """Price books of stored versions by (table, version), least recently used dropped first past
    ``size`` books or ``max_rows`` rows in all (a book larger than that is not kept); thread-safe."""

    def __init__(self, size: int = CACHE_SIZE, max_rows: int = CACHE_ROWS) -> None:
        super().__init__(size, max_rows, _rows)

    @property
    def rows(self) -> int:
        return self.total


def _rows(book: PriceBook) -> int:
    return sum(book.row_counts.values())


def seed_sheets(directory: Path, catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    """The seed table's rows (``directory/<sheet>.csv``) typed exactly as an upload's would be:
    each file goes through the same validation as a user's CSV."""
    from .validate import parse_upload

    sheets: dict[str, list[dict[str, Any]]] = {}
    for name in TABLES:
        path = directory / f"{name}.csv"
        if path.exists():
            sheets.update(parse_upload(path.read_bytes(), path.name, catalog=catalog, table=name))
    return sheets


def table_info(store: PricingStore, name: str) -> TableInfo:
    """The stored table ``name``, or an error naming the closest tables (the seed table among them)."""
    tables = {t.name: t for t in store.tables()}
    if name not in tables:
        raise UnknownPricingTable(name, [SEED_TABLE, *tables])
    return tables[name]


def active_version(store: PricingStore, name: str) -> int:
    """The active version of ``name``, or an error saying how to get one."""
    active = table_info(store, name).active_version
    if active is None:
        raise NoActiveVersion(
            f"Pricing table '{name}' has no active version: activate one "
            f"(POST /api/v1/pricing-tables/{name}/active, or `estimator pricing activate {name} <n>`) "
            f"or name a version as '{name}@<n>'.",
            field="pricing_table")
    return active


def check_plausible(sheets: Mapping[str, Sequence[Mapping[str, Any]]], ref: str) -> None:
    """Refuse a stored version holding a number outside its column's plausible range."""
    for sheet, rows in sheets.items():
        table = TABLES.get(sheet)
        numeric = [c for c in table.columns if c.type in ("number", "integer")] if table else []
        for line, row in enumerate(rows, start=2):
            for column in numeric:
                value = row.get(column.name)
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue  # blank; text is PriceBook.from_sheets's to judge
                low = column.minimum if column.minimum is not None else -math.inf
                high = column.maximum if column.maximum is not None else math.inf
                above = column.exclusive_minimum is None or value > column.exclusive_minimum
                if not (math.isfinite(value) and low <= value <= high and above):
                    unit = f" {column.unit}" if column.unit else ""
                    raise PricingTableError(
                        f"Pricing table {ref}, sheet {sheet} row {line}: {column.name} {number_text(value)}{unit} is "
                        f"outside its plausible range ({column.range_text}); estimates do not use this version. "
                        "Import a corrected version.",
                        field="pricing_table")


def resolve(ref: str | None, seed: PriceBook, store: PricingStore | None, cache: BookCache | None = None) -> PriceBook:
    """The price book ``ref`` names; uploaded tables fall back to ``seed`` for what they lack."""
    if ref is None or ref == SEED_TABLE:
        return seed
    name, number = parse_ref(ref)
    if name == SEED_TABLE:
        if number is not None:
            raise PricingTableError("The seed table has no versions: use 'seed'.", field="pricing_table")
        return seed
    if store is None:
        raise UnknownPricingTable(name, [SEED_TABLE])
    if number is None:
        number = active_version(store, name)
    book = cache.get((name, number)) if cache is not None else None
    if book is None:
        stored = store.version(name, number)
        check_plausible(stored.sheets, f"{name}@{stored.info.number}")
        book = PriceBook.from_sheets(stored.sheets, table=name, version=stored.info.number, fallback=seed,
                                     stale_after_days=seed.stale_after_days)
        if cache is not None:
            cache.put((name, number), book)
    return book
