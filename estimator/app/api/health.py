"""Liveness and readiness probes (outside the versioned API and its OpenAPI document)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from estimator.errors import EstimatorError

from ..errors import ProblemError
from ..state import ready_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers. No I/O."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Ready to estimate: the catalog and seed pricing table loaded and the pricing store answering
    (503 problem otherwise)."""
    ready = ready_state()
    if ready.store is None:
        raise ProblemError(503, "The pricing store is not configured; see ESTIMATOR_DATABASE_URL.")
    try:
        ready.store.ping()
    except EstimatorError as exc:
        raise ProblemError(503, f"The pricing store is not reachable: {exc.message}") from None
    return jsonify(
        status="ok",
        hardware=len(ready.catalog.hardware),
        models=len(ready.catalog.models),
        price_points=len(ready.seed_book.points),
        price_book_version=ready.seed_book.ref,
        api_prices=len(ready.seed_book.api_prices),
        pricing_store=ready.store.backend,
    )
