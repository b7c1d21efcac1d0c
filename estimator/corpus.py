"""The calibration corpus: published training and serving results, and the estimate for each.

Inputs: ``seeds/calibration/*.csv`` (one published figure per row, with its source, date and
source family; columns in ``seeds/README.md``) and the models they need beyond the catalog
(``seeds/calibration/models_*.csv``, same columns as ``seeds/models.csv``). Output: for each row,
the published value and the estimate's low / mid / high in the same unit, so ``validation.py``
can score them and ``calibrate.py`` can fit on them.

Row kinds and how each is estimated (only public API fields of the requests are used, so an
older version of the estimator can be scored on the same rows):
- training ``tokens_per_s_per_gpu`` / ``model_tflops_per_gpu`` / ``mfu``: steady-state throughput on
  the row's GPUs and layout (TFLOP/s and MFU are turned into tokens/s with the estimator's FLOPs
  per token, MFU against the bf16 dense peak);
- training ``gpu_hours``: the whole run (goodput included) on the row's GPUs, or, where the source
  gives none, on the GPUs that finish it in ``defaults.DEFAULT_DEADLINE_DAYS`` (90 days);
- serving ``output_tokens_per_s[_per_gpu]``: a replica of the row's tensor x pipeline (or expert)
  parallel size at the row's concurrency (per replica) or, without one, the largest batch that fits;
  ``tpot_ms`` / ``tokens_per_s_per_user`` / ``ttft_ms``: that replica's latencies.
Rows the estimator cannot express (speculative decoding, prefill-only nodes of a disaggregated
deployment, unknown request shapes) are kept and reported as not estimated, with the reason.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estimator.catalog import SEEDS_DIR, Catalog, Model
from estimator.defaults import DEFAULT_DEADLINE_DAYS
from estimator.errors import EstimatorError
from estimator.inference import InferenceRequest, estimate_inference
from estimator.training import TrainingRequest, estimate_training

CALIBRATION_DIR = SEEDS_DIR / "calibration"
TRAINING_FILES = ("training_throughput.csv", "training_runs.csv")
SERVING_FILES = ("serving_vendor.csv", "serving_engines.csv")
STEADY_QUANTITIES = ("tokens_per_s_per_gpu", "model_tflops_per_gpu", "mfu")
THROUGHPUT_QUANTITIES = ("output_tokens_per_s", "output_tokens_per_s_per_gpu")
LATENCY_QUANTITIES = ("tpot_ms", "tokens_per_s_per_user", "ttft_ms")
#: A run whose source gives no GPU count is sized for the estimator's default deadline (one value).
RUN_DAYS_WHEN_UNKNOWN = DEFAULT_DEADLINE_DAYS


@dataclass(frozen=True)
class Row:
    """One published figure: what was measured (``fields``), its value, source, date and family."""

    kind: str  # "training" or "serving"
    id: str
    family: str
    quantity: str
    value: float
    source: str
    date: str
    note: str
    fields: dict[str, str]

    def get(self, name: str) -> str:
        return (self.fields.get(name) or "").strip()

    def number(self, name: str) -> float | None:
        text = self.get(name)
        return float(text) if text else None

    @property
    def group(self) -> str:
        """The estimate group it is scored in: training steady state, training run, serving throughput or latency."""
        if self.kind == "training":
            return "training run" if self.quantity == "gpu_hours" else "training steady state"
        return "serving latency" if self.quantity in LATENCY_QUANTITIES else "serving throughput"


def load_rows(directory: Path = CALIBRATION_DIR) -> list[Row]:
    rows = []
    for kind, names in (("training", TRAINING_FILES), ("serving", SERVING_FILES)):
        for name in names:
            path = directory / name
            if not path.exists():
                continue
            with path.open(newline="", encoding="utf-8") as handle:
                for raw in csv.DictReader(handle):
                    rows.append(Row(kind, raw["id"], raw["family"], raw["quantity"], float(raw["value"]), raw["source"],
                                    raw["date"], raw.get("note", ""), dict(raw)))
    return rows


def load_catalog_with_corpus_models(catalog: Catalog, directory: Path = CALIBRATION_DIR) -> Catalog:
    """The catalog plus the corpus's own models (the first definition of an id wins; the catalog's first)."""
    models: dict[str, Model] = dict(catalog.models)
    for path in sorted(directory.glob("models_*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for raw in csv.DictReader(handle):
                if raw["id"].strip().lower() not in models:
                    model = Model.from_mapping(raw)
                    models[model.id] = model
    return Catalog.build(catalog.hardware.values(), models.values())


def _accepts(request_type: type, name: str) -> bool:
    return name in {f.name for f in dataclasses.fields(request_type)}


def unsupported(row: Row) -> str | None:
    """Why the estimator cannot express a row, or None."""
    text = (row.note + " " + row.source).lower()
    negated = ("no speculative decoding", "no mtp / speculative decoding", "without speculative decoding")
    # Serving only: in a training row MTP is DeepSeek-V3's multi-token-prediction objective (an extra
    # block and output head in the step), and "without MTP" a benchmark setting, never speculative decoding.
    if row.kind == "serving" and ("speculative decoding" in text or "mtp" in text.split()) \
            and not any(n in text for n in negated):
        return "speculative decoding (not modelled)"
    if row.quantity == "input_tokens_per_s_per_gpu":
        return "prefill-only nodes of a disaggregated deployment (not modelled)"
    if row.kind == "serving" and ("decode nodes" in text or "decode-only" in text or "decode only" in text):
        return "decode-only nodes of a prefill/decode-disaggregated deployment (not modelled: prefill shares the GPUs)"
    if row.kind == "serving" and not (row.get("output_tokens") and row.get("input_tokens")):
        return "request shape not published"
    if row.kind == "serving" and ("sent at once" in text or "all-at-once" in text):
        return "one burst of dataset requests: throughput set by the makespan of the longest outputs (not modelled)"
    if row.kind == "training" and row.quantity == "gpu_hours" and not row.number("tokens"):
        return "token count not published"
    if not row.get("hardware") or not row.get("model"):
        return "hardware or model not given"
    return None


# --- Training -------------------------------------------------------------------------------------
def _training_request(row: Row, catalog: Catalog, tokens: float) -> TrainingRequest:
    model, hw = catalog.get_model(row.get("model")), catalog.get_hardware(row.get("hardware"))
    args: dict[str, Any] = {"precision": row.get("precision") or "bf16", "tokens_source": "corpus"}
    if row.number("gpus"):
        args["gpus"] = int(row.number("gpus"))  # type: ignore[arg-type]
    else:
        args["deadline_days"] = RUN_DAYS_WHEN_UNKNOWN
    if row.number("sequence_tokens"):
        args["sequence_tokens"] = int(row.number("sequence_tokens"))  # type: ignore[arg-type]
    if row.get("recompute") in ("none", "selective", "full"):
        args["recompute"] = row.get("recompute")
    for column, name in (("tp", "tensor_parallel"), ("pp", "pipeline_parallel"), ("cp", "context_parallel"),
                         ("ep", "expert_parallel"), ("global_batch_tokens", "global_batch_tokens")):
        value = row.number(column)
        if value and _accepts(TrainingRequest, name):
            args[name] = value if name == "global_batch_tokens" else int(value)
    if row.get("schedule") and _accepts(TrainingRequest, "pipeline_schedule"):
        args["pipeline_schedule"] = row.get("schedule")
    return TrainingRequest(model, hw, tokens, **args)


def flops_per_token(result: dict[str, Any]) -> float:
    return float(result["flops"]["mid"]) / float(result["tokens"])


def estimate_training_row(row: Row, catalog: Catalog, book: Any) -> tuple[float, float, float]:
    """The row's quantity as (low, mid, high) estimates."""
    tokens = row.number("tokens") or 1e12
    result = estimate_training(_training_request(row, catalog, tokens), book, catalog).to_dict()
    if row.quantity == "gpu_hours":
        band = result["gpu_hours"]
        return band["low"], band["mid"], band["high"]
    steady = result.get("steady_state")
    if steady:
        tps = steady["tokens_per_s_per_gpu"]
        low, mid, high = tps["low"], tps["mid"], tps["high"]
    else:  # an estimator without a steady-state figure: reserved GPU-hours x the default goodput
        from estimator import defaults

        goodput = defaults.GOODPUT
        hours = result["gpu_hours"]
        low, mid, high = (tokens / (hours[s] * 3600.0 * goodput[s]) for s in ("high", "mid", "low"))
    return low, mid, high


