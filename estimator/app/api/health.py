"""Liveness and readiness probes (outside the versioned API and its OpenAPI document)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..state import ready_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers. No I/O."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Ready to estimate: the catalog, price book and API prices loaded (503 problem otherwise)."""
    ready = ready_state()
    return jsonify(
        status="ok",
        hardware=len(ready.catalog.hardware),
        models=len(ready.catalog.models),
        price_points=len(ready.seed_book.points),
        price_book_version=ready.seed_book.ref,
        api_prices=len(ready.seed_book.api_prices),
    )
