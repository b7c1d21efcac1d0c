"""The ``estimator`` command: the same estimates as the API, as JSON (``--json``) or a table.

    estimator training --model llama-3.1-405b --tokens 15.6e12 --hardware h100-sxm --gpus 16384
    estimator training --params 70e9 --active-params 13e9 --tokens 2e12 --hardware h200-sxm --deadline-days 30
    estimator inference --model deepseek-v3 --hardware h200-sxm --precision fp8 --requests-per-s 20 --tpot-ms 50
    estimator compare --preset article --workload inference --hardware h200-sxm --precision fp8 --requests-per-s 20
    estimator compare --model llama-3.1-70b --hardware h100-sxm,h200-sxm,b200:fp4 --workload inference --requests-per-s 20
    estimator compare --model llama-3.1-70b --hardware all --workload training --tokens 15e12 --gpus 1024
    estimator plan --budget-usd 60e9 --hardware h100-sxm --json   (and rent-vs-buy, scenario demand: plan_cli.py)
    estimator catalog hardware|models [--json]
    estimator validate [-o PATH]   (default: docs/validation.md of the source checkout)
    estimator batch scenarios.xlsx -o results.xlsx [--engine dask]   (a sheet of scenarios: batch_cli.py)
    estimator pricing list|import|versions|show|diff|activate|rollback|export|template …
    (every estimate takes --pricing-table NAME[@VERSION]; see pricing/cli.py)

Exit status: 0 on success, 2 for bad input (with the reason on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from . import batch_cli, figures, plan_cli
from .bands import SCENARIOS
from .catalog import PRECISIONS, SEEDS_DIR, Catalog, load_catalog
from .compare import PRESETS, compare
from .compare_hardware import ALL, HEADLINES, RANKABLE, compare_hardware, headline
from .cost import PriceBook, load_price_book
from .defaults import SERVING_PRECISIONS
from .errors import EstimatorError, InvalidInputError
from .figures import Figure
from .inference import estimate_inference
from .inputs import INFERENCE_OPTIONAL, TRAINING_OPTIONAL, inference_request, training_request
from .numbers import number_text
from .training import RECOMPUTE_MODES, estimate_training
from .training_time import SCHEDULES

T, S = figures.Training, figures.Serving
#: The docs folder of the source checkout (``estimator validate`` writes its report there).
DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 15.6e12, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number greater than 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = _positive_float(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(value)


def _add_training(sub: Any) -> None:
    p = sub.add_parser("training", help="estimate a training run")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--model", help="catalog model id, e.g. llama-3.1-405b")
    who.add_argument("--params", type=_positive_float, help="total parameters, e.g. 70e9 (instead of --model)")
    p.add_argument("--active-params", type=_positive_float, help="active parameters per token (MoE), with --params")
    p.add_argument("--tokens", type=_positive_float,
                   help="training tokens, e.g. 15.6e12 (default: the model's published pre-training tokens)")
    p.add_argument("--hardware", required=True, help="catalog hardware id, e.g. h100-sxm")
    p.add_argument("--precision", choices=PRECISIONS, default="bf16")
    _add_gpus_or_deadline(p)
    _add_training_options(p, recompute_default="none")
    # The command line and the core only: the API's training schema is at the limit of what schemathesis
    # can generate from (tests/app/test_app_fuzz.py), so the field waits for that document's next rework.
    p.add_argument("--pipeline-schedule", choices=SCHEDULES,
                   help="1f1b (default) or dualpipe (DeepSeek-V3: the all-to-all hidden under a paired micro-batch)")
    _add_site_and_price_options(p)
    p.add_argument("--json", action="store_true", help="print the API's JSON object")
    plan_cli.add_sensitivity_options(p, "training")


def _add_training_options(p: Any, recompute_default: str | None) -> None:
    p.add_argument("--sequence-tokens", type=_positive_int, help="pre-training sequence length")
    p.add_argument("--recompute", choices=RECOMPUTE_MODES, default=recompute_default)
    p.add_argument("--utilisation", type=_positive_float, help="override: achieved fraction of dense peak (0-1]")
    p.add_argument("--goodput", type=_positive_float, help="override: productive share of reserved time (0-1]")
    layout = "(default: training_time.default_layout, Megatron-style)"
    p.add_argument("--tensor-parallel", type=_positive_int, help=f"tensor-parallel degree {layout}")
    p.add_argument("--pipeline-parallel", type=_positive_int, help=f"pipeline-parallel degree {layout}")
    p.add_argument("--context-parallel", type=_positive_int, help=f"context-parallel degree {layout}")
    p.add_argument("--expert-parallel", type=_positive_int, help=f"expert-parallel degree (MoE) {layout}")
    p.add_argument("--global-batch-tokens", type=_positive_float, help=f"tokens per optimizer step {layout}")


def _add_gpus_or_deadline(p: Any) -> None:
    when = p.add_mutually_exclusive_group()
    when.add_argument("--gpus", type=_positive_int, help="GPU count -> wall-clock days")
    when.add_argument("--deadline-days", type=_positive_float,
                      help="deadline -> GPUs needed (default without --gpus: 90 days)")


def _add_site_and_price_options(p: Any) -> None:
    """Overrides shared by every workload: facility, grid and prices."""
    p.add_argument("--pue", type=_positive_float, help="override: power usage effectiveness (>= 1)")
    p.add_argument("--grid-kg-co2-per-kwh", type=_positive_float, help="override: grid carbon intensity")
    p.add_argument("--usd-per-gpu-hour", type=_positive_float, help="override the rental price")
    p.add_argument("--capex-usd-per-gpu", type=_positive_float, help="override the purchase price per GPU")
    p.add_argument("--usd-per-kwh", type=_positive_float, help="override the electricity price")
    p.add_argument("--electricity-market", help="the pricing table's energy rows to use, e.g. 'European Union' "
                   "(default: United States where the table has it)")
    from pricing.cli import add_pricing_table_option

    add_pricing_table_option(p)


def _add_inference(sub: Any) -> None:
    p = sub.add_parser("inference", help="estimate serving a model")
    p.add_argument("--model", required=True, help="catalog model id, e.g. deepseek-v3")
    p.add_argument("--hardware", required=True, help="catalog hardware id, e.g. h200-sxm")
    p.add_argument("--precision", choices=SERVING_PRECISIONS, default="bf16")
    _add_serving_options(p)
    p.add_argument("--json", action="store_true", help="print the API's JSON object")
    plan_cli.add_sensitivity_options(p, "inference")


def _add_serving_options(p: Any) -> None:
    p.add_argument("--gpus-per-replica", type=_positive_int)
    p.add_argument("--batch-size", type=_positive_int)
    p.add_argument("--context-tokens", type=_positive_int, help="KV-cache tokens per sequence")
    p.add_argument("--input-tokens", type=_positive_int, help="prompt tokens per request (default 1000)")
    p.add_argument("--output-tokens", type=_positive_int, help="generated tokens per request (default 500)")
    load = p.add_mutually_exclusive_group()
    load.add_argument("--requests-per-s", type=_positive_float, help="average load")
    load.add_argument("--tokens-per-day", type=_positive_float, help="average load as input+output tokens per day")
    p.add_argument("--peak-to-average", type=_positive_float, help="capacity factor over the average (>= 1)")
    p.add_argument("--ttft-ms", type=_positive_float, help="target time to first token")
    p.add_argument("--tpot-ms", type=_positive_float, help="target time per output token")
    _add_site_and_price_options(p)


def _add_compare(sub: Any) -> None:
    p = sub.add_parser("compare", help="compare models on one workload and GPU, or one model on several GPUs")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--preset", choices=sorted(PRESETS))
    who.add_argument("--models", help="comma-separated model ids, e.g. llama-3.1-405b,deepseek-v3")
    who.add_argument("--model", help="one model on several GPUs: --hardware is then a comma-separated list of "
                                     f"ids, each optionally ':precision' (h100-sxm,b200:fp8), or '{ALL}'")
    p.add_argument("--baseline", help="model id (or, with --model, GPU entry) the ratios divide by "
                                      "(default: the first that runs)")
    p.add_argument("--rank-by", help="with --model: the figure to rank by, lowest mid first (training: "
                   f"{', '.join(RANKABLE['training'])}; serving: {', '.join(RANKABLE['inference'])})")
    p.add_argument("--workload", choices=("training", "inference"), required=True)
    p.add_argument("--hardware", required=True)
    p.add_argument("--precision", help="training: fp64|tf32|bf16|fp16|fp8|fp4; serving: bf16|fp16|fp8|fp4|int4 "
                   "(with --model: for every entry without ':precision'; default: each GPU's best supported)")
    p.add_argument("--tokens", type=_positive_float, help="training tokens")
    _add_gpus_or_deadline(p)
    _add_training_options(p, recompute_default=None)
    _add_serving_options(p)
    p.add_argument("--json", action="store_true")


#: The rows of the tables: label and unit as declared in ``figures.py`` (as on the web pages).
TRAINING_VALUES = (T.GPU_COUNT, T.NODE_COUNT, T.TENSOR_PARALLEL, T.PIPELINE_PARALLEL, T.CONTEXT_PARALLEL,
                   T.EXPERT_PARALLEL, T.DATA_PARALLEL, T.GLOBAL_BATCH_TOKENS)
TRAINING_BANDS = (T.FLOPS, T.GPU_HOURS, T.WALL_CLOCK_DAYS, T.GPUS_FOR_DEADLINE, T.POWER_IT, T.POWER_FACILITY, T.ENERGY,
                  T.CO2, T.RENT, T.OWN, T.UTILISATION, T.TOKENS_PER_S_PER_GPU, T.MFU_STEADY)
SERVING_VALUES = (S.GPUS_PER_REPLICA, S.REPLICAS, S.GPU_COUNT, S.NODE_COUNT, S.BATCH_SIZE, S.CONTEXT_TOKENS, S.TTFT_MS,
                  S.TPOT_MS, S.REPLICA_OUTPUT_TOKENS_PER_S, S.BOUND, S.PARALLELISM, S.WEIGHTS_GB, S.KV_CACHE_GB,
                  S.AVAILABLE_GB)
SERVING_BANDS = (S.COST_INPUT_RENT, S.COST_OUTPUT_RENT, S.COST_INPUT_OWN, S.COST_OUTPUT_OWN, S.OUTPUT_TOKENS_PER_S,
                 S.UTILISATION, S.POWER_IT, S.POWER_FACILITY, S.PROVISIONED_FACILITY, S.ENERGY_PER_DAY,
                 S.JOULES_PER_TOKEN)
_COLUMN = 16


def _figure_rows(result: dict[str, Any], values: Sequence[Figure], bands: Sequence[Figure]) -> list[str]:
    """One value per line (``label  value  unit``), then low / mid / high of each band (``label (unit)``),
    the figures the result lacks left out; the label column as wide as the longest label."""
    width = max(len(f.label if f in values else f.heading) for f in (*values, *bands)) + 2
    lines = [f"{f.label:{width}}{number_text(v):>{_COLUMN}}  {f.unit}".rstrip()
             for f in values if (v := f.value(result)) is not None]
    lines += ["", f"{'':{width}}" + "".join(f"{s:>{_COLUMN}}" for s in SCENARIOS)]
    for f in bands:
        band = f.band(result)
        if band is not None:
            lines.append(f"{f.heading:{width}}" + "".join(f"{number_text(band[s]):>{_COLUMN}}" for s in SCENARIOS))
    return lines


def _assumption_lines(result: dict[str, Any]) -> list[str]:
    """One line per assumption, labelled in words; a band reads low/mid/high: the input used for
    the low / mid / high estimate (the header says so)."""
    lines = ["  (a band reads low/mid/high: the input used for the low/mid/high estimate)"]
    for a in result[T.ASSUMPTIONS.name]:
        value = a["value"]
        shown = "/".join(number_text(value[s]) for s in SCENARIOS) if isinstance(value, dict) else number_text(value)
        lines.append(f"  {figures.assumption_label(a['name'])} = {shown} {a['unit']}  [{a['source']}]")
    return lines


def _warning_lines(warnings: Sequence[str]) -> list[str]:
    return ["", "warnings:"] + [f"  - {w}" for w in warnings] if warnings else []


def training_table(result: dict[str, Any]) -> str:
    """A readable table of a training result (the JSON has the same numbers, unrounded)."""
    lines = [
        f"training {T.MODEL.value(result)} on {T.HARDWARE.value(result)} ({T.PRECISION.value(result)}), "
        f"{number_text(T.TOKENS.value(result))} tokens",
        "",
        *_figure_rows(result, TRAINING_VALUES, TRAINING_BANDS),
        *_warning_lines(result[T.WARNINGS.name]),
        "",
        "assumptions:",
        *_assumption_lines(result),
    ]
    return "\n".join(lines)


def inference_table(result: dict[str, Any]) -> str:
    """A readable table of a serving result: the replica (mid) and fleet, then the bands."""
    lines = [
        f"serving {S.MODEL.value(result)} on {S.HARDWARE.value(result)} ({S.PRECISION.value(result)})",
        "",
        *_figure_rows(result, SERVING_VALUES, SERVING_BANDS),
    ]
    api = S.API_PRICE.value(result)
    if api:
        lines.append(f"{S.API_PRICE.label.lower()}: ${number_text(api['input'])} input / "
                     f"${number_text(api['output'])} output per million tokens ({api['provider']}, {api['as_of']})")
    return "\n".join(lines + _warning_lines(result[S.WARNINGS.name]))


def compare_table(result: dict[str, Any]) -> str:
    metrics = result["metrics"]
    names = list(next(iter(metrics.values())))
    headings = {n: m.heading if (m := figures.metric(n)) else n for n in names}
    width = max(len(h) for h in (*headings.values(), "ratio to " + result["baseline"])) + 2
    lines = [f"{result['workload']} comparison, baseline {result['baseline']}", ""]
    lines.append(f"{'metric':{width}}" + "".join(f"{m:>18}" for m in metrics))
    for name in names:
        lines.append(f"{headings[name]:{width}}" + "".join(f"{number_text(metrics[m][name]):>18}" for m in metrics))
    lines.append("")
    lines.append(f"{'ratio to ' + result['baseline']:{width}}" + "".join(f"{m:>18}" for m in metrics))
    for name in names:
        lines.append(f"{headings[name]:{width}}" + "".join(f"{number_text(result['ratios'][m][name]):>18}" for m in metrics))
    for row in result["rows"]:
        if "error" in row:
            lines.append(f"{row['model']}: {row['error']['detail']}")
    return "\n".join(lines)


def hardware_compare_table(result: dict[str, Any]) -> str:
    """A hardware comparison: the ranking by its figure (low / mid / high, × the baseline's mid),
    the GPUs that cannot run and why, then every headline figure's mid per entry."""
    workload, rows = result["workload"], result["rows"]
    ranked = headline(workload, result["rank_by"])
    assert ranked is not None  # the core checked rank_by
    ran = [r for r in rows if r["rank"] is not None]
    entry_width = max(len(r["entry"]) for r in rows) + 2
    lines = [f"{workload}: {result['model']} on {len(rows)} GPU entries, ranked by {ranked.heading} (mid, lowest "
             f"first); ratios to {result['baseline']}", "",
             f"{'rank':>4}  {'entry':{entry_width}}" + "".join(f"{s:>{_COLUMN}}" for s in (*SCENARIOS, "x baseline"))]
    for r in ran:
        value = r["figures"][result["rank_by"]]
        band = value if isinstance(value, dict) else dict.fromkeys(SCENARIOS, value)
        lines.append(f"{r['rank']:>4}  {r['entry']:{entry_width}}" + "".join(
            f"{number_text(band[s]):>{_COLUMN}}" for s in SCENARIOS) + f"{number_text(r['ratios'][result['rank_by']]):>{_COLUMN}}")
    lines += [f"{'-':>4}  {r['entry']:{entry_width}}cannot run: {r['error']['detail']}" for r in rows if r["rank"] is None]
    names = [h for h in HEADLINES[workload] if any(h.name in r["figures"] for r in ran)]
    width = max(len(h.heading) for h in names) + 2
    column = max(_COLUMN, entry_width)
    lines += ["", f"{'mid estimates':{width}}" + "".join(f"{r['entry']:>{column}}" for r in ran)]
    for h in names:
        cells = [r["figures"].get(h.name) for r in ran]
        lines.append(f"{h.heading:{width}}" + "".join(
            f"{'-' if v is None else number_text(v['mid'] if isinstance(v, dict) else v):>{column}}" for v in cells))
    return "\n".join(lines)


def _spec(value: float | None) -> str:
    """A datasheet figure as printed there (all its digits); "–" where the record has none, as on the
    catalog page (an A100 has no fp8 tensor cores: not 0 TFLOP/s)."""
    return "–" if value is None else f"{value:g}"


def _catalog_table(kind: str, catalog: Catalog) -> str:
    if kind == "hardware":
        head = f"{'id':16}{'bf16 TF':>9}{'fp8 TF':>9}{'fp4 TF':>9}{'HBM GB':>8}{'TB/s':>7}{'TDP W':>7}  source (as of)"
        lines = [head] + [
            f"{h.id:16}{_spec(h.bf16_dense_tflops):>9}{_spec(h.fp8_dense_tflops):>9}{_spec(h.fp4_dense_tflops):>9}"
            f"{_spec(h.hbm_gb):>8}{_spec(h.hbm_bandwidth_tb_per_s):>7}{_spec(h.tdp_w):>7}  {h.source[:70]}... ({h.as_of})"
            for h in catalog.hardware.values()
        ]
    else:
        head = f"{'id':18}{'total':>10}{'active':>10}{'attn':>6}{'layers':>8}  source (as of)"
        lines = [head] + [
            f"{m.id:18}{m.total_params / 1e9:>9.4g}B{m.active_params / 1e9:>9.4g}B{m.attention or '-':>6}"
            f"{_spec(m.layers):>8}  {m.source[:70]}... ({m.as_of})"
            for m in catalog.models.values()
        ]
    return "\n".join(lines)


def catalog_records(kind: str, catalog: Catalog) -> list[dict[str, Any]]:
    records = catalog.hardware.values() if kind == "hardware" else catalog.models.values()
    return [{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(r).items()} for r in records]


#: Options that choose where the estimate's inputs come from, not values of the request itself.
NOT_REQUEST_VALUES = ("command", "json", "pricing_table", "database_url", *plan_cli.SENSITIVITY_OPTIONS)


def run(argv: Sequence[str] | None = None, *, catalog: Catalog | None = None, book: PriceBook | None = None,
        out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="estimator", description="Datacenter compute-cost estimator")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_training(sub)
    _add_inference(sub)
    _add_compare(sub)
    from pricing.cli import add_pricing_table_option

    plan_cli.add_parsers(sub, add_pricing_table_option)  # plan, rent-vs-buy, scenario (plan_cli.py)
    cat = sub.add_parser("catalog", help="list the hardware or model catalog with sources")
    cat.add_argument("kind", choices=("hardware", "models"))
    cat.add_argument("--json", action="store_true")
    val = sub.add_parser("validate", help="write the validation report against published runs")
    val.add_argument("-o", "--output", help="where to write it (default: docs/validation.md of the source checkout "
                     "the package runs from, whatever the current folder)")
    from pricing import cli as pricing_cli

    pricing_cli.add_parser(sub)
    batch_cli.add_parser(sub)
    args = parser.parse_args(argv)
    catalog = catalog or load_catalog()
    book = book or load_price_book()
    try:
        if args.command == "pricing":
            return pricing_cli.run(args, catalog, SEEDS_DIR, out, lambda line: print(line, file=sys.stderr))
        if args.command == "batch":
            return batch_cli.run(args, out)
        if args.command in ("training", "inference", "compare", *plan_cli.COMMANDS):
            book = pricing_cli.book_for(args.pricing_table, args.database_url, book)
        if args.command in plan_cli.COMMANDS:
            plan_cli.run(args, catalog, book, out)
            return 0
        if args.command == "training" and args.pipeline_schedule and args.sensitivity:
            raise InvalidInputError("--pipeline-schedule goes with a single estimate, not with --sensitivity.",
                                    field="pipeline_schedule")
        if args.command in ("training", "inference") and args.sensitivity:
            values = {k: v for k, v in vars(args).items() if k not in NOT_REQUEST_VALUES}
            plan_cli.run_estimate_sensitivity(args, values, catalog, book, out)
            return 0
        if args.command == "training":
            values = {k: v for k, v in vars(args).items() if k not in NOT_REQUEST_VALUES}
            request = training_request(catalog, values)
            if args.pipeline_schedule:
                request = replace(request, pipeline_schedule=args.pipeline_schedule)
            result = estimate_training(request, book, catalog).to_dict()
            out(json.dumps(result, indent=2) if args.json else training_table(result))
        elif args.command == "inference":
            values = {k: v for k, v in vars(args).items() if k not in NOT_REQUEST_VALUES}
            est = estimate_inference(inference_request(catalog, values), book, catalog)
            result = est.to_dict()
            out(json.dumps(result, indent=2) if args.json else inference_table(result))
        elif args.command == "compare" and args.model:
            result = _compare_hardware(args, catalog, book)
            out(json.dumps(result, indent=2) if args.json else hardware_compare_table(result))
        elif args.command == "compare":
            if args.rank_by:
                raise InvalidInputError("--rank-by ranks GPUs: it goes with --model and a list of --hardware.",
                                        field="rank_by")
            models = PRESETS[args.preset] if args.preset else [m.strip() for m in args.models.split(",") if m.strip()]
            skip = (*NOT_REQUEST_VALUES, "preset", "models", "model", "baseline", "workload", "rank_by")
            values = {k: v for k, v in vars(args).items() if k not in skip and v is not None}
            applies = {"hardware", *(("tokens", *TRAINING_OPTIONAL) if args.workload == "training" else INFERENCE_OPTIONAL)}
            for name in values.keys() - applies:  # the API answers 422; never ignore an option silently
                raise InvalidInputError(f"--{name.replace('_', '-')} does not apply to {args.workload} comparisons.",
                                        field=name)
            result = compare(catalog, book, args.workload, models, values, args.baseline)
            out(json.dumps(result, indent=2) if args.json else compare_table(result))
        elif args.command == "catalog":
            out(json.dumps(catalog_records(args.kind, catalog), indent=2) if args.json else _catalog_table(args.kind, catalog))
        else:
            from .validation import write_report

            path = write_report(args.output or _report_path(), catalog, book)
            out(f"wrote {path}")
    except EstimatorError as exc:
        print(f"estimator: error: {exc.message}", file=sys.stderr)
        return 2
    return 0


#: Prices of one GPU: the same price for every GPU would make the ranking meaningless.
PER_GPU_PRICES = ("usd_per_gpu_hour", "capex_usd_per_gpu")


def _compare_hardware(args: argparse.Namespace, catalog: Catalog, book: PriceBook) -> dict[str, Any]:
    """``compare --model M --hardware a,b:fp8`` (or ``all``): the hardware comparison, with the
    options of the workload; an option that does not apply is an error, never ignored."""
    skip = (*NOT_REQUEST_VALUES, "preset", "models", "model", "baseline", "workload", "rank_by", "hardware")
    values = {k: v for k, v in vars(args).items() if k not in skip and v is not None}
    applies = {*(("tokens", *TRAINING_OPTIONAL) if args.workload == "training" else INFERENCE_OPTIONAL)}
    for name in sorted(values.keys() - applies) + [p for p in PER_GPU_PRICES if p in values]:
        why = ("takes its prices per GPU from the pricing table (--pricing-table)" if name in PER_GPU_PRICES
               else f"does not apply to {args.workload} comparisons")
        raise InvalidInputError(f"--{name.replace('_', '-')} {why}.", field=name)
    text = args.hardware.strip()
    hardware = ALL if text.lower() == ALL else [h.strip() for h in text.split(",")]
    return compare_hardware(catalog, book, args.workload, args.model, hardware, values, args.baseline, args.rank_by)


def _report_path() -> str:
    """docs/validation.md of the source checkout the package runs from; an installed package has none."""
    if not DOCS_DIR.is_dir():
        raise InvalidInputError(f"There is no docs folder next to the package ({DOCS_DIR}): this is not a source "
                                "checkout. Say where to write the report with -o, e.g. -o validation.md.",
                                field="output")
    return str(DOCS_DIR / "validation.md")


def main() -> None:
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped reading (estimator … | head): stop quietly, as a SIGPIPE would, and point
        # stdout at /dev/null so that the interpreter's last flush does not raise again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + signal.SIGPIPE
    sys.exit(code)


if __name__ == "__main__":
    main()
