"""Benchmark batch estimates (issue 15): CSV in, every row estimated, CSV out.

Run: .venv/bin/python bench/bench_batch.py [TRAINING_ROWS] [SERVING_ROWS] [DASK_ROWS] [RANDOM_ROWS] [DEADLINE_ROWS]
     (defaults 100000 100000 1000000 100000 20000) -> rewrites the batch section of docs/benchmarks.md

Measured in one run, wall clock (time.perf_counter), each end to end from CSV bytes to CSV bytes
(batch_table.read_scenarios -> run_batch -> to_csv, rows checked by the API's request schemas):
- training, a realistic sweep: each row draws a model (5), a GPU (4), a GPU count (4), a rental
  price (5 values or the price book's) and a utilisation (3 values or the step model) at random,
  and a token count uniformly in 1e11-2e13 (so no two rows alike; 1,600 structures, 320 groups:
  the price and utilisation values are arrays within a group);
- training, continuous overrides: the same draws but the price, PUE and utilisation continuous
  (no two rows alike but for model x GPU x count: 80 groups), RANDOM_ROWS rows;
- training with a deadline (30, 60 or 90 days) in place of the GPU count: the row-by-row path,
  DEADLINE_ROWS rows, projected to 100,000;
- serving: a model, a GPU and a TPOT target (60 groups) and a continuous request rate;
- beside each, the same rows' first 2,000 through the single path one by one
  (inputs.*_request -> estimate_* -> to_dict), the baseline of the speed-up;
- Dask: DASK_ROWS training rows of the sweep on a LocalCluster with 2 worker processes; the
  memory high-water mark is the largest summed RSS of this process and its children (psutil,
  sampled every 0.1 s) during that stage.
"""

from __future__ import annotations

import csv
import io
import random
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import machine, write_section  # noqa: E402

from estimator.app import batch_table  # noqa: E402
from estimator.app.batch_rows import check_text_row, check_text_rows, check_text_sweep  # noqa: E402
from estimator.catalog import load_catalog  # noqa: E402
from estimator.cost import load_price_book  # noqa: E402
from estimator.errors import EstimatorError  # noqa: E402
from estimator.inference import estimate_inference  # noqa: E402
from estimator.inputs import inference_request, training_request  # noqa: E402
from estimator.training import estimate_training  # noqa: E402

MODELS = ("llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mixtral-8x7b", "qwen2.5-72b")
GPUS = ("h100-sxm", "h200-sxm", "b200", "a100-80gb-sxm")
CONTEXT = batch_table.Context(check=check_text_row, check_rows=check_text_rows, check_sweep=check_text_sweep)


def training_rows(n: int, rng: random.Random) -> list[dict[str, object]]:
    """The sweep: models x GPUs x GPU counts x prices x utilisation, a token count per row."""
    rows = []
    for _ in range(n):
        row: dict[str, object] = {"workload": "training", "model": rng.choice(MODELS), "hardware": rng.choice(GPUS),
                                  "tokens": float(f"{rng.uniform(1e11, 2e13):.6g}"),
                                  "gpus": rng.choice((512, 1024, 4096, 16384)),
                                  "usd_per_gpu_hour": rng.choice(("", 1.5, 2.0, 2.5, 3.0)),
                                  "utilisation": rng.choice(("", 0.3, 0.4, 0.5))}
        rows.append(row)
    return rows


def random_training_rows(n: int, rng: random.Random) -> list[dict[str, object]]:
    """Price, PUE and utilisation continuous: no two rows alike but for model x GPU x GPU count."""
    return [{**row, "usd_per_gpu_hour": round(rng.uniform(1, 4), 4), "pue": round(rng.uniform(1.05, 1.6), 4),
             "utilisation": round(rng.uniform(0.2, 0.6), 4)} for row in training_rows(n, rng)]


def deadline_rows(n: int, rng: random.Random) -> list[dict[str, object]]:
    """The sweep with a deadline instead of a GPU count (each row sized by its own token count)."""
    return [{**row, "gpus": "", "deadline_days": rng.choice((30, 60, 90))} for row in training_rows(n, rng)]


