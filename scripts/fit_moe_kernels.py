"""Fit a roofline to the measured MoE layer timings (seeds/kernels/moe.csv, distilled from NVIDIA's
aiconfigurator-core by scripts/distil_kernels.py) and write seeds/kernels/moe_fit.csv.

Model, per GPU and precision: t = overhead + max(FLOPs / (compute_eff x dense peak),
expert weight bytes touched / (hbm_fraction x HBM bandwidth)), with FLOPs = 2 x 3 x hidden x
moe_inter x tokens x top-k (three SwiGLU matrices) and the experts touched by T tokens
E(1 - (1 - k/E)^T). The three numbers minimise the squared log error over every measured shape
(DeepSeek-V3, Qwen3-235B, Mixtral 8x7B; 1 to 16,384 tokens). Run with the project's venv:
``python scripts/fit_moe_kernels.py``.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ROOT / "seeds" / "kernels"
PEAK_COLUMN = {"bf16": "bf16_dense_tflops", "fp8": "fp8_dense_tflops", "fp8_block": "fp8_dense_tflops",
               "nvfp4": "fp4_dense_tflops"}
BYTES_PER_WEIGHT = {"bf16": 2.0, "fp8": 1.0, "fp8_block": 1.0, "nvfp4": 0.5625}  # nvfp4: 4 bits + one fp8 scale per 16
OVERHEADS_S = (0.0, 5e-6, 10e-6, 20e-6, 40e-6, 80e-6)


def main() -> None:
    hardware = {r["id"]: r for r in csv.DictReader((ROOT / "seeds" / "hardware.csv").open())}
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader((KERNELS / "moe.csv").open()):
        groups[(row["gpu"], row["precision"])].append(row)
    out = []
    for (gpu, precision), rows in sorted(groups.items()):
        hw = hardware[gpu]
        peak = float(hw[PEAK_COLUMN[precision]]) * 1e12
        hbm = float(hw["hbm_bandwidth_tb_per_s"]) * 1e12
        points = []
        for r in rows:
            h, inter, e, k, t = (int(r[c]) for c in ("hidden", "moe_inter", "experts", "topk", "num_tokens"))
            touched = e * (1.0 - (1.0 - k / e) ** t)
            points.append((6.0 * h * inter * t * k, touched * 3 * h * inter * BYTES_PER_WEIGHT[precision],
                           float(r["latency_us"]) * 1e-6))
        best = min(
            (sum(math.log((ov + max(f / (eff * peak), b / (frac * hbm))) / t) ** 2 for f, b, t in points), eff, frac, ov)
            for eff in (x / 100 for x in range(5, 95))
            for frac in (x / 100 for x in range(10, 100, 2))
            for ov in OVERHEADS_S
        )
        out.append({"gpu": gpu, "system": rows[0]["system"], "backend": rows[0]["backend"], "version": rows[0]["version"],
                    "precision": precision, "points": len(points), "compute_eff": best[1], "hbm_fraction": best[2],
                    "overhead_us": round(best[3] * 1e6, 1), "rms_log_err": round(math.sqrt(best[0] / len(points)), 3)})
    with (KERNELS / "moe_fit.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    print(f"wrote {len(out)} rows to seeds/kernels/moe_fit.csv")


if __name__ == "__main__":
    main()
