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
    """Ready to estimate: the catalog and price book loaded and are not empty (503 problem otherwise)."""
    catalog, book = ready_state()
    return jsonify(
        status="ok",
        hardware=len(catalog.hardware),
        models=len(catalog.models),
        price_points=len(book.points),
        price_book_version=book.version,
    )
