"""Turn the core's result dicts into tables for the HTML pages.

Every number cell keeps the raw figure (``data-value``) and its path in the result
(``data-key``, e.g. ``gpu_hours.mid``) next to the text a reader sees, so a page can be checked
against the JSON API figure by figure. A comparison shows each model through the same presenters,
its paths under the model's place in the result's rows (``rows.1.gpu_hours.mid``). Rows whose figure the result does not have are left out,
so a field the core adds or drops never breaks a page; figures without a label here still show
under their own key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

SCENARIOS = ("low", "mid", "high")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def fmt(value: Any) -> str:
    """A figure as a reader wants it: 3 significant digits (counts given as integers stay exact),
    grouped thousands, words for millions to trillions, powers of ten beyond (4.12 × 10²⁵) and
    below 0.001."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    if isinstance(value, int) and abs(value) < 1e15:
        return f"{value:,}"  # a count: exact
    value = float(f"{value:.3g}")
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e15 or magnitude < 1e-3:
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    for scale, word in _WORDS:
        if magnitude >= scale:
            return f"{value / scale:.3g} {word}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown and, for a figure, its raw value and path in the result."""

    text: str
    value: Any = None
    key: str | None = None
    css: str = ""  # a class for the cell: "source" (long, muted text) or "nowrap"

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, int | float) and not isinstance(self.value, bool)


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    caption: str
    head: tuple[str, ...]  # the first heading is over the row labels
    rows: tuple[Row, ...]
    note: str = ""
    unit: str = ""  # of every figure, where the table has no Unit column
    subject: str = ""  # whose figures these are, where a page has several (a comparison's model)
    stack: bool = False  # on a phone, one block per row (long text: sources) instead of scrolling sideways

    @property
    def title(self) -> str:
        """The caption with its subject: the table's name in a download."""
        return f"{self.subject}: {self.caption}" if self.subject else self.caption


def _get(result: Mapping[str, Any], path: str) -> Any:
    node: Any = result
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def figure(value: Any, key: str | None) -> Cell:
    return Cell(fmt(value), value, key)


def _band_cells(band: Mapping[str, Any], key: str) -> tuple[Cell, ...]:
    return tuple(figure(band.get(s), f"{key}.{s}") for s in SCENARIOS)


def band_table(
    caption: str, result: Mapping[str, Any], rows: Iterable[tuple[str, str, str]], note: str = ""
) -> Table | None:
    """Low / mid / high for each ``(label, unit, path)`` whose band the result has."""
    out = []
    for label, unit, path in rows:
        band = _get(result, path)
        if isinstance(band, Mapping) and set(SCENARIOS) <= set(band):
            out.append(Row(label, (Cell(unit), *_band_cells(band, path))))
    return Table(caption, ("Figure", "Unit", "Low", "Mid", "High"), tuple(out), note) if out else None


def value_table(
    caption: str,
    values: Mapping[str, Any] | None,
    labels: Mapping[str, tuple[str, str]],
    key: str,
    note: str = "",
) -> Table | None:
    """One value per row: the labelled keys first in label order, then any others by key."""
    if not values:
        return None
    names = [n for n in labels if n in values] + [n for n in values if n not in labels]
    rows = []
    for n in names:
        label, unit = labels.get(n, (n.replace("_", " "), ""))
        rows.append(Row(label, (figure(values[n], f"{key}.{n}" if key else n), Cell(unit))))
    return Table(caption, ("Figure", "Value", "Unit"), tuple(rows), note)


def assumptions_table(assumptions: Sequence[Mapping[str, Any]]) -> Table:
    rows = []
    for i, a in enumerate(assumptions):
        value = a.get("value")
        if isinstance(value, Mapping) and set(SCENARIOS) <= set(value):
            cell = Cell(" / ".join(fmt(value[s]) for s in SCENARIOS), css="nowrap")
        else:
            cell = figure(value, f"assumptions.{i}.value")
        rows.append(
            Row(
                str(a.get("name", "")).replace("_", " "),
                (cell, Cell(unit_text(str(a.get("unit", "")))), Cell(str(a.get("source", "")), css="source")),
            )
        )
    return Table(
        "Assumptions: every input the estimate used, with its source",
        ("Name", "Value (low / mid / high)", "Unit", "Source"),
        tuple(rows),
        stack=True,
    )


