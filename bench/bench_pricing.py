"""Benchmark pricing import (issue 5): a 100k-row CSV (target <= 5 s) and a 100k-row xlsx
(target <= 20 s) through ``pricing.validate.parse_upload``, each beside a bare ``pandas.read_*``
of the same bytes measured in the same run.

Run: .venv/bin/python bench/bench_pricing.py   -> rewrites the pricing section of docs/benchmarks.md
Timing: the files are built in memory first (gpu_prices rows, every one valid and unique: what an
accepted import costs); then each measurement runs 3 times, alternating parse_upload and the
bare read, and the median wall-clock time is reported.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from report import machine, write_section  # noqa: E402

from estimator.catalog import load_catalog  # noqa: E402
from pricing.export import to_csv, to_xlsx  # noqa: E402
from pricing.read import check_zip, read_upload  # noqa: E402
from pricing.validate import parse_upload, validate_sheets  # noqa: E402

ROWS = 100_000
REPEATS = 3
TODAY = dt.date(2026, 1, 1)
TARGETS = {"csv": 5.0, "xlsx": 20.0}
T = TypeVar("T")


def rows(count: int = ROWS) -> list[dict[str, object]]:
    """Valid, unique gpu_prices rows with realistic variety (so memoised conversions do not
    flatter the numbers: every price and every product is distinct)."""
    gpus = ["h100-sxm", "a100-80gb-sxm", "h200-sxm", "b200", "l40s", "h100-pcie"]
    models = ["on_demand", "reserved_1y", "reserved_3y", "spot", "capacity_block"]
    out = []
    for i in range(count):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=i % 2000)
        out.append(
            {
                "provider": f"Provider {i % 97}",
                "region": f"region-{i % 31}",
                "gpu": gpus[i % len(gpus)],
                "pricing_model": models[i % len(models)],
                "usd_per_gpu_hour": round(0.5 + (i % 9973) * 0.001 + i * 1e-7, 7),
                "product": f"instance type {i}",
                "effective_date": day.isoformat(),
                "source": f"price list {i % 13}, https://example.com/pricing/{i % 13}",
                "notes": "" if i % 3 else "spot price varies",
            }
        )
    return out


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call (CPU time is steadier on a shared machine)."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def cpu(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """The result of one call and the CPU seconds it took."""
    c0 = time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - c0


def measure(ours: Callable[[], object], bare: Callable[[], object]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, cpu) seconds of ``ours`` and of ``bare``, run alternately."""
    ours_s, bare_s = [], []
    for _ in range(REPEATS):
        ours_s.append(timed(ours))
        bare_s.append(timed(bare))

    def median(samples: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)

    return median(ours_s), median(bare_s)


def main() -> tuple[str, dict[str, float]]:
    catalog = load_catalog()
    data = rows()
    csv_bytes = to_csv("gpu_prices", data)
    xlsx_bytes = to_xlsx({"gpu_prices": data})
    check = parse_upload(csv_bytes, "bench.csv", catalog=catalog, table="gpu_prices", today=TODAY)
    assert len(check["gpu_prices"]) == ROWS

    results: dict[str, float] = {}
    lines = [
        "| file | size | parse_upload s (CPU s) | bare pandas s (CPU s) | ratio wall (CPU) | target s |",
        "|---|---|---|---|---|---|",
    ]
    cases = {
        "csv": (
            csv_bytes,
            lambda: parse_upload(csv_bytes, "bench.csv", catalog=catalog, table="gpu_prices", today=TODAY),
            lambda: pd.read_csv(io.BytesIO(csv_bytes)),
            "`pandas.read_csv(file)`",
        ),
        "xlsx": (
            xlsx_bytes,
            lambda: parse_upload(xlsx_bytes, "bench.xlsx", catalog=catalog, today=TODAY),
            lambda: pd.read_excel(io.BytesIO(xlsx_bytes), engine="calamine"),
            '`pandas.read_excel(file, engine="calamine")`',
        ),
    }
    for kind, (blob, ours, bare, bare_name) in cases.items():
        (ours_wall, ours_cpu), (bare_wall, bare_cpu) = measure(ours, bare)
        results[kind] = ours_wall
        lines.append(
            f"| {ROWS:,}-row {kind} vs {bare_name} | {len(blob) / 1e6:.1f} MB | {ours_wall:.2f} ({ours_cpu:.2f}) "
            f"| {bare_wall:.2f} ({bare_cpu:.2f}) | {ours_wall / bare_wall:.1f}x ({ours_cpu / bare_cpu:.1f}x) "
            f"| {TARGETS[kind]:g} |"
        )
    lines += [
        "",
        "Where the CPU time goes (median of the same number of runs):",
        "",
        "| file | zip and extent scan s | reading to cell text s (incl. the scan) | validation s |",
        "|---|---|---|---|",
    ]
    for kind, blob, table in (("csv", csv_bytes, "gpu_prices"), ("xlsx", xlsx_bytes, None)):
        scan, read, check = [], [], []
        for _ in range(REPEATS):
            if kind == "xlsx":
                scan.append(cpu(check_zip, blob, "xlsx", "bench.xlsx")[1])
            raw, seconds = cpu(read_upload, blob, f"bench.{kind}")
            read.append(seconds)
            check.append(cpu(validate_sheets, raw.sheets, kind=raw.kind, catalog=catalog, table=table, today=TODAY)[1])
        scanned = f"{statistics.median(scan):.2f}" if scan else "-"
        lines.append(f"| {kind} | {scanned} | {statistics.median(read):.2f} | {statistics.median(check):.2f} |")
    return "\n".join(lines), results


if __name__ == "__main__":
    load_at_start = os.getloadavg()[0]
    table, results = main()
    met = all(results[k] <= TARGETS[k] for k in TARGETS)
    write_section(
        "pricing",
        "## Pricing import\n\n"
        f"Measured by `bench/bench_pricing.py` {machine()}: a {ROWS:,}-row `gpu_prices` table (every row valid and "
        "unique, every price and product distinct) through `pricing.validate.parse_upload`, i.e. reading (zip and "
        "extent checks, pandas with the calamine engine or `read_csv` as text), validation of every cell through the "
        "generated marshmallow row schema, the duplicate-key check and the typed rows, minus HTTP and the store. "
        "Beside it, a bare pandas read of the same bytes in the same run; the ratio is parse_upload / bare read. "
        f"Median of {REPEATS} runs, wall-clock and (in brackets) CPU time of the process; the load average "
        f"when the run started was {load_at_start:.1f} on {os.cpu_count()} CPUs.\n\n"
        "Targets (issue 5): a 100k-row CSV in at most 5 s, a 100k-row xlsx in at most 20 s.\n\n"
        + table
        + "\n\n"
        + ("Both targets are met." if met else "A target is missed.")
        + " The CSV ratio is the larger because the bare `read_csv` parses in C and checks nothing, while the "
        "import converts every distinct cell text once through the marshmallow field of its column (prices and "
        "products are all distinct here, the worst case for that memo), builds 100,000 typed row dicts and checks "
        "the keys; the xlsx import adds a scan of the sheet XML (the caps on rows and columns must hold before "
        "calamine allocates anything) and the conversion of typed cells back to the text a user sees.\n",
    )
    print(table)
