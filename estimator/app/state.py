"""The data the app loads once at start-up (catalog and price book), kept on ``app.extensions``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from estimator.catalog import Catalog, load_catalog
from estimator.cost import PriceBook, load_price_book
from estimator.errors import EstimatorError

from .errors import ProblemError

EXTENSION = "estimator"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EstimatorState:
    catalog: Catalog | None
    price_book: PriceBook | None
    load_error: str | None = None

    @property
    def ready(self) -> bool:
        return bool(
            self.catalog is not None
            and self.catalog.hardware
            and self.catalog.models
            and self.price_book is not None
            and self.price_book.points
        )


def load_state(app: Flask) -> EstimatorState:
    """Read the seeds. A failure is logged and leaves the app up but not ready (/readyz 503)."""
    seeds = Path(app.config["SEEDS_DIR"])
    try:
        catalog = load_catalog(seeds)
        book = load_price_book(seeds / "prices.csv")
    except (OSError, EstimatorError) as exc:
        log.error("Could not load the catalog and price book from %s: %s", seeds, exc)
        return EstimatorState(None, None, load_error=f"{type(exc).__name__}: {exc}")
    return EstimatorState(catalog, book)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = load_state(app)


def current_state() -> EstimatorState:
    return current_app.extensions[EXTENSION]


def ready_state() -> tuple[Catalog, PriceBook]:
    """The catalog and price book, or a 503 problem when they did not load."""
    state = current_state()
    if not state.ready or state.catalog is None or state.price_book is None:
        raise ProblemError(503, "The catalog or price book did not load at start-up; see the server log.")
    return state.catalog, state.price_book
