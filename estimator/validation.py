"""Reference cases: published runs and measurements, the estimate for each, and the error.

``CASES`` is the one list both the golden tests and ``docs/validation.md`` use. Regenerate the
report with ``estimator validate`` (or ``python -m estimator.validation``).
Which cases calibrated a default is stated per case: a case used to derive a default checks
the arithmetic, the others check the physics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog, Hardware, Model, load_catalog
from .cost import PriceBook, load_price_book
from .inference import InferenceRequest, estimate_inference
from .training import TrainingRequest, estimate_training


@dataclass(frozen=True)
class Case:
    name: str
    quantity: str
    unit: str
    published: float
    source: str
    role: str  # "calibration" (a default was derived from it) or "check" (it was not)
    estimate: Callable[[Catalog, PriceBook], tuple[float, float, float]]
    note: str = ""


def _training(model: str | dict, hardware: str | dict, tokens: float, precision: str = "bf16"):
    def run(catalog: Catalog, book: PriceBook) -> tuple[float, float, float]:
        m = catalog.get_model(model) if isinstance(model, str) else Model.from_mapping(model, inline=True)
        h = catalog.get_hardware(hardware) if isinstance(hardware, str) else Hardware.from_mapping(hardware, inline=True)
        est = estimate_training(TrainingRequest(m, h, tokens, precision=precision, gpus=None), book, catalog)
        return est.gpu_hours.low, est.gpu_hours.mid, est.gpu_hours.high

    return run


def _flops(model: str, tokens: float):
    def run(catalog: Catalog, book: PriceBook) -> tuple[float, float, float]:
        est = estimate_training(TrainingRequest(catalog.get_model(model), catalog.get_hardware("h100-sxm"), tokens, gpus=None), book, catalog)
        return (est.flops.mid,) * 3

    return run


def _serving_throughput(model: str, hardware: str, precision: str, gpus: int, input_tokens: int, output_tokens: int,
                        **targets: float):
    """System output tokens/s of ``gpus`` GPUs at maximum throughput (optionally under targets)."""
    def run(catalog: Catalog, book: PriceBook) -> tuple[float, float, float]:
        req = InferenceRequest(catalog.get_model(model), catalog.get_hardware(hardware), precision=precision,
                               input_tokens=input_tokens, output_tokens=output_tokens, **targets)  # type: ignore[arg-type]
        est = estimate_inference(req, book, catalog)
        scale = gpus / est.gpus_per_replica
        band = est.throughput_output_tokens_per_s
        return band.low * scale, band.mid * scale, band.high * scale

    return run


def _serving_joules(model: str, hardware: str, precision: str, input_tokens: int, output_tokens: int):
    def run(catalog: Catalog, book: PriceBook) -> tuple[float, float, float]:
        req = InferenceRequest(catalog.get_model(model), catalog.get_hardware(hardware), precision=precision,
                               input_tokens=input_tokens, output_tokens=output_tokens)
        band = estimate_inference(req, book, catalog).joules_per_token
        return band.low, band.mid, band.high

    return run


MLPERF_NOTE = "prompts ~300 tokens assumed (calibration.md: 'a few hundred'), 294 output tokens (reference README)"

LLAMA2_7B = {"id": "llama-2-7b", "total_params": 6.74e9, "layers": 32, "hidden_size": 4096, "attention_heads": 32,
             "kv_heads": 32, "head_dim": 128, "training_sequence_tokens": 4096}
LLAMA2_13B = {"id": "llama-2-13b", "total_params": 13.0e9, "layers": 40, "hidden_size": 5120, "attention_heads": 40,
              "kv_heads": 40, "head_dim": 128, "training_sequence_tokens": 4096}
LLAMA_65B = {"id": "llama-65b", "total_params": 65.2e9, "layers": 80, "hidden_size": 8192, "attention_heads": 64,
             "kv_heads": 64, "head_dim": 128, "training_sequence_tokens": 2048}
LLAMA_7B = {"id": "llama-7b", "total_params": 6.7e9, "layers": 32, "hidden_size": 4096, "attention_heads": 32,
            "kv_heads": 32, "head_dim": 128, "training_sequence_tokens": 2048}
LLAMA_33B = {"id": "llama-33b", "total_params": 32.5e9, "layers": 60, "hidden_size": 6656, "attention_heads": 52,
             "kv_heads": 52, "head_dim": 128, "training_sequence_tokens": 2048}
BLOOM_176B = {"id": "bloom-176b", "total_params": 176.2e9, "layers": 70, "hidden_size": 14336, "attention_heads": 112,
              "kv_heads": 112, "head_dim": 128, "training_sequence_tokens": 2048}
PALM_540B = {"id": "palm-540b", "total_params": 540.35e9, "layers": 118, "hidden_size": 18432, "attention_heads": 48,
             "kv_heads": 1, "head_dim": 256, "training_sequence_tokens": 2048}
TPU_V4 = {"id": "tpu-v4", "name": "Google TPU v4", "bf16_dense_tflops": 275, "hbm_gb": 32, "hbm_bandwidth_tb_per_s": 1.2,
          "tdp_w": 192, "gpus_per_node": 4, "nvlink_domain_gpus": 4, "architecture": "tpu"}

LLAMA3_CARD = "Llama 3.1 model card, 'Training Greenhouse Gas Emissions' table (GPU-hours on H100-80GB)"
LLAMA2_PAPER = "Touvron et al. 2023, 'Llama 2', arXiv:2307.09288, Table 2 (A100-80GB GPU-hours, 2.0T tokens)"

CASES: tuple[Case, ...] = (
    Case("Llama 3.1 405B pre-training FLOPs, 15.6T tokens", "FLOPs", "FLOP", 3.8e25,
         "Dubey et al. 2024, arXiv:2407.21783 (3.8e25 FLOPs; = 6·N·D)", "check", _flops("llama-3.1-405b", 15.6e12),
         "the estimate adds attention (PaLM App. B, 8K sequence): +8 % over 6·N·D, which alone is 3.80e25"),
    Case("Llama 3.1 405B, 15.6T tokens, H100 SXM bf16", "GPU-hours", "GPU-h", 30.84e6, LLAMA3_CARD, "calibration",
         _training("llama-3.1-405b", "h100-sxm", 15.6e12), "MFU band and goodput were derived from this run's paper"),
    Case("DeepSeek-V3 pre-training, 14.8T tokens, H800 fp8", "GPU-hours", "GPU-h", 2.664e6,
         "DeepSeek-V3 Technical Report, arXiv:2412.19437, Table 1 (pre-training 2,664K H800 GPU-hours)", "check",
         _training("deepseek-v3", "h800-sxm", 14.8e12, "fp8"), "fp8 speed-up from the H200 fp8/bf16 matmul measurement"),
    Case("Llama 2 70B, 2T tokens, A100 80GB", "GPU-hours", "GPU-h", 1720320, LLAMA2_PAPER, "check",
         _training("llama-2-70b", "a100-80gb-sxm", 2e12)),
    Case("Llama 2 13B, 2T tokens, A100 80GB", "GPU-hours", "GPU-h", 368640, LLAMA2_PAPER, "check",
         _training(LLAMA2_13B, "a100-80gb-sxm", 2e12), "architecture given inline (arXiv:2307.09288)"),
    Case("Llama 2 7B, 2T tokens, A100 80GB", "GPU-hours", "GPU-h", 184320, LLAMA2_PAPER, "check",
         _training(LLAMA2_7B, "a100-80gb-sxm", 2e12), "architecture given inline (arXiv:2307.09288)"),
    Case("LLaMA 65B, 1.4T tokens, A100 80GB", "GPU-hours", "GPU-h", 1022362,
         "Touvron et al. 2023, 'LLaMA', arXiv:2302.13971, Table 15 (1,022,362 GPU-hours)", "check",
         _training(LLAMA_65B, "a100-80gb-sxm", 1.4e12), "architecture given inline (arXiv:2302.13971 Table 2)"),
    Case("Llama 3.1 70B, 15.6T tokens, H100 SXM bf16", "GPU-hours", "GPU-h", 7.0e6, LLAMA3_CARD, "check",
         _training("llama-3.1-70b", "h100-sxm", 15.6e12),
         "token count of the 405B run assumed ('15T+'); the card's total may include more than pre-training"),
    Case("Llama 3.1 8B, 15.6T tokens, H100 SXM bf16", "GPU-hours", "GPU-h", 1.46e6, LLAMA3_CARD, "check",
         _training("llama-3.1-8b", "h100-sxm", 15.6e12),
         "implies 14.5 % MFU: small models on large clusters run far below the 405B's utilisation, which this model does not capture"),
    Case("BLOOM 176B, 366B tokens, A100 80GB", "GPU-hours", "GPU-h", 1082990,
         "Luccioni et al. 2022, arXiv:2211.02001 (1,082,990 GPU-hours); Le Scao et al. 2022, arXiv:2211.05100", "calibration",
         _training(BLOOM_176B, "a100-80gb-sxm", 366e9), "the high estimate's goodput (0.66) was derived from this run"),
    Case("LLaMA 7B, 1T tokens, A100 80GB", "GPU-hours", "GPU-h", 82432,
         "Touvron et al. 2023, 'LLaMA', arXiv:2302.13971, Table 15", "check",
         _training(LLAMA_7B, "a100-80gb-sxm", 1.0e12), "architecture given inline (arXiv:2302.13971 Table 2)"),
    Case("LLaMA 33B, 1.4T tokens, A100 80GB", "GPU-hours", "GPU-h", 530432,
         "Touvron et al. 2023, 'LLaMA', arXiv:2302.13971, Table 15", "check",
         _training(LLAMA_33B, "a100-80gb-sxm", 1.4e12), "architecture given inline (arXiv:2302.13971 Table 2)"),
    Case("PaLM 540B, 780B tokens, TPU v4", "chip-hours", "chip-h", 8.4e6,
         "Chowdhery et al. 2022, arXiv:2204.02311 §4 (calibration.md: ~8.4M chip-hours)", "check",
         _training(PALM_540B, TPU_V4, 780e9),
         "TPU v4 given inline (Jouppi et al. 2023: 275 bf16 TFLOP/s, 32 GiB at 1.2 TB/s); GPU-derived defaults applied to a TPU"),
    Case("MLPerf v5.0 Llama 2 70B Offline, 8x H100 SXM, fp8", "output tokens/s", "tok/s", 31306.8,
         "MLCommons inference_results_v5.0, NVIDIA DGX-H100 llama2-70b-99 Offline summary", "check",
         _serving_throughput("llama-2-70b", "h100-sxm", "fp8", 8, 300, 294), MLPERF_NOTE),
    Case("MLPerf v5.0 Llama 2 70B Server, 8x H100 SXM, fp8 (TTFT 2 s, TPOT 200 ms)", "output tokens/s", "tok/s", 31106.3,
         "MLCommons inference_results_v5.0, NVIDIA DGX-H100 llama2-70b-99 Server summary", "check",
         _serving_throughput("llama-2-70b", "h100-sxm", "fp8", 8, 300, 294, ttft_ms=2000.0, tpot_ms=200.0),
         MLPERF_NOTE + "; Server latency limits of the llama2-70b task"),
    Case("MLPerf v5.1 Llama 2 70B Offline, 8x B200 (Lenovo SR680a V3), fp4", "output tokens/s", "tok/s", 102909,
         "MLPerf Inference v5.1 closed/Lenovo SR680a_V3_B200SXMx8_TRT llama2-70b-99 Offline (hardware_specs.csv)", "check",
         _serving_throughput("llama-2-70b", "b200", "fp4", 8, 300, 294), MLPERF_NOTE + "; fp4 efficiency extrapolated from the H200 bf16 -> fp8 trend (not measured)"),
    Case("Same B200 system: IT energy per output token", "J/token", "J", 10400 / 102909,
         "derived: 10.40 kW mean wall power / 102,909 tok/s (MLPerf v5.1 Lenovo power logs, hardware_specs.csv)", "check",
         _serving_joules("llama-2-70b", "b200", "fp4", 300, 294),
         "the server-overhead share was derived from this system's wall power; the J/token also depends on the fp4 throughput above"),
    Case("MLPerf v4.1 Llama 2 70B Offline MaxQ, 8x H200: IT energy per output token", "J/token", "J", 6150 / 25262,
         "derived: 6.15 kW mean wall power / 25,262 tok/s (MLPerf v4.1 NVIDIA H200-SXM-141GBx8_TRT_MaxQ power logs)", "check",
         _serving_joules("llama-2-70b", "h200-sxm", "fp8", 300, 294),
         "MaxQ runs the GPUs below their power limit for efficiency; the estimate assumes the default limit"),
    Case("DeepSeek-V3/R1 production, output tokens/s per 8x H800 node", "output tokens/s", "tok/s", 14800,
         "DeepSeek open-infra 'day 6' inference system overview (Feb 2025), 24 h average", "check",
         _serving_throughput("deepseek-v3", "h800-sxm", "fp8", 8, 2000, 550, tpot_ms=50.0),
         "DeepSeek serves decode on separate nodes with expert parallelism over 18+ nodes, 56 % of prompt tokens "
         "from its KV-cache store and a load that varies over the day; the estimate co-locates prefill and decode "
         "in an expert-parallel replica of two nodes; prompt/output lengths (2,000 / 550) assumed"),
)


@dataclass(frozen=True)
class Outcome:
    case: Case
    low: float
    mid: float
    high: float

    @property
    def error(self) -> float:
        return self.mid / self.case.published - 1.0

    @property
    def inside(self) -> bool:
        return self.low <= self.case.published <= self.high


def evaluate(catalog: Catalog, book: PriceBook) -> list[Outcome]:
    return [Outcome(c, *c.estimate(catalog, book)) for c in CASES]


def render(outcomes: list[Outcome]) -> str:
    lines = [
        "# Validation report",
        "",
        f"Generated by `estimator validate` on {dt.date.today().isoformat()}. Each row is a published run or",
        "measurement, the estimator's low / mid / high with its default assumptions, and the error of the mid",
        "estimate. *Role* says whether a default was derived from the case (calibration) or not (check).",
        "",
        "| case | quantity | published | low | mid | high | mid error | inside low-high | role | source | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        c = o.case
        lines.append(
            f"| {c.name} | {c.quantity} | {c.published:.4g} | {o.low:.4g} | {o.mid:.4g} | {o.high:.4g} | "
            f"{o.error:+.1%} | {'yes' if o.inside else 'no'} | {c.role} | {c.source} | {c.note} |"
        )
    checks = [o for o in outcomes if o.case.role == "check"]
    inside = sum(o.inside for o in checks)
    within = sum(abs(o.error) <= 0.15 for o in checks)
    lines += [
        "",
        f"Checks not used for calibration: {within} of {len(checks)} mid estimates within ±15 %, "
        f"{inside} of {len(checks)} published values inside the low-high band.",
        "",
        "Known weakness: Llama 3.1 8B and 70B on H100 used far more GPU-hours per FLOP than the 405B run "
        "(implied MFU 14.5 % and 26.5 % against 34.5 %). The model's non-matmul time scales with FLOPs and memory "
        "bandwidth, not with model width or per-GPU batch, so it under-estimates small models trained on H100-class "
        "clusters; on A100 (Llama 2 7B-70B) the same model lands within a few percent.",
        "",
        "Serving: the Blackwell fp4 result is over-estimated (+38 %): fp4 has no measurement here, and its sustained "
        "rate is extrapolated from the H200's bf16 -> fp8 trend; the real system reached about 40 % of the fp4 dense "
        "peak, which points to a power limit that a measurement on Blackwell would pin down. DeepSeek's production "
        "figure includes prompt-cache hits (56 % of input tokens per the same post) and many-node expert "
        "parallelism with its own kernels; the estimate's expert-parallel replica stays within a couple of nodes.",
        "",
    ]
    return "\n".join(lines)


def write_report(path: str | Path, catalog: Catalog | None = None, book: PriceBook | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(evaluate(catalog or load_catalog(), book or load_price_book())), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_report("docs/validation.md"))
