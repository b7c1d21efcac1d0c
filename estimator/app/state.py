"""The data the app loads once at start-up, kept on ``app.extensions``: the catalog, the built-in
``seed`` pricing table, and the store of uploaded pricing tables.

An estimate names its pricing table as ``name`` (the active version) or ``name@version``; the
book for it is built from the stored version once and cached (versions never change).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import ArgumentError

from estimator.catalog import Catalog, load_catalog
from estimator.cost import PriceBook, load_price_book
from estimator.errors import EstimatorError
from pricing.errors import PricingTableError, UnknownPricingTable
from pricing.store import PricingStore, parse_ref
from pricing.tables import SEED_TABLE

from .errors import ProblemError

EXTENSION = "estimator"
BOOK_CACHE_SIZE = 64
log = logging.getLogger(__name__)


@dataclass
class _BookCache:
    """Price books of stored versions by (table, version): immutable, so never stale."""

    books: OrderedDict[tuple[str, int], PriceBook] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple[str, int]) -> PriceBook | None:
        with self.lock:
            book = self.books.get(key)
            if book is not None:
                self.books.move_to_end(key)
            return book

    def put(self, key: tuple[str, int], book: PriceBook) -> None:
        with self.lock:
            self.books[key] = book
            while len(self.books) > BOOK_CACHE_SIZE:
                self.books.popitem(last=False)


@dataclass(frozen=True)
class Ready:
    """What an estimate needs, all loaded."""

    catalog: Catalog
    seed_book: PriceBook
    store: PricingStore | None = None
    cache: _BookCache = field(default_factory=_BookCache, compare=False)

    def price_book(self, ref: str | None = None) -> PriceBook:
        """The price book for ``ref`` (``name`` or ``name@version``; None or 'seed': the seed table)."""
        if ref is None or ref == SEED_TABLE:
            return self.seed_book
        if self.store is None:
            name = ref.split("@", 1)[0]
            raise UnknownPricingTable(name, [SEED_TABLE])
        name, number = parse_ref(ref)
        if name == SEED_TABLE:
            return self.seed_book
        if number is None:
            number = self._active_version(name)
        book = self.cache.get((name, number))
        if book is None:
            stored = self.store.version(name, number)
            book = PriceBook.from_sheets(stored.sheets, table=name, version=stored.info.number,
                                         fallback=self.seed_book, stale_after_days=self.seed_book.stale_after_days)
            self.cache.put((name, number), book)
        return book


    def _active_version(self, name: str) -> int:
        assert self.store is not None
        tables = {t.name: t for t in self.store.tables()}
        if name not in tables:
            raise UnknownPricingTable(name, [SEED_TABLE, *tables])
        active = tables[name].active_version
        if active is None:
            raise PricingTableError(
                f"Pricing table '{name}' has no active version: activate one "
                f"(POST /api/v1/pricing-tables/{name}/active) or name a version as '{name}@<n>'.",
                field="pricing_table")
        return active


@dataclass(frozen=True)
class EstimatorState:
    catalog: Catalog | None
    seed_book: PriceBook | None
    store: PricingStore | None = None
    load_error: str | None = None
    cache: _BookCache = field(default_factory=_BookCache, compare=False)

    @property
    def ready(self) -> bool:
        return bool(
            self.catalog is not None
            and self.catalog.hardware
            and self.catalog.models
            and self.seed_book is not None
            and self.seed_book.points
        )


def load_state(app: Flask) -> EstimatorState:
    """Read the seeds. A failure is logged and leaves the app up but not ready (/readyz 503)."""
    seeds = Path(app.config["SEEDS_DIR"])
    try:
        catalog = load_catalog(seeds)
        book = load_price_book(seeds / "pricing", stale_after_days=app.config["PRICE_STALE_AFTER_DAYS"])
    except (OSError, EstimatorError) as exc:
        log.error("Could not load the catalog and seed pricing table from %s: %s", seeds, exc)
        return EstimatorState(None, None, load_error=f"{type(exc).__name__}: {exc}")
    return EstimatorState(catalog, book, store=app.extensions.get("pricing_store"))


def open_store(app: Flask) -> PricingStore | None:
    """The pricing store named by DATABASE_URL (default: SQLite in the instance folder), with its
    schema created. A store that cannot be opened is logged and leaves uploaded tables unavailable
    (/readyz 503) while the seed table keeps working."""
    url = app.config["DATABASE_URL"] or ("sqlite://" if app.testing else "")
    try:
        store = PricingStore(url) if url else PricingStore.for_instance(app.instance_path)
    except (EstimatorError, ArgumentError) as exc:
        raise ValueError(f"Setting DATABASE_URL (env ESTIMATOR_DATABASE_URL) is not usable: {exc}") from None
    try:
        store.create_schema()
    except EstimatorError as exc:
        log.error("The pricing store %r is unavailable at start-up: %s", store, exc)
    return store


def init_app(app: Flask) -> None:
    app.extensions["pricing_store"] = open_store(app)
    app.extensions[EXTENSION] = load_state(app)


def current_state() -> EstimatorState:
    return current_app.extensions[EXTENSION]


def ready_state() -> Ready:
    """The loaded data, or a 503 problem when it did not load."""
    state = current_state()
    if not state.ready or state.catalog is None or state.seed_book is None:
        raise ProblemError(503, "The catalog or price book did not load at start-up; see the server log.")
    return Ready(state.catalog, state.seed_book, state.store, state.cache)
