#!/usr/bin/env python3
"""Distil NVIDIA's measured kernel timings (aiconfigurator-core) into compact CSV tables.

The estimator never imports this script nor the package it reads: it only reads the CSVs this
script writes under ``seeds/kernels/``. Run it with a SEPARATE virtual environment:

    python3 -m venv /tmp/aic
    /tmp/aic/bin/pip install aiconfigurator-core==0.12.0 pandas pyarrow   # scipy comes with it
    /tmp/aic/bin/python scripts/distil_kernels.py              # writes seeds/kernels/*.csv + SUMMARY.md

Source read: PyPI ``aiconfigurator-core`` 0.12.0 (NVIDIA, Apache-2.0), its packaged
``aiconfigurator_core/systems/data/<system>/<family>/<backend>/<version>/*.parquet`` tables.
Units of those tables (checked against the package's loaders and NVIDIA's collectors in the
ai-dynamo/aiconfigurator repository, ``collector/``):

* ``latency`` is milliseconds per call, CUDA-event timed (CUDA graphs where the collector uses them).
* gemm_perf: ``m`` tokens, ``n`` output features, ``k`` reduction (input) features.
* context_attention_perf: ``batch_size`` sequences of ``isl`` tokens each, causal prefill, heads per GPU.
* generation_attention_perf: one new token per sequence; ``step`` = tokens already cached, so the
  kernel reads ``step + 1`` keys/values per sequence.
* context/generation_mla_perf: DeepSeek MLA, ``num_heads`` = heads per GPU (``tp_size`` the split),
  latent KV of 512 + 64 (RoPE) values per token.
* moe_perf: one fused MoE layer call (routing, permute, grouped GEMMs, finalize) on one GPU holding
  ``num_experts / moe_ep_size`` experts with ``inter_size / moe_tp_size``; ``num_tokens`` tokens in.
* nccl_perf (nccl-tests) and custom_allreduce_perf (TensorRT-LLM AllReduce): ``message_size`` is an
  ELEMENT count (fp16/bf16 = 2 bytes, int8 = 1 byte); nccl-tests times include the launch.

Backend: TensorRT-LLM (``trtllm``). Version: the package's own "current" queryable trtllm version per
system (``systems/query_versions.yaml``: 1.3.0rc20, 1.0.0 on a100_sxm); a table that version lacks is
read from the newest older version that has it (the package's own backward fill). NCCL: the newest
NCCL version the package holds for the system.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares

PACKAGE = "aiconfigurator-core"
BACKEND = "trtllm"
ROOT = Path(__file__).resolve().parent.parent

# catalog id (seeds/hardware.csv) -> aiconfigurator system directory
SYSTEMS = {
    "a100-80gb-sxm": "a100_sxm",
    "h100-sxm": "h100_sxm",
    "h200-sxm": "h200_sxm",
    "b200": "b200_sxm",
    "gb200": "gb200",
    "gb300": "gb300",
    "l40s": "l40s",
}

# data dtype name -> (our precision name, hardware.csv peak column, weight bytes per parameter)
# nvfp4: 4-bit values plus one FP8 scale per 16 values = 0.5625 byte/weight.
PRECISIONS = {
    "bfloat16": ("bf16", "bf16_dense_tflops", 2.0),
    "fp8": ("fp8", "fp8_dense_tflops", 1.0),
    "fp8_block": ("fp8_block", "fp8_dense_tflops", 1.0),
    "nvfp4": ("nvfp4", "fp4_dense_tflops", 0.5625),
}
GEMM_TABLE_PRECISIONS = ("bfloat16", "fp8", "nvfp4")  # gemm.csv rows; fp8_block only in the fits
GEMM_SHAPES = [(4096, 4096), (8192, 8192), (16384, 16384), (65536, 8192), (8192, 51200)]
GEMM_M = [2**i for i in range(15)]  # 1 .. 16384

MOE_SHAPES = {  # label -> (hidden, moe inter, experts, topk)
    "deepseek-v3": (7168, 2048, 256, 8),
    "qwen3-235b-a22b": (4096, 1536, 128, 8),
    "mixtral-8x7b": (4096, 14336, 8, 2),
}
MOE_TOKENS = [1, 8, 64, 512, 4096, 16384]
MOE_TPE_TARGETS = [1, 8, 32, 128, 512]

DECODE_SHAPE = (32, 8, 128)  # q heads, kv heads, head dim per GPU (Llama-3-8B at TP1; 70B at TP2)
DECODE_BATCH = [1, 4, 16, 64, 256]
DECODE_KV = [128, 1024, 8192, 32768, 131072]
PREFILL_BATCH = [1, 8]
PREFILL_ISL = [128, 256, 512, 1024, 2048, 4096, 8192, 16384]
MLA_HEADS = 128  # DeepSeek-V3/R1 heads per GPU with attention DP / TP1
MLA_LATENT = 576  # 512 compressed KV + 64 RoPE values per token
MLA_QK_DIM, MLA_V_DIM = 192, 128  # prefill (non-absorbed) per-head dims
MLA_BATCH = [1, 64, 256]
MLA_KV = [1024, 8192, 65536]
MLA_ISL = [512, 1024, 2048, 4096, 8192, 16384]

# Tables whose numbers are not physically consistent: rows are still distilled, but no fit is derived from them.
# a100_sxm generation attention (trtllm 1.0.0) implies KV reads of up to ~1.6x the HBM bandwidth.
SUSPECT = {("a100_sxm", "generation_attention_perf")}

COMM_ELEMS = [2**8, 2**11, 2**14, 2**17, 2**20, 2**23, 2**26, 2**28]
BYTES = {"bfloat16": 2, "half": 2, "float16": 2, "fp8": 1, "int8": 1}


def pkg_root() -> Path:
    import aiconfigurator_core

    return Path(aiconfigurator_core.__file__).resolve().parent / "systems"


def vkey(v: str) -> tuple:
    """Sort key for '1.3.0rc20', '1.0.0', '2.29.2', '0.5.6.post2'."""
    m = re.match(r"^(\d+(?:\.\d+)*)(?:(rc|post|\.post|\.dev|dev)(\d+))?", v)
    if not m:
        return ((0,), 0, 0)
    nums = tuple(int(x) for x in m.group(1).split("."))
    tag, num = m.group(2), int(m.group(3) or 0)
    rank = {"rc": -1, "dev": -2, ".dev": -2, None: 0, "post": 1, ".post": 1}[tag]
    return (nums + (0,) * (4 - len(nums)), rank, num)


class Source:
    """Finds the version directory of each table the way the package resolves it."""

    def __init__(self, root: Path):
        self.root = root
        q = yaml.safe_load((root / "query_versions.yaml").read_text())
        self.default = q["defaults"][BACKEND]["current"]
        self.overrides = {s: o[BACKEND]["current"] for s, o in (q.get("overrides") or {}).items() if BACKEND in o}
        self.used: list[dict] = []

    def current(self, system: str) -> str:
        return self.overrides.get(system, self.default)

    def table(self, system: str, family: str, filename: str, backend: str = BACKEND) -> tuple[pd.DataFrame, str] | None:
        base = self.root / "data" / system / family / backend
        if not base.is_dir():
            return None
        versions = sorted((p.name for p in base.iterdir() if (p / filename).is_file()), key=vkey)
        if not versions:
            return None
        if backend == BACKEND:
            cur = vkey(self.current(system))
            older = [v for v in versions if vkey(v) <= cur]
            version = older[-1] if older else versions[-1]
        else:  # nccl: newest held
            version = versions[-1]
        path = base / version / filename
        self.used.append(
            {
                "system": system,
                "table": filename.removesuffix(".parquet"),
                "backend": backend,
                "version": version,
                "package_path": str(path.relative_to(self.root.parent.parent)),
            }
        )
        return pd.read_parquet(path), version


def sig(x: float, digits: int = 4) -> float:
    if x is None or not np.isfinite(x) or x == 0:
        return x
    return float(f"{x:.{digits}g}")


def errs(log_resid: np.ndarray) -> tuple[float, float]:
    """Median and 90th-percentile relative error |pred/obs - 1| of a log-space fit."""
    rel = np.exp(np.abs(log_resid)) - 1
    return float(np.median(rel)), float(np.quantile(rel, 0.9))


def loglog_interp(x: np.ndarray, y: np.ndarray, xq: float) -> float:
    order = np.argsort(x)
    x, y = np.asarray(x, float)[order], np.asarray(y, float)[order]
    return float(np.exp(np.interp(math.log(xq), np.log(x), np.log(y))))


# --------------------------------------------------------------------------------------------- GEMM


def gemm_flops(m, n, k):
    return 2.0 * m * n * k


def fit_saturating(df: pd.DataFrame, peak_tflops: float):
    """time = 2nk(m + m_half) / (eff_max * peak): eff(m) = eff_max * m / (m + m_half)."""
    m, n, k, t = (df[c].to_numpy(float) for c in ("m", "n", "k", "t_s"))
    p = peak_tflops * 1e12

    def resid(x):
        eff_max, log_mh = x
        pred = 2 * n * k * (m + math.exp(log_mh)) / (eff_max * p)
        return np.log(pred) - np.log(t)

    r = least_squares(
        resid,
        loss="soft_l1",
        f_scale=0.2,
        x0=[0.7, math.log(64)],
        bounds=([0.01, math.log(0.01)], [1.5, math.log(1e5)]),
    )
    return r.x[0], math.exp(r.x[1]), *errs(r.fun)


def fit_roofline(df: pd.DataFrame, peak_tflops: float, hbm_tb_s: float, bpw: float):
    """time = t0 + max(2mnk / (ce * peak), nk * bpw / (bf * HBM))."""
    m, n, k, t = (df[c].to_numpy(float) for c in ("m", "n", "k", "t_s"))
    p, bw = peak_tflops * 1e12, hbm_tb_s * 1e12

    def resid(x):
        ce, bf, t0 = x[0], x[1], math.exp(x[2])
        pred = t0 + np.maximum(2 * m * n * k / (ce * p), n * k * bpw / (bf * bw))
        return np.log(pred) - np.log(t)

    r = least_squares(
        resid,
        loss="soft_l1",
        f_scale=0.2,
        x0=[0.7, 0.7, math.log(5e-6)],
        bounds=([0.01, 0.01, math.log(1e-8)], [1.5, 1.5, math.log(1e-3)]),
    )
    return r.x[0], r.x[1], math.exp(r.x[2]), *errs(r.fun)


def distil_gemm(src: Source, hw: pd.DataFrame, gpu: str, system: str):
    got = src.table(system, "gemm", "gemm_perf.parquet")
    if got is None:
        return [], []
    d, version = got
    d = d.groupby(["gemm_dtype", "m", "n", "k"], as_index=False).latency.median()
    d["t_s"] = d.latency * 1e-3
    hrow = hw.loc[gpu]
    rows, fits = [], []
    for dtype, (prec, peak_col, bpw) in PRECISIONS.items():
        x = d[d.gemm_dtype == dtype]
        peak = hrow[peak_col]
        if x.empty or not np.isfinite(peak):
            continue
        bw = hrow.hbm_bandwidth_tb_per_s
        if dtype in GEMM_TABLE_PRECISIONS:
            for n, k in GEMM_SHAPES:
                for m in GEMM_M:
                    r = x[(x.m == m) & (x.n == n) & (x.k == k)]
                    if r.empty:
                        continue
                    t = float(r.t_s.iloc[0])
                    tf = gemm_flops(m, n, k) / t / 1e12
                    wbw = n * k * bpw / t / 1e12
                    rows.append(
                        {
                            "gpu": gpu,
                            "system": system,
                            "backend": BACKEND,
                            "version": version,
                            "precision": prec,
                            "m": m,
                            "n": n,
                            "k": k,
                            "latency_us": sig(t * 1e6),
                            "achieved_tflops": sig(tf),
                            "peak_dense_tflops": peak,
                            "efficiency": round(tf / peak, 4),
                            "weight_read_fraction_of_hbm": round(wbw / bw, 4),
                        }
                    )
        # saturating model on transformer-sized GEMMs (n, k >= 4096); roofline model on n, k >= 1024
        sat = x[(x.n >= 4096) & (x.k >= 4096)]
        eff_max, m_half, p50, p90 = fit_saturating(sat, peak)
        roof = x[(x.n >= 1024) & (x.k >= 1024)]
        ce, bf, t0, p50_r, p90_r = fit_roofline(roof, peak, bw, bpw)
        # empirical large-GEMM efficiency: m >= 4096, n, k >= 8192
        large = x[(x.m >= 4096) & (x.n >= 8192) & (x.k >= 8192)]
        eff_large = gemm_flops(large.m, large.n, large.k) / large.t_s / 1e12 / peak
        # empirical m_half: per shape with n, k >= 8192, the smallest m reaching half that shape's best efficiency
        halves = []
        for _, g in x[(x.n >= 8192) & (x.k >= 8192)].groupby(["n", "k"]):
            g = g.sort_values("m")
            eff = gemm_flops(g.m, g.n, g.k) / g.t_s / 1e12 / peak
            halves.append(float(g.m[eff.to_numpy() >= eff.max() / 2].iloc[0]))
        # weight-read bandwidth at small m on big weight matrices (n*k >= 2^28); smaller ones add the overhead
        wide = x[x.n * x.k >= 2**28]
        wfrac = {}
        for m in (1, 2, 4, 8, 16, 32, 64):
            w = wide[wide.m == m]
            wfrac[m] = float(np.median(w.n * w.k * bpw / w.t_s / 1e12 / bw)) if len(w) else float("nan")
        tiny = x[(x.m == 1) & (x.n <= 256) & (x.k <= 256)]
        fits.append(
            {
                "gpu": gpu,
                "system": system,
                "backend": BACKEND,
                "version": version,
                "precision": prec,
                "peak_dense_tflops": peak,
                "hbm_tb_per_s": bw,
                "bytes_per_weight": bpw,
                "sat_eff_max": round(eff_max, 4),
                "sat_m_half": sig(m_half, 3),
                "sat_p50_rel_err": round(p50, 3),
                "sat_p90_rel_err": round(p90, 3),
                "sat_points": len(sat),
                "roof_compute_eff": round(ce, 4),
                "roof_hbm_fraction": round(bf, 4),
                "roof_overhead_us": sig(t0 * 1e6, 3),
                "roof_p50_rel_err": round(p50_r, 3),
                "roof_p90_rel_err": round(p90_r, 3),
                "roof_points": len(roof),
                "large_eff_median": round(float(np.median(eff_large)), 4),
                "large_eff_max": round(float(np.max(eff_large)), 4),
                "m_half_empirical": sig(float(np.median(halves)), 3),
                **{f"weight_read_fraction_m{m}": round(v, 4) for m, v in wfrac.items()},
                "tiny_kernel_us": sig(float(np.median(tiny.t_s)) * 1e6, 3) if len(tiny) else None,
            }
        )
    return rows, fits


# ---------------------------------------------------------------------------------------- attention


def fit_bw(batch: np.ndarray, bytes_: np.ndarray, t: np.ndarray, bw_tb_s: float):
    """time = fixed + per_seq * batch + bytes / (frac * HBM), log-space least squares.
    Returns fixed_s, per_seq_s, frac, median and p90 relative error."""
    bw = bw_tb_s * 1e12

    def resid(x):
        return np.log(math.exp(x[0]) + math.exp(x[1]) * batch + bytes_ / (x[2] * bw)) - np.log(t)

    r = least_squares(
        resid,
        loss="soft_l1",
        f_scale=0.2,
        x0=[math.log(1e-5), math.log(1e-7), 0.6],
        bounds=([math.log(1e-8), math.log(1e-11), 0.01], [math.log(1e-2), math.log(1e-4), 2.0]),
    )
    return math.exp(r.x[0]), math.exp(r.x[1]), r.x[2], *errs(r.fun)


def distil_attention(src: Source, hw: pd.DataFrame, gpu: str, system: str):
    hrow = hw.loc[gpu]
    bw = hrow.hbm_bandwidth_tb_per_s
    dec_rows, pre_rows, fits = [], [], []
    nq, nkv, hd = DECODE_SHAPE
    got = src.table(system, "attention", "generation_attention_perf.parquet")
    if got is not None:
        d, version = got
        d = d[(d.num_heads == nq) & (d.num_key_value_heads == nkv) & (d.head_dim == hd) & (d.window_size == 0)]
        d = d.groupby(["kv_cache_dtype", "batch_size", "step"], as_index=False).latency.median()
        d["kv_len"] = d.step + 1
        for kvd, x in d.groupby("kv_cache_dtype"):
            x = x.assign(kv_bytes=x.batch_size * x.kv_len * nkv * hd * 2 * BYTES[kvd], t_s=x.latency * 1e-3)
            for _, r in x[x.batch_size.isin(DECODE_BATCH) & x.kv_len.isin(DECODE_KV)].iterrows():
                ach = r.kv_bytes / r.t_s / 1e12
                dec_rows.append(
                    {
                        "gpu": gpu,
                        "system": system,
                        "backend": BACKEND,
                        "version": version,
                        "q_heads": nq,
                        "kv_heads": nkv,
                        "head_dim": hd,
                        "kv_dtype": _p(kvd),
                        "batch": int(r.batch_size),
                        "kv_len": int(r.kv_len),
                        "latency_us": sig(r.t_s * 1e6),
                        "kv_bytes": int(r.kv_bytes),
                        "bw_fraction_of_hbm": round(ach / bw, 4),
                    }
                )
            if (system, "generation_attention_perf") in SUSPECT:
                continue
            t0, ps, frac, p50, p90 = fit_bw(*(x[c].to_numpy(float) for c in ("batch_size", "kv_bytes", "t_s")), bw)
            big = x[x.kv_bytes >= 1e9]
            f = _fitter(fits, gpu, system, version, "decode_attention", _p(kvd))
            f("fixed_us", t0 * 1e6, "us")
            f("per_seq_us", ps * 1e6, "us")
            f("bw_fraction_fit", frac, "of HBM")
            f("fit_p50_rel_err", p50, "")
            f("fit_p90_rel_err", p90, "")
            f("bw_fraction_ge1GB_median", float(np.median(big.kv_bytes / big.t_s / 1e12 / bw)), "of HBM")
            f("min_latency_us", float(x.t_s.min() * 1e6), "us")
    got = src.table(system, "attention", "context_attention_perf.parquet")
    if got is not None:
        d, version = got
        d = d[(d.num_heads == nq) & (d.num_key_value_heads == nkv) & (d.head_dim == hd) & (d.window_size == 0)]
        d = d.groupby(["attn_dtype", "kv_cache_dtype", "batch_size", "isl"], as_index=False).latency.median()
        for (ad, kvd), x in d.groupby(["attn_dtype", "kv_cache_dtype"]):
            if ad != kvd:  # keep bf16/bf16 and fp8/fp8 (fp8 FMHA needs an fp8 KV cache)
                continue
            prec = _p(ad)
            peak = hrow["fp8_dense_tflops" if prec == "fp8" else "bf16_dense_tflops"]
            # causal: half of the 4*b*h*s^2*d of full attention
            x = x.assign(t_s=x.latency * 1e-3, flops=2.0 * x.batch_size * nq * x.isl**2 * hd)
            x["tflops"] = x.flops / x.t_s / 1e12
            for _, r in x[x.batch_size.isin(PREFILL_BATCH) & x.isl.isin(PREFILL_ISL)].iterrows():
                pre_rows.append(
                    {
                        "gpu": gpu,
                        "system": system,
                        "backend": BACKEND,
                        "version": version,
                        "q_heads": nq,
                        "kv_heads": nkv,
                        "head_dim": hd,
                        "precision": prec,
                        "batch": int(r.batch_size),
                        "isl": int(r.isl),
                        "latency_us": sig(r.t_s * 1e6),
                        "achieved_tflops": sig(r.tflops),
                        "peak_dense_tflops": peak,
                        "efficiency": round(r.tflops / peak, 4),
                    }
                )
            f = _fitter(fits, gpu, system, version, "prefill_attention", prec)
            for isl in (1024, 4096, 16384):
                r = x[(x.batch_size == 1) & (x.isl == isl)]
                if len(r):
                    f(f"eff_b1_isl{isl}", float(r.tflops.iloc[0] / peak), "of dense peak")
            top = x[x.batch_size * x.isl >= 16384]
            f("eff_ge16k_tokens_median", float(np.median(top.tflops / peak)), "of dense peak")
            f("min_latency_us", float(x.t_s.min() * 1e6), "us")
    return dec_rows, pre_rows, fits


def distil_mla(src: Source, hw: pd.DataFrame, gpu: str, system: str):
    hrow = hw.loc[gpu]
    bw = hrow.hbm_bandwidth_tb_per_s
    rows, fits = [], []
    got = src.table(system, "mla", "generation_mla_perf.parquet")
    if got is not None:
        d, version = got
        d = (
            d[d.num_heads == MLA_HEADS]
            .groupby(["kv_cache_dtype", "batch_size", "step"], as_index=False)
            .latency.median()
        )
        d["kv_len"] = d.step + 1
        for kvd, x in d.groupby("kv_cache_dtype"):
            x = x.assign(t_s=x.latency * 1e-3, kv_bytes=x.batch_size * x.kv_len * MLA_LATENT * BYTES[kvd])
            for _, r in x[x.batch_size.isin(MLA_BATCH) & x.kv_len.isin(MLA_KV)].iterrows():
                rows.append(
                    {
                        "gpu": gpu,
                        "system": system,
                        "backend": BACKEND,
                        "version": version,
                        "phase": "decode",
                        "heads": MLA_HEADS,
                        "kv_dtype": _p(kvd),
                        "batch": int(r.batch_size),
                        "seq_len": int(r.kv_len),
                        "latency_us": sig(r.t_s * 1e6),
                        "bw_fraction_of_hbm": round(r.kv_bytes / r.t_s / 1e12 / bw, 4),
                        "achieved_tflops": None,
                        "efficiency": None,
                    }
                )
            t0, ps, frac, p50, p90 = fit_bw(*(x[c].to_numpy(float) for c in ("batch_size", "kv_bytes", "t_s")), bw)
            big = x[x.kv_bytes >= 1e9]
            f = _fitter(fits, gpu, system, version, "decode_mla", _p(kvd))
            f("fixed_us", t0 * 1e6, "us")
            f("per_seq_us", ps * 1e6, "us")
            f("bw_fraction_fit", frac, "of HBM")
            f("fit_p50_rel_err", p50, "")
            f("fit_p90_rel_err", p90, "")
            if len(big):
                f("bw_fraction_ge1GB_median", float(np.median(big.kv_bytes / big.t_s / 1e12 / bw)), "of HBM")
    got = src.table(system, "mla", "context_mla_perf.parquet")
    if got is not None:
        d, version = got
        d = d[(d.num_heads == MLA_HEADS) & (d.kv_cache_dtype == "bfloat16") & (d.batch_size == 1)]
        d = d.groupby(["isl"], as_index=False).latency.median()
        peak = hrow.bf16_dense_tflops
        d = d.assign(t_s=d.latency * 1e-3, flops=1.0 * MLA_HEADS * d.isl**2 * (MLA_QK_DIM + MLA_V_DIM))
        d["tflops"] = d.flops / d.t_s / 1e12
        for _, r in d[d.isl.isin(MLA_ISL)].iterrows():
            rows.append(
                {
                    "gpu": gpu,
                    "system": system,
                    "backend": BACKEND,
                    "version": version,
                    "phase": "prefill",
                    "heads": MLA_HEADS,
                    "kv_dtype": "bf16",
                    "batch": 1,
                    "seq_len": int(r.isl),
                    "latency_us": sig(r.t_s * 1e6),
                    "bw_fraction_of_hbm": None,
                    "achieved_tflops": sig(r.tflops),
                    "efficiency": round(r.tflops / peak, 4),
                }
            )
        top = d[d.isl >= 8192]
        if len(top):
            _fitter(fits, gpu, system, version, "prefill_mla", "bf16")(
                "eff_ge8k_median", float(np.median(top.tflops / peak)), "of bf16 dense peak"
            )
    return rows, fits


# ---------------------------------------------------------------------------------------------- MoE


def distil_moe(src: Source, hw: pd.DataFrame, gpu: str, system: str, gemm_fits: dict):
    """MoE layer (tp1, ep1) vs a dense reference of the same total work: the gemm_fit roofline without its
    fixed overhead, t_ref = max(flops / (roof_compute_eff * peak), weight_bytes / (roof_hbm_fraction * HBM))."""
    hrow = hw.loc[gpu]
    bw = hrow.hbm_bandwidth_tb_per_s
    got = src.table(system, "moe", "moe_perf.parquet")
    if got is None:
        return [], []
    d, version = got
    d = d[(d.moe_tp_size == 1) & (d.moe_ep_size == 1)]
    rows, curves = [], []
    for label, (h, inter, e, topk) in MOE_SHAPES.items():
        s = d[(d.hidden_size == h) & (d.inter_size == inter) & (d.num_experts == e) & (d.topk == topk)]
        for dtype, x in s.groupby("moe_dtype"):
            if dtype not in PRECISIONS:
                continue
            prec, peak_col, bpw = PRECISIONS[dtype]
            peak = hrow[peak_col]
            gf = gemm_fits.get((gpu, prec))
            dist = "balanced" if (x.distribution == "balanced").any() else sorted(x.distribution.unique())[0]
            # trtllm-gen "min_latency" rows are left out: that collector path routes with a group-limited
            # DeepSeek gate and skips finalize, and its implied weight traffic exceeds HBM bandwidth.
            x = x[(x.distribution == dist) & (x.kernel_source != "moe_torch_flow_min_latency")]
            # bytes (which experts are touched) are only known for balanced routing
            balanced = dist == "balanced"
            # several kernel sources may cover one shape: keep the fastest per token count
            x = x.sort_values("latency").groupby("num_tokens", as_index=False).first()
            x["t_s"] = x.latency * 1e-3

            def work(nt, h=h, inter=inter, e=e, topk=topk, bpw=bpw):
                pairs = nt * topk  # token-expert pairs; gated FFN = 3 matrices of h x inter per expert
                return pairs / e, 2.0 * pairs * 3 * h * inter, min(e, pairs) * 3 * h * inter * bpw

            def ref(flops, wbytes, gf=gf, peak=peak):
                if gf is None:
                    return None
                return max(
                    flops / (gf["roof_compute_eff"] * peak * 1e12), wbytes / (gf["roof_hbm_fraction"] * bw * 1e12)
                )

            for _, r in x[x.num_tokens.isin(MOE_TOKENS)].iterrows():
                tpe, flops, wbytes = work(r.num_tokens)
                tr = ref(flops, wbytes)
                rows.append(
                    {
                        "gpu": gpu,
                        "system": system,
                        "backend": BACKEND,
                        "version": version,
                        "shape": label,
                        "precision": prec,
                        "kernel_source": r.kernel_source,
                        "distribution": dist,
                        "hidden": h,
                        "moe_inter": inter,
                        "experts": e,
                        "topk": topk,
                        "num_tokens": int(r.num_tokens),
                        "tokens_per_expert": sig(tpe, 3),
                        "latency_us": sig(r.t_s * 1e6),
                        "achieved_tflops": sig(flops / r.t_s / 1e12),
                        "efficiency": round(flops / r.t_s / 1e12 / peak, 4),
                        "bw_fraction_of_hbm": round(wbytes / r.t_s / 1e12 / bw, 4) if balanced else None,
                        "rel_to_dense": round(tr / r.t_s, 4) if tr and balanced else None,
                    }
                )
            curve = {
                "gpu": gpu,
                "system": system,
                "backend": BACKEND,
                "version": version,
                "shape": label,
                "precision": prec,
                "distribution": dist,
                "min_latency_us": sig(float(x.t_s.min() * 1e6), 3),
            }
            for tpe in MOE_TPE_TARGETS:  # log-log interpolation over the measured token counts
                nt = tpe * e / topk
                ok = x.num_tokens.min() <= nt <= x.num_tokens.max()
                t_s = loglog_interp(x.num_tokens.to_numpy(), x.t_s.to_numpy(), nt) if ok else float("nan")
                _, flops, wbytes = work(nt)
                tr = ref(flops, wbytes)
                curve[f"eff_tpe{tpe}"] = round(flops / t_s / 1e12 / peak, 4) if ok else None
                curve[f"rel_to_dense_tpe{tpe}"] = round(tr / t_s, 4) if ok and tr and balanced else None
                curve[f"bw_fraction_tpe{tpe}"] = round(wbytes / t_s / 1e12 / bw, 4) if ok and balanced else None
            curves.append(curve)
    return rows, curves


# --------------------------------------------------------------------------------------------- comm

BUS_FACTOR = {"all_reduce": lambda n: 2 * (n - 1) / n, "alltoall": lambda n: (n - 1) / n}


def distil_comm(src: Source, hw: pd.DataFrame, gpu: str, system: str):
    hrow = hw.loc[gpu]
    link = hrow.nvlink_gb_per_s / 2 if hrow.nvlink_gb_per_s > 0 else float("nan")  # per direction
    cols = ["op_name", "impl", "dtype", "num_gpus", "message_size", "latency", "backend", "version"]
    frames = []
    got = src.table(system, "comm", "custom_allreduce_perf.parquet")
    if got is not None:
        d, version = got
        frames.append(d.assign(impl="trtllm_custom", dtype=d.allreduce_dtype, backend=BACKEND, version=version)[cols])
    got = src.table(system, "comm", "nccl_perf.parquet", backend="nccl")
    if got is not None:
        d, version = got
        d = d[(d.nccl_dtype == "half") & d.op_name.isin(list(BUS_FACTOR))]
        frames.append(d.assign(impl="nccl", dtype="half", backend="nccl", version=version)[cols])
    if not frames:
        return [], []
    d = pd.concat(frames).groupby(cols[:-3] + cols[-2:], as_index=False).latency.median()
    d["bytes"] = d.message_size * d.dtype.map(BYTES)
    d["t_s"] = d.latency * 1e-3
    d["algbw"] = d.bytes / d.t_s / 1e9
    d["busbw"] = d.algbw * [BUS_FACTOR[o](n) for o, n in zip(d.op_name, d.num_gpus, strict=True)]
    rows, fits = [], []
    for _, r in d[d.message_size.isin(COMM_ELEMS)].iterrows():
        rows.append(
            {
                "gpu": gpu,
                "system": system,
                "backend": r.backend,
                "version": r.version,
                "op": r.op_name,
                "impl": r.impl,
                "num_gpus": int(r.num_gpus),
                "message_bytes": int(r.bytes),
                "latency_us": sig(r.t_s * 1e6),
                "algbw_gb_per_s": sig(r.algbw),
                "busbw_gb_per_s": sig(r.busbw),
                "busbw_fraction_of_link": round(r.busbw / link, 4) if np.isfinite(link) else None,
            }
        )
    for (op, impl, n, be, ver), x in d.groupby(["op_name", "impl", "num_gpus", "backend", "version"]):
        f = _fitter(fits, gpu, system, ver, f"comm_{op}_{impl}", f"{n}gpu", backend=be)
        small = x[x.bytes <= 8192]
        f("latency_small_us", float(small.t_s.median() * 1e6), "us")  # messages <= 8 KiB
        f("busbw_max_gb_per_s", float(x.busbw.max()), "GB/s")
        if np.isfinite(link):
            f("busbw_fraction_of_link", float(x.busbw.max()) / link, "of nvlink_gb_per_s/2")
    return rows, fits


# ------------------------------------------------------------------------------------------ helpers


def _p(dtype: str) -> str:
    return {"bfloat16": "bf16", "float16": "bf16"}.get(dtype, dtype)


def _fitter(out: list, gpu, system, version, kernel, variant, backend=BACKEND):
    def add(parameter, value, unit):
        out.append(
            {
                "gpu": gpu,
                "system": system,
                "backend": backend,
                "version": version,
                "kernel": kernel,
                "variant": variant,
                "parameter": parameter,
                "value": sig(float(value), 4) if value is not None and np.isfinite(value) else None,
                "unit": unit,
            }
        )

    return add


def write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")
    print(f"wrote {path.relative_to(ROOT)}: {len(df)} rows, {path.stat().st_size / 1024:.1f} KiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "seeds" / "kernels")
    ap.add_argument("--hardware", type=Path, default=ROOT / "seeds" / "hardware.csv")
    args = ap.parse_args()
    version = importlib.metadata.version(PACKAGE)
    src = Source(pkg_root())
    hw = pd.read_csv(args.hardware).set_index("id")
    args.out.mkdir(parents=True, exist_ok=True)

    out: dict[str, list] = {
        k: []
        for k in (
            "gemm",
            "gemm_fit",
            "attention_decode",
            "attention_prefill",
            "mla",
            "moe",
            "moe_tpe",
            "comm",
            "kernel_fit",
        )
    }
    for gpu, system in SYSTEMS.items():
        print(f"{gpu} <- {system}")
        r, f = distil_gemm(src, hw, gpu, system)
        out["gemm"] += r
        out["gemm_fit"] += f
        gemm_fits = {(g["gpu"], g["precision"]): g for g in out["gemm_fit"]}
        a, b, f = distil_attention(src, hw, gpu, system)
        out["attention_decode"] += a
        out["attention_prefill"] += b
        out["kernel_fit"] += f
        r, f = distil_mla(src, hw, gpu, system)
        out["mla"] += r
        out["kernel_fit"] += f
        r, c = distil_moe(src, hw, gpu, system, gemm_fits)
        out["moe"] += r
        out["moe_tpe"] += c
        r, f = distil_comm(src, hw, gpu, system)
        out["comm"] += r
        out["kernel_fit"] += f
    for name, rows in out.items():
        write(pd.DataFrame(rows), args.out / f"{name}.csv")
    used = pd.DataFrame(src.used).drop_duplicates()
    used.insert(0, "package", f"{PACKAGE}=={version}")
    write(used, args.out / "sources.csv")
    total = sum(p.stat().st_size for p in args.out.glob("*.csv"))
    print(f"total CSV size {total / 1024:.1f} KiB")
    write_summary(args.out, version)


# -------------------------------------------------------------------------------------------- SUMMARY


def _md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append(
            "| " + " | ".join("" if pd.isna(v) else f"{v:g}" if isinstance(v, float) else str(v) for v in r) + " |"
        )
    return "\n".join(lines)


def _key_numbers(g: pd.DataFrame, k: pd.DataFrame, m: pd.DataFrame, gpus: list[str]) -> str:
    def fit(kernel, variant, parameter):
        x = k[(k.kernel == kernel) & (k.variant == variant) & (k.parameter == parameter)]
        return x.set_index("gpu").value

    def gf(prec, col):
        return g[g.precision == prec].set_index("gpu")[col]

    t1 = pd.DataFrame(index=gpus)
    for prec in ("bf16", "fp8", "fp8_block", "nvfp4"):
        t1[f"{prec} large eff"] = gf(prec, "large_eff_median")
    for prec in ("bf16", "fp8"):
        t1[f"{prec} m_half"] = gf(prec, "m_half_empirical")
    for prec in ("bf16", "fp8", "nvfp4"):
        t1[f"{prec} wr m1/m64"] = [
            f"{a:.2f}/{b:.2f}" if pd.notna(a) else ""
            for a, b in zip(
                gf(prec, "weight_read_fraction_m1").reindex(gpus),
                gf(prec, "weight_read_fraction_m64").reindex(gpus),
                strict=True,
            )
        ]
    for prec in ("bf16", "fp8"):
        t1[f"{prec} overhead us"] = gf(prec, "roof_overhead_us")
    t2 = pd.DataFrame(index=gpus)
    t2["decode attn bw (bf16 kv)"] = fit("decode_attention", "bf16", "bw_fraction_ge1GB_median")
    t2["decode attn bw (fp8 kv)"] = fit("decode_attention", "fp8", "bw_fraction_ge1GB_median")
    t2["decode attn fixed us"] = fit("decode_attention", "bf16", "fixed_us")
    t2["prefill attn eff (bf16, >=16k tok)"] = fit("prefill_attention", "bf16", "eff_ge16k_tokens_median")
    t2["MLA decode bw (fp8 kv)"] = fit("decode_mla", "fp8", "bw_fraction_ge1GB_median")
    ar = k[(k.kernel == "comm_all_reduce_trtllm_custom")].copy()
    ar["n"] = ar.variant.str.removesuffix("gpu").astype(int)
    ar = ar[ar.n <= 8]
    top = ar[ar.n == ar.groupby("gpu").n.transform("max")]
    t2["AR gpus"] = top[top.parameter == "latency_small_us"].set_index("gpu").n
    t2["AR small us"] = top[top.parameter == "latency_small_us"].set_index("gpu").value
    t2["AR busbw of link"] = top[top.parameter == "busbw_fraction_of_link"].set_index("gpu").value
    t3 = m[(m.distribution == "balanced") & (m["shape"] == "deepseek-v3")][
        ["gpu", "precision"] + [f"rel_to_dense_tpe{t}" for t in MOE_TPE_TARGETS]
    ]
    t3.columns = ["gpu", "precision"] + [f"rel@{t}" for t in MOE_TPE_TARGETS]
    return "\n".join(
        [
            "## Key numbers per GPU\n",
            "Dense GEMM (`large eff` of dense peak at m >= 4096, n,k >= 8192; `m_half` = m at half the best efficiency;",
            "`wr` = weight-read fraction of HBM at m = 1 / 64 on >= 2^28-weight matrices; `overhead` = roofline-fit fixed time):\n",
            _md(t1.reset_index(names="gpu")),
            "\nMemory-bound kernels and all-reduce (TRT-LLM AllReduce at the largest in-node GPU count measured, <= 8):\n",
            _md(t2.reset_index(names="gpu")),
            "\nMoE grouped GEMM vs dense roofline at 1/8/32/128/512 tokens per expert, DeepSeek-V3 layer shape",
            "(7168 hidden, 2048 expert inter, 256 experts, top-8; tp1 ep1; > 1 = faster than the dense roofline):\n",
            _md(t3),
            "",
            CAVEATS,
        ]
    )


CAVEATS = """## Caveats

