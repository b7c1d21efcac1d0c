"""Static serving estimates from NVIDIA AIConfigurator (helper of bench/bench_aiconfigurator.py).

Runs ONLY under the separate virtual environment that holds ``aiconfigurator-core`` (never under the
project's): ``/tmp/aic/bin/python bench/aic_estimate.py < points.json``. It reads
``{"points": [{"model", "system", "tp", "batch", "isl", "osl", "precision"}, ...], "repeats": N}``
on stdin and prints one JSON object on stdout.

API used (aiconfigurator_core.sdk, the same calls its CLI's estimate path makes):

    db = perf_database.get_database(system, "trtllm", perf_database.get_latest_database_version(system, "trtllm"))
    model = models.get_model(hf_id, config.ModelConfig(tp_size=tp, gemm/kvcache/fmha quant modes), "trtllm")
    summary = backends.factory.get_backend("trtllm").run_static(model, db, config.RuntimeConfig(
        batch_size=b, isl=isl, osl=osl), mode="static")
    row = summary.get_summary_df().iloc[0]   # "tokens/s/gpu", "tpot", "ttft", "request_latency" (ms)

"static" is one batch of ``batch`` requests: all prompts prefilled together (``ttft`` = the batch's
context phase), then ``osl - 1`` decode steps (``tpot`` = decode time / (osl - 1), decode only);
``tokens/s/gpu`` = batch x osl / request_latency / GPUs. A second call with mode "static_ctx" and
batch 1 gives the time to first token of one prompt alone.

Timing (time.perf_counter): imports, each system's database load, and per configuration the first
call (model object + run_static; the first configuration of a (model, system) pair also compiles the
engine and loads its tables) and the median of ``repeats`` further identical calls.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from importlib.metadata import version  # noqa: E402
from typing import Any  # noqa: E402

from aiconfigurator_core.sdk import common  # noqa: E402
from aiconfigurator_core.sdk.backends.factory import get_backend  # noqa: E402
from aiconfigurator_core.sdk.config import ModelConfig, RuntimeConfig  # noqa: E402
from aiconfigurator_core.sdk.models import get_model  # noqa: E402
from aiconfigurator_core.sdk.perf_database import get_database, get_latest_database_version  # noqa: E402

T_IMPORTED = time.perf_counter()
BACKEND = "trtllm"

# Our precision -> AIConfigurator quant modes. fp8: fp8 weights and GEMMs, fp8 KV cache, bf16
# context attention (the estimator runs prefill attention at the bf16 peak and reads an fp8 KV cache).
QUANT = {
    "fp8": dict(gemm_quant_mode=common.GEMMQuantMode.fp8, kvcache_quant_mode=common.KVCacheQuantMode.fp8,
                fmha_quant_mode=common.FMHAQuantMode.bfloat16, comm_quant_mode=common.CommQuantMode.half),
    "bf16": dict(gemm_quant_mode=common.GEMMQuantMode.bfloat16, kvcache_quant_mode=common.KVCacheQuantMode.bfloat16,
                 fmha_quant_mode=common.FMHAQuantMode.bfloat16, comm_quant_mode=common.CommQuantMode.half),
}


def _model(point: dict[str, Any]) -> Any:
    return get_model(point["model"], ModelConfig(tp_size=point["tp"], pp_size=1, **QUANT[point["precision"]]), BACKEND)


def _estimate(backend: Any, db: Any, point: dict[str, Any]) -> Any:
    runtime = RuntimeConfig(batch_size=point["batch"], beam_width=1, isl=point["isl"], osl=point["osl"])
    return backend.run_static(_model(point), db, runtime, mode="static")


def _measured_share(summary: Any) -> float:
    """Share of the predicted latency (context + generation) that comes from measured ("silicon") tables."""
    total = measured = 0.0
    for latency, source in ((summary.get_context_latency_dict(), summary.get_context_source_dict()),
                            (summary.get_generation_latency_dict(), summary.get_generation_source_dict())):
        for op, ms in latency.items():
            total += ms
            measured += ms if source.get(op) == "silicon" else 0.0
    return measured / total if total else 0.0


def main() -> None:
    logging.getLogger("aiconfigurator_core").setLevel(logging.ERROR)  # one lane-map warning per engine
    spec = json.load(sys.stdin)
    repeats = int(spec.get("repeats", 20))
    backend = get_backend(BACKEND)
    databases: dict[str, Any] = {}
    database_s: dict[str, float] = {}
    versions: dict[str, str] = {}
    out = []
    for point in spec["points"]:
        system = point["system"]
        if system not in databases:
            t0 = time.perf_counter()
            versions[system] = get_latest_database_version(system, BACKEND)
            databases[system] = get_database(system, BACKEND, versions[system])
            database_s[system] = time.perf_counter() - t0
        db = databases[system]
        t0 = time.perf_counter()
        summary = _estimate(backend, db, point)
        first_s = time.perf_counter() - t0
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            _estimate(backend, db, point)
            samples.append(time.perf_counter() - t0)
        row = summary.get_summary_df().iloc[0]
        single = backend.run_static(_model(point), db, RuntimeConfig(batch_size=1, beam_width=1, isl=point["isl"], osl=1),
                                    mode="static_ctx").get_summary_df().iloc[0]
        out.append({
            **point,
            "tokens_s_gpu": float(row["tokens/s/gpu"]),
            "tpot_ms": float(row["tpot"]),
            "ttft_batch_ms": float(row["ttft"]),
            "request_latency_ms": float(row["request_latency"]),
            "ttft_single_ms": float(single["ttft"]),
            "memory_gb": float(row["memory"]),
            "oom": bool(summary.check_oom()),
            "measured_share": _measured_share(summary),
            "first_call_s": first_s,
            "median_call_s": statistics.median(samples),
        })
    print(json.dumps({
        "package": f"aiconfigurator-core {version('aiconfigurator-core')}",
        "backend": BACKEND,
        "versions": versions,
        "import_s": T_IMPORTED - T_START,
        "database_s": database_s,
        "total_s": time.perf_counter() - T_START,
        "repeats": repeats,
        "points": out,
    }))


if __name__ == "__main__":
    main()
