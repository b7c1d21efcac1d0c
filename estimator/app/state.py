"""The data the app loads once at start-up, kept on ``app.extensions``: the catalog, the built-in
``seed`` pricing table, and the store of uploaded pricing tables.

An estimate names its pricing table as ``name`` (the active version) or ``name@version``; the
book for it is built from the stored version once and cached (versions never change).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import ArgumentError

from estimator.catalog import Catalog, load_catalog
from estimator.cost import PriceBook, load_price_book
from estimator.errors import EstimatorError
from pricing.books import BookCache, resolve
from pricing.store import PricingStore

from .errors import ProblemError
from .jsonsafe import strict_json
from .results import ResultCache

EXTENSION = "estimator"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ready:
    """What an estimate needs, all loaded."""

    catalog: Catalog
    seed_book: PriceBook
    store: PricingStore | None = None
    cache: BookCache = field(default_factory=BookCache, compare=False)
    results: ResultCache = field(default_factory=lambda: ResultCache(0), compare=False)

    def price_book(self, ref: str | None = None) -> PriceBook:
        """The price book for ``ref`` (``name`` or ``name@version``; None or 'seed': the seed table)."""
        return resolve(ref, self.seed_book, self.store, self.cache)


@dataclass(frozen=True)
class EstimatorState:
    catalog: Catalog | None
    seed_book: PriceBook | None
    store: PricingStore | None = None
    load_error: str | None = None
    cache: BookCache = field(default_factory=BookCache, compare=False)
    results: ResultCache = field(default_factory=lambda: ResultCache(0), compare=False)

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
    return EstimatorState(
        catalog, book, store=app.extensions.get("pricing_store"), results=ResultCache(app.config["RESULT_CACHE_BYTES"], strict_json(app).default)
    )


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
    return Ready(state.catalog, state.seed_book, state.store, state.cache, state.results)