_PRICE_UNITS = {
    "usd_per_gpu_hour": "USD per GPU-hour",
    "usd_per_gpu": "USD per GPU",
    "usd_per_kwh": "USD per kWh",
    "usd_per_kw_month": "USD per kW-month",
}


def unit_text(unit: str) -> str:
    """A price unit in words (``usd_per_gpu_hour`` → USD per GPU-hour); other units as they are."""
    return _PRICE_UNITS.get(unit, unit)


def price_kind(price: Mapping[str, Any]) -> str:
    """A price point's kind as a row label: "Rent", "Purchase", "Electricity", "Hosting"."""
    return str(price.get("kind", "")).replace("_", " ").capitalize()


def price_offer(price: Mapping[str, Any]) -> str:
    """Who offers a price point and on what terms: provider, product, region, pricing model, scope."""
    return ", ".join(str(price[k]) for k in ("provider", "product", "region", "pricing_model", "scope") if price.get(k))


def price_unit(price: Mapping[str, Any]) -> str:
    unit = str(price.get("unit", ""))
    return _PRICE_UNITS.get(unit, unit.replace("_", " "))


def used_prices(result: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]] | None:
    """The result's ``pricing`` and its price points, or None when it used none."""
    pricing = result.get("pricing")
    if not isinstance(pricing, Mapping) or not pricing.get("prices"):
        return None
    return pricing, [p for p in pricing["prices"] if isinstance(p, Mapping)]


def prices_caption(pricing: Mapping[str, Any]) -> str:
    version = pricing.get("version")
    table = f"{pricing.get('table')}" + (f", version {version}" if version is not None else "")
    return f"Prices used, from pricing table {table}"


def prices_table(result: Mapping[str, Any]) -> Table | None:
    """Every price point the estimate used, from which pricing table and version."""
    used = used_prices(result)
    if used is None:
        return None
    pricing, prices = used
    rows = []
    for i, p in enumerate(prices):
        rows.append(
            Row(
                price_kind(p),
                (
                    figure(p.get("value"), f"pricing.prices.{i}.value"),
                    Cell(price_unit(p), css="nowrap"),
                    Cell(price_offer(p)),
                    Cell(str(p.get("effective_date", "")), css="nowrap"),
                    Cell(str(p.get("source", "")), css="source"),
                    Cell(str(p.get("table", "")), css="nowrap"),
                ),
            )
        )
    return Table(
        prices_caption(pricing),
        ("Price", "Value", "Unit", "Offer", "Date", "Source", "Table"),
        tuple(rows),
        "The price points behind the rental, purchase, electricity and hosting assumptions; a price you give on the "
        "form replaces them. 'Table' says where each came from: the seed table's where the chosen table has no "
        "price of that kind.",
        stack=True,
    )


# --- Training -------------------------------------------------------------------------------------
_TRAINING_COMPUTE = (
    ("Model FLOPs", "FLOP", "flops"),
    ("GPU-hours", "GPU·h", "gpu_hours"),
    ("Wall-clock time", "days", "wall_clock_days"),
    ("Model FLOPs utilisation", "of peak", "utilisation"),
    ("GPUs to meet the deadline", "GPUs", "gpu_count_for_deadline"),
)
_TRAINING_POWER = (
    ("IT power", "kW", "power_kw.it"),
    ("Facility power (IT × PUE)", "kW", "power_kw.facility"),
    ("Energy", "MWh", "energy_mwh"),
    ("Emissions", "t CO₂", "co2_t"),
)
_TRAINING_COST = (
    ("Renting the GPUs", "USD", "cost_usd.rent"),
    ("Owning them (capex share, energy, hosting)", "USD", "cost_usd.own"),
)
_TRAINING_MEMORY = {
    "state_gb": ("Weights, gradients and optimizer state", "GB"),
    "activation_gb_per_gpu": ("Activations per GPU", "GB"),
    "activation_gb_per_sequence": ("Activations per sequence", "GB"),
    "usable_gb_per_gpu": ("Usable memory per GPU", "GB"),
    "min_gpus": ("Fewest GPUs that hold the state", "GPUs"),
}
_FLOPS_BREAKDOWN = {"dense_6nd": ("Dense layers (6 × N × D)", "FLOP"), "attention": ("Attention", "FLOP")}


