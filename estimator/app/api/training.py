"""POST /api/v1/training: parse, call the core, return ``TrainingEstimate.to_dict()`` unchanged."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from estimator.inputs import training_request
from estimator.training import estimate_training

from ..errors import PROBLEM_MIMETYPE
from ..schemas import TRAINING_EXAMPLE, ProblemSchema, TrainingEstimateSchema, TrainingRequestSchema
from ..state import ready_state
from . import Blueprint

blp = Blueprint("training", __name__, url_prefix="/api/v1", description="Estimate a training run")


def _problem(description: str) -> dict[str, Any]:
    return {"schema": ProblemSchema, "content_type": PROBLEM_MIMETYPE, "description": description}


@blp.route("/training", methods=["POST"])
@blp.arguments(TrainingRequestSchema, example=TRAINING_EXAMPLE)
@blp.alt_response(
    200,
    schema=TrainingEstimateSchema,
    success=True,
    description="The estimate; identical to what `estimator training --json` prints.",
)
@blp.alt_response(400, **_problem("Malformed JSON: syntax error, duplicate key or nesting too deep."))
@blp.alt_response(404, **_problem("Unknown model or hardware id; 'closest' lists the nearest ids."))
@blp.alt_response(413, **_problem("Body larger than the limit."))
@blp.alt_response(415, **_problem("Body not sent as application/json."))
@blp.alt_response(422, **_problem("Invalid input, precision not supported by the hardware, or model does not fit."))
@blp.alt_response(503, **_problem("The catalog or price book did not load."))
def post_training(data: dict[str, Any]) -> Response:
    """Estimate GPU-hours, GPUs, wall-clock time, power, energy, CO2 and cost of a training run.

    Every figure is a low / mid / high band; 'assumptions' lists each input used with its
    source, and 'warnings' what to be careful about.
    """
    catalog, book = ready_state()
    estimate = estimate_training(training_request(catalog, data), book, catalog)
    return jsonify(estimate.to_dict())