* a100-80gb-sxm decode attention (trtllm 1.0.0 collection) implies KV reads up to ~1.6x HBM bandwidth, which is
  not physically possible: its rows stay in attention_decode.csv but no fit is derived (blank above). Its MoE rows
  are power-law routed (no balanced data), so only latency and FLOP efficiency are given there. a100 and l40s MLA
  come from trtllm 1.0.0 (no Hopper/Blackwell MLA kernels): slow, generic paths.
* l40s: small KV or weight sets fit its 96 MB L2, so some small-size fractions exceed HBM bandwidth; its
  collectives run over PCIe (no NVLink) on the collector's machine and are topology-specific.
* H100/H200 8-GPU all-reduce bus bandwidth slightly exceeds nvlink_gb_per_s/2: NVLink SHARP (NVLS) reduces
  inside the NVSwitch, so the nccl-tests bus-bandwidth convention can pass the per-direction link rate.
* fp8 (per-tensor) GEMM timings include dynamic activation quantization: a ~12-16 us floor per call.
* nvfp4 dense GEMM at small m reads weights at only ~0.47 of HBM (TRT-LLM 1.3.0rc20 torch-flow kernels); the MoE
  nvfp4 path reads faster, hence rel > 1. The trtllm-gen "min_latency" MoE rows were excluded (see README).