def training_tables(result: Mapping[str, Any]) -> list[Table]:
    cluster = {k: result[k] for k in ("tokens", "gpu_count", "node_count") if k in result}
    tables = [
        value_table(
            "Run",
            cluster,
            {
                "tokens": ("Training tokens", "tokens"),
                "gpu_count": ("GPUs", "GPUs"),
                "node_count": ("Servers", "nodes"),
            },
            "",
        ),
        band_table("Compute and time", result, _TRAINING_COMPUTE),
        band_table("Power, energy and emissions", result, _TRAINING_POWER),
        band_table("Cost of the run", result, _TRAINING_COST),
        value_table("Memory", result.get("memory"), _TRAINING_MEMORY, "memory"),
        value_table("Model FLOPs by part (mid)", result.get("flops_breakdown"), _FLOPS_BREAKDOWN, "flops_breakdown"),
    ]
    return [t for t in tables if t is not None]


# --- Inference ------------------------------------------------------------------------------------
_FLEET = {
    "gpus_per_replica": ("GPUs per replica", "GPUs"),
    "replicas": ("Replicas (mid)", "replicas"),
    "gpu_count": ("GPUs in the fleet (mid)", "GPUs"),
    "node_count": ("Servers (mid)", "nodes"),
    "min_gpus_per_replica": ("Fewest GPUs that hold one replica", "GPUs"),
}
_PER_REPLICA = {
    "batch_size": ("Concurrent sequences (batch)", "sequences"),
    "context_tokens": ("Context held per sequence", "tokens"),
    "ttft_ms": ("Time to first token", "ms"),
    "tpot_ms": ("Time per output token", "ms"),
    "decode_step_ms": ("Decode step", "ms"),
    "prefill_tokens_per_s": ("Prefill speed", "tokens/s"),
    "decode_tokens_per_s": ("Decode speed", "tokens/s"),
    "requests_per_s": ("Capacity", "requests/s"),
    "output_tokens_per_s": ("Output capacity", "tokens/s"),
    "bound": ("Decode limited by", ""),
    "parallelism": ("Parallelism", ""),
}
_SERVING_BANDS = (
    ("Replicas", "replicas", "replicas_range"),
    ("Output tokens served", "tokens/s", "output_tokens_per_s"),
    ("Utilisation of the fleet", "of capacity", "utilisation"),
    ("IT power", "kW", "power_kw.it"),
    ("Facility power (IT × PUE)", "kW", "power_kw.facility"),
    ("IT power to supply (every GPU busy)", "kW", "provisioned_power_kw.it"),
    ("Facility power to supply (every GPU busy, × PUE)", "kW", "provisioned_power_kw.facility"),
    ("Energy per day", "MWh", "energy_mwh_per_day"),
    ("Emissions per day", "t CO₂", "co2_t_per_day"),
    ("Energy per output token", "J", "joules_per_token"),
)
_MEMORY_GB = {
    "weights": ("Weights", "GB"),
    "kv_cache": ("KV cache (whole batch)", "GB"),
    "total": ("Total", "GB"),
    "available": ("Usable on the replica's GPUs", "GB"),
    "min_gpus": ("Fewest GPUs that hold it", "GPUs"),
    "kv_cache_per_token_mb": ("KV cache per token", "MB"),
}


def token_cost_table(result: Mapping[str, Any]) -> Table | None:
    """USD per million tokens, low / mid / high, next to the public API list price when known."""
    costs = result.get("cost_usd_per_million_tokens")
    if not isinstance(costs, Mapping):
        return None
    api = result.get("api_price_usd_per_million_tokens")
    rows = []
    for side, side_label in (("input", "Input (prompt)"), ("output", "Output (generated)")):
        for way, way_label in (("rent", "renting GPUs"), ("own", "owning GPUs")):
            band = _get(costs, f"{side}.{way}")
            if not isinstance(band, Mapping):
                continue
            key = f"cost_usd_per_million_tokens.{side}.{way}"
            price = figure(api.get(side), f"api_price_usd_per_million_tokens.{side}") if api else Cell("–")
            rows.append(Row(f"{side_label}, {way_label}", (*_band_cells(band, key), price)))
    note = (
        f"Public API price: {api.get('provider')} {api.get('product') or ''} list price as of {api.get('as_of')} "
        f"({api.get('source')})."
        if api
        else "No public API price is known for this model."
    )
    return Table(
        "Cost per million tokens, USD",
        ("Tokens", "Low", "Mid", "High", "Public API price"),
        tuple(rows),
        note,
        "USD per million tokens",
    )