def published_training(row: Row, catalog: Catalog, book: Any) -> float:
    """The published figure in the unit the estimate gives (tokens/s per GPU, or GPU-hours)."""
    if row.quantity in ("tokens_per_s_per_gpu", "gpu_hours"):
        return row.value
    probe = estimate_training(_training_request(row, catalog, 1e12), book, catalog).to_dict()
    per_token = flops_per_token(probe)
    if row.quantity == "model_tflops_per_gpu":
        return row.value * 1e12 / per_token
    peak = catalog.get_hardware(row.get("hardware")).bf16_dense_tflops * 1e12
    return row.value * peak / per_token  # mfu


# --- Serving ----------------------------------------------------------------------------------------
def _replica_gpus(row: Row) -> int | None:
    tp, pp, ep, gpus = (row.number(c) for c in ("tp", "pp", "ep", "gpus"))
    if tp:
        return int(tp * (pp or 1))
    if ep and gpus:
        return int(min(ep, gpus))
    return int(gpus) if gpus and gpus <= 8 else None


def _serving_request(row: Row, catalog: Catalog) -> InferenceRequest:
    model, hw = catalog.get_model(row.get("model")), catalog.get_hardware(row.get("hardware"))
    args: dict[str, Any] = {"precision": row.get("precision") or "bf16",
                            "input_tokens": int(row.number("input_tokens") or 1000),
                            "output_tokens": int(row.number("output_tokens") or 500)}
    replica = _replica_gpus(row)
    if replica:
        args["gpus_per_replica"] = replica
    concurrency, gpus = row.number("concurrency"), row.number("gpus")
    if concurrency:
        replicas = max(1.0, (gpus or replica or 1) / (replica or gpus or 1))
        args["batch_size"] = max(1, round(concurrency / replicas))
    elif row.quantity in LATENCY_QUANTITIES and row.get("scenario") == "min_latency":
        args["batch_size"] = 1
    if row.number("ttft_ms_limit"):
        args["ttft_ms"] = row.number("ttft_ms_limit")
    if row.number("tpot_ms_limit"):
        args["tpot_ms"] = row.number("tpot_ms_limit")
    return InferenceRequest(model, hw, **args)


