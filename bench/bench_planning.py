"""Benchmark the planning core (targets: a capacity plan with "what it produces" under 50 ms; Sobol
sensitivity with at least 1,000 model evaluations under 2 s).

Run: .venv/bin/python bench/bench_planning.py   -> rewrites the planning section of docs/benchmarks.md
Timing: 5 warm-up calls, then 50 (plans) or 20 (sensitivity, preset: 5) timed calls with
time.perf_counter_ns; median and the slowest call. The price book's quote memo and the kernel tables
are warm after the first call, as in the service.
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
from estimator.cost import load_price_book  # noqa: E402
from estimator.planning.capacity import CapacityRequest, plan_capacity  # noqa: E402
from estimator.planning.demand import demand_scenario  # noqa: E402
from estimator.planning.estimate_sensitivity import analyse_estimate  # noqa: E402
from estimator.planning.presets import article  # noqa: E402
from estimator.planning.produce import serving_output, training_output  # noqa: E402
from estimator.planning.rent_vs_buy import RentVsBuyRequest, rent_vs_buy  # noqa: E402
from estimator.planning.results import capacity_dict  # noqa: E402
from estimator.planning.sensitivity import analyse  # noqa: E402


def measure(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    for _ in range(5):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1e6, max(samples) / 1e6


def main() -> str:
    catalog, book = load_catalog(), load_price_book()

    def produce(hw: str, **size: float) -> dict[str, object]:
        plan = plan_capacity(CapacityRequest(catalog.get_hardware(hw), **size), book, catalog)
        training = [training_output(plan, {"model": m}, book, catalog) for m in ("deepseek-v3", "llama-3.1-405b")]
        serving = [serving_output(plan, {"model": "llama-3.1-405b", "precision": "fp8", "tpot_ms": 50}, book, catalog)]
        return capacity_dict(plan, training, serving)

    rows = ["| call | model evaluations | median ms | slowest ms | target |", "|---|---|---|---|---|"]
    cases = {
        "capacity plan, $60B on H100 + 2 training runs + 1 serving model": lambda: produce("h100-sxm", budget_usd=60e9),
        "capacity plan, 1 GW of GB200 NVL72 + 2 training runs + 1 serving model":
            lambda: produce("gb200", power_mw=1000.0),
    }
    for name, fn in cases.items():
        med, worst = measure(fn, 50)
        rows.append(f"| {name} | – | {med:.2f} | {worst:.2f} | < 50 ms |")
    rvb = RentVsBuyRequest(CapacityRequest(catalog.get_hardware("h100-sxm")), gpus=1024, horizon_months=60)
    med, worst = measure(lambda: rent_vs_buy(rvb, book, catalog), 50)
    rows.append(f"| rent vs buy, 1,024 H100 over 60 months | – | {med:.2f} | {worst:.2f} | – |")
    med, worst = measure(lambda: demand_scenario(10.0), 50)
    rows.append(f"| demand scenario, 10x at the sourced elasticities | – | {med:.2f} | {worst:.2f} | – |")
    plan = plan_capacity(CapacityRequest(catalog.get_hardware("h100-sxm"), budget_usd=60e9), book, catalog)
    for samples in (128, 256, 1024):
        evaluations = analyse(plan, samples=samples).evaluations
        med, worst = measure(lambda s=samples: analyse(plan, samples=s), 20)
        rows.append(f"| Sobol + tornado, own $ per used GPU-hour, N = {samples} | {evaluations:,} | {med:.1f} | "
                    f"{worst:.1f} | < 2,000 ms for >= 1,000 |")
    training = {"model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024}
    serving = {"model": "llama-3.1-70b", "hardware": "h100-sxm", "precision": "fp8", "requests_per_s": 10}
    for workload, values in (("training", training), ("inference", serving)):
        for samples in (16, 128):
            evaluations = analyse_estimate(workload, values, book, catalog, samples=samples)[0].evaluations
            med, worst = measure(lambda w=workload, v=values, s=samples: analyse_estimate(w, v, book, catalog,
                                                                                          samples=s), 5)
            rows.append(f"| Sobol + tornado of {'an inference' if workload == 'inference' else 'a training'} estimate (llama-3.1-70b on H100), N = {samples} | "
                        f"{evaluations:,} | {med:.0f} | {worst:.0f} | – (each evaluation is a whole estimate) |")
    med, worst = measure(lambda: article(book, catalog), 5)
    rows.append(f"| article preset (9 plans, 18 training and 18 serving estimates) | – | {med:.0f} | {worst:.0f} | – |")
    return "\n".join(rows)


if __name__ == "__main__":
    table = main()
    text = (
        "## Planning core\n\n"
        f"`bench/bench_planning.py`, {machine()}. Pure Python calls (no HTTP). A plan's \"what it produces\" runs the "
        "training and serving estimates themselves (`estimate_training`, `estimate_inference`). The Sobol analysis "
        "evaluates `structure.unit_economics` once on numpy arrays of every sample (SALib's Saltelli/Sobol "
        "sampling with N x (D + 2) rows, D = 10 varied inputs, plus the tornado's 2 D + 1 calls) and analyses "
        "them with `SALib.analyze.sobol` (its bootstrap of the confidence intervals is most of the time).\n\n"
        + table
    )
    write_section("planning", text)
    print(table)
