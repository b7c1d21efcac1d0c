"""The planning commands of ``estimator`` (added to ``cli.py``'s parser), printing the same JSON
the planning API returns (``--json``) or a readable table:

    estimator plan --budget-usd 60e9 --hardware h100-sxm [--train deepseek-v3,llama-3.1-405b] [--serve llama-3.1-405b]
    estimator plan --budget-usd 60e9 --hardware h100-sxm:0.5,gb200:0.5     (a mix: the budget split by share)
    estimator plan --power-mw 1000 --hardware gb200 --sensitivity [--metric gpus] [--samples 1024]
    estimator plan --preset article
    estimator rent-vs-buy --hardware h100-sxm --gpus 1024 --horizon-months 60 [--cost-of-capital 0.08]
    estimator scenario demand --efficiency-gain 10 [--elasticity 1.2 ...] [--fleet-budget-usd 60e9 --fleet-hardware h100-sxm]
    estimator training --model llama-3.1-70b --tokens 15.6e12 --hardware h100-sxm --gpus 1024 --sensitivity
    estimator scenario demand --compare-baseline llama-3.1-405b --compare-efficient deepseek-v3 --compare-hardware h100-sxm

Bad input exits with status 2 and the reason (``cli.run`` turns the core's errors into that).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any

from .bands import SCENARIOS
from .catalog import Catalog, Hardware
from .cost import PriceBook
from .errors import InvalidInputError
from .figures import BAND, Figure
from .numbers import number_text
from .planning import figures as pf
from .planning import presets
from .planning.capacity import OVERRIDES, CapacityPlan, CapacityRequest, plan_capacity
from .planning.demand import demand_scenario, gain_from_comparison
from .planning.estimate_sensitivity import METRICS as ESTIMATE_METRICS
from .planning.estimate_sensitivity import analyse_estimate
from .planning.mix import plan_mix
from .planning.produce import ServingOutput, TrainingOutput, serving_output, training_output
from .planning.rent_vs_buy import RentVsBuyRequest, rent_vs_buy
from .planning.results import capacity_dict, demand_dict, mix_dict, rent_vs_buy_dict, sensitivity_dict
from .planning.sensitivity import METRICS, analyse

COMMANDS = ("plan", "rent-vs-buy", "scenario")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 60e9, got {text!r}") from None


def _whole(text: str) -> int:
    value = _number(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(value)


def _add_structure(p: argparse.ArgumentParser) -> None:
    """The cost-structure overrides; the core checks each value (exit 2 with the reason)."""
    for name in OVERRIDES:
        p.add_argument(f"--{name.replace('_', '-')}", type=_number, dest=name)
    p.add_argument("--electricity-market", help="the pricing table's energy rows to use, e.g. 'European Union' "
                   "(default: United States where the table has it)")
    p.add_argument("--json", action="store_true", help="print the JSON the API returns")


def add_parsers(sub: Any, add_pricing: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("plan", help="what a capex budget or a facility power envelope buys and produces")
    p.add_argument("--hardware", help="catalog GPU id, e.g. h100-sxm or gb200; or a mix of ids with shares adding up "
                   "to 1, e.g. h100-sxm:0.5,gb200:0.5")
    p.add_argument("--budget-usd", type=_number, help="capex in US dollars, e.g. 60e9")
    p.add_argument("--power-mw", type=_number, help="facility power in MW (IT x PUE), e.g. 1000")
    p.add_argument("--train", help="models whose training runs a year to count, comma-separated")
    p.add_argument("--serve", help="models whose output tokens a day to count, comma-separated")
    p.add_argument("--serve-precision", default="fp8", help="serving precision (default fp8)")
    p.add_argument("--tpot-ms", type=_number, help="serving: time per output token target (p99), ms")
    p.add_argument("--ttft-ms", type=_number, help="serving: time to first token target, ms")
    p.add_argument("--sensitivity", action="store_true", help="tornado and Sobol indices instead of the plan")
    p.add_argument("--metric", default="own_usd_per_used_gpu_hour", choices=tuple(METRICS))
    p.add_argument("--samples", type=_whole, default=256, help="Sobol base samples, a power of 2 (default 256)")
    p.add_argument("--preset", choices=("article",), help="the article's $60B / $500B / $40B on H100, H200, GB200")
    _add_structure(p)
    add_pricing(p)
    r = sub.add_parser("rent-vs-buy", help="cumulative cost of renting and of buying a fleet, by month")
    r.add_argument("--hardware", required=True)
    r.add_argument("--gpus", type=_whole, required=True)
    r.add_argument("--horizon-months", type=_whole, default=60)
    r.add_argument("--cost-of-capital", type=_number, help="annual, 0-1 (default: Digital Realty's WACC 0.063)")
    r.add_argument("--usd-per-gpu-hour", type=_number, help="rental price (default: the pricing table's)")
    _add_structure(r)
    add_pricing(r)
    s = sub.add_parser("scenario", help="scenarios: demand after an efficiency gain")
    s.add_argument("kind", choices=("demand",))
    s.add_argument("--efficiency-gain", type=_number)
    s.add_argument("--elasticity", type=_number, action="append", help="repeat for several (default 0.4, 1.2, 2.0)")
    s.add_argument("--compare-workload", default="training", choices=("training", "inference"))
    s.add_argument("--compare-baseline")
    s.add_argument("--compare-efficient")
    s.add_argument("--compare-hardware")
    s.add_argument("--compare-gpus", type=_whole)
    s.add_argument("--fleet-hardware")
    s.add_argument("--fleet-budget-usd", type=_number)
    s.add_argument("--fleet-power-mw", type=_number)
    s.add_argument("--json", action="store_true")
    add_pricing(s)


SENSITIVITY_OPTIONS = ("sensitivity", "sensitivity_metric", "sensitivity_samples")


def add_sensitivity_options(p: argparse.ArgumentParser, workload: str) -> None:
    """``estimator training|inference … --sensitivity``: tornado and Sobol indices of one figure."""
    p.add_argument("--sensitivity", action="store_true", help="which input matters most (tornado and Sobol)")
    p.add_argument("--sensitivity-metric", choices=tuple(ESTIMATE_METRICS[workload]),
                   help=f"the figure to explain (default {next(iter(ESTIMATE_METRICS[workload]))})")
    p.add_argument("--sensitivity-samples", type=_whole, default=16, help="Sobol base samples, 16-128 (default 16)")


def run_estimate_sensitivity(args: argparse.Namespace, values: dict[str, Any], catalog: Catalog, book: PriceBook,
                             out: Callable[[str], None]) -> None:
    sens, estimate = analyse_estimate(args.command, values, book, catalog, args.sensitivity_metric,
                                      args.sensitivity_samples)
    result = sensitivity_dict(sens, estimate=estimate, label=ESTIMATE_METRICS[args.command][sens.metric].heading)
    out(json.dumps(result, indent=2) if args.json else sensitivity_table(result))


def run(args: argparse.Namespace, catalog: Catalog, book: PriceBook, out: Callable[[str], None]) -> None:
    if args.command == "plan":
        result = _plan(args, catalog, book)
        table = plan_table if not (args.sensitivity or args.preset) else (
            sensitivity_table if args.sensitivity else article_table)
    elif args.command == "rent-vs-buy":
        request = RentVsBuyRequest(_capacity(args, catalog, args.hardware), gpus=args.gpus,
                                   horizon_months=args.horizon_months, cost_of_capital=args.cost_of_capital,
                                   usd_per_gpu_hour=args.usd_per_gpu_hour)
        result, table = rent_vs_buy_dict(rent_vs_buy(request, book, catalog)), rent_vs_buy_table
    else:
        result, table = _demand(args, catalog, book), demand_table
    out(json.dumps(result, indent=2) if args.json else table(result))


def _capacity(args: argparse.Namespace, catalog: Catalog, hardware: str | None, **size: Any) -> CapacityRequest:
    if not hardware:
        raise InvalidInputError("--hardware is required: a catalog GPU id such as h100-sxm or gb200.", field="hardware")
    overrides = {k: getattr(args, k) for k in (*OVERRIDES, "electricity_market") if getattr(args, k, None) is not None}
    return CapacityRequest(catalog.get_hardware(hardware), **size, **overrides)


def _shares(text: str, catalog: Catalog) -> list[tuple[Hardware, float]]:
    """``h100-sxm:0.5,gb200:0.5`` -> [(H100, 0.5), (GB200, 0.5)]; the core checks the shares."""
    out = []
    for item in _ids(text):
        hw_id, _, share = item.partition(":")
        try:
            out.append((catalog.get_hardware(hw_id.strip()), float(share)))
        except ValueError:
            raise InvalidInputError(f"--hardware: each GPU of a mix needs a share after a colon, e.g. "
                                    f"h100-sxm:0.5,gb200:0.5; got {item!r}.", field="hardware") from None
    return out


def _mix(args: argparse.Namespace, catalog: Catalog, book: PriceBook) -> dict[str, Any]:
    if args.sensitivity:
        raise InvalidInputError("--sensitivity analyses one GPU: give --hardware as one id, not a mix.",
                                field="hardware")
    parts = _shares(args.hardware, catalog)
    request = _capacity(args, catalog, parts[0][0].id if parts else "", budget_usd=args.budget_usd,
                        power_mw=args.power_mw)
    mixed = plan_mix(request, parts, book, catalog)
    training, serving = zip(*(_produces(args, part.plan, catalog, book) for part in mixed.parts), strict=True)
    return mix_dict(mixed, training, serving)


def _produces(args: argparse.Namespace, plan: CapacityPlan, catalog: Catalog,
              book: PriceBook) -> tuple[list[TrainingOutput], list[ServingOutput]]:
    targets = {k: getattr(args, k) for k in ("tpot_ms", "ttft_ms") if getattr(args, k) is not None}
    training = [training_output(plan, {"model": m}, book, catalog) for m in _ids(args.train)]
    serving = [serving_output(plan, {"model": m, "precision": args.serve_precision, **targets}, book, catalog)
               for m in _ids(args.serve)]
    return training, serving


def _plan(args: argparse.Namespace, catalog: Catalog, book: PriceBook) -> dict[str, Any]:
    if args.preset:
        return presets.article(book, catalog)
    if args.hardware and ":" in args.hardware:
        return _mix(args, catalog, book)
    plan = plan_capacity(_capacity(args, catalog, args.hardware, budget_usd=args.budget_usd, power_mw=args.power_mw),
                         book, catalog)
    if args.sensitivity:
        return sensitivity_dict(analyse(plan, args.metric, args.samples), plan)
    return capacity_dict(plan, *_produces(args, plan, catalog, book))


def _ids(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _demand(args: argparse.Namespace, catalog: Catalog, book: PriceBook) -> dict[str, Any]:
    gain, source = args.efficiency_gain, "request"
    if (gain is None) == (args.compare_baseline is None):
        raise InvalidInputError("Give exactly one of --efficiency-gain (e.g. 10) or --compare-baseline and "
                                "--compare-efficient (with --compare-hardware).", field="efficiency_gain")
    if gain is None:
        values = {"hardware": args.compare_hardware, **({"gpus": args.compare_gpus} if args.compare_gpus else {})}
        gain, source = gain_from_comparison(catalog, book, args.compare_workload, args.compare_baseline,
                                            args.compare_efficient or "", values)
    fleet = None
    if args.fleet_hardware or args.fleet_budget_usd or args.fleet_power_mw:
        fleet = plan_capacity(CapacityRequest(catalog.get_hardware(args.fleet_hardware or ""),
                                              budget_usd=args.fleet_budget_usd, power_mw=args.fleet_power_mw),
                              book, catalog)
    return demand_dict(demand_scenario(gain, args.elasticity, fleet=fleet, gain_source=source))


# --- Tables ----------------------------------------------------------------------------------------
_COLUMN = 16


def _rows(result: dict[str, Any], figures: Sequence[Figure]) -> list[str]:
    """Each figure of ``result``: a band as low / mid / high, a value alone; labels from the declaration."""
    width = max(len(f.heading) for f in figures) + 2
    lines = [f"{'':{width}}" + "".join(f"{s:>{_COLUMN}}" for s in SCENARIOS)]
    for f in figures:
        value = f.value(result)
        if value is None:
            continue
        if f.kind == BAND:
            cells = "".join(f"{('never' if value[s] is None else number_text(value[s])):>{_COLUMN}}" for s in SCENARIOS)
            lines.append(f"{f.heading:{width}}{cells}")
        elif not isinstance(value, dict | list):
            lines.append(f"{f.heading:{width}}{number_text(value) if not isinstance(value, str) else value:>{_COLUMN}}")
    return lines


def _tail(result: dict[str, Any]) -> list[str]:
    lines = ["", "assumptions:"]
    for a in result.get("assumptions", []):
        value = a["value"]
        shown = "/".join(number_text(value[s]) for s in SCENARIOS) if isinstance(value, dict) else str(value)
        lines.append(f"  {a['name']} = {shown} {a['unit']}  [{a['source']}]")
    warnings = result.get("warnings", [])
    return lines + (["", "warnings:"] + [f"  - {w}" for w in warnings] if warnings else [])


C = pf.Capacity


def plan_table(result: dict[str, Any]) -> str:
    if "mix" in result:
        lines = [f"{C.HARDWARE_NAME.value(result)}, sized from the {C.BASIS.value(result)}", "", "total:"]
        lines += _rows(result, [f for f in pf.figures_of(pf.CAPACITY) if f.kind == BAND])
        for part in result["mix"]:
            lines += ["", "", f"{part['share']:.0%} of the {C.BASIS.value(result)}: " + plan_table(part["plan"])]
        return "\n".join(lines + _tail(result))
    lines = [f"{C.HARDWARE_NAME.value(result)}: {C.SYSTEM_KIND.value(result)}s of {C.GPUS_PER_SYSTEM.value(result)} "
             f"GPUs, sized from the {C.BASIS.value(result)}", ""]
    lines += _rows(result, [f for f in pf.figures_of(pf.CAPACITY) if f.kind == BAND or f is C.KW_PER_GPU])
    for kind, figures in (("training", pf.figures_of(pf.TRAINING_OUTPUT)), ("serving", pf.figures_of(pf.SERVING_OUTPUT))):
        for item in result.get("produces", {}).get(kind, []):
            lines += ["", f"produces ({kind} {item['model']}):"] + _rows(item, figures[1:])
    return "\n".join(lines + _tail(result))


def rent_vs_buy_table(result: dict[str, Any]) -> str:
    lines = [result["verdict"], ""] + _rows(result, pf.figures_of(pf.RENT_VS_BUY))
    return "\n".join(lines + _tail(result))


def demand_table(result: dict[str, Any]) -> str:
    lines = [result["statement"], ""]
    figures = pf.figures_of(pf.DEMAND_POINT)
    width = max(len(f.heading) for f in figures) + 2
    for f in figures:
        cells = "".join(f"{(f.value(p) if isinstance(f.value(p), str) else number_text(f.value(p))):>{_COLUMN}}"
                        if f.value(p) is not None else f"{'-':>{_COLUMN}}" for p in result["points"])
        lines.append(f"{f.heading:{width}}{cells}")
    return "\n".join(lines + _tail(result))


def sensitivity_table(result: dict[str, Any]) -> str:
    lines = [f"{result['label']}: {number_text(result['output_at_mid'])} with every input at mid; "
             f"{result['evaluations']} evaluations", "", f"{'input':28}{'at lowest':>15}{'at highest':>15}"
             f"{'swing':>15}{'S1':>8}{'ST':>8}"]
    sobol = {s["name"]: s for s in result["sobol"]}
    for bar in result["tornado"]:
        s = sobol.get(bar["name"], {"first_order": 0.0, "total": 0.0})
        lines.append(f"{bar['name']:28}{number_text(bar['output_at_low']):>15}{number_text(bar['output_at_high']):>15}"
                     f"{number_text(bar['swing']):>15}{s['first_order']:>8.3f}{s['total']:>8.3f}")
    return "\n".join(lines)


def article_table(result: dict[str, Any]) -> str:
    lines = [f"{'budget':14}{'GPU':10}{'GPUs (mid)':>14}{'facility MW':>14}"
             + "".join(f"{m + ' runs/yr':>26}" for m in result["training_models"])]
    for entry in result["plans"]:
        plan = entry["plan"]
        runs = "".join(f"{number_text(t['runs_per_year']['mid']):>26}" for t in plan["produces"]["training"])
        lines.append(f"{entry['budget']:14}{plan['hardware']:10}{number_text(plan['gpus']['mid']):>14}"
                     f"{number_text(plan['power_mw']['facility']['mid']):>14}{runs}")
    return "\n".join(lines + ["", result["demand"]["statement"]])
