"""The estimates as both the JSON API and the HTML pages run them: checked values in, the core's
own dicts out, so a page and an API call with the same values show the same numbers.

The values have passed the request schemas already; the core builds and checks the records.
Core errors propagate (``errors.py`` maps them to problems); a comparison re-points the errors the
core reports against a single ``model`` at the field of the comparison body they came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from estimator.compare import PRESETS, compare
from estimator.compare_hardware import compare_hardware
from estimator.cost import PriceBook
from estimator.errors import EstimatorError, UnknownIdError
from estimator.inference import estimate_inference
from estimator.inputs import inference_request, training_request
from estimator.training import estimate_training
from pricing.errors import PricingTableError, UnknownPricingTable, UnknownVersion

from .errors import ProblemError, pointer_from_path, problem_from_core
from .schemas import COMPARE_KEYS, HARDWARE_COMPARE_KEYS
from .state import Ready


def _book(ready: Ready, values: Mapping[str, Any]) -> tuple[PriceBook, dict[str, Any]]:
    """The price book the request names (``pricing_table``) and the other values."""
    rest = {k: v for k, v in values.items() if k != "pricing_table"}
    try:
        return ready.price_book(values.get("pricing_table")), rest
    except (UnknownPricingTable, UnknownVersion, PricingTableError) as exc:  # about the ref itself
        raise _at(exc, ("pricing_table",)) from None


#: How each kind of estimate is built from checked values and computed.
_ESTIMATES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "training": (training_request, estimate_training),
    "inference": (inference_request, estimate_inference),
}


def _estimate_json(ready: Ready, kind: str, values: Mapping[str, Any], body_alias: bytes | None = None) -> bytes:
    """``estimate_<kind>(...).to_dict()`` with the named pricing table, as the API's JSON body
    (kept in ``ready.results`` for an identical request on the same day, and, with ``body_alias``,
    for an identical raw body: ``cached_answers.py``)."""
    build, estimate = _ESTIMATES[kind]
    book, rest = _book(ready, values)

    def compute() -> dict[str, Any]:
        return estimate(build(ready.catalog, rest), book, ready.catalog).to_dict()  # type: ignore[no-any-return]

    alias = None if body_alias is None else (body_alias, values.get("pricing_table"))
    return ready.results.encoded(kind, rest, book.ref, compute, alias=alias)


def training_json(ready: Ready, values: Mapping[str, Any], body_alias: bytes | None = None) -> bytes:
    return _estimate_json(ready, "training", values, body_alias)


def inference_json(ready: Ready, values: Mapping[str, Any], body_alias: bytes | None = None) -> bytes:
    return _estimate_json(ready, "inference", values, body_alias)


def book_ref(ready: Ready, table: str | None) -> str | None:
    """The version ``table`` (a ``pricing_table`` value) resolves to now, or None if it does not."""
    try:
        return ready.price_book(table).ref
    except (UnknownPricingTable, UnknownVersion, PricingTableError):
        return None


def run_training(ready: Ready, values: Mapping[str, Any]) -> dict[str, Any]:
    """The training estimate as a dict of its own (the pages' form of ``training_json``)."""
    return orjson.loads(training_json(ready, values))


def run_inference(ready: Ready, values: Mapping[str, Any]) -> dict[str, Any]:
    """The serving estimate as a dict of its own (the pages' form of ``inference_json``)."""
    return orjson.loads(inference_json(ready, values))


def _at(exc: EstimatorError, path: tuple[object, ...]) -> ProblemError:
    """The core error's problem, pointing at ``path`` in the comparison body."""
    problem = problem_from_core(exc)
    problem.errors[0]["pointer"] = pointer_from_path(path)
    return problem


def _finite(value: Any) -> Any:
    """NaN (a ratio to a baseline figure of 0) is not JSON: it becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def run_compare(ready: Ready, data: Mapping[str, Any]) -> dict[str, Any]:
    """The comparison as a dict of its own (the pages' form of ``compare_json``)."""
    return orjson.loads(compare_json(ready, data))


def compare_json(ready: Ready, data: Mapping[str, Any]) -> bytes:
    """``compare(...)`` for a body checked by ``schemas.load_compare``, as the API's JSON body.

    Unknown ids point at ``/models/<i>``, ``/preset`` or ``/baseline``; an error of the baseline's
    own estimate (which fails the whole comparison) points at where the baseline came from.
    """
    paths: list[tuple[object, ...]]
    if data.get("preset") is not None:
        models = list(PRESETS[data["preset"]])
        paths = [("preset",)] * len(models)
    else:
        models = list(data["models"])
        paths = [("models", i) for i in range(len(models))]
    baseline = data.get("baseline")
    for model_id, path in zip(models, paths, strict=True):
        try:
            ready.catalog.get_model(model_id)
        except UnknownIdError as exc:
            raise _at(exc, path) from None
    if baseline is not None:
        try:
            ready.catalog.get_model(baseline)
        except UnknownIdError as exc:
            raise _at(exc, ("baseline",)) from None
    book, values = _book(ready, {k: v for k, v in data.items() if k not in COMPARE_KEYS})

    def compute() -> dict[str, Any]:
        try:
            result = compare(ready.catalog, book, data["workload"], models, values, baseline)
        except EstimatorError as exc:
            if exc.field != "model":
                raise
            raise _at(exc, ("baseline",) if baseline is not None else paths[0]) from None
        return _finite(result)

    key = {k: v for k, v in data.items() if k != "pricing_table"}
    return ready.results.encoded("compare", key, book.ref, compute)


def run_hardware_compare(ready: Ready, data: Mapping[str, Any]) -> dict[str, Any]:
    """The hardware comparison as a dict of its own (the pages' form of ``hardware_compare_json``)."""
    return orjson.loads(hardware_compare_json(ready, data))


def hardware_compare_json(ready: Ready, data: Mapping[str, Any]) -> bytes:
    """``compare_hardware(...)`` for a body checked by ``schemas.load_hardware_compare``, as the
    API's JSON body. The core names the field of each error: an entry ``hardware.<i>``, the
    ``baseline``, ``rank_by``, or the field of the first entry's error when none can run."""
    book, values = _book(ready, {k: v for k, v in data.items() if k not in HARDWARE_COMPARE_KEYS})

    def compute() -> dict[str, Any]:
        result = compare_hardware(ready.catalog, book, data["workload"], data["model"], data["hardware"], values,
                                  data.get("baseline"), data.get("rank_by"))
        return _finite(result)  # type: ignore[no-any-return]

    key = {k: v for k, v in data.items() if k != "pricing_table"}
    return ready.results.encoded("compare-hardware", key, book.ref, compute)
