"""Benchmark the estimation core in pure Python (target: a single training estimate, median < 1 ms).

Run: .venv/bin/python bench/bench_core.py   -> rewrites the core section of docs/benchmarks.md
Timing: 200 warm-up calls, then 2,000 (training) or 300 (inference, compare) timed calls with
time.perf_counter_ns; median and 99th percentile.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import machine, write_section  # noqa: E402

from estimator.catalog import load_catalog  # noqa: E402
from estimator.compare import PRESETS, compare  # noqa: E402
from estimator.cost import load_price_book  # noqa: E402
from estimator.inference import estimate_inference  # noqa: E402
from estimator.inputs import inference_request, training_request  # noqa: E402
from estimator.training import estimate_training  # noqa: E402


def measure(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    for _ in range(min(200, repeats)):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return statistics.median(samples) / 1e6, samples[int(len(samples) * 0.99) - 1] / 1e6


def main() -> str:
    catalog, book = load_catalog(), load_price_book()
    training = {
        "llama-3.1-405b on h100-sxm, 16,384 GPUs": dict(model="llama-3.1-405b", tokens=15.6e12, hardware="h100-sxm", gpus=16384),
        "deepseek-v3 on h800 fp8, 60-day deadline": dict(model="deepseek-v3", tokens=14.8e12, hardware="h800", precision="fp8", deadline_days=60),
        "params only on h20 (price fallback)": dict(params=70e9, active_params=13e9, tokens=1e12, hardware="h20", gpus=512),
    }
    inference = {
        "llama-2-70b on h100-sxm fp8, max throughput": dict(model="llama-2-70b", hardware="h100-sxm", precision="fp8", input_tokens=300, output_tokens=294),
        "deepseek-v3 on h200-sxm fp8, 20 req/s, TTFT/TPOT targets": dict(model="deepseek-v3", hardware="h200-sxm", precision="fp8", requests_per_s=20, input_tokens=1000, output_tokens=500, ttft_ms=2000, tpot_ms=50),
        "llama-3.1-8b on l4, fixed batch": dict(model="llama-3.1-8b", hardware="l4", precision="fp8", gpus_per_replica=1, batch_size=16),
    }
    rows = ["| estimate | median ms | p99 ms |", "|---|---|---|"]
    for name, values in training.items():
        med, p99 = measure(lambda v=values: estimate_training(training_request(catalog, v), book, catalog).to_dict(), 2000)
        rows.append(f"| training: {name} | {med:.3f} | {p99:.3f} |")
    for name, values in inference.items():
        med, p99 = measure(lambda v=values: estimate_inference(inference_request(catalog, v), book, catalog).to_dict(), 300)
        rows.append(f"| inference: {name} | {med:.3f} | {p99:.3f} |")
    values = dict(hardware="h200-sxm", precision="fp8", requests_per_s=20, tpot_ms=50)
    med, p99 = measure(lambda: compare(catalog, book, "inference", PRESETS["article"], values), 100)
    rows.append(f"| compare: article preset, inference on h200-sxm | {med:.3f} | {p99:.3f} |")
    return "\n".join(rows)


def before_column(table: str, checkout: str) -> str:
    """Add the medians of another checkout (run back to back, same machine) as a 'before' column.
    The other checkout's bench_core.py prints its table last; its own docs are left alone there."""
    import subprocess

    out = subprocess.run([sys.executable, "bench/bench_core.py"], cwd=checkout, capture_output=True, text=True,
                         check=True).stdout
    before = {line.split(" | ")[0]: line.split(" | ")[1] for line in out.splitlines() if line.startswith("| ") and " | " in line}
    rows = []
    for line in table.splitlines():
        key = line.split(" | ")[0]
        if line.startswith("| estimate"):
            rows.append(line + " before (median ms) | after / before |")
        elif line.startswith("|---"):
            rows.append(line + "---|---|")
        else:
            after = float(line.split(" | ")[1])
            old = before.get(key)
            rows.append(line + (f" {old} | {after / float(old):.2f}x |" if old else " – | – |"))
    return "\n".join(rows)


if __name__ == "__main__":
    table = main()
    note = ""
    if len(sys.argv) > 2 and sys.argv[1] == "--before":
        table = before_column(table, sys.argv[2])
        note = (f"The *before* column is `{sys.argv[2]}` measured right after, on the same machine (issue 17: a single "
                "estimate within 2x of the time before the performance model).\n\n")
    write_section(
        "core",
        "## Estimation core\n\n"
        f"Measured by `bench/bench_core.py` {machine()}. Each row includes building the "
        "request from plain values and serialising the result (`to_dict()`), i.e. what the API does per call minus HTTP.\n\n"
        "Target (issue 2): a single training estimate in pure Python, median under 1 ms.\n\n"
        + note + table + "\n\n"
        "Serving estimates search replica sizes (1-512 GPUs, tensor and expert parallelism) and, under a TPOT target, "
        "binary-search the batch, so they cost more than a training estimate.\n",
    )
    print(table)