* gb200/gb300 data are one compute tray (2-4 GPUs; gb300 TRT-LLM all-reduce also at 8 and 16 GPUs);
  NVL72-wide collectives are not in the package."""


def write_summary(out: Path, version: str) -> None:
    g = pd.read_csv(out / "gemm_fit.csv")
    k = pd.read_csv(out / "kernel_fit.csv")
    m = pd.read_csv(out / "moe_tpe.csv")
    src = pd.read_csv(out / "sources.csv")
    gpus = list(SYSTEMS)

    def kv(kernel, parameter, variants):
        x = k[(k.kernel == kernel) & (k.parameter == parameter)]
        return x.pivot_table(index="gpu", columns="variant", values="value").reindex(gpus)[variants]

    parts = [
        f"""# Distilled kernel numbers (generated by scripts/distil_kernels.py; do not edit by hand)

Source: PyPI `{PACKAGE}` {version} (NVIDIA, Apache-2.0): measured TensorRT-LLM kernel timings.
Efficiencies are fractions of the **dense datasheet peak in seeds/hardware.csv** (bf16_dense_tflops,
fp8_dense_tflops, fp4_dense_tflops); bandwidth fractions are of hbm_bandwidth_tb_per_s; link fractions of
nvlink_gb_per_s / 2 (one direction). Per-file columns and caveats: seeds/README.md, section `kernels/`.
"""
    ]
    parts.append(_key_numbers(g, k, m, gpus))
    parts.append("\n## Data per GPU (backend / version actually read)\n")
    src["v"] = src.backend + " " + src.version.astype(str)
    t = src.pivot_table(index="system", columns="table", values="v", aggfunc="first")
    t = t.reindex([SYSTEMS[x] for x in gpus])
    t.insert(0, "gpu", gpus)
    parts.append(_md(t.reset_index()))

    parts.append("""
