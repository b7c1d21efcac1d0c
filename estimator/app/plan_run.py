"""The planning results as both the JSON API and the pages run them: checked values in (the
``plan_schemas`` request schemas), the planning core's own dicts out (``estimator.planning.results``),
kept in ``ready.results`` for an identical request on the same day.

A core error about a training or serving item of a plan, or about a starting fleet or a comparison
inside a demand request, is re-pointed at that item of the body (``/train/1/model``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from estimator.cost import PriceBook
from estimator.errors import EstimatorError
from estimator.planning import presets
from estimator.planning.capacity import OVERRIDES, CapacityPlan, CapacityRequest, plan_capacity
from estimator.planning.demand import demand_scenario, gain_from_comparison
from estimator.planning.estimate_sensitivity import DEFAULT_SAMPLES as DEFAULT_ESTIMATE_SAMPLES
from estimator.planning.estimate_sensitivity import METRICS, analyse_estimate
from estimator.planning.mix import plan_mix
from estimator.planning.produce import serving_output, training_output
from estimator.planning.rent_vs_buy import RentVsBuyRequest, rent_vs_buy
from estimator.planning.results import capacity_dict, demand_dict, mix_dict, rent_vs_buy_dict, sensitivity_dict
from estimator.planning.sensitivity import analyse

from .errors import ProblemError, pointer_from_path, problem_from_core
from .run import _book
from .state import Ready

_SIZE = ("budget_usd", "power_mw")


def _nested(exc: EstimatorError, prefix: tuple[object, ...]) -> ProblemError:
    """The core error's problem, pointing inside the body at ``prefix`` (and the field it names)."""
    problem = problem_from_core(exc)
    inner = tuple(exc.field.split(".")) if exc.field else ()
    problem.errors[0]["pointer"] = pointer_from_path((*prefix, *inner))
    return problem


def _capacity_request(ready: Ready, values: Mapping[str, Any], prefix: tuple[object, ...] = ()) -> CapacityRequest:
    try:
        hardware = ready.catalog.get_hardware(values["hardware"])
    except EstimatorError as exc:
        exc.field = "hardware"
        raise _nested(exc, prefix) from None
    return CapacityRequest(hardware, **{k: values[k] for k in (*_SIZE, *OVERRIDES, "electricity_market")
                                        if values.get(k) is not None})


def _plan(ready: Ready, book: PriceBook, values: Mapping[str, Any], prefix: tuple[object, ...] = ()) -> CapacityPlan:
    try:
        return plan_capacity(_capacity_request(ready, values, prefix), book, ready.catalog)
    except ProblemError:
        raise
    except EstimatorError as exc:
        raise _nested(exc, prefix) from None


def _items(run: Callable[..., Any], plan: CapacityPlan, items: list[dict[str, Any]], book: PriceBook, ready: Ready,
           name: str) -> list[Any]:
    out = []
    for i, item in enumerate(items):
        try:
            out.append(run(plan, item, book, ready.catalog))
        except EstimatorError as exc:
            raise _nested(exc, (name, i)) from None
    return out


def _encoded(ready: Ready, kind: str, values: Mapping[str, Any], compute: Callable[[PriceBook], Any]) -> bytes:
    book, rest = _book(ready, values)
    return ready.results.encoded(kind, rest, book.ref, lambda: compute(book))


def _mix(ready: Ready, book: PriceBook, values: Mapping[str, Any]) -> dict[str, Any]:
    """A plan over a mix of GPUs (``hardware`` a list of {id, share}); what each part produces under ``mix``."""
    parts = []
    for i, item in enumerate(values["hardware"]):
        try:
            parts.append((ready.catalog.get_hardware(item["id"]), item["share"]))
        except EstimatorError as exc:
            exc.field = "id"
            raise _nested(exc, ("hardware", i)) from None
    rest = {k: values[k] for k in (*_SIZE, *OVERRIDES, "electricity_market") if values.get(k) is not None}
    try:
        mixed = plan_mix(CapacityRequest(parts[0][0], **rest), parts, book, ready.catalog)
    except EstimatorError as exc:
        raise _nested(exc, ()) from None
    plans = [p.plan for p in mixed.parts]
    training = [_items(training_output, plan, values.get("train", []), book, ready, "train") for plan in plans]
    serving = [_items(serving_output, plan, values.get("serve", []), book, ready, "serve") for plan in plans]
    return mix_dict(mixed, training, serving)


