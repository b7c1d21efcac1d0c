"""POST /api/v1/estimates/inference: parse, call the core, return ``InferenceEstimate.to_dict()`` unchanged."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..cached_answers import body_alias
from ..jsonsafe import json_response
from ..run import inference_json
from ..schemas import INFERENCE_EXAMPLE, InferenceEstimateSchema, InferenceRequestSchema
from ..state import ready_state
from . import Blueprint

blp = Blueprint("inference", __name__, url_prefix="/api/v1/estimates", description="Estimate serving a model")


@blp.route("/inference", methods=["POST"])
@blp.arguments(InferenceRequestSchema(), example=INFERENCE_EXAMPLE)  # one instance, not a schema built per request
@blp.alt_response(
    200,
    schema=InferenceEstimateSchema,
    success=True,
    description="The estimate; identical to what `estimator inference --json` prints.",
)
@blp.problem_responses(
    "Invalid input; 'params' instead of a model; or a precision the hardware has no tensor cores for.",
    "The model does not fit ('min_gpus_per_replica'); latency targets that no replica meets ('binding': ttft or "
    "tpot, 'best_ms'); a context longer than the model supports; or a replica the hardware's tensor-parallel "
    "group or the model's heads do not divide.",
)
def post_inference(data: dict[str, Any]) -> Response:
    """Estimate the replicas, GPUs, latency, power, energy, CO2 and cost per million tokens of serving a model.

    The replica shape (GPUs, batch) is the cheapest that fits in memory and meets the latency
    targets; the fleet is sized for the load. Figures are low / mid / high bands; the public API
    price of the same model, when known, is returned next to the cost per million tokens.
    """
    return json_response(inference_json(ready_state(), data, body_alias()))
