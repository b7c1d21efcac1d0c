"""Side-by-side comparison: N models on one workload and hardware, ratios to a baseline, and
output per unit of compute (the article's "10x more results for the same compute"). The other
axis, one model on several GPUs ranked by cost, is ``compare_hardware.py``.

Inputs: the catalog, price book, workload ("training" or "inference"), model ids, the shared
request values and a baseline id. Output: ``{"baseline", "workload", "rows": [result...],
"ratios": {model: {metric: value / baseline value}}}``. A model that cannot run the workload
on this hardware (does not fit, precision missing, latency targets out of reach) gets a row with
its error instead of failing the whole comparison; the baseline must run. A ratio to a baseline
figure of zero is None. Metrics keep their declared significant figures (``Metric.rounded``),
ratios ``figures.RATIO_DIGITS`` (``figures.ratio``).

Output per unit of compute:
- training:  tokens per GPU-hour = tokens / GPU-hours (mid)
- inference: output tokens per GPU-hour = one replica's output tokens/s (at the batch chosen for
  the targets) x 3,600 / its GPUs (mid): capacity, independent of how the load rounds to replicas
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .catalog import Catalog
from .cost import PriceBook
from .errors import ConflictError, DoesNotFitError, InvalidInputError, UnknownIdError, UnsupportedPrecisionError
from .figures import METRICS, OUTPUT_TOKENS_PER_GPU_HOUR, TOKENS_PER_GPU_HOUR, WORKLOADS, Serving, Training, ratio
from .inference import estimate_inference
from .inputs import inference_request, training_request
from .training import estimate_training

#: The article's question: a frontier dense model next to the efficient open ones it names.
PRESETS: dict[str, tuple[str, ...]] = {
    "article": ("llama-3.1-405b", "deepseek-v3", "mistral-large-2"),
    "mistral": ("mistral-large-2", "mixtral-8x22b", "mixtral-8x7b", "mistral-small-3"),
    "deepseek": ("deepseek-v3", "deepseek-r1", "llama-3.1-405b", "qwen2.5-72b"),
}


def tokens_per_gpu_hour(result: Mapping[str, Any]) -> float:
    """Training tokens / GPU-hours (mid)."""
    return float(Training.TOKENS.value(result) / Training.GPU_HOURS.mid(result))


def output_tokens_per_gpu_hour(result: Mapping[str, Any]) -> float:
    """One replica's output tokens/s (mid) x 3,600 / its GPUs."""
    return float(Serving.REPLICA_OUTPUT_TOKENS_PER_S.value(result) * 3600.0 / Serving.GPUS_PER_REPLICA.value(result))


_DERIVED = {TOKENS_PER_GPU_HOUR.name: tokens_per_gpu_hour, OUTPUT_TOKENS_PER_GPU_HOUR.name: output_tokens_per_gpu_hour}


def _metrics(workload: str, result: Mapping[str, Any]) -> dict[str, float]:
    """The headline metrics declared in ``figures.METRICS``: a figure's mid estimate, or derived."""
    return {m.name: m.rounded(float(m.figure.mid(result)) if m.figure else _DERIVED[m.name](result))
            for m in METRICS[workload]}


def _model_id(catalog: Catalog, given: str, field: str) -> str:
    try:
        return catalog.get_model(given).id
    except UnknownIdError as exc:
        exc.field = field
        raise


def compare(
    catalog: Catalog,
    book: PriceBook,
    workload: str,
    models: Sequence[str],
    values: Mapping[str, Any],
    baseline: str | None = None,
) -> dict[str, Any]:
    if workload not in WORKLOADS:
        raise InvalidInputError(f"'workload' must be training or inference, got {workload!r}.", field="workload")
    if len(models) < 2:
        raise InvalidInputError("A comparison needs at least two models.", field="models")
    ids = [_model_id(catalog, m, f"models.{i}") for i, m in enumerate(models)]
    if len(set(ids)) != len(ids):
        raise ConflictError("Each model may appear once in a comparison.", field="models")
    base = _model_id(catalog, baseline, "baseline") if baseline else ids[0]
    if base not in ids:
        raise ConflictError(f"The baseline '{base}' must be one of the compared models.", field="baseline")
    if workload == "training" and values.get("tokens") is None:
        # One workload for every row: the baseline's published token count, not each model's own.
        tokens = catalog.get_model(base).training_tokens
        if not tokens:
            raise InvalidInputError(
                f"'tokens' is required to compare training runs ({base} has no published token count).", field="tokens")
        values = {**values, "tokens": tokens}
    rows: list[dict[str, Any]] = []
    metrics: dict[str, dict[str, float]] = {}
    for model_id in ids:
        request_values = {**values, "model": model_id}
        try:
            if workload == "training":
                result = estimate_training(training_request(catalog, request_values), book, catalog).to_dict()
            else:
                result = estimate_inference(inference_request(catalog, request_values), book, catalog).to_dict()
        except (DoesNotFitError, UnsupportedPrecisionError, InvalidInputError) as exc:
            # A model that cannot run this workload here (too big, no such precision, latency targets
            # out of reach, context too long) keeps its row; input errors common to all rows repeat
            # on the baseline, which must run.
            if model_id == base:
                raise
            rows.append({"model": model_id, "error": exc.to_dict()})
            continue
        rows.append(result)
        metrics[model_id] = _metrics(workload, result)
    ratios = {m: {k: ratio(v, metrics[base][k]) for k, v in row.items()} for m, row in metrics.items()}
    return {"workload": workload, "baseline": base, "rows": rows, "metrics": metrics, "ratios": ratios}