def inference_tables(result: Mapping[str, Any]) -> list[Table]:
    fleet = {k: result[k] for k in _FLEET if k in result}
    tables = [
        value_table("Fleet", fleet, _FLEET, ""),
        token_cost_table(result),
        value_table(
            "One replica (mid estimate)",
            result.get("per_replica"),
            _PER_REPLICA,
            "per_replica",
            "The replica shape is chosen on the mid estimate: the cheapest that fits and meets the targets.",
        ),
        band_table("Load, power, energy and emissions", result, _SERVING_BANDS),
        value_table("Memory of one replica", result.get("memory_gb"), _MEMORY_GB, "memory_gb"),
    ]
    return [t for t in tables if t is not None]


# --- Comparison -------------------------------------------------------------------------------------
METRIC_LABELS = {
    "flops": ("Model FLOPs", ""),
    "gpu_hours": ("GPU-hours", ""),
    "cost_usd_rent": ("Cost renting", "USD"),
    "cost_usd_own": ("Cost owning", "USD"),
    "energy_mwh": ("Energy", "MWh"),
    "tokens_per_gpu_hour": ("Tokens per GPU-hour", ""),
    "gpu_count": ("GPUs", ""),
    "cost_usd_per_million_output_tokens": ("Cost per million output tokens", "USD"),
    "cost_usd_per_million_input_tokens": ("Cost per million input tokens", "USD"),
    "joules_per_token": ("Energy per output token", "J"),
    "energy_mwh_per_day": ("Energy per day", "MWh"),
    "output_tokens_per_gpu_hour": ("Output tokens per GPU-hour", ""),
}