def serving_rows(n: int, rng: random.Random) -> list[dict[str, object]]:
    return [{"workload": "inference", "model": rng.choice(MODELS), "hardware": rng.choice(GPUS),
             "requests_per_s": float(f"{rng.uniform(0.5, 100):.4g}"), "tpot_ms": rng.choice((30, 50, 100))}
            for _ in range(n)]


def to_csv_bytes(rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def end_to_end(data: bytes, engine: str = "local") -> tuple[float, int, int, float]:
    start, cpu = time.perf_counter(), time.process_time()
    rows = batch_table.read_scenarios(data, "scenarios.csv", max_rows=2_000_000)
    table = batch_table.run_batch(rows, engine=engine, context=CONTEXT, processes=True)
    out = batch_table.to_csv(table)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert out  # noqa: S101 - written, and timed
    return seconds, len(table), int((table["error"] != "").sum()), cpu


class PeakMemory:
    """The largest summed RSS of this process and its children while running (sampled)."""

    def __init__(self) -> None:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.1)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def single_path(rows: list[dict[str, object]], catalog, book) -> float:
    """Rows per second through the single-estimate path, row by row."""
    start = time.perf_counter()
    for row in rows:
        values = {k: v for k, v in row.items() if k != "workload"}
        try:
            if row["workload"] == "training":
                estimate_training(training_request(catalog, values), book, catalog).to_dict()
            else:
                estimate_inference(inference_request(catalog, values), book, catalog).to_dict()
        except EstimatorError:  # a refused row costs its time too, as in the batch
            pass
    return len(rows) / (time.perf_counter() - start)


NOTE = """Design. Rows are grouped column by column (each cell coded, sweeps found with numpy; no per-row key
or dict). Training rows that give `tokens` and `gpus` are grouped by their structure (model, hardware,
precision, GPUs, sequence, recompute, layout, pricing table, and *which* of the price, PUE, grid, goodput and
utilisation overrides are given); each group runs the single pipeline once with the token counts and those
overrides' values as numpy arrays (`cost.given` takes an array as given; the core's range checks look at
an array's two ends; `Band.ascending` and `significant` work element by element, bit-equal to the scalar
rounding), so the step model and layout run once per group and each row equals its single estimate to the
digit (`tests/core/test_batch.py` checks it on random sweeps, overrides varying per row). Serving rows that
differ only in load and prices share one structure: `inference.estimate_inference_rows` finds the replicas
that meet the targets once (`_viable`, split out of the single path's `_choose`), picks each row's replica by
`_choose`'s own rule over the loads as an array (fewest GPUs for the peak load, then output per GPU, the
first of equals: `_choose_rows`), and runs the rest of the single pipeline (`_pipeline`) once per replica
chosen, the load and prices as arrays. The rows of a sweep are checked by the request schema together
(`app/batch_rows.check_text_sweep`: the shared cells loaded once, the number columns by their fields' Range
validators over the column); a row that fails goes alone and gets the schema's own message. Rows with a
deadline instead of a GPU count go row by row (their GPU count, and so their step time and warnings,
follow from their own token count), as do rows with fewer sequences than GPUs or figures that overflow, and
the rows of a group the core refuses (no replica meets the targets: each carries the single path's message;
rows of one serving structure share the replica searches). Cells that are one value per group are put once
per column, and a row estimated alone skips its assumptions' dicts (no column reads them); the CSV is written
column-wise by Arrow. The single path's own speed stayed within noise (`bench/bench_core.py` in checkouts of
572685a and c811627, run back to back twice: training medians 0.24-0.25 ms before, 0.25-0.27 ms after;
serving 0.26-0.50 ms before, 0.26-0.44 ms after). Left: rows with a deadline are not grouped (each row's GPU
count, step time and warnings follow from its own token count: grouping them needs the core's deadline
sizing over arrays, the rows split by the GPU counts they reach); they run at the row-by-row rate above."""