def estimate_serving_row(row: Row, catalog: Catalog, book: Any) -> tuple[float, float, float]:
    result = estimate_inference(_serving_request(row, catalog), book, catalog).to_dict()
    per_replica, gpus = result["per_replica"], result["gpus_per_replica"]
    band = result["output_tokens_per_s"]  # one replica at full throughput (no load given)
    if row.quantity in THROUGHPUT_QUANTITIES:
        scale = 1.0 / gpus if row.quantity == "output_tokens_per_s_per_gpu" else (row.number("gpus") or gpus) / gpus
        return band["low"] * scale, band["mid"] * scale, band["high"] * scale
    spread = result.get("latency_spread") or {"low": 1.0, "mid": 1.0, "high": 1.0}
    if row.quantity == "ttft_ms":
        value = per_replica["ttft_ms"]
    else:
        value = per_replica.get("tpot_ms_mean", per_replica["tpot_ms"])
    low, mid, high = value * spread["low"], value, value * spread["high"]
    if row.quantity == "tokens_per_s_per_user":
        return 1000.0 / high, 1000.0 / mid, 1000.0 / low
    return low, mid, high


def estimate_row(row: Row, catalog: Catalog, book: Any) -> tuple[tuple[float, float, float] | None, float, str]:
    """((low, mid, high) or None, the published value in the estimate's unit, why not estimated)."""
    reason = unsupported(row)
    if reason:
        return None, row.value, reason
    try:
        if row.kind == "training":
            return estimate_training_row(row, catalog, book), published_training(row, catalog, book), ""
        return estimate_serving_row(row, catalog, book), row.value, ""
    except (EstimatorError, KeyError, ValueError) as exc:
        return None, row.value, f"estimator refused: {str(exc)[:160]}"
