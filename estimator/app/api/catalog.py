"""GET /api/v1/{hardware,models}[/<id>]: the seed records with their sources."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify

from estimator.catalog import Hardware, Model
from estimator.errors import UnknownIdError

from ..errors import PROBLEM_MIMETYPE, problem_from_core
from ..schemas import HardwareRecordSchema, ModelRecordSchema, ProblemSchema
from ..state import ready_state
from . import Blueprint

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Hardware and model records")

_NOT_FOUND = {
    "schema": ProblemSchema,
    "content_type": PROBLEM_MIMETYPE,
    "description": "Unknown id; 'closest' lists the nearest ids.",
}


def record_dict(record: Hardware | Model) -> dict[str, Any]:
    """Every field of a record, ``source`` and ``as_of`` included; tuples become lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(record).items()}


def _one(get: Callable[[str], Hardware | Model], given: str) -> Response:
    """The record ``get`` finds for the id in the path, or a 404 naming the closest ids."""
    try:
        return jsonify(record_dict(get(given)))
    except UnknownIdError as exc:
        raise problem_from_core(exc, in_body=False) from None


@blp.route("/hardware", methods=["GET"])
@blp.alt_response(200, schema=HardwareRecordSchema(many=True), success=True, description="All GPUs, in seed order.")
def list_hardware() -> Response:
    """List every GPU in the catalog."""
    catalog = ready_state().catalog
    return jsonify([record_dict(h) for h in catalog.hardware.values()])


@blp.route("/hardware/<hardware_id>", methods=["GET"])
@blp.alt_response(200, schema=HardwareRecordSchema, success=True, description="One GPU.")
@blp.alt_response(404, **_NOT_FOUND)
def get_hardware(hardware_id: str) -> Response:
    """One GPU by id or alias."""
    return _one(ready_state().catalog.get_hardware, hardware_id)


@blp.route("/models", methods=["GET"])
@blp.alt_response(200, schema=ModelRecordSchema(many=True), success=True, description="All models, in seed order.")
def list_models() -> Response:
    """List every model in the catalog."""
    catalog = ready_state().catalog
    return jsonify([record_dict(m) for m in catalog.models.values()])


@blp.route("/models/<model_id>", methods=["GET"])
@blp.alt_response(200, schema=ModelRecordSchema, success=True, description="One model.")
@blp.alt_response(404, **_NOT_FOUND)
def get_model(model_id: str) -> Response:
    """One model by id or alias."""
    return _one(ready_state().catalog.get_model, model_id)
