"""Turn the core's result dicts into tables for the HTML pages.

Every number cell keeps the raw figure (``data-value``) and its path in the result
(``data-key``, e.g. ``gpu_hours.mid``) next to the text a reader sees, so a page can be checked
against the JSON API figure by figure. A comparison shows each model through the same presenters,
its paths under the model's place in the result's rows (``rows.1.gpu_hours.mid``).

Which figures each table shows is chosen here; their labels, units and paths are the declaration's
(``estimator/figures.py``). Rows whose figure the result does not have are left out, so a field
the core adds or drops never breaks a page; an undeclared key inside an object of figures
(``memory``, ``per_replica``) still shows under its own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from estimator import figures
from estimator.figures import Figure, Group
from estimator.numbers import number_text

SCENARIOS = ("low", "mid", "high")
T, S = figures.Training, figures.Serving


def fmt(value: Any) -> str:
    """A figure as a reader wants it (``numbers.number_text``, shared with the charts and the CLI)."""
    return number_text(value)


def counted(value: Any, singular: str, plural: str = "") -> str:
    """A count with its noun in the right number: ``1 replica``, ``3 replicas``, ``1.5 GPUs``."""
    word = singular if value == 1 else plural or f"{singular}s"
    return f"{fmt(value)} {word}"


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


def figure(value: Any, key: str | None) -> Cell:
    return Cell(fmt(value), value, key)


def _band_cells(band: Mapping[str, Any], key: str) -> tuple[Cell, ...]:
    return tuple(figure(band.get(s), f"{key}.{s}") for s in SCENARIOS)


def band_table(caption: str, result: Mapping[str, Any], rows: Iterable[Figure], note: str = "") -> Table | None:
    """Low / mid / high of each figure whose band the result has, labelled as declared."""
    out = []
    for f in rows:
        band = f.band(result)
        if band is not None:
            out.append(Row(f.label, (Cell(f.unit), *_band_cells(band, f.key))))
    return Table(caption, ("Figure", "Unit", "Low", "Mid", "High"), tuple(out), note) if out else None


def value_table(caption: str, result: Mapping[str, Any], rows: Iterable[Figure] | Group, note: str = "") -> Table | None:
    """One value per row: the declared figures the result has, in declaration order; for a group,
    then any other key of the result's object under that key (so a figure the core adds still shows)."""
    group: Group | None = None
    if isinstance(rows, Group):
        group, declared = rows, [m for m in figures.members(rows) if isinstance(m, Figure)]
    else:
        declared = list(rows)
    out = [Row(f.label, (figure(f.value(result), f.key), Cell(f.unit))) for f in declared if f.value(result) is not None]
    values = group.value(result) if group else None
    if group and values:
        known = {f.name for f in declared}
        out += [Row(n.replace("_", " "), (figure(v, f"{group.key}.{n}"), Cell(""))) for n, v in values.items()
                if n not in known]
    return Table(caption, ("Figure", "Value", "Unit"), tuple(out), note) if out else None


#: The assumptions table's value column: a band's three values are those behind each estimate
#: (the low estimate uses the highest utilisation), not a sorted range like a result's.
ASSUMPTION_VALUE_HEADING = "Value (used for the low / mid / high estimate)"
ASSUMPTION_NOTE = ("Where an input has three values, each is the one used for the low, mid or high estimate, in that "
                   "order: the low estimate takes the most favourable input (the highest goodput, the lowest price), "
                   "so the three need not rise left to right.")


def assumptions_table(assumptions: Sequence[Mapping[str, Any]]) -> Table:
    """Every input the estimate used, by its readable label (``figures.assumption_label``)."""
    rows = []
    for i, a in enumerate(assumptions):
        value = a.get("value")
        if isinstance(value, Mapping) and set(SCENARIOS) <= set(value):
            cell = Cell(" / ".join(fmt(value[s]) for s in SCENARIOS), css="nowrap")
        else:
            cell = figure(value, f"assumptions.{i}.value")
        rows.append(
            Row(
                figures.assumption_label(str(a.get("name", ""))),
                (cell, Cell(unit_text(str(a.get("unit", "")))), Cell(str(a.get("source", "")), css="source")),
            )
        )
    return Table(
        "Assumptions: every input the estimate used, with its source",
        ("Input", ASSUMPTION_VALUE_HEADING, "Unit", "Source"),
        tuple(rows),
        ASSUMPTION_NOTE,
        stack=True,
    )


