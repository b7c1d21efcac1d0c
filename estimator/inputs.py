"""Turn a request's plain values (from JSON, the CLI or a spreadsheet row) into core records.

A model is named by catalog id, given inline as an architecture mapping, or given by parameter
counts alone (``params`` and optional ``active_params``); a hardware record by id or inline.
The app and the CLI both call ``training_request`` so they produce the same estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .catalog import Catalog, Hardware, Model
from .errors import CatalogConflictError, CatalogError, ConflictError, InvalidInputError
from .inference import InferenceRequest
from .training import TrainingRequest

R = TypeVar("R", Model, Hardware)

#: The parallel layout and global batch of the step model (``training_time.default_layout`` chooses
#: what is not given).
TRAINING_LAYOUT = ("tensor_parallel", "pipeline_parallel", "context_parallel", "expert_parallel", "global_batch_tokens")
TRAINING_OPTIONAL = (
    "precision", "gpus", "deadline_days", "sequence_tokens", "recompute", "utilisation", "goodput", *TRAINING_LAYOUT,
    "pue", "grid_kg_co2_per_kwh", "usd_per_gpu_hour", "capex_usd_per_gpu", "usd_per_kwh", "electricity_market",
)


def _inline(record: type[R], values: Mapping[str, Any], prefix: str) -> R:
    """An inline record (``Model`` or ``Hardware``) from the request's object at ``prefix``; its
    errors name the field inside that object (``model.layers``)."""
    try:
        return record.from_mapping(values, inline=True)
    except CatalogError as exc:
        field = f"{prefix}.{exc.field}" if exc.field else prefix
        raise _request_error(exc)(f"{prefix}: {exc.message}", field=field) from None


def _request_error(exc: CatalogError) -> type[InvalidInputError]:
    """A record's error as a request's: two figures that contradict each other stay a conflict."""
    return ConflictError if isinstance(exc, CatalogConflictError) else InvalidInputError


def resolve_model(catalog: Catalog, values: Mapping[str, Any]) -> Model:
    model = values.get("model")
    params = values.get("params")
    given = [k for k in ("model", "params") if values.get(k) is not None]
    if len(given) != 1:
        raise InvalidInputError(
            "Give exactly one of 'model' (a catalog id such as 'llama-3.1-405b', or an architecture object) "
            "or 'params' (total parameters, with optional 'active_params').",
            field="model",
        )
    if model is not None and values.get("active_params") is not None:  # an inline model has its own
        raise InvalidInputError("'active_params' goes with 'params', not with a 'model' (its id or object has them).",
                                field="active_params")
    if isinstance(model, str):
        return catalog.get_model(model)
    if isinstance(model, Mapping):
        return _inline(Model, model, "model")
    if model is not None:
        raise InvalidInputError("'model' must be a catalog id or an architecture object.", field="model")
    try:
        return Model.from_mapping(
            {"id": "custom-model", "name": "custom model", "total_params": params, "active_params": values.get("active_params")},
            inline=True,
        )
    except CatalogError as exc:
        field = "params" if exc.field == "total_params" else exc.field
        raise _request_error(exc)(exc.message.replace("'total_params'", "'params'"), field=field) from None


def resolve_hardware(catalog: Catalog, hardware: Any) -> Hardware:
    if isinstance(hardware, str):
        return catalog.get_hardware(hardware)
    if isinstance(hardware, Mapping):
        return _inline(Hardware, hardware, "hardware")
    raise InvalidInputError(
        "'hardware' is required: a catalog id such as 'h100-sxm', or an object with bf16_dense_tflops, "
        "hbm_gb, hbm_bandwidth_tb_per_s and tdp_w.",
        field="hardware",
    )


def training_request(catalog: Catalog, values: Mapping[str, Any]) -> TrainingRequest:
    """Build a ``TrainingRequest`` from plain values; the estimate itself validates the numbers."""
    model = resolve_model(catalog, values)
    hardware = resolve_hardware(catalog, values.get("hardware"))
    tokens, tokens_source = values.get("tokens"), "request"
    if tokens is None:
        if not model.training_tokens:
            raise InvalidInputError(
                f"'tokens' is required: the number of training tokens, e.g. 15.6e12 ({model.name} has no published "
                "token count to default to).",
                field="tokens",
            )
        tokens, tokens_source = model.training_tokens, f"published pre-training tokens: {model.source}"
    options = {k: values[k] for k in TRAINING_OPTIONAL if values.get(k) is not None}
    layout = [k for k in TRAINING_LAYOUT if k in options]
    if layout and "utilisation" in options:  # the override replaces the step model the layout is for
        raise InvalidInputError(
            f"Give either 'utilisation' (an assumed MFU) or a parallel layout ('{layout[0]}'), not both: "
            "the layout sets the step time that 'utilisation' replaces.",
            field=layout[0],
        )
    if isinstance(options.get("precision"), str):
        options["precision"] = options["precision"].lower()
    return TrainingRequest(model=model, hardware=hardware, tokens=tokens, tokens_source=tokens_source, **options)


INFERENCE_OPTIONAL = (
    "precision", "gpus_per_replica", "batch_size", "context_tokens", "input_tokens", "output_tokens", "requests_per_s",
    "tokens_per_day", "peak_to_average", "ttft_ms", "tpot_ms", "pue", "grid_kg_co2_per_kwh", "usd_per_gpu_hour",
    "capex_usd_per_gpu", "usd_per_kwh", "electricity_market",
)


def inference_request(catalog: Catalog, values: Mapping[str, Any]) -> InferenceRequest:
    """Build an ``InferenceRequest`` from plain values (a model needs its architecture for the KV cache)."""
    if values.get("params") is not None:
        raise InvalidInputError(
            "Serving needs the architecture (layers, KV heads, head size) to size the KV cache: give a catalog "
            "'model' id or an inline architecture object instead of 'params'.",
            field="params",
        )
    model = resolve_model(catalog, values)
    hardware = resolve_hardware(catalog, values.get("hardware"))
    options = {k: values[k] for k in INFERENCE_OPTIONAL if values.get(k) is not None}
    if isinstance(options.get("precision"), str):
        options["precision"] = options["precision"].lower()
    return InferenceRequest(model=model, hardware=hardware, **options)
