"""What a fleet produces in a year at a stated utilisation: training runs of a model, or tokens per
day served. Both go through the existing estimates (``estimate_training``, ``estimate_inference``):
there is no second copy of the physics here.

Inputs: a ``CapacityPlan`` (GPUs and utilisation per scenario), the model, the workload's values
(tokens and GPUs per run; serving precision, request shape and latency targets), the price book
and the catalog. Outputs: ``TrainingOutput`` / ``ServingOutput`` (figures low / mid / high).

- runs a year       = fleet GPUs x 8,766 h x utilisation / GPU-hours of one run (``estimate_training``)
- concurrent runs   = fleet GPUs // GPUs per run; days per run from the estimate
- output tokens/day = (fleet GPUs // GPUs per replica) x one replica's output tokens/s at the batch that
                      meets the latency targets (``estimate_inference`` without a load) x 86,400 s x utilisation
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import defaults as d
from ..bands import SCENARIOS, Band
from ..catalog import Catalog
from ..cost import PriceBook
from ..figures import Serving, Training
from ..inference import estimate_inference
from ..inputs import inference_request, training_request
from ..training import estimate_training
from .capacity import CapacityPlan
from .structure import spread

#: GPUs per training run when the request gives none: 16,384, Llama 3 405B's run (arXiv:2407.21783
#: §3.3), capped at the fleet.
DEFAULT_RUN_GPUS = 16384


@dataclass(frozen=True)
class TrainingOutput:
    model: str
    tokens: float
    gpus_per_run: int
    gpu_hours_per_run: Band
    days_per_run: Band
    runs_per_year: Band
    concurrent_runs: int
    estimate: dict[str, Any]


def training_output(plan: CapacityPlan, values: Mapping[str, Any], book: PriceBook, catalog: Catalog) -> TrainingOutput:
    """Training runs a year: ``values`` are a training request's (model, tokens, precision …)."""
    fleet = plan.gpus_by_scenario
    per_node = plan.gpus_per_system
    run_gpus = values.get("gpus") or min(DEFAULT_RUN_GPUS, plan.gpus.mid)
    run_gpus = max(per_node, run_gpus // per_node * per_node) if values.get("gpus") is None else run_gpus
    request = training_request(catalog, {**values, "hardware": plan.hardware, "gpus": run_gpus})
    result = estimate_training(request, book, catalog).to_dict()
    gpu_hours = Training.GPU_HOURS.value(result)
    days = Training.WALL_CLOCK_DAYS.value(result)
    u = plan.utilisation
    runs = Band(*(fleet[s] * d.HOURS_PER_YEAR * u[s] / gpu_hours[s] for s in SCENARIOS))
    return TrainingOutput(model=request.model.id, tokens=float(request.tokens), gpus_per_run=int(run_gpus),
                          gpu_hours_per_run=Band(**gpu_hours), days_per_run=Band(**days),
                          runs_per_year=spread(runs.low, runs.mid, runs.high), concurrent_runs=plan.gpus.mid // int(run_gpus),
                          estimate=result)


@dataclass(frozen=True)
class ServingOutput:
    model: str
    gpus_per_replica: int
    replicas: int
    output_tokens_per_s_per_replica: Band
    output_tokens_per_day: Band
    estimate: dict[str, Any]


def serving_output(plan: CapacityPlan, values: Mapping[str, Any], book: PriceBook, catalog: Catalog) -> ServingOutput:
    """Output tokens a day served: ``values`` are a serving request's (model, precision, targets …) without a load."""
    fleet = plan.gpus_by_scenario
    request = inference_request(catalog, {**values, "hardware": plan.hardware})
    result = estimate_inference(request, book, catalog).to_dict()
    per_replica_gpus = int(Serving.GPUS_PER_REPLICA.value(result))
    capacity = Serving.OUTPUT_TOKENS_PER_S.value(result)
    # The most output per replica goes with the low-cost scenario (highest utilisation).
    best_first = {"low": capacity["high"], "mid": capacity["mid"], "high": capacity["low"]}
    u = plan.utilisation
    per_day = Band(*((fleet[s] // per_replica_gpus) * best_first[s] * d.SECONDS_PER_DAY * u[s] for s in SCENARIOS))
    return ServingOutput(model=request.model.id, gpus_per_replica=per_replica_gpus,
                         replicas=plan.gpus.mid // per_replica_gpus,
                         output_tokens_per_s_per_replica=Band(**capacity),
                         output_tokens_per_day=spread(per_day.low, per_day.mid, per_day.high), estimate=result)