## GEMM (dense, one call)

`large eff` = median efficiency over m >= 4096, n,k >= 8192. Roofline fit (recommended):
t = overhead + max(2mnk / (compute_eff * peak), n*k*bytes_per_weight / (hbm_fraction * HBM)).
Saturating fit: eff(m) = eff_max * m / (m + m_half) on n,k >= 4096 (cruder: see its errors).
`m_half emp.` = median over n,k >= 8192 of the smallest m reaching half of that shape's best efficiency.
`wr m=` = weight-read bandwidth fraction of HBM at that m, median over matrices with n*k >= 2^28
(smaller matrices also pay the overhead). `tiny` = median time of m=1, n,k <= 256 calls.
fp8 = per-tensor FP8 (cuBLAS-style scaled GEMM, what TRT-LLM uses for ModelOpt FP8 dense checkpoints);
fp8_block = 1x128/128x128 block-scaled FP8 (DeepSeek-style checkpoints; DeepGEMM on Blackwell).
""")
    gg = g.assign(
        **{
            "wr m=1": g.weight_read_fraction_m1,
            "wr m=8": g.weight_read_fraction_m8,
            "wr m=16": g.weight_read_fraction_m16,
            "wr m=64": g.weight_read_fraction_m64,
        }
    )
    parts.append(
        _md(
            gg[
                [
                    "gpu",
                    "precision",
                    "large_eff_median",
                    "large_eff_max",
                    "roof_compute_eff",
                    "roof_hbm_fraction",
                    "roof_overhead_us",
                    "roof_p50_rel_err",
                    "roof_p90_rel_err",
                    "sat_eff_max",
                    "sat_m_half",
                    "sat_p50_rel_err",
                    "m_half_empirical",
                    "wr m=1",
                    "wr m=8",
                    "wr m=16",
                    "wr m=64",
                    "tiny_kernel_us",
                ]
            ]
        )
    )

    parts.append("""
