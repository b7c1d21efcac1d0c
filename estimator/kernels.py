"""Measured kernel efficiencies per GPU: matrix products, attention, MoE layers and collectives.

Inputs: a ``Hardware`` record and a precision. Outputs: the few numbers of each kernel's
roofline, all measured, none fitted to an end-to-end result:

- matrix product   t = overhead + max(2 m n k / (compute_eff x peak), bytes / (hbm_fraction x HBM)), with
                   compute_eff the median over large GEMMs (m >= 1,024) and the HBM share and per-call
                   overhead from the roofline fit over all measured shapes
- MoE layer        the same roofline over the expert weights the tokens touch (grouped GEMM)
- decode attention t = fixed + KV bytes read / (bw_fraction x HBM), per layer
- prefill attention achieved share of the dense bf16 peak on long prompts
- collectives      small-message latency and bus bandwidth as a share of the one-way NVLink figure

Source: NVIDIA aiconfigurator-core (Apache-2.0) measured kernel tables, distilled by
``scripts/distil_kernels.py`` into ``seeds/kernels/gemm_fit.csv`` and ``kernel_fit.csv`` and fitted
by ``scripts/fit_moe_kernels.py`` into ``moe_fit.csv`` (package, version and files in
``seeds/kernels/sources.csv``). A GPU without measurements takes the nearest measured GPU of its
architecture (same chip where there is one: H800 -> H100 SXM) and the estimate says so.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

from .catalog import SEEDS_DIR, Hardware

KERNELS_DIR = SEEDS_DIR / "kernels"
SOURCE = "NVIDIA aiconfigurator-core 0.12.0 measured kernels (seeds/kernels, Apache-2.0)"
# Every lookup below is cached per (GPU record, arguments): a serving estimate builds dozens of
# replica models, each asking for the same few rooflines. Hardware records are frozen and hashable;
# the caches are bounded for inline GPUs.

#: GPUs without their own measurements -> the measured GPU used in their place (same chip first).
STAND_INS = {"h800-sxm": "h100-sxm", "h100-pcie": "h100-sxm", "h20": "h100-sxm", "a100-40gb-sxm": "a100-80gb-sxm",
             "a100-80gb-pcie": "a100-80gb-sxm", "l4": "l40s"}
BY_ARCHITECTURE = {"ampere": "a100-80gb-sxm", "hopper": "h100-sxm", "blackwell": "b200", "ada": "l40s"}

#: Our precision names -> the kernel table's. fp8 training on Blackwell runs MXFP8 (block-scaled);
#: elsewhere per-tensor fp8 (Transformer Engine, TensorRT-LLM's default for dense models).
KERNEL_PRECISION = {"bf16": "bf16", "fp16": "bf16", "tf32": "bf16", "fp64": "bf16", "fp8": "fp8", "fp4": "nvfp4",
                    "int4": "bf16", "fp8_block": "fp8_block"}


@dataclass(frozen=True)
class Roofline:
    """One kernel's measured roofline: seconds = overhead + max(FLOPs / (compute_eff x peak),
    bytes / (hbm_fraction x HBM bandwidth))."""

    compute_eff: float
    hbm_fraction: float
    overhead_s: float

    def seconds(self, flops: float, bytes_moved: float, peak_flops: float, hbm_bytes_per_s: float) -> float:
        return self.overhead_s + max(flops / (self.compute_eff * peak_flops),
                                     bytes_moved / (self.hbm_fraction * hbm_bytes_per_s))


@dataclass(frozen=True)
class Collective:
    latency_s: float
    link_fraction: float  # bus bandwidth / one-way NVLink bandwidth per GPU


def _read(name: str) -> list[dict[str, str]]:
    with (KERNELS_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def _tables() -> dict[str, dict[tuple[str, ...], float]]:
    gemm = {(r["gpu"], r["precision"], k): float(r[k]) for r in _read("gemm_fit.csv")
            for k in ("large_eff_median", "roof_hbm_fraction", "roof_overhead_us")}
    moe = {(r["gpu"], r["precision"], k): float(r[k]) for r in _read("moe_fit.csv")
           for k in ("compute_eff", "hbm_fraction", "overhead_us")}
    other = {(r["gpu"], r["kernel"], r["variant"], r["parameter"]): float(r["value"]) for r in _read("kernel_fit.csv")
             if not r["kernel"].startswith("moe_")}
    return {"gemm": gemm, "moe": moe, "other": other}  # type: ignore[dict-item]


@functools.lru_cache(maxsize=4096)
def measured_gpu(hw: Hardware) -> tuple[str, str | None]:
    """The GPU whose measurements stand for ``hw``, and a note when it is another GPU."""
    gemm = _tables()["gemm"]
    if any(key[0] == hw.id for key in gemm):
        return hw.id, None
    stand_in = STAND_INS.get(hw.id) or BY_ARCHITECTURE.get(hw.architecture, "h100-sxm")
    return stand_in, f"No kernel measurements for {hw.name}: {stand_in}'s measured efficiencies are applied."


@functools.lru_cache(maxsize=4096)
def gemm(hw: Hardware, precision: str) -> Roofline:
    """Dense matrix products at ``precision`` (TensorRT-LLM GEMM tables, fitted per GPU)."""
    table = _tables()["gemm"]
    gpu, _ = measured_gpu(hw)
    name = KERNEL_PRECISION.get(precision, precision)
    p = next(p for p in (name, "fp8" if name == "fp8_block" else name, "bf16") if (gpu, p, "large_eff_median") in table)
    return Roofline(table[(gpu, p, "large_eff_median")], table[(gpu, p, "roof_hbm_fraction")],
                    table[(gpu, p, "roof_overhead_us")] * 1e-6)


@functools.lru_cache(maxsize=4096)
def moe(hw: Hardware, precision: str) -> Roofline:
    """A whole MoE layer's grouped expert GEMMs (fit of seeds/kernels/moe.csv); dense GEMMs where unmeasured."""
    table = _tables()["moe"]
    gpu, _ = measured_gpu(hw)
    name = KERNEL_PRECISION.get(precision, precision)
    for p in (name, "fp8_block" if name == "fp8" else name, "fp8" if name == "fp8_block" else name):
        if (gpu, p, "compute_eff") in table:
            return Roofline(table[(gpu, p, "compute_eff")], table[(gpu, p, "hbm_fraction")],
                            table[(gpu, p, "overhead_us")] * 1e-6)
    return gemm(hw, precision)