_PRICE_UNITS = {
    "usd_per_gpu_hour": "USD per GPU-hour",
    "usd_per_gpu": "USD per GPU",
    "usd_per_kwh": "USD per kWh",
    "usd_per_kw_month": "USD per kW-month",
}
#: Other assumption units in words, where the core's short form would puzzle a reader.
_UNITS = {**_PRICE_UNITS, "kg_co2_per_kwh": "kg CO₂ per kWh", "B": "bytes", "B/param": "bytes per parameter",
          "FLOP/token": "FLOP per token", "x counted bytes": "× counted bytes", "x busy time": "× busy time",
          "x step and prefill time": "× step and prefill time"}


def unit_text(unit: str) -> str:
    """A unit in words (``usd_per_gpu_hour`` → USD per GPU-hour, ``B`` → bytes); others as they are."""
    return _UNITS.get(unit, unit)


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
_TRAINING_RUN = (T.TOKENS, T.GPU_COUNT, T.NODE_COUNT)
_TRAINING_COMPUTE = (T.FLOPS, T.GPU_HOURS, T.WALL_CLOCK_DAYS, T.UTILISATION, T.GPUS_FOR_DEADLINE)
_TRAINING_POWER = (T.POWER_IT, T.POWER_FACILITY, T.ENERGY, T.CO2)
_TRAINING_COST = (T.RENT, T.OWN)
#: The step model's figures: absent with a 'utilisation' override (the tables are then left out).
_TRAINING_STEADY = (T.TOKENS_PER_S_PER_GPU, T.MFU_STEADY)


def training_tables(result: Mapping[str, Any]) -> list[Table]:
    tables = [
        value_table("Run", result, _TRAINING_RUN),
        band_table("Compute and time", result, _TRAINING_COMPUTE),
        band_table(
            "Steady-state throughput",
            result,
            _TRAINING_STEADY,
            "While the run is up (no failures or restarts): to set beside a profiler or a benchmark. "
            "The run's utilisation above also counts the time goodput loses.",
        ),
        value_table("Parallel layout", result, T.LAYOUT, "As given, or the smallest model-parallel size that fits."),
        value_table("Where an optimizer step's time goes (mid)", result, T.STEP_SHARE),
        band_table("Power, energy and emissions", result, _TRAINING_POWER),
        band_table("Cost of the run", result, _TRAINING_COST),
        value_table("Memory", result, T.MEMORY),
        value_table("Model FLOPs by part (mid)", result, T.FLOPS_BREAKDOWN),
    ]
    return [t for t in tables if t is not None]


# --- Inference ------------------------------------------------------------------------------------
_FLEET = (S.GPUS_PER_REPLICA, S.REPLICAS, S.GPU_COUNT, S.NODE_COUNT, S.MIN_GPUS_PER_REPLICA)
_SERVING_BANDS = (
    S.REPLICAS_RANGE,
    S.OUTPUT_TOKENS_PER_S,
    S.UTILISATION,
    S.POWER_IT,
    S.POWER_FACILITY,
    S.PROVISIONED_IT,
    S.PROVISIONED_FACILITY,
    S.ENERGY_PER_DAY,
    S.CO2_PER_DAY,
    S.JOULES_PER_TOKEN,
)
_TOKEN_COSTS = (S.COST_INPUT_RENT, S.COST_INPUT_OWN, S.COST_OUTPUT_RENT, S.COST_OUTPUT_OWN)


