"""POST /api/v1/estimates/training: parse, call the core, return ``TrainingEstimate.to_dict()`` unchanged."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..cached_answers import body_alias
from ..jsonsafe import json_response
from ..run import training_json
from ..schemas import TRAINING_EXAMPLE, TrainingEstimateSchema, TrainingRequestSchema
from ..state import ready_state
from . import Blueprint

blp = Blueprint("training", __name__, url_prefix="/api/v1/estimates", description="Estimate a training run")


@blp.route("/training", methods=["POST"])
@blp.arguments(TrainingRequestSchema(), example=TRAINING_EXAMPLE)  # one instance, not a schema built per request
@blp.alt_response(
    200,
    schema=TrainingEstimateSchema,
    success=True,
    description="The estimate; identical to what `estimator training --json` prints.",
)
@blp.problem_responses(
    "Invalid input, or a precision the hardware has no tensor cores for.",
    "The model does not fit ('min_gpus'), or the layout does not add up (more model-parallel GPUs than the run "
    "has, expert parallelism for a dense model).",
)
def post_training(data: dict[str, Any]) -> Response:
    """Estimate GPU-hours, GPUs, wall-clock time, power, energy, CO2 and cost of a training run.

    Every figure is a low / mid / high band; 'assumptions' lists each input used with its
    source, and 'warnings' what to be careful about.
    """
    return json_response(training_json(ready_state(), data, body_alias()))