## Decode (generation) attention, GQA 32 q / 8 kv heads x 128 per GPU

`meas.` = median KV-read bandwidth fraction over calls reading >= 1 GB of KV. Fit over all batch x context points:
t = fixed + per_seq * batch + kv_bytes / (bw_fraction * HBM); p50 = median relative fit error.
""")
    cols = {}
    for var in ("bf16", "fp8"):
        cols[f"{var} meas."] = kv("decode_attention", "bw_fraction_ge1GB_median", [var])[var]
        cols[f"{var} fit bw"] = kv("decode_attention", "bw_fraction_fit", [var])[var]
        cols[f"{var} fixed us"] = kv("decode_attention", "fixed_us", [var])[var]
        cols[f"{var} per-seq us"] = kv("decode_attention", "per_seq_us", [var])[var]
        cols[f"{var} p50"] = kv("decode_attention", "fit_p50_rel_err", [var])[var]
    parts.append(_md(pd.DataFrame(cols).reset_index()))

    parts.append("""
## Prefill (context) attention, same heads, causal FLOPs = 2*b*h*s^2*d

Efficiency of bf16 FMHA vs bf16 dense peak and of fp8 FMHA vs fp8 dense peak.
""")
    cols = {}
    for var in ("bf16", "fp8"):
        for prm, lab in (
            ("eff_b1_isl1024", "b1 s1k"),
            ("eff_b1_isl4096", "b1 s4k"),
            ("eff_b1_isl16384", "b1 s16k"),
            ("eff_ge16k_tokens_median", ">=16k tok"),
            ("min_latency_us", "min us"),
        ):
            cols[f"{var} {lab}"] = kv("prefill_attention", prm, [var])[var]
    parts.append(_md(pd.DataFrame(cols).reset_index()))

    parts.append("""