def token_cost_table(result: Mapping[str, Any]) -> Table | None:
    """USD per million tokens, low / mid / high, next to the public API list price when known."""
    api = S.API_PRICE.value(result)
    rows = []
    for f in _TOKEN_COSTS:
        band = f.band(result)
        if band is None:
            continue
        side = f.path[-2]  # input or output: the API price's member for the same tokens
        price = figure(api.get(side), f"{S.API_PRICE.key}.{side}") if isinstance(api, Mapping) else Cell("–")
        rows.append(Row(f.label, (*_band_cells(band, f.key), price)))
    if not rows:
        return None
    note = (
        f"Public API price: {api.get('provider')} {api.get('product') or ''} list price as of {api.get('as_of')} "
        f"({api.get('source')})."
        if isinstance(api, Mapping)
        else "No public API price is known for this model."
    )
    return Table(
        "Cost per million tokens, USD",
        ("Tokens", "Low", "Mid", "High", S.API_PRICE.label),
        tuple(rows),
        note,
        S.COST_OUTPUT_RENT.unit,
    )


def inference_tables(result: Mapping[str, Any]) -> list[Table]:
    tables = [
        value_table("Fleet", result, _FLEET),
        token_cost_table(result),
        value_table(
            "One replica (mid estimate)",
            result,
            S.PER_REPLICA,
            "The replica shape is chosen on the mid estimate: the cheapest that fits and meets the targets.",
        ),
        band_table("Load, power, energy and emissions", result, _SERVING_BANDS),
        value_table("Memory of one replica", result, S.MEMORY),
    ]
    return [t for t in tables if t is not None]


# --- Comparison -------------------------------------------------------------------------------------
def _metric_names(by_model: Mapping[str, Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for values in by_model.values():
        names.extend(n for n in values if n not in names)
    return names


def _metric_head(names: Sequence[str], *, units: bool) -> tuple[str, ...]:
    out = []
    for n in names:
        m = figures.metric(n)
        out.append(n.replace("_", " ") if m is None else m.heading if units else m.label)
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


def _mid(f: Figure, result: Mapping[str, Any]) -> Any:
    band = f.band(result)
    return band["mid"] if band is not None else None


def default_deadline_note(result: Mapping[str, Any]) -> str:
    """A training result sized for the default deadline (no GPU count or deadline given) says so."""
    found = next((a for a in result.get("assumptions", ()) if isinstance(a, Mapping) and a.get("name") == "deadline_days"),
                 None)
    if found is None:
        return ""
    return (f" No GPU count or deadline was given, so the GPUs are those that finish in {fmt(found.get('value'))} "
            "days, the default deadline: give either to change it.")


def headline(kind: str, result: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One sentence with the mid figures a reader looks for first."""

    def name(f: Figure) -> str:
        value = str(f.value(result) or "")
        return names.get(value, value)

    if kind == "training":
        return (
            f"{name(T.MODEL)} trained on {fmt(T.TOKENS.value(result))} tokens with {fmt(T.GPU_COUNT.value(result))} × "
            f"{name(T.HARDWARE)} in {T.PRECISION.value(result)}: about {fmt(_mid(T.WALL_CLOCK_DAYS, result))} days, "
            f"{fmt(_mid(T.GPU_HOURS, result))} GPU-hours and {fmt(_mid(T.RENT, result))} USD to rent "
            "the GPUs (mid estimate)." + default_deadline_note(result)
        )
    if kind == "inference":
        text = (
            f"{name(S.MODEL)} on {name(S.HARDWARE)} in {S.PRECISION.value(result)}: "
            f"{counted(S.REPLICAS.value(result), 'replica')} of {counted(S.GPUS_PER_REPLICA.value(result), 'GPU')}, "
            f"{counted(S.GPU_COUNT.value(result), 'GPU')} in all; "
            f"{fmt(_mid(S.COST_OUTPUT_RENT, result))} USD per million output tokens "
            "renting the GPUs (mid estimate)"
        )
        api = S.API_PRICE.value(result)
        if isinstance(api, Mapping):
            text += f"; {api.get('provider')} lists {fmt(api.get('output'))} USD"
        return text + "."
    ran = len(result.get("metrics") or {})
    baseline = str(result.get("baseline", ""))
    first = next((r for r in result.get("rows", ()) if isinstance(r, Mapping) and "hardware" in r), {})
    where = f" on {names.get(first['hardware'], first['hardware'])} in {first.get('precision')}" if first else ""
    return f"{counted(ran, 'model')} estimated{where}; ratios are to {names.get(baseline, baseline)}."
