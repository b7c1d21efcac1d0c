"""Planning endpoints: POST /api/v1/plans/capacity, /api/v1/plans/rent-vs-buy, /api/v1/scenarios/demand,
/api/v1/sensitivity, and GET /api/v1/plans/presets/article. Parse strictly, call the planning core
(``app/plan_run.py``), return its dict unchanged (what ``estimator plan … --json`` prints)."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..jsonsafe import json_response
from ..plan_run import (
    article_json,
    capacity_json,
    demand_json,
    estimate_sensitivity_json,
    rent_vs_buy_json,
    sensitivity_json,
)
from ..plan_schemas import (
    CAPACITY_EXAMPLES,
    DEMAND_EXAMPLES,
    ESTIMATE_SENSITIVITY_EXAMPLES,
    RENT_VS_BUY_EXAMPLE,
    SENSITIVITY_EXAMPLE,
    ArticlePresetSchema,
    CapacityPlanSchema,
    CapacityRequestSchema,
    DemandRequestSchema,
    DemandScenarioSchema,
    InferenceSensitivityRequestSchema,
    RentVsBuyRequestSchema,
    RentVsBuySchema,
    SensitivityRequestSchema,
    SensitivitySchema,
    TrainingSensitivityRequestSchema,
)
from ..state import ready_state
from . import Blueprint

blp = Blueprint("plans", __name__, url_prefix="/api/v1", description="Datacenter planning: capacity, rent versus "
                "buy, demand after an efficiency gain, sensitivity")

_INVALID = "Invalid input (a value out of range, both or neither of two alternatives, a share over 100 %); the " \
           "pointer names the field."
_CONFLICT = "Shares of a mix that do not add up to 1, a GPU twice in a mix, or a model that cannot run on the " \
            "hardware (does not fit, latency targets no replica meets); the pointer names the field."


@blp.route("/plans/capacity", methods=["POST"])
@blp.arguments(CapacityRequestSchema(), examples=CAPACITY_EXAMPLES)
@blp.alt_response(200, schema=CapacityPlanSchema, success=True,
                  description="The plan; identical to what `estimator plan --json` prints.")
@blp.problem_responses(_INVALID, _CONFLICT)
def post_capacity(data: dict[str, Any]) -> Response:
    """What a capex budget or a facility power envelope buys, and what it produces.

    GPUs, servers, racks (by system kind), IT and facility MW, energy, CO2, capex by category and
    annual own cost, low / mid / high; with 'train' or 'serve', the training runs a year or output
    tokens a day the fleet produces at its utilisation (through the training and serving estimates).
    """
    return json_response(capacity_json(ready_state(), data))


@blp.route("/plans/rent-vs-buy", methods=["POST"])
@blp.arguments(RentVsBuyRequestSchema(), example=RENT_VS_BUY_EXAMPLE)
@blp.alt_response(200, schema=RentVsBuySchema, success=True,
                  description="Rent versus buy; identical to what `estimator rent-vs-buy --json` prints.")
@blp.problem_responses(_INVALID, _CONFLICT)
def post_rent_vs_buy(data: dict[str, Any]) -> Response:
    """Cumulative cost of renting and of buying a fleet by month, at a cost of capital.

    Break-even month and break-even utilisation; money in present value (annuity formula).
    """
    return json_response(rent_vs_buy_json(ready_state(), data))


@blp.route("/scenarios/demand", methods=["POST"])
@blp.arguments(DemandRequestSchema(), examples=DEMAND_EXAMPLES)
@blp.alt_response(200, schema=DemandScenarioSchema, success=True,
                  description="The scenario; identical to what `estimator scenario demand --json` prints.")
@blp.problem_responses(_INVALID, _CONFLICT)
def post_demand(data: dict[str, Any]) -> Response:
    """Demand for compute after an efficiency gain: gain^(elasticity - 1) (Jevons' paradox).

    The gain is a number or the ratio of output per GPU-hour between two models; with a 'fleet',
    the GPUs, MW and spend that demand implies.
    """
    return json_response(demand_json(ready_state(), data))


@blp.route("/sensitivity", methods=["POST"])
@blp.arguments(SensitivityRequestSchema(), example=SENSITIVITY_EXAMPLE)
@blp.alt_response(200, schema=SensitivitySchema, success=True,
                  description="Tornado and Sobol indices; identical to `estimator plan --sensitivity --json`.")
@blp.problem_responses(_INVALID, _CONFLICT)
def post_sensitivity(data: dict[str, Any]) -> Response:
    """Which input of a capacity plan matters most for one of its figures.

    A tornado (each input low and high, the others at mid) and first-order and total Sobol indices
    (SALib) over the same inputs.
    """
    return json_response(sensitivity_json(ready_state(), data))


def _estimate_sensitivity(workload: str) -> Any:
    schema = TrainingSensitivityRequestSchema if workload == "training" else InferenceSensitivityRequestSchema

    def post(data: dict[str, Any]) -> Response:
        return json_response(estimate_sensitivity_json(ready_state(), workload, data))

    inputs = "prices, PUE and goodput" if workload == "training" else "prices and PUE"
    post.__doc__ = (f"Which input matters most for a {workload} estimate: {inputs}.\n\nEach evaluation is the "
                    "estimate itself with those inputs given; tornado and Sobol indices (SALib) over their bands.")
    post.__name__ = f"post_{workload}_sensitivity"
    view = blp.problem_responses(_INVALID, _CONFLICT)(post)
    view = blp.alt_response(200, schema=SensitivitySchema, success=True, description="Tornado and Sobol indices; "
                            f"identical to `estimator {workload} --sensitivity --json`.")(view)
    view = blp.arguments(schema(), example=ESTIMATE_SENSITIVITY_EXAMPLES[workload])(view)
    return blp.route(f"/sensitivity/{workload}", methods=["POST"], endpoint=f"sensitivity_{workload}")(view)


post_training_sensitivity = _estimate_sensitivity("training")
post_inference_sensitivity = _estimate_sensitivity("inference")


@blp.route("/plans/presets/article", methods=["GET"])
@blp.alt_response(200, schema=ArticlePresetSchema, success=True,
                  description="The article preset; identical to `estimator plan --preset article --json`.")
def get_article() -> Response:
    """$60B, $500B and $40B on H100, H200 and GB200 NVL72: what each buys and produces, and demand after 10x.

    Training runs a year of DeepSeek-V3 and Llama 3.1 405B, output tokens a day of each, and the
    demand for compute after a 10x efficiency gain at the sourced low / mid / high elasticities.
    """
    return json_response(article_json(ready_state(), {}))