def _metric_names(by_model: Mapping[str, Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for values in by_model.values():
        names.extend(n for n in values if n not in names)
    return names


def _metric_head(names: Sequence[str], *, units: bool) -> tuple[str, ...]:
    out = []
    for n in names:
        label, unit = METRIC_LABELS.get(n, (n.replace("_", " "), ""))
        out.append(f"{label} ({unit})" if unit and units else label)
    return ("Model", *out)


def comparison_tables(result: Mapping[str, Any], names: Mapping[str, str]) -> list[Table]:
    """Metrics per model (mid estimates) and each metric as a multiple of the baseline's."""
    tables = []
    for key, caption, fmt_ratio in (
        ("metrics", "Headline figures per model (mid estimates)", False),
        ("ratios", f"Ratio to the baseline, {names.get(result.get('baseline', ''), result.get('baseline'))}", True),
    ):
        by_model = result.get(key) or {}
        metric_names = _metric_names(by_model)
        rows = tuple(
            Row(
                names.get(model, model),
                tuple(
                    Cell(f"{fmt(v)}×" if fmt_ratio and v is not None else fmt(v), v, f"{key}.{model}.{n}")
                    for n in metric_names
                    for v in (values.get(n),)
                ),
            )
            for model, values in by_model.items()
        )
        if rows:
            tables.append(Table(caption, _metric_head(metric_names, units=not fmt_ratio), rows))
    return tables


def comparison_errors(result: Mapping[str, Any], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """(model name, message) for each model that could not run the workload."""
    return [
        (names.get(row["model"], row["model"]), str(row["error"].get("detail", "")))
        for row in result.get("rows", ())
        if isinstance(row, Mapping) and "error" in row
    ]


def comparison_warnings(
    result: Mapping[str, Any], names: Mapping[str, str]
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The warnings of a comparison's rows: those every model that ran shares, once, then each
    model's own (model name, warnings), in row order."""
    ran = [r for r in result.get("rows", ()) if isinstance(r, Mapping) and "error" not in r]
    lists = [[str(w) for w in r.get("warnings", ())] for r in ran]
    common = [w for w in lists[0] if all(w in other for other in lists[1:])] if lists else []
    own = []
    for row, warnings in zip(ran, lists, strict=True):
        rest = [w for w in warnings if w not in common]
        if rest:
            model = str(row.get("model", ""))
            own.append((names.get(model, model), rest))
    return common, own


# --- A comparison's models, each as its own estimate ------------------------------------------------
def rekeyed(table: Table, prefix: str, subject: str) -> Table:
    """``table`` with each figure's path under ``prefix`` (``rows.2.``) and its subject named."""
    rows = tuple(
        Row(row.label, tuple(replace(c, key=prefix + c.key) if c.key else c for c in row.cells)) for row in table.rows
    )
    return replace(table, rows=rows, subject=subject)


def ran_rows(result: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """(place in ``rows``, row) of each model of a comparison that could run the workload."""
    return [
        (i, row)
        for i, row in enumerate(result.get("rows", ()))
        if isinstance(row, Mapping) and "model" in row and "error" not in row
    ]


@dataclass(frozen=True)
class ModelSection:
    """One model of a comparison shown as its single estimate is: the full low / mid / high tables,
    the prices and the assumptions it used. Its figures' paths start ``rows.<row>.``."""

    row: int
    model: str
    name: str
    baseline: bool
    tables: tuple[Table, ...]
    prices: Table | None
    assumptions: Table | None

    @property
    def prefix(self) -> str:
        return f"rows.{self.row}."


def model_sections(result: Mapping[str, Any], names: Mapping[str, str]) -> list[ModelSection]:
    """Each model of a comparison that ran, through the single-estimate presenters."""
    out = []
    for i, row in ran_rows(result):
        model = str(row["model"])
        name, prefix = names.get(model, model), f"rows.{i}."
        tables = (
            training_tables(row) if row.get("workload", result.get("workload")) == "training" else inference_tables(row)
        )
        prices = prices_table(row)
        assumptions = assumptions_table(row["assumptions"]) if row.get("assumptions") else None
        out.append(
            ModelSection(
                i,
                model,
                name,
                model == result.get("baseline"),
                tuple(rekeyed(t, prefix, name) for t in tables),
                rekeyed(prices, prefix, name) if prices else None,
                rekeyed(assumptions, prefix, name) if assumptions else None,
            )
        )
    return out


def headline(kind: str, result: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One sentence with the mid figures a reader looks for first."""

    def name(key: str) -> str:
        value = str(result.get(key, ""))
        return names.get(value, value)

    if kind == "training":
        return (
            f"{name('model')} trained on {fmt(result.get('tokens'))} tokens with {fmt(result.get('gpu_count'))} × "
            f"{name('hardware')} in {result.get('precision')}: about {fmt(_get(result, 'wall_clock_days.mid'))} days, "
            f"{fmt(_get(result, 'gpu_hours.mid'))} GPU-hours and {fmt(_get(result, 'cost_usd.rent.mid'))} USD to rent "
            "the GPUs (mid estimate)."
        )
    if kind == "inference":
        text = (
            f"{name('model')} on {name('hardware')} in {result.get('precision')}: {fmt(result.get('replicas'))} "
            f"replica(s) of {fmt(result.get('gpus_per_replica'))} GPUs, {fmt(result.get('gpu_count'))} GPUs in all; "
            f"{fmt(_get(result, 'cost_usd_per_million_tokens.output.rent.mid'))} USD per million output tokens "
            "renting the GPUs (mid estimate)"
        )
        api = result.get("api_price_usd_per_million_tokens")
        if isinstance(api, Mapping):
            text += f"; {api.get('provider')} lists {fmt(api.get('output'))} USD"
        return text + "."
    ran = len(result.get("metrics") or {})
    baseline = str(result.get("baseline", ""))
    first = next((r for r in result.get("rows", ()) if isinstance(r, Mapping) and "hardware" in r), {})
    where = f" on {names.get(first['hardware'], first['hardware'])} in {first.get('precision')}" if first else ""
    return f"{ran} model(s) estimated{where}; ratios are to {names.get(baseline, baseline)}."