def capacity_json(ready: Ready, values: Mapping[str, Any]) -> bytes:
    def compute(book: PriceBook) -> dict[str, Any]:
        if isinstance(values["hardware"], list):
            return _mix(ready, book, values)
        plan = _plan(ready, book, values)
        training = _items(training_output, plan, values.get("train", []), book, ready, "train")
        serving = _items(serving_output, plan, values.get("serve", []), book, ready, "serve")
        return capacity_dict(plan, training, serving)

    return _encoded(ready, "plan-capacity", values, compute)


def rent_vs_buy_json(ready: Ready, values: Mapping[str, Any]) -> bytes:
    def compute(book: PriceBook) -> dict[str, Any]:
        capacity = _capacity_request(ready, values)
        request = RentVsBuyRequest(capacity, gpus=values["gpus"], horizon_months=values.get("horizon_months", 60),
                                   cost_of_capital=values.get("cost_of_capital"),
                                   usd_per_gpu_hour=values.get("usd_per_gpu_hour"))
        return rent_vs_buy_dict(rent_vs_buy(request, book, ready.catalog))

    return _encoded(ready, "plan-rent-vs-buy", values, compute)


def demand_json(ready: Ready, values: Mapping[str, Any]) -> bytes:
    def compute(book: PriceBook) -> dict[str, Any]:
        gain, source = values.get("efficiency_gain"), "request"
        if gain is None:
            c = values["compare"]
            extra = {k: c[k] for k in ("hardware", "precision", "gpus", "tokens") if k in c}
            try:
                gain, source = gain_from_comparison(ready.catalog, book, c["workload"], c["baseline"], c["efficient"],
                                                    extra)
            except EstimatorError as exc:
                raise _nested(exc, ("compare",)) from None
        fleet = _plan(ready, book, values["fleet"], ("fleet",)) if values.get("fleet") else None
        elasticities = values.get("elasticities") or ([values["elasticity"]] if "elasticity" in values else None)
        return demand_dict(demand_scenario(gain, elasticities, fleet=fleet, gain_source=source))

    return _encoded(ready, "scenario-demand", values, compute)


def sensitivity_json(ready: Ready, values: Mapping[str, Any]) -> bytes:
    def compute(book: PriceBook) -> dict[str, Any]:
        plan = _plan(ready, book, values)
        result = analyse(plan, values.get("metric", "own_usd_per_used_gpu_hour"), values.get("samples", 256),
                         values.get("seed", 1))
        return sensitivity_dict(result, plan)

    return _encoded(ready, "sensitivity", values, compute)


def estimate_sensitivity_json(ready: Ready, workload: str, values: Mapping[str, Any]) -> bytes:
    def compute(book: PriceBook) -> dict[str, Any]:
        rest = {k: v for k, v in values.items() if k not in ("metric", "samples", "seed", "pricing_table")}
        sens, estimate = analyse_estimate(workload, rest, book, ready.catalog, values.get("metric"),
                                          values.get("samples", DEFAULT_ESTIMATE_SAMPLES), values.get("seed", 1))
        return sensitivity_dict(sens, estimate=estimate, label=METRICS[workload][sens.metric].heading)

    return _encoded(ready, f"sensitivity-{workload}", values, compute)


def article_json(ready: Ready, values: Mapping[str, Any]) -> bytes:
    return _encoded(ready, "plan-article", values, lambda book: presets.article(book, ready.catalog))


RUNS: dict[str, Callable[[Ready, Mapping[str, Any]], bytes]] = {
    "capacity": capacity_json, "rent-vs-buy": rent_vs_buy_json, "demand": demand_json,
    "sensitivity": sensitivity_json, "article": article_json,
}


def estimate_sensitivity(ready: Ready, workload: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """An estimate's sensitivity as a dict of its own (the page's form of ``estimate_sensitivity_json``)."""
    result: dict[str, Any] = orjson.loads(estimate_sensitivity_json(ready, workload, values))
    return result


def run(kind: str, ready: Ready, values: Mapping[str, Any]) -> dict[str, Any]:
    """The result as a dict of its own (the pages' form of the ``*_json`` functions)."""
    result: dict[str, Any] = orjson.loads(RUNS[kind](ready, values))
    return result