def _other(hw: Hardware, kernel: str, variant: str, parameter: str, default_variant: str = "bf16") -> float:
    table = _tables()["other"]
    gpu, _ = measured_gpu(hw)
    for key in ((gpu, kernel, variant, parameter), (gpu, kernel, default_variant, parameter),
                ("h100-sxm", kernel, variant, parameter), ("h100-sxm", kernel, default_variant, parameter)):
        if key in table:
            return table[key]
    raise KeyError(f"no {kernel} {parameter} measurement")


@functools.lru_cache(maxsize=4096)
def decode_attention(hw: Hardware, kv_bytes: float, mla: bool) -> tuple[float, float, float]:
    """(fixed seconds per layer call, seconds per sequence per call, achieved share of HBM bandwidth
    on large KV reads) of decode attention (GQA/MHA, or MLA's latent); fp8 when the cache holds 1
    byte per value. Fit t = fixed + per_seq x batch + KV bytes / (fraction x HBM) (distil_kernels.py)."""
    kernel = "decode_mla" if mla else "decode_attention"
    variant = "fp8" if kv_bytes <= 1 else "bf16"
    fixed = _other(hw, kernel, variant, "fixed_us") * 1e-6
    per_seq = _other(hw, kernel, variant, "per_seq_us") * 1e-6
    fraction = _other(hw, kernel, variant, "bw_fraction_ge1GB_median")
    return fixed, per_seq, fraction


@functools.lru_cache(maxsize=4096)
def prefill_attention_efficiency(hw: Hardware) -> float:
    """Achieved share of the dense bf16 peak by causal prefill attention on long prompts (>= 16K tokens)."""
    return _other(hw, "prefill_attention", "bf16", "eff_ge16k_tokens_median")


@functools.lru_cache(maxsize=4096)
def collective(hw: Hardware, op: str, gpus: int) -> Collective:
    """Small-message latency and bus-bandwidth share of one-way NVLink for ``op`` over ``gpus`` GPUs
    in one NVLink domain (op: all_reduce_trtllm_custom, all_reduce_nccl, alltoall_nccl): the
    largest measured group not above ``gpus`` (GB200/GB300 trays were measured up to 4). GPUs
    without NVLink get a share of 1 (the caller uses their PCIe bandwidth as measured elsewhere)."""
    table = _tables()["other"]
    gpu, _ = measured_gpu(hw)
    kernel = f"comm_{op}"
    measured = sorted((int(k[2].removesuffix("gpu")) for k in table
                       if k[0] == gpu and k[1] == kernel and k[3] == "latency_small_us"), reverse=True)
    if not measured:
        gpu, measured = "h100-sxm", [8, 4, 2]
    size = next((n for n in measured if n <= max(2, gpus)), measured[-1])
    variant = f"{size}gpu"
    fraction = table.get((gpu, kernel, variant, "busbw_fraction_of_link"), 1.0)
    return Collective(table[(gpu, kernel, variant, "latency_small_us")] * 1e-6, min(1.0, fraction))