## MLA (DeepSeek-V3/R1, 128 heads per GPU)

Decode: latent KV = 576 values/token; fraction of HBM, measured (>= 1 GB read) and fit fixed time.
Prefill: bf16, batch 1, isl >= 8192, FLOPs = h*s^2*(192+128).
""")
    cols = {}
    for var in ("bf16", "fp8"):
        cols[f"decode kv {var} meas."] = kv("decode_mla", "bw_fraction_ge1GB_median", [var])[var]
        cols[f"decode kv {var} fixed us"] = kv("decode_mla", "fixed_us", [var])[var]
    cols["prefill eff"] = kv("prefill_mla", "eff_ge8k_median", ["bf16"])["bf16"]
    parts.append(_md(pd.DataFrame(cols).reset_index()))

    parts.append("""
## MoE layer (one fused TRT-LLM MoE call, tp1 ep1, balanced routing)

`rel@t` = dense-reference time / measured MoE time at t tokens per expert, where the dense reference is the
same total work (FLOPs, and weight bytes of the experts touched) priced with that GPU's GEMM roofline fit
(compute_eff, hbm_fraction) WITHOUT its fixed overhead. So t_moe = t_dense_roofline / rel. `eff@t` = fraction of
dense peak, `bw@1` = expert-weight read fraction of HBM at 1 token per expert. Full table: moe_tpe.csv.
""")
    sel = m[m.distribution == "balanced"]
    mm = sel[["gpu", "shape", "precision"]].copy()
    for t_ in MOE_TPE_TARGETS:
        mm[f"rel@{t_}"] = sel[f"rel_to_dense_tpe{t_}"]
    for t_ in (32, 512):
        mm[f"eff@{t_}"] = sel[f"eff_tpe{t_}"]
    mm["bw@1"] = sel.bw_fraction_tpe1
    mm["min us"] = sel.min_latency_us
    parts.append(_md(mm))

    parts.append("""
