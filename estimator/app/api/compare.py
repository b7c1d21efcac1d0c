"""POST /api/v1/compare: models side by side on one workload, with ratios to a baseline; and
POST /api/v1/compare/hardware: one model and workload on several GPUs, ranked.

Each body is checked by the schema of its ``workload`` (``schemas.load_compare``,
``load_hardware_compare``), so it is read here rather than by ``@blp.arguments``; the OpenAPI
document gets the two schemas of each as a oneOf.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response

from ..jsonsafe import json_response, load_json_body
from ..run import compare_json, hardware_compare_json
from ..schemas import (
    COMPARE_EXAMPLES,
    HARDWARE_COMPARE_EXAMPLES,
    ComparisonSchema,
    HardwareComparisonSchema,
    InferenceCompareRequestSchema,
    InferenceHardwareCompareRequestSchema,
    TrainingCompareRequestSchema,
    TrainingHardwareCompareRequestSchema,
    load_compare,
    load_hardware_compare,
)
from ..state import ready_state
from . import Blueprint

blp = Blueprint("compare", __name__, url_prefix="/api/v1", description="Compare models on one workload")

def _request_body(training: type, inference: type, examples: Mapping[str, object]) -> dict[str, object]:
    """A body of either workload's schema, told apart by 'workload'."""
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [training, inference],
                    "discriminator": {
                        "propertyName": "workload",
                        "mapping": {
                            "training": f"#/components/schemas/{training.__name__.removesuffix('Schema')}",
                            "inference": f"#/components/schemas/{inference.__name__.removesuffix('Schema')}",
                        },
                    },
                },
                "examples": examples,
            }
        },
    }


_REQUEST_BODY = _request_body(TrainingCompareRequestSchema, InferenceCompareRequestSchema, COMPARE_EXAMPLES)
_HARDWARE_REQUEST_BODY = _request_body(
    TrainingHardwareCompareRequestSchema, InferenceHardwareCompareRequestSchema, HARDWARE_COMPARE_EXAMPLES
)


@blp.route("/compare", methods=["POST"])
@blp.doc(requestBody=_REQUEST_BODY)
@blp.alt_response(
    200,
    schema=ComparisonSchema,
    success=True,
    description="The comparison; identical to what `estimator compare --json` prints (a ratio of x/0 is null).",
)
@blp.problem_responses(
    "Invalid input, fewer than 2 or more than 10 models, or both or neither of 'models' and 'preset'.",
    "A model twice, a baseline that is not among the models, or a baseline that cannot run the workload (other "
    "models that cannot run get a row with their error).",
)
def post_compare() -> Response:
    """Compare 2 to 10 models (or a preset) on one training run or one serving load.

    Each row is the model's full estimate; 'metrics' holds its headline figures and 'ratios' each
    figure divided by the baseline's, including output per GPU-hour (the article's "more results
    for the same compute").
    """
    return json_response(compare_json(ready_state(), load_compare(load_json_body())))


@blp.route("/compare/hardware", methods=["POST"])
@blp.doc(requestBody=_HARDWARE_REQUEST_BODY)
@blp.alt_response(
    200,
    schema=HardwareComparisonSchema,
    success=True,
    description="The ranking; identical to what `estimator compare --hardware ... --json` prints.",
)
@blp.problem_responses(
    "Invalid input: an empty or too long list (1 to 24 entries, or \"all\"), an unknown hardware id (404, with "
    "the closest ids), a bad ':precision', the same GPU and precision twice, or an unknown 'rank_by'.",
    "A baseline that is not listed or cannot run, or no entry that can run the workload (the first entry's error).",
)
def post_compare_hardware() -> Response:
    """Which GPU for this workload: one model on 1 to 24 GPUs (or "all"), ranked by a figure.

    Each row is the ordinary estimate of one GPU at one precision (its best supported one unless
    given: serving fp4, else fp8, else bf16; training fp8, else bf16), with its headline figures
    (low / mid / high), their ratios to the baseline's mid, and its rank by the mid of 'rank_by'
    (default: own $ per million output tokens serving, rent $ training), lowest first. A GPU that
    cannot run the workload keeps a row with its error, after the ranked ones.
    """
    return json_response(hardware_compare_json(ready_state(), load_hardware_compare(load_json_body())))
