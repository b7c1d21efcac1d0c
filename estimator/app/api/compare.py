"""POST /api/v1/compare: models side by side on one workload, with ratios to a baseline.

The body is checked by the schema of its ``workload`` (``schemas.load_compare``), so it is read
here rather than by ``@blp.arguments``; the OpenAPI document gets the two schemas as a oneOf.
"""

from __future__ import annotations

from flask import Response

from ..jsonsafe import json_response, load_json_body
from ..run import compare_json
from ..schemas import (
    COMPARE_EXAMPLES,
    ComparisonSchema,
    InferenceCompareRequestSchema,
    TrainingCompareRequestSchema,
    load_compare,
)
from ..state import ready_state
from . import Blueprint

blp = Blueprint("compare", __name__, url_prefix="/api/v1", description="Compare models on one workload")

_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [TrainingCompareRequestSchema, InferenceCompareRequestSchema],
                "discriminator": {
                    "propertyName": "workload",
                    "mapping": {
                        "training": "#/components/schemas/TrainingCompareRequest",
                        "inference": "#/components/schemas/InferenceCompareRequest",
                    },
                },
            },
            "examples": COMPARE_EXAMPLES,
        }
    },
}


@blp.route("/compare", methods=["POST"])
@blp.doc(requestBody=_REQUEST_BODY)
@blp.alt_response(
    200,
    schema=ComparisonSchema,
    success=True,
    description="The comparison; identical to what `estimator compare --json` prints (a ratio of x/0 is null).",
)
@blp.problem_responses(
    "Invalid input, fewer than 2 or more than 10 models, both or neither of 'models' and 'preset', or the "
    "baseline cannot run the workload (other models that cannot run get a row with their error).",
)
def post_compare() -> Response:
    """Compare 2 to 10 models (or a preset) on one training run or one serving load.

    Each row is the model's full estimate; 'metrics' holds its headline figures and 'ratios' each
    figure divided by the baseline's, including output per GPU-hour (the article's "more results
    for the same compute").
    """
    return json_response(compare_json(ready_state(), load_compare(load_json_body())))
