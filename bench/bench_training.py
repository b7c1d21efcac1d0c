"""Benchmark: one training estimate in pure Python (target: median under 1 ms).

Run: .venv/bin/python bench/bench_training.py   (writes the numbers into docs/benchmarks.md)
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from estimator.catalog import load_catalog  # noqa: E402
from estimator.cost import load_price_book  # noqa: E402
from estimator.inputs import training_request  # noqa: E402
from estimator.training import estimate_training  # noqa: E402

CASES = {
    "llama-3.1-405b on h100-sxm, 16,384 GPUs": dict(model="llama-3.1-405b", tokens=15.6e12, hardware="h100-sxm", gpus=16384),
    "deepseek-v3 on h800 fp8, deadline 60 days": dict(model="deepseek-v3", tokens=14.8e12, hardware="h800", precision="fp8", deadline_days=60),
    "params-only on h20 (price fallback)": dict(params=70e9, active_params=13e9, tokens=1e12, hardware="h20", gpus=512),
}


def measure(fn, repeats: int = 5000) -> tuple[float, float]:
    for _ in range(200):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return statistics.median(samples) / 1e6, samples[int(len(samples) * 0.99)] / 1e6


def main() -> str:
    catalog, book = load_catalog(), load_price_book()
    lines = [
        "| case | median ms (estimate) | p99 ms | median ms (estimate + to_dict) |",
        "|---|---|---|---|",
    ]
    for name, values in CASES.items():
        med, p99 = measure(lambda v=values: estimate_training(training_request(catalog, v), book, catalog))
        med_d, _ = measure(lambda v=values: estimate_training(training_request(catalog, v), book, catalog).to_dict())
        lines.append(f"| {name} | {med:.3f} | {p99:.3f} | {med_d:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    table = main()
    doc = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    header = (
        "# Benchmarks\n\n"
        "Measured by `bench/bench_training.py` (5,000 timed calls after 200 warm-up calls, "
        f"`time.perf_counter_ns`), Python {platform.python_version()} on {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d')}. Target: a single training estimate in pure Python, median under 1 ms.\n\n"
        "## Training estimate\n\n"
    )
    rest = doc.read_text(encoding="utf-8").split("\n## ", 2)[2:] if doc.exists() else []
    doc.write_text(header + table + "\n" + ("\n## " + rest[0] if rest else ""), encoding="utf-8")
    print(table)