def _verdict(seconds: float, rows: int, target_s: float) -> str:
    """Met or not for 100,000 rows (measured, or projected linearly from fewer)."""
    at_100k = seconds * 100_000 / rows
    how = "" if rows == 100_000 else f"projected from {rows:,} rows, "
    return f"{'met' if at_100k <= target_s else 'NOT met'} ({how}{at_100k:,.1f} s)"


def main() -> None:
    given = [int(a) for a in sys.argv[1:6]]
    n_train, n_serve, n_dask, n_random, n_deadline = given + [100_000, 100_000, 1_000_000, 100_000, 20_000][len(given):]
    rng = random.Random(15)
    catalog, book = load_catalog(), load_price_book()
    end_to_end(to_csv_bytes(training_rows(50, rng) + serving_rows(50, rng)))  # warm: catalog, schemas, book
    lines = [f"Measured {machine()} by `bench/bench_batch.py {n_train} {n_serve} {n_dask} {n_random} {n_deadline}`. End to end = "
             "CSV bytes in -> read (pricing's hardened reader) -> rows checked by the API's request schemas -> "
             "estimated -> CSV bytes out. Single path = `estimate_*(…_request(…)).to_dict()` per row, no reading "
             "or writing. Rows: the sweep draws a model (5), a GPU (4), a GPU count (4), a rental price (4 values or "
             "the price book's) and a utilisation (3 values or the step model) at random and a token count uniformly "
             "in 1e11-2e13 (no two rows alike); the continuous rows draw the price, PUE and utilisation continuously; "
             "serving rows a model, a GPU, a TPOT target and a request rate. Groups = pipeline runs (rows alike but "
             "for tokens, load and the values of the overrides they give). CPU = this process's CPU time (the machine "
             "is shared: wall clock includes waiting for a core).",
             "",
             "| what | rows | groups | seconds | CPU s | rows/s | single path rows/s | speed-up | target |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]

    varying = {"tokens", "requests_per_s", "usd_per_gpu_hour", "utilisation", "pue"}

    def structures(rows: list[dict[str, object]]) -> int:
        if any(r.get("deadline_days") for r in rows):
            return len(rows)  # each row alone
        return len({tuple((k, v) if k not in varying else (k, v == "") for k, v in r.items()) for r in rows})

    def single(rows: list[dict[str, object]]) -> float:
        return single_path([{k: v for k, v in r.items() if v != ""} for r in rows[:2000]], catalog, book)

    for label, rows, target in (("training, realistic sweep", training_rows(n_train, rng), 3.0),
                                ("training, continuous prices, PUE, utilisation", random_training_rows(n_random, rng), 3.0),
                                ("training, a deadline in place of the GPU count (row by row)",
                                 deadline_rows(n_deadline, rng), 3.0),
                                ("serving", serving_rows(n_serve, rng), 20.0)):
        seconds, count, errors, cpu = end_to_end(to_csv_bytes(rows))
        base = single(rows)
        lines.append(f"| {label} | {count:,} | {structures(rows):,} | {seconds:.1f} | {cpu:.1f} | {count / seconds:,.0f} | "
                     f"{base:,.0f} | {count / seconds / base:.1f}x | 100k <= {target:g} s: "
                     f"{_verdict(seconds, count, target)} |")
        print(lines[-1], f"errors {errors}", flush=True)
    if n_dask:
        data = to_csv_bytes(training_rows(n_dask, rng))
        with PeakMemory() as memory:
            seconds, count, errors, cpu = end_to_end(data, engine="dask")
        lines.append(f"| training sweep on a local Dask cluster (2 worker processes) | {count:,} | | {seconds:.1f} | | "
                     f"{count / seconds:,.0f} | | | memory high-water {memory.peak / 2**20:,.0f} MiB "
                     "(this process and its workers) |")
        print(lines[-1], flush=True)
    lines += ["", NOTE]
    text = "## Batch estimates (issue 15)\n\n<!-- generated by bench/bench_batch.py -->\n" + "\n".join(lines)
    write_section("batch", text)
    print(text)


if __name__ == "__main__":
    main()
