"""The data the app loads once at start-up, kept on ``app.extensions``: the catalog, the price
book and the public API price list."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from estimator.catalog import Catalog, load_catalog
from estimator.cost import PriceBook, load_api_prices, load_price_book
from estimator.errors import EstimatorError

from .errors import ProblemError

EXTENSION = "estimator"
log = logging.getLogger(__name__)

ApiPrices = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Ready:
    """What an estimate needs, all loaded."""

    catalog: Catalog
    price_book: PriceBook
    api_prices: ApiPrices


@dataclass(frozen=True)
class EstimatorState:
    catalog: Catalog | None
    price_book: PriceBook | None
    api_prices: ApiPrices | None = None
    load_error: str | None = None

    @property
    def ready(self) -> bool:
        return bool(
            self.catalog is not None
            and self.catalog.hardware
            and self.catalog.models
            and self.price_book is not None
            and self.price_book.points
            and self.api_prices is not None
        )


def load_state(app: Flask) -> EstimatorState:
    """Read the seeds. A failure is logged and leaves the app up but not ready (/readyz 503)."""
    seeds = Path(app.config["SEEDS_DIR"])
    try:
        catalog = load_catalog(seeds)
        book = load_price_book(seeds / "prices.csv")
        api_prices = load_api_prices(seeds / "api_prices.csv")
    except (OSError, EstimatorError) as exc:
        log.error("Could not load the catalog, price book and API prices from %s: %s", seeds, exc)
        return EstimatorState(None, None, None, load_error=f"{type(exc).__name__}: {exc}")
    return EstimatorState(catalog, book, api_prices)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = load_state(app)


def current_state() -> EstimatorState:
    return current_app.extensions[EXTENSION]


def ready_state() -> Ready:
    """The loaded data, or a 503 problem when it did not load."""
    state = current_state()
    if not state.ready or state.catalog is None or state.price_book is None or state.api_prices is None:
        raise ProblemError(503, "The catalog or price book did not load at start-up; see the server log.")
    return Ready(state.catalog, state.price_book, state.api_prices)