## Collectives inside one NVLink domain (bf16/fp16)

`trtllm_custom` = TensorRT-LLM's own AllReduce (CUDA-graph timed, what the engine runs for TP); `nccl` = nccl-tests
(includes launch). Small = median latency for messages <= 8 KiB; busbw = nccl-tests bus bandwidth (all-reduce
2(n-1)/n x algbw, all-to-all (n-1)/n x algbw), max over sizes up to 512 MiB-1 GiB; fraction of nvlink_gb_per_s/2.
""")
    c = k[k.kernel.isin(["comm_all_reduce_trtllm_custom", "comm_all_reduce_nccl", "comm_alltoall_nccl"])]
    c = c.pivot_table(index=["gpu", "kernel", "variant"], columns="parameter", values="value").reset_index()
    c = c.rename(
        columns={
            "variant": "gpus",
            "latency_small_us": "small us",
            "busbw_max_gb_per_s": "busbw GB/s",
            "busbw_fraction_of_link": "of link",
        }
    )
    c["order"] = c.gpu.map({x: i for i, x in enumerate(gpus)})
    c["n"] = c.gpus.str.removesuffix("gpu").astype(int)
    c = c.sort_values(["order", "kernel", "n"]).drop(columns=["order", "n"])
    parts.append(_md(c[["gpu", "kernel", "gpus", "small us", "busbw GB/s", "of link"]]))
    (out / "SUMMARY.md").write_text("\n".join(parts) + "\n")
    print(f"wrote {(out / 'SUMMARY.md').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
